"""Incremental vs full mart build, side by side (``python -m benchmarks.incremental_cost``).

A sample market of N equities x Y years is loaded with its marts built for the previous
session; then, `repeats` times and interleaved so both see the same machine: one new
session is ingested on a fresh copy and the marts are built the way a daily run builds
them (incremental), and the same state is rebuilt whole (``full_refresh``). Reports the
medians of wall and CPU seconds per mart and in total, and the ratio. Reuses the
harness's data and load helpers (benchmarks/scenarios.py) without changing them.
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

from benchmarks.scenarios import DEFAULT_AS_OF, _connect, ingest_like_assets, load_history, split_session, synth


def _build(con, as_of: dt.date, full: bool) -> dict[str, tuple[float, float]]:
    """(wall, cpu) seconds per model for one build of every model."""
    from scout_pipeline import build, params

    run = {**params.resolve({}), "as_of": as_of, **({"full_refresh": True} if full else {"incremental": True})}
    spent = {}
    for model in build.ordered():
        wall, cpu = time.perf_counter(), time.process_time()
        build.build_model(con, model, run)
        spent[model.table] = (time.perf_counter() - wall, time.process_time() - cpu)
    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.incremental_cost")
    parser.add_argument("--equities", type=int, default=3000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--as-of", default=DEFAULT_AS_OF)
    parser.add_argument("--workdir", default="")
    args = parser.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="incr-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    hist, new, prev_day = split_session(synth(args.equities, args.years, as_of), as_of)
    base, copy = work / "base.duckdb", work / "daily.duckdb"
    load_history(base, hist, dt.datetime(2026, 1, 1, 12), {})
    con = _connect(base)
    _build(con, prev_day, full=True)
    con.close()
    runs: dict[str, list] = {"incremental": [], "full": []}
    for _ in range(args.repeats):
        shutil.copyfile(base, copy)
        con = _connect(copy)
        try:
            ingest_like_assets(con, "daily", new, dt.datetime(2026, 1, 2, 12), replace_all=False)
            runs["incremental"].append(_build(con, as_of, full=False))
            runs["full"].append(_build(con, as_of, full=True))  # the same state, rebuilt whole
        finally:
            con.close()
    report: dict = {"equities": args.equities, "years": args.years, "repeats": args.repeats,
                    "price_rows": int(len(hist["prices"]))}
    for kind, samples in runs.items():
        marts = [t for t in samples[0] if t.startswith("marts.")]
        report[kind] = {
            "wall_s": round(statistics.median(sum(s[t][0] for t in s) for s in samples), 3),
            "cpu_s": round(statistics.median(sum(s[t][1] for t in s) for s in samples), 3),
            "marts_cpu_s": {t: round(statistics.median(s[t][1] for s in samples), 3) for t in marts},
        }
    report["ratio_wall"] = round(report["incremental"]["wall_s"] / report["full"]["wall_s"], 3)
    report["ratio_cpu"] = round(report["incremental"]["cpu_s"] / report["full"]["cpu_s"], 3)
    print(json.dumps(report, indent=1))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
