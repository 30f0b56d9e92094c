"""Hot loops of the model, written once and run by two backends.

Every function in this module is plain Python restricted to what Numba compiles. The
``python`` backend runs them as they are (the pure-Python reference); the ``numba`` backend
loads this same file a second time as ``sim._kernels_numba`` and replaces each function by its
``numba.njit`` compilation (:func:`numba_module`). The two backends therefore run one source and
must produce byte-identical outputs; the tests check that they do.

Randomness: no kernel draws from a stateful generator. Every random decision is a SplitMix64
hash of what it decides, ``u01(seed, day, kind, a, b)`` (kind = which decision; a, b = the agents,
relationship or slot involved). Results are thus independent of draw order and thread count, and
two scenarios with the same seed share every decision an intervention did not touch (common
random numbers).

Graph storage: a CSR "with room to grow". Node ``u`` owns slots ``start[u] .. start[u]+cap[u]``
of the pool arrays, of which the first ``deg[u]`` are used. Each tie is stored twice (once per
end) with the same attributes: ``nbr`` (other end), ``emask`` (bit set of platforms the tie is
on; 0 = dormant), ``eday`` (day created), ``echan`` (channel index, plus ``REL_BIT`` when the
tie carries a relationship), ``erel`` (offender-child relationship id or -1). Children have
the lowest ids, so an offender-child tie is always met from the child's side (u < v). The
parallel loops write only per-chunk counters and output slots owned by the chunk (its nodes,
served users or offenders); the relationships (few) are stepped in a serial pass: no races.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

# --------------------------------------------------------------------------------------------
# Decision kinds: the "what" in every random key. Never renumber (it would change every run).
# --------------------------------------------------------------------------------------------
K_INTERACT = 1
K_SERVE = 2
K_TIEBREAK = 3
K_SUGGEST_SEND = 4
K_OUTREACH_N = 5
K_OUTREACH_CHANNEL = 6
K_OUTREACH_PLATFORM = 7
K_OUTREACH_TARGET = 8
K_OUTREACH_PREF = 9
K_ACCEPT = 10
K_BLOCK = 11
K_REPORT = 12
K_RECONTACT = 13
K_OFF_INTERACT = 14
K_ADVANCE = 15
K_JUMP = 16
K_DAILY_BLOCK = 17
K_DAILY_REPORT = 18
K_GUARDIAN = 19
K_GUARDIAN_ABANDON = 20
K_ABANDON = 21
K_MOVE = 22
K_TELL = 23
K_POLICE = 24
# 25, 26: reserved (organic ties use a numpy generator keyed by (seed, day))
K_REVIEW = 27
K_RETURN = 28
K_REFERRAL = 29
K_SEXUAL_BLOCK = 30
K_SEXUAL_REPORT = 31
K_DETECT = 32
K_FALSE_FLAG = 33
K_SHARE = 34
K_EVASION = 35
K_NOTICED = 36
K_LIST_PICK = 37
K_ADHERENCE = 38
K_COVERAGE = 39

# Relationship exit codes (rel_exit). 0 = still active.
EXIT_NONE = 0
EXIT_DECLINED = 1  # child did not accept the first contact
EXIT_BLOCKED = 2
EXIT_REPORTED = 3
EXIT_GUARDIAN = 4
EXIT_ABANDONED = 5
EXIT_BANNED = 6
EXIT_COMPLETED = 7  # reached the last stage

# Roles
ROLE_CHILD = 0
ROLE_CONTACT = 1
ROLE_OFFENDER = 2

# Stage indices (0 = none). Must match sim.config.STAGES (1-based).
ST_CONTACTED = 1
ST_ENGAGED = 2
ST_TRUST = 3
ST_ISOLATION = 4
ST_SEXUAL = 5
ST_IMAGE = 6
ST_COERCION = 7
N_STAGES = 7

# Channels (index into sim.config.CHANNELS)
CH_HOUSEHOLD = 0
CH_SCHOOL = 1
CH_CLUB = 2
CH_ADULT = 3
CH_SUGGESTION = 4
CH_SEARCH = 5
CH_LOCATION = 6
CH_LIVESTREAM = 7
CH_GAMING = 8
CH_ORGANIC = 9
CH_CONNECTIONS = 10

# Suggestion rules (index into sim.config.RULES)
RULE_CN = 0
RULE_JACCARD = 1
RULE_AA = 2
RULE_PA = 3

# Proposal kinds produced by the suggestion kernel
# A tie that carries (or carried) an offender-child relationship has this bit set in ``echan``
# (``erel`` >= 0): the benign pass of the contact step then skips it without reading ``erel``.
REL_BIT = 64
CHAN_MASK = 63  # echan & CHAN_MASK = the channel

PROP_BENIGN = 0
PROP_OFFENDER_TO_CHILD = 1  # an offender acts on a child suggested to it (a contact attempt)
PROP_CHILD_TO_OFFENDER = 2  # a child sends a request to an offender suggested to it

# --------------------------------------------------------------------------------------------
# Counter-based random numbers
# --------------------------------------------------------------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_KIND = np.uint64(0xD6E8FEB86659FD93)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_TWO32 = np.uint64(4294967296)


def mix64(x):
    """SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def day_key(seed, day, kind):
    """The part of a random key shared by every draw of one decision kind on one day."""
    x = mix64(np.uint64(seed) * _GOLDEN + np.uint64(day))
    return mix64(x ^ (np.uint64(kind) * _KIND))


def u01_key(dk, a, b):
    """Uniform [0, 1) keyed by a day key (:func:`day_key`) and two integers >= 0."""
    x = mix64(dk + np.uint64(a) * _GOLDEN)
    x = mix64(x + np.uint64(b))
    return np.float64(x >> _S11) * _INV53


