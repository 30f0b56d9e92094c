"""Counter-based random numbers and small numeric helpers of ``sim.rng``.

Guards the property every result rests on: ``u01(seed, day, kind, a, b)`` is a uniform number in
[0, 1) that depends on every key argument, and the pure-Python reference and the Numba
compilation return the very same float for the same key (so the two backends agree bit for bit).
All keys are fixed, so every check here is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import rng as K
from sim.backend import kernels
from sim.rng import Decision


@pytest.fixture(scope="module")
def N():
    return kernels("numba")


def _keys(n: int, seed: int = 2024) -> list[tuple[int, int, int, int, int]]:
    """``n`` fixed keys covering the whole range of each argument."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        out.append(
            (
                int(rng.integers(0, 2**63 - 1)),
                int(rng.integers(0, 20_001)),
                int(rng.integers(1, 64)),
                int(rng.integers(0, 2**31 - 1)),
                int(rng.integers(0, 2**31 - 1)),
            )
        )
    # edge values
    for s in (0, 1, 2**63 - 1):
        for a in (0, 1, 2**31 - 1):
            out.append((s, 0, 1, a, 0))
            out.append((s, 365, 36, 0, a))
    return out


def u01_py(*key):
    with np.errstate(over="ignore"):  # numpy uint64 scalars wrap, as intended
        return K.u01(*key)


def test_u01_in_unit_interval_and_float():
    vals = [u01_py(*k) for k in _keys(3000)]
    assert all(isinstance(v, float) for v in vals)
    assert min(vals) >= 0.0
    assert max(vals) < 1.0


def test_u01_python_and_numba_identical(N):
    keys = _keys(3000)
    py = [float(u01_py(*k)) for k in keys]
    nb = [float(N.u01(*k)) for k in keys]
    assert py == nb  # exact equality: the backends must agree bit for bit


def test_u01_mean_and_uniformity():
    """Mean within 5 standard errors of 1/2; chi-square over 100 bins below the 0.1% point."""
    n, bins = 20_000, 100
    vals = np.array([u01_py(42, 1, Decision.ACCEPT, i, 0) for i in range(n)])
    # sd of a mean of n U(0,1) = 1/sqrt(12 n) ~ 0.002
    assert abs(vals.mean() - 0.5) < 5 / math.sqrt(12 * n)
    counts = np.bincount((vals * bins).astype(int), minlength=bins)
    expected = n / bins
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    # chi-square with 99 degrees of freedom: 99.9% quantile = 148.23
    assert chi2 < 148.23
    # uniformity along the other key arguments too (a and b swapped, day varying)
    vals_b = np.array([u01_py(7, 3, Decision.BLOCK, 5, i) for i in range(n)])
    vals_d = np.array([u01_py(7, i, Decision.BLOCK, 5, 5) for i in range(n)])
    for v in (vals_b, vals_d):
        c = np.bincount((v * bins).astype(int), minlength=bins)
        assert float(((c - expected) ** 2 / expected).sum()) < 148.23


def test_u01_consecutive_keys_uncorrelated():
    """Neighbouring ids must not give correlated draws (|r| < 5/sqrt(n))."""
    n = 20_000
    v = np.array([u01_py(42, 1, Decision.INTERACT, i, 0) for i in range(n + 1)])
    r = np.corrcoef(v[:-1], v[1:])[0, 1]
    assert abs(r) < 5 / math.sqrt(n)


def test_u01_changing_any_key_argument_changes_the_value():
    for key in _keys(200, seed=7):
        base = u01_py(*key)
        for pos in range(5):
            k2 = list(key)
            k2[pos] = k2[pos] + 1 if k2[pos] < 2**62 else k2[pos] - 1
            assert u01_py(*k2) != base, (key, pos)
        s, d, kind, a, b = key
        if a != b:
            assert u01_py(s, d, kind, b, a) != base, key  # (a, b) is ordered


