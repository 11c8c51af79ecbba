"""Imports follow the direction in DESIGN.md: models ← federation ← webfinger ← social ← inbox; outbox
uses federation and models only; api and pages sit on top; only backchannel/ wires everything, and the
layers below it may take nothing from it but its leaf modules `config` and `keys`."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["models", "federation", "webfinger", "social", "inbox"]
ALLOWED = {package: set(ORDER[:i + 1]) for i, package in enumerate(ORDER)}
ALLOWED["outbox"] = {"outbox", "federation", "models"}
ALLOWED["api"] = {"api", "social", "outbox", "webfinger", "federation", "models"}
ALLOWED["pages"] = {"pages", "social", "outbox", "webfinger", "federation", "models"}
# What the layers may take from the composition root: settings and typed application keys.
BACKCHANNEL_LEAVES = {"backchannel", "backchannel.config", "backchannel.keys"}


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


def test_the_checker_sees_climbs_from_outbox_and_social(tmp_path):
    for package, source in (("outbox", "from social import statuses\n"),
                            ("social", "import inbox.handlers\nfrom api import entities\n"),
                            ("federation", "from backchannel.runtime import Runtime\n")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "probe.py").write_text(source)
    assert sorted(violations(tmp_path)) == ["federation/probe.py imports backchannel.runtime",
                                            "federation/probe.py imports backchannel.runtime.Runtime",
                                            "outbox/probe.py imports social",
                                            "outbox/probe.py imports social.statuses",
                                            "social/probe.py imports api",
                                            "social/probe.py imports api.entities",
                                            "social/probe.py imports inbox.handlers"]


# --- Handlers are thin: api/ (and pages/, once its handlers comply) never write, never touch tables --

THIN = ["api", "pages"]
# Writes still in a handler, each with who removes it; test_no_stale_exemption fails once one is
# gone, so an entry cannot outlive it. (None left: the Idempotency-Key is claimed inside
# social.statuses.create's transaction.)
EXEMPT: set[tuple[str, str]] = set()
WRITE_STATEMENTS = {"insert", "update", "delete"}


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    owner: dict[ast.AST, str] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                owner.setdefault(node, fn.name)  # the outermost function names a closure
    return owner


def _is_db_write(node: ast.AST) -> bool:
    """`<anything>.db.write(...)` or `db.write(...)`: opening a write transaction."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "write"):
        return False
    target = node.func.value
    return (isinstance(target, ast.Attribute) and target.attr == "db") or (
        isinstance(target, ast.Name) and target.id == "db")


def thin_handler_violations(root: Path = ROOT, packages=tuple(THIN)) -> list[tuple[str, str, str]]:
    """(file, function, what) for every write transaction, table import or SQL write statement."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = str(path.relative_to(root))
            tree = ast.parse(path.read_text())
            owner = _enclosing_functions(tree)
            for node in ast.walk(tree):
                where = owner.get(node, "<module>")
                if _is_db_write(node):
                    found.append((rel, where, "opens a write transaction"))
                elif isinstance(node, ast.Import):
                    found += [(rel, where, f"imports {a.name}") for a in node.names
                              if a.name == "models.schema" or a.name.startswith("models.schema.")]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    if node.module == "models.schema" or (node.module == "models" and
                                                          any(a.name == "schema" for a in node.names)):
                        found.append((rel, where, "imports models.schema"))
                    if node.module.split(".")[0] == "sqlalchemy":
                        found += [(rel, where, f"imports sqlalchemy {a.name}") for a in node.names
                                  if a.name in WRITE_STATEMENTS]
    return found


def test_handlers_never_write_nor_touch_tables():
    assert [v for v in thin_handler_violations() if v[:2] not in EXEMPT] == []


def test_no_stale_exemption():
    stale = EXEMPT - {v[:2] for v in thin_handler_violations()}
    assert not stale, f"the write is gone: remove {sorted(stale)} from EXEMPT in tests/test_layers.py"


def test_the_thin_handler_checker_sees_violations(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "probe.py").write_text(
        "from models.schema import statuses\n"
        "from models import schema\n"
        "import models.schema\n"
        "from sqlalchemy import delete\n"
        "async def handler(request):\n"
        "    async with request.app[RUNTIME].db.write() as conn:\n"
        "        pass\n"
        "    async with rt.db.read() as conn:\n"
        "        pass\n"
        "    await response.write(b'fine')\n")
    assert sorted(thin_handler_violations(tmp_path, ("api",))) == [
        ("api/probe.py", "<module>", "imports models.schema"),
        ("api/probe.py", "<module>", "imports models.schema"),
        ("api/probe.py", "<module>", "imports models.schema"),
        ("api/probe.py", "<module>", "imports sqlalchemy delete"),
        ("api/probe.py", "handler", "opens a write transaction")]
