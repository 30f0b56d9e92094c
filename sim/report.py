"""Scenario comparison: paired effects with intervals, costs beside benefits, figures, a report.

Usage::

    python -m sim.report SWEEP_DIR [--baseline baseline_2019] [--allow-mixed]

reads every complete run folder under ``SWEEP_DIR`` (as written by ``python -m sim -m ...``,
through :func:`sim.results.load_runs`), pairs each scenario's runs with the baseline's runs of
the same seed (common random numbers), and writes into ``SWEEP_DIR``:

- ``comparison.csv``: per scenario and metric, the means, the paired difference from baseline
  with its 95% t-interval (``scipy.stats.ttest_rel``), the relative change (from the mean paired
  log ratio) with its interval, paired and unpaired standard errors (their ratio is the variance
  reduction of pairing), and the difference per 100,000 children (or accounts a year);
- ``report.html``: the report a policy team reads and forwards (built from
  ``sim/templates/report.html.j2``; figures embedded, prints on A4 or Letter), and ``report.md``,
  its plain-text companion built from the same numbers;
- ``figures/``: children reaching sexual communication over time (one panel per scenario against
  the baseline), the effects with their intervals, the costs (one axis per unit), age bands, and
  first contacts and offences by platform.

Runs whose configuration differs in anything but scenario, interventions and seed (or whose code
version differs) are refused unless ``--allow-mixed``; missing pairs are listed, never silently
dropped.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.categories import AGE_BANDS, STAGES
from sim.results import DamagedRun, Run, check_consistent, jobs_without_run, load_runs

BASELINE = "baseline_2019"
PER = 100_000  # every rate in the report is per 100,000 children (or accounts)

#: (metric key in summary.json, label, kind). Benefits: less is better. Costs: what it takes.
METRICS = (
    ("children_contacted", "children contacted", "benefit"),
    ("children_engaged", "children engaged", "benefit"),
    ("children_sexual_communication", "children, sexual communication", "benefit"),
    ("children_image", "children, image", "benefit"),
    ("children_coercion_or_meeting", "children, coercion or meeting", "benefit"),
    ("offences", "offences (true)", "benefit"),
    ("recorded_offences", "offences recorded by police", "outcome"),
    ("bans", "offender bans", "outcome"),
    ("false_positive_flags", "benign interactions wrongly flagged", "cost"),
    ("benign_accounts_banned", "benign accounts wrongly banned", "cost"),
    ("reviews", "reviewer workload (reviews)", "cost"),
    ("ties_created_benign_by_suggestion", "benign ties made by suggestions", "cost"),
)
AGE_METRICS = tuple(
    (f"by_age_band.{b}.sexual_communication", f"sexual communication, age {b}", "benefit") for b in AGE_BANDS
)
HEADLINE = ("children_contacted", "children_sexual_communication", "children_image")
#: The effect scenarios are sorted by (most reduction first), in every table and figure.
ORDER_METRIC = "children_sexual_communication"
COST_HEADLINE = (
    "false_positive_flags",
    "benign_accounts_banned",
    "reviews",
    "ties_created_benign_by_suggestion",
)
#: Short names of the costs, and the sign that makes each an extra cost (suggestion ties: a fall
#: is the usability cost of switching suggestions off, so it is reported as "ties lost").
COST_NAMES = {
    "false_positive_flags": ("wrongly flagged interactions", 1),
    "benign_accounts_banned": ("wrongly banned accounts", 1),
    "reviews": ("reviews", 1),
    "ties_created_benign_by_suggestion": ("benign suggestion ties lost", -1),
}
#: The same quantities as levels (in the baseline, suggestion ties are made, not lost).
COST_BASE_NAMES = {
    "false_positive_flags": "wrongly flagged interactions",
    "benign_accounts_banned": "wrongly banned accounts",
    "reviews": "reviews",
    "ties_created_benign_by_suggestion": "benign ties made by suggestions",
}
STAGE_LABELS = {s: s.replace("_", " ") for s in STAGES}


#: Prefix of the entries of ``Comparison.incomplete`` that are jobs of multirun.yaml with no folder.
NO_FOLDER = "no folder: "


class ReportError(RuntimeError):
    """The sweep folder cannot be compared as asked (message says why and what to do)."""


def _get(d: dict, dotted: str):
    for part in dotted.split("."):
        d = d[part]
    return d


# ------------------------------------------------------------------------------------------
# Statistics (scipy.stats)
# ------------------------------------------------------------------------------------------


def paired_interval(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a - b`` and its paired t-interval (``scipy.stats.ttest_rel``).

    With fewer than two pairs the interval is undefined (nan); with identical differences it is
    the difference itself.
    """
    from scipy import stats

    n = len(a)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(a - b))
    if n < 2:
        return mean, math.nan, math.nan
    with warnings.catch_warnings():  # zero variance: scipy warns, and returns (mean, mean)
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_rel(a, b).confidence_interval(confidence)
    return mean, float(ci.low), float(ci.high)


def mean_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``x`` over seeds and its one-sample t-interval (``scipy.stats.ttest_1samp``)."""
    from scipy import stats

    x = np.asarray(x, float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = stats.ttest_1samp(x, 0.0).confidence_interval(confidence)
    return mean, float(ci.low), float(ci.high)


def ratio_interval(
    num: np.ndarray, den: np.ndarray, confidence: float = 0.95, resamples: int = 4000
) -> tuple[float, float, float]:
    """``mean(num) / mean(den)`` over paired seeds and a percentile bootstrap interval (seeds
    resampled with a fixed generator, so the interval is reproducible). nan where the denominator's
    mean is 0; the interval is nan with fewer than two pairs."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    if num.size == 0 or float(den.mean()) == 0.0:
        return math.nan, math.nan, math.nan
    est = float(num.mean() / den.mean())
    if num.size < 2:
        return est, math.nan, math.nan
    rng = np.random.default_rng(20240611)
    idx = rng.integers(0, num.size, size=(resamples, num.size))
    d = den[idx].mean(axis=1)
    ok = d != 0
    r = num[idx].mean(axis=1)[ok] / d[ok]
    a = (1.0 - confidence) / 2.0
    return est, float(np.quantile(r, a)), float(np.quantile(r, 1.0 - a))


#: Per-platform measures of summary.json that displacement is computed on ({p}: the platform).
DISPLACEMENT_MEASURES = {
    "offences": "offences_by_platform.{p}",
    "children_first_contacted": "by_platform.{p}.contacted",
    "contacts": "contacts_by_platform.{p}",
    "outreach_reaching": "outreach_reaching_by_platform.{p}",
    "outreach_attempts": "outreach_attempts_by_platform.{p}",
}


