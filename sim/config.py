"""Typed configuration: dataclass schemas, range checks and loading.

The schemas are registered in Hydra's ConfigStore as ``schema``; ``conf/config.yaml`` lists it
first in its defaults, so every YAML file and every command-line override is merged onto a
typed, closed structure. A typo in a key or a value of the wrong type therefore fails at
start-up with Hydra's own message. :func:`validate` then checks ranges and cross-field rules
and raises :class:`ConfigError`, which names the key, the value and what is allowed.

Defaults and their sources live in the YAML files under ``conf/`` (one place for each fact);
the dataclass defaults below only mirror them so that the schema is complete on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING, DictConfig, OmegaConf

#: Folder holding the Hydra configuration (top-level ``conf/`` of the project).
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

#: The grooming stages, in order. Index 0 is "no relationship".
STAGES = (
    "contacted",
    "engaged",
    "trust",
    "isolation",
    "sexual_communication",
    "image",
    "coercion_or_meeting",
)

#: How a tie began. Every tie carries one of these.
CHANNELS = (
    "household",
    "school",
    "club",
    "adult_network",
    "suggestion",
    "search",
    "location",
    "livestream",
    "gaming",
    "organic",
    "connections",
)

#: Friend-suggestion rules (see ``sim/suggest.py``).
RULES = ("common_neighbors", "jaccard", "adamic_adar", "preferential_attachment")

BACKENDS = ("numba", "python")
AGE_BANDS = ("8-11", "12-13", "14-15", "16-17")
MAX_PLATFORMS = 8  # platform sets are stored as an 8-bit mask per tie


class ConfigError(ValueError):
    """A configuration value is invalid. The message names key, value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config value {key}={value!r}: {allowed}")


# --------------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------------


@dataclass
class PopulationConfig:
    n_children: int = 10_000
    n_adults: int = 20_000
    offender_share: float = 0.005
    share_girls: float = 0.49
    household_children_mean: float = 1.7
    two_parent_share: float = 0.7
    school_size: int = 600
    class_size: int = 30
    club_size: int = 15
    club_membership: float = 0.5
    schools_per_area: int = 4
    teachers_per_class: float = 1.0
    literacy_by_age: list[float] = field(default_factory=lambda: [0.3] * 10)
    literacy_spread: float = 10.0
    vulnerability_alpha: float = 2.0
    vulnerability_beta: float = 5.0
    searchable_share: float = 0.5
    location_shared_share: float = 0.2
    livestream_share: float = 0.08
    dm_open_share: float = 0.6
    scattergun_share: float = 0.5
    outreach_per_week_median_scattergun: float = 10.0
    outreach_per_week_median_targeted: float = 2.5
    outreach_sigma: float = 1.2
    outreach_per_week_max: float = 500.0
    claims_teen_share: float = 0.2
    target_age_min: int = 11
    target_age_max: int = 15
    out_of_target_weight_targeted: float = 0.1
    out_of_target_weight_scattergun: float = 0.5
    target_girls_share: float = 0.8
    persistence_alpha: float = 2.0
    persistence_beta: float = 2.0
    move_platform_propensity: float = 0.5
    return_after_ban: float = 0.5


@dataclass
class NetworkConfig:
    class_friends_mean: float = 6.0
    year_friends_mean: float = 2.0
    club_friends_mean: float = 3.0
    adult_friends_mean: float = 8.0
    parents_know_each_other: float = 0.1
    tie_on_platform: float = 0.6
    organic_ties_per_1000_per_day: float = 0.5
    interaction_household: float = 0.8
    interaction_school: float = 0.5
    interaction_club: float = 0.3
    interaction_adult: float = 0.2
    interaction_online: float = 0.1
    capacity_slack: float = 0.5


@dataclass
class PlatformConfig:
    child_account_by_age: list[float] = field(default_factory=lambda: [0.5] * 10)
    adult_account: float = 0.5
    offender_account: float = 0.8
    suggestions: bool = True
    suggestion_rule: str = "common_neighbors"
    suggestions_per_day: int = 10
    served_share: float = 0.02
    suggestion_accept: float = 0.05
    age_homophily: float = 0.0
    school_homophily: float = 0.0
    contact_book: float = 0.0
    search: bool = True
    search_hides_known_minors_from_adults: bool = False
    connection_lists: bool = True
    location: bool = False
    livestream: bool = False
    game_chat: bool = False
    encrypted: bool = False
    private_destination: bool = False
    review_capacity_per_100k: float = 5.0
    review_accuracy: float = 0.8
    review_false_ban: float = 0.02
    review_delay_days: int = 1
    age_assurance: float = 0.7


