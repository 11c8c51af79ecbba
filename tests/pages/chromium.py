"""What the pages' browser tests share (tests.rig.chromium launches the browser): a page that collects
every CSP violation (as the page reports it and as Chromium writes it to the console), axe-core for
the accessibility checks, and the folder screenshots go to (outside the repository)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.rig.chromium import CHROMIUM, chromium

AXE_HOME = Path(os.environ.get("INTEROP_HOME", Path.home() / ".cache" / "backchannel-interop")) / "axe-core"
AXE_SCRIPT = AXE_HOME / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("BACKCHANNEL_SCREENSHOTS")
                   or Path(tempfile.gettempdir()) / "backchannel-screenshots")

# Runs in every document before its own scripts; a CSP cannot block it (it comes through the DevTools
# protocol), so it hears every violation the policy reports, and hands it to the test at once (a
# navigation would lose anything kept in the page).
COLLECT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation',
    e => window.reportViolation(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' + e.documentURI));
"""


def skip_reason() -> str | None:
    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


class Watched:
    """A page whose CSP violations are kept, to assert there were none."""

    def __init__(self, browser):  # noqa: ANN001
        self.context = browser.new_context()
        self.violations: list[str] = []
        self.context.expose_binding("reportViolation", lambda source, text: self.violations.append(text))
        self.context.add_init_script(COLLECT_VIOLATIONS)
        self.page = self.context.new_page()
        self.page.on("console", self._console)

    def _console(self, message) -> None:  # noqa: ANN001
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.violations.append(f"console {message.type}: {message.text}")

    def problems(self) -> list[str]:
        return list(self.violations)

    def close(self) -> None:
        self.context.close()


def axe_reason() -> str | None:
    """None once axe-core is installed (npm, into the interop cache, on first use); else why not."""
    if AXE_SCRIPT.exists():
        return None
    if shutil.which("npm") is None:
        return "npm is needed to install axe-core"
    AXE_HOME.mkdir(parents=True, exist_ok=True)
    if not (AXE_HOME / "package.json").exists():
        (AXE_HOME / "package.json").write_text('{"name": "backchannel-axe-rig", "private": true}\n')
    try:
        result = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "axe-core@4"], cwd=AXE_HOME,
                                capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"npm install axe-core failed: {err}"
    return None if result.returncode == 0 and AXE_SCRIPT.exists() else \
        f"npm install axe-core failed: {result.stderr.strip()[-300:]}"


def serious_accessibility_problems(page) -> list[str]:  # noqa: ANN001
    """axe-core's serious and critical violations on the page as it is now. The script is evaluated
    through the DevTools protocol, so the page's CSP does not stop it (and it reports nothing)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> Path:  # noqa: ANN001
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module."""
    from playwright import sync_api

    with chromium(sync_api) as browser:
        yield browser


@pytest.fixture
def watched(browser):  # noqa: ANN001, ANN201
    page = Watched(browser)
    yield page
    page.close()