def displacement(
    base: list[dict], scen: list[dict], protected: list[str], key: str = DISPLACEMENT_MEASURES["offences"]
) -> dict:
    """Displacement of harm between platforms, from paired summaries (``base[i]`` and ``scen[i]``
    share a seed) of a measure applied on the platforms ``protected`` only.

    ``key`` is the path of a per-platform count in summary.json with ``{p}`` for the platform
    (:data:`DISPLACEMENT_MEASURES`). Returns the paired differences
    (scenario - baseline, mean and t-interval) on the protected and on the other platforms, and the
    displacement ratio = gained where the measure is absent / prevented where it is present (0: no
    displacement; 1: all of it displaced; negative: a diffusion of benefits), with a bootstrap
    interval over seeds.
    """
    plats = list(base[0]["offences_by_platform"]) if base else []
    others = [p for p in plats if p not in protected]

    def tot(runs, names):
        return np.array([sum(_get(r, key.format(p=p)) for p in names) for r in runs], float)

    bp, sp = tot(base, protected), tot(scen, protected)
    bo, so = tot(base, others), tot(scen, others)
    return {
        "key": key,
        "protected": list(protected),
        "others": others,
        "pairs": len(base),
        "protected_change": paired_interval(sp, bp),
        "others_change": paired_interval(so, bo),
        "baseline_protected": float(bp.mean()) if bp.size else math.nan,
        "baseline_others": float(bo.mean()) if bo.size else math.nan,
        "ratio": ratio_interval(so - bo, bp - sp),
    }


def _sem(x: np.ndarray) -> float:
    from scipy import stats

    return float(stats.sem(x)) if len(x) > 1 else math.nan


@dataclass
class Effect:
    """One scenario's paired effect on one metric against the baseline (a row of comparison.csv)."""

    scenario: str
    metric: str
    label: str
    kind: str
    n_pairs: int
    mean_scenario: float
    mean_baseline: float
    diff: float
    diff_low: float
    diff_high: float
    rel: float
    rel_low: float
    rel_high: float
    se_paired: float
    se_unpaired: float
    se_log_paired: float
    se_log_unpaired: float
    #: what the rates are per 100,000 of ("children", "children aged 8-11", "accounts a year")
    per_100k_of: str = ""
    #: multiply a count per run by this for the rate per 100,000 (``per_100k_of``)
    scale: float = math.nan
    #: every paired difference is exactly zero (the scenario changed nothing here)
    unchanged: bool = False

    @property
    def rate_diff(self) -> tuple[float, float, float]:
        """The paired difference and its interval per 100,000 (children or accounts a year)."""
        return (self.diff * self.scale, self.diff_low * self.scale, self.diff_high * self.scale)

    @property
    def excludes_zero(self) -> bool:
        """The 95% interval of the difference lies on one side of zero."""
        return self.diff_low > 0 or self.diff_high < 0

    @property
    def rel_excludes_zero(self) -> bool:
        """The 95% interval of the relative change lies on one side of zero."""
        return self.rel_low > 0 or self.rel_high < 0


def metric_specs(runs: list[Run]) -> list[tuple[str, str, str]]:
    """Every compared metric: :data:`METRICS`, :data:`AGE_METRICS`, then by platform (first
    contacts and offences), for the platforms named in the runs' summaries."""
    plats = list(runs[0].summary.get("offences_by_platform", {}))
    plat_metrics = tuple(
        (f"by_platform.{p}.contacted", f"children first contacted on {p}", "platform") for p in plats
    ) + tuple((f"offences_by_platform.{p}", f"offences on {p}", "platform") for p in plats)
    return list(METRICS + AGE_METRICS + plat_metrics)


def accounts_denominator(summary: dict) -> tuple[float, str]:
    """Accounts behind the cost rates, and what they are.

    ``summary["accounts"]`` (platform accounts held) when the run records it; otherwise the
    model's users (children and adults, each holding accounts on one or more platforms).
    """
    if summary.get("accounts"):
        return float(summary["accounts"]), "accounts"
    return float(summary["children"] + summary["adults"]), "users"


def _scale(key: str, kind: str, base_runs: list[Run]) -> tuple[float, str]:
    s0 = base_runs[0].summary
    if kind == "cost":
        denom = np.mean([accounts_denominator(r.summary)[0] for r in base_runs])
        what = accounts_denominator(s0)[1]
        days = s0["days"]
        return PER / denom * 365.0 / days, f"{what} a year"
    if key.startswith("by_age_band."):
        band = key.split(".")[1]
        denom = np.mean([r.summary["population_by_age_band"][band] for r in base_runs])
        return (PER / denom if denom else math.nan), f"children aged {band}"
    return PER / np.mean([r.summary["children"] for r in base_runs]), "children"


def _by_scenario(runs: list[Run]) -> dict[str, dict[int, Run]]:
    by: dict[str, dict[int, Run]] = {}
    for r in runs:
        if r.seed in by.get(r.scenario, {}):
            raise ReportError(
                f"two runs of scenario '{r.scenario}' with seed {r.seed} "
                f"({by[r.scenario][r.seed].path.name}, {r.path.name}); a comparison pairs one run "
                "per scenario and seed: remove one, or report the sweeps separately"
            )
        by.setdefault(r.scenario, {})[r.seed] = r
    return by


