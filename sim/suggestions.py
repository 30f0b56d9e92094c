"""Friend suggestions ("people you may know"): the scoring rules, the daily kernel, its driver.

Each platform with suggestions serves a share of its account holders every day; for each served
user the candidates are the friends-of-friends on that platform (plus, with a contact-book signal,
people the user is tied to elsewhere), scored by the platform's rule (link prediction: common
neighbours, Jaccard, Adamic-Adar, preferential attachment; Liben-Nowell & Kleinberg 2007) times
school and age homophily; the top k are shown and each becomes a request with a keyed draw.
The friends-of-friends are either sampled (``suggestions.candidates: sampled``, the default: a
fixed budget of keyed two-hop walks per user, :func:`walk_candidates`, the scores estimated from
them; docs/ODD.md 7.2.1) or all enumerated (``exact``, :func:`fof_candidates`, the reference).
Pairs of an offender and a child become contact attempts in both directions (an offender acts on
a child suggested to it; a child sends a request to an offender suggested to it); benign pairs
become benign ties (inserted with the organic ones, :mod:`sim.organic`).

Settings: ``platforms.<name>.*`` (:class:`SuggestionSettings`), ``suggestions.*``
(:class:`CandidateSettings`) and
``grooming.offender_follows_suggested_child`` (:class:`SuggestionResponses`). Safeguards for
known minors come from the ``no_suggestions_for_minors`` intervention through the model's
switches.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.backend import kernel, prange
from sim.categories import RULES, Channel, Proposal, Role, Rule, member
from sim.fields import choice, flag, integer, number, prob
from sim.network import CHAN_MASK
from sim.rng import Decision, day_key, u01, u01_key, u01_pair

if TYPE_CHECKING:
    from sim.model import GroomingModel
    from sim.network import Ties
    from sim.offenders import OffenderNodes


@dataclass
class SuggestionSettings:
    """``platforms.<name>.*`` keys of friend suggestions."""

    suggestions: bool = flag()
    suggestion_rule: str = choice(*RULES)
    suggestions_per_day: int = integer(0, 100)
    served_share: float = prob()
    suggestion_accept: float = prob()
    age_homophily: float = number(0, 1000)
    school_homophily: float = number(0, 1000)
    contact_book: float = number(0, 1000)


#: ``suggestions.candidates``: how each served user's candidates are found.
CANDIDATES = ("sampled", "exact")


@dataclass
class CandidateSettings:
    """``suggestions.*`` keys: how candidates are generated, on every platform with suggestions.

    ``sampled`` (default): ``walks_per_user`` keyed two-hop random walks per served user
    (:func:`walk_candidates`), a bounded cost per user; ``exact``: every friend-of-friend
    (:func:`fof_candidates`), the reference.
    """

    candidates: str = choice(*CANDIDATES)
    walks_per_user: int = integer(1, 4096)


@dataclass
class SuggestionResponses:
    """``grooming.*`` key of how offenders use the suggestions they are shown."""

    offender_follows_suggested_child: float = prob()


#: One day's settings of the suggestion kernel on one platform.
SuggestParams = namedtuple(
    "SuggestParams",
    "rule k n_served accept offender_follow age_homophily school_homophily contact_book "
    "claimed_teen_mult no_adult_child min_mutual_minor sampled walks",
)
#: Node-indexed facts the kernel reads about any user or candidate.
People = namedtuple("People", "role age school")
#: The kernel's output: shown pair ``(u[i], w[i])`` became a request of kind ``kind[i]`` (u = -1:
#: no request in slot i).
Proposals = namedtuple("Proposals", "u w kind")


# --------------------------------------------------------------------------------------------
# Scores (link prediction). Each equals networkx's function on the same graph (tests/test_suggest.py).
# --------------------------------------------------------------------------------------------


@kernel
def score_pair(rule: int, ties: Ties, p: int, u: int, v: int) -> float:
    """Score of the pair (u, v) under ``rule`` on the graph of ties that are on platform ``p``.

    common_neighbors: |N(u) & N(v)|                  (nx.common_neighbors)
    jaccard:          |N(u) & N(v)| / |N(u) | N(v)|  (nx.jaccard_coefficient; 0 if both empty)
    adamic_adar:      sum over common z of 1/log deg(z) (nx.adamic_adar_index; Adamic & Adar 2003)
    preferential_attachment: deg(u) * deg(v)        (nx.preferential_attachment; Barabasi-Albert)
    Complexity O(deg u * deg v). References: Liben-Nowell & Kleinberg (2007), The link-prediction
    problem for social networks.
    """
    start, deg, nbr, emask, pdeg = ties.start, ties.deg, ties.nbr, ties.emask, ties.pdeg
    pbit = np.uint8(1 << p)
    if rule == Rule.PREFERENTIAL_ATTACHMENT:
        return float(pdeg[u, p]) * float(pdeg[v, p])
    cn = 0
    aa = 0.0
    su = start[u]
    sv = start[v]
    for i in range(su, su + deg[u]):
        if (emask[i] & pbit) == 0:
            continue
        z = nbr[i]
        if z == v:
            continue
        for j in range(sv, sv + deg[v]):
            if nbr[j] == z and (emask[j] & pbit) != 0:
                cn += 1
                aa += 1.0 / math.log(pdeg[z, p])
                break
    if rule == Rule.COMMON_NEIGHBORS:
        return float(cn)
    if rule == Rule.ADAMIC_ADAR:
        return aa
    # Jaccard: networkx counts v in N(u) (and u in N(v)) in the union when u and v are tied
    union = pdeg[u, p] + pdeg[v, p] - cn
    if union == 0:
        return 0.0
    return cn / union


@kernel
def candidate_score(rule: int, u: int, w: int, p: int, cnt_w: float, aa_w: float, pdeg: np.ndarray) -> float:
    """The rule's score of candidate w for u from its statistics in :func:`fof_candidates`
    (``cnt_w`` common neighbours, ``aa_w`` Adamic-Adar sum).

    Equal to :func:`score_pair` (and so to networkx) for friends-of-friends.
    """
    if rule == Rule.COMMON_NEIGHBORS:
        return cnt_w
    if rule == Rule.ADAMIC_ADAR:
        return aa_w
    if rule == Rule.JACCARD:
        # an estimated count (sampled candidates) is capped at what a count can be; an exact
        # count never exceeds it, so the cap changes nothing in exact mode
        cn = min(cnt_w, float(min(pdeg[u, p], pdeg[w, p])))
        union = pdeg[u, p] + pdeg[w, p] - cn
        return cn / union if union > 0 else 0.0
    return float(pdeg[u, p]) * float(pdeg[w, p])


# --------------------------------------------------------------------------------------------
# Candidates: friends-of-friends in a small per-user hash table
# --------------------------------------------------------------------------------------------


@kernel
def fof_bound(u: int, p: int, ties: Ties) -> int:
    """An upper bound on the entries :func:`fof_candidates` puts in its hash table for ``u``:
    u, its ties, and every p-neighbour's p-ties."""
    pbit = np.uint8(1 << p)
    b = 1 + ties.deg[u]
    su = ties.start[u]
    for a in range(su, su + ties.deg[u]):
        if (ties.emask[a] & pbit) != 0:
            b += ties.pdeg[ties.nbr[a], p]
    return b


