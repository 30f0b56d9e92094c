"""Where the start-up of ``python -m sim`` goes, by phase (not in run_all.py).

    .venv/bin/python experiments/benchmarks/startup_phases.py [overrides...]

Runs ``python -m sim`` in this process (default: the start-up benchmark's small world) with
``time.perf_counter`` marks around ``import sim.model`` (Mesa, Numba, NumPy...), the command-line
check, each of Hydra's configuration compositions (Hydra composes once to find the run mode and
once to run), ``import numba``, Numba's loading of each cached kernel at its first call (summed),
``GroomingModel.__init__`` and the start of day 1. Prints one line per phase: seconds since this
script started, and how long the phase took. The run folder is a new temporary one each time.
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
loads = {"n": 0, "seconds": 0.0, "first_at": None}


def timed_compile(self, *a, **kw):
    t = time.perf_counter()
    try:
        return _compile(self, *a, **kw)
    finally:
        loads["n"] += 1
        loads["seconds"] += time.perf_counter() - t
        if loads["first_at"] is None:
            loads["first_at"] = t - T0


nd.Dispatcher._compile_for_args = timed_compile
with tempfile.TemporaryDirectory(prefix="startup_phases_") as tmp:
    sys.argv = ["sim", *(sys.argv[1:] or DEFAULT), f"hydra.run.dir={tmp}/run"]
    try:
        runpy.run_module("sim", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
if loads["n"]:
    marks.append((f"Numba kernel loads ({loads['n']})", loads["first_at"], loads["seconds"]))
for label, at, took in sorted(marks, key=lambda m: m[1]):
    print(f"{label:26s} at {at:6.3f} s  took {took:6.3f} s")
