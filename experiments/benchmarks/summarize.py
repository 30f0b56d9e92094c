# ruff: noqa: E501  (markdown table rows are long)
"""Print the tables of docs/performance.md (markdown) from results/benchmarks/benchmarks.json.

.venv/bin/python experiments/benchmarks/summarize.py [path/to/benchmarks.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS  # noqa: E402

STAGE_ROWS = (
    ("suggestions.daily", "friend suggestions (`suggestions.daily`)", "kernel:suggest"),
    ("contacts.daily", "benign contact step (`contacts.daily`)", "kernel:benign_interactions"),
    ("grooming.daily", "relationships step (`grooming.daily`)", "kernel:grooming_pass"),
    ("organic.daily", "organic + suggested ties inserted (`organic.daily`)", "kernel:insert_ties"),
    ("outreach.resolve", "contact attempts resolved (`outreach.resolve`)", "kernel:resolve_contacts"),
    ("outreach.daily", "offender outreach (`outreach.daily`)", "kernel:outreach"),
    ("moderation.daily", "moderation (`moderation.daily`)", None),
    ("metrics.end_day", "metrics (`metrics.end_day`)", None),
    ("outreach.due_recontacts", "recontacts", None),
    ("moderation.returns", "returns after bans", None),
    ("datacollector.collect", "Mesa DataCollector", None),
)


def ms(x):
    return "-" if x is None else f"{1000 * x:.1f}"


def profile_table(cols: list[tuple[str, dict, float]]) -> str:
    """cols: (title, profile_day, steady seconds per day)."""
    head = "| stage (ms per day, days 2..N) | " + " | ".join(c[0] for c in cols) + " |"
    sep = "|---|" + "---|" * len(cols)
    lines = [head, sep]
    for key, label, kern in STAGE_ROWS:
        cells = []
        for _, prof, _tot in cols:
            v = prof.get(key)
            if v is None:
                cells.append("-")
                continue
            k = prof.get(kern) if kern else None
            cells.append(f"{ms(v)}" + (f" (kernel {ms(k)})" if k is not None else ""))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for _, prof, tot in cols:
        staged = sum(v for k, v in prof.items() if not k.startswith("kernel:"))
        cells.append(f"{ms(tot - staged)}")
    lines.append("| rest of `step` (Python glue, interventions) | " + " | ".join(cells) + " |")
    lines.append("| **total per day** | " + " | ".join(f"**{ms(c[2])}**" for c in cols) + " |")
    return "\n".join(lines)


def main(path=None):
    d = json.loads(Path(path or RESULTS / "benchmarks.json").read_text())
    out = []
    meta = d["meta"]
    out.append(
        f"Command: `{meta['command']}`; started {meta['started_at']}, "
        f"{meta.get('total_wall_seconds')} s; git {meta['git']['commit']} "
        f"(modified files: {len(meta['git']['dirty_files'])}); machine "
        f"{meta['machine'].get('cpu')} x{meta['machine'].get('cpus')}, "
        f"{meta['machine'].get('mem_total_gb')} GB; versions "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
        + "."
    )
    out.append("")
    out.append("| target | measured | required | met | note |")
    out.append("|---|---|---|---|---|")
    for r in d.get("targets", []):
        met = {True: "**yes**", False: "**no**", None: "-"}[r["met"]]
        out.append(f"| {r['target']} | {r['measured']} | {r['required']} | {met} | {r['note']} |")
    out.append("")

    k = d.get("kernel", {})
    if k.get("threads_1"):
        out.append("### Contact kernel vs reference sweep")
        out.append("")
        out.append(
            "| threads | ties | model kernel | reference (nbr + u01) | reference + reads mask/chan/rel | kernel/ref |"
        )
        out.append("|---|---|---|---|---|---|")
        for t in (1, 2):
            r = k.get(f"threads_{t}")
            if not r or r.get("failed"):
                continue
            out.append(
                f"| {r['threads']} ({r['threading_layer']}) | {r['ties'] / 1e6:.2f}M | "
                f"{r['kernel_ties_per_second'] / 1e6:.0f} M/s ({ms(r['kernel_seconds_median'])} ms) | "
                f"{r['reference_ties_per_second'] / 1e6:.0f} M/s ({ms(r['reference_seconds_median'])} ms) | "
                f"{r['reference_full_read_ties_per_second'] / 1e6:.0f} M/s | "
                f"{r['ratio_kernel_to_reference']:.2f} |"
            )
        out.append("")

    s = d.get("scaling", {})
    if s.get("sizes"):
        out.append("### Scaling (default network, 30 days, 1 thread)")
        out.append("")
        out.append(
            "| agents | ties | ns per agent-day | agent-days/s | s per day | day 1 (s) | build (s) | peak memory (MB) | bytes per agent |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        rows = list(s["sizes"])
        b = d.get("big")
        if b and not b.get("failed") and b.get("agents"):
            rows.append(b)
        for r in rows:
            if r.get("failed"):
                out.append(f"| {r['agents']:,} | failed | | | | | | | |")
                continue
            out.append(
                f"| {r['agents']:,} | {r['ties_initial'] / 1e6:.2f}M | {r['seconds_per_agent_day'] * 1e9:.0f} | "
                f"{r['agent_days_per_second'] / 1e6:.2f}M | {r['seconds_per_day']:.3f} | "
                f"{r['first_day_seconds']:.2f} | {r['init_seconds']:.1f} | {r['peak_rss_mb']:.0f} | "
                f"{r['peak_rss_mb'] * 1024**2 / r['agents']:.0f} |"
            )
        out.append("")
        lin = s.get("memory_linear_fit")
        if lin:
            out.append(
                f"Linear fit of peak memory on sizes >= 100k: {lin['intercept_mb']} MB + "
                f"{lin['bytes_per_agent']} B/agent, largest relative residual "
                f"{lin['max_relative_residual']}."
            )
            out.append("")

    cols = []
    for r in s.get("sizes", []):
        if r.get("agents") in (100_000, 1_000_000) and r.get("profile_day"):
            # the profile and the total per day of the same run (the first repeat)
            cols.append(
                (
                    f"{r['agents'] / 1e6:g}M default, 30 d",
                    r["profile_day"],
                    r["runs"][0]["steady_day_seconds"],
                )
            )
    e = d.get("e2e", {})
    for e_ in (e, d.get("e2e_exact", {})):
        if e_.get("profile_day"):
            cols.append(
                (
                    f"{e_['agents'] / 1e6:g}M dense, {e_['days']} d, {e_['threads']} thr.",
                    e_["profile_day"],
                    1.0 / e_["daily_loop_agent_days_per_second"] * e_["agents"],
                )
            )
    b = d.get("big", {})
    if b.get("profile_day"):
        cols.append(
            (
                f"{b['agents'] / 1e6:g}M default, {b['days']} d",
                b["profile_day"],
                b["runs"][0]["steady_day_seconds"],
            )
        )
    if cols:
        out.append("### Profile of the day")
        out.append("")
        out.append(profile_table(cols))
        out.append("")
        out.append("| build phase (s) | " + " | ".join(c[0] for c in cols) + " |")
        out.append("|---|" + "---|" * len(cols) + "")
        srcs = [r for r in s.get("sizes", []) if r.get("agents") in (100_000, 1_000_000)]
        for e_ in (e, d.get("e2e_exact", {})):
            if e_.get("profile_build"):
                srcs.append(e_)
        if b.get("profile_build"):
            srcs.append(b)
        for key in ("build_population", "build_initial_ties", "setup_rest"):
            out.append(
                f"| `{key}` | " + " | ".join(f"{r['profile_build'].get(key, 0):.2f}" for r in srcs) + " |"
            )
        out.append("")

    bl = d.get("baselines", {})
    if bl.get("python_backend"):
        p, nb, me = bl["python_backend"], bl["numba"], bl.get("mesa", {})
        out.append("### Against the baselines (100k agents, default network)")
        out.append("")
        out.append("| implementation | days run | s per day | ns per agent-day | simulator is faster by |")
        out.append("|---|---|---|---|---|")
        out.append(
            f"| simulator, Numba (whole day) | 30 | {nb['seconds_per_agent_day'] * nb['agents']:.3f} | {nb['seconds_per_agent_day'] * 1e9:.0f} | - |"
        )
        out.append(
            f"| simulator, pure-Python backend (whole day) | {p['days_measured']} | {p['seconds_per_agent_day'] * nb['agents']:.2f} | {p['seconds_per_agent_day'] * 1e9:.0f} | x{p['speedup_vs_numba_30d']:.0f} |"
        )
        if me:
            out.append(
                f"| idiomatic Mesa, contact step only | {me['days']} | {me['seconds_per_day']:.2f} | {me['seconds_per_agent_day'] * 1e9:.0f} | x{me['speedup_full_model_vs_mesa_contact_step']:.0f} (whole day), x{me['speedup_contact_kernel_vs_mesa_contact_step']:.0f} (contact kernel vs Mesa) |"
            )
        out.append("")
        out.append(
            f"Byte identity (pure-Python vs Numba, {p['days_measured']} days): "
            + ", ".join(
                f"`{f}` {'identical' if v['identical'] else 'DIFFERENT'} (sha256 {v['sha256_numba'][:16]}...)"
                for f, v in p["outputs"].items()
            )
            + "."
        )
        out.append("")

    th = d.get("threads", {})
    if th.get("cases"):
        out.append(f"### Threads ({th['agents']:,} agents, dense, {th['days']} days)")
        out.append("")
        out.append("| case | layer | s per day | contact kernel (ms) | suggest kernel (ms) | outputs |")
        out.append("|---|---|---|---|---|---|")
        for name, r in th["cases"].items():
            if r.get("failed"):
                out.append(f"| {name} | failed | | | | |")
                continue
            out.append(
                f"| {name} | {r['threading_layer']} | {r['steady_day_seconds']:.3f} | "
                f"{ms(r['contact_kernel_seconds_per_day'])} | {ms(r['suggest_kernel_seconds_per_day'])} | "
                f"{r['hashes']['timeseries.csv'][:12]} / {r['hashes']['summary.json'][:12]} |"
            )
        out.append("")

    st = d.get("startup", {})
    if st.get("runs"):
        out.append("### Start-up (`" + st["command"] + "`)")
        out.append("")
        out.append("| run | to start of day 1 (s) | to end of day 1 (s) | to exit (s) |")
        out.append("|---|---|---|---|")
        for i, r in enumerate(st["runs"], 1):
            out.append(
                f"| {i} | {r.get('to_first_step_start')} | {r.get('to_first_step_end')} | {r.get('exit_seconds')} |"
            )
        out.append("")

    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