@kernel
def fof_scratch(hbits: int) -> tuple:
    """Empty scratch for :func:`fof_candidates`: a hash table of ``2**hbits`` slots (all -1) and
    candidate arrays for up to ``2**(hbits-1)`` entries:
    ``(ht_key, ht_idx, ht_used, cand, cnt, aa, book)``."""
    cap = 1 << (hbits - 1)
    return (
        np.full(1 << hbits, -1, np.int64),
        np.empty(1 << hbits, np.int64),
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
        np.empty(cap),
        np.empty(cap),
        np.empty(cap, np.uint8),
    )


@kernel
def _ht_slot(ht_key, hbits, w):
    """Slot of key ``w`` in the open-addressing table ``ht_key[:2**hbits]`` (linear probing;
    -1 = empty): where ``w`` is, or the empty slot where it would go."""
    hmask = (1 << hbits) - 1
    s = ((np.int64(w) * 2654435769) & 0xFFFFFFFF) >> (32 - hbits)
    while ht_key[s] != w and ht_key[s] != -1:
        s = (s + 1) & hmask
    return s


@kernel
def fof_candidates(
    u: int,
    p: int,
    contact_book: float,
    ties: Ties,
    elig: np.ndarray,
    scratch: tuple,
    hbits: int,
    nb: np.ndarray,
) -> int:
    """Candidates for suggestions to ``u`` on platform ``p``, with their rule statistics.

    Candidates are friends-of-friends of u on p (not u, not already u's neighbours on p) that
    hold an unbanned, suggestible account on p (``elig[w]``, one byte per node computed once a
    day), plus, when ``contact_book`` > 0, u's ties that are not on p but are offline structural
    ties (household, school, club, adult network) or live on another platform: the contact-book
    signal. Dormant ties (ended by a block, report or ban) are never a signal.
    Returns the number of candidates ``nc``; with ``scratch = (ht_key, ht_idx, ht_used, cand,
    cnt, aa, book)`` (:func:`fof_scratch`), candidate ``i < nc`` is ``cand[i]`` (in the order first
    met) with ``cnt[i]`` = common neighbours on p, ``aa[i]`` = sum of 1/log(deg_p z) over them and
    ``book[i]`` = 1 for a contact-book signal.

    Nodes met are looked up in a small open-addressing hash table (``ht_key[:2**hbits]``, all
    -1 on entry and again on return; ``ht_idx`` = candidate index, -1 = excluded or
    not eligible) rather than in arrays of one entry per node: the table of one user stays in
    cache, where node-indexed scratch (tens of MB at a million agents) does not. The caller
    sizes the table to at least twice :func:`fof_bound` and the other arrays to the bound.
    ``nb`` (at least ``3 deg[u]`` entries) receives each p-neighbour's block start, degree and
    degree on p, read in one loop of independent reads before its block is visited.
    Cost: O(sum of p-degrees of u's neighbours).
    """
    ht_key, ht_idx, ht_used, cand, cnt, aa, book = scratch
    start, deg, nbr, emask, echan, pdeg = ties.start, ties.deg, ties.nbr, ties.emask, ties.echan, ties.pdeg
    pbit = np.uint8(1 << p)
    n_used = 0
    s = _ht_slot(ht_key, hbits, u)
    ht_key[s] = u
    ht_idx[s] = -1
    ht_used[n_used] = s
    n_used += 1
    su = start[u]
    j = 0
    for a in range(su, su + deg[u]):
        if (emask[a] & pbit) != 0:
            v = nbr[a]
            nb[3 * j] = start[v]
            nb[3 * j + 1] = deg[v]
            nb[3 * j + 2] = pdeg[v, p]
            j += 1
            s = _ht_slot(ht_key, hbits, v)
            if ht_key[s] == -1:
                ht_key[s] = v
                ht_idx[s] = -1
                ht_used[n_used] = s
                n_used += 1
    nc = 0
    j = 0
    for a in range(su, su + deg[u]):
        v = nbr[a]
        if (emask[a] & pbit) == 0:
            if (
                contact_book > 0.0
                and (emask[a] != 0 or (echan[a] & CHAN_MASK) <= Channel.ADULT_NETWORK)
                and elig[v]
            ):
                s = _ht_slot(ht_key, hbits, v)
                if ht_key[s] == -1:
                    ht_key[s] = v
                    ht_idx[s] = nc
                    ht_used[n_used] = s
                    n_used += 1
                    cand[nc] = v
                    cnt[nc] = 0.0
                    aa[nc] = 0.0
                    book[nc] = 1
                    nc += 1
                elif ht_idx[s] >= 0:
                    book[ht_idx[s]] = 1
            continue
        sv = nb[3 * j]
        dv = nb[3 * j + 2]
        inv_log = 1.0 / math.log(dv) if dv > 1 else 0.0
        for b in range(sv, sv + nb[3 * j + 1]):
            if (emask[b] & pbit) == 0:
                continue
            w = nbr[b]
            s = _ht_slot(ht_key, hbits, w)
            if ht_key[s] == -1:
                ht_key[s] = w
                ht_used[n_used] = s
                n_used += 1
                if not elig[w]:
                    ht_idx[s] = -1
                    continue
                ht_idx[s] = nc
                cand[nc] = w
                cnt[nc] = 0.0
                aa[nc] = 0.0
                book[nc] = 0
                nc += 1
            i = ht_idx[s]
            if i < 0:
                continue
            cnt[i] += 1.0
            aa[i] += inv_log
        j += 1
    for k in range(n_used):
        ht_key[ht_used[k]] = -1
    return nc


