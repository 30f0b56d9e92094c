"""GroomingModel: the world and its day.

``GroomingModel(cfg).run()`` builds the population and the initial graph, then steps one day at a
time. A day, in this fixed order (docs/ODD.md, "Process overview and scheduling"):

1. interventions apply (each from its start day; they only change :class:`Switches`);
2. banned offenders whose return is due come back with a new account;
3. friend suggestions on each platform (kernel ``suggest``): benign ties, and offender-child
   pairs in both directions;
4. offender outreach (kernel ``outreach``) through search, location, livestream and game chat,
   plus recontacts scheduled after blocks;
5. contact attempts resolved in a fixed order (kernel ``resolve_contacts``): relationships
   start, children accept or decline, block and report; accepted ties inserted;
6. organic benign ties;
7. the contact step over every tie (kernel ``contact_step``): interactions, grooming stage
   transitions and exits, detection flags;
8. moderation: reports and flags wait ``review_delay_days``, then a finite daily review capacity
   per platform confirms them; confirmed offenders are banned on that platform;
9. metrics of the day are recorded (and Mesa's DataCollector collects them).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import mesa
import numpy as np
from omegaconf import DictConfig, OmegaConf

from sim import kernels as _k
from sim.agents import Child, Contact, Offender
from sim.config import CHANNELS, STAGES, load_config, validate
from sim.metrics import Metrics
from sim.network import TieStore, build_initial_ties, build_initial_ties_networkx
from sim.population import Population, build_population

N_CHUNKS = 64  # work units of the parallel loops; results do not depend on it or on threads
MAX_ATTEMPTS_PER_DAY = 128  # per offender (outreach_per_week_max 500 -> ~71/day)
OUTREACH_TRIES = 8
MESA_AGENTS_AUTO_LIMIT = 200_000
STREAM_DAILY_ORGANIC = 100


@dataclass
class Switches:
    """Everything an intervention may change. The kernels read these; nothing else is patched.

    Per-child multipliers default to 1, flags to the 2019 baseline (no detection, suggestions
    for everyone). An intervention changes these from its start day (see sim/interventions).
    """

    suggestible: np.ndarray  # bool [n, P]: may see and appear in suggestions on platform p
    no_adult_child_suggestions: np.ndarray  # bool [P]
    min_mutual_for_minors: np.ndarray  # int [P]: 0 = no threshold
    accept_mult: np.ndarray  # float [n]: stranger acceptance multiplier (children)
    block_mult: np.ndarray
    report_mult: np.ndarray
    guardian_mult: np.ndarray  # daily guardian-cue multiplier per child
    guardian_abandon: np.ndarray  # per child: offender abandons after a guardian cue
    detect_on: bool = False
    detect_platforms: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    detect_base: np.ndarray = field(default_factory=lambda: np.zeros((0, 8)))  # [P, stage]
    detect_mult: np.ndarray = field(default_factory=lambda: np.ones(0))  # [P]
    detect_fp: float = 0.0
    review_capacity_mult: np.ndarray = field(default_factory=lambda: np.ones(0))
    review_delay_mult: np.ndarray = field(default_factory=lambda: np.ones(0))
    return_block_prob: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [P]

    def detect_sens(self) -> np.ndarray:
        """Effective daily flag probability by platform and stage ([P, stage], clipped to 1)."""
        return np.minimum(self.detect_base * self.detect_mult[:, None], 1.0)


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
        metrics: daily counters (:class:`sim.metrics.Metrics`).
        datacollector: Mesa DataCollector with the main daily series.
        day: the last completed day (0 before the first step).
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
        self.backend = str(cfg.backend)
        self.threads = _set_threads(int(cfg.threads)) if self.backend == "numba" else 1
        self.K = _k.backend_module(self.backend)
        t0 = time.perf_counter()
        self.pop: Population
        self.pop, groups = build_population(cfg)
        builder = build_initial_ties if cfg.network.builder == "arrays" else build_initial_ties_networkx
        self.ties: TieStore = builder(cfg, self.pop, groups)
        self.build_seconds = time.perf_counter() - t0
        self.platform_names = self.pop.platform_names
        self.n_platforms = len(self.platform_names)
        self.day = 0
        self._setup_platforms()
        self._setup_relationships()
        self.switches = self._baseline_switches()
        self.metrics = Metrics(self)
        self.review_queue = [[deque() for _ in self.REVIEW_SOURCES] for _ in range(self.n_platforms)]
        self.review_carry = np.zeros(self.n_platforms)
        self.pending_recontacts: list[tuple[int, int, int, int, int]] = []
        self.pending_returns: list[tuple[int, int, int]] = []
        self.ever_banned = np.zeros(self.pop.n_offenders, bool)
        self.interventions = []
        from sim.interventions import build_interventions

        self.interventions = build_interventions(cfg, self)
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
    def _setup_platforms(self):
        P = self.n_platforms
        pls = self.plat_cfg
        # outreach features: search, location, livestream, game chat, visible connection lists
        self.plat_feature = np.zeros((P, 5), bool)
        for p, pl in enumerate(pls):
            self.plat_feature[p] = (pl.search, pl.location, pl.livestream, pl.game_chat, pl.connection_lists)
        self.plat_encrypted = np.array([pl.encrypted for pl in pls], bool)
        self.search_hides_minors = np.array([pl.search_hides_known_minors_from_adults for pl in pls], bool)
        priv = [p for p, pl in enumerate(pls) if pl.private_destination]
        self.private_plat = priv[0] if priv else -1
        self.acct_users = [np.nonzero(self.pop.acct[:, p])[0].astype(np.int64) for p in range(P)]
        nch = min(self.threads, N_CHUNKS) if self.backend == "numba" else 1
        self._sugg_chunks = nch
        g = self.g
        nw = self.nw
        # daily interaction probability by channel code (echan); codes with REL_BIT (ties that
        # carry an offender-child relationship) stay 0: they have no benign interactions
        ip = np.zeros(128)
        ip[_k.CH_HOUSEHOLD] = nw.interaction_household
        ip[_k.CH_SCHOOL] = nw.interaction_school
        ip[_k.CH_CLUB] = nw.interaction_club
        ip[_k.CH_ADULT] = nw.interaction_adult
        ip[_k.CH_SUGGESTION : len(CHANNELS)] = nw.interaction_online
        self.interact_p = ip
        self.g_params = np.array(
            [
                g.offender_interaction,
                g.jump,
                g.daily_block,
                g.daily_report,
                g.guardian_daily,
                0.0,
                g.abandon_daily,
                g.literacy_advance_effect,  # slot 5 unused: per child in Switches
                g.vulnerability_advance_effect,
                g.tell_anyone,
                g.tell_leads_to_police,
                g.report_to_police,
                g.sexual_request_block,
                g.sexual_request_report,
                g.literacy_block_effect,
                g.targeted_advance_multiplier,
                g.scattergun_advance_multiplier,
            ],
            np.float64,
        )
        # daily advance probability by current stage (index = stage, 1-based)
        self.advance = np.array(
            [
                0.0,
                0.0,
                g.advance_from_engaged,
                g.advance_from_trust,
                g.advance_from_isolation,
                g.advance_from_sexual_communication,
                g.advance_from_image,
                0.0,
            ],
            np.float64,
        )
        self.channel_w = np.array(
            [list(g.channel_weights_scattergun), list(g.channel_weights_targeted)], np.float64
        )
        self.channel_w /= self.channel_w.sum(axis=1, keepdims=True)
        # offender traits by node id (the kernels index them by node): defaults for non-offenders
        pop = self.pop
        offs = pop.offender_ids
        self.claims_teen_node = np.zeros(pop.n, bool)
        self.claims_teen_node[offs] = pop.claims_teen
        self.target_min_node = np.full(pop.n, 8, np.int64)
        self.target_min_node[offs] = pop.target_age_min
        self.target_max_node = np.full(pop.n, 17, np.int64)
        self.target_max_node[offs] = pop.target_age_max
        self.out_of_target_node = np.ones(pop.n)
        self.out_of_target_node[offs] = pop.out_of_target_weight
        nc = self.pop.n_children
        self.vuln_mean = float(self.pop.vulnerability[:nc].mean()) if nc else 0.0
        self.child_age = self.pop.age[:nc].astype(np.int64)

    def _setup_relationships(self):
        nc = self.pop.n_children
        self.n_rel = np.zeros(1, np.int64)
        self._rel_cap = 0
        self.rel = {}
        self._grow_relationships(1024)
        S = len(STAGES) + 1
        self.child_first_day = np.full((nc, S), -1, np.int16)
        self.child_first_plat = np.full((nc, S), -1, np.int8)
        self.child_first_chan = np.full((nc, S), -1, np.int8)

    _REL_FIELDS = (
        ("child", np.int32, -1),
        ("off", np.int32, -1),
        ("plat", np.int8, -1),
        ("chan", np.int8, -1),
        ("stage", np.int8, 0),
        ("start", np.int16, -1),
        ("exit", np.int8, 0),
        ("exit_day", np.int16, -1),
        ("offence", np.int16, -1),
        ("recorded", np.int16, -1),
        ("flagged", np.int16, -1),
        ("moved", np.int16, -1),
        ("first_plat", np.int8, -1),
    )

    def _grow_relationships(self, need: int):
        if need <= self._rel_cap:
            return
        cap = max(need, int(self._rel_cap * 1.5) + 1024)
        for name, dt, fill in self._REL_FIELDS:
            arr = np.full(cap, fill, dt)
            if name in self.rel:
                arr[: self._rel_cap] = self.rel[name][: self._rel_cap]
            self.rel[name] = arr
        self._rel_cap = cap

    def _baseline_switches(self) -> Switches:
        n, P = self.pop.n, self.n_platforms
        return Switches(
            suggestible=np.ones((n, P), bool),
            no_adult_child_suggestions=np.zeros(P, bool),
            min_mutual_for_minors=np.zeros(P, np.int64),
            accept_mult=np.ones(n),
            block_mult=np.ones(n),
            report_mult=np.ones(n),
            guardian_mult=np.ones(n),
            guardian_abandon=np.full(n, float(self.g.guardian_abandon)),
            detect_platforms=np.zeros(P, bool),
            detect_base=np.zeros((P, len(STAGES) + 1)),
            detect_mult=np.ones(P),
            review_capacity_mult=np.ones(P),
            review_delay_mult=np.ones(P),
            return_block_prob=np.zeros(P),
        )

    def _make_agents(self):
        make = _mesa_agents_wanted(self.cfg)
        self.mesa_agents_created = bool(make)
        if not make:
            return
        role = self.pop.role
        classes = (Child, Contact, Offender)
        for node in range(self.pop.n):
            classes[role[node]](self, node)

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
        d = self.day + 1
        self.metrics.begin_day(d)
        for iv in self.interventions:
            if iv.active(d):
                iv.apply(self, d)
        self._returns(d)
        attempts = [self._suggestions(d)]
        attempts.append(self._outreach(d))
        attempts.append(self._recontacts(d))
        self._resolve(d, attempts)
        self._organic(d)
        self._contact_step(d)
        self._moderation(d)
        self.day = d
        self.metrics.end_day(d)
        self.datacollector.collect(self)
        if d >= self.days:
            self.running = False

    def run(self, days: int | None = None, progress: bool | None = None) -> GroomingModel:
        """Run ``days`` days (default: the configured horizon, from the current day)."""
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

    # -- 2. returns ------------------------------------------------------------------------
    def _returns(self, d):
        keep = []
        for due, o_node, p in self.pending_returns:
            if due > d:
                keep.append((due, o_node, p))
                continue
            if self.switches.return_block_prob[p] > 0 and (
                self.K.u01(self.seed, d, _k.K_EVASION, o_node, p) < self.switches.return_block_prob[p]
            ):
                self.metrics.add("returns_blocked", 1)
                continue
            self.pop.banned_acct[o_node, p] = False
            self.metrics.add("offender_returns", 1)
        self.pending_returns = keep

    # -- 3. suggestions --------------------------------------------------------------------
    def _suggestions(self, d):
        K, pop, ts, sw = self.K, self.pop, self.ties, self.switches
        benign_u, benign_w, benign_p = [], [], []
        att = []
        # per platform, one contiguous row: account, suggestible and not banned (whole-array
        # operations and one transpose instead of strided column slices per platform)
        elig_all = np.ascontiguousarray((pop.acct & sw.suggestible & ~pop.banned_acct).T)
        minor_all = np.ascontiguousarray(pop.known_minor.T)
        for p, name in enumerate(self.platform_names):
            pl = self.plat_cfg[p]
            if not pl.suggestions or pl.suggestions_per_day == 0 or pl.served_share == 0:
                continue
            users = self.acct_users[p]
            n_served = int(round(pl.served_share * users.size))
            if n_served == 0:
                continue
            k = int(pl.suggestions_per_day)
            out_u = np.full(n_served * k, -1, np.int64)
            out_w = np.full(n_served * k, -1, np.int64)
            out_kind = np.zeros(n_served * k, np.int8)
            K.suggest(
                self.seed,
                d,
                p,
                _rule_index(pl.suggestion_rule),
                k,
                n_served,
                float(pl.suggestion_accept),
                float(self.g.offender_follows_suggested_child),
                float(pl.age_homophily),
                float(pl.school_homophily),
                float(pl.contact_book),
                float(self.g.accept_claimed_teen_multiplier),
                users,
                ts.start,
                ts.deg,
                ts.nbr,
                ts.emask,
                ts.echan,
                ts.pdeg,
                pop.role,
                pop.age,
                pop.school,
                elig_all[p],
                sw.accept_mult,
                self.claims_teen_node,
                self.target_min_node,
                self.target_max_node,
                self.out_of_target_node,
                minor_all[p],
                bool(sw.no_adult_child_suggestions[p]),
                int(sw.min_mutual_for_minors[p]),
                out_u,
                out_w,
                out_kind,
                self._sugg_chunks,
            )
            ok = out_u >= 0
            u, w, kind = out_u[ok], out_w[ok], out_kind[ok]
            b = kind == _k.PROP_BENIGN
            benign_u.append(u[b])
            benign_w.append(w[b])
            benign_p.append(np.full(int(b.sum()), p, np.int64))
            o2c = kind == _k.PROP_OFFENDER_TO_CHILD
            c2o = kind == _k.PROP_CHILD_TO_OFFENDER
            att.append((u[o2c], w[o2c], np.full(int(o2c.sum()), p), False))
            att.append((w[c2o], u[c2o], np.full(int(c2o.sum()), p), True))
        self._benign_suggested = (_cat(benign_u), _cat(benign_w), _cat(benign_p))
        return [(o, c, p, _k.CH_SUGGESTION, init) for o, c, p, init in att]

    # -- 4. outreach -----------------------------------------------------------------------
    def _outreach(self, d):
        pop = self.pop
        offs = pop.offender_ids
        if offs.size == 0:
            return []
        n_off = offs.size
        out_child = np.full(n_off * MAX_ATTEMPTS_PER_DAY, -1, np.int64)
        out_plat = np.zeros(n_off * MAX_ATTEMPTS_PER_DAY, np.int64)
        out_chan = np.zeros(n_off * MAX_ATTEMPTS_PER_DAY, np.int64)
        ts = self.ties
        self.K.outreach(
            self.seed,
            d,
            offs.astype(np.int64),
            pop.outreach_per_day,
            pop.strategy.astype(np.int64),
            pop.target_age_min.astype(np.int64),
            pop.target_age_max.astype(np.int64),
            pop.out_of_target_weight,
            pop.target_girls,
            float(self.g.attempt_noticed),
            pop.area[offs].astype(np.int64),
            pop.acct,
            pop.banned_acct,
            self.channel_w,
            self.plat_feature,
            pop.n_children,
            pop.area_lo,
            pop.area_hi,
            self.child_age,
            pop.sex,
            pop.vulnerability,
            pop.searchable,
            pop.location_shared,
            pop.livestreams,
            pop.dm_open,
            pop.lists_hidden,
            pop.known_minor,
            pop.claims_teen,
            self.search_hides_minors,
            ts.start,
            ts.deg,
            ts.nbr,
            ts.emask,
            MAX_ATTEMPTS_PER_DAY,
            out_child,
            out_plat,
            out_chan,
            OUTREACH_TRIES,
        )
        ok = out_child >= 0
        o = np.repeat(offs.astype(np.int64), MAX_ATTEMPTS_PER_DAY)[ok]
        self.metrics.add("outreach_attempts_reaching_a_child", int(ok.sum()))
        return [(o, out_child[ok], out_plat[ok], out_chan[ok], False)]

    def _recontacts(self, d):
        due = [x for x in self.pending_recontacts if x[0] <= d]
        if not due:
            return []
        self.pending_recontacts = [x for x in self.pending_recontacts if x[0] > d]
        due.sort()
        o = np.array([x[1] for x in due], np.int64)
        c = np.array([x[2] for x in due], np.int64)
        p = np.array([x[3] for x in due], np.int64)
        ch = np.array([x[4] for x in due], np.int64)
        ok = ~self.pop.banned_acct[o, p]
        self.metrics.add("recontacts", int(ok.sum()))
        return [(o[ok], c[ok], p[ok], ch[ok], False)]

    # -- 5. resolve ------------------------------------------------------------------------
    def _resolve(self, d, groups):
        parts = [x for g in groups for x in g]
        if parts:
            o = _cat([np.asarray(x[0], np.int64) for x in parts])
            c = _cat([np.asarray(x[1], np.int64) for x in parts])
            p = _cat([np.broadcast_to(np.asarray(x[2], np.int64), np.shape(x[0])) for x in parts])
            ch = _cat([np.broadcast_to(np.asarray(x[3], np.int64), np.shape(x[0])) for x in parts])
            init = _cat([np.full(np.shape(x[0]), x[4], bool) for x in parts])
        else:
            o = c = p = ch = np.zeros(0, np.int64)
            init = np.zeros(0, bool)
        # one attempt per pair per day: the first in the fixed order wins
        if o.size:
            key = c * self.pop.n + o
            _, first = np.unique(key, return_index=True)
            first.sort()
            o, c, p, ch, init = o[first], c[first], p[first], ch[first], init[first]
        n_a = o.size
        self._grow_relationships(int(self.n_rel[0]) + n_a + 1)
        R = self.rel
        acc = np.full(n_a, -1, np.int64)
        blocked = np.zeros(n_a, np.int8)
        reported = np.zeros(n_a, np.int8)
        g = self.g
        sw = self.switches
        r0 = int(self.n_rel[0])
        self.K.resolve_contacts(
            self.seed,
            d,
            o,
            c,
            p,
            ch,
            init,
            self.ties.start,
            self.ties.deg,
            self.ties.nbr,
            self.ties.emask,
            self.pop.literacy,
            self.pop.vulnerability,
            self.claims_teen_node,
            float(g.accept_stranger),
            float(g.accept_claimed_teen_multiplier),
            float(g.literacy_accept_effect),
            float(g.vulnerability_accept_effect),
            self.vuln_mean,
            float(g.block_unwanted),
            float(g.report_unwanted),
            float(g.literacy_block_effect),
            sw.accept_mult,
            sw.block_mult,
            sw.report_mult,
            R["child"],
            R["off"],
            R["plat"],
            R["chan"],
            R["stage"],
            R["start"],
            R["exit"],
            R["exit_day"],
            R["first_plat"],
            self.n_rel,
            acc,
            blocked,
            reported,
            self.child_first_day,
            self.child_first_plat,
            self.child_first_chan,
        )
        r1 = int(self.n_rel[0])
        self.metrics.add("contacts", r1 - r0)
        self.metrics.add("contacts_declined", int((acc == -1).sum()))
        self.metrics.add("blocks", int(blocked.sum()))
        self.metrics.add("reports", int(reported.sum()))
        a = acc >= 0
        if a.any():
            ins = self.ties.insert(
                self.K,
                c[a],
                o[a],
                (np.int64(1) << p[a]).astype(np.uint8),
                ch[a].astype(np.int8),
                acc[a].astype(np.int32),
                d,
            )
            self.metrics.add("ties_created_by_offender_contact", ins)
            self.metrics.add("ties_created_by_suggestion", int((ch[a] == _k.CH_SUGGESTION).sum()))
        # reports and blocks of declined contacts
        rows = np.nonzero(acc == -1)[0]  # declined (-2: skipped, already tied)
        for i in rows[reported[rows] == 1]:
            self.enqueue_review(d, int(o[i]), int(p[i]))
        self._schedule_recontacts(
            d, o[rows], c[rows], p[rows], ch[rows], (blocked[rows] == 1) | (reported[rows] == 1)
        )

    def _schedule_recontacts(self, d, o, c, p, ch, ended_by_child):
        g = self.g
        K = self.K
        for oi, ci, pi, chi, e in zip(
            o.tolist(), c.tolist(), p.tolist(), ch.tolist(), ended_by_child.tolist()
        ):
            if not e:
                continue
            if K.u01(self.seed, d, _k.K_RECONTACT, ci, oi) < g.recontact_after_block:
                self.pending_recontacts.append((d + int(g.recontact_delay_days), oi, ci, pi, chi))

    # -- 6. organic ties -------------------------------------------------------------------
    def _organic(self, d):
        bu, bw, bp = self._benign_suggested
        nc = self.pop.n_children
        lam = self.nw.organic_ties_per_1000_per_day * nc / 1000.0
        rng = np.random.default_rng([self.seed, STREAM_DAILY_ORGANIC, d])
        m = int(rng.poisson(lam)) if lam > 0 else 0
        if m and nc > 1:
            a = rng.integers(0, nc, size=m)
            area = self.pop.area[a]
            lo, hi = self.pop.area_lo[area], self.pop.area_hi[area]
            b = lo + (rng.random(m) * (hi - lo)).astype(np.int64)
            both = self.pop.acct[a] & self.pop.acct[b]
            has = both.any(axis=1)
            # platform: the first shared one after a random offset (deterministic per draw)
            off = rng.integers(0, self.n_platforms, size=m)
            pp = (
                np.array(
                    [
                        next(
                            (
                                int((o_ + j) % self.n_platforms)
                                for j in range(self.n_platforms)
                                if row[(o_ + j) % self.n_platforms]
                            ),
                            -1,
                        )
                        for o_, row in zip(off.tolist(), both)
                    ],
                    np.int64,
                )
                if m
                else np.zeros(0, np.int64)
            )
            a, b, pp = a[has], b[has], pp[has]
        else:
            a = b = pp = np.zeros(0, np.int64)
        tu = np.concatenate([bu, a])
        tv = np.concatenate([bw, b])
        tp = np.concatenate([bp, pp])
        chan = np.concatenate(
            [np.full(bu.size, _k.CH_SUGGESTION, np.int8), np.full(a.size, _k.CH_ORGANIC, np.int8)]
        )
        if tu.size == 0:
            return
        lo_, hi_ = np.minimum(tu, tv), np.maximum(tu, tv)
        key = lo_ * self.pop.n + hi_
        _, first = np.unique(key, return_index=True)
        first.sort()
        is_sugg = chan[first] == _k.CH_SUGGESTION
        n_s = self.ties.insert(
            self.K,
            lo_[first][is_sugg],
            hi_[first][is_sugg],
            (np.int64(1) << tp[first][is_sugg]).astype(np.uint8),
            chan[first][is_sugg],
            np.full(int(is_sugg.sum()), -1, np.int32),
            d,
        )
        n_o = self.ties.insert(
            self.K,
            lo_[first][~is_sugg],
            hi_[first][~is_sugg],
            (np.int64(1) << tp[first][~is_sugg]).astype(np.uint8),
            chan[first][~is_sugg],
            np.full(int((~is_sugg).sum()), -1, np.int32),
            d,
        )
        self.metrics.add("ties_created_by_suggestion", n_s)
        self.metrics.add("ties_created_benign_by_suggestion", n_s)
        self.metrics.add("ties_created_organic", n_o)

    # -- 7. contact step -------------------------------------------------------------------
    def _contact_step(self, d):
        ts, pop, sw, R = self.ties, self.pop, self.switches, self.rel
        counts = np.zeros((N_CHUNKS, 8 + self.n_platforms), np.int64)
        fp = np.full(pop.n, -1, np.int64) if sw.detect_on else np.full(1, -1, np.int64)
        scanned = sw.detect_platforms & ~self.plat_encrypted
        self.K.contact_step(
            self.seed,
            d,
            pop.n_children,
            ts.start,
            ts.deg,
            ts.nbr,
            ts.emask,
            ts.echan,
            ts.erel,
            self.interact_p,
            scanned,
            float(sw.detect_fp),
            bool(sw.detect_on),
            R["child"],
            R["off"],
            R["plat"],
            R["stage"],
            R["exit"],
            R["exit_day"],
            R["offence"],
            R["recorded"],
            R["flagged"],
            R["moved"],
            pop.strategy,
            pop.persistence,
            pop.move_propensity,
            pop.node_off_index,
            pop.literacy,
            pop.vulnerability,
            self.vuln_mean,
            pop.acct,
            pop.banned_acct,
            self.private_plat,
            self.g_params,
            self.advance,
            sw.detect_sens(),
            sw.guardian_mult,
            sw.guardian_abandon,
            sw.block_mult,
            sw.report_mult,
            self.child_first_day,
            self.child_first_plat,
            self.child_first_chan,
            R["chan"],
            counts,
            N_CHUNKS,
            fp,
            int(self.n_rel[0]),
        )
        tot = counts.sum(axis=0)
        m = self.metrics
        m.add("offender_child_interactions", int(tot[0]))
        m.add("stage_advances", int(tot[1]))
        m.add("platform_moves", int(tot[2]))
        m.add("offences", int(tot[3]))
        m.add("recorded_offences", int(tot[4]))
        m.add("false_positive_flags", int(tot[5]))
        for p, name in enumerate(self.platform_names):
            m.add(f"benign_interactions_{name}", int(tot[8 + p]))
        m.add("benign_interactions", int(tot[8:].sum()))
        n_rel = int(self.n_rel[0])
        # platform moves: add the private platform to the other half too (keeps pdeg right)
        moved = np.nonzero(R["moved"][:n_rel] == d)[0]
        for r in moved.tolist():
            c, o = int(R["child"][r]), int(R["off"][r])
            s = self.K.find_slot(ts.start, ts.deg, ts.nbr, c, o)
            if s >= 0:
                new = int(ts.emask[s]) | (1 << self.private_plat)
                self.K.set_tie_mask(ts.start, ts.deg, ts.nbr, ts.emask, ts.pdeg, c, o, new, self.n_platforms)
        # relationships that ended today: their ties go dormant; reports queue; recontacts
        # (declined first contacts have no tie; bans are handled in ban())
        ended_today = (R["exit_day"][:n_rel] == d) & (R["exit"][:n_rel] != _k.EXIT_BANNED)
        ended = np.nonzero(ended_today & ((R["start"][:n_rel] < d) | (R["stage"][:n_rel] >= _k.ST_ENGAGED)))[
            0
        ]
        rep = []
        for r in ended.tolist():
            c, o = int(R["child"][r]), int(R["off"][r])
            ex = int(R["exit"][r])
            self.K.set_tie_mask(ts.start, ts.deg, ts.nbr, ts.emask, ts.pdeg, c, o, 0, self.n_platforms)
            if ex == _k.EXIT_REPORTED:
                rep.append(r)
                self.enqueue_review(d, o, int(R["plat"][r]), rel=r)
            m.add("exits_" + _EXIT_NAMES[ex], 1)
        if ended.size:
            ex = R["exit"][ended]
            sel = (ex == _k.EXIT_BLOCKED) | (ex == _k.EXIT_REPORTED)
            e = ended[sel]
            self._schedule_recontacts(
                d,
                R["off"][e].astype(np.int64),
                R["child"][e].astype(np.int64),
                R["plat"][e].astype(np.int64),
                R["chan"][e].astype(np.int64),
                np.ones(e.size, bool),
            )
            m.add("blocks", int((ex == _k.EXIT_BLOCKED).sum()))
            m.add("reports", int((ex == _k.EXIT_REPORTED).sum()))
        # detector flags of relationships (true positives) and of benign accounts
        if sw.detect_on:
            flagged = np.nonzero(R["flagged"][:n_rel] == d)[0]
            for r in flagged.tolist():
                self.enqueue_review(d, int(R["off"][r]), int(R["plat"][r]), rel=r, source="flag")
            m.add("detector_flags_true", int(flagged.size))
            for u in np.nonzero(fp >= 0)[0].tolist():
                v, p = divmod(int(fp[u]), 8)
                self.enqueue_review(d, v, p, source="flag")

    # -- 8. moderation ---------------------------------------------------------------------
    #: Review priority: children's reports first, then signals shared by other platforms, then
    #: detector flags (platforms triage user reports about children first; a flood of detector
    #: false positives then delays other flags, not children's reports).
    REVIEW_SOURCES = ("report", "shared", "flag")

    def enqueue_review(self, d, target, p, rel=-1, source="report"):
        """Queue account ``target`` on platform ``p`` for human review (report, shared or flag)."""
        self.review_queue[p][self.REVIEW_SOURCES.index(source)].append((d, int(target), int(rel)))

    def _moderation(self, d):
        pop, sw = self.pop, self.switches
        for p, name in enumerate(self.platform_names):
            pl = self.plat_cfg[p]
            self.review_carry[p] += (
                pl.review_capacity_per_100k * sw.review_capacity_mult[p] * self.acct_users[p].size / 1e5
            )
            cap = int(self.review_carry[p])
            delay = int(round(pl.review_delay_days * sw.review_delay_mult[p]))
            done = 0
            for src, q in enumerate(self.review_queue[p]):
                while q and done < cap and q[0][0] + delay <= d:
                    day_in, target, rel = q.popleft()
                    if pop.banned_acct[target, p]:
                        continue  # already banned: nothing to review
                    done += 1
                    draw = self.K.u01(self.seed, d, _k.K_REVIEW, target, p * 4 + src)
                    if pop.role[target] == _k.ROLE_OFFENDER:
                        if draw < pl.review_accuracy:
                            self.ban(d, target, p)
                            self.metrics.add("bans_via_review", 1)
                            self.metrics.add("days_report_to_ban_total", d - day_in)
                    else:
                        if draw < pl.review_false_ban:
                            pop.banned_acct[target, p] = True
                            self.metrics.add("benign_accounts_banned", 1)
                        self.metrics.add("benign_accounts_reviewed", 1)
            backlog = sum(len(q) for q in self.review_queue[p])
            # unused capacity does not pile up beyond one day's worth (reviewers do not bank time)
            daily = pl.review_capacity_per_100k * sw.review_capacity_mult[p] * self.acct_users[p].size / 1e5
            self.review_carry[p] = min(self.review_carry[p] - done, max(daily, 1.0))
            self.metrics.add("reviews", done)
            self.metrics.set_level(f"review_backlog_{name}", backlog)

    def ban(self, d, o_node, p, via="review"):
        """Ban offender ``o_node``'s account on platform ``p``: its relationships there end."""
        pop, ts, R = self.pop, self.ties, self.rel
        pop.banned_acct[o_node, p] = True
        oi = int(pop.node_off_index[o_node])
        self.metrics.add("bans", 1)
        if via == "shared":
            self.metrics.add("bans_via_sharing", 1)
        if not self.ever_banned[oi]:
            self.ever_banned[oi] = True
            self.metrics.add("offenders_banned", 1)
        n_rel = int(self.n_rel[0])
        mine = np.nonzero(R["off"][:n_rel] == o_node)[0]
        active = mine[(R["exit"][mine] == _k.EXIT_NONE) & (R["plat"][mine] == p)]
        for r in active.tolist():
            R["exit"][r] = _k.EXIT_BANNED
            R["exit_day"][r] = d
            self.metrics.add("exits_banned", 1)
            # the relationship is over: its tie goes dormant on every platform
            self.K.set_tie_mask(
                ts.start, ts.deg, ts.nbr, ts.emask, ts.pdeg, int(R["child"][r]), o_node, 0, self.n_platforms
            )
        # offences not yet recorded may be referred to the police
        g = self.g
        # one referral draw per offence (keyed without the day): repeated bans add no chances
        for r in mine[(R["offence"][mine] >= 0) & (R["recorded"][mine] < 0)].tolist():
            pk = int(R["child"][r]) * 2147483648 + o_node
            if self.K.u01(self.seed, int(R["offence"][r]), _k.K_REFERRAL, pk, 0) < g.ban_referral_to_police:
                R["recorded"][r] = d
                self.metrics.add("recorded_offences", 1)
        # the account's ties lose this platform
        s0, dg = int(ts.start[o_node]), int(ts.deg[o_node])
        bit = 1 << p
        for slot in range(s0, s0 + dg):
            m = int(ts.emask[slot])
            if m & bit:
                self.K.set_tie_mask(
                    ts.start,
                    ts.deg,
                    ts.nbr,
                    ts.emask,
                    ts.pdeg,
                    o_node,
                    int(ts.nbr[slot]),
                    m & ~bit,
                    self.n_platforms,
                )
        if self.K.u01(self.seed, d, _k.K_RETURN, o_node, p) < pop.return_propensity[oi]:
            self.pending_returns.append((d + int(g.return_delay_days), o_node, p))
        for iv in self.interventions:
            if iv.active(d):
                iv.on_ban(self, d, o_node, p)

    # ------------------------------------------------------------------------------------
    # Views
    # ------------------------------------------------------------------------------------
    @property
    def graph(self):
        """The current ties as a ``networkx.Graph`` (built on demand; see TieStore.to_networkx)."""
        return self.ties.to_networkx(self.pop)

    def relationships(self):
        """The offender-child relationships so far, as a pandas DataFrame (one row each)."""
        import pandas as pd

        n = int(self.n_rel[0])
        R = self.rel
        df = pd.DataFrame({k: R[k][:n] for k, _, _ in self._REL_FIELDS})
        df["stage_name"] = [STAGES[s - 1] if s > 0 else "" for s in df["stage"]]
        df["channel_name"] = [CHANNELS[c] for c in df["chan"]]
        df["exit_name"] = [_EXIT_NAMES[e] for e in df["exit"]]
        return df

    def summary(self) -> dict:
        """Totals and breakdowns of the run so far (the content of summary.json)."""
        return self.metrics.summary()


_EXIT_NAMES = ("active", "declined", "blocked", "reported", "guardian", "abandoned", "banned", "completed")


def _mesa_agents_wanted(cfg) -> bool:
    n = cfg.population.n_children + cfg.population.n_adults
    return cfg.mesa_agents == "on" or (cfg.mesa_agents == "auto" and n <= MESA_AGENTS_AUTO_LIMIT)


def _rule_index(name: str) -> int:
    from sim.config import RULES

    return RULES.index(name)


def _cat(arrs):
    arrs = [np.asarray(a) for a in arrs]
    return np.concatenate(arrs) if arrs else np.zeros(0, np.int64)


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
    import numpy as np

    out = []
    for k, v in params.items():
        if isinstance(v, np.generic):
            v = v.item()
        out.append(f"{k.replace('__', '.')}={_override_value(v)}")
    return out
