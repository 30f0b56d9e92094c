"""Headless Chromium for tests: find the browser, start it the way this project's machines need,
and skip with a clear reason where none can be had.

Usage in a test::

    from browser import chromium_page

    def test_page(tmp_path):
        with chromium_page() as page:          # skips the test if no browser is available
            page.goto(f"file://{tmp_path / 'report.html'}")
            ...

The browser is Debian's ``chromium`` (``apt-get install -y chromium`` installs
``/usr/bin/chromium``; ``.ci/run`` does it before the tests), driven by playwright (a dev
dependency) through ``executable_path``: playwright's own browser download is never used. Set
``GROOMSIM_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

#: Flags without which headless Chromium stalls on a machine with no network, no GPU and root.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
INSTALL_HINT = "install it with: apt-get install -y chromium (as root; .ci/run does this)"


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$GROOMSIM_CHROMIUM``, /usr/bin/chromium, or on the PATH."""
    env = os.environ.get("GROOMSIM_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for cand in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).is_file():
            return cand
    return None


def skip_reason() -> str | None:
    """Why no browser test can run here, or None if one can."""
    exe = find_chromium()
    if exe is None:
        where = os.environ.get("GROOMSIM_CHROMIUM") or "/usr/bin/chromium"
        return f"no Chromium browser found ({where} is missing); {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing; install the dev extra: pip install -e '.[dev]'"
    return None


@contextmanager
def chromium_page(width: int = 1280, height: int = 900, offline: bool = True) -> Iterator:
    """A playwright ``Page`` in a fresh headless Chromium profile (a new --user-data-dir, removed
    afterwards); skips the calling test with the reason if no browser can run. ``offline``: no
    network at all (self-contained pages); False for a page served on localhost."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="groomsim-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=find_chromium(),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": width, "height": height},
            offline=offline,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            context.close()
