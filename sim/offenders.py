"""Offenders: who they are (traits drawn at set-up) and the arrays the kernels read about them.

Settings are the ``offenders.*`` keys (:class:`OffenderSettings`); sources are in
``conf/offenders/default.yaml``. There are ``per_1000_children`` offenders per 1,000 children, on
top of the benign adults (``population.n_adults``), so that sizing the benign world does not change
how many offenders there are per child. Traits are drawn from the stream ``(seed, Stream.OFFENDERS)``.
Offender arrays in :class:`sim.population.Population` are indexed by offender index (node id in
``offender_ids``); the kernels, which meet offenders as nodes of the graph, read the node-indexed
copies in :class:`OffenderNodes`.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.categories import Strategy
from sim.fields import ConfigError, integer, number, prob
from sim.rng import Stream, rng_for

if TYPE_CHECKING:
    from omegaconf import DictConfig

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
    out_of_target_weight_targeted: float = prob()
    out_of_target_weight_scattergun: float = prob()
    target_girls_share: float = prob()
    persistence_alpha: float = number(0, 1e6, lo_open=True)
    persistence_beta: float = number(0, 1e6, lo_open=True)
    move_platform_propensity: float = prob()
    return_after_ban: float = prob()


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


def draw_offenders(
    cfg: DictConfig, offender_ids: np.ndarray, sex: np.ndarray, age: np.ndarray
) -> dict[str, np.ndarray]:
    """Traits of the offenders ``offender_ids`` (their ``sex`` and ``age`` are written in place).

    Returns the offender-indexed arrays of :class:`sim.population.Population`.
    """
    pc = cfg.offenders
    rng = rng_for(int(cfg.seed), Stream.OFFENDERS)
    n_off = offender_ids.size
    sex[offender_ids] = (rng.random(n_off) < 0.05).astype(np.int8) ^ 1  # ~95% men (MoJ)
    age[offender_ids] = rng.integers(18, 65, size=n_off)
    strategy = (rng.random(n_off) >= pc.scattergun_share).astype(np.int8)  # 1 = targeted
    med = np.where(
        strategy == Strategy.SCATTERGUN,
        pc.outreach_per_week_median_scattergun,
        pc.outreach_per_week_median_targeted,
    )
    per_week = np.minimum(
        med * np.exp(pc.outreach_sigma * rng.standard_normal(n_off)), pc.outreach_per_week_max
    )
    claims_teen = rng.random(n_off) < pc.claims_teen_share
    claimed_age = np.where(claims_teen, rng.integers(13, 18, size=n_off), age[offender_ids])
    out_of_range_w = np.where(
        strategy == Strategy.TARGETED, pc.out_of_target_weight_targeted, pc.out_of_target_weight_scattergun
    ).astype(np.float64)
    return dict(
        strategy=strategy,
        outreach_per_day=per_week / 7.0,
        claims_teen=claims_teen,
        claimed_age=claimed_age.astype(np.int8),
        target_age_min=np.full(n_off, pc.target_age_min, np.int8),
        target_age_max=np.full(n_off, pc.target_age_max, np.int8),
        out_of_target_weight=out_of_range_w,
        target_girls=np.full(n_off, float(pc.target_girls_share)),
        persistence=rng.beta(pc.persistence_alpha, pc.persistence_beta, size=n_off),
        move_propensity=np.full(n_off, float(pc.move_platform_propensity)),
        return_propensity=np.full(n_off, float(pc.return_after_ban)),
    )


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
    """:class:`OffenderNodes` of ``pop`` (computed once at set-up)."""
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
        rate=pop.outreach_per_day,
        persistence=pop.persistence,
        move_propensity=pop.move_propensity,
        claims_teen=pop.claims_teen,
        target_min=pop.target_age_min.astype(np.int64),
        target_max=pop.target_age_max.astype(np.int64),
        out_of_target=pop.out_of_target_weight,
        target_girls=pop.target_girls,
        area=pop.area[offs].astype(np.int64),
    )
