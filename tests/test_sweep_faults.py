"""Sweeps under faults (issue "Reliability and security, round two", cases 9-10), through the real
command line on a tiny world:

- every job of a command-line sweep is composed and validated before the first one starts: a bad
  value anywhere in the sweep (``seed=1,-1,3``), or a combination that breaks a rule between keys,
  stops it with one message, exit 2, and no folder;
- one writer per sweep folder: a second sweep into a folder that a running sweep holds is refused
  with a message saying what to do; the lock of a sweep that was killed is taken over; a finished
  sweep leaves no lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs the command line
PROJECT = Path(__file__).resolve().parent.parent
TINY = ("population.n_children=60", "population.n_adults=120", "days=3", "burn_in_days=0", "progress=off")


def sweep_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "sim", "-m", *TINY, "hydra/launcher=basic", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def errors(proc) -> list[str]:
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]


def test_a_bad_value_anywhere_in_the_sweep_stops_it_before_the_first_job(tmp_path):
    sweep = tmp_path / "sw"
    proc = sweep_cli("seed=1,-1,3", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (err,) = errors(proc)
    assert "sweep job seed=-1" in err and "no job was started" in err, err
    assert not sweep.exists()  # job seed=1 did not run first


def test_a_combination_that_breaks_a_rule_between_keys_is_found(tmp_path):
    sweep = tmp_path / "sw"
    proc = sweep_cli("burn_in_days=0,31990", "days=20,30", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    (err,) = errors(proc)
    assert "sweep job burn_in_days=31990 days=20" in err and "burn_in_days" in err, err
    assert not sweep.exists()


def test_a_second_writer_is_refused_and_a_stale_lock_is_taken_over(tmp_path):
    import socket

    sweep = tmp_path / "sw"
    sweep.mkdir()
    lock = sweep / ".sweep.lock"
    # a sweep that is running: this test's own process holds the lock
    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
    proc = sweep_cli("seed=1,2", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    (err,) = errors(proc)
    assert f"another sweep is writing into {sweep}" in err and str(lock) in err, err
    assert not [p for p in sweep.iterdir() if p.is_dir()]  # no job ran
    # a sweep that was killed: its process is gone
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(json.dumps({"host": socket.gethostname(), "pid": dead.pid}))
    proc = sweep_cli("seed=1,2", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert len([p for p in sweep.iterdir() if p.is_dir() and p.name.startswith("baseline")]) == 2
    assert not lock.exists()  # released at the end


# ------------------------------------------------------------------------------------------
# Case 13: bad output folders and bad arguments to sim.run give one clear message
# ------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *TINY, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.mark.parametrize(
    "where, expect",
    [
        ("a_file", "this is a file, not a folder"),
        ("x" * 300, "a folder name is over 255 bytes"),
        ("/proc/no_such_folder/run", "cannot create folders in /proc"),
    ],
    ids=["a file", "300 characters", "cannot be created"],
)
def test_a_bad_run_folder_is_refused_with_one_message(tmp_path, where, expect):
    (tmp_path / "a_file").write_text("not a folder\n")
    target = where if where.startswith("/") else str(tmp_path / where)
    proc = run_cli(f"hydra.run.dir={target}")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (err,) = errors(proc)
    assert expect in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # nothing created


@pytest.mark.parametrize("bad", ["days=3", ["days=3", 3]], ids=["a string", "a non-string item"])
def test_sim_run_with_overrides_that_are_not_a_list_of_strings(bad):
    import sim
    from sim.fields import ConfigError

    with pytest.raises(ConfigError, match="a list of KEY=VALUE strings"):
        sim.run(bad)
