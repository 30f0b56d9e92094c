"""Kernels and their two backends: the pure-Python reference and its Numba compilation.

A kernel is a plain Python function restricted to what Numba compiles, marked with ``@kernel``
(``@kernel(parallel=True)`` when it uses ``prange``), in the module of the mechanism it belongs to
(:data:`KERNEL_MODULES`). :func:`kernels` gives the namespace of every kernel by name for a backend:

- ``"python"``: the functions as written (the reference backend, ``backend=python``);
- ``"numba"``: the same source compiled with ``numba.njit(cache=True)``. Each kernel module is
  loaded a second time from a copy of its file, its kernels are compiled, and the calls between
  kernels (also across modules) are pointed at the compiled versions.

Both backends therefore run one source and must give byte-identical outputs (tests check it).

The copies live in a folder named after a hash of every kernel module's source (and of the Numba
version), next to Numba's cache files: Numba's on-disk cache only notices changes to a function's
own file, so without this an edit to ``sim/rng.py`` would leave the cached compilation of a
kernel in ``sim/suggestions.py`` that calls it silently stale.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from types import FunctionType, ModuleType, SimpleNamespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_MARK = "__groomsim_kernel__"

#: Kernels write ``for i in prange(n)`` for their parallel loops: a plain ``range`` in the Python
#: backend; the Numba copies get ``numba.prange``. (Kernel modules thus do not import Numba.)
prange = range

#: Modules holding kernels, in dependency order (a module's kernels call only kernels of itself
#: or of modules listed before it).
KERNEL_MODULES = ("rng", "network", "suggestions", "outreach", "contacts", "grooming")

_NAMESPACES: dict[str, SimpleNamespace] = {}


def kernel(fn: Callable | None = None, *, parallel: bool = False) -> Callable:
    """Mark ``fn`` as a kernel (``@kernel`` or ``@kernel(parallel=True)``); returns it unchanged."""

    def mark(f):
        setattr(f, _MARK, "parallel" if parallel else "serial")
        return f

    return mark(fn) if fn is not None else mark


def is_kernel(obj: object) -> bool:
    """True for a function marked with :func:`kernel`."""
    return isinstance(obj, FunctionType) and hasattr(obj, _MARK)


def _modules() -> list[ModuleType]:
    from sim import contacts, grooming, network, outreach, rng, suggestions

    found = {
        m.__name__.rsplit(".", 1)[-1]: m for m in (rng, network, suggestions, outreach, contacts, grooming)
    }
    return [found[name] for name in KERNEL_MODULES]


def _own_kernels(mod: ModuleType) -> dict[str, FunctionType]:
    return {k: v for k, v in vars(mod).items() if is_kernel(v) and v.__module__ == mod.__name__}


def kernels(backend: str) -> SimpleNamespace:
    """Every kernel by name, for ``backend`` ("numba" or "python"); built once per process."""
    if backend not in ("numba", "python"):
        raise ValueError(f"backend must be 'numba' or 'python', not {backend!r}")
    if backend not in _NAMESPACES:
        mods = _modules()
        if backend == "python":
            found: dict[str, FunctionType] = {}
            for m in mods:
                for name, f in _own_kernels(m).items():
                    if name in found:
                        raise RuntimeError(
                            f"two kernels named {name} ({found[name].__module__}, {m.__name__})"
                        )
                    found[name] = f
            _NAMESPACES[backend] = SimpleNamespace(**found)
        else:
            _NAMESPACES[backend] = SimpleNamespace(**_compile(mods))
    return _NAMESPACES[backend]


def _copies_dir(digest: str) -> Path:
    """Where the copies of this source version go: beside the package's bytecode if writable."""
    here = Path(__file__).resolve().parent / "__pycache__"
    for base in (here, Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "groomsim"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            if os.access(base, os.W_OK):
                return base / f"numba-{digest}"
        except OSError:
            continue
    raise RuntimeError("no writable folder for the compiled kernels (set XDG_CACHE_HOME)")


def _prune(folder: Path, keep: int = 3) -> None:
    """Remove all but the ``keep`` most recent copies folders (older source versions)."""
    import shutil

    others = sorted(folder.parent.glob("numba-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[keep:]:
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)


def _compile(mods: list[ModuleType]) -> dict:
    import importlib.util

    import numba

    sources = [(m, Path(m.__file__).read_bytes()) for m in mods]
    h = hashlib.sha256(numba.__version__.encode())
    for m, src in sources:
        h.update(m.__name__.encode() + b"\0" + src + b"\0")
    folder = _copies_dir(h.hexdigest()[:16])
    folder.mkdir(exist_ok=True)
    copies: dict[str, ModuleType] = {}
    for m, src in sources:
        stem = m.__name__.rsplit(".", 1)[-1]
        path = folder / f"{stem}.py"
        if not path.exists() or path.read_bytes() != src:
            tmp = path.with_name(f".{stem}.{os.getpid()}.tmp")
            tmp.write_bytes(src)
            os.replace(tmp, path)
        name = f"sim._numba_{stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        if "prange" in vars(mod):
            mod.prange = numba.prange
        copies[m.__name__] = mod
    os.utime(folder)
    _prune(folder)
    original = {copy.__name__: orig for orig, copy in copies.items()}
    compiled = {}
    for orig, mod in copies.items():
        for name, f in _own_kernels(mod).items():
            parallel = getattr(f, _MARK) == "parallel"
            compiled[(orig, name)] = numba.njit(cache=True, nogil=True, parallel=parallel)(f)
    # point every call to a kernel (own or imported from another kernel module) at its compilation;
    # Numba resolves globals when it first compiles a function, which is after this
    for mod in copies.values():
        for gname, val in list(vars(mod).items()):
            if is_kernel(val):
                key = (original.get(val.__module__, val.__module__), val.__name__)
                if key in compiled:
                    setattr(mod, gname, compiled[key])
    out = {}
    for (orig, name), f in compiled.items():
        if name in out:
            raise RuntimeError(f"two kernels named {name}")
        out[name] = f
    return out
