"""Keyed randomness: every random decision is a hash of what it decides.

No kernel draws from a stateful generator. A decision is ``u01(seed, day, Decision.X, a, b)``: a
SplitMix64 hash of the seed, the day, which kind of decision it is and the agents, relationship or
slot involved. Results are therefore independent of draw order and thread count, and two scenarios
run with the same seed share every decision an intervention did not touch (common random numbers,
the basis of paired comparisons).

Building the world (population, initial ties) and the daily organic ties use NumPy generators keyed
by ``(seed, Stream.X)`` instead (:func:`rng_for`): vectorised draws at set-up, still independent of
everything else that is drawn.

Never renumber a :class:`Decision` or a :class:`Stream`: it would change every run.
"""

from __future__ import annotations

import math
import warnings
from enum import IntEnum

import numpy as np

from sim.backend import kernel

# The hashes below wrap around modulo 2**64 on purpose. Compiled by Numba they do so silently; run
# as plain Python (backend=python) NumPy warns on every wrapped multiply, which is not a problem.
warnings.filterwarnings(
    "ignore", message="overflow encountered in scalar", category=RuntimeWarning, module="sim.rng"
)


class Decision(IntEnum):
    """The ``kind`` key of every daily random decision."""

    INTERACT = 1  # a tie carries an interaction today
    SERVE = 2  # which account holders are served friend suggestions
    TIEBREAK = 3  # order of equal suggestion scores
    SUGGEST_SEND = 4  # a shown suggestion becomes a request
    OUTREACH_N = 5  # how many attempts an offender makes today
    OUTREACH_CHANNEL = 6  # the route of an attempt
    OUTREACH_PLATFORM = 7  # the platform of an attempt
    OUTREACH_TARGET = 8  # the child an attempt tries
    OUTREACH_PREF = 9  # the offender keeps a candidate (sex, age, vulnerability preference)
    ACCEPT = 10  # a child accepts a request
    BLOCK = 11  # a child blocks a declined request
    REPORT = 12  # ... and reports it
    RECONTACT = 13  # an offender comes back after a block or report
    OFF_INTERACT = 14  # an offender messages a child in a relationship today
    ADVANCE = 15  # the relationship moves to the next stage
    JUMP = 16  # ... skipping a stage
    DAILY_BLOCK = 17
    DAILY_REPORT = 18
    GUARDIAN = 19  # a guardian notices
    GUARDIAN_ABANDON = 20  # ... and the offender stops
    ABANDON = 21  # the offender gives up
    MOVE = 22  # the relationship moves to the private platform
    TELL = 23  # the child tells someone
    POLICE = 24  # the child reports to the police
    # 25, 26: reserved (organic ties use a NumPy generator keyed by (seed, Stream.DAILY_ORGANIC, day))
    REVIEW = 27  # a reviewer confirms an account
    RETURN = 28  # a banned offender comes back with a new account
    REFERRAL = 29  # a ban leads to a police record of the offences
    SEXUAL_BLOCK = 30  # a child blocks at the first sexual request
    SEXUAL_REPORT = 31
    DETECT = 32  # the detector flags a relationship's conversation today
    FALSE_FLAG = 33  # the detector flags a benign interaction
    SHARE = 34  # a ban's signal reaches another platform (and the receiver bans)
    EVASION = 35  # a returning account is stopped (ban-evasion prevention)
    NOTICED = 36  # the child notices an outreach attempt
    LIST_PICK = 37  # the friend picked from a child's visible connection list
    ADHERENCE = 38  # a child keeps private defaults (keyed without the day)
    COVERAGE = 39  # a child is covered by education or guardianship (keyed without the day)
    DESIST = 40  # an offender stops offending today
    ARREST = 41  # a recorded offence leads to the offender's arrest
    ACCOUNT_OPEN = 42  # a child opens an account on a platform on a birthday
    KNOWN_MINOR = 43  # the platform knows a new child account is a minor's (age assurance)
    MIRROR = 44  # a tie is mirrored on a platform both ends hold a new account on
    SUGGEST_WALK = 45  # a step of a two-hop walk that samples friend-suggestion candidates
    OUTREACH_OPTION = 46  # an adaptive offender's joint draw of (platform, route) for an attempt
    FORUM = 47  # an offender belongs to the offender network that shares tactics (keyed without the day)
    FLAG_CONFIDENCE = 48  # the confidence of a detector's true flag of a relationship
    FALSE_FLAG_CONFIDENCE = 49  # the confidence of a detector's false flag of a benign account
    BEHAVIOUR_SIGNAL = 50  # an offender's account shows the behavioural pattern today (behavioural_signals)
    BEHAVIOUR_CONFIDENCE = 51  # the confidence of a behavioural signal