def test_u01_is_a_pure_function():
    for key in _keys(50):
        assert u01_py(*key) == u01_py(*key)


def _poisson_inverse(lam: float, u: float) -> int:
    """Smallest k with P(X <= k) >= u, X ~ Poisson(lam) (independent reference)."""
    k, cdf = 0, 0.0
    while True:
        cdf += math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1)) if lam > 0 else (k == 0)
        if cdf >= u or k > 10_000:
            return k
        k += 1


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.4, 7.0, 60.0])
def test_poisson_from_u_is_inverse_cdf(lam, N):
    us = [i / 97 + 0.003 for i in range(97)]
    got = [K.poisson_from_u(lam, u) for u in us]
    ref = [_poisson_inverse(lam, u) for u in us]
    # the reference sums the pmf in another order: allow a step of one where u sits on a jump
    assert all(abs(g - r) <= 1 for g, r in zip(got, ref))
    assert sum(g != r for g, r in zip(got, ref)) <= 2
    assert got == [N.poisson_from_u(lam, u) for u in us]
    assert got == sorted(got)  # monotone in u


def test_poisson_from_u_mean():
    lam = 3.0
    ks = [K.poisson_from_u(lam, u01_py(1, 2, Decision.OUTREACH_N, i, 0)) for i in range(10_000)]
    # sd of the mean = sqrt(lam/n) ~ 0.017
    assert abs(np.mean(ks) - lam) < 0.1


def test_clamp01():
    assert [K.clamp01(x) for x in (-0.5, 0.0, 0.25, 1.0, 7.0)] == [0.0, 0.0, 0.25, 1.0, 1.0]


def test_integer_threshold_decides_exactly_as_the_float_draw(N):
    """The contact step compares ``bits_pair`` with ``ceil(p * 2**53)`` instead of ``u01_pair``
    with ``p``: the decision must be the same for every pair and probability (both backends),
    including p = 0 (never) and p = 1 (always) and draws that fall exactly on a threshold."""
    with np.errstate(over="ignore"):  # numpy uint64 scalars wrap, as intended
        _threshold_checks(N)


def _threshold_checks(N):
    dk = K.day_key(7, 3, Decision.INTERACT)
    rng = np.random.default_rng(11)
    pairs = [(int(u), int(v)) for u, v in rng.integers(0, 2**31 - 1, size=(300, 2))]
    for u, v in pairs[:50]:
        bits = int(K.bits_pair(dk, u, v))
        assert bits == int(N.bits_pair(dk, u, v)) and 0 <= bits < 2**53
        x = K.u01_pair(dk, u, v)
        assert x == N.u01_pair(dk, u, v) == bits * 2.0**-53
        ps = [0.0, 1.0, x, math.nextafter(x, 0.0), math.nextafter(x, 1.0), *rng.random(5)]
        for p in ps:
            thr = math.ceil(p * 2.0**53)
            assert (bits < thr) == (x < p), (u, v, p)
    assert not any(K.bits_pair(dk, u, v) < math.ceil(0.0) for u, v in pairs)
    assert all(K.bits_pair(dk, u, v) < math.ceil(2.0**53) for u, v in pairs)


def test_u01_each_gives_the_draw_of_each_key_on_both_backends(N):
    """The batch form used for whole days of one decision (account openings, desistance) must
    give, element by element, the very float of a single ``u01`` call, in either backend."""
    keys = _keys(200)
    seed, day, kind = keys[0][0], keys[0][1], int(Decision.ACCOUNT_OPEN)
    a = np.array([k[3] for k in keys], np.int64)
    b = np.array([k[4] for k in keys], np.int64)
    single = [K.u01(seed, day, kind, int(x), int(y)) for x, y in zip(a, b)]
    assert K.u01_each(seed, day, kind, a, b).tolist() == single
    assert N.u01_each(seed, day, kind, a, b).tolist() == single
    assert N.u01_each(seed, day, kind, a[:0], b[:0]).size == 0
