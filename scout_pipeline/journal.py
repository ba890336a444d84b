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


def record(con: duckdb.DuckDBPyConnection, wh: store.Warehouse, run_id: str) -> dict[str, int]:
    """Add the run's entry: what its working database `con` holds that the store does not
    (nothing when it changed nothing). Returns rows per file written.

    Compared with the store, not with this run's own stamps, so a UI re-execution that
    continues its parent's working copy journals the parent's writes too."""
    existing = entries(wh)
    # no journal yet (a new warehouse, or one from before the journal): a full baseline
    first = not existing or not wh.store.exists()
    seq = int(_ENTRY.match(existing[-1].name).group(1)) + 1 if existing else 1
    wh.journal_dir.mkdir(parents=True, exist_ok=True)
    tmp = wh.journal_dir / f"{seq:06d}-{run_id}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    written: dict[str, int] = {}
    if not first:
        con.execute("ATTACH ? AS journal_store (READ_ONLY)", [str(wh.store)])
    try:
        for dataset, (key, _) in RAW_TABLES.items():  # names from the contracts, never from input
            table = f"raw.{dataset}"
            if first:
                query, mode = f"SELECT * FROM {table}", "replace"
            else:
                # rows the store has never seen carry a loaded_at no stored row has (one per run)
                new = (f"SELECT * FROM {table} WHERE loaded_at NOT IN "
                       f"(SELECT DISTINCT loaded_at FROM journal_store.{table})")
                on = " AND ".join(f"n.{k} = s.{k}" for k in key)
                stored, added, now = con.execute(
                    f"SELECT (SELECT count(*) FROM journal_store.{table}), "
                    f"(SELECT count(*) FROM ({new}) n WHERE NOT EXISTS "
                    f"(SELECT 1 FROM journal_store.{table} s WHERE {on})), "
                    f"(SELECT count(*) FROM {table})").fetchone()
                deleted = stored + added - now
                query, mode = (f"SELECT * FROM {table}", "replace") if deleted else (new, "upsert")
            rows = _copy(con, query, tmp / f"{dataset}.{mode}.parquet")
            if rows or mode == "replace":
                written[f"{dataset}.{mode}"] = rows
            else:
                (tmp / f"{dataset}.{mode}.parquet").unlink()
        log = "SELECT * FROM raw.ingest_log" + ("" if first else
              " WHERE run_id NOT IN (SELECT DISTINCT run_id FROM journal_store.raw.ingest_log)")
        if rows := _copy(con, log, tmp / "ingest_log.append.parquet"):
            written["ingest_log.append"] = rows
        else:
            (tmp / "ingest_log.append.parquet").unlink()
    finally:
        if not first:
            con.execute("DETACH journal_store")
    if not written:
        shutil.rmtree(tmp)
        return {}
    for file in tmp.iterdir():  # on disk before the entry appears: a power cut must not lose it
        store.fsync(file)
    faults.point("journal.before_rename")
    entry = wh.journal_dir / f"{seq:06d}-{run_id}"
    tmp.rename(entry)
    store.fsync_dir(wh.journal_dir)
    _prune_superseded(existing, {k.split(".")[0] for k in written if k.endswith(".replace")})
    return written


def _prune_superseded(older: list[Path], replaced: set[str]) -> None:
    """A `replace` file makes every earlier file of its table irrelevant to replay: delete
    them, so a complete source (a rolling sample or snapshot window replaces its tables every
    day) keeps about one copy instead of one per run. Only after the new entry is on disk."""
    for entry in older:
        for file in entry.iterdir():
            match = _FILE.match(file.name)
            if match and match.group(1) in replaced:
                file.unlink()
        if not any(entry.iterdir()):
            entry.rmdir()


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    con.execute(f"COPY ({query}) TO ? (FORMAT parquet)", [str(path)])
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
