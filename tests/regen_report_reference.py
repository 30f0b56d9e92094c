"""Regenerate tests/data/report_reference.json: a fixed small sweep and the comparison numbers of
the report code as it was before the scipy/pandas rewrite.

Usage (from the project folder, in a git checkout)::

    .venv/bin/python tests/regen_report_reference.py

The file holds the summary.json of every run of a small sweep (3 scenarios x 4 seeds) and, as
computed by ``sim/report.py`` at commit ``REFERENCE_COMMIT`` (hand-written t-intervals, the
hand-formatted terminal table), every paired effect and the terminal table. tests/test_report.py
feeds the stored summaries to today's code and checks that it gives the same numbers within
rounding. The summaries are stored (not re-run), so a later change of the model's numbers does
not touch this check; regenerate only to change the sweep itself.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

REFERENCE_FILE = HERE / "data" / "report_reference.json"
#: The last commit whose sim/report.py computed the intervals by hand.
REFERENCE_COMMIT = "b2c05e1"
SCENARIOS = ("baseline_2019", "nspcc_package", "education")
SEEDS = (1, 2, 3, 4)
WORLD = [
    "population.n_children=600",
    "burn_in_days=0",
    "population.n_adults=1200",
    "offenders.per_1000_children=40",
    "days=60",
    "progress=off",
]


def old_report_module():
    """sim/report.py as it was at REFERENCE_COMMIT, imported under another name."""
    src = subprocess.run(
        ["git", "show", f"{REFERENCE_COMMIT}:sim/report.py"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tmp = Path(tempfile.mkdtemp()) / "old_report.py"
    tmp.write_text(src)
    spec = importlib.util.spec_from_file_location("old_report", tmp)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["old_report"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    from sim.config import load_config
    from sim.model import GroomingModel
    from sim.results import Run

    runs = []
    for sc in SCENARIOS:
        for seed in SEEDS:
            model = GroomingModel(load_config([*WORLD, f"scenario={sc}", f"seed={seed}"])).run(progress=False)
            runs.append({"scenario": sc, "seed": seed, "summary": model.summary()})
    old = old_report_module()
    objs = [
        Run(Path(f"{r['scenario']}_seed{r['seed']}"), r["scenario"], r["seed"], r["summary"], {}, None)
        for r in runs
    ]
    effs, missing = old.effects(objs)
    assert not missing
    out = {
        "_about": "Inputs (summaries of a fixed small sweep) and the comparison numbers of "
        f"sim/report.py at {REFERENCE_COMMIT}; see tests/test_report.py. "
        "Regenerate with: .venv/bin/python tests/regen_report_reference.py",
        "world": WORLD,
        "runs": runs,
        "effects": [dataclasses.asdict(e) for e in effs],
        "table": old.effect_table(effs),
    }
    REFERENCE_FILE.write_text(json.dumps(out, indent=1, allow_nan=True) + "\n")
    print(out["table"])
    print(f"wrote {REFERENCE_FILE}")


if __name__ == "__main__":
    main()
