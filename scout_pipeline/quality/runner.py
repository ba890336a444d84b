"""Run one table's suite: each batch's expectations counted in one SQL pass over the rows the
run wrote (module `screen`), GX over the rows that failed plus a bounded sample, and the
whole-table key invariants in one SQL pass (or none: a PRIMARY KEY DuckDB enforces)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from scout_pipeline import calendar, store
from scout_pipeline.quality import gx_engine, ingest, quarantine, screen, thresholds
from scout_pipeline.quality.gx_engine import gx_always
from scout_pipeline.quality.outcome import CheckOutcome, Failure
from scout_pipeline.quality.registry import suite_for
from scout_pipeline.quality.spec import ERROR, Batch, Expect, Suite

SAMPLE_ROWS = 5
CALENDAR_DAYS = 370  # the NYSE sessions bound as $sessions: about a year up to as-of
GX_SAMPLE_ROWS = 500  # rows GX sees besides the failing ones, so it evaluates every expectation
# `SCOUT_GATE_GX=always`: GX validates every batch of up to GX_WHOLE_MAX_ROWS rows whole, clean
# or not (GX's fixed cost on every run: docs/quality.md "What the gate costs")
GX_WHOLE_MAX_ROWS = 200_000




@dataclass
class RunContext:
    """What a check knows about its run."""

    run_id: str
    as_of: dt.date
    params: dict = field(default_factory=dict)  # the run's SQL parameters (params.py)
    quarantine_dir: Path | None = None


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                       [schema, table]).fetchone()[0] > 0


def bindings(con: duckdb.DuckDBPyConnection, suite: Suite, run: RunContext) -> dict:
    sessions = calendar.sessions(run.as_of - dt.timedelta(days=CALENDAR_DAYS), run.as_of)
    values = {
        **thresholds.values(), **run.params,
        "as_of": run.as_of, "run_id": run.run_id, "sessions": sessions,
        "prev_session": calendar.previous_session(run.as_of - dt.timedelta(days=1)),
        "stamp": ingest.run_stamp(con, run.run_id, suite.table) if suite.schema == "raw" else None,
    }
    if suite.schema == "marts":
        values["since"] = written_since(con, suite.table, values)
    return values


def written_since(con: duckdb.DuckDBPyConnection, table: str, params: dict) -> dt.date:
    """The first day of the rows the mart's last build wrote ($since of its suite): an
    incremental mart's recorded `since` (meta.mart_builds), a history mart's first session of
    the run, else (a mart rebuilt whole, or no record of the build) every row."""
    from scout_pipeline.incremental import FULL_SINCE, STATE
    from scout_pipeline.sql_files import load_models

    model = next((m for m in load_models() if m.layer == "marts" and m.name == table), None)
    if model is None:
        return FULL_SINCE
    if model.incremental:
        if not table_exists(con, *STATE.split(".")):
            return FULL_SINCE
        row = con.execute(f"SELECT since FROM {STATE} WHERE mart = ?", [model.table]).fetchone()
        return row[0] if row and row[0] else FULL_SINCE
    if model.history:
        from scout_pipeline import mart_history

        day = params["as_of"]
        start = min(params.get("history_from") or day, day)
        if not table_exists(con, "staging", "stg_prices"):
            return start
        return mart_history.first_session(con, start)
    return FULL_SINCE


def run_suite(con: duckdb.DuckDBPyConnection, schema: str, table: str, run: RunContext) -> CheckOutcome:
    suite = suite_for(schema, table)
    outcome = CheckOutcome(suite=suite.name)
    if not table_exists(con, schema, table):
        outcome.skipped = f"{schema}.{table} does not exist in this build"
        return outcome
    if schema == "raw":
        ingest.ensure_tables(con)
    params = bindings(con, suite, run)
    found = list(_key_checks(con, suite, params.get("stamp")))
    outcome.evaluated += 2
    for batch in suite.batches:
        rows, batch_found = _check_batch(con, suite, batch, params)
        outcome.rows_checked[batch.name] = rows
        outcome.evaluated += len(batch.expectations)
        found += batch_found
    outcome.failures = [failure for failure, _ in found]
    kept = [rows for _, rows in found if rows is not None and not rows.empty]
    if kept and run.quarantine_dir is not None:
        outcome.quarantine = quarantine.write(run.quarantine_dir, run.run_id, table, kept)
    return outcome


def _types(con, batch: Batch, params: dict) -> dict[str, str]:
    needed = store.sql_params(batch.sql)
    cursor = con.execute(f"SELECT * FROM ({batch.sql}) LIMIT 0", {k: params[k] for k in needed} or None)
    return {d[0]: str(d[1]) for d in cursor.description}


def _check_batch(con, suite: Suite, batch: Batch, params: dict) -> tuple[int, list]:
    """(rows in the batch, [(failure, rows)]): SQL counts every expectation exactly; GX
    validates the failing rows and a bounded sample (every expectation, on the same rows the
    report and the quarantine show). A batch with an expectation the screen cannot express,
    or any batch under SCOUT_GATE_GX=always, small enough, goes to GX whole."""
    types = _types(con, batch, params)
    present = [e for e in batch.expectations if all(c in types for c in e.columns)]
    out = [(Failure(e.name, e.severity, 0, [], e.doc, batch.name, 0,
                    note=f"column {', '.join(c for c in e.columns if c not in types)} missing from "
                         f"{suite.schema}.{suite.table}"), None)
           for e in batch.expectations if e not in present]
    bound = {k: params[k] for k in store.sql_params(batch.sql)}
    try:
        rules = [screen.rule(e, types, params, i, _key_copies(con, suite, e, types)) for i, e in enumerate(present)]
    except screen.Untranslatable:
        rules = None
    if rules is None:
        frame = _frame(con, batch, params)
        return len(frame), _validate(suite, batch, frame, params)
    total, counts = screen.counts(con, batch.sql, bound, rules)
    failed = [i for i, c in enumerate(counts) if not c.success]
    if total == 0 or (not failed and not gx_always()):
        return total, out
    if gx_always() and total <= GX_WHOLE_MAX_ROWS:
        frame = _frame(con, batch, params)
        return len(frame), _validate(suite, batch, frame, params)
    picked = screen.failing_rows(con, batch.sql, bound, rules, failed, quarantine.MAX_ROWS, GX_SAMPLE_ROWS)
    flags = picked[[f"__u{i}" for i in failed]].astype(bool) if failed else None
    frame = _vectorizable(picked.drop(columns=["__row", *(f"__u{i}" for i in failed)]).reset_index(drop=True))
    mostly = {i for i, r in enumerate(rules) if r.mostly is not None}
    return total, out + _report(suite, batch, frame, params, present, counts, failed, flags, mostly)


def _key_copies(con, suite: Suite, e: Expect, types: dict) -> str | None:
    """For a raw table whose key DuckDB enforces, the key rule over the run's rows needs no
    window over them (3.8 M rows on a first load): a stored row is unique by the PRIMARY KEY,
    so a key is duplicated exactly when ingest set a copy of it aside, and every copy and the
    stored row it collides with are in the batch (raw/__init__.py). The same rows GX flags."""
    if (suite.schema != "raw" or "source_duplicate" not in types or e.gx not in
            ("ExpectCompoundColumnsToBeUnique", "ExpectColumnValuesToBeUnique")):
        return None
    cols = list(e.kwargs.get("column_list") or [e.kwargs["column"]])
    if sorted(cols) != sorted(suite.key) or not enforced_key(con, suite):
        return None
    on = " AND ".join(f"__d.{k} = __b.{k}" for k in suite.key)  # identifiers from the contracts
    return (f"(__b.source_duplicate OR EXISTS (SELECT 1 FROM quality.{suite.table}_duplicates __d "
            f"WHERE __d.run_id = $run_id AND {on}))")


def _report(suite, batch, frame, params, present, counts, failed, flags, mostly) -> list:
    """GX's findings on the picked rows, with the screen's exact counts. An expectation the
    screen failed is reported whatever GX says on the subset (a `mostly` share is only
    meaningful over every row); one GX fails that the screen passed is reported with GX's
    count and a note (the two disagree: a bug to fix, never a silent pass)."""
    gx_params = {k: _gx_value(v) for k, v in params.items() if not isinstance(v, list)}
    results = {r.name: r for r in gx_engine.validate(f"{suite.table}.{batch.name}", frame, present, gx_params)}
    out = []
    for i, e in enumerate(present):
        result = results[e.name]
        if i in failed:
            index = result.unexpected_index if not result.success and result.unexpected_index else \
                list(frame.index[flags[f"__u{i}"].to_numpy()])
            count, checked, note = counts[i].unexpected, counts[i].checked, result.note
        elif not result.success and i not in mostly:  # a share over a subset means nothing
            index = result.unexpected_index
            count, checked = result.unexpected_count or len(index), result.element_count
            note = result.note or "found by GX on the rows it was shown; the SQL screen passed it"
        else:
            continue
        rows = frame.loc[index[: quarantine.MAX_ROWS]] if index else frame.iloc[0:0]
        cols = list(dict.fromkeys([*batch.show, *(c for c in e.columns if c in frame.columns)]))
        samples = [{c: _plain(v) for c, v in row.items()} for row in rows[cols].head(SAMPLE_ROWS).to_dict("records")]
        out.append((Failure(e.name, e.severity, int(count), samples, e.doc, batch.name, int(checked), note),
                    _rejected(rows, e)))
    return out


def _frame(con, batch: Batch, params: dict) -> pd.DataFrame:
    needed = store.sql_params(batch.sql)
    frame = con.execute(batch.sql, {k: params[k] for k in needed} or None).df()
    return _vectorizable(frame.reset_index(drop=True))


def _vectorizable(frame: pd.DataFrame) -> pd.DataFrame:
    """GX compares int64/float64 and datetime64[ns] columns vectorized, anything else row by
    row in Python (100x slower): DuckDB gives datetime64[us] and int32 columns."""
    for col in frame.columns:
        dtype = frame[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
            frame[col] = frame[col].astype("datetime64[ns]")
        elif pd.api.types.is_integer_dtype(dtype) and dtype != "int64":
            frame[col] = frame[col].astype("float64" if frame[col].isna().any() else "int64")
    return frame


def _gx_value(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return pd.Timestamp(value)
    return value


def _validate(suite: Suite, batch: Batch, frame: pd.DataFrame,
              params: dict) -> list[tuple[Failure, pd.DataFrame | None]]:
    """The batch's failed expectations, each with its unexpected rows (for the quarantine)."""
    out = []
    present = [e for e in batch.expectations if all(c in frame.columns for c in e.columns)]
    for e in batch.expectations:
        if e not in present:
            missing = [c for c in e.columns if c not in frame.columns]
            out.append((Failure(e.name, e.severity, 0, [], e.doc, batch.name, len(frame),
                                note=f"column {', '.join(missing)} missing from {suite.schema}.{suite.table}"),
                        None))
    if not present or frame.empty:  # no rows written (e.g. the same day again): nothing to check
        return out
    by_name = {e.name: e for e in present}
    gx_params = {k: _gx_value(v) for k, v in params.items() if not isinstance(v, list)}
    for result in gx_engine.validate(f"{suite.table}.{batch.name}", frame, present, gx_params):
        if result.success:
            continue
        e = by_name[result.name]
        index = result.unexpected_index
        rows = frame.loc[index[: quarantine.MAX_ROWS]] if index else frame.iloc[0:0]
        cols = list(dict.fromkeys([*batch.show, *(c for c in e.columns if c in frame.columns)]))
        samples = [{c: _plain(v) for c, v in row.items()} for row in rows[cols].head(SAMPLE_ROWS).to_dict("records")]
        out.append((Failure(e.name, e.severity, result.unexpected_count or len(index), samples, e.doc, batch.name,
                            result.element_count, result.note), _rejected(rows, e)))
    return out


