"""Scenario comparison report (sim/report.py) and the end-to-end comparison command.

A tiny sweep folder is built in-process (2 scenarios x 3 seeds, written with
``sim.results.write_run`` as Hydra jobs would) and compared. Guards: the outputs exist
(comparison.csv with one row per scenario and metric, report.md, report.html with its figures
embedded, the four figures); the paired difference is the mean of the per-seed differences of
the summaries; missing pairs and incomplete jobs are listed, never silently dropped; runs with a
different world are refused unless ``allow_mixed``; a sweep without the baseline is refused with
a message saying what to do; ``python -m sim.report`` exits 0 / 2; and ``python -m sim -m
experiment=compare_scenarios`` on a tiny world writes the whole comparison and prints the table.
"""

from __future__ import annotations

import csv
import json
import math
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
from sim.report import AGE_METRICS, METRICS, ReportError, build_report
from sim.results import write_run

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = (1, 2, 3)
OTHER = "nspcc_package"
FIGURES = ("exposure_by_scenario.png", "effects_forest.png", "age_bands.png", "offences_by_platform.png")


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
    want = [(OTHER, k) for k, _, _ in METRICS + AGE_METRICS]
    assert sorted(keys) == sorted(want)  # one row per (scenario, metric), no baseline rows
    assert len(set(keys)) == len(keys)
    md = (built / "report.md").read_text()
    assert "# Scenario comparison" in md and f"| {OTHER} |" in md
    assert "Warnings" not in md  # complete, consistent sweep
    html = (built / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "<table>" in html
    assert html.count("src='data:image/png;base64,") == len(FIGURES)
    for f in FIGURES:
        p = built / "figures" / f
        assert p.is_file() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f
        assert f"figures/{f}" in md


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
    broken = sweep / "baseline_2019_seed9"
    broken.mkdir()
    (broken / "config.yaml").write_text("seed: 9\n")
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


def test_duplicate_scenario_seed_is_not_silently_dropped(sweep):
    m = run_model(tiny("seed=1", "scenario.name=nspcc_package", "interventions.ai_detection.enabled=true"))
    write_run(m, sweep / "dup_nspcc_seed1", figures=False)
    try:
        build_report(sweep, quiet=True)
    except ReportError:
        return  # refusing is fine
    md = (sweep / "report.md").read_text()
    assert "dup_nspcc_seed1" in md  # or listed as a warning


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


def test_compare_scenarios_end_to_end(tmp_path):
    """The documented comparison command on a tiny world. The sweeper's scenario list is
    replaced with a quoted value: an unquoted comma list is a sweep over a hydra key, which
    Hydra refuses ("Sweeping over Hydra's configuration is not supported")."""
    sweep = tmp_path / "sweep"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "-m",
            "experiment=compare_scenarios",
            "population.n_children=300",
            "population.n_adults=600",
            "population.offender_share=0.02",
            "days=20",
            "seed=1,2",
            f"hydra.sweep.dir={sweep}",
            "hydra.sweeper.params.scenario='baseline_2019,nspcc_package'",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and p.name != "figures")
    assert jobs == [
        "baseline_2019_seed1",
        "baseline_2019_seed2",
        "nspcc_package_seed1",
        "nspcc_package_seed2",
    ]
    for f in ("comparison.csv", "report.md", "report.html"):
        assert (sweep / f).is_file(), f
    assert sorted(p.name for p in (sweep / "figures").glob("*.png")) == sorted(FIGURES)
    # the effect table is printed
    assert "all jobs finished; comparing scenarios" in proc.stdout
    assert "sexual comm." in proc.stdout and "\nnspcc_package " in proc.stdout
    assert "paired with baseline by seed, n = 2 pairs" in proc.stdout
    rows = read_csv(sweep / "comparison.csv")
    assert {r["scenario"] for r in rows} == {"nspcc_package"}
    assert {int(r["n_pairs"]) for r in rows} == {2}
    # the jobs ran the tiny world they were asked for
    s = json.loads((sweep / "nspcc_package_seed2" / "summary.json").read_text())
    assert (s["children"], s["days"], s["seed"]) == (300, 20, 2)
