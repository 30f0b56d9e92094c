"""The social graph: initial ties from social structure, stored as a growable CSR.

Initial ties (all vectorised numpy, keyed random streams, so 10^6 agents build in seconds):

- household: each child with its parents and siblings; parents of one household tied together;
  relatives tied to some of a household's children;
- school: random ties within a class (``class_friends_mean``) and within a year group;
  teachers tied to some of their pupils;
- club: out-of-school clubs mixing the schools of an area, each with a coach;
- adult_network: adults tied mostly to adults of their own area; parents of tied classmates.

A tie sits on each platform where both ends hold an account, with probability
``network.tie_on_platform`` (an offline tie mirrored online); ties on no platform are offline
ties: they feed the contact-book suggestion signal but carry no platform interactions (the
contact step counts interactions on platforms only).

:class:`TieStore` is the array form the kernels use (its arrays, bundled as :class:`Ties`, are
what kernels take); :meth:`TieStore.to_networkx` gives the networkx view. The store's kernels
(finding, inserting and changing ties) are here too.

Graph storage: a CSR "with room to grow". Node ``u`` owns slots ``start[u] .. start[u]+cap[u]``
of the pool arrays, of which the first ``deg[u]`` are used. Each tie is stored twice (once per
end) with the same attributes: ``nbr`` (other end), ``emask`` (bit set of platforms the tie is
on; 0 = dormant), ``eday`` (day created), ``echan`` (:class:`~sim.categories.Channel`, plus
:data:`REL_BIT` when the tie carries a relationship), ``erel`` (offender-child relationship id or
-1). Children have the lowest ids, so an offender-child tie is always met from the child's side
(u < v). ``pdeg[u, p]`` counts u's ties on platform p.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.backend import kernel
from sim.categories import CHANNELS, Channel
from sim.fields import ConfigError, choice, number, prob
from sim.population import Groups, Population
from sim.rng import Decision, Stream, day_key, pair_key, rng_for, u01_key

if TYPE_CHECKING:
    from types import SimpleNamespace

    import networkx as nx
    from omegaconf import DictConfig

    from sim.model import GroomingModel

#: A tie that carries (or carried) an offender-child relationship has this bit set in ``echan``
#: (``erel`` >= 0): the benign pass of the contact step then skips it without reading ``erel``.
REL_BIT = 64
CHAN_MASK = 63  # echan & CHAN_MASK = the channel

#: From this many ties up, the initial graph is de-duplicated and laid out by O(ties) Numba
#: counting sorts; below it by NumPy sorts, which give the same arrays and spare a small run
#: the Numba start-up (~0.3 s before the first day). tests/test_network.py checks both agree.
NUMBA_BUILD_MIN_TIES = 200_000


@dataclass
class NetworkSettings:
    """``network.*`` keys of the initial social structure and its storage."""

    class_friends_mean: float = number(0, 1000)
    year_friends_mean: float = number(0, 1000)
    club_friends_mean: float = number(0, 1000)
    adult_friends_mean: float = number(0, 1000)
    parents_know_each_other: float = prob()
    tie_on_platform: float = prob()
    capacity_slack: float = number(0, 4)
    builder: str = choice("arrays", "networkx")


def check(cfg: DictConfig) -> None:
    """The networkx reference builder is for small worlds only."""
    n = cfg.population.n_children + cfg.population.n_adults
    if cfg.network.builder == "networkx" and n > 200_000:
        raise ConfigError(
            "network.builder",
            cfg.network.builder,
            "'arrays' above 200,000 agents (the networkx builder is a reference for "
            "small worlds: minutes and gigabytes at 10^6 agents)",
        )


#: The arrays of a :class:`TieStore`, as kernels take them.
Ties = namedtuple("Ties", "start deg cap nbr emask eday echan erel pool_used pdeg")
#: Ties to insert: ``u[i] - v[i]`` on platforms ``mask[i]``, made through ``chan[i]``,
#: carrying relationship ``rel[i]`` (-1: none).
TieBatch = namedtuple("TieBatch", "u v mask chan rel")


# --------------------------------------------------------------------------------------------
# Kernels of the store
# --------------------------------------------------------------------------------------------


@kernel
def find_slot(ties: Ties, u: int, v: int) -> int:
    """Slot of the half-edge u->v, or -1."""
    s = ties.start[u]
    for i in range(s, s + ties.deg[u]):
        if ties.nbr[i] == v:
            return i
    return -1


@kernel
def _append_half(ties, u, v, mask, day, chan, rel):
    """Append half-edge u->v; relocates u's block to the pool end when full.

    Returns False when the pool has no room (the caller grows the pool and retries).
    """
    start, deg, cap, pool_used = ties.start, ties.deg, ties.cap, ties.pool_used
    nbr, emask, eday, echan, erel = ties.nbr, ties.emask, ties.eday, ties.echan, ties.erel
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


@kernel
def _pdeg_add(pdeg, u, mask, delta):
    for p in range(pdeg.shape[1]):
        if (mask >> p) & 1:
            pdeg[u, p] += delta


@kernel
def set_tie_mask(ties: Ties, u: int, v: int, new_mask: int) -> bool:
    """Change the platform set of tie u-v (both halves) and keep per-platform degrees right."""
    su = find_slot(ties, u, v)
    sv = find_slot(ties, v, u)
    if su < 0 or sv < 0:
        return False
    old = np.int64(ties.emask[su])
    _pdeg_add(ties.pdeg, u, old, -1)
    _pdeg_add(ties.pdeg, v, old, -1)
    ties.emask[su] = new_mask
    ties.emask[sv] = new_mask
    _pdeg_add(ties.pdeg, u, np.int64(new_mask), 1)
    _pdeg_add(ties.pdeg, v, np.int64(new_mask), 1)
    return True


@kernel
def drop_platform(ties: Ties, u: int, p: int) -> int:
    """Take platform ``p`` off every tie of node ``u`` (its account there is gone); returns the
    number of ties changed."""
    bit = np.int64(1) << p
    s0 = ties.start[u]
    n = 0
    for slot in range(s0, s0 + ties.deg[u]):
        m = np.int64(ties.emask[slot])
        if m & bit:
            set_tie_mask(ties, u, ties.nbr[slot], m & ~bit)
            n += 1
    return n


@kernel
def insert_ties(batch: TieBatch, day: int, first: int, ties: Ties) -> tuple[int, int]:
    """Insert ties ``batch.u[i] - batch.v[i]`` for i >= first, in order, skipping pairs already
    tied.

    Returns (index reached, number inserted). The index is the batch length unless the pool
    filled up. A pair that is already tied gets the new platforms added to its mask instead (and,
    for a relationship tie, the new relationship id: a dormant tie is revived on recontact).
    """
    tu, tv, tmask, tchan, trel = batch.u, batch.v, batch.mask, batch.chan, batch.rel
    deg, cap, pool_used = ties.deg, ties.cap, ties.pool_used
    n = tu.shape[0]
    inserted = 0
    for i in range(first, n):
        u = tu[i]
        v = tv[i]
        if u == v:
            continue
        s = find_slot(ties, u, v)
        if s >= 0:
            m = np.int64(ties.emask[s]) | np.int64(tmask[i])
            if m != ties.emask[s]:
                set_tie_mask(ties, u, v, m)
            if trel[i] >= 0:
                s2 = find_slot(ties, v, u)
                ties.erel[s] = trel[i]
                ties.erel[s2] = trel[i]
                ties.echan[s] = ties.echan[s] | REL_BIT
                ties.echan[s2] = ties.echan[s2] | REL_BIT
            continue
        need = 0
        if deg[u] == cap[u]:
            need += cap[u] * 2 + 4
        if deg[v] == cap[v]:
            need += cap[v] * 2 + 4
        if pool_used[0] + need > ties.nbr.shape[0]:
            return i, inserted
        _append_half(ties, u, v, tmask[i], day, tchan[i], trel[i])
        _append_half(ties, v, u, tmask[i], day, tchan[i], trel[i])
        _pdeg_add(ties.pdeg, u, np.int64(tmask[i]), 1)
        _pdeg_add(ties.pdeg, v, np.int64(tmask[i]), 1)
        inserted += 1
    return n, inserted


@kernel
def first_copies_counting(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
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


@kernel
def scatter_halves(
    u: np.ndarray,
    v: np.ndarray,
    mask: np.ndarray,
    chan: np.ndarray,
    start: np.ndarray,
    nbr: np.ndarray,
    emask: np.ndarray,
    echan: np.ndarray,
) -> None:
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
# The store
# --------------------------------------------------------------------------------------------


def _numba():
    from sim.backend import kernels

    return kernels("numba")


def first_copies(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the first listed copy of each pair ``(a[i], b[i])`` (ids < n)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    if a.size >= NUMBA_BUILD_MIN_TIES:
        return _numba().first_copies_counting(a, b, n)
    _, first = np.unique(a * n + b, return_index=True)
    keep = np.zeros(a.size, bool)
    keep[first] = True
    return keep


class TieStore:
    """CSR with room to grow: node ``u`` owns ``cap[u]`` slots from ``start[u]``; ``deg[u]`` used.

    Each tie is stored in both directions with the same attributes (platform mask, day created,
    channel, relationship id). ``pdeg[u, p]`` counts u's ties on platform p. ``arrays`` is the
    :class:`Ties` bundle kernels take (renewed when the pool grows).
    """

    def __init__(
        self,
        n: int,
        n_platforms: int,
        u: np.ndarray,
        v: np.ndarray,
        mask: np.ndarray,
        chan: np.ndarray,
        slack: float = 0.5,
    ):
        self.n = n
        self.n_platforms = n_platforms
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        mask = np.asarray(mask, np.uint8)
        deg = (np.bincount(u, minlength=n) + np.bincount(v, minlength=n)).astype(np.int32)
        cap = (deg + np.ceil(deg * slack) + 2).astype(np.int32)
        start = np.zeros(n, np.int64)
        np.cumsum(cap[:-1], out=start[1:])
        used = int(start[-1] + cap[-1]) if n else 0
        pool = int(used * 1.25) + 1024
        self.nbr = np.full(pool, -1, np.int32)
        self.emask = np.zeros(pool, np.uint8)
        self.eday = np.zeros(pool, np.int16)
        self.echan = np.zeros(pool, np.int8)
        self.erel = np.full(pool, -1, np.int32)
        # each owner's block: its ties as first end (list order), then as second end
        chan = np.asarray(chan, np.int8)
        if u.size >= NUMBA_BUILD_MIN_TIES:
            _numba().scatter_halves(u, v, mask, chan, start, self.nbr, self.emask, self.echan)
        elif u.size:
            hu = np.concatenate([u, v])
            order = np.argsort(hu, kind="stable")
            hu_s = hu[order]
            first = np.searchsorted(hu_s, np.arange(n))
            pos = start[hu_s] + (np.arange(hu_s.size) - first[hu_s])
            self.nbr[pos] = np.concatenate([v, u])[order]
            self.emask[pos] = np.concatenate([mask, mask])[order]
            self.echan[pos] = np.concatenate([chan, chan])[order]
        self.start, self.deg, self.cap = start, deg, cap
        self.pool_used = np.array([used], np.int64)
        self.pdeg = np.zeros((n, n_platforms), np.int32)
        for p in range(n_platforms):
            on = ((mask >> p) & 1).astype(bool)
            self.pdeg[:, p] = np.bincount(u[on], minlength=n) + np.bincount(v[on], minlength=n)
        self._bundle()

    def _bundle(self) -> None:
        self.arrays = Ties(
            self.start,
            self.deg,
            self.cap,
            self.nbr,
            self.emask,
            self.eday,
            self.echan,
            self.erel,
            self.pool_used,
            self.pdeg,
        )

    # -- growth ---------------------------------------------------------------------------
    def grow(self, factor: float = 1.5) -> None:
        """Enlarge the slot pool (amortised; called when an insertion reports it is full)."""
        new = int(self.nbr.shape[0] * factor) + 1024
        for name, fill in (("nbr", -1), ("emask", 0), ("eday", 0), ("echan", 0), ("erel", -1)):
            old = getattr(self, name)
            arr = np.full(new, fill, old.dtype)
            arr[: old.shape[0]] = old
            setattr(self, name, arr)
        self._bundle()

    def insert(
        self,
        K: SimpleNamespace,
        tu: np.ndarray,
        tv: np.ndarray,
        tmask: np.ndarray,
        tchan: np.ndarray,
        trel: np.ndarray,
        day: int,
    ) -> int:
        """Insert ties with kernel namespace K, growing the pool as needed. Returns # inserted."""
        batch = TieBatch(tu, tv, tmask, tchan, trel)
        first, total = 0, 0
        while True:
            first, ins = K.insert_ties(batch, day, first, self.arrays)
            total += int(ins)
            if first >= tu.shape[0]:
                return total
            self.grow()

    # -- views ----------------------------------------------------------------------------
    def half_edges(self) -> tuple[np.ndarray, ...]:
        """(u, v, mask, day, channel, rel) arrays of every used half-edge."""
        idx = (
            np.concatenate([np.arange(s, s + d) for s, d in zip(self.start.tolist(), self.deg.tolist())])
            if self.n
            else np.zeros(0, np.int64)
        )
        u = np.repeat(np.arange(self.n), self.deg)
        chan = self.echan[idx] & np.int8(CHAN_MASK)  # without the relationship flag
        return u, self.nbr[idx], self.emask[idx], self.eday[idx], chan, self.erel[idx]

    def edges(self) -> tuple[np.ndarray, ...]:
        """Each tie once (u < v): (u, v, mask, day, channel, rel)."""
        u, v, m, d, c, r = self.half_edges()
        keep = u < v
        return u[keep], v[keep], m[keep], d[keep], c[keep], r[keep]

    @property
    def n_ties(self) -> int:
        return int(self.deg.sum()) // 2

    def to_networkx(self, pop: Population | None = None, include_dormant: bool = False) -> nx.Graph:
        """A networkx.Graph of the current ties.

        Node attributes: ``role``, ``age`` (and ``sex``) when ``pop`` is given. Edge attributes:
        ``platforms`` (tuple of platform names, empty for offline ties), ``day`` (day created,
        0 = initial, counted from the first day of the burn-in), ``channel`` (how the tie began).
        With ``pop``, only the people in the world today and their ties. Dormant ties (ended by a
        block, report or ban) are left out unless ``include_dormant``.
        """
        import networkx as nx  # only here and in the reference builder: a run does not need it

        g = nx.Graph()
        roles = ("child", "contact", "offender")
        if pop is not None:
            here = np.flatnonzero(pop.present)
            g.add_nodes_from(
                (
                    int(i),
                    {
                        "role": roles[pop.role[i]],
                        "age": int(pop.age[i]),
                        "sex": "girl_or_woman" if pop.sex[i] == 0 else "boy_or_man",
                    },
                )
                for i in here.tolist()
            )
            names = pop.platform_names
        else:
            g.add_nodes_from(range(self.n))
            names = tuple(f"platform_{p}" for p in range(self.n_platforms))
        u, v, m, d, c, r = self.edges()
        dormant = self.dormant_mask(m, c)
        if pop is not None:  # people who left the world (or have not come yet) are not in it
            dormant |= ~(pop.present[u] & pop.present[v])
        for a, b, mm, dd, cc, dm in zip(
            u.tolist(), v.tolist(), m.tolist(), d.tolist(), c.tolist(), dormant.tolist()
        ):
            if dm and not include_dormant:
                continue
            plats = tuple(names[p] for p in range(self.n_platforms) if (mm >> p) & 1)
            g.add_edge(a, b, platforms=plats, day=dd, channel=CHANNELS[cc])
        return g

    @staticmethod
    def dormant_mask(mask: np.ndarray, chan: np.ndarray) -> np.ndarray:
        """Ties with no platform that began online are dormant (offline ties are not)."""
        online = chan >= Channel.ADULT_NETWORK + 1
        return (mask == 0) & online


