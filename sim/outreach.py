"""Offender outreach and contact resolution: how an offender reaches a child, and what the child does.

Every day each offender makes Poisson(rate) contact attempts (its rate is drawn at set-up,
:mod:`sim.offenders`). An attempt picks a route (search, location, livestream, game chat, a child's
visible connection list) by the strategy's weights, a platform among the offender's unbanned
accounts that has the feature the route needs, and a child among those the route can reach there;
the child notices it with ``attempt_noticed``. Attempts from outreach, from friend suggestions
(:mod:`sim.suggestions`) and recontacts after a block are then resolved in a fixed order: a
relationship starts at ``contacted``; the child accepts (stranger acceptance scaled by literacy,
vulnerability, a claimed teen age and interventions) or declines, and a declining child may block
and report (Thorn 2023). An accepted contact becomes a tie that carries the relationship.

Settings: ``grooming.*`` (:class:`ContactSettings`); sources in ``conf/grooming/default.yaml``.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.backend import kernel, prange
from sim.categories import ROUTE_CHANNEL, ROUTES, Channel, Exit, Route, Stage, Strategy
from sim.fields import integer, number, numbers, prob
from sim.network import find_slot
from sim.rng import Decision, clamp01, poisson_from_u, u01

if TYPE_CHECKING:
    from sim.grooming import FirstReach, Relationships
    from sim.model import GroomingModel
    from sim.network import Ties
    from sim.offenders import OffenderTraits
    from sim.platforms import Accounts
    from sim.population import ChildTraits
    from sim.switches import SwitchArrays

#: At most this many attempts per offender and day (outreach_per_week_max 500 -> ~71/day).
MAX_ATTEMPTS_PER_DAY = 128
#: Keyed draws an attempt may take to find a reachable child before it fails.
OUTREACH_TRIES = 8
_WEIGHTS = "5 non-negative weights (" + ", ".join(ROUTES) + ") with a positive sum, each at most 1000"


@dataclass
class ContactSettings:
    """``grooming.*`` keys of outreach and of the child's response to a contact."""

    attempt_noticed: float = prob()
    accept_stranger: float = prob()
    accept_claimed_teen_multiplier: float = number(0, 1000)
    literacy_accept_effect: float = prob()
    vulnerability_accept_effect: float = prob()
    block_unwanted: float = prob()
    report_unwanted: float = prob()
    literacy_block_effect: float = prob()
    channel_weights_scattergun: list[float] = numbers(len(Route), 0.0, 1000.0, _WEIGHTS, positive_sum=True)
    channel_weights_targeted: list[float] = numbers(len(Route), 0.0, 1000.0, _WEIGHTS, positive_sum=True)
    recontact_after_block: float = prob()
    recontact_delay_days: int = integer(0, 3650)


@dataclass
class AdaptationSettings:
    """``offenders.*`` keys of adaptive outreach (0 adaptation: the fixed weights of today)."""

    adaptation: float = prob()
    adaptation_exploration: float = prob()
    tactic_sharing: float = prob()
    forum_share: float = prob()


#: An offender's expected yield of a (platform, route) before it has tried it: optimistic, so that
#: every option is tried before it is given up.
YIELD_START = 1.0