def bits_pair(dk, u, v):
    """The 53 random bits behind :func:`u01_pair` as an integer: ``u01_pair == bits * 2**-53``,
    so ``u01_pair(dk, u, v) < p`` exactly when ``bits_pair(dk, u, v) < ceil(p * 2**53)``."""
    x = mix64(dk + (np.uint64(u) * _TWO32 + np.uint64(v)) * _GOLDEN)
    return np.int64(x >> _S11)


def u01_pair(dk, u, v):
    """Uniform [0, 1) for a pair of node ids (< 2**32) with one mix: the hot-loop draw.

    ``u * 2**32 + v`` is unique per pair and the multiply by an odd constant and the SplitMix64
    finaliser are bijections, so distinct pairs never share a draw on the same day and kind.
    """
    x = mix64(dk + (np.uint64(u) * _TWO32 + np.uint64(v)) * _GOLDEN)
    return np.float64(x >> _S11) * _INV53


def u01(seed, day, kind, a, b):
    """Uniform [0, 1) number keyed by (seed, day, kind, a, b); all arguments integers >= 0."""
    return u01_key(day_key(seed, day, kind), a, b)


def poisson_from_u(lam, u):
    """Poisson(lam) by inversion of one uniform ``u`` (lam small: at most a few hundred)."""
    k = 0
    p = math.exp(-lam)
    s = p
    while u > s and k < 10_000:
        k += 1
        p = p * lam / k
        s += p
        if p == 0.0 and s < u:
            break
    return k


def pair_key(child, other):
    """One integer key for an ordered pair of node ids (ids < 2**31)."""
    return np.int64(child) * 2147483648 + np.int64(other)


def clamp01(x):
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


# --------------------------------------------------------------------------------------------
# Graph storage helpers
# --------------------------------------------------------------------------------------------


def find_slot(start, deg, nbr, u, v):
    """Slot of the half-edge u->v, or -1."""
    s = start[u]
    for i in range(s, s + deg[u]):
        if nbr[i] == v:
            return i
    return -1


def _append_half(start, deg, cap, nbr, emask, eday, echan, erel, pool_used, u, v, mask, day, chan, rel):
    """Append half-edge u->v; relocates u's block to the pool end when full.

    Returns False when the pool has no room (the caller grows the pool and retries).
    """
    if deg[u] == cap[u]:
        new_cap = cap[u] * 2 + 4
        if pool_used[0] + new_cap > nbr.shape[0]:
            return False
        ns = pool_used[0]
        os_ = start[u]
        for i in range(deg[u]):
            nbr[ns + i] = nbr[os_ + i]
            emask[ns + i] = emask[os_ + i]
            eday[ns + i] = eday[os_ + i]
            echan[ns + i] = echan[os_ + i]
            erel[ns + i] = erel[os_ + i]
        start[u] = ns
        cap[u] = new_cap
        pool_used[0] = ns + new_cap
    i = start[u] + deg[u]
    nbr[i] = v
    emask[i] = mask
    eday[i] = day
    echan[i] = (chan | REL_BIT) if rel >= 0 else chan
    erel[i] = rel
    deg[u] += 1
    return True


def _pdeg_add(pdeg, u, mask, n_platforms, delta):
    for p in range(n_platforms):
        if (mask >> p) & 1:
            pdeg[u, p] += delta


def set_tie_mask(start, deg, nbr, emask, pdeg, u, v, new_mask, n_platforms):
    """Change the platform set of tie u-v (both halves) and keep per-platform degrees right."""
    su = find_slot(start, deg, nbr, u, v)
    sv = find_slot(start, deg, nbr, v, u)
    if su < 0 or sv < 0:
        return False
    old = np.int64(emask[su])
    _pdeg_add(pdeg, u, old, n_platforms, -1)
    _pdeg_add(pdeg, v, old, n_platforms, -1)
    emask[su] = new_mask
    emask[sv] = new_mask
    _pdeg_add(pdeg, u, np.int64(new_mask), n_platforms, 1)
    _pdeg_add(pdeg, v, np.int64(new_mask), n_platforms, 1)
    return True


def insert_ties(
    tu,
    tv,
    tmask,
    tchan,
    trel,
    day,
    first,
    start,
    deg,
    cap,
    nbr,
    emask,
    eday,
    echan,
    erel,
    pool_used,
    pdeg,
    n_platforms,
):
    """Insert ties tu[i]-tv[i] for i >= first, in order, skipping pairs already tied.

    Returns (index reached, number inserted). The index is len(tu) unless the pool filled up.
    A pair that is already tied gets the new platforms added to its mask instead (and, for a
    relationship tie, the new relationship id: a dormant tie is revived on recontact).
    """
    n = tu.shape[0]
    inserted = 0
    for i in range(first, n):
        u = tu[i]
        v = tv[i]
        if u == v:
            continue
        s = find_slot(start, deg, nbr, u, v)
        if s >= 0:
            m = np.int64(emask[s]) | np.int64(tmask[i])
            if m != emask[s]:
                set_tie_mask(start, deg, nbr, emask, pdeg, u, v, m, n_platforms)
            if trel[i] >= 0:
                s2 = find_slot(start, deg, nbr, v, u)
                erel[s] = trel[i]
                erel[s2] = trel[i]
                echan[s] = echan[s] | REL_BIT
                echan[s2] = echan[s2] | REL_BIT
            continue
        need = 0
        if deg[u] == cap[u]:
            need += cap[u] * 2 + 4
        if deg[v] == cap[v]:
            need += cap[v] * 2 + 4
        if pool_used[0] + need > nbr.shape[0]:
            return i, inserted
        _append_half(
            start, deg, cap, nbr, emask, eday, echan, erel, pool_used, u, v, tmask[i], day, tchan[i], trel[i]
        )
        _append_half(
            start, deg, cap, nbr, emask, eday, echan, erel, pool_used, v, u, tmask[i], day, tchan[i], trel[i]
        )
        _pdeg_add(pdeg, u, np.int64(tmask[i]), n_platforms, 1)
        _pdeg_add(pdeg, v, np.int64(tmask[i]), n_platforms, 1)
        inserted += 1
    return n, inserted


