"""Sweeps for researchers (docs/sweeps.md): a sweep as a pandas table, growing a sweep, Mesa's
batch_run, the launcher configs, shell completion.

Everything goes through the real command line on a tiny world (3 days, no burn-in): these tests
check what a user gets (files, rows, types, which jobs run), not the numbers of the model.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parent.parent
TINY_WORLD = [
    "population.n_children=60",
    "population.n_adults=120",
    "days=3",
    "burn_in_days=0",
    "print_summary=false",
    "progress=off",
]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e.update(MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    return e


def sim_cli(*args: str, module: str = "sim", timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(),
    )


def sweep_args(sweep: Path, seeds: str = "1,2") -> list[str]:
    return [
        "-m",
        f"seed={seeds}",
        "grooming.accept_stranger=0.1,0.3",
        *TINY_WORLD,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        f"hydra.sweep.dir={sweep}",
    ]


def run_dirs(sweep: Path) -> list[Path]:
    return sorted(p for p in sweep.iterdir() if p.is_dir() and p.name not in ("figures",))


@pytest.fixture(scope="module")
def sweep4(tmp_path_factory):
    """A 4-job joblib multirun: 2 seeds x 2 values of grooming.accept_stranger."""
    sweep = tmp_path_factory.mktemp("sweeps") / "sw"
    proc = sim_cli(*sweep_args(sweep))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return sweep, proc


@pytest.mark.slow
def test_multirun_writes_a_typed_sweep_table(sweep4):
    sweep, proc = sweep4
    assert "Traceback" not in proc.stderr
    # the start line names the launcher that runs the jobs, and how many
    assert "sweep: 4 jobs through Hydra's joblib launcher (2 at a time)" in proc.stdout
    df = pd.read_csv(sweep / "sweep.csv")
    assert len(df) == 4
    assert df["seed"].dtype.kind == "i" and sorted(df["seed"]) == [1, 1, 2, 2]
    assert df["grooming.accept_stranger"].dtype.kind == "f"
    assert sorted(df["grooming.accept_stranger"]) == [0.1, 0.1, 0.3, 0.3]
    assert set(df["scenario"]) == {"baseline_2019"}
    for col in ("children_contacted", "children_sexual_communication", "rates.recorded_share_of_offences"):
        assert col in df.columns
    assert df["children"].eq(60).all()  # the tiny world the jobs were asked for
    # the same table from Python, typed without a CSV round trip
    import sim

    t = sim.load_sweep(sweep)
    assert t.attrs["swept"] == ["grooming.accept_stranger"]
    assert t["population.n_children"].dtype == "int64" and t["grooming.accept_stranger"].dtype == "float64"
    assert t["seed"].tolist() == df["seed"].tolist()
    tidy = sim.load_sweep(sweep, long=True)
    assert list(tidy.columns[-2:]) == ["metric", "value"]
    assert len(tidy) == 4 * len(t.attrs["metrics"])
    # means over seeds per combination, with intervals
    s = pd.read_csv(sweep / "sweep_summary.csv")
    row = s[(s["metric"] == "children") & (s["grooming.accept_stranger"] == 0.1)]
    assert len(row) == 1 and row["n_seeds"].item() == 2 and row["mean"].item() == 60
    assert (sweep / "figures" / "sweep_grooming.accept_stranger.png").stat().st_size > 1000


@pytest.mark.slow
def test_aggregate_recreates_the_table_standalone(sweep4, tmp_path):
    sweep, _ = sweep4
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(sweep, copy)
    expected = (copy / "sweep.csv").read_text()
    for f in ("sweep.csv", "sweep_summary.csv"):
        (copy / f).unlink()
    shutil.rmtree(copy / "figures")
    proc = sim_cli(str(copy), module="sim.aggregate")
    assert proc.returncode == 0, proc.stderr
    assert (copy / "sweep.csv").read_text() == expected
    assert (copy / "sweep_summary.csv").is_file()
    assert "grooming.accept_stranger" in proc.stdout  # the printed table (pandas)
    bad = sim_cli(str(tmp_path / "nowhere"), module="sim.aggregate")
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_extending_a_sweep_by_one_seed_runs_only_the_new_jobs(sweep4, tmp_path):
    sweep, _ = sweep4
    grown = tmp_path / "grown"
    import shutil

    shutil.copytree(sweep, grown)
    old = {p.name: (p / "summary.json").stat().st_mtime_ns for p in run_dirs(grown)}
    proc = sim_cli(*sweep_args(grown, seeds="1,2,3"), "resume=true")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("is complete with the same config; skipped") == 4
    now = {p.name: (p / "summary.json").stat().st_mtime_ns for p in run_dirs(grown)}
    new = sorted(set(now) - set(old))
    assert len(new) == 2 and all(n.startswith("baseline_2019_seed3_") for n in new)
    assert {k: now[k] for k in old} == old  # the finished jobs were not run again
    df = pd.read_csv(grown / "sweep.csv")
    assert len(df) == 6 and sorted(set(df["seed"])) == [1, 2, 3]


@pytest.mark.slow
def test_run_sweep_python_api(tmp_path):
    import sim

    df = sim.run_sweep(
        {"grooming.accept_stranger": [0.2]},
        seeds=[1, 2],
        n_jobs=2,
        sweep_dir=tmp_path / "api",
        quiet=True,
        population__n_children=60,
        population__n_adults=120,
        days=3,
        burn_in_days=0,
        progress="off",
    )
    assert len(df) == 2 and df["seed"].tolist() == [1, 2]
    assert df["grooming.accept_stranger"].tolist() == [0.2, 0.2]
    with pytest.raises(RuntimeError, match="unknown config key"):
        sim.run_sweep({"grooming.no_such_key": [1]}, seeds=[1], sweep_dir=tmp_path / "bad", quiet=True)


@pytest.mark.slow
def test_mesa_batch_run_returns_a_dataframe():
    import mesa

    from sim.model import GroomingModel

    rows = mesa.batch_run(
        GroomingModel,
        parameters={
            "seed": [1, 2],
            "population__n_children": 60,
            "population.n_adults": 120,  # dotted names work too
            "days": 3,
            "burn_in_days": 0,
            "progress": "off",
        },
        max_steps=10,
        number_processes=1,
        display_progress=False,
    )
    df = pd.DataFrame(rows)
    assert len(df) == 2 and sorted(df["seed"]) == [1, 2]
    assert "new_children_contacted" in df.columns


def test_slurm_launcher_config_composes():
    proc = sim_cli("--cfg", "hydra", "-p", "hydra.launcher", "hydra/launcher=slurm", timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "SlurmLauncher" in text
    for key in ("partition:", "timeout_min:", "mem_gb:", "array_parallelism:", "cpus_per_task:"):
        assert key in text, key


@pytest.mark.parametrize("name", ["ray_local", "ray_cluster"])
def test_ray_launcher_configs_compose(name):
    proc = sim_cli("--cfg", "hydra", "-p", "hydra.launcher", f"hydra/launcher={name}", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "RayLauncher" in proc.stdout and "address" in proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None,
    reason="hydra-ray-launcher is not installed (pip install '.[ray]'; it needs ray<3 and "
    "cloudpickle<3, see docs/sweeps.md)",
)
def test_ray_launcher_runs_in_local_mode(tmp_path):
    sweep = tmp_path / "ray"
    proc = sim_cli("-m", "seed=1,2", *TINY_WORLD, "hydra/launcher=ray_local", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(pd.read_csv(sweep / "sweep.csv")) == 2


def test_shell_completion_install_and_query():
    """``groomsim -sc install=bash`` prints Hydra's completion script (the project's own override
    check lets Hydra's completion words through); a query completes keys and group choices."""
    proc = sim_cli("--shell-completion", "install=bash", timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "hydra_bash_completion" in proc.stdout and "unknown config key" not in proc.stderr
    e = env() | {"COMP_LINE": "groomsim scenario=nspcc_pa"}
    q = subprocess.run(
        [sys.executable, "-m", "sim", "-sc", "query=bash"], cwd=PROJECT, capture_output=True, text=True, env=e
    )
    assert q.returncode == 0 and q.stdout.split() == ["scenario=nspcc_package"], q.stdout + q.stderr


@pytest.mark.slow
def test_report_compares_scenarios_within_each_parameter_combination(tmp_path):
    sweep = tmp_path / "sxp"
    proc = sim_cli(
        "-m",
        "seed=1,2",
        "scenario=baseline_2019,nspcc_package",
        "grooming.accept_stranger=0.1,0.3",
        *TINY_WORLD,
        "report=true",
        "hydra.launcher.n_jobs=2",
        f"hydra.sweep.dir={sweep}",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for v in ("0.1", "0.3"):
        assert (sweep / "compare" / f"grooming.accept_stranger={v}" / "report.html").is_file()
        assert f"== grooming.accept_stranger={v}" in proc.stdout
    c = pd.read_csv(sweep / "comparison.csv")
    assert sorted(set(c["grooming.accept_stranger"])) == [0.1, 0.3]
    assert set(c["scenario"]) == {"nspcc_package"} and set(c["n_pairs"]) == {2}
    assert len(pd.read_csv(sweep / "sweep.csv")) == 8  # compare/ is not taken for a run folder
