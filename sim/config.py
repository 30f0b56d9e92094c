"""Typed configuration: dataclass schemas, range checks and loading.

The schemas are registered in Hydra's ConfigStore as ``schema``; ``conf/config.yaml`` lists it
first in its defaults, so every YAML file and every command-line override is merged onto a
typed, closed structure. A typo in a key or a value of the wrong type therefore fails at
start-up with Hydra's own message. :func:`validate` then checks ranges and cross-field rules
and raises :class:`ConfigError`, which names the key, the value and what is allowed.

Defaults and their sources live only in the YAML files under ``conf/`` (one place for each
fact): every field below is ``MISSING`` in the schema, so a value the YAML does not provide is an
error rather than a silent second default.
"""

from __future__ import annotations

import math
import re
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

#: Friend-suggestion rules (see ``score_pair`` and ``suggest`` in ``sim/kernels.py``).
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
    n_children: int = MISSING
    n_adults: int = MISSING
    offender_share: float = MISSING
    share_girls: float = MISSING
    household_children_mean: float = MISSING
    two_parent_share: float = MISSING
    school_size: int = MISSING
    class_size: int = MISSING
    club_size: int = MISSING
    club_membership: float = MISSING
    schools_per_area: int = MISSING
    teachers_per_class: float = MISSING
    literacy_by_age: list[float] = MISSING
    literacy_spread: float = MISSING
    vulnerability_alpha: float = MISSING
    vulnerability_beta: float = MISSING
    searchable_share: float = MISSING
    location_shared_share: float = MISSING
    livestream_share: float = MISSING
    dm_open_share: float = MISSING
    scattergun_share: float = MISSING
    outreach_per_week_median_scattergun: float = MISSING
    outreach_per_week_median_targeted: float = MISSING
    outreach_sigma: float = MISSING
    outreach_per_week_max: float = MISSING
    claims_teen_share: float = MISSING
    target_age_min: int = MISSING
    target_age_max: int = MISSING
    out_of_target_weight_targeted: float = MISSING
    out_of_target_weight_scattergun: float = MISSING
    target_girls_share: float = MISSING
    persistence_alpha: float = MISSING
    persistence_beta: float = MISSING
    move_platform_propensity: float = MISSING
    return_after_ban: float = MISSING


@dataclass
class NetworkConfig:
    class_friends_mean: float = MISSING
    year_friends_mean: float = MISSING
    club_friends_mean: float = MISSING
    adult_friends_mean: float = MISSING
    parents_know_each_other: float = MISSING
    tie_on_platform: float = MISSING
    organic_ties_per_1000_per_day: float = MISSING
    interaction_household: float = MISSING
    interaction_school: float = MISSING
    interaction_club: float = MISSING
    interaction_adult: float = MISSING
    interaction_online: float = MISSING
    capacity_slack: float = MISSING
    builder: str = MISSING


@dataclass
class PlatformConfig:
    child_account_by_age: list[float] = MISSING
    adult_account: float = MISSING
    offender_account: float = MISSING
    suggestions: bool = MISSING
    suggestion_rule: str = MISSING
    suggestions_per_day: int = MISSING
    served_share: float = MISSING
    suggestion_accept: float = MISSING
    age_homophily: float = MISSING
    school_homophily: float = MISSING
    contact_book: float = MISSING
    search: bool = MISSING
    search_hides_known_minors_from_adults: bool = MISSING
    connection_lists: bool = MISSING
    location: bool = MISSING
    livestream: bool = MISSING
    game_chat: bool = MISSING
    encrypted: bool = MISSING
    private_destination: bool = MISSING
    review_capacity_per_100k: float = MISSING
    review_accuracy: float = MISSING
    review_false_ban: float = MISSING
    review_delay_days: int = MISSING
    age_assurance: float = MISSING


