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


# ---- added for the core test suite ----------------------------------------------------------

#: A world small enough for the pure-Python backend (about a second per run).
TINY = [
    "population.n_children=300",
    "population.n_adults=600",
    "population.offender_share=0.02",
    "days=20",
    "progress=off",
]

#: Seeds of the shared multi-seed runs (``seed_runs``).
SEEDS = (1, 2, 3)


def tiny(*extra: str) -> list[str]:
    """Overrides for a tiny world (pure-Python backend friendly), plus ``extra``."""
    return [*TINY, *extra]


def run_model(overrides: list[str]):
    """Build and run a model with ``overrides``; return the finished model."""
    from sim.model import GroomingModel

    return GroomingModel(overrides=list(overrides)).run(progress=False)


@pytest.fixture(scope="session")
def seed_runs():
    """Finished small models for each seed in ``SEEDS`` (shared, read-only)."""
    return {seed: run_model(small(f"seed={seed}")) for seed in SEEDS}