def effects(runs: list[Run], baseline: str = BASELINE) -> tuple[list[Effect], dict]:
    """Paired effects of every scenario against ``baseline``; also missing-pair information.

    For each metric: the mean paired difference with its t-interval, and the relative change
    ``exp(mean log ratio) - 1`` of the paired log ratios ``log(a + 0.5) - log(b + 0.5)`` with the
    t-interval of that mean (effects of interventions are roughly proportional to the baseline
    level, which varies a lot between seeds; the +0.5 keeps zero counts finite).
    """
    by = _by_scenario(runs)
    if baseline not in by:
        raise ReportError(
            f"no runs of the baseline scenario '{baseline}' in the sweep (found: "
            f"{', '.join(sorted(by))}); run it with scenario={baseline} or pass --baseline NAME"
        )
    base = by[baseline]
    specs = metric_specs(runs)
    out, missing = [], {}
    for sc in sorted(s for s in by if s != baseline):
        seeds = sorted(set(by[sc]) & set(base))
        miss = sorted(set(by[sc]) ^ set(base))
        if miss:
            missing[sc] = miss
        n = len(seeds)
        base_runs = [base[s] for s in seeds] or list(base.values())
        for key, label, kind in specs:
            a = np.array([_get(by[sc][s].summary, key) for s in seeds], float)
            b = np.array([_get(base[s].summary, key) for s in seeds], float)
            md, lo, hi = paired_interval(a, b)
            la, lb = np.log(a + 0.5), np.log(b + 0.5)
            ml, llo, lhi = paired_interval(la, lb)
            scale, per = _scale(key, kind, base_runs)
            out.append(
                Effect(
                    scenario=sc,
                    metric=key,
                    label=label,
                    kind=kind,
                    n_pairs=n,
                    mean_scenario=float(a.mean()) if n else math.nan,
                    mean_baseline=float(b.mean()) if n else math.nan,
                    diff=md,
                    diff_low=lo,
                    diff_high=hi,
                    rel=math.expm1(ml),
                    rel_low=math.expm1(llo),
                    rel_high=math.expm1(lhi),
                    se_paired=_sem(a - b),
                    se_unpaired=math.sqrt(_sem(a) ** 2 + _sem(b) ** 2),
                    se_log_paired=_sem(la - lb),
                    se_log_unpaired=math.sqrt(_sem(la) ** 2 + _sem(lb) ** 2),
                    per_100k_of=per,
                    scale=scale,
                    unchanged=bool(n) and bool(np.all(a == b)),
                )
            )
    return out, missing


@dataclass
class Level:
    """A scenario's mean over seeds of one metric, per 100,000, with its t-interval."""

    metric: str
    label: str
    mean: float
    low: float
    high: float
    per_100k_of: str
    count: float  # mean count per run


def levels(runs: list[Run], scenario: str) -> dict[str, Level]:
    """Per 100,000 children (accounts a year for costs): mean over seeds with a 95% t-interval,
    of every stage, the compared metrics, and stages by age band."""
    rs = [r for r in runs if r.scenario == scenario]
    specs = [(f"children_{s}", f"children, {STAGE_LABELS[s]}", "benefit") for s in STAGES]
    specs += [(f"by_age_band.{b}.contacted", f"contacted, age {b}", "benefit") for b in AGE_BANDS]
    have = {k for k, _, _ in specs}
    specs += [m for m in metric_specs(runs) if m[0] not in have]
    out = {}
    for key, label, kind in specs:
        x = np.array([_get(r.summary, key) for r in rs], float)
        scale, per = _scale(key, kind, rs)
        m, lo, hi = mean_interval(x * scale)
        # a count is never negative: a t-interval reaching below zero is cut there
        out[key] = Level(key, label, m, max(lo, 0.0), hi, per, float(x.mean()))
    return out


def scenario_order(effs: list[Effect]) -> list[str]:
    """Scenarios by their effect on :data:`ORDER_METRIC` (largest reduction first)."""
    rel = {e.scenario: e.rel for e in effs if e.metric == ORDER_METRIC}
    return sorted(rel, key=lambda s: (math.isnan(rel[s]), rel[s], s))


# ------------------------------------------------------------------------------------------
# Formatting
# ------------------------------------------------------------------------------------------

MINUS = "\u2212"


def _signed(text: str) -> str:
    return text.replace("-", MINUS)


def fmt_rate(x: float, sign: bool = False) -> str:
    """A rate per 100,000 with sensible precision: 12,345 / 123 / 12.3 / 1.23."""
    if x is None or math.isnan(x):
        return "n/a"
    a = abs(x)
    if a == 0:
        return "0"
    spec = ",.0f" if a >= 100 else ".1f" if a >= 10 else ".2f"
    s = format(x, ("+" if sign else "") + spec)
    return _signed(s)


def fmt_pct(x: float, sign: bool = True) -> str:
    if x is None or math.isnan(x):
        return "n/a"
    return _signed(format(100 * x, ("+" if sign else "") + ".1f")) + "%"


class Num(tuple):
    """A formatted value and its formatted interval; ``str()`` gives "value [interval]"."""

    def __new__(cls, value: str, interval: str = ""):
        return super().__new__(cls, (value, interval))

    @property
    def value(self) -> str:
        return self[0]

    @property
    def interval(self) -> str:
        return self[1]

    def __str__(self) -> str:
        return f"{self[0]} [{self[1]}]" if self[1] else self[0]


def fmt_rate_ci(mean: float, low: float, high: float, sign: bool = False) -> Num:
    if math.isnan(low) or low == high == mean:  # no interval, or every seed gave the same value
        return Num(fmt_rate(mean, sign))
    return Num(fmt_rate(mean, sign), f"{fmt_rate(low, sign)} to {fmt_rate(high, sign)}")


def fmt_pct_ci(mean: float, low: float, high: float) -> Num:
    if math.isnan(low):
        return Num(fmt_pct(mean))
    return Num(fmt_pct(mean), f"{fmt_pct(low)} to {fmt_pct(high)}")


def fmt_about(x: float, figures: int = 2) -> str:
    """A number for a sentence: two significant figures (4,267 -> 4,300; 86.7 -> 87)."""
    if x is None or math.isnan(x):
        return "n/a"
    if x == 0:
        return "0"
    digits = figures - 1 - int(math.floor(math.log10(abs(x))))
    r = round(x, digits)
    return _signed(f"{r:,.0f}" if digits <= 0 else f"{r:,.{digits}f}")


def about_ci(mean: float, low: float, high: float, unit: str = "") -> str:
    """ "about 4,300 (95% interval 1,100 to 7,500)" for a sentence; more figures where two would
    make the ends of the interval look equal."""
    if math.isnan(low):
        return f"about {fmt_about(mean)}{unit}"
    if low == high:
        return f"about {fmt_about(mean)}{unit} (the same in every pair of runs)"
    figures = 2
    while figures < 5 and fmt_about(low, figures) == fmt_about(high, figures):
        figures += 1
    return (
        f"about {fmt_about(mean, figures)}{unit} (95% interval {fmt_about(low, figures)}{unit} to "
        f"{fmt_about(high, figures)}{unit})"
    )


def _pct_terminal(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:+.1f}%"


