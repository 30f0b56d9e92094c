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
# the project's own source, not the generated kernel copies Numba's cache keeps in __pycache__
SOURCES = sorted(p for p in SIM.rglob("*.py") if "__pycache__" not in p.parts)
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
    # override checks that refuse it)
    allowed = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name in ("check_overrides", "_hydra_problem"):
            allowed |= {id(n) for n in ast.walk(node)}
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "_REFUSED_KEYS" for t in getattr(node, "targets", [])
        ):
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
    # yaml.SafeLoader: untrusted files are composed first (alias expansion bounded, tags checked)
    assert set(used) <= {"yaml.safe_load", "yaml.safe_dump", "yaml.SafeLoader"}, used


def test_the_source_runs_no_subprocess():
    """git's config and environment can run commands (core.fsmonitor): the commit is read from
    .git's files and no program is run."""
    for path in SOURCES:
        for name, node in calls(ast.parse(path.read_text())):
            assert not name.startswith("subprocess."), f"{path.name}:{node.lineno}: {name}"
            assert name not in ("os.system", "os.popen", "os.spawnv", "os.execv"), name


def test_commit_is_read_from_git_files():
    from sim.results import git_commit

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True, text=True)
    if head.returncode == 0:
        assert git_commit()["commit"] == head.stdout.strip()


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


# ------------------------------------------------------------------------------------------
# Hydra settings: an allow-list (issue 16, cases 1-3)
# ------------------------------------------------------------------------------------------

REFUSED_HYDRA = [
    ["+hydra.job.env_set.GIT_CONFIG_COUNT=1"],
    ["hydra.job.env_set={}"],
    ["hydra.searchpath=[file:///tmp]"],
    ["hydra/env=evil"],
    ["hydra/callbacks=x"],
    ["hydra/job_logging=default"],
    ["hydra.job_logging.root.level=INFO"],
    ["hydra.launcher._target_=os.system"],
    ["hydra.launcher.setup=[x]"],
    ["hydra.output_subdir=.hydra"],
    ["hydra/launcher=evil"],
    ["hydra.run.dir=a,b"],
]


@pytest.mark.parametrize("ov", REFUSED_HYDRA, ids=[o[0] for o in REFUSED_HYDRA])
def test_hydra_settings_off_the_allow_list_are_refused(ov):
    from sim.overrides import check_overrides

    msg = check_overrides(["days=2", *ov])
    assert msg is not None
    key = ov[0].lstrip("+").split("=")[0]
    assert key in msg, msg
    if not any(w in ov[0] for w in ("launcher=evil", "callbacks", "_target_", ",")):
        assert "allowed: hydra.run.dir" in msg, msg


ALLOWED_HYDRA = [
    ["hydra.run.dir=results/x"],
    ["-m", "hydra.sweep.dir=results/s", "hydra.sweep.subdir=${hydra.job.num}"],
    ["hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.launcher.verbose=0"],
    ["hydra.verbose=true"],
    ["hydra.job.chdir=false"],
    ["resume=true"],
]


@pytest.mark.parametrize("ov", ALLOWED_HYDRA, ids=[o[-1] for o in ALLOWED_HYDRA])
def test_hydra_settings_a_user_needs_are_allowed(ov):
    from sim.overrides import check_overrides

    ov = [o for o in ov if "${" not in o]
    assert check_overrides(["days=2", *ov]) is None


def test_project_launcher_configs_can_be_chosen():
    from sim.overrides import check_overrides, launcher_choices

    own = sorted(p.stem for p in (PROJECT / "conf" / "hydra" / "launcher").glob("*.yaml"))
    assert set(own) <= set(launcher_choices())
    assert "joblib" in launcher_choices()
    for name in launcher_choices():
        assert check_overrides([f"hydra/launcher={name}"]) is None


