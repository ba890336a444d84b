"""First load and daily upsert, variants side by side (``python -m benchmarks.load_cost``).

A sample market of N equities x Y years (benchmarks.scenarios.synth) is split into its
history and one new session. Then, `repeats` times and interleaved so every variant sees the
same machine:

- ``load``: ``store.upsert`` of every dataset's history into an empty file, closed (=
  checkpointed) inside the timing, as the harness's raw load (scenarios.load_history);
- ``load+ingest``: the same plus what the ingest assets add around each upsert (duplicate
  set-aside, ingest stamp), as a first pipeline run does;
- ``baseline``: the first load with the store module and schema of another git revision
  (``--baseline REV``, e.g. the commit before the raw tables lost their primary keys);
- ``daily``: the new session's prices (one bar per series) upserted into a copy of the
  loaded history, for the current store and the baseline.

Once each: the whole price history delivered again as a full snapshot (``replace_all``, no
change), and ``store.drop_raw_keys`` on a store loaded with the baseline's keys.

Also once: the parts of a load (conforming to Arrow alone, the insert alone, close).
Prints rows/s, wall and CPU seconds and the peak RSS (VmHWM, reset before each variant; the
source frames' RSS is printed too, since the peak includes them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.scenarios import DEFAULT_AS_OF, _connect, split_session, synth

ROOT = Path(__file__).resolve().parents[1]
T1, T2 = dt.datetime(2026, 1, 1, 12), dt.datetime(2026, 1, 2, 12)


def baseline_store(rev: str, folder: Path):
    """scout_pipeline/store.py and schema.sql as of `rev`, imported as a module of their own."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("store.py", "schema.sql"):
        text = subprocess.run(["git", "show", f"{rev}:scout_pipeline/{name}"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        (folder / name).write_text(text)
    spec = importlib.util.spec_from_file_location("scout_store_baseline", folder / "store.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def first_load(store, path: Path, frames: dict, ingest: bool = False) -> int:
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    con = _connect(path)
    con.execute(store.SCHEMA_SQL.read_text())
    written = 0
    try:
        for name, frame in frames.items():
            if ingest:
                from scout_pipeline.quality import ingest as ingest_mod

                frame = ingest_mod.set_aside_duplicates(con, "initial", name, frame, T1)
            rows = store.upsert(con, name, frame, T1)
            if ingest:
                ingest_mod.log_ingest(con, "initial", name, T1, rows)
            written += rows
    finally:
        con.close()
    return written


def daily(store, base: Path, copy: Path, prices) -> dict:
    """The new session's prices upserted into a copy of the loaded history: seconds of the
    upsert (its transaction committed) and of the close (checkpoint) after it."""
    shutil.copyfile(base, copy)
    con = _connect(copy)
    try:
        started = time.perf_counter()
        store.upsert(con, "prices", prices, T2)
        upserted = time.perf_counter()
    finally:
        con.close()
    return {"upsert_s": upserted - started, "close_s": time.perf_counter() - upserted}


def redeliver(store, base: Path, copy: Path, prices) -> dict:
    """The whole price history delivered again as a full snapshot (`replace_all`, as a complete
    source's run does) into a copy of the loaded history: nothing changed, nothing written."""
    shutil.copyfile(base, copy)
    con = _connect(copy)
    try:
        started = time.perf_counter()
        written = store.upsert(con, "prices", prices, T2, replace_all=True)
        return {"upsert_s": time.perf_counter() - started, "written": written}
    finally:
        con.close()


def migrate(store, keyed: Path, copy: Path) -> float:
    """Seconds `store.drop_raw_keys` takes on a copy of a store loaded with primary keys."""
    shutil.copyfile(keyed, copy)
    con = _connect(copy)
    try:
        started = time.perf_counter()
        store.drop_raw_keys(con)
        return time.perf_counter() - started
    finally:
        con.close()


def timed(fn) -> dict:
    harness.reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "peak_mib": harness.peak_mib(),
            **(out if isinstance(out, dict) else {})}


def parts(store, path: Path, frames: dict) -> dict:
    """Where one load's time goes: Arrow conversion alone, then the inserts of already
    converted batches, then close (the checkpoint)."""
    out = {}
    started = time.perf_counter()
    batches = {name: list(store.conformed_batches(name, frame)) for name, frame in frames.items()}
    out["conform_to_arrow_s"] = round(time.perf_counter() - started, 3)
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    con = _connect(path)
    con.execute(store.SCHEMA_SQL.read_text())
    key_check = 0.0
    started = time.perf_counter()
    for name, tables in batches.items():
        key, values = store.RAW_TABLES[name]
        cols = ", ".join(key + values + ([] if "source" in key else ["source"]) + ["loaded_at"])
        for batch in tables:
            con.register("scout_batch", batch)
            con.execute(f"INSERT INTO raw.{name} ({cols}) SELECT *, ? FROM scout_batch", [T1])
            con.unregister("scout_batch")
    out["insert_s"] = round(time.perf_counter() - started, 3)
    if hasattr(store, "KeyOrder"):
        started = time.perf_counter()
        for name, tables in batches.items():
            order = store.KeyOrder(store.RAW_TABLES[name][0])
            for batch in tables:
                order.feed(batch)
        key_check = time.perf_counter() - started
        out["key_order_check_s"] = round(key_check, 3)
    started = time.perf_counter()
    con.close()
    out["close_s"] = round(time.perf_counter() - started, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_cost")
    parser.add_argument("--equities", type=int, default=1500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", default="", help="git revision whose store.py/schema.sql to compare with")
    parser.add_argument("--as-of", default=DEFAULT_AS_OF)
    parser.add_argument("--workdir", default="")
    args = parser.parse_args(argv)
    from scout_pipeline import store

    work = Path(args.workdir or tempfile.mkdtemp(prefix="load-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    hist, new, _ = split_session(synth(args.equities, args.years, dt.date.fromisoformat(args.as_of)),
                                 dt.date.fromisoformat(args.as_of))
    rows = sum(len(f) for f in hist.values())
    load_start = [round(x, 2) for x in os.getloadavg()]  # a shared machine: say how busy it was
    frames_mib = (harness._status_kib("VmRSS") or 0) / 1024  # RSS holding the source frames
    variants = {"load": lambda: first_load(store, work / "load.duckdb", hist),
                "load+ingest": lambda: first_load(store, work / "ingest.duckdb", hist, ingest=True)}
    old = baseline_store(args.baseline, work / "baseline") if args.baseline else None
    if old is not None:
        variants["baseline load"] = lambda: first_load(old, work / "baseline.duckdb", hist)
    samples: dict[str, list[dict]] = {}
    for round_ in range(args.repeats):
        names = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for name in names:
            samples.setdefault(name, []).append(timed(variants[name]))
        samples.setdefault("daily", []).append(
            timed(lambda: daily(store, work / "load.duckdb", work / "daily.duckdb", new["prices"])))
        if old is not None:
            samples.setdefault("baseline daily", []).append(
                timed(lambda: daily(old, work / "baseline.duckdb", work / "daily.duckdb", new["prices"])))
    report: dict = {"equities": args.equities, "years": args.years, "repeats": args.repeats,
                    "rows": {k: int(len(v)) for k, v in hist.items()}, "rows_total": int(rows),
                    "new_price_rows": int(len(new["prices"])), "frames_rss_mib": round(frames_mib),
                    "baseline": args.baseline or None}
    for name, runs in samples.items():
        wall = statistics.median(r["wall"] for r in runs)
        entry = {"wall_s": round(wall, 3), "cpu_s": round(statistics.median(r["cpu"] for r in runs), 3),
                 "peak_mib": round(max(r["peak_mib"] for r in runs)), "walls": [round(r["wall"], 3) for r in runs]}
        if "daily" not in name:
            entry["rows_per_s_M"] = round(rows / wall / 1e6, 3)
        else:
            for part in ("upsert_s", "close_s"):
                entry[part] = round(statistics.median(r[part] for r in runs), 3)
        report[name] = entry
    report["parts"] = parts(store, work / "parts.duckdb", hist)
    report["redeliver_history"] = {k: round(v, 3) for k, v in timed(
        lambda: redeliver(store, work / "load.duckdb", work / "daily.duckdb", hist["prices"])).items()}
    if old is not None:
        report["baseline redeliver_history"] = {k: round(v, 3) for k, v in timed(
            lambda: redeliver(old, work / "baseline.duckdb", work / "daily.duckdb", hist["prices"])).items()}
    if old is not None:  # a store loaded with the baseline's keys, rebuilt without them once
        report["drop_raw_keys_s"] = round(migrate(store, work / "baseline.duckdb", work / "migrated.duckdb"), 3)
    report["load_average_start_end"] = [load_start, [round(x, 2) for x in os.getloadavg()]]
    print(json.dumps(report, indent=1))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
