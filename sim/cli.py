"""Command line: ``python -m sim [overrides...]`` runs one simulation through Hydra.

Examples::

    python -m sim                                   # default world, one year
    python -m sim population.n_children=2000 days=90 seed=7
    python -m sim backend=python population.n_children=500 days=30   # pure-Python reference
    python -m sim -m seed=1,2,3                     # a Hydra sweep (multirun)

A user mistake ends with one message and no run folder: a value out of range names the key, the
value and what is allowed (exit status 2); an unknown key or a wrong type gets Hydra's own
message (exit status 1).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import hydra
from omegaconf import DictConfig

from sim.config import CONF_DIR, STAGES, ConfigError, register_configs, validate
from sim.overrides import check_overrides
from sim.sweep import register_resolvers

register_configs()
register_resolvers()


def _fail(message: str, code: int = 2) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


#: Keys that do not change a run's results (ignored when resuming).
_PRESENTATION_KEYS = ("resume", "report", "print_summary", "progress", "threads")


def _same_run(saved_config: Path, cfg: DictConfig) -> bool:
    """True if the config saved in a run folder describes the same run as ``cfg``."""
    import yaml
    from omegaconf import OmegaConf

    old = yaml.safe_load(saved_config.read_text())
    new = OmegaConf.to_container(cfg, resolve=True)
    for k in _PRESENTATION_KEYS:
        old.pop(k, None)
        new.pop(k, None)
    return old == new


class _Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM."""


def _install_sigterm():
    """Turn SIGTERM into an exception while a run is being built, run and written."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum, frame):
        raise _Terminated()

    return signal.signal(signal.SIGTERM, handler)


def _restore_sigterm(previous) -> None:
    import signal
    import threading

    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


def _cleanup_empty(path: Path) -> None:
    try:
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    except OSError:
        pass


def format_summary(summary: dict, run_dir: Path | None = None) -> str:
    """A short human-readable table of a run's summary."""
    nc = summary["children"]
    lines = [
        f"scenario {summary['scenario']}, seed {summary['seed']}, {summary['days']} days: "
        f"{nc:,} children, {summary['adults']:,} adults ({summary['offenders']:,} offenders)",
        "",
        f"  {'children who reached (or passed) each stage':<46}{'count':>9}{'% of children':>15}",
    ]
    for s in STAGES:
        v = summary[f"children_{s}"]
        lines.append(f"  {s.replace('_', ' '):<46}{v:>9,}{100 * v / nc:>14.2f}%")
    r = summary["rates"]

    def pct(x):
        return "n/a" if x is None else f"{100 * x:.1f}%"

    lines += [
        "",
        f"  offences (sexual communication) {summary['offences']:,}; recorded by police "
        f"{summary['recorded_offences']:,} ({pct(r['recorded_share_of_offences'])})",
        f"  victims aged 11 or under {pct(r['share_sexual_communication_victims_aged_11_or_under'])}"
        f" (NSPCC: 20%); girls {pct(r['share_girls_among_sexual_communication_victims'])}"
        f" (NSPCC: ~80%)",
        f"  reports {summary['reports']:,}; bans {summary['bans']:,} "
        f"({summary['offenders_banned']:,} offenders); returns after a ban "
        f"{summary['offender_returns']:,}",
        f"  ties made by friend suggestions {summary['ties_created_by_suggestion']:,}; "
        f"platform moves {summary['platform_moves']:,}",
    ]
    if run_dir is not None:
        lines += ["", f"  run folder: {run_dir}"]
    return "\n".join(lines)


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def main(cfg: DictConfig) -> dict | None:
    """Hydra task: validate, build, run, write the run folder, print a summary."""
    from hydra.core.hydra_config import HydraConfig

    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    t0 = time.perf_counter()
    try:
        validate(cfg)
    except ConfigError as e:
        _cleanup_empty(out_dir)
        _fail(str(e))
    except Exception as e:  # noqa: BLE001 - e.g. an interpolation that cannot be resolved
        _cleanup_empty(out_dir)
        _fail(f"the configuration cannot be resolved: {str(e).splitlines()[0]}")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        from sim.results import read_summary, run_problem

        problem = run_problem(out_dir)
        done = problem is None
        if cfg.resume and done and _same_run(out_dir / "config.yaml", cfg):
            print(f"resume: {out_dir} is complete with the same config; skipped", file=sys.stderr)
            return read_summary(out_dir)
        if cfg.resume and done:
            _fail(
                f"resume: {out_dir} holds a finished run with a different config; use a new "
                "sweep folder (hydra.sweep.dir=...) or remove that run"
            )
        if cfg.resume:
            _fail(f"resume: the run folder {out_dir} is damaged ({problem}); remove it to run that job again")
        _fail(
            f"the run folder {out_dir} already holds files; choose another with "
            "hydra.run.dir=PATH (a finished run is never overwritten), or resume=true to "
            "skip finished jobs of a sweep"
        )
    from sim.model import GroomingModel
    from sim.results import remove_stale_partials, write_run

    remove_stale_partials(out_dir)
    previous = _install_sigterm()
    try:
        model = GroomingModel(cfg)
        # in a sweep the launching process shows one bar for all jobs (sim.sweep.SweepCallback)
        multirun = hc.mode is not None and hc.mode.name == "MULTIRUN"
        model.run(progress=False if multirun else None)
        try:
            run_dir = write_run(
                model, out_dir, overrides=list(hc.overrides.task), wall_seconds=time.perf_counter() - t0
            )
        except OSError as e:  # a full disk, a quota, a folder removed under the run
            _cleanup_empty(out_dir)
            _fail(
                f"could not write the run into {out_dir}: {e.strerror or e}; nothing of it was kept "
                "(free space, or choose another folder with hydra.run.dir=PATH)",
                code=1,
            )
    except ConfigError as e:
        _cleanup_empty(out_dir)
        _fail(str(e))
    except KeyboardInterrupt:
        _cleanup_empty(out_dir)
        print(f"interrupted: nothing was written to {out_dir}", file=sys.stderr)
        sys.exit(130)
    except _Terminated:
        _cleanup_empty(out_dir)
        print(f"terminated (SIGTERM): nothing was written to {out_dir}", file=sys.stderr)
        sys.exit(143)
    except BaseException:
        _cleanup_empty(out_dir)
        raise
    finally:
        _restore_sigterm(previous)
    summary = model.summary()
    if cfg.print_summary:
        print(format_summary(summary, run_dir))
    return summary


