"""Adaptive outreach (offenders.adaptation): displacement between platforms, and 0 = fixed weights."""

from __future__ import annotations

import pytest

OTHERS = ("ephemeral", "messenger", "gaming")
SEEDS = (1, 2, 3)
WORLD = [
    "population.n_children=2000",
    "population.n_adults=4000",
    "offenders.per_1000_children=30",
    "days=240",
    "burn_in_days=0",
    "progress=off",
    "mesa_agents=off",
]


def _others(scenario: str, adaptation: str) -> tuple[int, int]:
    """Children first contacted, and outreach attempts reaching a child, on the other platforms
    (sums over the seeds)."""
    from sim.model import GroomingModel

    first = effort = 0
    for seed in SEEDS:
        ov = [*WORLD, f"scenario={scenario}", f"seed={seed}", f"offenders.adaptation={adaptation}"]
        s = GroomingModel(overrides=ov).run(progress=False).summary()
        first += sum(s["by_platform"][p]["contacted"] for p in OTHERS)
        effort += sum(s["outreach_reaching_by_platform"][p] for p in OTHERS)
    return first, effort


@pytest.mark.slow
def test_protecting_two_platforms_moves_more_first_contacts_elsewhere_when_offenders_adapt():
    """Paired seeds 1-3, 2,000 children, 30 offenders per 1,000, 240 days, no burn-in; scenario
    two_platforms_protected (photo_social and social protect children) against baseline_2019, with
    fast learners (offenders.adaptation=0.6) against fixed weights (0).

    Children first contacted on the other platforms rise more when offenders adapt than with fixed
    weights (measured +73 against +56; at fixed weights a child who would have been first contacted
    on a protected platform can still be reached first elsewhere, so that count rises without any
    displacement of effort). The margin asserted is 1.15x (measured 1.30x); deterministic (fixed
    seeds).

    What this world does NOT show (measured, and stated in experiments/displacement/README.md):
    offenders' effort on the other platforms (attempts reaching a child there) falls when two
    platforms protect children, with or without adaptation (2,715 -> 2,463 adapting, 1,779 ->
    1,658 fixed), so the done-when of issue 11 ("raises ... with adaptation, not without") is not
    met by the current defaults.
    """
    base_a, prot_a = _others("baseline_2019", "0.6"), _others("two_platforms_protected", "0.6")
    base_0, prot_0 = _others("baseline_2019", "0"), _others("two_platforms_protected", "0")
    assert prot_a[0] - base_a[0] >= 1.15 * (prot_0[0] - base_0[0]) > 0, (base_a, prot_a, base_0, prot_0)
