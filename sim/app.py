"""An interactive page on a small world: Mesa SolaraViz (``make app``, http://localhost:8765).

Students and policy teams watch the mechanism: who is suggested to whom, how offender outreach
reaches children, how far each relationship escalates, and what a set of interventions changes on
the *same* children (side-by-side mode: the 2019 baseline and the chosen interventions run on the
same world with the same seed, so every decision an intervention did not touch is shared).

The model logic of the page is plain Python and tested without a browser (tests/test_app.py):

- :class:`AppModel` is the Mesa model SolaraViz creates and steps. Its keyword parameters are the
  model's own (``seed``, ``population__n_children``, ``interventions__ai_detection__enabled``,
  ... as taken by :class:`sim.model.GroomingModel` and Mesa's ``batch_run``), plus ``compare``
  (side by side) and ``suggestion_rule`` (shorthand for every platform's
  ``platforms__<name>__suggestion_rule``).
- :class:`NetworkLayout` places the nodes once (communities of the day-0 graph, each laid out by
  networkx) and extends the layout as ties are added: a node that gets its first tie is placed
  next to its neighbours; placed nodes never move.
- :class:`NetworkPicture` draws one model on that layout with matplotlib. Ties between benign
  accounts only accumulate (they are never removed), so they are drawn once onto a cached
  background and each frame adds the new ones; offenders' ties, which end and move, and the
  nodes are drawn every frame.

The Solara components at the end of the file build the page around Mesa's ``SolaraViz`` (its
sidebar: parameters, Reset / Play / Step) with this model's own main view.
"""

from __future__ import annotations

import base64
import functools
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.categories import CHANNELS, STAGES, Role
from sim.mesa_import import mesa
from sim.model import GroomingModel

#: The world the page opens with: small enough to step a day in milliseconds and draw every
#: agent. Offenders are raised from the default 10 to 20 per 1,000 children so that a world this
#: small has enough of them (10) for outreach and escalation to be visible within a few weeks.
DEFAULT_WORLD = {
    "seed": 1,
    "population__n_children": 500,
    "population__n_adults": 1000,
    "offenders__per_1000_children": 20.0,
}
#: Fixed for every model the page builds: Mesa agents exist (``model.agents_by_type``), no
#: progress bar, one year watched from the world's first day (no burn-in: the page shows how the
#: world gets going, which the comparison report leaves out).
FIXED_PARAMS = {"mesa_agents": "on", "progress": "off", "days": 365, "burn_in_days": 0}

#: ``suggestion_rule`` value that keeps each platform's configured rule.
AS_CONFIGURED = "as configured"

#: Interventions on the page: (config name, label, main knob, knob label, slider range or choices).
INTERVENTIONS: tuple[tuple[str, str, str, str, Any], ...] = (
    ("ai_detection", "AI detection", "sensitivity", "AI detection: sensitivity", (0.5, 0.95, 0.01)),
    (
        "cross_platform_sharing",
        "Data sharing across platforms",
        "share_probability",
        "Sharing: chance a ban reaches another platform",
        (0.0, 0.8, 0.05),
    ),
    (
        "no_suggestions_for_minors",
        "No friend suggestions for minors",
        "mode",
        "No suggestions: mode",
        ("disabled", "no_adults", "mutual_threshold"),
    ),
    (
        "private_by_default",
        "Private by default for children",
        "adherence",
        "Private by default: share keeping it",
        (0.8, 0.99, 0.01),
    ),
    (
        "duty_of_care",
        "Duty of care (sanctions)",
        "review_capacity_multiplier",
        "Duty of care: review capacity x",
        (1.0, 5.0, 0.25),
    ),
    (
        "education",
        "Online-safety education",
        "accept_multiplier",
        "Education: stranger acceptance x",
        (0.3, 1.0, 0.05),
    ),
    (
        "ban_evasion_prevention",
        "Ban-evasion prevention",
        "block_probability",
        "Ban evasion: chance a return is stopped",
        (0.0, 1.0, 0.05),
    ),
    (
        "parental_guardianship",
        "Parental guardianship",
        "coverage",
        "Guardianship: share of children covered",
        (0.0, 1.0, 0.05),
    ),
    (
        "behavioural_signals",
        "Behavioural signals on the encrypted messenger",
        "sensitivity",
        "Behavioural signals: daily chance a grooming account is flagged",
        (0.0, 0.01, 0.0005),
    ),
)

#: Colours of children by the furthest stage reached (index 0 = never contacted).
STAGE_LABELS = ("not contacted", *(s.replace("_", " ") for s in STAGES))
STAGE_COLOURS = (
    "#d9d9d9",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#f03b20",
    "#bd0026",
    "#7a0177",
    "#2d004b",
)

#: How a tie was made, as drawn. Initial = the day-0 channels (household, school, club, adults).
TIE_KINDS = ("initial", "suggestion", "offender outreach", "organic")
TIE_COLOURS = ("#b0b0b0", "#3182bd", "#e7298a", "#31a354")
_KIND_BY_CHANNEL_NAME = {
    "household": 0,
    "school": 0,
    "club": 0,
    "adult_network": 0,
    "suggestion": 1,
    "search": 2,
    "location": 2,
    "livestream": 2,
    "gaming": 2,
    "connections": 2,
    "organic": 3,
}
#: tie kind by channel index (sim.categories.Channel order)
KIND_OF_CHANNEL = np.array([_KIND_BY_CHANNEL_NAME[c] for c in CHANNELS], np.int8)


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------
@functools.cache
def _defaults():
    """The default config (knob defaults and which platforms make suggestions)."""
    from sim.config import load_config

    return load_config([])


def suggestion_platforms() -> list[str]:
    """Platforms whose config makes friend suggestions (the ones a suggestion rule applies to)."""
    cfg = _defaults()
    return [name for name in cfg.platforms if cfg.platforms[name].suggestions]


