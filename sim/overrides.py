"""Checks of command-line overrides, before Hydra composes anything.

Overrides come from users, from shared sweep commands and from the Python API: they are untrusted
input. :func:`check_overrides` returns one message naming what is wrong and how to fix it, or None.
"""

from __future__ import annotations

import math
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


#: Hydra keys a user may set on the command line (docs/reliability.md, "allow-list").
HYDRA_KEYS = (
    "hydra.run.dir",
    "hydra.sweep.dir",
    "hydra.sweep.subdir",
    "hydra.verbose",
    "hydra.job.chdir",
    "hydra.mode",
    "hydra.sweeper.points",  # the CSV of the project's points sweeper (data, not code)
)
#: Documented launcher parameters (joblib; submitit_slurm and ray resources). Never: setup
#: commands, environments, runtime_env, extra sbatch/srun arguments or paths.
LAUNCHER_KEYS = (
    "n_jobs",
    "verbose",
    "timeout",
    "prefer",
    "batch_size",
    "pre_dispatch",
    "timeout_min",
    "cpus_per_task",
    "gpus_per_node",
    "tasks_per_node",
    "mem_gb",
    "nodes",
    "name",
    "partition",
    "qos",
    "account",
    "array_parallelism",
    "max_num_timeout",
    "ray.init.num_cpus",
    "ray.init.num_gpus",
    "ray.remote.num_cpus",
    "ray.remote.num_gpus",
)
#: Launchers that ship with the project's dependencies (configs in Hydra's ConfigStore).
BUILTIN_LAUNCHERS = ("basic", "joblib")


def launcher_choices() -> list[str]:
    """Launchers a user may choose: Hydra's basic, joblib, and the project's conf/hydra/launcher."""
    own = [p.stem for p in (CONF_DIR / "hydra" / "launcher").glob("*.yaml")]
    return sorted(set(BUILTIN_LAUNCHERS) | set(own))


def sweeper_choices() -> list[str]:
    """Sweepers a user may choose: Hydra's basic and the project's conf/hydra/sweeper (points)."""
    own = [p.stem for p in (CONF_DIR / "hydra" / "sweeper").glob("*.yaml")]
    return sorted({"basic", *own})


def hydra_allowed() -> str:
    return (
        ", ".join(HYDRA_KEYS)
        + ", hydra/launcher="
        + "|".join(launcher_choices())
        + ", hydra/sweeper="
        + "|".join(sweeper_choices())
        + ", hydra.launcher.{"
        + ",".join(LAUNCHER_KEYS)
        + "}, hydra.sweeper.params.KEY"
    )


def _hydra_problem(o) -> str | None:
    """None if the hydra override ``o`` is on the allow-list, else one message."""
    key = o.key_or_group
    refused = (
        f"'{o.input_line}': the Hydra setting '{key}' is not allowed (it could run code, change "
        f"the environment or read configs from elsewhere); allowed: {hydra_allowed()}"
    )
    if o.is_delete() or o.is_add() or o.is_force_add():
        return refused
    if key == "hydra/launcher":
        try:
            values = list(o.sweep_string_iterator()) if o.is_sweep_override() else [o.value()]
        except Exception:  # noqa: BLE001
            return refused
        for v in values:
            if str(v) not in launcher_choices():
                return (
                    f"unknown hydra/launcher '{v}' (choices: {', '.join(launcher_choices())}); "
                    "a launcher is chosen among the project's own launcher configs"
                )
        return None
    if key == "hydra/sweeper":
        v = str(o.value()) if not o.is_sweep_override() else None
        if v not in sweeper_choices():
            return f"unknown hydra/sweeper {v!r} (choices: {', '.join(sweeper_choices())})"
        return None
    if key.startswith("hydra.sweeper.params."):  # _target_ keys were refused before
        return None  # sweep values of model keys; each job's overrides are checked again
    if o.is_sweep_override() and key.startswith("hydra."):
        return f"'{o.input_line}': Hydra settings cannot be swept; give one value"
    if key in HYDRA_KEYS:
        return None
    if key.startswith("hydra.launcher.") and key[len("hydra.launcher.") :] in LAUNCHER_KEYS:
        return None
    return refused


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

    if "--experimental-rerun" in argv:
        return (
            "--experimental-rerun is refused: it unpickles a file, which can run any code; "
            "rerun a job from its saved config instead: python -m sim with the overrides in "
            "its metadata.json"
        )
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
            problem = _hydra_problem(o)
            if problem:
                return problem
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


