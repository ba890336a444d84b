"""`python -m benchmarks`: generate scaled synthetic markets, measure the pipeline, print the
table and the targets (BENCHMARKS.md explains every figure).

    python -m benchmarks                 # 500, 1,500 and 3,000 equities x 10 years, 3 repeats
    python -m benchmarks --quick         # smoke run (< 1 minute): 100 equities x 3 years, once
    python -m benchmarks --sizes 3000 --repeats 5 --out bench-results
    python -m benchmarks.live_path --tickers 2600   # the live path alone (also part of the default run)

Each size and each end-to-end run is measured in its own process (so peak memory is per
scenario); every figure is the median of --repeats runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import fmt_mib, fmt_rate, fmt_s, markdown_table
from benchmarks.scenarios import REFERENCE_MARTS

FULL_SIZES = (500, 1500, 3000)
QUICK_SIZES = (100,)

TARGETS = {
    # issue #18's targets (3,000 equities x 10 years, side by side in one run)
    "incremental_share": 0.15, "daily_mart_s": 1.0, "gate_share": 0.25, "load_rows_per_s": 2e6, "peak_gib": 2.0,
    "polars_ratio": 1.0, "pandas_ratio": 2.0, "daily_doubling_ratio": 2.2, "fixed_cpu_share": 1 / 3,
    # earlier targets, still reported
    "rebuild_s": 5.0, "doubling_ratio": 2.3, "e2e_s": 30.0, "overhead_share": 1 / 3,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run under a minute: 100 equities x 3 years, one repeat, no "
                             "first-load gate or per-phase memory processes, end to end on a small "
                             "snapshot directory (checks the harness works; its figures are not benchmarks)")
    parser.add_argument("--sizes", help="comma-separated equity counts (default 500,1500,3000; quick: 100)")
    parser.add_argument("--repeats", type=int, help="runs per figure, the median is reported (default 3; quick: 1)")
    parser.add_argument("--years", type=int, help="years of sessions (default 10; quick: 3)")
    parser.add_argument("--as-of", default=None, help="the new session (default 2026-05-08)")
    parser.add_argument("--out", help="directory for results.json and results.md")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end `scout run` measurement")
    parser.add_argument("--no-first-load-gate", action="store_true",
                        help="skip the quality gate over a whole first load (slow at 3,000 equities)")
    parser.add_argument("--workdir", help="scratch directory (default: a temporary one)")
    parser.add_argument("--live-tickers", type=int,
                        help="universe of the live-path scenario on the provider simulator "
                             "(default 2,600; quick: 40; 0 skips it)")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(
        QUICK_SIZES if args.quick else FULL_SIZES)
    args.repeats = args.repeats or (1 if args.quick else 3)
    args.years = args.years or (3 if args.quick else 10)
    if args.live_tickers is None:
        args.live_tickers = 40 if args.quick else 2600
    return args


# --------------------------------------------------------------------------- running

def run_sizes(args, workdir: Path, log) -> list[dict]:
    results = []
    for n in args.sizes:
        log(f"size {n:,} equities x {args.years} years, {args.repeats} repeat(s) ...")
        task = {"kind": "size", "n": n, "years": args.years, "repeats": args.repeats,
                "as_of": args.as_of, "workdir": str(workdir / "sizes"),
                "full_gate": not (args.no_first_load_gate or args.quick), "memory_workers": not args.quick,
                "keep_db": str(workdir / "keep" / f"n{n}.duckdb") if len(args.sizes) > 1 else None}
        res = harness.run_worker(task)
        payload = res.payload or {"error": f"worker exited {res.returncode}"}
        payload["process_wall_s"] = round(res.wall, 2)
        if res.returncode or payload.get("error"):
            payload["stderr"] = res.stderr
            log(f"  size {n}: FAILED: {payload.get('error')}\n{res.stderr}")
        else:
            log(f"  done in {res.wall:.0f} s")
        results.append(payload)
    return results


def run_scaling(args, workdir: Path, sizes: list[dict], log) -> dict | None:
    """Full rebuilds of all sizes round robin in one process: side-by-side time ratios."""
    from benchmarks.scenarios import DEFAULT_AS_OF

    dbs = {s["n"]: str(workdir / "keep" / f"n{s['n']}.duckdb") for s in sizes
           if not s.get("error") and (workdir / "keep" / f"n{s['n']}.duckdb").exists()}
    if len(dbs) < 2:
        return None
    repeats = max(args.repeats, 5)
    log(f"scaling: full rebuilds of {', '.join(f'{n:,}' for n in sorted(dbs))} round robin, {repeats} times ...")
    res = harness.run_worker({"kind": "scaling", "dbs": dbs, "repeats": repeats,
                              "as_of": args.as_of or DEFAULT_AS_OF})
    if res.returncode or res.payload.get("error"):
        log(f"  scaling FAILED: {res.payload.get('error')}\n{res.stderr}")
        return None
    shutil.rmtree(workdir / "keep", ignore_errors=True)
    return {"repeats": repeats, **res.payload}


def make_snapshot(directory: Path, as_of: dt.date) -> Path:
    """A small snapshot directory for the quick end-to-end run."""
    from benchmarks.scenarios import synth
    from scout_pipeline.sources.snapshot import write_snapshot

    write_snapshot(synth(40, 3, as_of), directory)
    return directory


class E2EFailed(RuntimeError):
    """An end-to-end run failed: the harness exits 1 at once."""


def run_e2e(args, workdir: Path, log) -> dict:
    from benchmarks.scenarios import DEFAULT_AS_OF

    as_of = args.as_of or DEFAULT_AS_OF
    source = "sample"
    if args.quick:
        source = str(make_snapshot(workdir / "snapshot", dt.date.fromisoformat(as_of)))
    runs: dict[str, list[dict]] = {"dagster": [], "plain": []}
    for i in range(args.repeats):
        for mode in ("dagster", "plain"):  # interleaved: both see the same machine load
            log(f"end to end ({mode}) {i + 1}/{args.repeats} ...")
            task = {"kind": "e2e", "mode": mode, "source": source, "as_of": as_of,
                    "workdir": str(workdir / f"e2e-{mode}"), "dagster_home": str(workdir / "dagster_home"),
                    "spawned_at": time.time()}
            res = harness.run_worker(task)
            payload = res.payload or {"error": f"worker exited {res.returncode}"}
            payload["process_wall_s"] = round(res.wall, 3)
            failed = (res.returncode or payload.get("error") or payload.get("exit_code", 0)
                      or (mode == "dagster" and "SUCCESS" not in str(payload.get("status", ""))))
            runs[mode].append(payload)
            if failed:  # a failed run has no figure worth the rest: stop here, the harness fails
                payload["stderr"] = res.stderr
                log(f"  FAILED: {payload.get('error') or payload.get('exit_code') or payload.get('status')}"
                    f"\n{res.stderr}")
                raise E2EFailed(f"end-to-end run ({mode}) {i + 1} failed: "
                                f"{payload.get('error') or payload.get('exit_code') or payload.get('status')}")
    return {"source": "sample (default)" if source == "sample" else "snapshot (40 equities x 3 years)",
            "as_of": as_of, "runs": runs}


# --------------------------------------------------------------------------- summarising

def _agrees(found: dict | None) -> bool:
    """Every mart the reference covers agrees with the SQL (marts_agree; older results: two)."""
    if not found:
        return False
    marts = found.get("marts_agree") or {"streaks": found.get("streaks_agree"),
                                         "breakouts": found.get("breakouts_agree")}
    return all(marts.values())


def _agreement_cell(found: dict | None) -> str:
    if not found:
        return "n/a"
    cols, rows = found.get("columns_compared", {}), found.get("rows", {})
    return " / ".join(f"{'yes' if ok else 'NO'} ({rows.get(mart, 0):,} rows x {cols.get(mart, '?')} cols)"
                      for mart, ok in found.get("marts_agree", {}).items())


def _per_mart_cell(size: dict, mart: str) -> str:
    """One mart built alone in SQL vs each reference's function for it (medians)."""
    row = size.get("per_mart", {}).get(mart)
    if not row:
        return "n/a"
    refs = [f"{row[f'{lib}_s']:.3f} s ({row[f'{lib}_over_sql']:.2f}x)" for lib in ("pandas", "polars")
            if f"{lib}_s" in row]
    return " / ".join([f"{row['sql_s']:.3f} s", *refs])