def model_params() -> dict[str, Any]:
    """SolaraViz ``model_params``: the sidebar controls, named by the model's keyword parameters."""
    from sim.config import RULES

    cfg = _defaults()
    params: dict[str, Any] = {
        "compare": {
            "type": "Checkbox",
            "value": False,
            "label": "Side by side: 2019 baseline | your interventions",
        },
        "seed": {"type": "SliderInt", "value": DEFAULT_WORLD["seed"], "min": 1, "max": 50, "step": 1},
        "population__n_children": {
            "type": "SliderInt",
            "value": DEFAULT_WORLD["population__n_children"],
            "min": 100,
            "max": 700,
            "step": 50,
            "label": "Children",
        },
        "population__n_adults": {
            "type": "SliderInt",
            "value": DEFAULT_WORLD["population__n_adults"],
            "min": 200,
            "max": 1400,
            "step": 100,
            "label": "Benign adults",
        },
        "offenders__per_1000_children": {
            "type": "SliderFloat",
            "value": DEFAULT_WORLD["offenders__per_1000_children"],
            "min": 0.0,
            "max": 60.0,
            "step": 1.0,
            "label": "Offenders per 1,000 children",
        },
        # how fast offenders move their outreach to the routes that reach children (0: fixed)
        "offenders__adaptation": {
            "type": "SliderFloat",
            "value": float(cfg.offenders.adaptation),
            "min": 0.0,
            "max": 1.0,
            "step": 0.05,
            "label": "Offenders' adaptation",
        },
        "suggestion_rule": {
            "type": "Select",
            "value": AS_CONFIGURED,
            "values": [AS_CONFIGURED, *RULES],
            "label": "Friend-suggestion rule (all platforms)",
        },
    }
    for name, label, knob, knob_label, rng in INTERVENTIONS:
        iv = cfg.interventions[name]
        params[f"interventions__{name}__enabled"] = {"type": "Checkbox", "value": False, "label": label}
        default = iv[knob]
        if isinstance(rng[0], str):
            params[f"interventions__{name}__{knob}"] = {
                "type": "Select",
                "value": str(default),
                "values": list(rng),
                "label": knob_label,
            }
        else:
            lo, hi, step = rng
            params[f"interventions__{name}__{knob}"] = {
                "type": "SliderFloat",
                "value": float(default),
                "min": lo,
                "max": hi,
                "step": step,
                "label": knob_label,
            }
    return params


def default_params() -> dict[str, Any]:
    """The values of :func:`model_params` (what the page starts with)."""
    return {k: v["value"] for k, v in model_params().items()}


def split_params(params: dict[str, Any], suggestion_rule: str = AS_CONFIGURED):
    """Keyword parameters of the two models: (world, interventions).

    The world (seed, population, platforms, ...) is shared by the baseline and the chosen
    scenario; ``interventions__*`` and ``scenario*`` keys go to the scenario only.
    ``suggestion_rule`` becomes ``platforms__<name>__suggestion_rule`` for each platform that makes
    suggestions.
    """
    from sim.config import RULES

    world: dict[str, Any] = dict(FIXED_PARAMS)
    measures: dict[str, Any] = {}
    for k, v in params.items():
        (measures if k.startswith(("interventions__", "scenario")) else world)[k] = v
    if suggestion_rule != AS_CONFIGURED:
        if suggestion_rule not in RULES:
            raise ValueError(
                f"suggestion_rule={suggestion_rule!r}: choose {AS_CONFIGURED!r} or one of {', '.join(RULES)}"
            )
        for name in suggestion_platforms():
            world[f"platforms__{name}__suggestion_rule"] = suggestion_rule
    return world, measures


def enabled_interventions(cfg) -> list[str]:
    """Names of the interventions a config switches on."""
    return [name for name in cfg.interventions if cfg.interventions[name].enabled]


def describe_interventions(cfg) -> str:
    """The interventions a config switches on, each with its main knob's value."""
    knobs = {name: (label, knob) for name, label, knob, _, _ in INTERVENTIONS}
    parts = []
    for name in enabled_interventions(cfg):
        label, knob = knobs.get(name, (name.replace("_", " "), None))
        value = cfg.interventions[name][knob] if knob else None
        shown = f"{value:g}" if isinstance(value, float) else str(value).replace("_", " ")
        parts.append(f"{label} ({knob.replace('_', ' ')} {shown})" if knob else label)
    return "with " + ", ".join(parts) if parts else "no interventions"


