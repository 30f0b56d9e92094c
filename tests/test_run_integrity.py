"""Run folders that cannot be trusted are refused, never pooled (issue "Reliability and security,
round two", cases 5-8).

A tiny sweep (baseline_2019 and nspcc_package, seeds 1-2) is written in-process as Hydra jobs
would write it, then damaged or mixed in the ways the review found: runs from different code
(case 5), one scenario with different knobs (6, also in tests/test_report.py), a sweep whose
multirun.yaml lists jobs that never ran (7), and seven kinds of damaged folder plus a missing
figure (8). Each refusal is one ReportError naming the folder and what is wrong; the resume check
(``is_complete``) and the report agree on what is complete.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import tiny

from sim.config import load_config
from sim.model import GroomingModel
from sim.report import ReportError, build_report
from sim.results import code_hash, is_complete, run_problem, source_hash, write_checksums, write_run

pytestmark = pytest.mark.slow  # builds a small sweep of real runs
PROJECT = Path(__file__).resolve().parent.parent
SEEDS = (1, 2)
SCENARIOS = ("baseline_2019", "nspcc_package")


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity") / "runs"
    for sc in SCENARIOS:
        for seed in SEEDS:
            model = GroomingModel(load_config(tiny(f"scenario={sc}", f"seed={seed}"))).run(progress=False)
            write_run(model, root / f"{sc}_seed{seed}", figures=False)
    return root


@pytest.fixture
def sweep(runs_dir, tmp_path):
    dst = tmp_path / "sweep"
    shutil.copytree(runs_dir, dst)
    return dst


def test_a_fresh_sweep_is_complete_and_compared(sweep):
    assert all(is_complete(p) for p in sweep.iterdir())
    build_report(sweep, quiet=True)
    assert (sweep / "report.md").is_file()


def test_code_hash_follows_every_source_file(tmp_path):
    pkg = tmp_path / "sim"
    shutil.copytree(PROJECT / "sim", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    assert source_hash(pkg) == code_hash()  # the running code is the package's source
    f = pkg / "model.py"
    f.write_text(f.read_text() + "\n# an edit\n")
    assert source_hash(pkg) != code_hash()


def test_runs_from_different_code_are_refused(sweep):
    """Case 5: a resume after editing the code (git says only 'dirty') used to be pooled."""
    run = sweep / "nspcc_package_seed2"
    meta = json.loads((run / "metadata.json").read_text())
    meta["code_sha256"] = "0" * 64  # what a run of an edited sim/model.py records
    (run / "metadata.json").write_text(json.dumps(meta))
    write_checksums(run)
    with pytest.raises(ReportError, match="nspcc_package_seed2: made by different code"):
        build_report(sweep, quiet=True)
    assert not (sweep / "comparison.csv").exists()


def test_jobs_of_multirun_yaml_without_a_folder_are_listed(sweep, capsys):
    """Case 7: after a killed sweep, the jobs that never started are named."""
    (sweep / "multirun.yaml").write_text(
        "hydra:\n  sweeper:\n    params:\n      scenario: baseline_2019,nspcc_package,education\n"
        "      seed: range(1,4)\n  overrides:\n    task:\n    - population.n_children=300\n"
    )
    build_report(sweep)
    out = capsys.readouterr().out
    md = (sweep / "report.md").read_text()
    never = [f"scenario={sc} seed={s}" for sc in (*SCENARIOS, "education") for s in (1, 2, 3)]
    never = [j for j in never if not any(j == f"scenario={sc} seed={s}" for sc in SCENARIOS for s in SEEDS)]
    assert len(never) == 5  # education x 3, and seed 3 of both scenarios that ran
    for job in never:
        assert f"job {job} of multirun.yaml has no complete run folder" in out
        assert f"job {job} of multirun.yaml has no complete run folder" in md
    assert "scenario=baseline_2019 seed=1 of" not in md


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])


def _edit_json(name, edit):
    def go(run: Path) -> None:
        d = json.loads((run / name).read_text())
        edit(d)
        (run / name).write_text(json.dumps(d))
        write_checksums(run)  # even with matching checksums, the content is checked

    return go


DAMAGE = {
    "truncated summary.json": (
        lambda r: _truncate(r / "summary.json"),
        "summary.json does not match its checksum",
    ),
    "empty summary.json": (lambda r: (r / "summary.json").write_text(""), "summary.json does not match"),
    "a missing key": (_edit_json("summary.json", lambda d: d.pop("seed")), "summary.json lacks seed"),
    "a non-numeric seed": (
        _edit_json("summary.json", lambda d: d.update(seed="one")),
        "seed 'one' is not an integer",
    ),
    "truncated timeseries.csv": (lambda r: _truncate(r / "timeseries.csv"), "timeseries.csv does not match"),
    "a tagged config.yaml": (
        lambda r: (
            (r / "config.yaml").write_text("seed: !!python/object/apply:os.system ['true']\n"),
            write_checksums(r),
        ),
        "config.yaml cannot be read",
    ),
    "a hand-edited count": (
        lambda r: (r / "summary.json").write_text(
            json.dumps(json.loads((r / "summary.json").read_text()) | {"children_contacted": 10**9})
        ),
        "summary.json does not match its checksum",
    ),
    "a missing figure": (
        lambda r: (
            (r / "figures").mkdir(),
            (r / "figures" / "exposure.png").write_bytes(b"png"),
            write_checksums(r),
            (r / "figures" / "exposure.png").unlink(),
        ),
        "figures/exposure.png is missing",
    ),
    "no checksums": (lambda r: (r / "checksums.json").unlink(), "missing checksums.json"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_run_is_refused_with_one_message(sweep, case):
    """Case 8: each kind of damage gives one ReportError naming the folder and what is wrong (no
    traceback), and resume agrees that the folder is not complete."""
    damage, expect = DAMAGE[case]
    run = sweep / "baseline_2019_seed2"
    damage(run)
    assert not is_complete(run)
    assert expect in run_problem(run)
    with pytest.raises(ReportError) as e:
        build_report(sweep, quiet=True)
    assert f"run folder {run}:" in str(e.value) and expect in str(e.value)
    assert not (sweep / "comparison.csv").exists()
