"""Scenario comparison report (sim/report.py, sim/plots.py, sim/templates/) and the end-to-end
comparison command.

A tiny sweep folder is built in-process (2 scenarios x 3 seeds, written with
``sim.results.write_run`` as Hydra jobs would) and compared. Guards: the outputs exist
(comparison.csv with one row per scenario and metric, report.md, report.html with its figures
embedded, the five figures); the paired difference is the mean of the per-seed differences of
the summaries, and the rates per 100,000 are that difference over the stated denominator; the
statistics (now scipy.stats) and the terminal table (now pandas) give the numbers of the
hand-written code they replaced on a stored sweep (tests/data/report_reference.json); missing
pairs and incomplete jobs are listed, never silently dropped; runs with a different world are
refused unless ``allow_mixed``; a sweep without the baseline is refused with a message saying what
to do; the HTML has no raw Markdown and every section; ``python -m sim.report`` exits 0 / 2; and
``python -m sim -m experiment=compare_scenarios`` with a scenario list on the command line (the
documented way to compare a scenario of your own) runs exactly those scenarios. The page in a
real browser: tests/test_report_browser.py.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import run_model, tiny
from omegaconf import OmegaConf

from sim.config import load_config
from sim.model import GroomingModel
from sim.report import (
    AGE_METRICS,
    METRICS,
    Effect,
    ReportError,
    build_report,
    effect_table,
    effects,
    metric_specs,
    paired_interval,
)
from sim.results import Run, write_checksums, write_run

pytestmark = pytest.mark.slow  # builds sweeps through the real command line

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = (1, 2, 3)
OTHER = "nspcc_package"
FIGURES = (
    "exposure_by_scenario.png",
    "effects_forest.png",
    "age_bands.png",
    "costs.png",
    "offences_by_platform.png",
)
PLATFORMS = ("photo_social", "social", "ephemeral", "messenger", "gaming")
REFERENCE = PROJECT / "tests" / "data" / "report_reference.json"
SECTIONS = ("summary", "baseline", "effects", "costs", "displacement", "assumptions", "appendix")


def _get(d, dotted):
    for part in dotted.split("."):
        d = d[part]
    return d


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """Run folders only (no report yet): baseline_2019 and nspcc_package, seeds 1-3."""
    root = tmp_path_factory.mktemp("sweep") / "runs"
    other = load_config(tiny(f"scenario={OTHER}"))
    for seed in SEEDS:
        write_run(run_model(tiny(f"seed={seed}")), root / f"baseline_2019_seed{seed}", figures=False)
        cfg = other.copy()
        OmegaConf.update(cfg, "seed", seed)
        write_run(GroomingModel(cfg).run(progress=False), root / f"{OTHER}_seed{seed}", figures=False)
    return root


@pytest.fixture
def sweep(runs_dir, tmp_path):
    """A fresh copy of the run folders, which a test may change."""
    dst = tmp_path / "sweep"
    shutil.copytree(runs_dir, dst)
    return dst


@pytest.fixture(scope="module")
def built(runs_dir, tmp_path_factory):
    """The report of the full tiny sweep (read-only)."""
    dst = tmp_path_factory.mktemp("built") / "sweep"
    shutil.copytree(runs_dir, dst)
    build_report(dst, quiet=True)
    return dst


def read_csv(path: Path) -> list[dict]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def summaries(folder: Path) -> dict[tuple[str, int], dict]:
    out = {}
    for sub in folder.iterdir():
        f = sub / "summary.json"
        if f.is_file():
            s = json.loads(f.read_text())
            out[(s["scenario"], s["seed"])] = s
    return out


def test_report_outputs_exist(built):
    rows = read_csv(built / "comparison.csv")
    keys = [(r["scenario"], r["metric"]) for r in rows]
    plat = [f"by_platform.{p}.contacted" for p in PLATFORMS]
    plat += [f"offences_by_platform.{p}" for p in PLATFORMS]
    want = [(OTHER, k) for k, _, _ in METRICS + AGE_METRICS] + [(OTHER, k) for k in plat]
    assert sorted(keys) == sorted(want)  # one row per (scenario, metric), no baseline rows
    assert len(set(keys)) == len(keys)
    md = (built / "report.md").read_text()
    assert md.startswith("# Scenario comparison") and f"| {OTHER} |" in md
    assert "Warnings" not in md  # complete, consistent sweep
    html = (built / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "<table>" in html
    assert html.count('src="data:image/png;base64,') == len(FIGURES)
    assert "figures/" not in html  # self-contained: no link to a file beside it
    for f in FIGURES:
        p = built / "figures" / f
        assert p.is_file() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f


def _visible_text(html: str) -> str:
    """The page's text without tags, style and embedded images."""
    import re

    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_html_has_no_raw_markdown_and_every_section(built):
    import html as html_lib

    page = (built / "report.html").read_text()
    text = html_lib.unescape(_visible_text(page))
    for token in ("**", "`", "|---|", "](", "\n# ", "\n## "):
        assert token not in text, token
    positions = [page.index(f'<section id="{s}">') for s in SECTIONS]
    assert positions == sorted(positions)  # the order
    summary = page[positions[0] : positions[1]]
    assert summary.count("<li>") >= 3 and "in every 100,000 children reached sexual communication" in summary
    assert "Main caveat" in summary and "not estimates of real prevalence" in summary
    # the displacement ratio has its place, and offenders' adaptation is stated as configured
    assert 'id="ratio"' in page and "Offenders adapt" in page and "offenders.adaptation=" in page