# --------------------------------------------------------------------------------------------
# The model SolaraViz steps
# --------------------------------------------------------------------------------------------
class AppModel(mesa.Model):
    """The page's model: one :class:`GroomingModel`, or the baseline and a scenario side by side.

    Args:
        compare: also run the 2019 baseline (no interventions) on the same world and seed.
        suggestion_rule: one rule for every platform that makes suggestions, or "as configured".
        **kwargs: :class:`GroomingModel` keyword parameters (nested keys joined by ``__``).

    Attributes:
        scenario: the model with the chosen interventions.
        baseline: the model without them (None unless ``compare``).
        layout: node positions shared by both pictures.
    """

    # ``**kwargs``, not another name: Mesa's SolaraViz checks the signature and accepts only that
    def __init__(self, compare: bool = False, suggestion_rule: str = AS_CONFIGURED, **kwargs: Any):
        params = {**DEFAULT_WORLD, **kwargs}
        super().__init__(rng=int(params["seed"]))
        self.world_params, self.intervention_params = split_params(params, suggestion_rule)
        self.scenario = GroomingModel(**self.world_params, **self.intervention_params)
        self.baseline = GroomingModel(**self.world_params) if compare else None
        self.compare = bool(compare)
        self._edges: dict[int, tuple[int, tuple]] = {}
        u, v, *_ = self.edges(self.scenario)
        self.layout = NetworkLayout.of_ties(self.scenario.pop.n, u, v, seed=int(params["seed"]))
        self.pictures: dict[int, NetworkPicture] = {}
        self._plots: dict[str, tuple[int, SeriesPlot, bytes | None]] = {}
        self.running = True

    @property
    def panels(self) -> list[tuple[str, GroomingModel]]:
        """(title, model) of each network panel, left to right."""
        chosen = describe_interventions(self.scenario.cfg)
        if self.baseline is None:
            return [(chosen, self.scenario)]
        return [("2019 baseline: no interventions", self.baseline), (chosen, self.scenario)]

    def edges(self, model: GroomingModel):
        """``model.ties.edges()`` of the model's current day (computed once per day)."""
        key = id(model)
        hit = self._edges.get(key)
        if hit is None or hit[0] != model.day:
            hit = (model.day, model.ties.edges())
            self._edges[key] = hit
        return hit[1]

    def step(self) -> None:
        """One day in each model; the layout takes in the new ties of both."""
        for _, m in self.panels:
            m.step()
            u, v, *_ = self.edges(m)
            self.layout.extend(u, v)
        self.running = self.scenario.running

    def plot_png(self, which: str) -> bytes:
        """The "stages" or "contacts" plot of today as PNG (drawn once per day)."""
        make, draw = {"stages": (stage_plot, plot_stages), "contacts": (contact_plot, plot_contacts)}[which]
        day = self.scenario.day
        hit = self._plots.get(which)
        if hit is None:
            hit = (-1, make(self.panels), None)
        if hit[0] != day:
            hit = (day, hit[1], draw(self.panels, hit[1]))
            self._plots[which] = hit
        return hit[2]

    def picture(self, model: GroomingModel) -> NetworkPicture:
        """The (cached) picture of one of the panels' models."""
        pic = self.pictures.get(id(model))
        if pic is None:
            pic = self.pictures[id(model)] = NetworkPicture(self.layout)
        return pic


# --------------------------------------------------------------------------------------------
# What is drawn
# --------------------------------------------------------------------------------------------
def furthest_stage(model: GroomingModel) -> np.ndarray:
    """Per child, the furthest grooming stage reached (0 = never contacted, 1..7 = STAGES)."""
    reached = model.child_first_day[:, 1:] >= 0
    last = reached.shape[1] - np.argmax(reached[:, ::-1], axis=1)
    return np.where(reached.any(axis=1), last, 0).astype(np.int8)


def notable_child(app: AppModel) -> int | None:
    """The child to show first: side by side, the one whose furthest stage the interventions
    lowered most (then the furthest in the baseline); alone, the furthest-groomed. None if no
    child has been contacted."""
    first = furthest_stage(app.panels[0][1]).astype(np.int64)
    if first.max() == 0:
        return None
    if app.baseline is None:
        return int(np.argmax(first))
    drop = first - furthest_stage(app.scenario)
    return int(np.lexsort((-first, -drop))[0])


def child_colours(model: GroomingModel) -> list[str]:
    """Colour of each child by its furthest stage (:data:`STAGE_COLOURS`)."""
    return [STAGE_COLOURS[s] for s in furthest_stage(model).tolist()]


@dataclass
class Ties:
    """The ties a picture shows: ends, kind (index into :data:`TIE_KINDS`), channel, offender tie."""

    u: np.ndarray
    v: np.ndarray
    kind: np.ndarray
    chan: np.ndarray
    offender: np.ndarray = field(repr=False)


def visible_ties(model: GroomingModel, platform: str | None = None, edges=None) -> Ties:
    """The ties to draw: current ones (a tie whose relationship ended is dormant: not drawn).

    With ``platform``, only ties whose platform set includes it (day-0 offline ties have none).
    """
    u, v, mask, _day, chan, _rel = model.ties.edges() if edges is None else edges
    kind = KIND_OF_CHANNEL[chan]
    if platform is None:
        keep = (mask != 0) | (kind == 0)
    else:
        names = list(model.pop.platform_names)
        if platform not in names:
            raise ValueError(f"platform={platform!r}: choose one of {', '.join(names)}")
        keep = ((mask >> names.index(platform)) & 1).astype(bool)
    role = model.pop.role
    u, v = u[keep].astype(np.int64), v[keep].astype(np.int64)
    off = (role[u] == Role.OFFENDER) | (role[v] == Role.OFFENDER)
    return Ties(u, v, kind[keep], chan[keep].astype(np.int64), off)


def child_relationships(model: GroomingModel, child: int):
    """The offender-child relationships of ``child`` (rows of ``model.relationships()``)."""
    df = model.relationships()
    rows = df[df["child"] == int(child)].copy()
    names = model.pop.platform_names
    rows["platform"] = [names[p] if p >= 0 else "" for p in rows["plat"]]
    return rows


# --------------------------------------------------------------------------------------------
# NetworkLayout
# --------------------------------------------------------------------------------------------
_GOLDEN = 0.6180339887498949


def _spread(nodes: np.ndarray, radius: float) -> np.ndarray:
    """A small deterministic offset per node (a node's place never depends on draw order)."""
    a = 2 * np.pi * ((nodes * _GOLDEN) % 1.0)
    r = radius * (0.4 + 0.6 * ((nodes * 0.7548776662466927) % 1.0))
    return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)


