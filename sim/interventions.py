"""Interventions: a registry of named classes with one lifecycle.

A config never names a Python class: ``interventions.<name>`` keys are looked up in
:data:`REGISTRY`, which only this module fills. Each intervention:

- ``setup(model)`` once, after the world is built;
- ``active(day)``: enabled and ``day >= start_day``;
- ``apply(model, day)`` each active day, before anything else happens that day. It changes only
  ``model.switches`` (and documented agent settings), never results or counters.

Interventions compose: each multiplies or switches its own entries of ``model.switches``, so the
order in which they start does not matter. Minors-only measures act on the accounts a platform
*knows* are minors (``pop.known_minor``, set by ``platforms.<name>.age_assurance``): weak age
assurance visibly weakens them. Knobs, defaults and sources: conf/interventions/default.yaml.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim import kernels as _k
from sim.config import STAGES, ConfigError

REGISTRY: dict[str, type[Intervention]] = {}


def register(name: str):
    """Class decorator adding an intervention to the registry under ``name``."""

    def deco(cls):
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return deco


class Intervention:
    """Base class. ``params`` is the config node ``interventions.<name>`` as a plain dict."""

    name = "intervention"

    def __init__(self, params: dict[str, Any], model):
        self.params = params
        self.enabled = bool(params.get("enabled", False))
        self.start_day = int(params.get("start_day", 1))
        self._applied = False

    def setup(self, model) -> None:
        """Called once, after the world is built."""

    def active(self, day: int) -> bool:
        return self.enabled and day >= self.start_day

    def apply(self, model, day: int) -> None:
        """Called every active day. Default: :meth:`switch_on` once, on the start day."""
        if not self._applied:
            self.switch_on(model)
            self._applied = True

    def switch_on(self, model) -> None:
        """Change the model's switches (one-off interventions override this)."""

    def on_ban(self, model, day: int, offender: int, platform: int) -> None:
        """Called when an offender's account is banned (after the intervention's start)."""

    def platform_indices(self, model) -> list[int]:
        names = self.params.get("platforms", list(model.platform_names))
        return [model.platform_names.index(n) for n in names]


def build_interventions(cfg, model) -> list[Intervention]:
    """Instantiate the enabled interventions of ``cfg.interventions`` from the registry."""
    from omegaconf import OmegaConf

    out = []
    for name, node in (cfg.get("interventions") or {}).items():  # schema order: fixed
        if name not in REGISTRY:
            raise ConfigError(
                f"interventions.{name}",
                name,
                "a registered intervention: " + (", ".join(sorted(REGISTRY)) or "(none yet)"),
            )
        params = OmegaConf.to_container(node, resolve=True) if node is not None else {}
        iv = REGISTRY[name](params, model)
        if iv.enabled:
            out.append(iv)
    return out


def _keyed(model, kind: int, ids: np.ndarray, salt: int = 0) -> np.ndarray:
    """Uniform draws keyed by (seed, kind, id): the same child gets the same draw in every run."""
    u01 = model.K.u01
    with np.errstate(over="ignore"):
        return np.array([u01(model.seed, 0, kind, int(i), salt) for i in ids.tolist()], np.float64)


@register("ai_detection")
class AIDetection(Intervention):
    """Scan interactions on non-encrypted platforms; flags join the platform's review queue.

    A day's offender-child conversation at stage s is flagged with probability
    ``sensitivity x stage_weights[s]`` once s has reached the stage set by ``detection_delay``
    (0: from engagement; 1: only at the image stage); each benign interaction on a scanned
    platform is wrongly flagged with ``false_positive_rate``. Encrypted platforms are never
    scanned, whatever ``platforms`` says.
    """

    def switch_on(self, model):
        sw = model.switches
        sw.detect_on = True
        sw.detect_fp = float(self.params["false_positive_rate"])
        # a relationship can be scanned at stages engaged .. image (reaching the last stage ends
        # it): detection_delay 0 flags from engagement, 1 only at the image stage
        scannable = _k.ST_IMAGE - _k.ST_ENGAGED
        first = _k.ST_ENGAGED + int(np.floor(self.params["detection_delay"] * scannable + 0.5))
        w = self.params["stage_weights"]
        for p in self.platform_indices(model):
            sw.detect_platforms[p] = True
            for s in range(_k.ST_ENGAGED, len(STAGES) + 1):
                sw.detect_base[p, s] = self.params["sensitivity"] * w[s - 2] if s >= first else 0.0
            sw.review_capacity_mult[p] *= float(self.params["review_capacity_multiplier"])


