"""Interventions: a registry of named classes with one lifecycle and typed settings.

A config never names a Python class: ``interventions.<name>`` keys are looked up in
:data:`REGISTRY`, which only this module fills. Each intervention has a settings dataclass
(``Settings``: ``enabled``, ``start_day`` and, for platform measures, ``platforms``, from the shared
bases, plus its own knobs with their allowed values) and one lifecycle:

- ``setup(model)`` once, after the world is built;
- ``active(day)``: enabled and ``day`` at or past ``start_day`` of the measured window (``day`` is the
  model's absolute day ``model.t``, burn-in included: interventions never act in the burn-in);
- ``apply(model, day)`` each active day, before anything else happens that day. By default it
  calls ``switch_on(model)`` once, on the start day;
- ``on_ban``, ``on_accounts_opened`` and ``on_children_joined`` when those happen (a platform's
  defaults apply to accounts opened later, school programmes cover children who join later).

What an intervention changes is declared: ``changes`` names the entries of ``model.switches``
(and, for private-by-default accounts, the children's privacy settings ``pop.*``) it may change,
``counters`` the daily counters it records (through :meth:`Intervention.count`). A test turns each
one on and checks that nothing else changed (tests/test_interventions.py).

Interventions compose: each multiplies or switches its own entries, so the order in which they
start does not matter. Minors-only measures act on the accounts a platform *knows* are minors
(``pop.known_minor``, set by ``platforms.<name>.age_assurance``): weak age assurance visibly weakens
them. Knobs, defaults and sources: ``conf/interventions/default.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.categories import AGE_BANDS, SUGGESTION_MODES, Exit, Role, Source, Stage, SuggestionMode, member
from sim.fields import ConfigError, choice, day, flag, integer, multiplier, platform_names, prob, probs
from sim.rng import Decision

if TYPE_CHECKING:
    from collections.abc import Callable

    from omegaconf import DictConfig

    from sim.model import GroomingModel

# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclass
class InterventionSettings:
    """Every intervention: on or off, and from which day of the run."""

    enabled: bool = flag()
    start_day: int = day()


@dataclass
class PlatformInterventionSettings(InterventionSettings):
    """An intervention that platforms implement: on which platforms."""

    platforms: list[str] = platform_names()


@dataclass
class AIDetectionSettings(PlatformInterventionSettings):
    sensitivity: float = prob()
    stage_weights: list[float] = probs(
        len(Stage) - 2, "6 weights in [0, 1], for stages engaged .. coercion_or_meeting"
    )
    detection_delay: float = prob()
    false_positive_rate: float = prob()
    review_capacity_multiplier: float = multiplier()


@dataclass
class BehaviouralSignalsSettings(PlatformInterventionSettings):
    sensitivity: float = prob()
    false_positive_rate: float = prob()


@dataclass
class CrossPlatformSharingSettings(PlatformInterventionSettings):
    share_probability: float = prob()
    delay_days: int = integer(0, 3650)
    ban_probability: float = prob()


@dataclass
class NoSuggestionsForMinorsSettings(PlatformInterventionSettings):
    mode: str = choice(*SUGGESTION_MODES)
    mutual_friends: int = integer(1, 1000)


@dataclass
class PrivateByDefaultSettings(PlatformInterventionSettings):
    adherence: float = prob()
    unsearchable: bool = flag()
    dms_from_connections_only: bool = flag()
    location_hidden: bool = flag()
    livestream_contacts_only: bool = flag()
    connection_lists_hidden: bool = flag()


@dataclass
class DutyOfCareSettings(PlatformInterventionSettings):
    review_capacity_multiplier: float = multiplier()
    report_handling_speedup: float = multiplier(positive=True)
    detection_multiplier: float = multiplier()


@dataclass
class EducationSettings(InterventionSettings):
    coverage_by_age_band: list[float] = probs(
        len(AGE_BANDS), "4 probabilities, for age bands " + ", ".join(AGE_BANDS)
    )
    block_multiplier: float = multiplier()
    report_multiplier: float = multiplier()
    accept_multiplier: float = multiplier()


@dataclass
class BanEvasionPreventionSettings(PlatformInterventionSettings):
    block_probability: float = prob()


@dataclass
class ParentalGuardianshipSettings(InterventionSettings):
    coverage: float = prob()
    cue_multiplier: float = multiplier()
    abandon_probability: float = prob()


@dataclass
class InterventionsConfig:
    """``interventions.*``: every intervention, always present (off by default), so that any knob
    is sweepable."""

    ai_detection: AIDetectionSettings = field(default_factory=AIDetectionSettings)
    cross_platform_sharing: CrossPlatformSharingSettings = field(default_factory=CrossPlatformSharingSettings)
    no_suggestions_for_minors: NoSuggestionsForMinorsSettings = field(
        default_factory=NoSuggestionsForMinorsSettings
    )
    private_by_default: PrivateByDefaultSettings = field(default_factory=PrivateByDefaultSettings)
    duty_of_care: DutyOfCareSettings = field(default_factory=DutyOfCareSettings)
    education: EducationSettings = field(default_factory=EducationSettings)
    ban_evasion_prevention: BanEvasionPreventionSettings = field(default_factory=BanEvasionPreventionSettings)
    parental_guardianship: ParentalGuardianshipSettings = field(default_factory=ParentalGuardianshipSettings)
    behavioural_signals: BehaviouralSignalsSettings = field(default_factory=BehaviouralSignalsSettings)


# --------------------------------------------------------------------------------------------
# Registry and base class
# --------------------------------------------------------------------------------------------

REGISTRY: dict[str, type[Intervention]] = {}


def register(name: str) -> Callable:
    """Class decorator adding an intervention to the registry under ``name``."""

    def deco(cls):
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return deco


class Intervention:
    """Base class. ``params`` is the intervention's typed settings (a ``Settings`` instance)."""

    name: ClassVar[str] = "intervention"
    #: The settings dataclass of ``interventions.<name>``.
    Settings: ClassVar[type] = InterventionSettings
    #: What it may change: ``switches.<field>`` or ``pop.<array>``.
    changes: ClassVar[tuple[str, ...]] = ()
    #: Daily counters it records itself (columns of timeseries.csv, :mod:`sim.metrics`).
    counters: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Any, model: GroomingModel) -> None:
        self.params = params
        self.enabled = bool(params.enabled)
        self.start_day = int(params.start_day)
        #: the absolute day (``model.t``) it starts: ``start_day`` counts in the measured window
        self.start_t = int(model.burn_in) + self.start_day
        self._applied = False

    def setup(self, model: GroomingModel) -> None:
        """Called once, after the world is built."""

    def active(self, day: int) -> bool:
        """Enabled and started (``day``: absolute, ``model.t``)."""
        return self.enabled and day >= self.start_t

    def apply(self, model: GroomingModel, day: int) -> None:
        """Called every active day. Default: :meth:`switch_on` once, on the start day."""
        if not self._applied:
            self.switch_on(model)
            self._applied = True

    def switch_on(self, model: GroomingModel) -> None:
        """Change the model's switches (one-off interventions override this)."""

    def on_ban(self, model: GroomingModel, day: int, offender: int, platform: int) -> None:
        """Called when an offender's account is banned (after the intervention's start)."""

    def on_accounts_opened(self, model: GroomingModel, day: int, child: int, platform: int) -> None:
        """Called when a child opens an account (a birthday); the intervention checks it is active."""

    def on_children_joined(self, model: GroomingModel, day: int, children: np.ndarray) -> None:
        """Called when new 8-year-olds join; the intervention checks it is active."""

    def count(self, model: GroomingModel, counter: str, n: int = 1) -> None:
        """Add ``n`` to today's ``counter``, one of the intervention's declared :attr:`counters`."""
        if counter not in self.counters:
            raise KeyError(f"{self.name} records only {self.counters}, not {counter!r}")
        model.metrics.add(counter, n)

    def platform_indices(self, model: GroomingModel) -> list[int]:
        """Indices of the platforms it applies to (all, for interventions without ``platforms``)."""
        names = getattr(self.params, "platforms", list(model.platform_names))
        return [model.platform_names.index(n) for n in names]