# --------------------------------------------------------------------------------------------
# Candidates: a fixed budget of keyed two-hop random walks
# --------------------------------------------------------------------------------------------


@kernel
def walk_bound(u: int, walks: int, ties: Ties) -> int:
    """An upper bound on the entries :func:`walk_candidates` puts in its hash table for ``u``:
    u, its ties (neighbours on p and contact-book entries) and one endpoint per walk."""
    return 1 + ties.deg[u] + walks


@kernel
def walk_candidates(
    u: int,
    p: int,
    contact_book: float,
    walks: int,
    dk_walk: np.uint64,
    ties: Ties,
    elig: np.ndarray,
    scratch: tuple,
    hbits: int,
    nb: np.ndarray,
) -> tuple:
    """Sampled candidates for suggestions to ``u`` on platform ``p``, with estimated statistics.

    ``walks`` two-hop walks on the ties on ``p``: walk ``j`` goes to a uniformly chosen
    p-neighbour ``z`` of u, then to a uniformly chosen p-neighbour ``w`` of z, each step keyed by
    ``(dk_walk, u, p, j, step)`` (``dk_walk`` = :func:`day_key` of the day and
    ``Decision.SUGGEST_WALK``). A walk ending at an eligible ``w`` (``elig``; not u, not already
    u's p-neighbour) makes w a candidate. The walk reaches w through z with probability
    ``1 / (deg_p(u) deg_p(z))``, so weighting each arrival by its inverse over ``walks`` gives
    unbiased estimates (Horvitz-Thompson) of the exact statistics of :func:`fof_candidates`:
    ``cnt[i]`` += ``deg_p(u) deg_p(z) / walks`` (common neighbours) and ``aa[i]`` += the same
    over ``log deg_p(z)`` (Adamic-Adar). The contact-book candidates are found exactly as in
    :func:`fof_candidates` (u's own ties, no sampling).

    Returns ``(nc, n_used)``: candidates ``cand[:nc]`` (``scratch`` as in
    :func:`fof_candidates`, in the order first met), and the table slots in use. The table is
    NOT cleared here: u's p-neighbours are marked ``ht_idx = -2`` so that :func:`mutual_exact`
    can count exact mutual friends for the safeguard; the caller clears it with
    :func:`ht_clear`. ``nb`` (at least ``4 deg[u] + walks`` entries) receives u's p-neighbours,
    then the walks' endpoints, and from ``deg[u] + walks`` on each neighbour's block start, degree
    and degree on p (read in one loop of independent reads, before the walks need them).
    Cost: O(deg u + walks x deg of the middle node) reads, independent of u's friends-of-friends.
    """
    ht_key, ht_idx, ht_used, cand, cnt, aa, book = scratch
    start, deg, nbr, emask, echan, pdeg = ties.start, ties.deg, ties.nbr, ties.emask, ties.echan, ties.pdeg
    pbit = np.uint8(1 << p)
    n_used = 0
    s = _ht_slot(ht_key, hbits, u)
    ht_key[s] = u
    ht_idx[s] = -1
    ht_used[n_used] = s
    n_used += 1
    du = 0
    su = start[u]
    for a in range(su, su + deg[u]):
        if (emask[a] & pbit) != 0:
            v = nbr[a]
            nb[du] = v
            du += 1
            s = _ht_slot(ht_key, hbits, v)
            if ht_key[s] == -1:
                ht_key[s] = v
                ht_idx[s] = -2
                ht_used[n_used] = s
                n_used += 1
    nc = 0
    if contact_book > 0.0:
        for a in range(su, su + deg[u]):
            v = nbr[a]
            if (emask[a] & pbit) == 0 and (
                (emask[a] != 0 or (echan[a] & CHAN_MASK) <= Channel.ADULT_NETWORK) and elig[v]
            ):
                s = _ht_slot(ht_key, hbits, v)
                if ht_key[s] == -1:
                    ht_key[s] = v
                    ht_idx[s] = nc
                    ht_used[n_used] = s
                    n_used += 1
                    cand[nc] = v
                    cnt[nc] = 0.0
                    aa[nc] = 0.0
                    book[nc] = 1
                    nc += 1
    if du == 0:
        return nc, n_used
    # the walks: a systematic sample of u's s_paths two-hop paths u -> z -> w on p (z in a keyed
    # random order, then z's ties in slot order), every path taken with probability walks / s_paths
    base = np.uint64(p) << np.uint64(32)
    for j in range(du - 1):
        r = j + int(u01_key(dk_walk, u, base + np.uint64(j)) * (du - j))
        t = nb[j]
        nb[j] = nb[r]
        nb[r] = t
    # each middle node's block start, degree and degree on p, gathered in one loop of
    # independent reads (they overlap) into nb[zo:], three entries per node
    zo = deg[u] + walks
    s_paths = 0
    for j in range(du):
        z = nb[j]
        dz = pdeg[z, p]
        nb[zo + 3 * j] = start[z]
        nb[zo + 3 * j + 1] = deg[z]
        nb[zo + 3 * j + 2] = dz
        s_paths += dz
    if walks >= s_paths:  # the budget covers every path: the exact statistics
        step = 1.0
        off = 0.0
    else:
        step = s_paths / walks
        off = u01_key(dk_walk, u, base + np.uint64(du)) * step
    wt = step  # inverse of the probability walks / s_paths that a path is taken
    n_take = min(walks, s_paths)
    # first the endpoints, in walk order, into nb[du:] (-1 - w: w not eligible); a loop without
    # table look-ups, so that the reads of the middle nodes' blocks and of elig overlap
    k_taken = 0
    target = int(off)
    c0 = 0  # paths through the z before this one
    for j in range(du):
        if k_taken >= n_take:
            break
        dz = nb[zo + 3 * j + 2]
        if target >= c0 + dz:  # no walk through z
            c0 += dz
            continue
        q = c0
        sz = nb[zo + 3 * j]
        for b in range(sz, sz + nb[zo + 3 * j + 1]):
            if (emask[b] & pbit) == 0:
                continue
            if q != target:
                q += 1
                continue
            q += 1
            w = nbr[b]
            nb[du + k_taken] = w if elig[w] else -1 - w
            k_taken += 1
            target = int(off + k_taken * step) if k_taken < n_take else s_paths
            if target >= c0 + dz:  # no more walks through z
                break
        c0 += dz
    # then each endpoint's arrival, weighted by the inverse of its path's probability
    j = 0
    c0 = 0
    dz = nb[zo + 2]
    for kk in range(k_taken):
        target = int(off + kk * step)
        while target >= c0 + dz:
            c0 += dz
            j += 1
            dz = nb[zo + 3 * j + 2]
        e = nb[du + kk]
        w = e if e >= 0 else -1 - e
        s = _ht_slot(ht_key, hbits, w)
        if ht_key[s] == -1:
            ht_key[s] = w
            ht_used[n_used] = s
            n_used += 1
            if e < 0:
                ht_idx[s] = -1
                continue
            ht_idx[s] = nc
            cand[nc] = w
            cnt[nc] = 0.0
            aa[nc] = 0.0
            book[nc] = 0
            nc += 1
        i = ht_idx[s]
        if i < 0:
            continue
        cnt[i] += wt
        aa[i] += wt / math.log(dz) if dz > 1 else 0.0
    return nc, n_used


