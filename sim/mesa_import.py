"""``import mesa`` without the parts of it a run does not use, until something uses them.

Mesa 3.3's package ``__init__`` imports ``mesa.experimental`` (whose continuous space imports
``scipy.spatial``), ``mesa.space`` (networkx) and ``mesa.discrete_space``: together about 0.3 s
of the 1.6 s a small ``python -m sim`` took to start simulating
(``experiments/benchmarks/startup_phases.py``), for modules no run uses: the model keeps its
graph in its own arrays and its agents in no Mesa space. Modules of this project import Mesa as
``from sim.mesa_import import mesa``. The first time, those modules are registered as placeholders
before Mesa is imported; a placeholder imports the real module the first time any of its
attributes is read (``mesa.space.NetworkGrid``, a ``from mesa.experimental import ...``, the
viewer's SolaraViz), so code that uses them works as before. Submodules of a deferred package can
be imported directly at any time (its placeholder carries the package's ``__path__``). If Mesa
was imported before this module, or a placeholder cannot be set up, Mesa is imported as usual.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

#: Mesa's subpackages and modules that its ``__init__`` imports and no run uses.
DEFERRED = ("mesa.experimental", "mesa.space", "mesa.discrete_space")


class _Deferred(types.ModuleType):
    """A placeholder that imports the real module or package at its first attribute read."""

    def __getattr__(self, attr: str):
        return getattr(_load(self), attr)

    def __dir__(self):
        return dir(_load(self))


def _load(placeholder: _Deferred) -> types.ModuleType:
    name = placeholder.__name__
    if sys.modules.get(name) is placeholder:
        del sys.modules[name]
        try:
            _import_real(name)
        except BaseException:
            sys.modules[name] = placeholder
            raise
        real = sys.modules[name]
        # whoever holds the placeholder (mesa's own namespace did) now sees the real contents
        placeholder.__dict__.update(real.__dict__)
    return sys.modules[name]


def _import_real(name: str) -> None:
    # import statements with fixed names (the project never imports a module named by data)
    if name == "mesa.experimental":
        import mesa.experimental  # noqa: F401
    elif name == "mesa.space":
        import mesa.space  # noqa: F401
    elif name == "mesa.discrete_space":
        import mesa.discrete_space  # noqa: F401


def _defer() -> None:
    if "mesa" in sys.modules or any(name in sys.modules for name in DEFERRED):
        return
    try:
        mesa_spec = importlib.util.find_spec("mesa")  # a top-level find does not import it
        where = list(mesa_spec.submodule_search_locations or [])
        specs = {name: importlib.machinery.PathFinder.find_spec(name, where) for name in DEFERRED}
    except (ImportError, ValueError, AttributeError, TypeError):
        return
    if any(spec is None for spec in specs.values()):
        return
    for name, spec in specs.items():
        placeholder = _Deferred(name, f"Placeholder: imports {name} when first used.")
        placeholder.__spec__ = spec
        placeholder.__file__ = spec.origin
        if spec.submodule_search_locations is not None:  # a package: its submodules stay importable
            placeholder.__path__ = list(spec.submodule_search_locations)
            placeholder.__package__ = name
        else:
            placeholder.__package__ = name.rpartition(".")[0]
        sys.modules[name] = placeholder


_defer()

import mesa  # noqa: E402

__all__ = ["mesa"]
