"""Checks of command-line overrides, before Hydra composes anything.

Overrides come from users, from shared sweep commands and from the Python API: they are untrusted
input. :func:`check_overrides` returns one message naming what is wrong and how to fix it, or None.
"""

from __future__ import annotations

import re

from sim.config import CONF_DIR, MOVED_KEYS, Config, PlatformConfig

GROUPS = (
    "population",
    "offenders",
    "network",
    "platforms",
    "grooming",
    "interventions",
    "scenario",
    "experiment",
)
_NAME_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


def schema_keys() -> dict[str, object]:
    """Every public dotted key of the config with its type (platforms expanded by name)."""
    import dataclasses
    import typing

    import yaml

    keys: dict[str, object] = {}

    def walk(cls, prefix):
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            t = hints[f.name]
            path = f"{prefix}{f.name}"
            if dataclasses.is_dataclass(t):
                keys[path] = t
                walk(t, path + ".")
            elif f.name == "platforms" and prefix == "":
                keys[path] = dict
                names = yaml.safe_load((CONF_DIR / "platforms" / "default.yaml").read_text())
                for name in names:
                    keys[f"platforms.{name}"] = PlatformConfig
                    walk(PlatformConfig, f"platforms.{name}.")
            else:
                keys[path] = t

    walk(Config, "")
    return keys


def _type_problem(key: str, t, v) -> str | None:
    import typing

    if t is bool:
        ok, what, eg = isinstance(v, bool), "true or false", "true"
    elif t is int:
        ok, what = isinstance(v, int) and not isinstance(v, bool), "an integer"
        eg = str(int(v)) if isinstance(v, float) and v.is_integer() and abs(v) < 1e18 else "10"
    elif t is float:
        ok, what, eg = isinstance(v, int | float) and not isinstance(v, bool), "a number", "0.5"
    elif typing.get_origin(t) is list:
        (et,) = typing.get_args(t)
        if et is float:
            ok = isinstance(v, list) and all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in v
            )
            what, eg = "a list of numbers", "[0.1,0.2]"
        else:
            ok, what, eg = isinstance(v, list), "a list", "[a,b]"
    else:
        return None
    if ok:
        return None
    return f"{key} must be {what}, e.g. {key}={eg} (got {v!r})"


#: Hydra's command-line flags that take a value (the value is not an override).
_FLAGS_WITH_VALUE = {
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--experimental-rerun",
}
_INFO_VALUES = {"all", "config", "defaults", "defaults-tree", "plugins", "searchpath"}


def _override_args(argv: list[str]) -> list[str]:
    """The overrides among command-line arguments (Hydra's flags and their values removed)."""
    out, skip = [], False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a.startswith("-") and not a.startswith("-="):
            if a in _FLAGS_WITH_VALUE:
                skip = True
            elif a in ("--info", "-i") and i + 1 < len(argv) and argv[i + 1] in _INFO_VALUES:
                skip = True
            continue
        out.append(a)
    return out


def check_overrides(argv: list[str]) -> str | None:
    """Check command-line style overrides against the schema before anything is composed.

    Returns one message (how to fix it included) for: something that is not KEY=VALUE, an
    interpolation, an unknown key or group choice (with the closest valid names), a value of the
    wrong type, an attempt to add or delete keys ('+', '++', '~': the configuration is closed),
    a config naming a Python object (``_target_``, Hydra callbacks), or a scenario name that
    could leave the results folder. None when everything is fine.
    """
    import difflib

    from hydra.core.override_parser.overrides_parser import OverridesParser

    args = _override_args(argv)
    for a in args:
        if a.startswith("~"):
            continue  # deletion: refused below with its own message
        if a.startswith("="):
            return f"'{a}' has no key before '=': write KEY=VALUE, e.g. days=30"
        if "=" not in a:
            return (
                f"'{a}' is not KEY=VALUE: write overrides without spaces around '=' "
                "(e.g. days=30) and quote values that contain spaces (e.g. "
                "\"scenario.description='my test'\")"
            )
        if "${" in a:
            return (
                f"'{a}': interpolations (${{...}}) are not accepted on the command line; give a literal value"
            )
    try:
        parsed = OverridesParser.create().parse_overrides(args)
    except Exception as e:  # noqa: BLE001 - Hydra's grammar errors
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        return (
            f"cannot read the overrides ({first}); write KEY=VALUE and quote values with "
            "spaces or special characters, e.g. \"scenario.description='my test'\""
        )
    keys = None
    for o in parsed:
        key = o.key_or_group
        if "_target_" in key or key.startswith(("hydra.callbacks", "hydra/callbacks")):
            return (
                f"'{o.input_line}': a configuration cannot name Python objects "
                "(_target_ and Hydra callbacks are refused); interventions and rules are "
                "chosen by name from the project's registries"
            )
        if key.startswith("hydra"):
            continue
        if keys is None:
            keys = schema_keys()
        if o.is_add() or o.is_force_add() or o.is_delete():
            close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.75)
            eg = f"{close[0]}=VALUE" if close else "KEY=VALUE for a key listed by: python -m sim --cfg job"
            return (
                f"'{o.input_line}': the configuration is closed, keys cannot be added or "
                f"removed with '+', '++' or '~'; set an existing key instead, e.g. {eg}"
            )
        if key in GROUPS:  # a config-group choice, e.g. scenario=nspcc_package
            choices = sorted(p.stem for p in (CONF_DIR / key).glob("*.yaml"))
            try:
                values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.value()]
            except Exception:  # noqa: BLE001 - ranges etc.: let Hydra check them
                values = []
            for v in values:
                if str(v) not in choices:
                    close = difflib.get_close_matches(str(v), choices, n=3)
                    hint = f"; did you mean {' or '.join(close)}?" if close else ""
                    return f"unknown {key} '{v}'{hint} (choices: {', '.join(choices)})"
            continue
        if key not in keys:
            if key.rsplit(".", 1)[-1].isdigit() and key.rsplit(".", 1)[0] in keys:
                continue  # list element, e.g. population.literacy_by_age.0
            if key in MOVED_KEYS:
                return f"'{key}' has moved: use {MOVED_KEYS[key]}"
            close = difflib.get_close_matches(key, list(keys), n=3, cutoff=0.75)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            if not close and parent in keys:
                near = sorted(
                    k.rsplit(".", 1)[-1]
                    for k in keys
                    if k.startswith(parent + ".") and k.count(".") == key.count(".")
                )
                hint = f"; keys under {parent}: {', '.join(near)}"
            elif not close and not key:
                hint = "; write KEY=VALUE, e.g. days=30"
            return f"unknown config key '{key}'{hint}"
        if o.is_sweep_override():
            continue
        v = o.value()
        problem = _type_problem(key, keys[key], v)
        if problem:
            return problem
        if key == "scenario.name" and (not re.fullmatch(_NAME_RE, str(v)) or ".." in str(v)):
            return (
                f"scenario.name={v!r}: use 1-64 letters, digits, '_', '-' or '.', starting "
                "with a letter or digit, without '..' (it becomes part of folder names)"
            )
    return None
