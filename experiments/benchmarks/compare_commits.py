"""Two commits side by side: the end-to-end year of each, run in turn, and their outputs compared.

    .venv/bin/python experiments/benchmarks/compare_commits.py BASE [overrides for both sides...]
        [--rounds 2] [--agents 1000000] [--days 365] [--threads 2] [--default-network]
    .venv/bin/python experiments/benchmarks/compare_commits.py BASE --startup [--rounds 10]

Checks out ``BASE`` (any git revision) into a temporary worktree and runs the end-to-end
benchmark's worker (this checkout's ``worker.py``, so both sides are measured the same way)
alternately on ``BASE``'s ``sim/`` and on this checkout's, ``--rounds`` times (order BASE, this;
then this, BASE; ...), after one small warm-up run of each so that both load compiled kernels
from their caches. The machine is shared and its speed drifts by 1.5x within minutes, so only
runs taken in turn like this are compared. Each run hashes ``timeseries.csv`` and
``summary.json``: for a change meant to preserve outputs, the hashes must be equal.

Writes ``results/benchmarks/compare_commits.json`` (every run, with its per-stage profile of the
day) and prints the medians, their ratio and whether the outputs are identical.

With ``--startup`` it compares start-up instead: the start-up benchmark's small run
(``bench_startup.py``: seconds from spawning ``python -m sim`` to the start of day 1, and to
process exit), ``--rounds`` times on each side in turn after one warm-up run of each (which loads
or compiles the kernels into Numba's cache); written to ``compare_startup.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import HERE, PROJECT, base_overrides, log, run_child  # noqa: E402

OUT = PROJECT / "results" / "benchmarks" / "compare_commits.json"
OUT_STARTUP = PROJECT / "results" / "benchmarks" / "compare_startup.json"


def _git(*args: str) -> str:
    r = subprocess.run(["git", *args], cwd=PROJECT, check=True, capture_output=True, text=True)
    return r.stdout.strip()


def _one(tree: Path, overrides: list[str], days: int) -> dict:
    r = run_child(
        [str(HERE / "worker.py"), "--days", str(days), "--hash", "--", *overrides],
        timeout=7200,
        env={"PYTHONPATH": str(tree)},
    )
    if r.get("returncode") != 0:
        raise SystemExit(f"run on {tree} failed: {r.get('error', '')[-800:]}")
    return r


def _in_turn(base_rev: str, rounds: int, run, prefix: str) -> dict:
    """``run(tree, tmp, warm)`` on BASE's worktree and on this checkout: a warm-up of each (Numba's
    cache), then ``rounds`` of each in alternating order (base, this; this, base; ...).
    Returns ``{"base": [...], "this": [...]}`` of the measured runs."""
    runs = {"base": [], "this": []}
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        wt = Path(tmp) / "base"
        _git("worktree", "add", "--detach", str(wt), base_rev)
        try:
            trees = {"base": wt, "this": PROJECT}
            for name, tree in trees.items():
                log(f"warm-up ({name})")
                run(tree, Path(tmp), warm=True)
            for i in range(rounds):
                for name in ("base", "this") if i % 2 == 0 else ("this", "base"):
                    log(f"round {i + 1}/{rounds}: {name}")
                    runs[name].append(run(trees[name], Path(tmp), warm=False))
        finally:
            _git("worktree", "remove", "--force", str(wt))
    return runs


def _summary(runs: dict, keys: tuple[str, ...]) -> dict:
    """Median of each key on each side, and their ratio."""
    out = {}
    for key in keys:
        b = statistics.median(r[key] for r in runs["base"])
        t = statistics.median(r[key] for r in runs["this"])
        out[key] = {"base": round(b, 3), "this": round(t, 3), "this_over_base": round(t / b, 3)}
    return out


def startup(base_rev: str, here_rev: str, rounds: int, command: str) -> None:
    """``--startup``: start-up of BASE and of this checkout, in turn (see the module's text)."""
    import bench_startup

    def run(tree: Path, tmp: Path, warm: bool) -> dict:
        r = bench_startup.one(Path(tempfile.mkdtemp(dir=tmp)) / "run", {"PYTHONPATH": str(tree)})
        if r["returncode"] != 0 and not warm:
            raise SystemExit(f"start-up run on {tree} failed: {r.get('error', '')[-800:]}")
        return r

    runs = _in_turn(base_rev, rounds, run, "compare_startup_")
    summary = _summary(runs, ("to_first_step_start", "exit_seconds"))
    out = {
        "command": command,
        "base": base_rev,
        "this": here_rev,
        "run": bench_startup.ARGS,
        "rounds": rounds,
        "summary": summary,
        "runs": runs,
    }
    OUT_STARTUP.parent.mkdir(parents=True, exist_ok=True)
    OUT_STARTUP.write_text(json.dumps(out, indent=1))
    for key, v in summary.items():
        b, t, r = v["base"], v["this"], v["this_over_base"]
        print(f"{key:22s} median: base {b:.3f} s  this {t:.3f} s  this/base {r}")
    print(f"written: {OUT_STARTUP.relative_to(PROJECT)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("base", help="git revision to compare this checkout with")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--agents", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--default-network", action="store_true", help="not the dense network")
    ap.add_argument("--startup", action="store_true", help="compare start-up, not the year")
    ap.add_argument("extra", nargs="*", help="more overrides for both sides")
    a = ap.parse_args(argv)
    base_rev = _git("rev-parse", a.base)
    here_rev = _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--", "sim", "conf"))
    command = "experiments/benchmarks/compare_commits.py " + " ".join(argv or sys.argv[1:])
    this = here_rev + (" (with uncommitted changes to sim/ or conf/)" if dirty else "")
    if a.startup:
        startup(base_rev, this, a.rounds, command)
        return
    ov = base_overrides(a.agents, a.days, a.threads, not a.default_network) + a.extra
    warm_ov = base_overrides(3000, 2, a.threads, False)

    def run(tree: Path, tmp: Path, warm: bool) -> dict:
        return _one(tree, warm_ov, 2) if warm else _one(tree, ov, a.days)

    runs = _in_turn(base_rev, a.rounds, run, "compare_commits_")
    summary = _summary(runs, ("init_seconds", "run_seconds", "steady_agent_days_per_second"))
    hashes = {name: {json.dumps(r["hashes"], sort_keys=True) for r in rs} for name, rs in runs.items()}
    identical = len(hashes["base"] | hashes["this"]) == 1
    out = {
        "command": command,
        "base": base_rev,
        "this": this,
        "overrides": ov,
        "rounds": a.rounds,
        "summary": summary,
        "outputs_identical": identical,
        "runs": runs,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    for key, v in summary.items():
        print(f"{key:32s} base {v['base']:>14,}  this {v['this']:>14,}  this/base {v['this_over_base']}")
    print(f"outputs identical (timeseries.csv, summary.json): {identical}")
    print(f"written: {OUT.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
