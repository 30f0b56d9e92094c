"""``python -m sim ARGS`` with a time stamp when the first simulated day starts and ends.

    python experiments/benchmarks/startup_probe.py population.n_children=1000 days=5 ...

Runs the project's command line exactly as ``python -m sim`` does (``runpy`` of the ``sim``
package) after wrapping ``GroomingModel.step`` so that the first call prints
``STARTUP first_step_start=<epoch s> first_step_end=<epoch s>`` to stdout. The caller compares
these with the time it started the process. Nothing else is changed.
"""

from __future__ import annotations

import runpy
import sys
import time

import sim.model as sm

_orig = sm.GroomingModel.step
_state = {"done": False}


def _step(self):
    if _state["done"]:
        return _orig(self)
    t0 = time.time()
    r = _orig(self)
    t1 = time.time()
    _state["done"] = True
    print(f"STARTUP first_step_start={t0:.6f} first_step_end={t1:.6f}", flush=True)
    return r


sm.GroomingModel.step = _step
sys.argv = ["sim", *sys.argv[1:]]
runpy.run_module("sim", run_name="__main__", alter_sys=True)