#: Outreach settings of the kernel.
OutreachParams = namedtuple("OutreachParams", "noticed max_attempts n_tries")
#: Adaptive outreach: ``rate`` the learning rate per attempt (0: fixed weights), ``exploration``
#: the floor of each option's relative weight.
AdaptParams = namedtuple("AdaptParams", "rate exploration")
#: Children as outreach sees them: ``n`` child slots, ``ids`` the children present today
#: (ascending, so by area), ``area_lo/hi`` the range of ``ids`` of each area's children; traits
#: node-indexed, settings ``[n, P]``.
Reachable = namedtuple(
    "Reachable",
    "n ids age sex vulnerability searchable location_shared livestreams dm_open lists_hidden area_lo area_hi",
)
#: Which platform features open which route (``features[p, Route]``), and where search hides
#: known minors from adults.
PlatformFeatures = namedtuple("PlatformFeatures", "features search_hides_minors")
#: Contact attempts: ``off[i]`` tries ``child[i]`` on ``plat[i]`` through ``chan[i]``
#: (``child_initiated``: a child's request to an offender suggested to it).
Attempts = namedtuple("Attempts", "off child plat chan child_initiated")
#: Outreach output (one slot per offender and attempt: its platform and channel, -1 for a slot
#: with no attempt; child -1 = failed).
Reached = namedtuple("Reached", "child plat chan")
#: The child's response to a first contact (contact resolution's parameters).
ResponseParams = namedtuple(
    "ResponseParams",
    "accept_stranger claimed_teen_mult literacy_accept_effect vulnerability_accept_effect vuln_mean "
    "block_unwanted report_unwanted literacy_block_effect",
)
#: Contact resolution's output per attempt: the new relationship id if accepted (-1 declined,
#: -2 skipped: already tied), and whether the child blocked / reported.
Resolution = namedtuple("Resolution", "accepted blocked reported")


@kernel
def option_weight(channel_w, st, ch, n_ok, y, ymax, explore):
    """The weight of one (platform, route) option of an adaptive offender (docs/ODD.md 7.3).

    ``channel_w[st, ch] / n_ok`` (the fixed weight of the route, shared by the ``n_ok`` platforms
    that offer it to the offender) times ``explore + (1 - explore) * y / ymax``: an option that
    stops yielding falls to the exploration floor. ``ymax`` is the best estimate among the options
    the offender uses (0: no estimate yet, every option at its fixed weight).
    """
    rel = y / ymax if ymax > 0.0 else 1.0
    return channel_w[st, ch] / n_ok * (explore + (1.0 - explore) * rel)


@kernel
def _allocation(seed, day, o, a, st, channel_w, acct, banned, features, y, explore):
    """The (platform, route) of attempt ``a`` of an adaptive offender ``o`` (-1, -1: none open).

    Options are the routes of positive fixed weight on the offender's unbanned accounts that have
    the route's feature, each weighted by :func:`option_weight` with ``ymax`` the best estimate
    among them (a route the strategy never uses keeps its untried estimate and must not set the
    scale). With equal estimates it is the fixed weights, renormalised over the options the
    offender has.
    """
    n_plat = features.shape[0]
    n_routes = features.shape[1]
    ymax = 0.0
    for ch in range(n_routes):
        if channel_w[st, ch] <= 0.0:
            continue
        for p in range(n_plat):
            if acct[o, p] and not banned[o, p] and features[p, ch] and y[p, ch] > ymax:
                ymax = y[p, ch]
    tot = 0.0
    for ch in range(n_routes):
        if channel_w[st, ch] <= 0.0:
            continue
        n_ok = 0
        for p in range(n_plat):
            if acct[o, p] and not banned[o, p] and features[p, ch]:
                n_ok += 1
        for p in range(n_plat):
            if acct[o, p] and not banned[o, p] and features[p, ch]:
                tot += option_weight(channel_w, st, ch, n_ok, y[p, ch], ymax, explore)
    if tot <= 0.0:
        return -1, -1
    r = u01(seed, day, Decision.OUTREACH_OPTION, o, a) * tot
    acc = 0.0
    last_p = -1
    last_ch = -1
    for ch in range(n_routes):
        if channel_w[st, ch] <= 0.0:
            continue
        n_ok = 0
        for p in range(n_plat):
            if acct[o, p] and not banned[o, p] and features[p, ch]:
                n_ok += 1
        for p in range(n_plat):
            if acct[o, p] and not banned[o, p] and features[p, ch]:
                w = option_weight(channel_w, st, ch, n_ok, y[p, ch], ymax, explore)
                if w > 0.0:
                    last_p = p
                    last_ch = ch
                acc += w
                if r < acc and w > 0.0:
                    return p, ch
    return last_p, last_ch