def first_copies(a, b, n):
    """``keep[i]`` = True for the first listed copy of each pair ``(a[i], b[i])`` (ids < n).

    The same selection as ``np.unique(a * n + b, return_index=True)`` sorted back into list
    order, in O(ties + n): a stable counting sort by ``a`` and a last-seen marker per ``b``.
    """
    m = a.shape[0]
    cnt = np.zeros(n + 1, np.int64)
    for i in range(m):
        cnt[a[i] + 1] += 1
    for x in range(n):
        cnt[x + 1] += cnt[x]
    fill = cnt[:n].copy()
    order = np.empty(m, np.int64)
    for i in range(m):
        order[fill[a[i]]] = i
        fill[a[i]] += 1
    seen = np.full(n, -1, np.int64)
    keep = np.zeros(m, np.bool_)
    for x in range(n):
        for j in range(cnt[x], cnt[x + 1]):
            i = order[j]
            if seen[b[i]] != x:
                seen[b[i]] = x
                keep[i] = True
    return keep


def scatter_halves(u, v, mask, chan, start, nbr, emask, echan):
    """Place the half-edges of ties ``u[i]-v[i]`` in their owners' blocks: first every
    ``u[i] -> v[i]`` in list order, then every ``v[i] -> u[i]`` (the order of a stable sort of
    the half-edges by owner), in O(ties)."""
    fill = np.zeros(start.shape[0], np.int64)
    for side in range(2):
        own = u if side == 0 else v
        other = v if side == 0 else u
        for i in range(u.shape[0]):
            x = own[i]
            s = start[x] + fill[x]
            fill[x] += 1
            nbr[s] = other[i]
            emask[s] = mask[i]
            echan[s] = chan[i]


# --------------------------------------------------------------------------------------------
# Friend-suggestion scores (link prediction). One function per rule; each equals networkx's
# function on the same graph (tests/test_suggest.py). Complexity O(deg u + deg v) with marks.
# --------------------------------------------------------------------------------------------


def score_pair(rule, start, deg, nbr, emask, pbit, pdeg, p, u, v):
    """Score of the pair (u, v) under ``rule`` on the graph of ties that are on platform ``p``.

    common_neighbors: |N(u) & N(v)|                  (nx.common_neighbors)
    jaccard:          |N(u) & N(v)| / |N(u) | N(v)|  (nx.jaccard_coefficient; 0 if both empty)
    adamic_adar:      sum over common z of 1/log deg(z) (nx.adamic_adar_index; Adamic & Adar 2003)
    preferential_attachment: deg(u) * deg(v)        (nx.preferential_attachment; Barabasi-Albert)
    References: Liben-Nowell & Kleinberg (2007), The link-prediction problem for social networks.
    """
    if rule == RULE_PA:
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
    if rule == RULE_CN:
        return float(cn)
    if rule == RULE_AA:
        return aa
    # Jaccard
    du = pdeg[u, p]
    dv = pdeg[v, p]
    # networkx counts v in N(u) (and u in N(v)) in the union when u and v are tied
    union = du + dv - cn
    if union == 0:
        return 0.0
    return cn / union


def fof_bound(u, p, start, deg, nbr, emask, pdeg):
    """An upper bound on the entries :func:`fof_candidates` puts in its hash table for ``u``:
    u, its ties, and every p-neighbour's p-ties."""
    pbit = np.uint8(1 << p)
    b = 1 + deg[u]
    su = start[u]
    for a in range(su, su + deg[u]):
        if (emask[a] & pbit) != 0:
            b += pdeg[nbr[a], p]
    return b


def fof_scratch(hbits):
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


def _ht_slot(ht_key, hbits, w):
    """Slot of key ``w`` in the open-addressing table ``ht_key[:2**hbits]`` (linear probing;
    -1 = empty): where ``w`` is, or the empty slot where it would go."""
    hmask = (1 << hbits) - 1
    s = ((np.int64(w) * 2654435769) & 0xFFFFFFFF) >> (32 - hbits)
    while ht_key[s] != w and ht_key[s] != -1:
        s = (s + 1) & hmask
    return s


def fof_candidates(
    u,
    p,
    contact_book,
    start,
    deg,
    nbr,
    emask,
    echan,
    pdeg,
    elig,
    ht_key,
    hbits,
    ht_idx,
    ht_used,
    cand,
    cnt,
    aa,
    book,
):
    """Candidates for suggestions to ``u`` on platform ``p``, with their rule statistics.

    Candidates are friends-of-friends of u on p (not u, not already u's neighbours on p) that
    hold an unbanned, suggestible account on p (``elig[w]``, one byte per node computed once a
    day), plus, when ``contact_book`` > 0, u's ties that are not on p but are offline structural
    ties (household, school, club, adult network) or live on another platform: the contact-book
    signal. Dormant ties (ended by a block, report or ban) are never a signal.
    Returns the number of candidates ``nc``; candidate ``i < nc`` is ``cand[i]`` (in the order
    first met) with ``cnt[i]`` = common neighbours on p, ``aa[i]`` = sum of 1/log(deg_p z) over
    them and ``book[i]`` = 1 for a contact-book signal.

    Nodes met are looked up in a small open-addressing hash table (``ht_key[:2**hbits]``, all
    -1 on entry and again on return; ``ht_idx`` = candidate index, -1 = excluded or
    not eligible) rather than in arrays of one entry per node: the table of one user stays in
    cache, where node-indexed scratch (tens of MB at a million agents) does not. The caller
    sizes the table to at least twice :func:`fof_bound` and the other arrays to the bound.
    Cost: O(sum of p-degrees of u's neighbours).
    """
    pbit = np.uint8(1 << p)
    n_used = 0
    s = _ht_slot(ht_key, hbits, u)
    ht_key[s] = u
    ht_idx[s] = -1
    ht_used[n_used] = s
    n_used += 1
    su = start[u]
    for a in range(su, su + deg[u]):
        if (emask[a] & pbit) != 0:
            s = _ht_slot(ht_key, hbits, nbr[a])
            if ht_key[s] == -1:
                ht_key[s] = nbr[a]
                ht_idx[s] = -1
                ht_used[n_used] = s
                n_used += 1
    nc = 0
    for a in range(su, su + deg[u]):
        v = nbr[a]
        if (emask[a] & pbit) == 0:
            if contact_book > 0.0 and (emask[a] != 0 or (echan[a] & CHAN_MASK) <= CH_ADULT) and elig[v]:
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
        sv = start[v]
        inv_log = 1.0 / math.log(pdeg[v, p]) if pdeg[v, p] > 1 else 0.0
        for b in range(sv, sv + deg[v]):
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
    for j in range(n_used):
        ht_key[ht_used[j]] = -1
    return nc


