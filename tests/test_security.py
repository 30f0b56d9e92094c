"""Security: a config cannot run arbitrary Python, YAML is loaded safely, outputs stay in place.

- The source of ``sim/`` never instantiates objects from config (no ``hydra.utils.instantiate``,
  no ``_target_``), never evaluates strings (``eval``/``exec``/``__import__``/``import_module``),
  never unpickles, and loads YAML only with ``yaml.safe_load``; its one subprocess call runs
  ``git`` with a fixed argument list and no shell (checked on the syntax tree, not by grep, so
  comments and names like ``out_of_target_weight`` do not confuse it).
- ``_target_`` overrides on the command line (added with ``+``/``++`` or set directly) are
  refused and nothing is executed (the payload would create a file; it must not exist); through
  the Python API they are refused by the closed schema, and a ``_target_`` key smuggled into a
  config object is ignored by the model.
- Scenario names cannot lead outputs out of the results folder: names with '..', '/' or a
  leading '.' are refused, nothing is written, and nothing is left outside ``results/``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SIM = PROJECT / "sim"
SOURCES = sorted(SIM.rglob("*.py"))
TINY = [
    "population.n_children=60",
    "burn_in_days=0",
    "population.n_adults=120",
    "days=2",
    "progress=off",
    "print_summary=false",
]


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    e.update(MPLBACKEND="Agg", PYTHONPATH=str(PROJECT))
    return e


def sim_cli(*args: str, cwd: Path = PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env()
    )


# ------------------------------------------------------------------------------------------
# The source
# ------------------------------------------------------------------------------------------


def calls(tree: ast.AST):
    """(dotted name of the callee, node) for every call in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts, f = [], node.func
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
            yield ".".join(reversed(parts)), node


FORBIDDEN_CALLS = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "instantiate",
    "get_class",
    "get_method",
    "get_object",
    "import_module",
    "unsafe_load",
    "full_load",
    "load_all",
    "system",
    "popen",
}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "hydra.utils", "joblib"}


