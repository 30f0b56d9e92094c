"""GroomingModel through Mesa's API, and model behaviour a user would check first.

Guards ``sim.model.GroomingModel`` as a Mesa 3 model (``step`` advances the day and Mesa's step
counter, one AgentSet per role with the right sizes, ``select``/``groupby`` on agent attributes
that read the population arrays, a DataCollector row per step) and three behavioural facts:
no offenders means no exposure at all; children who cannot be found through search are never
reached through search; relationships always join a child to an offender.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_cfg, run_model, small, tiny

from sim.agents import Child, Contact, Offender
from sim.config import CHANNELS, STAGES
from sim.metrics import Metrics
from sim.model import GroomingModel


@pytest.fixture(scope="module")
def stepped():
    """A tiny model stepped by hand for 3 of its 5 days."""
    m = GroomingModel(make_cfg(tiny("days=5")))
    history = [(m.day, m.steps)]
    for _ in range(3):
        m.step()
        history.append((m.day, m.steps))
    return m, history


def test_step_advances_day_and_mesa_steps(stepped):
    m, history = stepped
    assert history == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert m.running
    m2 = GroomingModel(make_cfg(tiny("days=2")))
    m2.run(progress=False)
    assert (m2.day, m2.steps, m2.running) == (2, 2, False)


def test_agent_sets_by_role(stepped):
    m, _ = stepped
    pop = m.pop
    assert m.mesa_agents_created
    # one agent per person in the world (slots of children and offenders still to come have none)
    children = pop.children_present()
    offenders = pop.offender_ids[pop.present[pop.offender_ids]]
    assert len(m.agents_by_type[Child]) == children.size == 300
    assert len(m.agents_by_type[Offender]) == offenders.size == round(300 * 40 / 1000)
    assert len(m.agents_by_type[Contact]) == 600  # population.n_adults: benign adults
    assert len(m.agents) == int(pop.present.sum())
    # each agent is the view of its own node, with the right role
    assert sorted(a.node for a in m.agents_by_type[Child]) == children.tolist()
    assert sorted(a.node for a in m.agents_by_type[Offender]) == offenders.tolist()


def test_agentset_select_and_groupby_read_the_arrays(stepped):
    m, _ = stepped
    pop = m.pop
    ages = pop.age[pop.children_present()].astype(int)
    young = m.agents_by_type[Child].select(lambda a: a.age <= 11)
    assert len(young) == int((ages <= 11).sum()) > 0
    assert all(8 <= a.age <= 11 for a in young)
    by_age = m.agents_by_type[Child].groupby("age").count()
    assert by_age == {int(a): int(k) for a, k in zip(*np.unique(ages, return_counts=True))}
    assert set(by_age) <= set(range(8, 18))
    strat = m.agents_by_type[Offender].groupby("strategy").count()
    here = pop.present[pop.offender_ids]
    assert sum(strat.values()) == int(here.sum())
    assert strat.get("targeted", 0) == int((pop.strategy[here] == 1).sum())
    assert all(a.age >= 18 for a in m.agents_by_type[Offender])


def test_child_furthest_stage_matches_summary(small_run):
    m = small_run
    furthest = m.agents_by_type[Child].groupby("furthest_stage").count()
    s = m.summary()
    reached = {
        st: sum(v for k, v in furthest.items() if k is not None and STAGES.index(k) >= STAGES.index(st))
        for st in STAGES
    }
    assert reached == {st: s[f"children_{st}"] for st in STAGES}


def test_datacollector_one_row_per_step(stepped):
    m, _ = stepped
    df = m.datacollector.get_model_vars_dataframe()
    assert len(df) == m.steps == 3
    assert list(df.columns) == list(Metrics.DATACOLLECTOR_SERIES)
    cols, data = m.metrics.table()
    for name in Metrics.DATACOLLECTOR_SERIES:
        assert df[name].tolist() == data[:, cols.index(name)].tolist()


def test_no_offenders_no_exposure():
    m = run_model(small("offenders.per_1000_children=0"))
    s = m.summary()
    assert s["offenders"] == 0
    for st in STAGES:
        assert s[f"children_{st}"] == 0, st
    for key in (
        "offences",
        "recorded_offences",
        "contacts",
        "reports",
        "bans",
        "offenders_banned",
        "offender_returns",
    ):
        assert s[key] == 0, key
    for br in ("by_age_band", "by_sex", "by_platform", "by_channel"):
        assert all(v == 0 for g in s[br].values() for v in g.values()), br
    assert len(m.relationships()) == 0
    # the benign world still lives: the zero is not from a world where nothing happens
    assert s["ties_created_by_suggestion"] > 0 and s["benign_interactions"] > 0


@pytest.fixture(scope="module")
def unsearchable():
    return run_model(small("population.searchable_share=0", "offenders.per_1000_children=80"))


@pytest.fixture(scope="module")
def all_searchable():
    return run_model(small("population.searchable_share=1", "offenders.per_1000_children=80"))


def test_unsearchable_children_never_reached_through_search(unsearchable):
    s = unsearchable.summary()
    assert all(v == 0 for v in s["by_channel"]["search"].values())
    rel = unsearchable.relationships()
    assert "search" not in set(rel["channel_name"])
    # offenders were active through the other channels
    assert s["children_contacted"] > 0
    u, v, mask, day, chan, r = unsearchable.ties.half_edges()
    assert not (chan == CHANNELS.index("search")).any()


def test_searchable_children_are_reached_through_search(all_searchable, unsearchable):
    """Positive control for the test above: with everyone searchable, search is used a lot."""
    s = all_searchable.summary()
    assert s["by_channel"]["search"]["contacted"] > 0
    rel = all_searchable.relationships()
    assert (rel["channel_name"] == "search").sum() > 0
    assert s["children_contacted"] > unsearchable.summary()["children_contacted"]


def test_relationships_join_a_child_and_an_offender(small_run):
    m = small_run
    rel = m.relationships()
    assert len(rel) > 0
    nc = m.pop.n_children
    assert (rel["child"] >= 0).all() and (rel["child"] < nc).all()
    assert set(rel["off"]) <= set(m.pop.offender_ids.tolist())
    assert set(rel["channel_name"]) <= set(CHANNELS)
    assert set(rel["stage_name"]) <= set(STAGES)
    assert (rel["start"] >= 1).all() and (rel["start"] <= m.day).all()
    ended = rel["exit_name"] != "active"
    assert (rel.loc[ended, "exit_day"] >= rel.loc[ended, "start"]).all()
    assert (rel.loc[~ended, "exit_day"] == -1).all()
