"""Contact-kernel throughput against a memory-bound reference sweep, side by side in one process.

    python experiments/benchmarks/bench_kernel.py --agents 1000000 --dense --threads 1 --days 7

The model is built and stepped day by day. On each day, the model's own ``contact_step`` kernel
is timed inside the model's step (through a timing proxy of ``model.K``), and then, on the same
day and the very same CSR arrays (``start``, ``deg``, ``nbr``), a *reference sweep*: a plain
Numba pass (same ``prange`` over the same chunks) that reads every tie once from its lower end
and draws one counter-based random number per tie with ``sim.kernels``' numba-compiled ``u01``
(SplitMix64), counting interactions. That is the least work a contact step can do, so its speed
is the memory-bound ceiling. A second reference also reads every byte the contact step reads per
tie (``emask``, ``echan``, ``erel``). Ties/s = unique ties (``model.ties.n_ties``) / seconds.
The model's kernel and every variant run back to back inside the model's step, on exactly the
arrays the kernel is given (order rotated day by day). A *prototype* of the proposed faster
benign path (``proto_benign``) is timed too, and its per-platform interaction counts are checked
against the model's own for the same day (they must be equal: same keyed decisions).
Reported: medians over the days and the median of the per-day ratios (reference / kernel time,
i.e. kernel throughput as a share of the reference's).
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
from numba import prange  # noqa: E402

from sim import kernels as _k  # noqa: E402
from sim.config import CHANNELS  # noqa: E402

K = _k.numba_module()
u01 = K.u01  # the project's hash, numba-compiled (a numba dispatcher: callable from njit)
K_INTERACT = _k.K_INTERACT


def _draw_kind(kernel_name: str, marker: str) -> bool:
    """True if the model's kernel draws with ``marker`` (e.g. ``u01_pair(dk_interact``): the
    prototypes then use the same draw, so their outputs can be compared with the model's."""
    import inspect

    try:
        return marker in inspect.getsource(getattr(_k, kernel_name))
    except (OSError, TypeError, AttributeError):
        return False


PAIR_DRAW = _draw_kind("contact_step", "u01_pair(dk_interact") and hasattr(K, "u01_pair")
if PAIR_DRAW:
    day_key, u01_pair = K.day_key, K.u01_pair
else:  # placeholders, never called

    @numba.njit(cache=True)
    def day_key(seed, day, kind):
        return np.uint64(0)

    @numba.njit(cache=True)
    def u01_pair(dk, u, v):
        return 0.0


@numba.njit(parallel=True, cache=True, nogil=True)
def ref_sweep(seed, day, start, deg, nbr, p, n_chunks):
    """Every tie once (from its lower end), one keyed uniform per tie: the reference floor."""
    n = start.shape[0]
    chunk = (n + n_chunks - 1) // n_chunks
    hits = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        h = 0
        for u in range(lo, hi):
            s = start[u]
            for a in range(s, s + deg[u]):
                v = nbr[a]
                if v < u:
                    continue
                if u01(seed, day, K_INTERACT, u, v) < p:
                    h += 1
        hits[c] = h
    return hits.sum()