def test_paired_difference_is_mean_of_per_seed_differences(built):
    from scipy import stats

    summ = summaries(built)
    rows = {r["metric"]: r for r in read_csv(built / "comparison.csv")}
    t = stats.t.ppf(0.975, len(SEEDS) - 1)
    nonzero = 0
    for key, _, _ in METRICS + AGE_METRICS:
        a = np.array([_get(summ[(OTHER, s)], key) for s in SEEDS], float)
        b = np.array([_get(summ[("baseline_2019", s)], key) for s in SEEDS], float)
        d = a - b
        r = rows[key]
        assert int(r["n_pairs"]) == len(SEEDS)
        # comparison.csv keeps 6 significant digits: relative tolerance 1e-5
        assert float(r["diff"]) == pytest.approx(d.mean(), rel=1e-5, abs=1e-9), key
        assert float(r["mean_scenario"]) == pytest.approx(a.mean(), rel=1e-5, abs=1e-9), key
        assert float(r["mean_baseline"]) == pytest.approx(b.mean(), rel=1e-5, abs=1e-9), key
        half = t * d.std(ddof=1) / math.sqrt(len(SEEDS))
        assert float(r["diff_low"]) == pytest.approx(d.mean() - half, rel=1e-5, abs=1e-6), key
        assert float(r["diff_high"]) == pytest.approx(d.mean() + half, rel=1e-5, abs=1e-6), key
        rel = math.expm1(np.mean(np.log(a + 0.5) - np.log(b + 0.5)))
        assert float(r["rel"]) == pytest.approx(rel, rel=1e-5, abs=1e-9), key
        nonzero += bool(np.any(d != 0))
    # positive control: the package changes most metrics, and not by the same amount per seed
    assert nonzero >= 6
    d = np.array(
        [
            summ[(OTHER, s)]["children_contacted"] - summ[("baseline_2019", s)]["children_contacted"]
            for s in SEEDS
        ]
    )
    assert d.mean() < 0 and len(set(d.tolist())) > 1


def test_missing_pair_is_listed(sweep, capsys):
    shutil.rmtree(sweep / f"{OTHER}_seed2")
    build_report(sweep)
    rows = read_csv(sweep / "comparison.csv")
    assert {int(r["n_pairs"]) for r in rows} == {2}
    md = (sweep / "report.md").read_text()
    assert "**Warnings.**" in md
    assert f"`{OTHER}`: seeds without a partner run [2]" in md
    assert "warning: missing or incomplete jobs" in capsys.readouterr().out


