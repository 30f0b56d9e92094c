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

:class:`TieStore` is the array form the kernels use; :meth:`TieStore.to_networkx` gives the
networkx view.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from sim.config import CHANNELS
from sim.kernels import CH_ADULT, CH_CLUB, CH_HOUSEHOLD, CH_SCHOOL, CHAN_MASK, numba_module
from sim.population import STREAM_TIES, Population, rng_for

#: From this many ties up, the initial graph is de-duplicated and laid out by O(ties) Numba
#: counting sorts; below it by NumPy sorts, which give the same arrays and spare a small run
#: the Numba start-up (~0.3 s before the first day). tests/test_network.py checks both agree.
NUMBA_BUILD_MIN_TIES = 200_000


def first_copies(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the first listed copy of each pair ``(a[i], b[i])`` (ids < n)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    if a.size >= NUMBA_BUILD_MIN_TIES:
        return numba_module().first_copies(a, b, n)
    _, first = np.unique(a * n + b, return_index=True)
    keep = np.zeros(a.size, bool)
    keep[first] = True
    return keep


class TieStore:
    """CSR with room to grow: node ``u`` owns ``cap[u]`` slots from ``start[u]``; ``deg[u]`` used.

    Each tie is stored in both directions with the same attributes (platform mask, day created,
    channel, relationship id). ``pdeg[u, p]`` counts u's ties on platform p.
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
            numba_module().scatter_halves(u, v, mask, chan, start, self.nbr, self.emask, self.echan)
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

    # -- growth ---------------------------------------------------------------------------
    def grow(self, factor: float = 1.5) -> None:
        """Enlarge the slot pool (amortised; called when an insertion reports it is full)."""
        new = int(self.nbr.shape[0] * factor) + 1024
        for name, fill in (("nbr", -1), ("emask", 0), ("eday", 0), ("echan", 0), ("erel", -1)):
            old = getattr(self, name)
            arr = np.full(new, fill, old.dtype)
            arr[: old.shape[0]] = old
            setattr(self, name, arr)

    def insert(self, K, tu, tv, tmask, tchan, trel, day: int) -> int:
        """Insert ties with kernel namespace K, growing the pool as needed. Returns # inserted."""
        first, total = 0, 0
        while True:
            first, ins = K.insert_ties(
                tu,
                tv,
                tmask,
                tchan,
                trel,
                day,
                first,
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
                self.n_platforms,
            )
            total += int(ins)
            if first >= tu.shape[0]:
                return total
            self.grow()

    # -- views ----------------------------------------------------------------------------
    def half_edges(self):
        """(u, v, mask, day, channel, rel) arrays of every used half-edge."""
        idx = (
            np.concatenate([np.arange(s, s + d) for s, d in zip(self.start.tolist(), self.deg.tolist())])
            if self.n
            else np.zeros(0, np.int64)
        )
        u = np.repeat(np.arange(self.n), self.deg)
        chan = self.echan[idx] & np.int8(CHAN_MASK)  # without the relationship flag
        return u, self.nbr[idx], self.emask[idx], self.eday[idx], chan, self.erel[idx]

    def edges(self):
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
        0 = initial), ``channel`` (how the tie began). Dormant ties (ended by a block, report or
        ban) are left out unless ``include_dormant``.
        """
        g = nx.Graph()
        roles = ("child", "contact", "offender")
        if pop is not None:
            g.add_nodes_from(
                (i, {"role": roles[r], "age": int(a), "sex": "girl_or_woman" if s == 0 else "boy_or_man"})
                for i, (r, a, s) in enumerate(zip(pop.role.tolist(), pop.age.tolist(), pop.sex.tolist()))
            )
            names = pop.platform_names
        else:
            g.add_nodes_from(range(self.n))
            names = tuple(f"platform_{p}" for p in range(self.n_platforms))
        u, v, m, d, c, r = self.edges()
        dormant = self.dormant_mask(m, c)
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
        online = chan >= CH_ADULT + 1
        return (mask == 0) & online


def _random_partner_edges(rng, ids_lo, ids_hi, mean_ties, members):
    """For each member i draw Poisson(mean/2) partners uniformly in [lo_i, hi_i)."""
    k = rng.poisson(mean_ties / 2.0, size=members.size)
    src = np.repeat(members, k)
    lo = np.repeat(ids_lo, k)
    hi = np.repeat(ids_hi, k)
    dst = lo + (rng.random(src.size) * (hi - lo)).astype(np.int64)
    return src, dst


def build_initial_ties(cfg, pop: Population, groups: dict) -> TieStore:
    """Initial ties from households, schools, clubs and adult networks (see module docstring)."""
    nw = cfg.network
    rng = rng_for(int(cfg.seed), STREAM_TIES)
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
        add(order[idx[ok]], order[idx[ok] + off], CH_HOUSEHOLD)
    # relatives: each relative tied to the children of a random household
    rel_lo = groups["relative_start"]
    n_rel = groups["n_relatives"]
    if n_rel and groups["n_households"]:
        rel_hh = rng.integers(0, groups["n_households"], size=n_rel)
        child_order = np.argsort(hh[:nc], kind="stable")
        hh_c = hh[:nc][child_order]
        c_lo = np.searchsorted(hh_c, rel_hh)
        c_hi = np.searchsorted(hh_c, rel_hh, side="right")
        k = c_hi - c_lo
        src = np.repeat(np.arange(rel_lo, rel_lo + n_rel), k)
        pos = np.repeat(c_lo, k) + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
        add(src, child_order[pos], CH_HOUSEHOLD)

    # school: classmates and year-group friends (children sorted by school, year, class)
    cid = pop.class_id[:nc]
    cls_lo = np.searchsorted(cid, cid, side="left")
    cls_hi = np.searchsorted(cid, cid, side="right")
    kids = np.arange(nc)
    s, d = _random_partner_edges(rng, cls_lo, cls_hi, nw.class_friends_mean, kids)
    add(s, d, CH_SCHOOL)
    yg_key = pop.school[:nc].astype(np.int64) * 10 + pop.year_group[:nc]
    y_lo = np.searchsorted(yg_key, yg_key, side="left")
    y_hi = np.searchsorted(yg_key, yg_key, side="right")
    s, d = _random_partner_edges(rng, y_lo, y_hi, nw.year_friends_mean, kids)
    add(s, d, CH_SCHOOL)
    # teachers: one per class, tied to ~30% of its pupils (school channel)
    t0, n_t = groups["teacher_start"], groups["n_teachers"]
    n_cls = groups["n_classes"]
    n_class_teachers = min(n_t, n_cls)
    if n_class_teachers:
        pick = kids[(cid < n_class_teachers) & (rng.random(nc) < 0.3)]
        add(t0 + cid[pick], pick, CH_SCHOOL)

    # clubs: members of an area shuffled into clubs; a coach each
    pc = cfg.population
    in_club = rng.random(nc) < pc.club_membership
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
        add(club_members[src], club_members[dst], CH_CLUB)
        coaches_avail = n_t - n_class_teachers
        if coaches_avail > 0:
            coach = t0 + n_class_teachers + (club_of % coaches_avail)
            add(coach, club_members, CH_CLUB)

    # adult networks: local (same area, by sorting adults by area) and some global ties
    adults = np.arange(nc, n)
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
    add(a_sorted[src], a_sorted[dst], CH_ADULT)
    # parents of classmates who are friends know each other
    p0, n_par = groups["parent_start"], groups["n_parents"]
    if n_par:
        first_parent = np.full(groups["n_households"], -1, np.int64)
        hh_par = groups["hh_of_parent"]
        first_parent[hh_par[::-1]] = np.arange(p0, p0 + n_par)[::-1]
        school_pairs = [(a, b) for a, b, c in zip(us, vs, chs) if c.size and c[0] == CH_SCHOOL]
        if school_pairs:
            s_cls = np.concatenate([a for a, _ in school_pairs])
            d_cls = np.concatenate([b for _, b in school_pairs])
            child_pair = (s_cls < nc) & (d_cls < nc)
            s_cls, d_cls = s_cls[child_pair], d_cls[child_pair]
            pick = rng.random(s_cls.size) < nw.parents_know_each_other
            pa = first_parent[hh[s_cls[pick]]]
            pb = first_parent[hh[d_cls[pick]]]
            ok = (pa >= 0) & (pb >= 0)
            add(pa[ok], pb[ok], CH_ADULT)

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


def build_initial_ties_networkx(cfg, pop: Population, groups: dict) -> TieStore:
    """The same social structure built with networkx generators: a reference for small worlds.

    Households are complete graphs (``nx.complete_graph``); classmates, year groups, clubs and
    adults of an area are ``nx.gnm_random_graph`` with as many edges as the array builder's
    expected count (mean degree = the configured mean); teachers, coaches, relatives and parents
    of friends follow the same rules as :func:`build_initial_ties`. Seeded from the model's
    random stream, so the same config and seed give the same graph. It is slow (minutes at 10^6
    agents, see docs/performance.md), which is why the array builder is the default;
    ``tests/test_network.py`` checks both give the same structure statistics.
    """
    nw, pc = cfg.network, cfg.population
    rng = rng_for(int(cfg.seed), STREAM_TIES + 100)
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
            add(a, b, CH_HOUSEHOLD)
    children_by_hh = {h: m[m < nc] for h, m in zip(*_keyed_groups(hh[:nc]), strict=True)}
    keys = list(children_by_hh)
    for r in range(groups["relative_start"], groups["relative_start"] + groups["n_relatives"]):
        if keys:
            for c in children_by_hh[keys[int(rng.integers(0, len(keys)))]]:
                add(r, c, CH_HOUSEHOLD)
    for members in _groups_of(pop.class_id[:nc]):
        random_group(members, nw.class_friends_mean, CH_SCHOOL)
    year_key = np.where(pop.school[:nc] >= 0, pop.school[:nc].astype(np.int64) * 10 + pop.year_group[:nc], -1)
    for members in _groups_of(year_key):
        random_group(members, nw.year_friends_mean, CH_SCHOOL)
    t0, n_t, n_cls = groups["teacher_start"], groups["n_teachers"], groups["n_classes"]
    n_class_teachers = min(n_t, n_cls)
    for c in range(nc):
        if pop.class_id[c] < n_class_teachers and rng.random() < 0.3:
            add(t0 + int(pop.class_id[c]), c, CH_SCHOOL)
    in_club = np.nonzero(rng.random(nc) < pc.club_membership)[0]
    for area_members in _groups_of(pop.area[in_club]):
        members = in_club[area_members]
        rng.shuffle(members)
        for i in range(0, len(members), pc.club_size):
            club = members[i : i + pc.club_size]
            random_group(club, nw.club_friends_mean, CH_CLUB)
            coaches = n_t - n_class_teachers
            if coaches > 0:
                coach = t0 + n_class_teachers + (i // pc.club_size) % coaches
                for c in club:
                    add(coach, int(c), CH_CLUB)
    adults = np.arange(nc, n)
    for members in _groups_of(pop.area[adults]):
        random_group(adults[members], 0.8 * nw.adult_friends_mean, CH_ADULT)
    random_group(adults, 0.2 * nw.adult_friends_mean, CH_ADULT)
    first_parent = {}
    for i in range(groups["parent_start"], groups["parent_start"] + groups["n_parents"]):
        first_parent.setdefault(int(hh[i]), i)
    for a, b, d in list(g.edges(data=True)):
        if d["channel"] == CH_SCHOOL and a < nc and b < nc and rng.random() < nw.parents_know_each_other:
            pa, pb = first_parent.get(int(hh[a])), first_parent.get(int(hh[b]))
            if pa is not None and pb is not None:
                add(pa, pb, CH_ADULT)
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