def _median(values):
    import statistics

    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _phase(size: dict, name: str, key: str = "median"):
    phase = size.get("phases", {}).get(name)
    return None if not phase or phase.get("error") else phase.get(key)


def _peak(size: dict, name: str):
    """Peak RSS (MiB) of a phase: from its own process when measured so, else in-process."""
    mem = size.get("memory", {}).get(name)
    if mem and not mem.get("error") and not mem.get("stderr"):
        return mem["max_rss_mib"]
    return _phase(size, name, "peak_mib")


def summarise(sizes: list[dict], e2e: dict | None, scaling: dict | None = None,
              overhead: dict | None = None) -> dict:
    ok = [s for s in sizes if not s.get("error")]
    summary: dict = {"sizes": {}, "targets": []}
    for s in ok:
        full = _phase(s, "full_rebuild")
        inc = _phase(s, "incremental_daily")
        pipeline_peaks = {k: _peak(s, k) for k in
                          ("raw_load", "incremental_daily", "full_rebuild", "gate_daily", "publish")}
        summary["sizes"][s["n"]] = {
            "full_rebuild_s": full, "incremental_s": inc,
            # both timed in the same interleaved loop (see scenarios.size_task)
            "incremental_share": (inc / full) if inc and full else None,
            "pipeline_peak_mib": max((v for v in pipeline_peaks.values() if v), default=None),
            "pipeline_peaks_mib": pipeline_peaks,
        }
    e2e_summary = None
    if e2e:
        dag = [r for r in e2e["runs"]["dagster"] if not r.get("error") and not r.get("exit_code")]
        plain = [r for r in e2e["runs"]["plain"] if not r.get("error")]
        if dag and plain:
            d_wall = _median([r["process_wall_s"] for r in dag])
            p_wall = _median([r["process_wall_s"] for r in plain])
            e2e_summary = {
                "scout_run_s": d_wall, "plain_s": p_wall, "overhead_s": d_wall - p_wall,
                "overhead_share": (d_wall - p_wall) / d_wall,
                "dagster_imports_s": _median([r["timings"].get("imports") for r in dag]),
                "plain_imports_s": _median([r["timings"].get("imports") for r in plain]),
                "cli_run_s": _median([r["cli_run_s"] for r in dag]),
                "run_wall_s": _median([r["run_wall_s"] for r in dag]),
                "step_sum_s": _median([r["step_seconds_sum"] for r in dag]),
                "steps": dag[0].get("steps"),
                "step_by_kind": {k: _median([r["step_seconds_by_kind"].get(k) for r in dag])
                                 for k in dag[0]["step_seconds_by_kind"]},
                "plain_by_kind": {k: _median([r["timings"].get(k) for r in plain])
                                  for k in plain[0]["timings"]},
                "peak_mib": _median([r["vmhwm_mib"] for r in dag]),
                "plain_peak_mib": _median([r["vmhwm_mib"] for r in plain]),
            }
    summary["e2e"] = e2e_summary

    # ---- targets, judged on the largest size (and the largest doubling pair)
    targets = summary["targets"]

    def add(name, value, target, ok_when, fmt, detail=""):
        if value is None:
            targets.append({"target": name, "value": "n/a", "goal": fmt(target), "met": None, "detail": detail})
            return
        met = value <= target if ok_when == "le" else value >= target
        by = (value / target) if ok_when == "le" else (target / value)
        targets.append({"target": name, "value": fmt(value), "goal": ("≤ " if ok_when == "le" else "≥ ") + fmt(target),
                        "met": met, "factor": round(by, 2), "detail": detail})

    if ok:
        big = max(ok, key=lambda s: s["n"])
        label = f"{big['n']:,} equities x {big['years']} y"
        ratios = big["ratios"]
        # the issue's targets first (#18), each a ratio measured side by side in one loop
        add(f"incremental daily run / full rebuild ({label})", summary["sizes"][big["n"]]["incremental_share"],
            TARGETS["incremental_share"], "le", lambda v: f"{v:.0%}",
            "interleaved, per round: " + ", ".join(f"{x:.0%}" for x in big.get("incremental_share_per_round", [])))
        add(f"mart work of the incremental daily run ({label})",
            (big.get("incremental_parts") or {}).get("rebuild_marts"), TARGETS["daily_mart_s"], "le", fmt_s,
            f"its ingest of the new session: {fmt_s((big.get('incremental_parts') or {}).get('ingest_new_session'))}")
        add(f"daily quality gate / full rebuild ({label})", ratios.get("gate_daily_over_full_rebuild"),
            TARGETS["gate_share"], "le", lambda v: f"{v:.0%}",
            "gate right after each daily run, in the same loop; per round: "
            + ", ".join(f"{x:.0%}" for x in big.get("gate_share_per_round", []))
            + f"; GX import once per process, not included: {fmt_s(big.get('gx_import_seconds'))}")
        add(f"first load ({label})", big.get("raw_load_rows_per_s"), TARGETS["load_rows_per_s"], "ge", fmt_rate,
            f"prices alone: {fmt_rate(big.get('raw_load_prices_rows_per_s'))}")
        phase_peaks = {**summary["sizes"][big["n"]]["pipeline_peaks_mib"],
                       "gate_first_load": _peak(big, "gate_first_load")}
        worst = max(((k, v) for k, v in phase_peaks.items() if v), key=lambda kv: kv[1], default=(None, None))
        add(f"peak RSS, every phase incl. the first-load gate ({label})", worst[1],
            TARGETS["peak_gib"] * 1024, "le", fmt_mib,
            ", ".join(f"{k} {fmt_mib(v)}" for k, v in phase_peaks.items() if v))
        add(f"pandas reference / the same SQL marts ({label})", ratios.get("pandas_over_sql_same_marts"),
            TARGETS["pandas_ratio"], "ge", lambda v: f"{v:.2f}x",
            f"marts compared: {', '.join(sorted(m.removeprefix('marts.') for m in REFERENCE_MARTS))}; "
            f"pandas / all marts: {ratios['pandas_over_full_rebuild']:.2f}x")
        pol = ratios.get("polars_over_sql_same_marts")
        add(f"polars reference / the same SQL marts ({label})", pol, TARGETS["polars_ratio"], "ge",
            lambda v: f"{v:.2f}x",
            big.get("polars_reference", "") if pol is None else
            f"polars / all marts: {ratios['polars_over_full_rebuild']:.2f}x")
        by_n = {s["n"]: s for s in ok}
        pairs = [(a, 2 * a) for a in sorted(by_n) if 2 * a in by_n]
        if pairs:
            a, b = pairs[-1]
            side = bool(scaling) and str(a) in scaling.get("daily_median", {}) and str(b) in scaling["daily_median"]
            if side:
                da, db = scaling["daily_median"][str(a)], scaling["daily_median"][str(b)]
            else:
                da, db = _phase(by_n[a], "incremental_daily"), _phase(by_n[b], "incremental_daily")
            add(f"doubling equities {a:,} -> {b:,}: incremental daily run time ratio",
                db / da if da and db else None, TARGETS["daily_doubling_ratio"], "le", lambda v: f"{v:.2f}x",
                f"side by side, median of {scaling['repeats']} round-robin daily runs" if side
                else "from the per-size runs, minutes apart (not side by side)")
            if side:
                ra, rb = scaling["median"][str(a)], scaling["median"][str(b)]
            else:
                ra, rb = _phase(by_n[a], "full_rebuild"), _phase(by_n[b], "full_rebuild")
            add(f"doubling equities {a:,} -> {b:,}: full rebuild time ratio", rb / ra if ra and rb else None,
                TARGETS["doubling_ratio"], "le", lambda v: f"{v:.2f}x",
                "side by side" if side else "from the per-size runs (not side by side)")
        else:
            add("doubling equities: incremental daily run time ratio", None, TARGETS["daily_doubling_ratio"], "le",
                lambda v: f"{v:.2f}x", "needs two sizes N and 2N")
        add(f"all marts rebuilt ({label})", _phase(big, "full_rebuild"), TARGETS["rebuild_s"], "le", fmt_s)
    if overhead:
        parts = overhead["parts"]
        add("sample `scout run`: orchestration, GX and imports / its CPU time", overhead["share"],
            TARGETS["fixed_cpu_share"], "le", lambda v: f"{v:.0%}",
            f"{overhead['fixed_cpu_s']:.2f} of {overhead['total_cpu_s']:.2f} CPU s: imports "
            f"{parts['imports_total']:.2f} s, no-op job of the same shape ({overhead['info']['steps_real_job']} "
            f"steps) {parts['orchestration_noop_job']:.2f} s, GX context {parts['gx_context']:.2f} s + fixed per "
            f"batch {parts['gx_per_batch_fixed']:.2f} s (benchmarks/run_overhead.py)")
    else:
        add("sample `scout run`: orchestration, GX and imports / its CPU time", None, TARGETS["fixed_cpu_share"],
            "le", lambda v: f"{v:.0%}", "not measured in this run (--quick or --no-e2e)")
    if e2e_summary:
        add(f"`scout run` end to end ({e2e['source']})", e2e_summary["scout_run_s"], TARGETS["e2e_s"], "le", fmt_s)
        add("orchestration overhead share", e2e_summary["overhead_share"], TARGETS["overhead_share"], "le",
            lambda v: f"{v:.0%}", f"{fmt_s(e2e_summary['overhead_s'])} of {fmt_s(e2e_summary['scout_run_s'])}")
    return summary


