"""Imports follow the direction in DESIGN.md: models ← federation ← webfinger ← social ← inbox; outbox
uses federation and models only; api and pages sit on top; only backchannel/ wires everything, and the
layers below it may take nothing from it but its leaf modules `config` and `keys`."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["models", "federation", "webfinger", "outbox", "inbox"]
ALLOWED = {package: set(ORDER[:i + 1]) for i, package in enumerate(ORDER)}
ALLOWED["api"] = {"api", "models", "federation", "webfinger", "outbox"}
ALLOWED["pages"] = {"pages", "models", "federation", "webfinger", "outbox"}
# What every feature may take from the composition root: settings, typed keys, the runtime record.
BACKCHANNEL_LEAVES = {"backchannel", "backchannel.config", "backchannel.keys", "federation.runtime"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for name in imported_modules(path):
                top = name.split(".")[0]
                if top == "backchannel":
                    if not any(name == leaf or name.startswith(leaf + ".") and leaf != "backchannel"
                               for leaf in BACKCHANNEL_LEAVES) and name not in {"backchannel.__version__"}:
                        found.append(f"{path.relative_to(root)} imports {name}")
                elif top in ALLOWED and top not in allowed:
                    found.append(f"{path.relative_to(root)} imports {name}")
    return found


def test_imports_follow_the_layers():
    assert violations() == []


def test_the_checker_sees_a_violation(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "probe.py").write_text("from inbox import handlers\nimport backchannel.app\n")
    assert sorted(violations(tmp_path)) == ["models/probe.py imports backchannel.app",
                                            "models/probe.py imports inbox",
                                            "models/probe.py imports inbox.handlers"]
