"""The quality gate next to a full mart rebuild (``python -m benchmarks.gate_cost``).

A sample market of N equities x Y years is loaded (every history row stamped by the run
"initial", as a first load stamps it) with its marts built for the previous session; a copy
then ingests one new session and builds its marts incrementally, as a daily run does. Then:

- the GX import and context, once, on its own (a run pays it once per process, overlapped
  with ingest by ``quality.warm_up``);
- `repeats` times, interleaved so both see the same machine: the daily gate (every raw
  table's and mart's suite on the daily state, run "daily") and a full rebuild of every
  mart of the same state (on an untimed copy, so the daily state keeps its build record);
- once: the first-load gate (the same suites on the loaded history, run "initial": every
  history row is the run's).

Reports medians of wall seconds per suite and in total, the peak RSS of each suite (VmHWM
reset before each), the seconds spent inside GX (``gx_engine.SPENT``) and the ratio of the
daily gate to the rebuild. Reuses the harness's helpers (benchmarks/scenarios.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.scenarios import (
    DEFAULT_AS_OF, _connect, build_marts, gate_tables, ingest_like_assets, load_history, split_session, synth,
)


def _gate(path: Path, run_id: str, as_of: dt.date) -> dict:
    """Every suite once: {table: (seconds, peak MiB, rows checked, gx seconds)} and findings."""
    from scout_pipeline import params, quality
    from scout_pipeline.quality import gx_engine

    run = quality.RunContext(run_id=run_id, as_of=as_of, params={**params.resolve({}), "as_of": as_of})
    spent: dict = {}
    found: list[str] = []
    con = _connect(path)
    try:
        for schema, table in gate_tables():
            gx_before = dict(getattr(gx_engine, "SPENT", {"seconds": 0.0, "calls": 0}))
            harness.reset_peak()
            started = time.perf_counter()
            outcome = quality.run_suite(con, schema, table, run)
            seconds = time.perf_counter() - started
            gx_after = getattr(gx_engine, "SPENT", {"seconds": 0.0, "calls": 0})
            spent[f"{schema}.{table}"] = (seconds, harness.peak_mib(), sum(outcome.rows_checked.values()),
                                          gx_after["seconds"] - gx_before["seconds"],
                                          gx_after["calls"] - gx_before["calls"])
            found += [f"{table}: {f.expectation} [{f.severity}] {f.unexpected_count}" for f in outcome.failures]
    finally:
        con.close()
    return {"suites": spent, "findings": found}


def _summary(samples: list[dict]) -> dict:
    tables = list(samples[0]["suites"])
    per = {t: {"seconds": round(statistics.median(s["suites"][t][0] for s in samples), 4),
               "peak_mib": round(max(s["suites"][t][1] for s in samples), 1),
               "rows_checked": samples[0]["suites"][t][2],
               "gx_seconds": round(statistics.median(s["suites"][t][3] for s in samples), 4),
               "gx_validations": samples[0]["suites"][t][4]} for t in tables}
    return {"seconds": round(statistics.median(sum(v[0] for v in s["suites"].values()) for s in samples), 3),
            "gx_seconds": round(statistics.median(sum(v[3] for v in s["suites"].values()) for s in samples), 3),
            "peak_mib": round(max(v["peak_mib"] for v in per.values()), 1),
            "findings": samples[0]["findings"], "per_suite": per}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gate_cost")
    parser.add_argument("--equities", type=int, default=1500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF)
    parser.add_argument("--no-first-load", action="store_true", help="skip the first-load gate")
    parser.add_argument("--workdir", default="")
    args = parser.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gate-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    hist, new, prev_day = split_session(synth(args.equities, args.years, as_of), as_of)
    rows = {k: int(len(v)) for k, v in hist.items()}
    base, daily, rebuild = work / "base.duckdb", work / "daily.duckdb", work / "rebuild.duckdb"
    t1 = dt.datetime(2026, 1, 1, 12)
    load_history(base, hist, t1, {})
    con = _connect(base)
    try:
        from scout_pipeline.quality import ingest

        for name, frame in hist.items():  # what the ingest assets add on a first load
            ingest.set_aside_duplicates(con, "initial", name, frame, t1)
            ingest.log_ingest(con, "initial", name, t1, len(frame))
        build_marts(con, prev_day, incremental=True)
    finally:
        con.close()
    del hist
    shutil.copyfile(base, daily)
    con = _connect(daily)
    try:
        ingest_like_assets(con, "daily", new, dt.datetime(2026, 1, 2, 12), replace_all=False)
        build_marts(con, as_of, incremental=True)
    finally:
        con.close()
    del new

    from scout_pipeline.quality import gx_engine

    started = time.perf_counter()
    gx_engine.context()
    report: dict = {"equities": args.equities, "years": args.years, "repeats": args.repeats,
                    "history_rows": rows, "gx_import_and_context_s": round(time.perf_counter() - started, 3)}
    gates, rebuilds = [], []
    for i in range(args.repeats):
        shutil.copyfile(daily, rebuild)  # untimed: the rebuild must not touch the daily state

        def one_rebuild():
            started = time.perf_counter()
            c = _connect(rebuild)
            try:
                build_marts(c, as_of)
            finally:
                c.close()
            rebuilds.append(time.perf_counter() - started)

        order = [lambda: gates.append(_gate(daily, "daily", as_of)), one_rebuild]
        for step in (order if i % 2 == 0 else order[::-1]):
            step()
    report["full_rebuild_s"] = round(statistics.median(rebuilds), 3)
    report["gate_daily"] = _summary(gates)
    report["gate_daily_over_rebuild"] = round(report["gate_daily"]["seconds"] / report["full_rebuild_s"], 3)
    if not args.no_first_load:
        report["gate_first_load"] = _summary([_gate(base, "initial", prev_day)])
    print(json.dumps(report, indent=1))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
