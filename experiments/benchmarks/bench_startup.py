"""Start-up: how soon a second ``python -m sim`` at a small size starts simulating.

Runs the command line (through ``startup_probe.py``, which only time-stamps the first day)
several times in fresh processes; the first run may compile or load the Numba cache
(``cache=True``), later ones load it. Reported per run: seconds from process spawn to the start
of day 1 (config, imports, build), to the end of day 1 (includes loading the cached kernels,
which Numba does at their first call), and to process exit (includes writing the run folder
with its figure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, PROJECT, PY, log, median  # noqa: E402

ARGS = [
    "population.n_children=1000",
    "population.n_adults=2000",
    "days=5",
    "burn_in_days=0",
    "progress=off",
    "print_summary=false",
]


def one(run_dir: Path, env: dict | None = None) -> dict:
    """One start-up in a fresh process; ``env`` adds to the environment (``PYTHONPATH`` of another
    source tree: ``compare_commits.py --startup``)."""
    t0 = time.time()
    r = subprocess.run(
        [PY, str(HERE / "startup_probe.py"), *ARGS, f"hydra.run.dir={run_dir}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    t_end = time.time()
    out = {"returncode": r.returncode, "exit_seconds": round(t_end - t0, 3)}
    for line in r.stdout.splitlines():
        if line.startswith("STARTUP"):
            kv = dict(x.split("=") for x in line.split()[1:])
            out["to_first_step_start"] = round(float(kv["first_step_start"]) - t0, 3)
            out["to_first_step_end"] = round(float(kv["first_step_end"]) - t0, 3)
    if r.returncode != 0:
        out["error"] = r.stderr[-2000:]
    return out


def run(quick: bool = False) -> dict:
    n = 3 if quick else 5
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        for i in range(n):
            runs.append(one(Path(tmp) / f"run{i}"))
            log(f"startup run {i + 1}/{n}: {runs[-1]}")
    later = [r for r in runs[1:] if r["returncode"] == 0]
    res = {
        "command": "python -m sim " + " ".join(ARGS),
        "runs": runs,
        "first_run": runs[0],
        "second_and_later_median": {
            k: median(r.get(k) for r in later)
            for k in ("to_first_step_start", "to_first_step_end", "exit_seconds")
        },
        "target_seconds": 1.5,
    }
    v = res["second_and_later_median"]["to_first_step_start"]
    res["met"] = v is not None and v < res["target_seconds"]
    return res


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    print(json.dumps(run("--quick" in sys.argv), indent=1))