@dataclass
class GroomingConfig:
    accept_stranger: float = MISSING
    attempt_noticed: float = MISSING
    offender_follows_suggested_child: float = MISSING
    accept_claimed_teen_multiplier: float = MISSING
    literacy_accept_effect: float = MISSING
    vulnerability_accept_effect: float = MISSING
    block_unwanted: float = MISSING
    report_unwanted: float = MISSING
    literacy_block_effect: float = MISSING
    offender_interaction: float = MISSING
    advance_from_engaged: float = MISSING
    advance_from_trust: float = MISSING
    advance_from_isolation: float = MISSING
    advance_from_sexual_communication: float = MISSING
    advance_from_image: float = MISSING
    targeted_advance_multiplier: float = MISSING
    scattergun_advance_multiplier: float = MISSING
    vulnerability_advance_effect: float = MISSING
    literacy_advance_effect: float = MISSING
    jump: float = MISSING
    sexual_request_block: float = MISSING
    sexual_request_report: float = MISSING
    channel_weights_scattergun: list[float] = MISSING
    channel_weights_targeted: list[float] = MISSING
    daily_block: float = MISSING
    daily_report: float = MISSING
    guardian_daily: float = MISSING
    guardian_abandon: float = MISSING
    abandon_daily: float = MISSING
    recontact_after_block: float = MISSING
    recontact_delay_days: int = MISSING
    tell_anyone: float = MISSING
    tell_leads_to_police: float = MISSING
    report_to_police: float = MISSING
    ban_referral_to_police: float = MISSING
    return_delay_days: int = MISSING


# --------------------------------------------------------------------------------------------
# Interventions: every one always present (enabled: false by default) so any knob is sweepable.
# Defaults and sources: conf/interventions/default.yaml.
# --------------------------------------------------------------------------------------------

SUGGESTION_MODES = ("disabled", "no_adults", "mutual_threshold")


@dataclass
class AIDetectionConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    platforms: list[str] = MISSING
    sensitivity: float = MISSING
    stage_weights: list[float] = MISSING
    detection_delay: float = MISSING
    false_positive_rate: float = MISSING
    review_capacity_multiplier: float = MISSING


@dataclass
class CrossPlatformSharingConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    platforms: list[str] = MISSING
    share_probability: float = MISSING
    delay_days: int = MISSING
    ban_probability: float = MISSING


@dataclass
class NoSuggestionsForMinorsConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    platforms: list[str] = MISSING
    mode: str = MISSING
    mutual_friends: int = MISSING


@dataclass
class PrivateByDefaultConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    platforms: list[str] = MISSING
    adherence: float = MISSING
    unsearchable: bool = MISSING
    dms_from_connections_only: bool = MISSING
    location_hidden: bool = MISSING
    livestream_contacts_only: bool = MISSING
    connection_lists_hidden: bool = MISSING


@dataclass
class DutyOfCareConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    platforms: list[str] = MISSING
    review_capacity_multiplier: float = MISSING
    report_handling_speedup: float = MISSING
    detection_multiplier: float = MISSING


@dataclass
class EducationConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    coverage_by_age_band: list[float] = MISSING
    block_multiplier: float = MISSING
    report_multiplier: float = MISSING
    accept_multiplier: float = MISSING


@dataclass
class BanEvasionPreventionConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    platforms: list[str] = MISSING
    block_probability: float = MISSING


@dataclass
class ParentalGuardianshipConfig:
    enabled: bool = MISSING
    start_day: int = MISSING
    coverage: float = MISSING
    cue_multiplier: float = MISSING
    abandon_probability: float = MISSING


@dataclass
class InterventionsConfig:
    ai_detection: AIDetectionConfig = field(default_factory=AIDetectionConfig)
    cross_platform_sharing: CrossPlatformSharingConfig = field(default_factory=CrossPlatformSharingConfig)
    no_suggestions_for_minors: NoSuggestionsForMinorsConfig = field(
        default_factory=NoSuggestionsForMinorsConfig
    )
    private_by_default: PrivateByDefaultConfig = field(default_factory=PrivateByDefaultConfig)
    duty_of_care: DutyOfCareConfig = field(default_factory=DutyOfCareConfig)
    education: EducationConfig = field(default_factory=EducationConfig)
    ban_evasion_prevention: BanEvasionPreventionConfig = field(default_factory=BanEvasionPreventionConfig)
    parental_guardianship: ParentalGuardianshipConfig = field(default_factory=ParentalGuardianshipConfig)