def candidate_score(rule, u, w, p, cnt_w, aa_w, pdeg):
    """The rule's score of candidate w for u from its statistics in :func:`fof_candidates`
    (``cnt_w`` common neighbours, ``aa_w`` Adamic-Adar sum).

    Equal to :func:`score_pair` (and so to networkx) for friends-of-friends.
    """
    if rule == RULE_CN:
        return cnt_w
    if rule == RULE_AA:
        return aa_w
    if rule == RULE_JACCARD:
        union = pdeg[u, p] + pdeg[w, p] - cnt_w
        return cnt_w / union if union > 0 else 0.0
    return float(pdeg[u, p]) * float(pdeg[w, p])


def suggest(
    seed,
    day,
    p,
    rule,
    k,
    n_served,
    accept,
    offender_follow,
    age_h,
    school_h,
    contact_book,
    claimed_teen_mult,
    acct_users,
    start,
    deg,
    nbr,
    emask,
    echan,
    pdeg,
    role,
    age,
    school,
    elig,
    accept_mult,
    claims_teen,
    target_min,
    target_max,
    out_of_range_w,
    known_minor_p,
    no_adult_child,
    min_mutual_minor,
    out_u,
    out_w,
    out_kind,
    n_chunks,
):
    """Friend suggestions on platform ``p`` for one day ("people you may know").

    ``n_served`` users are drawn (keyed by day and index) from the account holders; for each,
    candidates are the friends-of-friends on ``p`` plus, with ``contact_book`` > 0, people the
    user is tied to elsewhere (another platform or offline) who hold an account on ``p``. Each
    candidate gets the rule's score, times school and age homophily factors, plus the
    contact-book bonus; the top ``k`` are shown (ties broken by a keyed hash, not by id), and
    each shown pair becomes a proposal with a keyed acceptance draw. Proposals are written to
    ``out_*[i*k + j]`` (-1 = none); the caller merges them in a fixed order.

    Safeguards for known minors (``known_minor_p``): with ``no_adult_child`` no pair of a known
    minor and an account presenting as an adult is scored (an offender posing as a teen passes:
    the platform sees the claimed age); with ``min_mutual_minor`` > 0 a pair involving a known
    minor needs at least that many mutual friends. ``elig`` = account on p, suggestible, not
    banned; an account that is not suggestible is removed
    from suggestions both ways.

    Each chunk of served users has its own small hash table and candidate arrays (see
    :func:`fof_candidates`), grown when a user's friends-of-friends need more room. Results do
    not depend on ``n_chunks``.

    Cost: sum over served users of the number of friends-of-friends visited (random memory
    access dominates; see docs/performance.md).
    """
    n_acct = acct_users.shape[0]
    n = start.shape[0]
    dk_tie = day_key(seed, day, K_TIEBREAK)
    chunk = (n_served + n_chunks - 1) // n_chunks
    # age-homophily factor by absolute age difference (ages are whole years, int8)
    age_f = np.empty(256)
    for d in range(256):
        age_f[d] = math.exp(-age_h * d / 5.0) if age_h > 0.0 else 1.0
    for c in prange(n_chunks):
        hbits = 10
        cap = 1 << (hbits - 1)
        ht_key, ht_idx, ht_used, cand, cnt, aa, book = fof_scratch(hbits)
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
            need = min(fof_bound(u, p, start, deg, nbr, emask, pdeg), n)
            if need > cap:  # grow this chunk's scratch (rare: a user with many friends-of-friends)
                while (1 << hbits) < 2 * need:
                    hbits += 1
                cap = 1 << (hbits - 1)
                ht_key, ht_idx, ht_used, cand, cnt, aa, book = fof_scratch(hbits)
            # this user's table: the smallest power of two >= 2 * need (at least 256 slots),
            # a prefix of the allocated one, so that one large user does not leave every later
            # user probing a table too big for the cache
            ub = 8
            while (1 << ub) < 2 * need:
                ub += 1
            nc = fof_candidates(
                u,
                p,
                contact_book,
                start,
                deg,
                nbr,
                emask,
                echan,
                pdeg,
                elig,
                ht_key,
                ub,
                ht_idx,
                ht_used,
                cand,
                cnt,
                aa,
                book,
            )
            # top-k by score, ties broken by a keyed hash
            nt = 0
            for a in range(nc):
                w = cand[a]
                base = candidate_score(rule, u, w, p, cnt[a], aa[a], pdeg)
                f = 1.0
                if school_h > 0.0 and school[u] >= 0 and school[u] == school[w]:
                    f *= 1.0 + school_h
                if age_h > 0.0:
                    f *= age_f[abs(np.int64(age[u]) - np.int64(age[w]))]
                s = base * f + contact_book * book[a]
                if s <= 0.0:
                    continue
                if (no_adult_child or min_mutual_minor > 0) and (known_minor_p[u] or known_minor_p[w]):
                    if no_adult_child:
                        u_adult = role[u] != ROLE_CHILD and not claims_teen[u]
                        w_adult = role[w] != ROLE_CHILD and not claims_teen[w]
                        if (known_minor_p[u] and w_adult) or (known_minor_p[w] and u_adult):
                            continue
                    if min_mutual_minor > 0 and cnt[a] < min_mutual_minor:
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
                    pr = 0.0  # offenders do not build benign adult ties through suggestions
                if r < pr:
                    out_u[i * k + j] = u
                    out_w[i * k + j] = w
                    out_kind[i * k + j] = kind


