"""Mesa agents: thin views over the population arrays.

The arrays in :class:`sim.population.Population` are the single source of truth; an agent's
attributes are properties that read them, so the kernels and the Mesa API never disagree. Agents
do not act on their own (``step`` is a no-op): a day of the world is a set of vectorised kernels
run by :meth:`sim.model.GroomingModel.step`. Use the agents to inspect, select and group:

    model.agents_by_type[Child].select(lambda c: c.age <= 11)
    model.agents_by_type[Offender].groupby("strategy").count()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.categories import CONTACT_KINDS, STAGES, Strategy
from sim.mesa_import import mesa

if TYPE_CHECKING:
    from sim.population import Population


class _View(mesa.Agent):
    """An agent bound to node ``node`` of the model's arrays."""

    def __init__(self, model, node: int):
        super().__init__(model)
        self.node = int(node)

    @property
    def pop(self) -> Population:
        return self.model.pop

    @property
    def age(self) -> int:
        return int(self.pop.age[self.node])

    @property
    def sex(self) -> str:
        return "girl_or_woman" if self.pop.sex[self.node] == 0 else "boy_or_man"

    @property
    def platforms(self) -> tuple[str, ...]:
        """Platforms where this agent holds an (unbanned) account."""
        p = self.pop
        return tuple(
            name
            for i, name in enumerate(p.platform_names)
            if p.acct[self.node, i] and not p.banned_acct[self.node, i]
        )

    @property
    def degree(self) -> int:
        """Number of ties on at least one platform (offline ties excluded)."""
        ts = self.model.ties
        s, d = ts.start[self.node], ts.deg[self.node]
        return int((ts.emask[s : s + d] != 0).sum())

    def step(self) -> None:  # the kernels do the work; see module docstring
        return None


class Child(_View):
    """A child aged 8-17."""

    @property
    def literacy(self) -> float:
        return float(self.pop.literacy[self.node])

    @property
    def vulnerability(self) -> float:
        return float(self.pop.vulnerability[self.node])

    def _on(self, arr) -> tuple[str, ...]:
        p = self.pop
        return tuple(n for i, n in enumerate(p.platform_names) if arr[self.node, i] and p.acct[self.node, i])

    @property
    def searchable_on(self) -> tuple[str, ...]:
        """Platforms where this child's account can be found through search."""
        return self._on(self.pop.searchable)

    @property
    def location_shared_on(self) -> tuple[str, ...]:
        return self._on(self.pop.location_shared)

    @property
    def livestreams_on(self) -> tuple[str, ...]:
        return self._on(self.pop.livestreams)

    @property
    def dm_open_on(self) -> tuple[str, ...]:
        """Platforms where this child accepts messages from non-connections."""
        return self._on(self.pop.dm_open)

    @property
    def school(self) -> int:
        return int(self.pop.school[self.node])

    @property
    def known_minor_on(self) -> tuple[str, ...]:
        """Platforms that know this account belongs to a minor (age assurance)."""
        p = self.pop
        return tuple(n for i, n in enumerate(p.platform_names) if p.known_minor[self.node, i])

    @property
    def furthest_stage(self) -> str | None:
        """The furthest grooming stage this child has reached (None if never contacted)."""
        row = self.model.child_first_day[self.node]
        reached = [s for s in range(1, len(STAGES) + 1) if row[s] >= 0]
        return STAGES[reached[-1] - 1] if reached else None


class Contact(_View):
    """A benign account: parent, relative, teacher/coach or other adult."""

    @property
    def kind(self) -> str:
        return CONTACT_KINDS[int(self.pop.contact_kind[self.node])]


class Offender(_View):
    """An adult offender account holder."""

    @property
    def index(self) -> int:
        return int(self.pop.node_off_index[self.node])

    @property
    def strategy(self) -> str:
        return Strategy(int(self.pop.strategy[self.index])).name.lower()

    @property
    def outreach_per_week(self) -> float:
        return float(self.pop.outreach_per_day[self.index] * 7.0)

    @property
    def claims_teen(self) -> bool:
        return bool(self.pop.claims_teen[self.index])

    @property
    def claimed_age(self) -> int:
        return int(self.pop.claimed_age[self.index])

    @property
    def persistence(self) -> float:
        return float(self.pop.persistence[self.index])

    @property
    def banned_on(self) -> tuple[str, ...]:
        p = self.pop
        return tuple(n for i, n in enumerate(p.platform_names) if p.banned_acct[self.node, i])
