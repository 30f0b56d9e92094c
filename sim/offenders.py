"""Offenders: who they are, how many, how they come and go; and the arrays the kernels read.

Settings are the ``offenders.*`` keys (:class:`OffenderSettings`); sources are in
``conf/offenders/default.yaml``.

**How many.** There are ``per_1000_children`` offenders per 1,000 children, on top of the benign
adults (``population.n_adults``), so that sizing the benign world does not change how many
offenders there are per child.

**Who.** Each offender's traits are drawn when it enters the world (at set-up, or on arrival):
strategy (scattergun or targeted), a heavy-tailed (lognormal) outreach rate, whether it claims to
be a teen, its own preferred age range (the configured range shifted by a random amount),
preference for girls (Beta around ``target_girls_share``), persistence (Beta), propensity to move a
child to a private platform (Beta around ``move_platform_propensity``) and whether it returns after
a ban.

**Turnover.** Offenders desist (daily hazard ``desistance_per_year / 365``) and leave for good; a
recorded offence leads to arrest with ``arrest_given_recorded`` after ``arrest_delay_days``, and
the arrested offender is removed for ``removal_days``, then returns with new accounts. New
offenders arrive as a Poisson process with rate ``desistance x the configured number``, so the
number in the world stays at what ``per_1000_children`` says (arrests remove some for a while).
A leaving offender's accounts close: its ties lose their platforms and its active relationships
end (exit ``offender_left``). Offenders occupy the last node ids; the slots of offenders who will
arrive during the run are reserved at set-up (:func:`pool_size`) and stay empty (no accounts, no
ties) until then.

Offender arrays in :class:`sim.population.Population` are indexed by offender index (node id in
``offender_ids``); the kernels, which meet offenders as nodes of the graph, read the node-indexed
copies in :class:`OffenderNodes`.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.categories import Exit, Strategy
from sim.fields import ConfigError, integer, number, prob
from sim.rng import Decision, Stream, pair_key, rng_for

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from sim.model import GroomingModel
    from sim.population import Population


@dataclass
class OffenderSettings:
    """``offenders.*``: how many offenders there are, and the traits they are drawn with."""

    per_1000_children: float = number(0, 1000)
    scattergun_share: float = prob()
    outreach_per_week_median_scattergun: float = number(0, 10_000, lo_open=True)
    outreach_per_week_median_targeted: float = number(0, 10_000, lo_open=True)
    outreach_sigma: float = number(0, 5)
    outreach_per_week_max: float = number(0, 10_000, lo_open=True)
    claims_teen_share: float = prob()
    target_age_min: int = integer(0, 200)
    target_age_max: int = integer(0, 200)
    target_age_spread: float = number(0, 10)
    out_of_target_weight_targeted: float = prob()
    out_of_target_weight_scattergun: float = prob()
    target_girls_share: float = prob()
    target_girls_concentration: float = number(0, 1e6)
    persistence_alpha: float = number(0, 1e6, lo_open=True)
    persistence_beta: float = number(0, 1e6, lo_open=True)
    move_platform_propensity: float = prob()
    move_propensity_concentration: float = number(0, 1e6)
    return_after_ban: float = prob()
    desistance_per_year: float = number(0, 10)
    arrest_given_recorded: float = prob()
    arrest_delay_days: int = integer(1, 3650)
    removal_days: int = integer(0, 20_000)


def check(cfg: DictConfig) -> None:
    """Rules across offender fields."""
    p = cfg.offenders
    if not (8 <= p.target_age_min <= p.target_age_max <= 17):
        raise ConfigError(
            "offenders.target_age_min/target_age_max",
            (p.target_age_min, p.target_age_max),
            "ages with 8 <= target_age_min <= target_age_max <= 17",
        )


def n_offenders(cfg: DictConfig) -> int:
    """How many offenders a world of ``population.n_children`` children has."""
    return int(round(cfg.offenders.per_1000_children * cfg.population.n_children / 1000.0))


def arrivals_per_day(cfg: DictConfig) -> float:
    """The arrival rate that keeps the number of offenders where the settings put it."""
    return n_offenders(cfg) * cfg.offenders.desistance_per_year / 365.0


def pool_size(cfg: DictConfig) -> int:
    """Offender slots to reserve: the initial offenders and every arrival the run can have (the
    expected number over burn-in and run plus six standard deviations; an arrival beyond it is
    dropped and counted as ``offender_arrivals_dropped``)."""
    expected = arrivals_per_day(cfg) * (int(cfg.burn_in_days) + int(cfg.days))
    return n_offenders(cfg) + int(
        math.ceil(expected + 6.0 * math.sqrt(expected) + 5.0 if expected > 0 else 0)
    )


def _beta_around(rng: np.random.Generator, mean: float, concentration: float, k: int) -> np.ndarray:
    """``k`` draws of a Beta with this mean and concentration (alpha + beta); 0: all equal."""
    if concentration <= 0 or mean <= 0 or mean >= 1:
        return np.full(k, float(mean))
    return rng.beta(mean * concentration, (1 - mean) * concentration, size=k)


def draw_traits(pc, rng: np.random.Generator, k: int, n_areas: int) -> dict[str, np.ndarray]:
    """Traits of ``k`` new offenders (the offender-indexed arrays of
    :class:`sim.population.Population`, plus their ``sex``, ``age`` and ``area``)."""
    sex = (rng.random(k) < 0.05).astype(np.int8) ^ 1  # ~95% men (MoJ)
    age = rng.integers(18, 65, size=k).astype(np.int8)
    strategy = (rng.random(k) >= pc.scattergun_share).astype(np.int8)  # 1 = targeted
    med = np.where(
        strategy == Strategy.SCATTERGUN,
        pc.outreach_per_week_median_scattergun,
        pc.outreach_per_week_median_targeted,
    )
    per_week = np.minimum(med * np.exp(pc.outreach_sigma * rng.standard_normal(k)), pc.outreach_per_week_max)
    claims_teen = rng.random(k) < pc.claims_teen_share
    claimed_age = np.where(claims_teen, rng.integers(13, 18, size=k), age)
    out_of_range_w = np.where(
        strategy == Strategy.TARGETED, pc.out_of_target_weight_targeted, pc.out_of_target_weight_scattergun
    ).astype(np.float64)
    # each offender's own preferred ages: the configured range, its centre shifted
    half = (pc.target_age_max - pc.target_age_min) / 2.0
    centre = (pc.target_age_min + pc.target_age_max) / 2.0 + pc.target_age_spread * rng.standard_normal(k)
    tmin = np.clip(np.rint(centre - half), 8, 17).astype(np.int64)
    tmax = np.clip(np.rint(centre + half), tmin, 17).astype(np.int64)
    return dict(
        sex=sex,
        age=age,
        area=rng.integers(0, n_areas, size=k).astype(np.int32),
        strategy=strategy,
        outreach_per_day=per_week / 7.0,
        claims_teen=claims_teen,
        claimed_age=claimed_age.astype(np.int8),
        target_age_min=tmin,
        target_age_max=tmax,
        out_of_target_weight=out_of_range_w,
        target_girls=_beta_around(rng, pc.target_girls_share, pc.target_girls_concentration, k),
        persistence=rng.beta(pc.persistence_alpha, pc.persistence_beta, size=k),
        move_propensity=_beta_around(rng, pc.move_platform_propensity, pc.move_propensity_concentration, k),
        return_propensity=np.full(k, float(pc.return_after_ban)),
    )


#: Offender-indexed arrays of the Population, with the value of an empty slot.
TRAIT_FILL = {
    "strategy": 0,
    "outreach_per_day": 0.0,
    "claims_teen": False,
    "claimed_age": 0,
    "target_age_min": 8,
    "target_age_max": 17,
    "out_of_target_weight": 1.0,
    "target_girls": 0.5,
    "persistence": 0.0,
    "move_propensity": 0.0,
    "return_propensity": 0.0,
}


def draw_offenders(
    cfg: DictConfig,
    offender_ids: np.ndarray,
    n_present: int,
    sex: np.ndarray,
    age: np.ndarray,
    area: np.ndarray,
    n_areas: int,
) -> dict[str, np.ndarray]:
    """Traits of the first ``n_present`` of the offender slots ``offender_ids`` (their ``sex``,
    ``age`` and ``area`` are written in place); the other slots are empty until an arrival fills
    them.

    Returns the offender-indexed arrays of :class:`sim.population.Population`.
    """
    rng = rng_for(int(cfg.seed), Stream.OFFENDERS)
    tr = draw_traits(cfg.offenders, rng, n_present, n_areas)
    sex[offender_ids[:n_present]] = tr.pop("sex")
    age[offender_ids[:n_present]] = tr.pop("age")
    area[offender_ids[:n_present]] = tr.pop("area")
    out = {}
    for name, fill in TRAIT_FILL.items():
        arr = np.full(offender_ids.size, fill, dtype=tr[name].dtype)
        arr[:n_present] = tr[name]
        out[name] = arr
    return out


#: Offender traits by node id, for kernels that meet offenders as graph nodes (defaults for
#: every other node: no teen claim, target ages 8..17, weight 1).
OffenderNodes = namedtuple("OffenderNodes", "claims_teen target_min target_max out_of_target")

#: Offender traits by offender index, for kernels that loop over offenders or relationships.
OffenderTraits = namedtuple(
    "OffenderTraits",
    "ids index_of_node strategy rate persistence move_propensity claims_teen target_min target_max "
    "out_of_target target_girls area",
)


def offender_nodes(pop: Population) -> OffenderNodes:
    """:class:`OffenderNodes` of ``pop`` (computed at set-up; arrivals update it in place)."""
    offs = pop.offender_ids
    claims = np.zeros(pop.n, bool)
    claims[offs] = pop.claims_teen
    tmin = np.full(pop.n, 8, np.int64)
    tmin[offs] = pop.target_age_min
    tmax = np.full(pop.n, 17, np.int64)
    tmax[offs] = pop.target_age_max
    oot = np.ones(pop.n)
    oot[offs] = pop.out_of_target_weight
    return OffenderNodes(claims, tmin, tmax, oot)


def offender_traits(pop: Population) -> OffenderTraits:
    """:class:`OffenderTraits` of ``pop`` in the dtypes the kernels take."""
    offs = pop.offender_ids
    return OffenderTraits(
        ids=offs.astype(np.int64),
        index_of_node=pop.node_off_index,
        strategy=pop.strategy,
        rate=pop.active_rate,
        persistence=pop.persistence,
        move_propensity=pop.move_propensity,
        claims_teen=pop.claims_teen,
        target_min=pop.target_age_min,
        target_max=pop.target_age_max,
        out_of_target=pop.out_of_target_weight,
        target_girls=pop.target_girls,
        area=pop.area[offs].astype(np.int64),
    )


# --------------------------------------------------------------------------------------------
# Turnover (a step of the day, after interventions)
# --------------------------------------------------------------------------------------------


def _open_accounts(model: GroomingModel, o: int, rng: np.random.Generator) -> None:
    """New accounts for offender node ``o`` (as at set-up: ``platforms.<name>.offender_account``)."""
    from sim.platforms import add_holder

    for p, pl in enumerate(model.plat_cfg):
        if rng.random() < pl.offender_account:
            model.pop.acct[o, p] = True
            add_holder(model, p, o)


def _close_accounts(model: GroomingModel, t: int, o: int) -> None:
    """Offender ``o`` leaves: its accounts close (ties lose their platforms), its active
    relationships end."""
    from sim.platforms import remove_holder

    pop, R, K = model.pop, model.rel, model.K
    n_rel = int(model.n_rel[0])
    mine = np.nonzero((R.off[:n_rel] == o) & (R.exit[:n_rel] == Exit.ACTIVE))[0]
    for r in mine.tolist():
        R.exit[r] = Exit.OFFENDER_LEFT
        R.exit_day[r] = t
    model.metrics.add("exits_offender_left", int(mine.size))
    for p in range(model.n_platforms):
        if pop.acct[o, p]:
            K.drop_platform(model.ties.arrays, o, p)
            remove_holder(model, p, o)
        pop.acct[o, p] = False
        pop.banned_acct[o, p] = False


def _leave(model: GroomingModel, t: int, oi: int, until: int) -> None:
    pop = model.pop
    o = int(pop.offender_ids[oi])
    _close_accounts(model, t, o)
    pop.present[o] = False
    pop.active_rate[oi] = 0.0
    model.removed_until[oi] = until
    model.remove_agent(o)


def _arrive(model: GroomingModel, t: int, oi: int, rng: np.random.Generator) -> None:
    """An offender enters the world in slot ``oi``: traits, accounts and adult ties as at set-up."""
    from sim.network import join_adult
    from sim.outreach import YIELD_START

    pop, pc = model.pop, model.cfg.offenders
    o = int(pop.offender_ids[oi])
    tr = draw_traits(pc, rng, 1, pop.area_lo.size)
    pop.sex[o], pop.age[o], pop.area[o] = tr.pop("sex")[0], tr.pop("age")[0], tr.pop("area")[0]
    for name in TRAIT_FILL:
        getattr(pop, name)[oi] = tr[name][0]
    model.offender_traits.area[oi] = pop.area[o]
    nodes = model.offender_nodes
    nodes.claims_teen[o] = pop.claims_teen[oi]
    nodes.target_min[o] = pop.target_age_min[oi]
    nodes.target_max[o] = pop.target_age_max[oi]
    nodes.out_of_target[o] = pop.out_of_target_weight[oi]
    pop.present[o] = True
    pop.active_rate[oi] = pop.outreach_per_day[oi]
    model.removed_until[oi] = -1
    model.outreach_yield[oi] = YIELD_START  # a newcomer has learnt nothing yet
    _open_accounts(model, o, rng)
    join_adult(model, t, o, rng)
    model.add_agent(o)


def daily(model: GroomingModel, t: int) -> None:
    """Offenders come back from removal, desist, are arrested, arrive (day ``t``)."""
    pop, pc, m = model.pop, model.cfg.offenders, model.metrics
    if pop.n_offenders == 0:
        return
    # (each offender's draws come from a generator of its own, keyed by day and slot, so that one
    # scenario's arrests do not shift another's arrivals)
    # back from removal (after an arrest), with new accounts
    back = np.nonzero(model.removed_until == t)[0]
    for oi in back.tolist():
        o = int(pop.offender_ids[oi])
        pop.present[o] = True
        pop.active_rate[oi] = pop.outreach_per_day[oi]
        model.removed_until[oi] = -1
        _open_accounts(model, o, rng_for(model.seed, Stream.ARRIVALS, t, oi, 1))
        model.add_agent(o)
    m.add("offenders_back_from_removal", int(back.size))
    # desistance: a daily hazard for every offender in the world
    hazard = pc.desistance_per_year / 365.0
    if hazard > 0:
        here = np.nonzero(pop.present[pop.offender_ids])[0]
        nodes = pop.offender_ids[here].astype(np.int64)
        u = model.K.u01_each(model.seed, t, int(Decision.DESIST), nodes, np.zeros(here.size, np.int64))
        for oi in here[u < hazard].tolist():
            _leave(model, t, oi, -2)
            m.add("offenders_desisted", 1)
    # arrests: offences recorded arrest_delay_days ago, by offenders still in the world
    if pc.arrest_given_recorded > 0 and t - int(pc.arrest_delay_days) >= 1:
        n_rel = int(model.n_rel[0])
        R = model.rel
        rows = np.nonzero(R.recorded[:n_rel] == t - int(pc.arrest_delay_days))[0]
        for r in rows.tolist():
            o = int(R.off[r])
            oi = int(pop.node_off_index[o])
            if not pop.present[o]:
                continue
            key = pair_key(int(R.child[r]), o)
            if model.draw(int(R.recorded[r]), Decision.ARREST, key, 0) < pc.arrest_given_recorded:
                _leave(model, t, oi, t + max(int(pc.removal_days), 1))
                m.add("offenders_arrested", 1)
    # arrivals: Poisson, into the next free slots
    rate = arrivals_per_day(model.cfg)
    k = int(rng_for(model.seed, Stream.ARRIVALS, t).poisson(rate)) if rate > 0 else 0
    for _ in range(k):
        if model.next_offender >= pop.n_offenders:
            m.add("offender_arrivals_dropped", 1)
            continue
        _arrive(
            model, t, model.next_offender, rng_for(model.seed, Stream.ARRIVALS, t, model.next_offender, 0)
        )
        model.next_offender += 1
        m.add("offender_arrivals", 1)
