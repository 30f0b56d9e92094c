"""Run the benchmark suite and write results/benchmarks/benchmarks.json and scaling.png.

    .venv/bin/python experiments/benchmarks/run_all.py            # full (~13 min on 2 cores)
    .venv/bin/python experiments/benchmarks/run_all.py --quick    # smaller sizes (~4 min)
    .venv/bin/python experiments/benchmarks/run_all.py --only kernel,startup

Sections (each also runnable alone): kernel (contact kernel vs memory-bound reference, 1 and 2
threads), startup, scaling (10k..1M agents, per-agent-day time and peak memory), baselines
(pure-Python backend with byte-identity check, idiomatic Mesa), threads (1 vs 2, identical
outputs), e2e (1M agents x 365 days, build + run + write, 2 threads, sampled and exact
suggestion candidates side by side), big (10M agents x 30 days).
Every run has burn_in_days=0 (common.base_overrides): the measured window only.
Results are written after every section, so an interrupted run keeps what it measured.
The machine is shared: figures are medians where repeats are cheap, and ratios are measured
side by side in one run. See README.md in this folder and docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_baselines  # noqa: E402
import bench_e2e  # noqa: E402
import bench_scaling  # noqa: E402
import bench_startup  # noqa: E402
import bench_threads  # noqa: E402
from common import HERE, RESULTS, git_info, log, machine_info, median, peak_of, run_child, versions  # noqa: E402

SECTIONS = ("kernel", "startup", "scaling", "baselines", "threads", "e2e", "big")


def kernel_section(quick: bool) -> dict:
    agents = 300_000 if quick else 1_000_000
    days = 5 if quick else 7
    out = {"agents": agents, "dense": True, "days_measured": days}
    for t in (1, 2):
        log(f"kernel: {agents:,} agents (dense), threads={t}, {days} days")
        r = run_child(
            [
                str(HERE / "bench_kernel.py"),
                "--agents",
                str(agents),
                "--dense",
                "--threads",
                str(t),
                "--days",
                str(days),
            ],
            timeout=3600,
        )
        if r.get("returncode") != 0:
            log(f"kernel FAILED: {r.get('error', '')[-600:]}")
            out[f"threads_{t}"] = {"failed": True, "error": r.get("error")}
            continue
        out[f"threads_{t}"] = r
        log(
            f"  kernel {r['kernel_ties_per_second'] / 1e6:.0f} M ties/s, reference "
            f"{r['reference_ties_per_second'] / 1e6:.0f} M ties/s, ratio "
            f"{r['ratio_kernel_to_reference']:.2f}"
        )
    r1 = out.get("threads_1", {})
    if not r1.get("failed"):
        out["ratio_threads_1"] = r1["ratio_kernel_to_reference"]
        out["met"] = r1["ratio_kernel_to_reference"] >= 0.5
    r2 = out.get("threads_2", {})
    if not r2.get("failed") and r2:
        out["ratio_threads_2"] = r2["ratio_kernel_to_reference"]
    out["target_ratio"] = 0.5
    return out


def scaling_plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = results.get("scaling", {})
    rows = [r for r in sc.get("sizes", []) if not r.get("failed")]
    if not rows:
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    x = [r["agents"] for r in rows]
    a1.plot(
        x,
        [r["seconds_per_agent_day"] * 1e9 for r in rows],
        "o-",
        label=f"default network, {sc.get('days')} days, 1 thread",
    )
    a2.plot(x, [r["peak_rss_mb"] for r in rows], "o-", label="default network (peak RSS)")
    big = results.get("big", {})
    if big and not big.get("failed") and big.get("seconds_per_agent_day"):
        a1.plot(
            [big["agents"]],
            [big["seconds_per_agent_day"] * 1e9],
            "s",
            color="C3",
            label=f"{big['agents'] / 1e6:.0f}M agents, {big['days']} days",
        )
        a2.plot(
            [big["agents"]],
            [big["peak_rss_mb"]],
            "s",
            color="C3",
            label=f"{big['agents'] / 1e6:.0f}M agents (peak in build)",
        )
    e2e = results.get("e2e", {})
    if e2e and not e2e.get("failed") and e2e.get("daily_loop_agent_days_per_second"):
        a1.plot(
            [e2e["agents"]],
            [1e9 / e2e["daily_loop_agent_days_per_second"]],
            "^",
            color="C2",
            label=f"dense network, {e2e['days']} days (end to end)",
        )
        a2.plot([e2e["agents"]], [e2e["peak_rss_mb"]], "^", color="C2", label="dense network, end to end")
    lin = sc.get("memory_linear_fit")
    if lin:
        import numpy as np

        xs = np.geomspace(x[0], max(x[-1], big.get("agents") or 0), 50)
        a2.plot(
            xs,
            lin["intercept_mb"] + lin["bytes_per_agent"] * xs / 1024**2,
            "--",
            color="grey",
            lw=1,
            label=f"linear fit (>=100k): {lin['intercept_mb']:.0f} MB + {lin['bytes_per_agent']:.0f} B/agent",
        )
    a1.axhline(100, color="grey", ls=":", lw=1)
    a1.text(x[0], 105, "target: 10M agent-days/s (100 ns)", fontsize=8, color="grey")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("agents")
    a1.set_ylabel("ns per agent-day (days 2..N)")
    a1.set_title("Daily loop cost per agent-day")
    a1.legend(fontsize=8)
    a2.axhline(4096, color="grey", ls=":", lw=1)
    a2.text(x[0], 4300, "4 GB (1M-agent target)", fontsize=8, color="grey")
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xlabel("agents")
    a2.set_ylabel("peak memory (MB, whole process)")
    a2.set_title("Peak memory")
    a2.legend(fontsize=8)
    for a in (a1, a2):
        a.grid(True, which="both", alpha=0.3)
    fig.suptitle(
        f"groomsim benchmarks ({results['meta'].get('machine', {}).get('cpu', '')}, "
        f"{results['meta'].get('machine', {}).get('cpus')} CPUs)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _fix_peak(r: dict) -> None:
    if not isinstance(r, dict) or "peak_rss_mb" not in r:
        return
    r.setdefault("ru_maxrss_mb", r["peak_rss_mb"])  # results written before peak_of existed
    p = peak_of(r)
    if p is not None:
        r["peak_rss_mb"] = p


def rederive_peaks(res: dict) -> None:
    """Peak memory = max(ru_maxrss, per-phase VmHWM) for every worker run (see common.peak_of);
    idempotent. Also re-derives the aggregates that depend on it."""
    sc = res.get("scaling", {})
    for row in sc.get("sizes", []):
        for r in row.get("runs", []):
            _fix_peak(r)
        ok = [r for r in row.get("runs", []) if r.get("returncode") == 0]
        if ok:
            row["peak_rss_mb"] = median(r["peak_rss_mb"] for r in ok)
    rows = [r for r in sc.get("sizes", []) if not r.get("failed")]
    if rows:
        sc["peak_bytes_per_agent"] = [r["peak_rss_mb"] * 1024**2 / r["agents"] for r in rows]
        big = [r for r in rows if r["agents"] >= 100_000]
        if len(big) >= 2:
            import numpy as np

            x = np.array([r["agents"] for r in big], float)
            y = np.array([r["peak_rss_mb"] for r in big], float)
            b, a = np.polyfit(x, y, 1)
            sc["memory_linear_fit"] = {
                "intercept_mb": round(float(a), 1),
                "bytes_per_agent": round(float(b) * 1024**2, 1),
                "max_relative_residual": round(float(np.max(np.abs(a + b * x - y) / y)), 4),
            }
    b = res.get("big", {})
    for r in b.get("runs", []):
        _fix_peak(r)
    if b.get("runs") and b["runs"][0].get("returncode") == 0:
        b["peak_rss_mb"] = b["runs"][0]["peak_rss_mb"]
    me = res.get("baselines", {}).get("mesa")
    if me and "speedup_contact_kernel_vs_mesa_contact_step" in me:  # target: same contact step
        me["met"] = me["speedup_contact_kernel_vs_mesa_contact_step"] >= 100
        me["met_whole_day"] = me["speedup_full_model_vs_mesa_contact_step"] >= 100
    for key in ("e2e", "e2e_exact"):
        e = res.get(key, {})
        if e.get("worker"):
            _fix_peak(e["worker"])
            e["peak_rss_mb"] = e["worker"]["peak_rss_mb"]
            e.setdefault("targets", {})["peak_memory_mb<=4096"] = e["peak_rss_mb"] <= 4096
    for r in (res.get("threads", {}).get("cases") or {}).values():
        _fix_peak(r)


def _ratios(sampled: dict, exact: dict) -> dict:
    """Exact mode's figures over the sampled mode's (same run, same machine state)."""
    if not sampled or not exact or sampled.get("failed") or exact.get("failed"):
        return {}
    out = {}
    for k in ("build_run_write_seconds", "run_seconds", "peak_rss_mb"):
        out[k] = round(exact[k] / sampled[k], 3)
    ps, pe = sampled.get("profile_day") or {}, exact.get("profile_day") or {}
    if ps.get("kernel:suggest") and pe.get("kernel:suggest"):
        out["suggest_kernel_seconds_per_day"] = round(pe["kernel:suggest"] / ps["kernel:suggest"], 3)
    return out


def targets_table(res: dict) -> list[dict]:
    rows = []

    def add(name, value, target, met, note=""):
        rows.append({"target": name, "measured": value, "required": target, "met": met, "note": note})

    k = res.get("kernel", {})
    if "ratio_threads_1" in k:
        r1 = k["threads_1"]
        add(
            "contact kernel / reference sweep (1 thread)",
            round(k["ratio_threads_1"], 3),
            ">= 0.5",
            k["met"],
            f"{r1['kernel_ties_per_second'] / 1e6:.0f} vs "
            f"{r1['reference_ties_per_second'] / 1e6:.0f} M ties/s",
        )
    if "ratio_threads_2" in k:
        r2 = k["threads_2"]
        add(
            "contact kernel / reference sweep (2 threads)",
            round(k["ratio_threads_2"], 3),
            ">= 0.5",
            k["ratio_threads_2"] >= 0.5,
            f"{r2['kernel_ties_per_second'] / 1e6:.0f} vs "
            f"{r2['reference_ties_per_second'] / 1e6:.0f} M ties/s",
        )
    for key in ("e2e", "e2e_exact"):
        e = res.get(key, {})
        if not e or e.get("failed"):
            continue
        tag = (
            f"{e['agents'] / 1e6:g}M agents, {e['threads']} thread{'s' if e['threads'] > 1 else ''}, "
            f"{e.get('candidates', 'sampled')} candidates"
        )
        add(
            f"{tag} x {e['days']} d: build + run + write (s)",
            round(e["build_run_write_seconds"], 1),
            "<= 60",
            e["targets"]["build_run_write_seconds<=60"],
            f"build {e['build_seconds']:.1f} + run {e['run_seconds']:.1f} + write "
            f"{e['write_seconds']:.1f}; {e['ties_initial'] / 1e6:.1f}M ties",
        )
        add(f"{tag}: peak memory (MB)", e["peak_rss_mb"], "<= 4096", e["targets"]["peak_memory_mb<=4096"])
        add(
            f"{tag}: daily loop (agent-days/s, days 2..N)",
            round(e["daily_loop_agent_days_per_second"]),
            "> 6,000,000 (stretch 10,000,000)",
            e["targets"]["daily_loop_agent_days_per_second>6M"],
        )
    s = res.get("scaling", {})
    if s.get("sizes"):
        add(
            "time per agent-day, max/min over sizes",
            round(s["seconds_per_agent_day_max_over_min"], 2),
            "<= 2",
            s["met"],
            f"{len(s['sizes'])} sizes {s['sizes'][0]['agents']:,}..{s['sizes'][-1]['agents']:,}",
        )
        if s.get("memory_linear_fit"):
            add(
                "memory linear in agents (max residual of linear fit, >=100k)",
                s["memory_linear_fit"]["max_relative_residual"],
                "small",
                None,
                f"{s['memory_linear_fit']['bytes_per_agent']:.0f} B/agent",
            )
    b = res.get("big", {})
    if b:
        add(
            "10M agents x 30 d completes within memory",
            b.get("peak_rss_mb"),
            "< 24 GB",
            b.get("met"),
            "" if b.get("failed") else f"build {b['init_seconds']:.0f} s, {b['seconds_per_day']:.2f} s/day",
        )
    bl = res.get("baselines", {})
    if bl.get("python_backend"):
        p = bl["python_backend"]
        add(
            "speed-up vs pure-Python backend (100k, per agent-day)",
            round(p["speedup_vs_numba_30d"], 1),
            ">= 50 and byte-identical",
            p["met"],
            f"python measured on {p['days_measured']} days; identical={p['byte_identical']}",
        )
    if bl.get("mesa"):
        m = bl["mesa"]
        # like for like: the simulator's contact step against Mesa's implementation of it
        add(
            "speed-up vs idiomatic Mesa, same daily contact step (100k, per day)",
            round(m["speedup_contact_kernel_vs_mesa_contact_step"], 1),
            ">= 100",
            m["speedup_contact_kernel_vs_mesa_contact_step"] >= 100,
            "contact_step kernel (30-day runs) vs Mesa agents stepping their ties",
        )
        add(
            "  (whole simulated day vs Mesa's contact step alone)",
            round(m["speedup_full_model_vs_mesa_contact_step"], 1),
            "-",
            None,
            "suggestions, outreach, grooming, moderation too; favours Mesa",
        )
    st = res.get("startup", {})
    if st.get("second_and_later_median"):
        add(
            "second `python -m sim` starts simulating (s)",
            round(st["second_and_later_median"]["to_first_step_start"], 2),
            "<= 1.5",
            st["met"],
            f"first day done at {st['second_and_later_median']['to_first_step_end']:.2f} s",
        )
    th = res.get("threads", {})
    if th.get("cases"):
        add(
            "threads 1 vs 2: identical outputs",
            th["outputs_identical"],
            "identical",
            th["outputs_identical"],
            f"2-thread speed-up x{th.get('speedup_2_vs_1', float('nan')):.2f}",
        )
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--only", default=None, help=f"comma list of sections: {','.join(SECTIONS)}")
    ap.add_argument("--skip", default="", help="comma list of sections to skip")
    ap.add_argument(
        "--python-days",
        type=int,
        default=None,
        help="days of the pure-Python backend run (default 8; quick 2)",
    )
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument(
        "--replot",
        action="store_true",
        help="measure nothing: re-derive targets and redraw scaling.png from the json",
    )
    a = ap.parse_args(argv)
    if a.replot:
        p = Path(a.out) / "benchmarks.json"
        res = json.loads(p.read_text())
        rederive_peaks(res)
        res["targets"] = targets_table(res)
        p.write_text(json.dumps(res, indent=1, default=float) + "\n")
        scaling_plot(res, Path(a.out) / "scaling.png")
        log(f"re-derived {p} and redrew scaling.png")
        return res
    os.environ.setdefault("PYTHONHASHSEED", "0")
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = a.only.split(",") if a.only else list(SECTIONS)
    skip = set(filter(None, a.skip.split(",")))
    if a.quick:
        skip.add("big")
    sections = [s for s in sections if s not in skip]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections {sorted(unknown)}")

    json_path = out_dir / "benchmarks.json"
    res: dict = {
        "meta": {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "quick": a.quick,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": machine_info(),
            "versions": versions(),
            "git": git_info(),
            "numba_num_threads_available": _numba_threads(),
            "threads_default": 1,
            "note": (
                "shared machine: medians of repeats where cheap; ratios measured side by "
                "side in one process or one run"
            ),
        },
        "section_wall_seconds": {},
        "section_loadavg": {},
    }
    # keep earlier sections when running only some of them
    if a.only and json_path.exists():
        try:
            old = json.loads(json_path.read_text())
            for s in SECTIONS:
                if s in old and s not in sections:
                    res[s] = old[s]
                    if s == "e2e":  # the section's other runs
                        for extra_key in ("e2e_exact", "e2e_exact_over_sampled"):
                            if extra_key in old:
                                res[extra_key] = old[extra_key]
                    res["section_wall_seconds"][s] = old.get("section_wall_seconds", {}).get(s)
                    res["section_loadavg"][s] = old.get("section_loadavg", {}).get(s)
                    res.setdefault("section_meta", {})[s] = old.get("section_meta", {}).get(
                        s,
                        {
                            "command": old["meta"]["command"],
                            "started_at": old["meta"]["started_at"],
                            "git_commit": old["meta"]["git"]["commit"],
                            "dirty_files": old["meta"]["git"]["dirty_files"],
                        },
                    )
            res["meta"]["earlier_run"] = old.get("meta")
        except (json.JSONDecodeError, OSError):
            pass

    t_all = time.perf_counter()
    for s in sections:
        t0 = time.perf_counter()
        load0 = os.getloadavg()
        log(f"=== section {s} ===")
        try:
            if s == "kernel":
                res[s] = kernel_section(a.quick)
            elif s == "startup":
                res[s] = bench_startup.run(a.quick)
            elif s == "scaling":
                res[s] = bench_scaling.run(a.quick)
            elif s == "baselines":
                res[s] = bench_baselines.run(a.quick, a.python_days)
            elif s == "threads":
                res[s] = bench_threads.run(agents=100_000 if a.quick else 1_000_000, days=10)
            elif s == "e2e":
                # the target is on two cores: 2 threads; sampled suggestion candidates
                # (the default) and the exact reference side by side in the same run
                n_e2e = 100_000 if a.quick else 1_000_000
                res[s] = bench_e2e.run(agents=n_e2e, days=365, threads=2)
                res["e2e_exact"] = bench_e2e.run(
                    agents=n_e2e, days=365, threads=2, extra=["suggestions.candidates=exact"]
                )
                res["e2e_exact_over_sampled"] = _ratios(res[s], res["e2e_exact"])
            elif s == "big":
                res[s] = bench_scaling.run_10m()
        except Exception as e:  # noqa: BLE001 - record and go on with the other sections
            import traceback

            log(f"section {s} FAILED: {e!r}")
            res[s] = {"failed": True, "error": traceback.format_exc()[-3000:]}
        res["section_wall_seconds"][s] = round(time.perf_counter() - t0, 1)
        res.setdefault("section_meta", {})[s] = {
            "command": res["meta"]["command"],
            "started_at": time.strftime(
                "%Y-%m-%dT%H:%M:%S%z", time.localtime(time.time() - (time.perf_counter() - t0))
            ),
            "git_commit": res["meta"]["git"]["commit"],
            "dirty_files": res["meta"]["git"]["dirty_files"],
        }
        rederive_peaks(res)
        res["section_loadavg"][s] = {"before": load0, "after": os.getloadavg()}
        res["targets"] = targets_table(res)
        res["meta"]["total_wall_seconds"] = round(time.perf_counter() - t_all, 1)
        json_path.write_text(json.dumps(res, indent=1, default=float) + "\n")
        try:
            scaling_plot(res, out_dir / "scaling.png")
        except Exception as e:  # noqa: BLE001
            log(f"plot failed: {e!r}")
    log(f"wrote {json_path} and {out_dir / 'scaling.png'} in {time.perf_counter() - t_all:.0f} s")
    print()
    print(f"{'target':<66}{'measured':>14}  {'required':<26}{'met':<6}note")
    for r in res.get("targets", []):
        met = {True: "yes", False: "NO", None: "-"}[r["met"]]
        print(f"{r['target']:<66}{str(r['measured']):>14}  {r['required']:<26}{met:<6}{r['note']}")
    return res


def _numba_threads():
    try:
        import numba

        return numba.config.NUMBA_NUM_THREADS
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    main()
