"""Ordinary benign growth of the graph: new ties between children of an area, every day.

Each day Poisson(``network.organic_ties_per_1000_per_day`` x children / 1000) pairs of a child and
another child of the same area (children present that day) become tied on a platform both use
(the first shared one after a random offset). The day's benign ties made by friend suggestions
(:mod:`sim.suggestions`) are inserted in the same step, before the organic ones; a pair listed
twice is inserted once (the first listing wins, so a suggested tie keeps its channel).

Draws come from a NumPy generator keyed by ``(seed, Stream.DAILY_ORGANIC, day)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.categories import Channel
from sim.fields import number
from sim.rng import Stream, rng_for

if TYPE_CHECKING:
    from sim.model import GroomingModel


@dataclass
class OrganicSettings:
    """``network.*`` key of organic growth."""

    organic_ties_per_1000_per_day: float = number(0, 1000)


def daily(model: GroomingModel, d: int, suggested: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Insert today's benign suggested ties ``(u, w, platform)`` and organic ties."""
    bu, bw, bp = suggested
    pop = model.pop
    n_plat = model.n_platforms
    lam = model.nw.organic_ties_per_1000_per_day * model.reachable.ids.size / 1000.0
    rng = rng_for(model.seed, Stream.DAILY_ORGANIC, d)
    m = int(rng.poisson(lam)) if lam > 0 else 0
    kids = model.reachable  # the children present today, by area
    if m and kids.ids.size > 1:
        a = kids.ids[rng.integers(0, kids.ids.size, size=m)]
        area = pop.area[a]
        lo, hi = kids.area_lo[area], kids.area_hi[area]
        b = kids.ids[lo + (rng.random(m) * (hi - lo)).astype(np.int64)]
        both = pop.acct[a] & pop.acct[b]
        has = both.any(axis=1)
        # platform: the first shared one after a random offset (deterministic per draw)
        off = rng.integers(0, n_plat, size=m)
        pp = np.array(
            [
                next((int((o_ + j) % n_plat) for j in range(n_plat) if row[(o_ + j) % n_plat]), -1)
                for o_, row in zip(off.tolist(), both)
            ],
            np.int64,
        )
        a, b, pp = a[has], b[has], pp[has]
    else:
        a = b = pp = np.zeros(0, np.int64)
    tu = np.concatenate([bu, a])
    tv = np.concatenate([bw, b])
    tp = np.concatenate([bp, pp])
    chan = np.concatenate(
        [np.full(bu.size, Channel.SUGGESTION, np.int8), np.full(a.size, Channel.ORGANIC, np.int8)]
    )
    if tu.size == 0:
        return
    lo_, hi_ = np.minimum(tu, tv), np.maximum(tu, tv)
    _, first = np.unique(lo_ * pop.n + hi_, return_index=True)
    first.sort()
    ts = model.ties
    met = model.metrics
    counts = {}
    for label, sel in (
        ("suggestion", chan[first] == Channel.SUGGESTION),
        ("organic", chan[first] != Channel.SUGGESTION),
    ):
        rows = first[sel]
        counts[label] = ts.insert(
            model.K,
            lo_[rows],
            hi_[rows],
            (np.int64(1) << tp[rows]).astype(np.uint8),
            chan[rows],
            np.full(rows.size, -1, np.int32),
            d,
        )
    met.add("ties_created_by_suggestion", counts["suggestion"])
    met.add("ties_created_benign_by_suggestion", counts["suggestion"])
    met.add("ties_created_organic", counts["organic"])
