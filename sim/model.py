"""GroomingModel: the state of the world and the order of its day.

``GroomingModel(cfg).run()`` builds the population and the initial graph, then steps one day at a
time. Each step of the day is a function of the mechanism module that owns the rule
(docs/architecture.md; docs/ODD.md, "Process overview and scheduling"):

1. interventions apply, each from its start day (:mod:`sim.interventions`); children have their
   birthdays, open accounts, leave at 18 and are replaced by new 8-year-olds
   (:mod:`sim.demography`); offenders come back from removal, desist, are arrested, arrive
   (:mod:`sim.offenders`);
2. banned offenders whose return is due come back with a new account (:mod:`sim.moderation`);
3. friend suggestions on each platform: benign pairs, and offender-child pairs in both
   directions (:mod:`sim.suggestions`);
4. offender outreach through search, location, livestream, game chat and friend lists, and
   recontacts scheduled after blocks (:mod:`sim.outreach`);
5. contact attempts resolved in a fixed order: relationships start, children accept or decline,
   block and report; accepted ties are inserted (:mod:`sim.outreach`);
6. benign suggested ties and organic ties inserted (:mod:`sim.organic`);
7. the contact step over every tie (:mod:`sim.contacts`), then every active relationship steps
   through the grooming stages and exits (:mod:`sim.grooming`);
8. moderation: reports and flags wait ``review_delay_days``, then a finite daily review capacity
   per platform confirms them; confirmed offenders are banned on that platform
   (:mod:`sim.moderation`);
9. metrics of the day are recorded, and Mesa's DataCollector collects them (:mod:`sim.metrics`).

The first ``burn_in_days`` days are simulated with the baseline world (interventions start only
within the measured window) and recorded nowhere: the time series, the summary and ``model.day``
cover the measured window, days 1..``days``. Random decisions are keyed by the absolute day
``model.t`` (burn-in included), so paired runs are identical until an intervention starts.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim import (
    contacts,
    demography,
    grooming,
    interventions,
    moderation,
    offenders,
    organic,
    outreach,
    suggestions,
)
from sim.agents import Child, Contact, Offender
from sim.backend import kernels
from sim.categories import CHANNELS, EXITS, STAGES, Role
from sim.config import load_config, validate
from sim.mesa_import import mesa
from sim.metrics import Metrics
from sim.network import TieStore, build_initial_ties, build_initial_ties_networkx
from sim.offenders import offender_nodes, offender_traits
from sim.outreach import PlatformFeatures, Reachable
from sim.platforms import Accounts, Holders, features_by_route, private_platform
from sim.population import ChildTraits, Population, build_population
from sim.switches import Switches

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

MESA_AGENTS_AUTO_LIMIT = 200_000


class GroomingModel(mesa.Model):
    """Children, benign contacts and offenders on a multiplex social graph, one step per day.

    Args:
        cfg: a merged config (:func:`sim.config.load_config`); or None to load the defaults.
        overrides: command-line style overrides applied when ``cfg`` is None.
        **params: config keys as keyword parameters, nested keys joined by ``__``: e.g.
            ``GroomingModel(seed=3, days=90, population__n_children=2000,
            scenario="nspcc_package", interventions__ai_detection__enabled=True)``. This is
            what Mesa's ``batch_run`` and SolaraViz pass; each becomes the override
            ``key=value`` and is checked like one.

    Attributes:
        pop: the struct-of-arrays population (single source of truth for agent state).
        ties: the growable CSR of ties (:class:`sim.network.TieStore`).
        rel: the relationship table (:class:`sim.grooming.Relationships`; ``n_rel[0]`` rows used).
        first_reach: the day each child first reached each stage (:class:`sim.grooming.FirstReach`).
        switches: what interventions change (:class:`sim.switches.Switches`).
        metrics: daily counters (:class:`sim.metrics.Metrics`).
        datacollector: Mesa DataCollector with the main daily series.
        day: the last completed day of the measured window (0 before it starts; negative during
            the burn-in).
        t: the last completed day counted from the first day of the burn-in.
    """

    def __init__(
        self, cfg: DictConfig | None = None, overrides: list[str] | None = None, **params: Any
    ) -> None:
        if params:
            if cfg is not None:
                raise TypeError("give either a composed cfg or keyword parameters, not both")
            overrides = [*(overrides or []), *params_to_overrides(params)]
        if cfg is None:
            cfg = load_config(overrides)
        else:
            validate(cfg)
        from sim.guard import check_memory

        check_memory(cfg, _mesa_agents_wanted(cfg))
        super().__init__(rng=int(cfg.seed))
        self.cfg = cfg
        # plain-Python copies of the sections read every day (OmegaConf access is slow)
        self.g = SimpleNamespace(**OmegaConf.to_container(cfg.grooming, resolve=True))
        self.nw = SimpleNamespace(**OmegaConf.to_container(cfg.network, resolve=True))
        self.plat_cfg = [
            SimpleNamespace(**OmegaConf.to_container(cfg.platforms[n], resolve=True)) for n in cfg.platforms
        ]
        self.seed = int(cfg.seed)
        self.days = int(cfg.days)
        self.burn_in = int(cfg.burn_in_days)
        self.backend = str(cfg.backend)
        self.threads = _set_threads(int(cfg.threads)) if self.backend == "numba" else 1
        self.K = kernels(self.backend)
        t0 = time.perf_counter()
        self.pop: Population
        self.pop, self.groups = build_population(cfg)
        builder = build_initial_ties if cfg.network.builder == "arrays" else build_initial_ties_networkx
        self.ties: TieStore = builder(cfg, self.pop, self.groups)
        self.build_seconds = time.perf_counter() - t0
        self.platform_names = self.pop.platform_names
        self.n_platforms = len(self.platform_names)
        self.t = 0
        self.day = -self.burn_in
        self._setup_views()
        self.rel = grooming.new_relationships(1024)
        self.n_rel = np.zeros(1, np.int64)
        self.first_reach = grooming.new_first_reach(self.pop.n_children)
        self.switches = Switches.baseline(self.pop.n, self.n_platforms, self.g.guardian_abandon)
        self.switch_arrays = self.switches.arrays(self.plat_encrypted)
        self.metrics = Metrics(self)
        self.review_queue = moderation.new_queues(self.n_platforms)
        self.review_carry = np.zeros(self.n_platforms)
        self.review_seq = 0  # items ever queued: the last tie-breaker of the review order
        oc = cfg.offenders
        self.adapt_params = outreach.AdaptParams(float(oc.adaptation), float(oc.adaptation_exploration))
        self.outreach_yield = outreach.new_yields(self)
        self.forum = outreach.forum_members(self)
        self.pending_recontacts: list[tuple[int, int, int, int, int]] = []
        self.pending_returns: list[tuple[int, int, int]] = []
        self.ever_banned = np.zeros(self.pop.n_offenders, bool)
        self.removed_until = np.full(self.pop.n_offenders, -1, np.int64)  # -2: desisted
        self.next_offender = self.pop.n_offenders_initial
        self._agent_of: dict[int, mesa.Agent] = {}
        self.interventions = []
        self.interventions = interventions.build_interventions(cfg, self)
        for iv in self.interventions:
            iv.setup(self)
        self._make_agents()
        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: (lambda m, name=name: m.metrics.last(name)) for name in Metrics.DATACOLLECTOR_SERIES
            }
        )
        self.running = True

    # ------------------------------------------------------------------------------------
    # Set-up
    # ------------------------------------------------------------------------------------
    def _setup_views(self) -> None:
        """The arrays and bundles the mechanisms read every day, computed once."""
        pop, pls = self.pop, self.plat_cfg
        nc = pop.n_children
        self.plat_encrypted = np.array([pl.encrypted for pl in pls], bool)
        self.private_plat = private_platform(pls)
        self.acct_users = Holders([np.nonzero(pop.acct[:, p])[0] for p in range(self.n_platforms)])
        self.sugg_chunks = min(self.threads, contacts.N_CHUNKS) if self.backend == "numba" else 1
        self.interaction_p = contacts.interaction_probabilities(self.nw)
        w = np.array(
            [list(self.g.channel_weights_scattergun), list(self.g.channel_weights_targeted)], np.float64
        )
        self.channel_weights = w / w.sum(axis=1, keepdims=True)
        self.platform_features = PlatformFeatures(
            features_by_route(pls), np.array([pl.search_hides_known_minors_from_adults for pl in pls], bool)
        )
        self.offender_nodes = offender_nodes(pop)
        self.offender_traits = offender_traits(pop)
        here = pop.children_present()
        self.vuln_mean = float(pop.vulnerability[here].mean()) if here.size else 0.0
        self.child_traits = ChildTraits(pop.literacy, pop.vulnerability, pop.age)
        self.accounts = Accounts(pop.acct, pop.banned_acct, pop.known_minor)
        self.refresh_children()
        self.grooming_params = grooming.grooming_params(self.g, self.vuln_mean)
        # for people who join during the run (sim.demography, sim.offenders)
        self.school_bounds = self.groups.school_bounds
        benign = np.arange(nc, nc + int(self.cfg.population.n_adults))
        order = benign[np.argsort(pop.area[benign], kind="stable")]
        areas = np.arange(pop.area_lo.size)
        self.benign_by_area = (
            order,
            np.searchsorted(pop.area[order], areas),
            np.searchsorted(pop.area[order], areas, side="right"),
        )
        g = self.groups
        parents = [[] for _ in range(g.n_households)]
        for node, h in zip(range(g.parent_start, g.parent_start + g.n_parents), g.hh_of_parent.tolist()):
            parents[h].append(node)
        self.parents_of = parents
        n_class_teachers = min(g.n_teachers, g.n_classes)
        first_class = np.full(g.n_schools, -1, np.int64)  # each school's youngest day-1 class
        kids = g.children
        young = kids[pop.year_group[kids] == 0]
        first_class[pop.school[young[::-1]]] = pop.class_id[young[::-1]]
        self.school_teacher = np.where(
            (first_class >= 0) & (first_class < n_class_teachers), g.teacher_start + first_class, -1
        )
        self.intake_class: dict[tuple[int, int], tuple[int, int]] = {}
        self.next_class = g.n_classes

    def refresh_children(self) -> None:
        """The present children as outreach and organic growth sample them (after joins and leaves)."""
        pop = self.pop
        nc = pop.n_children
        ids = pop.children_present().astype(np.int64)
        areas = np.arange(pop.area_lo.size)
        area = pop.area[ids]
        self.reachable = Reachable(
            nc,
            ids,
            pop.age,
            pop.sex,
            pop.vulnerability,
            pop.searchable,
            pop.location_shared,
            pop.livestreams,
            pop.dm_open,
            pop.lists_hidden,
            np.searchsorted(area, areas).astype(np.int64),
            np.searchsorted(area, areas, side="right").astype(np.int64),
        )

    def grow_relationships(self, need: int) -> None:
        """Make room for ``need`` relationships (amortised growth of the table)."""
        cap = self.rel.child.shape[0]
        if need > cap:
            self.rel = grooming.new_relationships(max(need, int(cap * 1.5) + 1024), self.rel, cap)

    def _make_agents(self) -> None:
        make = _mesa_agents_wanted(self.cfg)
        self.mesa_agents_created = bool(make)
        if not make:
            return
        for node in np.flatnonzero(self.pop.present).tolist():
            self.add_agent(node)

    def add_agent(self, node: int) -> None:
        """Create the Mesa agent of ``node`` (someone who entered the world)."""
        if self.mesa_agents_created:
            classes = {Role.CHILD: Child, Role.CONTACT: Contact, Role.OFFENDER: Offender}
            self._agent_of[node] = classes[int(self.pop.role[node])](self, node)

    def remove_agent(self, node: int) -> None:
        """Remove the Mesa agent of ``node`` (someone who left the world)."""
        agent = self._agent_of.pop(node, None)
        if agent is not None:
            agent.remove()

    # ------------------------------------------------------------------------------------
    # The day
    # ------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance the world by one day."""
        if self.backend == "python":
            # the reference backend hashes with numpy uint64 scalars, which wrap (as intended)
            with np.errstate(over="ignore"):
                return self._step()
        return self._step()

    def _step(self) -> None:
        d = self.t + 1
        if d == self.burn_in + 1:
            self.metrics.begin_window()
        self.metrics.begin_day(d)
        interventions.apply_all(self, d)  # 1
        self.switch_arrays = self.switches.arrays(self.plat_encrypted)
        demography.daily(self, d)
        offenders.daily(self, d)
        moderation.returns(self, d)  # 2
        suggested, benign_pairs = suggestions.daily(self, d)  # 3
        reached = outreach.daily(self, d)  # 4
        recontacts = outreach.due_recontacts(self, d)
        outreach.resolve(self, d, [suggested, reached, recontacts])  # 5
        organic.daily(self, d, benign_pairs)  # 6
        false_flags = contacts.daily(self, d)  # 7
        grooming.daily(self, d)
        moderation.daily(self, d, false_flags)  # 8
        self.t = d
        self.day = d - self.burn_in
        if self.day >= 1:  # 9: the measured window only
            self.metrics.end_day(d)
            self.datacollector.collect(self)
        if self.day >= self.days:
            self.running = False

    def run(self, days: int | None = None, progress: bool | None = None) -> GroomingModel:
        """Run ``days`` days (default: what is left of the burn-in and the measured window)."""
        days = self.days - self.day if days is None else int(days)
        if progress is None:
            progress = _progress_default(self.cfg.progress)
        t0 = time.perf_counter()
        if progress:
            from tqdm import tqdm

            it = tqdm(range(days), desc="simulating", unit="day", delay=2.0, leave=False)
        else:
            it = range(days)
        for _ in it:
            self.step()
        self.run_seconds = getattr(self, "run_seconds", 0.0) + time.perf_counter() - t0
        return self

    def draw(self, day: int, kind: int, a: int, b: int) -> float:
        """The keyed uniform draw ``u01(seed, day, kind, a, b)`` for a decision taken in Python
        (``kind`` a :class:`sim.rng.Decision`; passed on as a plain int: Numba types an enum member
        by walking its class, which costs ~0.2 ms a call)."""
        return float(self.K.u01(self.seed, day, int(kind), int(a), int(b)))

    # ------------------------------------------------------------------------------------
    # Views
    # ------------------------------------------------------------------------------------
    @property
    def child_first_day(self) -> np.ndarray:
        """``[children, stage]``: the day each child first reached each stage (-1: never)."""
        return self.first_reach.day

    @property
    def graph(self) -> nx.Graph:
        """The current ties as a ``networkx.Graph`` (built on demand; see TieStore.to_networkx)."""
        return self.ties.to_networkx(self.pop)

    def relationships(self) -> pd.DataFrame:
        """The offender-child relationships so far, as a pandas DataFrame (one row each; columns of
        :data:`sim.grooming.REL_FIELDS`, days counted in the measured window)."""
        import pandas as pd

        n = int(self.n_rel[0])
        df = pd.DataFrame({name: getattr(self.rel, name)[:n] for name, *_ in grooming.REL_FIELDS})
        # days of the measured window (burn-in days are <= 0); "never" is missing (<NA>)
        for name in ("start", "exit_day", "offence", "recorded", "flagged", "moved"):
            raw = df[name].to_numpy(np.int64)
            df[name] = pd.array(np.where(raw >= 1, raw - self.burn_in, 0), dtype="Int64")
            df.loc[raw < 1, name] = pd.NA
        df["stage_name"] = [STAGES[s - 1] if s > 0 else "" for s in df["stage"]]
        df["channel_name"] = [CHANNELS[c] for c in df["chan"]]
        df["exit_name"] = [EXITS[e] for e in df["exit"]]
        return df

    def summary(self) -> dict:
        """Totals and breakdowns of the run so far (the content of summary.json)."""
        return self.metrics.summary()


def _mesa_agents_wanted(cfg) -> bool:
    n = cfg.population.n_children + cfg.population.n_adults
    return cfg.mesa_agents == "on" or (cfg.mesa_agents == "auto" and n <= MESA_AGENTS_AUTO_LIMIT)


def _progress_default(mode: str) -> bool:
    import sys

    if mode == "on":
        return True
    if mode == "off":
        return False
    return sys.stderr.isatty()


def _set_threads(threads: int) -> int:
    import numba

    n = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    return n


def _override_value(v: Any) -> str:
    """``v`` written in Hydra's override grammar."""
    import re

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ",".join(_override_value(x) for x in v) + "]"
    if v is None:
        return "null"
    s = str(v)
    if re.fullmatch(r"[A-Za-z0-9_.\-]+", s):
        return s
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def params_to_overrides(params: dict[str, Any]) -> list[str]:
    """Keyword parameters (``population__n_children=2000``) as overrides
    (``population.n_children=2000``)."""
    out = []
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        out.append(f"{k.replace('__', '.')}={_override_value(v)}")
    return out
