"""Regenerate tests/data/baseline_regression.json, printing what changed.

Usage (from the project folder)::

    .venv/bin/python tests/regen_baseline.py           # rewrite the file, print the changed keys
    .venv/bin/python tests/regen_baseline.py --check   # only compare; exit 1 if anything changed

The file holds, for a few small configs with pinned seeds, the whole summary.json and SHA-256
hashes of timeseries.csv and summary.json. tests/test_regression.py fails when the model's
output no longer matches it. Regenerate only when the change is deliberate (a model change, a
new counter, a recalibration), and add a CHANGELOG note saying why the numbers moved.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

BASELINE_FILE = HERE / "data" / "baseline_regression.json"
COMMAND = ".venv/bin/python tests/regen_baseline.py"

#: name -> overrides (composed with Hydra like ``python -m sim``). Small (under a second each)
#: but busy: contacts, offences, reports, bans, and in the package every intervention at work.
CASES: dict[str, list[str]] = {
    "baseline_2019": [
        "scenario=baseline_2019",
        "seed=20240601",
        "population.n_children=400",
        "population.n_adults=800",
        "offenders.per_1000_children=60",
        "days=30",
        "burn_in_days=20",
        "progress=off",
    ],
    "nspcc_package": [
        "scenario=nspcc_package",
        "seed=20240602",
        "population.n_children=400",
        "population.n_adults=800",
        "offenders.per_1000_children=100",
        "days=30",
        "burn_in_days=0",
        "progress=off",
        "interventions.cross_platform_sharing.delay_days=1",
    ],
}


def compute_case(overrides: list[str]) -> dict:
    from sim.config import load_config
    from sim.model import GroomingModel
    from sim.results import summary_json, timeseries_csv

    model = GroomingModel(load_config(overrides)).run(progress=False)
    ts, sj = timeseries_csv(model), summary_json(model)
    return {
        "overrides": list(overrides),
        "timeseries_sha256": hashlib.sha256(ts.encode()).hexdigest(),
        "timeseries_rows": ts.count("\n") - 1,
        "summary_sha256": hashlib.sha256(sj.encode()).hexdigest(),
        "summary": json.loads(sj),
    }


def compute() -> dict:
    return {
        "_about": "Expected outputs of small pinned-seed runs; see tests/test_regression.py. "
        f"Regenerate with: {COMMAND} (and add a CHANGELOG note).",
        "cases": {name: compute_case(ov) for name, ov in CASES.items()},
    }


def flatten(d, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}} -> {"a.b": 1} (lists are kept as values)."""
    out: dict[str, object] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(flatten(v, f"{prefix}{k}."))
        if not d and prefix:
            out[prefix[:-1]] = {}
    else:
        out[prefix[:-1]] = d
    return out


def diff(old: dict | None, new: dict) -> list[str]:
    """Human-readable lines for every key whose value differs (added, removed or changed)."""
    a = flatten((old or {}).get("cases", {}))
    b = flatten(new.get("cases", {}))
    lines = []
    for k in sorted(set(a) | set(b)):
        if k not in a:
            lines.append(f"  + {k} = {b[k]!r}")
        elif k not in b:
            lines.append(f"  - {k} (was {a[k]!r})")
        elif a[k] != b[k]:
            lines.append(f"  ~ {k}: {a[k]!r} -> {b[k]!r}")
    return lines


def load(path: Path | None = None) -> dict | None:
    path = BASELINE_FILE if path is None else path
    return json.loads(path.read_text()) if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare only; do not write")
    args = ap.parse_args(argv)
    old = load()
    new = compute()
    changes = diff(old, new)
    if old is None:
        print(f"{BASELINE_FILE} did not exist; it holds {len(flatten(new['cases']))} values")
    elif changes:
        print(f"{len(changes)} value(s) changed in {BASELINE_FILE.name}:")
        print("\n".join(changes))
    else:
        print(f"no change: {BASELINE_FILE.name} matches the model's output")
    if args.check:
        return 1 if (changes or old is None) else 0
    BASELINE_FILE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE_FILE.write_text(json.dumps(new, indent=2, sort_keys=False) + "\n")
    if changes or old is None:
        print(f"wrote {BASELINE_FILE}; add a CHANGELOG note saying why the numbers changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
