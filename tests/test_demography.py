"""A world that turns over: children age, open accounts, leave at 18 and are replaced; offenders
arrive, desist and are arrested; results cover the measured window after a burn-in.

Guards sim/demography.py, the turnover part of sim/offenders.py and the burn-in of sim/model.py as
a user would check them: ages and accounts after a year, the child population kept stable, the
offender count set per child (not per adult), the burn-in invisible in the outputs, and paired runs
identical until an intervention starts. Every run has a fixed seed; counts are exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_cfg

from sim.model import GroomingModel
from sim.results import summary_json, timeseries_csv

WORLD = [
    "population.n_children=600",
    "population.n_adults=1200",
    "offenders.per_1000_children=40",
    "progress=off",
    "seed=11",
]


@pytest.fixture(scope="module")
def year():
    """A model stepped through one year (no burn-in), with its day-1 state kept."""
    m = GroomingModel(make_cfg([*WORLD, "days=365", "burn_in_days=0"]))
    pop = m.pop
    day1 = {
        "children": pop.children_present(),
        "age": pop.age.copy(),
        "acct": pop.acct.copy(),
        "offenders": pop.offender_ids[pop.present[pop.offender_ids]].copy(),
    }
    m.run(progress=False)
    return m, day1


def test_every_child_of_day_1_is_a_year_older_or_has_left(year):
    m, day1 = year
    pop = m.pop
    kids = day1["children"]
    stayed = pop.present[kids]
    assert (pop.age[kids[stayed]] == day1["age"][kids[stayed]] + 1).all()
    # those who left turned 18 during the year: they were 17 on day 1
    left = kids[~stayed]
    assert left.size > 0
    assert (day1["age"][left] == 17).all() and (pop.age[left] == 18).all()
    assert int((day1["age"][kids] == 17).sum()) == left.size  # every 17-year-old left


def test_new_eight_year_olds_keep_the_child_population(year):
    m, day1 = year
    pop = m.pop
    now = pop.children_present()
    joined = np.setdiff1d(now, day1["children"])
    assert joined.size == np.setdiff1d(day1["children"], now).size > 0
    assert now.size == day1["children"].size == 600
    assert ((pop.age[joined] >= 8) & (pop.age[joined] <= 9)).all()
    assert (pop.joined_day[joined] >= 1).all()
    # each joined a school that lost a child, got a household and ties
    assert (pop.household[joined] >= 0).all()
    assert (m.ties.deg[joined] > 0).all()
    s = m.summary()
    assert s["children_joined"] == s["children_left"] == joined.size
    assert s["children"] == 600 and s["children_in_window"] == 600 + joined.size


def test_children_gain_accounts_as_they_grow(year):
    m, day1 = year
    pop = m.pop
    kids = day1["children"][pop.present[day1["children"]]]
    gained = pop.acct[kids] & ~day1["acct"][kids]
    assert gained.sum() > 0
    # accounts are kept once opened
    assert not (day1["acct"][kids] & ~pop.acct[kids]).any()
    assert m.metrics.totals()["accounts_opened_by_children"] == int(gained.sum())


def test_children_who_left_have_no_accounts_and_no_active_relationships(year):
    m, day1 = year
    pop = m.pop
    left = day1["children"][~pop.present[day1["children"]]]
    assert not pop.acct[left].any()
    rel = m.relationships()
    mine = rel[rel["child"].isin(left.tolist())]
    assert not (mine["exit_name"] == "active").any()
    # no tie of theirs is on a platform any more
    for c in left.tolist():
        s, d = m.ties.start[c], m.ties.deg[c]
        assert (m.ties.emask[s : s + d] == 0).all()


def test_offenders_turn_over_and_stay_near_the_set_number(year):
    m, day1 = year
    s = m.summary()
    assert s["offender_arrivals"] > 0 and s["offenders_desisted"] > 0
    cols, data = m.metrics.table()
    present = data[:, cols.index("offenders_present")]
    # 24 offenders set (40 per 1,000 of 600 children); arrivals balance desistance: over the year
    # the daily count stays within a Poisson-scale band around it (24 +- 4 sd ~ 20)
    assert abs(present.mean() - 24) <= 6, present.mean()
    pop = m.pop
    arrived = pop.offender_ids[pop.n_offenders_initial : m.next_offender]
    assert arrived.size == s["offender_arrivals"]
    assert (pop.age[arrived] >= 18).all()


def test_offenders_are_set_per_child_not_per_adult():
    few = GroomingModel(make_cfg([*WORLD, "days=1", "burn_in_days=0", "population.n_adults=900"]))
    many = GroomingModel(make_cfg([*WORLD, "days=1", "burn_in_days=0", "population.n_adults=2400"]))
    n = [int(m.pop.present[m.pop.offender_ids].sum()) for m in (few, many)]
    assert n == [24, 24]
    assert few.pop.n_adults - few.pop.n_offenders == 900
    assert many.pop.n_adults - many.pop.n_offenders == 2400


def test_the_burn_in_is_recorded_nowhere_but_in_the_run_settings():
    m = GroomingModel(make_cfg([*WORLD, "days=12", "burn_in_days=30"])).run(progress=False)
    cols, data = m.metrics.table()
    assert data[:, 0].tolist() == list(range(1, 13))  # the window only
    s = m.summary()
    assert s["days"] == 12 and m.day == 12 and m.t == 42
    assert len(m.datacollector.get_model_vars_dataframe()) == 12
    # children counted are those who reached a stage in the window
    first = m.first_reach.day
    assert ((first[first >= 0] >= 31) & (first[first >= 0] <= 42)).all()


def test_paired_runs_match_until_the_intervention_starts_after_a_burn_in():
    base = GroomingModel(make_cfg([*WORLD, "days=20", "burn_in_days=40"])).run(progress=False)
    on = GroomingModel(
        make_cfg(
            [
                *WORLD,
                "days=20",
                "burn_in_days=40",
                "interventions.private_by_default.enabled=true",
                "interventions.private_by_default.start_day=8",
            ]
        )
    ).run(progress=False)
    a, b = timeseries_csv(base).splitlines(), timeseries_csv(on).splitlines()
    assert a[:8] == b[:8]  # header and days 1..7 of the window
    assert a[8:] != b[8:]
    assert summary_json(base) != summary_json(on)


def test_a_shorter_horizon_is_a_prefix_with_turnover():
    long = GroomingModel(make_cfg([*WORLD, "days=60", "burn_in_days=20"])).run(progress=False)
    short = GroomingModel(make_cfg([*WORLD, "days=25", "burn_in_days=20"])).run(progress=False)
    assert timeseries_csv(short).splitlines() == timeseries_csv(long).splitlines()[:26]


def test_burn_in_and_window_must_fit_the_day_counters():
    from sim.config import ConfigError

    with pytest.raises(ConfigError, match="burn_in_days"):
        make_cfg([*WORLD, "days=20000", "burn_in_days=15000"])


def test_a_new_account_mirrors_the_childs_ties_to_holders_at_the_set_rate():
    """A child opening an account puts each of its ties to holders there (offline or live on
    another platform; not relationship ties, not dormant ones) on the new platform with
    probability ``network.tie_on_platform``, on both halves of the tie, and the per-platform
    degrees stay equal to a recount. With ~2,500 qualifying ties the share's standard error is
    about 0.010; the tolerance of 0.06 is six of them (fixed seed: the count is exact)."""
    from sim.categories import Channel
    from sim.demography import open_account
    from sim.network import CHAN_MASK, REL_BIT

    m = GroomingModel(make_cfg([*WORLD, "days=5", "burn_in_days=0", "network.tie_on_platform=0.5"]))
    ts, pop, p = m.ties, m.pop, 0
    bit = 1 << p
    qualifying = mirrored = 0
    for c in [int(c) for c in pop.children_present() if not pop.acct[c, p]]:
        s0, d = int(ts.start[c]), int(ts.deg[c])
        before = ts.emask[s0 : s0 + d].copy()
        ok = set()
        for s in range(s0, s0 + d):
            m_, ch = int(ts.emask[s]), int(ts.echan[s])
            dormant = m_ == 0 and (ch & CHAN_MASK) > Channel.ADULT_NETWORK
            if not ch & REL_BIT and pop.acct[ts.nbr[s], p] and not m_ & bit and not dormant:
                ok.add(s)
        open_account(m, 1, c, p)
        changed = set((np.flatnonzero(ts.emask[s0 : s0 + d] != before) + s0).tolist())
        assert changed <= ok
        for s in changed:
            assert int(ts.emask[s]) == int(before[s - s0]) | bit
            v = int(ts.nbr[s])
            back = int(ts.start[v]) + int(
                np.flatnonzero(ts.nbr[ts.start[v] : ts.start[v] + ts.deg[v]] == c)[0]
            )
            assert ts.emask[back] == ts.emask[s]
        qualifying += len(ok)
        mirrored += len(changed)
    assert qualifying > 500
    assert abs(mirrored / qualifying - 0.5) < 0.06
    u = np.repeat(np.arange(ts.start.size), ts.deg)
    idx = np.concatenate([np.arange(s, s + d) for s, d in zip(ts.start.tolist(), ts.deg.tolist())])
    recount = np.bincount(u[(ts.emask[idx] & bit) != 0], minlength=ts.start.size)
    assert (ts.pdeg[:, p] == recount).all()


def test_account_holder_arrays_follow_every_opened_and_closed_account(year):
    """After a year of openings (birthdays, joiners, arrivals) and closings (leavers, desisters,
    arrests), each platform's holder array, which suggestions and outreach draw from, is exactly
    the nodes holding an account there."""
    m, _ = year
    for p in range(m.n_platforms):
        assert m.acct_users[p].tolist() == np.flatnonzero(m.pop.acct[:, p]).tolist()


def test_holder_merge_matches_set_arithmetic():
    """The one-copy merge of a day's account changes into a sorted holder array, against Python
    sets, on 3,000 random small cases (fixed seed) including empty arrays, adds already present
    and drops not present."""
    from sim.platforms import _merge

    rng = np.random.default_rng(7)
    for _ in range(3000):
        users = np.unique(rng.integers(0, 60, rng.integers(0, 40))).astype(np.int64)
        changes = {int(rng.integers(0, 65)): bool(rng.random() < 0.5) for _ in range(rng.integers(0, 20))}
        add = np.array(sorted(k for k, on in changes.items() if on), np.int64)
        drop = np.array(sorted(k for k, on in changes.items() if not on), np.int64)
        want = sorted((set(users.tolist()) | set(add.tolist())) - set(drop.tolist()))
        assert _merge(users, add, drop).tolist() == want
