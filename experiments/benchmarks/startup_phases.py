"""Where the start-up of ``python -m sim`` goes, by phase (not in run_all.py).

    .venv/bin/python experiments/benchmarks/startup_phases.py [overrides...]

Runs ``python -m sim`` in this process (default: the start-up benchmark's small world) with
``time.perf_counter`` marks around ``import sim.model`` (Mesa, Numba, NumPy...), the command-line
check, each of Hydra's configuration compositions (Hydra composes once to find the run mode and
once to run), ``GroomingModel.__init__`` and the start of day 1. Prints one line per phase:
seconds since this script started, and how long the phase took.
"""

from __future__ import annotations

import runpy
import sys
import time

T0 = time.perf_counter()
marks: list[tuple[str, float, float]] = []

import sim.model as sm  # noqa: E402

marks.append(("import sim.model", 0.0, time.perf_counter() - T0))

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
sys.argv = ["sim", *(sys.argv[1:] or DEFAULT), "hydra.run.dir=/tmp/startup_phases_run"]
try:
    runpy.run_module("sim", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
for label, at, took in marks:
    print(f"{label:24s} at {at:6.3f} s  took {took:6.3f} s")
