"""Where the start-up of ``python -m sim`` goes, by phase (not in run_all.py).

    .venv/bin/python experiments/benchmarks/startup_phases.py [overrides...]

Runs ``python -m sim`` in this process (default: the start-up benchmark's small world) with
``time.perf_counter`` marks around ``import sim.model`` (Mesa, NumPy...), ``import numba``, the
command-line check, each of Hydra's configuration compositions (one for a plain run, two when the
run can set ``hydra.mode``: ``sim.cli.plain_run``), ``GroomingModel.__init__``, Numba's load of
the first cached kernel (with its registries) and of the others (summed), and the start of day
1. Prints one line per phase: seconds since this script started, and how long the phase took.
The run folder is a new temporary one each time.
"""

from __future__ import annotations

import runpy
import sys
import tempfile
import time

T0 = time.perf_counter()
marks: list[tuple[str, float, float]] = []

import sim.model as sm  # noqa: E402

marks.append(("import sim.model", 0.0, time.perf_counter() - T0))
t = time.perf_counter()
import numba.core.dispatcher as nd  # noqa: E402

marks.append(("import numba", t - T0, time.perf_counter() - t))

import hydra._internal.hydra as hh  # noqa: E402

import sim.cli as cli  # noqa: E402

DEFAULT = [
    "population.n_children=1000",
    "population.n_adults=2000",
    "days=5",
    "progress=off",
    "print_summary=false",
]


def timed(owner, name: str, label: str) -> None:
    fn = getattr(owner, name)

    def wrapper(*a, **kw):
        t = time.perf_counter()
        out = fn(*a, **kw)
        marks.append((label, t - T0, time.perf_counter() - t))
        return out

    setattr(owner, name, wrapper)


timed(hh.Hydra, "compose_config", "Hydra compose_config")
timed(cli, "check_overrides", "check_overrides")
timed(sm.GroomingModel, "__init__", "GroomingModel.__init__")
_step = sm.GroomingModel.step


def first_step(self):
    if not getattr(first_step, "seen", False):
        first_step.seen = True
        marks.append(("start of day 1", time.perf_counter() - T0, 0.0))
    return _step(self)


sm.GroomingModel.step = first_step

# a kernel's first call types its arguments and loads it from Numba's cache (cache=True)
_compile = nd.Dispatcher._compile_for_args
loads: list[tuple[str, float, float]] = []  # (kernel, at, took)


def timed_compile(self, *a, **kw):
    t = time.perf_counter()
    try:
        return _compile(self, *a, **kw)
    finally:
        loads.append((self.py_func.__name__, t - T0, time.perf_counter() - t))


nd.Dispatcher._compile_for_args = timed_compile
with tempfile.TemporaryDirectory(prefix="startup_phases_") as tmp:
    sys.argv = ["sim", *(sys.argv[1:] or DEFAULT), f"hydra.run.dir={tmp}/run"]
    try:
        runpy.run_module("sim", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
if loads:  # the first load also builds Numba's typing and target registries
    name, at, took = loads[0]
    marks.append((f"first kernel load ({name})", at, took))
    if len(loads) > 1:
        rest = loads[1:]
        took = sum(x[2] for x in rest)
        lo, hi = min(x[2] for x in rest), max(x[2] for x in rest)
        marks.append((f"{len(rest)} more kernel loads", rest[0][1], took))
        print(f"the {len(rest)} more kernel loads took {lo * 1000:.1f}-{hi * 1000:.1f} ms each")
for label, at, took in sorted(marks, key=lambda m: m[1]):
    print(f"{label:28s} at {at:6.3f} s  took {took:6.3f} s")
