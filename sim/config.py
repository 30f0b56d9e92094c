"""Typed configuration: the schema assembled from the mechanisms' settings, validation, loading.

Each mechanism module declares the settings it reads as a dataclass whose fields say what values
they allow (:mod:`sim.fields`); this module joins them into the sections users see
(``population``, ``network``, ``platforms.<name>``, ``grooming``, ``interventions``, ...). The
schema is registered in Hydra's ConfigStore as ``schema``; ``conf/config.yaml`` lists it first in
its defaults, so every YAML file and every command-line override is merged onto a typed, closed
structure: a typo in a key or a value of the wrong type fails at start-up with Hydra's own message.
:func:`validate` then checks every field's allowed values and the rules across fields, and raises
:class:`ConfigError`, which names the key, the value and what is allowed.

Which module owns which keys (``docs/architecture.md`` has the full table):

=============================  ==========================================================
``population.*``               :mod:`sim.population` (children, benign adults)
``offenders.*``                :mod:`sim.offenders`
``network.*``                  :mod:`sim.network` (structure), :mod:`sim.contacts`
                               (``interaction_*``), :mod:`sim.organic`
``platforms.<name>.*``         :mod:`sim.platforms` (accounts, features), :mod:`sim.suggestions`,
                               :mod:`sim.moderation` (``review_*``)
``suggestions.*``              :mod:`sim.suggestions` (how candidates are found)
``grooming.*``                 :mod:`sim.outreach` (contact and response), :mod:`sim.grooming`
                               (stages), :mod:`sim.suggestions`, :mod:`sim.moderation` (bans)
``interventions.<name>.*``     :mod:`sim.interventions`
=============================  ==========================================================

Defaults and their sources live only in the YAML files under ``conf/`` (one place for each
fact): every field is ``MISSING`` in the schema, so a value the YAML does not provide is an error
rather than a silent second default.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import MISSING, DictConfig, OmegaConf

from sim import network, offenders, platforms, population
from sim.categories import AGE_BANDS, CHANNELS, RULES, STAGES
from sim.contacts import InteractionSettings
from sim.fields import ConfigError, check_fields, choice, flag, integer, text
from sim.grooming import ProgressionSettings
from sim.interventions import InterventionsConfig
from sim.moderation import BanSettings, ReviewSettings
from sim.network import NetworkSettings
from sim.offenders import OffenderSettings
from sim.organic import OrganicSettings
from sim.outreach import AdaptationSettings, ContactSettings
from sim.platforms import AccountSettings, FeatureSettings
from sim.population import PopulationSettings
from sim.suggestions import CandidateSettings, SuggestionResponses, SuggestionSettings

#: Keys that moved, with what to write instead (the override check names them).
MOVED_KEYS = {
    "population.offender_share": "offenders.per_1000_children (offenders per 1,000 children, on top of "
    "population.n_adults; from the old share: share x n_adults / n_children x 1000, e.g. 0.005 x "
    "20,000 / 10,000 x 1000 = 10)",
    **{
        f"population.{k}": f"offenders.{k}"
        for k in (
            "scattergun_share outreach_per_week_median_scattergun outreach_per_week_median_targeted "
            "outreach_sigma outreach_per_week_max claims_teen_share target_age_min target_age_max "
            "out_of_target_weight_targeted out_of_target_weight_scattergun target_girls_share "
            "persistence_alpha persistence_beta move_platform_propensity return_after_ban"
        ).split()
    },
}

#: Folder holding the Hydra configuration (top-level ``conf/`` of the project).
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

BACKENDS = ("numba", "python")
#: Days are stored as 16-bit integers (tie and relationship days): burn-in plus window fit in them.
MAX_TOTAL_DAYS = 32_000
#: A scenario name becomes part of run folder names: it must not be able to leave the folder.
SCENARIO_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"

# --------------------------------------------------------------------------------------------
# The schema: sections joined from the mechanisms' settings (a dataclass's fields come base
# classes last-listed first, so each section lists its parts in reverse of the YAML order)
# --------------------------------------------------------------------------------------------


@dataclass
class PopulationConfig(PopulationSettings):
    """``population.*``: children and benign adults (:mod:`sim.population`)."""


@dataclass
class OffendersConfig(AdaptationSettings, OffenderSettings):
    """``offenders.*``: how many offenders, their traits (:mod:`sim.offenders`)."""


@dataclass
class NetworkConfig(OrganicSettings, InteractionSettings, NetworkSettings):
    """``network.*``: initial structure (:mod:`sim.network`), daily interactions
    (:mod:`sim.contacts`), organic growth (:mod:`sim.organic`)."""


@dataclass
class PlatformConfig(ReviewSettings, FeatureSettings, SuggestionSettings, AccountSettings):
    """``platforms.<name>.*``: accounts and features (:mod:`sim.platforms`), suggestions
    (:mod:`sim.suggestions`), review (:mod:`sim.moderation`)."""


@dataclass
class SuggestionsConfig(CandidateSettings):
    """``suggestions.*``: how suggestion candidates are found on every platform
    (:mod:`sim.suggestions`)."""


@dataclass
class GroomingConfig(BanSettings, ProgressionSettings, SuggestionResponses, ContactSettings):
    """``grooming.*``: outreach and the child's response (:mod:`sim.outreach`), how offenders use
    suggestions (:mod:`sim.suggestions`), the stages (:mod:`sim.grooming`), what follows a ban
    (:mod:`sim.moderation`)."""


@dataclass
class ScenarioConfig:
    name: str = text(
        SCENARIO_NAME,
        "1-64 letters, digits, '_', '-' or '.', starting with a letter or digit, without '..'",
    )
    description: str = MISSING


@dataclass
class RunSettings:
    """Top-level keys: how a run is made and shown (not what is simulated, except seed and days)."""

    seed: int = integer(0, 2**63 - 1, text="an integer between 0 and 2**63-1")
    days: int = integer(1, 20_000)
    burn_in_days: int = integer(0, 20_000)
    backend: str = choice(*BACKENDS)
    threads: int = integer(1, 256)
    progress: str = choice("auto", "on", "off")
    mesa_agents: str = choice("auto", "on", "off")
    print_summary: bool = flag()
    report: bool = flag()
    resume: bool = flag()


@dataclass
class Config(RunSettings):
    population: PopulationConfig = field(default_factory=PopulationConfig)
    offenders: OffendersConfig = field(default_factory=OffendersConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    platforms: dict[str, PlatformConfig] = MISSING
    suggestions: SuggestionsConfig = field(default_factory=SuggestionsConfig)
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

#: Rules across fields, by module, checked after each section's fields.
_CROSS_CHECKS = {
    "population": (population.check,),
    "offenders": (offenders.check,),
    "network": (network.check,),
}


def _sections() -> list[tuple[str, type]]:
    """(name, settings dataclass) of each section of :class:`Config`, in order."""
    hints = typing.get_type_hints(Config)
    run = {f.name for f in dataclasses.fields(RunSettings)}
    return [(f.name, hints[f.name]) for f in dataclasses.fields(Config) if f.name not in run]


def validate(cfg: DictConfig | Config) -> None:
    """Check every value against what its field allows, and the rules across fields.

    Raises:
        ConfigError: on the first invalid value, naming its key, its value and what is allowed.
    """
    check_fields(cfg, RunSettings, "", cfg)
    if cfg.burn_in_days + cfg.days > MAX_TOTAL_DAYS:
        raise ConfigError(
            "burn_in_days",
            cfg.burn_in_days,
            f"at most {MAX_TOTAL_DAYS} - days ({MAX_TOTAL_DAYS - cfg.days}) days",
        )
    for name, cls in _sections():
        node = cfg[name]
        if name == "platforms":
            platforms.check(cfg)
            for pname, pl in node.items():
                check_fields(pl, PlatformConfig, f"platforms.{pname}.", cfg)
        elif name == "interventions":
            hints = typing.get_type_hints(InterventionsConfig)
            for sub in dataclasses.fields(InterventionsConfig):
                check_fields(node[sub.name], hints[sub.name], f"interventions.{sub.name}.", cfg)
        else:
            check_fields(node, cls, f"{name}.", cfg)
            for rule in _CROSS_CHECKS.get(name, ()):
                rule(cfg)
    if ".." in cfg.scenario.name:
        allowed = dataclasses.fields(ScenarioConfig)[0].metadata["allowed"]
        raise ConfigError("scenario.name", cfg.scenario.name, allowed.message())


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

    if isinstance(overrides, str | bytes) or not all(isinstance(o, str) for o in overrides or []):
        raise ConfigError(
            "overrides",
            overrides,
            "a list of KEY=VALUE strings, e.g. ['days=30', 'seed=2'] (one string per override)",
        )
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
