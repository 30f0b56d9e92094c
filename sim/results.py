"""Run folders: written atomically, read back, and checked.

A run folder holds::

    config.yaml        the resolved config (every value used)
    metadata.json      seed, backend, threads, package versions, git commit, wall times, command
    timeseries.csv     column ``day`` then one integer column per daily count
    summary.json       totals, distinct-children counts by stage, breakdowns, derived rates
    figures/exposure.png

Everything is first written to a hidden sibling folder and renamed into place at the end, so a
folder that exists under its final name is complete. ``timeseries.csv`` and ``summary.json`` are
byte-identical for the same config and seed (no times or paths in them); ``metadata.json`` is
where run-specific facts go.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np
import yaml
from omegaconf import OmegaConf

PROJECT_DIR = Path(__file__).resolve().parent.parent
RUN_FILES = ("config.yaml", "metadata.json", "timeseries.csv", "summary.json", "figures/exposure.png")
_PACKAGES = (
    "numpy",
    "numba",
    "llvmlite",
    "mesa",
    "networkx",
    "hydra-core",
    "omegaconf",
    "matplotlib",
    "pandas",
    "tqdm",
    "groomsim",
)


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> dict[str, object]:
    """The project's git commit and whether the work tree had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=5
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def timeseries_csv(model) -> str:
    cols, data = model.metrics.table()
    lines = [",".join(cols)]
    lines.extend(",".join(str(int(x)) for x in row) for row in data.tolist())
    return "\n".join(lines) + "\n"


def summary_json(model) -> str:
    return json.dumps(model.summary(), indent=2) + "\n"


def write_run(
    model,
    out_dir: str | os.PathLike,
    overrides: list[str] | None = None,
    wall_seconds: float | None = None,
    figures: bool = True,
) -> Path:
    """Write the run folder for a finished ``model`` atomically; return its path.

    ``out_dir`` may exist only if it is empty (Hydra creates it before the job starts).
    """
    final = Path(out_dir)
    if final.exists() and any(final.iterdir()):
        raise FileExistsError(f"run folder {final} already exists and is not empty")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        cfg = model.cfg
        (tmp / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
        (tmp / "timeseries.csv").write_text(timeseries_csv(model))
        (tmp / "summary.json").write_text(summary_json(model))
        if figures:
            from sim.plots import exposure_figure

            (tmp / "figures").mkdir()
            exposure_figure(model, tmp / "figures" / "exposure.png")
        meta = {
            "seed": model.seed,
            "scenario": str(cfg.scenario.name),
            "days": model.day,
            "burn_in_days": model.burn_in,
            "backend": model.backend,
            "threads": model.threads,
            "agents": model.pop.n,
            "ties": model.ties.n_ties,
            "mesa_agents_created": model.mesa_agents_created,
            "wall_seconds": {
                "build": round(model.build_seconds, 3),
                "simulate": round(getattr(model, "run_seconds", 0.0), 3),
                "total": round(wall_seconds, 3) if wall_seconds is not None else None,
            },
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "overrides": list(overrides or []),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "versions": package_versions(),
            "git": git_commit(),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        }
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
        if final.exists():
            final.rmdir()
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def remove_stale_partials(out_dir: str | os.PathLike) -> None:
    """Remove hidden partial folders of earlier, interrupted attempts at this run folder."""
    final = Path(out_dir)
    if final.parent.is_dir():
        for p in final.parent.glob(f".{final.name}.partial-*"):
            shutil.rmtree(p, ignore_errors=True)


def is_complete(run_dir: str | os.PathLike) -> bool:
    """True if ``run_dir`` holds every file of a finished run."""
    d = Path(run_dir)
    return all((d / f).is_file() for f in RUN_FILES) and (d / "summary.json").stat().st_size > 0


def read_summary(run_dir: str | os.PathLike) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text())


# ------------------------------------------------------------------------------------------
# Reading many run folders back (a sweep)
# ------------------------------------------------------------------------------------------

#: Config sections that must be equal across the runs being compared.
SHARED_SECTIONS = ("days", "population", "network", "platforms", "grooming")


@dataclass
class Run:
    path: Path
    scenario: str
    seed: int
    summary: dict
    config: dict
    commit: str | None
    timeseries: dict[str, np.ndarray] = field(default_factory=dict)


def load_runs(sweep_dir: Path) -> tuple[list[Run], list[str]]:
    """Complete runs under ``sweep_dir`` and the names of incomplete job folders."""
    runs, incomplete = [], []
    for sub in sorted(p for p in sweep_dir.iterdir() if p.is_dir()):
        if sub.name.startswith(".") or sub.name in ("figures", "compare"):  # compare: sim.report
            if ".partial" in sub.name:
                incomplete.append(sub.name)
            continue
        files = [sub / f for f in ("summary.json", "config.yaml", "metadata.json", "timeseries.csv")]
        if not all(f.is_file() for f in files):
            incomplete.append(sub.name)
            continue
        summary = json.loads(files[0].read_text())
        config = yaml.safe_load(files[1].read_text())
        meta = json.loads(files[2].read_text())
        with files[3].open() as fh:
            rows = list(csv.reader(fh))
        cols = rows[0]
        data = np.array(rows[1:], dtype=np.int64) if len(rows) > 1 else np.zeros((0, len(cols)), np.int64)
        ts = {c: data[:, i] for i, c in enumerate(cols)}
        runs.append(
            Run(
                sub,
                summary["scenario"],
                int(summary["seed"]),
                summary,
                config,
                (meta.get("git") or {}).get("commit"),
                ts,
            )
        )
    return runs, incomplete


def check_consistent(runs: list[Run]) -> list[str]:
    """Differences that make runs incomparable (config outside scenario/seed, code version)."""
    problems = []
    ref = runs[0]
    for r in runs[1:]:
        for sec in SHARED_SECTIONS:
            if r.config.get(sec) != ref.config.get(sec):
                problems.append(f"{r.path.name}: '{sec}' differs from {ref.path.name}")
        if r.commit != ref.commit:
            problems.append(f"{r.path.name}: code version {r.commit} differs from {ref.commit}")
    return problems
