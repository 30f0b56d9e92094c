"""Properties that hold for every config: checked on random small worlds with Hypothesis.

Each example is a random world (n_children 50-400, n_adults 100-800, offenders 0-100 per 1,000 children,
days 1-25, any seed, a random scenario from conf/scenario/, random probabilities for a few
behaviour keys and review settings that make bans and wrongful bans happen within 25 days).
The model is run once per example and these invariants are checked:

1. stage counts never increase along the chain, overall and in every breakdown;
2. no child is counted in a stage it never reached: ``model.child_first_day`` agrees with
   ``model.relationships()`` (a child first reaching stage s has a relationship at stage >= s, and
   every relationship's stages are recorded for its child; first days are ordered along the chain
   and the first contact day is the earliest relationship start);
3. every counted offence has an offender-child relationship behind it (``offences`` = number of
   relationships with an offence day, each with a real offender and child at stage >= sexual
   communication; ``recorded_offences`` = relationships with a record day, all among them);
4. bans hit offenders only, except the ones counted as false positives (banned accounts of
   non-offenders = ``benign_accounts_banned``), and only accounts that exist;
5. totals in summary.json equal the column sums of timeseries.csv and of each breakdown.

Differential tests: the pure-Python backend and the Numba backend give byte-identical
timeseries.csv and summary.json on random tiny worlds; so do 1 and 2 Numba threads.

Settings: few examples, ``derandomize=True`` (the same examples on every run: deterministic, no
example database), no deadline. The whole file takes well under a minute.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sim.categories import Role, Stage
from sim.config import AGE_BANDS, CONF_DIR, STAGES, validate
from sim.results import summary_json, timeseries_csv

pytestmark = pytest.mark.slow  # random worlds drawn by Hypothesis, on both backends

SCENARIOS = sorted(p.stem for p in (CONF_DIR / "scenario").glob("*.yaml"))
PLATFORMS = list(yaml.safe_load((CONF_DIR / "platforms" / "default.yaml").read_text()))
RULES = ("common_neighbors", "jaccard", "adamic_adar", "preferential_attachment")

PROPERTY_EXAMPLES = 30
BACKEND_EXAMPLES = 6
THREAD_EXAMPLES = 6

FAST = settings(
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_BASES: dict[str, object] = {}


def scenario_cfg(scenario: str, overrides: list[str]):
    """``load_config([f"scenario={scenario}", *overrides])`` without composing every time.

    The scenario's config is composed once with Hydra; each override is then parsed by Hydra's
    own override parser and applied to a copy (as tests/helpers.py ``make_cfg`` does for the
    default scenario), and the result is validated.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.config import load_config

    if scenario not in _BASES:
        _BASES[scenario] = load_config([f"scenario={scenario}"])
    cfg = _BASES[scenario].copy()
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True)
    validate(cfg)
    return cfg


def run(scenario: str, overrides: list[str]):
    from sim.model import GroomingModel

    return GroomingModel(scenario_cfg(scenario, overrides)).run(progress=False)


def prob(lo: int = 0, hi: int = 100):
    """A probability with two decimals (exact in the override text and in the YAML)."""
    return st.integers(lo, hi).map(lambda k: f"{k / 100:.2f}")


@st.composite
def worlds(draw, n_children=(50, 400), n_adults=(100, 800), days=(1, 25)):
    """(scenario, overrides) of a random small world."""
    scenario = draw(st.sampled_from(SCENARIOS))
    ov = [
        f"seed={draw(st.integers(0, 2**40))}",
        f"population.n_children={draw(st.integers(*n_children))}",
        f"burn_in_days={draw(st.sampled_from([0, 0, 3, 12]))}",
        f"population.n_adults={draw(st.integers(*n_adults))}",
        f"offenders.per_1000_children={draw(st.integers(0, 1000)) / 10:.1f}",
        f"days={draw(st.integers(*days))}",
        "progress=off",
    ]
    for key in (
        "accept_stranger",
        "block_unwanted",
        "report_unwanted",
        "offender_interaction",
        "advance_from_engaged",
        "advance_from_trust",
        "jump",
        "daily_report",
    ):
        if draw(st.booleans()):
            ov.append(f"grooming.{key}={draw(prob())}")
    # reviews fast and plentiful enough for bans (and wrongful bans) to happen within 25 days
    cap = draw(st.sampled_from((5, 500, 5000)))
    false_ban = draw(prob(0, 50))
    for p in PLATFORMS:
        ov += [
            f"platforms.{p}.review_capacity_per_100k={cap}",
            f"platforms.{p}.review_false_ban={false_ban}",
            f"platforms.{p}.review_delay_days={draw(st.integers(0, 2))}",
        ]
    if draw(st.booleans()):  # detector false positives put benign accounts in review
        ov += [
            "interventions.ai_detection.enabled=true",
            f"interventions.ai_detection.false_positive_rate={draw(prob(0, 5))}",
        ]
    return scenario, ov