@dataclass
class GroomingConfig:
    accept_stranger: float = 0.30
    attempt_noticed: float = 0.3
    offender_follows_suggested_child: float = 0.5
    accept_claimed_teen_multiplier: float = 1.5
    literacy_accept_effect: float = 0.5
    vulnerability_accept_effect: float = 0.5
    block_unwanted: float = 0.68
    report_unwanted: float = 0.50
    literacy_block_effect: float = 0.3
    offender_interaction: float = 0.8
    advance_from_engaged: float = 0.5
    advance_from_trust: float = 0.35
    advance_from_isolation: float = 0.3
    advance_from_sexual_communication: float = 0.04
    advance_from_image: float = 0.02
    targeted_advance_multiplier: float = 0.6
    scattergun_advance_multiplier: float = 1.3
    vulnerability_advance_effect: float = 1.0
    literacy_advance_effect: float = 0.5
    jump: float = 0.3
    sexual_request_block: float = 0.4
    sexual_request_report: float = 0.3
    channel_weights_scattergun: list[float] = field(default_factory=lambda: [0.4, 0.1, 0.2, 0.3, 0.0])
    channel_weights_targeted: list[float] = field(default_factory=lambda: [0.4, 0.2, 0.1, 0.2, 0.1])
    daily_block: float = 0.02
    daily_report: float = 0.01
    guardian_daily: float = 0.005
    guardian_abandon: float = 0.5
    abandon_daily: float = 0.03
    recontact_after_block: float = 0.5
    recontact_delay_days: int = 7
    tell_anyone: float = 0.44
    tell_leads_to_police: float = 0.1
    report_to_police: float = 0.05
    ban_referral_to_police: float = 0.1
    return_delay_days: int = 14


# --------------------------------------------------------------------------------------------
# Interventions: every one always present (enabled: false by default) so any knob is sweepable.
# Defaults and sources: conf/interventions/default.yaml.
# --------------------------------------------------------------------------------------------

ALL_PLATFORMS = ["photo_social", "social", "ephemeral", "messenger", "gaming"]
SCANNABLE_PLATFORMS = ["photo_social", "social", "ephemeral", "gaming"]
SUGGESTION_MODES = ("disabled", "no_adults", "mutual_threshold")


@dataclass
class AIDetectionConfig:
    enabled: bool = False
    start_day: int = 1
    platforms: list[str] = field(default_factory=lambda: list(SCANNABLE_PLATFORMS))
    sensitivity: float = 0.79
    stage_weights: list[float] = field(default_factory=lambda: [0.25, 0.5, 0.75, 1.0, 1.0, 1.0])
    detection_delay: float = 0.5
    false_positive_rate: float = 1e-4
    review_capacity_multiplier: float = 1.0


@dataclass
class CrossPlatformSharingConfig:
    enabled: bool = False
    start_day: int = 1
    platforms: list[str] = field(default_factory=lambda: list(ALL_PLATFORMS))
    share_probability: float = 0.3
    delay_days: int = 7
    ban_probability: float = 0.5


@dataclass
class NoSuggestionsForMinorsConfig:
    enabled: bool = False
    start_day: int = 1
    platforms: list[str] = field(default_factory=lambda: list(ALL_PLATFORMS))
    mode: str = "disabled"
    mutual_friends: int = 3


@dataclass
class PrivateByDefaultConfig:
    enabled: bool = False
    start_day: int = 1
    platforms: list[str] = field(default_factory=lambda: list(ALL_PLATFORMS))
    adherence: float = 0.97
    unsearchable: bool = True
    dms_from_connections_only: bool = True
    location_hidden: bool = True
    livestream_contacts_only: bool = True
    connection_lists_hidden: bool = True


@dataclass
class DutyOfCareConfig:
    enabled: bool = False
    start_day: int = 1
    platforms: list[str] = field(default_factory=lambda: list(ALL_PLATFORMS))
    review_capacity_multiplier: float = 2.0
    report_handling_speedup: float = 2.0
    detection_multiplier: float = 1.25


@dataclass
class EducationConfig:
    enabled: bool = False
    start_day: int = 1
    coverage_by_age_band: list[float] = field(default_factory=lambda: [0.5, 0.6, 0.6, 0.5])
    block_multiplier: float = 1.3
    report_multiplier: float = 1.5
    accept_multiplier: float = 0.7