def _random_partner_edges(rng, ids_lo, ids_hi, mean_ties, members):
    """For each member i draw Poisson(mean/2) partners uniformly in [lo_i, hi_i)."""
    k = rng.poisson(mean_ties / 2.0, size=members.size)
    src = np.repeat(members, k)
    lo = np.repeat(ids_lo, k)
    hi = np.repeat(ids_hi, k)
    dst = lo + (rng.random(src.size) * (hi - lo)).astype(np.int64)
    return src, dst


def build_initial_ties(cfg: DictConfig, pop: Population, groups: Groups) -> TieStore:
    """Initial ties from households, schools, clubs and adult networks (see module docstring)."""
    nw = cfg.network
    rng = rng_for(int(cfg.seed), Stream.TIES)
    nc = pop.n_children
    n = pop.n
    us, vs, chs = [], [], []

    def add(a, b, ch):
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        us.append(a)
        vs.append(b)
        chs.append(np.full(a.size, ch, np.int8))

    # households: children and parents of one household
    hh = pop.household
    members = np.nonzero(hh >= 0)[0]
    order = members[np.argsort(hh[members], kind="stable")]
    hh_sorted = hh[order]
    lo = np.searchsorted(hh_sorted, hh_sorted, side="left")
    hi = np.searchsorted(hh_sorted, hh_sorted, side="right")
    # all pairs within a household (households are small): pair i with each later member
    sizes = hi - lo
    max_size = int(sizes.max()) if sizes.size else 0
    idx = np.arange(order.size)
    for off in range(1, max_size):
        ok = idx + off < hi
        add(order[idx[ok]], order[idx[ok] + off], Channel.HOUSEHOLD)
    # the children present on day 1 (slots of later 8-year-olds stay empty)
    kids = groups.children
    # relatives: each relative tied to the children of a random household
    rel_lo = groups.relative_start
    n_rel = groups.n_relatives
    if n_rel and groups.n_households:
        rel_hh = rng.integers(0, groups.n_households, size=n_rel)
        child_order = np.argsort(hh[kids], kind="stable")
        hh_c = hh[kids][child_order]
        c_lo = np.searchsorted(hh_c, rel_hh)
        c_hi = np.searchsorted(hh_c, rel_hh, side="right")
        k = c_hi - c_lo
        src = np.repeat(np.arange(rel_lo, rel_lo + n_rel), k)
        pos = np.repeat(c_lo, k) + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
        add(src, kids[child_order[pos]], Channel.HOUSEHOLD)

    # school: classmates and year-group friends (children sorted by school, year, class)
    cid = pop.class_id[kids]
    cls_lo = np.searchsorted(cid, cid, side="left")
    cls_hi = np.searchsorted(cid, cid, side="right")
    s, d = _random_partner_edges(rng, cls_lo, cls_hi, nw.class_friends_mean, kids)
    add(s, kids[d], Channel.SCHOOL)
    yg_key = pop.school[kids].astype(np.int64) * 10 + pop.year_group[kids]
    y_lo = np.searchsorted(yg_key, yg_key, side="left")
    y_hi = np.searchsorted(yg_key, yg_key, side="right")
    s, d = _random_partner_edges(rng, y_lo, y_hi, nw.year_friends_mean, kids)
    add(s, kids[d], Channel.SCHOOL)
    # teachers: one per class, tied to ~30% of its pupils (school channel)
    t0, n_t = groups.teacher_start, groups.n_teachers
    n_cls = groups.n_classes
    n_class_teachers = min(n_t, n_cls)
    if n_class_teachers:
        sel = (cid < n_class_teachers) & (rng.random(kids.size) < 0.3)
        add(t0 + cid[sel], kids[sel], Channel.SCHOOL)

    # clubs: members of an area shuffled into clubs; a coach each
    pc = cfg.population
    in_club = rng.random(kids.size) < pc.club_membership
    club_members = kids[in_club]
    if club_members.size:
        key = pop.area[club_members].astype(np.float64) + rng.random(club_members.size)
        club_members = club_members[np.argsort(key, kind="stable")]
        club_of = np.arange(club_members.size) // pc.club_size
        c_lo = np.searchsorted(club_of, club_of, side="left")
        c_hi = np.searchsorted(club_of, club_of, side="right")
        k = rng.poisson(nw.club_friends_mean / 2.0, size=club_members.size)
        src = np.repeat(np.arange(club_members.size), k)
        dst = np.repeat(c_lo, k) + (rng.random(src.size) * np.repeat(c_hi - c_lo, k)).astype(np.int64)
        add(club_members[src], club_members[dst], Channel.CLUB)
        pop.club[club_members] = club_of
        pop.club_coach = np.full(int(club_of[-1]) + 1, -1, np.int64)
        coaches_avail = n_t - n_class_teachers
        if coaches_avail > 0:
            coach = t0 + n_class_teachers + (club_of % coaches_avail)
            add(coach, club_members, Channel.CLUB)
            pop.club_coach[:] = t0 + n_class_teachers + np.arange(pop.club_coach.size) % coaches_avail

    # adult networks: local (same area, by sorting adults by area) and some global ties
    adults = np.flatnonzero(pop.present[nc:]) + nc
    a_sorted = adults[np.argsort(pop.area[adults], kind="stable")]
    a_area = pop.area[a_sorted]
    a_lo = np.searchsorted(a_area, a_area, side="left")
    a_hi = np.searchsorted(a_area, a_area, side="right")
    k = rng.poisson(nw.adult_friends_mean / 2.0, size=a_sorted.size)
    src = np.repeat(np.arange(a_sorted.size), k)
    local = rng.random(src.size) < 0.8
    dst = np.where(
        local,
        np.repeat(a_lo, k) + (rng.random(src.size) * np.repeat(a_hi - a_lo, k)).astype(np.int64),
        (rng.random(src.size) * a_sorted.size).astype(np.int64),
    )
    add(a_sorted[src], a_sorted[dst], Channel.ADULT_NETWORK)
    # parents of classmates who are friends know each other
    p0, n_par = groups.parent_start, groups.n_parents
    if n_par:
        first_parent = np.full(groups.n_households, -1, np.int64)
        hh_par = groups.hh_of_parent
        first_parent[hh_par[::-1]] = np.arange(p0, p0 + n_par)[::-1]
        school_pairs = [(a, b) for a, b, c in zip(us, vs, chs) if c.size and c[0] == Channel.SCHOOL]
        if school_pairs:
            s_cls = np.concatenate([a for a, _ in school_pairs])
            d_cls = np.concatenate([b for _, b in school_pairs])
            child_pair = (s_cls < nc) & (d_cls < nc)
            s_cls, d_cls = s_cls[child_pair], d_cls[child_pair]
            pick = rng.random(s_cls.size) < nw.parents_know_each_other
            pa = first_parent[hh[s_cls[pick]]]
            pb = first_parent[hh[d_cls[pick]]]
            ok = (pa >= 0) & (pb >= 0)
            add(pa[ok], pb[ok], Channel.ADULT_NETWORK)

    u = np.concatenate(us)
    v = np.concatenate(vs)
    ch = np.concatenate(chs)
    # canonical, unique, no self-loops; the first channel listed wins (household > school > ...)
    a = np.minimum(u, v)
    b = np.maximum(u, v)
    ok = a != b
    a, b, ch = a[ok], b[ok], ch[ok]
    keep = first_copies(a, b, n)
    a, b, ch = a[keep], b[keep], ch[keep]

    # platform mask: both ends hold an account, mirrored with probability tie_on_platform
    acct = pop.acct
    mask = np.zeros(a.size, np.uint8)
    for p in range(acct.shape[1]):
        on = acct[a, p] & acct[b, p] & (rng.random(a.size) < nw.tie_on_platform)
        mask |= on.astype(np.uint8) << p
    return TieStore(n, acct.shape[1], a, b, mask, ch, slack=nw.capacity_slack)


