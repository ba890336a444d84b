"""Incremental marts (header line `-- @incremental <date column> [keep <param>]`).

Such a mart's SQL emits only the rows dated on or after `$since`, reading before it what its
windows and streaks need. A run recomputes from the first day it adds (the day after the last
build) or, when raw rows for earlier days arrived or changed since that build (raw tables carry
`loaded_at` per run), from the earliest such day: rows from `$since` on are replaced, earlier
rows stay. A run asks for this with the params key `incremental` (the Dagster resource always
does; `build_all` callers such as tests and benchmarks build whole unless they pass it). A full
rebuild (`$since` = FULL_SINCE) happens when asked (`--full-refresh`, params key
`full_refresh`), on the first build, and whenever the rows already built may be wrong:
a parameter the SQL binds changed, the as-of day moved backwards, a provider restatement was
recorded (raw.restatements), an undated raw table the mart reads (universe, pairs, FOMC
calendar) changed, or raw rows of the built days disappeared. `meta.mart_builds` remembers,
per mart, what its last build saw. A mart whose SQL needs its own earlier rows (a streak's
history, market_breadth's earlier spreads) names their columns in a `-- @carry` header line
and reads them from the temporary table `carried` (empty on a full rebuild) rather than
recomputing them from raw history: the SQL must check that the rows it needs are there (a
correction can reach back past the oldest kept row) and compute what they lack.
No Dagster here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb

from scout_pipeline import store
from scout_pipeline.sources.contracts import DATED  # raw tables absent there are undated reference data
from scout_pipeline.sql_files import SqlModel, load_models

FULL_SINCE = dt.date(1, 1, 1)  # $since of a full rebuild: every row
STATE = "meta.mart_builds"
CARRIED = "carried"  # temporary table of a mart's own earlier rows (header `-- @carry`)
RUN_KEYS = {"as_of", "since", "history_from", "full_refresh", "incremental"}  # run facts, not parameters


def raw_inputs(model: SqlModel) -> list[str]:
    """The raw tables a model reads, through the staging views (sorted names, e.g. 'prices')."""
    by_table = {m.table: m for m in load_models()}
    found: set[str] = set()
    todo = [model]
    while todo:
        for schema, name in todo.pop().upstream:
            if schema == "raw":
                found.add(name)
            elif f"{schema}.{name}" in by_table and f"{schema}.{name}" != model.table:
                todo.append(by_table[f"{schema}.{name}"])
    return sorted(found)


def params_hash(model: SqlModel, params: dict) -> str:
    bound = {k: params[k] for k in sorted(store.sql_params(model.body)) if k not in RUN_KEYS}
    return hashlib.sha256(json.dumps(bound, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, name]).fetchone()[0])


def _fingerprint(con: duckdb.DuckDBPyConnection, raw: str, through: dt.date) -> list:
    """[rows, xor of row hashes] of a raw table: for a dated one its keys dated on or before
    `through` (a lost or new key changes it, a re-loaded row does not); for an undated one
    every value (any change changes it). Names come from contracts.RAW_TABLES, never input."""
    from scout_pipeline.sources.contracts import RAW_TABLES

    if raw in DATED:
        keys = ", ".join(RAW_TABLES[raw][0])
        row = con.execute(f"SELECT count(*), bit_xor(hash({keys})) FROM raw.{raw} WHERE {DATED[raw]} <= ?",
                          [through]).fetchone()
    else:
        row = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM (SELECT * EXCLUDE (loaded_at) "
                          f"FROM raw.{raw}) t").fetchone()
    return [int(row[0]), str(row[1] or 0)]


def _changed(con: duckdb.DuckDBPyConnection, raw: str, watermark: dt.datetime, through: dt.date) -> tuple:
    """Rows loaded after the watermark among those dated on or before `through`: (count, xor of
    key hashes, earliest date)."""
    from scout_pipeline.sources.contracts import RAW_TABLES

    keys = ", ".join(RAW_TABLES[raw][0])
    col = DATED[raw]
    row = con.execute(f"SELECT count(*), bit_xor(hash({keys})), min({col}) FROM raw.{raw} "
                      f"WHERE loaded_at > ? AND {col} <= ?", [watermark, through]).fetchone()
    return int(row[0]), int(row[1] or 0), row[2]


def _restatements(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT count(*) FROM raw.restatements").fetchone()[0])


def _watermark(con: duckdb.DuckDBPyConnection, inputs: list[str]) -> dt.datetime | None:
    parts = " UNION ALL ".join(f"SELECT max(loaded_at) AS t FROM raw.{raw}" for raw in inputs)
    return con.execute(f"SELECT max(t) FROM ({parts})").fetchone()[0]


def _state(con: duckdb.DuckDBPyConnection, table: str) -> tuple | None:
    if not _exists(con, STATE):
        return None
    return con.execute(f"SELECT built_as_of, params_hash, watermark, fingerprints FROM {STATE} WHERE mart = ?",
                       [table]).fetchone()


def plan(con: duckdb.DuckDBPyConnection, model: SqlModel, params: dict) -> tuple[dt.date, str]:
    """($since, why): the first day this run recomputes; FULL_SINCE for a full rebuild."""
    day: dt.date = params["as_of"]
    if params.get("full_refresh"):
        return FULL_SINCE, "full refresh requested"
    if not params.get("incremental"):
        # a caller outside a run (tests, benchmarks, recovery) that did not ask for it
        return FULL_SINCE, "not asked to build incrementally"
    if not _exists(con, model.table):
        return FULL_SINCE, "first build"
    state = _state(con, model.table)
    if state is None:
        return FULL_SINCE, "no record of an earlier build"
    built, hashed, watermark, prints = state
    prints = json.loads(prints)
    if hashed != params_hash(model, params):
        return FULL_SINCE, "a parameter changed"
    if day < built:
        return FULL_SINCE, f"as-of day {day} is before the last build's {built}"
    inputs = raw_inputs(model)
    # counted, not compared by loaded_at: its stamps come from DuckDB's clock, not the run's
    if _restatements(con) != prints.get("restatements"):
        return FULL_SINCE, "a provider restatement was recorded"
    since = built + dt.timedelta(days=1)
    for raw in inputs:
        before = prints.get(raw)
        now = _fingerprint(con, raw, built)
        if raw not in DATED:
            if now != before:
                return FULL_SINCE, f"raw.{raw} changed"
            continue
        if watermark is None:
            count, hashed_keys, first = 0, 0, None
        else:
            count, hashed_keys, first = _changed(con, raw, watermark, built)
        if before is None:
            return FULL_SINCE, f"no record of raw.{raw}"
        if now != before:
            # keys of built days changed: fine only if every change is a row added since
            # (then `first` says where), never a row removed
            added = [before[0] + count, str(int(before[1]) ^ hashed_keys)]
            if now != added:
                return FULL_SINCE, f"rows of raw.{raw} dated on or before {built} were removed"
        if first is not None:
            since = min(since, first)
    return since, f"from {since}"


def record(con: duckdb.DuckDBPyConnection, model: SqlModel, params: dict) -> None:
    """Remember what this build saw (the next run's plan compares with it)."""
    inputs = raw_inputs(model)
    day: dt.date = params["as_of"]
    prints = {raw: _fingerprint(con, raw, day) for raw in inputs}
    prints["restatements"] = _restatements(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(f"CREATE TABLE IF NOT EXISTS {STATE} (mart VARCHAR PRIMARY KEY, built_as_of DATE, "
                "params_hash VARCHAR, watermark TIMESTAMP, fingerprints VARCHAR, since DATE, built_at TIMESTAMP)")
    con.execute(f"INSERT OR REPLACE INTO {STATE} VALUES (?, ?, ?, ?, ?, ?, now())",
                [model.table, day, params_hash(model, params), _watermark(con, inputs), json.dumps(prints),
                 params.get("since")])


def build(con: duckdb.DuckDBPyConnection, model: SqlModel, params: dict) -> str:
    """Build an incremental mart (module doc). Returns why it was built as it was."""
    since, why = plan(con, model, params)
    run = {**params, "since": since}
    col = model.incremental  # a column name from this repository's sql/ header, never data
    if model.carry:
        # the mart's own rows before $since, which its SQL reads instead of recomputing them
        # (names and types from the sql/ header, never data)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CARRIED} ({', '.join(f'{c} {t}' for c, t in model.carry)})")
        if since != FULL_SINCE:
            cols = ", ".join(c for c, _ in model.carry)
            con.execute(f"INSERT INTO {CARRIED} SELECT {cols} FROM {model.table} WHERE {col} < ?", [since])
    if since == FULL_SINCE:
        store.run_sql(con, model.create_statement(), run)
    else:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"DELETE FROM {model.table} WHERE {col} >= ?", [since])
            store.run_sql(con, f"INSERT INTO {model.table} BY NAME SELECT * FROM ({model.body}) AS new_rows", run)
            if model.keep:
                # the table holds the latest N sessions: drop what fell out of them
                con.execute(f"DELETE FROM {model.table} WHERE {col} < (SELECT min({col}) FROM "
                            f"(SELECT DISTINCT {col} FROM {model.table} ORDER BY {col} DESC LIMIT ?))",
                            [int(params[model.keep])])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    if model.carry:
        con.execute(f"DROP TABLE {CARRIED}")
    record(con, model, run)
    return f"whole: {why}" if since == FULL_SINCE else why
