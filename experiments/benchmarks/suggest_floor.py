"""How far the suggestion kernel is from its memory floor, per served user (not in run_all.py).

    .venv/bin/python experiments/benchmarks/suggest_floor.py [--agents 1000000] [--default-network]

Builds the world (1M agents, dense network by default), runs day 1, then for each platform with
suggestions draws the day's number of served users and times, on the model's own arrays:

1. ``walk``: reading every friend-of-friend on the platform (each neighbour's block), nothing
   else - the least any exact friend-of-friend generator must do (also reported: friends on
   the platform and slots read per served user);
2. ``candidates``: the model's ``fof_candidates`` (de-duplication in a per-user hash table,
   eligibility, contact book) with its ``fof_bound``;
3. ``suggest``: the model's whole ``suggest`` kernel (also scoring, top-k, proposals), 1 thread,
   with exact candidates, and ``suggest_sampled`` with sampled ones (``suggestions.walks_per_user``
   walks per user).

Prints microseconds per served user for each (median of 3 repeats) as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from common import base_overrides  # noqa: E402

from sim.backend import kernels  # noqa: E402
from sim.categories import Rule, member  # noqa: E402
from sim.suggestions import People, Proposals, SuggestParams  # noqa: E402

K = kernels("numba")
_fof = K.fof_candidates
_bound = K.fof_bound
_scratch = K.fof_scratch


@numba.njit(cache=True)
def walk(users, p, start, deg, nbr, emask):
    """Read every friend-of-friend slot on p; returns (friends on p, slots read, checksum)."""
    pbit = np.uint8(1 << p)
    friends = slots = tot = 0
    for u in users:
        su = start[u]
        for a in range(su, su + deg[u]):
            if emask[a] & pbit:
                v = nbr[a]
                friends += 1
                for b in range(start[v], start[v] + deg[v]):
                    slots += 1
                    if emask[b] & pbit:
                        tot += nbr[b]
    return friends, slots, tot


@numba.njit(cache=True)
def candidates(users, p, cb, ties, elig):
    n = ties.start.shape[0]
    hbits = 16
    cap = 1 << (hbits - 1)
    scratch = _scratch(hbits)
    nb = np.empty(3 * cap, np.int64)
    tot = 0
    for u in users:
        need = min(_bound(u, p, ties), n)
        if need > cap or 3 * ties.deg[u] > nb.shape[0]:
            continue
        ub = 8
        while (1 << ub) < 2 * need:
            ub += 1
        tot += _fof(u, p, cb, ties, elig, scratch, ub, nb)
    return tot


def timed(fn, *args, repeats=3):
    fn(*args)
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument(
        "--default-network", action="store_true", help="the default network instead of the dense one"
    )
    a = ap.parse_args(argv)
    from sim.model import GroomingModel

    m = GroomingModel(overrides=base_overrides(a.agents, 2, 1, not a.default_network))
    m.run(days=1, progress=False)
    ts, pop, sw = m.ties, m.pop, m.switches
    rows = {}
    for p, name in enumerate(m.platform_names):
        pl = m.plat_cfg[p]
        users = m.acct_users[p]
        ns = int(round(pl.served_share * users.size))
        if not pl.suggestions or ns == 0 or pl.suggestions_per_day == 0:
            continue
        rng = np.random.default_rng(p)
        sel = users[(rng.random(ns) * users.size).astype(np.int64)]
        elig = np.ascontiguousarray(pop.acct[:, p] & sw.suggestible[:, p] & ~pop.banned_acct[:, p])
        t_walk = timed(walk, sel, p, ts.start, ts.deg, ts.nbr, ts.emask)
        friends, slots, _ = walk(sel, p, ts.start, ts.deg, ts.nbr, ts.emask)
        t_cand = timed(candidates, sel, p, float(pl.contact_book), ts.arrays, elig)
        k = int(pl.suggestions_per_day)
        out = Proposals(
            np.full(ns * k, -1, np.int64), np.full(ns * k, -1, np.int64), np.zeros(ns * k, np.int8)
        )
        params = SuggestParams(
            rule=int(member(Rule, pl.suggestion_rule)),
            k=k,
            n_served=ns,
            accept=float(pl.suggestion_accept),
            offender_follow=float(m.g.offender_follows_suggested_child),
            age_homophily=float(pl.age_homophily),
            school_homophily=float(pl.school_homophily),
            contact_book=float(pl.contact_book),
            claimed_teen_mult=float(m.g.accept_claimed_teen_multiplier),
            no_adult_child=False,
            min_mutual_minor=0,
            sampled=False,
            walks=int(m.cfg.suggestions.walks_per_user),
        )
        args = (
            m.seed,
            2,
            p,
            params,
            users,
            ts.arrays,
            People(pop.role, pop.age, pop.school),
            m.offender_nodes,
            elig,
            np.ascontiguousarray(pop.known_minor[:, p]),
            sw.accept_mult,
            out,
            1,
        )
        t_sugg = timed(K.suggest, *args)
        args = (*args[:3], params._replace(sampled=True), *args[4:])
        t_sampled = timed(K.suggest, *args)
        rows[name] = {
            "served": ns,
            "friends_per_user": round(friends / ns, 1),
            "slots_per_user": round(slots / ns, 1),
            "walk_us": round(t_walk / ns * 1e6, 2),
            "candidates_us": round(t_cand / ns * 1e6, 2),
            "suggest_us": round(t_sugg / ns * 1e6, 2),
            "suggest_sampled_us": round(t_sampled / ns * 1e6, 2),
        }
    print(json.dumps({"agents": m.pop.n, "ties": m.ties.n_ties, "threads": 1, "per_platform": rows}))


if __name__ == "__main__":
    main()
