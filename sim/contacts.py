"""The benign contact step: every tie, every day, may carry an interaction.

For each tie (visited once, from its lower id) an interaction happens with the daily probability
of the channel it began through (``network.interaction_*``, :class:`InteractionSettings`) on the
platforms it is on; interactions are counted per platform (the benign workload, and the
denominator of false positives and of an intervention's costs). Where a detector runs
(``ai_detection``), each benign interaction on a scanned platform is wrongly flagged with the
false-positive rate; the flagged account (the tie's higher id: the adult end, if any) joins the
platform's review queue. Ties that carry (or carried) an offender-child relationship have no
benign interactions: their days are stepped by :mod:`sim.grooming`.

This is the memory-bound hot loop of the model (docs/performance.md): it stays branch-light, and
its random draws compare integer bits with integer thresholds.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.backend import kernel, prange
from sim.categories import CHANNELS, Channel
from sim.fields import prob
from sim.rng import TWO53, Decision, bits_pair, day_key, pair_key, u01_key, u01_pair

if TYPE_CHECKING:
    from types import SimpleNamespace

    from sim.model import GroomingModel
    from sim.network import Ties


@dataclass
class InteractionSettings:
    """``network.*`` keys: the daily probability that a tie carries an interaction, by how it began."""

    interaction_household: float = prob()
    interaction_school: float = prob()
    interaction_club: float = prob()
    interaction_adult: float = prob()
    interaction_online: float = prob()


#: What the benign pass counts: interactions by chunk and platform, detector false flags by chunk.
BenignCounts = namedtuple("BenignCounts", "by_platform false_flags")
#: Today's false flags: ``account[u]`` (the flagged account of a tie of node u, -1: none) on
#: platform ``platform[u]`` (one flag per node and day is kept; all are counted).
FalseFlags = namedtuple("FalseFlags", "account platform")
#: The detector's settings for the benign pass.
Detector = namedtuple("Detector", "scanned false_positive_rate")

#: Work units of the parallel loops; results depend neither on it nor on the thread count.
N_CHUNKS = 64


def interaction_probabilities(nw: SimpleNamespace) -> np.ndarray:
    """Daily interaction probability by tie channel code (``echan``, 128 codes): codes with the
    relationship bit stay 0 (ties that carry a relationship have no benign interactions)."""
    ip = np.zeros(128)
    ip[Channel.HOUSEHOLD] = nw.interaction_household
    ip[Channel.SCHOOL] = nw.interaction_school
    ip[Channel.CLUB] = nw.interaction_club
    ip[Channel.ADULT_NETWORK] = nw.interaction_adult
    ip[Channel.SUGGESTION : len(CHANNELS)] = nw.interaction_online
    return ip


@kernel
def _add_platform_counts(by_mask, by_platform, c):
    """Add interactions counted by platform set (``by_mask[m]``, m = 1..255) to the per-platform
    counters ``by_platform[c, p]`` of chunk ``c``."""
    n_plat = by_platform.shape[1]
    for mm in range(1, 256):
        if by_mask[mm] > 0:
            for p in range(n_plat):
                if (mm >> p) & 1:
                    by_platform[c, p] += by_mask[mm]


@kernel(parallel=True)
def benign_interactions(
    seed: int, day: int, ties: Ties, p_code: np.ndarray, counts: BenignCounts, n_chunks: int
) -> None:
    """Benign interactions of one day with no detector running: the memory-bound hot loop.

    Each tie is visited once (from its lower id) and interacts with the probability of its
    channel code (``p_code[echan]``, 0 for a tie that carries or carried a relationship:
    ``REL_BIT``). The interactions are counted by the tie's platform set (expanded to platforms
    once per chunk), with no branch other than ``v < u``, so that the loop stays tight. Counts go
    to ``counts.by_platform[chunk, p]``.
    """
    start, deg, nbr, emask, echan = ties.start, ties.deg, ties.nbr, ties.emask, ties.echan
    by_platform = counts.by_platform
    n = start.shape[0]
    chunk = (n + n_chunks - 1) // n_chunks
    dk = day_key(seed, day, Decision.INTERACT)
    # integer thresholds: draw < p  <=>  bits < ceil(p * 2**53) (exact; no int-to-float work)
    thr = np.empty(p_code.shape[0], np.int64)
    for i in range(p_code.shape[0]):
        thr[i] = np.int64(math.ceil(p_code[i] * TWO53))
    for c in prange(n_chunks):
        lo = c * chunk
        hi = min(n, lo + chunk)
        # four histograms of the tie's platform set, used in turn, so that consecutive counts
        # rarely update the same memory word (index 0 = no interaction, ignored)
        hist = np.zeros(1024, np.int64)
        for u in range(lo, hi):
            su = start[u]
            for a in range(su, su + deg[u]):
                v = nbr[a]
                if v < u:
                    continue
                hit = np.int64(bits_pair(dk, u, v) < thr[echan[a]])
                hist[((a & 3) << 8) + np.int64(emask[a]) * hit] += 1
        for mm in range(256):
            hist[mm] += hist[256 + mm] + hist[512 + mm] + hist[768 + mm]
        _add_platform_counts(hist, by_platform, c)


@kernel(parallel=True)
def benign_interactions_scanned(
    seed: int,
    day: int,
    ties: Ties,
    p_code: np.ndarray,
    detector: Detector,
    counts: BenignCounts,
    flags: FalseFlags,
    n_chunks: int,
) -> None:
    """Benign interactions of one day while a detector scans some platforms.

    As :func:`benign_interactions`, and each interaction on a scanned platform is wrongly
    flagged with ``detector.false_positive_rate`` (keyed by the pair and platform): counted in
    ``counts.false_flags[chunk]``, the flagged account (the higher id) kept in ``flags``.
    """
    # Numba's parallel loops lose writes made through a bundle's field (``flags.account[u] = v``):
    # every array used inside the loop is taken out of its bundle first
    start, deg, nbr, emask, echan = ties.start, ties.deg, ties.nbr, ties.emask, ties.echan
    by_platform, false_flags = counts.by_platform, counts.false_flags
    flag_account, flag_platform = flags.account, flags.platform
    scanned, fp_rate = detector.scanned, detector.false_positive_rate
    n = start.shape[0]
    n_plat = by_platform.shape[1]
    chunk = (n + n_chunks - 1) // n_chunks
    dk_interact = day_key(seed, day, Decision.INTERACT)
    dk_fp = day_key(seed, day, Decision.FALSE_FLAG)
    for c in prange(n_chunks):
        mask_hist = np.zeros(256, np.int64)
        lo = c * chunk
        hi = min(n, lo + chunk)
        for u in range(lo, hi):
            su = start[u]
            for a in range(su, su + deg[u]):
                v = nbr[a]
                if v < u:
                    continue
                m = np.int64(emask[a])
                if m == 0:
                    continue
                if u01_pair(dk_interact, u, v) >= p_code[echan[a]]:
                    continue
                mask_hist[m] += 1  # per-platform counts are expanded once per chunk
                for p in range(n_plat):
                    if (m >> p) & 1 and scanned[p]:
                        if u01_key(dk_fp, pair_key(u, v), p) < fp_rate:
                            false_flags[c] += 1
                            # the higher id (the adult end, if any) is the flagged account; one
                            # flag per node and day is kept (counted in full)
                            flag_account[u] = v
                            flag_platform[u] = p
        _add_platform_counts(mask_hist, by_platform, c)


def daily(model: GroomingModel, d: int) -> FalseFlags | None:
    """The benign contact step of day ``d``; returns the detector's false flags (None when no
    detector runs), which moderation queues after the day's true flags."""
    sw = model.switches
    counts = BenignCounts(np.zeros((N_CHUNKS, model.n_platforms), np.int64), np.zeros(N_CHUNKS, np.int64))
    flags = None
    if not sw.detect_on:
        model.K.benign_interactions(model.seed, d, model.ties.arrays, model.interaction_p, counts, N_CHUNKS)
    else:
        n = model.pop.n
        flags = FalseFlags(np.full(n, -1, np.int64), np.full(n, -1, np.int64))
        detector = Detector(sw.detect_platforms & ~model.plat_encrypted, float(sw.detect_fp))
        model.K.benign_interactions_scanned(
            model.seed, d, model.ties.arrays, model.interaction_p, detector, counts, flags, N_CHUNKS
        )
    m = model.metrics
    m.add("false_positive_flags", int(counts.false_flags.sum()))
    per_platform = counts.by_platform.sum(axis=0)
    for p, name in enumerate(model.platform_names):
        m.add(f"benign_interactions_{name}", int(per_platform[p]))
    m.add("benign_interactions", int(per_platform.sum()))
    return flags
