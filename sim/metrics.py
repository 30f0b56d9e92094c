"""Daily counters, the time series and the run summary.

Every daily count has a fixed column in ``timeseries.csv``; :meth:`Metrics.add` refuses names
that are not declared here, so a typo cannot silently create a new series. Totals in
``summary.json`` are sums of those columns, and every breakdown (age band, sex, platform, channel)
partitions the same children, so the numbers always add up (tests/test_metrics.py).

"children_<stage>" counts distinct children who reached that stage or a later one at least once
(a relationship that skips a stage passes through it on the same day), so counts never increase
along the chain contacted >= engaged >= ... >= coercion_or_meeting.
"""

from __future__ import annotations

import numpy as np

from sim.categories import AGE_BANDS, CHANNELS, STAGES, Exit, Stage

#: Daily counters: the columns of timeseries.csv after ``new_children_<stage>``, in this order
#: (the output schema: never reorder). Mechanisms add to them by name; an intervention records
#: only the counters it declares (``Intervention.counters``).
COUNTERS = (
    "outreach_attempts_reaching_a_child",
    "recontacts",
    "contacts",
    "contacts_declined",
    "blocks",
    "reports",
    "ties_created_by_suggestion",
    "ties_created_benign_by_suggestion",
    "ties_created_by_offender_contact",
    "ties_created_organic",
    "offender_child_interactions",
    "stage_advances",
    "platform_moves",
    "offences",
    "recorded_offences",
    "exits_blocked",
    "exits_reported",
    "exits_guardian",
    "exits_abandoned",
    "exits_banned",
    "exits_completed",
    "detector_flags_true",
    "false_positive_flags",
    "reviews",
    "bans",
    "offenders_banned",
    "offender_returns",
    "returns_blocked",
    "benign_accounts_reviewed",
    "benign_accounts_banned",
    "days_report_to_ban_total",
    "benign_interactions",
    "shared_signals",
    "bans_via_sharing",
    "bans_via_review",
)
#: Levels measured at the end of each day (not summed over days).
LEVELS = ("active_relationships", "active_offenders")


