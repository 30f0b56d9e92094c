"""Who is in the world: struct-of-arrays state of every agent, built from ``population.*``.

One numpy array per attribute, indexed by node id. Node ids are laid out so that what is close in
the social world is close in memory: children first, ordered by area, school, year group and
class; then adults, parents next to their households' order, then teachers/coaches, other benign
adults and offenders. The kernels rely on children having the lowest ids.

Random draws at build time come from NumPy generators keyed by ``(seed, Stream.X)``
(:func:`sim.rng.rng_for`), so the built world depends only on the seed and the population, network
and platform settings, never on the scenario or on the order in which other things were drawn.
Offenders' traits are drawn in :mod:`sim.offenders`, platform accounts in :mod:`sim.platforms`.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.categories import AGE_BAND_TOP, ContactKind, Role
from sim.fields import ConfigError, integer, number, prob, probs
from sim.rng import Stream, rng_for

if TYPE_CHECKING:
    from omegaconf import DictConfig


@dataclass
class PopulationSettings:
    """``population.*`` keys of the children and benign adults (offenders: :mod:`sim.offenders`)."""

    n_children: int = integer(1, None)
    n_adults: int = integer(1, None)
    share_girls: float = prob()
    household_children_mean: float = number(1, 10)
    two_parent_share: float = prob()
    school_size: int = integer(1, 100_000)
    class_size: int = integer(1, 1_000)
    club_size: int = integer(1, 1_000)
    club_membership: float = prob()
    schools_per_area: int = integer(1, 10_000)
    teachers_per_class: float = number(0, 10, lo_open=True)
    literacy_by_age: list[float] = probs(10, "10 values, for ages 8..17")
    literacy_spread: float = number(0, 1e6, lo_open=True)
    vulnerability_alpha: float = number(0, 1e6, lo_open=True)
    vulnerability_beta: float = number(0, 1e6, lo_open=True)
    searchable_share: float = prob()
    location_shared_share: float = prob()
    livestream_share: float = prob()
    dm_open_share: float = prob()


def check(cfg: DictConfig) -> None:
    """Rules across population fields."""
    p = cfg.population
    if p.class_size > p.school_size:
        raise ConfigError("population.class_size", p.class_size, f"at most school_size ({p.school_size})")
    from sim.offenders import n_offenders

    if p.n_children + p.n_adults + n_offenders(cfg) > 2**31 - 1:
        raise ConfigError("population.n_children", p.n_children, "fewer than 2**31 agents in all")


@dataclass
class Population:
    """All agent state. Sizes: ``n = n_children + n_adults``; ``n_adults`` counts every adult node,
    benign adults (``population.n_adults``) and offenders (the last ``n_offenders`` ids)."""

    n_children: int
    n_adults: int
    platform_names: tuple[str, ...]
    role: np.ndarray  # int8 [n]: Role
    age: np.ndarray  # int8 [n]
    sex: np.ndarray  # int8 [n]: 0 girl/woman, 1 boy/man
    school: np.ndarray  # int32 [n]: school id of children, -1 for adults
    year_group: np.ndarray  # int8 [n]: 0..9 (age 8..17), -1 for adults
    class_id: np.ndarray  # int32 [n]: global class id, -1 for adults
    area: np.ndarray  # int32 [n]: locality (schools_per_area schools), adults too
    household: np.ndarray  # int32 [n]: household id or -1
    contact_kind: np.ndarray  # int8 [n]: ContactKind of benign adults, -1 otherwise
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
    # offenders (arrays indexed by offender index; node ids in offender_ids): sim.offenders
    offender_ids: np.ndarray  # int32 [n_off]
    node_off_index: np.ndarray  # int32 [n]: offender index of a node, -1 if not an offender
    strategy: np.ndarray  # int8 [n_off]: Strategy
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
    # area id ranges of child slots (children are sorted by area)
    area_lo: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    area_hi: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    # who is in the world today, and the life course (sim.demography, sim.offenders)
    present: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # bool [n]
    birthday: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))  # [n]: day of year, -1 adults
    joined_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))  # [n]: 0 day 1, -1 not yet
    active_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [n_off]: rate, 0 if absent
    n_offenders_initial: int = 0
    reserve_next: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int64)
    )  # [school]: next free slot
    reserve_end: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int64)
    )  # [school]: end of its slots
    club: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # [n]: club of a child, -1 none
    club_coach: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # [club]: its coach, -1

    @property
    def n(self) -> int:
        return self.n_children + self.n_adults

    @property
    def n_offenders(self) -> int:
        """Offender slots (offenders in the world, removed, gone, or still to arrive)."""
        return int(self.offender_ids.shape[0])

    def children_present(self) -> np.ndarray:
        """Node ids of the children in the world today (ascending: by area, school, class)."""
        return np.flatnonzero(self.present[: self.n_children])

    def age_band(self) -> np.ndarray:
        """Age band index (0: 8-11, 1: 12-13, 2: 14-15, 3: 16-17) of each child."""
        a = self.age[: self.n_children]
        top = AGE_BAND_TOP
        return np.select([a <= top[0], a <= top[1], a <= top[2]], [0, 1, 2], 3).astype(np.int8)


#: Children's traits as kernels read them (node-indexed; 0 for adults).
ChildTraits = namedtuple("ChildTraits", "literacy vulnerability age")


@dataclass
class Groups:
    """The social structure the initial graph is built from (:mod:`sim.network`)."""

    n_schools: int
    n_classes: int
    n_households: int
    school_bounds: np.ndarray  # child slots of school s: ids school_bounds[s] .. school_bounds[s+1]
    parent_start: int
    n_parents: int
    hh_of_parent: np.ndarray
    teacher_start: int
    n_teachers: int
    relative_start: int
    n_relatives: int
    n_areas: int
    children: np.ndarray  # node ids of the children present on day 1


def _schools(pc, nc: int, rng: np.random.Generator):
    """Near-equal schools of contiguous ids; within each, children by year group, then class."""
    n_schools = max(1, int(round(nc / pc.school_size)))
    school_of = np.sort(np.arange(nc) % n_schools)
    year = np.empty(nc, np.int8)
    class_id = np.full(nc, -1, np.int32)
    next_class = 0
    bounds = np.searchsorted(school_of, np.arange(n_schools + 1))
    for s in range(n_schools):
        lo, hi = bounds[s], bounds[s + 1]
        yg = np.sort(rng.integers(0, 10, size=hi - lo)).astype(np.int8)  # ages 8..17, uniform
        year[lo:hi] = yg
        for y in range(10):
            ids = np.nonzero(yg == y)[0] + lo
            if ids.size == 0:
                continue
            n_cls = max(1, int(round(ids.size / pc.class_size)))
            class_id[ids] = next_class + np.sort(np.arange(ids.size) % n_cls)
            next_class += n_cls
    return school_of, year, class_id, next_class, bounds


def _households(pc, bounds: np.ndarray, rng: np.random.Generator, household: np.ndarray) -> int:
    """Children of each school shuffled and cut into households (siblings share a school)."""
    extra_children = float(pc.household_children_mean) - 1.0  # read once: OmegaConf is slow
    next_hh = 0
    for s in range(bounds.size - 1):
        lo, hi = bounds[s], bounds[s + 1]
        ids = lo + rng.permutation(hi - lo)
        pos = 0
        while pos < ids.size:
            size = int(min(1 + rng.poisson(extra_children), ids.size - pos))
            household[ids[pos : pos + size]] = next_hh
            next_hh += 1
            pos += size
    return next_hh


#: Days in a simulated year (birthdays, school intake years).
YEAR = 365
#: A child turns 18 ten years after joining at 8.
CHILDHOOD_DAYS = 10 * YEAR


def total_days(cfg: DictConfig) -> int:
    """Days simulated: the burn-in and the measured window."""
    return int(cfg.burn_in_days) + int(cfg.days)


def reserve_slots(school_of: np.ndarray, n_schools: int, T: int) -> np.ndarray:
    """How many slots each school keeps for the 8-year-olds it takes in during ``T`` days: one per
    child of the school on day 1 for every ten years or part of it (every child of day 1 turns 18
    within ten years and is replaced that day; a replacement leaves ten years after it joined).
    The count depends on ``T`` only beyond ten years, so a run of up to ten years lays out its
    nodes as any other: a shorter run is a prefix of a longer one."""
    turnovers = max(1, -(-T // CHILDHOOD_DAYS))
    return np.bincount(school_of, minlength=n_schools).astype(np.int64) * turnovers


def build_population(cfg: DictConfig) -> tuple[Population, Groups]:
    """Create all agents and the structural groups that the initial graph is built from.

    Children's node ids come school by school: the school's children on day 1 (by year group and
    class), then the slots of the 8-year-olds it will take in during the run (empty until then).
    Adults follow, then offenders (the last of them empty slots for offenders arriving later).

    Returns:
        The population, and the group structure (households, classes, clubs, teachers) consumed
        by :func:`sim.network.build_initial_ties`.
    """
    from sim.offenders import draw_offenders, n_offenders, pool_size
    from sim.platforms import draw_accounts

    pc = cfg.population
    seed = int(cfg.seed)
    nc0, n_benign = int(pc.n_children), int(pc.n_adults)
    n_off0 = n_offenders(cfg)
    n_off = pool_size(cfg)
    plat_names = tuple(cfg.platforms.keys())
    n_plat = len(plat_names)

    # ---- children on day 1: schools, year groups, classes, traits, settings, households --------
    rng = rng_for(seed, Stream.CHILDREN)
    school_of, year, child_class, n_classes, bounds0 = _schools(pc, nc0, rng)
    n_schools = bounds0.size - 1
    sex0 = (rng.random(nc0) >= pc.share_girls).astype(np.int8)
    lit_mean = np.clip(np.asarray(pc.literacy_by_age, float)[year], 1e-3, 1 - 1e-3)
    literacy0 = rng.beta(lit_mean * pc.literacy_spread, (1 - lit_mean) * pc.literacy_spread)
    vulnerability0 = rng.beta(pc.vulnerability_alpha, pc.vulnerability_beta, size=nc0)
    # privacy settings: a child's own propensity, the same on every platform at the start
    # ([n, P] so that platform-level defaults can change them per platform)
    settings0 = [rng.random(nc0) < share for share in (pc.searchable_share, pc.location_shared_share,
                                                        pc.livestream_share, pc.dm_open_share)]  # fmt: skip
    household0 = np.full(nc0, -1, np.int32)
    n_households = _households(pc, bounds0, rng, household0)
    birthday0 = rng_for(seed, Stream.BIRTHDAYS).integers(0, YEAR, size=nc0).astype(np.int16)

    # ---- slots: each school's children, then its reserved slots --------------------------------
    reserve = reserve_slots(school_of, n_schools, total_days(cfg))
    size = np.diff(bounds0) + reserve
    bounds = np.zeros(n_schools + 1, np.int64)
    np.cumsum(size, out=bounds[1:])
    nc = int(bounds[-1])
    slot_of = bounds[school_of] + (np.arange(nc0) - bounds0[school_of])  # day-1 child -> slot
    reserve_lo = bounds[1:] - reserve
    na = n_benign + n_off  # adult nodes: benign adults, then offender slots
    n = nc + na

    age = np.zeros(n, np.int8)
    age[slot_of] = 8 + year
    class_id = np.full(n, -1, np.int32)
    class_id[slot_of] = child_class
    sex = np.zeros(n, np.int8)
    sex[slot_of] = sex0
    literacy = np.zeros(n)
    literacy[slot_of] = literacy0
    vulnerability = np.zeros(n)
    vulnerability[slot_of] = vulnerability0
    searchable, location_shared, livestreams, dm_open = (np.zeros((n, n_plat), bool) for _ in range(4))
    for arr, col in zip((searchable, location_shared, livestreams, dm_open), settings0):
        arr[slot_of] = col[:, None]
    school = np.full(n, -1, np.int32)
    school[:nc] = np.repeat(np.arange(n_schools), size)
    year_group = np.full(n, -1, np.int8)
    year_group[slot_of] = year
    area = np.empty(n, np.int32)
    area[:nc] = school[:nc] // pc.schools_per_area
    n_areas = int(area[:nc].max()) + 1
    household = np.full(n, -1, np.int32)
    household[slot_of] = household0
    birthday = np.full(n, -1, np.int16)
    birthday[slot_of] = birthday0
    present = np.zeros(n, bool)
    present[slot_of] = True

    # ---- adults: parents, teachers and coaches, relatives, other adults; then offenders --------
    rng = rng_for(seed, Stream.ADULTS)
    role = np.full(n, Role.CONTACT, np.int8)
    role[:nc] = Role.CHILD
    contact_kind = np.full(n, -1, np.int8)
    two_parents = rng.random(n_households) < pc.two_parent_share
    n_parents_hh = 1 + two_parents.astype(np.int64)
    n_parents = int(min(n_parents_hh.sum(), n_benign))
    # if adults are too few for every household, the last households have no parent account
    parent_start = nc
    hh_of_parent = np.repeat(np.arange(n_households), n_parents_hh)[:n_parents]
    contact_kind[parent_start : parent_start + n_parents] = ContactKind.PARENT
    n_clubs_est = int(np.ceil(nc0 * pc.club_membership / pc.club_size))
    n_teachers = int(min(round(n_classes * pc.teachers_per_class) + n_clubs_est, n_benign - n_parents))
    t_start = parent_start + n_parents
    contact_kind[t_start : t_start + n_teachers] = ContactKind.TEACHER_OR_COACH
    n_rest = n_benign - n_parents - n_teachers
    r_start = t_start + n_teachers
    n_relatives = n_rest // 3
    contact_kind[r_start : r_start + n_relatives] = ContactKind.RELATIVE
    contact_kind[r_start + n_relatives : nc + n_benign] = ContactKind.OTHER_ADULT
    household[parent_start : parent_start + n_parents] = hh_of_parent
    # benign adults only (offenders' traits come from their own stream, sim.offenders, so that the
    # number of offender slots a run reserves changes nothing else)
    benign = slice(nc, nc + n_benign)
    age[benign] = rng.integers(18, 80, size=n_benign)
    age[parent_start : parent_start + n_parents] = rng.integers(28, 56, size=n_parents)
    age[t_start : t_start + n_teachers] = rng.integers(23, 65, size=n_teachers)
    sex[benign] = (rng.random(n_benign) < 0.5).astype(np.int8)
    # adults live where their household / school is; others anywhere
    area[benign] = rng.integers(0, n_areas, size=n_benign)
    hh_area = np.zeros(n_households, np.int32)
    hh_area[household0] = area[slot_of]
    area[parent_start : parent_start + n_parents] = hh_area[hh_of_parent]
    present[nc : nc + n_benign] = True

    offender_ids = np.arange(nc + n_benign, n, dtype=np.int32)
    role[offender_ids] = Role.OFFENDER
    area[offender_ids] = 0
    off = draw_offenders(cfg, offender_ids, n_off0, sex, age, area, n_areas)
    present[offender_ids[:n_off0]] = True
    node_off_index = np.full(n, -1, np.int32)
    node_off_index[offender_ids] = np.arange(n_off, dtype=np.int32)

    acct, known_minor = draw_accounts(cfg, nc, year, role, slot_of, present)
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
        lists_hidden=np.zeros((n, n_plat), bool),
        acct=acct,
        known_minor=known_minor,
        banned_acct=np.zeros((n, n_plat), bool),
        offender_ids=offender_ids,
        node_off_index=node_off_index,
        area_lo=area_lo,
        area_hi=area_hi,
        present=present,
        birthday=birthday,
        joined_day=np.where(present, 0, -1).astype(np.int16),
        active_rate=np.where(np.arange(n_off) < n_off0, off["outreach_per_day"], 0.0),
        n_offenders_initial=n_off0,
        reserve_next=reserve_lo.copy(),
        reserve_end=bounds[1:].copy(),
        club=np.full(n, -1, np.int32),
        club_coach=np.zeros(0, np.int64),
        **off,
    )
    groups = Groups(
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
        children=np.flatnonzero(present[:nc]),
    )
    return pop, groups
