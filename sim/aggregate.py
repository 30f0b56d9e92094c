"""A sweep folder's tables and figures: ``python -m sim.aggregate SWEEP_DIR``.

Writes into ``SWEEP_DIR`` (also done at the end of every multirun, by the Hydra callback
:class:`sim.sweep.SweepCallback` of ``conf/hydra/callbacks/sweep.yaml``):

- ``sweep.csv``: one row per run (:func:`sim.sweep.load_sweep`): run folder, parameters, seed,
  scenario, every summary metric;
- ``sweep_summary.csv``: per combination of parameters and scenario and per metric, the number of
  seeds, the mean, the standard deviation and the 95% t-interval of the mean;
- ``figures/sweep_<param>.png``: the headline metrics against each swept numeric parameter (mean
  over seeds with its 95% band, one line per scenario); ``figures/sweep_heatmap_<a>_<b>.png``
  when two numeric parameters are swept (mean of each headline metric over seeds and the other
  keys).

It prints the headline means per combination as a table (pandas).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

#: Metrics drawn in the figures and printed (all metrics are in the CSV files).
HEADLINE = (
    "children_contacted",
    "children_sexual_communication",
    "children_image",
    "offences",
    "recorded_offences",
    "false_positive_flags",
)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def numeric_swept(df) -> list[str]:
    import pandas as pd

    return [
        c
        for c in df.attrs.get("swept", [])
        if c != "scenario" and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]


def figures(df, summary, figdir: Path) -> list[Path]:
    """The parameter figures (see the module docstring); returns the files written."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figdir.mkdir(exist_ok=True)
    metrics = [m for m in HEADLINE if m in df.columns]
    written = []
    num = numeric_swept(df)
    for p in num:
        ncol = min(3, len(metrics))
        nrow = -(-len(metrics) // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 2.8 * nrow), squeeze=False)
        for ax, m in zip(axes.flat, metrics):
            for sc, g in df.groupby("scenario"):
                s = g.groupby(p)[m].agg(["mean", "std", "count"]).reset_index().sort_values(p)
                half = 1.96 * s["std"].fillna(0) / s["count"].clip(lower=1) ** 0.5
                ax.plot(s[p], s["mean"], marker="o", ms=3, label=sc)
                ax.fill_between(s[p], s["mean"] - half, s["mean"] + half, alpha=0.2)
            ax.set_xlabel(p, fontsize=8)
            ax.set_title(m.replace("_", " "), fontsize=9)
            ax.tick_params(labelsize=7)
        axes[0][0].legend(fontsize=7)
        fig.suptitle(f"mean over seeds (band: 95% interval of the mean, normal) against {p}", fontsize=9)
        fig.tight_layout()
        path = figdir / f"sweep_{_slug(p)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    if len(num) == 2:
        a, b = num
        ncol = min(3, len(metrics))
        nrow = -(-len(metrics) // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.8 * ncol, 3.0 * nrow), squeeze=False)
        for ax, m in zip(axes.flat, metrics):
            t = df.pivot_table(index=b, columns=a, values=m, aggfunc="mean").sort_index()
            im = ax.imshow(t.to_numpy(float), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(t.columns)), [f"{v:g}" for v in t.columns], fontsize=6)
            ax.set_yticks(range(len(t.index)), [f"{v:g}" for v in t.index], fontsize=6)
            ax.set_xlabel(a, fontsize=7)
            ax.set_ylabel(b, fontsize=7)
            ax.set_title(m.replace("_", " "), fontsize=8)
            fig.colorbar(im, ax=ax, shrink=0.8)
        fig.tight_layout()
        path = figdir / f"sweep_heatmap_{_slug(a)}_{_slug(b)}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def table(summary) -> str:
    """Headline means [95% interval] per combination, as text (pandas)."""
    import pandas as pd

    combo = [c for c in summary.columns if c not in ("metric", "n_seeds", "mean", "sd", "low", "high")]
    swept = summary.attrs.get("swept") or []
    combo = [c for c in combo if c in swept or c == "scenario"]  # constants are in sweep.csv
    s = summary[summary["metric"].isin(HEADLINE[:3])].copy()

    def cell(r):
        if pd.isna(r["low"]):
            return f"{r['mean']:.1f}"
        return f"{r['mean']:.1f} [{r['low']:.1f}, {r['high']:.1f}]"

    s["value"] = s.apply(cell, axis=1)
    wide = s.pivot_table(index=combo, columns="metric", values="value", aggfunc="first", sort=True)
    wide = wide[[m for m in HEADLINE[:3] if m in wide.columns]]
    n = s.groupby(combo)["n_seeds"].max()
    wide.insert(0, "seeds", n)
    wide.columns = [c.replace("children_", "children ").replace("_", " ") for c in wide.columns]
    return wide.reset_index().to_string(index=False)


def aggregate(sweep_dir: str | Path, quiet: bool = False) -> Path:
    """Write sweep.csv, sweep_summary.csv and the figures into ``sweep_dir``; return sweep.csv."""
    from sim.sweep import load_sweep, summarise

    sweep = Path(sweep_dir)
    df = load_sweep(sweep)
    summary = summarise(df)
    df.to_csv(sweep / "sweep.csv", index=False)
    summary.to_csv(sweep / "sweep_summary.csv", index=False)
    figs = figures(df, summary, sweep / "figures")
    if not quiet:
        print(table(summary))
        extra = f" and {len(figs)} figure(s) in figures/" if figs else ""
        print(f"\nsweep table: {sweep / 'sweep.csv'} ({len(df)} runs), sweep_summary.csv{extra}")
    return sweep / "sweep.csv"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.aggregate", description=__doc__.split("\n")[0])
    ap.add_argument("sweep_dir", help="a sweep folder written by `python -m sim -m ...`")
    ap.add_argument("--quiet", action="store_true", help="write the files without printing the table")
    args = ap.parse_args(argv)
    try:
        aggregate(args.sweep_dir, quiet=args.quiet)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
