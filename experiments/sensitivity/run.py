"""Global sensitivity analysis (SALib): Morris screening of model assumptions, then Sobol indices
of the most influential ones. See README.md beside this file.

    .venv/bin/python experiments/sensitivity/run.py            # the documented size (~10 min, 2 cores)
    .venv/bin/python experiments/sensitivity/run.py --quick    # a smoke run (tiny world)

Each design is run as one Hydra multirun over the sample (``hydra/sweeper=points``, one job per
row; joblib launcher by default, ``--launcher slurm`` etc. work too) into
``<out>/morris/`` and ``<out>/sobol/``; the tables and figures go into ``<out>``:
``morris.csv``, ``sobol.csv``, ``ranking.png``, ``sensitivity.md``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parents[2]

#: Parameters marked "assumption" in docs/ODD.md section 8, with ranges around the default
#: (the range quoted in the ODD where there is one; otherwise about half to one and a half times).
PARAMETERS = {
    "population.vulnerability_alpha": (1.0, 4.0),
    "population.searchable_share": (0.25, 0.75),
    "population.dm_open_share": (0.3, 0.9),
    "offenders.per_1000_children": (5.0, 20.0),
    "offenders.outreach_sigma": (0.6, 1.8),
    "offenders.persistence_alpha": (1.0, 4.0),
    "offenders.return_after_ban": (0.2, 0.9),
    "offenders.desistance_per_year": (0.25, 2.0),
    "offenders.arrest_given_recorded": (0.1, 0.5),
    "network.class_friends_mean": (3.0, 9.0),
    "network.tie_on_platform": (0.3, 0.9),
    "network.interaction_online": (0.05, 0.2),
    "grooming.offender_follows_suggested_child": (0.25, 0.75),
    "grooming.accept_claimed_teen_multiplier": (1.0, 2.0),
    "grooming.literacy_accept_effect": (0.25, 0.75),
    "grooming.offender_interaction": (0.5, 1.0),
    "grooming.advance_from_engaged": (0.25, 0.75),
}
#: The outputs analysed (per 1,000 children of the measured window).
OUTPUTS = ("children_sexual_communication", "children_contacted")

SIZES = {
    "default": dict(children=600, adults=1200, days=120, burn_in=30, trajectories=4, sobol_n=16, top=3),
    "quick": dict(children=60, adults=120, days=5, burn_in=0, trajectories=2, sobol_n=4, top=2),
}


def problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": names, "bounds": [list(PARAMETERS[n]) for n in names]}


def write_points(x: np.ndarray, names: list[str], path: Path) -> None:
    pd.DataFrame(x, columns=names).to_csv(path, index=False, float_format="%.6g")


def run_design(x, names, sweep: Path, size: dict, seed: int, launcher: str, extra: list[str]):
    """Run one job per row of ``x`` as a Hydra multirun; return the outputs in row order."""
    from sim.sweep import load_sweep

    sweep.mkdir(parents=True, exist_ok=True)
    points = sweep / "points.csv"
    write_points(x, names, points)
    cmd = [
        sys.executable,
        "-m",
        "sim",
        "-m",
        "hydra/sweeper=points",
        f"hydra.sweeper.points={points}",
        f"hydra/launcher={launcher}",
        f"hydra.sweep.dir={sweep}",
        f"population.n_children={size['children']}",
        f"population.n_adults={size['adults']}",
        f"days={size['days']}",
        f"burn_in_days={size['burn_in']}",
        f"seed={seed}",
        "print_summary=false",
        "resume=true",  # a re-run finishes an interrupted design without redoing finished points
        *extra,
    ]
    print(f"$ {' '.join(cmd[2:])}", flush=True)
    subprocess.run(cmd, cwd=PROJECT, check=True)
    df = load_sweep(sweep)
    df["point"] = df["run"].str.removeprefix("point_").astype(int)
    df = df.sort_values("point").reset_index(drop=True)
    if len(df) != len(x):
        raise SystemExit(f"{sweep}: {len(df)} complete runs for {len(x)} points")
    return {o: (df[o] * 1000.0 / df["children"]).to_numpy(float) for o in OUTPUTS}


def main(argv: list[str] | None = None) -> int:
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--out", type=Path, default=None, help="output folder (default results/sweeps/sensitivity_<time>)"
    )
    ap.add_argument("--quick", action="store_true", help="a tiny world and design (a smoke run)")
    ap.add_argument("--seed", type=int, default=1, help="the model seed of every run (common random numbers)")
    ap.add_argument(
        "--launcher", default="joblib", help="Hydra launcher: joblib, basic, slurm, ray_local ..."
    )
    ap.add_argument("extra", nargs="*", help="more overrides for every run, e.g. hydra.launcher.n_jobs=4")
    args = ap.parse_args(argv)
    size = SIZES["quick" if args.quick else "default"]
    out = args.out or PROJECT / "results" / "sweeps" / time.strftime("sensitivity_%Y-%m-%d_%H-%M-%S")
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rng_seed = 20261202  # the SALib designs are fixed too

    # 1. Morris screening over every parameter
    names = list(PARAMETERS)
    pm = problem(names)
    xm = morris_sample.sample(pm, N=size["trajectories"], num_levels=4, seed=rng_seed)
    ym = run_design(xm, names, out / "morris", size, args.seed, args.launcher, args.extra)
    rows = []
    for o in OUTPUTS:
        res = morris_analyze.analyze(pm, xm, ym[o], num_levels=4, seed=rng_seed)
        for i, n in enumerate(names):
            rows.append(
                {
                    "output": o,
                    "parameter": n,
                    "mu_star": res["mu_star"][i],
                    "mu_star_conf": res["mu_star_conf"][i],
                    "mu": res["mu"][i],
                    "sigma": res["sigma"][i],
                }
            )
    morris = pd.DataFrame(rows)
    morris["rank"] = morris.groupby("output")["mu_star"].rank(ascending=False, method="first").astype(int)
    morris = morris.sort_values(["output", "rank"])
    morris.to_csv(out / "morris.csv", index=False, float_format="%.5g")
    main_out = OUTPUTS[0]
    top = morris[morris["output"] == main_out].nsmallest(size["top"], "rank")["parameter"].tolist()

    # 2. Sobol indices on the top parameters (the others at their defaults)
    ps = problem(top)
    xs = sobol_sample.sample(ps, N=size["sobol_n"], calc_second_order=False, seed=rng_seed)
    ys = run_design(xs, top, out / "sobol", size, args.seed, args.launcher, args.extra)
    rows = []
    for o in OUTPUTS:
        res = sobol_analyze.analyze(ps, ys[o], calc_second_order=False, seed=rng_seed)
        for i, n in enumerate(top):
            rows.append(
                {
                    "output": o,
                    "parameter": n,
                    "S1": res["S1"][i],
                    "S1_conf": res["S1_conf"][i],
                    "ST": res["ST"][i],
                    "ST_conf": res["ST_conf"][i],
                }
            )
    sobol = pd.DataFrame(rows)
    sobol.to_csv(out / "sobol.csv", index=False, float_format="%.4g")
    figure(morris, sobol, main_out, out / "ranking.png")
    minutes = (time.perf_counter() - t0) / 60
    write_md(morris, sobol, main_out, size, len(xm), len(xs), minutes, out / "sensitivity.md")
    print((out / "sensitivity.md").read_text())
    print(f"written: {out}/morris.csv, sobol.csv, ranking.png, sensitivity.md ({minutes:.1f} min)")
    return 0


def figure(morris: pd.DataFrame, sobol: pd.DataFrame, output: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = morris[morris["output"] == output].sort_values("mu_star")
    s = sobol[sobol["output"] == output].sort_values("ST")
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    y = np.arange(len(m))
    a.barh(y, m["mu_star"], xerr=m["mu_star_conf"], color="#4477aa", alpha=0.85, label="mu* (95% CI)")
    a.plot(m["sigma"], y, "o", color="#cc6677", ms=4, label="sigma (interactions, non-linearity)")
    a.set_yticks(y, m["parameter"], fontsize=8)
    a.set_xlabel(f"Morris mu*: {output.replace('_', ' ')} per 1,000 children", fontsize=9)
    a.legend(fontsize=8, loc="lower right")
    a.set_title("Screening (Morris elementary effects)", fontsize=10)
    y2 = np.arange(len(s))
    b.barh(y2 - 0.2, s["S1"], 0.4, xerr=s["S1_conf"], label="S1 (first order)", color="#228833")
    b.barh(y2 + 0.2, s["ST"], 0.4, xerr=s["ST_conf"], label="ST (total)", color="#ccbb44")
    b.set_yticks(y2, s["parameter"], fontsize=8)
    b.set_xlabel("Sobol index (95% CI)", fontsize=9)
    b.legend(fontsize=8, loc="lower right")
    b.set_title("Variance shares of the top 3 (Sobol)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def write_md(morris, sobol, output, size, n_morris, n_sobol, minutes, path: Path) -> None:
    m = morris[morris["output"] == output][["rank", "parameter", "mu_star", "mu_star_conf", "sigma"]]
    s = sobol[sobol["output"] == output][["parameter", "S1", "S1_conf", "ST", "ST_conf"]]
    lines = [
        f"# Sensitivity of {output.replace('_', ' ')} (per 1,000 children)",
        "",
        f"World: {size['children']} children, {size['adults']} adults, {size['days']} days after a "
        f"{size['burn_in']}-day burn-in; one seed (common random numbers). Morris: "
        f"{size['trajectories']} trajectories, {n_morris} runs; Sobol: N={size['sobol_n']} on the top "
        f"{size['top']}, {n_sobol} runs; {minutes:.1f} min.",
        "",
        "## Morris screening",
        "",
        m.to_markdown(index=False, floatfmt=".3g")
        if _has_tabulate()
        else "```\n" + m.to_string(index=False) + "\n```",
        "",
        "## Sobol indices",
        "",
        s.to_markdown(index=False, floatfmt=".3g")
        if _has_tabulate()
        else "```\n" + s.to_string(index=False) + "\n```",
        "",
    ]
    path.write_text("\n".join(lines))


def _has_tabulate() -> bool:
    import importlib.util

    return importlib.util.find_spec("tabulate") is not None


if __name__ == "__main__":
    sys.exit(main())
