"""Debian's headless Chromium through Playwright, for the tests that open pages in a real browser.
Never `playwright install`: the system's /usr/bin/chromium is the browser."""
from __future__ import annotations

import contextlib
import shutil
from typing import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def require_chromium():  # noqa: ANN201
    """Playwright's sync API; the calling test module is skipped, with the reason, without them."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")


@contextlib.contextmanager
def chromium(sync_api) -> Iterator:  # noqa: ANN001
    """A headless Chromium for the duration of the block."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
