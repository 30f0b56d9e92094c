"""Adaptive outreach (offenders.adaptation): displacement between platforms, and 0 = fixed weights."""

from __future__ import annotations

import pytest

OTHERS = ("ephemeral", "messenger", "gaming")
SEEDS = (1, 2, 3)
#: A world where the offenders' options stay open and the two arms keep the same offenders: no
#: reports (so no review-driven bans) and no arrests. At the defaults offenders spend 50-64% of
#: their account-days on a platform with an outreach route banned, and arrests (which follow
#: offences) differ between the arms, which hides the allocation
#: (experiments/displacement/README.md); this isolates it.
WORLD = [
    "population.n_children=3000",
    "population.n_adults=6000",
    "days=365",
    "burn_in_days=0",
    "progress=off",
    "mesa_agents=off",
    "grooming.report_unwanted=0",
    "grooming.daily_report=0",
    "grooming.sexual_request_report=0",
    "offenders.arrest_given_recorded=0",
]


def _others(scenario: str, adaptation: str, seed: int) -> dict[str, int]:
    """On the other platforms: children first contacted there, outreach attempts made there, and
    attempts that reached a child there."""
    from sim.model import GroomingModel

    ov = [*WORLD, f"scenario={scenario}", f"seed={seed}", f"offenders.adaptation={adaptation}"]
    s = GroomingModel(overrides=ov).run(progress=False).summary()
    return {
        "first": sum(s["by_platform"][p]["contacted"] for p in OTHERS),
        "attempts": sum(s["outreach_attempts_by_platform"][p] for p in OTHERS),
        "reaching": sum(s["outreach_reaching_by_platform"][p] for p in OTHERS),
    }


@pytest.fixture(scope="module")
def changes() -> dict[str, list[tuple[dict, dict]]]:
    """(baseline, protected) per seed, for the default learner (0.1) and fixed weights (0)."""
    return {
        ad: [(_others("baseline_2019", ad, s), _others("two_platforms_protected", ad, s)) for s in SEEDS]
        for ad in ("0.1", "0")
    }


def _rise(pairs: list[tuple[dict, dict]], key: str) -> tuple[int, int]:
    """Summed change protected - baseline over the seeds, and the summed baseline."""
    return sum(p[key] - b[key] for b, p in pairs), sum(b[key] for b, _ in pairs)


@pytest.mark.slow
def test_fixed_weights_do_not_move_effort_to_the_open_platforms(changes):
    """Paired seeds 1-3, 3,000 children, 365 days, no reports or arrests: with
    ``offenders.adaptation=0`` protecting photo_social and social leaves the outreach attempts on
    the other platforms exactly as they were (each attempt's platform is a keyed draw among the
    offender's accounts, whatever the children there do), and those reaching a child within 1%.
    Children first contacted there rise a little (measured +47, +57, +83 of 474-747): a child no
    longer reached first on a protected platform is still reached first elsewhere, a relabelling;
    asserted below 15% of the baseline (measured 10-11%)."""
    for b, p in changes["0"]:
        assert p["attempts"] == b["attempts"], (b, p)
        assert abs(p["reaching"] - b["reaching"]) <= 0.01 * b["reaching"], (b, p)
    rise, base = _rise(changes["0"], "first")
    assert 0 <= rise <= 0.15 * base, (rise, base)


@pytest.mark.slow
def test_adaptive_offenders_move_effort_and_first_contacts_to_the_open_platforms(changes):
    """Same world and seeds, default learner (``offenders.adaptation=0.1``): protecting two
    platforms moves outreach attempts to the other platforms (measured +14.7% summed over the
    seeds; asserted >= 8%) and raises the number of children first contacted there well beyond
    the relabelling of fixed weights (measured +497 against +187, 2.7x; asserted >= 2x summed, and
    more than fixed weights in every seed). Deterministic (fixed seeds)."""
    att, att_base = _rise(changes["0.1"], "attempts")
    assert att >= 0.08 * att_base, (att, att_base)
    rise_a, _ = _rise(changes["0.1"], "first")
    rise_0, _ = _rise(changes["0"], "first")
    assert rise_a >= 2 * rise_0 > 0, (rise_a, rise_0)
    for (ba, pa), (b0, p0) in zip(changes["0.1"], changes["0"]):
        assert pa["first"] - ba["first"] > p0["first"] - b0["first"], (ba, pa, b0, p0)


def test_a_route_the_strategy_never_uses_does_not_set_the_scale():
    """Option weights (docs/ODD.md 7.3): the best estimate among the routes the offender uses sets
    the scale. A scattergun offender never uses connection lists (weight 0); their untried
    estimate of 1.0 must not squash the others: search yielding 0.05 on one platform and 0.15 on
    another gets weights in the ratio (0.2 + 0.8/3) : 1 at an exploration floor of 0.2."""
    import numpy as np

    from sim.backend import kernels
    from sim.categories import Route

    K = kernels("python")
    cw = np.array([[0.4, 0.1, 0.2, 0.3, 0.0]])
    n_plat = 2
    acct = np.ones((1, n_plat), bool)
    banned = np.zeros((1, n_plat), bool)
    features = np.zeros((n_plat, len(Route)), bool)
    features[:, Route.SEARCH] = features[:, Route.CONNECTIONS] = True
    y = np.ones((n_plat, len(Route)))
    y[0, Route.SEARCH], y[1, Route.SEARCH] = 0.05, 0.15
    picks = np.zeros(n_plat)
    with np.errstate(over="ignore"):
        for a in range(4000):
            p, ch = K._allocation(1, 1, 0, a, 0, cw, acct, banned, features, y, 0.2)
            assert ch == Route.SEARCH  # never the zero-weight route
            picks[p] += 1
    expected = (0.2 + 0.8 / 3) / 1.0  # 0.467; with the untried 1.0 as the scale it would be 0.75
    # 4,000 keyed draws: the ratio's sampling s.d. is about 0.02; 0.06 is three of them
    assert abs(picks[0] / picks[1] - expected) < 0.06, picks
