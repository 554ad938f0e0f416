"""Debian's headless Chromium under Playwright, as every browser test drives it.

Why a module: the investigator-page tests and the screening-panel tests launched the same
browser with the same flags, opened pages that fail on a JavaScript error and saved
screenshots the same way, each with its own copy.

Playwright's own browser download is never used (no internet): the tests launch
``/usr/bin/chromium`` and skip when it is missing (``make browser-prereqs`` installs it), or
fail where ``GRAPHRISK_REQUIRE_BROWSER=1`` (as CI sets once it installed it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
#: Where screenshots land, to look at after a run.
ARTIFACTS = Path(os.environ.get("GRAPHRISK_TEST_ARTIFACTS")
                 or Path(__file__).resolve().parent / "artifacts") / "browser"
#: How long the page may take to show something after a click (a 2-hop layout is < 1 s).
WAIT_MS = 20_000


def require_chromium() -> None:
    """Skip without Debian's Chromium, or fail where it is required."""
    if CHROMIUM.is_file():
        return
    message = ("the browser tests drive Debian's Chromium at /usr/bin/chromium, which is "
               "missing: run `make browser-prereqs` (or `sudo apt-get install chromium`)")
    if os.environ.get("GRAPHRISK_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium with a fresh profile, closed on exit."""
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def fresh_page(browser: Any, *, width: int = 1440, height: int = 900) -> Iterator[Any]:
    """A page in a fresh context (no stored key); a JavaScript error thrown while it was open
    fails the test after it."""
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == [], f"the page threw: {errors}"


def screenshot(page: Any, name: str, *, full_page: bool = False) -> None:
    """Save what the page shows as ``ARTIFACTS/name.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
