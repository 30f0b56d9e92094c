"""Grooming progression: the state machine of each offender-child relationship, day by day.

A relationship starts when an offender's contact reaches a child (:mod:`sim.outreach`). Each day,
on each active relationship whose tie is live, in the order of the child's id and then of the tie's
slot: the offender interacts with probability ``offender_interaction``; then, in this order, a
guardian's cue (may end it), the child blocks, the child reports, the offender abandons; else the
stage advances (rate by stage x strategy x vulnerability x literacy), sometimes two stages at once
(``jump``). Reaching ``isolation`` may move the tie to the private platform; reaching
``sexual_communication`` is the offence (possibly recorded through disclosure) and an unwanted
request the child may block or report. A detector on the relationship's platform
(``ai_detection``) may flag the conversation with the stage's sensitivity. Relationships are few
(thousands), so they are stepped serially after the benign pass of the contact step
(:mod:`sim.contacts`).

Settings: ``grooming.*`` (:class:`ProgressionSettings`); sources in ``conf/grooming/default.yaml``.
This module also holds the relationship table (:class:`Relationships`) and the first day each child
reached each stage (:class:`FirstReach`), which contact resolution writes too.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.backend import kernel
from sim.categories import Exit, Stage, Strategy
from sim.fields import number, prob
from sim.network import find_slot
from sim.rng import Decision, clamp01, pair_key, u01

if TYPE_CHECKING:
    from types import SimpleNamespace

    from sim.model import GroomingModel
    from sim.network import Ties
    from sim.offenders import OffenderTraits
    from sim.platforms import Accounts
    from sim.population import ChildTraits
    from sim.switches import SwitchArrays


@dataclass
class ProgressionSettings:
    """``grooming.*`` keys of the state machine and of the child's and guardian's responses."""

    offender_interaction: float = prob()
    advance_from_engaged: float = prob()
    advance_from_trust: float = prob()
    advance_from_isolation: float = prob()
    advance_from_sexual_communication: float = prob()
    advance_from_image: float = prob()
    targeted_advance_multiplier: float = number(0, 1000)
    scattergun_advance_multiplier: float = number(0, 1000)
    vulnerability_advance_effect: float = number(0, 1000)
    literacy_advance_effect: float = prob()
    jump: float = prob()
    sexual_request_block: float = prob()
    sexual_request_report: float = prob()
    daily_block: float = prob()
    daily_report: float = prob()
    guardian_daily: float = prob()
    guardian_abandon: float = prob()
    abandon_daily: float = prob()
    tell_anyone: float = prob()
    tell_leads_to_police: float = prob()
    report_to_police: float = prob()


#: The parameters of one day of a relationship (``advance[s]``: daily advance probability out of
#: stage s, given an interaction).
GroomingParams = namedtuple(
    "GroomingParams",
    "offender_interaction jump daily_block daily_report guardian_daily abandon_daily literacy_advance_effect "
    "vulnerability_advance_effect tell_anyone tell_leads_to_police report_to_police sexual_request_block "
    "sexual_request_report literacy_block_effect targeted_advance_multiplier scattergun_advance_multiplier "
    "vuln_mean advance",
)


def grooming_params(g: SimpleNamespace, vuln_mean: float) -> GroomingParams:
    """:class:`GroomingParams` from the ``grooming`` section ``g`` (plain values) and the mean
    vulnerability of the children."""
    advance = np.zeros(len(Stage), np.float64)
    advance[Stage.ENGAGED] = g.advance_from_engaged
    advance[Stage.TRUST] = g.advance_from_trust
    advance[Stage.ISOLATION] = g.advance_from_isolation
    advance[Stage.SEXUAL_COMMUNICATION] = g.advance_from_sexual_communication
    advance[Stage.IMAGE] = g.advance_from_image
    names = [f for f in GroomingParams._fields if f not in ("vuln_mean", "advance")]
    return GroomingParams(
        **{f: float(getattr(g, f)) for f in names}, vuln_mean=float(vuln_mean), advance=advance
    )


# --------------------------------------------------------------------------------------------
# The relationship table and the first reach of each stage
# --------------------------------------------------------------------------------------------

#: The columns of the relationship table: (name, dtype, value of an unused row, meaning).
REL_FIELDS = (
    ("child", np.int32, -1, "the child's node id"),
    ("off", np.int32, -1, "the offender's node id"),
    ("plat", np.int8, -1, "the platform it is on now (changes on a move to the private platform)"),
    ("chan", np.int8, -1, "the Channel of the first contact"),
    ("stage", np.int8, 0, "the Stage reached"),
    ("start", np.int16, -1, "the day of the first contact"),
    ("exit", np.int8, 0, "how it ended (Exit; 0 while active)"),
    ("exit_day", np.int16, -1, "the day it ended (-1 while active)"),
    ("offence", np.int16, -1, "the day sexual communication began (-1: no offence)"),
    ("recorded", np.int16, -1, "the day the offence was recorded by the police (-1: never)"),
    ("flagged", np.int16, -1, "the day a detector first flagged it (-1: never)"),
    ("moved", np.int16, -1, "the day it moved to the private platform (-1: never)"),
    ("first_plat", np.int8, -1, "the platform of the first contact"),
)
#: The relationship table as kernels take it: one array per column of :data:`REL_FIELDS`.
Relationships = namedtuple("Relationships", [f[0] for f in REL_FIELDS])
#: The day each child first reached each stage in the measured window (``day[c, s]``, -1: never),
#: the platform and channel of the relationship that got it there, and the child's age that day.
FirstReach = namedtuple("FirstReach", "day plat chan age")
#: What the grooming pass counts (one-element arrays).
GroomingCounts = namedtuple(
    "GroomingCounts", "interactions stage_advances platform_moves offences recorded_offences"
)


def new_relationships(cap: int, old: Relationships | None = None, used: int = 0) -> Relationships:
    """A relationship table with room for ``cap`` rows (the first ``used`` copied from ``old``)."""
    cols = []
    for name, dt, fill, _ in REL_FIELDS:
        arr = np.full(cap, fill, dt)
        if old is not None:
            arr[:used] = getattr(old, name)[:used]
        cols.append(arr)
    return Relationships(*cols)


def new_first_reach(n_children: int) -> FirstReach:
    S = len(Stage)
    return FirstReach(*(np.full((n_children, S), -1, dt) for dt in (np.int16, np.int8, np.int8, np.int8)))


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


@kernel
def _end(rel, r, how, day):
    rel.exit[r] = how
    rel.exit_day[r] = day


@kernel
def _grooming_step(
    seed,
    day,
    r,
    u,
    v,
    rel,
    children,
    offenders,
    accounts,
    private_plat,
    params,
    switches,
    first_reach,
    counts,
):
    """One day of the active relationship ``r`` between child ``u`` and offender ``v``."""
    # draws are keyed by the pair, not by the relationship's running id, so they stay
    # aligned between scenarios that create relationships differently
    pk = pair_key(u, v)
    if u01(seed, day, Decision.OFF_INTERACT, pk, 0) >= params.offender_interaction:
        return
    counts.interactions[0] += 1
    o_i = offenders.index_of_node[v]
    s = rel.stage[r]
    lit = children.literacy[u]
    fb = 1.0 + params.literacy_block_effect * (lit - 0.5) * 2.0
    p_rel = rel.plat[r]
    # detection (intervention): flag with the stage's sensitivity
    if switches.detect_on and switches.scanned[p_rel] and rel.flagged[r] < 0:
        if u01(seed, day, Decision.DETECT, pk, s) < switches.detect_sens[p_rel, s]:
            rel.flagged[r] = day
    if u01(seed, day, Decision.GUARDIAN, pk, 0) < params.guardian_daily * switches.guardian_mult[u]:
        if u01(seed, day, Decision.GUARDIAN_ABANDON, pk, 0) < switches.guardian_abandon[u]:
            _end(rel, r, Exit.GUARDIAN, day)
            return
    if u01(seed, day, Decision.DAILY_BLOCK, pk, 0) < clamp01(
        params.daily_block * fb * switches.block_mult[u]
    ):
        _end(rel, r, Exit.BLOCKED, day)
        return
    if u01(seed, day, Decision.DAILY_REPORT, pk, 0) < clamp01(
        params.daily_report * fb * switches.report_mult[u]
    ):
        _end(rel, r, Exit.REPORTED, day)
        return
    if u01(seed, day, Decision.ABANDON, pk, 0) < params.abandon_daily * (1.0 - offenders.persistence[o_i]):
        _end(rel, r, Exit.ABANDONED, day)
        return
    if offenders.strategy[o_i] == Strategy.TARGETED:
        mult = params.targeted_advance_multiplier
    else:
        mult = params.scattergun_advance_multiplier
    pa = (
        params.advance[s]
        * mult
        * (1.0 + params.vulnerability_advance_effect * (children.vulnerability[u] - params.vuln_mean) * 2.0)
    )
    pa *= 1.0 - params.literacy_advance_effect * (lit - 0.5) * 2.0
    if u01(seed, day, Decision.ADVANCE, pk, s) >= clamp01(pa):
        return
    ns = s + 1
    if ns < Stage.COERCION_OR_MEETING and u01(seed, day, Decision.JUMP, pk, s) < params.jump:
        ns = s + 2
    if ns > Stage.COERCION_OR_MEETING:
        ns = Stage.COERCION_OR_MEETING
    # the stages passed through count from the first: a relationship carried over from the burn-in
    # credits the earlier stages too (in a window with no burn-in they are always set already)
    for q in range(Stage.CONTACTED, ns + 1):
        if first_reach.day[u, q] < 0:
            first_reach.day[u, q] = day
            first_reach.plat[u, q] = rel.first_plat[r] if q == Stage.CONTACTED else rel.plat[r]
            first_reach.chan[u, q] = rel.chan[r]
            first_reach.age[u, q] = children.age[u]
    rel.stage[r] = ns
    counts.stage_advances[0] += ns - s
    if s < Stage.ISOLATION <= ns and private_plat >= 0 and p_rel != private_plat:
        if (
            accounts.acct[u, private_plat]
            and accounts.acct[v, private_plat]
            and not accounts.banned[v, private_plat]
            and u01(seed, day, Decision.MOVE, pk, 0) < offenders.move_propensity[o_i]
        ):
            rel.plat[r] = private_plat
            rel.moved[r] = day  # the driver adds the platform to the tie
            counts.platform_moves[0] += 1
    if s < Stage.SEXUAL_COMMUNICATION <= ns:
        rel.offence[r] = day
        counts.offences[0] += 1
        if (
            u01(seed, day, Decision.POLICE, pk, 0) < params.report_to_police
            or u01(seed, day, Decision.TELL, pk, 0) < params.tell_anyone * params.tell_leads_to_police
        ):
            rel.recorded[r] = day
            counts.recorded_offences[0] += 1
        if u01(seed, day, Decision.SEXUAL_BLOCK, pk, 0) < clamp01(
            params.sexual_request_block * fb * switches.block_mult[u]
        ):
            _end(rel, r, Exit.BLOCKED, day)
            if u01(seed, day, Decision.SEXUAL_REPORT, pk, 0) < clamp01(
                params.sexual_request_report * fb * switches.report_mult[u]
            ):
                rel.exit[r] = Exit.REPORTED
            return
    if ns == Stage.COERCION_OR_MEETING:
        _end(rel, r, Exit.COMPLETED, day)


@kernel
def grooming_pass(
    seed: int,
    day: int,
    ties: Ties,
    rel: Relationships,
    n_rel: int,
    children: ChildTraits,
    offenders: OffenderTraits,
    accounts: Accounts,
    private_plat: int,
    params: GroomingParams,
    switches: SwitchArrays,
    first_reach: FirstReach,
    counts: GroomingCounts,
) -> None:
    """One day of every active relationship whose tie is live (``erel`` of the tie is the
    relationship and its mask is not 0), in the order of the child's id and then of the tie's
    slot (:func:`_grooming_step`)."""
    pool = np.int64(ties.nbr.shape[0])
    keys = np.empty(n_rel, np.int64)
    rows = np.empty(n_rel, np.int64)
    na = 0
    for r in range(n_rel):
        if rel.exit[r] != Exit.ACTIVE:
            continue
        u = rel.child[r]
        a = find_slot(ties, u, rel.off[r])
        if a < 0 or ties.erel[a] != r or ties.emask[a] == 0:
            continue
        keys[na] = np.int64(u) * pool + a
        rows[na] = r
        na += 1
    order = np.argsort(keys[:na])
    for i in range(na):
        r = rows[order[i]]
        _grooming_step(
            seed,
            day,
            r,
            rel.child[r],
            rel.off[r],
            rel,
            children,
            offenders,
            accounts,
            private_plat,
            params,
            switches,
            first_reach,
            counts,
        )


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def daily(model: GroomingModel, d: int) -> None:
    """Step every active relationship for day ``d``; then move the ties of relationships that
    moved platform, make the ties of ended relationships dormant, queue children's reports and
    detector flags for review and schedule recontacts after blocks and reports."""
    from sim import moderation, outreach

    ts, sw, R, m = model.ties, model.switches, model.rel, model.metrics
    counts = GroomingCounts(*(np.zeros(1, np.int64) for _ in GroomingCounts._fields))
    model.K.grooming_pass(
        seed=model.seed,
        day=d,
        ties=ts.arrays,
        rel=R,
        n_rel=int(model.n_rel[0]),
        children=model.child_traits,
        offenders=model.offender_traits,
        accounts=model.accounts,
        private_plat=model.private_plat,
        params=model.grooming_params,
        switches=model.switch_arrays,
        first_reach=model.first_reach,
        counts=counts,
    )
    m.add("offender_child_interactions", int(counts.interactions[0]))
    m.add("stage_advances", int(counts.stage_advances[0]))
    m.add("platform_moves", int(counts.platform_moves[0]))
    m.add("offences", int(counts.offences[0]))
    m.add("recorded_offences", int(counts.recorded_offences[0]))
    n_rel = int(model.n_rel[0])
    K, T = model.K, ts.arrays
    # platform moves: add the private platform to the other half too (keeps pdeg right)
    for r in np.nonzero(R.moved[:n_rel] == d)[0].tolist():
        c, o = int(R.child[r]), int(R.off[r])
        s = K.find_slot(T, c, o)
        if s >= 0:
            K.set_tie_mask(T, c, o, int(ts.emask[s]) | (1 << model.private_plat))
    # relationships that ended today: their ties go dormant; reports queue; recontacts
    # (declined first contacts have no tie; bans are handled by moderation.ban)
    # (bans, and relationships that ended because one of the two left the world, are done elsewhere)
    ex_ = R.exit[:n_rel]
    elsewhere = (ex_ == Exit.BANNED) | (ex_ == Exit.CHILD_LEFT) | (ex_ == Exit.OFFENDER_LEFT)
    ended_today = (R.exit_day[:n_rel] == d) & ~elsewhere
    ended = np.nonzero(ended_today & ((R.start[:n_rel] < d) | (R.stage[:n_rel] >= Stage.ENGAGED)))[0]
    for r in ended.tolist():
        c, o = int(R.child[r]), int(R.off[r])
        ex = Exit(int(R.exit[r]))
        K.set_tie_mask(T, c, o, 0)
        if ex == Exit.REPORTED:
            moderation.enqueue(model, d, o, int(R.plat[r]), rel=r)
        m.add("exits_" + ex.name.lower(), 1)
    if ended.size:
        ex = R.exit[ended]
        e = ended[(ex == Exit.BLOCKED) | (ex == Exit.REPORTED)]
        outreach.schedule_recontacts(
            model,
            d,
            R.off[e].astype(np.int64),
            R.child[e].astype(np.int64),
            R.plat[e].astype(np.int64),
            R.chan[e].astype(np.int64),
            np.ones(e.size, bool),
        )
        m.add("blocks", int((ex == Exit.BLOCKED).sum()))
        m.add("reports", int((ex == Exit.REPORTED).sum()))
    # detector flags of relationships (true positives)
    if sw.detect_on:
        flagged = np.nonzero(R.flagged[:n_rel] == d)[0]
        for r in flagged.tolist():
            o = int(R.off[r])
            pk = int(pair_key(int(R.child[r]), o))
            c = moderation.flag_confidence(model.draw(d, Decision.FLAG_CONFIDENCE, pk, int(R.plat[r])), True)
            moderation.enqueue(
                model, d, o, int(R.plat[r]), rel=r, source=moderation.Source.FLAG, confidence=c
            )
        m.add("detector_flags_true", int(flagged.size))
