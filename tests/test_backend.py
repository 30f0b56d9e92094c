"""Kernels and their two backends (``sim.backend``).

- both backends offer the same kernels, each marked in its mechanism module;
- kernel interfaces stay short (bundles, not dozens of positional arrays);
- a parallel kernel never writes through a bundle's field inside its ``prange`` loop: Numba's
  parallel loops lose such writes (``out.child[i] = x`` has no effect), which the byte-identity
  tests would only catch if a run happened to exercise the loop; this checks the source;
- the compiled copies are keyed by the kernels' sources, so an edit to one module (say
  ``sim/rng.py``) recompiles the kernels of the others that call it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np
import pytest

from sim import backend
from sim.backend import is_kernel, kernels


def _all_kernels():
    out = {}
    for mod in backend._modules():
        for name, f in backend._own_kernels(mod).items():
            out[name] = f
    return out


KERNELS = _all_kernels()


def test_both_backends_offer_the_same_kernels():
    py, nb = kernels("python"), kernels("numba")
    assert set(vars(py)) == set(vars(nb)) == set(KERNELS)
    assert len(KERNELS) >= 20
    assert all(is_kernel(f) for f in vars(py).values())
    assert not any(is_kernel(f) for f in vars(nb).values())  # compiled dispatchers


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="numba' or 'python"):
        kernels("gpu")


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_interfaces_are_short(name):
    n = len(inspect.signature(KERNELS[name]).parameters)
    assert n <= 15, f"{name} takes {n} parameters: bundle them (see sim/network.py Ties)"


def _prange_loops(fn):
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and isinstance(node.iter, ast.Call):
            if getattr(node.iter.func, "id", None) == "prange":
                yield node


PARALLEL = [n for n, f in KERNELS.items() if getattr(f, backend._MARK) == "parallel"]


def test_parallel_kernels_are_found():
    assert {"suggest", "outreach", "benign_interactions", "benign_interactions_scanned"} <= set(PARALLEL)


@pytest.mark.parametrize("name", PARALLEL)
def test_parallel_loops_do_not_write_through_bundle_fields(name):
    loops = list(_prange_loops(KERNELS[name]))
    assert loops, f"{name} is marked parallel but has no prange loop"
    for loop in loops:
        for node in ast.walk(loop):
            targets = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign):
                targets = [node.target]
            for t in targets:
                bad = isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute)
                assert not bad, f"{name}: '{ast.unparse(t)} = ...' inside prange: take the array out first"


def test_the_numba_lesson_holds():
    """The reason for the rule above, shown on Numba itself: if this ever starts passing the
    other way, the rule can go."""
    from collections import namedtuple

    import numba

    Out = namedtuple("Out", "a")

    def write(n, out):
        for i in numba.prange(n):
            out.a[i] = 1

    lost = Out(np.zeros(4, np.int64))
    numba.njit(parallel=True)(write)(4, lost)
    kept = Out(np.zeros(4, np.int64))
    numba.njit(write)(4, kept)
    assert kept.a.tolist() == [1, 1, 1, 1]
    assert lost.a.tolist() == [0, 0, 0, 0]


def test_compiled_copies_are_keyed_by_every_kernel_source(tmp_path, monkeypatch):
    """Two source versions get two folders; the same sources the same folder."""
    import hashlib

    import numba

    def digest(sources):
        h = hashlib.sha256(numba.__version__.encode())
        for name, src in sources:
            h.update(name.encode() + b"\0" + src + b"\0")
        return h.hexdigest()[:16]

    mods = backend._modules()
    sources = [(m.__name__, open(m.__file__, "rb").read()) for m in mods]
    folder = backend._copies_dir(digest(sources))
    assert folder.name == f"numba-{digest(sources)}"
    assert folder.is_dir(), "the folder of the current sources exists once the numba backend is loaded"
    for m in mods:
        copy = folder / (m.__name__.rsplit(".", 1)[-1] + ".py")
        assert copy.read_bytes() == open(m.__file__, "rb").read()
    edited = [(n, s + b"\n# edit\n" if n == "sim.rng" else s) for n, s in sources]
    assert digest(edited) != digest(sources)
