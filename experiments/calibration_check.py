"""Compare the default world's outputs with the calibration targets of docs/ODD.md (section 10).

    .venv/bin/python experiments/calibration_check.py [overrides...]

Runs one simulation (default config, seed 42, unless overridden) and prints a markdown table:
target, published value, model value. Deterministic: the same code gives the same table.
"""

from __future__ import annotations

import sys

import numpy as np

import sim
from sim.categories import Channel, Stage


def main(overrides: list[str]) -> None:
    m = sim.run(overrides)
    s = m.summary()
    r = s["rates"]
    rel = m.relationships()
    pop = m.pop
    nc = pop.n_children
    first = m.child_first_day
    age = pop.age[:nc]
    sex = pop.sex[:nc]
    sc = first[:, Stage.SEXUAL_COMMUNICATION] >= 0
    img = first[:, Stage.IMAGE] >= 0
    contacted = first[:, Stage.CONTACTED] >= 0
    off = rel[rel["offence"] >= 0]
    t_sex = (off["offence"] - off["start"]).to_numpy()
    offender_initiated = rel[rel["chan"] != Channel.SUGGESTION]
    acc = (offender_initiated["stage"] >= Stage.ENGAGED).mean() if len(offender_initiated) else float("nan")
    declined = rel[(rel["stage"] == Stage.CONTACTED)]
    isolation = (rel["stage"] >= Stage.ISOLATION).sum()
    obp = s["offences_by_platform"]
    tot_off = sum(obp.values())

    def pct(x):
        return f"{100 * x:.1f}%"

    def share_11_13(mask):
        return (mask & (age >= 11) & (age <= 13)).sum() / max(mask.sum(), 1)

    rows = [
        (
            "share of sexual-communication victims aged 11 or under",
            "20%",
            pct(r["share_sexual_communication_victims_aged_11_or_under"]),
        ),
        ("girls among victims", "~80% (75-86%)", pct(r["share_girls_among_sexual_communication_victims"])),
        (
            "children contacted by an offender in a year (all 8-17 / ages 11-17)",
            "30% of 11-18 had an unwanted request (from anyone)",
            f"{pct(contacted.mean())} / {pct(contacted[age >= 11].mean())}",
        ),
        ("contact -> image conversion", "0.10 (0.02-0.2)", f"{r['contacted_to_image']:.3f}"),
        (
            "days from first contact to the offence (median; share within 1 day)",
            "median ~1 day (18 min - 82 h)",
            f"{np.median(t_sex):.0f} days; {pct((t_sex <= 1).mean())}" if t_sex.size else "n/a",
        ),
        ("offender-initiated contacts accepted", "~1 in 3 (ONS, 10-15)", pct(acc)),
        (
            "children reaching sexual communication / image in a year (ages 11-17)",
            "10% asked for / 13% sent naked images (Ofcom, 11-18, any sender)",
            f"{pct(sc[age >= 11].mean())} / {pct(img[age >= 11].mean())}",
        ),
        (
            "children engaged by an offender in a year",
            "5.4% lifetime (Finkelhor et al. 2022)",
            pct(r["share_children_engaged"]),
        ),
        (
            "offences on photo_social + social + messenger + ephemeral",
            "~2/3 of recorded cases on Facebook-owned apps + Snapchat",
            pct(
                (
                    obp.get("photo_social", 0)
                    + obp.get("social", 0)
                    + obp.get("messenger", 0)
                    + obp.get("ephemeral", 0)
                )
                / max(tot_off, 1)
            ),
        ),
        (
            "offences by platform (photo_social / social / ephemeral / messenger / gaming)",
            "Instagram 32%, Facebook 23%, Snapchat 14%",
            " / ".join(pct(obp[p] / max(tot_off, 1)) for p in obp),
        ),
        (
            "image-stage children aged 11-13 (girls / boys)",
            "85% / 68% of IWF imagery",
            f"{pct(share_11_13(img & (sex == 0)))} / {pct(share_11_13(img & (sex == 1)))}",
        ),
        (
            "relationships reaching isolation that moved platform",
            "65% of 9-17 were asked (Thorn 2022)",
            pct(s["platform_moves"] / max(isolation, 1)),
        ),
        (
            "declined contacts blocked or reported / reported",
            "0.84 / 0.50 (block 0.68 and report 0.50, independent; Thorn 2023)",
            f"{(declined['exit'] >= 2).mean():.2f} / {(declined['exit'] == 3).mean():.2f}"
            if len(declined)
            else "n/a",
        ),
        (
            "children reached by the most prolific offender in a year",
            ">5,000 over ~4 years",
            str(s["children_reached_per_offender"]["max"]),
        ),
        ("offences recorded by police", "(no published share)", pct(r["recorded_share_of_offences"])),
    ]
    print(
        f"default world: {nc:,} children, {pop.n_adults:,} adults, {pop.n_offenders} offenders, "
        f"seed {m.seed}, {m.day} days\n"
    )
    print("| target | published | model |\n|---|---|---|")
    for a, b, c in rows:
        print(f"| {a} | {b} | {c} |")


if __name__ == "__main__":
    main(sys.argv[1:])