@kernel(parallel=True)
def outreach(
    seed: int,
    day: int,
    offenders: OffenderTraits,
    params: OutreachParams,
    channel_w: np.ndarray,
    platforms: PlatformFeatures,
    accounts: Accounts,
    children: Reachable,
    ties: Ties,
    adapt: AdaptParams,
    yield_est: np.ndarray,
    out: Reached,
) -> None:
    """Contact attempts of each offender today (search, location, livestream, game chat, lists).

    Attempts ~ Poisson(rate) per offender (keyed), capped at ``params.max_attempts``. Each attempt
    picks a route by the strategy's weights (``channel_w[strategy, Route]``, normalised), a
    platform among the offender's unbanned accounts that has the route's feature, and a child by
    rejection sampling (up to ``params.n_tries`` keyed draws) among children reachable through that
    route on that platform (settings are per child and platform, ``[n, P]``):

    - search finds only searchable children (and, where the platform hides known minors from
      adult searchers, only those the offender's claimed age lets it see);
    - location: children sharing location, in the offender's area;
    - livestream: children who stream publicly and accept messages from strangers;
    - game chat: children with the game account who accept messages from strangers;
    - connection lists: a friend (on the platform) of a child the offender is already tied to,
      found through that child's visible connection list.

    A reachable candidate is kept with a weight for the offender's preferred sex and ages
    (``out_of_target`` outside them) and, for targeted offenders, vulnerability; a kept attempt
    is noticed by the child with probability ``params.noticed`` (else it is lost). Output slot
    ``out.*[i*max_attempts + a]``: the platform and channel of every attempt made (-1: none), the
    child it reached (-1: failed).
    """
    # Numba's parallel loops lose writes made through a bundle's field (``out.child[i] = x``):
    # every array used inside the loop is taken out of its bundle first
    max_attempts, n_tries, noticed = params.max_attempts, params.n_tries, params.noticed
    acct, banned, known_minor = accounts.acct, accounts.banned, accounts.known_minor
    start, deg, nbr, emask = ties.start, ties.deg, ties.nbr, ties.emask
    ids, rate, strategy, claims_teen = (
        offenders.ids,
        offenders.rate,
        offenders.strategy,
        offenders.claims_teen,
    )
    off_area, target_girls = offenders.area, offenders.target_girls
    target_min, target_max, out_of_target = (
        offenders.target_min,
        offenders.target_max,
        offenders.out_of_target,
    )
    features, search_hides_minors = platforms.features, platforms.search_hides_minors
    n_children, child_age, child_sex, child_vuln = (
        children.n,
        children.age,
        children.sex,
        children.vulnerability,
    )
    searchable, location_shared, livestreams = (
        children.searchable,
        children.location_shared,
        children.livestreams,
    )
    dm_open, lists_hidden, area_lo, area_hi = (
        children.dm_open,
        children.lists_hidden,
        children.area_lo,
        children.area_hi,
    )
    present = children.ids
    index_of_node = offenders.index_of_node
    learn_rate, explore = adapt.rate, adapt.exploration
    n_present = present.shape[0]
    out_child, out_plat, out_chan = out.child, out.plat, out.chan
    n_off = ids.shape[0]
    n_plat = acct.shape[1]
    n_routes = channel_w.shape[1]
    for i in prange(n_off):
        o = ids[i]
        base = i * max_attempts
        for a in range(max_attempts):
            out_child[base + a] = -1
        n_att = poisson_from_u(rate[i], u01(seed, day, Decision.OUTREACH_N, o, 0))
        if n_att > max_attempts:
            n_att = max_attempts
        st = strategy[i]
        oi = index_of_node[o]
        for a in range(n_att):
            if learn_rate > 0.0:
                # adaptive: one joint draw of (platform, route), weighted by the fixed weights and
                # by what has worked for this offender (see _allocation)
                p, ch = _allocation(
                    seed, day, o, a, st, channel_w, acct, banned, features, yield_est[oi], explore
                )
                if p < 0:
                    continue
            else:
                r = u01(seed, day, Decision.OUTREACH_CHANNEL, o, a)
                ch = n_routes - 1
                acc = 0.0
                for c in range(n_routes):
                    acc += channel_w[st, c]
                    if r < acc:
                        ch = c
                        break
                # platform among unbanned accounts with the feature
                n_ok = 0
                for p in range(n_plat):
                    if acct[o, p] and not banned[o, p] and features[p, ch]:
                        n_ok += 1
                if n_ok == 0:
                    continue
                pick = int(u01(seed, day, Decision.OUTREACH_PLATFORM, o, a) * n_ok)
                p = -1
                for q in range(n_plat):
                    if acct[o, q] and not banned[o, q] and features[q, ch]:
                        if pick == 0:
                            p = q
                            break
                        pick -= 1
            out_plat[base + a] = p
            out_chan[base + a] = ROUTE_CHANNEL[ch]
            pbit = 1 << p
            for t in range(n_tries):
                key = a * n_tries + t
                if ch == Route.LOCATION:
                    lo = area_lo[off_area[i]]
                    hi = area_hi[off_area[i]]
                    if hi <= lo:
                        break
                    c_ = present[lo + int(u01(seed, day, Decision.OUTREACH_TARGET, o, key) * (hi - lo))]
                elif ch == Route.CONNECTIONS:
                    if deg[o] == 0:
                        break
                    s1 = start[o] + int(u01(seed, day, Decision.OUTREACH_TARGET, o, key) * deg[o])
                    c1 = nbr[s1]
                    if c1 >= n_children or (emask[s1] & pbit) == 0 or lists_hidden[c1, p]:
                        continue
                    if deg[c1] == 0:
                        continue
                    s2 = start[c1] + int(u01(seed, day, Decision.LIST_PICK, o, key) * deg[c1])
                    c_ = nbr[s2]
                    if c_ >= n_children or (emask[s2] & pbit) == 0:
                        continue
                else:
                    if n_present == 0:
                        break
                    c_ = present[int(u01(seed, day, Decision.OUTREACH_TARGET, o, key) * n_present)]
                if not acct[c_, p]:
                    continue
                if ch == Route.SEARCH:
                    if not searchable[c_, p]:
                        continue
                    if search_hides_minors[p] and known_minor[c_, p] and not claims_teen[i]:
                        continue
                elif ch == Route.LOCATION:
                    if not location_shared[c_, p]:
                        continue
                elif ch == Route.LIVESTREAM:
                    if not (livestreams[c_, p] and dm_open[c_, p]):
                        continue
                elif ch == Route.GAMING:
                    if not dm_open[c_, p]:
                        continue
                # preference: sex and ages always; vulnerability for targeted offenders
                g = target_girls[i]
                w = g if child_sex[c_] == 0 else 1.0 - g
                w = w / max(g, 1.0 - g)
                if child_age[c_] < target_min[i] or child_age[c_] > target_max[i]:
                    w *= out_of_target[i]
                if st == Strategy.TARGETED:
                    w *= 0.5 + child_vuln[c_]
                    w /= 1.5
                if u01(seed, day, Decision.OUTREACH_PREF, o, key) >= w:
                    continue
                if u01(seed, day, Decision.NOTICED, o, key) < noticed:
                    out_child[base + a] = c_
                break
            if learn_rate > 0.0:
                # what worked: did this attempt reach a child (1) or not (0)
                hit = 1.0 if out_child[base + a] >= 0 else 0.0
                yield_est[oi, p, ch] += learn_rate * (hit - yield_est[oi, p, ch])