def test_incomplete_job_folder_is_listed(sweep):
    (sweep / "baseline_2019_seed9").mkdir()  # Hydra made the job's folder; the job never finished
    (sweep / ".nspcc_package_seed9.partial-123").mkdir()
    build_report(sweep, quiet=True)
    md = (sweep / "report.md").read_text()
    assert "incomplete job folder `baseline_2019_seed9`" in md
    assert "incomplete job folder `.nspcc_package_seed9.partial-123`" in md
    assert {int(r["n_pairs"]) for r in read_csv(sweep / "comparison.csv")} == {3}


def test_mixed_configs_refused_unless_allowed(sweep):
    m = run_model(tiny("seed=4", "population.n_children=310"))
    write_run(m, sweep / "baseline_2019_seed4", figures=False)
    with pytest.raises(ReportError, match="population") as e:
        build_report(sweep, quiet=True)
    assert "--allow-mixed" in str(e.value)
    assert not (sweep / "comparison.csv").exists()
    build_report(sweep, allow_mixed=True, quiet=True)
    md = (sweep / "report.md").read_text()
    assert "baseline_2019_seed4: 'population' differs" in md
    assert f"`{OTHER}`: seeds without a partner run [4]" in md


def test_no_baseline_is_refused(sweep):
    for s in SEEDS:
        shutil.rmtree(sweep / f"baseline_2019_seed{s}")
    with pytest.raises(ReportError) as e:
        build_report(sweep, quiet=True)
    msg = str(e.value)
    assert "baseline scenario 'baseline_2019'" in msg and OTHER in msg and "--baseline" in msg
    assert not (sweep / "comparison.csv").exists()


def test_other_baseline_can_be_named(sweep):
    build_report(sweep, baseline=OTHER, quiet=True)
    rows = read_csv(sweep / "comparison.csv")
    assert {r["scenario"] for r in rows} == {"baseline_2019"}


def test_one_scenario_with_other_knobs_is_refused(sweep):
    """A run named like a scenario of the sweep but run with other intervention settings is never
    pooled with it (nor described with the other runs' knobs)."""
    m = run_model(tiny("seed=1", "scenario.name=nspcc_package", "interventions.ai_detection.enabled=true"))
    write_run(m, sweep / "dup_nspcc_seed1", figures=False)
    with pytest.raises(ReportError, match="scenario 'nspcc_package' ran with other 'interventions' settings"):
        build_report(sweep, quiet=True)
    assert not (sweep / "comparison.csv").exists()


# ------------------------------------------------------------------------------------------
# The statistics against the code they replaced, on a stored sweep
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference():
    """Summaries of a fixed sweep and the numbers the hand-written statistics gave for them."""
    ref = json.loads(REFERENCE.read_text())
    runs = [
        Run(Path(f"{r['scenario']}_seed{r['seed']}"), r["scenario"], r["seed"], r["summary"], {}, None)
        for r in ref["runs"]
    ]
    return ref, runs


def test_scipy_statistics_give_the_hand_written_numbers(reference):
    """Same inputs, same numbers: ttest_rel's interval is the t-interval the old code built by
    hand. Tolerance: relative 1e-9 (the same formulas in another order of floating-point
    operations); nan where the old code gave nan."""
    ref, runs = reference
    new = {(e.scenario, e.metric): e for e in effects(runs)[0]}
    assert len(ref["effects"]) >= 30
    nonzero_width = 0
    for old in ref["effects"]:
        e = new[(old["scenario"], old["metric"])]
        for name, want in old.items():
            got = getattr(e, name)
            if isinstance(want, float) and math.isnan(want):
                assert math.isnan(got), (old["metric"], name)
            elif isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (old["scenario"], old["metric"], name)
            else:
                assert got == want, (old["metric"], name)
        nonzero_width += e.diff_high > e.diff_low
    assert nonzero_width >= 20  # the intervals compared are real intervals, not points