# ------------------------------------------------------------------------------------------
# The invariants
# ------------------------------------------------------------------------------------------


def check_stage_chain(s: dict) -> None:
    counts = [s[f"children_{st_}"] for st_ in STAGES]
    assert counts == sorted(counts, reverse=True), counts
    for bd in ("by_age_band", "by_sex", "by_platform", "by_channel"):
        for group, row in s[bd].items():
            c = [row[st_] for st_ in STAGES]
            assert c == sorted(c, reverse=True), (bd, group, c)


def check_first_days_match_relationships(model) -> None:
    rel = model.relationships()
    first = model.child_first_day  # [child, stage] (stage 1..7; column 0 unused)
    nc = model.pop.n_children
    assert first.shape == (nc, len(STAGES) + 1)
    reached = first[:, 1:] >= 0
    # first days are absolute days of the measured window (after the burn-in)
    w0, w1 = model.burn_in + 1, model.t
    assert ((first[:, 1:][reached] >= w0) & (first[:, 1:][reached] <= w1)).all()
    # furthest stage of each child over its relationships (0 = never contacted)
    best = np.zeros(nc, np.int64)
    np.maximum.at(best, rel["child"].to_numpy(np.int64), rel["stage"].to_numpy(np.int64))
    stage_idx = np.arange(1, len(STAGES) + 1)
    # reached stage s in the window => some relationship of the child is at stage >= s; without a
    # burn-in also the converse (with one, a relationship may have got there before the window)
    assert not (reached & ~(best[:, None] >= stage_idx[None, :])).any()
    if model.burn_in == 0:
        assert np.array_equal(reached, best[:, None] >= stage_idx[None, :])
    # first days never decrease along the chain
    for s in range(1, len(STAGES)):
        both = reached[:, s - 1] & reached[:, s]
        assert (first[both, s + 1] >= first[both, s]).all(), STAGES[s]
    # first contact = the earliest start of the child's relationships
    if len(rel) and model.burn_in == 0:
        earliest = rel.groupby("child")["start"].min()
        assert np.array_equal(first[earliest.index.to_numpy(), 1], earliest.to_numpy())
        assert (rel["start"] >= 1).all() and (rel["start"] <= model.day).all()


def check_offences_have_relationships(model, s: dict) -> None:
    rel = model.relationships()
    pop = model.pop
    # every relationship joins a child and an offender
    assert (rel["child"] < pop.n_children).all() and (rel["child"] >= 0).all()
    assert (pop.role[rel["off"].to_numpy()] == Role.OFFENDER).all()
    # offences of the window (days >= 1 of the window; burn-in days are <= 0)
    has_off = rel["offence"].notna()
    off = rel[has_off & (rel["offence"].fillna(0) >= 1)]
    assert s["offences"] == len(off)
    assert (off["stage"] >= Stage.SEXUAL_COMMUNICATION).all()
    assert ((off["offence"] >= off["start"]) & (off["offence"] <= model.day)).all()
    rec = rel[rel["recorded"].notna() & (rel["recorded"].fillna(0) >= 1)]
    assert s["recorded_offences"] == len(rec)
    assert rec["offence"].notna().all() and (rec["recorded"] >= rec["offence"]).all()
    # relationships at or past sexual communication all carry their offence
    assert ((rel["stage"] >= Stage.SEXUAL_COMMUNICATION) == has_off).all()
    assert sum(s["offences_by_platform"].values()) == s["offences"]


def check_bans(model, s: dict) -> None:
    pop = model.pop
    benign = pop.role != Role.OFFENDER
    # every wrongful ban is still on its account, unless the account closed when its child left
    # at 18 (a leaver closes at most one account per platform)
    still = int(pop.banned_acct[benign].sum())
    assert still <= s["benign_accounts_banned"] <= still + len(pop.platform_names) * s["children_left"]
    if s["children_left"] == 0:
        assert still == s["benign_accounts_banned"]
    assert not (pop.banned_acct & ~pop.acct).any(), "a ban on an account that does not exist"
    assert s["offenders_banned"] <= s["bans"]
    assert s["offenders_banned"] <= pop.n_offenders


