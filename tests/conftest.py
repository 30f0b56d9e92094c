"""Shared fixtures: small worlds that run in well under a second with the Numba backend."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = [
    "population.n_children=600",
    "population.n_adults=1200",
    "population.offender_share=0.02",
    "days=30",
    "progress=off",
]


def small(*extra: str) -> list[str]:
    """Overrides for a small world, plus ``extra``."""
    return [*SMALL, *extra]


@pytest.fixture(scope="session")
def small_run():
    """One finished small model (shared by read-only tests)."""
    from sim.model import GroomingModel

    return GroomingModel(overrides=small()).run(progress=False)