@kernel
def mutual_exact(w: int, p: int, ties: Ties, ht_key: np.ndarray, ht_idx: np.ndarray, hbits: int) -> int:
    """Exact number of u's p-neighbours among w's, with u's p-neighbours marked ``ht_idx = -2``
    in the table left by :func:`walk_candidates` (the safeguard's mutual-friend count)."""
    pbit = np.uint8(1 << p)
    m = 0
    sw = ties.start[w]
    for b in range(sw, sw + ties.deg[w]):
        if (ties.emask[b] & pbit) != 0:
            s = _ht_slot(ht_key, hbits, ties.nbr[b])
            if ht_key[s] != -1 and ht_idx[s] == -2:
                m += 1
    return m


@kernel
def ht_clear(ht_key: np.ndarray, ht_used: np.ndarray, n_used: int) -> None:
    """Empty the slots ``ht_used[:n_used]`` of the table (all -1 again for the next user)."""
    for j in range(n_used):
        ht_key[ht_used[j]] = -1


# --------------------------------------------------------------------------------------------
# The daily kernel
# --------------------------------------------------------------------------------------------


@kernel(parallel=True)
def suggest(
    seed: int,
    day: int,
    p: int,
    params: SuggestParams,
    users: np.ndarray,
    ties: Ties,
    people: People,
    offender_nodes: OffenderNodes,
    elig: np.ndarray,
    known_minor_p: np.ndarray,
    accept_mult: np.ndarray,
    out: Proposals,
    n_chunks: int,
) -> None:
    """Friend suggestions on platform ``p`` for one day ("people you may know").

    ``params.n_served`` users are drawn (keyed by day and index) from the account holders
    ``users``; for each, candidates are the friends-of-friends on ``p`` (all of them, or with
    ``params.sampled`` those reached by ``params.walks`` keyed two-hop walks,
    :func:`walk_candidates`, their statistics estimated) plus, with
    ``params.contact_book`` > 0, people the user is tied to elsewhere (another platform or offline)
    who hold an account on ``p``. Each candidate gets the rule's score, times school and age
    homophily factors, plus the contact-book bonus; the top ``params.k`` are shown (ties broken by
    a keyed hash, not by id), and each shown pair becomes a request with a keyed acceptance draw.
    Requests are written to ``out.*[i*k + j]`` (``out.u`` -1 = none); the caller merges them in a
    fixed order.

    Safeguards for known minors (``known_minor_p``): with ``params.no_adult_child`` no pair of a
    known minor and an account presenting as an adult is scored (an offender posing as a teen
    passes: the platform sees the claimed age); with ``params.min_mutual_minor`` > 0 a pair
    involving a known minor needs at least that many mutual friends. ``elig`` = account on p,
    suggestible, not banned; an account that is not suggestible is removed from suggestions both
    ways.

    Each chunk of served users has its own small hash table and candidate arrays (see
    :func:`fof_candidates`), grown when a user's friends-of-friends need more room. Results do
    not depend on ``n_chunks``.

    Cost: sum over served users of the number of friends-of-friends visited (random memory
    access dominates; see docs/performance.md).
    """
    rule, k, n_served = params.rule, params.k, params.n_served
    age_h, school_h, contact_book = params.age_homophily, params.school_homophily, params.contact_book
    no_adult_child, min_mutual_minor = params.no_adult_child, params.min_mutual_minor
    sampled, walks = params.sampled, params.walks
    role, age, school = people.role, people.age, people.school
    # Numba's parallel loops lose writes made through a bundle's field (``out.u[i] = x``): every
    # array used inside the loop is taken out of its bundle first
    claims_teen, target_min, target_max = (
        offender_nodes.claims_teen,
        offender_nodes.target_min,
        offender_nodes.target_max,
    )
    out_of_target = offender_nodes.out_of_target
    accept, offender_follow, claimed_teen_mult = (
        params.accept,
        params.offender_follow,
        params.claimed_teen_mult,
    )
    out_u, out_w, out_kind = out.u, out.w, out.kind
    pdeg = ties.pdeg
    n_acct = users.shape[0]
    n = ties.start.shape[0]
    dk_tie = day_key(seed, day, Decision.TIEBREAK)
    dk_walk = day_key(seed, day, Decision.SUGGEST_WALK)
    chunk = (n_served + n_chunks - 1) // n_chunks
    # age-homophily factor by absolute age difference (ages are whole years, int8)
    age_f = np.empty(256)
    for d in range(256):
        age_f[d] = math.exp(-age_h * d / 5.0) if age_h > 0.0 else 1.0
    for c in prange(n_chunks):
        hbits = 10
        cap = 1 << (hbits - 1)
        scratch = fof_scratch(hbits)
        nb = np.empty(4 * cap, np.int64)  # grown below for a user with more friends
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
            u = users[int(u01(seed, day, Decision.SERVE, p, i) * n_acct)]
            if not elig[u]:
                continue
            if sampled:
                need = min(walk_bound(u, walks, ties), n)
            else:
                need = min(fof_bound(u, p, ties), n)
            if need > cap:  # grow this chunk's scratch (rare: a user with many friends-of-friends)
                while (1 << hbits) < 2 * need:
                    hbits += 1
                cap = 1 << (hbits - 1)
                scratch = fof_scratch(hbits)
            # the candidate generators' per-friend scratch (see walk_candidates, fof_candidates)
            nb_need = 4 * ties.deg[u] + walks if sampled else 3 * ties.deg[u]
            if nb_need > nb.shape[0]:
                nb = np.empty(nb_need, np.int64)
            # this user's table: the smallest power of two >= 2 * need (at least 256 slots),
            # a prefix of the allocated one, so that one large user does not leave every later
            # user probing a table too big for the cache
            ub = 8
            while (1 << ub) < 2 * need:
                ub += 1
            n_used = 0
            if sampled:
                nc, n_used = walk_candidates(u, p, contact_book, walks, dk_walk, ties, elig, scratch, ub, nb)
            else:
                nc = fof_candidates(u, p, contact_book, ties, elig, scratch, ub, nb)
            ht_key, ht_idx = scratch[0], scratch[1]
            cand, cnt, aa, book = scratch[3], scratch[4], scratch[5], scratch[6]
            # every candidate's score first (into aa, which no later step reads: a loop of
            # independent reads of the candidates' school and age), then the top k by score,
            # ties broken by a keyed hash
            su_, au_ = school[u], np.int64(age[u])
            for a in range(nc):
                w = cand[a]
                base = candidate_score(rule, u, w, p, cnt[a], aa[a], pdeg)
                f = 1.0
                if school_h > 0.0 and su_ >= 0 and su_ == school[w]:
                    f *= 1.0 + school_h
                if age_h > 0.0:
                    f *= age_f[abs(au_ - np.int64(age[w]))]
                aa[a] = base * f + contact_book * book[a]
            nt = 0
            for a in range(nc):
                w = cand[a]
                s = aa[a]
                if s <= 0.0:
                    continue
                if (no_adult_child or min_mutual_minor > 0) and (known_minor_p[u] or known_minor_p[w]):
                    if no_adult_child:
                        u_adult = role[u] != Role.CHILD and not claims_teen[u]
                        w_adult = role[w] != Role.CHILD and not claims_teen[w]
                        if (known_minor_p[u] and w_adult) or (known_minor_p[w] and u_adult):
                            continue
                    if min_mutual_minor > 0:
                        # the safeguard counts mutual friends exactly in both modes
                        mutual = mutual_exact(w, p, ties, ht_key, ht_idx, ub) if sampled else cnt[a]
                        if mutual < min_mutual_minor:
                            continue
                # insertion into the top-k (descending score, then ascending keyed tiebreak);
                # the tiebreak is only drawn for candidates that can enter the list
                if nt == k and s < top_s[k - 1]:
                    continue
                t = u01_pair(dk_tie, u, w)
                if nt < k:
                    pos = nt
                    nt += 1
                elif s > top_s[k - 1] or t < top_t[k - 1]:
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
            if sampled:
                ht_clear(ht_key, scratch[2], n_used)
            for j in range(nt):
                w = top_w[j]
                r = u01(seed, day, Decision.SUGGEST_SEND, u, w)
                ru = role[u]
                rw = role[w]
                kind = Proposal.BENIGN
                pr = accept
                if ru == Role.OFFENDER and rw == Role.CHILD:
                    kind = Proposal.OFFENDER_TO_CHILD
                    pr = offender_follow
                    if age[w] < target_min[u] or age[w] > target_max[u]:
                        pr *= out_of_target[u]
                elif ru == Role.CHILD and rw == Role.OFFENDER:
                    kind = Proposal.CHILD_TO_OFFENDER
                    pr = accept * (claimed_teen_mult if claims_teen[w] else 1.0) * accept_mult[u]
                elif ru == Role.OFFENDER or rw == Role.OFFENDER:
                    pr = 0.0  # offenders do not build benign adult ties through suggestions
                if r < pr:
                    out_u[i * k + j] = u
                    out_w[i * k + j] = w
                    out_kind[i * k + j] = kind


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _cat(arrs) -> np.ndarray:
    arrs = [np.asarray(a) for a in arrs]
    return np.concatenate(arrs) if arrs else np.zeros(0, np.int64)


