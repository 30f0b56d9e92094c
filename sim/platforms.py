"""Platform archetypes: who holds accounts and which features open which doors.

``platforms.<name>.*`` (``conf/platforms/default.yaml``) combines settings owned by several
mechanisms, each declared where it is used: accounts and features here, friend suggestions in
:mod:`sim.suggestions` (:class:`~sim.suggestions.SuggestionSettings`), review and bans in
:mod:`sim.moderation` (:class:`~sim.moderation.ReviewSettings`). The schema in :mod:`sim.config`
joins them into one ``PlatformConfig`` per platform.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.categories import MAX_PLATFORMS, Role, Route
from sim.fields import ConfigError, flag, prob, probs
from sim.rng import Stream, rng_for

if TYPE_CHECKING:
    from omegaconf import DictConfig


@dataclass
class AccountSettings:
    """Who holds an account, and how well the platform knows a child is a child."""

    child_account_by_age: list[float] = probs(10, "10 probabilities, for ages 8..17")
    adult_account: float = prob()
    offender_account: float = prob()
    age_assurance: float = prob()


@dataclass
class FeatureSettings:
    """Features of the platform: each opens an outreach route or shapes privacy and moderation."""

    search: bool = flag()
    search_hides_known_minors_from_adults: bool = flag()
    connection_lists: bool = flag()
    location: bool = flag()
    livestream: bool = flag()
    game_chat: bool = flag()
    encrypted: bool = flag()
    private_destination: bool = flag()


#: Accounts ``[n, P]`` as kernels read them: held, banned, known by the platform to be a minor's.
Accounts = namedtuple("Accounts", "acct banned known_minor")


def check(cfg: DictConfig) -> None:
    """There is at least one platform and at most :data:`~sim.categories.MAX_PLATFORMS`."""
    if len(cfg.platforms) == 0:
        raise ConfigError("platforms", {}, "at least one platform")
    if len(cfg.platforms) > MAX_PLATFORMS:
        raise ConfigError("platforms", list(cfg.platforms), f"at most {MAX_PLATFORMS} platforms")


def draw_accounts(
    cfg: DictConfig, n_children: int, year: np.ndarray, role: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Accounts ``[n, P]`` (children by age, adults, offenders) and which child accounts each
    platform knows are minors (age assurance), from the stream ``(seed, Stream.ACCOUNTS)``."""
    rng = rng_for(int(cfg.seed), Stream.ACCOUNTS)
    n, nc = role.size, n_children
    names = list(cfg.platforms.keys())
    acct = np.zeros((n, len(names)), bool)
    known_minor = np.zeros((n, len(names)), bool)
    is_off = role == Role.OFFENDER
    for p, name in enumerate(names):
        pl = cfg.platforms[name]
        pr = np.empty(n)
        pr[:nc] = np.asarray(pl.child_account_by_age, float)[year]
        pr[nc:] = pl.adult_account
        pr[is_off] = pl.offender_account
        acct[:, p] = rng.random(n) < pr
        known_minor[:nc, p] = acct[:nc, p] & (rng.random(nc) < pl.age_assurance)
    return acct, known_minor


def features_by_route(plats: list[SimpleNamespace]) -> np.ndarray:
    """``[P, Route]``: whether platform p has the feature that opens each outreach route."""
    out = np.zeros((len(plats), len(Route)), bool)
    for p, pl in enumerate(plats):
        out[p, Route.SEARCH] = pl.search
        out[p, Route.LOCATION] = pl.location
        out[p, Route.LIVESTREAM] = pl.livestream
        out[p, Route.GAMING] = pl.game_chat
        out[p, Route.CONNECTIONS] = pl.connection_lists
    return out


def private_platform(plats: list[SimpleNamespace]) -> int:
    """Index of the platform where offenders move a child at isolation (the first marked
    ``private_destination``), or -1."""
    priv = [p for p, pl in enumerate(plats) if pl.private_destination]
    return priv[0] if priv else -1