@dataclass
class BanEvasionPreventionConfig:
    enabled: bool = False
    start_day: int = 1
    platforms: list[str] = field(default_factory=lambda: list(ALL_PLATFORMS))
    block_probability: float = 0.5


@dataclass
class ParentalGuardianshipConfig:
    enabled: bool = False
    start_day: int = 1
    coverage: float = 0.3
    cue_multiplier: float = 4.0
    abandon_probability: float = 0.5


@dataclass
class InterventionsConfig:
    ai_detection: AIDetectionConfig = field(default_factory=AIDetectionConfig)
    cross_platform_sharing: CrossPlatformSharingConfig = field(default_factory=CrossPlatformSharingConfig)
    no_suggestions_for_minors: NoSuggestionsForMinorsConfig = field(
        default_factory=NoSuggestionsForMinorsConfig)
    private_by_default: PrivateByDefaultConfig = field(default_factory=PrivateByDefaultConfig)
    duty_of_care: DutyOfCareConfig = field(default_factory=DutyOfCareConfig)
    education: EducationConfig = field(default_factory=EducationConfig)
    ban_evasion_prevention: BanEvasionPreventionConfig = field(
        default_factory=BanEvasionPreventionConfig)
    parental_guardianship: ParentalGuardianshipConfig = field(
        default_factory=ParentalGuardianshipConfig)


@dataclass
class ScenarioConfig:
    name: str = "baseline_2019"
    description: str = ""


