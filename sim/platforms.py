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

    from sim.model import GroomingModel


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
    cfg: DictConfig,
    n_children: int,
    year: np.ndarray,
    role: np.ndarray,
    slot_of: np.ndarray,
    present: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Accounts ``[n, P]`` of everyone present on day 1 (children by age; ``year[i]`` is the year
    group of the day-1 child in slot ``slot_of[i]``; adults; offenders) and which child accounts
    each platform knows are minors (age assurance), from the stream ``(seed, Stream.ACCOUNTS)``."""
    rng = rng_for(int(cfg.seed), Stream.ACCOUNTS)
    n = role.size
    nc0 = slot_of.size
    names = list(cfg.platforms.keys())
    acct = np.zeros((n, len(names)), bool)
    known_minor = np.zeros((n, len(names)), bool)
    adults = np.flatnonzero(present[n_children:]) + n_children
    is_off = role[adults] == Role.OFFENDER
    for p, name in enumerate(names):
        pl = cfg.platforms[name]
        pr_child = np.asarray(pl.child_account_by_age, float)[year]
        pr_adult = np.where(is_off, pl.offender_account, pl.adult_account)
        acct[slot_of, p] = rng.random(nc0) < pr_child
        acct[adults, p] = rng.random(adults.size) < pr_adult
        known_minor[slot_of, p] = acct[slot_of, p] & (rng.random(nc0) < pl.age_assurance)
    return acct, known_minor


class Holders:
    """The account holders of each platform as sorted node-id arrays: ``holders[p]``.

    Accounts opened and closed during a day (:func:`add_holder`, :func:`remove_holder`) are
    recorded and merged into the array the next time it is read, in one pass, instead of one
    O(holders) insert or delete per account (which cost ~0.35 ms each at 10^6 agents). The array
    read is the same as with immediate updates: the last change recorded for a node wins.
    """

    def __init__(self, arrays: list[np.ndarray]):
        self._arrays = [np.asarray(a, np.int64) for a in arrays]
        self._pending: list[dict[int, bool]] = [{} for _ in arrays]

    def __len__(self) -> int:
        return len(self._arrays)

    def __iter__(self):
        return (self[p] for p in range(len(self)))

    def __getitem__(self, p: int) -> np.ndarray:
        pend = self._pending[p]
        if pend:
            self._arrays[p] = _merge(
                self._arrays[p],
                np.array(sorted(n for n, on in pend.items() if on), np.int64),
                np.array(sorted(n for n, on in pend.items() if not on), np.int64),
            )
            pend.clear()
        return self._arrays[p]

    def change(self, p: int, node: int, holds: bool) -> None:
        """Record that ``node`` opened (``holds``) or closed its account on platform ``p``."""
        self._pending[p][int(node)] = holds


def _merge(users: np.ndarray, add: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """The sorted unique array ``users`` with the sorted ``add`` inserted (those not in it yet)
    and the sorted ``drop`` removed (those in it), in one copy: the array is cut at the few
    positions that change and its pieces are copied between them."""
    n = users.size
    if n:
        di = np.searchsorted(users, drop)
        di = di[(di < n) & (users[np.minimum(di, n - 1)] == drop)]
        ai = np.searchsorted(users, add)
        new = (ai >= n) | (users[np.minimum(ai, n - 1)] != add)
        add, ai = add[new], ai[new]
    else:
        di, ai = drop[:0], np.zeros(add.size, np.int64)
    out = np.empty(n - di.size + add.size, np.int64)
    # events by position in users; at one position the insertions (in value order) come first
    pos = np.concatenate([ai, di])
    order = np.argsort(pos, kind="stable")
    n_add = add.size
    src = dst = 0
    for e in order.tolist():
        at = int(pos[e])
        out[dst : dst + at - src] = users[src:at]
        dst += at - src
        src = at
        if e < n_add:
            out[dst] = add[e]
            dst += 1
        else:
            src += 1
    out[dst:] = users[src:]
    return out


def add_holder(model: GroomingModel, p: int, node: int) -> None:
    """Node ``node`` opened an account on platform ``p``: keep ``model.acct_users[p]`` (sorted)."""
    model.acct_users.change(p, node, True)


def remove_holder(model: GroomingModel, p: int, node: int) -> None:
    """Node ``node``'s account on platform ``p`` closed."""
    model.acct_users.change(p, node, False)


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
