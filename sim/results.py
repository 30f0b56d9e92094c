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
import functools
import hashlib
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
#: Files every finished run folder holds; ``checksums.json`` lists each file written (these and the
#: figure, when written) with its SHA-256, and is written last.
RUN_FILES = ("config.yaml", "metadata.json", "timeseries.csv", "summary.json", "checksums.json")
CHECKSUMS = "checksums.json"
#: Summary keys a run folder must have to be read back (the rest may differ between versions).
SUMMARY_KEYS = ("scenario", "seed", "days", "children")
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


def source_hash(pkg: Path) -> str:
    """SHA-256 of a package's source files (``*.py`` and the report templates), by relative path
    and content."""
    h = hashlib.sha256()
    files = sorted(p for p in pkg.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".css"))
    for f in files:
        if "__pycache__" in f.relative_to(pkg).parts:
            continue
        h.update(f.relative_to(pkg).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


@functools.cache
def code_hash() -> str:
    """The :func:`source_hash` of the simulator that is running (recorded in every run's
    metadata.json as ``code_sha256``): runs made by different code get different hashes, whatever
    git says (an uncommitted edit included)."""
    return source_hash(Path(__file__).resolve().parent)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksums(run_dir: str | os.PathLike) -> None:
    """(Re)write ``checksums.json`` for the files of ``run_dir`` (every file but itself)."""
    d = Path(run_dir)
    files = sorted(p for p in d.rglob("*") if p.is_file() and p.name != CHECKSUMS)
    sums = {p.relative_to(d).as_posix(): _sha256(p) for p in files}
    (d / CHECKSUMS).write_text(json.dumps({"sha256": sums}, indent=1) + "\n")


class DamagedRun(ValueError):
    """A run folder that cannot be trusted: a file missing, changed after it was written, or
    unreadable. The message names the folder and what is wrong."""


def run_problem(run_dir: str | os.PathLike) -> str | None:
    """What is wrong with a run folder (``None`` if it is complete and intact).

    The one test of completeness, used both by ``resume=true`` and by everything that reads runs
    back (the report, ``sim.load_sweep``): every file of :data:`RUN_FILES` present, every file
    listed in ``checksums.json`` present with its checksum, and the files parse."""
    d = Path(run_dir)
    missing = [f for f in RUN_FILES if not (d / f).is_file()]
    if missing:
        return f"missing {', '.join(missing)}"
    try:
        sums = json.loads((d / CHECKSUMS).read_text())["sha256"]
        if not isinstance(sums, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return f"{CHECKSUMS} is unreadable"
    for name, want in sorted(sums.items()):
        f = d / name
        if not f.is_file():
            return f"{name} is missing (listed in {CHECKSUMS})"
        if _sha256(f) != want:
            return f"{name} does not match its checksum: changed or damaged after the run wrote it"
    for name in RUN_FILES[:-1]:
        if name not in sums:
            return f"{name} is not listed in {CHECKSUMS}"
    try:
        summary = json.loads((d / "summary.json").read_text())
        meta = json.loads((d / "metadata.json").read_text())
    except ValueError as e:
        return f"a JSON file cannot be read ({e})"
    if not isinstance(summary, dict) or not isinstance(meta, dict):
        return "summary.json or metadata.json is not a JSON object"
    absent = [k for k in SUMMARY_KEYS if k not in summary]
    if absent:
        return f"summary.json lacks {', '.join(absent)}"
    if not isinstance(summary["seed"], int) or isinstance(summary["seed"], bool):
        return f"summary.json: seed {summary['seed']!r} is not an integer"
    try:
        cfg = yaml.safe_load((d / "config.yaml").read_text())
    except yaml.YAMLError as e:
        return f"config.yaml cannot be read ({str(e).splitlines()[0]})"
    if not isinstance(cfg, dict):
        return "config.yaml is not a mapping"
    return None


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
            "code_sha256": code_hash(),
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


def remove_stale_partials(out_dir: str | os.PathLike) -> None:
    """Remove hidden partial folders of earlier, interrupted attempts at this run folder."""
    final = Path(out_dir)
    if final.parent.is_dir():
        for p in final.parent.glob(f".{final.name}.partial-*"):
            shutil.rmtree(p, ignore_errors=True)


def is_complete(run_dir: str | os.PathLike) -> bool:
    """True if ``run_dir`` holds every file of a finished run, intact (:func:`run_problem`)."""
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
    code: str | None = None  # code_sha256 of metadata.json (None for runs of older versions)


def _has_run_files(sub: Path) -> bool:
    """A job folder that the run has started writing into under its final name (Hydra creates the
    folder, and sometimes a ``.hydra`` folder, before the job starts)."""
    return any(not p.name.startswith(".") for p in sub.iterdir())


def load_runs(sweep_dir: Path) -> tuple[list[Run], list[str]]:
    """Complete runs under ``sweep_dir`` and the names of incomplete job folders (a job that did not
    finish: empty, or only its hidden partial folder). A folder that holds a run's files but is
    damaged (:func:`run_problem`) raises :class:`DamagedRun` naming it and what is wrong."""
    runs, incomplete = [], []
    for sub in sorted(p for p in sweep_dir.iterdir() if p.is_dir()):
        if sub.name.startswith(".") or sub.name in ("figures", "compare"):  # compare: sim.report
            if ".partial" in sub.name:
                incomplete.append(sub.name)
            continue
        if not _has_run_files(sub):
            incomplete.append(sub.name)
            continue
        problem = run_problem(sub)
        if problem is not None:
            raise DamagedRun(f"run folder {sub}: {problem}; re-run that job or remove the folder")
        summary = json.loads((sub / "summary.json").read_text())
        config = yaml.safe_load((sub / "config.yaml").read_text())
        meta = json.loads((sub / "metadata.json").read_text())
        try:
            with (sub / "timeseries.csv").open() as fh:
                rows = list(csv.reader(fh))
            cols = rows[0]
            data = np.array(rows[1:], dtype=np.int64) if len(rows) > 1 else np.zeros((0, len(cols)), np.int64)
        except (IndexError, ValueError) as e:
            raise DamagedRun(f"run folder {sub}: timeseries.csv cannot be read ({e})") from None
        ts = {c: data[:, i] for i, c in enumerate(cols)}
        runs.append(
            Run(
                sub,
                str(summary["scenario"]),
                int(summary["seed"]),
                summary,
                config,
                (meta.get("git") or {}).get("commit"),
                ts,
                meta.get("code_sha256"),
            )
        )
    return runs, incomplete


def check_consistent(runs: list[Run]) -> list[str]:
    """Differences that make runs incomparable: the config outside scenario and seed, the code
    that ran (its source hash; the git commit for runs that carry no hash), and, within one
    scenario, the interventions and their knobs."""
    problems = []
    ref = runs[0]
    first_of: dict[str, Run] = {}
    for r in runs:
        s0 = first_of.setdefault(r.scenario, r)
        if r is not s0:
            for sec in ("interventions", "scenario"):
                if r.config.get(sec) != s0.config.get(sec):
                    problems.append(
                        f"{r.path.name}: scenario '{r.scenario}' ran with other '{sec}' settings "
                        f"than {s0.path.name} (one scenario's runs must use the same knobs)"
                    )
        if r is ref:
            continue
        for sec in SHARED_SECTIONS:
            if r.config.get(sec) != ref.config.get(sec):
                problems.append(f"{r.path.name}: '{sec}' differs from {ref.path.name}")
        if r.code is not None or ref.code is not None:
            if r.code != ref.code:
                problems.append(
                    f"{r.path.name}: made by different code (source hash {str(r.code)[:12]}) than "
                    f"{ref.path.name} ({str(ref.code)[:12]}): re-run the sweep with one version"
                )
        elif r.commit != ref.commit:
            problems.append(f"{r.path.name}: code version {r.commit} differs from {ref.commit}")
    return problems


def expected_jobs(sweep_dir: Path) -> list[dict[str, str]] | None:
    """Every job of the sweep recorded in ``sweep_dir/multirun.yaml``, as ``{key: value}`` of its
    swept keys (``None`` if the folder has no readable multirun.yaml)."""
    f = sweep_dir / "multirun.yaml"
    if not f.is_file():
        return None
    try:
        import itertools

        from hydra.core.override_parser.overrides_parser import OverridesParser

        cfg = yaml.safe_load(f.read_text()) or {}
        hyd = cfg.get("hydra") or {}
        params = dict((hyd.get("sweeper") or {}).get("params") or {})
        task = list((hyd.get("overrides") or {}).get("task") or [])
        merged = {str(k): str(v) for k, v in params.items()}
        for o in task:
            key, _, val = str(o).partition("=")
            merged[key.lstrip("+~")] = val
        parser = OverridesParser.create()
        keys, values = [], []
        for key, val in merged.items():
            ov = parser.parse_override(f"{key}={val}")
            if ov.is_sweep_override():
                keys.append(ov.get_key_element())
                values.append([str(v) for v in ov.sweep_string_iterator()])
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    except Exception:  # noqa: BLE001 - a multirun.yaml we cannot read: nothing to compare with
        return None


def _config_value(config: dict, key: str):
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def jobs_without_run(sweep_dir: Path, runs: list[Run]) -> list[str]:
    """The jobs of ``multirun.yaml`` that have no complete run folder, as ``key=value ...``."""
    jobs = expected_jobs(sweep_dir)
    if not jobs:
        return []
    out = []
    for job in jobs:
        found = False
        for r in runs:
            ok = True
            for key, val in job.items():
                if key == "scenario":  # a config group: the file's name is the scenario's name
                    ok = r.scenario == val
                else:
                    got = _config_value(r.config, key)
                    try:
                        want = yaml.safe_load(val)
                    except yaml.YAMLError:
                        want = val
                    ok = got == want or str(got) == val
                if not ok:
                    break
            if ok:
                found = True
                break
        if not found:
            out.append(" ".join(f"{k}={v}" for k, v in job.items()))
    return out