class NetworkLayout:
    """Node positions: computed once from the day-0 ties, then only extended.

    ``pos[i]`` is valid where ``placed[i]``. :meth:`extend` places nodes that get their first
    tie next to their placed neighbours and never moves a placed node.
    """

    def __init__(self, n: int, seed: int = 0, spacing: float = 0.02):
        self.n = int(n)
        self.seed = int(seed)
        self.spacing = float(spacing)
        self.pos = np.zeros((self.n, 2))
        self.placed = np.zeros(self.n, bool)
        self.ring = 1.08  # where a node with no placed neighbour goes (just outside the world)

    @classmethod
    def of_ties(cls, n: int, u: np.ndarray, v: np.ndarray, seed: int = 0) -> NetworkLayout:
        """Communities of the graph (Louvain) placed by a spring layout of the community graph,
        each community's nodes by a spring layout of its own; positions fit in the square [-1, 1]^2."""
        import networkx as nx

        lay = cls(n, seed)
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        if u.size == 0:
            return lay
        g = nx.Graph()
        g.add_edges_from(zip(u.tolist(), v.tolist()))
        comms = sorted((sorted(c) for c in nx.community.louvain_communities(g, seed=seed)), key=min)
        comm_of = np.full(n, -1, np.int64)
        for i, c in enumerate(comms):
            comm_of[c] = i
        k = len(comms)
        sizes = np.array([len(c) for c in comms], float)
        radius = np.sqrt(sizes / sizes.sum())
        if k > 1:
            cg = nx.Graph()
            cg.add_nodes_from(range(k))
            a, b = comm_of[u], comm_of[v]
            cross = a != b
            pair, weight = np.unique(
                np.stack([np.minimum(a, b), np.maximum(a, b)])[:, cross], axis=1, return_counts=True
            )
            cg.add_weighted_edges_from(zip(pair[0].tolist(), pair[1].tolist(), weight.tolist()))
            cp = nx.spring_layout(cg, seed=seed, weight="weight", iterations=200)
            centres = np.array([cp[i] for i in range(k)])
            centres = _separate(centres, radius)
        else:
            centres = np.zeros((1, 2))
        for i, c in enumerate(comms):
            sub = nx.spring_layout(g.subgraph(c), seed=seed, iterations=50)
            p = np.array([sub[x] for x in c]) if len(c) > 1 else np.zeros((1, 2))
            p -= p.mean(axis=0)
            r = np.linalg.norm(p, axis=1)
            scale = np.quantile(r, 0.95) if r.max() > 0 else 1.0
            p = p / max(scale, 1e-9)
            r = np.linalg.norm(p, axis=1, keepdims=True)
            p = np.where(r > 1, p / np.maximum(r, 1e-9), p)  # the few outliers onto the rim
            lay.pos[c] = centres[i] + p * radius[i] * 0.92
        # fit in the square [-1, 1] x [-1, 1]
        placed = np.unique(np.concatenate([u, v]))
        ctr = (lay.pos[placed].max(axis=0) + lay.pos[placed].min(axis=0)) / 2
        lay.pos[placed] -= ctr
        lay.pos[placed] /= max(np.abs(lay.pos[placed]).max(), 1e-9)
        lay.placed[placed] = True
        return lay

    def extend(self, u: np.ndarray, v: np.ndarray) -> int:
        """Place the unplaced ends of ties ``u - v``; returns how many nodes were placed."""
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        todo = ~(self.placed[u] & self.placed[v])
        if not todo.any():
            return 0
        u, v = u[todo], v[todo]
        count = 0
        while True:
            pu, pv = self.placed[u], self.placed[v]
            one = pu ^ pv
            if one.any():
                new = np.where(pu[one], v[one], u[one])
                anchor = np.where(pu[one], u[one], v[one])
                sums = np.zeros((self.n, 2))
                np.add.at(sums, new, self.pos[anchor])
                cnt = np.bincount(new, minlength=self.n)
                nodes = np.nonzero(cnt)[0]
                self.pos[nodes] = sums[nodes] / cnt[nodes, None] + _spread(nodes, self.spacing)
                self.placed[nodes] = True
                count += nodes.size
                continue
            both = ~pu & ~pv
            if not both.any():
                return count
            # a tie between two unplaced nodes with no placed neighbour: one end on the ring,
            # the next round puts the other next to it
            node = int(min(u[both].min(), v[both].min()))
            a = 2 * np.pi * ((node * _GOLDEN) % 1.0)
            self.pos[node] = self.ring * np.array([np.cos(a), np.sin(a)])
            self.placed[node] = True
            count += 1


def _separate(centres: np.ndarray, radius: np.ndarray, rounds: int = 200) -> np.ndarray:
    """Push community discs apart until none overlap (centres scaled to the discs' sizes)."""
    c = centres - centres.mean(axis=0)
    span = np.linalg.norm(c, axis=1).max()
    c = c / max(span, 1e-9) * radius.sum() * 0.6
    need = (radius[:, None] + radius[None, :]) * 1.04
    np.fill_diagonal(need, 0)
    for _ in range(rounds):
        d = c[:, None, :] - c[None, :, :]
        dist = np.linalg.norm(d, axis=2)
        np.fill_diagonal(dist, np.inf)
        over = np.clip(need - dist, 0, None)
        if over.max() < 1e-6:
            break
        push = (d / np.maximum(dist, 1e-9)[..., None]) * (over / 2)[..., None]
        c = c + push.sum(axis=1)
    return c


# --------------------------------------------------------------------------------------------
# The network picture
# --------------------------------------------------------------------------------------------
@dataclass
class _Background:
    region: Any
    ids: np.ndarray  # sorted identities of the benign ties drawn on it