def check_totals(model, s: dict) -> None:
    rows = list(csv.reader(io.StringIO(timeseries_csv(model))))
    cols = rows[0]
    data = np.array(rows[1:], dtype=np.int64).reshape(len(rows) - 1, len(cols))
    assert data[:, 0].tolist() == list(range(1, model.day + 1))
    tot = dict(zip(cols, data.sum(axis=0).tolist()))
    for st_ in STAGES:
        assert s[f"children_{st_}"] == tot[f"new_children_{st_}"], st_
        for bd in ("by_age_band", "by_sex", "by_platform", "by_channel"):
            assert sum(row[st_] for row in s[bd].values()) == s[f"children_{st_}"], (bd, st_)
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
        "ties_created_benign_by_suggestion",
        "ties_created_by_offender_contact",
        "ties_created_organic",
        "platform_moves",
        "reviews",
        "false_positive_flags",
        "benign_accounts_banned",
        "benign_interactions",
    ):
        assert s[key] == tot[key], key
    assert s["benign_interactions"] == sum(tot[f"benign_interactions_{p}"] for p in model.platform_names)
    assert sum(s["population_by_age_band"].values()) == s["children_in_window"]
    assert tuple(s["population_by_age_band"]) == AGE_BANDS
    # summary.json is this very dict
    assert json.loads(summary_json(model)) == s


def rich(scenario: str, n_children: int, n_adults: int, days: int, seed: int) -> tuple:
    """An explicit example where everything happens (contacts, offences, bans, wrongful bans)."""
    ov = [
        f"seed={seed}",
        f"population.n_children={n_children}",
        f"population.n_adults={n_adults}",
        "offenders.per_1000_children=100",
        f"days={days}",
        "burn_in_days=3",
        "progress=off",
        "grooming.accept_stranger=0.6",
        "grooming.daily_report=0.2",
        "interventions.ai_detection.enabled=true",
        "interventions.ai_detection.false_positive_rate=0.05",
    ]
    for p in PLATFORMS:
        ov += [
            f"platforms.{p}.review_capacity_per_100k=5000",
            f"platforms.{p}.review_false_ban=0.5",
            f"platforms.{p}.review_delay_days=0",
        ]
    return scenario, ov


#: Explicit examples run before the random ones (Hypothesis favours small, boundary values).
RICH = [rich("baseline_2019", 400, 800, 25, 3), rich("nspcc_package", 400, 800, 25, 5)]
RICH_TINY = rich("baseline_2019", 150, 300, 8, 5)

PROPERTIES = (
    check_stage_chain,
    check_first_days_match_relationships,
    check_offences_have_relationships,
    check_bans,
    check_totals,
)


@settings(FAST, max_examples=PROPERTY_EXAMPLES)
@given(worlds())
@example(RICH[0])
@example(RICH[1])
def test_invariants_hold_on_random_small_worlds(world):
    scenario, ov = world
    model = run(scenario, ov)
    s = model.summary()
    check_stage_chain(s)
    check_first_days_match_relationships(model)
    check_offences_have_relationships(model, s)
    check_bans(model, s)
    check_totals(model, s)


@pytest.mark.parametrize("world", RICH, ids=lambda w: w[0])
def test_explicit_examples_exercise_every_invariant(world):
    """The explicit examples the property test starts from are busy: contacts, offences, bans and
    wrongful bans all happen, so the invariants are checked on real events (a positive control
    that does not depend on which random worlds Hypothesis drew, nor on other tests)."""
    scenario, ov = world
    s = run(scenario, ov).summary()
    assert s["children_contacted"] >= 5 and s["offences"] >= 3, s
    assert s["bans"] >= 2 and s["benign_accounts_banned"] >= 2, s


# ------------------------------------------------------------------------------------------
# Differential: backends and thread counts
# ------------------------------------------------------------------------------------------


def outputs(model) -> tuple[str, str]:
    return timeseries_csv(model), summary_json(model)


@st.composite
def tiny_worlds(draw):
    scenario, ov = draw(worlds(n_children=(60, 150), n_adults=(100, 300), days=(1, 8)))
    ov.append(f"platforms.{draw(st.sampled_from(PLATFORMS))}.suggestion_rule={draw(st.sampled_from(RULES))}")
    return scenario, ov


@settings(FAST, max_examples=BACKEND_EXAMPLES)
@given(tiny_worlds())
@example(RICH_TINY)
def test_python_and_numba_backends_byte_identical(world):
    scenario, ov = world
    nb = run(scenario, [*ov, "backend=numba"])
    py = run(scenario, [*ov, "backend=python"])
    assert (nb.backend, py.backend) == ("numba", "python")
    assert outputs(py) == outputs(nb)
    assert py.relationships().equals(nb.relationships())


@settings(FAST, max_examples=THREAD_EXAMPLES)
@given(worlds())
@example(RICH[1])
def test_one_and_two_threads_byte_identical(world):
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread on this machine")
    scenario, ov = world
    one = run(scenario, [*ov, "threads=1"])
    two = run(scenario, [*ov, "threads=2"])
    assert (one.threads, two.threads) == (1, 2)
    assert outputs(two) == outputs(one)