@kernel
def resolve_contacts(
    seed: int,
    day: int,
    attempts: Attempts,
    ties: Ties,
    children: ChildTraits,
    claims_teen_node: np.ndarray,
    params: ResponseParams,
    switches: SwitchArrays,
    rel: Relationships,
    n_rel: np.ndarray,
    first_reach: FirstReach,
    out: Resolution,
) -> None:
    """Turn contact attempts into relationships, in the given (fixed) order.

    A child already tied to the offender (a live tie) is skipped (pairs are unique per day: the
    caller de-duplicates). Otherwise a relationship starts at ``contacted``; the child accepts
    (keyed draw, stranger acceptance scaled by literacy, vulnerability, a teen-claimed age and
    intervention multipliers) or declines, and a declining child may block and/or report (Thorn
    2023). A child-initiated request (suggestion shown to the child) is accepted by the offender.
    Writes relationship rows from ``n_rel[0]`` (and advances it); ``out`` (:class:`Resolution`)
    per attempt.
    """
    n_a = attempts.off.shape[0]
    for i in range(n_a):
        o = attempts.off[i]
        c = attempts.child[i]
        out.accepted[i] = -2  # skipped
        slot = find_slot(ties, c, o)
        if slot >= 0 and ties.emask[slot] != 0:
            continue  # already tied (and so already in a relationship or a benign tie)
        out.accepted[i] = -1  # declined, unless accepted below
        r = n_rel[0]
        n_rel[0] = r + 1
        rel.child[r] = c
        rel.off[r] = o
        rel.plat[r] = attempts.plat[i]
        rel.first_plat[r] = attempts.plat[i]
        rel.chan[r] = attempts.chan[i]
        rel.start[r] = day
        rel.exit[r] = Exit.ACTIVE
        rel.exit_day[r] = -1
        rel.stage[r] = Stage.CONTACTED
        if first_reach.day[c, Stage.CONTACTED] < 0:
            first_reach.day[c, Stage.CONTACTED] = day
            first_reach.plat[c, Stage.CONTACTED] = attempts.plat[i]
            first_reach.chan[c, Stage.CONTACTED] = attempts.chan[i]
            first_reach.age[c, Stage.CONTACTED] = children.age[c]
        if attempts.child_initiated[i]:
            accepted = True
        else:
            lit = children.literacy[c]
            pa = params.accept_stranger * (1.0 - params.literacy_accept_effect * (lit - 0.5) * 2.0)
            pa *= (
                1.0
                + params.vulnerability_accept_effect * (children.vulnerability[c] - params.vuln_mean) * 2.0
            )
            if claims_teen_node[o]:
                pa *= params.claimed_teen_mult
            pa = clamp01(pa * switches.accept_mult[c])
            accepted = u01(seed, day, Decision.ACCEPT, c, o) < pa
        if accepted:
            rel.stage[r] = Stage.ENGAGED
            out.accepted[i] = r
            if first_reach.day[c, Stage.ENGAGED] < 0:
                first_reach.day[c, Stage.ENGAGED] = day
                first_reach.plat[c, Stage.ENGAGED] = attempts.plat[i]
                first_reach.chan[c, Stage.ENGAGED] = attempts.chan[i]
                first_reach.age[c, Stage.ENGAGED] = children.age[c]
        else:
            lit = children.literacy[c]
            f = 1.0 + params.literacy_block_effect * (lit - 0.5) * 2.0
            rel.exit[r] = Exit.DECLINED
            rel.exit_day[r] = day
            if u01(seed, day, Decision.BLOCK, c, o) < clamp01(
                params.block_unwanted * f * switches.block_mult[c]
            ):
                out.blocked[i] = 1
                rel.exit[r] = Exit.BLOCKED
            if u01(seed, day, Decision.REPORT, c, o) < clamp01(
                params.report_unwanted * f * switches.report_mult[c]
            ):
                out.reported[i] = 1
                rel.exit[r] = Exit.REPORTED


