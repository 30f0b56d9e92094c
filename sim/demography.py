"""Children's life course: birthdays, new accounts as they grow, leaving at 18, new 8-year-olds.

Every child has a birthday (a day of the 365-day year, drawn at set-up), on which its age goes up
by one. On a birthday a child may open accounts: on each platform where it has none, with the
probability that takes the platform's share of account holders from its old age to its new age
(``platforms.<name>.child_account_by_age``: ``(share[new] - share[old]) / (1 - share[old])``, 0 where
the share falls; accounts are kept). A new account is known to be a minor's with the platform's
``age_assurance``, and the child's ties to people who hold an account there are mirrored on it with
``network.tie_on_platform`` (offline ties and ties live on another platform; not relationship ties,
not dormant ones). Platform defaults of interventions then apply to it (``on_accounts_opened``).

At 18 a child leaves the child population: its accounts close (its ties lose their platforms; the
ties stay in the graph as offline ties of a node that is no longer present, which no mechanism
reads), its active relationships end with the exit ``child_left``, and recontacts scheduled to it
lapse. The same day a new 8-year-old joins the leaver's school, so the child population and every
school keep their size: it takes the school's next reserved slot (sim/population.py), joins the
intake class of the school's current year (a new class every ``class_size`` intakes), an existing
household of the school (a younger sibling: the adult population is not modelled as turning over),
a club of its area with ``club_membership``, and gets its traits, settings, accounts and ties as at
set-up (:func:`sim.network.join_child`). Interventions that cover children are told
(``on_children_joined``).

Draws: per day and child, keyed (``Decision.ACCOUNT_OPEN``, ``Decision.KNOWN_MINOR``,
``Decision.MIRROR``), and a NumPy generator keyed by ``(seed, Stream.JOINERS, day, slot)`` per new
child. Children's demography does not depend on the scenario, so paired runs share it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from omegaconf import OmegaConf

from sim.categories import Exit
from sim.network import join_child
from sim.platforms import add_holder, remove_holder
from sim.population import YEAR
from sim.rng import Decision, Stream, rng_for

if TYPE_CHECKING:
    from sim.model import GroomingModel

#: Age at which a child leaves the child population, and age of a new child.
LEAVING_AGE = 18
JOINING_AGE = 8


def _leave(model: GroomingModel, t: int, c: int) -> None:
    """Child ``c`` leaves at 18: its accounts close and it is no longer present (its
    relationships are ended by :func:`daily`, for all of the day's leavers at once)."""
    pop, K = model.pop, model.K
    for p in range(model.n_platforms):
        if pop.acct[c, p]:
            K.drop_platform(model.ties.arrays, c, p)
            remove_holder(model, p, c)
        pop.acct[c, p] = False
        pop.known_minor[c, p] = False
        pop.banned_acct[c, p] = False
    pop.present[c] = False
    model.remove_agent(c)


def open_account(model: GroomingModel, t: int, c: int, p: int) -> None:
    """Child ``c`` opens an account on platform ``p`` today: known to be a minor's with the
    platform's age assurance; its live and offline ties to holders mirrored on it
    (:func:`sim.network.mirror_on_account`)."""
    pop, K = model.pop, model.K
    pop.acct[c, p] = True
    add_holder(model, p, c)
    pl = model.plat_cfg[p]
    pop.known_minor[c, p] = model.draw(t, Decision.KNOWN_MINOR, c, p) < pl.age_assurance
    q = float(model.nw.tie_on_platform)
    K.mirror_on_account(model.ties.arrays, pop.acct, c, p, q, model.seed, t)


def _join(model: GroomingModel, t: int, school: int, pc: SimpleNamespace) -> int:
    """A new 8-year-old joins ``school`` today; returns its node id (-1: no slot left).
    ``pc``: the ``population`` section as plain Python (OmegaConf access is slow)."""
    pop = model.pop
    c = int(pop.reserve_next[school])
    if c >= pop.reserve_end[school]:
        model.metrics.add("children_joining_dropped", 1)
        return -1
    pop.reserve_next[school] += 1
    rng = rng_for(model.seed, Stream.JOINERS, t, c)
    pop.age[c] = JOINING_AGE
    pop.birthday[c] = (t - 1) % YEAR
    pop.joined_day[c] = t
    pop.year_group[c] = 0
    pop.sex[c] = int(rng.random() >= pc.share_girls)
    mean = float(np.clip(pc.literacy_by_age[0], 1e-3, 1 - 1e-3))
    pop.literacy[c] = rng.beta(mean * pc.literacy_spread, (1 - mean) * pc.literacy_spread)
    pop.vulnerability[c] = rng.beta(pc.vulnerability_alpha, pc.vulnerability_beta)
    for arr, share in (
        (pop.searchable, pc.searchable_share),
        (pop.location_shared, pc.location_shared_share),
        (pop.livestreams, pc.livestream_share),
        (pop.dm_open, pc.dm_open_share),
    ):
        arr[c, :] = rng.random() < share
    pop.lists_hidden[c, :] = False
    # intake class of this school and year
    key = (school, (t - 1) // YEAR)
    cls, n_in = model.intake_class.get(key, (-1, pc.class_size))
    if n_in >= pc.class_size:
        cls, n_in = model.next_class, 0
        model.next_class += 1
    model.intake_class[key] = (cls, n_in + 1)
    pop.class_id[c] = cls
    # an existing household of the school (a younger sibling)
    lo, hi = int(model.school_bounds[school]), int(model.school_bounds[school + 1])
    here = np.flatnonzero(pop.present[lo:hi]) + lo
    pop.household[c] = pop.household[here[int(rng.random() * here.size)]] if here.size else -1
    # a club of its area
    pop.club[c] = -1
    if rng.random() < pc.club_membership:
        alo, ahi = int(pop.area_lo[pop.area[c]]), int(pop.area_hi[pop.area[c]])
        clubs = np.unique(pop.club[alo:ahi][(pop.club[alo:ahi] >= 0) & pop.present[alo:ahi]])
        if clubs.size:
            pop.club[c] = clubs[int(rng.random() * clubs.size)]
    pop.present[c] = True
    for p, pl in enumerate(model.plat_cfg):
        if rng.random() < pl.child_account_by_age[0]:
            pop.acct[c, p] = True
            add_holder(model, p, c)
            pop.known_minor[c, p] = rng.random() < pl.age_assurance
    model.metrics.add("ties_created_for_new_children", join_child(model, t, c, rng))
    model.add_agent(c)
    return c


def daily(model: GroomingModel, t: int) -> None:
    """Birthdays of day ``t``: ages up, new accounts, leavers at 18 and their replacements."""
    pop, m = model.pop, model.metrics
    nc = pop.n_children
    doy = (t - 1) % YEAR
    today = np.flatnonzero((pop.birthday[:nc] == doy) & pop.present[:nc])
    if today.size == 0:
        return
    pop.age[today] += 1
    leavers = today[pop.age[today] >= LEAVING_AGE]
    stay = today[pop.age[today] < LEAVING_AGE]
    # who opens an account where: one batch of keyed draws per platform, then the accounts are
    # opened child by child, platform by platform (the order interventions are told in)
    step = pop.age[stay].astype(np.int64) - JOINING_AGE
    opens = np.zeros((stay.size, model.n_platforms), bool)
    for p, pl in enumerate(model.plat_cfg):
        share = np.asarray(pl.child_account_by_age, np.float64)
        old, new = share[step - 1], share[step]
        idx = np.flatnonzero(~pop.acct[stay, p] & (new > old) & (old < 1.0))
        if idx.size:
            u = model.K.u01_each(
                model.seed, t, int(Decision.ACCOUNT_OPEN), stay[idx], np.full(idx.size, p, np.int64)
            )
            opens[idx, p] = u < (new[idx] - old[idx]) / (1.0 - old[idx])
    for i, p in zip(*np.nonzero(opens)):
        c, p = int(stay[i]), int(p)
        open_account(model, t, c, p)
        for iv in model.interventions:
            iv.on_accounts_opened(model, t, c, p)
    m.add("accounts_opened_by_children", int(opens.sum()))
    if leavers.size:  # the leavers' active relationships end, in one pass over them
        R = model.rel
        n_rel = int(model.n_rel[0])
        ends = np.flatnonzero(np.isin(R.child[:n_rel], leavers) & (R.exit[:n_rel] == Exit.ACTIVE))
        R.exit[ends] = Exit.CHILD_LEFT
        R.exit_day[ends] = t
        m.add("exits_child_left", int(ends.size))
    joined = []
    pc = (
        SimpleNamespace(**OmegaConf.to_container(model.cfg.population, resolve=True))
        if leavers.size
        else None
    )
    for c in leavers.tolist():
        school = int(pop.school[c])
        _leave(model, t, c)
        j = _join(model, t, school, pc)
        if j >= 0:
            joined.append(j)
    m.add("children_left", int(leavers.size))
    m.add("children_joined", len(joined))
    if joined:
        for iv in model.interventions:
            iv.on_children_joined(model, t, np.array(joined, np.int64))
    model.refresh_children()