@numba.njit(parallel=True, cache=True, nogil=True)
def ref_sweep_full(seed, day, start, deg, nbr, emask, echan, erel, p_by_chan, n_chunks):
    """As ref_sweep but also reads the tie's mask, channel and relationship (what contact_step reads)."""
    n = start.shape[0]
    chunk = (n + n_chunks - 1) // n_chunks
    hits = np.zeros(n_chunks, np.int64)
    for c in prange(n_chunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        h = 0
        for u in range(lo, hi):
            s = start[u]
            for a in range(s, s + deg[u]):
                v = nbr[a]
                if v < u or emask[a] == 0 or erel[a] >= 0:
                    continue
                if u01(seed, day, K_INTERACT, u, v) < p_by_chan[echan[a]]:
                    h += 1
        hits[c] = h
    return hits.sum()


@numba.njit(cache=True, nogil=True)
def ref_sweep_serial_plain(seed, day, start, deg, nbr, p):
    """The same floor with no prange at all (a serial loop), for comparison at threads=1."""
    n = start.shape[0]
    h = 0
    for u in range(n):
        s = start[u]
        for a in range(s, s + deg[u]):
            v = nbr[a]
            if v < u:
                continue
            if u01(seed, day, K_INTERACT, u, v) < p:
                h += 1
    return h


# --------------------------------------------------------------------------------------------
# Prototype of the proposed contact-step benign path (not used by the model; measured here).
# Same keyed draws as the model (u01(seed, day, K_INTERACT, u, v)), but written so that LLVM can
# vectorise it like the reference: no early exits other than the (predictable) v < u test, the
# decision is a mask (draw < p & no relationship), platform counts are eight scalar accumulators
# (no stores to a shared 2-D array inside the loop), and the rare relationship ties are left to
# a separate pass over the relationship table (not timed here: a few thousand rows). Its
# per-platform counts are checked against the model's own for the same day.
# --------------------------------------------------------------------------------------------


@numba.njit(parallel=True, cache=True, nogil=True)
def proto_benign(seed, day, start, deg, nbr, emask, echan, erel, p_by_chan, n_chunks, pair_draw):
    n = start.shape[0]
    chunk = (n + n_chunks - 1) // n_chunks
    counts = np.zeros((n_chunks, 8), np.int64)
    dk = day_key(seed, day, K_INTERACT)
    for c in prange(n_chunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = 0
        for u in range(lo, hi):
            s = start[u]
            for a in range(s, s + deg[u]):
                v = nbr[a]
                if v < u:
                    continue
                x = u01_pair(dk, u, v) if pair_draw else u01(seed, day, K_INTERACT, u, v)
                hit = np.int64((x < p_by_chan[echan[a]]) & (erel[a] < 0))
                mm = np.int64(emask[a]) * hit
                c0 += mm & 1
                c1 += (mm >> 1) & 1
                c2 += (mm >> 2) & 1
                c3 += (mm >> 3) & 1
                c4 += (mm >> 4) & 1
                c5 += (mm >> 5) & 1
                c6 += (mm >> 6) & 1
                c7 += (mm >> 7) & 1
        counts[c, 0] = c0
        counts[c, 1] = c1
        counts[c, 2] = c2
        counts[c, 3] = c3
        counts[c, 4] = c4
        counts[c, 5] = c5
        counts[c, 6] = c6
        counts[c, 7] = c7
    return counts.sum(axis=0)


class _Hook:
    """Proxy of the kernel namespace: around the model's ``contact_step`` call, time the model's
    kernel and, on exactly the arrays it is given, the references and the prototype."""

    def __init__(self, K, model, n_chunks):
        self._K, self._m, self._n = K, model, n_chunks
        self.rows = []
        self.active = False

    def __getattr__(self, name):
        obj = getattr(self._K, name)
        if name != "contact_step":
            return obj

        def hooked(*a, **kw):
            if not self.active:
                return obj(*a, **kw)
            seed, day = a[0], a[1]
            ts, m = self._m.ties, self._m
            p_mean = float(np.mean(m.interact_p[: len(CHANNELS)]))
            row = {"day": int(day), "ties": ts.n_ties}
            runs = [
                ("ref", lambda: ref_sweep(seed, day, ts.start, ts.deg, ts.nbr, p_mean, self._n)),
                ("ref_full", lambda: ref_sweep_full(seed, day, ts.start, ts.deg, ts.nbr, ts.emask,
                                                    ts.echan, ts.erel, m.interact_p, self._n)),
                ("ref_serial", lambda: ref_sweep_serial_plain(seed, day, ts.start, ts.deg,
                                                              ts.nbr, p_mean)),
                ("proto", lambda: proto_benign(seed, day, ts.start, ts.deg, ts.nbr, ts.emask,
                                               ts.echan, ts.erel, m.interact_p, self._n,
                                               PAIR_DRAW)),
            ]
            # rotate the order day by day so that no variant always runs first
            k = len(self.rows) % len(runs)
            runs = runs[k:] + runs[:k]
            result = None
            for i, (nm, fn) in enumerate(runs):
                if i == 2:  # the model's kernel in the middle of the references
                    t = time.perf_counter()
                    result = obj(*a, **kw)
                    row["kernel"] = time.perf_counter() - t
                t = time.perf_counter()
                r = fn()
                row[nm] = time.perf_counter() - t
                if nm == "proto":
                    row["proto_counts"] = [int(x) for x in r]
            self.rows.append(row)
            return result

        return hooked


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--dense", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--days", type=int, default=7, help="measured days (after one warm-up day)")
    a = ap.parse_args(argv)

    from sim.model import N_CHUNKS, GroomingModel

    m = GroomingModel(overrides=base_overrides(a.agents, a.days + 1, a.threads, a.dense))
    threads = numba.get_num_threads()
    hook = _Hook(m.K, m, N_CHUNKS)
    m.K = hook
    ts = m.ties
    # warm-up: one model day (loads the kernel cache) and one call of each variant
    m.step()
    ref_sweep(m.seed, 0, ts.start, ts.deg, ts.nbr, 0.5, N_CHUNKS)
    ref_sweep_full(m.seed, 0, ts.start, ts.deg, ts.nbr, ts.emask, ts.echan, ts.erel, m.interact_p,
                   N_CHUNKS)
    ref_sweep_serial_plain(m.seed, 0, ts.start, ts.deg, ts.nbr, 0.5)
    proto_benign(m.seed, 0, ts.start, ts.deg, ts.nbr, ts.emask, ts.echan, ts.erel, m.interact_p,
                 N_CHUNKS, PAIR_DRAW)
    hook.active = True
    proto_equal = True
    for _ in range(a.days):
        m.step()
        row = hook.rows[-1]
        model_counts = [m.metrics.last(f"benign_interactions_{nm}") for nm in m.platform_names]
        row["model_counts"] = model_counts
        row["proto_equal"] = row["proto_counts"][: len(model_counts)] == model_counts
        proto_equal &= row["proto_equal"]
    rows = hook.rows
    med = statistics.median
    n_ties = rows[-1]["ties"]
    out = {
        "agents": m.pop.n,
        "dense": a.dense,
        "threads": threads,
        "threading_layer": numba.threading_layer(),
        "ties": n_ties,
        "days_measured": len(rows),
        "kernel_seconds_median": med(r["kernel"] for r in rows),
        "reference_seconds_median": med(r["ref"] for r in rows),
        "reference_full_read_seconds_median": med(r["ref_full"] for r in rows),
        "reference_serial_seconds_median": med(r["ref_serial"] for r in rows),
        "prototype_seconds_median": med(r["proto"] for r in rows),
        "kernel_ties_per_second": med(r["ties"] / r["kernel"] for r in rows),
        "reference_ties_per_second": med(r["ties"] / r["ref"] for r in rows),
        "reference_full_read_ties_per_second": med(r["ties"] / r["ref_full"] for r in rows),
        "reference_serial_ties_per_second": med(r["ties"] / r["ref_serial"] for r in rows),
        "prototype_ties_per_second": med(r["ties"] / r["proto"] for r in rows),
        "ratio_kernel_to_reference": med(r["ref"] / r["kernel"] for r in rows),
        "ratio_kernel_to_reference_full_read": med(r["ref_full"] / r["kernel"] for r in rows),
        "ratio_prototype_to_reference": med(r["ref"] / r["proto"] for r in rows),
        "prototype_counts_equal_model": proto_equal,
        "prototype_draw": "u01_pair(day_key(seed, day, K_INTERACT), u, v)" if PAIR_DRAW
        else "u01(seed, day, K_INTERACT, u, v)",
        "per_day": rows,
    }
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