# --------------------------------------------------------------------------------------------
# Drivers
# --------------------------------------------------------------------------------------------


def _cat(arrs) -> np.ndarray:
    arrs = [np.asarray(a) for a in arrs]
    return np.concatenate(arrs) if arrs else np.zeros(0, np.int64)


def new_yields(model: GroomingModel) -> np.ndarray:
    """Every offender slot's yield estimates ``[offender index, platform, route]`` at the start."""
    return np.full((model.pop.n_offenders, model.n_platforms, len(Route)), YIELD_START)


def forum_members(model: GroomingModel) -> np.ndarray:
    """Offender indices in the tactic-sharing offender network (keyed draw per offender slot)."""
    share = float(model.cfg.offenders.forum_share)
    n = model.pop.n_offenders
    return np.array([i for i in range(n) if model.draw(0, Decision.FORUM, i, 0) < share], np.int64)


def share_tactics(model: GroomingModel) -> None:
    """Offenders in the offender network move their yield estimates a step ``tactic_sharing``
    towards the network's mean (peers copy what works for them); once a day, after outreach."""
    s = float(model.cfg.offenders.tactic_sharing)
    members = model.forum
    if s <= 0.0 or members.size < 2:
        return
    here = members[model.pop.present[model.pop.offender_ids[members]]]
    if here.size < 2:
        return
    y = model.outreach_yield
    y[here] += s * (y[here].mean(axis=0) - y[here])


