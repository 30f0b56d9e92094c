"""Threads: 1 vs 2 Numba threads on one config; outputs must be identical, timings are measured.

Runs the same config at ``threads=1`` and ``threads=2`` (Numba's default threading layer) and,
as a third run, ``threads=2`` with ``NUMBA_THREADING_LAYER=workqueue`` (on a shared box the
OpenMP layer can collapse when another process is busy; workqueue degrades to serial speed).
Hashes of ``timeseries.csv`` and ``summary.json`` must agree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, base_overrides, log, run_child  # noqa: E402


def run(agents: int = 1_000_000, days: int = 20, dense: bool = True) -> dict:
    cases = [
        ("threads=1", 1, None),
        ("threads=2", 2, None),
        ("threads=2 workqueue", 2, {"NUMBA_THREADING_LAYER": "workqueue"}),
    ]
    rows = {}
    for name, t, env in cases:
        r = run_child(
            [
                str(HERE / "worker.py"),
                "--days",
                str(days),
                "--hash",
                "--",
                *base_overrides(agents, days, t, dense),
            ],
            env=env,
            timeout=3600,
        )
        if r.get("returncode") != 0:
            log(f"threads: {name} FAILED: {r.get('error', '')[-400:]}")
            rows[name] = {"failed": True, "error": r.get("error")}
            continue
        rows[name] = {
            "threads": r["threads"],
            "threading_layer": r["threading_layer"],
            "steady_day_seconds": r["steady_day_seconds"],
            "agent_days_per_second": r["steady_agent_days_per_second"],
            "contact_kernel_seconds_per_day": r["profile_day"].get("kernel:contact_step"),
            "suggest_kernel_seconds_per_day": r["profile_day"].get("kernel:suggest"),
            "build_seconds": r["init_seconds"],
            "peak_rss_mb": r["peak_rss_mb"],
            "hashes": r["hashes"],
        }
        log(
            f"threads: {name}: {r['steady_day_seconds']:.3f} s/day "
            f"(contact {rows[name]['contact_kernel_seconds_per_day']:.3f}, suggest "
            f"{rows[name]['suggest_kernel_seconds_per_day']:.3f})"
        )
    ok = [v for v in rows.values() if not v.get("failed")]
    identical = len(ok) == len(cases) and all(v["hashes"] == ok[0]["hashes"] for v in ok)
    one = rows.get("threads=1", {})
    two = rows.get("threads=2", {})
    out = {"agents": agents, "days": days, "dense": dense, "cases": rows, "outputs_identical": identical}
    if not one.get("failed") and not two.get("failed") and one and two:
        out["speedup_2_vs_1"] = one["steady_day_seconds"] / two["steady_day_seconds"]
        out["contact_kernel_speedup_2_vs_1"] = (
            one["contact_kernel_seconds_per_day"] / two["contact_kernel_seconds_per_day"]
        )
    return out


if __name__ == "__main__":
    print(json.dumps(run(agents=100_000 if "--quick" in sys.argv else 1_000_000), indent=1))
