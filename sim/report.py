"""Scenario comparison: paired effect sizes with intervals, costs beside benefits, figures, report.

Usage::

    python -m sim.report SWEEP_DIR [--baseline baseline_2019] [--allow-mixed]

reads every complete run folder under ``SWEEP_DIR`` (as written by ``python -m sim -m ...``),
pairs each scenario's runs with the baseline's runs of the same seed (common random numbers),
and writes into ``SWEEP_DIR``:

- ``comparison.csv``: per scenario and metric, the means, the paired difference from baseline
  with its 95% t-interval, the relative change (from the mean paired log ratio) with its
  interval, and paired and unpaired standard errors (their ratio is the variance reduction of
  pairing);
- ``report.md`` and ``report.html`` (figures embedded): benefits and costs side by side;
- ``figures/``: exposure over time with bands, a forest plot of effects, age bands, and the
  share of offences by platform per scenario.

Runs whose configuration differs in anything but scenario, interventions and seed (or whose code
version differs) are refused unless ``--allow-mixed``; missing pairs are listed, never silently
dropped.
"""

from __future__ import annotations

import argparse
import base64
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.categories import AGE_BANDS
from sim.results import Run, check_consistent, load_runs

BASELINE = "baseline_2019"

#: (metric key in summary.json, label, kind). Benefits: less is better. Costs: what it takes.
METRICS = (
    ("children_contacted", "children contacted", "benefit"),
    ("children_engaged", "children engaged", "benefit"),
    ("children_sexual_communication", "children, sexual communication", "benefit"),
    ("children_image", "children, image", "benefit"),
    ("children_coercion_or_meeting", "children, coercion or meeting", "benefit"),
    ("offences", "offences (true)", "benefit"),
    ("recorded_offences", "offences recorded by police", "outcome"),
    ("bans", "offender bans", "outcome"),
    ("false_positive_flags", "benign interactions wrongly flagged", "cost"),
    ("benign_accounts_banned", "benign accounts wrongly banned", "cost"),
    ("reviews", "reviewer workload (reviews)", "cost"),
    ("ties_created_benign_by_suggestion", "benign ties made by suggestions", "cost"),
)
AGE_METRICS = tuple(
    (f"by_age_band.{b}.sexual_communication", f"sexual communication, age {b}", "benefit") for b in AGE_BANDS
)
HEADLINE = ("children_contacted", "children_sexual_communication", "children_image")
COST_HEADLINE = (
    "false_positive_flags",
    "benign_accounts_banned",
    "reviews",
    "ties_created_benign_by_suggestion",
)


class ReportError(RuntimeError):
    """The sweep folder cannot be compared as asked (message says why and what to do)."""


def _get(d: dict, dotted: str):
    for part in dotted.split("."):
        d = d[part]
    return d


def _t95(n: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, n - 1)) if n > 1 else math.nan


@dataclass
class Effect:
    scenario: str
    metric: str
    label: str
    kind: str
    n_pairs: int
    mean_scenario: float
    mean_baseline: float
    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    se_paired: float
    se_unpaired: float
    se_log_paired: float
    se_log_unpaired: float