def build_interventions(cfg: DictConfig, model: GroomingModel) -> list[Intervention]:
    """Instantiate the enabled interventions of ``cfg.interventions`` from the registry, in the
    schema's (fixed) order."""
    from omegaconf import OmegaConf

    out = []
    for name, node in (cfg.get("interventions") or {}).items():
        if name not in REGISTRY:
            raise ConfigError(
                f"interventions.{name}",
                name,
                "a registered intervention: " + (", ".join(sorted(REGISTRY)) or "(none yet)"),
            )
        iv = REGISTRY[name](OmegaConf.to_object(node), model)
        if iv.enabled:
            out.append(iv)
    return out


def apply_all(model: GroomingModel, day: int) -> None:
    """Apply every active intervention for ``day`` (step 1 of the day)."""
    for iv in model.interventions:
        if iv.active(day):
            iv.apply(model, day)


def _keyed(model, kind: int, ids: np.ndarray, salt: int = 0) -> np.ndarray:
    """Uniform draws keyed by (seed, kind, id): the same child gets the same draw in every run."""
    with np.errstate(over="ignore"):
        return np.array([model.draw(0, kind, int(i), salt) for i in ids.tolist()], np.float64)


# --------------------------------------------------------------------------------------------
# The interventions
# --------------------------------------------------------------------------------------------