class NetworkPicture:
    """One model drawn on a shared :class:`NetworkLayout`, as PNG bytes (matplotlib, Agg).

    Benign-benign ties are drawn incrementally onto a cached background per view (platform,
    day-0 ties shown or not); the background is redrawn only if a tie drawn on it disappeared
    from the view. Offenders' ties and the nodes are drawn each frame on top.
    """

    WIDTH, HEIGHT, DPI = 6.4, 6.4, 100

    def __init__(self, layout: NetworkLayout):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.layout = layout
        self.fig = Figure(figsize=(self.WIDTH, self.HEIGHT), dpi=self.DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        self.ax.set_axis_off()
        half = 1.12  # the world's square, the ring of late nodes and a margin
        aspect = self.WIDTH / self.HEIGHT
        self.ax.set_xlim(-half * aspect, half * aspect)
        self.ax.set_ylim(-half, half)
        self.canvas.draw()
        self._blank = self.canvas.copy_from_bbox(self.fig.bbox)
        self._backgrounds: dict[tuple, _Background] = {}
        self.redraws = 0  # full background redraws (tests check the cache is used)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        w, h = self.canvas.get_width_height()
        return int(w), int(h)

    # -- drawing -----------------------------------------------------------------------------
    def _draw_ties(self, ties: Ties, sel: np.ndarray, width: float, alpha: float) -> None:
        from matplotlib.collections import LineCollection

        if not sel.any():
            return
        pos = self.layout.pos
        order = np.argsort(ties.kind[sel], kind="stable")  # initial first, outreach on top
        idx = np.nonzero(sel)[0][order]
        segs = np.stack([pos[ties.u[idx]], pos[ties.v[idx]]], axis=1)
        colours = np.array(TIE_COLOURS)[ties.kind[idx]]
        widths = np.where(ties.kind[idx] == 0, width * 0.6, width)
        a = np.where(ties.kind[idx] == 0, alpha * 0.5, alpha)
        from matplotlib.colors import to_rgba_array

        rgba = to_rgba_array(colours)
        rgba[:, 3] = a
        lc = LineCollection(segs, colors=rgba, linewidths=widths, antialiased=True)
        self.ax.add_collection(lc)
        self.ax.draw_artist(lc)
        lc.remove()

    def _background(self, key: tuple, ties: Ties, benign: np.ndarray) -> None:
        n = self.layout.n
        ids = (ties.u[benign] * n + ties.v[benign]) * 16 + ties.chan[benign]
        order = np.argsort(ids)
        ids = ids[order]
        bg = self._backgrounds.get(key)
        if bg is not None and np.isin(bg.ids, ids, assume_unique=True).all():
            new = ~np.isin(ids, bg.ids, assume_unique=True)
            if not new.any():
                self.canvas.restore_region(bg.region)
                return
            self.canvas.restore_region(bg.region)
        else:
            self.redraws += 1
            self.canvas.restore_region(self._blank)
            new = np.ones(ids.size, bool)
        sel = np.zeros(ties.u.size, bool)
        sel[np.nonzero(benign)[0][order][new]] = True
        self._draw_ties(ties, sel, width=0.3, alpha=0.3)
        self._backgrounds[key] = _Background(self.canvas.copy_from_bbox(self.fig.bbox), ids)

    def render(
        self,
        model: GroomingModel,
        *,
        platform: str | None = None,
        show_initial: bool = True,
        selected: int | None = None,
        edges=None,
    ) -> bytes:
        """The picture of ``model`` today as PNG bytes."""
        from PIL import Image

        ties = visible_ties(model, platform, edges)
        if not show_initial:
            keep = ties.kind != 0
            ties = Ties(ties.u[keep], ties.v[keep], ties.kind[keep], ties.chan[keep], ties.offender[keep])
        # a tie whose end is not placed yet (the layout is extended after the step) waits a frame
        placed = self.layout.placed & model.pop.present  # people who left are not drawn
        ok = placed[ties.u] & placed[ties.v]
        self._background((platform, show_initial), ties, ok & ~ties.offender)
        self._draw_ties(ties, ok & ties.offender, width=1.1, alpha=0.9)
        if selected is not None and 0 <= selected < model.pop.n_children:
            mine = ok & ((ties.u == selected) | (ties.v == selected))
            self._draw_ties(ties, mine, width=2.2, alpha=1.0)
        self._draw_nodes(model, selected)
        buf = np.asarray(self.canvas.buffer_rgba())
        out = io.BytesIO()
        Image.fromarray(buf[..., :3].copy()).save(out, format="png", compress_level=1)
        return out.getvalue()

    def _draw_nodes(self, model: GroomingModel, selected: int | None) -> None:
        pos = self.layout.pos
        placed = self.layout.placed & model.pop.present
        role = model.pop.role
        nc = model.pop.n_children
        stage = furthest_stage(model)
        artists = []
        contacts = np.nonzero(placed & (role == Role.CONTACT))[0]
        artists.append(
            self.ax.scatter(*pos[contacts].T, s=5, marker="s", c="#969696", linewidths=0, zorder=2)
        )
        kids = np.nonzero(placed[:nc])[0]
        order = kids[np.argsort(stage[kids], kind="stable")]  # furthest stages on top
        artists.append(
            self.ax.scatter(
                *pos[order].T,
                s=np.where(stage[order] > 0, 30, 12),
                c=np.array(STAGE_COLOURS)[stage[order]],
                edgecolors="#404040",
                linewidths=np.where(stage[order] > 0, 0.6, 0.2),
                zorder=3,
            )
        )
        offs = np.nonzero(placed & (role == Role.OFFENDER))[0]
        banned = model.pop.banned_acct[offs].any(axis=1)
        artists.append(
            self.ax.scatter(
                *pos[offs].T,
                s=70,
                marker="^",
                c=np.where(banned, "#ffffff", "#000000"),
                edgecolors="#000000",
                linewidths=1.0,
                zorder=4,
            )
        )
        if selected is not None and 0 <= selected < nc and placed[selected]:
            artists.append(
                self.ax.scatter(
                    *pos[[selected]].T,
                    s=260,
                    facecolors="none",
                    edgecolors="#000000",
                    linewidths=2.0,
                    zorder=5,
                )
            )
        for a in artists:
            self.ax.draw_artist(a)
            a.remove()

    # -- clicks -------------------------------------------------------------------------------
    def pixel_of(self, node: int) -> tuple[float, float]:
        """Where node ``node`` is drawn, in image pixels from the top-left corner."""
        x, y = self.ax.transData.transform(self.layout.pos[node])
        return float(x), float(self.size[1] - y)

    def pick(
        self, x: float, y: float, n_children: int, shown: tuple[float, float] | None = None
    ) -> int | None:
        """The child nearest the image point (x, y) (pixels from the top-left corner, in an image
        shown at ``shown`` = (width, height) pixels), or None if none is within 12 pixels."""
        w, h = self.size
        if shown is not None and shown[0] > 0 and shown[1] > 0:
            x, y = x * w / shown[0], y * h / shown[1]
        kids = np.nonzero(self.layout.placed[:n_children])[0]
        if kids.size == 0:
            return None
        xy = self.ax.transData.transform(self.layout.pos[kids])
        d = np.hypot(xy[:, 0] - x, (h - xy[:, 1]) - y)
        i = int(np.argmin(d))
        return int(kids[i]) if d[i] <= 12 else None


@functools.cache
def legend_png() -> bytes:
    """The legend of the network pictures (node shapes, stage colours, tie kinds) as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(11.0, 0.85), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    kids = [
        Line2D([], [], marker="o", ls="", ms=7, mfc=c, mec="#404040", label=lab)
        for c, lab in zip(STAGE_COLOURS, STAGE_LABELS)
    ]
    others = [
        Line2D([], [], marker="s", ls="", ms=4, mfc="#969696", mec="#969696", label="benign adult"),
        Line2D([], [], marker="^", ls="", ms=8, mfc="#000000", mec="#000000", label="offender"),
        Line2D([], [], marker="^", ls="", ms=8, mfc="#ffffff", mec="#000000", label="offender, banned"),
    ]
    ties = [Line2D([], [], color=c, lw=2.5, label=f"tie: {k}") for c, k in zip(TIE_COLOURS, TIE_KINDS)]
    fig.legend(
        handles=kids,
        title="children, by the furthest stage reached",
        loc="upper left",
        ncol=4,
        bbox_to_anchor=(0.0, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=8,
    )
    fig.legend(handles=others, loc="upper left", bbox_to_anchor=(0.6, 1.0), frameon=False, fontsize=8)
    fig.legend(handles=ties, loc="upper left", bbox_to_anchor=(0.78, 1.0), frameon=False, fontsize=8)
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------
def stage_series(model: GroomingModel) -> tuple[np.ndarray, np.ndarray]:
    """(days, counts [days, 7]): children who reached each stage by each day (cumulative)."""
    cols, table = model.metrics.table()
    idx = [cols.index(f"new_children_{s}") for s in STAGES]
    days = table[:, cols.index("day")] if len(table) else np.zeros(0, np.int64)
    return days, np.cumsum(table[:, idx], axis=0) if len(table) else np.zeros((0, len(STAGES)), np.int64)


def contact_series(model: GroomingModel, by: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(days, names, counts [days, names]): offender-child contacts so far, cumulative, by
    ``by`` = "channel" (how the offender reached the child) or "platform" (where)."""
    rel = model.relationships()
    days = np.arange(1, model.day + 1)
    if by == "channel":
        names = [c for c in CHANNELS if _KIND_BY_CHANNEL_NAME[c] in (1, 2)]  # where contacts start
        col = rel["channel_name"].to_numpy()
    elif by == "platform":
        names = list(model.pop.platform_names)
        # where the offender first reached the child (a relationship may move platform later)
        plat = rel["first_plat"] if "first_plat" in rel else rel["plat"]
        col = np.array([names[p] if p >= 0 else "" for p in plat], dtype=object)
    else:
        raise ValueError(f"by={by!r}: choose 'channel' or 'platform'")
    start = rel["start"].to_numpy()
    counts = np.zeros((days.size, len(names)), np.int64)
    for j, name in enumerate(names):
        s = start[col == name]
        counts[:, j] = np.searchsorted(np.sort(s), days, side="right")
    return days, names, counts


class SeriesPlot:
    """A persistent matplotlib figure of cumulative series; each frame only updates the lines
    (a new figure every frame costs about four times as much).

    Args:
        titles: one axes per title, side by side.
        names: per axes, the series' names (legend labels).
        colours: per axes, the series' colours.
        n_panels: 1, or 2 side by side (then the first panel, the baseline, is dashed).
        days: the x range (the model's horizon).
        size: figure size in inches.
    """

    def __init__(self, titles, names, colours, n_panels: int, days: int, size, ylabel: str):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=size, dpi=100, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.fig.subplots_adjust(
            left=0.13 if len(titles) == 1 else 0.09, right=0.99, top=0.9, bottom=0.14, wspace=0.06
        )
        axes = self.fig.subplots(1, len(titles), sharey=True, squeeze=False)[0]
        self.axes = list(axes)
        self.lines = []  # [panel][axes][series]
        for panel in range(n_panels):
            dashed = n_panels > 1 and panel == 0
            self.lines.append(
                [
                    [
                        ax.plot(
                            [],
                            [],
                            color=c,
                            lw=1.8,
                            ls="--" if dashed else "-",
                            label=name.replace("_", " ") if panel == n_panels - 1 else None,
                        )[0]
                        for name, c in zip(names[a], colours[a])
                    ]
                    for a, ax in enumerate(axes)
                ]
            )
        for ax, title in zip(axes, titles):
            ax.set_xlim(0, max(int(days), 1))
            ax.set_xlabel("day")
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=7, loc="upper left", frameon=False)
        axes[0].set_ylabel(ylabel)
        self._ylim = None
        self._background = None

    def png(self, data) -> bytes:
        """``data[panel][axes] = (days, counts [days, series])``; returns the figure as PNG.

        The axes, ticks and legends are drawn once per y range (blitting): a frame redraws only
        the lines, unless the counts outgrow the y axis, which then steps to the next round number.
        """
        from PIL import Image

        top = 0
        for panel, per_axes in enumerate(data):
            for a, (days, counts) in enumerate(per_axes):
                for j, line in enumerate(self.lines[panel][a]):
                    line.set_data(days, counts[:, j] if counts.size else [])
                if counts.size:
                    top = max(top, int(counts.max()))
        ylim = _round_up(top * 1.08)
        lines = [line for per_axes in self.lines for per_series in per_axes for line in per_series]
        if ylim != self._ylim:
            self.axes[0].set_ylim(0, ylim)
            for line in lines:
                line.set_visible(False)
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._ylim = ylim
            for line in lines:
                line.set_visible(True)
        self.canvas.restore_region(self._background)
        for line in lines:
            line.axes.draw_artist(line)
        buf = np.asarray(self.canvas.buffer_rgba())
        out = io.BytesIO()
        Image.fromarray(buf[..., :3].copy()).save(out, format="png", compress_level=1)
        return out.getvalue()


