"""The gate's side of ingest: remember which rows the run wrote, and keep duplicate keys.

`raw.*` keys are unique by construction: the store refuses a delivery holding a key twice,
which would fail the whole ingest. `set_aside_duplicates` keeps every extra copy in
`quality.<table>_duplicates` (with the run id) and returns one row per key to upsert; the
table's suite then sees all copies and blocks the run. `log_ingest` records the run's
`loaded_at` stamp: the suite validates exactly the rows carrying it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from scout_pipeline import store
from scout_pipeline.quality.gx_engine import gx_always, warm_up  # noqa: F401  (ingest may start the GX import)
from scout_pipeline.sources.contracts import RAW_TABLES


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.execute("""CREATE TABLE IF NOT EXISTS quality.ingest_stamps (
        run_id VARCHAR, dataset VARCHAR, loaded_at TIMESTAMP, rows_written BIGINT,
        duplicate_rows BIGINT, logged_at TIMESTAMP DEFAULT current_timestamp)""")
    for table in RAW_TABLES:  # identifiers from the contracts, never from input
        con.execute(f"CREATE TABLE IF NOT EXISTS quality.{table}_duplicates AS "
                    f"SELECT *, CAST(NULL AS VARCHAR) AS run_id FROM raw.{table} LIMIT 0")


def stamp(loaded_at: dt.datetime) -> pd.Timestamp:
    """`loaded_at` as the store writes it (naive UTC)."""
    ts = pd.Timestamp(loaded_at)
    return ts.tz_convert(None) if ts.tzinfo else ts


def set_aside_duplicates(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str,
                         frame: pd.DataFrame, loaded_at: dt.datetime) -> pd.DataFrame:
    """Keep the extra copies of duplicated keys; return `frame` with one row per key (the last)."""
    ensure_tables(con)
    table = f"quality.{dataset}_duplicates"
    con.execute(f"DELETE FROM {table}")  # only the current run's copies matter; files keep history
    key = RAW_TABLES[dataset][0]
    if store.keys_in_order(dataset, frame):  # every source's usual delivery: no hash table needed
        return frame
    # only the key conformed for the check: a first load's history is not copied whole
    extra = store.conform(dataset, frame, columns=key).duplicated(key, keep="last").to_numpy()
    if not extra.any():
        return frame
    copies = store.conform(dataset, frame.iloc[extra])
    copies["loaded_at"] = stamp(loaded_at)
    copies["run_id"] = run_id
    con.register("scout_duplicate_copies", copies)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM scout_duplicate_copies")
    finally:
        con.unregister("scout_duplicate_copies")
    return frame.iloc[~extra]


def log_ingest(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str, loaded_at: dt.datetime,
               rows_written: int) -> int:
    """Record the run's stamp for `dataset`; returns the duplicate copies set aside."""
    ensure_tables(con)
    dups = con.execute(f"SELECT count(*) FROM quality.{dataset}_duplicates WHERE run_id = ?",
                       [run_id]).fetchone()[0]
    con.execute("DELETE FROM quality.ingest_stamps WHERE (run_id = ? AND dataset = ?) "
                "OR logged_at < current_timestamp - INTERVAL 90 DAY", [run_id, dataset])
    con.execute("INSERT INTO quality.ingest_stamps (run_id, dataset, loaded_at, rows_written, duplicate_rows) "
                "VALUES (?, ?, ?, ?, ?)", [run_id, dataset, stamp(loaded_at).to_pydatetime(), rows_written, dups])
    return int(dups)


def run_stamp(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str):
    """The run's loaded_at for `dataset`, or None when this run did not ingest it."""
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'quality' "
                       "AND table_name = 'ingest_stamps'").fetchone()[0]:
        return None
    row = con.execute("SELECT loaded_at FROM quality.ingest_stamps WHERE run_id = ? AND dataset = ?",
                      [run_id, dataset]).fetchone()
    return row[0] if row else None
