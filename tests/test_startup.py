"""Start-up: a run imports only what it needs and Hydra composes its configuration once.

Guards the start-up savings of ``python -m sim`` (docs/performance.md): the parts of Mesa that
its package import pulls in and no run uses (``mesa.experimental`` with ``scipy.spatial``,
``mesa.space`` with networkx, ``mesa.discrete_space``) are imported only when something uses
them, and still work when something does; networkx is imported only by the functions that use
it; and a plain run skips Hydra's first composition (the one that only reads ``hydra.mode``)
while a run that can set the mode keeps it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import MODE_SETTERS, plain_run

PROJECT = Path(__file__).resolve().parent.parent


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=300
    )


DEFERRED = ("mesa.experimental", "mesa.space", "mesa.discrete_space")


def test_the_model_does_not_import_what_a_run_does_not_use():
    r = python(
        "import sys, sim.cli, sim.model\n"
        "print(*(m in sys.modules for m in ('scipy', 'networkx')),"
        f" *(type(sys.modules[m]).__name__ for m in {DEFERRED!r}))"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "False", "_Deferred", "_Deferred", "_Deferred"]


def test_mesa_space_and_discrete_space_still_work_when_used():
    r = python(
        "import sys, sim.model, mesa\n"
        "from mesa.space import NetworkGrid\n"
        "grid = mesa.discrete_space.OrthogonalMooreGrid((3, 3))\n"
        "from mesa.discrete_space.grid import OrthogonalMooreGrid\n"
        "assert type(grid) is OrthogonalMooreGrid\n"
        "assert mesa.space is sys.modules['mesa.space'] or mesa.space.NetworkGrid is NetworkGrid\n"
        "print(NetworkGrid.__name__, len(list(grid.all_cells)), 'networkx' in sys.modules)"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["NetworkGrid", "9", "True"]


def test_mesa_experimental_still_works_when_used():
    r = python(
        "import sys, sim.model, mesa\n"
        "from mesa.experimental.devs.simulator import Simulator\n"  # a submodule first
        "assert 'scipy.spatial' not in sys.modules\n"
        "space = mesa.experimental.continuous_space.ContinuousSpace\n"  # then an attribute
        "assert mesa.experimental is sys.modules['mesa.experimental']\n"
        "assert type(mesa.experimental).__name__ == 'module'\n"
        "import mesa.experimental.devs as devs\n"
        "assert devs.simulator.Simulator is Simulator\n"
        "from mesa.experimental import meta_agents\n"
        "print(space.__name__, 'scipy.spatial' in sys.modules)"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ContinuousSpace", "True"]


def test_mesa_imported_first_is_left_alone():
    r = python(
        "import sys, mesa, sim.model\n"
        "print(type(sys.modules['mesa.experimental']).__name__, 'scipy.spatial' in sys.modules)"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["module", "True"]


@pytest.mark.parametrize(
    ("argv", "plain"),
    [
        ([], True),
        (["population.n_children=500", "days=30", "scenario=nspcc_package"], True),
        (["hydra.run.dir=/tmp/x", "seed=3"], True),
        (["-m", "seed=1,2"], False),
        (["--multirun", "seed=1,2"], False),
        (["hydra.mode=MULTIRUN", "seed=1,2"], False),
        (["+experiment=compare_scenarios"], False),
        (["experiment=compare_scenarios"], False),
        (["-cd", "/tmp/my_conf"], False),
        (["--cfg", "job"], False),
    ],
)
def test_plain_run(argv, plain):
    assert plain_run(argv) is plain


def _modes(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "mode" and v in ("RUN", "MULTIRUN"):
                yield ".".join((*path, k))
            yield from _modes(v, (*path, str(k)))
    elif isinstance(node, list):
        for v in node:
            yield from _modes(v, path)


def test_only_the_mode_setters_set_hydra_mode():
    """If another config file sets ``hydra.mode``, plain_run must learn its group (MODE_SETTERS)."""
    found = {}
    for f in sorted((PROJECT / "conf").rglob("*.yaml")):
        keys = list(_modes(yaml.safe_load(f.read_text()) or {}))
        if keys:
            found[str(f.relative_to(PROJECT / "conf"))] = keys
    assert set(found) == {"experiment/compare_scenarios.yaml"}, found
    assert all(f.split("/")[0] in MODE_SETTERS for f in found)


COUNT_COMPOSITIONS = """
import sys
import hydra._internal.hydra as hh
calls = []
_compose = hh.Hydra.compose_config
def compose(self, *a, **kw):
    calls.append(1)
    return _compose(self, *a, **kw)
hh.Hydra.compose_config = compose
import sim.cli
sys.argv = ["sim", *sys.argv[1:]]
try:
    sim.cli.entry()
finally:
    print("COMPOSITIONS", len(calls))
"""


@pytest.mark.parametrize(("extra", "expected"), [([], 1), (["hydra.mode=RUN"], 2)])
def test_a_plain_run_composes_once(tmp_path, extra, expected):
    args = [
        "population.n_children=300",
        "population.n_adults=600",
        "days=2",
        "progress=off",
        "print_summary=false",
        f"hydra.run.dir={tmp_path / 'run'}",
        *extra,
    ]
    r = subprocess.run(
        [sys.executable, "-c", COUNT_COMPOSITIONS, *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert f"COMPOSITIONS {expected}" in r.stdout
    assert (tmp_path / "run" / "summary.json").is_file()