# --------------------------------------------------------------------------------------------
# Offender outreach
# --------------------------------------------------------------------------------------------


def outreach(
    seed,
    day,
    offenders,
    rate,
    strategy,
    target_min,
    target_max,
    out_of_range_w,
    target_girls,
    noticed,
    area,
    acct,
    banned_acct,
    channel_w,
    plat_feature,
    n_children,
    area_lo,
    area_hi,
    child_age,
    child_sex,
    child_vuln,
    searchable,
    location_shared,
    livestreams,
    dm_open,
    lists_hidden,
    known_minor,
    claims_teen,
    search_hides_minors,
    start,
    deg,
    nbr,
    emask,
    max_attempts,
    out_child,
    out_plat,
    out_chan,
    n_tries,
):
    """Contact attempts of each offender today (search, location, livestream, game chat, lists).

    Attempts ~ Poisson(rate) per offender (keyed), capped at ``max_attempts``. Each attempt picks
    a channel by the strategy's weights, a platform among the offender's unbanned accounts that
    has the feature, and a child by rejection sampling (up to ``n_tries`` keyed draws) among
    children reachable through that channel on that platform (settings are per child and
    platform, ``[n, P]``):

    - search finds only searchable children (and, where the platform hides known minors from
      adult searchers, only those the offender's claimed age lets it see);
    - location: children sharing location, in the offender's area;
    - livestream: children who stream publicly and accept messages from strangers;
    - game chat: children with the game account who accept messages from strangers;
    - connection lists: a friend (on the platform) of a child the offender is already tied to,
      found through that child's visible connection list.

    A reachable candidate is kept with a weight for the offender's preferred sex and ages
    (``out_of_range_w`` outside them) and, for targeted offenders, vulnerability; a kept attempt
    is noticed by the child with probability ``noticed`` (else it is lost). Output slot
    ``[i*max_attempts + a]``; child -1 = failed.
    """
    n_off = offenders.shape[0]
    n_plat = acct.shape[1]
    for i in prange(n_off):
        o = offenders[i]
        base = i * max_attempts
        for a in range(max_attempts):
            out_child[base + a] = -1
        n_att = poisson_from_u(rate[i], u01(seed, day, K_OUTREACH_N, o, 0))
        if n_att > max_attempts:
            n_att = max_attempts
        st = strategy[i]
        for a in range(n_att):
            # channel: 0 search, 1 location, 2 livestream, 3 gaming, 4 connection lists
            r = u01(seed, day, K_OUTREACH_CHANNEL, o, a)
            ch = 4
            acc = 0.0
            for c in range(5):
                acc += channel_w[st, c]
                if r < acc:
                    ch = c
                    break
            # platform among unbanned accounts with the feature
            n_ok = 0
            for p in range(n_plat):
                if acct[o, p] and not banned_acct[o, p] and plat_feature[p, ch]:
                    n_ok += 1
            if n_ok == 0:
                continue
            pick = int(u01(seed, day, K_OUTREACH_PLATFORM, o, a) * n_ok)
            p = -1
            for q in range(n_plat):
                if acct[o, q] and not banned_acct[o, q] and plat_feature[q, ch]:
                    if pick == 0:
                        p = q
                        break
                    pick -= 1
            pbit = 1 << p
            for t in range(n_tries):
                key = a * n_tries + t
                if ch == 1:
                    lo = area_lo[area[i]]
                    hi = area_hi[area[i]]
                    if hi <= lo:
                        break
                    c_ = lo + int(u01(seed, day, K_OUTREACH_TARGET, o, key) * (hi - lo))
                elif ch == 4:
                    if deg[o] == 0:
                        break
                    s1 = start[o] + int(u01(seed, day, K_OUTREACH_TARGET, o, key) * deg[o])
                    c1 = nbr[s1]
                    if c1 >= n_children or (emask[s1] & pbit) == 0 or lists_hidden[c1, p]:
                        continue
                    if deg[c1] == 0:
                        continue
                    s2 = start[c1] + int(u01(seed, day, K_LIST_PICK, o, key) * deg[c1])
                    c_ = nbr[s2]
                    if c_ >= n_children or (emask[s2] & pbit) == 0:
                        continue
                else:
                    c_ = int(u01(seed, day, K_OUTREACH_TARGET, o, key) * n_children)
                if not acct[c_, p]:
                    continue
                if ch == 0:
                    if not searchable[c_, p]:
                        continue
                    if search_hides_minors[p] and known_minor[c_, p] and not claims_teen[i]:
                        continue
                elif ch == 1:
                    if not location_shared[c_, p]:
                        continue
                elif ch == 2:
                    if not (livestreams[c_, p] and dm_open[c_, p]):
                        continue
                elif ch == 3:
                    if not dm_open[c_, p]:
                        continue
                # preference: sex and ages always; vulnerability for targeted offenders
                g = target_girls[i]
                w = g if child_sex[c_] == 0 else 1.0 - g
                w = w / max(g, 1.0 - g)
                if child_age[c_] < target_min[i] or child_age[c_] > target_max[i]:
                    w *= out_of_range_w[i]
                if st == 1:
                    w *= 0.5 + child_vuln[c_]
                    w /= 1.5
                if u01(seed, day, K_OUTREACH_PREF, o, key) >= w:
                    continue
                if u01(seed, day, K_NOTICED, o, key) < noticed:
                    out_child[base + a] = c_
                    out_plat[base + a] = p
                    out_chan[base + a] = CH_CONNECTIONS if ch == 4 else CH_SEARCH + ch
                break


