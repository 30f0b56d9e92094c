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


def _git_dir(root: Path) -> Path | None:
    g = root / ".git"
    if g.is_dir():
        return g
    if g.is_file():  # a worktree or submodule: "gitdir: PATH"
        text = g.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            p = Path(text[len("gitdir:") :].strip())
            return p if p.is_absolute() else (root / p).resolve()
    return None


def _read_ref(gitdir: Path, common: Path, ref: str) -> str | None:
    for d in (gitdir, common):
        f = d / ref
        if f.is_file():
            return f.read_text(errors="replace").strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] == ref:
                return parts[0]
    return None


def git_commit() -> dict[str, object]:
    """The project's git commit, read from .git's files (git itself is never run: its config and
    environment could run commands). ``dirty`` is not known this way; the code hash
    (:func:`code_hash`) says exactly which code ran."""
    import re

    try:
        gitdir = _git_dir(PROJECT_DIR)
        if gitdir is None:
            return {"commit": None, "dirty": None}
        common = gitdir
        if (gitdir / "commondir").is_file():
            c = Path((gitdir / "commondir").read_text().strip())
            common = c if c.is_absolute() else (gitdir / c).resolve()
        head = (gitdir / "HEAD").read_text(errors="replace").strip()
        for _ in range(5):
            if not head.startswith("ref:"):
                break
            head = _read_ref(gitdir, common, head[4:].strip()) or ""
        if not re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", head):
            return {"commit": None, "dirty": None}
        return {"commit": head, "dirty": None}
    except (OSError, ValueError):
        return {"commit": None, "dirty": None}


_CODE_HASH: str | None = None