class Metrics:
    """Collects one row of counts per day for a :class:`sim.model.GroomingModel`."""

    DATACOLLECTOR_SERIES = (
        "new_children_contacted",
        "new_children_sexual_communication",
        "new_children_image",
        "offences",
        "recorded_offences",
        "bans",
        "active_relationships",
    )

    def __init__(self, model):
        self.model = model
        names = model.platform_names
        self.columns = (
            tuple(f"new_children_{s}" for s in STAGES)
            + COUNTERS
            + tuple(f"benign_interactions_{p}" for p in names)
            + LEVELS
            + tuple(f"review_backlog_{p}" for p in names)
        )
        self._index = {c: i for i, c in enumerate(self.columns)}
        self._level_cols = set(LEVELS) | {f"review_backlog_{p}" for p in names}
        self.rows: list[np.ndarray] = []
        self.days: list[int] = []
        self._row = np.zeros(len(self.columns), np.int64)

    # -- recording -------------------------------------------------------------------------
    def begin_day(self, day: int) -> None:
        self._row = np.zeros(len(self.columns), np.int64)

    def add(self, name: str, value: int) -> None:
        """Add ``value`` to today's counter ``name`` (a declared column)."""
        self._row[self._index[name]] += int(value)

    def set_level(self, name: str, value: int) -> None:
        """Set today's level ``name`` (a quantity measured at the end of the day)."""
        self._row[self._index[name]] = int(value)

    def end_day(self, day: int) -> None:
        m = self.model
        # one contiguous pass over [children, stage] (numpy's axis-0 sum of narrow rows is
        # ~8x slower than finding the few hits and counting their columns)
        first = m.first_reach.day
        hits = np.flatnonzero(first == day)
        new = np.bincount(hits % first.shape[1], minlength=first.shape[1])
        for s, name in enumerate(STAGES, start=1):
            self._row[self._index[f"new_children_{name}"]] = int(new[s])
        n_rel = int(m.n_rel[0])
        active = m.rel.exit[:n_rel] == Exit.ACTIVE
        self.set_level("active_relationships", int(active.sum()))
        banned_all = m.pop.banned_acct[m.pop.offender_ids] | ~m.pop.acct[m.pop.offender_ids]
        self.set_level("active_offenders", int((~banned_all.all(axis=1)).sum()))
        self.rows.append(self._row)
        self.days.append(day)

    def last(self, name: str) -> int:
        """Yesterday's value of ``name`` (0 before the first day)."""
        return int(self.rows[-1][self._index[name]]) if self.rows else 0

    # -- outputs ---------------------------------------------------------------------------
    def table(self) -> tuple[list[str], np.ndarray]:
        """(column names, int64 array [days, 1 + columns]) with ``day`` first."""
        if not self.rows:
            return ["day", *self.columns], np.zeros((0, 1 + len(self.columns)), np.int64)
        data = np.column_stack([np.asarray(self.days, np.int64), np.vstack(self.rows)])
        return ["day", *self.columns], data

    def totals(self) -> dict[str, int]:
        cols, data = self.table()
        tot = data[:, 1:].sum(axis=0) if data.shape[0] else np.zeros(len(self.columns), np.int64)
        return {c: int(v) for c, v in zip(cols[1:], tot) if c not in self._level_cols}

    def summary(self) -> dict:
        """Totals, distinct-children counts, breakdowns and a few derived rates."""
        m = self.model
        pop = m.pop
        nc = pop.n_children
        tot = self.totals()
        first = m.first_reach.day
        out: dict = {
            "scenario": str(m.cfg.scenario.name),
            "seed": m.seed,
            "days": m.day,
            "children": nc,
            "adults": pop.n_adults - pop.n_offenders,
            "offenders": pop.n_offenders,
            "ties_initial_and_new": m.ties.n_ties,
        }
        for s, name in enumerate(STAGES, start=1):
            out[f"children_{name}"] = tot[f"new_children_{name}"]
        for key in (
            "offences",
            "recorded_offences",
            "offenders_banned",
            "bans",
            "offender_returns",
            "reports",
            "blocks",
            "contacts",
            "ties_created_by_suggestion",
            "ties_created_benign_by_suggestion",
            "ties_created_by_offender_contact",
            "ties_created_organic",
            "platform_moves",
            "reviews",
            "false_positive_flags",
            "benign_accounts_banned",
            "benign_interactions",
        ):
            out[key] = tot[key]
        reached = first[:, 1:] >= 0  # [children, stage]
        band = pop.age_band()
        sex = pop.sex[:nc]
        out["by_age_band"] = {
            b: {s: int(reached[band == i, j].sum()) for j, s in enumerate(STAGES)}
            for i, b in enumerate(AGE_BANDS)
        }
        out["by_sex"] = {
            lab: {s: int(reached[sex == i, j].sum()) for j, s in enumerate(STAGES)}
            for i, lab in enumerate(("girls", "boys"))
        }
        # platform and channel where the child was first contacted: each child is credited to
        # one place for every stage, so each breakdown partitions the children and never
        # increases along the chain (offences_by_platform says where offences happened)
        first_plat = m.first_reach.plat[:, Stage.CONTACTED]
        out["by_platform"] = {
            name: {s: int(reached[first_plat == p, j].sum()) for j, s in enumerate(STAGES)}
            for p, name in enumerate(m.platform_names)
        }
        first_chan = m.first_reach.chan[:, Stage.CONTACTED]
        out["by_channel"] = {
            name: {s: int(reached[first_chan == c, j].sum()) for j, s in enumerate(STAGES)}
            for c, name in enumerate(CHANNELS)
        }
        n_rel = int(m.n_rel[0])
        off_plat = m.rel.plat[:n_rel][m.rel.offence[:n_rel] >= 0]
        out["offences_by_platform"] = {
            name: int((off_plat == p).sum()) for p, name in enumerate(m.platform_names)
        }
        out["population_by_age_band"] = {b: int((band == i).sum()) for i, b in enumerate(AGE_BANDS)}
        # derived rates (shares of children; calibration targets in docs/ODD.md)
        n_sc = out["children_sexual_communication"]
        sc = first[:, Stage.SEXUAL_COMMUNICATION] >= 0
        out["rates"] = {
            "share_children_contacted": _ratio(out["children_contacted"], nc),
            "share_children_engaged": _ratio(out["children_engaged"], nc),
            "share_children_sexual_communication": _ratio(n_sc, nc),
            "share_children_image": _ratio(out["children_image"], nc),
            "contacted_to_image": _ratio(out["children_image"], out["children_contacted"]),
            "share_sexual_communication_victims_aged_11_or_under": _ratio(
                int((sc & (pop.age[:nc] <= 11)).sum()), n_sc
            ),
            "share_girls_among_sexual_communication_victims": _ratio(int((sc & (sex == 0)).sum()), n_sc),
            "recorded_share_of_offences": _ratio(out["recorded_offences"], out["offences"]),
        }
        if pop.n_offenders:
            per_off = np.zeros(pop.n_offenders, np.int64)
            R = m.rel
            if n_rel:
                pairs = np.unique(R.off[:n_rel].astype(np.int64) * nc + R.child[:n_rel])
                offs = pairs // nc
                per_off = np.bincount(pop.node_off_index[offs], minlength=pop.n_offenders)
            out["children_reached_per_offender"] = {
                "mean": round(float(per_off.mean()), 3),
                "median": float(np.median(per_off)),
                "max": int(per_off.max()),
            }
        out["mean_days_report_to_ban"] = (
            round(tot["days_report_to_ban_total"] / tot["bans_via_review"], 3)
            if tot["bans_via_review"]
            else None
        )
        return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None
