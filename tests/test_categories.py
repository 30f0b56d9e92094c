"""The one table of categories (``sim.categories``): every name and code round-trips, and every
place that lists a category's names (outputs, config choices, YAML comments) uses that table.

Guards the contract between kernels (small integers) and outputs and configs (names): a member
renamed or renumbered in one place and not another would silently mislabel results.
"""

from __future__ import annotations

from enum import IntEnum

import pytest
import yaml
from helpers import make_cfg, tiny

from sim import categories as C
from sim.config import CONF_DIR, PlatformConfig
from sim.fields import allowed_of
from sim.interventions import NoSuggestionsForMinorsSettings
from sim.outreach import ContactSettings

ENUMS = [v for v in vars(C).values() if isinstance(v, type) and issubclass(v, IntEnum) and v is not IntEnum]


def test_every_category_is_listed():
    names = {e.__name__ for e in ENUMS}
    assert {"Role", "Stage", "Exit", "Channel", "Route", "Rule", "Strategy", "Proposal", "Source"} <= names


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_names_and_codes_round_trip(enum):
    codes = [m.value for m in enum]
    assert codes == list(range(len(codes))), "codes are 0..n-1 in order (kernels index arrays by them)"
    for m in enum:
        name = m.name.lower()
        assert C.member(enum, name) is m
        assert enum(m.value) is m
        assert C.names(enum)[m.value] == name
    assert len(set(C.names(enum))) == len(enum)


def test_output_names_come_from_the_table():
    assert C.STAGES == (
        "contacted",
        "engaged",
        "trust",
        "isolation",
        "sexual_communication",
        "image",
        "coercion_or_meeting",
    )
    assert C.STAGES[C.Stage.SEXUAL_COMMUNICATION - 1] == "sexual_communication"
    assert C.CHANNELS[C.Channel.CONNECTIONS] == "connections"
    assert C.EXITS[C.Exit.ACTIVE] == "active" and C.EXITS[C.Exit.BANNED] == "banned"
    # each outreach route records the channel of the same name
    for route, chan in zip(C.Route, C.ROUTE_CHANNEL, strict=True):
        assert route.name == chan.name


def test_config_choices_are_the_table():
    assert allowed_of(PlatformConfig, "suggestion_rule").choices == C.RULES
    assert allowed_of(NoSuggestionsForMinorsSettings, "mode").choices == C.SUGGESTION_MODES
    assert allowed_of(ContactSettings, "channel_weights_scattergun").length == len(C.Route)
    assert "(" + ", ".join(C.ROUTES) + ")" in allowed_of(ContactSettings, "channel_weights_targeted").text


def test_yaml_documents_the_routes_in_table_order():
    text = (CONF_DIR / "grooming" / "default.yaml").read_text()
    assert "[" + ", ".join(C.ROUTES) + "]" in text
    weights = yaml.safe_load(text)["channel_weights_scattergun"]
    assert len(weights) == len(C.Route)


def test_outputs_use_the_names():
    """summary.json and the relationships table name every category from the table."""
    cfg = make_cfg(tiny("offenders.per_1000_children=100", "days=15"))
    from sim.model import GroomingModel

    m = GroomingModel(cfg).run(progress=False)
    s = m.summary()
    assert list(s["by_channel"]) == list(C.CHANNELS)
    assert all(list(v) == list(C.STAGES) for v in s["by_age_band"].values())
    rel = m.relationships()
    assert len(rel) > 0
    assert set(rel["exit_name"]) <= set(C.EXITS)
    assert all(C.EXITS[code] == name for code, name in zip(rel["exit"], rel["exit_name"], strict=True))
    assert all(C.CHANNELS[code] == name for code, name in zip(rel["chan"], rel["channel_name"], strict=True))