def _rejected(rows: pd.DataFrame, e: Expect) -> pd.DataFrame:
    out = rows.copy()
    out.insert(0, "reason", e.doc)
    out.insert(0, "severity", e.severity)
    out.insert(0, "expectation", e.name)
    return out


def enforced_key(con, suite: Suite) -> bool:
    """True when DuckDB enforces the suite's key as the table's PRIMARY KEY: unique and not null
    on every write, so checking it again would pay twice for the same guarantee."""
    rows = con.execute("SELECT constraint_column_names FROM duckdb_constraints() WHERE schema_name = ? "
                       "AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
                       [suite.schema, suite.table]).fetchall()
    return any(sorted(r[0]) == sorted(suite.key) for r in rows)


def _key_checks(con, suite: Suite, stamp=None):
    """Whole-table key invariants (GX sees only the run's rows; the key holds for all): no
    null in the key, no key twice. Nothing to do under a PRIMARY KEY on the key; otherwise
    one GROUP BY pass counts both, and only a violation costs a second query for its rows.

    A raw table given the run's ingest `stamp` is grouped over the keys the run wrote only,
    counted against every stored row: its keys are unique by construction (store.upsert
    refuses a delivery holding a key twice and replaces stored rows by key), so after a run
    that held before it a key can be duplicated only if the run wrote it — the same answer as
    a pass over the whole table, for the cost of the run's rows (a first load wrote every
    row: then it is that pass). Without a stamp (a check run alone), the whole table.
    Yields (failure, rows) for each check that found something."""
    if enforced_key(con, suite):
        return
    table = f"{suite.schema}.{suite.table}"  # from code: RAW_TABLES or sql/ file names
    cols = ", ".join(suite.key)
    nulls = " OR ".join(f"{k} IS NULL" for k in suite.key)
    source, bind, scope = table, [], f"the whole of {table}"
    if suite.schema == "raw" and stamp is not None:
        # every stored row of a key the run wrote (a NULL key cannot match: counted apart)
        source = (f"(SELECT * FROM {table} WHERE ({cols}) IN (SELECT ({cols}) FROM {table} "
                  f"WHERE loaded_at = CAST(? AS TIMESTAMP)) OR {nulls})")
        bind, scope = [stamp], f"{table} (the keys this run wrote, against every stored row)"
    total, null_rows, dup_keys = con.execute(
        f"SELECT coalesce(sum(copies), 0), coalesce(sum(copies) FILTER (WHERE {nulls}), 0), "
        f"count(*) FILTER (WHERE copies > 1) FROM (SELECT {cols}, count(*) AS copies FROM {source} GROUP BY ALL)",
        bind).fetchone()
    checks = (
        ("table_key_not_null", null_rows, f"SELECT {cols} FROM {source} WHERE {nulls}",
         f"no null in the key ({cols}) anywhere in {table}"),
        ("table_key_unique", dup_keys, f"SELECT {cols}, count(*) AS copies FROM {source} GROUP BY ALL "
                                       "HAVING count(*) > 1",
         f"key ({cols}) unique over {scope}"),
    )
    for name, count, sql, doc in checks:
        if not count:
            continue
        rows = con.execute(f"{sql} LIMIT {quarantine.MAX_ROWS}", bind).df()
        samples = [{c: _plain(v) for c, v in r.items()} for r in rows.head(SAMPLE_ROWS).to_dict("records")]
        e = Expect(name, "sql", {}, ERROR, doc)
        yield Failure(name, ERROR, int(count), samples, doc, "table", int(total)), _rejected(rows, e)


def _plain(value):
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, pd.Timestamp) and not pd.isna(value):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bool, int, str)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
