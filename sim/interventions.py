"""Interventions: a registry of named classes with one lifecycle.

A config never names a Python class: ``interventions.<name>`` keys are looked up in
:data:`REGISTRY`, which only this module fills. Each intervention:

- ``setup(model)`` once, after the world is built;
- ``active(day)``: enabled and ``day >= start_day``;
- ``apply(model, day)`` each active day, before anything else happens that day. It changes only
  ``model.switches`` (and documented agent settings), never results or counters.

This module holds the registry and base class; the interventions themselves are registered below
it as they are implemented.
"""

from __future__ import annotations

from typing import Any

from sim.config import ConfigError

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


def build_interventions(cfg, model) -> list[Intervention]:
    """Instantiate the enabled interventions of ``cfg.interventions`` from the registry."""
    from omegaconf import OmegaConf

    out = []
    for name, node in (cfg.get("interventions") or {}).items():
        if name not in REGISTRY:
            raise ConfigError(
                f"interventions.{name}", name,
                "a registered intervention: " + (", ".join(sorted(REGISTRY)) or "(none yet)"),
            )
        params = OmegaConf.to_container(node, resolve=True) if node is not None else {}
        iv = REGISTRY[name](params, model)
        if iv.enabled:
            out.append(iv)
    return out
