"""Screenshot of the first screen of a comparison report, for the README.

Usage (from the project folder, after `make run`)::

    .venv/bin/python experiments/report_screenshot.py results/sweeps/<folder>/report.html \
        docs/figures/report_first_screen.png

Opens the page in headless Chromium (Debian's ``chromium``, started as in ``tests/browser.py``)
at 1100 x 1300 CSS pixels and saves what a reader sees before scrolling.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def main(argv: list[str] | None = None) -> int:
    from browser import chromium_page, skip_reason

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", type=Path, help="a report.html")
    ap.add_argument("out", type=Path, help="PNG to write")
    ap.add_argument("--width", type=int, default=1100)
    ap.add_argument("--height", type=int, default=1300)
    args = ap.parse_args(argv)
    reason = skip_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    with chromium_page(args.width, args.height) as page:
        page.goto(args.report.resolve().as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
