"""The measured scenarios. Each runs in its own process (``python -m benchmarks.scenarios
'<json task>'``, started by :func:`benchmarks.harness.run_worker`) and writes a JSON result.

Tasks
- ``size``: one market size (N equities x `years` of NYSE sessions from the sample
  generator). Measures, in this order and each as the median of `repeats` runs:
  raw load, the incremental daily run, a full rebuild of every mart, the quality gate
  (daily, and once over a full first load), publish, and, interleaved in the same loop so
  the ratio is side by side, the full rebuild / the streak + breakout marts alone / the
  pandas reference on the same data; then checks that the reference agrees with the marts.
- ``mem``: one of those phases again, alone in a fresh process, for its peak RSS (the
  ``size`` task spawns these when asked; ``baseline`` = interpreter and imports only).
- ``scaling``: full rebuilds and incremental daily runs of every size's stored warehouse,
  round robin in one process, so the time ratios between sizes are measured side by side.
- ``e2e``: ``scout run`` through Dagster (``mode='dagster'``, via ``scout_pipeline.cli``)
  or the same work as plain function calls with no Dagster (``mode='plain'``), each on a
  fresh warehouse (the Dagster instance is kept across repeats, as a user's is). The
  difference of the two is the orchestration overhead.

Definitions (BENCHMARKS.md repeats them):
- raw load: ``store.upsert`` of every dataset's 10-year history into an empty warehouse
  file (one connection, closed = checkpointed), rows/s over all rows written.
- incremental daily run: on a copy of the stored 10-year history with its marts built for
  the previous session, ingest one new session (the rows dated after it: one price bar per
  series, that day's fundamentals snapshot, attention and rates; universe and pairs as the
  full lists) the way the ingest assets do (duplicate set-aside, upsert, ingest stamp),
  then rebuild every staging view and mart for the new as-of day.
- full rebuild: every staging view and mart built for the as-of day from the stored
  history (``build_model`` over ``build.ordered()``, as ``build_all``), connection
  opened and closed inside the timing like a Dagster step.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.harness import Phase, measure

DEFAULT_AS_OF = "2026-05-08"  # a Friday session; fixed so figures are reproducible
DATED = {"prices": "date", "fundamentals": "as_of", "attention": "date", "rates": "date"}
PAIR_MARTS = {"marts.relative_strength_streaks", "marts.cooling_breakouts"}
# the marts the pandas and polars references reproduce (pandas_reference.REFERENCE_MARTS)
REFERENCE_MARTS = {"marts.relative_strength_streaks", "marts.cooling_breakouts", "marts.market_breadth",
                   "marts.valuation_gap", "marts.quality_leaders", "marts.streak_outcomes",
                   "marts.streak_outcome_summary"}


# --------------------------------------------------------------------------- data

def split_tickers(n_equities: int) -> tuple[int, int]:
    """(n_small, n_large) for load_sample so the market has `n_equities` equities (60% small
    caps); the 8 watchlist names are part of the count, the 9 index/ETF series are extra."""
    from scout_pipeline.sources.sample import WATCHLIST_LARGE, WATCHLIST_SMALL

    n_small = round(0.6 * n_equities) - len(WATCHLIST_SMALL)
    n_large = n_equities - n_small - len(WATCHLIST_SMALL) - len(WATCHLIST_LARGE)
    return max(n_small, 10), max(n_large, 5)


def synth(n_equities: int, years: int, as_of: dt.date, seed: int = 7):
    from scout_pipeline.sources.sample import load_sample

    n_small, n_large = split_tickers(n_equities)
    return load_sample(as_of, years=years, n_small=n_small, n_large=n_large, seed=seed)


def split_session(data, new_day: dt.date):
    """(history, new session) frames: dated rows up to the previous session vs after it;
    universe and pairs are full lists in both (as every source delivers them)."""
    import pandas as pd

    from scout_pipeline.calendar import previous_session

    prev = pd.Timestamp(previous_session(new_day - dt.timedelta(days=1)))
    hist, new = {}, {}
    for name, frame in data.frames.items():
        if frame is None:
            continue
        if name in DATED:
            mask = (frame[DATED[name]] <= prev).to_numpy()
            hist[name], new[name] = frame[mask], frame[~mask]
        else:
            hist[name], new[name] = frame, frame
    return hist, new, prev.date()


def sql_params(as_of: dt.date) -> dict:
    from scout_pipeline import params

    return {**params.resolve({}), "as_of": as_of}


# --------------------------------------------------------------------------- steps

def _connect(path: Path):
    import duckdb

    return duckdb.connect(str(path))


def load_history(path: Path, frames: dict, loaded_at: dt.datetime, timings: dict) -> int:
    """Raw load: every dataset upserted into a fresh warehouse file. Returns rows written."""
    from scout_pipeline import store

    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    con = _connect(path)
    con.execute(store.SCHEMA_SQL.read_text())
    written = 0
    try:
        for name, frame in frames.items():
            started = time.perf_counter()
            written += store.upsert(con, name, frame, loaded_at)
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
    finally:
        started = time.perf_counter()
        con.close()
        timings["close"] = timings.get("close", 0.0) + time.perf_counter() - started
    return written


def ingest_like_assets(con, run_id: str, frames: dict, loaded_at: dt.datetime, replace_all: bool) -> int:
    """What each ingest asset does with its frame: set duplicates aside, upsert, stamp."""
    from scout_pipeline import store
    from scout_pipeline.quality import ingest

    written = 0
    for name, frame in frames.items():
        frame = ingest.set_aside_duplicates(con, run_id, name, frame, loaded_at)
        rows = store.upsert(con, name, frame, loaded_at,
                            replace_all=replace_all or name in ("universe", "pairs"))
        ingest.log_ingest(con, run_id, name, loaded_at, rows)
        written += rows
    return written


def build_marts(con, as_of: dt.date, only: set[str] | None = None, per_model: dict | None = None,
                incremental: bool = False) -> None:
    """build_all, with a timer per model. `incremental` builds as a daily run does (the
    incremental marts only from the first day that changed, scout_pipeline/incremental.py)."""
    from scout_pipeline import build

    params = sql_params(as_of)
    if incremental:
        params["incremental"] = True
    for model in build.ordered():
        if only is None or model.table in only or model.layer == "staging":
            started = time.perf_counter()
            build.build_model(con, model, params)
            if per_model is not None:
                per_model.setdefault(model.table, []).append(time.perf_counter() - started)


def gate_tables() -> list[tuple[str, str]]:
    from scout_pipeline.sources.contracts import RAW_TABLES
    from scout_pipeline.sql_files import load_models

    return [("raw", t) for t in RAW_TABLES] + [(m.layer, m.name) for m in load_models() if m.layer == "marts"]


def run_gate(path: Path, run_id: str, as_of: dt.date, per_suite: dict | None = None,
             quarantine: Path | None = None) -> dict:
    """Every raw table's and mart's suite, as the Dagster checks run them."""
    from scout_pipeline import params, quality
    from scout_pipeline.quality.runner import RunContext

    run = RunContext(run_id=run_id, as_of=as_of, params={**params.resolve({}), "as_of": as_of},
                     quarantine_dir=quarantine)
    con = _connect(path)
    summary = {"blocking": [], "warnings": [], "rows_checked": 0}
    try:
        for schema, table in gate_tables():
            started = time.perf_counter()
            outcome = quality.run_suite(con, schema, table, run)
            if per_suite is not None:
                per_suite.setdefault(f"{schema}.{table}", []).append(time.perf_counter() - started)
            summary["rows_checked"] += sum(outcome.rows_checked.values())
            for f in outcome.failures:
                (summary["blocking"] if f.blocking else summary["warnings"]).append(
                    f"{schema}.{table}: {f.expectation} ({f.unexpected_count})")
    finally:
        con.close()
    return summary


def publish_copy(source_db: Path, root: Path, run_id: str) -> None:
    """Untimed setup for publish: a warehouse whose run `run_id` has `source_db` as its work copy."""
    from scout_pipeline.store import Warehouse

    shutil.rmtree(root, ignore_errors=True)
    wh = Warehouse.at(root)
    work = wh.work_path(run_id)
    work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_db, work)


def publish(root: Path, run_id: str, as_of: dt.date) -> dict:
    from scout_pipeline import store
    from scout_pipeline.sql_files import load_models

    marts = [m for m in load_models() if m.layer == "marts"]
    return store.publish(store.Warehouse.at(root), run_id, [(m.layer, m.name) for m in marts],
                         {(m.layer, m.name): m.comments() for m in marts},
                         info={"as_of": as_of.isoformat(), "source": "sample", "published_at": "benchmark"})


# the staging views the references start from (what a notebook user would load)
REFERENCE_INPUTS = {
    "prices": "SELECT ticker, date, close, adj_close, volume FROM staging.stg_prices",
    "pairs": "SELECT * FROM staging.stg_pairs",
    "universe": "SELECT ticker, name, asset_type, segments, sector FROM staging.stg_universe",
    "attention": "SELECT source, ticker, date, value FROM staging.stg_attention",
    "fundamentals": "SELECT ticker, as_of, market_cap, shares_outstanding, forward_eps, forward_pe, profitable, "
                    "profit_margin, earnings_growth, debt_to_equity, total_cash, total_debt, sector "
                    "FROM staging.stg_fundamentals",
}


def fetch_frames(path: Path) -> dict:
    """The staging views as DataFrames: what a notebook user would start from."""
    con = _connect(path)
    try:
        return {name: con.execute(sql).df() for name, sql in REFERENCE_INPUTS.items()}
    finally:
        con.close()


def fetch_polars_frames(path: Path) -> dict | None:
    """The same staging views as polars DataFrames; None when polars is not installed."""
    try:
        import polars  # noqa: F401
    except ImportError:
        return None
    con = _connect(path)
    try:
        return {name: con.sql(sql).pl() for name, sql in REFERENCE_INPUTS.items()}
    finally:
        con.close()


def mart_frames(path: Path) -> dict:
    """The SQL marts the references reproduce, by name (pandas_reference.REFERENCE_MARTS)."""
    from benchmarks.pandas_reference import REFERENCE_MARTS as MARTS

    con = _connect(path)
    try:
        return {mart: con.execute(f"SELECT * FROM marts.{mart}").df() for mart in MARTS}
    finally:
        con.close()


def _medians(samples: dict[str, list[float]]) -> dict[str, float]:
    import statistics

    return {k: round(statistics.median(v), 4) for k, v in samples.items()}


def per_mart_ratios(per_mart: dict[str, dict[str, list[float]]]) -> dict:
    """Like for like, per mart the references cover: the SQL mart built alone (its model's
    time in a build of just those marts) vs each reference's function for it, medians."""
    sql = {k.removeprefix("marts."): v for k, v in _medians(per_mart["sql"]).items() if k.startswith("marts.")}
    out = {}
    for mart, seconds in sql.items():
        row = {"sql_s": seconds}
        for lib in ("pandas", "polars"):
            if per_mart[lib].get(mart):
                row[f"{lib}_s"] = _medians({mart: per_mart[lib][mart]})[mart]
                row[f"{lib}_over_sql"] = round(row[f"{lib}_s"] / seconds, 3) if seconds else None
        out[mart] = row
    return out


