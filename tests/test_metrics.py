"""The numbers add up: summary totals, the time series, the breakdowns and the relationships.

Guards ``sim.metrics`` and the two result files a user reads (``timeseries.csv`` and
``summary.json``, as written by ``sim.results``):

- every total in the summary is the sum of its daily column, and there is one row per day;
- each breakdown (age band, sex, platform, channel) partitions the children of each stage;
- stage counts never increase along the chain contacted >= engaged >= ... >= coercion_or_meeting,
  in total, day by day and within every breakdown group;
- the counts agree with the relationships table (no child counted in a stage no relationship of
  theirs reached; every offence has a relationship behind it).

All checks are exact (integer counts); they run on the shared small worlds of several seeds.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from helpers import SEEDS, make_cfg, tiny

from sim.config import AGE_BANDS, CHANNELS, STAGES
from sim.results import summary_json, timeseries_csv

BREAKDOWNS = ("by_age_band", "by_sex", "by_platform", "by_channel")


def read_outputs(model):
    """(columns, int array [days, columns], summary dict) from the result files' text."""
    rows = list(csv.reader(io.StringIO(timeseries_csv(model))))
    cols = rows[0]
    data = np.array([[int(x) for x in r] for r in rows[1:]], np.int64).reshape(-1, len(cols))
    return cols, data, json.loads(summary_json(model))


def chain(d: dict) -> list[int]:
    return [d[s] for s in STAGES]


def non_increasing(v) -> bool:
    return all(a >= b for a, b in zip(v, v[1:]))


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def run(request, seed_runs):
    return seed_runs[request.param]


def test_one_row_per_day(run):
    cols, data, summary = read_outputs(run)
    assert cols[0] == "day"
    assert data[:, 0].tolist() == list(range(1, run.day + 1))
    assert summary["days"] == run.day == data.shape[0]


def test_summary_totals_are_sums_of_the_time_series(run):
    cols, data, summary = read_outputs(run)
    col_sum = dict(zip(cols[1:], data[:, 1:].sum(axis=0).tolist()))
    for s in STAGES:
        assert summary[f"children_{s}"] == col_sum[f"new_children_{s}"], s
    shared = set(summary) & set(col_sum)
    # the totals a user reads in the summary are all there, each equal to its column's sum
    for key in (
        "offences",
        "recorded_offences",
        "offenders_banned",
        "bans",
        "offender_returns",
        "reports",
        "blocks",
        "contacts",
        "ties_created_by_suggestion",
    ):
        assert key in shared, key
    for key in sorted(shared):
        assert summary[key] == col_sum[key], key
    assert summary["ties_created_by_suggestion"] >= summary["ties_created_benign_by_suggestion"]


def test_breakdowns_partition_the_children_of_each_stage(run):
    _, _, summary = read_outputs(run)
    assert tuple(summary["by_age_band"]) == AGE_BANDS
    assert set(summary["by_sex"]) == {"girls", "boys"}
    assert tuple(summary["by_platform"]) == tuple(run.platform_names)
    assert tuple(summary["by_channel"]) == CHANNELS
    for br in BREAKDOWNS:
        for s in STAGES:
            total = sum(group[s] for group in summary[br].values())
            assert total == summary[f"children_{s}"], (br, s)
    assert sum(summary["population_by_age_band"].values()) == summary["children_in_window"]
    # the world actually exercised the breakdowns
    assert summary["children_sexual_communication"] > 0


def test_stage_counts_never_increase_along_the_chain(run):
    cols, data, summary = read_outputs(run)
    assert non_increasing(chain({s: summary[f"children_{s}"] for s in STAGES}))
    # ... and on every day of the cumulative series
    cum = np.cumsum(data[:, [cols.index(f"new_children_{s}") for s in STAGES]], axis=0)
    assert (np.diff(cum, axis=1) <= 0).all()
    assert summary["children_contacted"] > summary["children_coercion_or_meeting"]


@pytest.mark.parametrize("breakdown", ["by_age_band", "by_sex"])
def test_stage_counts_never_increase_within_child_groups(run, breakdown):
    for group, counts in run.summary()[breakdown].items():
        assert non_increasing(chain(counts)), (group, counts)


def test_stage_counts_never_increase_within_platform_groups(seed_runs):
    bad = {
        (seed, name): chain(counts)
        for seed, m in seed_runs.items()
        for name, counts in m.summary()["by_platform"].items()
        if not non_increasing(chain(counts))
    }
    assert bad == {}


def test_stage_counts_never_increase_within_channel_groups():
    """A child declines a search contact on day 1, then accepts a game-chat contact on day 3.

    This is how the kernels record it (``resolve_contacts`` writes a child's first day, platform
    and channel of a stage only once); the channel breakdown then shows one child engaged through
    ``gaming`` that was never contacted through it.
    """
    from sim.categories import Channel, Stage
    from sim.model import GroomingModel

    m = GroomingModel(make_cfg(tiny("days=3")))
    c = 0
    m.child_first_day[c, Stage.CONTACTED] = 1
    m.first_reach.chan[c, Stage.CONTACTED] = Channel.SEARCH
    m.first_reach.plat[c, Stage.CONTACTED] = 0
    m.child_first_day[c, Stage.ENGAGED] = 3
    m.first_reach.chan[c, Stage.ENGAGED] = Channel.GAMING
    m.first_reach.plat[c, Stage.ENGAGED] = 0
    by_channel = m.summary()["by_channel"]
    bad = {ch: chain(v) for ch, v in by_channel.items() if not non_increasing(chain(v))}
    assert bad == {}


def test_counts_agree_with_the_relationships_table(run):
    """No child is counted in a stage that none of their relationships reached, and back."""
    summary = run.summary()
    rel = run.relationships()
    nc = run.pop.n_children
    assert (rel["child"] < nc).all()
    furthest = rel.groupby("child")["stage"].max()
    for i, s in enumerate(STAGES, start=1):
        assert summary[f"children_{s}"] == int((furthest >= i).sum()), s
    assert summary["contacts"] == len(rel)
    # every offence (sexual communication) has a relationship that reached that stage
    assert summary["offences"] == int((rel["offence"] >= 0).sum())
    assert ((rel["offence"] < 0) | (rel["stage"] >= STAGES.index("sexual_communication") + 1)).all()
    assert summary["recorded_offences"] == int((rel["recorded"] >= 0).sum())
    assert (rel.loc[rel["recorded"] >= 0, "offence"] >= 0).all()  # only offences get recorded
    # each report by a child ends that relationship as 'reported'
    assert summary["reports"] == int((rel["exit_name"] == "reported").sum())


def test_declined_contacts_match_declined_relationships(seed_runs):
    """``contacts_declined`` = relationships that ended at first contact (never engaged)."""
    got = {}
    for seed, m in seed_runs.items():
        rel = m.relationships()
        declined = int((rel["stage"] == STAGES.index("contacted") + 1).sum())
        got[seed] = (m.metrics.totals()["contacts_declined"], declined)
    assert all(a == b for a, b in got.values()), got


def test_datacollector_series_equal_the_time_series(run):
    from sim.metrics import Metrics

    cols, data, _ = read_outputs(run)
    df = run.datacollector.get_model_vars_dataframe()
    assert len(df) == run.day
    for name in Metrics.DATACOLLECTOR_SERIES:
        assert df[name].tolist() == data[:, cols.index(name)].tolist(), name
