"""The raw journal: every checked change to raw.*, kept as Parquet beside the store.

Fundamentals and attention are point-in-time snapshots that no provider will serve again,
so the store's raw history must survive the store file itself. Each published run adds one
entry, written (before the store is promoted) only after every blocking check passed:

    journal/000042-<run_id>/<table>.<mode>.parquet
      upsert   the rows the run wrote (new or changed keys, with their loaded_at)
      replace  the whole table (the run deleted rows, or this is the first entry)
      append   raw.ingest_log rows of the run

An entry directory appears with one rename, so a killed run leaves no half entry (only a
`.tmp` that `Warehouse.sweep` removes). `replay` applies the entries in order and yields
raw tables identical to the store's, `loaded_at` included.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from scout_pipeline import faults, store
from scout_pipeline.sources.contracts import RAW_TABLES

_ENTRY = re.compile(r"^(\d{6,})-([A-Za-z0-9_-]+)$")
_FILE = re.compile(r"^(\w+)\.(upsert|replace|append)\.parquet$")


def entries(wh: store.Warehouse) -> list[Path]:
    """Complete entries, oldest first."""
    if not wh.journal_dir.is_dir():
        return []
    found = [p for p in wh.journal_dir.iterdir() if p.is_dir() and _ENTRY.match(p.name)]
    return sorted(found, key=lambda p: int(_ENTRY.match(p.name).group(1)))


def _stamp(con: duckdb.DuckDBPyConnection, run_id: str, dataset: str):
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'quality' "
                       "AND table_name = 'ingest_stamps'").fetchone()[0]:
        return None
    return con.execute("SELECT loaded_at, rows_written, coalesce(rows_deleted, 0) FROM quality.ingest_stamps "
                       "WHERE run_id = ? AND dataset = ?", [run_id, dataset]).fetchone()


def record(con: duckdb.DuckDBPyConnection, wh: store.Warehouse, run_id: str) -> dict[str, int]:
    """Add the run's entry (nothing when it changed nothing); returns rows per file written."""
    existing = entries(wh)
    first = not existing  # no journal yet (new warehouse, or one from before the journal): full baseline
    seq = int(_ENTRY.match(existing[-1].name).group(1)) + 1 if existing else 1
    wh.journal_dir.mkdir(parents=True, exist_ok=True)
    tmp = wh.journal_dir / f"{seq:06d}-{run_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    written: dict[str, int] = {}
    for dataset in RAW_TABLES:  # table names from the contracts, never from input
        row = _stamp(con, run_id, dataset)
        if first or (row and row[2]):
            query, params, mode = f"SELECT * FROM raw.{dataset}", [], "replace"
        elif row and row[1]:
            query, params, mode = f"SELECT * FROM raw.{dataset} WHERE loaded_at = ?", [row[0]], "upsert"
        else:
            continue
        written[f"{dataset}.{mode}"] = _copy(con, query, params, tmp / f"{dataset}.{mode}.parquet")
    log_rows = con.execute("SELECT count(*) FROM raw.ingest_log WHERE run_id = ?", [run_id]).fetchone()[0]
    if first or log_rows:
        query, params = ("SELECT * FROM raw.ingest_log", []) if first else \
            ("SELECT * FROM raw.ingest_log WHERE run_id = ?", [run_id])
        written["ingest_log.append"] = _copy(con, query, params, tmp / "ingest_log.append.parquet")
    if not written:
        shutil.rmtree(tmp)
        return {}
    faults.point("journal.before_rename")
    tmp.rename(wh.journal_dir / f"{seq:06d}-{run_id}")
    return written


def _copy(con: duckdb.DuckDBPyConnection, query: str, params: list, path: Path) -> int:
    con.execute(f"COPY ({query}) TO ? (FORMAT parquet)", [*params, str(path)])
    return con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]


def replay(wh: store.Warehouse, target: Path, progress: Callable[[str], None] = lambda _: None) -> dict[str, int]:
    """Build raw.* into a new database at `target` from the journal; returns rows per table."""
    found = entries(wh)
    if not found:
        raise store.StoreError(f"no journal entries in {wh.journal_dir}: nothing to rebuild the raw tables from")
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(store.SCHEMA_SQL.read_text())
        for n, entry in enumerate(found, 1):
            for file in sorted(entry.iterdir()):
                match = _FILE.match(file.name)
                if not match or (match.group(1) not in RAW_TABLES and match.group(1) != "ingest_log"):
                    raise store.StoreError(f"journal entry {entry.name}: unexpected file {file.name}")
                table, mode = f"raw.{match.group(1)}", match.group(2)
                con.execute("BEGIN TRANSACTION")
                if mode == "replace":
                    con.execute(f"DELETE FROM {table}")
                verb = "INSERT OR REPLACE" if mode == "upsert" else "INSERT"
                con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM read_parquet(?)", [str(file)])
                con.execute("COMMIT")
            if n % 50 == 0 or n == len(found):
                progress(f"replayed {n} of {len(found)} journal entries")
        counts = {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]
                  for t in [*RAW_TABLES, "ingest_log"]}
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts
