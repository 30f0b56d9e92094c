"""Moderation: review queues ordered by expected harm, finite capacity, bans, police referrals and
returns after a ban.

Children's reports, signals shared by other platforms (``cross_platform_sharing``) and detector
flags (``ai_detection``) join the one review queue of the platform where they arose, each with a
priority: its expected harm (:func:`priority`), the chance the account is an offender's as the
signal suggests times the harm of the stage it points to. A detector flag carries a confidence
(:func:`flag_confidence`), higher on average for true flags than for false ones, so strong true
signals outrank noise. Each day a platform reviews up to its capacity (``review_capacity_per_100k``
per 100,000 account holders; unused capacity carried over up to one day's worth) the
highest-priority items at least ``review_delay_days`` old (ties: older first, then lower account
id, then queue order). A reviewed offender is confirmed with ``review_accuracy`` and banned on that
platform: its relationships there end, its ties lose the platform, offences not yet recorded may
be referred to the police, and it may come back with a new account ``return_delay_days`` later
(``population.return_after_ban``). A reviewed benign account is wrongly banned with
``review_false_ban``.

Settings: ``platforms.<name>.*`` (:class:`ReviewSettings`) and ``grooming.*`` (:class:`BanSettings`).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.categories import Exit, Role, Source, Stage
from sim.contacts import FalseFlags
from sim.fields import integer, number, prob
from sim.rng import Decision, pair_key

if TYPE_CHECKING:
    from sim.model import GroomingModel


@dataclass
class ReviewSettings:
    """``platforms.<name>.*`` keys of human review."""

    review_capacity_per_100k: float = number(0, 100_000)
    review_accuracy: float = prob()
    review_false_ban: float = prob()
    review_delay_days: int = integer(0, 365)


@dataclass
class BanSettings:
    """``grooming.*`` keys of what follows a ban."""

    ban_referral_to_police: float = prob()
    return_delay_days: int = integer(0, 3650)


#: Harm of an offender's signal by the stage it points to, relative to sexual communication (the
#: recorded offence) = 1: what a review that bans it can prevent. Assumption (docs/ODD.md 7.9):
#: later stages are nearer an offence or past one; a declined first contact is the least.
STAGE_HARM = (0.1, 0.1, 0.2, 0.35, 0.5, 1.0, 1.0, 1.0)  # by Stage: none .. coercion_or_meeting
#: Chance a child's report points to an offender as the platform sees it. Assumption.
REPORT_WEIGHT = 0.5
#: Priority of a signal shared by another platform (another platform confirmed and banned the
#: offender; the stage is unknown). Assumption.
SHARED_WEIGHT = 0.5
#: The stage a false flag appears to show (benign chat at most resembles early rapport-building).
FALSE_FLAG_STAGE = Stage.ENGAGED


def new_queues(n_platforms: int) -> list[list]:
    """One review queue per platform: a heap of ``(-priority, day queued, account, seq, rel, source)``."""
    return [[] for _ in range(n_platforms)]


def flag_confidence(u: float, true_flag: bool) -> float:
    """A detector flag's confidence from a keyed uniform ``u``: Beta(3, 1) for true flags
    (``u ** (1/3)``, mean 0.75), Beta(1, 3) for false ones (``1 - u ** (1/3)``, mean 0.25).
    Assumption: a classifier's scores of true grooming skew high and of benign chat low, with
    overlap (about 1 true flag in 16 scores below 0.4; about 1 false flag in 5 scores above 0.5)."""
    c = u ** (1.0 / 3.0)
    return c if true_flag else 1.0 - c


def priority(model: GroomingModel, source: Source, rel: int, confidence: float) -> float:
    """Expected harm of a queued item: the chance the account is an offender's as the signal says
    (a report's weight, a flag's confidence, a shared signal's weight) times the harm of the stage
    the signal points to (:data:`STAGE_HARM`; a report of a declined contact: contacted)."""
    if source == Source.SHARED:
        return SHARED_WEIGHT
    if source == Source.BEHAVIOUR:  # account-level: no content, so no stage is seen
        return confidence * STAGE_HARM[FALSE_FLAG_STAGE]
    stage = int(model.rel.stage[rel]) if rel >= 0 else int(Stage.CONTACTED)
    if source == Source.FLAG:
        if rel < 0:
            stage = int(FALSE_FLAG_STAGE)
        return confidence * STAGE_HARM[stage]
    return REPORT_WEIGHT * STAGE_HARM[stage]


def enqueue(
    model: GroomingModel,
    d: int,
    target: int,
    p: int,
    rel: int = -1,
    source: Source = Source.REPORT,
    confidence: float = 1.0,
) -> None:
    """Queue account ``target`` on platform ``p`` for human review (a report, shared signal or
    detector flag with its ``confidence``), with its expected-harm priority."""
    prio = priority(model, source, int(rel), float(confidence))
    model.review_seq += 1
    heapq.heappush(model.review_queue[p], (-prio, d, int(target), model.review_seq, int(rel), int(source)))


def _capacity(model, p: int) -> float:
    pl = model.plat_cfg[p]
    return (
        pl.review_capacity_per_100k * model.switches.review_capacity_mult[p] * model.acct_users[p].size / 1e5
    )


def daily(model: GroomingModel, d: int, false_flags: FalseFlags | None) -> None:
    """Queue today's detector false flags (after the day's true flags), then review each
    platform's queue, highest priority first, up to its capacity."""
    if false_flags is not None:
        for u in np.nonzero(false_flags.account >= 0)[0].tolist():
            a, fp = int(false_flags.account[u]), int(false_flags.platform[u])
            c = flag_confidence(model.draw(d, Decision.FALSE_FLAG_CONFIDENCE, a, fp), False)
            enqueue(model, d, a, fp, source=Source.FLAG, confidence=c)
    pop, sw, m = model.pop, model.switches, model.metrics
    for p, name in enumerate(model.platform_names):
        pl = model.plat_cfg[p]
        model.review_carry[p] += _capacity(model, p)
        cap = int(model.review_carry[p])
        delay = int(round(pl.review_delay_days * sw.review_delay_mult[p]))
        q = model.review_queue[p]
        done = 0
        too_new = []  # items popped but not yet review_delay_days old: back in the queue after
        while q and done < cap:
            item = heapq.heappop(q)
            _, day_in, target, _seq, _rel, src = item
            if day_in + delay > d:
                too_new.append(item)
                continue
            if pop.banned_acct[target, p] or not pop.acct[target, p]:
                continue  # already banned, or the account has closed: nothing to review
            done += 1
            draw = model.draw(d, Decision.REVIEW, target, p * 4 + src)
            if pop.role[target] == Role.OFFENDER:
                if draw < pl.review_accuracy:
                    ban(model, d, target, p)
                    m.add("bans_via_review", 1)
                    if src == Source.FLAG:
                        m.add("bans_via_flag", 1)
                    m.add("days_report_to_ban_total", d - day_in)
            else:
                if draw < pl.review_false_ban:
                    pop.banned_acct[target, p] = True
                    m.add("benign_accounts_banned", 1)
                m.add("benign_accounts_reviewed", 1)
        for item in too_new:
            heapq.heappush(q, item)
        # unused capacity does not pile up beyond one day's worth (reviewers do not bank time)
        model.review_carry[p] = min(model.review_carry[p] - done, max(_capacity(model, p), 1.0))
        m.add("reviews", done)
        m.set_level(f"review_backlog_{name}", len(q))


def ban(model: GroomingModel, d: int, o_node: int, p: int, via: str = "review") -> None:
    """Ban offender ``o_node``'s account on platform ``p``: its relationships there end, its
    ties lose the platform, unrecorded offences may be referred to the police, and a return with a
    new account may be scheduled. Interventions are told (``on_ban``)."""
    pop, ts, R, m, K = model.pop, model.ties, model.rel, model.metrics, model.K
    pop.banned_acct[o_node, p] = True
    oi = int(pop.node_off_index[o_node])
    m.add("bans", 1)
    if via == "shared":
        m.add("bans_via_sharing", 1)
    if not model.ever_banned[oi]:
        model.ever_banned[oi] = True
        m.add("offenders_banned", 1)
    n_rel = int(model.n_rel[0])
    mine = np.nonzero(R.off[:n_rel] == o_node)[0]
    active = mine[(R.exit[mine] == Exit.ACTIVE) & (R.plat[mine] == p)]
    for r in active.tolist():
        R.exit[r] = Exit.BANNED
        R.exit_day[r] = d
        m.add("exits_banned", 1)
        # the relationship is over: its tie goes dormant on every platform
        K.set_tie_mask(ts.arrays, int(R.child[r]), o_node, 0)
    # offences not yet recorded may be referred to the police: one draw per offence (keyed
    # without the day of the ban), so repeated bans add no chances
    g = model.g
    for r in mine[(R.offence[mine] >= 0) & (R.recorded[mine] < 0)].tolist():
        pk = int(pair_key(int(R.child[r]), o_node))
        if model.draw(int(R.offence[r]), Decision.REFERRAL, pk, 0) < g.ban_referral_to_police:
            R.recorded[r] = d
            m.add("recorded_offences", 1)
    # the account's ties lose this platform
    K.drop_platform(ts.arrays, o_node, p)
    if model.draw(d, Decision.RETURN, o_node, p) < pop.return_propensity[oi]:
        model.pending_returns.append((d + int(g.return_delay_days), o_node, p))
    for iv in model.interventions:
        if iv.active(d):
            iv.on_ban(model, d, o_node, p)


def returns(model: GroomingModel, d: int) -> None:
    """Banned offenders whose return is due come back with a new account (unless ban-evasion
    prevention stops it)."""
    keep = []
    sw, pop, m = model.switches, model.pop, model.metrics
    for due, o_node, p in model.pending_returns:
        if due > d:
            keep.append((due, o_node, p))
            continue
        if not pop.present[o_node]:
            continue  # the offender has left the world (desisted or arrested)
        if sw.return_block_prob[p] > 0 and (
            model.draw(d, Decision.EVASION, o_node, p) < sw.return_block_prob[p]
        ):
            m.add("returns_blocked", 1)
            continue
        pop.banned_acct[o_node, p] = False
        m.add("offender_returns", 1)
    model.pending_returns = keep
