"""Prototype of a faster initial-tie build, measured against the model's own (identical output).

    python experiments/benchmarks/proto_build.py --agents 1000000 --dense

NOT used by the model. Two O(ties) Numba passes replace the two O(ties log ties) sorts of
``sim.network``:

1. de-duplication of the canonical tie list (``np.unique(a * n + b, return_index=True)`` then
   ``first.sort()``: keep the first listed copy of each pair) becomes a counting sort by ``a``
   (stable) and a ``seen[b] == a`` marker per bucket: the same first copies, in the same order;
2. ``TieStore.__init__``'s stable ``argsort`` of the half-edge owners becomes a counting-sort
   scatter into the same slots.

Also timed: ``build_population`` as is and with its one configuration lookup inside the
household loop (``pc.household_children_mean``, an OmegaConf attribute read ~10 us each, once
per household) hoisted into a local float - same world, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from common import base_overrides  # noqa: E402


@numba.njit(cache=True, nogil=True)
def first_copies(a, b, n):
    """keep[i] = True for the first listed copy of each pair (a[i], b[i]); same as np.unique's
    return_index (sorted back into list order)."""
    m = a.shape[0]
    cnt = np.zeros(n + 1, np.int64)
    for i in range(m):
        cnt[a[i] + 1] += 1
    for u in range(n):
        cnt[u + 1] += cnt[u]
    fill = cnt[:n].copy()
    order = np.empty(m, np.int64)
    for i in range(m):  # stable counting sort by a
        order[fill[a[i]]] = i
        fill[a[i]] += 1
    seen = np.full(n, -1, np.int64)
    keep = np.zeros(m, np.bool_)
    for u in range(n):
        for j in range(cnt[u], cnt[u + 1]):
            i = order[j]
            if seen[b[i]] != u:
                seen[b[i]] = u
                keep[i] = True
    return keep


@numba.njit(cache=True, nogil=True)
def scatter_halves(u, v, mask, chan, start, nbr, emask, echan):
    """Place half-edges (u[i] -> v[i]) and (v[i] -> u[i]) in the order TieStore's stable
    argsort of concat([u, v]) puts them."""
    n = start.shape[0]
    fill = np.zeros(n, np.int64)
    m = u.shape[0]
    for i in range(m):
        x = u[i]
        s = start[x] + fill[x]
        fill[x] += 1
        nbr[s] = v[i]
        emask[s] = mask[i]
        echan[s] = chan[i]
    for i in range(m):
        x = v[i]
        s = start[x] + fill[x]
        fill[x] += 1
        nbr[s] = u[i]
        emask[s] = mask[i]
        echan[s] = chan[i]


def tiestore_fast(n, n_platforms, u, v, mask, chan, slack):
    """Same arrays as sim.network.TieStore(n, n_platforms, u, v, mask, chan, slack)."""
    from sim.network import TieStore

    ts = TieStore.__new__(TieStore)
    ts.n, ts.n_platforms = n, n_platforms
    u = u.astype(np.int64)
    v = v.astype(np.int64)
    deg = (np.bincount(u, minlength=n) + np.bincount(v, minlength=n)).astype(np.int32)
    cap = (deg + np.ceil(deg * slack) + 2).astype(np.int32)
    start = np.zeros(n, np.int64)
    np.cumsum(cap[:-1], out=start[1:])
    used = int(start[-1] + cap[-1]) if n else 0
    pool = int(used * 1.25) + 1024
    ts.nbr = np.full(pool, -1, np.int32)
    ts.emask = np.zeros(pool, np.uint8)
    ts.eday = np.zeros(pool, np.int16)
    ts.echan = np.zeros(pool, np.int8)
    ts.erel = np.full(pool, -1, np.int32)
    scatter_halves(u, v, mask.astype(np.uint8), chan.astype(np.int8), start, ts.nbr, ts.emask,
                   ts.echan)
    ts.start, ts.deg, ts.cap = start, deg, cap
    ts.pool_used = np.array([used], np.int64)
    ts.pdeg = np.zeros((n, n_platforms), np.int32)
    for p in range(n_platforms):
        on = ((mask >> p) & 1).astype(bool)
        ts.pdeg[:, p] = np.bincount(u[on], minlength=n) + np.bincount(v[on], minlength=n)
    return ts


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--dense", action="store_true")
    a = ap.parse_args(argv)

    import sim.network as N
    import sim.population as P
    from sim.config import load_config

    cfg = load_config(base_overrides(a.agents, 1, 1, a.dense))
    out = {"agents": a.agents, "dense": a.dense}

    # -- population: as is vs hoisted config lookup ------------------------------------------
    src = Path(P.__file__).read_text()
    old = "size = 1 + rng.poisson(pc.household_children_mean - 1)"
    fast_src = src.replace(old, "size = 1 + rng.poisson(_hh_lam)").replace(
        "    household = np.full(n, -1, np.int32)\n",
        "    household = np.full(n, -1, np.int32)\n    _hh_lam = float(pc.household_children_mean) - 1\n", 1)
    popfast = None
    if old in src and fast_src != src:
        popfast = types.ModuleType("sim._population_fast")
        popfast.__file__ = P.__file__
        sys.modules[popfast.__name__] = popfast
        exec(compile(fast_src, "population_fast", "exec"), popfast.__dict__)

    def pop_hash(pop):
        h = hashlib.sha256()
        for f in ("role", "age", "sex", "school", "class_id", "area", "household", "literacy",
                  "vulnerability", "acct", "known_minor", "offender_ids"):
            h.update(np.ascontiguousarray(getattr(pop, f)).tobytes())
        return h.hexdigest()

    t = time.perf_counter()
    pop, groups = P.build_population(cfg)
    out["build_population_seconds"] = time.perf_counter() - t
    if popfast is not None:
        t = time.perf_counter()
        pop2, _ = popfast.build_population(cfg)
        out["build_population_hoisted_seconds"] = time.perf_counter() - t
        out["population_identical"] = pop_hash(pop) == pop_hash(pop2)
        del pop2

    # -- ties: as is vs O(E) passes ---------------------------------------------------------
    captured = {}
    orig_init = N.TieStore.__init__

    def spy(self, n, n_platforms, u, v, mask, chan, slack=0.5):
        captured.update(n=n, P=n_platforms, u=u, v=v, mask=mask, chan=chan, slack=slack)
        t0 = time.perf_counter()
        orig_init(self, n, n_platforms, u, v, mask, chan, slack)
        captured["init_seconds"] = time.perf_counter() - t0

    N.TieStore.__init__ = spy
    t = time.perf_counter()
    ts = N.build_initial_ties(cfg, pop, groups)
    out["build_initial_ties_seconds"] = time.perf_counter() - t
    N.TieStore.__init__ = orig_init
    out["tiestore_init_seconds"] = captured["init_seconds"]

    # dedupe on a representative list: the canonical pairs again, duplicated and shuffled in
    # blocks, checked against np.unique on the same input
    n = captured["n"]
    ua, vb = captured["u"].astype(np.int64), captured["v"].astype(np.int64)
    rng = np.random.default_rng(0)
    dup = rng.random(ua.size) < 0.1
    A = np.concatenate([ua, ua[dup]])
    B = np.concatenate([vb, vb[dup]])
    first_copies(A[:10], B[:10], n)  # compile / load cache
    t = time.perf_counter()
    _, first = np.unique(A * n + B, return_index=True)
    first.sort()
    out["dedupe_np_unique_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    keep = first_copies(A, B, n)
    first2 = np.nonzero(keep)[0]
    out["dedupe_counting_seconds"] = time.perf_counter() - t
    out["dedupe_identical"] = bool(np.array_equal(first, first2))
    out["dedupe_pairs"] = int(A.size)

    scatter_halves(captured["u"][:1].astype(np.int64), captured["v"][:1].astype(np.int64),
                   captured["mask"][:1], captured["chan"][:1], np.zeros(n, np.int64),
                   np.zeros(4, np.int32), np.zeros(4, np.uint8), np.zeros(4, np.int8))
    t = time.perf_counter()
    ts2 = tiestore_fast(n, captured["P"], captured["u"], captured["v"], captured["mask"],
                        captured["chan"], captured["slack"])
    out["tiestore_counting_seconds"] = time.perf_counter() - t
    out["tiestore_identical"] = all(
        np.array_equal(getattr(ts, f), getattr(ts2, f))
        for f in ("start", "deg", "cap", "nbr", "emask", "eday", "echan", "erel", "pool_used",
                  "pdeg"))
    out["ties"] = int(captured["u"].size)
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
