"""End to end at 1,000,000 agents for 365 days: build + run + write, in one process.

Dense network (``common.DENSE``: ~9-10 ties per agent, ~9M ties), 1 child : 2 adults,
``mesa_agents=off``. The run folder is written with ``sim.results.write_run`` (with its figure)
to a temporary folder and removed afterwards. Peak memory from ``os.wait4``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DENSE, HERE, base_overrides, log, run_child  # noqa: E402


def run(
    agents: int = 1_000_000, days: int = 365, threads: int = 1, dense: bool = True, extra: list | None = None
) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench_e2e_"))
    try:
        ov = base_overrides(agents, days, threads, dense) + list(extra or [])
        log(f"end to end: {agents:,} agents x {days} days, threads={threads}, dense={dense}")
        r = run_child(
            [
                str(HERE / "worker.py"),
                "--days",
                str(days),
                "--write",
                str(tmp / "run"),
                "--figures",
                "--",
                *ov,
            ],
            timeout=7200,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if r.get("returncode") != 0:
        log(f"end to end FAILED: {r.get('error', '')[-600:]}")
        return {"failed": True, **r}
    total = r["init_seconds"] + r["run_seconds"] + (r["write_seconds"] or 0.0)
    loop = r["steady_agent_days_per_second"]
    out = {
        "command_overrides": ov,
        "dense_overrides": list(DENSE) if dense else [],
        "candidates": "exact" if "suggestions.candidates=exact" in ov else "sampled",
        "agents": r["agents"],
        "ties_initial": r["ties_initial"],
        "ties_final": r["ties_final"],
        "days": days,
        "threads": r["threads"],
        "build_seconds": r["init_seconds"],
        "run_seconds": r["run_seconds"],
        "write_seconds": r["write_seconds"],
        "build_run_write_seconds": total,
        "process_wall_seconds": r["process_wall_seconds"],
        "daily_loop_agent_days_per_second": loop,
        "daily_loop_agent_days_per_second_incl_day1": r["agent_days_per_second"],
        "peak_rss_mb": r["peak_rss_mb"],
        "peak_mb_phase": r["peak_mb"],
        "profile_build": r.get("profile_build"),
        "profile_day": r.get("profile_day"),
        "targets": {
            "build_run_write_seconds<=60": total <= 60.0,
            "peak_memory_mb<=4096": r["peak_rss_mb"] <= 4096,
            "daily_loop_agent_days_per_second>6M": loop > 6e6,
            "daily_loop_agent_days_per_second>10M": loop > 10e6,
        },
        "worker": r,
    }
    log(
        f"end to end: build {r['init_seconds']:.1f} s + run {r['run_seconds']:.1f} s + write "
        f"{r['write_seconds']:.1f} s = {total:.1f} s; loop {loop / 1e6:.2f} M agent-days/s; "
        f"peak {r['peak_rss_mb']:.0f} MB"
    )
    return out


if __name__ == "__main__":
    days = 365
    for a in sys.argv[1:]:
        if a.startswith("--days="):
            days = int(a.split("=")[1])
    print(json.dumps(run(days=days), indent=1))