def _round_up(x: float) -> int:
    """The smallest round number (1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten; at least 5) >= x."""
    import math

    if x <= 5:
        return 5
    power = 10 ** math.floor(math.log10(x))
    return int(next(m * power for m in (1, 1.5, 2, 3, 4, 5, 6, 8, 10) if m * power >= x))


_CONTACT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f")


def stage_plot(panels: list[tuple[str, GroomingModel]]) -> SeriesPlot:
    """The plot of children reaching each stage over time (stage colours as in the network)."""
    m = panels[-1][1]
    return SeriesPlot(
        ["children who reached each stage"],
        [list(STAGE_LABELS[1:])],
        [list(STAGE_COLOURS[1:])],
        len(panels),
        m.days,
        (4.8, 3.4),
        "children (cumulative)",
    )


def contact_plot(panels: list[tuple[str, GroomingModel]]) -> SeriesPlot:
    """The plot of offender-child contacts by channel and by platform over time."""
    m = panels[-1][1]
    chans = contact_series(m, "channel")[1]
    plats = contact_series(m, "platform")[1]
    return SeriesPlot(
        ["offender contacts by channel", "offender contacts by platform"],
        [chans, plats],
        [list(_CONTACT_COLOURS[: len(chans)]), list(_CONTACT_COLOURS[: len(plats)])],
        len(panels),
        m.days,
        (6.4, 3.4),
        "contacts (cumulative)",
    )


