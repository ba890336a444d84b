"""Run one table's suite: the GX batches over the run's rows, key uniqueness in SQL."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from scout_pipeline import calendar, store
from scout_pipeline.quality import gx_engine, ingest, quarantine, thresholds
from scout_pipeline.quality.outcome import CheckOutcome, Failure
from scout_pipeline.quality.registry import suite_for
from scout_pipeline.quality.spec import ERROR, Batch, Expect, Suite

SAMPLE_ROWS = 5
CALENDAR_DAYS = 370  # the NYSE sessions bound as $sessions: about a year up to as-of


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
    return values


def run_suite(con: duckdb.DuckDBPyConnection, schema: str, table: str, run: RunContext) -> CheckOutcome:
    suite = suite_for(schema, table)
    outcome = CheckOutcome(suite=suite.name)
    if not table_exists(con, schema, table):
        outcome.skipped = f"{schema}.{table} does not exist in this build"
        return outcome
    if schema == "raw":
        ingest.ensure_tables(con)
    params = bindings(con, suite, run)
    found = list(_key_checks(con, suite))
    outcome.evaluated += 2
    for batch in suite.batches:
        frame = _frame(con, batch, params)
        outcome.rows_checked[batch.name] = len(frame)
        outcome.evaluated += len(batch.expectations)
        found += _validate(suite, batch, frame, params)
    outcome.failures = [failure for failure, _ in found]
    kept = [rows for _, rows in found if rows is not None and not rows.empty]
    if kept and run.quarantine_dir is not None:
        outcome.quarantine = quarantine.write(run.quarantine_dir, run.run_id, table, kept)
    return outcome


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


def _key_checks(con, suite: Suite):
    """Whole-table key checks in SQL (GX sees only the run's rows; the key holds for all).
    Yields (failure, rows) for each check that found something."""
    table = f"{suite.schema}.{suite.table}"  # from code: RAW_TABLES or sql/ file names
    cols = ", ".join(suite.key)
    nulls = " OR ".join(f"{k} IS NULL" for k in suite.key)
    checks = (
        ("table_key_not_null", f"SELECT {cols} FROM {table} WHERE {nulls}",
         f"no null in the key ({cols}) anywhere in {table}"),
        ("table_key_unique", f"SELECT {cols}, count(*) AS copies FROM {table} GROUP BY ALL HAVING count(*) > 1",
         f"key ({cols}) unique over the whole of {table}"),
    )
    total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    for name, sql, doc in checks:
        rows = con.execute(f"{sql} LIMIT {quarantine.MAX_ROWS}").df()
        if rows.empty:
            continue
        count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
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
