"""``import mesa`` without its experimental subpackage until something uses it.

Mesa 3.3's package ``__init__`` imports ``mesa.experimental``, whose continuous space imports
``scipy.spatial``: about 0.2 s of the 1.6 s a small ``python -m sim`` takes to start simulating
(``experiments/benchmarks/startup_phases.py``), for a subpackage no run uses. Modules of this
project import Mesa as ``from sim.mesa_import import mesa``. The first time, ``mesa.experimental``
is registered as a placeholder module before Mesa is imported; the placeholder imports the real
subpackage the first time any of its attributes is read (``mesa.experimental.devs``, a ``from
mesa.experimental import ...``, the viewer's SolaraViz), so code that uses it works as before.
Its submodules can be imported directly at any time (the placeholder carries the package's
``__path__``). If Mesa was imported before this module, or the placeholder cannot be set up,
Mesa is imported as usual.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types

DEFERRED = "mesa.experimental"


class _Deferred(types.ModuleType):
    """A package placeholder that imports the real package at its first attribute read."""

    def __getattr__(self, attr: str):
        return getattr(_load(self), attr)

    def __dir__(self):
        return dir(_load(self))


def _load(placeholder: _Deferred) -> types.ModuleType:
    name = placeholder.__name__
    if sys.modules.get(name) is placeholder:
        del sys.modules[name]
        try:
            import mesa.experimental  # noqa: F401 - the real package, now the placeholder is out
        except BaseException:
            sys.modules[name] = placeholder
            raise
        real = sys.modules[name]
        # whoever holds the placeholder (mesa's own namespace did) now sees the real contents
        placeholder.__dict__.update(real.__dict__)
    return sys.modules[name]


def _defer() -> None:
    if "mesa" in sys.modules or DEFERRED in sys.modules:
        return
    try:
        mesa_spec = importlib.util.find_spec("mesa")  # a top-level find does not import it
        spec = importlib.machinery.PathFinder.find_spec(
            DEFERRED, list(mesa_spec.submodule_search_locations or [])
        )
    except (ImportError, ValueError, AttributeError, TypeError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    placeholder = _Deferred(DEFERRED, "Placeholder: imports mesa.experimental when first used.")
    placeholder.__spec__ = spec
    placeholder.__path__ = list(spec.submodule_search_locations)
    placeholder.__package__ = DEFERRED
    placeholder.__file__ = spec.origin
    sys.modules[DEFERRED] = placeholder


_defer()

import mesa  # noqa: E402

__all__ = ["mesa"]