def effect_table(effs: list[Effect]) -> str:
    """Terminal table (pandas): relative change [95% CI] of the headline benefits; the costs'
    mean absolute change per run; scenarios sorted by effect."""
    import pandas as pd

    idx = {(e.scenario, e.metric): e for e in effs}
    rows = []
    for sc in scenario_order(effs):
        row = {"scenario": sc}
        for m, head in zip(HEADLINE, ("contacted", "sexual comm.", "image")):
            e = idx[(sc, m)]
            row[head] = f"{_pct_terminal(e.rel)} [{_pct_terminal(e.rel_low)}, {_pct_terminal(e.rel_high)}]"
        for m, head in zip(COST_HEADLINE, ("wrong flags", "wrong bans", "reviews", "benign sugg. ties")):
            d = idx[(sc, m)].diff
            row[head] = "n/a" if math.isnan(d) else f"{d:+,.1f}"
        rows.append(row)
    df = pd.DataFrame(rows)
    width = max(len("scenario"), *(len(s) for s in df["scenario"]))
    # scenario names to the left; three spaces at least between columns, so that neighbouring
    # intervals never run together
    df["scenario"] = [f"{v:<{width}}" for v in df["scenario"]]
    df = df.rename(columns={"scenario": f"{'scenario':<{width}}"})
    formatters = {c: (lambda v: f"   {v}") for c in df.columns[1:]}
    text = df.to_string(
        index=False, formatters=formatters, col_space={c: len(c) + 3 for c in df.columns[1:]}, justify="right"
    )
    text = "\n".join(line.rstrip() for line in text.splitlines())
    ns = sorted({e.n_pairs for e in effs})
    n = f"{ns[0]}" if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"
    return (
        text + f"\n(paired with baseline by seed, n = {n} pairs per scenario; sorted by the effect on "
        "sexual communication; benefits: relative change with 95% interval; costs: mean absolute "
        "change per run)"
    )


def write_csv(effs: list[Effect], path: Path) -> None:
    cols = [c for c in Effect.__dataclass_fields__ if c != "scale"]
    extra = ["diff_per_100k", "diff_per_100k_low", "diff_per_100k_high"]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols + extra)
        for e in effs:
            w.writerow([_fmt_csv(getattr(e, c)) for c in cols] + [_fmt_csv(v) for v in e.rate_diff])


