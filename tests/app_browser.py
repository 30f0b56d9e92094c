"""Headless Chromium for the page's end-to-end test and its screenshots.

Debian's chromium (``apt-get install -y chromium``) driven by playwright (never playwright's own
browser download; the network is closed). :func:`serve_app` starts ``solara run sim.app`` on a
free port and stops it afterwards; :func:`browser` opens a fresh headless profile.

Run as a script to retake the screenshots of docs/app.md:

    .venv/bin/python tests/app_browser.py docs/figures
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import chromium_page, skip_reason  # noqa: E402


def missing() -> str | None:
    """Why the browser test cannot run here, or None if it can."""
    try:
        import solara  # noqa: F401
    except ImportError:
        return "solara is not installed (the app extra: pip install -e '.[app]')"
    return skip_reason()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_app(timeout: float = 180.0):
    """Start the page's server on a free port; yields its URL; stops it on exit."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="groomsim-app-", suffix=".log", delete=False)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "solara",
            "run",
            "sim.app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--production",
            "--no-open",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the app server exited ({proc.returncode}):\n{Path(log.name).read_text()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the app server did not answer in {timeout:.0f} s:\n{Path(log.name).read_text()}"
                )
            time.sleep(0.5)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        os.unlink(log.name)


@contextlib.contextmanager
def browser(width: int = 1500, height: int = 1300):
    """A playwright page in headless Debian chromium with a fresh profile (tests/browser.py), on
    the network (the page is served on localhost)."""
    with chromium_page(width, height, offline=False) as page:
        page.set_default_timeout(240_000)
        yield page


def wait_for_page(page, timeout_ms: int = 240_000) -> None:
    """Until the first network picture is shown (the first load compiles the kernels)."""
    page.wait_for_selector("img.gs-network", timeout=timeout_ms)
    page.wait_for_selector("img.gs-network[data-day]", timeout=timeout_ms)


def network_src(page) -> list[str]:
    return page.eval_on_selector_all("img.gs-network", "els => els.map(e => e.getAttribute('src'))")


def images(page) -> dict:
    """The data of what the page shows: network pictures (list), stage plot, contact plot."""
    src = "el => (el.tagName === 'IMG' ? el : el.querySelector('img')).getAttribute('src')"
    for sel in ("img.gs-network", ".gs-stages", ".gs-contacts"):
        page.wait_for_selector(sel, timeout=30_000)
    return {
        "network": network_src(page),
        "stages": page.eval_on_selector(".gs-stages", src),
        "contacts": page.eval_on_selector(".gs-contacts", src),
    }


def settled(page, timeout_s: float = 30.0) -> dict:
    """:func:`images` once the page has stopped changing (two reads 0.4 s apart agree): a step
    re-renders the pictures and plots one after the other."""
    deadline = time.monotonic() + timeout_s
    last = images(page)
    while True:
        page.wait_for_timeout(400)
        now = images(page)
        if now == last or time.monotonic() > deadline:
            return now
        last = now


def day_shown(page) -> int:
    return int(page.get_attribute("img.gs-network", "data-day"))


def check(page, label: str) -> None:
    """Tick the checkbox labelled ``label`` (a click on its label: vuetify covers the input)."""
    box = page.get_by_label(label, exact=True)
    if not box.is_checked():
        page.locator("label", has_text=label).first.click()
        page.wait_for_function(
            "l => [...document.querySelectorAll('label')].some(e => e.textContent.trim() === l "
            "&& document.getElementById(e.htmlFor)?.checked)",
            arg=label,
            timeout=10_000,
        )


def click_button(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).first.click()


def step_days(page, days: int, timeout_ms: int = 240_000) -> None:
    """Press Step ``days`` times, each time waiting for the picture of the next day (the first
    step on a fresh install compiles the Numba kernels: hence the long timeout)."""
    for _ in range(days):
        before = day_shown(page)
        click_button(page, "Step")
        page.wait_for_function(
            "d => Number(document.querySelector('img.gs-network').dataset.day) > d",
            arg=before,
            timeout=timeout_ms,
        )


def reset(page, timeout_ms: int = 60_000) -> None:
    """Press Reset and wait for day 0 of the new world (call it after at least one Step)."""
    click_button(page, "Reset")
    page.wait_for_function(
        "() => Number(document.querySelector('img.gs-network').dataset.day) === 0", timeout=timeout_ms
    )


def screenshots(out_dir: Path) -> list[Path]:
    """The two screenshots of docs/app.md: single mode and side by side, 60 days in."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = []
    with serve_app() as url, browser(height=1800) as page:
        page.goto(url)
        wait_for_page(page)
        step_days(page, 60)
        page.get_by_role("button", name="Furthest-groomed child").click()
        page.wait_for_selector(".gs-child", timeout=30_000)
        path = out_dir / "app_single.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
        # side by side, with suggestions off for minors and private-by-default accounts
        check(page, "Side by side: 2019 baseline | your interventions")
        check(page, "No friend suggestions for minors")
        check(page, "Private by default for children")
        reset(page)
        page.wait_for_function("() => document.querySelectorAll('img.gs-network').length === 2")
        step_days(page, 60)
        # the child most changed may be the one already shown: wait for both worlds' tables of it
        page.get_by_role("button", name="Child most changed").click()
        page.wait_for_function(
            "() => document.querySelectorAll('.gs-child .gs-child-table').length === 2", timeout=30_000
        )
        settled(page)
        path = out_dir / "app_side_by_side.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
    return shots


if __name__ == "__main__":
    why = missing()
    if why:
        sys.exit(f"cannot take screenshots: {why}")
    for p in screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/figures")):
        print(p)