@dataclass
class Config:
    seed: int = 42
    days: int = 365
    backend: str = "numba"
    threads: int = 1
    progress: str = "auto"
    mesa_agents: str = "auto"
    print_summary: bool = True
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    platforms: dict[str, PlatformConfig] = field(default_factory=dict)
    grooming: GroomingConfig = field(default_factory=GroomingConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    interventions: InterventionsConfig = field(default_factory=InterventionsConfig)


def register_configs() -> None:
    """Register the schema in Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="schema", node=Config)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _prob(key: str, v: float) -> None:
    if not (isinstance(v, int | float) and math.isfinite(v) and 0.0 <= v <= 1.0):
        raise ConfigError(key, v, "a probability between 0 and 1")


def _nonneg(key: str, v: float) -> None:
    if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
        raise ConfigError(key, v, "a finite number >= 0")


def _positive(key: str, v: float) -> None:
    if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
        raise ConfigError(key, v, "a finite number > 0")


def _choice(key: str, v: str, allowed: tuple[str, ...]) -> None:
    if v not in allowed:
        raise ConfigError(key, v, "one of " + ", ".join(allowed))


_PROBS = {
    "population": (
        "offender_share two_parent_share club_membership share_girls searchable_share "
        "location_shared_share livestream_share dm_open_share scattergun_share "
        "claims_teen_share target_girls_share out_of_target_weight_targeted out_of_target_weight_scattergun move_platform_propensity return_after_ban"
    ),
    "network": (
        "parents_know_each_other tie_on_platform interaction_household interaction_school "
        "interaction_club interaction_adult interaction_online"
    ),
    "grooming": (
        "attempt_noticed offender_follows_suggested_child accept_stranger block_unwanted report_unwanted offender_interaction jump daily_block "
        "daily_report sexual_request_block sexual_request_report guardian_daily guardian_abandon abandon_daily recontact_after_block "
        "tell_anyone tell_leads_to_police report_to_police ban_referral_to_police "
        "literacy_accept_effect vulnerability_accept_effect literacy_block_effect "
        "literacy_advance_effect"
    ),
    "platform": (
        "adult_account offender_account served_share suggestion_accept review_accuracy review_false_ban "
        "age_assurance"
    ),
}


def validate(cfg: DictConfig | Config) -> None:
    """Check ranges and cross-field rules of a merged config.

    Raises:
        ConfigError: on the first invalid value, naming its key, its value and what is allowed.
    """
    c = cfg
    if not isinstance(c.seed, int) or c.seed < 0 or c.seed >= 2**63:
        raise ConfigError("seed", c.seed, "an integer between 0 and 2**63-1")
    if c.days < 1 or c.days > 20_000:
        raise ConfigError("days", c.days, "an integer between 1 and 20000")
    _choice("backend", c.backend, BACKENDS)
    if c.threads < 1 or c.threads > 256:
        raise ConfigError("threads", c.threads, "an integer between 1 and 256")
    _choice("progress", c.progress, ("auto", "on", "off"))
    _choice("mesa_agents", c.mesa_agents, ("auto", "on", "off"))

    p = c.population
    if p.n_children < 1:
        raise ConfigError("population.n_children", p.n_children, "an integer >= 1")
    if p.n_adults < 1:
        raise ConfigError("population.n_adults", p.n_adults, "an integer >= 1")
    for name in _PROBS["population"].split():
        _prob(f"population.{name}", getattr(p, name))
    for name in ("school_size", "class_size", "club_size", "schools_per_area"):
        if getattr(p, name) < 1:
            raise ConfigError(f"population.{name}", getattr(p, name), "an integer >= 1")
    if p.class_size > p.school_size:
        raise ConfigError(
            "population.class_size", p.class_size, f"at most school_size ({p.school_size})"
        )
    for name in (
        "household_children_mean teachers_per_class literacy_spread vulnerability_alpha "
        "vulnerability_beta persistence_alpha persistence_beta outreach_per_week_median_scattergun "
        "outreach_per_week_median_targeted outreach_per_week_max"
    ).split():
        _positive(f"population.{name}", getattr(p, name))
    if p.household_children_mean < 1:
        raise ConfigError(
            "population.household_children_mean", p.household_children_mean, "a number >= 1"
        )
    _nonneg("population.outreach_sigma", p.outreach_sigma)
    if len(p.literacy_by_age) != 10:
        raise ConfigError(
            "population.literacy_by_age", list(p.literacy_by_age), "10 values, for ages 8..17"
        )
    for i, v in enumerate(p.literacy_by_age):
        _prob(f"population.literacy_by_age[{i}]", v)
    if not (8 <= p.target_age_min <= p.target_age_max <= 17):
        raise ConfigError(
            "population.target_age_min/target_age_max",
            (p.target_age_min, p.target_age_max),
            "ages with 8 <= target_age_min <= target_age_max <= 17",
        )

    n = c.network
    for name in _PROBS["network"].split():
        _prob(f"network.{name}", getattr(n, name))
    for name in (
        "class_friends_mean year_friends_mean club_friends_mean adult_friends_mean "
        "organic_ties_per_1000_per_day capacity_slack"
    ).split():
        _nonneg(f"network.{name}", getattr(n, name))

    if len(c.platforms) == 0:
        raise ConfigError("platforms", {}, "at least one platform")
    if len(c.platforms) > MAX_PLATFORMS:
        raise ConfigError("platforms", list(c.platforms), f"at most {MAX_PLATFORMS} platforms")
    for name, pl in c.platforms.items():
        k = f"platforms.{name}"
        for attr in _PROBS["platform"].split():
            _prob(f"{k}.{attr}", getattr(pl, attr))
        for attr in ("age_homophily", "school_homophily", "contact_book"):
            _nonneg(f"{k}.{attr}", getattr(pl, attr))
        _nonneg(f"{k}.review_capacity_per_100k", pl.review_capacity_per_100k)
        _choice(f"{k}.suggestion_rule", pl.suggestion_rule, RULES)
        if pl.suggestions_per_day < 0 or pl.suggestions_per_day > 100:
            raise ConfigError(
                f"{k}.suggestions_per_day", pl.suggestions_per_day, "an integer between 0 and 100"
            )
        if pl.review_delay_days < 0:
            raise ConfigError(f"{k}.review_delay_days", pl.review_delay_days, "an integer >= 0")
        if len(pl.child_account_by_age) != 10:
            raise ConfigError(
                f"{k}.child_account_by_age", list(pl.child_account_by_age),
                "10 probabilities, for ages 8..17",
            )
        for i, v in enumerate(pl.child_account_by_age):
            _prob(f"{k}.child_account_by_age[{i}]", v)

    g = c.grooming
    for name in _PROBS["grooming"].split():
        _prob(f"grooming.{name}", getattr(g, name))
    for name in (
        "accept_claimed_teen_multiplier targeted_advance_multiplier "
        "scattergun_advance_multiplier vulnerability_advance_effect"
    ).split():
        _nonneg(f"grooming.{name}", getattr(g, name))
    for name in ("channel_weights_scattergun", "channel_weights_targeted"):
        w = list(getattr(g, name))
        if len(w) != 5 or any((not math.isfinite(x)) or x < 0 for x in w) or sum(w) <= 0:
            raise ConfigError(
                f"grooming.{name}", w,
                "5 non-negative weights (search, location, livestream, gaming, connections) "
                "with a positive sum",
            )
    for name in ("recontact_delay_days", "return_delay_days"):
        if getattr(g, name) < 0:
            raise ConfigError(f"grooming.{name}", getattr(g, name), "an integer >= 0")

    _validate_interventions(c)
    if c.scenario.name in ("", None):
        raise ConfigError("scenario.name", c.scenario.name, "a non-empty scenario name")


def _validate_interventions(c) -> None:
    plats = list(c.platforms.keys())
    probs = {
        "ai_detection": ("sensitivity", "detection_delay", "false_positive_rate"),
        "cross_platform_sharing": ("share_probability", "ban_probability"),
        "private_by_default": ("adherence",),
        "education": (),
        "ban_evasion_prevention": ("block_probability",),
        "parental_guardianship": ("coverage", "abandon_probability"),
    }
    for name, node in c.interventions.items():
        k = f"interventions.{name}"
        if not 1 <= node.start_day <= c.days:
            raise ConfigError(f"{k}.start_day", node.start_day, f"a day between 1 and days ({c.days})")
        if "platforms" in node:
            for p in node.platforms:
                if p not in plats:
                    raise ConfigError(f"{k}.platforms", list(node.platforms),
                                      "names of configured platforms: " + ", ".join(plats))
        for attr in probs.get(name, ()):
            _prob(f"{k}.{attr}", node[attr])
    ai = c.interventions.ai_detection
    if len(ai.stage_weights) != len(STAGES) - 1:
        raise ConfigError("interventions.ai_detection.stage_weights", list(ai.stage_weights),
                          "6 weights in [0, 1], for stages engaged .. coercion_or_meeting")
    for i, v in enumerate(ai.stage_weights):
        _prob(f"interventions.ai_detection.stage_weights[{i}]", v)
    _nonneg("interventions.ai_detection.review_capacity_multiplier", ai.review_capacity_multiplier)
    cp = c.interventions.cross_platform_sharing
    if cp.delay_days < 0:
        raise ConfigError("interventions.cross_platform_sharing.delay_days", cp.delay_days, "an integer >= 0")
    ns = c.interventions.no_suggestions_for_minors
    _choice("interventions.no_suggestions_for_minors.mode", ns.mode, SUGGESTION_MODES)
    if ns.mutual_friends < 1:
        raise ConfigError("interventions.no_suggestions_for_minors.mutual_friends", ns.mutual_friends,
                          "an integer >= 1")
    dc = c.interventions.duty_of_care
    for attr in ("review_capacity_multiplier", "detection_multiplier"):
        _nonneg(f"interventions.duty_of_care.{attr}", dc[attr])
    _positive("interventions.duty_of_care.report_handling_speedup", dc.report_handling_speedup)
    ed = c.interventions.education
    if len(ed.coverage_by_age_band) != len(AGE_BANDS):
        raise ConfigError("interventions.education.coverage_by_age_band", list(ed.coverage_by_age_band),
                          "4 probabilities, for age bands " + ", ".join(AGE_BANDS))
    for i, v in enumerate(ed.coverage_by_age_band):
        _prob(f"interventions.education.coverage_by_age_band[{i}]", v)
    for attr in ("block_multiplier", "report_multiplier", "accept_multiplier"):
        _nonneg(f"interventions.education.{attr}", ed[attr])
    _nonneg("interventions.parental_guardianship.cue_multiplier",
            c.interventions.parental_guardianship.cue_multiplier)


# --------------------------------------------------------------------------------------------
# Loading (Python API)
# --------------------------------------------------------------------------------------------


def load_config(overrides: list[str] | None = None, config_name: str = "config") -> DictConfig:
    """Compose the project's Hydra config with optional command-line style overrides.

    Args:
        overrides: e.g. ``["population.n_children=1000", "days=30"]``.
        config_name: the primary config file in ``conf/``.

    Returns:
        The merged, validated config (read-only structure, typed by :class:`Config`).
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    gh = GlobalHydra.instance()
    was_initialized = gh.is_initialized()
    if was_initialized:
        cfg = compose(config_name=config_name, overrides=list(overrides or []))
    else:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose(config_name=config_name, overrides=list(overrides or []))
    cfg = strip_hydra(cfg)
    validate(cfg)
    return cfg


def strip_hydra(cfg: DictConfig) -> DictConfig:
    """Return the config without Hydra's own ``hydra`` node, still typed and closed."""
    cfg = cfg.copy()
    OmegaConf.set_struct(cfg, False)
    cfg.pop("hydra", None)
    OmegaConf.set_struct(cfg, True)
    return cfg


__all__ = [
    "AGE_BANDS",
    "BACKENDS",
    "CHANNELS",
    "CONF_DIR",
    "Config",
    "ConfigError",
    "MISSING",
    "RULES",
    "STAGES",
    "load_config",
    "register_configs",
    "validate",
]
