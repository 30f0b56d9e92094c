"""Contact-kernel throughput against a memory-bound reference sweep, side by side in one process.

    python experiments/benchmarks/bench_kernel.py --agents 1000000 --dense --threads 1 --days 7

The model is built and stepped day by day. On each day, the model's own contact-step kernel
(``sim.contacts.benign_interactions``: every tie, every day) is timed inside the model's step
(through a timing proxy of ``model.K``), and then, on the same day and the very same CSR arrays
(``start``, ``deg``, ``nbr``), a *reference sweep*: a plain Numba pass (same ``prange`` over the
same chunks) that reads every tie once from its lower end and draws one counter-based random
number per tie with ``sim.rng``'s numba-compiled ``u01`` (SplitMix64), counting interactions. That
is the least work a contact step can do, so its speed is the memory-bound ceiling. A second
reference also reads the tie's ``emask``, ``echan`` and ``erel``. Ties/s = unique ties
(``model.ties.n_ties``) / seconds. The model's kernel and every variant run back to back inside
the model's step, on exactly the arrays the kernel is given (order rotated day by day).
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

from sim.backend import kernels  # noqa: E402
from sim.categories import CHANNELS  # noqa: E402
from sim.rng import Decision  # noqa: E402

K = kernels("numba")
u01 = K.u01  # the project's hash, numba-compiled (a numba dispatcher: callable from njit)
K_INTERACT = int(Decision.INTERACT)
#: The model's contact-step kernel (the benign pass over every tie).
KERNEL = "benign_interactions"


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
    """As ref_sweep but also reads the tie's mask, channel and relationship."""
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


class _Hook:
    """Proxy of the kernel namespace: around the model's contact-step kernel call, time the
    model's kernel and, on exactly the arrays it is given, the references."""

    def __init__(self, K, model, n_chunks):
        self._K, self._m, self._n = K, model, n_chunks
        self.rows = []
        self.active = False

    def __getattr__(self, name):
        obj = getattr(self._K, name)
        if name != KERNEL:
            return obj

        def hooked(*a, **kw):
            if not self.active:
                return obj(*a, **kw)
            seed, day = a[0], a[1]
            ts, m = self._m.ties, self._m
            p_mean = float(np.mean(m.interaction_p[: len(CHANNELS)]))
            row = {"day": int(day), "ties": ts.n_ties}
            runs = [
                ("ref", lambda: ref_sweep(seed, day, ts.start, ts.deg, ts.nbr, p_mean, self._n)),
                (
                    "ref_full",
                    lambda: ref_sweep_full(
                        seed,
                        day,
                        ts.start,
                        ts.deg,
                        ts.nbr,
                        ts.emask,
                        ts.echan,
                        ts.erel,
                        m.interaction_p,
                        self._n,
                    ),
                ),
                ("ref_serial", lambda: ref_sweep_serial_plain(seed, day, ts.start, ts.deg, ts.nbr, p_mean)),
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
                fn()
                row[nm] = time.perf_counter() - t
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

    from sim.contacts import N_CHUNKS
    from sim.model import GroomingModel

    m = GroomingModel(overrides=base_overrides(a.agents, a.days + 1, a.threads, a.dense))
    threads = numba.get_num_threads()
    hook = _Hook(m.K, m, N_CHUNKS)
    m.K = hook
    ts = m.ties
    # warm-up: one model day (loads the kernel cache) and one call of each variant
    m.step()
    ref_sweep(m.seed, 0, ts.start, ts.deg, ts.nbr, 0.5, N_CHUNKS)
    ref_sweep_full(
        m.seed, 0, ts.start, ts.deg, ts.nbr, ts.emask, ts.echan, ts.erel, m.interaction_p, N_CHUNKS
    )
    ref_sweep_serial_plain(m.seed, 0, ts.start, ts.deg, ts.nbr, 0.5)
    hook.active = True
    for _ in range(a.days):
        m.step()
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
        "kernel_ties_per_second": med(r["ties"] / r["kernel"] for r in rows),
        "reference_ties_per_second": med(r["ties"] / r["ref"] for r in rows),
        "reference_full_read_ties_per_second": med(r["ties"] / r["ref_full"] for r in rows),
        "reference_serial_ties_per_second": med(r["ties"] / r["ref_serial"] for r in rows),
        "ratio_kernel_to_reference": med(r["ref"] / r["kernel"] for r in rows),
        "ratio_kernel_to_reference_full_read": med(r["ref_full"] / r["kernel"] for r in rows),
        "per_day": rows,
    }
    print(json.dumps(out), flush=True)
    return out


if __name__ == "__main__":
    main()