def test_sim_source_is_where_we_look():
    assert len(SOURCES) >= 10 and SIM / "cli.py" in SOURCES and SIM / "config.py" in SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_source_never_instantiates_or_evaluates_config_values(path):
    text = path.read_text()
    tree = ast.parse(text)
    for name, node in calls(tree):
        last = name.rsplit(".", 1)[-1]
        assert last not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}: call to {name}"
        if name == "yaml.load" or last == "load" and name.startswith("yaml"):
            pytest.fail(f"{path.name}:{node.lineno}: yaml.load (use yaml.safe_load)")
        for kw in node.keywords:
            assert not (kw.arg == "shell" and getattr(kw.value, "value", False) is True), (
                f"{path.name}:{node.lineno}: shell=True"
            )
            assert kw.arg != "Loader", f"{path.name}:{node.lineno}: a YAML Loader argument"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mods = [node.module or ""]
        else:
            continue
        for m in mods:
            assert m not in FORBIDDEN_MODULES and m.split(".")[0] not in {"pickle", "marshal"}, (
                f"{path.name}:{node.lineno}: import {m}"
            )
        # `from hydra.utils import instantiate` / `from omegaconf import ...` are fine unless they
        # bring instantiate in
        if isinstance(node, ast.ImportFrom):
            assert "instantiate" not in [a.name for a in node.names], path.name
    # no '_target_' key anywhere: as a string constant or an attribute/name (except in the
    # override check that refuses it)
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "check_overrides":
            allowed |= {id(n) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert "_target_" not in node.value.split(), f"{path.name}:{node.lineno}: '_target_'"
            assert node.value != "_target_", f"{path.name}:{node.lineno}"
        if isinstance(node, ast.Attribute):
            assert node.attr != "_target_", f"{path.name}:{node.lineno}"


def test_yaml_is_read_with_safe_load_only():
    used = {}
    for path in SOURCES:
        for name, node in calls(ast.parse(path.read_text())):
            if name.startswith("yaml."):
                used.setdefault(name, []).append(f"{path.name}:{node.lineno}")
    assert "yaml.safe_load" in used, used  # the saved configs are read back (resume, report)
    assert set(used) <= {"yaml.safe_load", "yaml.safe_dump"}, used


def test_the_only_subprocess_is_git_with_fixed_arguments():
    found = []
    for path in SOURCES:
        for name, node in calls(ast.parse(path.read_text())):
            if name.startswith("subprocess.") or name in ("os.spawnv", "os.execv"):
                arg = node.args[0] if node.args else None
                assert isinstance(arg, ast.List), f"{path.name}:{node.lineno}: argv not a literal"
                words = [getattr(e, "value", None) for e in arg.elts]
                assert all(isinstance(w, str) for w in words), words
                assert words[0] == "git", words
                found.append(words)
    assert found  # results.git_commit: git rev-parse HEAD, git status --porcelain


# ------------------------------------------------------------------------------------------
# _target_ overrides
# ------------------------------------------------------------------------------------------


def target_overrides(payload: Path) -> list[tuple[str, list[str]]]:
    """Attempts to make the program call builtins.open(payload, 'w') (it would create the file)."""
    args = f"[{payload},w]"
    return [
        (
            "plus_target",
            [
                "+interventions.ai_detection._target_=builtins.open",
                f"+interventions.ai_detection._args_={args}",
            ],
        ),
        (
            "plusplus_target",
            [
                "++interventions.ai_detection._target_=builtins.open",
                f"++interventions.ai_detection._args_={args}",
            ],
        ),
        ("set_target", ["interventions.ai_detection._target_=builtins.print"]),
        (
            "plus_os_system",
            [
                "+interventions.ai_detection._target_=os.system",
                f"+interventions.ai_detection._args_=['touch {payload}']",
            ],
        ),
        ("top_level_target", ["+_target_=builtins.open", f"+_args_={args}"]),
        ("scenario_target", ["+scenario._target_=builtins.open", f"+scenario._args_={args}"]),
    ]


CASE_IDS = [c[0] for c in target_overrides(Path("x"))]


@pytest.mark.parametrize("case", CASE_IDS)
def test_target_override_is_refused_and_nothing_runs(tmp_path, case):
    payload = tmp_path / "pwned"
    overrides = dict(target_overrides(payload))[case]
    run_dir = tmp_path / "run"
    proc = sim_cli(*TINY, *overrides, f"hydra.run.dir={run_dir}")
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text[-2000:]
    assert "Traceback" not in text, text
    assert "_target_" in proc.stderr, proc.stderr
    assert not payload.exists(), "the override was executed"
    assert not run_dir.exists() or not any(run_dir.iterdir())


def test_hydra_callback_target_is_refused_and_nothing_runs(tmp_path):
    payload = tmp_path / "pwned"
    run_dir = tmp_path / "run"
    proc = sim_cli(
        *TINY,
        "+hydra.callbacks.x._target_=builtins.open",
        f"+hydra.callbacks.x._args_=[{payload},w]",
        f"hydra.run.dir={run_dir}",
    )
    assert not payload.exists(), "a callable named on the command line was called"
    assert proc.returncode != 0


def test_python_api_refuses_setting_a_target_key():
    from sim.config import ConfigError, load_config

    with pytest.raises(ConfigError) as e:
        load_config(["days=2", "interventions.ai_detection._target_=builtins.print"])
    assert "_target_" in str(e.value)


@pytest.mark.parametrize(
    "ov",
    [
        "+interventions.ai_detection._target_=builtins.print",
        "+_target_=builtins.open",
        "+population.n_childre=5",
    ],
)
def test_python_api_refuses_added_keys(ov):
    from sim.config import load_config

    with pytest.raises(Exception) as e:  # noqa: B017 - any refusal naming the key will do
        load_config(["days=2", ov])
    assert ov.split("=")[0].lstrip("+") in str(e.value)


def test_target_keys_that_reach_a_config_are_ignored(tmp_path):
    """Whatever the API lets through, the model builds nothing from _target_/_args_."""
    from sim.config import load_config
    from sim.model import GroomingModel

    payload = tmp_path / "pwned"
    try:
        cfg = load_config(
            [
                "population.n_children=60",
                "burn_in_days=0",
                "population.n_adults=120",
                "days=2",
                "progress=off",
                "offenders.per_1000_children=100",
                "interventions.ai_detection.enabled=true",
                "+interventions.ai_detection._target_=builtins.open",
                f"+interventions.ai_detection._args_=[{payload},w]",
                "+_target_=builtins.open",
                f"+_args_=[{payload},w]",
            ]
        )
    except Exception:  # noqa: BLE001 - refused: nothing can run
        assert not payload.exists()
        return
    assert cfg.interventions.ai_detection._target_ == "builtins.open"  # it did get through
    m = GroomingModel(cfg).run(progress=False)
    assert m.day == 2
    assert not payload.exists(), "a callable named in the config was called"


# ------------------------------------------------------------------------------------------
# Output paths
# ------------------------------------------------------------------------------------------

BAD_NAMES = ["../../x", "../../../../x", "a/b", ".hidden", "..", "x/../../y"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_scenario_name_that_could_leave_the_folder_is_refused(name):
    from helpers import make_cfg

    from sim.config import ConfigError

    with pytest.raises(ConfigError) as e:
        make_cfg([f"scenario.name='{name}'"])
    assert e.value.key == "scenario.name"


def test_ordinary_scenario_names_are_accepted():
    from helpers import make_cfg

    for name in ("baseline_2019", "my-variant.v2", "A1", "x" * 64):
        assert make_cfg([f"scenario.name={name}"]).scenario.name == name


def files_and_dirs(root: Path) -> tuple[list[Path], list[Path]]:
    entries = sorted(root.rglob("*"))
    return [p for p in entries if p.is_file()], [p for p in entries if p.is_dir()]


@pytest.mark.parametrize("name", ["../../x", "../../../../x"])
def test_dotted_scenario_name_writes_nothing_outside_results(tmp_path, name):
    """With the default run folder (results/runs/<time>_<scenario>_seed<seed>) as users run it."""
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    proc = sim_cli(*TINY, f"scenario.name='{name}'", cwd=work)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(("error: invalid config value scenario.name=", "error: scenario.name="))
    assert "'..'" in line
    files, dirs = files_and_dirs(tmp_path)
    assert files == [], files
    # every folder that exists afterwards is the working folder or inside its results/
    assert all(d in (tmp_path / "a", work) or d.is_relative_to(work / "results") for d in dirs), dirs


def test_dotted_scenario_name_leaves_no_empty_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    proc = sim_cli(*TINY, "scenario.name='../../x'", cwd=work)
    assert proc.returncode == 2
    runs = work / "results" / "runs"
    left = sorted(runs.iterdir()) if runs.exists() else []
    assert left == [], left
