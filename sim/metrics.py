"""Daily counters, the time series and the run summary.

Every daily count has a fixed column in ``timeseries.csv``; :meth:`Metrics.add` refuses names
that are not declared here, so a typo cannot silently create a new series. Totals in
``summary.json`` are sums of those columns, and every breakdown (age band, sex, platform, channel)
partitions the same children, so the numbers always add up (tests/test_metrics.py).

"children_<stage>" counts distinct children who reached that stage or a later one at least once
during the measured window (a relationship that skips a stage passes through it on the same day),
so counts never increase along the chain contacted >= engaged >= ... >= coercion_or_meeting. The
window's children are every child present at some time in it (children leave at 18 and new
8-year-olds join); breakdowns by age band use the child's age on the day of the event.
"""

from __future__ import annotations

import numpy as np

from sim.categories import AGE_BAND_TOP, AGE_BANDS, CHANNELS, STAGES, Exit, Stage

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
    # the world turning over (sim.demography, sim.offenders)
    "exits_child_left",
    "exits_offender_left",
    "children_with_a_new_contact",
    "children_left",
    "children_joined",
    "children_joining_dropped",
    "accounts_opened_by_children",
    "ties_created_for_new_children",
    "offender_arrivals",
    "offender_arrivals_dropped",
    "offenders_desisted",
    "offenders_arrested",
    "offenders_back_from_removal",
    # moderation from sources (issue 11)
    "bans_via_flag",
    "behaviour_flags_true",
    "behaviour_flags_false",
)
#: Levels measured at the end of each day (not summed over days).
LEVELS = ("active_relationships", "active_offenders", "children_present", "offenders_present")


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
            + tuple(f"outreach_reaching_{p}" for p in names)
            + tuple(f"outreach_attempts_{p}" for p in names)
            + LEVELS
            + tuple(f"review_backlog_{p}" for p in names)
        )
        self._index = {c: i for i, c in enumerate(self.columns)}
        self._level_cols = set(LEVELS) | {f"review_backlog_{p}" for p in names}
        self.rows: list[np.ndarray] = []
        self.days: list[int] = []
        self._row = np.zeros(len(self.columns), np.int64)
        self.window_start = model.burn_in + 1  # absolute day the measured window starts
        self._window_open = False

    def begin_window(self) -> None:
        """The measured window starts (after the burn-in): first reaches are counted from now;
        the children and offenders present now are in the window."""
        m = self.model
        for arr in m.first_reach:
            arr[...] = -1
        pop = m.pop
        nc = pop.n_children
        self.window_children = pop.present[:nc].copy()
        self.age_at_window_start = np.where(self.window_children, pop.age[:nc], 8).astype(np.int8)
        self.window_offenders = pop.present[pop.offender_ids].copy()
        self._window_open = True

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
        """Close the counts of absolute day ``day`` (a day of the measured window)."""
        m = self.model
        if not self._window_open:
            self.begin_window()
        pop = m.pop
        self.window_children |= pop.present[: pop.n_children]
        self.window_offenders |= pop.present[pop.offender_ids]
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
        banned_all = pop.banned_acct[pop.offender_ids] | ~pop.acct[pop.offender_ids]
        self.set_level("active_offenders", int((~banned_all.all(axis=1)).sum()))
        self.set_level("children_present", int(pop.present[: pop.n_children].sum()))
        self.set_level("offenders_present", int(pop.present[pop.offender_ids].sum()))
        self.rows.append(self._row)
        self.days.append(day - m.burn_in)

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
        """Totals, distinct-children counts, breakdowns and a few derived rates of the window."""
        m = self.model
        pop = m.pop
        nc = pop.n_children
        if not self._window_open:
            self.begin_window()
        tot = self.totals()
        first = m.first_reach.day
        in_window = self.window_children
        n_window = int(in_window.sum())
        out: dict = {
            "scenario": str(m.cfg.scenario.name),
            "seed": m.seed,
            "days": m.day,
            "children": int(m.cfg.population.n_children),
            "children_in_window": n_window,
            "adults": int(m.cfg.population.n_adults),
            "offenders": int(self.window_offenders.sum()),
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
            "children_joined",
            "children_left",
            "offender_arrivals",
            "offenders_desisted",
            "offenders_arrested",
        ):
            out[key] = tot[key]
        reached = first[:, 1:] >= 0  # [children, stage]
        # age band on the day each child first reached each stage in the window
        band_at = np.searchsorted(np.asarray(AGE_BAND_TOP), m.first_reach.age[:, 1:], side="left")
        sex = pop.sex[:nc]
        out["by_age_band"] = {
            b: {s: int((reached[:, j] & (band_at[:, j] == i)).sum()) for j, s in enumerate(STAGES)}
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
        R = m.rel
        w0 = self.window_start
        off_in = R.offence[:n_rel] >= w0
        off_plat = R.plat[:n_rel][off_in]
        out["offences_by_platform"] = {
            name: int((off_plat == p).sum()) for p, name in enumerate(m.platform_names)
        }
        # offenders' outreach attempts that reached a child, by platform (where effort went)
        out["outreach_reaching_by_platform"] = {
            name: tot[f"outreach_reaching_{name}"] for name in m.platform_names
        }
        # ... and every attempt made, by platform (where effort was spent, reached or not)
        out["outreach_attempts_by_platform"] = {
            name: tot[f"outreach_attempts_{name}"] for name in m.platform_names
        }
        # every offender-child contact (relationship) started in the window, by the platform of
        # its first contact (a child contacted by several offenders counts each time)
        start_plat = R.first_plat[:n_rel][R.start[:n_rel] >= w0]
        out["contacts_by_platform"] = {
            name: int((start_plat == p).sum()) for p, name in enumerate(m.platform_names)
        }
        start_band = np.searchsorted(np.asarray(AGE_BAND_TOP), self.age_at_window_start, side="left")
        out["population_by_age_band"] = {
            b: int((in_window & (start_band == i)).sum()) for i, b in enumerate(AGE_BANDS)
        }
        # repeat victimisation: children groomed by more than one offender in the window
        out["repeat_victimisation"] = {}
        for label, sel in (
            ("contacted", R.start[:n_rel] >= w0),
            ("sexual_communication", off_in),
        ):
            pairs = np.unique(R.child[:n_rel][sel].astype(np.int64) * pop.n + R.off[:n_rel][sel])
            per_child = np.bincount(pairs // pop.n, minlength=nc)
            victims, repeat = int((per_child >= 1).sum()), int((per_child >= 2).sum())
            out["repeat_victimisation"][label] = {
                "children": victims,
                "by_two_or_more_offenders": repeat,
                "share": _ratio(repeat, victims),
            }
        # derived rates (shares of the child population, population.n_children, which turnover keeps
        # constant; calibration targets in docs/ODD.md)
        n_sc = out["children_sexual_communication"]
        sc = first[:, Stage.SEXUAL_COMMUNICATION] >= 0
        age_sc = m.first_reach.age[:, Stage.SEXUAL_COMMUNICATION]
        out["rates"] = {
            "share_children_contacted": _ratio(out["children_contacted"], out["children"]),
            "share_children_engaged": _ratio(out["children_engaged"], out["children"]),
            "share_children_sexual_communication": _ratio(n_sc, out["children"]),
            "share_children_image": _ratio(out["children_image"], out["children"]),
            "contacted_to_image": _ratio(out["children_image"], out["children_contacted"]),
            "share_sexual_communication_victims_aged_11_or_under": _ratio(
                int((sc & (age_sc <= 11)).sum()), n_sc
            ),
            "share_girls_among_sexual_communication_victims": _ratio(int((sc & (sex == 0)).sum()), n_sc),
            "recorded_share_of_offences": _ratio(out["recorded_offences"], out["offences"]),
        }
        if pop.n_offenders:
            here = np.flatnonzero(self.window_offenders)
            per_off = np.zeros(pop.n_offenders, np.int64)
            sel = R.start[:n_rel] >= w0
            if sel.any():
                pairs = np.unique(R.off[:n_rel][sel].astype(np.int64) * pop.n + R.child[:n_rel][sel])
                per_off = np.bincount(pop.node_off_index[pairs // pop.n], minlength=pop.n_offenders)
            per_off = per_off[here]
            out["children_reached_per_offender"] = {
                "mean": round(float(per_off.mean()), 3) if per_off.size else None,
                "median": float(np.median(per_off)) if per_off.size else None,
                "max": int(per_off.max()) if per_off.size else None,
            }
        out["mean_days_report_to_ban"] = (
            round(tot["days_report_to_ban_total"] / tot["bans_via_review"], 3)
            if tot["bans_via_review"]
            else None
        )
        return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 6) if b else None
