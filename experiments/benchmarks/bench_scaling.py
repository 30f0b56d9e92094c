"""Scaling: seconds per agent-day and peak memory against the number of agents.

Each size runs in its own process (``worker.py``; peak memory from ``os.wait4``), default
network, ``mesa_agents=off``, 1 thread. Small sizes are repeated (medians); the largest once.
Seconds per agent-day use days 2..N (day 1 includes loading the Numba kernel cache; it is
reported separately). Also the 10-million-agent run (30 days) when asked for.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, base_overrides, log, median, run_child  # noqa: E402

FULL_SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)
QUICK_SIZES = (10_000, 30_000, 100_000, 300_000)


def repeats_for(n: int, quick: bool) -> int:
    if n <= 100_000:
        return 3
    if n <= 300_000:
        return 1 if quick else 2
    return 1


def measure(
    n: int,
    days: int,
    repeats: int,
    threads: int = 1,
    dense: bool = False,
    extra: list[str] | None = None,
    timeout: float | None = None,
) -> dict:
    runs = []
    for i in range(repeats):
        args = [
            str(HERE / "worker.py"),
            "--days",
            str(days),
            "--",
            *base_overrides(n, days, threads, dense),
            *(extra or []),
        ]
        r = run_child(args, timeout=timeout)
        runs.append(r)
        if r.get("returncode") != 0:
            log(f"  n={n:,} run {i + 1} FAILED: {r.get('error', '')[-400:]}")
            break
        log(
            f"  n={n:,} run {i + 1}/{repeats}: steady {r['steady_day_seconds']:.4f} s/day, "
            f"{r['steady_agent_days_per_second'] / 1e6:.2f} M agent-days/s, "
            f"build {r['init_seconds']:.1f} s, peak {r['peak_rss_mb']:.0f} MB"
        )
    ok = [r for r in runs if r.get("returncode") == 0]
    if not ok:
        return {"agents": n, "failed": True, "runs": runs}
    best = ok[0]
    return {
        "agents": best["agents"],
        "ties_initial": best["ties_initial"],
        "days": days,
        "repeats": len(ok),
        "seconds_per_agent_day": median(1.0 / r["steady_agent_days_per_second"] for r in ok),
        "seconds_per_agent_day_incl_day1": median(r["seconds_per_agent_day"] for r in ok),
        "agent_days_per_second": median(r["steady_agent_days_per_second"] for r in ok),
        "seconds_per_day": median(r["steady_day_seconds"] for r in ok),
        "first_day_seconds": median(r["first_day_seconds"] for r in ok),
        "init_seconds": median(r["init_seconds"] for r in ok),
        "peak_rss_mb": median(r["peak_rss_mb"] for r in ok),
        "peak_mb_phase": best["peak_mb"],
        "profile_build": best.get("profile_build"),
        "profile_day": best.get("profile_day"),
        "runs": runs,
    }


def run(quick: bool = False, days: int = 30) -> dict:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    rows = []
    for n in sizes:
        log(f"scaling: {n:,} agents x {days} days")
        rows.append(measure(n, days, repeats_for(n, quick)))
    ok = [r for r in rows if not r.get("failed")]
    spad = [r["seconds_per_agent_day"] for r in ok]
    mb_per_agent = [r["peak_rss_mb"] * 1024**2 / r["agents"] for r in ok]
    # memory linearity: fit peak = a + b * agents on the sizes >= 100k (fixed interpreter
    # overhead dominates small sizes) and report the largest relative residual
    big = [r for r in ok if r["agents"] >= 100_000]
    lin = None
    if len(big) >= 2:
        import numpy as np

        x = np.array([r["agents"] for r in big], float)
        y = np.array([r["peak_rss_mb"] for r in big], float)
        b, a = np.polyfit(x, y, 1)
        lin = {
            "intercept_mb": round(float(a), 1),
            "bytes_per_agent": round(float(b) * 1024**2, 1),
            "max_relative_residual": round(float(np.max(np.abs(a + b * x - y) / y)), 4),
        }
    return {
        "days": days,
        "network": "default (conf/network/default.yaml)",
        "threads": 1,
        "sizes": rows,
        "seconds_per_agent_day_max_over_min": (max(spad) / min(spad)) if spad else None,
        "seconds_per_agent_day_largest_over_smallest": (spad[-1] / spad[0]) if spad else None,
        "peak_bytes_per_agent": mb_per_agent,
        "memory_linear_fit": lin,
        "target_ratio": 2.0,
        "met": bool(spad) and max(spad) / min(spad) <= 2.0 and len(ok) >= 4,
    }


def run_10m(days: int = 30, agents: int = 10_000_000) -> dict:
    log(f"scaling: {agents:,} agents x {days} days (one run)")
    r = measure(agents, days, 1, timeout=3600)
    r["target"] = "completes within memory (24 GB machine)"
    r["met"] = not r.get("failed", False)
    return r


if __name__ == "__main__":
    print(json.dumps(run("--quick" in sys.argv), indent=1))