def daily(model: GroomingModel, d: int) -> list:
    """Today's outreach attempts that reached a child, as one group for :func:`resolve`."""
    pop = model.pop
    offs = pop.offender_ids
    if offs.size == 0:
        return []
    slots = offs.size * MAX_ATTEMPTS_PER_DAY
    out = Reached(np.full(slots, -1, np.int64), np.full(slots, -1, np.int64), np.zeros(slots, np.int64))
    model.K.outreach(
        seed=model.seed,
        day=d,
        offenders=model.offender_traits,
        params=OutreachParams(float(model.g.attempt_noticed), MAX_ATTEMPTS_PER_DAY, OUTREACH_TRIES),
        channel_w=model.channel_weights,
        platforms=model.platform_features,
        accounts=model.accounts,
        children=model.reachable,
        ties=model.ties.arrays,
        adapt=model.adapt_params,
        yield_est=model.outreach_yield,
        out=out,
    )
    if model.adapt_params.rate > 0.0:
        share_tactics(model)
    made = np.bincount(out.plat[out.plat >= 0], minlength=model.n_platforms)
    for p, name in enumerate(model.platform_names):
        model.metrics.add(f"outreach_attempts_{name}", int(made[p]))
    ok = out.child >= 0
    o = np.repeat(offs.astype(np.int64), MAX_ATTEMPTS_PER_DAY)[ok]
    model.metrics.add("outreach_attempts_reaching_a_child", int(ok.sum()))
    per_plat = np.bincount(out.plat[ok], minlength=model.n_platforms)
    for p, name in enumerate(model.platform_names):
        model.metrics.add(f"outreach_reaching_{name}", int(per_plat[p]))
    return [(o, out.child[ok], out.plat[ok], out.chan[ok], False)]


def due_recontacts(model: GroomingModel, d: int) -> list:
    """Recontacts scheduled for day ``d`` (after blocks and reports) by offenders still on the
    platform, as one group for :func:`resolve`."""
    due = [x for x in model.pending_recontacts if x[0] <= d]
    if not due:
        return []
    model.pending_recontacts = [x for x in model.pending_recontacts if x[0] > d]
    due.sort()
    o = np.array([x[1] for x in due], np.int64)
    c = np.array([x[2] for x in due], np.int64)
    p = np.array([x[3] for x in due], np.int64)
    ch = np.array([x[4] for x in due], np.int64)
    pop = model.pop
    ok = ~pop.banned_acct[o, p] & pop.acct[o, p] & pop.present[o] & pop.present[c]
    model.metrics.add("recontacts", int(ok.sum()))
    return [(o[ok], c[ok], p[ok], ch[ok], False)]