def _numbers_by_row(table: str) -> dict[str, list[float]]:
    import re

    out = {}
    for line in table.splitlines()[1:]:
        if line.startswith("("):
            continue
        name = line.split()[0]
        out[name] = [float(x.replace(",", "")) for x in re.findall(r"[+-][\d,]+\.\d", line)]
    return out


def test_terminal_table_has_the_numbers_of_the_old_table(reference):
    """Every number of the old hand-formatted table, per scenario, in the pandas table: equal to
    0.05 (both print one decimal of the same values)."""
    ref, runs = reference
    table = effect_table(effects(runs)[0])
    old, new = _numbers_by_row(ref["table"]), _numbers_by_row(table)
    assert set(old) == set(new) == {"nspcc_package", "education"}
    for sc in old:
        assert len(new[sc]) == len(old[sc]) == 13, sc  # 3 x (value, low, high) + 4 costs
        assert new[sc] == pytest.approx(old[sc], abs=0.05), sc


def test_terminal_table_columns_are_aligned_and_never_run_together(reference):
    import re

    _, runs = reference
    table = effect_table(effects(runs)[0])
    lines = [line for line in table.splitlines() if not line.startswith("(")]
    header = lines[0]
    heads = (
        "contacted",
        "sexual comm.",
        "image",
        "wrong flags",
        "wrong bans",
        "reviews",
        "benign sugg. ties",
    )
    for head in heads:
        assert re.search(rf"(^|   ){re.escape(head)}", header), head  # 3 spaces before each column
    # every column ends at the same place in every row (right-aligned under its header)
    ends = [m.end() for m in re.finditer(r"\S+(?= {3}|$)", header)]
    for line in lines[1:]:
        assert len(line) == len(header), line
        for end in ends:
            assert line[end - 1] != " ", (end, line)
    # sorted by the effect on sexual communication: the package (-60%) before education (-11%)
    assert lines[1].startswith("nspcc_package") and lines[2].startswith("education")


def test_paired_interval_edge_cases():
    from scipy import stats

    rng = np.random.default_rng(1)
    a, b = rng.normal(10, 3, 7), rng.normal(9, 3, 7)
    d = a - b
    half = stats.t.ppf(0.975, 6) * d.std(ddof=1) / math.sqrt(7)
    assert paired_interval(a, b) == pytest.approx((d.mean(), d.mean() - half, d.mean() + half), rel=1e-12)
    # identical differences: the interval is the difference itself (no warning, no nan)
    assert paired_interval(np.array([5.0, 6, 7]), np.array([3.0, 4, 5])) == (2.0, 2.0, 2.0)
    one = paired_interval(np.array([5.0]), np.array([3.0]))
    assert one[0] == 2.0 and math.isnan(one[1]) and math.isnan(one[2])
    assert all(math.isnan(x) for x in paired_interval(np.array([]), np.array([])))


def test_rates_per_100000_use_the_stated_denominators(built):
    summ = summaries(built)
    s0 = summ[("baseline_2019", 1)]
    rows = {r["metric"]: r for r in read_csv(built / "comparison.csv")}
    # children's stages: per 100,000 children
    r = rows["children_contacted"]
    assert r["per_100k_of"] == "children"
    assert float(r["diff_per_100k"]) == pytest.approx(float(r["diff"]) * 1e5 / s0["children"], rel=1e-5)
    # age bands: per 100,000 children in the band
    r = rows["by_age_band.12-13.sexual_communication"]
    assert r["per_100k_of"] == "children aged 12-13"
    band = np.mean([summ[("baseline_2019", s)]["population_by_age_band"]["12-13"] for s in SEEDS])
    assert float(r["diff_per_100k"]) == pytest.approx(float(r["diff"]) * 1e5 / band, rel=1e-5)
    # costs: per 100,000 users (children and adults) a year, scaled from the run's days
    r = rows["reviews"]
    assert r["per_100k_of"] == "users a year"
    users = s0["children"] + s0["adults"]
    want = float(r["diff"]) * 1e5 / users * 365 / s0["days"]
    assert float(r["diff_per_100k"]) == pytest.approx(want, rel=1e-5)
    assert float(r["diff"]) != 0  # the package changes the reviews, so the check has teeth