# --------------------------------------------------------------------------- size task

def size_task(task: dict) -> dict:
    from benchmarks import pandas_reference
    from scout_pipeline import params as params_mod
    from scout_pipeline.quality import gx_engine

    n, years, repeats = int(task["n"]), int(task["years"]), int(task["repeats"])
    as_of = dt.date.fromisoformat(task.get("as_of") or DEFAULT_AS_OF)
    work = Path(task["workdir"]) / f"n{n}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result: dict = {"kind": "size", "n": n, "years": years, "repeats": repeats, "phases": {}}
    phases = result["phases"]

    def keep(phase: Phase) -> Phase:
        phases[phase.name] = phase.as_dict()
        return phase

    # ---- data (the sample generator, scaled); not part of any pipeline figure
    harness.reset_peak()
    started = time.perf_counter()
    data = synth(n, years, as_of)
    keep(Phase("generate", [time.perf_counter() - started], harness.peak_mib()))
    hist, new, prev_day = split_session(data, as_of)
    new_day = as_of
    del data
    rows_hist = sum(len(f) for f in hist.values())
    result.update({
        "tickers": int(hist["prices"]["ticker"].nunique()), "equities": n,
        "sessions": int(hist["prices"]["date"].nunique()) + 1,
        "rows": {k: int(len(v)) for k, v in hist.items()}, "rows_total": int(rows_hist),
        "new_rows": {k: int(len(v)) for k, v in new.items()},
        "history_end": prev_day.isoformat(), "as_of": new_day.isoformat(),
    })

    if task.get("memory_workers"):
        import pickle

        with open(work / "hist.pkl", "wb") as fh:
            pickle.dump(hist, fh, protocol=pickle.HIGHEST_PROTOCOL)
        with open(work / "new.pkl", "wb") as fh:
            pickle.dump(new, fh, protocol=pickle.HIGHEST_PROTOCOL)

    # ---- raw load (the store's upsert of the whole history into an empty file)
    base = work / "base.duckdb"
    t1 = dt.datetime(2026, 1, 1, 12)
    per_dataset: dict[str, list[float]] = {}

    def one_load():
        timings: dict = {}
        rows = load_history(base, hist, t1, timings)
        for k, v in timings.items():
            per_dataset.setdefault(k, []).append(v)
        return rows

    load = keep(measure("raw_load", one_load, repeats, rows=rows_hist))
    result["raw_load_per_dataset"] = _medians(per_dataset)

    # duplicate set-aside + ingest stamps (what the ingest assets add around the upsert),
    # then the marts for the previous session: the stored state a daily run starts from
    con = _connect(base)
    try:
        from scout_pipeline.quality import ingest

        started = time.perf_counter()
        for name, frame in hist.items():
            ingest.set_aside_duplicates(con, "initial", name, frame, t1)
            ingest.log_ingest(con, "initial", name, t1, len(frame))
        result["ingest_extras_seconds"] = round(time.perf_counter() - started, 3)
        build_marts(con, prev_day, incremental=True)  # records what the next daily build starts from
    finally:
        con.close()
    del hist
    gc.collect()

    # ---- incremental daily run: one new session on top of the stored history
    inc = work / "daily.duckdb"
    t2 = dt.datetime(2026, 1, 2, 12)
    inc_parts: dict[str, list[float]] = {}

    def inc_setup():
        shutil.copyfile(base, inc)

    def one_daily():
        con = _connect(inc)
        try:
            started = time.perf_counter()
            rows = ingest_like_assets(con, "daily", new, t2, replace_all=False)
            loaded = time.perf_counter()
            build_marts(con, new_day, incremental=True)
        finally:
            con.close()
        inc_parts.setdefault("ingest_new_session", []).append(loaded - started)
        inc_parts.setdefault("rebuild_marts", []).append(time.perf_counter() - loaded)
        return rows

    # once here for the state the journal, gate and publish phases read; the timed runs are
    # interleaved with the full rebuild below, so the share compares runs seconds apart
    inc_setup()
    one_daily()
    inc_parts.clear()
    # the state a daily run leaves (its marts' `since` = the new session): what the daily gate
    # validates, here and in its memory pass; later phases rebuild `inc` whole
    daily_state = work / "daily-state.duckdb"
    shutil.copyfile(inc, daily_state)

    # ---- raw journal entry (publish): the daily run's changes against the store it started
    # from, and a first entry (the whole raw tables, as a new or upgraded warehouse writes)
    from scout_pipeline import journal
    from scout_pipeline.store import Warehouse

    jwh = Warehouse.at(work / "journal-wh")
    os.symlink(base, jwh.store)

    def journal_setup(first: bool):
        shutil.rmtree(jwh.journal_dir, ignore_errors=True)
        if not first:
            (jwh.journal_dir / "000001-previous").mkdir(parents=True)

    def one_journal():
        con = _connect(inc)  # the working copy after the daily run
        try:
            return sum(journal.record(con, jwh, "bench").values())
        finally:
            con.close()

    keep(measure("journal_daily", one_journal, repeats, setup=lambda: journal_setup(False)))
    keep(measure("journal_first", one_journal, repeats, setup=lambda: journal_setup(True),
                 rows=rows_hist))
    copy_started = time.perf_counter()
    shutil.copyfile(base, work / "copy-probe.duckdb")  # what prepare_work pays each run
    result["store_copy_seconds"] = round(time.perf_counter() - copy_started, 3)
    result["store_mib"] = round(base.stat().st_size / harness.MiB, 1)
    (work / "copy-probe.duckdb").unlink()

    # ---- full rebuild, alone first (peak memory without anything else resident)
    def one_rebuild(per_model=None, only=None):
        con = _connect(inc)
        try:
            build_marts(con, new_day, only=only, per_model=per_model)
        finally:
            con.close()

    rebuild_mem = measure("full_rebuild_memory_pass", one_rebuild, 1)
    keep(rebuild_mem)

    # ---- the quality gate: daily (the new session's rows + every mart) and a first load
    started = time.perf_counter()
    gx_engine.context()  # GX import + context: once per process, reported on its own
    result["gx_import_seconds"] = round(time.perf_counter() - started, 3)
    per_suite: dict[str, list[float]] = {}
    gate_summary: dict = {}

    def one_gate():
        gate_summary.update(run_gate(daily_state, "daily", new_day, per_suite))

    keep(measure("gate_daily", one_gate, repeats))
    result["gate_daily_per_suite"] = _medians(per_suite)
    result["gate_daily_summary"] = dict(gate_summary)
    if task.get("full_gate", True):
        per_suite_full: dict[str, list[float]] = {}
        full_summary: dict = {}

        def one_full_gate():
            full_summary.update(run_gate(base, "initial", prev_day, per_suite_full))

        keep(measure("gate_first_load", one_full_gate, 1))
        result["gate_first_load_per_suite"] = _medians(per_suite_full)
        result["gate_first_load_summary"] = dict(full_summary)

    # ---- publish (the marts into a fresh BI file + Parquet, swap, promote the store)
    pub_root = work / "wh"
    keep(measure("publish", lambda: publish(pub_root, "bench", new_day), repeats,
                 setup=lambda: publish_copy(inc, pub_root, "bench")))
    shutil.rmtree(pub_root, ignore_errors=True)

    # ---- side by side, interleaved: the incremental daily run and the full rebuild
    # (alternating which goes first), the two marts alone, the pandas and polars references
    started = time.perf_counter()
    frames = fetch_frames(inc)
    result["pandas_fetch_seconds"] = round(time.perf_counter() - started, 3)
    pl_frames = fetch_polars_frames(inc)
    if pl_frames is None:
        result["polars_reference"] = "skipped: polars is not installed (pip install -e .[bench])"
    p = params_mod.resolve({})
    per_model: dict[str, list[float]] = {}
    daily = Phase("incremental_daily", rows=sum(len(f) for f in new.values()))
    full, pair, ref = Phase("full_rebuild"), Phase("sql_reference_marts"), Phase("pandas_reference")
    per_mart: dict[str, dict[str, list[float]]] = {"sql": {}, "pandas": {}, "polars": {}}
    pol = Phase("polars_reference")
    gate_side = Phase("gate_daily_side_by_side")
    ref_out = pol_out = None
    share_pairs, gate_pairs = [], []
    for i in range(repeats):
        order = [(daily, one_daily), (full, lambda: one_rebuild(per_model=per_model))]
        if i % 2:
            order.reverse()
        order += [(pair, lambda: one_rebuild(only=REFERENCE_MARTS, per_model=per_mart["sql"])),
                  (ref, lambda: pandas_reference.run(frames["prices"], frames["pairs"], frames["universe"],
                                                     frames["attention"], new_day, p, frames["fundamentals"],
                                                     per_mart["pandas"]))]
        if pl_frames is not None:
            from benchmarks import polars_reference

            order.append((pol, lambda: polars_reference.run(pl_frames["prices"], pl_frames["pairs"],
                                                            pl_frames["universe"], pl_frames["attention"],
                                                            new_day, p, pl_frames["fundamentals"],
                                                            per_mart["polars"])))
        for phase, fn in order:
            if phase is daily:
                inc_setup()  # the stored state before the new session (untimed copy)
            harness.reset_peak()
            started = time.perf_counter()
            out = fn()
            phase.seconds.append(time.perf_counter() - started)
            phase.peak_mib = max(phase.peak_mib, harness.peak_mib())
            if phase is ref:
                ref_out = out
            elif phase is pol:
                pol_out = out
            elif phase is daily:  # the daily gate on the state this daily run left, right after it
                harness.reset_peak()
                started = time.perf_counter()
                run_gate(inc, "daily", new_day)  # the state this daily run just left
                gate_side.seconds.append(time.perf_counter() - started)
                gate_side.peak_mib = max(gate_side.peak_mib, harness.peak_mib())
        share_pairs.append(daily.seconds[-1] / full.seconds[-1])
        gate_pairs.append(gate_side.seconds[-1] / full.seconds[-1])
    keep(daily)
    result["incremental_parts"] = _medians(inc_parts)
    result["incremental_share_per_round"] = [round(x, 3) for x in share_pairs]
    keep(gate_side)
    result["gate_share_per_round"] = [round(x, 3) for x in gate_pairs]
    if pol.seconds:
        keep(pol)
    full.peak_mib = rebuild_mem.peak_mib  # measured alone, without the pandas frames resident
    for phase in (full, pair, ref):
        keep(phase)
    result["rebuild_per_model"] = _medians(per_model)

    # ---- do the marts and the reference agree?
    sql = mart_frames(inc)
    marts = pandas_reference.REFERENCE_MARTS

    def agreement(out):
        return pandas_reference.compare(sql[marts[0]], out[0], sql[marts[1]], out[1],
                                        {m: (sql[m], out[i]) for i, m in enumerate(marts) if i >= 2})

    result["agreement"] = agreement(ref_out)
    result["per_mart"] = per_mart_ratios(per_mart)
    result["ratios"] = {
        "pandas_over_full_rebuild": round(ref.median / full.median, 3),
        "pandas_over_sql_same_marts": round(ref.median / pair.median, 3),
        "incremental_over_full_rebuild": round(daily.median / full.median, 3),
        "gate_daily_over_full_rebuild": round(gate_side.median / full.median, 3),
    }
    if pol_out is not None:
        result["polars_agreement"] = agreement([f.to_pandas() for f in pol_out])
        result["ratios"]["polars_over_full_rebuild"] = round(pol.median / full.median, 3)
        result["ratios"]["polars_over_sql_same_marts"] = round(pol.median / pair.median, 3)
    del frames, ref_out, pl_frames, pol_out
    result["raw_load_rows_per_s"] = round(rows_hist / load.median) if load.median else None
    result["raw_load_prices_rows_per_s"] = round(result["rows"]["prices"] / result["raw_load_per_dataset"]["prices"])
    if task.get("memory_workers"):
        result["memory"] = memory_workers(work, n, prev_day, new_day, task.get("full_gate", True))
    if task.get("keep_db"):  # for the side-by-side scaling task: the daily run's state, the
        # stored state before it and the new session's frames (its daily runs repeat this one's)
        import pickle

        keep_db = Path(task["keep_db"])
        keep_db.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(inc, keep_db)
        shutil.move(base, keep_db.with_suffix(".base.duckdb"))
        with open(keep_db.with_suffix(".new.pkl"), "wb") as fh:
            pickle.dump(new, fh, protocol=pickle.HIGHEST_PROTOCOL)
    shutil.rmtree(work, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- scaling task

def scaling_task(task: dict) -> dict:
    """Every size's full rebuild and incremental daily run, round robin in one process, so
    the time ratios between sizes are measured side by side under the same machine load.
    A daily run starts from an (untimed) copy of the size's stored state before the new
    session and does what the size task's daily run does: ingest it, build incrementally."""
    import pickle
    import statistics

    dbs = {int(n): Path(p) for n, p in task["dbs"].items()}
    as_of = dt.date.fromisoformat(task["as_of"])
    new = {}
    for n, path in dbs.items():
        with open(path.with_suffix(".new.pkl"), "rb") as fh:
            new[n] = pickle.load(fh)
    samples: dict[int, list[float]] = {n: [] for n in dbs}
    daily: dict[int, list[float]] = {n: [] for n in dbs}
    for _ in range(int(task["repeats"])):
        for n in sorted(dbs):
            started = time.perf_counter()
            con = _connect(dbs[n])
            try:
                build_marts(con, as_of)
            finally:
                con.close()
            samples[n].append(time.perf_counter() - started)
            copy = dbs[n].with_suffix(".daily.duckdb")
            shutil.copyfile(dbs[n].with_suffix(".base.duckdb"), copy)
            started = time.perf_counter()
            con = _connect(copy)
            try:
                ingest_like_assets(con, "daily", new[n], dt.datetime(2026, 1, 2, 12), replace_all=False)
                build_marts(con, as_of, incremental=True)
            finally:
                con.close()
            daily[n].append(time.perf_counter() - started)
            copy.unlink()

    return {"kind": "scaling", "seconds": {n: [round(x, 4) for x in v] for n, v in samples.items()},
            "median": {n: round(statistics.median(v), 4) for n, v in samples.items()},
            "daily_seconds": {n: [round(x, 4) for x in v] for n, v in daily.items()},
            "daily_median": {n: round(statistics.median(v), 4) for n, v in daily.items()}}


# --------------------------------------------------------------------------- memory task

MEMORY_PHASES = ("baseline", "raw_load", "incremental_daily", "full_rebuild", "gate_daily",
                 "gate_first_load", "publish", "pandas_reference")


def memory_workers(work: Path, n: int, prev_day: dt.date, new_day: dt.date, full_gate: bool) -> dict:
    """Each phase once more in a fresh process: its peak RSS is the process's own (wait4),
    with nothing left over from another phase. `baseline` = interpreter + imports only."""
    out = {}
    for phase in MEMORY_PHASES:
        if phase == "gate_first_load" and not full_gate:
            continue
        res = harness.run_worker({"kind": "mem", "phase": phase, "work": str(work), "n": n,
                                  "prev_day": prev_day.isoformat(), "new_day": new_day.isoformat()})
        out[phase] = {"max_rss_mib": res.peak_mib, "wall_s": round(res.wall, 2),
                      **res.payload, **({"stderr": res.stderr} if res.returncode else {})}
    return out


def memory_task(task: dict) -> dict:
    """One phase on copies of the size task's files; the parent reads our peak RSS."""
    import pickle

    phase, work = task["phase"], Path(task["work"])
    prev_day, new_day = dt.date.fromisoformat(task["prev_day"]), dt.date.fromisoformat(task["new_day"])
    scratch = work / f"mem-{phase}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    import duckdb  # noqa: F401  (the imports every phase has, in the baseline too)
    import pandas  # noqa: F401

    from scout_pipeline import build, store  # noqa: F401
    from scout_pipeline.quality import runner  # noqa: F401

    out: dict = {"phase": phase}
    started = time.perf_counter()
    if phase == "raw_load":
        with open(work / "hist.pkl", "rb") as fh:
            hist = pickle.load(fh)
        out["rss_with_frames_mib"] = round(harness.rss_mib(), 1)
        started = time.perf_counter()
        load_history(scratch / "load.duckdb", hist, dt.datetime(2026, 1, 1, 12), {})
    elif phase == "incremental_daily":
        with open(work / "new.pkl", "rb") as fh:
            new = pickle.load(fh)
        db = scratch / "daily.duckdb"
        shutil.copyfile(work / "base.duckdb", db)
        started = time.perf_counter()
        con = _connect(db)
        try:
            ingest_like_assets(con, "daily", new, dt.datetime(2026, 1, 2, 12), replace_all=False)
            build_marts(con, new_day, incremental=True)
        finally:
            con.close()
    elif phase == "full_rebuild":
        db = scratch / "daily.duckdb"
        shutil.copyfile(work / "daily.duckdb", db)
        started = time.perf_counter()
        con = _connect(db)
        try:
            build_marts(con, new_day)
        finally:
            con.close()
    elif phase in ("gate_daily", "gate_first_load"):
        daily = phase == "gate_daily"
        db = scratch / "gate.duckdb"
        shutil.copyfile(work / ("daily-state.duckdb" if daily else "base.duckdb"), db)
        from scout_pipeline.quality import gx_engine

        gx_engine.context()
        out["rss_after_gx_import_mib"] = round(harness.rss_mib(), 1)
        started = time.perf_counter()
        run_gate(db, "daily" if daily else "initial", new_day if daily else prev_day)
    elif phase == "publish":
        publish_copy(work / "daily.duckdb", scratch / "wh", "bench")
        started = time.perf_counter()
        publish(scratch / "wh", "bench", new_day)
    elif phase == "pandas_reference":
        from benchmarks import pandas_reference
        from scout_pipeline import params as params_mod

        frames = fetch_frames(work / "daily.duckdb")
        out["rss_with_frames_mib"] = round(harness.rss_mib(), 1)
        started = time.perf_counter()
        pandas_reference.run(frames["prices"], frames["pairs"], frames["universe"], frames["attention"],
                             new_day, params_mod.resolve({}), frames["fundamentals"])
    out["seconds"] = round(time.perf_counter() - started, 3)
    shutil.rmtree(scratch, ignore_errors=True)
    return out


# --------------------------------------------------------------------------- end to end

def _mirror_ingest(wh, run_id: str, data, dataset: str) -> None:
    """The body of defs/ingest/assets.py::_ingest, without Dagster."""
    from scout_pipeline import quality, store
    import scout_pipeline.quality.ingest  # noqa: F401

    frame = data.get(dataset)
    quality.warm_up()
    loaded_at = dt.datetime.now(dt.timezone.utc)
    with wh.connect(run_id) as con:
        if frame is None:
            if data.complete:
                con.execute(f"DELETE FROM raw.{dataset}")
            written = 0
        else:
            frame = quality.ingest.set_aside_duplicates(con, run_id, dataset, frame, loaded_at)
            written = store.upsert(con, dataset, frame, loaded_at,
                                   replace_all=data.complete or dataset in ("universe", "pairs"))
        quality.ingest.log_ingest(con, run_id, dataset, loaded_at, written)
        total = con.execute(f"SELECT count(*) FROM raw.{dataset}").fetchone()[0]
        if dataset in DATED and total:
            col = DATED[dataset]
            con.execute(f"SELECT min({col}), max({col}) FROM raw.{dataset}").fetchone()


def _mirror_check(con, run_id: str, as_of: dt.date, schema: str, table: str, wh) -> None:
    from scout_pipeline import params, quality

    run = quality.RunContext(run_id=run_id, as_of=as_of, params={**params.resolve({}), "as_of": as_of},
                             quarantine_dir=wh.root / "quarantine")
    outcome = quality.run_suite(con, schema, table, run)
    if outcome.blocking:
        raise RuntimeError(f"blocking check failed: {outcome.summary()}")


def plain_run(source: str, as_of: dt.date, warehouse: Path, timings: dict) -> None:
    """`scout run`'s work as plain calls: source, ingest + raw checks, SQL + mart checks,
    publish, brief. Same connections per step as the assets, no Dagster."""
    import uuid

    from scout_pipeline import brief, build, journal, store
    from scout_pipeline.sources import load_source
    from scout_pipeline.sources.contracts import RAW_TABLES
    from scout_pipeline.sql_files import load_models
    from scout_pipeline.store import Warehouse

    wh = Warehouse.at(warehouse)
    run_id = str(uuid.uuid4())
    params = sql_params(as_of)
    with harness.timed(timings, "source"):
        data = load_source(source, as_of)
    for dataset in RAW_TABLES:
        with harness.timed(timings, "ingest"):
            _mirror_ingest(wh, run_id, data, dataset)
    with harness.timed(timings, "checks"):  # the raw_suites step: every raw suite, one connection
        with wh.connect(run_id) as con:
            for dataset in RAW_TABLES:
                _mirror_check(con, run_id, as_of, "raw", dataset, wh)
    models = build.ordered()
    with harness.timed(timings, "sql"):  # the staging_views step: all views, one connection
        with wh.connect(run_id) as con:
            for model in (m for m in models if m.layer == "staging"):
                build.build_model(con, model, params)
    for model in (m for m in models if m.layer == "marts"):  # a mart's step: build, then its suite
        with wh.connect(run_id) as con:
            with harness.timed(timings, "sql"):
                build.build_model(con, model, params)
                con.execute(f"SELECT count(*) FROM {model.table}").fetchone()
            with harness.timed(timings, "checks"):
                _mirror_check(con, run_id, as_of, model.layer, model.name, wh)
    with harness.timed(timings, "publish"):
        with wh.connect(run_id) as con:  # as the publish asset: journal first
            journal.record(con, wh, run_id)
        marts = [m for m in load_models() if m.layer == "marts"]
        store.publish(wh, run_id, [(m.layer, m.name) for m in marts],
                      {(m.layer, m.name): m.comments() for m in marts},
                      info={"as_of": as_of.isoformat(), "source": source,
                            "published_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
        wh.discard_old_work()
    with harness.timed(timings, "brief"):
        brief.render(wh.root)


def _step_kind(key: str) -> str:
    if key.endswith("_suite") or key == "raw_suites":
        return "checks"
    if key.startswith("raw__"):
        return "ingest"
    if key.startswith(("staging__", "marts__")) or key == "staging_views":
        return "sql"  # a mart's step also runs its suite (check_specs)
    if key == "published_warehouse":
        return "publish"
    if key == "daily_brief_report":
        return "brief"
    return key


def e2e_task(task: dict) -> dict:
    started_process = float(task["spawned_at"])  # the parent's time.time() at spawn
    t0 = time.time()
    source = task.get("source") or "sample"
    as_of = dt.date.fromisoformat(task.get("as_of") or DEFAULT_AS_OF)
    root = Path(task["workdir"])
    warehouse = root / "wh"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    result: dict = {"kind": "e2e", "mode": task["mode"], "source": source, "as_of": as_of.isoformat(),
                    "interpreter_start_s": round(t0 - started_process, 3)}
    timings: dict = {}
    if task["mode"] == "plain":
        with harness.timed(timings, "imports"):
            import scout_pipeline.brief  # noqa: F401
            import scout_pipeline.build  # noqa: F401
            import scout_pipeline.quality.runner  # noqa: F401
        started = time.perf_counter()
        plain_run(source, as_of, warehouse, timings)
        result["work_s"] = round(time.perf_counter() - started, 3)
    else:
        # the instance outlives the repeats, as a user's does (warehouse/dagster or the
        # project root); the first repeat also pays for creating its storage
        home = Path(task.get("dagster_home") or root / "dagster_home")
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        os.environ["DAGSTER_HOME"] = str(home)
        import contextlib
        import io

        with harness.timed(timings, "imports"):
            from scout_pipeline import cli
            import scout_pipeline.definitions  # noqa: F401  (what cli.execute imports)
        buf = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(["run", "--source", source, "--as-of", as_of.isoformat(),
                             "--warehouse", str(warehouse)])
        result["cli_run_s"] = round(time.perf_counter() - started, 3)
        result["exit_code"] = code
        import dagster as dg

        instance = dg.DagsterInstance.get()
        run = instance.get_runs(limit=1)[0]
        record = instance.get_run_record_by_id(run.run_id)
        steps = instance.get_run_step_stats(run.run_id)
        by_kind: dict[str, float] = {}
        for s in steps:
            if s.start_time and s.end_time:
                kind = _step_kind(s.step_key)
                by_kind[kind] = by_kind.get(kind, 0.0) + (s.end_time - s.start_time)
        result["steps"] = len(steps)
        result["step_seconds_by_kind"] = {k: round(v, 3) for k, v in by_kind.items()}
        result["step_seconds_sum"] = round(sum(by_kind.values()), 3)
        result["run_wall_s"] = round((record.end_time or 0) - (record.start_time or 0), 3)
        result["status"] = str(run.status)
    result["timings"] = {k: round(v, 3) for k, v in timings.items()}
    result["in_process_s"] = round(time.time() - t0, 3)
    return result


# --------------------------------------------------------------------------- entry point

def main(argv: list[str]) -> int:
    task = json.loads(argv[0])
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    try:
        if task["kind"] == "size":
            result = size_task(task)
        elif task["kind"] == "scaling":
            result = scaling_task(task)
        elif task["kind"] == "mem":
            result = memory_task(task)
        elif task["kind"] == "e2e":
            result = e2e_task(task)
        else:
            raise ValueError(f"unknown task kind {task['kind']!r}")
        code = 0
    except Exception as exc:  # noqa: BLE001  the parent reports it with the traceback
        import traceback

        traceback.print_exc()
        result, code = {"kind": task.get("kind"), "error": f"{type(exc).__name__}: {exc}"}, 1
    result["vmhwm_mib"] = round(harness.peak_mib(), 1)  # since start or the last reset_peak()
    Path(task["result_path"]).write_text(json.dumps(result, default=str, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
