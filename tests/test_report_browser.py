"""The comparison report in a real browser: headless Chromium (tests/browser.py) opens
report.html of a small sweep and checks what a reader would see.

- no raw Markdown in the rendered text (no ``**``, no backticks, no ``|---|`` table rules);
- the summary of findings and every section, in the issue's order, with their headings;
- every figure loaded (``naturalWidth > 0``) from the page itself (no file beside it is needed);
- in print, each section after the summary starts a new page, and the page prints to PDF on A4
  and on Letter (several pages, each the paper's size).

Skips, with the reason, only where no Chromium can be found (``apt-get install -y chromium``).
"""

from __future__ import annotations

import re
import shutil

import pytest
from browser import chromium_page
from helpers import tiny
from omegaconf import OmegaConf

from sim.config import load_config
from sim.model import GroomingModel
from sim.report import build_report
from sim.results import write_run

pytestmark = pytest.mark.slow  # a sweep, then headless Chromium

SECTIONS = ("summary", "baseline", "effects", "costs", "displacement", "assumptions", "appendix")
N_FIGURES = 5
#: Page sizes in PDF points (1/72 inch).
PAPER = {"A4": (595, 842), "Letter": (612, 792)}


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    """report.html of baseline_2019 and two scenarios over seeds 1-3, alone in its folder."""
    root = tmp_path_factory.mktemp("browser") / "sweep"
    for scenario in ("baseline_2019", "nspcc_package", "education"):
        cfg = load_config(tiny(f"scenario={scenario}"))
        for seed in (1, 2, 3):
            c = cfg.copy()
            OmegaConf.update(c, "seed", seed)
            model = GroomingModel(c).run(progress=False)
            write_run(model, root / f"{scenario}_seed{seed}", figures=False)
    build_report(root, quiet=True)
    alone = tmp_path_factory.mktemp("alone") / "report.html"
    shutil.copy(root / "report.html", alone)  # the page must stand alone to be forwarded
    return alone


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) of every page of a PDF written by Chromium."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


def test_report_in_headless_chromium(report_html, tmp_path):
    with chromium_page() as page:
        page.goto(report_html.as_uri())
        page.wait_for_load_state("load")
        text = page.inner_text("body")
        for token in ("**", "`", "|---|", "](", "## "):
            assert token not in text, f"raw Markdown {token!r} in the rendered page"
        # the summary, then every section in order, each with its heading shown
        tops = []
        for sid in SECTIONS:
            section = page.locator(f"section#{sid}")
            assert section.count() == 1, sid
            heading = section.locator("h2")
            assert heading.is_visible(), sid
            tops.append(section.bounding_box()["y"])
        assert tops == sorted(tops)
        findings = page.locator("#summary ul.findings li")
        assert findings.count() >= 3
        assert "in every 100,000 children" in findings.first.inner_text()
        assert "95% interval" in findings.first.inner_text()
        assert "Main caveat" in page.inner_text("#summary")
        # every figure decoded from the page itself
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        assert len(images) == N_FIGURES
        for complete, width, height in images:
            assert complete and width > 0 and height > 0
        # in print: a new page before every section but the summary
        page.emulate_media(media="print")
        breaks = page.evaluate(
            "Array.from(document.querySelectorAll('section')).map(s => getComputedStyle(s).breakBefore)"
        )
        assert breaks == ["auto"] + ["page"] * (len(SECTIONS) - 1), breaks
        for paper, (w, h) in PAPER.items():
            pdf = page.pdf(format=paper, print_background=True)
            assert pdf[:5] == b"%PDF-", paper
            pages = _pdf_pages(pdf)
            assert len(pages) >= len(SECTIONS), (paper, len(pages))
            assert all(abs(pw - w) < 2 and abs(ph - h) < 2 for pw, ph in pages), (paper, pages[:3])
        (tmp_path / "report.pdf").write_bytes(pdf)  # kept for a look when the test is run by hand