@register("ai_detection")
class AIDetection(Intervention):
    """Scan interactions on non-encrypted platforms; flags join the platform's review queue.

    A day's offender-child conversation at stage s is flagged with probability
    ``sensitivity x stage_weights[s]`` once s has reached the stage set by ``detection_delay``
    (0: from engagement; 1: only at the image stage); each benign interaction on a scanned
    platform is wrongly flagged with ``false_positive_rate``. Encrypted platforms are never
    scanned, whatever ``platforms`` says.
    """

    Settings = AIDetectionSettings
    changes = (
        "switches.detect_on",
        "switches.detect_fp",
        "switches.detect_platforms",
        "switches.detect_base",
        "switches.review_capacity_mult",
    )

    def switch_on(self, model: GroomingModel) -> None:
        sw, prm = model.switches, self.params
        sw.detect_on = True
        sw.detect_fp = float(prm.false_positive_rate)
        # a relationship can be scanned at stages engaged .. image (reaching the last stage ends
        # it): detection_delay 0 flags from engagement, 1 only at the image stage
        scannable = Stage.IMAGE - Stage.ENGAGED
        first = Stage.ENGAGED + int(np.floor(prm.detection_delay * scannable + 0.5))
        w = prm.stage_weights
        for p in self.platform_indices(model):
            sw.detect_platforms[p] = True
            for s in range(Stage.ENGAGED, len(Stage)):
                sw.detect_base[p, s] = prm.sensitivity * w[s - 2] if s >= first else 0.0
            sw.review_capacity_mult[p] *= float(prm.review_capacity_multiplier)


@register("behavioural_signals")
class BehaviouralSignals(Intervention):
    """Account-level behavioural signals where content cannot be scanned (the encrypted messenger).

    Each day an offender grooming at least one child on a participating platform (an active
    relationship there, engaged or later) is flagged with ``sensitivity`` (keyed by offender and
    platform); each benign account holder there is wrongly flagged with ``false_positive_rate``.
    Signals join the platform's review queue with a confidence (true: Beta(3, 1), false:
    Beta(1, 3)) times the harm of the engaged stage: the platform sees patterns, not a stage.
    """

    Settings = BehaviouralSignalsSettings
    counters = ("behaviour_flags_true", "behaviour_flags_false")

    def apply(self, model: GroomingModel, day: int) -> None:
        from sim import moderation
        from sim.moderation import flag_confidence
        from sim.rng import Stream, rng_for

        R, pop, prm = model.rel, model.pop, self.params
        n_rel = int(model.n_rel[0])
        live = (R.exit[:n_rel] == Exit.ACTIVE) & (R.stage[:n_rel] >= Stage.ENGAGED)
        for p in self.platform_indices(model):
            offenders = np.unique(R.off[:n_rel][live & (R.plat[:n_rel] == p)]).tolist()
            for o in offenders:
                if (
                    pop.banned_acct[o, p]
                    or model.draw(day, Decision.BEHAVIOUR_SIGNAL, o, p) >= prm.sensitivity
                ):
                    continue
                c = flag_confidence(model.draw(day, Decision.BEHAVIOUR_CONFIDENCE, o, p), True)
                moderation.enqueue(model, day, int(o), p, source=Source.BEHAVIOUR, confidence=c)
                self.count(model, "behaviour_flags_true")
            holders = np.asarray(model.acct_users[p])
            if prm.false_positive_rate <= 0 or holders.size == 0:
                continue
            g = rng_for(model.seed, Stream.BEHAVIOUR_FALSE, day, p)
            k = int(g.binomial(holders.size, prm.false_positive_rate))
            for a in np.sort(g.choice(holders, size=k, replace=False)).tolist():
                if pop.role[a] == Role.OFFENDER or pop.banned_acct[a, p]:
                    continue
                c = flag_confidence(float(g.random()), False)
                moderation.enqueue(model, day, int(a), p, source=Source.BEHAVIOUR, confidence=c)
                self.count(model, "behaviour_flags_false")


