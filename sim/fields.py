"""Config fields that carry what values they allow, and the one checker that reads them.

Each mechanism module declares its settings as a dataclass whose fields are made by the helpers
below (``accept_stranger: float = prob()``, ``suggestions_per_day: int = integer(0, 100)``). The
schema in :mod:`sim.config` is assembled from those dataclasses, and :func:`check_fields` walks it:
a value outside what its field allows raises :class:`ConfigError` with the key, the value and what
is allowed. Rules that involve several fields (a class no larger than its school, ...) stay next to
the fields, as a ``check(cfg)`` function of the mechanism module.

Dataclass metadata and one checker rather than pydantic: OmegaConf (Hydra's typed configs) already
checks types and closes the structure from these same dataclasses; what was missing is the range of
each value, which metadata adds without a second schema library or a second copy of the fields.

Every numeric field has a finite range: values beyond it are refused at start-up, before anything
is allocated (a sum of weights or a review capacity that overflows would otherwise fail mid-run).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING


class ConfigError(ValueError):
    """A configuration value is invalid. The message names key, value and what is allowed."""

    def __init__(self, key: str, value: Any, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"invalid config value {key}={value!r}: {allowed}")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


@dataclass(frozen=True)
class Allowed:
    """What one config field allows.

    Attributes:
        kind: "number", "integer", "choice", "numbers" (a list of numbers), "platforms" (names of
            configured platforms), "day" (a day of the run) or "text" (matching ``pattern``).
        lo, hi: the closed range of a number, integer or list item (``lo_open``: lo excluded;
            ``hi`` None only for integers bounded by a cross-field rule).
        choices: the allowed names of a choice.
        length: the length of a list; ``labels`` name its items; ``positive_sum``: their sum > 0.
        text: what is allowed, as users read it in the error message.
    """

    kind: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    length: int | None = None
    labels: str = ""
    positive_sum: bool = False
    pattern: str = ""
    text: str = ""

    def message(self) -> str:
        if self.text:
            return self.text
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "integer":
            if self.hi is None:
                return f"an integer >= {_num(self.lo)}"
            return f"an integer between {_num(self.lo)} and {_num(self.hi)}"
        if self.lo_open:
            return f"a number > {_num(self.lo)} and at most {_num(self.hi)}"
        return f"a number between {_num(self.lo)} and {_num(self.hi)}"

    def number_ok(self, v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return False
        if self.kind == "integer" and not isinstance(v, int):
            return False
        if isinstance(v, float) and not math.isfinite(v):
            return False
        if v < self.lo or (self.lo_open and v == self.lo):
            return False
        return self.hi is None or v <= self.hi


def _setting(allowed: Allowed | None) -> Any:
    return field(default=MISSING, metadata={"allowed": allowed})


def prob() -> Any:
    """A probability (or share) between 0 and 1."""
    return _setting(Allowed("number", 0.0, 1.0, text="a probability between 0 and 1"))


def number(lo: float, hi: float, *, lo_open: bool = False, text: str = "") -> Any:
    """A finite number in [lo, hi] (``lo_open``: lo itself excluded)."""
    return _setting(Allowed("number", lo, hi, lo_open=lo_open, text=text))


def integer(lo: int, hi: int | None, *, text: str = "") -> Any:
    """An integer in [lo, hi]; ``hi`` None only when a cross-field rule bounds it."""
    return _setting(Allowed("integer", lo, hi, text=text))


def multiplier(*, positive: bool = False) -> Any:
    """A multiplier of a baseline rate, between 0 and 1000 (``positive``: 0 excluded)."""
    if positive:
        return number(0, 1000, lo_open=True, text="a multiplier > 0 and at most 1000")
    return number(0, 1000, text="a multiplier between 0 and 1000")


def choice(*names: str) -> Any:
    """One of ``names``."""
    return _setting(Allowed("choice", choices=tuple(names)))


def flag() -> Any:
    """true or false (the type is all there is to check)."""
    return _setting(None)


def numbers(length: int, lo: float, hi: float, text: str, *, positive_sum: bool = False) -> Any:
    """A list of ``length`` numbers, each in [lo, hi] (``text`` says what they are for)."""
    return _setting(Allowed("numbers", lo, hi, length=length, positive_sum=positive_sum, text=text))


def probs(length: int, text: str) -> Any:
    """A list of ``length`` probabilities (``text`` says what they are for)."""
    return numbers(length, 0.0, 1.0, text)


def platform_names() -> Any:
    """A list of names of configured platforms."""
    return _setting(Allowed("platforms"))


def day() -> Any:
    """A day of the run, 1..days."""
    return _setting(Allowed("day"))


def text(pattern: str, message: str) -> Any:
    """A string matching ``pattern`` (full match)."""
    return _setting(Allowed("text", pattern=pattern, text=message))


def allowed_of(cls: type, name: str) -> Allowed | None:
    """The :class:`Allowed` of field ``name`` of dataclass ``cls``."""
    return {f.name: f.metadata.get("allowed") for f in dataclasses.fields(cls)}[name]


def _check_value(key: str, v: Any, a: Allowed, cfg: Any) -> None:
    if a.kind in ("number", "integer"):
        if not a.number_ok(v):
            raise ConfigError(key, v, a.message())
    elif a.kind == "choice":
        if v not in a.choices:
            raise ConfigError(key, v, a.message())
    elif a.kind == "text":
        if not isinstance(v, str) or not re.fullmatch(a.pattern, v):
            raise ConfigError(key, v, a.message())
    elif a.kind == "day":
        if not (isinstance(v, int) and 1 <= v <= cfg.days):
            raise ConfigError(key, v, f"a day between 1 and days ({cfg.days})")
    elif a.kind == "platforms":
        plats = list(cfg.platforms.keys())
        if any(p not in plats for p in v):
            raise ConfigError(key, list(v), "names of configured platforms: " + ", ".join(plats))
    elif a.kind == "numbers":
        items = list(v)
        item = Allowed("number", a.lo, a.hi)
        ok = len(items) == a.length and all(item.number_ok(x) for x in items)
        if a.positive_sum and ok:
            ok = sum(items) > 0
        if not ok:
            if len(items) == a.length and not a.positive_sum and (a.lo, a.hi) == (0.0, 1.0):
                bad = next(i for i, x in enumerate(items) if not item.number_ok(x))
                raise ConfigError(f"{key}[{bad}]", items[bad], "a probability between 0 and 1")
            raise ConfigError(key, items, a.message())


def check_fields(node: Any, cls: type, prefix: str, cfg: Any) -> None:
    """Check every field of ``node`` (a config section typed by dataclass ``cls``) that declares
    what it allows, in field order; raise :class:`ConfigError` on the first that is not allowed."""
    for f in dataclasses.fields(cls):
        a = f.metadata.get("allowed")
        if a is not None:
            _check_value(f"{prefix}{f.name}", node[f.name], a, cfg)