class Stream(IntEnum):
    """Build-time and vectorised NumPy streams, keyed by ``(seed, stream)``."""

    CHILDREN = 1
    ADULTS = 2
    OFFENDERS = 3
    ACCOUNTS = 4
    TIES = 5
    BIRTHDAYS = 6  # children's birthdays (day of the year)
    JOINERS = 7  # keyed by (seed, stream, day): traits and ties of new 8-year-olds
    ARRIVALS = 8  # keyed by (seed, stream, day): new offenders
    BEHAVIOUR_FALSE = 9  # keyed by (seed, stream, day, platform): benign accounts a behavioural signal flags
    DAILY_ORGANIC = 100  # keyed by (seed, stream, day)
    TIES_NETWORKX = 105  # the networkx reference builder


def rng_for(seed: int, stream: int, *more: int) -> np.random.Generator:
    """A NumPy generator keyed by ``(seed, stream, *more)``: independent of every other stream."""
    return np.random.default_rng([int(seed), int(stream), *(int(x) for x in more)])


# --------------------------------------------------------------------------------------------
# Counter-based random numbers (kernels: compiled by Numba, or run as plain Python)
# --------------------------------------------------------------------------------------------
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_KIND = np.uint64(0xD6E8FEB86659FD93)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_TWO32 = np.uint64(4294967296)
#: 2**53 as a float: ``u < p`` exactly when ``bits < ceil(p * TWO53)`` (see :func:`bits_pair`).
TWO53 = 9007199254740992.0


@kernel
def mix64(x: np.uint64) -> np.uint64:
    """SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective 64-bit mix."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@kernel
def day_key(seed: int, day: int, kind: int) -> np.uint64:
    """The part of a random key shared by every draw of one decision kind on one day."""
    x = mix64(np.uint64(seed) * _GOLDEN + np.uint64(day))
    return mix64(x ^ (np.uint64(kind) * _KIND))


@kernel
def u01_key(dk: np.uint64, a: int, b: int) -> float:
    """Uniform [0, 1) keyed by a day key (:func:`day_key`) and two integers >= 0."""
    x = mix64(dk + np.uint64(a) * _GOLDEN)
    x = mix64(x + np.uint64(b))
    return np.float64(x >> _S11) * _INV53


@kernel
def bits_pair(dk: np.uint64, u: int, v: int) -> int:
    """The 53 random bits behind :func:`u01_pair` as an integer: ``u01_pair == bits * 2**-53``,
    so ``u01_pair(dk, u, v) < p`` exactly when ``bits_pair(dk, u, v) < ceil(p * 2**53)``."""
    x = mix64(dk + (np.uint64(u) * _TWO32 + np.uint64(v)) * _GOLDEN)
    return np.int64(x >> _S11)


@kernel
def u01_pair(dk: np.uint64, u: int, v: int) -> float:
    """Uniform [0, 1) for a pair of node ids (< 2**32) with one mix: the hot-loop draw.

    ``u * 2**32 + v`` is unique per pair and the multiply by an odd constant and the SplitMix64
    finaliser are bijections, so distinct pairs never share a draw on the same day and kind.
    """
    x = mix64(dk + (np.uint64(u) * _TWO32 + np.uint64(v)) * _GOLDEN)
    return np.float64(x >> _S11) * _INV53


@kernel
def u01(seed: int, day: int, kind: int, a: int, b: int) -> float:
    """Uniform [0, 1) number keyed by (seed, day, kind, a, b); all arguments integers >= 0."""
    return u01_key(day_key(seed, day, kind), a, b)


@kernel
def u01_each(seed: int, day: int, kind: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``u01(seed, day, kind, a[i], b[i])`` for every ``i``: one call from Python for a batch of
    decisions of one kind (each draw is the one :func:`u01` gives, whatever the batch)."""
    dk = day_key(seed, day, kind)
    out = np.empty(a.shape[0])
    for i in range(a.shape[0]):
        out[i] = u01_key(dk, a[i], b[i])
    return out


@kernel
def poisson_from_u(lam: float, u: int) -> int:
    """Poisson(lam) by inversion of one uniform ``u`` (lam small: at most a few hundred)."""
    k = 0
    p = math.exp(-lam)
    s = p
    while u > s and k < 10_000:
        k += 1
        p = p * lam / k
        s += p
        if p == 0.0 and s < u:
            break
    return k


#: Node ids are below 2**31, so ``child * PAIR_BASE + other`` is unique per ordered pair.
PAIR_BASE = 2147483648


@kernel
def pair_key(child: int, other: int) -> int:
    """One integer key for an ordered pair of node ids (ids < 2**31)."""
    return np.int64(child) * PAIR_BASE + np.int64(other)


@kernel
def clamp01(x: float) -> float:
    """``x`` clipped to [0, 1] (a probability built from multipliers)."""
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x
