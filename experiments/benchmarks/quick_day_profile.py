"""Seconds per simulated day at 1M agents (dense network), with the two biggest kernels timed.

    .venv/bin/python experiments/benchmarks/quick_day_profile.py [threads=2] [other overrides]

Builds the 1M-agent dense world of the end-to-end benchmark, runs day 1 (kernel cache load),
then times days 2-11. A quick check between full `make bench` runs (about 1 minute).
"""

from __future__ import annotations

import sys
import time

from sim.model import GroomingModel

OVERRIDES = [
    "population.n_children=333334",
    "population.n_adults=666666",
    "days=365",
    "burn_in_days=0",
    "mesa_agents=off",
    "progress=off",
    "network.adult_friends_mean=16",
    "network.class_friends_mean=10",
    "network.year_friends_mean=4",
]


def main(extra: list[str]) -> None:
    t = time.perf_counter()
    m = GroomingModel(overrides=OVERRIDES + extra)
    build = time.perf_counter() - t
    m.run(days=1, progress=False)
    K = m.K
    spent = {"benign_interactions": 0.0, "suggest": 0.0}
    originals = {name: getattr(K, name) for name in spent}

    def timed(name):
        def call(*a, **kw):
            t0 = time.perf_counter()
            originals[name](*a, **kw)
            spent[name] += time.perf_counter() - t0

        return call

    for name in spent:
        setattr(K, name, timed(name))
    try:
        t = time.perf_counter()
        m.run(days=10, progress=False)
        total = time.perf_counter() - t
    finally:
        for name, fn in originals.items():
            setattr(K, name, fn)
    print(
        f"1M agents (dense), threads={m.threads}: build {build:.1f} s, {m.ties.n_ties:,} ties; "
        f"days 2-11: {total / 10:.3f} s/day (contact step {spent['benign_interactions'] / 10:.3f}, "
        f"suggestions {spent['suggest'] / 10:.3f}); {1e6 * 10 / total / 1e6:.2f} M agent-days/s"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
