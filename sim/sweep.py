"""Sweeps as tables: load a sweep folder into pandas, run sweeps from Python, and the Hydra callback
that follows every multirun (start line, progress bar, ``sweep.csv``, the report).

::

    import sim
    df = sim.load_sweep("results/sweeps/2026-12-02_10-00-00")      # one row per run
    tidy = sim.load_sweep("results/sweeps/...", long=True)           # one row per run and metric
    df = sim.run_sweep({"grooming.accept_stranger": [0.1, 0.2]}, seeds=[1, 2, 3], n_jobs=2)

Column names are stable: ``run`` (the run folder's name), every key the runs were given on the
command line under its config name (``population.n_children``; typed as in the resolved config:
int, float, bool or str), ``seed``, ``scenario`` (the scenario's name), then every number of
``summary.json`` under its dotted path (``children_sexual_communication``,
``rates.recorded_share_of_offences``, ``by_age_band.11-12.sexual_communication``,
``offences_by_platform.Snapchat`` ...).
``df.attrs["params"]`` lists the parameter columns, ``df.attrs["swept"]`` those that take more
than one value, and ``df.attrs["metrics"]`` the metric columns.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

#: Overrides that do not change what a run computes: not parameters, and not in run folder names.
NOT_PARAMETERS = ("resume", "report", "print_summary", "progress", "threads", "experiment")
#: Summary entries that are identifiers, not metrics.
_SUMMARY_IDS = ("seed", "scenario")


def _override_pairs(overrides: list[str]) -> list[tuple[str, str]]:
    out = []
    for o in overrides:
        key, sep, value = o.partition("=")
        key = key.lstrip("+~")
        if sep and not key.startswith("hydra") and key not in NOT_PARAMETERS:
            out.append((key, value))
    return out


def _lookup(config: dict, dotted: str):
    node: Any = config
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _flatten(d: dict, prefix: str = "") -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= _flatten(v, key + ".")
        elif isinstance(v, bool):
            out[key] = int(v)
        elif isinstance(v, int | float):
            out[key] = v
        elif v is None:
            out[key] = math.nan
    return out


def load_sweep(sweep_dir: str | os.PathLike, long: bool = False):
    """The complete runs under ``sweep_dir`` as a pandas DataFrame (one row per run, sorted by run
    folder); with ``long=True`` the tidy form: one row per run and metric, columns ``run``, the
    parameters, ``seed``, ``scenario``, ``metric``, ``value``.

    Parameters are the keys given on the command line (and by an experiment's sweep), read back
    with their types from each run's resolved ``config.yaml``. Raises FileNotFoundError if the
    folder holds no complete run.
    """
    import json

    import pandas as pd

    from sim.results import load_runs

    sweep = Path(sweep_dir)
    if not sweep.is_dir():
        raise FileNotFoundError(f"sweep folder {sweep} does not exist")
    runs, _ = load_runs(sweep)
    if not runs:
        raise FileNotFoundError(f"no complete run folders under {sweep}")
    params: list[str] = []
    rows = []
    for r in runs:
        meta = json.loads((r.path / "metadata.json").read_text())
        row: dict[str, Any] = {"run": r.path.name}
        for key, raw in _override_pairs(meta.get("overrides") or []):
            if key in ("seed", "scenario"):  # their own columns (scenario: the scenario's name)
                continue
            if key not in params:
                params.append(key)
            value = _lookup(r.config, key)
            row[key] = raw if value is None or isinstance(value, dict | list) else value
        row["seed"] = int(r.seed)
        row["scenario"] = r.scenario
        metrics = {k: v for k, v in _flatten(r.summary).items() if k not in _SUMMARY_IDS}
        row |= {k: v for k, v in metrics.items() if k not in row}
        rows.append(row)
    df = pd.DataFrame(rows)
    id_cols = ["run", *params, "seed", "scenario"]
    metric_cols = [c for c in df.columns if c not in id_cols]
    df = df[[*id_cols, *metric_cols]].sort_values("run", kind="stable").reset_index(drop=True)
    for c in params:
        df[c] = _typed(df[c])
    swept = [c for c in params if df[c].nunique(dropna=False) > 1]
    if df["scenario"].nunique() > 1 and "scenario" not in swept:
        swept.append("scenario")
    attrs = {"params": params, "swept": swept, "metrics": metric_cols, "sweep_dir": str(sweep)}
    if long:
        df = df.melt(id_vars=id_cols, value_vars=metric_cols, var_name="metric", value_name="value")
    df.attrs.update(attrs)
    return df


def _typed(col):
    """One column of parameter values with one type: bool, int, float (ints and floats mixed)
    or str."""
    import pandas as pd

    vals = [v for v in col if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if vals and all(isinstance(v, bool) for v in vals):
        return col.astype("boolean") if len(vals) < len(col) else col.astype(bool)
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return col.astype("Int64") if len(vals) < len(col) else col.astype("int64")
    if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
        return col.astype(float)
    return pd.Series([None if v is None else str(v) for v in col], index=col.index, dtype=object)


def combination_columns(df) -> list[str]:
    """The columns that define a combination (what is compared across seeds): the parameters and
    the scenario."""
    cols = [c for c in df.attrs.get("params", []) if c != "scenario"]
    return [*cols, "scenario"]


def summarise(df, confidence: float = 0.95):
    """Means over seeds per combination of the parameters and scenario, with t-intervals.

    Returns a tidy DataFrame: the combination columns, ``metric``, ``n_seeds``, ``mean``, ``sd``,
    ``low``, ``high`` (the ``confidence`` interval of the mean; empty with one seed).
    """
    import pandas as pd

    from sim.report import mean_interval

    combo = combination_columns(df)
    metrics = df.attrs["metrics"]
    out = []
    for key, g in df.groupby(combo, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for m in metrics:
            x = g[m].to_numpy(float)
            x = x[~pd.isna(x)]
            mean, low, high = mean_interval(x, confidence)
            sd = float(x.std(ddof=1)) if x.size > 1 else math.nan
            out.append(
                {
                    **dict(zip(combo, key)),
                    "metric": m,
                    "n_seeds": int(x.size),
                    "mean": mean,
                    "sd": sd,
                    "low": low,
                    "high": high,
                }
            )
    res = pd.DataFrame(out)
    res.attrs.update(df.attrs)
    return res


# ------------------------------------------------------------------------------------------
# Running sweeps from Python
# ------------------------------------------------------------------------------------------


def _value(v: Any) -> str:
    from sim.model import _override_value

    return _override_value(v.item() if hasattr(v, "item") else v)


def sweep_overrides(
    grid: dict[str, Any] | list[str] | None = None, seeds: Any = None, **fixed: Any
) -> list[str]:
    """Hydra multirun overrides for a grid (``{key: [values]}``: every combination), or a list of
    override strings (``["scenario=baseline_2019,nspcc_package", "days=90"]``), over ``seeds``,
    with ``fixed`` keyword parameters (nested keys joined by ``__`` or written dotted)."""
    out: list[str] = []
    if isinstance(grid, dict):
        for k, vs in grid.items():
            vs = list(vs) if isinstance(vs, list | tuple | range) or hasattr(vs, "tolist") else [vs]
            out.append(f"{k.replace('__', '.')}={','.join(_value(v) for v in vs)}")
    elif grid:
        out.extend(str(o) for o in grid)
    if seeds is not None:
        seeds = [seeds] if isinstance(seeds, int) else list(seeds)
        out.append("seed=" + ",".join(str(int(s)) for s in seeds))
    out.extend(f"{k.replace('__', '.')}={_value(v)}" for k, v in fixed.items())
    return out


def run_sweep(
    grid: dict[str, Any] | list[str] | None = None,
    seeds: Any = None,
    n_jobs: int | None = None,
    sweep_dir: str | os.PathLike | None = None,
    launcher: str = "joblib",
    resume: bool = False,
    quiet: bool = False,
    long: bool = False,
    **fixed: Any,
):
    """Run a sweep through the command line's Hydra multirun and return :func:`load_sweep`'s table.

    ``grid`` is a dict of values to combine (``{"grooming.accept_stranger": [0.1, 0.2],
    "scenario": ["baseline_2019", "nspcc_package"]}``) or a list of overrides; ``seeds`` the
    replicate seeds (e.g. ``range(1, 6)``); ``fixed`` other keys (``days=90``,
    ``population__n_children=2000``). ``n_jobs`` (joblib) defaults to every core; ``sweep_dir``
    to a new folder under ``results/sweeps/``; ``resume=True`` runs only the jobs whose run
    folders are not complete yet. Raises RuntimeError (with the command's error) if it fails.
    """
    from sim.results import PROJECT_DIR

    args = ["-m", *sweep_overrides(grid, seeds, **fixed)]
    if sweep_dir is None:
        sweep_dir = PROJECT_DIR / "results" / "sweeps" / time.strftime("api_%Y-%m-%d_%H-%M-%S")
    sweep_dir = Path(sweep_dir).resolve()
    args += [f"hydra.sweep.dir={sweep_dir}", f"hydra/launcher={launcher}", "print_summary=false"]
    if n_jobs is not None and launcher == "joblib":
        args.append(f"hydra.launcher.n_jobs={int(n_jobs)}")
    if resume:
        args.append("resume=true")
    # in this process (joblib's workers are processes of their own), through the command line's
    # entry point, so the overrides are checked exactly as on the command line
    import contextlib
    import io

    from hydra.core.global_hydra import GlobalHydra

    from sim import cli

    saved_argv, err = sys.argv, io.StringIO()
    sys.argv = ["sim", *args]
    code = 0
    try:
        GlobalHydra.instance().clear()
        out = io.StringIO() if quiet else sys.stdout
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            cli.entry()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved_argv
        GlobalHydra.instance().clear()
    if code:
        raise RuntimeError(f"the sweep failed (exit {code}): {err.getvalue().strip()[-2000:]}")
    if not quiet and err.getvalue():
        sys.stderr.write(err.getvalue())
    return load_sweep(sweep_dir, long=long)


# ------------------------------------------------------------------------------------------
# Run folder names
# ------------------------------------------------------------------------------------------


def run_name(override_dirname: str, scenario: str, seed: Any) -> str:
    """A sweep job's folder name: ``<scenario>_seed<seed>``, then the other keys it was given
    (``key=value`` joined by ``,``; Hydra's ``override_dirname`` with seed, scenario and the
    keys that change nothing left out), so that the same job always lands in the same folder."""
    name = f"{scenario}_seed{seed}"
    rest = str(override_dirname or "").replace("/", "_")
    return f"{name}_{rest}" if rest else name


def register_resolvers() -> None:
    from omegaconf import OmegaConf

    OmegaConf.register_new_resolver("sim_run_name", run_name, replace=True)


# ------------------------------------------------------------------------------------------
# The Hydra callback (conf/hydra/callbacks/sweep.yaml)
# ------------------------------------------------------------------------------------------


def count_jobs(config) -> int | None:
    """How many jobs the sweeper makes of this multirun (None for a sweeper not known here)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    hc = config.hydra
    sweeper = hc.runtime.choices.get("hydra/sweeper") or "basic"
    if sweeper == "points":
        return len(read_points(hc.sweeper.points))
    if sweeper != "basic":
        return None
    cmd = list(hc.overrides.task)
    keys = {o.partition("=")[0] for o in cmd}
    params = hc.sweeper.get("params") or {}
    extra = [f"{k}={v}" for k, v in params.items() if k not in keys]
    parsed = OverridesParser.create().parse_overrides(extra + cmd)
    batches = BasicSweeper.split_arguments(parsed, None)
    return sum(len(b) for b in batches)


LOCK = ".sweep.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def take_lock(sweep: Path) -> str | None:
    """Make this process the only writer of ``sweep`` (``<sweep>/.sweep.lock`` holds its host and
    pid); a lock left by a sweep that is no longer running (killed, on this host) is taken over.
    Returns what stops us, or ``None``."""
    import json
    import socket

    sweep.mkdir(parents=True, exist_ok=True)
    lock = sweep / LOCK
    me = {"host": socket.gethostname(), "pid": os.getpid()}
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                other = json.loads(lock.read_text())
                host, pid = str(other["host"]), int(other["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                host, pid = me["host"], -1  # unreadable: a lock from an interrupted write
            if host == me["host"] and (pid < 0 or not _alive(pid)):
                lock.unlink(missing_ok=True)  # stale: its sweep is gone
                continue
            return (
                f"another sweep is writing into {sweep} (process {pid} on {host}); wait for it to "
                f"finish, or, if no sweep is running there, remove {lock}"
            )
        with os.fdopen(fd, "w") as fh:
            json.dump(me, fh)
        _HELD.append(sweep)
        return None
    return f"cannot lock {sweep}: remove {lock} if no sweep is running there"


#: Sweep folders this process has locked (released at the end, also when the sweep fails).
_HELD: list[Path] = []


def release_held() -> None:
    """Release every sweep lock this process holds (``sim.cli.entry`` calls it on the way out)."""
    while _HELD:
        release_lock(_HELD.pop())


def release_lock(sweep: Path) -> None:
    import json

    lock = sweep / LOCK
    try:
        if int(json.loads(lock.read_text())["pid"]) == os.getpid():
            lock.unlink()
    except (OSError, ValueError, KeyError, TypeError):
        pass


#: Set by the launching process of a sweep; a job process that is its direct child (joblib's loky
#: workers) watches for the launcher's death.
LAUNCHER_PID_ENV = "GROOMSIM_LAUNCHER_PID"
_watching = False


def die_with_launcher(poll_seconds: float = 0.5, grace_seconds: float = 5.0) -> bool:
    """In a worker process the sweep's launcher started (joblib's), end the job as SIGTERM does
    (its partial folder removed, exit 143) once the launcher is gone, instead of running on after
    a kill -9 of the launcher. Not in the launcher itself (the basic launcher: its parent is a
    shell, which may end under nohup) nor in jobs of other machines' launchers (SLURM, Ray), whose
    parent is not the launcher. Returns whether this process watches."""
    global _watching
    try:
        launcher = int(os.environ.get(LAUNCHER_PID_ENV, ""))
    except ValueError:
        return False
    if _watching or os.getpid() == launcher or os.getppid() != launcher:
        return _watching
    import signal

    def watch() -> None:
        while os.getppid() == launcher:
            time.sleep(poll_seconds)
        # a run ends on SIGTERM and removes its partial folder (sim/cli.py); the worker itself
        # would then take the next job its dead launcher had queued, so it exits after a grace
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_seconds)
        os._exit(143)

    threading.Thread(target=watch, daemon=True, name="groomsim-launcher-watch").start()
    _watching = True
    return True


class SweepCallback(Callback):
    """Says which launcher runs a sweep and how many jobs, shows their progress, and when every job
    has finished writes ``sweep.csv``, ``sweep_summary.csv`` and figures (:mod:`sim.aggregate`)
    and, with ``report=true``, the scenario comparison (:mod:`sim.report`).

    Progress: each job leaves an empty file in ``<sweep>/.jobs/`` when it ends (the sweep folder
    is shared by the jobs on any launcher); the launching process counts them.
    """

    def __init__(self, aggregate: bool = True) -> None:
        self.aggregate = aggregate
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __getstate__(self) -> dict:  # sent to the jobs with the launcher's task: no thread
        return {"aggregate": self.aggregate}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    # -- in the launching process
    def on_multirun_start(self, config, **kwargs: Any) -> None:
        hc = config.hydra
        sweep = Path(hc.sweep.dir)
        problem = take_lock(sweep)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            sys.exit(2)
        os.environ[LAUNCHER_PID_ENV] = str(os.getpid())  # inherited by the workers it starts
        launcher = hc.runtime.choices.get("hydra/launcher") or "basic"
        total = count_jobs(config)
        how = ""
        if "n_jobs" in hc.launcher:
            n = int(hc.launcher.n_jobs)
            how = f" ({os.cpu_count() if n == -1 else n} at a time)"
        jobs = f"{total} jobs" if total is not None else "the jobs"
        print(
            f"sweep: {jobs} through Hydra's {launcher} launcher{how} into {sweep}; the "
            "summary table and, with report=true, the comparison follow when all are done",
            flush=True,
        )
        progress = str(config.get("progress", "auto"))
        show = progress == "on" or (progress == "auto" and sys.stderr.isatty())
        if show and total:
            self._thread = threading.Thread(target=self._progress, args=(sweep, total), daemon=True)
            self._thread.start()

    def _progress(self, sweep: Path, total: int) -> None:
        from tqdm import tqdm

        jobs = sweep / ".jobs"
        with tqdm(total=total, desc="sweep", unit="job", file=sys.stderr, dynamic_ncols=True) as bar:
            while True:
                done = len(list(jobs.glob("*"))) if jobs.is_dir() else 0
                bar.update(min(done, total) - bar.n)
                if self._stop.wait(1.0):
                    done = len(list(jobs.glob("*"))) if jobs.is_dir() else 0
                    bar.update(min(done, total) - bar.n)
                    break

    def on_multirun_end(self, config, **kwargs: Any) -> None:
        import shutil

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        sweep = Path(config.hydra.sweep.dir)
        shutil.rmtree(sweep / ".jobs", ignore_errors=True)
        release_lock(sweep)
        if not sweep.is_dir():
            return
        if self.aggregate:
            from sim.aggregate import aggregate

            try:
                aggregate(sweep, quiet=bool(config.get("report", False)))
            except FileNotFoundError as e:
                print(f"sweep table: {e}", file=sys.stderr)
        if config.get("report", False):
            from sim.report import ReportError, build_report

            print(f"\nall jobs finished; comparing scenarios in {sweep.resolve()}\n", flush=True)
            try:
                build_report(sweep)
            except ReportError as e:
                print(f"error: {e}", file=sys.stderr)
                sys.exit(2)

    # -- in the job's process (any launcher)
    def on_job_start(self, config, **kwargs: Any) -> None:
        die_with_launcher()

    def on_job_end(self, config, job_return, **kwargs: Any) -> None:
        from hydra.core.hydra_config import HydraConfig

        try:
            hc = HydraConfig.get()
        except ValueError:
            return
        if hc.mode is None or hc.mode.name != "MULTIRUN":
            return
        jobs = Path(hc.sweep.dir) / ".jobs"
        try:
            jobs.mkdir(parents=True, exist_ok=True)
            (jobs / f"{hc.job.num}-{os.getpid()}").touch()
        except OSError:
            pass


# ------------------------------------------------------------------------------------------
# A sweep over a list of points (conf/hydra/sweeper/points.yaml)
# ------------------------------------------------------------------------------------------


def read_points(path: str | os.PathLike) -> list[dict[str, str]]:
    """The points of a CSV file: a header of config keys, one row per job."""
    import csv

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


__all__ = ["read_points", "SweepCallback", "load_sweep", "run_sweep", "summarise", "sweep_overrides"]