def schedule_recontacts(
    model: GroomingModel,
    d: int,
    o: np.ndarray,
    c: np.ndarray,
    p: np.ndarray,
    ch: np.ndarray,
    ended_by_child: np.ndarray,
) -> None:
    """After a block or report, the offender may try the child again ``recontact_delay_days``
    later (keyed draw per pair and day)."""
    g = model.g
    for oi, ci, pi, chi, e in zip(o.tolist(), c.tolist(), p.tolist(), ch.tolist(), ended_by_child.tolist()):
        if not e:
            continue
        if model.draw(d, Decision.RECONTACT, ci, oi) < g.recontact_after_block:
            model.pending_recontacts.append((d + int(g.recontact_delay_days), oi, ci, pi, chi))


def resolve(model: GroomingModel, d: int, groups: list) -> None:
    """Resolve the day's contact attempts (groups of ``(offender, child, platform, channel,
    child_initiated)``, in this order: suggestions, outreach, recontacts). One attempt per pair
    and day: the first in that order wins. Accepted contacts become ties; declined ones may be
    reported (queued for review) and lead to recontacts."""
    from sim import moderation

    parts = [x for g in groups for x in g]
    if parts:
        o = _cat([np.asarray(x[0], np.int64) for x in parts])
        c = _cat([np.asarray(x[1], np.int64) for x in parts])
        p = _cat([np.broadcast_to(np.asarray(x[2], np.int64), np.shape(x[0])) for x in parts])
        ch = _cat([np.broadcast_to(np.asarray(x[3], np.int64), np.shape(x[0])) for x in parts])
        init = _cat([np.full(np.shape(x[0]), x[4], bool) for x in parts])
    else:
        o = c = p = ch = np.zeros(0, np.int64)
        init = np.zeros(0, bool)
    if o.size:
        key = c * model.pop.n + o
        _, first = np.unique(key, return_index=True)
        first.sort()
        o, c, p, ch, init = o[first], c[first], p[first], ch[first], init[first]
    n_a = o.size
    model.grow_relationships(int(model.n_rel[0]) + n_a + 1)
    out = Resolution(np.full(n_a, -1, np.int64), np.zeros(n_a, np.int8), np.zeros(n_a, np.int8))
    g = model.g
    r0 = int(model.n_rel[0])
    model.K.resolve_contacts(
        seed=model.seed,
        day=d,
        attempts=Attempts(o, c, p, ch, init),
        ties=model.ties.arrays,
        children=model.child_traits,
        claims_teen_node=model.offender_nodes.claims_teen,
        params=ResponseParams(
            float(g.accept_stranger),
            float(g.accept_claimed_teen_multiplier),
            float(g.literacy_accept_effect),
            float(g.vulnerability_accept_effect),
            model.vuln_mean,
            float(g.block_unwanted),
            float(g.report_unwanted),
            float(g.literacy_block_effect),
        ),
        switches=model.switch_arrays,
        rel=model.rel,
        n_rel=model.n_rel,
        first_reach=model.first_reach,
        out=out,
    )
    acc, blocked, reported = out
    m = model.metrics
    m.add("contacts", int(model.n_rel[0]) - r0)
    m.add("children_with_a_new_contact", int(np.unique(model.rel.child[r0 : int(model.n_rel[0])]).size))
    m.add("contacts_declined", int((acc == -1).sum()))
    m.add("blocks", int(blocked.sum()))
    m.add("reports", int(reported.sum()))
    a = acc >= 0
    if a.any():
        ins = model.ties.insert(
            model.K,
            c[a],
            o[a],
            (np.int64(1) << p[a]).astype(np.uint8),
            ch[a].astype(np.int8),
            acc[a].astype(np.int32),
            d,
        )
        m.add("ties_created_by_offender_contact", ins)
        m.add("ties_created_by_suggestion", int((ch[a] == Channel.SUGGESTION).sum()))
    # reports and blocks of declined contacts
    rows = np.nonzero(acc == -1)[0]  # declined (-2: skipped, already tied)
    for i in rows[reported[rows] == 1]:
        moderation.enqueue(model, d, int(o[i]), int(p[i]))
    schedule_recontacts(
        model, d, o[rows], c[rows], p[rows], ch[rows], (blocked[rows] == 1) | (reported[rows] == 1)
    )