def effects(runs: list[Run], baseline: str = BASELINE) -> tuple[list[Effect], dict]:
    """Paired effects of every scenario against ``baseline``; also missing-pair information."""
    by = {}
    for r in runs:
        if r.seed in by.get(r.scenario, {}):
            raise ReportError(
                f"two runs of scenario '{r.scenario}' with seed {r.seed} "
                f"({by[r.scenario][r.seed].path.name}, {r.path.name}); a comparison pairs one run "
                "per scenario and seed: remove one, or report the sweeps separately"
            )
        by.setdefault(r.scenario, {})[r.seed] = r
    if baseline not in by:
        raise ReportError(
            f"no runs of the baseline scenario '{baseline}' in the sweep (found: "
            f"{', '.join(sorted(by))}); run it with scenario={baseline} or pass --baseline NAME"
        )
    base = by[baseline]
    out, missing = [], {}
    for sc in sorted(by, key=lambda s: (s != baseline, s)):
        if sc == baseline:
            continue
        seeds = sorted(set(by[sc]) & set(base))
        miss = sorted(set(by[sc]) ^ set(base))
        if miss:
            missing[sc] = miss
        n = len(seeds)
        for key, label, kind in METRICS + AGE_METRICS:
            a = np.array([_get(by[sc][s].summary, key) for s in seeds], float)
            b = np.array([_get(base[s].summary, key) for s in seeds], float)
            d = a - b
            mb = float(b.mean()) if n else math.nan
            md = float(d.mean()) if n else math.nan
            se_p = float(d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            se_u = float(math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)) if n > 1 else math.nan
            t = _t95(n)
            h = t * se_p if n > 1 else math.nan
            # relative change from paired log ratios (effects of interventions are roughly
            # proportional to the baseline level, which varies a lot between seeds); +0.5 keeps
            # zero counts finite
            la, lb = np.log(a + 0.5), np.log(b + 0.5)
            lr = la - lb
            ml = float(lr.mean()) if n else math.nan
            sl_p = float(lr.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            sl_u = float(math.sqrt(la.var(ddof=1) / n + lb.var(ddof=1) / n)) if n > 1 else math.nan
            out.append(
                Effect(
                    sc,
                    key,
                    label,
                    kind,
                    n,
                    float(a.mean()) if n else math.nan,
                    mb,
                    md,
                    md - h,
                    md + h,
                    math.expm1(ml),
                    math.expm1(ml - t * sl_p),
                    math.expm1(ml + t * sl_p),
                    se_p,
                    se_u,
                    sl_p,
                    sl_u,
                )
            )
    return out, missing


def write_csv(effs: list[Effect], path: Path) -> None:
    cols = list(Effect.__dataclass_fields__)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for e in effs:
            w.writerow([_fmt_csv(getattr(e, c)) for c in cols])


def _fmt_csv(v):
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return v


def _pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:+.1f}%"


def _num(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:+,.1f}"