def _fmt_csv(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return v


# ------------------------------------------------------------------------------------------
# The comparison, as a reader sees it
# ------------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """Everything the report, its figures and its companion are built from."""

    sweep: Path
    baseline: str
    runs: list[Run]
    effects: list[Effect]
    missing: dict
    incomplete: list[str]
    problems: list[str]
    order: list[str] = field(default_factory=list)
    levels: dict[str, dict[str, Level]] = field(default_factory=dict)

    def effect(self, scenario: str, metric: str) -> Effect:
        return self._idx[(scenario, metric)]

    def __post_init__(self):
        self._idx = {(e.scenario, e.metric): e for e in self.effects}
        self.order = scenario_order(self.effects)
        for sc in [self.baseline, *self.order]:
            self.levels[sc] = levels(self.runs, sc)

    @property
    def platforms(self) -> list[str]:
        return list(self.runs[0].summary.get("offences_by_platform", {}))

    @property
    def seeds(self) -> list[int]:
        return sorted({r.seed for r in self.runs})

    @property
    def n_pairs(self) -> str:
        ns = sorted({e.n_pairs for e in self.effects})
        return f"{ns[0]}" if len(ns) == 1 else f"{ns[0]} to {ns[-1]}"

    def runs_of(self, scenario: str) -> list[Run]:
        return sorted((r for r in self.runs if r.scenario == scenario), key=lambda r: r.seed)

    def description(self, scenario: str) -> str:
        for r in self.runs:
            if r.scenario == scenario:
                return str((r.config.get("scenario") or {}).get("description") or "")
        return ""


def _metadata(run: Run) -> dict:
    try:
        return json.loads((run.path / "metadata.json").read_text())
    except (OSError, ValueError):
        return {}


def _sweep_command(sweep: Path, runs: list[Run]) -> str:
    """The command that ran the sweep, from Hydra's multirun.yaml (or a run's metadata)."""
    import yaml

    f = sweep / "multirun.yaml"
    if f.is_file():
        try:
            task = yaml.safe_load(f.read_text())["hydra"]["overrides"]["task"]
            return "python -m sim -m " + " ".join(str(t) for t in task)
        except (KeyError, TypeError, ValueError, yaml.YAMLError):
            pass
    return str(_metadata(runs[0]).get("command") or "")


def _knob(value, platforms: list[str] | None = None) -> str:
    if platforms and isinstance(value, list) and sorted(map(str, value)) == sorted(platforms):
        return "all platforms"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_knob(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _knobs(name: str, node: dict, platforms: list[str] | None = None) -> list[tuple[str, str]]:
    out = []
    for k, v in node.items():
        if k == "enabled" or (k == "start_day" and v == 1):
            continue
        if k == "coverage_by_age_band" and isinstance(v, list) and len(v) == len(AGE_BANDS):
            text = ", ".join(f"{b}: {_knob(x)}" for b, x in zip(AGE_BANDS, v))
        elif k == "stage_weights" and isinstance(v, list) and len(v) == len(STAGES) - 1:
            text = ", ".join(f"{STAGE_LABELS[s]} {_knob(x)}" for s, x in zip(STAGES[1:], v))
        else:
            text = _knob(v, platforms if k == "platforms" else None)
        out.append((k.replace("_", " "), text))
    return out


def interventions_of(run: Run) -> list[dict]:
    """The interventions a run switched on, each with its knobs in words."""
    out = []
    for name, node in (run.config.get("interventions") or {}).items():
        if isinstance(node, dict) and node.get("enabled"):
            plats = list(run.summary.get("offences_by_platform", {}))
            out.append({"name": name, "label": name.replace("_", " "), "knobs": _knobs(name, node, plats)})
    return out


#: World assumptions every scenario's result leans on: (dotted key, what it means).
WORLD_ASSUMPTIONS = (
    ("population.offender_share", "share of adults who are offenders"),
    ("grooming.accept_stranger", "chance a child accepts a contact request from a stranger"),
    ("grooming.report_unwanted", "chance a child reports an unwanted contact they declined"),
)
PLATFORM_ASSUMPTIONS = (
    ("age_assurance", "share of child accounts the platform knows are minors"),
    ("review_capacity_per_100k", "human reviews per day per 100,000 accounts"),
)


def _enabled(run: Run) -> dict[str, dict]:
    """The interventions a run switched on, by name, with their settings."""
    nodes = (run.config.get("interventions") or {}).items()
    return {n: v for n, v in nodes if isinstance(v, dict) and v.get("enabled")}


def _f(node: dict, key: str, default: float = 1.0) -> float:
    try:
        return float(node.get(key, default))
    except (TypeError, ValueError):
        return math.nan


#: What the detector-and-reviewers table shows, in this order.
DETECTOR_METRICS = (
    "bans",
    "reviews",
    "children_contacted",
    "children_sexual_communication",
    "benign_accounts_banned",
)


def detector_roles(c: Comparison) -> dict[str, str]:
    """Which scenario is the detector alone, extra review capacity alone, and both together.

    Read from what each scenario switched on, not from its name: ``detector`` is ai_detection and
    nothing else (no extra reviewers hired with it), ``capacity`` is duty_of_care raising review
    capacity only (no faster handling, no detector boost), ``both`` is the two together with the
    same capacity multiplier. Returns the roles found (the first scenario in report order of each).
    """
    roles: dict[str, str] = {}
    mult: dict[str, float] = {}
    for sc in c.order:
        en = _enabled(c.runs_of(sc)[0])
        doc = en.get("duty_of_care")
        capacity_only = (
            doc is not None
            and _f(doc, "review_capacity_multiplier") > 1
            and _f(doc, "report_handling_speedup") == 1
            and _f(doc, "detection_multiplier") == 1
        )
        det = en.get("ai_detection")
        plain_det = det is not None and _f(det, "review_capacity_multiplier") == 1
        if set(en) == {"ai_detection"} and plain_det:
            role = "detector"
        elif set(en) == {"duty_of_care"} and capacity_only:
            role = "capacity"
        elif set(en) == {"ai_detection", "duty_of_care"} and plain_det and capacity_only:
            role = "both"
        else:
            continue
        if role not in roles:
            roles[role] = sc
            if doc is not None:
                mult[role] = _f(doc, "review_capacity_multiplier")
    if "both" in roles and "capacity" in roles and mult["both"] != mult["capacity"]:
        del roles["both"]  # a different amount of capacity: not the sum of the two parts
    return roles


def detector_and_reviewers(c: Comparison) -> dict:
    """The detector alone, extra reviewers alone and both, side by side (issue: adaptive
    moderation), with the interaction: both - (detector alone + capacity alone), per seed.

    A positive interaction on offender bans means the detector's flags need the reviewers to
    become bans (and the reviewers need flags to act on). Empty when the sweep lacks any of
    the three scenarios (:func:`detector_roles`).
    """
    roles = detector_roles(c)
    if set(roles) != {"detector", "capacity", "both"}:
        return {}
    labels = dict((k, lab) for k, lab, _ in METRICS)
    base = {r.seed: r for r in c.runs_of(c.baseline)}
    by = {role: {r.seed: r for r in c.runs_of(sc)} for role, sc in roles.items()}
    seeds = sorted(set(base).intersection(*(set(v) for v in by.values())))
    rows = []
    for key in DETECTOR_METRICS:
        cells = []
        for role in ("detector", "capacity", "both"):
            e = c.effect(roles[role], key)
            d, lo, hi = e.rate_diff
            cells.append(
                {
                    "unchanged": e.unchanged,
                    "rate": fmt_rate_ci(d, lo, hi, sign=True),
                    "direction": "down" if e.diff_high < 0 else "up" if e.diff_low > 0 else "",
                }
            )
        scale = c.effect(roles["both"], key).scale
        x = np.array(
            [
                float(_get(by["both"][s].summary, key))
                - float(_get(by["detector"][s].summary, key))
                - float(_get(by["capacity"][s].summary, key))
                + float(_get(base[s].summary, key))
                for s in seeds
            ]
        )
        m, lo, hi = (v * scale for v in mean_interval(x))
        rows.append(
            {
                "label": labels[key],
                "per": c.effect(roles["both"], key).per_100k_of,
                "cells": cells,
                "interaction": fmt_rate_ci(m, lo, hi, sign=True),
                "interaction_direction": "down" if hi < 0 else "up" if lo > 0 else "",
            }
        )
    return {"roles": roles, "rows": rows, "pairs": len(seeds)}


def scope(run: Run, platforms: list[str]) -> list[str]:
    """The platforms a run's interventions act on (all of them when any intervention acts on
    children or accounts everywhere, e.g. education)."""
    covered: set[str] = set()
    for node in _enabled(run).values():
        ps = node.get("platforms")
        if not isinstance(ps, list):
            return list(platforms)
        covered |= {str(p) for p in ps}
    return [p for p in platforms if p in covered]


def displacement_rows(c: Comparison) -> list[dict]:
    """The displacement ratio of every scenario that acts on some platforms but not all.

    For first contacts and for offences: the paired change where the measure acts and where it
    does not (per 100,000 children) and the ratio gained elsewhere / prevented where it acts
    (:func:`displacement`), with intervals over the paired seeds.
    """
    out = []
    base = {r.seed: r for r in c.runs_of(c.baseline)}
    per = PER / np.mean([r.summary["children"] for r in base.values()]) if base else math.nan
    for sc in c.order:
        runs = {r.seed: r for r in c.runs_of(sc)}
        seeds = sorted(set(runs) & set(base))
        if not seeds:
            continue
        prot = scope(runs[seeds[0]], c.platforms)
        if not prot or len(prot) == len(c.platforms):
            continue
        for what, key in (
            ("children first contacted", DISPLACEMENT_MEASURES["children_first_contacted"]),
            ("offences", DISPLACEMENT_MEASURES["offences"]),
        ):
            d = displacement([base[s].summary for s in seeds], [runs[s].summary for s in seeds], prot, key)
            pm, plo, phi = (v * per for v in d["protected_change"])
            om, olo, ohi = (v * per for v in d["others_change"])
            r, rlo, rhi = d["ratio"]
            if not phi < 0:  # nothing surely prevented where it acts: a ratio would divide by noise
                ratio = Num("not defined", "")
            else:
                ratio = _fmt_ratio(r, rlo, rhi)
            out.append(
                {
                    "scenario": sc,
                    "measure": what,
                    "protected": ", ".join(prot),
                    "others": ", ".join(d["others"]),
                    "protected_change": fmt_rate_ci(pm, plo, phi, sign=True),
                    "protected_direction": "down" if phi < 0 else "up" if plo > 0 else "",
                    "others_change": fmt_rate_ci(om, olo, ohi, sign=True),
                    "others_direction": "down" if ohi < 0 else "up" if olo > 0 else "",
                    "ratio": ratio,
                }
            )
    return out


def _fmt_ratio(r: float, lo: float, hi: float) -> Num:
    if not math.isfinite(r):
        return Num("not defined", "")

    def f(v: float) -> str:
        return f"{v + 0.0:.2f}".replace("-0.00", "0.00").replace("-", "\u2212")

    iv = f"{f(lo)} to {f(hi)}" if math.isfinite(lo) and math.isfinite(hi) else ""
    return Num(f(r), iv)


def _fmt_adaptation(cfg: dict) -> str:
    try:
        return f"{float(_get(cfg, 'offenders.adaptation')):g}"
    except (KeyError, TypeError, ValueError):
        return ""


def _context(c: Comparison) -> dict:
    """The numbers and sentences of the report, formatted, for both templates."""
    base = c.levels[c.baseline]
    r0 = c.runs_of(c.baseline)[0]
    s0 = r0.summary
    days = s0["days"]
    period = "a simulated year" if days == 365 else f"{days} simulated days"
    acct_what = accounts_denominator(s0)[1]
    n_seeds = len(c.seeds)

    def lvl(key):
        L = base[key]
        return {"label": L.label, "rate": fmt_rate_ci(L.mean, L.low, L.high), "count": f"{L.count:,.1f}"}

    def eff(sc, key):
        e = c.effect(sc, key)
        d, lo, hi = e.rate_diff
        return {
            "unchanged": e.unchanged,
            "rate": fmt_rate_ci(d, lo, hi, sign=True),
            "rel": fmt_pct_ci(e.rel, e.rel_low, e.rel_high),
            "direction": "down" if e.diff_high < 0 else "up" if e.diff_low > 0 else "",
            "rel_direction": "down" if e.rel_high < 0 else "up" if e.rel_low > 0 else "",
        }

    def cost(sc, key):
        e = c.effect(sc, key)
        sign = COST_NAMES[key][1]
        d, lo, hi = (sign * v for v in e.rate_diff)
        lo, hi = min(lo, hi), max(lo, hi)
        return {
            "unchanged": e.unchanged,
            "rate": fmt_rate_ci(d, lo, hi, sign=True),
            "clear": e.excludes_zero,
            "value": d,
            "cls": ("up" if d > 0 else "down") if e.excludes_zero else "",
        }

    # -- summary of findings, in plain words ---------------------------------------------
    findings = []
    sc_key = "children_sexual_communication"
    L = base[sc_key]
    Lc = base["children_contacted"]

    def named(sc):
        d = c.description(sc)
        return f"{sc} ({d})" if d else sc

    findings.append(
        f"Without any of the measures ({c.baseline}), {about_ci(L.mean, L.low, L.high)} in every "
        f"100,000 children reached sexual communication with an offender in {period}; "
        f"{about_ci(Lc.mean, Lc.low, Lc.high)} were contacted by one."
    )
    fewer = [sc for sc in c.order if c.effect(sc, sc_key).rel_high < 0]
    more = [sc for sc in c.order if c.effect(sc, sc_key).rel_low > 0]
    unclear = [sc for sc in c.order if sc not in fewer and sc not in more]
    for sc in fewer[:3]:
        e = c.effect(sc, sc_key)
        findings.append(
            f"{named(sc)}: {about_ci(-100 * e.rel, -100 * e.rel_high, -100 * e.rel_low, '%')} fewer "
            f"children reached sexual communication, about {fmt_about(-e.rate_diff[0])} fewer in "
            "every 100,000 children."
        )
    if fewer:
        findings.append(
            f"In all, {len(fewer)} of the {len(c.order)} scenarios reduce the number of children "
            f"reaching sexual communication with an interval that excludes no change: {', '.join(fewer)}."
        )
    if more:
        findings.append(
            "More children reached sexual communication, with an interval that excludes no "
            f"change, in: {', '.join(more)}."
        )
    if unclear:
        findings.append(
            "At this size these cannot be told apart from no change (the interval includes zero): "
            + ", ".join(unclear)
            + "."
        )
    for key, (name, sign) in COST_NAMES.items():
        hits = []
        for sc in c.order:
            e = c.effect(sc, key)
            d = sign * e.rate_diff[0]
            lo, hi = sorted(sign * v for v in e.rate_diff[1:])
            if not e.unchanged and e.excludes_zero and d > 0:
                hits.append((d, sc, lo, hi))
        if hits:
            hits.sort(key=lambda t: -t[0])
            parts = [f"{sc}, {about_ci(d, lo, hi)}" for d, sc, lo, hi in hits[:3]]
            more_sc = f" and {len(hits) - 3} more" if len(hits) > 3 else ""
            findings.append(
                f"Cost, {name}, per 100,000 {acct_what} a year: " + "; ".join(parts) + more_sc + "."
            )
    caveat = (
        "These are model outputs under stated assumptions (docs/ODD.md), for comparing "
        "interventions with each other, not estimates of real prevalence; the effect sizes of "
        f"most measures are assumptions. With {n_seeds} seeds of {s0['children']:,} children the "
        "intervals are wide: rerun bigger (section 6) before reading small differences."
    )

    warn = []
    for sc, seeds_m in c.missing.items():
        warn.append(("missing", sc, f"seeds without a partner run {seeds_m} (left out of its pairs)"))
    for name in c.incomplete:
        if name.startswith(NO_FOLDER):
            warn.append(
                ("problem", "", f"job {name[len(NO_FOLDER) :]} of multirun.yaml has no complete run folder")
            )
        else:
            warn.append(("incomplete", name, "incomplete job folder (not used)"))
    for p in c.problems:
        warn.append(("problem", "", p))

    # -- tables ---------------------------------------------------------------------------
    stages = [lvl(f"children_{s}") | {"stage": STAGE_LABELS[s]} for s in STAGES]
    bands = []
    for b in AGE_BANDS:
        in_band = np.mean([r.summary["population_by_age_band"][b] for r in c.runs_of(c.baseline)])
        row = {"band": b, "children": f"{in_band:,.0f}"}
        for s in ("contacted", "sexual_communication"):
            Lb = base[f"by_age_band.{b}.{s}"]
            row[s] = fmt_rate_ci(Lb.mean, Lb.low, Lb.high)
        bands.append(row)
    plat_rows = []
    for p in c.platforms:
        a, o = base[f"by_platform.{p}.contacted"], base[f"offences_by_platform.{p}"]
        plat_rows.append(
            {
                "platform": p,
                "first_contacts": fmt_rate_ci(a.mean, a.low, a.high),
                "offences": fmt_rate_ci(o.mean, o.low, o.high),
            }
        )
    heads = dict(
        zip(
            HEADLINE,
            (
                "Children contacted",
                "Children reaching sexual communication",
                "Children reaching image sharing",
            ),
        )
    )
    effect_tables = [
        {
            "label": heads[m],
            "rows": [eff(sc, m) | {"scenario": sc, "description": c.description(sc)} for sc in c.order],
        }
        for m in sorted(HEADLINE, key=lambda m: m != ORDER_METRIC)
    ]
    other_outcomes = [k for k, _, kind in METRICS if kind in ("benefit", "outcome") and k not in HEADLINE]
    labels = dict((k, lab) for k, lab, _ in METRICS)
    effect_rows = [
        {
            "scenario": sc,
            "description": c.description(sc),
            "cells": [eff(sc, m) for m in HEADLINE],
            "other": [eff(sc, m) for m in other_outcomes],
            "bands": [eff(sc, f"by_age_band.{b}.sexual_communication") for b in AGE_BANDS],
        }
        for sc in c.order
    ]
    cost_base = []
    for key in COST_HEADLINE:
        Lk = base[key]
        cost_base.append({"name": COST_BASE_NAMES[key], "rate": fmt_rate_ci(Lk.mean, Lk.low, Lk.high)})
    cost_rows = [{"scenario": sc, "cells": [cost(sc, k) for k in COST_HEADLINE]} for sc in c.order]
    disp_rows = [
        {
            "scenario": sc,
            "contacts": [eff(sc, f"by_platform.{p}.contacted") for p in c.platforms],
            "offences": [eff(sc, f"offences_by_platform.{p}") for p in c.platforms],
        }
        for sc in c.order
    ]
    detector = detector_and_reviewers(c)
    disp_ratio = displacement_rows(c)
    assumed = []
    for sc in [c.baseline, *c.order]:
        rs = c.runs_of(sc)
        assumed.append(
            {"scenario": sc, "description": c.description(sc), "interventions": interventions_of(rs[0])}
        )
    cfg0 = r0.config
    world = []
    for key, what in WORLD_ASSUMPTIONS:
        try:
            world.append({"key": key, "value": _knob(_get(cfg0, key)), "what": what})
        except (KeyError, TypeError):
            pass
    for k, what in PLATFORM_ASSUMPTIONS:
        vals = {p: (cfg0.get("platforms") or {}).get(p, {}).get(k) for p in c.platforms}
        if any(v is not None for v in vals.values()):
            world.append(
                {
                    "key": f"platforms.<name>.{k}",
                    "value": ", ".join(f"{p} {_knob(v)}" for p, v in vals.items()),
                    "what": what,
                }
            )

    pairing = []
    for sc in c.order:
        e = c.effect(sc, sc_key)
        r1 = e.se_unpaired / e.se_paired if e.se_paired else math.nan
        r2 = e.se_log_unpaired / e.se_log_paired if e.se_log_paired else math.nan
        pairing.append(
            {
                "scenario": sc,
                "se_p": f"{e.se_paired:.2f}",
                "se_u": f"{e.se_unpaired:.2f}",
                "ratio": "n/a" if math.isnan(r1) else f"{r1:.1f}",
                "sel_p": f"{e.se_log_paired:.3f}",
                "sel_u": f"{e.se_log_unpaired:.3f}",
                "ratio_log": "n/a" if math.isnan(r2) else f"{r2:.1f}",
            }
        )
    meta = _metadata(r0)
    versions = meta.get("versions") or {}
    git = meta.get("git") or {}
    walls = [(_metadata(r).get("wall_seconds") or {}).get("total") for r in c.runs]
    walls = [w for w in walls if isinstance(w, int | float)]
    command = _sweep_command(c.sweep, c.runs)
    return {
        "title": "Scenario comparison: children's exposure to online grooming",
        "baseline": c.baseline,
        "order": c.order,
        "n_runs": len(c.runs),
        "n_scenarios": len(c.order) + 1,
        "seeds": ", ".join(str(s) for s in c.seeds),
        "n_seeds": n_seeds,
        "n_pairs": c.n_pairs,
        "children": f"{s0['children']:,}",
        "adults": f"{s0['adults']:,}",
        "offenders": f"{np.mean([r.summary['offenders'] for r in c.runs_of(c.baseline)]):,.0f}",
        "days": days,
        "period": period,
        "acct_what": acct_what,
        "findings": findings,
        "caveat": caveat,
        "warnings": warn,
        "stages": stages,
        "bands": bands,
        "age_bands": AGE_BANDS,
        "platforms": c.platforms,
        "plat_rows": plat_rows,
        "headline_labels": [
            "children contacted",
            "children reaching sexual communication",
            "children reaching image sharing",
        ],
        "other_labels": [labels[k] for k in other_outcomes],
        "effect_rows": effect_rows,
        "effect_tables": effect_tables,
        "cost_names": [COST_NAMES[k][0] for k in COST_HEADLINE],
        "cost_base": cost_base,
        "cost_rows": cost_rows,
        "disp_rows": disp_rows,
        "detector": detector,
        "disp_ratio": disp_ratio,
        "adaptation": _fmt_adaptation(cfg0),
        "assumed": assumed,
        "world": world,
        "pairing": pairing,
        "commit": git.get("commit") or r0.commit or "unknown",
        "dirty": bool(git.get("dirty")),
        "versions": [(k, v) for k, v in versions.items()],
        "wall_mean": f"{np.mean(walls):.0f}" if walls else "",
        "command": command,
        "report_command": f"python -m sim.report {c.sweep}",
        "bigger_command": (
            "python -m sim -m experiment=compare_scenarios population.n_children=20000 "
            "population.n_adults=40000 seed='range(1,21)'"
        ),
        "sweep": str(c.sweep),
    }


def _render(name: str, context: dict, autoescape: bool) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sim", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the build, never prints blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(name).render(**context)


#: The report's figures: (file name, caption, section).
FIGURES = (
    (
        "exposure_by_scenario.png",
        "Children reaching sexual communication over the run, per 100,000 children: each scenario "
        "(colour) against the baseline (grey); lines are means over seeds, bands their 95% intervals.",
        "effects",
    ),
    (
        "effects_forest.png",
        "Relative change against the baseline with 95% paired intervals; filled: the interval "
        "excludes no change.",
        "effects",
    ),
    (
        "age_bands.png",
        "Children reaching sexual communication per 100,000 children in each age band (mean over "
        "seeds, 95% interval); the dashed line is the baseline.",
        "baseline",
    ),
    (
        "costs.png",
        "Extra cost against the baseline per 100,000 {acct} a year, each in its own unit, with 95% "
        "paired intervals; below zero is a saving.",
        "costs",
    ),
    (
        "offences_by_platform.png",
        "First contacts (where a child was first contacted) and offences (where they happened) by "
        "platform, per 100,000 children (mean over seeds, 95% interval); the share of each "
        "scenario's total is printed beside each bar.",
        "displacement",
    ),
)


def build_report(
    sweep_dir: str | Path, baseline: str = BASELINE, allow_mixed: bool = False, quiet: bool = False
) -> Path:
    """Write comparison.csv, report.html, report.md and figures/ into ``sweep_dir``; return the
    path of report.md (report.html is beside it).

    A scenario x parameter sweep (runs that differ in keys given on the command line besides
    scenario and seed) gets one comparison per parameter combination, in
    ``compare/<key=value,...>/``, and one ``comparison.csv`` of them all with a column per
    parameter."""
    sweep = Path(sweep_dir)
    if not sweep.is_dir():
        raise ReportError(f"sweep folder {sweep} does not exist")
    try:
        runs, incomplete = load_runs(sweep)
    except DamagedRun as e:
        raise ReportError(str(e)) from None
    incomplete = incomplete + [NO_FOLDER + job for job in jobs_without_run(sweep, runs)]
    if not runs:
        raise ReportError(f"no complete run folders under {sweep}")
    combos = parameter_combinations(runs)
    if len(combos) > 1:
        return _build_per_combination(sweep, combos, incomplete, baseline, allow_mixed, quiet)
    return _build_one(sweep, sweep, runs, incomplete, baseline, allow_mixed, quiet)


def _run_parameters(run: Run) -> tuple[tuple[str, str], ...]:
    """The keys a run was given on the command line other than seed, scenario and the keys that
    change nothing (from metadata.json), with their values."""
    from sim.sweep import _override_pairs

    meta = _metadata(run)
    pairs = _override_pairs(meta.get("overrides") or [])
    return tuple(sorted((k, v) for k, v in pairs if k not in ("seed", "scenario")))


def parameter_combinations(runs: list[Run]) -> dict[tuple, list[Run]]:
    """The runs grouped by the values of the parameters that differ between them (a scenario x
    parameter sweep); one group when only scenario and seed vary."""
    params = {id(r): dict(_run_parameters(r)) for r in runs}
    keys = sorted({k for p in params.values() for k in p})
    varying = [k for k in keys if len({params[id(r)].get(k) for r in runs}) > 1]
    groups: dict[tuple, list[Run]] = {}
    for r in runs:
        groups.setdefault(tuple((k, params[id(r)].get(k)) for k in varying), []).append(r)
    return groups


def _combo_name(combo: tuple) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.=,-]+", "_", ",".join(f"{k}={v}" for k, v in combo))


def _build_per_combination(sweep, combos, incomplete, baseline, allow_mixed, quiet) -> Path:
    """One comparison of scenarios per parameter combination, in ``compare/<combination>/``, and
    every combination's effects in ``comparison.csv`` (one column per parameter)."""
    rows, first = [], None
    for combo, runs in sorted(combos.items(), key=lambda kv: [str(v) for _, v in kv[0]]):
        out = sweep / "compare" / _combo_name(combo)
        out.mkdir(parents=True, exist_ok=True)
        if not quiet:
            print(f"\n== {', '.join(f'{k}={v}' for k, v in combo)}")
        md = _build_one(sweep, out, runs, [], baseline, allow_mixed, quiet)
        first = first or md
        with (out / "comparison.csv").open() as fh:
            for r in csv.DictReader(fh):
                rows.append({**dict(combo), **r})
    with (sweep / "comparison.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    if not quiet:
        for name in incomplete:
            if name.startswith(NO_FOLDER):
                print(f"warning: job {name[len(NO_FOLDER) :]} of multirun.yaml has no complete run folder")
            else:
                print(f"warning: incomplete job folder {name} (not used)")
        print(
            f"\ncomparison of every combination: {sweep / 'comparison.csv'} (reports in {sweep / 'compare'})"
        )
    return first


def _build_one(sweep, out, runs, incomplete, baseline, allow_mixed, quiet) -> Path:
    """The comparison of ``runs`` (one parameter combination) written into ``out``."""
    from sim import plots

    problems = check_consistent(runs)
    if problems and not allow_mixed:
        raise ReportError(
            "runs are not comparable (pass --allow-mixed to compare anyway):\n  " + "\n  ".join(problems[:10])
        )
    effs, missing = effects(runs, baseline)
    if not effs:
        raise ReportError(
            f"only the baseline scenario '{baseline}' is in {sweep}: nothing to "
            "compare; sweep it together with other scenarios, e.g. "
            f"scenario={baseline},nspcc_package"
        )
    comp = Comparison(sweep, baseline, runs, effs, missing, incomplete, problems)
    ctx = _context(comp)
    write_csv(effs, out / "comparison.csv")
    figdir = out / "figures"
    figdir.mkdir(exist_ok=True)
    makers = {
        "exposure_by_scenario.png": plots.exposure_by_scenario,
        "effects_forest.png": plots.effects_forest,
        "age_bands.png": plots.age_bands,
        "costs.png": plots.costs,
        "offences_by_platform.png": plots.platforms,
    }
    figs = {}
    for name, caption, section in FIGURES:
        path = makers[name](comp, figdir / name)
        figs.setdefault(section, []).append(
            {
                "name": name,
                "caption": caption.format(acct=ctx["acct_what"]),
                "data": base64.b64encode(path.read_bytes()).decode("ascii"),
            }
        )
    table = effect_table(effs)
    ctx |= {"figures": figs, "table": table}
    (out / "report.html").write_text(_render("report.html.j2", ctx, autoescape=True))
    (out / "report.md").write_text(_render("report.md.j2", ctx, autoescape=False))
    if not quiet:
        print(table)
        if missing or incomplete:
            print(f"\nwarning: missing or incomplete jobs: {missing or ''} {incomplete or ''}")
            for name in incomplete:
                if name.startswith(NO_FOLDER):
                    print(
                        f"warning: job {name[len(NO_FOLDER) :]} of multirun.yaml has no complete run folder"
                    )
        print(f"\nreport: {out / 'report.html'} (and report.md, comparison.csv, figures/)")
    return out / "report.md"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.report", description=__doc__.split("\n")[0])
    ap.add_argument("sweep_dir", help="a sweep folder written by `python -m sim -m ...`")
    ap.add_argument("--baseline", default=BASELINE, help="scenario to compare against")
    ap.add_argument(
        "--allow-mixed", action="store_true", help="compare runs whose config or code version differ"
    )
    args = ap.parse_args(argv)
    try:
        build_report(args.sweep_dir, args.baseline, args.allow_mixed)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Comparison", "Effect", "ReportError", "build_report", "effects", "levels", "paired_interval"]