def _doctored_copy(runs_dir, tmp_path, edit) -> Path:
    dst = tmp_path / "doctored"
    shutil.copytree(runs_dir, dst)
    for sub in dst.iterdir():
        f = sub / "summary.json"
        if f.is_file():
            s = json.loads(f.read_text())
            edit(s)
            f.write_text(json.dumps(s))
            write_checksums(sub)  # a deliberate edit: the run's checksums follow it
    return dst


def _as_scenario(base_dir: Path, dst: Path, name: str, enable: dict, edit) -> None:
    """Copy a baseline run folder as scenario ``name`` with the interventions ``enable``
    ({intervention: {knob: value}}) switched on in its config and ``edit`` applied to its summary:
    a sweep whose numbers are known exactly, for the report's arithmetic."""
    import yaml

    shutil.copytree(base_dir, dst)
    cfg = yaml.safe_load((dst / "config.yaml").read_text())
    cfg["scenario"]["name"] = name
    for iv, knobs in enable.items():
        cfg["interventions"][iv].update({"enabled": True, **knobs})
    (dst / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    s = json.loads((dst / "summary.json").read_text())
    s["scenario"] = name
    edit(s)
    (dst / "summary.json").write_text(json.dumps(s))
    write_checksums(dst)


@pytest.fixture(scope="module")
def known_sweep(runs_dir, tmp_path_factory):
    """baseline_2019 with 4 more first contacts and 2 more offences on photo_social than its
    copies; ``limited`` (private by default on photo_social and social only) gains 1 first
    contact on messenger and 1 offence on gaming; ``idle`` (photo_social only) prevents nothing
    there; the detector, capacity and both scenarios add
    2, 1 and 7 offender bans."""
    dst = tmp_path_factory.mktemp("known") / "sweep"
    dst.mkdir()
    cap = {"review_capacity_multiplier": 10.0, "report_handling_speedup": 1.0, "detection_multiplier": 1.0}

    def bans(n):
        def edit(s):
            s["bans"] += n

        return edit

    def limited(s):
        s["by_platform"]["messenger"]["contacted"] += 1
        s["offences_by_platform"]["gaming"] += 1

    def idle(s):  # as many first contacts and offences on photo_social as the baseline
        s["by_platform"]["photo_social"]["contacted"] += 4
        s["offences_by_platform"]["photo_social"] += 2

    for seed in SEEDS:
        src = runs_dir / f"baseline_2019_seed{seed}"
        _as_scenario(
            src,
            dst / f"limited_seed{seed}",
            "limited",
            {"private_by_default": {"platforms": ["photo_social", "social"]}},
            limited,
        )
        _as_scenario(
            src,
            dst / f"idle_seed{seed}",
            "idle",
            {"private_by_default": {"platforms": ["photo_social"]}},
            idle,
        )
        _as_scenario(src, dst / f"det_seed{seed}", "det", {"ai_detection": {}}, bans(2))
        _as_scenario(src, dst / f"cap_seed{seed}", "cap", {"duty_of_care": cap}, bans(1))
        _as_scenario(
            src, dst / f"both_seed{seed}", "both", {"ai_detection": {}, "duty_of_care": cap}, bans(7)
        )
        b = dst / f"baseline_2019_seed{seed}"
        shutil.copytree(src, b)
        s = json.loads((b / "summary.json").read_text())
        s["by_platform"]["photo_social"]["contacted"] += 4
        s["offences_by_platform"]["photo_social"] += 2
        (b / "summary.json").write_text(json.dumps(s))
        write_checksums(b)
    build_report(dst, quiet=True)
    return dst


def test_displacement_ratio_of_a_scenario_on_some_platforms(known_sweep):
    """4 first contacts prevented where it acts, 1 gained elsewhere: ratio 0.25; offences 2 and 1: 0.5."""
    page = (known_sweep / "report.html").read_text().replace("\u2212", "-")
    part = page[page.index('id="ratio"') : page.index('<section id="assumptions">')]
    rows = [r for r in part.split("<tr>") if r.startswith("<td>limited</td>")]
    assert len(rows) == 2, part
    assert "photo_social, social" in rows[0] and ">0.25<" in rows[0]
    assert ">0.50<" in rows[1]
    md = (known_sweep / "report.md").read_text()
    assert "| limited | children first contacted | photo_social, social |" in md
    # nothing prevented where it acts: no ratio (it would divide by zero or by noise)
    idle = [r for r in part.split("<tr>") if r.startswith("<td>idle</td>")]
    assert len(idle) == 2 and all(">not defined<" in r for r in idle), idle
    # a scenario on every platform (capacity: duty_of_care everywhere) has no ratio row
    assert not [r for r in part.split("<tr>") if r.startswith("<td>cap</td>")]


def test_no_ratio_when_every_scenario_acts_everywhere(built):
    page = (built / "report.html").read_text()
    part = page[page.index('id="ratio"') : page.index('<section id="assumptions">')]
    assert "Every scenario here acts on all platforms" in part


def test_detector_capacity_and_both_side_by_side(known_sweep, runs_dir):
    """Bans +2, +1 and +7 per run: the two together do 4 more than the sum of each alone."""
    per = 1e5 / json.loads((runs_dir / "baseline_2019_seed1" / "summary.json").read_text())["children"]
    page = (known_sweep / "report.html").read_text().replace("\u2212", "-")
    part = page[page.index('id="detector"') : page.index('<section id="costs">')]
    assert "<code>det</code>" in part and "<code>cap</code>" in part and "<code>both</code>" in part
    row = next(r for r in part.split("<tr>") if r.startswith('<td class="text">offender bans'))
    cells = [c.split("</span>")[0].split(">")[-1] for c in row.split('<span class="nw">')[1:]]
    from sim.report import fmt_rate

    assert cells == [fmt_rate(v * per, sign=True) for v in (2, 1, 7, 4)], row


def test_accounts_are_the_denominator_when_the_runs_record_them(runs_dir, tmp_path):
    def add(s):
        s["accounts"] = 3 * (s["children"] + s["adults"])

    sweep = _doctored_copy(runs_dir, tmp_path, add)
    build_report(sweep, quiet=True)
    rows = {r["metric"]: r for r in read_csv(sweep / "comparison.csv")}
    assert rows["reviews"]["per_100k_of"] == "accounts a year"
    assert "per 100,000 accounts a year" in (sweep / "report.html").read_text()


def test_metric_specs_follow_the_platforms_of_the_runs(reference):
    _, runs = reference
    keys = [k for k, _, _ in metric_specs(runs)]
    assert [k for k in keys if k.startswith("offences_by_platform.")] == [
        f"offences_by_platform.{p}" for p in PLATFORMS
    ]
    assert isinstance(effects(runs)[0][0], Effect)


def report_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.report", *args], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def test_report_cli_exit_codes(sweep, tmp_path):
    ok = report_cli(str(sweep))
    assert ok.returncode == 0, ok.stderr
    assert "paired with baseline by seed, n = 3 pairs" in ok.stdout
    assert (sweep / "comparison.csv").is_file()
    missing = report_cli(str(tmp_path / "no_such_folder"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error:") and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = report_cli(str(empty))
    assert none.returncode == 2 and none.stderr.startswith("error:")
    assert "no complete run folders" in none.stderr


def sweep_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", "-m", "experiment=compare_scenarios", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_compare_scenarios_end_to_end(tmp_path):
    """The comparison command on a tiny world with a scenario list on the command line: the list
    replaces the experiment's eleven (Hydra's sweeper lets a command-line sweep of a key override
    the same key in hydra.sweeper.params)."""
    sweep = tmp_path / "sweep"
    proc = sweep_cli(
        "population.n_children=300",
        "burn_in_days=0",
        "population.n_adults=600",
        "offenders.per_1000_children=40",
        "days=20",
        "seed=1,2",
        f"hydra.sweep.dir={sweep}",
        f"scenario=baseline_2019,{OTHER}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name != "figures")
    rest = (
        "burn_in_days=0,days=20,offenders.per_1000_children=40,"
        "population.n_adults=600,population.n_children=300"
    )
    assert jobs == [
        f"baseline_2019_seed1_{rest}",
        f"baseline_2019_seed2_{rest}",
        f"nspcc_package_seed1_{rest}",
        f"nspcc_package_seed2_{rest}",
    ]
    for f in ("comparison.csv", "report.md", "report.html"):
        assert (sweep / f).is_file(), f
    assert sorted(p.name for p in (sweep / "figures").glob("*.png")) == sorted(FIGURES)
    # the effect table is printed, and where the report is
    assert "all jobs finished; comparing scenarios" in proc.stdout
    assert "sexual comm." in proc.stdout and "\nnspcc_package " in proc.stdout
    assert "paired with baseline by seed, n = 2 pairs" in proc.stdout
    assert f"report: {sweep / 'report.html'}" in proc.stdout
    rows = read_csv(sweep / "comparison.csv")
    assert {r["scenario"] for r in rows} == {"nspcc_package"}
    assert {int(r["n_pairs"]) for r in rows} == {2}
    # the jobs ran the tiny world they were asked for
    s = json.loads((sweep / f"nspcc_package_seed2_{rest}" / "summary.json").read_text())
    assert (s["children"], s["days"], s["seed"]) == (300, 20, 2)
    # the appendix names the command that ran the sweep (from Hydra's multirun.yaml)
    assert f"scenario=baseline_2019,{OTHER}" in (sweep / "report.html").read_text()


MY_SCENARIO = """# @package _global_
scenario:
  name: {name}
  description: "A test scenario: education with a stronger effect"
interventions:
  education:
    enabled: true
    accept_multiplier: 0.2
"""


@pytest.fixture
def my_scenario():
    """A scenario file of one's own in conf/scenario/ (removed afterwards)."""
    name = f"zz_test_my_scenario_{os.getpid()}"
    path = PROJECT / "conf" / "scenario" / f"{name}.yaml"
    path.write_text(MY_SCENARIO.format(name=name))
    try:
        yield name
    finally:
        path.unlink(missing_ok=True)


def test_compare_your_own_scenario_with_the_baseline(my_scenario, tmp_path):
    """The command experiments/README.md documents for a scenario of your own."""
    sweep = tmp_path / "mine"
    tiny_world = (
        "population.n_children=60",
        "burn_in_days=0",
        "population.n_adults=120",
        "days=5",
        "seed=1,2",
    )
    proc = sweep_cli(*tiny_world, f"scenario=baseline_2019,{my_scenario}", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name != "figures")
    rest = "burn_in_days=0,days=5,population.n_adults=120,population.n_children=60"
    assert jobs == [f"baseline_2019_seed{s}_{rest}" for s in (1, 2)] + [
        f"{my_scenario}_seed{s}_{rest}" for s in (1, 2)
    ]
    assert f"\n{my_scenario} " in proc.stdout  # its row in the effect table
    html = (sweep / "report.html").read_text()
    assert "A test scenario: education with a stronger effect" in html  # its description
    assert "accept multiplier: 0.2" in html  # and its settings, in words
    # The form experiments/README.md used to give fails in Hydra before any job runs.
    bad = sweep_cli(
        *tiny_world,
        f"hydra.sweeper.params.scenario=baseline_2019,{my_scenario}",
        f"hydra.sweep.dir={tmp_path / 'bad'}",
    )
    assert bad.returncode != 0
    assert "Sweeping over Hydra's configuration is not supported" in bad.stderr
    assert not (tmp_path / "bad").exists()