def plot_stages(panels: list[tuple[str, GroomingModel]], plot: SeriesPlot | None = None) -> bytes:
    """Children reaching each stage over time as PNG (``plot``: a figure to reuse)."""
    plot = plot or stage_plot(panels)
    return plot.png([[stage_series(m)] for _, m in panels])


def plot_contacts(panels: list[tuple[str, GroomingModel]], plot: SeriesPlot | None = None) -> bytes:
    """Offender-child contacts by channel and by platform over time as PNG."""
    plot = plot or contact_plot(panels)
    data = []
    for _, m in panels:
        per_axes = []
        for by in ("channel", "platform"):
            days, _, counts = contact_series(m, by)
            per_axes.append((days, counts))
        data.append(per_axes)
    return plot.png(data)


def relationships_html(model: GroomingModel, child: int) -> str:
    """A child's profile and relationships as an HTML table (the page's child panel)."""
    from html import escape

    import pandas as pd

    pop = model.pop
    if not 0 <= child < pop.n_children:
        return f"<p>Node {int(child)} is not a child (children are 0-{pop.n_children - 1}).</p>"
    stage = int(furthest_stage(model)[child])
    sex = "girl" if pop.sex[child] == 0 else "boy"
    plats = [p for i, p in enumerate(pop.platform_names) if pop.acct[child, i]]
    head = (
        f"<p><b>Child {int(child)}</b>: {sex}, {int(pop.age[child])}; accounts on "
        f"{escape(', '.join(plats) or 'no platform')}; "
        f"furthest stage: <b>{escape(STAGE_LABELS[stage])}</b></p>"
    )
    rows = child_relationships(model, child)
    if rows.empty:
        return head + "<p>No offender has contacted this child so far.</p>"
    cols = (
        "offender",
        "platform",
        "how contacted",
        "day",
        "stage now",
        "outcome",
        "ended on day",
        "offence day",
    )
    out = [head, '<table class="gs-rel"><tr>' + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"]
    for r in rows.itertuples():
        cells = (
            r.off,
            r.platform,
            r.channel_name,
            r.start,
            (r.stage_name or "").replace("_", " "),
            r.exit_name,
            "" if pd.isna(r.exit_day) else r.exit_day,
            "" if pd.isna(r.offence) else r.offence,
        )
        out.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


_CSS = """
.gs-rel { border-collapse: collapse; font-size: 13px; }
.gs-rel th, .gs-rel td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.gs-note { font-size: 14px; margin: 0; }
"""


def data_url(png: bytes) -> str:
    """PNG bytes as a data: URL (what the clickable image shows)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------------------------
# The page (Solara): imported only when the page is served
# --------------------------------------------------------------------------------------------
try:  # the app extra: pip install -e '.[app]'
    import ipyvue
    import solara
    import traitlets
except ImportError:  # pragma: no cover - the model logic above works without it
    solara = None

if solara is not None:

    class ClickableImage(ipyvue.VueTemplate):
        """An image that reports where it was clicked: {x, y, w, h, t} in displayed pixels."""

        template = traitlets.Unicode(
            """
<template>
  <img :src="src" :alt="alt" :data-day="day" class="gs-network"
       style="width: 100%; max-width: 820px; cursor: crosshair;"
       @click="clicked = {x: $event.offsetX, y: $event.offsetY,
                          w: $event.target.clientWidth, h: $event.target.clientHeight, t: Date.now()}" />
