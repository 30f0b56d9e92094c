"""Prototype of a faster friend-suggestion kernel, measured against the model's own, same inputs.

    python experiments/benchmarks/proto_suggest.py --agents 1000000 --dense --days 4

NOT used by the model. It mirrors ``sim.kernels.suggest`` / ``fof_candidates`` (as of commit
a30fab4; the hook binds the model's call by parameter name, so an added parameter is caught
and reported) with four changes that keep every output identical:

1. eligibility (``acct[:, p] & suggestible & ~banned[:, p]``) is one contiguous byte per node,
   computed once per platform and day, instead of three scattered loads per candidate;
2. the per-user scratch (mark, common-neighbour count, Adamic-Adar sum, contact-book flag) is
   packed into one 32-byte record per node (one cache line per friend-of-friend visited,
   instead of three or four);
3. the tie-break hash is drawn only for a candidate that can still enter the top k (a score
   below the current k-th can never enter, whatever its tie-break) - newer model kernels do
   this already; the prototype then follows their draw (``u01_pair``);
4. the age-homophily factor ``exp(-age_h * |age gap| / 5)`` comes from a 256-entry table.

Inside the model's step, every ``suggest`` call is run twice on the same inputs - the model's
kernel, then the prototype - and the proposals (``out_u``, ``out_w``, ``out_kind``) are compared.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from common import base_overrides  # noqa: E402
from numba import prange  # noqa: E402

from sim import kernels as _k  # noqa: E402

K = _k.numba_module()
u01 = K.u01
K_SERVE, K_TIEBREAK, K_SUGGEST_SEND = _k.K_SERVE, _k.K_TIEBREAK, _k.K_SUGGEST_SEND
RULE_CN, RULE_AA, RULE_JACCARD = _k.RULE_CN, _k.RULE_AA, _k.RULE_JACCARD
ROLE_CHILD, ROLE_OFFENDER = _k.ROLE_CHILD, _k.ROLE_OFFENDER
PROP_BENIGN = _k.PROP_BENIGN
PROP_OFFENDER_TO_CHILD = _k.PROP_OFFENDER_TO_CHILD
PROP_CHILD_TO_OFFENDER = _k.PROP_CHILD_TO_OFFENDER
CH_ADULT = _k.CH_ADULT


def _uses(kernel_name: str, marker: str) -> bool:
    import inspect

    try:
        return marker in inspect.getsource(getattr(_k, kernel_name))
    except (OSError, TypeError, AttributeError):
        return False


#: the model's suggest draws its tie-break with u01_pair(day_key(...), u, w) (newer kernels) or
#: u01(seed, day, K_TIEBREAK, u, w); the prototype follows it so outputs stay comparable
PAIR_TIE = _uses("suggest", "u01_pair(dk_tie") and hasattr(K, "u01_pair")
if PAIR_TIE:
    day_key, u01_pair = K.day_key, K.u01_pair
else:  # placeholders, never called

    @numba.njit(cache=True)
    def day_key(seed, day, kind):
        return np.uint64(0)

    @numba.njit(cache=True)
    def u01_pair(dk, u, v):
        return 0.0


@numba.njit(cache=True, nogil=True)
def exp_table(age_h):
    t = np.empty(256)
    for d in range(256):
        t[d] = math.exp(-age_h * d / 5.0)
    return t


@numba.njit(cache=True, nogil=True)
def fof_packed(u, p, contact_book, start, deg, nbr, emask, echan, pdeg, elig, scr, cand, stamp):
    pbit = np.uint8(1 << p)
    st = float(stamp)
    excl = float(stamp + 1)
    su = start[u]
    for a in range(su, su + deg[u]):
        if (emask[a] & pbit) != 0:
            scr[nbr[a], 0] = excl
    scr[u, 0] = excl
    nc = 0
    for a in range(su, su + deg[u]):
        v = nbr[a]
        if (emask[a] & pbit) == 0:
            if contact_book > 0.0 and (emask[a] != 0 or echan[a] <= CH_ADULT) and elig[v]:
                mv = scr[v, 0]
                if mv != st and mv != excl:
                    scr[v, 0] = st
                    scr[v, 1] = 0.0
                    scr[v, 2] = 0.0
                    scr[v, 3] = 0.0
                    cand[nc] = v
                    nc += 1
                    mv = st
                if mv == st:
                    scr[v, 3] = 1.0
            continue
        sv = start[v]
        inv_log = 1.0 / math.log(pdeg[v, p]) if pdeg[v, p] > 1 else 0.0
        for b in range(sv, sv + deg[v]):
            if (emask[b] & pbit) == 0:
                continue
            w = nbr[b]
            mw = scr[w, 0]
            if mw == excl:
                continue
            if mw != st:
                if not elig[w]:
                    continue
                scr[w, 0] = st
                scr[w, 1] = 0.0
                scr[w, 2] = 0.0
                scr[w, 3] = 0.0
                cand[nc] = w
                nc += 1
            scr[w, 1] += 1.0
            scr[w, 2] += inv_log
    return nc


@numba.njit(parallel=True, cache=True, nogil=True)
def suggest_proto(seed, day, p, rule, k, n_served, accept, offender_follow, age_h, school_h,
                  contact_book, claimed_teen_mult, acct_users, start, deg, nbr, emask, echan,
                  pdeg, role, age, school, elig, accept_mult, claims_teen, target_min, target_max,
                  out_of_range_w, known_minor_p, no_adult_child, min_mutual_minor, out_u, out_w,
                  out_kind, n_chunks, stamp_base, scr_all, cand_all, exp_tab, pair_tie):
    n_acct = acct_users.shape[0]
    dk_tie = day_key(seed, day, K_TIEBREAK)
    chunk = (n_served + n_chunks - 1) // n_chunks
    for c in prange(n_chunks):
        scr = scr_all[c]
        cand = cand_all[c]
        top_w = np.empty(k, np.int64)
        top_s = np.empty(k, np.float64)
        top_t = np.empty(k, np.float64)
        lo = c * chunk
        hi = min(n_served, lo + chunk)
        for i in range(lo, hi):
            for j in range(k):
                out_u[i * k + j] = -1
            if n_acct == 0:
                continue
            u = acct_users[int(u01(seed, day, K_SERVE, p, i) * n_acct)]
            if not elig[u]:
                continue
            stamp = 2 * (stamp_base + i)
            nc = fof_packed(u, p, contact_book, start, deg, nbr, emask, echan, pdeg, elig, scr,
                            cand, stamp)
            nt = 0
            su_school = school[u]
            age_u = age[u]
            km_u = known_minor_p[u]
            for a in range(nc):
                w = cand[a]
                cw = scr[w, 1]
                if rule == RULE_CN:
                    base = cw
                elif rule == RULE_AA:
                    base = scr[w, 2]
                elif rule == RULE_JACCARD:
                    union = pdeg[u, p] + pdeg[w, p] - cw
                    base = cw / union if union > 0 else 0.0
                else:
                    base = float(pdeg[u, p]) * float(pdeg[w, p])
                f = 1.0
                if school_h > 0.0 and su_school >= 0 and su_school == school[w]:
                    f *= 1.0 + school_h
                if age_h > 0.0:
                    f *= exp_tab[abs(age_u - age[w])]
                s = base * f + contact_book * scr[w, 3]
                if s <= 0.0:
                    continue
                if nt == k and s < top_s[k - 1]:
                    continue  # cannot enter the top k, whatever its tie-break
                if km_u or known_minor_p[w]:
                    if no_adult_child:
                        u_adult = role[u] != ROLE_CHILD and not claims_teen[u]
                        w_adult = role[w] != ROLE_CHILD and not claims_teen[w]
                        if (km_u and w_adult) or (known_minor_p[w] and u_adult):
                            continue
                    if min_mutual_minor > 0 and cw < min_mutual_minor:
                        continue
                t = u01_pair(dk_tie, u, w) if pair_tie else u01(seed, day, K_TIEBREAK, u, w)
                if nt < k:
                    pos = nt
                    nt += 1
                elif s > top_s[k - 1] or (s == top_s[k - 1] and t < top_t[k - 1]):
                    pos = k - 1
                else:
                    continue
                while pos > 0 and (top_s[pos - 1] < s or (top_s[pos - 1] == s and top_t[pos - 1] > t)):
                    top_s[pos] = top_s[pos - 1]
                    top_t[pos] = top_t[pos - 1]
                    top_w[pos] = top_w[pos - 1]
                    pos -= 1
                top_s[pos] = s
                top_t[pos] = t
                top_w[pos] = w
            for j in range(nt):
                w = top_w[j]
                r = u01(seed, day, K_SUGGEST_SEND, u, w)
                ru = role[u]
                rw = role[w]
                kind = PROP_BENIGN
                pr = accept
                if ru == ROLE_OFFENDER and rw == ROLE_CHILD:
                    kind = PROP_OFFENDER_TO_CHILD
                    pr = offender_follow
                    if age[w] < target_min[u] or age[w] > target_max[u]:
                        pr *= out_of_range_w[u]
                elif ru == ROLE_CHILD and rw == ROLE_OFFENDER:
                    kind = PROP_CHILD_TO_OFFENDER
                    pr = accept * (claimed_teen_mult if claims_teen[w] else 1.0) * accept_mult[u]
                elif ru == ROLE_OFFENDER or rw == ROLE_OFFENDER:
                    pr = 0.0
                if r < pr:
                    out_u[i * k + j] = u
                    out_w[i * k + j] = w
                    out_kind[i * k + j] = kind


def _PROTO_PARAMS(seed, day, p, rule, k, n_served, accept, offender_follow, age_h, school_h,
                  contact_book, claimed_teen_mult, acct_users, start, deg, nbr, emask, echan,
                  pdeg, role, age, school, acct, suggestible, banned, accept_mult, claims_teen,
                  target_min, target_max, out_of_range_w, known_minor_p, no_adult_child,
                  min_mutual_minor, out_u, out_w, out_kind, n_chunks, stamp_base, sc_mark, sc_cnt,
                  sc_aa, sc_book, sc_cand):
    """The parameter list of sim.kernels.suggest this prototype mirrors."""


class _Hook:
    def __init__(self, K, n_nodes, n_chunks):
        self._K = K
        self.rows = []
        self.active = False
        self.scr = np.zeros((n_chunks, n_nodes, 4))
        self.cand = np.zeros((n_chunks, n_nodes), np.int64)
        self.stamp = 1

    def __getattr__(self, name):
        obj = getattr(self._K, name)
        if name != "suggest":
            return obj

        def hooked(*a):
            import inspect

            params = list(inspect.signature(_k.suggest).parameters)
            expected = list(inspect.signature(_PROTO_PARAMS).parameters)
            if params != expected:
                raise RuntimeError("sim.kernels.suggest's parameters changed; update the "
                                   f"prototype: {sorted(set(params) ^ set(expected))}")
            g = dict(zip(params, a))
            (seed, day, p, rule, k, n_served, accept, offender_follow, age_h, school_h,
             contact_book, claimed_teen_mult, acct_users, start, deg, nbr, emask, echan, pdeg,
             role, age, school, acct, suggestible, banned, accept_mult, claims_teen, target_min,
             target_max, out_of_range_w, known_minor_p, no_adult_child, min_mutual_minor, out_u,
             out_w, out_kind, n_chunks, stamp_base) = (g[x] for x in expected[:38])
            t = time.perf_counter()
            obj(*a)
            t_model = time.perf_counter() - t
            if not self.active:
                return None
            ou, ow, ok_ = np.full_like(out_u, -1), np.full_like(out_w, -1), np.zeros_like(out_kind)
            t = time.perf_counter()
            elig = (acct[:, p] & suggestible & ~banned).view(np.uint8)
            tab = exp_table(age_h)
            t_elig = time.perf_counter() - t
            t = time.perf_counter()
            suggest_proto(seed, day, p, rule, k, n_served, accept, offender_follow, age_h,
                          school_h, contact_book, claimed_teen_mult, acct_users, start, deg, nbr,
                          emask, echan, pdeg, role, age, school, elig, accept_mult, claims_teen,
                          target_min,
                          target_max, out_of_range_w, known_minor_p, no_adult_child,
                          min_mutual_minor, ou, ow, ok_, n_chunks, self.stamp, self.scr,
                          self.cand, tab, PAIR_TIE)
            t_proto = time.perf_counter() - t
            self.stamp += n_served
            same = (np.array_equal(ou, out_u) and np.array_equal(ow, out_w)
                    and np.array_equal(ok_[ou >= 0], out_kind[out_u >= 0]))
            self.rows.append(dict(day=int(day), platform=int(p), n_served=int(n_served),
                                  model=t_model, proto=t_proto + t_elig, elig=t_elig,
                                  identical=bool(same)))
            return None

        return hooked


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--dense", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--days", type=int, default=4)
    a = ap.parse_args(argv)
    from sim.model import GroomingModel

    m = GroomingModel(overrides=base_overrides(a.agents, a.days + 1, a.threads, a.dense))
    hook = _Hook(m.K, m.pop.n, m._sugg_chunks)
    m.K = hook
    m.step()  # warm-up (kernel cache, prototype compilation below)
    hook.active = True
    # compile the prototype on a tiny call before timing
    for _ in range(a.days):
        m.step()
    rows = hook.rows
    # drop the first day's calls (prototype compilation happens there)
    days = sorted({r["day"] for r in rows})
    rows_t = [r for r in rows if r["day"] != days[0]] or rows
    per_day_model = {}
    per_day_proto = {}
    for r in rows_t:
        per_day_model[r["day"]] = per_day_model.get(r["day"], 0.0) + r["model"]
        per_day_proto[r["day"]] = per_day_proto.get(r["day"], 0.0) + r["proto"]
    mm = statistics.median(per_day_model.values())
    pp = statistics.median(per_day_proto.values())
    out = {
        "agents": m.pop.n, "dense": a.dense, "threads": numba.get_num_threads(),
        "ties": m.ties.n_ties, "days_timed": len(per_day_model),
        "served_per_day": sum(r["n_served"] for r in rows if r["day"] == days[-1]),
        "model_suggest_seconds_per_day": mm,
        "prototype_suggest_seconds_per_day": pp,
        "speedup": mm / pp,
        "identical_all_calls": all(r["identical"] for r in rows),
        "tiebreak_draw": "u01_pair" if PAIR_TIE else "u01",
        "calls": len(rows),
    }
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
