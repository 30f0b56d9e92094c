"""Locality experiment: friend-of-friend enumeration on the model's graph as numbered now vs with
adults numbered by area (children unchanged).

    python experiments/benchmarks/proto_locality.py --agents 1000000 --dense

NOT used by the model and not run by run_all.py (an exploratory measurement quoted in
docs/performance.md). Both graphs are compacted into a plain CSR (no spare slots) so that only
the numbering differs; the same 10,000 account holders per platform (mapped to the new ids) are
enumerated with ``proto_suggest.fof_packed``. Reported: microseconds per served user, half-edges
read per user and candidates per user (equal under both numberings: same graph).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from common import base_overrides  # noqa: E402
from proto_suggest import fof_packed  # noqa: E402


@numba.njit(cache=True)
def run_fof(users, p, start, deg, nbr, emask, echan, pdeg, elig, scr, cand, stamp0):
    tot = 0
    visits = 0
    for i in range(users.shape[0]):
        u = users[i]
        tot += fof_packed(u, p, 1.0, start, deg, nbr, emask, echan, pdeg, elig, scr, cand,
                          2 * (stamp0 + i))
        for a in range(start[u], start[u] + deg[u]):
            visits += deg[nbr[a]]
    return tot, visits


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--dense", action="store_true")
    ap.add_argument("--users", type=int, default=10_000)
    a = ap.parse_args(argv)
    from sim.model import GroomingModel

    m = GroomingModel(overrides=base_overrides(a.agents, 1, 1, a.dense))
    ts, pop = m.ties, m.pop
    n, nc = pop.n, pop.n_children

    def compact(order):
        inv = np.empty(n, np.int64)
        inv[order] = np.arange(n)
        deg = ts.deg[order]
        start = np.zeros(n, np.int64)
        np.cumsum(deg[:-1], out=start[1:])
        idx = np.concatenate([np.arange(s, s + d) for s, d in
                              zip(ts.start[order].tolist(), deg.tolist())])
        return (inv, start, deg.astype(np.int32), inv[ts.nbr[idx]].astype(np.int32),
                ts.emask[idx].copy(), ts.echan[idx].copy(), ts.pdeg[order].copy())

    orders = {
        "as built": np.arange(n),
        "adults numbered by area": np.concatenate(
            [np.arange(nc), nc + np.argsort(pop.area[nc:], kind="stable")]),
    }
    graphs = {k: compact(v) for k, v in orders.items()}
    rng = np.random.default_rng(1)
    out = {"agents": n, "ties": ts.n_ties, "users_per_platform": a.users, "platforms": {}}
    for p, name in enumerate(m.platform_names):
        users_old = m.acct_users[p][rng.integers(0, m.acct_users[p].size, a.users)]
        elig_old = pop.acct[:, p].view(np.uint8)
        row = {}
        for k, (inv, start, deg, nbr, em, ec, pdeg) in graphs.items():
            users = inv[users_old]
            elig = elig_old[orders[k]].copy()
            scr = np.zeros((n, 4))
            cand = np.zeros(n, np.int64)
            run_fof(users[:10], p, start, deg, nbr, em, ec, pdeg, elig, scr, cand, 1)
            t = time.perf_counter()
            tot, vis = run_fof(users, p, start, deg, nbr, em, ec, pdeg, elig, scr, cand, 100)
            dt = time.perf_counter() - t
            row[k] = {"us_per_user": round(dt / users.size * 1e6, 2),
                      "half_edges_per_user": round(vis / users.size),
                      "candidates_per_user": round(tot / users.size)}
        out["platforms"][name] = row
    print(json.dumps(out, indent=1), flush=True)
    return out


if __name__ == "__main__":
    main()