def code_hash() -> str:
    """SHA-256 over the package's source files (sim/**/*.py and report templates), by path."""
    global _CODE_HASH
    if _CODE_HASH is None:
        import hashlib

        h = hashlib.sha256()
        pkg = PROJECT_DIR / "sim"
        files = sorted(p for p in pkg.rglob("*") if p.is_file() and p.suffix in (".py", ".j2"))
        for p in files:
            h.update(p.relative_to(pkg).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH


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
            "code_hash": code_hash(),
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        }
        (tmp / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
        write_checksums(tmp)
        if final.exists():
            final.rmdir()
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


CHECKSUMS = "checksums.json"
#: Keys every summary.json has (a hand-edited or truncated one is refused).
SUMMARY_KEYS = ("scenario", "seed", "days", "children", "adults", "offenders", "rates")


class RunError(ValueError):
    """A damaged run folder; the message names the folder and what is wrong."""


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksums(run_dir: str | os.PathLike) -> None:
    """Write ``checksums.json`` (SHA-256 of each run file) into ``run_dir``."""
    d = Path(run_dir)
    sums = {f: _sha256(d / f) for f in RUN_FILES if (d / f).is_file()}
    (d / CHECKSUMS).write_text(json.dumps(sums, indent=2, sort_keys=True) + "\n")


def run_problem(run_dir: str | os.PathLike) -> str | None:
    """None if ``run_dir`` is a complete, undamaged run folder; else what is wrong with it.

    Resume and the report both use this one notion of "complete": every file present, the
    checksums written with the run match, and the files parse with the expected contents.
    """
    d = Path(run_dir)
    core = RUN_FILES[:4]  # a run written with figures=False (tests, the API) has no figure
    for f in (*core, CHECKSUMS):
        if not (d / f).is_file():
            return f"{f} is missing"
    try:
        sums = json.loads((d / CHECKSUMS).read_text())
        if not isinstance(sums, dict) or not set(core) <= set(sums) or not set(sums) <= set(RUN_FILES):
            return f"{CHECKSUMS} does not list the run's files"
        for f in sorted(sums):
            if not (d / f).is_file():
                return f"{f} is missing"
            if _sha256(d / f) != sums[f]:
                return f"{f} was changed or damaged after the run was written (checksum differs)"
        summary = json.loads((d / "summary.json").read_text())
        if not isinstance(summary, dict):
            return "summary.json is not a JSON object"
        missing = [k for k in SUMMARY_KEYS if k not in summary]
        if missing:
            return f"summary.json lacks {', '.join(missing)}"
        if not isinstance(summary["seed"], int) or isinstance(summary["seed"], bool):
            return f"summary.json has a non-integer seed {summary['seed']!r}"
        config = yaml.safe_load((d / "config.yaml").read_text())
        if not isinstance(config, dict):
            return "config.yaml is not a mapping"
        meta = json.loads((d / "metadata.json").read_text())
        if not isinstance(meta, dict):
            return "metadata.json is not a JSON object"
        with (d / "timeseries.csv").open() as fh:
            rows = list(csv.reader(fh))
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            return "timeseries.csv has rows of different lengths"
        np.array(rows[1:], dtype=np.int64)
    except (OSError, UnicodeDecodeError) as e:
        return f"cannot be read ({e})"
    except json.JSONDecodeError as e:
        return f"a JSON file is damaged ({e.msg} at line {e.lineno})"
    except yaml.YAMLError as e:
        return f"config.yaml cannot be read ({str(e).splitlines()[0]})"
    except (ValueError, TypeError) as e:
        return f"timeseries.csv holds a value that is not an integer ({str(e).splitlines()[0]})"
    return None


def remove_stale_partials(out_dir: str | os.PathLike) -> None:
    """Remove hidden partial folders of earlier, interrupted attempts at this run folder."""
    final = Path(out_dir)
    if final.parent.is_dir():
        for p in final.parent.glob(f".{final.name}.partial-*"):
            shutil.rmtree(p, ignore_errors=True)


def is_complete(run_dir: str | os.PathLike) -> bool:
    """True if ``run_dir`` holds every file of a finished run."""
    return run_problem(run_dir) is None


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
    code_hash: str | None = None


def _started(sub: Path) -> bool:
    """True if a job folder holds a run's summary or checksums (else it never finished)."""
    return (sub / "summary.json").exists() or (sub / CHECKSUMS).exists()


def load_runs(sweep_dir: Path) -> tuple[list[Run], list[str]]:
    """Complete runs under ``sweep_dir`` and the names of job folders that never finished.

    Raises RunError for a damaged folder (a run's files present but truncated, edited or
    unreadable), naming the folder and what is wrong.
    """
    runs, incomplete = [], []
    for sub in sorted(p for p in sweep_dir.iterdir() if p.is_dir()):
        if sub.name.startswith(".") or sub.name == "figures":
            if ".partial" in sub.name:
                incomplete.append(sub.name)
            continue
        if not _started(sub):
            incomplete.append(sub.name)
            continue
        problem = run_problem(sub)
        if problem:
            raise RunError(
                f"run folder {sub} is damaged: {problem}; remove it and rerun the sweep with resume=true"
            )
        summary = json.loads((sub / "summary.json").read_text())
        config = yaml.safe_load((sub / "config.yaml").read_text())
        meta = json.loads((sub / "metadata.json").read_text())
        with (sub / "timeseries.csv").open() as fh:
            rows = list(csv.reader(fh))
        cols = rows[0]
        data = np.array(rows[1:], dtype=np.int64) if len(rows) > 1 else np.zeros((0, len(cols)), np.int64)
        ts = {c: data[:, i] for i, c in enumerate(cols)}
        run = Run(
            sub,
            str(summary["scenario"]),
            int(summary["seed"]),
            summary,
            config,
            (meta.get("git") or {}).get("commit"),
            ts,
            meta.get("code_hash"),
        )
        run.overrides = list(meta.get("overrides") or [])
        runs.append(run)
    return runs, incomplete


#: Keys that do not change a run's results (not compared within a scenario).
_NOT_RESULTS = ("seed", "resume", "report", "print_summary", "progress", "threads", "backend", "mesa_agents")


def check_consistent(runs: list[Run]) -> list[str]:
    """Differences that make runs incomparable: config outside scenario/seed, the code that ran
    (hash of the package's source), and, within one scenario, any setting but the seed."""
    problems = []
    ref = runs[0]
    for r in runs[1:]:
        for sec in SHARED_SECTIONS:
            if r.config.get(sec) != ref.config.get(sec):
                problems.append(f"{r.path.name}: '{sec}' differs from {ref.path.name}")
        if r.commit != ref.commit:
            problems.append(f"{r.path.name}: code version {r.commit} differs from {ref.commit}")
    hashes = {r.code_hash for r in runs}
    if len(hashes) > 1:
        by = {}
        for r in runs:
            by.setdefault(r.code_hash, []).append(r.path.name)
        parts = [f"{(h or 'none recorded')[:12]}: {', '.join(v[:3])}" for h, v in by.items()]
        problems.append("runs come from different code (code hash " + "; ".join(parts) + ")")
    first: dict[str, Run] = {}
    for r in runs:
        f = first.setdefault(r.scenario, r)
        if f is r:
            continue
        a = {k: v for k, v in r.config.items() if k not in _NOT_RESULTS}
        b = {k: v for k, v in f.config.items() if k not in _NOT_RESULTS}
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if diff:
            problems.append(
                f"{r.path.name}: scenario '{r.scenario}' has other settings than "
                f"{f.path.name} ({', '.join(diff)} differ)"
            )
    return problems


def _override_map(items: list[str]) -> dict[str, str]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    out = {}
    for o in OverridesParser.create().parse_overrides(list(items)):
        out[o.key_or_group] = repr(o.value())
    return out


def missing_jobs(sweep_dir: Path, runs: list[Run]) -> list[str]:
    """Jobs listed by the sweep's multirun.yaml that have no complete run folder (as overrides)."""
    f = Path(sweep_dir) / "multirun.yaml"
    if not f.is_file():
        return []
    try:
        from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
        from hydra.core.override_parser.overrides_parser import OverridesParser

        mr = yaml.safe_load(f.read_text())
        hyd = mr.get("hydra") or {}
        task = list((hyd.get("overrides") or {}).get("task") or [])
        params = (hyd.get("sweeper") or {}).get("params") or {}
        items = [f"{k}={v}" for k, v in params.items()] + task
        parsed = OverridesParser.create().parse_overrides(items)
        batches = BasicSweeper.split_arguments(parsed, None)
        jobs = [job for batch in batches for job in batch]
    except Exception as e:  # noqa: BLE001 - a damaged multirun.yaml
        raise RunError(
            f"{f} cannot be read ({str(e).splitlines()[0] if str(e) else type(e).__name__})"
        ) from None
    have = [_override_map(getattr(r, "overrides", [])) for r in runs]
    out = []
    for job in jobs:
        want = _override_map(job)
        if not any(all(h.get(k) == v for k, v in want.items()) for h in have):
            out.append(" ".join(job))
    return out