def daily(model: GroomingModel, d: int) -> None:
    """Friend suggestions on every platform for day ``d``.

    Returns:
        ``(attempts, benign)``: contact attempts from offender-child pairs, as
        ``(offender, child, platform, channel, child_initiated)`` groups for
        :func:`sim.outreach.resolve`, and the accepted benign pairs ``(u, w, platform)`` for
        :func:`sim.organic.daily`.
    """
    K, pop, ts, sw = model.K, model.pop, model.ties, model.switches
    benign_u, benign_w, benign_p = [], [], []
    att = []
    # per platform, one contiguous row: account, suggestible and not banned (whole-array
    # operations and one transpose instead of strided column slices per platform)
    elig_all = np.ascontiguousarray((pop.acct & sw.suggestible & ~pop.banned_acct).T)
    minor_all = np.ascontiguousarray(pop.known_minor.T)
    people = People(pop.role, pop.age, pop.school)
    sampled = model.cfg.suggestions.candidates == "sampled"
    walks = int(model.cfg.suggestions.walks_per_user)
    for p in range(model.n_platforms):
        pl = model.plat_cfg[p]
        if not pl.suggestions or pl.suggestions_per_day == 0 or pl.served_share == 0:
            continue
        users = model.acct_users[p]
        n_served = int(round(pl.served_share * users.size))
        if n_served == 0:
            continue
        k = int(pl.suggestions_per_day)
        out = Proposals(
            np.full(n_served * k, -1, np.int64),
            np.full(n_served * k, -1, np.int64),
            np.zeros(n_served * k, np.int8),
        )
        params = SuggestParams(
            rule=int(member(Rule, pl.suggestion_rule)),
            k=k,
            n_served=n_served,
            accept=float(pl.suggestion_accept),
            offender_follow=float(model.g.offender_follows_suggested_child),
            age_homophily=float(pl.age_homophily),
            school_homophily=float(pl.school_homophily),
            contact_book=float(pl.contact_book),
            claimed_teen_mult=float(model.g.accept_claimed_teen_multiplier),
            no_adult_child=bool(sw.no_adult_child_suggestions[p]),
            min_mutual_minor=int(sw.min_mutual_for_minors[p]),
            sampled=sampled,
            walks=walks,
        )
        K.suggest(
            seed=model.seed,
            day=d,
            p=p,
            params=params,
            users=users,
            ties=ts.arrays,
            people=people,
            offender_nodes=model.offender_nodes,
            elig=elig_all[p],
            known_minor_p=minor_all[p],
            accept_mult=sw.accept_mult,
            out=out,
            n_chunks=model.sugg_chunks,
        )
        ok = out.u >= 0
        u, w, kind = out.u[ok], out.w[ok], out.kind[ok]
        b = kind == Proposal.BENIGN
        benign_u.append(u[b])
        benign_w.append(w[b])
        benign_p.append(np.full(int(b.sum()), p, np.int64))
        o2c = kind == Proposal.OFFENDER_TO_CHILD
        c2o = kind == Proposal.CHILD_TO_OFFENDER
        att.append((u[o2c], w[o2c], np.full(int(o2c.sum()), p), False))
        att.append((w[c2o], u[c2o], np.full(int(c2o.sum()), p), True))
    attempts = [(o, c, p, Channel.SUGGESTION, init) for o, c, p, init in att]
    return attempts, (_cat(benign_u), _cat(benign_w), _cat(benign_p))