@register("cross_platform_sharing")
class CrossPlatformSharing(Intervention):
    """A ban on one participating platform is shared with the others after ``delay_days``.

    For each other participating platform where the offender holds an unbanned account, the
    signal arrives with ``share_probability``; the receiving platform then bans directly with
    ``ban_probability`` or queues a review of the account.
    """

    Settings = CrossPlatformSharingSettings
    counters = ("shared_signals",)

    def setup(self, model: GroomingModel) -> None:
        self.pending: list[tuple[int, int, int, int]] = []

    def on_ban(self, model: GroomingModel, day: int, offender: int, platform: int) -> None:
        plats = self.platform_indices(model)
        if platform not in plats:
            return
        for q in plats:
            if q == platform or not model.pop.acct[offender, q] or model.pop.banned_acct[offender, q]:
                continue
            if model.draw(day, Decision.SHARE, offender, platform * 8 + q) < self.params.share_probability:
                self.pending.append((day + int(self.params.delay_days), offender, platform, q))

    def apply(self, model: GroomingModel, day: int) -> None:
        from sim import moderation

        due = [x for x in self.pending if x[0] <= day]
        if not due:
            return
        self.pending = [x for x in self.pending if x[0] > day]
        for _, o, p_from, q in sorted(due):
            # already banned there, or the account closed since (the offender left the world)
            if model.pop.banned_acct[o, q] or not model.pop.acct[o, q]:
                continue
            self.count(model, "shared_signals")
            if model.draw(day, Decision.SHARE, o, 64 + p_from * 8 + q) < self.params.ban_probability:
                moderation.ban(model, day, o, q, via="shared")
            else:
                moderation.enqueue(model, day, o, q, source=Source.SHARED)


@register("no_suggestions_for_minors")
class NoSuggestionsForMinors(Intervention):
    """Friend suggestions for known minors: ``disabled``, ``no_adults`` or ``mutual_threshold``."""

    Settings = NoSuggestionsForMinorsSettings
    changes = (
        "switches.suggestible",
        "switches.no_adult_child_suggestions",
        "switches.min_mutual_for_minors",
    )

    def switch_on(self, model: GroomingModel) -> None:
        sw, pop = model.switches, model.pop
        mode = member(SuggestionMode, self.params.mode)
        for p in self.platform_indices(model):
            if mode == SuggestionMode.DISABLED:
                sw.suggestible[pop.known_minor[:, p], p] = False
            elif mode == SuggestionMode.NO_ADULTS:
                sw.no_adult_child_suggestions[p] = True
            else:
                sw.min_mutual_for_minors[p] = int(self.params.mutual_friends)

    def on_accounts_opened(self, model: GroomingModel, day: int, child: int, platform: int) -> None:
        if self._applied and platform in self.platform_indices(model):
            if member(SuggestionMode, self.params.mode) == SuggestionMode.DISABLED:
                model.switches.suggestible[child, platform] = not model.pop.known_minor[child, platform]

    def on_children_joined(self, model: GroomingModel, day: int, children: np.ndarray) -> None:
        for c in children.tolist():
            for p in range(model.n_platforms):
                if model.pop.acct[c, p]:
                    self.on_accounts_opened(model, day, c, p)


