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
#: Interpreter, numpy, numba, mesa, networkx, matplotlib, and Numba compiling the kernels when its
#: cache is cold (a fresh clone): a 120-agent run's own peak (VmHWM) is 236 MiB with a warm cache
#: and 401 MiB with a cold one on the development machine.
BASE_BYTES = 512 * 2**20


def total_days(cfg) -> int:
    return int(cfg.burn_in_days) + int(cfg.days)


def node_slots(cfg) -> int:
    """Node slots the run allocates: the children of day 1 and the slots reserved for the
    8-year-olds who join (one per child for every ten years or part of the run, burn-in
    included), the benign adults, and the offender pool (initial offenders and arrivals)."""
    from sim.offenders import pool_size

    nc = int(cfg.population.n_children)
    turnovers = max(1, -(-total_days(cfg) // 3650))
    return nc * (1 + turnovers) + int(cfg.population.n_adults) + pool_size(cfg)


def expected_ties(cfg) -> float:
    """An upper bound of the number of ties at the end of the run: the initial structure (each
    group's configured mean, never capped by group size) plus every tie that suggestions, organic
    growth and joiners could add if every suggestion were accepted at its configured rate, capped
    by the number of pairs of nodes."""
    pc, nw = cfg.population, cfg.network
    nc, na = pc.n_children, pc.n_adults
    per_child = (
        (nw.class_friends_mean + nw.year_friends_mean) / 2 * 2
        + 3.0
        + 0.3
        + pc.club_membership * (nw.club_friends_mean + 1)
    )
    n = node_slots(cfg)
    initial = nc * per_child / 2 + na * nw.adult_friends_mean / 2 + nc * 1.5
    T = total_days(cfg)
    per_node_day = sum(
        float(p.suggestions_per_day) * float(p.served_share) * float(p.suggestion_accept)
        for p in cfg.platforms.values()
    )
    per_node_day += float(nw.organic_ties_per_1000_per_day) / 1000.0
    grown = n * per_node_day * T * 1.2 + initial * (1.0 + min(T, 3650) / 365.0)
    # joiners get ties like day-1 children; offenders' contacts are a few a day each
    joiners = nc * max(1, -(-T // 3650)) * per_child / 2
    offenders = (n - nc * (1 + max(1, -(-T // 3650))) - na) * 20.0 * max(T, 1) / 10.0
    return min(initial + grown + joiners + offenders, n * (n - 1) / 2.0)


def estimate_bytes(cfg, mesa_agents: bool) -> int:
    """An upper bound of the run's peak memory (docs/reliability.md: a property test compares it
    with measured peaks over randomly drawn allowed settings)."""
    n = node_slots(cfg)
    slack = 1.0 + float(cfg.network.capacity_slack)
    est = BASE_BYTES + n * BYTES_PER_AGENT + expected_ties(cfg) * BYTES_PER_TIE * slack / 1.5
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