def effect_table(effs: list[Effect]) -> str:
    """Plain-text table: relative change [95% CI] of the headline benefits; absolute costs."""
    idx = {(e.scenario, e.metric): e for e in effs}
    scen = list(dict.fromkeys(e.scenario for e in effs))
    heads = [
        "contacted",
        "sexual comm.",
        "image",
        "wrong flags",
        "wrong bans",
        "reviews",
        "benign sugg. ties",
    ]
    lines = [
        f"{'scenario':<27}" + "".join(f"{h:>25}" for h in heads[:3]) + "".join(f"{h:>18}" for h in heads[3:])
    ]
    for sc in scen:
        cells = []
        for m in HEADLINE:
            e = idx[(sc, m)]
            cells.append(f"{_pct(e.rel)} [{_pct(e.rel_low)},{_pct(e.rel_high)}]".rjust(25))
        for m in COST_HEADLINE:
            cells.append(_num(idx[(sc, m)].diff).rjust(18))
        lines.append(f"{sc:<27}" + "".join(cells))
    ns = sorted({e.n_pairs for e in effs})
    n = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"
    lines.append(
        f"(paired with baseline by seed, n = {n} pairs per scenario; benefits: relative "
        "change with 95% interval; costs: mean absolute change per run)"
    )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fig_exposure(runs: list[Run], baseline: str, path: Path) -> Path:
    plt = _plt()
    scen = sorted({r.scenario for r in runs}, key=lambda s: (s != baseline, s))
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), dpi=110, sharex=True)
    cmap = plt.get_cmap("tab20")
    for ax, key, title in zip(
        axes,
        ("new_children_contacted", "new_children_sexual_communication"),
        ("children contacted", "children reaching sexual communication"),
    ):
        for i, sc in enumerate(scen):
            rs = [r for r in runs if r.scenario == sc]
            n = rs[0].summary["children"]
            curves = np.array([np.cumsum(r.timeseries[key]) / n * 100 for r in rs])
            days = rs[0].timeseries["day"]
            colour = "black" if sc == baseline else cmap(i % 20)
            ax.plot(days, curves.mean(axis=0), color=colour, lw=2.2 if sc == baseline else 1.3, label=sc)
            ax.fill_between(days, curves.min(axis=0), curves.max(axis=0), color=colour, alpha=0.12)
        ax.set_title(f"Cumulative {title} (% of children)", fontsize=10)
        ax.set_xlabel("day")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("% of children (mean; band = range over seeds)")
    axes[1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def fig_forest(effs: list[Effect], path: Path) -> Path:
    plt = _plt()
    scen = list(dict.fromkeys(e.scenario for e in effs))
    idx = {(e.scenario, e.metric): e for e in effs}
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.5 * len(scen) * 1.6 + 2), dpi=110)
    ax = axes[0]
    offs = np.linspace(-0.25, 0.25, len(HEADLINE))
    colours = ("#4e79a7", "#e15759", "#b07aa1")
    for j, m in enumerate(HEADLINE):
        for i, sc in enumerate(scen):
            e = idx[(sc, m)]
            y = i + offs[j]
            ax.errorbar(
                100 * e.rel,
                y,
                xerr=[[100 * (e.rel - e.rel_low)], [100 * (e.rel_high - e.rel)]],
                fmt="o",
                color=colours[j],
                ms=4,
                capsize=2,
                label=m.replace("children_", "").replace("_", " ") if i == 0 else None,
            )
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(range(len(scen)), scen, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("relative change vs baseline, % (95% paired interval)")
    ax.set_title("Benefits: children reaching a stage", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="x")
    ax = axes[1]
    offs = np.linspace(-0.3, 0.3, len(COST_HEADLINE))
    colours = ("#f28e2b", "#9c755f", "#76b7b2", "#59a14f")
    for j, m in enumerate(COST_HEADLINE):
        for i, sc in enumerate(scen):
            e = idx[(sc, m)]
            ax.errorbar(
                e.diff,
                i + offs[j],
                xerr=[[e.diff - e.diff_low], [e.diff_high - e.diff]],
                fmt="s",
                color=colours[j],
                ms=4,
                capsize=2,
                label=dict((k, lab) for k, lab, _ in METRICS)[m] if i == 0 else None,
            )
    ax.axvline(0, color="grey", lw=1)
    ax.set_xscale("symlog", linthresh=10)
    vals = [
        v
        for e in effs
        if e.metric in COST_HEADLINE
        for v in (e.diff_low, e.diff_high, e.diff)
        if not math.isnan(v)
    ]
    if vals:  # keep every point inside the frame (symlog limits do not pad)
        ax.set_xlim(min(min(vals) * 2, -20), max(max(vals) * 2, 20))
    ax.set_yticks(range(len(scen)), scen, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("absolute change per run vs baseline (symlog; 95% paired interval)")
    ax.set_title("Costs", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def fig_age(runs: list[Run], baseline: str, path: Path) -> Path:
    plt = _plt()
    scen = sorted({r.scenario for r in runs}, key=lambda s: (s != baseline, s))
    fig, ax = plt.subplots(figsize=(12, 4.5), dpi=110)
    width = 0.8 / len(AGE_BANDS)
    for j, b in enumerate(AGE_BANDS):
        vals = []
        for sc in scen:
            rs = [r for r in runs if r.scenario == sc]
            vals.append(
                np.mean(
                    [
                        r.summary["by_age_band"][b]["sexual_communication"]
                        / max(r.summary["population_by_age_band"][b], 1)
                        * 100
                        for r in rs
                    ]
                )
            )
        ax.bar(np.arange(len(scen)) + (j - 1.5) * width, vals, width, label=f"age {b}")
    ax.set_xticks(range(len(scen)), scen, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("% of children in the band (mean over seeds)")
    ax.set_title("Children reaching sexual communication, by age band", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def fig_platform(runs: list[Run], baseline: str, path: Path) -> Path:
    plt = _plt()
    scen = sorted({r.scenario for r in runs}, key=lambda s: (s != baseline, s))
    plats = list(runs[0].summary["offences_by_platform"].keys())
    shares = np.zeros((len(scen), len(plats)))
    for i, sc in enumerate(scen):
        rs = [r for r in runs if r.scenario == sc]
        tot = np.array([[r.summary["offences_by_platform"][p] for p in plats] for r in rs], float)
        s = tot.sum(axis=0)
        shares[i] = s / s.sum() * 100 if s.sum() else 0
    fig, ax = plt.subplots(figsize=(12, 4.5), dpi=110)
    left = np.zeros(len(scen))
    cmap = plt.get_cmap("Set2")
    for j, p in enumerate(plats):
        ax.barh(range(len(scen)), shares[:, j], left=left, color=cmap(j), label=p)
        left += shares[:, j]
    ax.set_yticks(range(len(scen)), scen, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of offences (sexual communication) by the platform where it happened, %")
    ax.set_title("Where offences happen: displacement between platforms", fontsize=10)
    ax.legend(fontsize=8, ncol=len(plats), loc="lower center", bbox_to_anchor=(0.5, -0.32))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def _assumptions(runs: list[Run]) -> dict[str, list[str]]:
    """Per scenario: the enabled interventions and their knobs (what drives the result)."""
    out = {}
    for r in runs:
        if r.scenario in out:
            continue
        items = []
        for name, node in (r.config.get("interventions") or {}).items():
            if node.get("enabled"):
                knobs = ", ".join(f"{k}={v}" for k, v in node.items() if k != "enabled")
                items.append(f"`{name}`: {knobs}")
        out[r.scenario] = items
    return out


def build_report(
    sweep_dir: str | Path, baseline: str = BASELINE, allow_mixed: bool = False, quiet: bool = False
) -> Path:
    """Write comparison.csv, report.md, report.html and figures/ into ``sweep_dir``."""
    sweep = Path(sweep_dir)
    if not sweep.is_dir():
        raise ReportError(f"sweep folder {sweep} does not exist")
    runs, incomplete = load_runs(sweep)
    if not runs:
        raise ReportError(f"no complete run folders under {sweep}")
    problems = check_consistent(runs)
    if problems and not allow_mixed:
        raise ReportError(
            "runs are not comparable (pass --allow-mixed to compare anyway):\n  " + "\n  ".join(problems[:10])
        )
    effs, missing = effects(runs, baseline)
    if not effs:
        raise ReportError(
            f"only the baseline scenario '{baseline}' is in {sweep}: nothing to "
            "compare; sweep it together with other scenarios, e.g. "
            f"scenario={baseline},nspcc_package"
        )
    write_csv(effs, sweep / "comparison.csv")
    figdir = sweep / "figures"
    figdir.mkdir(exist_ok=True)
    figs = [
        ("Exposure over time", fig_exposure(runs, baseline, figdir / "exposure_by_scenario.png")),
        ("Effects with 95% paired intervals", fig_forest(effs, figdir / "effects_forest.png")),
        ("By age band", fig_age(runs, baseline, figdir / "age_bands.png")),
        ("Offences by platform", fig_platform(runs, baseline, figdir / "offences_by_platform.png")),
    ]
    table = effect_table(effs)
    md = _markdown(runs, effs, missing, incomplete, problems, baseline, figs, table)
    (sweep / "report.md").write_text(md)
    (sweep / "report.html").write_text(_html(md, figs))
    if not quiet:
        print(table)
        if missing or incomplete:
            print(f"\nwarning: missing or incomplete jobs: {missing or ''} {incomplete or ''}")
        print(f"\nreport: {sweep / 'report.md'} (and report.html, comparison.csv, figures/)")
    return sweep / "report.md"


def _markdown(runs, effs, missing, incomplete, problems, baseline, figs, table) -> str:
    r0 = runs[0]
    seeds = sorted({r.seed for r in runs})
    scen = list(dict.fromkeys(e.scenario for e in effs))
    idx = {(e.scenario, e.metric): e for e in effs}
    n_children = r0.summary["children"]
    L = [
        "# Scenario comparison",
        "",
        f"{len(runs)} runs: {len(scen) + 1} scenarios x seeds {seeds}; {n_children:,} children, "
        f"{r0.summary['adults']:,} adults, {r0.summary['days']} days; code {r0.commit}.",
        f"Each scenario is compared with `{baseline}` run with the same seed (common random "
        "numbers): differences are paired by seed; intervals are 95% t-intervals of the mean "
        "paired difference.",
        "",
        "These are model outputs under stated assumptions (docs/ODD.md), for comparing "
        "interventions with each other, not estimates of real prevalence.",
        "",
    ]
    if missing or incomplete or problems:
        L += ["**Warnings.**", ""]
        for sc, seeds_m in missing.items():
            L.append(f"- `{sc}`: seeds without a partner run {seeds_m} (left out of its pairs)")
        for name in incomplete:
            L.append(f"- incomplete job folder `{name}` (not used)")
        for p in problems:
            L.append(f"- {p}")
        L.append("")
    L += [
        "## Benefits and costs side by side",
        "",
        "| scenario | contacted | sexual communication | image | benign interactions wrongly "
        "flagged | benign accounts wrongly banned | reviewer workload (reviews) | benign ties "
        "made by suggestions |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for sc in scen:
        cells = []
        for m in HEADLINE:
            e = idx[(sc, m)]
            cells.append(f"{_pct(e.rel)} [{_pct(e.rel_low)}, {_pct(e.rel_high)}]")
        for m in COST_HEADLINE:
            e = idx[(sc, m)]
            cells.append(f"{_num(e.diff)} [{_num(e.diff_low)}, {_num(e.diff_high)}]")
        L.append(f"| {sc} | " + " | ".join(cells) + " |")
    L += [
        "",
        "Benefits: relative change in children reaching the stage (or beyond) vs baseline "
        "(geometric mean of the paired ratios, with a 95% t-interval on the log scale). "
        "Costs: mean absolute change per run (a fall in benign suggestion ties is the "
        "usability cost of switching suggestions off).",
        "",
        "## By age band (children reaching sexual communication)",
        "",
        "| scenario | " + " | ".join(AGE_BANDS) + " |",
        "|---|" + "---|" * len(AGE_BANDS),
    ]
    for sc in scen:
        cells = [f"{_pct(idx[(sc, f'by_age_band.{b}.sexual_communication')].rel)}" for b in AGE_BANDS]
        L.append(f"| {sc} | " + " | ".join(cells) + " |")
    L += [
        "",
        "## Variance reduction from pairing",
        "",
        "How much pairing by seed (common random numbers) narrows the interval of the effect on "
        "children reaching sexual communication: standard errors from the same runs, paired "
        "vs as if the seeds were independent, for the absolute difference and for the log "
        "ratio behind the relative change. A ratio r means independent seeds would need r^2 "
        "times as many runs for the same precision.",
        "",
        "| scenario | SE diff, paired | SE diff, unpaired | ratio | SE log ratio, paired | "
        "SE log ratio, unpaired | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for sc in scen:
        e = idx[(sc, "children_sexual_communication")]
        r1 = e.se_unpaired / e.se_paired if e.se_paired else math.nan
        r2 = e.se_log_unpaired / e.se_log_paired if e.se_log_paired else math.nan
        L.append(
            f"| {sc} | {e.se_paired:.2f} | {e.se_unpaired:.2f} | {r1:.1f} | "
            f"{e.se_log_paired:.3f} | {e.se_log_unpaired:.3f} | {r2:.1f} |"
        )
    L += ["", "## What drives each result (enabled interventions and their knobs)", ""]
    for sc, items in _assumptions(runs).items():
        if sc == baseline:
            continue
        L.append(f"- **{sc}**: " + ("; ".join(items) if items else "no intervention enabled"))
    L += [
        "",
        "Minors-only measures reach only the accounts platforms know are minors "
        "(`platforms.<name>.age_assurance`); detection never reaches encrypted platforms; "
        "effect sizes of education, guardianship and sanctions are assumptions. See "
        "conf/interventions/default.yaml for the sources of every default.",
        "",
        "## Figures",
        "",
    ]
    for title, p in figs:
        L += [f"### {title}", "", f"![{title}](figures/{p.name})", ""]
    L += [
        "## Effect table (terminal form)",
        "",
        "```",
        table,
        "```",
        "",
        "All numbers: `comparison.csv` in this folder.",
        "",
    ]
    return "\n".join(L)


def _html(md: str, figs) -> str:
    """A self-contained HTML rendering of the report (tables and embedded figures)."""
    import html

    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Scenario comparison</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;"
        "padding:3px 6px}img{max-width:100%}pre{background:#f6f6f6;padding:1em;"
        "overflow-x:auto}</style></head><body>",
    ]
    fig_data = {p.name: base64.b64encode(p.read_bytes()).decode() for _, p in figs}
    in_table = in_pre = False
    for line in md.splitlines():
        if line.startswith("```"):
            out.append("</pre>" if in_pre else "<pre>")
            in_pre = not in_pre
            continue
        if in_pre:
            out.append(html.escape(line))
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells) + "</tr>")
            else:
                out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("!["):
            name = line.split("(figures/")[1].rstrip(")")
            out.append(f"<img src='data:image/png;base64,{fig_data[name]}'>")
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("- "):
            out.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.report", description=__doc__.split("\n")[0])
    ap.add_argument("sweep_dir", help="a sweep folder written by `python -m sim -m ...`")
    ap.add_argument("--baseline", default=BASELINE, help="scenario to compare against")
    ap.add_argument(
        "--allow-mixed", action="store_true", help="compare runs whose config or code version differ"
    )
    args = ap.parse_args(argv)
    try:
        build_report(args.sweep_dir, args.baseline, args.allow_mixed)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ReportError", "build_report", "effects"]