# ------------------------------------------------------------------------------------------
# Config files a user brings (-cp/--config-path, -cd/--config-dir): untrusted YAML
# ------------------------------------------------------------------------------------------

MAX_YAML_BYTES = 256 * 1024  # a scenario or experiment file is a few kB
MAX_YAML_NODES = 20_000  # nodes after expanding aliases (an alias bomb expands to billions)
MAX_YAML_FILES = 500
#: Keys that make Hydra or logging run code, change the environment or read other files.
_REFUSED_KEYS = {
    "_target_": "names a Python object",
    "()": "names a Python factory (logging)",
    "callbacks": "adds Hydra callbacks (Python objects)",
    "env_set": "changes the environment",
    "env_copy": "copies the environment",
    "searchpath": "reads configs from elsewhere",
    "job_logging": "replaces the logging config (it can name Python factories)",
    "hydra_logging": "replaces the logging config (it can name Python factories)",
}
#: Hydra config groups a user file may choose from (in its defaults list).
_HYDRA_GROUPS_OK = ("hydra/launcher", "hydra/sweeper")


class YamlProblem(ValueError):
    """A user config file is refused; the message names the file and the reason."""


def _expanded_nodes(node, memo: dict, depth: int = 0) -> int:
    import yaml

    if depth > 100:
        raise YamlProblem("nested more than 100 levels deep")
    got = memo.get(id(node))
    if got is not None:
        return got
    n = 1
    if isinstance(node, yaml.SequenceNode):
        for v in node.value:
            n += _expanded_nodes(v, memo, depth + 1)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            n += _expanded_nodes(k, memo, depth + 1) + _expanded_nodes(v, memo, depth + 1)
    memo[id(node)] = n
    if n > MAX_YAML_NODES:
        raise YamlProblem(f"expands to more than {MAX_YAML_NODES} values (YAML aliases)")
    return n


_STD_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}


def _walk_nodes(node, seen: set):
    import yaml

    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    if isinstance(node, yaml.SequenceNode):
        for v in node.value:
            yield from _walk_nodes(v, seen)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield from _walk_nodes(k, seen)
            yield from _walk_nodes(v, seen)


def safe_yaml_text(text: str, where: str = "the file") -> object:
    """Parse untrusted YAML: bounded size and alias expansion, standard tags only.

    Raises YamlProblem with a message naming ``where`` and what is wrong.
    """
    import yaml

    if len(text.encode("utf-8", "replace")) > MAX_YAML_BYTES:
        raise YamlProblem(f"{where} is larger than {MAX_YAML_BYTES // 1024} kB")
    try:
        loader = yaml.SafeLoader(text)  # composes nodes; aliases stay shared, not expanded
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise YamlProblem(f"{where} is not valid YAML ({first})") from None
    if root is None:
        return None
    try:
        _expanded_nodes(root, {})
    except YamlProblem as e:
        raise YamlProblem(f"{where} {e}") from None
    for node in _walk_nodes(root, set()):
        if node.tag not in _STD_TAGS:
            raise YamlProblem(
                f"{where} uses the YAML tag {node.tag!r} (line {node.start_mark.line + 1}); "
                "only plain values, lists and mappings are accepted (no !!python tags)"
            )
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise YamlProblem(f"{where} cannot be read ({first})") from None


def _check_values(data, where: str, hydra_node: bool = False, path: str = "") -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            ks = str(k)
            full = f"{path}.{ks}" if path else ks
            if ks in _REFUSED_KEYS:
                raise YamlProblem(
                    f"{where}: the key '{full}' is refused: it {_REFUSED_KEYS[ks]}; a shared "
                    "config file may set the model's keys and hydra run/sweep folders and "
                    "launcher parameters only"
                )
            _check_values(v, where, hydra_node, full)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _check_values(v, where, hydra_node, f"{path}.{i}" if path else str(i))
    elif isinstance(data, str):
        if "${" in data and ("oc." in data or "env:" in data):
            raise YamlProblem(
                f"{where}: '{path}: {data}' reads the environment or another resolver; "
                "config files may interpolate only other keys and ${{now:...}}"
            )


