"""Resource guard: estimate a run's peak memory before allocating anything, and refuse runs that
cannot fit, with the estimate and the limit, instead of being killed midway.

The estimate is deliberately simple and a little pessimistic: bytes per agent (state arrays,
suggestion scratch, first-reach tables, Mesa Agent objects when they are created) plus bytes per
tie (two half-edges with their attributes, CSR slack and pool growth), with the tie count
predicted from the configured social structure and the growth from friend suggestions over the
horizon. docs/performance.md compares it with measured peaks.
"""

from __future__ import annotations

import os

from sim.config import ConfigError

BYTES_PER_AGENT = 420  # arrays [n] and [n, P], scratch for suggestions, per-child stage tables
BYTES_PER_MESA_AGENT = 1_600  # a mesa.Agent view object with its registrations
BYTES_PER_TIE = 110  # 2 half-edges x (4+1+2+1+4 bytes) x slack x pool growth, networkx-free
BASE_BYTES = 400 * 2**20  # interpreter, numpy, numba, mesa, networkx, matplotlib


def expected_ties(cfg) -> float:
    """Predicted number of ties at the end of the run (initial structure + suggestion growth)."""
    pc, nw = cfg.population, cfg.network
    nc, na = pc.n_children, pc.n_adults
    per_child = (
        (nw.class_friends_mean + nw.year_friends_mean) / 2 * 2
        + 3.0
        + 0.3
        + pc.club_membership * (nw.club_friends_mean + 1)
    )
    initial = nc * per_child / 2 + na * nw.adult_friends_mean / 2 + nc * 1.5
    # suggestions roughly double the ties over a year at the default rates
    growth = 1.0 + min(cfg.days, 3650) / 365.0
    return initial * growth


def estimate_bytes(cfg, mesa_agents: bool) -> int:
    n = cfg.population.n_children + cfg.population.n_adults
    est = BASE_BYTES + n * BYTES_PER_AGENT + expected_ties(cfg) * BYTES_PER_TIE
    if mesa_agents:
        est += n * BYTES_PER_MESA_AGENT
    return int(est)


def available_bytes() -> int | None:
    """Memory available to a new process (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(cfg, mesa_agents: bool, limit: int | None = None) -> int:
    """Raise ConfigError when the estimated peak exceeds ``limit`` (default: 90% of available)."""
    est = estimate_bytes(cfg, mesa_agents)
    if limit is None:
        avail = available_bytes()
        if avail is None:
            return est
        limit = int(avail * 0.9)
    if est > limit:
        n = cfg.population.n_children + cfg.population.n_adults
        raise ConfigError(
            "population.n_children/population.n_adults",
            n,
            f"a population whose estimated peak memory fits: this run needs about "
            f"{est / 2**30:.1f} GiB but {limit / 2**30:.1f} GiB is available; reduce the "
            "population (or days), or run it on a larger machine",
        )
    return est
