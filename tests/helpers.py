"""Shared test helpers: small worlds and a fast config builder.

Import from here (``from helpers import small, run_model``), not from ``conftest``: conftest holds
only pytest fixtures and hooks.
"""

from __future__ import annotations

SMALL = [
    "population.n_children=600",
    "population.n_adults=1200",
    "offenders.per_1000_children=40",
    "days=30",
    "burn_in_days=0",
    "progress=off",
]

#: A world small enough for the pure-Python backend (about a second per run).
TINY = [
    "population.n_children=300",
    "population.n_adults=600",
    "offenders.per_1000_children=40",
    "days=20",
    "burn_in_days=0",
    "progress=off",
]

#: Seeds of the shared multi-seed runs (``seed_runs``).
SEEDS = (1, 2, 3)


def small(*extra: str) -> list[str]:
    """Overrides for a small world, plus ``extra``."""
    return [*SMALL, *extra]


def tiny(*extra: str) -> list[str]:
    """Overrides for a tiny world (pure-Python backend friendly), plus ``extra``."""
    return [*TINY, *extra]


_BASE_CFG = None


def make_cfg(overrides: list[str]):
    """The config ``load_config(overrides)`` would give, without composing it again.

    Hydra composition takes about half a second; the tests need dozens of configs, so the
    defaults are composed once and each override is parsed by Hydra's own override parser and
    applied to a copy (same types, same closed structure; tests/test_config.py checks that the
    result equals ``load_config``). The result is validated like ``load_config``'s.
    """
    global _BASE_CFG
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    from sim.config import load_config, validate

    if _BASE_CFG is None:
        _BASE_CFG = load_config()
    cfg = _BASE_CFG.copy()
    for o in OverridesParser.create().parse_overrides(list(overrides)):
        OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True)
    validate(cfg)
    return cfg


def run_model(overrides: list[str]):
    """Build and run a model with ``overrides``; return the finished model."""
    from sim.model import GroomingModel

    return GroomingModel(make_cfg(overrides)).run(progress=False)
