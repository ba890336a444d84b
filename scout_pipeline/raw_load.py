"""Writing one source's day into the raw tables: the part of ingest that is not the gate.

Used by the ingest assets (defs/ingest) and, without Dagster, by the simulated-year test and
the live benchmark, so both exercise exactly what a daily run writes.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from scout_pipeline import source_family, store
from scout_pipeline.sources.contracts import DATED, SourceData

SNAPSHOT_TABLES = {"universe", "pairs", "fomc_calendar"}  # a full list every run, from any source


def write_dataset(con: duckdb.DuckDBPyConnection, data: SourceData, dataset: str,
                  frame: pd.DataFrame | None, loaded_at: dt.datetime) -> tuple[int, int]:
    """Upsert `frame` (the source's `dataset`, duplicates already set aside) into raw.<dataset>:
    a complete source replaces the table, an incremental one adds to it except for the keys
    it restated (replaced whole, in the same transaction). Returns (written, deleted)."""
    if frame is None:
        if data.complete:  # the source has no such dataset: the table must not keep another's
            return 0, con.execute(f"DELETE FROM raw.{dataset}").fetchone()[0]  # dataset from RAW_TABLES
        return 0, 0
    window = None
    if data.rolling_window and dataset in DATED and len(frame):
        # the source delivers its last N years each run: what lies before its first row is
        # history it no longer carries, not rows it withdrew (a next-day run changes one day)
        window = (DATED[dataset], pd.Timestamp(frame[DATED[dataset]].min()).date())
    return store.upsert_counts(con, dataset, frame, loaded_at,
                               replace_all=data.complete or dataset in SNAPSHOT_TABLES,
                               replace_keys=data.replace.get(dataset), replace_from=window)


def write_run_records(con: duckdb.DuckDBPyConnection, data: SourceData, run_id: str,
                      as_of: dt.date, source: str) -> dict[str, int]:
    """With the prices: the warehouse's source family, what failed per item, and every
    restatement (ticker, reason, factor, rows replaced) for BI users and the next reader."""
    source_family.record(con, source)
    counts = {}
    for name, sql, params in (
            ("ingest_log", "INSERT INTO raw.ingest_log SELECT ?, source, dataset, item, status, reason, "
                           "now() FROM incoming_records", [run_id]),
            ("restatements", "INSERT INTO raw.restatements SELECT ?, ?, ticker, reason, factor, event_date, "
                             "rows, first_date, last_date, now() FROM incoming_records", [run_id, as_of])):
        frame = data.get(name)
        if frame is not None and len(frame):
            con.register("incoming_records", frame)
            try:
                con.execute(sql, params)
            finally:
                con.unregister("incoming_records")
            counts[name] = len(frame)
    return counts
