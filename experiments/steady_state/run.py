"""Is the baseline world stationary after the burn-in? Monthly contacts over a two-year window.

    .venv/bin/python experiments/steady_state/run.py              # the check (default burn-in)
    .venv/bin/python experiments/steady_state/run.py --explore    # how long a burn-in is needed

The check: the baseline (``scenario=baseline_2019``) with 20,000 children and the default 40,000
benign adults, 5 seeds, a measured window of two years (730 days) after the default burn-in
(``burn_in_days`` in conf/config.yaml). For each seed, monthly (30-day) totals of ``contacts`` (new
offender-child relationships) and ``children_with_a_new_contact`` (children who received a new
contact that day, summed); the criterion is that the mean over seeds of the last 6 months is
within 15% of the first 6 months, for both. ``--explore`` runs the same world from day 1 with no
burn-in for five years and prints the criterion for a window starting after each candidate burn-in.

Writes into ``results/steady_state/`` (or ``--out``): ``monthly.csv`` (seed, month, both series),
``criterion.csv`` and ``monthly_contacts.png`` (mean and range over seeds).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

SERIES = ("contacts", "children_with_a_new_contact")
MONTH = 30


def monthly(model) -> dict[str, np.ndarray]:
    cols, data = model.metrics.table()
    n = data.shape[0] // MONTH * MONTH
    return {s: data[:n, cols.index(s)].reshape(-1, MONTH).sum(axis=1) for s in SERIES}


def run_seed(seed: int, children: int, days: int, burn_in: int | None, threads: int) -> dict[str, np.ndarray]:
    from sim.model import GroomingModel

    ov = [
        "scenario=baseline_2019",
        f"seed={seed}",
        f"population.n_children={children}",
        f"population.n_adults={2 * children}",
        f"days={days}",
        "progress=off",
        "mesa_agents=off",
        f"threads={threads}",
    ]
    if burn_in is not None:
        ov.append(f"burn_in_days={burn_in}")
    return monthly(GroomingModel(overrides=ov).run())


def criterion(series: list[np.ndarray], start_month: int) -> tuple[float, float, float]:
    """(mean of months start..start+5, mean of months start+18..start+23, relative change)."""
    first = np.mean([s[start_month : start_month + 6].mean() for s in series])
    last = np.mean([s[start_month + 18 : start_month + 24].mean() for s in series])
    return float(first), float(last), float(last / first - 1.0)


def figure(
    runs: dict[int, dict[str, np.ndarray]], path: Path, title: str, burn_in_months: int | None
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=120)
    labels = {
        "contacts": "new contacts (relationships begun)",
        "children_with_a_new_contact": "children with a new contact",
    }
    for ax, s in zip(axes, SERIES):
        y = np.array([r[s] for r in runs.values()], float)
        x = np.arange(1, y.shape[1] + 1)
        ax.fill_between(x, y.min(axis=0), y.max(axis=0), color="#0072B2", alpha=0.2, label="range over seeds")
        ax.plot(x, y.mean(axis=0), color="#0072B2", lw=2, label=f"mean of {len(runs)} seeds")
        if burn_in_months:
            ax.axvline(burn_in_months + 0.5, color="#D55E00", ls="--", lw=1.2, label="end of the burn-in")
        ax.set_xlabel("month (30 days)")
        ax.set_ylabel("per month")
        ax.set_title(labels[s], fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--explore", action="store_true", help="five years from day 1, no burn-in")
    ap.add_argument("--children", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=PROJECT / "results" / "steady_state")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    days, burn_in = (5 * 365, 0) if a.explore else (730, None)
    runs = {}
    for seed in range(1, a.seeds + 1):
        runs[seed] = run_seed(seed, a.children, days, burn_in, a.threads)
        print(f"seed {seed}: done", flush=True)
    with (a.out / "monthly.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["seed", "month", *SERIES])
        for seed, r in runs.items():
            for i in range(len(r[SERIES[0]])):
                w.writerow([seed, i + 1, *(int(r[s][i]) for s in SERIES)])
    starts = [0, 6, 12, 18, 24, 30, 36] if a.explore else [0]
    if a.explore:
        offset = 0
    else:
        from sim.config import load_config

        offset = int(load_config([]).burn_in_days)
    rows = []
    for s in SERIES:
        for m0 in starts:
            if m0 + 24 > len(runs[1][s]):
                continue
            first, last, rel = criterion([r[s] for r in runs.values()], m0)
            start = offset + m0 * MONTH
            rows.append((s, start, round(first, 1), round(last, 1), round(100 * rel, 1), abs(rel) <= 0.15))
    with (a.out / "criterion.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "series",
                "burn_in_days",
                "first_6_months",
                "last_6_months",
                "change_percent",
                "within_15_percent",
            ]
        )
        w.writerows(rows)
    print(f"{'series':<30}{'burn-in days':>13}{'first 6 mo':>12}{'last 6 mo':>11}{'change':>9}  within 15%")
    for r in rows:
        print(f"{r[0]:<30}{r[1]:>13}{r[2]:>12}{r[3]:>11}{r[4]:>8}%  {r[5]}")
    if a.explore:
        title = f"Baseline from day 1, no burn-in: {a.children:,} children, {a.seeds} seeds"
        figure(runs, a.out / "monthly_contacts_from_day_1.png", title, None)
    else:
        title = f"Baseline, 2-year window after a {offset}-day burn-in"
        title += f": {a.children:,} children, {a.seeds} seeds"
        figure(runs, a.out / "monthly_contacts.png", title, None)
    print(f"wrote {a.out}")
    return 0 if a.explore or all(r[5] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