def resolve_contacts(
    seed,
    day,
    a_off,
    a_child,
    a_plat,
    a_chan,
    a_child_initiated,
    start,
    deg,
    nbr,
    emask,
    child_lit,
    child_vuln,
    claims_teen_node,
    accept_stranger,
    claimed_teen_mult,
    lit_accept,
    vuln_accept,
    vuln_mean,
    block_p,
    report_p,
    lit_block,
    accept_mult,
    block_mult,
    report_mult,
    rel_child,
    rel_off,
    rel_plat,
    rel_chan,
    rel_stage,
    rel_start,
    rel_exit,
    rel_exit_day,
    rel_first_plat,
    n_rel,
    out_accepted,
    out_blocked,
    out_reported,
    child_first_day,
    child_first_plat,
    child_first_chan,
):
    """Turn contact attempts into relationships, in the given (fixed) order.

    A child already tied to the offender (a live tie) is skipped (pairs are unique per day: the
    caller de-duplicates). Otherwise a relationship starts at ``contacted``; the child accepts
    (keyed draw, stranger acceptance scaled by literacy, vulnerability, a teen-claimed age and
    intervention multipliers) or declines, and a declining child may block and/or report (Thorn 2023). A
    child-initiated request (suggestion shown to the child) is accepted by the offender.
    Writes relationship rows from ``n_rel[0]``. ``out_accepted[i]``: the new relationship id if
    accepted, -1 if declined, -2 if skipped (already tied).
    """
    n_a = a_off.shape[0]
    for i in range(n_a):
        o = a_off[i]
        c = a_child[i]
        out_accepted[i] = -2  # skipped
        slot = find_slot(start, deg, nbr, c, o)
        if slot >= 0 and emask[slot] != 0:
            continue  # already tied (and so already in a relationship or a benign tie)
        out_accepted[i] = -1  # declined, unless accepted below
        r = n_rel[0]
        n_rel[0] = r + 1
        rel_child[r] = c
        rel_off[r] = o
        rel_plat[r] = a_plat[i]
        rel_first_plat[r] = a_plat[i]
        rel_chan[r] = a_chan[i]
        rel_start[r] = day
        rel_exit[r] = EXIT_NONE
        rel_exit_day[r] = -1
        rel_stage[r] = ST_CONTACTED
        if child_first_day[c, ST_CONTACTED] < 0:
            child_first_day[c, ST_CONTACTED] = day
            child_first_plat[c, ST_CONTACTED] = a_plat[i]
            child_first_chan[c, ST_CONTACTED] = a_chan[i]
        if a_child_initiated[i]:
            accepted = True
        else:
            lit = child_lit[c]
            pa = accept_stranger * (1.0 - lit_accept * (lit - 0.5) * 2.0)
            pa *= 1.0 + vuln_accept * (child_vuln[c] - vuln_mean) * 2.0
            if claims_teen_node[o]:
                pa *= claimed_teen_mult
            pa = clamp01(pa * accept_mult[c])
            accepted = u01(seed, day, K_ACCEPT, c, o) < pa
        if accepted:
            rel_stage[r] = ST_ENGAGED
            out_accepted[i] = r
            if child_first_day[c, ST_ENGAGED] < 0:
                child_first_day[c, ST_ENGAGED] = day
                child_first_plat[c, ST_ENGAGED] = a_plat[i]
                child_first_chan[c, ST_ENGAGED] = a_chan[i]
        else:
            lit = child_lit[c]
            f = 1.0 + lit_block * (lit - 0.5) * 2.0
            rel_exit[r] = EXIT_DECLINED
            rel_exit_day[r] = day
            if u01(seed, day, K_BLOCK, c, o) < clamp01(block_p * f * block_mult[c]):
                out_blocked[i] = 1
                rel_exit[r] = EXIT_BLOCKED
            if u01(seed, day, K_REPORT, c, o) < clamp01(report_p * f * report_mult[c]):
                out_reported[i] = 1
                rel_exit[r] = EXIT_REPORTED


# --------------------------------------------------------------------------------------------
# The contact step: every tie, every day
# --------------------------------------------------------------------------------------------