def check_config_file(path, text: str | None = None) -> object:
    """Read one untrusted config file safely and refuse what could run code; return its data."""
    from pathlib import Path

    p = Path(path)
    where = str(p)
    if text is None:
        try:
            if p.stat().st_size > MAX_YAML_BYTES:
                raise YamlProblem(f"{where} is larger than {MAX_YAML_BYTES // 1024} kB")
            text = p.read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            raise YamlProblem(f"{where} cannot be read ({e.strerror})") from None
    for line in text.splitlines()[:20]:
        m = re.match(r"\s*#\s*@package\s+(\S+)", line)
        if m and m.group(1).startswith("hydra"):
            raise YamlProblem(
                f"{where}: '# @package {m.group(1)}' is refused: a shared config file cannot "
                "write into Hydra's own settings"
            )
    data = safe_yaml_text(text, where)
    _check_values(data, where)
    if isinstance(data, dict):
        for entry in data.get("defaults") or []:
            items = entry.items() if isinstance(entry, dict) else []
            for k, _v in items:
                g = str(k).replace("override ", "").strip().lstrip("/")
                if g.startswith("hydra/") and g not in _HYDRA_GROUPS_OK:
                    raise YamlProblem(
                        f"{where}: the defaults entry '{k}' is refused (only "
                        f"{', '.join(_HYDRA_GROUPS_OK)} may be chosen)"
                    )
                if g == "hydra/launcher" and str(_v) not in launcher_choices():
                    raise YamlProblem(
                        f"{where}: hydra/launcher '{_v}' is not one of the project's "
                        f"launchers ({', '.join(launcher_choices())})"
                    )
        hyd = data.get("hydra")
        if isinstance(hyd, dict):
            for key in _flat_keys(hyd, "hydra"):
                launcher = key.startswith("hydra.launcher.")
                ok = (
                    key in HYDRA_KEYS
                    or key.startswith(("hydra.sweeper.params", "hydra.help."))
                    or (launcher and key[len("hydra.launcher.") :] in LAUNCHER_KEYS)
                )
                if not ok:
                    raise YamlProblem(
                        f"{where}: the Hydra setting '{key}' is not allowed in a shared config "
                        f"file; allowed: {hydra_allowed()}, hydra.sweeper.params"
                    )
    return data


def _flat_keys(d: dict, prefix: str):
    for k, v in d.items():
        full = f"{prefix}.{k}"
        if isinstance(v, dict) and v and not full.startswith("hydra.sweeper.params"):
            yield from _flat_keys(v, full)
        else:
            yield full


def _flag_values(argv: list[str], flags: tuple[str, ...]) -> list[str]:
    out = []
    for i, a in enumerate(argv):
        for f in flags:
            if a == f and i + 1 < len(argv):
                out.append(argv[i + 1])
            elif a.startswith(f + "="):
                out.append(a[len(f) + 1 :])
    return out