def build_initial_ties_networkx(cfg: DictConfig, pop: Population, groups: Groups) -> TieStore:
    """The same social structure built with networkx generators: a reference for small worlds.

    Households are complete graphs (``nx.complete_graph``); classmates, year groups, clubs and
    adults of an area are ``nx.gnm_random_graph`` with as many edges as the array builder's
    expected count (mean degree = the configured mean); teachers, coaches, relatives and parents
    of friends follow the same rules as :func:`build_initial_ties`. Seeded from the model's
    random stream, so the same config and seed give the same graph. It is slow (minutes at 10^6
    agents, see docs/performance.md), which is why the array builder is the default;
    ``tests/test_network.py`` checks both give the same structure statistics.
    """
    import networkx as nx

    nw, pc = cfg.network, cfg.population
    rng = rng_for(int(cfg.seed), Stream.TIES_NETWORKX)
    nc, n = pop.n_children, pop.n
    g = nx.Graph()
    g.add_nodes_from(range(n))

    def seed():
        return int(rng.integers(0, 2**31 - 1))

    def random_group(members, mean, chan):
        members = np.asarray(members)
        k = len(members)
        if k < 2 or mean <= 0:
            return
        m = min(int(round(k * mean / 2)), k * (k - 1) // 2)
        h = nx.gnm_random_graph(k, m, seed=seed())
        g.add_edges_from(((int(members[a]), int(members[b])) for a, b in h.edges()), channel=chan)

    def add(a, b, chan):
        if a != b and not g.has_edge(a, b):
            g.add_edge(int(a), int(b), channel=chan)

    hh = pop.household
    for members in _groups_of(hh):
        for a, b in nx.complete_graph(members).edges():
            add(a, b, Channel.HOUSEHOLD)
    children_by_hh = {h: m[m < nc] for h, m in zip(*_keyed_groups(hh[:nc]), strict=True)}
    keys = list(children_by_hh)
    for r in range(groups.relative_start, groups.relative_start + groups.n_relatives):
        if keys:
            for c in children_by_hh[keys[int(rng.integers(0, len(keys)))]]:
                add(r, c, Channel.HOUSEHOLD)
    for members in _groups_of(pop.class_id[:nc]):
        random_group(members, nw.class_friends_mean, Channel.SCHOOL)
    here = pop.present[:nc]
    year_key = np.where(here, pop.school[:nc].astype(np.int64) * 10 + pop.year_group[:nc], -1)
    for members in _groups_of(year_key):
        random_group(members, nw.year_friends_mean, Channel.SCHOOL)
    t0, n_t, n_cls = groups.teacher_start, groups.n_teachers, groups.n_classes
    n_class_teachers = min(n_t, n_cls)
    for c in groups.children.tolist():
        if pop.class_id[c] < n_class_teachers and rng.random() < 0.3:
            add(t0 + int(pop.class_id[c]), c, Channel.SCHOOL)
    in_club = groups.children[rng.random(groups.children.size) < pc.club_membership]
    club_coach = []
    for area_members in _groups_of(pop.area[in_club]):
        members = in_club[area_members]
        rng.shuffle(members)
        for i in range(0, len(members), pc.club_size):
            club = members[i : i + pc.club_size]
            pop.club[club] = len(club_coach)
            random_group(club, nw.club_friends_mean, Channel.CLUB)
            coaches = n_t - n_class_teachers
            coach = t0 + n_class_teachers + (i // pc.club_size) % coaches if coaches > 0 else -1
            club_coach.append(coach)
            if coach >= 0:
                for c in club:
                    add(coach, int(c), Channel.CLUB)
    pop.club_coach = np.array(club_coach, np.int64)
    adults = np.flatnonzero(pop.present[nc:]) + nc
    for members in _groups_of(pop.area[adults]):
        random_group(adults[members], 0.8 * nw.adult_friends_mean, Channel.ADULT_NETWORK)
    random_group(adults, 0.2 * nw.adult_friends_mean, Channel.ADULT_NETWORK)
    first_parent = {}
    for i in range(groups.parent_start, groups.parent_start + groups.n_parents):
        first_parent.setdefault(int(hh[i]), i)
    for a, b, d in list(g.edges(data=True)):
        if d["channel"] == Channel.SCHOOL and a < nc and b < nc and rng.random() < nw.parents_know_each_other:
            pa, pb = first_parent.get(int(hh[a])), first_parent.get(int(hh[b]))
            if pa is not None and pb is not None:
                add(pa, pb, Channel.ADULT_NETWORK)
    e = np.array([(min(a, b), max(a, b), d["channel"]) for a, b, d in g.edges(data=True)], np.int64).reshape(
        -1, 3
    )
    order = np.lexsort((e[:, 1], e[:, 0]))
    e = e[order]
    acct = pop.acct
    mask = np.zeros(len(e), np.uint8)
    for p in range(acct.shape[1]):
        on = acct[e[:, 0], p] & acct[e[:, 1], p] & (rng.random(len(e)) < nw.tie_on_platform)
        mask |= on.astype(np.uint8) << p
    return TieStore(
        n, acct.shape[1], e[:, 0], e[:, 1], mask, e[:, 2].astype(np.int8), slack=nw.capacity_slack
    )


def _keyed_groups(keys: np.ndarray):
    """(group keys, member index arrays) of the non-negative keys, in key order."""
    idx = np.nonzero(keys >= 0)[0]
    order = idx[np.argsort(keys[idx], kind="stable")]
    k = keys[order]
    cut = np.nonzero(np.diff(k))[0] + 1
    return [int(x) for x in k[np.r_[0, cut]]] if k.size else [], np.split(order, cut) if k.size else []


def _groups_of(keys: np.ndarray):
    """Member index arrays of each group (non-negative keys), in key order."""
    return _keyed_groups(keys)[1]


# --------------------------------------------------------------------------------------------
# Ties of people who join the world during a run (sim.demography, sim.offenders)
# --------------------------------------------------------------------------------------------


@kernel
def mirror_masks(acct: np.ndarray, a: np.ndarray, b: np.ndarray, q: float, seed: int, day: int) -> np.ndarray:
    """Platform masks of new ties ``a[i]-b[i]``: on each platform p where both hold an account
    (``acct[node, p]``), with probability ``q``, keyed by ``(seed, day, Decision.MIRROR, pair,
    p)``."""
    dk = day_key(seed, day, Decision.MIRROR)
    n_plat = acct.shape[1]
    mask = np.zeros(a.shape[0], np.uint8)
    for i in range(a.shape[0]):
        x = a[i]
        y = b[i]
        key = pair_key(min(x, y), max(x, y))
        m = 0
        for p in range(n_plat):
            if acct[x, p] and acct[y, p] and u01_key(dk, key, p) < q:
                m |= 1 << p
        mask[i] = m
    return mask


@kernel
def mirror_on_account(ties: Ties, acct: np.ndarray, c: int, p: int, q: float, seed: int, day: int) -> int:
    """Node ``c`` opened an account on platform ``p``: each of its ties to a holder on p that is
    not yet on p goes on p with probability ``q``, keyed as in :func:`mirror_masks`. Offline ties
    and ties live on another platform qualify; relationship ties and dormant online ties (ended by
    a block, report or ban) do not. Returns the number of ties put on p."""
    dk = day_key(seed, day, Decision.MIRROR)
    bit = np.int64(1) << p
    s0 = ties.start[c]
    n = 0
    for slot in range(s0, s0 + ties.deg[c]):
        v = ties.nbr[slot]
        m = np.int64(ties.emask[slot])
        ch = np.int64(ties.echan[slot])
        if (ch & REL_BIT) != 0 or not acct[v, p] or (m & bit) != 0:
            continue
        if m == 0 and (ch & CHAN_MASK) > Channel.ADULT_NETWORK:
            continue
        if u01_key(dk, pair_key(min(c, v), max(c, v)), p) < q:
            set_tie_mask(ties, c, v, m | bit)
            n += 1
    return n


def _mirror(model: GroomingModel, t: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Platform masks of new ties ``a[i]-b[i]``: on each platform both hold an account, with
    probability ``network.tie_on_platform`` (keyed by the pair, platform and day)."""
    q = float(model.nw.tie_on_platform)
    return model.K.mirror_masks(model.pop.acct, a.astype(np.int64), b.astype(np.int64), q, model.seed, t)


def _insert(model: GroomingModel, t: int, a: list[int], b: list[int], chans: list[int]) -> int:
    if not a:
        return 0
    a_, b_ = np.array(a, np.int64), np.array(b, np.int64)
    lo, hi = np.minimum(a_, b_), np.maximum(a_, b_)
    mask = _mirror(model, t, lo, hi)
    return model.ties.insert(
        model.K, lo, hi, mask, np.array(chans, np.int8), np.full(lo.size, -1, np.int32), t
    )


def _partners(rng: np.random.Generator, pool: np.ndarray, mean: float) -> list[int]:
    """Poisson(``mean``) distinct partners drawn from ``pool``."""
    if pool.size == 0 or mean <= 0:
        return []
    k = min(int(rng.poisson(mean)), pool.size)
    return rng.choice(pool, size=k, replace=False).tolist() if k else []


def join_adult(model: GroomingModel, t: int, o: int, rng: np.random.Generator) -> int:
    """Adult-network ties of an adult who enters the world (an arriving offender): Poisson
    (``adult_friends_mean``) benign adults, 80% of them from its own area, as at set-up."""
    pop = model.pop
    ids, lo, hi = model.benign_by_area
    area = int(pop.area[o])
    k = int(rng.poisson(model.nw.adult_friends_mean))
    others = []
    for _ in range(k):
        if rng.random() < 0.8 and hi[area] > lo[area]:
            others.append(int(ids[lo[area] + int(rng.random() * (hi[area] - lo[area]))]))
        elif ids.size:
            others.append(int(ids[int(rng.random() * ids.size)]))
    others = sorted(set(others) - {o})
    return _insert(model, t, [o] * len(others), others, [Channel.ADULT_NETWORK] * len(others))


def join_child(model: GroomingModel, t: int, c: int, rng: np.random.Generator) -> int:
    """Ties of a new 8-year-old ``c`` (its slot already holds its school, class, household, club and
    accounts), following the set-up rules: household (its parents and the siblings present),
    Poisson(``class_friends_mean``) classmates and Poisson(``year_friends_mean``) children of its
    school's intake year present, its class teacher with probability 0.3, and, in a club,
    Poisson(``club_friends_mean``) club members and the coach. Returns the ties inserted."""
    pop, nw = model.pop, model.nw
    s = int(pop.school[c])
    lo, hi = int(model.school_bounds[s]), int(model.school_bounds[s + 1])
    here = np.flatnonzero(pop.present[lo:hi]) + lo
    here = here[here != c]
    a, b, ch = [], [], []

    def add(others, chan):
        for x in others:
            a.append(c)
            b.append(int(x))
            ch.append(chan)

    h = int(pop.household[c])
    if h >= 0:
        add(model.parents_of[h], Channel.HOUSEHOLD)
        add(here[pop.household[here] == h].tolist(), Channel.HOUSEHOLD)
    add(_partners(rng, here[pop.class_id[here] == pop.class_id[c]], nw.class_friends_mean), Channel.SCHOOL)
    intake = (int(pop.joined_day[c]) - 1) // 365
    same_year = here[(pop.joined_day[here] > 0) & ((pop.joined_day[here] - 1) // 365 == intake)]
    add(_partners(rng, same_year, nw.year_friends_mean), Channel.SCHOOL)
    teacher = int(model.school_teacher[s])
    if teacher >= 0 and rng.random() < 0.3:
        add([teacher], Channel.SCHOOL)
    club = int(pop.club[c])
    if club >= 0:
        alo, ahi = int(pop.area_lo[pop.area[c]]), int(pop.area_hi[pop.area[c]])
        members = np.flatnonzero((pop.club[alo:ahi] == club) & pop.present[alo:ahi]) + alo
        add(_partners(rng, members[members != c], nw.club_friends_mean), Channel.CLUB)
        if club < pop.club_coach.size and pop.club_coach[club] >= 0:
            add([int(pop.club_coach[club])], Channel.CLUB)
    seen, ua, ub, uc = set(), [], [], []
    for x, y, z in zip(a, b, ch):
        if y not in seen and y != x:
            seen.add(y)
            ua.append(x)
            ub.append(y)
            uc.append(z)
    return _insert(model, t, ua, ub, uc)