#: What can set ``hydra.mode`` from the command line: the key itself and the experiment group
#: (conf/experiment/compare_scenarios.yaml sets MULTIRUN; tests/test_startup.py checks that no other
#: config file of the project sets it).
MODE_SETTERS = ("hydra.mode", "experiment")


def plain_run(argv: list[str]) -> bool:
    """True if ``argv`` is a single run whose configuration cannot set ``hydra.mode``: no option
    (``-m``, ``-cd``/``-cp``/``-cn`` with a user's config, ``--cfg``...), and no override of
    :data:`MODE_SETTERS`. Hydra composes the whole configuration once only to read that key and
    then again to run (0.15-0.2 s each, a tenth of a small run's start-up); for a plain run the
    key is unset, which is what Hydra's first composition would find, so it is skipped."""
    for a in argv:
        if a.startswith("-"):
            return False
        key = a.lstrip("+~").split("=", 1)[0].strip()
        if key.split("@", 1)[0] in MODE_SETTERS:
            return False
    return True


def _skip_mode_composition():
    """Make Hydra's ``get_mode`` answer "unset" without composing; return the way back."""
    try:
        from hydra._internal.hydra import Hydra
    except ImportError:  # another Hydra layout: compose twice, as Hydra does
        return lambda: None
    original = Hydra.__dict__.get("get_mode")
    if original is None:
        return lambda: None
    Hydra.get_mode = lambda self, config_name, overrides: None

    def restore():
        Hydra.get_mode = original

    return restore


def entry() -> None:
    """``python -m sim``: check the overrides and any config file named with -cp/-cd, then run
    Hydra. After a multirun the Hydra callback :class:`sim.sweep.SweepCallback`
    (conf/hydra/callbacks/sweep.yaml) writes sweep.csv and, with report=true, the comparison."""
    from omegaconf import OmegaConf

    from sim.overrides import check_config_dirs, check_output_dirs, check_sweep_jobs

    argv = sys.argv[1:]
    # shell completion (-sc install=bash, query=...) passes Hydra's own words, not overrides
    if not any(a in ("--shell-completion", "-sc") for a in argv):
        problem = check_overrides(argv) or check_config_dirs(argv) or check_output_dirs(argv)
        if not problem and any(a in ("-m", "--multirun") for a in argv):
            problem = check_sweep_jobs(argv)
        if problem:
            _fail(problem)
    # joblib's loky replaces a worker whose memory grew by more than 300 MB after a job (its leak
    # check) and warns "A worker stopped while some jobs were given to the executor"; the jobs go
    # to the new worker and still finish (a job that did not would be listed as missing by the
    # report and by resume=true), so the warning only alarms users of a long sweep.
    warnings.filterwarnings("ignore", message="A worker stopped while some jobs", category=UserWarning)
    # no configuration reads the environment (docs/reliability.md): ${oc.env:...} cannot resolve
    if OmegaConf.has_resolver("oc.env"):
        OmegaConf.clear_resolver("oc.env")
    previous = _install_sigterm()
    restore_mode = _skip_mode_composition() if plain_run(argv) else (lambda: None)
    try:
        main()
    except _Terminated:
        print(
            "terminated (SIGTERM): finished run folders are complete; rerun a sweep with "
            "resume=true to finish it",
            file=sys.stderr,
        )
        sys.exit(143)
    except KeyboardInterrupt:  # Ctrl-C in the launching process of a sweep (a run handles its own)
        print(
            "interrupted (Ctrl-C): finished run folders are complete; rerun a sweep with "
            "resume=true to finish it",
            file=sys.stderr,
        )
        sys.exit(130)
    finally:
        restore_mode()
        _restore_sigterm(previous)
        if "sim.sweep" in sys.modules:  # a failed sweep leaves no lock behind
            sys.modules["sim.sweep"].release_held()


if __name__ == "__main__":
    entry()
