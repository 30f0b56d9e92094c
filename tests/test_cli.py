"""``python -m sim`` end to end, as a user runs it (a real subprocess).

Guards the command line: a small run exits 0 and leaves a complete run folder (config.yaml,
metadata.json, timeseries.csv, summary.json, figures/exposure.png) whose summary equals the
in-process result for the same config; a bad value exits with status 2 and one ``error:`` line
naming the key, with no traceback and no run folder; an unknown key or a wrong type is refused by
Hydra at start-up, again without a traceback or a run folder.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_model, tiny
from omegaconf import OmegaConf

from sim.config import AGE_BANDS, STAGES
from sim.results import summary_json

pytestmark = pytest.mark.slow  # the real command line in subprocesses

PROJECT = Path(__file__).resolve().parent.parent
RUN_OVERRIDES = tiny("days=10")

SUMMARY_KEYS = (
    "children",
    "adults",
    "offenders",
    "children_contacted",
    "children_engaged",
    "children_sexual_communication",
    "children_image",
    "children_coercion_or_meeting",
    "recorded_offences",
    "offenders_banned",
    "offender_returns",
    "reports",
    "ties_created_by_suggestion",
    "by_age_band",
    "by_sex",
    "by_platform",
    "by_channel",
)


def sim_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=PROJECT, capture_output=True, text=True, timeout=timeout
    )


def assert_no_run_folder(run_dir: Path) -> None:
    assert not run_dir.exists() or not any(run_dir.iterdir()), list(run_dir.iterdir())
    assert not list(run_dir.parent.glob(f".{run_dir.name}.partial*"))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("cli") / "run"
    proc = sim_cli(*RUN_OVERRIDES, f"hydra.run.dir={run_dir}")
    return proc, run_dir


def test_small_run_exits_0_with_complete_folder(cli_run):
    proc, run_dir = cli_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    for f in ("config.yaml", "metadata.json", "timeseries.csv", "summary.json", "figures/exposure.png"):
        assert (run_dir / f).is_file(), f
    # written atomically: no temporary folder left beside it
    assert not list(run_dir.parent.glob(".*partial*"))
    # the summary table is printed, and Mesa's per-step log is not
    assert "children who reached" in proc.stdout
    assert str(run_dir) in proc.stdout
    assert "calling model.step" not in proc.stdout + proc.stderr


def test_metadata(cli_run):
    _, run_dir = cli_run
    meta = json.loads((run_dir / "metadata.json").read_text())
    for key in ("seed", "versions", "git", "wall_seconds", "backend", "threads"):
        assert key in meta, key
    assert meta["seed"] == 42 and meta["backend"] == "numba" and meta["threads"] == 1
    assert meta["versions"]["python"] == sys.version.split()[0]
    for pkg in ("numpy", "numba", "mesa", "networkx", "hydra-core"):
        assert meta["versions"][pkg] not in ("", None, "not installed"), pkg
    commit = meta["git"]["commit"]  # the project is a git checkout
    assert isinstance(commit, str) and len(commit) == 40
    # git is never run (its config could run commands), so whether the tree was dirty is not
    # known; the source hash says exactly which code ran
    assert meta["git"]["dirty"] is None
    assert len(meta["code_sha256"]) == 64 and int(meta["code_sha256"], 16) >= 0
    assert meta["wall_seconds"]["total"] > 0


def test_timeseries_csv(cli_run):
    _, run_dir = cli_run
    rows = list(csv.reader(io.StringIO((run_dir / "timeseries.csv").read_text())))
    assert rows[0][0] == "day"
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 11))  # one row per day
    assert all(len(r) == len(rows[0]) for r in rows)
    for s in STAGES:
        assert f"new_children_{s}" in rows[0]


def test_summary_json(cli_run):
    _, run_dir = cli_run
    text = (run_dir / "summary.json").read_text()
    s = json.loads(text)
    for key in SUMMARY_KEYS:
        assert key in s, key
    assert (s["children"], s["adults"], s["offenders"]) == (300, 600, 12)
    assert tuple(s["by_age_band"]) == AGE_BANDS
    # the same config in-process gives the same bytes
    assert text == summary_json(run_model(RUN_OVERRIDES))


def test_config_yaml_is_the_resolved_config(cli_run):
    _, run_dir = cli_run
    cfg = OmegaConf.load(run_dir / "config.yaml")
    assert (cfg.seed, cfg.days, cfg.backend) == (42, 10, "numba")
    assert cfg.population.n_children == 300 and cfg.offenders.per_1000_children == 40
    assert set(cfg.platforms) and "hydra" not in cfg


def test_exposure_figure_is_a_png(cli_run):
    _, run_dir = cli_run
    data = (run_dir / "figures" / "exposure.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000


@pytest.mark.parametrize(
    "override, key",
    [
        ("days=0", "days"),
        ("population.share_girls=2", "population.share_girls"),
        ("platforms.gaming.suggestion_rule=katz", "platforms.gaming.suggestion_rule"),
    ],
)
def test_bad_value_exits_2_with_one_error_line(tmp_path, override, key):
    run_dir = tmp_path / "run"
    proc = sim_cli(*tiny(override), f"hydra.run.dir={run_dir}")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:")
    assert key in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert_no_run_folder(run_dir)


@pytest.mark.parametrize(
    "override, key",
    [("population.n_kids=3", "n_kids"), ("days=abc", "days")],
)
def test_unknown_key_or_wrong_type_refused_at_start_up(tmp_path, override, key):
    run_dir = tmp_path / "run"
    proc = sim_cli(*tiny(override), f"hydra.run.dir={run_dir}")
    assert proc.returncode != 0
    assert key in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert_no_run_folder(run_dir)


def test_second_run_into_a_used_folder_is_refused_cleanly(cli_run, tmp_path):
    import shutil

    _, first = cli_run
    run_dir = tmp_path / "run"
    shutil.copytree(first, run_dir)
    before = {p.name: p.read_bytes() for p in run_dir.glob("*.*")}
    proc = sim_cli(*RUN_OVERRIDES, "seed=43", f"hydra.run.dir={run_dir}")
    # the earlier results are left as they were
    assert {p.name: p.read_bytes() for p in run_dir.glob("*.*")} == before
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and str(run_dir) in lines[0]


def test_hydra_flags_with_values_are_not_taken_for_overrides():
    """`python -m sim --cfg job` prints the config (its value 'job' is not an override)."""
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "--cfg", "job", "days=7"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "days: 7" in proc.stdout and "seed:" in proc.stdout


FULL_DISK = """
import errno, sys
import sim.results as R

def full(folder):  # the last file a run writes: the disk fills up just before it
    raise OSError(errno.ENOSPC, "No space left on device")

R.write_checksums = full
from sim.cli import entry

sys.argv = ["sim", *sys.argv[1:]]
entry()
"""


def test_a_full_disk_while_writing_is_one_message_and_leaves_nothing(tmp_path):
    """Issue 16, case 13: a write that fails (here ENOSPC, raised where the last file of the run
    is written) ended in a traceback; now one line, exit 1, and no run or partial folder."""
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, *RUN_OVERRIDES, f"hydra.run.dir={run_dir}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: could not write the run into {run_dir}: No space left on device; nothing of it "
        "was kept (free space, or choose another folder with hydra.run.dir=PATH)"
    )
    assert_no_run_folder(run_dir)
