"""One measured model run in its own process (called by the other benchmark scripts).

    python experiments/benchmarks/worker.py --days 30 [--write DIR] [--no-profile] -- OVERRIDES...

Builds ``GroomingModel(overrides=...)``, runs it, optionally writes the run folder with
``sim.results.write_run``, and prints one JSON line: build/run/write seconds, agents, ties,
peak memory per phase (VmHWM, reset between phases), a per-stage profile of the day and of the
build, and SHA-256 hashes of ``timeseries.csv`` and ``summary.json`` (to check that two runs -
backends, thread counts - are byte-identical).

Profiling does not touch ``sim/``: it wraps the day's steps (the module functions
``GroomingModel.step`` calls, :data:`DAY_STEPS`) and the model's kernel namespace ``model.K``
with timers (about 20 wrapped calls a day, ~1 us each).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

T_PROCESS = time.perf_counter()

#: The day's steps as GroomingModel.step calls them: (module of sim.model, function).
DAY_STEPS = (
    ("interventions", "apply_all"),
    ("demography", "daily"),
    ("offenders", "daily"),
    ("moderation", "returns"),
    ("suggestions", "daily"),
    ("outreach", "daily"),
    ("outreach", "due_recontacts"),
    ("outreach", "resolve"),
    ("organic", "daily"),
    ("contacts", "daily"),
    ("grooming", "daily"),
    ("moderation", "daily"),
)


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _mb(kb):
    return None if kb is None else round(kb / 1024.0, 1)


class _Timers:
    def __init__(self):
        self.sec = defaultdict(float)
        self.calls = defaultdict(int)

    def wrap(self, name, fn):
        sec, calls = self.sec, self.calls
        pc = time.perf_counter

        def timed(*a, **k):
            t = pc()
            try:
                return fn(*a, **k)
            finally:
                sec[name] += pc() - t
                calls[name] += 1

        return timed


class _TimedKernels:
    """Proxy of a kernel namespace that times every function called through it."""

    def __init__(self, K, timers):
        self._K = K
        self._t = timers
        self._cache = {}

    def __getattr__(self, name):
        obj = getattr(self._K, name)
        if not callable(obj) or name.startswith("_") and not name.startswith("_append"):
            return obj
        w = self._cache.get(name)
        if w is None:
            w = self._cache[name] = self._t.wrap("kernel:" + name, obj)
        return w


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=None, help="days to run (default: config days)")
    ap.add_argument("--write", default=None, help="write the run folder here (write_run)")
    ap.add_argument("--figures", action="store_true", help="write_run with the figure")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--hash", action="store_true", help="hash timeseries.csv and summary.json")
    ap.add_argument("overrides", nargs="*")
    a = ap.parse_args(argv)

    t_imp = time.perf_counter()
    import numba

    import sim.model as sm
    from sim.model import GroomingModel

    import_seconds = time.perf_counter() - t_imp
    prof = not a.no_profile
    bt = _Timers()
    if prof:  # build phases: module globals used by GroomingModel.__init__
        sm.build_population = bt.wrap("build_population", sm.build_population)
        sm.build_initial_ties = bt.wrap("build_initial_ties", sm.build_initial_ties)

    _reset_hwm()
    t0 = time.perf_counter()
    m = GroomingModel(overrides=a.overrides)
    init_seconds = time.perf_counter() - t0
    hwm_build = _status_kb("VmHWM")
    rss_after_build = _status_kb("VmRSS")
    n, ties0 = m.pop.n, m.ties.n_ties
    pool_slots = int(m.ties.nbr.shape[0])

    dt = _Timers()
    if prof:
        for mod_name, fn_name in DAY_STEPS:
            mod = getattr(sm, mod_name)
            setattr(mod, fn_name, dt.wrap(f"{mod_name}.{fn_name}", getattr(mod, fn_name)))
        m.metrics.end_day = dt.wrap("metrics.end_day", m.metrics.end_day)
        m.metrics.begin_day = dt.wrap("metrics.begin_day", m.metrics.begin_day)
        m.datacollector.collect = dt.wrap("datacollector.collect", m.datacollector.collect)
        m.K = _TimedKernels(m.K, dt)

    days = a.days if a.days is not None else m.days
    _reset_hwm()
    # first day separately: it includes any JIT compilation / cache load of the kernels
    t1 = time.perf_counter()
    m.run(days=1, progress=False)
    first_day = time.perf_counter() - t1
    prof_first = {k: round(v, 5) for k, v in sorted(dt.sec.items())}
    dt.sec.clear()
    dt.calls.clear()  # the profile below covers days 2..N (steady state)
    t2 = time.perf_counter()
    if days > 1:
        m.run(days=days - 1, progress=False)
    rest = time.perf_counter() - t2
    run_seconds = first_day + rest
    hwm_run = _status_kb("VmHWM")

    write_seconds = None
    hwm_write = None
    if a.write:
        _reset_hwm()
        from sim.results import write_run

        tw = time.perf_counter()
        write_run(m, a.write, overrides=a.overrides, figures=a.figures, wall_seconds=time.perf_counter() - t0)
        write_seconds = time.perf_counter() - tw
        hwm_write = _status_kb("VmHWM")

    hashes = None
    if a.hash:
        from sim.results import summary_json, timeseries_csv

        hashes = {
            "timeseries.csv": hashlib.sha256(timeseries_csv(m).encode()).hexdigest(),
            "summary.json": hashlib.sha256(summary_json(m).encode()).hexdigest(),
        }

    out = {
        "overrides": a.overrides,
        "agents": n,
        "children": m.pop.n_children,
        "days": days,
        "threads": m.threads,
        "backend": m.backend,
        "threading_layer": _threading_layer(numba),
        "ties_initial": ties0,
        "ties_final": m.ties.n_ties,
        "pool_slots": pool_slots,
        "import_seconds": round(import_seconds, 4),
        "init_seconds": round(init_seconds, 4),  # config + build + set-up
        "build_seconds": round(m.build_seconds, 4),  # the model's own figure
        "run_seconds": round(run_seconds, 4),
        "first_day_seconds": round(first_day, 4),
        "steady_day_seconds": round(rest / (days - 1), 6) if days > 1 else None,
        "write_seconds": None if write_seconds is None else round(write_seconds, 4),
        "agent_days_per_second": n * days / run_seconds,
        "steady_agent_days_per_second": n * (days - 1) / rest if days > 1 else None,
        "seconds_per_agent_day": run_seconds / (n * days),
        "peak_mb": {
            "build": _mb(hwm_build),
            "run": _mb(hwm_run),
            "write": _mb(hwm_write),
            "rss_after_build": _mb(rss_after_build),
        },
        "process_seconds_until_written": round(time.perf_counter() - T_PROCESS, 3),
        "hashes": hashes,
        "relationships": int(m.n_rel[0]),
    }
    if prof:
        out["profile_build"] = {k: round(v, 4) for k, v in bt.sec.items()}
        out["profile_build"]["setup_rest"] = round(init_seconds - sum(bt.sec.values()), 4)
        nd = max(days - 1, 1)
        # seconds per day, days 2..N (day 1, with kernel loading, in profile_first_day)
        out["profile_day"] = {k: round(v / nd, 6) for k, v in sorted(dt.sec.items())}
        out["profile_calls_per_day"] = {k: round(v / nd, 2) for k, v in dt.calls.items()}
        out["profile_unattributed_per_day"] = round(
            (rest - sum(v for k, v in dt.sec.items() if not k.startswith("kernel:"))) / nd, 6
        )
        out["profile_first_day"] = prof_first
    print(json.dumps(out), flush=True)
    return out


def _threading_layer(numba):
    try:
        return numba.threading_layer()
    except Exception:  # noqa: BLE001 - no parallel kernel ran yet
        return None


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