@register("cross_platform_sharing")
class CrossPlatformSharing(Intervention):
    """A ban on one participating platform is shared with the others after ``delay_days``.

    For each other participating platform where the offender holds an unbanned account, the
    signal arrives with ``share_probability``; the receiving platform then bans directly with
    ``ban_probability`` or queues a review of the account.
    """

    def setup(self, model):
        self.pending: list[tuple[int, int, int, int]] = []

    def on_ban(self, model, day, offender, platform):
        plats = self.platform_indices(model)
        if platform not in plats:
            return
        for q in plats:
            if q == platform or not model.pop.acct[offender, q] or model.pop.banned_acct[offender, q]:
                continue
            if (
                model.K.u01(model.seed, day, _k.K_SHARE, offender, platform * 8 + q)
                < self.params["share_probability"]
            ):
                self.pending.append((day + int(self.params["delay_days"]), offender, platform, q))

    def apply(self, model, day):
        due = [x for x in self.pending if x[0] <= day]
        if not due:
            return
        self.pending = [x for x in self.pending if x[0] > day]
        for _, o, p_from, q in sorted(due):
            if model.pop.banned_acct[o, q]:
                continue
            model.metrics.add("shared_signals", 1)
            if (
                model.K.u01(model.seed, day, _k.K_SHARE, o, 64 + p_from * 8 + q)
                < self.params["ban_probability"]
            ):
                model.ban(day, o, q, via="shared")
            else:
                model.enqueue_review(day, o, q, source="shared")


@register("no_suggestions_for_minors")
class NoSuggestionsForMinors(Intervention):
    """Friend suggestions for known minors: ``disabled``, ``no_adults`` or ``mutual_threshold``."""

    def switch_on(self, model):
        sw, pop = model.switches, model.pop
        mode = self.params["mode"]
        for p in self.platform_indices(model):
            if mode == "disabled":
                sw.suggestible[pop.known_minor[:, p], p] = False
            elif mode == "no_adults":
                sw.no_adult_child_suggestions[p] = True
            else:
                sw.min_mutual_for_minors[p] = int(self.params["mutual_friends"])


@register("private_by_default")
class PrivateByDefault(Intervention):
    """Known minors' accounts get private defaults; a share ``adherence`` keeps them.

    The child's draw for adherence is keyed by the child, so the same children keep the defaults
    in every scenario and on every platform.
    """

    def switch_on(self, model):
        pop = model.pop
        nc = pop.n_children
        keeps = _keyed(model, _k.K_ADHERENCE, np.arange(nc)) < self.params["adherence"]
        for p in self.platform_indices(model):
            t = np.zeros(pop.n, bool)
            t[:nc] = pop.known_minor[:nc, p] & keeps
            if self.params["unsearchable"]:
                pop.searchable[t, p] = False
            if self.params["dms_from_connections_only"]:
                pop.dm_open[t, p] = False
            if self.params["location_hidden"]:
                pop.location_shared[t, p] = False
            if self.params["livestream_contacts_only"]:
                pop.livestreams[t, p] = False
            if self.params["connection_lists_hidden"]:
                pop.lists_hidden[t, p] = True


@register("duty_of_care")
class DutyOfCare(Intervention):
    """Platforms under sanctions review more, faster, and detect better (multipliers)."""

    def switch_on(self, model):
        sw = model.switches
        for p in self.platform_indices(model):
            sw.review_capacity_mult[p] *= float(self.params["review_capacity_multiplier"])
            sw.review_delay_mult[p] /= float(self.params["report_handling_speedup"])
            sw.detect_mult[p] *= float(self.params["detection_multiplier"])


@register("education")
class Education(Intervention):
    """Covered children (share by age band) block and report more and accept strangers less."""

    def switch_on(self, model):
        pop, sw = model.pop, model.switches
        nc = pop.n_children
        cov = np.asarray(self.params["coverage_by_age_band"], float)[pop.age_band()]
        covered = np.nonzero(_keyed(model, _k.K_COVERAGE, np.arange(nc), 1) < cov)[0]
        sw.block_mult[covered] *= float(self.params["block_multiplier"])
        sw.report_mult[covered] *= float(self.params["report_multiplier"])
        sw.accept_mult[covered] *= float(self.params["accept_multiplier"])


@register("ban_evasion_prevention")
class BanEvasionPrevention(Intervention):
    """A banned offender's returning account is stopped with ``block_probability``."""

    def switch_on(self, model):
        for p in self.platform_indices(model):
            model.switches.return_block_prob[p] = float(self.params["block_probability"])


@register("parental_guardianship")
class ParentalGuardianship(Intervention):
    """Covered children's guardians notice more often; a cue ends the relationship more often."""

    def switch_on(self, model):
        pop, sw = model.pop, model.switches
        nc = pop.n_children
        covered = np.nonzero(_keyed(model, _k.K_COVERAGE, np.arange(nc), 2) < self.params["coverage"])[0]
        sw.guardian_mult[covered] *= float(self.params["cue_multiplier"])
        sw.guardian_abandon[covered] = float(self.params["abandon_probability"])
