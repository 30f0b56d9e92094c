"""Sweeps that are killed and resumed; reports that refuse to mix runs.

A sweep (``python -m sim -m seed=1,2,3,4 ...``, Hydra's basic launcher: one job after the
other) is killed while its second job is writing its run folder:

- SIGKILL (nothing can clean up): every job folder under the sweep either holds a complete run
  or holds no file; what was being written is only in a hidden ``.<job>.partial-<pid>`` folder;
- the same command with ``resume=true`` then skips the finished job (stderr says 'skipped'; its
  files are untouched), removes the stale partial folder, runs the others, and ends with all 4
  complete;
- resuming with a different config is refused (a finished job is never silently mixed with
  runs of another config), and so is rerunning into the sweep without ``resume=true``;
- SIGTERM: the job being written is removed, the process says so and exits 143.

Reports (sim/report.py; general report behaviour is in tests/test_report.py): runs from a
different code version are refused unless ``allow_mixed``; the leftovers of a killed sweep are
listed as incomplete jobs with the missing pairs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sim.results import RUN_FILES, is_complete, write_checksums

pytestmark = pytest.mark.slow  # real sweeps, killed and resumed, in subprocesses

PROJECT = Path(__file__).resolve().parent.parent
SWEEP = [
    "-m",
    "seed=1,2,3,4",
    "population.n_children=300",
    "burn_in_days=0",
    "population.n_adults=600",
    "days=60",
    "hydra/launcher=basic",
    "progress=off",
    "print_summary=false",
]
#: run folders are named by what the job was given (conf/config.yaml, hydra.sweep.subdir)
JOBS = [
    f"baseline_2019_seed{i}_burn_in_days=0,days=60,population.n_adults=600,population.n_children=300"
    for i in range(1, 5)
]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e.update(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    return e


def sim_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(),
    )


def _sigint_as_in_a_terminal() -> None:
    # a test run started in the background (``make test &``, nohup, some CI runners) inherits
    # SIGINT ignored, and so would the sweep; a user's Ctrl-C always meets the default handler
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str) -> subprocess.Popen:
    """Start ``python -m sim`` in its own process group (so the whole group can be killed), with
    SIGINT as a terminal leaves it."""
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=PROJECT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_sigint_as_in_a_terminal,
    )


def wait_for(cond, proc: subprocess.Popen, timeout: float = 120.0, what: str = "") -> None:
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the sweep ended (status {proc.returncode}) before {what}:\n{err[-2000:]}")
        if time.monotonic() - t0 > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def partials(sweep: Path, job: str) -> list[Path]:
    return sorted(sweep.glob(f".{job}.partial-*"))


def first_done_second_writing(sweep: Path):
    """True once job 0 is complete and job 1 is writing its files (its partial folder exists)."""

    def cond():
        j0 = sweep / JOBS[0]
        return j0.is_dir() and is_complete(j0) and bool(partials(sweep, JOBS[1]))

    return cond


def assert_nothing_looks_complete_unless_it_is(sweep: Path) -> dict[str, str]:
    """Each job folder: complete, or without any file; hidden folders only partial ones (and
    .jobs/, the sweep's progress marks: one empty file per finished job)."""
    state = {}
    for p in sorted(sweep.iterdir()):
        if p.name == ".jobs":
            assert all(f.stat().st_size == 0 for f in p.iterdir())
            continue
        if not p.is_dir() or p.name == "figures":  # figures/: sim.aggregate, like sweep*.csv
            # .sweep.lock: the killed sweep's lock, taken over by the next sweep (its process is gone)
            assert p.name in ("multirun.yaml", "sweep.csv", "sweep_summary.csv", "figures", ".sweep.lock"), p
            continue
        if p.name.startswith("."):
            assert ".partial-" in p.name, p
            assert p.name.lstrip(".").split(".partial-")[0] not in {
                q.name for q in sweep.iterdir() if is_complete(q)
            }, p
            state[p.name] = "partial"
            continue
        if is_complete(p):
            assert all((p / f).stat().st_size > 0 for f in RUN_FILES), p
            json.loads((p / "summary.json").read_text())  # parses: not truncated
            state[p.name] = "complete"
        else:
            files = [f for f in p.rglob("*") if f.is_file()]
            assert not files, f"{p.name} looks like a run but is incomplete: {files}"
            state[p.name] = "empty"
    return state


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """Kill a sweep (SIGKILL) while job 1 writes, record the state, resume it."""
    sweep = tmp_path_factory.mktemp("resume") / "sw"
    proc = start(*SWEEP, f"hydra.sweep.dir={sweep}")
    wait_for(first_done_second_writing(sweep), proc, what="job 0 complete and job 1 writing")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    state = assert_nothing_looks_complete_unless_it_is(sweep)
    killed_copy = sweep.parent / "killed_copy"
    shutil.copytree(sweep, killed_copy)
    done_before = {name: snapshot(sweep / name) for name, s in state.items() if s == "complete"}
    resumed = sim_cli(*SWEEP, f"hydra.sweep.dir={sweep}", "resume=true")
    return {
        "sweep": sweep,
        "state": state,
        "killed_copy": killed_copy,
        "proc": proc,
        "done_before": done_before,
        "resumed": resumed,
    }


def test_killed_sweep_leaves_no_folder_that_looks_complete(killed_and_resumed):
    k = killed_and_resumed
    assert k["proc"].returncode == -signal.SIGKILL
    state = k["state"]
    assert state[JOBS[0]] == "complete"
    # job 1 was being written when the sweep died: only its hidden partial folder has files
    assert state.get(JOBS[1], "absent") in ("empty", "absent"), state
    assert any(s == "partial" for s in state.values()), state
    assert sum(s == "complete" for s in state.values()) < 4


def test_resume_skips_finished_jobs_and_completes_the_rest(killed_and_resumed):
    k = killed_and_resumed
    r, sweep = k["resumed"], k["sweep"]
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr + r.stdout
    skipped = [ln for ln in r.stderr.splitlines() if "skipped" in ln]
    assert len(skipped) == len(k["done_before"]) >= 1, r.stderr
    for name in k["done_before"]:
        assert any(name in ln for ln in skipped), (name, skipped)
        # a skipped job is left exactly as it was (not rerun, not rewritten)
        assert snapshot(sweep / name) == k["done_before"][name]
    state = assert_nothing_looks_complete_unless_it_is(sweep)
    assert state == dict.fromkeys(JOBS, "complete"), state  # stale partials removed too
    seeds = [json.loads((sweep / j / "summary.json").read_text())["seed"] for j in JOBS]
    assert seeds == [1, 2, 3, 4]


def test_resumed_job_equals_an_uninterrupted_run(killed_and_resumed):
    """The job that was killed and run again gives what a clean run gives (same bytes)."""
    from helpers import run_model

    from sim.results import summary_json, timeseries_csv

    sweep = killed_and_resumed["sweep"]
    m = run_model(
        [
            "seed=2",
            "population.n_children=300",
            "burn_in_days=0",
            "population.n_adults=600",
            "days=60",
            "progress=off",
        ]
    )
    assert (sweep / JOBS[1] / "summary.json").read_text() == summary_json(m)
    assert (sweep / JOBS[1] / "timeseries.csv").read_text() == timeseries_csv(m)


def test_resume_with_a_different_config_is_refused(killed_and_resumed, tmp_path):
    """A job folder holding a finished run of another config (run folders are named by the
    overrides, so this is a change the name does not show, e.g. an edited config file) is never
    silently mixed with the new runs."""
    sweep = tmp_path / "sweep"
    shutil.copytree(killed_and_resumed["sweep"], sweep)
    cfg_file = sweep / JOBS[0] / "config.yaml"
    text = cfg_file.read_text()
    assert "\ndays: 60\n" in text
    cfg_file.write_text(text.replace("\ndays: 60\n", "\ndays: 59\n"))
    write_checksums(sweep / JOBS[0])  # a consistent folder of another config, not a damaged one
    before = {j: snapshot(sweep / j) for j in JOBS}
    listing = sorted(p.name for p in sweep.iterdir())
    r = sim_cli(*SWEEP, f"hydra.sweep.dir={sweep}", "resume=true")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and "different config" in err[0] and JOBS[0] in err[0], r.stderr
    assert "hydra.sweep.dir" in err[0]  # says how to fix it
    assert {j: snapshot(sweep / j) for j in JOBS} == before
    assert sorted(p.name for p in sweep.iterdir()) == listing


def test_rerun_without_resume_is_refused(killed_and_resumed):
    sweep = killed_and_resumed["sweep"]
    before = {j: snapshot(sweep / j) for j in JOBS}
    r = sim_cli(*SWEEP, f"hydra.sweep.dir={sweep}")
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    err = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(err) == 1 and "already holds files" in err[0] and "resume=true" in err[0], r.stderr
    assert {j: snapshot(sweep / j) for j in JOBS} == before


def test_sigterm_while_writing_removes_the_job_being_written(tmp_path):
    sweep = tmp_path / "sw"
    proc = start(*SWEEP, f"hydra.sweep.dir={sweep}")
    wait_for(first_done_second_writing(sweep), proc, what="job 0 complete and job 1 writing")
    os.killpg(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-3000:]
    assert "Traceback" not in out + err
    assert f"terminated (SIGTERM): nothing was written to {sweep / JOBS[1]}" in err
    state = assert_nothing_looks_complete_unless_it_is(sweep)
    assert state == {JOBS[0]: "complete"}, state  # no partial, no empty folder left


def test_sigterm_after_the_jobs_exits_cleanly(tmp_path):
    sweep = tmp_path / "sw"
    proc = start(
        "-m",
        "scenario=baseline_2019,education",
        "seed=1",
        "report=true",
        "population.n_children=150",
        "burn_in_days=0",
        "population.n_adults=300",
        "days=5",
        "progress=off",
        "print_summary=false",
        f"hydra.sweep.dir={sweep}",
    )
    for line in proc.stdout:  # the launcher prints this once every job has finished
        if "all jobs finished" in line:
            os.killpg(proc.pid, signal.SIGTERM)
            break
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err[-1500:]
    assert proc.returncode == 143, err[-1500:]


def test_ctrl_c_on_a_joblib_sweep_says_how_to_resume(tmp_path):
    """Issue 16, case 13: Ctrl-C (SIGINT to the terminal's process group) on a joblib sweep ended
    in a traceback from joblib. Now: exit 130, one line saying to resume, and no job folder that
    looks complete unless it is (what a resume then does: the killed_and_resumed tests)."""
    sweep = tmp_path / "sw"
    basic = [a for a in SWEEP if not a.startswith("hydra/launcher=")]
    args = [*basic, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}"]
    proc = start(*args)
    wait_for(lambda: any(sweep.glob(".*.partial-*")) or any(sweep.glob("baseline_*")), proc, what="a job")
    seen = sorted(p.name for p in sweep.iterdir())
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    # what the sweep folder held when the signal was sent and after, for a failure's message
    after = sorted(p.name for p in sweep.iterdir())
    state = f"at SIGINT: {seen}\nafter: {after}\nstdout: {out[-1500:]}\nstderr: {err[-3000:]}"
    assert proc.returncode == 130, state
    assert "Traceback" not in out + err, err[-3000:]
    assert "interrupted (Ctrl-C): finished run folders are complete; rerun a sweep with resume=true" in err
    assert_nothing_looks_complete_unless_it_is(sweep)  # resume after a kill: killed_and_resumed


def group_members(pgid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.skipif(shutil.which("pgrep") is None, reason="needs pgrep to list the sweep's processes")
def test_joblib_workers_end_when_their_launcher_is_killed(tmp_path):
    """Issue 16, case 9: after kill -9 of a joblib sweep's launcher its loky workers ran on to the
    end of their jobs (and of jobs already queued). Now each worker, from its first job on,
    watches its launcher and ends its job as SIGTERM does within a few seconds (measured: 6-21 s;
    allowed: 60 s on a loaded machine), and the jobs they held leave nothing that looks
    complete, no partial folder either (resume after a kill: the killed_and_resumed tests)."""
    sweep = tmp_path / "sw"
    args = [
        "-m",
        "seed=1,2",
        "population.n_children=3000",
        "population.n_adults=6000",
        "days=200",
        "burn_in_days=0",
        "progress=off",
        "print_summary=false",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        f"hydra.sweep.dir={sweep}",
    ]
    proc = start(*args)
    # both workers in a job (a worker that never got one has no watch: loky ends it when idle)
    wait_for(lambda: len(list(sweep.glob("baseline_*"))) >= 2, proc, what="two jobs")
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)  # not communicate(): the workers hold its pipes open while they live
    t0 = time.monotonic()
    while group_members(proc.pid) and time.monotonic() - t0 < 60:
        time.sleep(0.2)
    left = group_members(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.stdout.close()
    proc.stderr.close()
    assert not left, f"processes of the killed sweep still running after 60 s: {left}"
    state = assert_nothing_looks_complete_unless_it_is(sweep)
    # both jobs were killed mid-run: neither left a complete folder nor a partial one
    assert set(state.values()) <= {"empty"}, state


# ------------------------------------------------------------------------------------------
# Reports over resumed / killed sweeps
# ------------------------------------------------------------------------------------------


def as_scenario(src: Path, dst: Path, scenario: str) -> None:
    """Copy run folder ``src`` to ``dst`` as if it had been run with another scenario name."""
    shutil.copytree(src, dst)
    s = json.loads((dst / "summary.json").read_text())
    s["scenario"] = scenario
    (dst / "summary.json").write_text(json.dumps(s, indent=2) + "\n")
    c = yaml.safe_load((dst / "config.yaml").read_text())
    c["scenario"]["name"] = scenario
    (dst / "config.yaml").write_text(yaml.safe_dump(c))
    write_checksums(dst)  # a deliberate copy: its checksums follow the edit


@pytest.fixture
def resumed_copy(killed_and_resumed, tmp_path):
    """The resumed sweep plus a second scenario for seeds 1-2 (copies renamed 'other')."""
    src = killed_and_resumed["sweep"]
    dst = tmp_path / "sw"
    shutil.copytree(src, dst)
    for j in JOBS[:2]:
        as_scenario(src / j, dst / j.replace("baseline_2019", "other"), "other")
    return dst


def test_report_over_a_resumed_sweep_accepts_jobs_from_both_processes(resumed_copy):
    from sim.report import build_report
    from sim.results import load_runs

    runs, incomplete = load_runs(resumed_copy)
    assert len(runs) == 6 and not incomplete
    md = build_report(resumed_copy, quiet=True).read_text()
    assert "seeds without a partner run [3, 4]" in md  # 'other' has seeds 1-2 only


def test_report_refuses_runs_of_another_code_version_unless_allowed(resumed_copy):
    from sim.report import ReportError, build_report

    meta_file = resumed_copy / JOBS[2] / "metadata.json"
    meta = json.loads(meta_file.read_text())
    meta["code_sha256"] = "0" * 64  # what a job of an edited sim/ records
    meta_file.write_text(json.dumps(meta))
    write_checksums(resumed_copy / JOBS[2])
    with pytest.raises(ReportError) as e:
        build_report(resumed_copy, quiet=True)
    msg = str(e.value)
    assert "made by different code" in msg and JOBS[2] in msg and "--allow-mixed" in msg
    md = build_report(resumed_copy, allow_mixed=True, quiet=True).read_text()
    assert "made by different code" in md  # the mix is stated in the report's warnings


def test_report_lists_the_leftovers_of_a_killed_sweep(killed_and_resumed, tmp_path):
    from sim.report import build_report

    killed = tmp_path / "killed"
    shutil.copytree(killed_and_resumed["killed_copy"], killed)
    as_scenario(killed / JOBS[0], killed / "9_other_seed1", "other")
    leftovers = [
        p.name for p in killed.iterdir() if p.is_dir() and not is_complete(p) and p.name != ".jobs"
    ]  # .jobs/: the sweep's progress marks, not a job
    assert leftovers
    md = build_report(killed, quiet=True).read_text()
    for name in leftovers:
        assert f"incomplete job folder `{name}`" in md, (name, md[:2000])


@pytest.mark.filterwarnings("ignore::UserWarning")  # empty legends of the (crashing) report
def test_report_of_a_baseline_only_sweep_does_not_crash(killed_and_resumed, tmp_path):
    from sim.report import ReportError, build_report

    sweep = tmp_path / "sw"
    shutil.copytree(killed_and_resumed["sweep"], sweep)
    try:
        build_report(sweep, quiet=True)
    except ReportError:
        pass  # a clear refusal would be fine too
