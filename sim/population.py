"""Struct-of-arrays state of every agent, built from the config.

One numpy array per attribute, indexed by node id. Node ids are laid out so that what is close in
the social world is close in memory: children first, ordered by area, school, year group and
class; then adults, parents next to their households' order, then teachers/coaches, other benign
adults and offenders. The kernels rely on children having the lowest ids.

Random draws at build time come from ``numpy.random.Generator`` streams keyed by
``(seed, purpose)``, so the built world depends only on the seed and the population/network/
platform settings, never on the scenario or on the order in which other things were drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.kernels import ROLE_CHILD, ROLE_CONTACT, ROLE_OFFENDER

# Benign contact kinds (Contact.kind)
KIND_PARENT = 0
KIND_TEACHER = 1  # teachers and coaches
KIND_RELATIVE = 2
KIND_OTHER = 3  # other adults: colleagues, neighbours, strangers online
CONTACT_KINDS = ("parent", "teacher_or_coach", "relative", "other_adult")

#: Build-time random streams. Never renumber.
STREAM_CHILDREN = 1
STREAM_ADULTS = 2
STREAM_OFFENDERS = 3
STREAM_ACCOUNTS = 4
STREAM_TIES = 5


def rng_for(seed: int, stream: int) -> np.random.Generator:
    """A generator keyed by (seed, stream): independent of every other stream."""
    return np.random.default_rng([int(seed), int(stream)])


@dataclass
class Population:
    """All agent state. Sizes: ``n = n_children + n_adults``; offenders are adults."""

    n_children: int
    n_adults: int
    platform_names: tuple[str, ...]
    role: np.ndarray  # int8 [n]
    age: np.ndarray  # int8 [n]
    sex: np.ndarray  # int8 [n]: 0 girl/woman, 1 boy/man
    school: np.ndarray  # int32 [n]: school id of children, -1 for adults
    year_group: np.ndarray  # int8 [n]: 0..9 (age 8..17), -1 for adults
    class_id: np.ndarray  # int32 [n]: global class id, -1 for adults
    area: np.ndarray  # int32 [n]: locality (schools_per_area schools), adults too
    household: np.ndarray  # int32 [n]: household id or -1
    contact_kind: np.ndarray  # int8 [n]: CONTACT_KINDS index for benign adults, -1 otherwise
    # children
    literacy: np.ndarray  # float64 [n] (0 for adults)
    vulnerability: np.ndarray  # float64 [n]
    searchable: np.ndarray  # bool [n, P]: findable through search
    location_shared: np.ndarray  # bool [n, P]
    livestreams: np.ndarray  # bool [n, P]: streams publicly
    dm_open: np.ndarray  # bool [n, P]: accepts messages from non-connections
    lists_hidden: np.ndarray  # bool [n, P]: connection list hidden from others
    # accounts
    acct: np.ndarray  # bool [n, P]
    known_minor: np.ndarray  # bool [n, P]: platform knows the account is a child's
    banned_acct: np.ndarray  # bool [n, P]
    # offenders (arrays indexed by offender index; node ids in offender_ids)
    offender_ids: np.ndarray  # int32 [n_off]
    node_off_index: np.ndarray  # int32 [n]: offender index of a node, -1 if not an offender
    strategy: np.ndarray  # int8 [n_off]: 0 scattergun, 1 targeted
    outreach_per_day: np.ndarray  # float64 [n_off]
    claims_teen: np.ndarray  # bool [n_off]
    claimed_age: np.ndarray  # int8 [n_off]
    target_age_min: np.ndarray  # int8 [n_off]
    target_age_max: np.ndarray  # int8 [n_off]
    out_of_target_weight: np.ndarray  # float64 [n_off]: preference weight outside target ages
    target_girls: np.ndarray  # float64 [n_off]
    persistence: np.ndarray  # float64 [n_off]
    move_propensity: np.ndarray  # float64 [n_off]
    return_propensity: np.ndarray  # float64 [n_off]
    # area id ranges of children (children are sorted by area)
    area_lo: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    area_hi: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n(self) -> int:
        return self.n_children + self.n_adults

    @property
    def n_offenders(self) -> int:
        return int(self.offender_ids.shape[0])

    def age_band(self) -> np.ndarray:
        """Age band index (0: 8-11, 1: 12-13, 2: 14-15, 3: 16-17) of each child."""
        a = self.age[: self.n_children]
        return np.select([a <= 11, a <= 13, a <= 15], [0, 1, 2], 3).astype(np.int8)


def build_population(cfg) -> tuple[Population, dict]:
    """Create all agents and the structural groups that the initial graph is built from.

    Returns:
        The population, and a dict of group structure (households, classes, clubs, teachers)
        consumed by :func:`sim.network.build_initial_ties`.
    """
    pc = cfg.population
    seed = int(cfg.seed)
    nc, na = int(pc.n_children), int(pc.n_adults)
    n = nc + na
    plat_names = tuple(cfg.platforms.keys())
    n_plat = len(plat_names)

    # ---- children: schools, year groups, classes -------------------------------------------
    rng = rng_for(seed, STREAM_CHILDREN)
    n_schools = max(1, int(round(nc / pc.school_size)))
    school_of = np.sort(np.arange(nc) % n_schools)  # near-equal schools, contiguous ids
    age = np.empty(n, np.int8)
    # within each school, children ordered by year group (age 8..17, uniform)
    child_age = np.empty(nc, np.int8)
    year = np.empty(nc, np.int8)
    class_id = np.full(n, -1, np.int32)
    next_class = 0
    bounds = np.searchsorted(school_of, np.arange(n_schools + 1))
    for s in range(n_schools):
        lo, hi = bounds[s], bounds[s + 1]
        m = hi - lo
        yg = np.sort(rng.integers(0, 10, size=m)).astype(np.int8)
        year[lo:hi] = yg
        child_age[lo:hi] = 8 + yg
        for y in range(10):
            ids = np.nonzero(yg == y)[0] + lo
            if ids.size == 0:
                continue
            n_cls = max(1, int(round(ids.size / pc.class_size)))
            cls = np.sort(np.arange(ids.size) % n_cls)
            class_id[ids] = next_class + cls
            next_class += n_cls
    n_classes = next_class
    age[:nc] = child_age
    sex = np.empty(n, np.int8)
    sex[:nc] = (rng.random(nc) >= pc.share_girls).astype(np.int8)
    lit_mean = np.asarray(pc.literacy_by_age, float)[year]
    lit_mean = np.clip(lit_mean, 1e-3, 1 - 1e-3)
    literacy = np.zeros(n)
    literacy[:nc] = rng.beta(lit_mean * pc.literacy_spread, (1 - lit_mean) * pc.literacy_spread)
    vulnerability = np.zeros(n)
    vulnerability[:nc] = rng.beta(pc.vulnerability_alpha, pc.vulnerability_beta, size=nc)

    # privacy settings: a child's own propensity, the same on every platform at the start
    # ([n, P] so that platform-level defaults can change them per platform)
    def per_platform(share):
        col = np.zeros(n, bool)
        col[:nc] = rng.random(nc) < share
        return np.repeat(col[:, None], n_plat, axis=1)

    searchable = per_platform(pc.searchable_share)
    location_shared = per_platform(pc.location_shared_share)
    livestreams = per_platform(pc.livestream_share)
    dm_open = per_platform(pc.dm_open_share)
    lists_hidden = np.zeros((n, n_plat), bool)
    school = np.full(n, -1, np.int32)
    school[:nc] = school_of
    year_group = np.full(n, -1, np.int8)
    year_group[:nc] = year
    area = np.empty(n, np.int32)
    area[:nc] = school_of // pc.schools_per_area
    n_areas = int(area[:nc].max()) + 1

    # households: shuffle children within a school and cut into groups (siblings share a school)
    household = np.full(n, -1, np.int32)
    extra_children = float(pc.household_children_mean) - 1.0  # read once: OmegaConf is slow
    next_hh = 0
    for s in range(n_schools):
        lo, hi = bounds[s], bounds[s + 1]
        ids = lo + rng.permutation(hi - lo)
        pos = 0
        while pos < ids.size:
            size = 1 + rng.poisson(extra_children)
            size = int(min(size, ids.size - pos))
            household[ids[pos : pos + size]] = next_hh
            next_hh += 1
            pos += size
    n_households = next_hh

    # ---- adults --------------------------------------------------------------------------
    rng = rng_for(seed, STREAM_ADULTS)
    role = np.full(n, ROLE_CONTACT, np.int8)
    role[:nc] = ROLE_CHILD
    contact_kind = np.full(n, -1, np.int8)
    n_off = int(round(na * pc.offender_share))
    n_benign = na - n_off
    two_parents = rng.random(n_households) < pc.two_parent_share
    n_parents_hh = 1 + two_parents.astype(np.int64)
    n_parents = int(min(n_parents_hh.sum(), n_benign))
    # if adults are too few for every household, the last households have no parent account
    parent_start = nc
    hh_of_parent = np.repeat(np.arange(n_households), n_parents_hh)[:n_parents]
    contact_kind[parent_start : parent_start + n_parents] = KIND_PARENT
    n_clubs_est = int(np.ceil(nc * pc.club_membership / pc.club_size))
    n_teachers = int(min(round(n_classes * pc.teachers_per_class) + n_clubs_est, n_benign - n_parents))
    t_start = parent_start + n_parents
    contact_kind[t_start : t_start + n_teachers] = KIND_TEACHER
    n_rest = n_benign - n_parents - n_teachers
    r_start = t_start + n_teachers
    n_relatives = n_rest // 3
    contact_kind[r_start : r_start + n_relatives] = KIND_RELATIVE
    contact_kind[r_start + n_relatives : nc + n_benign] = KIND_OTHER
    household[parent_start : parent_start + n_parents] = hh_of_parent
    age[nc:] = rng.integers(18, 80, size=na)
    age[parent_start : parent_start + n_parents] = rng.integers(28, 56, size=n_parents)
    age[t_start : t_start + n_teachers] = rng.integers(23, 65, size=n_teachers)
    sex[nc:] = (rng.random(na) < 0.5).astype(np.int8)
    # adults live where their household / school is; others anywhere
    area[nc:] = rng.integers(0, n_areas, size=na)
    hh_area = np.zeros(n_households, np.int32)
    hh_area[household[:nc]] = area[:nc]
    area[parent_start : parent_start + n_parents] = hh_area[hh_of_parent]

    # ---- offenders -------------------------------------------------------------------------
    rng = rng_for(seed, STREAM_OFFENDERS)
    offender_ids = np.arange(nc + n_benign, n, dtype=np.int32)
    role[offender_ids] = ROLE_OFFENDER
    sex[offender_ids] = (rng.random(n_off) < 0.05).astype(np.int8) ^ 1  # ~95% men (MoJ)
    age[offender_ids] = rng.integers(18, 65, size=n_off)
    strategy = (rng.random(n_off) >= pc.scattergun_share).astype(np.int8)  # 1 = targeted
    med = np.where(
        strategy == 0, pc.outreach_per_week_median_scattergun, pc.outreach_per_week_median_targeted
    )
    per_week = np.minimum(
        med * np.exp(pc.outreach_sigma * rng.standard_normal(n_off)), pc.outreach_per_week_max
    )
    outreach_per_day = per_week / 7.0
    claims_teen = rng.random(n_off) < pc.claims_teen_share
    claimed_age = np.where(claims_teen, rng.integers(13, 18, size=n_off), age[offender_ids])
    target_min = np.full(n_off, pc.target_age_min, np.int8)
    target_max = np.full(n_off, pc.target_age_max, np.int8)
    out_of_range_w = np.where(
        strategy == 1, pc.out_of_target_weight_targeted, pc.out_of_target_weight_scattergun
    ).astype(np.float64)
    target_girls = np.full(n_off, float(pc.target_girls_share))
    persistence = rng.beta(pc.persistence_alpha, pc.persistence_beta, size=n_off)
    move_prop = np.full(n_off, float(pc.move_platform_propensity))
    return_prop = np.full(n_off, float(pc.return_after_ban))
    node_off_index = np.full(n, -1, np.int32)
    node_off_index[offender_ids] = np.arange(n_off, dtype=np.int32)

    # ---- platform accounts ------------------------------------------------------------------
    rng = rng_for(seed, STREAM_ACCOUNTS)
    acct = np.zeros((n, n_plat), bool)
    known_minor = np.zeros((n, n_plat), bool)
    is_off = role == ROLE_OFFENDER
    for p, name in enumerate(plat_names):
        pl = cfg.platforms[name]
        pr = np.empty(n)
        pr[:nc] = np.asarray(pl.child_account_by_age, float)[year]
        pr[nc:] = pl.adult_account
        pr[is_off] = pl.offender_account
        acct[:, p] = rng.random(n) < pr
        known_minor[:nc, p] = acct[:nc, p] & (rng.random(nc) < pl.age_assurance)

    area_lo = np.searchsorted(area[:nc], np.arange(n_areas)).astype(np.int64)
    area_hi = np.searchsorted(area[:nc], np.arange(n_areas), side="right").astype(np.int64)

    pop = Population(
        n_children=nc,
        n_adults=na,
        platform_names=plat_names,
        role=role,
        age=age,
        sex=sex,
        school=school,
        year_group=year_group,
        class_id=class_id,
        area=area,
        household=household,
        contact_kind=contact_kind,
        literacy=literacy,
        vulnerability=vulnerability,
        searchable=searchable,
        location_shared=location_shared,
        livestreams=livestreams,
        dm_open=dm_open,
        lists_hidden=lists_hidden,
        acct=acct,
        known_minor=known_minor,
        banned_acct=np.zeros((n, n_plat), bool),
        offender_ids=offender_ids,
        node_off_index=node_off_index,
        strategy=strategy,
        outreach_per_day=outreach_per_day,
        claims_teen=claims_teen,
        claimed_age=claimed_age.astype(np.int8),
        target_age_min=target_min,
        target_age_max=target_max,
        out_of_target_weight=out_of_range_w,
        target_girls=target_girls,
        persistence=persistence,
        move_propensity=move_prop,
        return_propensity=return_prop,
        area_lo=area_lo,
        area_hi=area_hi,
    )
    groups = dict(
        n_schools=n_schools,
        n_classes=n_classes,
        n_households=n_households,
        school_bounds=bounds,
        parent_start=parent_start,
        n_parents=n_parents,
        hh_of_parent=hh_of_parent,
        teacher_start=t_start,
        n_teachers=n_teachers,
        relative_start=r_start,
        n_relatives=n_relatives,
        n_areas=n_areas,
    )
    return pop, groups