</template>
"""
        ).tag(sync=True)
        src = traitlets.Unicode("").tag(sync=True)
        alt = traitlets.Unicode("network").tag(sync=True)
        day = traitlets.Int(0).tag(sync=True)
        clicked = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    PLATFORM_ALL = "all platforms"

    def _html(text: str, classes: str = "gs-note") -> None:
        # solara.HTML, not Markdown: Markdown loads KaTeX from a CDN, which a closed network lacks
        solara.HTML(tag="div", unsafe_innerHTML=text, classes=[classes])

    @solara.component
    def NetworkPanel(
        app: AppModel, title: str, model: GroomingModel, day: int, platform, show_initial, selected, on_pick
    ):
        """One network picture with its title (of day ``day``); a click selects the nearest child."""
        from mesa.visualization.utils import update_counter

        update_counter.get()  # re-render after each step
        pic = app.picture(model)
        png = pic.render(
            model,
            platform=None if platform == PLATFORM_ALL else platform,
            show_initial=show_initial,
            selected=selected,
            edges=app.edges(model),
        )

        def clicked(data):
            if data:
                node = pic.pick(data["x"], data["y"], model.pop.n_children, (data["w"], data["h"]))
                if node is not None:
                    on_pick(node)

        stage = furthest_stage(model)
        with solara.Column(gap="4px", style={"flex": "1 1 0", "min-width": "0"}):
            _html(
                f"<b>{title}</b>: day {model.day}. Children contacted: <b>{int((stage > 0).sum())}</b>; "
                f"reached sexual communication or further: <b>{int((stage >= 5).sum())}</b>"
            )
            ClickableImage.element(
                src=data_url(png), day=model.day, alt=f"network: {title}", on_clicked=clicked
            )

    def world_summary(app: AppModel) -> str:
        """One line: the world both panels share."""
        pop, cfg = app.scenario.pop, app.scenario.cfg
        rules = ", ".join(
            f"{p.replace('_', ' ')}: {str(cfg.platforms[p].suggestion_rule).replace('_', ' ')}"
            for p in suggestion_platforms()
        )
        # the population's arrays also hold slots for children and offenders who join later: count
        # who is there on day 0 (joined_day 0), as set in the sidebar
        n_off0 = int((pop.joined_day[pop.offender_ids] == 0).sum())
        return (
            f"<b>This world</b>: seed {int(cfg.seed)}; {int(cfg.population.n_children):,} children, "
            f"{int(cfg.population.n_adults):,} benign adults and {n_off0} offenders on day 0 (then children "
            f"grow up and are replaced, offenders arrive and desist); friend-suggestion rule by platform: "
            f"{rules}."
        )

    @solara.component
    def MainView(app: AppModel):
        """The network panels, the legend, the plots and the selected child's relationships."""
        from mesa.visualization.utils import update_counter

        update_counter.get()  # re-render after each step
        platform, set_platform = solara.use_state(PLATFORM_ALL)
        show_initial, set_show_initial = solara.use_state(True)
        selected, set_selected = solara.use_state(None)
        n_children = app.scenario.pop.n_children
        if selected is not None and selected >= n_children:
            selected = None
        panels = app.panels
        solara.Style(_CSS)
        _html(
            "Set parameters in the sidebar, then press <b>Reset</b> to build that world (nothing changes "
            "before). <b>Step</b> runs one day, <b>&#9654;</b> plays. Click a child (a circle) to see its "
            "relationships."
        )
        _html(world_summary(app))
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select(
                "Ties shown",
                values=[PLATFORM_ALL, *app.scenario.pop.platform_names],
                value=platform,
                on_value=set_platform,
                style={"max-width": "220px"},
            )
            solara.Checkbox(
                label="Day-0 ties (family, school, clubs, adults)",
                value=show_initial,
                on_value=set_show_initial,
            )
            solara.InputInt(
                "Child",
                value=selected,
                optional=True,
                on_value=lambda v: set_selected(v if v is not None and 0 <= v < n_children else None),
                style={"max-width": "120px"},
            )

            def pick_child():
                set_selected(notable_child(app))

            solara.Button(
                "Child most changed" if app.compare else "Furthest-groomed child",
                on_click=pick_child,
                outlined=True,
            )
        with solara.Row(style={"align-items": "flex-start"}):
            for title, m in panels:
                NetworkPanel(app, title, m, m.day, platform, show_initial, selected, set_selected)
        solara.Image(legend_png(), classes=["gs-legend"])
        if selected is not None:
            with solara.Row(style={"align-items": "flex-start"}, classes=["gs-child"]):
                for title, m in panels:
                    with solara.Column(style={"flex": "1 1 0"}):
                        if len(panels) > 1:
                            _html(f"<i>{title}</i>")
                        _html(relationships_html(m, selected), classes="gs-child-table")
        if len(panels) > 1:
            _html("In the plots, <b>dashed lines: 2019 baseline</b>; solid lines: your interventions.")
        with solara.Row(style={"align-items": "flex-start"}):
            # the plots share the width in the ratio of their figure widths (4.8 : 6.4 inches)
            with solara.Column(style={"flex": "48 1 0", "min-width": "0"}):
                solara.Image(app.plot_png("stages"), width="100%", classes=["gs-stages"])
            with solara.Column(style={"flex": "64 1 0", "min-width": "0"}):
                solara.Image(app.plot_png("contacts"), width="100%", classes=["gs-contacts"])

    @solara.component
    def Page():
        """The page: Mesa's SolaraViz sidebar (parameters, Reset/Play/Step) and the main view."""
        from mesa.visualization import SolaraViz

        initial = solara.use_memo(lambda: AppModel(**default_params()), [])
        model = solara.use_reactive(initial)
        SolaraViz(model, components=[], model_params=model_params(), name="groomsim: watch a small world")
        MainView(model.value)
