"""Where adaptive offenders' outreach would go at the end of a run, against the fixed weights.

    .venv/bin/python experiments/displacement/allocation.py --children 8000 --seed 1

Runs ``baseline_2019`` and ``two_platforms_protected`` (default settings otherwise) and prints, for
the offenders present on the last day: their outreach rate (median, mean); the share of
outreach each platform gets from their yield estimates (the adaptive allocation of docs/ODD.md
7.3, recomputed from ``model.outreach_yield``) beside the share the fixed weights give the same
accounts, and the same by route; the mean yield estimate per (route, platform); the outreach
attempts made and those that reached a child, per platform, over the measured window; the share
of the present offenders' account-days spent banned, per platform; and the children first
contacted by channel. Extra ``--set key=value`` overrides apply to both runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT))

SCENARIOS = ("baseline_2019", "two_platforms_protected")


def shares(m) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Mean allocation over (platform, route) (adaptive, fixed) of the offenders present, and their
    indices. The adaptive weights are the model's own (:func:`sim.outreach.option_weight`, over
    the options of positive fixed weight)."""
    from sim.outreach import option_weight

    pop, traits = m.pop, m.offender_traits
    acct, banned = m.accounts.acct, m.accounts.banned
    feat = m.platform_features.features.astype(bool)
    cw, explore = m.channel_weights, m.adapt_params.exploration
    n_plat, n_routes = feat.shape
    adaptive, fixed, present = np.zeros((n_plat, n_routes)), np.zeros((n_plat, n_routes)), []
    for i, o in enumerate(traits.ids):
        if not pop.present[o]:
            continue
        oi = traits.index_of_node[o]
        st = traits.strategy[i]
        ok = (acct[o] & ~banned[o])[:, None] & feat & (cw[st] > 0)[None, :]
        if not ok.any():
            continue
        y = m.outreach_yield[oi]
        ymax = y[ok].max()
        w, wf = np.zeros((n_plat, n_routes)), np.zeros((n_plat, n_routes))
        for r in range(n_routes):
            n_ok = int(ok[:, r].sum())
            for p in np.flatnonzero(ok[:, r]):
                wf[p, r] = cw[st, r] / n_ok
                w[p, r] = option_weight(cw, st, r, n_ok, y[p, r], ymax, explore)
        if w.sum() > 0:
            adaptive += w / w.sum()
            fixed += wf / wf.sum()
            present.append(oi)
    n = max(len(present), 1)
    return adaptive / n, fixed / n, present


def run_counting_bans(m) -> np.ndarray:
    """Run ``m`` to the end; the share of present offenders' account-days spent banned, per
    platform, over the measured window."""
    pop = m.pop
    held = np.zeros(m.n_platforms)
    banned = np.zeros(m.n_platforms)
    while m.running:
        m.step()
        if m.day >= 1:
            offs = pop.offender_ids[pop.present[pop.offender_ids]]
            acct = m.accounts.acct[offs]
            held += acct.sum(axis=0)
            banned += (acct & m.accounts.banned[offs]).sum(axis=0)
    return banned / np.maximum(held, 1)


def main(argv: list[str] | None = None) -> int:
    from sim.model import GroomingModel
    from sim.outreach import Route

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--children", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra override")
    a = ap.parse_args(argv)
    for scenario in SCENARIOS:
        ov = [
            f"scenario={scenario}",
            f"seed={a.seed}",
            f"population.n_children={a.children}",
            f"population.n_adults={2 * a.children}",
            "progress=off",
            "mesa_agents=off",
            *a.set,
        ]
        m = GroomingModel(overrides=ov)
        ban_share = run_counting_bans(m)
        adaptive, fixed, present = shares(m)
        names = m.platform_names
        feat = m.platform_features.features.astype(bool)
        rates = np.array(
            [m.offender_traits.rate[i] for i, o in enumerate(m.offender_traits.ids) if m.pop.present[o]]
        )
        print(
            f"{scenario}: {rates.size} offenders present on the last day ({len(present)} with a route "
            f"open: an unbanned account with the feature); outreach attempts a day (their rate): "
            f"median {np.median(rates):.2f}, mean {rates.mean():.2f}; the shares below are over the "
            f"{len(present)}"
        )
        print("  platform        adaptive share  fixed share")
        for p, name in enumerate(names):
            print(f"  {name:<15} {adaptive[p].sum():>14.3f} {fixed[p].sum():>12.3f}")
        print("  route           adaptive share  fixed share")
        for r in Route:
            print(f"  {r.name.lower():<15} {adaptive[:, r].sum():>14.3f} {fixed[:, r].sum():>12.3f}")
        y = m.outreach_yield[present]
        for r in Route:
            est = {names[p]: round(float(y[:, p, int(r)].mean()), 3) for p in range(len(names)) if feat[p, r]}
            print(f"  mean yield estimate, {r.name.lower()}: {est}")
        summary = m.summary()
        print(f"  outreach attempts made: {summary['outreach_attempts_by_platform']}")
        print(f"  attempts reaching a child: {summary['outreach_reaching_by_platform']}")
        held = {name: round(float(ban_share[p]), 2) for p, name in enumerate(names)}
        print(f"  share of offenders' account-days spent banned: {held}")
        first = {ch: v["contacted"] for ch, v in summary["by_channel"].items()}
        print(f"  children first contacted, by channel: {first}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