def _grooming_step(
    seed,
    day,
    r,
    u,
    v,
    rel_plat,
    rel_stage,
    rel_exit,
    rel_exit_day,
    rel_offence,
    rel_recorded,
    rel_flagged,
    rel_moved,
    off_strategy,
    off_persist,
    off_move,
    node_off_index,
    child_lit,
    child_vuln,
    vuln_mean,
    acct,
    banned_acct,
    private_plat,
    g_params,
    advance,
    detect_sens,
    detect_on,
    plat_scanned,
    guardian_mult,
    guardian_abandon,
    block_mult,
    report_mult,
    child_first_day,
    child_first_plat,
    child_first_chan,
    rel_chan,
    counts,
):
    """One day of the active relationship ``r`` between child ``u`` and offender ``v``."""
    off_interact = g_params[0]
    jump = g_params[1]
    daily_block = g_params[2]
    daily_report = g_params[3]
    guardian_daily = g_params[4]
    abandon_daily = g_params[6]
    lit_adv = g_params[7]
    vuln_adv = g_params[8]
    tell = g_params[9]
    tell_police = g_params[10]
    police = g_params[11]
    sex_block = g_params[12]
    sex_report = g_params[13]
    lit_block = g_params[14]
    mult_targeted = g_params[15]
    mult_scatter = g_params[16]
    # draws are keyed by the pair, not by the relationship's running id, so they stay
    # aligned between scenarios that create relationships differently
    pk = pair_key(u, v)
    if u01(seed, day, K_OFF_INTERACT, pk, 0) >= off_interact:
        return
    counts[0] += 1  # offender-child interactions
    o_i = node_off_index[v]
    s = rel_stage[r]
    lit = child_lit[u]
    fb = 1.0 + lit_block * (lit - 0.5) * 2.0
    p_rel = rel_plat[r]
    # detection (intervention): flag with the stage's sensitivity
    if detect_on and plat_scanned[p_rel] and rel_flagged[r] < 0:
        if u01(seed, day, K_DETECT, pk, s) < detect_sens[p_rel, s]:
            rel_flagged[r] = day
    if u01(seed, day, K_GUARDIAN, pk, 0) < guardian_daily * guardian_mult[u]:
        if u01(seed, day, K_GUARDIAN_ABANDON, pk, 0) < guardian_abandon[u]:
            rel_exit[r] = EXIT_GUARDIAN
            rel_exit_day[r] = day
            return
    if u01(seed, day, K_DAILY_BLOCK, pk, 0) < clamp01(daily_block * fb * block_mult[u]):
        rel_exit[r] = EXIT_BLOCKED
        rel_exit_day[r] = day
        return
    if u01(seed, day, K_DAILY_REPORT, pk, 0) < clamp01(daily_report * fb * report_mult[u]):
        rel_exit[r] = EXIT_REPORTED
        rel_exit_day[r] = day
        return
    if u01(seed, day, K_ABANDON, pk, 0) < abandon_daily * (1.0 - off_persist[o_i]):
        rel_exit[r] = EXIT_ABANDONED
        rel_exit_day[r] = day
        return
    mult = mult_targeted if off_strategy[o_i] == 1 else mult_scatter
    pa = advance[s] * mult * (1.0 + vuln_adv * (child_vuln[u] - vuln_mean) * 2.0)
    pa *= 1.0 - lit_adv * (lit - 0.5) * 2.0
    if u01(seed, day, K_ADVANCE, pk, s) >= clamp01(pa):
        return
    ns = s + 1
    if ns < N_STAGES and u01(seed, day, K_JUMP, pk, s) < jump:
        ns = s + 2
    if ns > N_STAGES:
        ns = N_STAGES
    for q in range(s + 1, ns + 1):
        if child_first_day[u, q] < 0:
            child_first_day[u, q] = day
            child_first_plat[u, q] = rel_plat[r]
            child_first_chan[u, q] = rel_chan[r]
    rel_stage[r] = ns
    counts[1] += ns - s  # stage advances
    if s < ST_ISOLATION <= ns and private_plat >= 0 and p_rel != private_plat:
        if (
            acct[u, private_plat]
            and acct[v, private_plat]
            and not banned_acct[v, private_plat]
            and u01(seed, day, K_MOVE, pk, 0) < off_move[o_i]
        ):
            rel_plat[r] = private_plat
            rel_moved[r] = day  # the caller adds the platform to the tie
            counts[2] += 1
    if s < ST_SEXUAL <= ns:
        rel_offence[r] = day
        counts[3] += 1
        if u01(seed, day, K_POLICE, pk, 0) < police or u01(seed, day, K_TELL, pk, 0) < tell * tell_police:
            rel_recorded[r] = day
            counts[4] += 1
        if u01(seed, day, K_SEXUAL_BLOCK, pk, 0) < clamp01(sex_block * fb * block_mult[u]):
            rel_exit[r] = EXIT_BLOCKED
            rel_exit_day[r] = day
            if u01(seed, day, K_SEXUAL_REPORT, pk, 0) < clamp01(sex_report * fb * report_mult[u]):
                rel_exit[r] = EXIT_REPORTED
            return
    if ns == N_STAGES:
        rel_exit[r] = EXIT_COMPLETED
        rel_exit_day[r] = day


def _add_platform_counts(by_mask, chunk_counts, c, n_plat):
    """Add interactions counted by platform set (``by_mask[m]``, m = 1..255) to the per-platform
    counters ``chunk_counts[c, 8 + p]`` of chunk ``c``."""
    for mm in range(1, 256):
        if by_mask[mm] > 0:
            for p in range(n_plat):
                if (mm >> p) & 1:
                    chunk_counts[c, 8 + p] += by_mask[mm]


def benign_interactions(seed, day, start, deg, nbr, emask, echan, p_code, n_plat, chunk_counts, n_chunks):
    """Benign interactions of one day with no detector running: the memory-bound hot loop.

    Each tie is visited once (from its lower id) and interacts with the probability of its
    channel code (``p_code[echan]``, 0 for a tie that carries or carried a relationship:
    ``REL_BIT``). The interactions are counted by the tie's platform set (expanded to platforms
    once per chunk), with no branch other than ``v < u``, so that the loop stays tight. Counts
    go to ``chunk_counts[chunk, 8 + p]``.
    """
    n = start.shape[0]
    chunk = (n + n_chunks - 1) // n_chunks
    dk = day_key(seed, day, K_INTERACT)
    # integer thresholds: draw < p  <=>  bits < ceil(p * 2**53) (exact; no int-to-float work)
    thr = np.empty(p_code.shape[0], np.int64)
    for i in range(p_code.shape[0]):
        thr[i] = np.int64(math.ceil(p_code[i] * 9007199254740992.0))
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
        _add_platform_counts(hist, chunk_counts, c, n_plat)