@pytest.mark.slow
def test_env_set_payload_is_refused_and_nothing_runs(tmp_path):
    """Issue 16 case 1: git's fsmonitor hook through hydra.job.env_set."""
    run_dir = tmp_path / "run"
    proc = sim_cli(
        *TINY,
        f"hydra.run.dir={run_dir}",
        "+hydra.job.env_set.GIT_CONFIG_COUNT=1",
        "+hydra.job.env_set.GIT_CONFIG_KEY_0=core.fsmonitor",
        f"+hydra.job.env_set.GIT_CONFIG_VALUE_0='touch {tmp_path}/pwned; false'",
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "hydra.job.env_set" in proc.stderr
    assert not (tmp_path / "pwned").exists()
    assert not run_dir.exists()


@pytest.mark.slow
def test_searchpath_with_a_foreign_callback_is_refused(tmp_path):
    """Issue 16 case 2: a # @package hydra file with a callbacks _target_ on a searchpath."""
    evil = tmp_path / "evil" / "hydra" / "env"
    evil.mkdir(parents=True)
    payload = tmp_path / "pwned"
    (evil / "evil.yaml").write_text(
        f"# @package hydra\ncallbacks:\n  x:\n    _target_: builtins.open\n    file: {payload}\n    mode: w\n"
    )
    proc = sim_cli(
        *TINY,
        f"hydra.run.dir={tmp_path / 'run'}",
        f"hydra.searchpath=[file://{tmp_path / 'evil'}]",
        "hydra/env=evil",
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "hydra.searchpath" in proc.stderr and "Traceback" not in proc.stderr
    assert not payload.exists()


def test_experimental_rerun_is_refused(tmp_path):
    """Issue 16 case 3: --experimental-rerun unpickles a file."""
    from sim.overrides import check_overrides

    msg = check_overrides(["--experimental-rerun", str(tmp_path / "x.pickle")])
    assert msg and "--experimental-rerun" in msg


# ------------------------------------------------------------------------------------------
# Config files a user brings (-cp/-cd): untrusted YAML (issue 16, cases 2 and 4)
# ------------------------------------------------------------------------------------------

ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n" for i in range(1, 9)
)

BAD_FILES = {
    "callback": (
        "defaults:\n  - config\n  - _self_\nhydra:\n  callbacks:\n    x:\n      _target_: builtins.print\n",
        "callbacks",
    ),
    "target": ("scenario:\n  x:\n    _target_: os.system\n", "_target_"),
    "package_hydra": ("# @package hydra\njob:\n  env_set:\n    X: 1\n", "@package hydra"),
    "package_env_set": ("# @package hydra.job.env_set\nX: 1\n", "@package hydra"),
    "env_set": ("hydra:\n  job:\n    env_set:\n      X: 1\n", "env_set"),
    "logging": ("defaults:\n  - override hydra/job_logging: evil\n", "hydra/job_logging"),
    "logging_factory": ("version: 1\nhandlers:\n  h:\n    (): os.system\n", "()"),
    "foreign_launcher": ("defaults:\n  - override hydra/launcher: evil\n", "evil"),
    "alias_bomb": (ALIAS_BOMB, "aliases"),
    "python_tag": ('x: !!python/object/apply:os.system ["touch pwned"]\n', "!!python"),
    "env": ("scenario:\n  description: ${oc.env:HOME}\n", "oc.env"),
    "huge": ("x: " + "y" * 300_000 + "\n", "larger than"),
    "hydra_other": ("hydra:\n  output_subdir: .hydra\n", "hydra.output_subdir"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_untrusted_config_files_are_refused_with_one_message(tmp_path, case):
    import time

    from sim.overrides import check_config_dirs

    text, words = BAD_FILES[case]
    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "mine.yaml").write_text(text)
    t0 = time.perf_counter()
    msg = check_config_dirs(["-cd", str(tmp_path), "scenario=mine"])
    assert time.perf_counter() - t0 < 5  # the alias bomb is not expanded
    assert msg is not None and words in msg, msg
    assert "mine.yaml" in msg


def test_ordinary_user_config_folder_is_accepted(tmp_path):
    from sim.overrides import check_config_dirs

    (tmp_path / "scenario").mkdir()
    (tmp_path / "scenario" / "mine.yaml").write_text(
        "# @package _global_\nscenario:\n  name: mine\n  description: a &x test\n"
        "hydra:\n  run:\n    dir: results/runs/${now:%Y}_${scenario.name}\n"
        "  launcher:\n    n_jobs: 2\n"
    )
    assert check_config_dirs(["-cd", str(tmp_path)]) is None


def test_config_name_cannot_leave_the_config_folder():
    from sim.overrides import check_config_dirs

    assert "config file" in check_config_dirs(["-cn", "../../tmp/evil"])


@pytest.mark.slow
@pytest.mark.parametrize("case", ["callback", "alias_bomb", "python_tag", "env"])
def test_cli_refuses_untrusted_config_dir_without_traceback(tmp_path, case):
    text, words = BAD_FILES[case]
    cd = tmp_path / "conf"
    (cd / "scenario").mkdir(parents=True)
    (cd / "scenario" / "mine.yaml").write_text(text)
    (cd / "main.yaml").write_text("defaults:\n  - config\n  - _self_\n")
    proc = sim_cli(*TINY, "-cd", str(cd), "-cn", "main", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()


def test_the_projects_points_sweeper_may_be_chosen_and_nothing_else():
    """experiments/sensitivity runs a points sweep: its sweeper and CSV are allowed, another
    sweeper name is refused with the choices."""
    from sim.overrides import check_overrides

    assert check_overrides(["-m", "hydra/sweeper=points", "hydra.sweeper.points=sample.csv"]) is None
    problem = check_overrides(["-m", "hydra/sweeper=evil"])
    assert problem and "unknown hydra/sweeper 'evil'" in problem and "points" in problem