@dataclass
class ScenarioConfig:
    name: str = MISSING
    description: str = MISSING


@dataclass
class Config:
    seed: int = MISSING
    days: int = MISSING
    backend: str = MISSING
    threads: int = MISSING
    progress: str = MISSING
    mesa_agents: str = MISSING
    print_summary: bool = MISSING
    report: bool = MISSING
    resume: bool = MISSING
    population: PopulationConfig = field(default_factory=PopulationConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    platforms: dict[str, PlatformConfig] = MISSING
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
        "claims_teen_share target_girls_share out_of_target_weight_targeted "
        "out_of_target_weight_scattergun move_platform_propensity return_after_ban"
    ),
    "network": (
        "parents_know_each_other tie_on_platform interaction_household interaction_school "
        "interaction_club interaction_adult interaction_online"
    ),
    "grooming": (
        "attempt_noticed offender_follows_suggested_child accept_stranger block_unwanted "
        "report_unwanted offender_interaction jump daily_block "
        "daily_report sexual_request_block sexual_request_report guardian_daily guardian_abandon "
        "abandon_daily recontact_after_block "
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
        raise ConfigError("population.class_size", p.class_size, f"at most school_size ({p.school_size})")
    for name in (
        "household_children_mean teachers_per_class literacy_spread vulnerability_alpha "
        "vulnerability_beta persistence_alpha persistence_beta outreach_per_week_median_scattergun "
        "outreach_per_week_median_targeted outreach_per_week_max"
    ).split():
        _positive(f"population.{name}", getattr(p, name))
    if not 1 <= p.household_children_mean <= 10:
        raise ConfigError(
            "population.household_children_mean", p.household_children_mean, "a number between 1 and 10"
        )
    for name, hi in (
        ("school_size", 100_000),
        ("class_size", 1_000),
        ("club_size", 1_000),
        ("schools_per_area", 10_000),
        ("teachers_per_class", 10),
        ("outreach_per_week_median_scattergun", 10_000),
        ("outreach_per_week_median_targeted", 10_000),
        ("outreach_per_week_max", 10_000),
        ("outreach_sigma", 5),
        ("literacy_spread", 1e6),
        ("vulnerability_alpha", 1e6),
        ("vulnerability_beta", 1e6),
        ("persistence_alpha", 1e6),
        ("persistence_beta", 1e6),
    ):
        if getattr(p, name) > hi:
            raise ConfigError(f"population.{name}", getattr(p, name), f"at most {hi}")
    if p.n_children > 2**31 - 1 or p.n_children + p.n_adults > 2**31 - 1:
        raise ConfigError("population.n_children", p.n_children, "fewer than 2**31 agents in all")
    _nonneg("population.outreach_sigma", p.outreach_sigma)
    if len(p.literacy_by_age) != 10:
        raise ConfigError("population.literacy_by_age", list(p.literacy_by_age), "10 values, for ages 8..17")
    for i, v in enumerate(p.literacy_by_age):
        _prob(f"population.literacy_by_age[{i}]", v)
    if not (8 <= p.target_age_min <= p.target_age_max <= 17):
        raise ConfigError(
            "population.target_age_min/target_age_max",
            (p.target_age_min, p.target_age_max),
            "ages with 8 <= target_age_min <= target_age_max <= 17",
        )

    n = c.network
    _choice("network.builder", n.builder, ("arrays", "networkx"))
    if n.builder == "networkx" and p.n_children + p.n_adults > 200_000:
        raise ConfigError(
            "network.builder",
            n.builder,
            "'arrays' above 200,000 agents (the networkx builder is a reference for "
            "small worlds: minutes and gigabytes at 10^6 agents)",
        )
    for name in _PROBS["network"].split():
        _prob(f"network.{name}", getattr(n, name))
    for name in (
        "class_friends_mean year_friends_mean club_friends_mean adult_friends_mean "
        "organic_ties_per_1000_per_day capacity_slack"
    ).split():
        _nonneg(f"network.{name}", getattr(n, name))
        if getattr(n, name) > 1000:
            raise ConfigError(f"network.{name}", getattr(n, name), "a number between 0 and 1000")

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
                f"{k}.child_account_by_age",
                list(pl.child_account_by_age),
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
                f"grooming.{name}",
                w,
                "5 non-negative weights (search, location, livestream, gaming, connections) "
                "with a positive sum",
            )
    for name in ("recontact_delay_days", "return_delay_days"):
        if getattr(g, name) < 0:
            raise ConfigError(f"grooming.{name}", getattr(g, name), "an integer >= 0")

    _validate_interventions(c)
    name = c.scenario.name
    if not name or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name) or ".." in name:
        # the name becomes part of run folder names: it must not be able to leave the folder
        raise ConfigError(
            "scenario.name",
            name,
            "1-64 letters, digits, '_', '-' or '.', starting with a letter or digit, without '..'",
        )


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
                    raise ConfigError(
                        f"{k}.platforms",
                        list(node.platforms),
                        "names of configured platforms: " + ", ".join(plats),
                    )
        for attr in probs.get(name, ()):
            _prob(f"{k}.{attr}", node[attr])
    ai = c.interventions.ai_detection
    if len(ai.stage_weights) != len(STAGES) - 1:
        raise ConfigError(
            "interventions.ai_detection.stage_weights",
            list(ai.stage_weights),
            "6 weights in [0, 1], for stages engaged .. coercion_or_meeting",
        )
    for i, v in enumerate(ai.stage_weights):
        _prob(f"interventions.ai_detection.stage_weights[{i}]", v)
    _nonneg("interventions.ai_detection.review_capacity_multiplier", ai.review_capacity_multiplier)
    cp = c.interventions.cross_platform_sharing
    if cp.delay_days < 0:
        raise ConfigError("interventions.cross_platform_sharing.delay_days", cp.delay_days, "an integer >= 0")
    ns = c.interventions.no_suggestions_for_minors
    _choice("interventions.no_suggestions_for_minors.mode", ns.mode, SUGGESTION_MODES)
    if not 1 <= ns.mutual_friends <= 1000:
        raise ConfigError(
            "interventions.no_suggestions_for_minors.mutual_friends",
            ns.mutual_friends,
            "an integer between 1 and 1000",
        )
    dc = c.interventions.duty_of_care
    for attr in ("review_capacity_multiplier", "detection_multiplier"):
        _nonneg(f"interventions.duty_of_care.{attr}", dc[attr])
    _positive("interventions.duty_of_care.report_handling_speedup", dc.report_handling_speedup)
    ed = c.interventions.education
    if len(ed.coverage_by_age_band) != len(AGE_BANDS):
        raise ConfigError(
            "interventions.education.coverage_by_age_band",
            list(ed.coverage_by_age_band),
            "4 probabilities, for age bands " + ", ".join(AGE_BANDS),
        )
    for i, v in enumerate(ed.coverage_by_age_band):
        _prob(f"interventions.education.coverage_by_age_band[{i}]", v)
    for attr in ("block_multiplier", "report_multiplier", "accept_multiplier"):
        _nonneg(f"interventions.education.{attr}", ed[attr])
    _nonneg(
        "interventions.parental_guardianship.cue_multiplier",
        c.interventions.parental_guardianship.cue_multiplier,
    )
    for k2, v2 in (
        ("ai_detection.review_capacity_multiplier", ai.review_capacity_multiplier),
        ("duty_of_care.review_capacity_multiplier", dc.review_capacity_multiplier),
        ("duty_of_care.report_handling_speedup", dc.report_handling_speedup),
        ("duty_of_care.detection_multiplier", dc.detection_multiplier),
        ("education.block_multiplier", ed.block_multiplier),
        ("education.report_multiplier", ed.report_multiplier),
        ("education.accept_multiplier", ed.accept_multiplier),
        ("parental_guardianship.cue_multiplier", c.interventions.parental_guardianship.cue_multiplier),
    ):
        if v2 > 1000:
            raise ConfigError(f"interventions.{k2}", v2, "a multiplier between 0 and 1000")


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

    from sim.overrides import check_overrides

    problem = check_overrides(list(overrides or []))
    if problem:
        raise ConfigError("overrides", list(overrides or []), problem)
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
