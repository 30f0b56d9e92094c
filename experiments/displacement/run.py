"""Displacement between platforms: protect children on two platforms only, see where harm goes.

    .venv/bin/python experiments/displacement/run.py                       # 20,000 children x 10 seeds
    .venv/bin/python experiments/displacement/run.py --children 4000 --seeds 3 --contrast
    .venv/bin/python experiments/displacement/run.py --seeds 3 --set offenders.tactic_sharing=0.5

The case: ``scenario=two_platforms_protected`` (private-by-default accounts for known minors and no
adult<->minor friend suggestions on ``photo_social`` and ``social`` only) against
``scenario=baseline_2019``, paired seeds, default world otherwise (burn-in, 365 days, 2 benign
adults per child). ``--contrast`` also runs both with ``offenders.adaptation=0`` (the fixed channel
and platform weights); ``--set KEY=VALUE`` (repeatable) applies an override to every run
(``--contrast``'s ``adaptation=0`` comes after it). Prints and writes, per adaptation setting,
the paired change (scenario - baseline, 95% t-interval) of offences, children first contacted,
outreach attempts reaching a child and outreach attempts made, on the protected platforms and on
the others, and the displacement ratio (gained on the others / prevented on the protected two,
95% bootstrap interval over seeds; :func:`sim.report.displacement`).

Writes into ``results/displacement/`` (or ``--out``): ``runs.csv`` (one row per run),
``displacement.csv`` (the numbers above) and ``displacement.png`` (offences and children first
contacted per platform, baseline vs protected, mean and 95% interval of the paired change).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

SCENARIOS = ("baseline_2019", "two_platforms_protected")
PROTECTED = ["photo_social", "social"]


def run_one(args: tuple[str, int, int, int, str | None, int | None, tuple[str, ...]]) -> dict:
    from sim.model import GroomingModel

    scenario, seed, children, days, adaptation, burn_in, extra = args
    ov = [
        f"scenario={scenario}",
        f"seed={seed}",
        f"population.n_children={children}",
        f"population.n_adults={2 * children}",
        f"days={days}",
        "progress=off",
        "mesa_agents=off",
        "threads=1",
        *extra,
    ]
    if adaptation is not None:
        ov.append(f"offenders.adaptation={adaptation}")
    if burn_in is not None:
        ov.append(f"burn_in_days={burn_in}")
    t0 = time.perf_counter()
    s = GroomingModel(overrides=ov).run(progress=False).summary()
    s["_seconds"] = time.perf_counter() - t0
    s["_adaptation"] = "default" if adaptation is None else adaptation
    return s


def main(argv: list[str] | None = None) -> int:
    from sim.report import DISPLACEMENT_MEASURES, displacement

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--children", type=int, default=20_000)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--burn-in", type=int, default=None, help="default: conf/config.yaml")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--contrast", action="store_true", help="also run with offenders.adaptation=0")
    ap.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="an override for every run"
    )
    ap.add_argument("--out", type=Path, default=PROJECT / "results" / "displacement")
    a = ap.parse_args(argv)
    settings: list[str | None] = [None] + (["0"] if a.contrast else [])
    jobs = [
        (sc, seed, a.children, a.days, ad, a.burn_in, tuple(a.set))
        for ad in settings
        for seed in range(1, a.seeds + 1)
        for sc in SCENARIOS
    ]
    a.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        results = list(ex.map(run_one, jobs))
    print(f"{len(jobs)} runs in {time.perf_counter() - t0:.0f} s", flush=True)
    plats = list(results[0]["offences_by_platform"])
    with open(a.out / "runs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["scenario", "seed", "adaptation", "seconds", "offences", "children_contacted"]
            + [f"offences_{p}" for p in plats]
            + [f"first_contacted_{p}" for p in plats]
        )
        for s in results:
            w.writerow(
                [s["scenario"], s["seed"], s["_adaptation"], round(s["_seconds"], 1), s["offences"]]
                + [s["children_contacted"]]
                + [s["offences_by_platform"][p] for p in plats]
                + [s["by_platform"][p]["contacted"] for p in plats]
            )
    rows, table = [], {}
    for ad in settings:
        label = "default" if ad is None else ad
        sel = [s for s in results if s["_adaptation"] == label]
        base = sorted((s for s in sel if s["scenario"] == SCENARIOS[0]), key=lambda s: s["seed"])
        scen = sorted((s for s in sel if s["scenario"] == SCENARIOS[1]), key=lambda s: s["seed"])
        for measure in ("offences", "children_first_contacted", "outreach_reaching", "outreach_attempts"):
            d = displacement(base, scen, PROTECTED, DISPLACEMENT_MEASURES[measure])
            table[(label, measure)] = d
            rows.append(
                [label, measure, d["pairs"], round(d["baseline_protected"], 1)]
                + [round(x, 1) for x in d["protected_change"]]
                + [round(d["baseline_others"], 1)]
                + [round(x, 1) for x in d["others_change"]]
                + [round(x, 3) for x in d["ratio"]]
            )
    head = [
        "adaptation",
        "measure",
        "pairs",
        "baseline_protected",
        "protected_change",
        "protected_low",
        "protected_high",
        "baseline_others",
        "others_change",
        "others_low",
        "others_high",
        "ratio",
        "ratio_low",
        "ratio_high",
    ]
    with open(a.out / "displacement.csv", "w", newline="") as f:
        csv.writer(f).writerows([head, *rows])
    for r in rows:
        print(json.dumps(dict(zip(head, r))))
    figure(results, plats, settings, a.out / "displacement.png", a)
    return 0


def figure(results: list[dict], plats: list[str], settings, path: Path, a) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.report import paired_interval

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(settings)
    for k, ad in enumerate(settings):
        label = "default" if ad is None else ad
        sel = [s for s in results if s["_adaptation"] == label]
        base = sorted((s for s in sel if s["scenario"] == SCENARIOS[0]), key=lambda s: s["seed"])
        scen = sorted((s for s in sel if s["scenario"] == SCENARIOS[1]), key=lambda s: s["seed"])
        for ax, (title, get) in zip(
            axes,
            (
                ("offences (sexual communication)", lambda s, p: s["offences_by_platform"][p]),
                ("children first contacted", lambda s, p: s["by_platform"][p]["contacted"]),
            ),
        ):
            m, lo, hi = [], [], []
            for p in plats:
                x = paired_interval(
                    np.array([get(s, p) for s in scen], float), np.array([get(s, p) for s in base], float)
                )
                m.append(x[0])
                lo.append(x[0] - x[1])
                hi.append(x[2] - x[0])
            xs = np.arange(len(plats)) + (k - (len(settings) - 1) / 2) * width
            name = "adaptive offenders" if ad is None else f"offenders.adaptation={ad}"
            ax.bar(xs, m, width, yerr=[lo, hi], capsize=3, label=name)
            ax.axhline(0, color="black", lw=0.8)
            ax.set_xticks(np.arange(len(plats)), plats, rotation=20)
            ax.set_title(f"change in {title}")
    axes[0].set_ylabel("protected - baseline, mean over seeds (95% CI)")
    axes[1].legend()
    extra = f"\n{' '.join(a.set)}" if a.set else ""
    fig.suptitle(
        f"Protection on {', '.join(PROTECTED)} only: {a.children:,} children, {a.seeds} paired seeds{extra}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main())