def check_config_dirs(argv: list[str], cwd=None) -> str | None:
    """Check every YAML file of the config folders named with -cp/-cd (untrusted); one message
    or None. Folders inside the project's conf/ are trusted and skipped."""
    from pathlib import Path

    base = Path(cwd) if cwd is not None else Path.cwd()
    for name in _flag_values(argv, ("-cn", "--config-name")):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name) or ".." in name:
            return f"--config-name '{name}': give a config file's name (no folders, no '..')"
    dirs = _flag_values(argv, ("-cp", "--config-path", "-cd", "--config-dir"))
    conf = CONF_DIR.resolve()
    for d in dirs:
        if d.startswith(("pkg://", "file://")):
            d = d.split("://", 1)[1]
            if not d.startswith("/"):
                return f"config folder '{d}': give a folder path"
        candidates = [Path(d)] if Path(d).is_absolute() else [base / d, CONF_DIR.parent / "sim" / d]
        for c in candidates:
            c = c.resolve()
            if not c.is_dir() or c == conf or conf in c.parents:
                continue
            files = sorted(p for p in c.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            if len(files) > MAX_YAML_FILES:
                return f"config folder {c} holds more than {MAX_YAML_FILES} YAML files"
            for f in files:
                try:
                    check_config_file(f)
                except YamlProblem as e:
                    return str(e)
    return None


#: Above this many jobs, each swept value is checked once (with the other keys at their first value)
#: instead of every combination.
MAX_CHECKED_JOBS = 300


def check_sweep_jobs(argv: list[str]) -> str | None:
    """Compose and validate every job of a command-line sweep before the first one starts, so a bad
    value (``-m seed=1,-1,3``) stops the sweep with one message and nothing written, instead of
    failing when its job comes up. Sweeps of more than :data:`MAX_CHECKED_JOBS` jobs check each
    swept value once. Skipped with ``-cp``/``-cd`` (their groups are not the project's)."""
    import itertools

    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ValueType

    if any(a in ("-cp", "--config-path", "-cd", "--config-dir", "-cn", "--config-name") for a in argv):
        return None
    fixed, swept = [], []
    try:
        parsed = OverridesParser.create().parse_overrides(_override_args(argv))
    except Exception:  # noqa: BLE001 - Hydra reports a malformed override itself
        return None
    for o in parsed:
        if o.key_or_group.startswith("hydra"):
            continue
        key = o.get_key_element()
        if o.is_sweep_override():
            if o.value_type == ValueType.GLOB_CHOICE_SWEEP:
                return None  # needs the config's options; Hydra checks it
            swept.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            fixed.append(o.input_line)
    if not swept:
        return None
    if math.prod(len(v) for v in swept) <= MAX_CHECKED_JOBS:
        jobs = [list(c) for c in itertools.product(*swept)]
    else:
        first = [v[0] for v in swept]
        jobs = [first[:i] + [val] + first[i + 1 :] for i, vals in enumerate(swept) for val in vals]
    from sim.config import load_config
    from sim.fields import ConfigError

    for job in jobs:
        try:
            load_config(fixed + job)
        except ConfigError as e:
            return f"sweep job {' '.join(job)}: {e} (no job was started)"
        except Exception as e:  # noqa: BLE001 - e.g. a scenario file that does not exist
            first_line = str(e).splitlines()[0] if str(e) else type(e).__name__
            return f"sweep job {' '.join(job)}: {first_line} (no job was started)"
    return None


def check_output_dirs(argv: list[str]) -> str | None:
    """The run and sweep folders given on the command line (``hydra.run.dir``,
    ``hydra.sweep.dir``) must be creatable: not an existing file, no name over 255 bytes, the
    whole path under 4,096, and the nearest existing folder writable. Checked before Hydra creates
    anything, so the user gets one message instead of a traceback."""
    import os
    import tempfile
    from pathlib import Path

    for a in _override_args(argv):
        key, eq, value = a.partition("=")
        if not eq or key.lstrip("+") not in ("hydra.run.dir", "hydra.sweep.dir"):
            continue
        key = key.lstrip("+")
        if "${" in value:
            continue  # an interpolation (e.g. ${now:...}): checked as Hydra resolves it
        p = Path(value).expanduser()
        long = [part for part in p.parts if len(part.encode()) > 255]
        if long or len(str(p.resolve()).encode()) >= 4096:
            return (
                f"{key}={value[:80]}...: a folder name is over 255 bytes or the path over 4,096; "
                "choose a shorter path"
            )
        if p.exists() and not p.is_dir():
            return f"{key}={value}: this is a file, not a folder; choose another path"
        q = p.resolve()
        while not q.exists():
            q = q.parent
        try:  # a probe folder, removed at once (permissions alone do not tell, e.g. for root)
            if not q.is_dir():
                raise NotADirectoryError(str(q))
            os.rmdir(tempfile.mkdtemp(prefix=".sim-probe-", dir=q))
        except OSError as e:
            return f"{key}={value}: cannot create folders in {q} ({e.strerror or e}); choose another path"
    return None