def contact_step(
    seed,
    day,
    n_children,
    start,
    deg,
    nbr,
    emask,
    echan,
    erel,
    p_code,
    plat_scanned,
    detect_fp,
    detect_on,
    rel_child,
    rel_off,
    rel_plat,
    rel_stage,
    rel_exit,
    rel_exit_day,
    rel_offence,
    rel_recorded,
    rel_flagged,
    rel_moved,
    off_strategy,
    off_persist,
    off_move,
    node_off_index,
    child_lit,
    child_vuln,
    vuln_mean,
    acct,
    banned_acct,
    private_plat,
    g_params,
    advance,
    detect_sens,
    guardian_mult,
    guardian_abandon,
    block_mult,
    report_mult,
    child_first_day,
    child_first_plat,
    child_first_chan,
    rel_chan,
    chunk_counts,
    n_chunks,
    fp_flags,
    n_rel,
):
    """One day of interactions over every tie, and the grooming step on offender-child ties.

    Benign part. For each tie (visited once, from its lower id): with the daily interaction
    probability of its channel (``p_code[echan]``; 0 for ties that carry a relationship, which
    have ``REL_BIT`` set in ``echan``), an interaction happens on the tie's platforms; it is
    counted per platform (benign workload and the denominator of false positives) and, where a
    detector runs (``detect_on``), a benign interaction on a scanned platform is wrongly flagged
    with probability ``detect_fp`` (the sender is recorded in ``fp_flags``). Without a detector
    this is :func:`benign_interactions`.

    Grooming part, on each active relationship (``rel_exit == EXIT_NONE``) whose tie is live
    (``erel`` of the tie is the relationship, mask not 0), in the order of the child's id and
    then of the tie's slot: the offender interacts with probability ``g_params[0]``; then, in
    this order: guardian cue (may end it), child blocks, child reports, offender abandons; else
    the stage advances (rate by stage x strategy x vulnerability x literacy), sometimes two
    stages at once (``jump``). Reaching ``isolation`` may move the tie to the private platform;
    reaching ``sexual_communication`` is the offence (possibly recorded by disclosure) and an
    unwanted request the child may block or report (exits are written to the relationship row;
    the caller makes the tie dormant and queues reports). A detector on the relationship's
    platform may flag it with the stage's sensitivity. Relationships are few (thousands), so
    this part runs serially after the benign pass.

    Counters go to ``chunk_counts[chunk, :]`` (integer sums, so any thread count gives the same
    totals).
    """
    n = start.shape[0]
    n_plat = acct.shape[1]
    if not detect_on:
        benign_interactions(seed, day, start, deg, nbr, emask, echan, p_code, n_plat, chunk_counts, n_chunks)
    else:
        chunk = (n + n_chunks - 1) // n_chunks
        dk_interact = day_key(seed, day, K_INTERACT)
        dk_fp = day_key(seed, day, K_FALSE_FLAG)
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
                        if (m >> p) & 1 and plat_scanned[p]:
                            if u01_key(dk_fp, pair_key(u, v), p) < detect_fp:
                                chunk_counts[c, 5] += 1
                                # the higher id (the adult end, if any) is the flagged
                                # account; one flag per node and day is kept (counted in full)
                                fp_flags[u] = np.int64(v) * 8 + p
            _add_platform_counts(mask_hist, chunk_counts, c, n_plat)
    # ---- grooming: active relationships on live ties, by child and then tie slot ----
    pool = np.int64(nbr.shape[0])
    keys = np.empty(n_rel, np.int64)
    rows = np.empty(n_rel, np.int64)
    na = 0
    for r in range(n_rel):
        if rel_exit[r] != EXIT_NONE:
            continue
        u = rel_child[r]
        a = find_slot(start, deg, nbr, u, rel_off[r])
        if a < 0 or erel[a] != r or emask[a] == 0:
            continue
        keys[na] = np.int64(u) * pool + a
        rows[na] = r
        na += 1
    order = np.argsort(keys[:na])
    counts = np.zeros(5, np.int64)
    for i in range(na):
        r = rows[order[i]]
        _grooming_step(
            seed,
            day,
            r,
            rel_child[r],
            rel_off[r],
            rel_plat,
            rel_stage,
            rel_exit,
            rel_exit_day,
            rel_offence,
            rel_recorded,
            rel_flagged,
            rel_moved,
            off_strategy,
            off_persist,
            off_move,
            node_off_index,
            child_lit,
            child_vuln,
            vuln_mean,
            acct,
            banned_acct,
            private_plat,
            g_params,
            advance,
            detect_sens,
            detect_on,
            plat_scanned,
            guardian_mult,
            guardian_abandon,
            block_mult,
            report_mult,
            child_first_day,
            child_first_plat,
            child_first_chan,
            rel_chan,
            counts,
        )
    for j in range(5):
        chunk_counts[0, j] += counts[j]


__all__ = [name for name in dir() if not name.startswith("__")]


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------

_NUMBA_MODULE = None
#: Functions compiled for the numba backend; helpers first (they are called by the kernels).
JIT_FUNCTIONS = (
    "mix64",
    "day_key",
    "u01_key",
    "bits_pair",
    "u01_pair",
    "u01",
    "poisson_from_u",
    "pair_key",
    "clamp01",
    "find_slot",
    "_append_half",
    "_pdeg_add",
    "set_tie_mask",
    "insert_ties",
    "score_pair",
    "fof_bound",
    "fof_scratch",
    "_ht_slot",
    "fof_candidates",
    "candidate_score",
    "resolve_contacts",
    "_grooming_step",
    "_add_platform_counts",
    "first_copies",
    "scatter_halves",
)
PARALLEL_FUNCTIONS = ("suggest", "outreach", "benign_interactions", "contact_step")


def numba_module():
    """This module compiled with Numba (loaded once per process; cached on disk)."""
    global _NUMBA_MODULE
    if _NUMBA_MODULE is None:
        import importlib.util
        import sys

        import numba

        spec = importlib.util.spec_from_file_location("sim._kernels_numba", __file__)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["sim._kernels_numba"] = mod
        spec.loader.exec_module(mod)
        for name in JIT_FUNCTIONS:
            setattr(mod, name, numba.njit(cache=True, nogil=True)(getattr(mod, name)))
        for name in PARALLEL_FUNCTIONS:
            setattr(mod, name, numba.njit(cache=True, nogil=True, parallel=True)(getattr(mod, name)))
        _NUMBA_MODULE = mod
    return _NUMBA_MODULE


def backend_module(backend: str):
    """The kernel namespace for ``backend`` ('numba' or 'python')."""
    if backend == "numba":
        return numba_module()
    import sys

    return sys.modules[__name__]
