"""Figures (matplotlib, non-interactive backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.categories import STAGES

STAGE_COLOURS = ("#4e79a7", "#59a14f", "#9c755f", "#f28e2b", "#e15759", "#b07aa1", "#76b7b2")


def exposure_figure(model, path: str | Path) -> Path:
    """Cumulative share of children who reached each grooming stage (or beyond), by day."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols, data = model.metrics.table()
    nc = model.pop.n_children
    days = data[:, 0] if data.shape[0] else np.zeros(0)
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=120)
    for s, colour in zip(STAGES, STAGE_COLOURS):
        j = cols.index(f"new_children_{s}")
        y = np.cumsum(data[:, j]) / nc * 100 if data.shape[0] else np.zeros(0)
        ax.plot(days, y, color=colour, lw=2, label=f"{s.replace('_', ' ')} ({y[-1]:.1f}%)" if y.size else s)
    ax.set_xlabel("day")
    ax.set_ylabel("children reached (% of all children, cumulative)")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3, which="both")
    ax.legend(title="stage reached (or beyond)", fontsize=8, title_fontsize=8, loc="upper left")
    cfg = model.cfg
    ax.set_title(
        f"Children's exposure to grooming: {cfg.scenario.name}\n"
        f"{nc:,} children, {model.pop.n_offenders:,} offenders, seed {model.seed}",
        fontsize=10,
    )
    fig.text(
        0.01,
        0.01,
        "Model output under stated assumptions (docs/ODD.md); not an estimate of real prevalence.",
        fontsize=7,
        color="grey",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
