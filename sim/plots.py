"""Figures (matplotlib, non-interactive backend): the single run's exposure figure and the
scenario comparison's figures.

Every figure uses the Okabe-Ito palette (safe for the common colour-vision deficiencies), draws
rates per 100,000 children (or accounts) on linear axes, puts an interval on every bar, and lists
scenarios in the comparison's order (largest effect first) with the baseline on top.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from sim.categories import AGE_BANDS, STAGES

#: Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
BASELINE_COLOUR = "#6E6E6E"
SCENARIO_COLOUR = OKABE_ITO["blue"]
DOWN_COLOUR = OKABE_ITO["blue"]  # fewer children harmed, or a saving
UP_COLOUR = OKABE_ITO["vermillion"]  # more children harmed, or an extra cost
UNCLEAR_COLOUR = "#9A9A9A"
STAGE_COLOURS = (
    OKABE_ITO["sky_blue"],
    OKABE_ITO["green"],
    OKABE_ITO["yellow"],
    OKABE_ITO["orange"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["purple"],
    OKABE_ITO["blue"],
)
CAVEAT = "Model output under stated assumptions (docs/ODD.md); not an estimate of real prevalence."
PER = 100_000


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.size": 9,
            "axes.titlesize": 9.5,
            "axes.labelsize": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "savefig.dpi": 150,
        }
    )
    return plt


def _save(fig, path) -> Path:
    import matplotlib.pyplot as plt

    path = Path(path)
    fig.savefig(path, metadata={"Software": None})  # no version string: same input, same bytes
    plt.close(fig)
    return path


def _thousands(ax, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    f = FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:g}")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(f)


# ------------------------------------------------------------------------------------------
# One run: figures/exposure.png
# ------------------------------------------------------------------------------------------


def _spread(values: list[float], gap: float, floor: float = 0.0) -> list[float]:
    """Label positions near ``values`` at least ``gap`` apart and above ``floor``, in the order of
    the values (ties: the later stage lower, as in the bars)."""
    order = sorted(range(len(values)), key=lambda i: (values[i], -i))
    pos = [0.0] * len(values)
    last = -math.inf
    for i in order:
        pos[i] = max(values[i], last + gap, floor)
        last = pos[i]
    return pos


def exposure_figure(model, path: str | Path) -> Path:
    """Children who reached each grooming stage (or a later one), per 100,000 children: by the
    end of the run (bars) and day by day (one line per stage, labelled at its end)."""
    plt = _plt()
    cols, data = model.metrics.table()
    nc = max(model.pop.n_children, 1)
    days = data[:, 0] if data.shape[0] else np.zeros(0)
    curves = {}
    for s in STAGES:
        j = cols.index(f"new_children_{s}")
        curves[s] = np.cumsum(data[:, j]) / nc * PER if data.shape[0] else np.zeros(0)
    ends = [float(curves[s][-1]) if curves[s].size else 0.0 for s in STAGES]
    names = [s.replace("_", " ") for s in STAGES]
    top = max(max(ends), 1.0)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4.4), width_ratios=(1, 1.5), layout="constrained")
    y = np.arange(len(STAGES))
    ax.barh(y, ends, color=STAGE_COLOURS, edgecolor="#333333", linewidth=0.4)
    ax.set_yticks(y, names)
    ax.set_ylim(len(STAGES) - 0.5, -0.5)
    for yi, v in zip(y, ends):
        ax.text(v + top * 0.02, yi, f"{v:,.0f}  ({v / PER * 100:.1f}%)", va="center", fontsize=8)
    ax.set_xlim(0, top * 1.6)
    ax.set_title("By the end of the run", loc="left")
    ax.set_xlabel("per 100,000 children")
    _thousands(ax)
    for s, colour in zip(STAGES, STAGE_COLOURS):
        light = colour == OKABE_ITO["yellow"]
        bx.plot(days, curves[s], color=colour, lw=2.2, path_effects=_outline() if light else None)
    last_day = float(days[-1]) if days.size else 1.0
    for pos, v, name, colour in zip(_spread(ends, top * 0.065, floor=top * 0.03), ends, names, STAGE_COLOURS):
        bx.annotate(
            name,
            (last_day, v),
            xytext=(last_day * 1.02 + 1, pos),
            va="center",
            fontsize=8,
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6},
        )
    bx.set_xlim(0, max(last_day, 1.0) * 1.3)  # room for the labels
    bx.set_xticks([t for t in bx.get_xticks() if 0 <= t <= last_day])
    bx.set_ylim(0, top * 1.08)
    bx.set_xlabel("day")
    bx.set_ylabel("per 100,000 children (cumulative)")
    bx.set_title("Day by day", loc="left")
    bx.grid(alpha=0.3)
    _thousands(bx, "y")
    cfg = model.cfg
    fig.suptitle(
        f"Children who reached each grooming stage (or a later one): {cfg.scenario.name}, "
        f"{model.pop.n_children:,} children, {model.pop.n_offenders:,} offenders, seed {model.seed}, "
        f"{model.day} days",
        fontsize=10,
        x=0.01,
        ha="left",
    )
    fig.text(0.01, 0.0, CAVEAT, fontsize=7.5, color="#555555", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))
    return _save(fig, path)


def _outline():
    """A thin dark edge around light lines (the yellow stage) so every line shows on white."""
    from matplotlib import patheffects

    return [patheffects.Stroke(linewidth=3.0, foreground="#444444", alpha=0.5), patheffects.Normal()]


# ------------------------------------------------------------------------------------------
# The comparison's figures (arguments: a sim.report.Comparison)
# ------------------------------------------------------------------------------------------


def _t_band(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy import stats

    mean = curves.mean(axis=0)
    n = curves.shape[0]
    if n < 2:
        return mean, mean, mean
    half = stats.t.ppf(0.975, n - 1) * curves.std(axis=0, ddof=1) / math.sqrt(n)
    return mean, np.maximum(mean - half, 0.0), mean + half  # counts are never negative


def _label_rel(e) -> str:
    from sim.report import fmt_pct

    if e.unchanged:
        return "no change"
    if math.isnan(e.rel_low):
        return fmt_pct(e.rel)
    return f"{fmt_pct(e.rel)} [{fmt_pct(e.rel_low)} to {fmt_pct(e.rel_high)}]"


def exposure_by_scenario(c, path) -> Path:
    """Small multiples: children reaching sexual communication over time, one panel per scenario
    (colour) against the baseline (grey), per 100,000 children, with 95% bands over seeds."""
    plt = _plt()
    key = "new_children_sexual_communication"

    def band(scenario):
        rs = c.runs_of(scenario)
        curves = np.array([np.cumsum(r.timeseries[key]) / r.summary["children"] * PER for r in rs], float)
        return rs[0].timeseries["day"], *_t_band(curves)

    order = c.order
    ncols = min(4, len(order))
    nrows = math.ceil(len(order) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(10, 0.9 + 2.1 * nrows),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    bd, bm, blo, bhi = band(c.baseline)
    for ax, sc in zip(axes.flat, order):
        ax.fill_between(bd, blo, bhi, color=BASELINE_COLOUR, alpha=0.25, lw=0)
        ax.plot(bd, bm, color=BASELINE_COLOUR, lw=1.6)
        d, m, lo, hi = band(sc)
        ax.fill_between(d, lo, hi, color=SCENARIO_COLOUR, alpha=0.25, lw=0)
        ax.plot(d, m, color=SCENARIO_COLOUR, lw=1.8)
        e = c.effect(sc, "children_sexual_communication")
        same = " (the lines coincide)" if e.unchanged else ""
        ax.set_title(f"{sc}\n{_label_rel(e)}{same}", fontsize=8.5)
        ax.grid(alpha=0.3)
        _thousands(ax, "y")
    for ax in axes.flat[len(order) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("per 100,000 children")
    for ax in axes[-1]:
        ax.set_xlabel("day")
    from matplotlib.lines import Line2D

    fig.legend(
        [Line2D([], [], color=BASELINE_COLOUR, lw=2), Line2D([], [], color=SCENARIO_COLOUR, lw=2)],
        [f"baseline ({c.baseline})", "the scenario named above the panel"],
        loc="outside lower center",
        ncol=2,
        frameon=False,
        fontsize=8.5,
    )
    fig.suptitle(
        "Children reaching sexual communication (cumulative), each scenario against the baseline",
        x=0.01,
        ha="left",
        fontsize=10.5,
    )
    return _save(fig, path)


def _colour(e) -> str:
    """Colour of a relative change: blue fewer, vermillion more, grey interval includes zero."""
    if e.unchanged or not e.rel_excludes_zero:
        return UNCLEAR_COLOUR
    return DOWN_COLOUR if e.rel_high < 0 else UP_COLOUR


def effects_forest(c, path) -> Path:
    """Relative change of the headline benefits with 95% paired intervals, one panel each."""
    from sim.report import HEADLINE

    plt = _plt()
    titles = (
        "children contacted",
        "children reaching sexual communication",
        "children reaching image sharing",
    )
    order = c.order
    fig, axes = plt.subplots(
        1, len(HEADLINE), figsize=(10, max(2.8, 1.2 + 0.34 * len(order))), sharey=True, layout="constrained"
    )
    y = np.arange(len(order))
    for ax, m, title in zip(axes, HEADLINE, titles):
        for yi, sc in zip(y, order):
            e = c.effect(sc, m)
            col = _colour(e)
            if not math.isnan(e.rel_low):
                ax.plot([100 * e.rel_low, 100 * e.rel_high], [yi, yi], color=col, lw=2, solid_capstyle="butt")
            filled = e.rel_excludes_zero and not e.unchanged
            ax.plot(
                100 * e.rel,
                yi,
                "o",
                ms=6,
                color=col,
                markerfacecolor=col if filled else "white",
                markeredgewidth=1.5,
            )
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("change against the baseline, %")
        ax.grid(alpha=0.3, axis="x")
        lo, hi = ax.get_xlim()
        ax.set_xlim(min(lo, -5), max(hi, 5))
    axes[0].set_yticks(y, order)
    axes[0].set_ylim(len(order) - 0.5, -0.5)
    fig.suptitle(
        "Effect of each scenario (95% paired intervals; filled: the interval excludes no change; "
        "blue: fewer children)",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return _save(fig, path)


def _bars(ax, labels, means, lows, highs, colours, baseline_value=None):
    """Horizontal bars with 95% interval whiskers, top to bottom in the order given."""
    y = np.arange(len(labels))
    ax.barh(y, means, color=colours, height=0.7)
    err = np.array(
        [
            [m - lo if not math.isnan(lo) else 0 for m, lo in zip(means, lows)],
            [hi - m if not math.isnan(hi) else 0 for m, hi in zip(means, highs)],
        ]
    )
    ax.errorbar(means, y, xerr=err, fmt="none", ecolor="black", elinewidth=1, capsize=2)
    if baseline_value is not None:
        ax.axvline(baseline_value, color="black", lw=0.9, ls="--")
    ax.set_yticks(y, labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first label on top (idempotent on shared axes)
    ax.grid(alpha=0.3, axis="x")
    _thousands(ax)
    return y


def age_bands(c, path) -> Path:
    """Children reaching sexual communication per 100,000 children in each age band: the baseline
    and every scenario, with 95% intervals over seeds."""
    plt = _plt()
    rows = [c.baseline, *c.order]
    fig, axes = plt.subplots(
        1,
        len(AGE_BANDS),
        figsize=(10, max(2.8, 1.2 + 0.3 * len(rows))),
        sharey=True,
        sharex=True,
        layout="constrained",
    )
    top = 0.0
    for ax, b in zip(axes, AGE_BANDS):
        key = f"by_age_band.{b}.sexual_communication"
        L = [c.levels[sc][key] for sc in rows]
        colours = [BASELINE_COLOUR] + [SCENARIO_COLOUR] * len(c.order)
        _bars(ax, rows, [x.mean for x in L], [x.low for x in L], [x.high for x in L], colours, L[0].mean)
        ax.set_title(f"aged {b}")
        ax.set_xlabel("per 100,000 children\nin the age band")
        top = max([top, *(x.high for x in L if not math.isnan(x.high)), *(x.mean for x in L)])
    axes[0].set_xlim(0, max(top, 1.0) * 1.05)  # shared: every bar and whisker inside
    fig.suptitle(
        "Children reaching sexual communication, by age band (95% intervals; dashed: baseline)",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return _save(fig, path)


def costs(c, path) -> Path:
    """The four costs, each on its own axis in its own unit (per 100,000 accounts a year): the
    paired change against the baseline with its 95% interval; below zero is a saving."""
    from matplotlib.ticker import MaxNLocator

    from sim.report import COST_HEADLINE, COST_NAMES, accounts_denominator

    plt = _plt()
    what = accounts_denominator(c.runs[0].summary)[1]
    order = c.order
    fig, axes = plt.subplots(
        1,
        len(COST_HEADLINE),
        figsize=(10, max(2.8, 1.3 + 0.32 * len(order))),
        sharey=True,
        layout="constrained",
    )
    for ax, key in zip(axes, COST_HEADLINE):
        name, sign = COST_NAMES[key]
        means, lows, highs, colours = [], [], [], []
        for sc in order:
            e = c.effect(sc, key)
            d, lo, hi = (sign * v for v in e.rate_diff)
            lo, hi = (min(lo, hi), max(lo, hi)) if not math.isnan(lo) else (lo, hi)
            means.append(d)
            lows.append(lo)
            highs.append(hi)
            colours.append(
                UNCLEAR_COLOUR
                if e.unchanged or not e.excludes_zero
                else (UP_COLOUR if d > 0 else DOWN_COLOUR)
            )
        y = _bars(ax, order, means, lows, highs, colours)
        ax.axvline(0, color="black", lw=0.8)
        for yi, sc in zip(y, order):
            if c.effect(sc, key).unchanged:
                ax.text(0, yi, " no change", va="center", fontsize=7, color="#555555")
        ax.set_title(name)
        ax.set_xlabel(f"extra per 100,000 {what}\na year")
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # room for "100,000" beside "50,000"
        if all(c.effect(sc, key).unchanged for sc in order):
            ax.set_xlim(-1, 1)
            ax.set_xticks([0])
        else:
            lo, hi = ax.get_xlim()
            span = max(abs(lo), abs(hi), 1.0)
            ax.set_xlim(min(lo, -0.05 * span), max(hi, 0.05 * span))
    fig.suptitle(
        f"Costs against the baseline, per 100,000 {what} a year, each in its own unit\n"
        "(95% paired intervals; vermillion: an extra cost, blue: a saving, grey: the interval includes zero)",
        x=0.01,
        ha="left",
        fontsize=9.5,
    )
    return _save(fig, path)


def platforms(c, path) -> Path:
    """First contacts and offences by platform, per 100,000 children, for the baseline and each
    scenario (95% intervals over seeds), with each platform's share of the scenario's total."""
    plt = _plt()
    rows = [c.baseline, *c.order]
    plats = c.platforms
    fig, axes = plt.subplots(
        2,
        len(plats),
        figsize=(11, max(5.0, 2.2 + 0.55 * len(rows))),
        sharey=True,
        sharex="row",
        squeeze=False,
        layout="constrained",
    )
    kinds = (
        ("by_platform.{p}.contacted", "children first contacted on"),
        ("offences_by_platform.{p}", "offences on"),
    )
    for row, (pattern, what) in enumerate(kinds):
        totals = {sc: sum(c.levels[sc][pattern.format(p=p)].mean for p in plats) for sc in rows}
        ends = [
            v
            for sc in rows
            for p in plats
            for v in (c.levels[sc][pattern.format(p=p)].mean, c.levels[sc][pattern.format(p=p)].high)
            if not math.isnan(v)
        ]
        top = max([*ends, 1.0])
        for ax, p in zip(axes[row], plats):
            L = [c.levels[sc][pattern.format(p=p)] for sc in rows]
            colours = [BASELINE_COLOUR] + [SCENARIO_COLOUR] * len(c.order)
            y = _bars(
                ax, rows, [x.mean for x in L], [x.low for x in L], [x.high for x in L], colours, L[0].mean
            )
            for yi, sc, x in zip(y, rows, L):
                share = x.mean / totals[sc] * 100 if totals[sc] else 0.0
                right = x.high if not math.isnan(x.high) else x.mean
                ax.text(
                    right + top * 0.03,
                    yi,
                    f"{share:.0f}%",
                    va="center",
                    fontsize=6.5,
                    color="#333333",
                    clip_on=True,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.85},
                )
            if all(x.mean == 0 for x in L):
                ax.text(
                    0.5,
                    0.5,
                    "none here in any run",
                    transform=ax.transAxes,
                    ha="center",
                    fontsize=7.5,
                    color="#555555",
                    bbox={"facecolor": "white", "edgecolor": "#cccccc"},
                )
            ax.set_xlim(0, top * 1.45)
            ax.set_title(f"{what}\n{p}", fontsize=8.5)
            ax.set_xlabel("per 100,000 children", fontsize=8)
    fig.suptitle(
        "Where children are first contacted, and where offences happen, by platform "
        "(95% intervals; dashed: baseline; % = share of that scenario's total)",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    return _save(fig, path)
