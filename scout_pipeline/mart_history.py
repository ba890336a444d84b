"""Marts that keep every published day, point in time (header line `-- @history <column>`).

The mart's SQL computes one day, the run's `$as_of`. A run starts from a copy of the last
good build, so that build's rows are at hand: rows of days before the run's first session
are kept exactly as the run that published them saw them; the run's own day is recomputed
(a re-run or the evening catch-up replaces it); rows after `$as_of` are dropped, as every
mart ignores what is dated after its as-of day. A range (`scout backfill`, params key
`history_from`) also computes each earlier session of the range with `$as_of` set to that
session, from data dated on or before it — the way `valuation_gap` rebuilds its history from
the point-in-time raw tables. No Dagster here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from scout_pipeline import calendar, store
from scout_pipeline.sql_files import SqlModel

KEPT = "mart_history_kept"  # temporary table of the rows carried over


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, name]).fetchone()[0])


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def first_session(con: duckdb.DuckDBPyConnection, day: dt.date) -> dt.date:
    """The market session a day's rows are dated on or after: the latest price date on or
    before `day` (a holiday's run is dated on the session before it), else `day`."""
    found = con.execute("SELECT max(date) FROM staging.stg_prices WHERE date <= ?", [day]).fetchone()[0]
    return found or day


def build(con: duckdb.DuckDBPyConnection, model: SqlModel, params: dict) -> None:
    """CREATE the mart for the run's day and carry over the earlier days (module doc)."""
    col = model.history  # a column name from this repository's sql/ header, never data
    day: dt.date = params["as_of"]
    start: dt.date = min(params.get("history_from") or day, day)
    since = first_session(con, start)
    had_table = _exists(con, model.layer, model.name)
    if had_table:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {KEPT} AS SELECT * FROM {model.table} WHERE {col} < ?", [since])
    store.run_sql(con, model.create_statement(), params)
    if start < day:
        # each earlier session of the range, as its own run would have computed it
        insert = (f"INSERT INTO {model.table} BY NAME SELECT * FROM ({model.body}) AS day_rows "
                  f"WHERE day_rows.{col} NOT IN (SELECT DISTINCT {col} FROM {model.table})")
        for session in calendar.sessions(start, day):
            if session < day:
                store.run_sql(con, insert, {**params, "as_of": session})
    if had_table:
        # a column added since those days is null in their rows; one removed is dropped
        now = _columns(con, model.table)
        cols = ", ".join(f'"{c}"' for c in _columns(con, KEPT) if c in now)
        con.execute(f"INSERT INTO {model.table} ({cols}) SELECT {cols} FROM {KEPT} "
                    f"WHERE {col} NOT IN (SELECT DISTINCT {col} FROM {model.table})")
        con.execute(f"DROP TABLE {KEPT}")


def restore(target: Path, published: Path) -> list[str]:
    """Copy the kept days of every history mart from the published file into a store rebuilt
    from the journal (`scout recover`): the journal holds raw rows only, and these days are
    what their runs saw, which a rebuild could not recompute. Returns the tables copied."""
    from scout_pipeline.sql_files import load_models

    copied = []
    con = duckdb.connect(str(target))
    try:
        con.execute("ATTACH ? AS published (READ_ONLY)", [str(published)])
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for model in load_models():
            if model.history and _exists_in(con, "published", model.layer, model.name):
                con.execute(f"CREATE OR REPLACE TABLE {model.table} AS SELECT * FROM published.{model.table}")
                copied.append(model.table)
        con.execute("DETACH published")
    finally:
        con.close()
    return copied


def _exists_in(con: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                            "AND table_name = ?", [database, schema, name]).fetchone()[0])
