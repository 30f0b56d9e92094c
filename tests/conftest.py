"""Pytest fixtures shared by the test files (helpers live in tests/helpers.py)."""

from __future__ import annotations

import os

import pytest
from helpers import SEEDS, run_model, small

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def small_run():
    """One finished small model (shared by read-only tests)."""
    from sim.model import GroomingModel

    return GroomingModel(overrides=small()).run(progress=False)


@pytest.fixture(scope="session")
def seed_runs():
    """Finished small models for each seed in ``SEEDS`` (shared, read-only)."""
    return {seed: run_model(small(f"seed={seed}")) for seed in SEEDS}
