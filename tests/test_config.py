"""Configuration: the defaults load and validate; bad values and unknown keys fail early.

Guards ``sim.config.load_config`` / ``validate``: an out-of-range value raises
:class:`sim.config.ConfigError` naming the key (so a user can fix it), an unknown key or a value
of the wrong type is refused by Hydra when the config is composed, before anything runs.
"""

from __future__ import annotations

import re

import pytest
from helpers import make_cfg
from omegaconf import OmegaConf
from omegaconf.errors import ConfigAttributeError

from sim.config import (
    AGE_BANDS,
    BACKENDS,
    CHANNELS,
    RULES,
    STAGES,
    ConfigError,
    load_config,
    validate,
)


@pytest.fixture(scope="module")
def default_cfg():
    return load_config()


def test_defaults_load_and_validate(default_cfg):
    cfg = default_cfg
    validate(cfg)  # idempotent: a loaded config is already valid
    assert cfg.seed == 42
    assert cfg.days >= 1
    assert cfg.backend in BACKENDS
    assert 1 <= len(cfg.platforms) <= 8
    for name, pl in cfg.platforms.items():
        assert pl.suggestion_rule in RULES, name
    assert len(STAGES) == 7 and STAGES[0] == "contacted" and STAGES[-1] == "coercion_or_meeting"
    assert AGE_BANDS == ("8-11", "12-13", "14-15", "16-17")
    assert len(set(CHANNELS)) == len(CHANNELS)


def test_overrides_are_applied(default_cfg):
    cfg = load_config(
        ["seed=7", "days=12", "population.n_children=123", "platforms.gaming.suggestion_rule=jaccard"]
    )
    assert (cfg.seed, cfg.days, cfg.population.n_children) == (7, 12, 123)
    assert cfg.platforms.gaming.suggestion_rule == "jaccard"
    # everything not overridden keeps its default
    assert cfg.population.n_adults == default_cfg.population.n_adults


def test_loaded_config_is_closed(default_cfg):
    """The loaded config is a closed structure: a typo in code cannot add a key silently."""
    with pytest.raises(ConfigAttributeError):
        default_cfg.population.n_kids = 3
    assert "hydra" not in default_cfg


@pytest.mark.parametrize(
    "override, key",
    [  # the examples of the issue, through the full Hydra composition
        ("offenders.per_1000_children=1500", "offenders.per_1000_children"),
        ("days=0", "days"),
        ("backend=gpu", "backend"),
        ("platforms.gaming.suggestion_rule=katz", "platforms.gaming.suggestion_rule"),
    ],
)
def test_load_config_rejects_out_of_range_value_naming_the_key(override, key):
    with pytest.raises(ConfigError) as info:
        load_config([override])
    assert info.value.key == key
    msg = str(info.value)
    assert key in msg
    assert override.split("=", 1)[1] in msg  # the offending value is shown


@pytest.mark.parametrize(
    "override, key",
    [
        ("population.share_girls=-0.1", "population.share_girls"),
        ("days=20001", "days"),
        ("threads=0", "threads"),
        ("seed=-1", "seed"),
        ("progress=sometimes", "progress"),
        ("platforms.social.review_accuracy=1.2", "platforms.social.review_accuracy"),
        ("platforms.social.suggestions_per_day=101", "platforms.social.suggestions_per_day"),
        ("population.n_children=0", "population.n_children"),
        ("population.class_size=1000", "population.class_size"),
        ("population.literacy_by_age=[0.1,0.2]", "population.literacy_by_age"),
        ("network.tie_on_platform=2", "network.tie_on_platform"),
        ("grooming.accept_stranger=1.01", "grooming.accept_stranger"),
        ("grooming.return_delay_days=-1", "grooming.return_delay_days"),
    ],
)
def test_validate_rejects_out_of_range_value_naming_the_key(override, key):
    with pytest.raises(ConfigError) as info:
        make_cfg([override])  # the default config with the override applied, then validate()
    assert info.value.key == key
    msg = str(info.value)
    assert key in msg
    assert override.split("=", 1)[1].strip("[]").split(",")[0] in msg


def test_make_cfg_helper_equals_load_config():
    """The tests' fast config helper (helpers.make_cfg) gives exactly load_config's result."""
    ov = [
        "seed=5",
        "progress=off",
        "offenders.per_1000_children=40",
        "platforms.gaming.suggestion_rule=jaccard",
        "population.literacy_by_age=[0.1,0.2,0.3,0.4,0.5,0.5,0.5,0.5,0.5,0.6]",
    ]
    assert OmegaConf.to_yaml(make_cfg(ov)) == OmegaConf.to_yaml(load_config(ov))


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        make_cfg(["days=0"])


def test_validate_checks_a_modified_config(default_cfg):
    """validate() is what GroomingModel(cfg) runs on a config built in code."""
    cfg = default_cfg.copy()
    cfg.population.share_girls = 1.5
    with pytest.raises(ConfigError, match="population.share_girls"):
        validate(cfg)


@pytest.mark.parametrize(
    "override",
    [
        "population.n_kids=3",  # unknown key in a group
        "platforms.gaming.colour=red",  # unknown key of a platform
        "days=abc",  # wrong type
    ],
)
def test_unknown_key_or_wrong_type_fails_at_compose_time(override):
    # the override check refuses it before composing, naming the key
    with pytest.raises(ConfigError, match=re.escape(override.split("=")[0])):
        load_config([override])