def render(meta: dict, sizes: list[dict], e2e: dict | None, summary: dict, scaling: dict | None = None) -> str:
    ok = [s for s in sizes if not s.get("error")]
    lines = [f"# Trend Scout benchmarks ({'quick' if meta['quick'] else 'full'} run)", ""]
    m = meta["machine"]
    lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB RAM, {m['os']}; "
                 f"Python {m['python']}, DuckDB {m['duckdb']}, pandas {m['pandas']}, Dagster {m['dagster']}, "
                 f"GX {m['great_expectations']}. Load average at start {m['load_average_at_start']}, "
                 f"at end {meta.get('load_average_at_end')}.")
    lines.append(f"Command: `{meta['command']}`; median of {meta['repeats']} run(s); "
                 f"{meta['years']} years of NYSE sessions; as-of {meta['as_of']}; total {meta['total_s']:.0f} s.")
    if meta["quick"]:
        lines.append("Quick run: a smoke test of the harness on tiny data; these figures are not benchmarks "
                     "(run `python -m benchmarks` for those).")
    lines.append("")
    if ok:
        header = ["figure"] + [f"{s['n']:,} eq." for s in ok]
        how = "own process per phase" if all(s.get("memory") for s in ok) else "in-process, VmHWM"

        def row(label, fn):
            cells = []
            for s in ok:
                try:
                    cells.append(fn(s))
                except (KeyError, TypeError, ZeroDivisionError):
                    cells.append("n/a")
            return [label] + cells

        rows = [
            row("series (equities + indices/ETFs)", lambda s: f"{s['tickers']:,}"),
            row("history rows (all raw tables)", lambda s: f"{s['rows_total']:,}"),
            row("  of which prices", lambda s: f"{s['rows']['prices']:,}"),
            row("raw load, all tables", lambda s: f"{fmt_s(_phase(s, 'raw_load'))} = {fmt_rate(s['raw_load_rows_per_s'])}"),
            row("raw load, prices only", lambda s: fmt_rate(s["raw_load_prices_rows_per_s"])),
            row("full rebuild, all marts", lambda s: fmt_s(_phase(s, "full_rebuild"))),
            row("incremental daily run", lambda s: f"{fmt_s(_phase(s, 'incremental_daily'))} "
                f"({_phase(s, 'incremental_daily') / _phase(s, 'full_rebuild'):.0%} of rebuild)"),
            row("  ingest of the new session", lambda s: fmt_s(s["incremental_parts"]["ingest_new_session"])),
            row("  rebuild of the marts", lambda s: fmt_s(s["incremental_parts"]["rebuild_marts"])),
            row("SQL marts the references cover", lambda s: fmt_s(_phase(s, "sql_reference_marts"))),
            row("pandas reference (same marts)", lambda s: fmt_s(_phase(s, "pandas_reference"))),
            row("ratio pandas / full rebuild", lambda s: f"{s['ratios']['pandas_over_full_rebuild']:.2f}x"),
            row("ratio pandas / same marts", lambda s: f"{s['ratios']['pandas_over_sql_same_marts']:.2f}x"),
            row("polars reference (same marts)", lambda s: fmt_s(_phase(s, "polars_reference"))
                if _phase(s, "polars_reference") else s.get("polars_reference", "n/a")),
            row("ratio polars / same marts", lambda s: f"{s['ratios']['polars_over_sql_same_marts']:.2f}x"),
            row("ratio polars / full rebuild", lambda s: f"{s['ratios']['polars_over_full_rebuild']:.2f}x"),
            row("quality gate, daily run", lambda s: fmt_s(_phase(s, "gate_daily"))),
            row("  the same, right after each daily run in the loop", lambda s:
                f"{fmt_s(_phase(s, 'gate_daily_side_by_side'))} ({s['ratios']['gate_daily_over_full_rebuild']:.0%} "
                "of rebuild)"),
            row("quality gate, first load (once)", lambda s: fmt_s(_phase(s, "gate_first_load"))),
            row("publish", lambda s: fmt_s(_phase(s, "publish"))),
            row("  raw journal entry, daily / first load", lambda s: f"{fmt_s(_phase(s, 'journal_daily'))} / "
                f"{fmt_s(_phase(s, 'journal_first'))}"),
            row("store file / copy per run", lambda s: f"{fmt_mib(s['store_mib'])} / {fmt_s(s['store_copy_seconds'])}"),
            row(f"peak RSS ({how}): imports only", lambda s: fmt_mib(s["memory"]["baseline"]["max_rss_mib"])),
            row("peak RSS raw load", lambda s: fmt_mib(_peak(s, "raw_load"))),
            row("  RSS before it (imports + source frames)", lambda s: fmt_mib(s["memory"]["raw_load"]["rss_with_frames_mib"])),
            row("peak RSS incremental run", lambda s: fmt_mib(_peak(s, "incremental_daily"))),
            row("peak RSS full rebuild", lambda s: fmt_mib(_peak(s, "full_rebuild"))),
            row("peak RSS gate, daily", lambda s: fmt_mib(_peak(s, "gate_daily"))),
            row("peak RSS gate, first load", lambda s: fmt_mib(_peak(s, "gate_first_load"))),
            row("peak RSS publish", lambda s: fmt_mib(_peak(s, "publish"))),
            row("peak RSS pandas reference", lambda s: fmt_mib(_peak(s, "pandas_reference"))),
            row("  RSS before it (imports + input frames)", lambda s: fmt_mib(s["memory"]["pandas_reference"]["rss_with_frames_mib"])),
            *[row(f"  {mart}: SQL / pandas / polars", lambda s, m=mart: _per_mart_cell(s, m))
              for mart in ("relative_strength_streaks", "cooling_breakouts", "market_breadth", "valuation_gap",
                           "quality_leaders", "streak_outcomes", "streak_outcome_summary")],
            row("pandas = SQL, each mart above", lambda s: _agreement_cell(s["agreement"])),
            row("polars = SQL, each mart above",
                lambda s: _agreement_cell(s.get("polars_agreement"))),
        ]
        lines += ["## Figures by size", "", markdown_table(header, rows), ""]
        lines += ["## Where the time goes (largest size)", ""]
        big = max(ok, key=lambda s: s["n"])
        marts = sorted(big["rebuild_per_model"].items(), key=lambda kv: -kv[1])
        lines.append("Full rebuild per model: " + ", ".join(f"{k} {fmt_s(v)}" for k, v in marts[:8]) + ".")
        gate = sorted(big.get("gate_daily_per_suite", {}).items(), key=lambda kv: -kv[1])
        lines.append("Daily gate per suite: " + ", ".join(f"{k} {fmt_s(v)}" for k, v in gate[:6])
                     + f" (GX import, once per process: {fmt_s(big.get('gx_import_seconds'))}).")
        first = sorted(big.get("gate_first_load_per_suite", {}).items(), key=lambda kv: -kv[1])
        if first:
            lines.append("First-load gate per suite: " + ", ".join(f"{k} {fmt_s(v)}" for k, v in first[:4]) + ".")
        load = big["raw_load_per_dataset"]
        lines.append("Raw load per table: " + ", ".join(f"{k} {fmt_s(v)}" for k, v in load.items()) + ".")
        lines.append("")
        by_n = {s["n"]: s for s in ok}
        steps = [(a, b) for a in sorted(by_n) for b in sorted(by_n) if b > a]
        if steps:
            lines += ["## Scaling (time ratio when the equities grow)", ""]
            header = ["step"] + [f"{a:,} -> {b:,} (x{b / a:.1f})" for a, b in steps]
            srows = []
            for name, label in (("raw_load", "raw load"), ("full_rebuild", "full rebuild"),
                                ("incremental_daily", "incremental daily run"), ("gate_daily", "gate, daily"),
                                ("publish", "publish"), ("pandas_reference", "pandas reference")):
                cells = []
                for a, b in steps:
                    ta, tb = _phase(by_n[a], name), _phase(by_n[b], name)
                    cells.append(f"{tb / ta:.2f}x" if ta and tb else "n/a")
                srows.append([label] + cells)
            if scaling:
                for key, label, at in (("median", "full rebuild, side by side", 2),
                                       ("daily_median", "incremental daily run, side by side", 4)):
                    cells = []
                    for a, b in steps:
                        ta, tb = scaling.get(key, {}).get(str(a)), scaling.get(key, {}).get(str(b))
                        cells.append(f"{tb / ta:.2f}x" if ta and tb else "n/a")
                    srows.insert(at, [label] + cells)
            lines += [markdown_table(header, srows), ""]
            if scaling:
                lines.append("Side by side: every size's stored warehouse rebuilt, and its daily run repeated "
                             f"(from a copy of the state before the new session), round robin in one process, "
                             f"{scaling['repeats']} times; medians of the rebuild "
                             + ", ".join(f"{int(n):,}: {fmt_s(v)}" for n, v in sorted(scaling["median"].items(),
                                                                                  key=lambda kv: int(kv[0])))
                             + "; of the daily run "
                             + ", ".join(f"{int(n):,}: {fmt_s(v)}" for n, v in sorted(
                                 scaling.get("daily_median", {}).items(), key=lambda kv: int(kv[0])))
                             + ". The other rows compare the per-size runs, minutes apart.")
                lines.append("")
    for s in sizes:
        if s.get("error"):
            lines.append(f"Size {s.get('n', '?')}: FAILED: {s['error']}")
    es = summary.get("e2e")
    if es:
        lines += ["## End to end: `scout run`", ""]
        rows = [
            ["`scout run` (process start to exit)", fmt_s(es["scout_run_s"])],
            ["same work without Dagster (process start to exit)", fmt_s(es["plain_s"])],
            ["orchestration overhead (difference)", f"{fmt_s(es['overhead_s'])} ({es['overhead_share']:.0%})"],
            ["  import of dagster + definitions", fmt_s(es["dagster_imports_s"])],
            ["  cli.main run (execute_in_process)", fmt_s(es["cli_run_s"])],
            ["  Dagster run record start to end", fmt_s(es["run_wall_s"])],
            [f"  sum of the {es['steps']} step durations", fmt_s(es["step_sum_s"])],
            ["steps by kind (Dagster)", ", ".join(f"{k} {fmt_s(v)}" for k, v in es["step_by_kind"].items())],
            ["same work by kind (no Dagster)", ", ".join(f"{k} {fmt_s(v)}" for k, v in es["plain_by_kind"].items())],
            ["peak RSS of `scout run` / of the same work without Dagster",
             f"{fmt_mib(es['peak_mib'])} / {fmt_mib(es['plain_peak_mib'])}"],
        ]
        lines += [f"Source: {e2e['source']}, as-of {e2e['as_of']}.", "", markdown_table(["figure", "value"], rows), ""]
    elif e2e:
        lines.append("End to end: FAILED (see results.json)")
    if summary["targets"]:
        lines += ["## Targets", ""]
        trows = [[t["target"], t["value"], t["goal"],
                  "n/a" if t["met"] is None else ("met" if t["met"] else f"MISSED ({t['factor']}x)"),
                  t.get("detail", "")] for t in summary["targets"]]
        lines += [markdown_table(["target", "measured", "goal", "status", "note"], trows), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731  progress on stderr
    own_tmp = None
    if args.workdir:
        # absolute: the workers and Dagster (DAGSTER_HOME must be absolute) get paths from it
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        own_tmp = tempfile.mkdtemp(prefix="scout-bench-")
        workdir = Path(own_tmp)
    try:
        from benchmarks.scenarios import DEFAULT_AS_OF

        meta = {"quick": args.quick, "repeats": args.repeats, "years": args.years,
                "as_of": args.as_of or DEFAULT_AS_OF, "sizes": args.sizes,
                "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
                "machine": harness.machine()}
        sizes = run_sizes(args, workdir, log)
        scaling = run_scaling(args, workdir, sizes, log)
        try:
            e2e = None if args.no_e2e else run_e2e(args, workdir, log)
        except E2EFailed as exc:
            log(f"FAILED: {exc}")
            return 1
        overhead = None
        if not (args.no_e2e or args.quick):  # the sample run's fixed CPU share (run_overhead.py)
            from benchmarks import run_overhead

            log(f"fixed cost of the sample `scout run`, {args.repeats} repeat(s) ...")
            overhead = run_overhead.measure(args.repeats, args.as_of or DEFAULT_AS_OF, workdir / "overhead")
        live = None
        if args.live_tickers:
            from benchmarks import live_path

            (workdir / "live").mkdir(exist_ok=True)
            live = live_path.run(args.live_tickers, workdir / "live", log)
        meta["total_s"] = time.perf_counter() - started
        meta["load_average_at_end"] = list(os.getloadavg())
        summary = summarise(sizes, e2e, scaling, overhead)
        text = render(meta, sizes, e2e, summary, scaling)
        if live is not None:
            from benchmarks import live_path

            text += "\n\n" + live_path.render(live)
        print(text)
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            (out / "results.json").write_text(json.dumps(
                {"meta": meta, "sizes": sizes, "scaling": scaling, "e2e": e2e, "overhead": overhead,
                 "summary": summary,
                 "live": live},
                indent=1, default=str))
            (out / "results.md").write_text(text + "\n")
        failed = any(s.get("error") for s in sizes) or (e2e is not None and summary.get("e2e") is None)
        disagree = any(not _agrees(s.get("agreement")) or ("polars_agreement" in s and not _agrees(s["polars_agreement"]))
                       for s in sizes if not s.get("error"))
        return 1 if failed or disagree else 0
    finally:
        if own_tmp:
            shutil.rmtree(own_tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
