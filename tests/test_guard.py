"""The memory guard (sim/guard.py): its estimate is an upper bound of the measured peak, and it
refuses what would not fit (issue "Reliability and security, round two", case 11).

Each example runs one small simulation in a fresh process and compares the process's peak
resident memory (VmHWM in /proc/self/status: the high-water mark of this process's own address
space, which includes the interpreter and every library) with
``sim.guard.estimate_bytes`` for the same settings. The settings drawn are the ones that grow
memory, anywhere in their allowed ranges: the population, the run and burn-in length (reserved
slots for joiners, the offender pool), offenders per 1,000 children, the tie capacity slack, the
friendship means and the friend-suggestion rates of every platform. Small sizes keep the test
short; one example has maxed suggestions, where ties, not the interpreter, dominate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = [
    pytest.mark.slow,  # one process per example
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="the peak is read from Linux's /proc"),
]
PROJECT = Path(__file__).resolve().parent.parent
PLATFORMS = ("photo_social", "social", "ephemeral", "messenger", "gaming")
# Not ru_maxrss: Python starts the child with vfork, and Linux carries the parent's high-water mark
# over exec into the child's ru_maxrss, so a child of a large pytest worker "peaked" at 808 MiB in a
# run whose own peak is 236 MiB.
PEAK = """
import json, sys
from sim.config import load_config
from sim.guard import estimate_bytes
from sim.model import GroomingModel, _mesa_agents_wanted
cfg = load_config(sys.argv[1:])
est = estimate_bytes(cfg, mesa_agents=_mesa_agents_wanted(cfg))
GroomingModel(cfg).run(progress=False)
hwm = next(ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(json.dumps({"peak": int(hwm.split()[1]) * 1024, "est": est}))
"""


def peak_and_estimate(overrides: list[str]) -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, "progress=off", *overrides],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return r["peak"], r["est"]


@st.composite
def memory_settings(draw):
    ov = [
        f"population.n_children={draw(st.integers(60, 600))}",
        f"population.n_adults={draw(st.integers(60, 1200))}",
        f"days={draw(st.integers(1, 30))}",
        f"burn_in_days={draw(st.integers(0, 30))}",
        f"offenders.per_1000_children={draw(st.sampled_from([0, 10, 200, 1000]))}",
        f"network.capacity_slack={draw(st.sampled_from([0, 0.5, 4]))}",
        f"network.adult_friends_mean={draw(st.sampled_from([0, 8, 100, 1000]))}",
        f"network.class_friends_mean={draw(st.sampled_from([0, 6, 1000]))}",
        f"mesa_agents={draw(st.sampled_from(['on', 'off']))}",
    ]
    for p in PLATFORMS:
        if draw(st.booleans()):
            ov += [
                f"platforms.{p}.suggestions_per_day={draw(st.sampled_from([1, 20, 100]))}",
                f"platforms.{p}.served_share={draw(st.sampled_from([0.1, 1.0]))}",
                f"platforms.{p}.suggestion_accept={draw(st.sampled_from([0.1, 1.0]))}",
            ]
    return ov


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(memory_settings())
def test_the_estimate_is_at_or_above_the_measured_peak(overrides):
    peak, est = peak_and_estimate(overrides)
    assert est >= peak, (overrides, peak / 2**20, est / 2**20)


def test_the_estimate_bounds_a_run_whose_ties_dominate():
    """Every platform suggests 100 friends a day to everyone and every suggestion is accepted:
    the ties, not the interpreter, are most of the peak."""
    ov = ["population.n_children=400", "population.n_adults=800", "days=8", "burn_in_days=0"]
    for p in PLATFORMS:
        ov += [f"platforms.{p}.suggestions_per_day=100", f"platforms.{p}.served_share=1"]
        ov += [f"platforms.{p}.suggestion_accept=1", "network.capacity_slack=4"]
    peak, est = peak_and_estimate(ov)
    assert est >= peak, (peak / 2**20, est / 2**20)


def test_the_guard_refuses_what_would_not_fit_before_allocating():
    from sim.config import load_config
    from sim.fields import ConfigError
    from sim.guard import check_memory, estimate_bytes

    cfg = load_config(["population.n_children=2000000", "population.n_adults=4000000"])
    est = estimate_bytes(cfg, mesa_agents=False)
    with pytest.raises(ConfigError, match=r"needs about .* GiB but .* GiB is available"):
        check_memory(cfg, mesa_agents=False, limit=est - 1)
    assert check_memory(cfg, mesa_agents=False, limit=est) == est  # at the limit it runs