@register("private_by_default")
class PrivateByDefault(Intervention):
    """Known minors' accounts get private defaults; a share ``adherence`` keeps them.

    The child's draw for adherence is keyed by the child, so the same children keep the defaults
    in every scenario and on every platform. This changes the children's own settings (they are
    what outreach reads), not switches.
    """

    Settings = PrivateByDefaultSettings
    changes = ("pop.searchable", "pop.dm_open", "pop.location_shared", "pop.livestreams", "pop.lists_hidden")

    def _private(self, model: GroomingModel, children: np.ndarray, platforms: list[int]) -> None:
        """Private defaults on the known-minor accounts of ``children`` that keep them."""
        pop, prm = model.pop, self.params
        keeps = children[_keyed(model, Decision.ADHERENCE, children) < prm.adherence]
        for p in platforms:
            t = keeps[pop.known_minor[keeps, p]]
            if prm.unsearchable:
                pop.searchable[t, p] = False
            if prm.dms_from_connections_only:
                pop.dm_open[t, p] = False
            if prm.location_hidden:
                pop.location_shared[t, p] = False
            if prm.livestream_contacts_only:
                pop.livestreams[t, p] = False
            if prm.connection_lists_hidden:
                pop.lists_hidden[t, p] = True

    def switch_on(self, model: GroomingModel) -> None:
        self._private(model, model.pop.children_present(), self.platform_indices(model))

    def on_accounts_opened(self, model: GroomingModel, day: int, child: int, platform: int) -> None:
        if self._applied and platform in self.platform_indices(model):
            self._private(model, np.array([child]), [platform])

    def on_children_joined(self, model: GroomingModel, day: int, children: np.ndarray) -> None:
        if self._applied:
            self._private(model, children, self.platform_indices(model))


@register("duty_of_care")
class DutyOfCare(Intervention):
    """Platforms under sanctions review more, faster, and detect better (multipliers)."""

    Settings = DutyOfCareSettings
    changes = ("switches.review_capacity_mult", "switches.review_delay_mult", "switches.detect_mult")

    def switch_on(self, model: GroomingModel) -> None:
        sw, prm = model.switches, self.params
        for p in self.platform_indices(model):
            sw.review_capacity_mult[p] *= float(prm.review_capacity_multiplier)
            sw.review_delay_mult[p] /= float(prm.report_handling_speedup)
            sw.detect_mult[p] *= float(prm.detection_multiplier)


@register("education")
class Education(Intervention):
    """Covered children (share by age band) block and report more and accept strangers less."""

    Settings = EducationSettings
    changes = ("switches.block_mult", "switches.report_mult", "switches.accept_mult")

    def _cover(self, model: GroomingModel, children: np.ndarray) -> None:
        pop, sw, prm = model.pop, model.switches, self.params
        cov = np.asarray(prm.coverage_by_age_band, float)[pop.age_band()[children]]
        covered = children[_keyed(model, Decision.COVERAGE, children, 1) < cov]
        sw.block_mult[covered] *= float(prm.block_multiplier)
        sw.report_mult[covered] *= float(prm.report_multiplier)
        sw.accept_mult[covered] *= float(prm.accept_multiplier)

    def switch_on(self, model: GroomingModel) -> None:
        self._cover(model, model.pop.children_present())

    def on_children_joined(self, model: GroomingModel, day: int, children: np.ndarray) -> None:
        if self._applied:
            self._cover(model, children)


@register("ban_evasion_prevention")
class BanEvasionPrevention(Intervention):
    """A banned offender's returning account is stopped with ``block_probability``."""

    Settings = BanEvasionPreventionSettings
    changes = ("switches.return_block_prob",)

    def switch_on(self, model: GroomingModel) -> None:
        for p in self.platform_indices(model):
            model.switches.return_block_prob[p] = float(self.params.block_probability)


@register("parental_guardianship")
class ParentalGuardianship(Intervention):
    """Covered children's guardians notice more often; a cue ends the relationship more often."""

    Settings = ParentalGuardianshipSettings
    changes = ("switches.guardian_mult", "switches.guardian_abandon")

    def _cover(self, model: GroomingModel, children: np.ndarray) -> None:
        sw, prm = model.switches, self.params
        covered = children[_keyed(model, Decision.COVERAGE, children, 2) < prm.coverage]
        sw.guardian_mult[covered] *= float(prm.cue_multiplier)
        sw.guardian_abandon[covered] = float(prm.abandon_probability)

    def switch_on(self, model: GroomingModel) -> None:
        self._cover(model, model.pop.children_present())

    def on_children_joined(self, model: GroomingModel, day: int, children: np.ndarray) -> None:
        if self._applied:
            self._cover(model, children)
