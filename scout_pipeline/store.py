"""DuckDB access: the run's working database, upserts, .sql files, publish.

Write-audit-publish on files:
- `store.duckdb` holds the last good build (raw history, staging views, marts).
- each run works on a copy, `work/<run_id>.duckdb`; nothing a run writes reaches the
  store or the published file until every blocking check passed.
- `publish` writes the marts into a new file of their own, `.duckdb-builds/<run_id>.duckdb`,
  and switches the `scout.duckdb` symlink to it with one rename (the commit point: a reader
  holding the old build keeps it, and a read-write session on an old build, its lock and its
  WAL stay with that build and never reach a new one); then it switches the `parquet`
  symlink to a complete new set of files, promotes the working copy to be the store and
  commits the run's journal entry. Killed before the link switch, the run left nothing
  published and its pending journal entry is deleted; after it, the next holder of the lock
  finishes the publish (`resolve_unfinished`). A failed run keeps its working copy under
  `work/` for inspection; `sweep` removes what a killed run left half-written.

Fault points (`scout_pipeline.faults`) mark the steps the reliability suite crashes at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from scout_pipeline import faults
from scout_pipeline.sources.contracts import DATE_COLUMNS, LIST_COLUMNS, RAW_TABLES, TEXT_COLUMNS

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
PUBLISHED = "scout.duckdb"
STORE = "store.duckdb"
BUILDS = ".duckdb-builds"  # published DuckDB builds, one file per run; scout.duckdb links to one
KEEP_FAILED_WORK = 5  # failed runs' working copies kept for inspection
KEEP_PARQUET_BUILDS = 2  # the published set and the one before (a reader may still be on it)
PARQUET_BUILDS = ".parquet-builds"
RECOVERY_HINT = "run `scout recover --warehouse {root}` to check it and rebuild it from {root}/journal (RELIABILITY.md)"
# DuckDB's messages for a damaged file: checksum mismatch, truncated file, bad header
_DAMAGE = ("Corrupt database file", "Could not read enough bytes", "not a valid DuckDB database")
BI_STORAGE_VERSION = "v1.2.0"  # oldest DuckDB release that can open the published file


class StoreError(RuntimeError):
    """A warehouse problem a user can act on (message says what and where)."""


@dataclass(frozen=True)
class Warehouse:
    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike) -> "Warehouse":
        path = Path(root).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @property
    def published(self) -> Path:
        return self.root / PUBLISHED

    @property
    def store(self) -> Path:
        return self.root / STORE

    @property
    def parquet_dir(self) -> Path:
        return self.root / "parquet"

    @property
    def journal_dir(self) -> Path:
        return self.root / "journal"

    @property
    def builds_dir(self) -> Path:
        return self.root / BUILDS

    def published_run(self) -> str | None:
        """The run whose build `scout.duckdb` links to (None for a missing link or a plain
        file from before builds had their own names)."""
        if not self.published.is_symlink():
            return None
        name = Path(os.readlink(self.published)).name
        return name[: -len(".duckdb")] if name.endswith(".duckdb") else None

    def damaged(self, exc: BaseException, path: Path) -> "StoreError | None":
        """A StoreError with the recovery to run when `exc` is DuckDB reporting a damaged file."""
        if isinstance(exc, duckdb.Error) and any(m in str(exc) for m in _DAMAGE):
            hint = (RECOVERY_HINT.format(root=self.root) if path == self.store else
                    "start a new run instead of re-executing this one (it starts from the store)")
            return StoreError(f"{path.name} in {path.parent} is damaged ({str(exc)[:160]}); {hint}")
        return None

    def work_path(self, run_id: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", run_id):
            raise StoreError(f"run id {run_id!r} is not a safe file name")
        return self.root / "work" / f"{run_id}.duckdb"

    def prepare_work(self, run_id: str, parent_run_id: str | None = None) -> Path:
        """The run's working database: a copy of the last good store (made once per run).
        A re-execution (Dagster's "re-execute from failure") continues from its parent's
        working copy when the parent left one, so the steps it skips keep their writes."""
        path = self.work_path(run_id)
        if path.exists():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        parent = self.work_path(parent_run_id) if parent_run_id else None
        if parent is not None and parent.exists():
            shutil.copyfile(parent, tmp)
            wal = Path(str(parent) + ".wal")  # a killed parent's last commits may be only here
            if wal.exists():
                shutil.copyfile(wal, str(tmp) + ".wal")
        elif self.store.exists():
            shutil.copyfile(self.store, tmp)
        else:
            tmp.unlink(missing_ok=True)
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute(SCHEMA_SQL.read_text())
                drop_raw_keys(con)
            finally:
                con.close()
        except duckdb.Error as exc:
            tmp.unlink(missing_ok=True)
            copied = parent if parent is not None and parent.exists() else self.store
            raise (self.damaged(exc, copied) or exc) from exc
        Path(str(tmp) + ".wal").unlink(missing_ok=True)  # replayed into the file on close
        os.replace(tmp, path)
        return path

    @contextlib.contextmanager
    def connect(self, run_id: str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.prepare_work(run_id)), read_only=read_only)
        try:
            yield con
        except duckdb.Error as exc:
            # a block that fails its checksum shows up only when read: name the fix
            raise (self.damaged(exc, self.store) or exc) from exc
        finally:
            con.close()

    def sweep(self) -> list[Path]:
        """Remove what a killed run left half-written (temporary files and directories).
        Only safe while holding the warehouse lock; returns what was removed."""
        leftovers = [*self.root.glob(f".{PUBLISHED}.*.tmp"), *self.root.glob(f".{PUBLISHED}.*.tmp.wal"),
                     *self.root.glob(".parquet.*.tmp"), *self.root.glob(f".{PUBLISHED}-link.*.tmp"),
                     *(self.root / "work").glob("*.tmp"), *(self.root / "work").glob("*.tmp.wal"), *(self.root / PARQUET_BUILDS).glob("*.tmp"),
                     *self.builds_dir.glob("*.tmp"), *self.builds_dir.glob("*.tmp.wal"),
                     *self.journal_dir.glob("*.tmp"), *self.journal_dir.glob(".*.tmp"),
                     *self.root.glob(f".{STORE}.*.tmp"), *self.root.glob(f".{STORE}.*.tmp.wal")]
        # the WAL of a build that was pruned can never be applied to anything: its file is gone
        leftovers += [w for w in self.builds_dir.glob("*.duckdb.wal") if not Path(str(w)[:-4]).exists()]
        for path in leftovers:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return leftovers

    def discard_old_work(self, keep: int = KEEP_FAILED_WORK) -> None:
        work = sorted((self.root / "work").glob("*.duckdb"), key=lambda p: p.stat().st_mtime)
        for old in work[:-keep] if keep else work:
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)


# ---------------------------------------------------------------- raw upserts


def drop_raw_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild, without its primary key, each raw table of a store made while raw tables had
    one (schema.sql's CREATE TABLE IF NOT EXISTS leaves an existing table as it is): its
    rows, columns and NOT NULLs move to the table as schema.sql defines it, in one
    transaction, once. Returns the tables rebuilt."""
    keyed = [r[0] for r in con.execute(
        "SELECT DISTINCT table_name FROM duckdb_constraints() WHERE schema_name = 'raw' "
        "AND constraint_type = 'PRIMARY KEY' ORDER BY 1").fetchall() if r[0] in RAW_TABLES]
    if not keyed:
        return []
    con.execute("BEGIN TRANSACTION")
    try:
        for name in keyed:  # names from RAW_TABLES, never from input
            con.execute(f"ALTER TABLE raw.{name} RENAME TO _scout_keyed_{name}")
        con.execute(SCHEMA_SQL.read_text())
        for name in keyed:
            con.execute(f"INSERT INTO raw.{name} BY NAME SELECT * FROM raw._scout_keyed_{name}")
            con.execute(f"DROP TABLE raw._scout_keyed_{name}")
        con.execute("COMMIT")
    except Exception:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    return keyed


# Rows conformed and handed to DuckDB at a time: bounds the conformed copy of a first load
# (7.5 M price rows at 3,000 equities x 10 years) to ~100 MB beside the source frame.
BATCH_ROWS = 1_000_000
# A delivery whose keys change group more often than this is not in key order: its keys are
# checked for uniqueness by one GROUP BY in DuckDB instead of in Arrow (`KeyOrder`).
MAX_KEY_RUNS = 200_000


def conform(dataset: str, frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Frame in contract column order with contract types (dates as DATE, numbers as float).
    `columns` limits it to those contract columns (e.g. only the key)."""
    key, values = RAW_TABLES[dataset]
    cols = key + values + ([] if "source" in key else ["source"])
    if columns is not None:
        cols = [c for c in cols if c in columns]
    out = pd.DataFrame(index=frame.index)
    for col in cols:
        series = frame[col] if col in frame.columns else pd.Series(None, index=frame.index, dtype="object")
        if col in DATE_COLUMNS:
            series = pd.to_datetime(series).dt.normalize()
        elif col in LIST_COLUMNS:
            series = series.map(_as_list)
        elif col in TEXT_COLUMNS:
            # Arrow-backed strings: DuckDB scans them without one Python object per value
            series = series.astype("string[pyarrow]")
        else:
            series = pd.to_numeric(series, errors="raise").astype("float64")
        out[col] = series
    return out.reset_index(drop=True)


def _as_list(value) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        return [s.strip() for s in re.split(r"[;|,]", value) if s.strip()]
    return [str(v) for v in value]


def conformed_batches(dataset: str, frame: pd.DataFrame, batch_rows: int | None = None) -> Iterator[pa.Table]:
    """`frame` conformed as Arrow tables of at most `batch_rows` rows (at least one, maybe
    empty): DuckDB scans Arrow columns directly, with no per-row conversion, and only one
    batch's conformed copy exists at a time."""
    batch_rows = batch_rows or BATCH_ROWS
    for start in range(0, max(len(frame), 1), batch_rows):
        data = conform(dataset, frame.iloc[start:start + batch_rows])
        yield pa.Table.from_pandas(data, preserve_index=False)


def upsert(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame,
           loaded_at: dt.datetime, replace_all: bool = False) -> int:
    """`upsert_counts` without the deleted count: the rows written."""
    return upsert_counts(con, dataset, frame, loaded_at, replace_all)[0]


def upsert_counts(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame,
                  loaded_at: dt.datetime, replace_all: bool = False,
                  replace_keys: list[str] | None = None,
                  replace_from: tuple[str, dt.date] | None = None) -> tuple[int, int]:
    """Insert-or-replace `frame` into raw.<dataset> by key, in one transaction.

    Only new or changed rows are written, so a row keeps the `loaded_at` of when its
    current values first arrived and running the same day twice leaves the table
    identical. `replace_all` also deletes rows absent from `frame` (datasets that are a
    full snapshot each run: universe, pairs); `replace_keys` does that only for rows whose
    first key column (the ticker) is listed: a restated ticker's whole history arrived, so
    its stored rows that are no longer in it go, in the same transaction. `replace_from`
    = (date column, first day) limits `replace_all` to the rows dated on or after that day:
    a source that delivers a rolling window replaces what the window covers, and history
    before it stays. Returns (rows written, rows deleted).

    The raw tables have no primary key (an index costs a first load about half its time):
    a key is unique by construction. A frame that holds a key twice is refused
    (`duckdb.ConstraintException` naming the key; the ingest assets set such copies aside
    first), and a stored row is replaced by deleting it by key and inserting the new one,
    in the same transaction. The frame goes to DuckDB as Arrow batches (`conformed_batches`):
    into an empty table (a first load) directly; otherwise each batch is compared with the
    stored rows as it arrives, and only the delivery's keys and its new or changed rows are
    kept (in temporary tables, which DuckDB can spill to disk) until they are written.
    """
    key, values = RAW_TABLES[dataset]
    stamp = pd.Timestamp(loaded_at)
    stamp = (stamp.tz_convert(None) if stamp.tzinfo else stamp).to_pydatetime()
    table = f"raw.{dataset}"  # identifiers come from RAW_TABLES, never from input
    cols = ", ".join(key + values + ([] if "source" in key else ["source"]) + ["loaded_at"])
    on = " AND ".join(f"i.{k} = t.{k}" for k in key)
    changed = " OR ".join(f"i.{c} IS DISTINCT FROM t.{c}" for c in values + (["source"] if "source" not in key else []))
    if replace_from is not None and replace_from[0] not in key:
        raise ValueError(f"replace_from: {replace_from[0]!r} is not a key column of raw.{dataset}")
    order = KeyOrder(key)
    staged = False
    con.execute("BEGIN TRANSACTION")
    try:
        empty = con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]
        deleted = written = 0
        if empty:  # first load: nothing to compare with or delete, so no join
            for batch in conformed_batches(dataset, frame):
                order.feed(batch)
                written += _insert_batch(con, f"INSERT INTO {table} ({cols}) SELECT *, ? FROM scout_batch",
                                         batch, stamp)
            if not order.unique:
                _refuse_duplicate_keys(con, table, dataset)
        else:
            # Batch by batch: the batch with the table's own column types (dates compare as
            # DATE), its keys kept, and its new and changed rows found by one join with the
            # stored rows (an unchanged row keeps its loaded_at). Only the keys and the
            # changed rows of the whole delivery are held, not all of it.
            typed = _typed_columns(con, dataset)
            con.execute(f"CREATE OR REPLACE TEMP TABLE scout_incoming_keys AS SELECT {', '.join(key)} FROM {table} LIMIT 0")
            con.execute(f"CREATE OR REPLACE TEMP TABLE scout_changed AS SELECT {cols} FROM {table} LIMIT 0")
            staged = True
            for batch in conformed_batches(dataset, frame):
                order.feed(batch)
                con.register("scout_batch", batch)
                try:
                    con.execute(f"INSERT INTO scout_incoming_keys SELECT {', '.join(typed[k] for k in key)} "
                                "FROM scout_batch")
                    con.execute(f"INSERT INTO scout_changed SELECT i.* FROM (SELECT "
                                f"{', '.join(typed.values())}, ?::TIMESTAMP AS loaded_at FROM scout_batch) i "
                                f"LEFT JOIN {table} t ON {on} WHERE t.{key[0]} IS NULL OR {changed}", [stamp])
                finally:
                    con.unregister("scout_batch")
            if not order.unique:  # before anything stored changes
                _refuse_duplicate_keys(con, "temp.scout_incoming_keys", dataset)
            if replace_all:
                since, bind = "", []
                if replace_from is not None:  # a key column name (checked above), never input
                    since, bind = f"t.{replace_from[0]} >= ? AND ", [replace_from[1]]
                deleted = con.execute(
                    f"DELETE FROM {table} t WHERE {since}NOT EXISTS (SELECT 1 FROM scout_incoming_keys i WHERE {on})",
                    bind).fetchall()[0][0]
            elif replace_keys:
                deleted = con.execute(
                    f"DELETE FROM {table} t WHERE list_contains(?, t.{key[0]}) "
                    f"AND NOT EXISTS (SELECT 1 FROM scout_incoming_keys i WHERE {on})",
                    [list(replace_keys)]).fetchall()[0][0]
            # the changed rows' stored versions go by key, the new ones come in: the incoming
            # keys being unique keeps the stored ones unique, with no key index
            con.execute(f"DELETE FROM {table} t USING scout_changed i WHERE {on}")
            written = con.execute(f"INSERT INTO {table} ({cols}) SELECT * FROM scout_changed").fetchall()[0][0]
        faults.point("store.before_commit", dataset)
        con.execute("COMMIT")
    except Exception:
        # A COMMIT that failed (disk full) has already ended the transaction: ROLLBACK then
        # raises "cannot rollback - no transaction is active", which must not hide the cause.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise
    finally:
        if staged:
            for name in ("scout_incoming_keys", "scout_changed"):
                con.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return int(written), int(deleted)


def _typed_columns(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, str]:
    """{column: `CAST(column AS <its type in raw.dataset>)`} for a conformed batch's columns
    (dates arrive as timestamps): compared with the stored rows, it compares like them."""
    key, values = RAW_TABLES[dataset]
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE schema_name = 'raw' AND table_name = ?", [dataset]).fetchall())
    return {c: f'CAST("{c}" AS {types[c]}) AS "{c}"'
            for c in key + values + ([] if "source" in key else ["source"])}


class KeyOrder:
    """Whether a stream of conformed batches holds each key once, told in Arrow without a
    hash table when the rows come grouped (all rows of a ticker together) and ordered within
    the group by the key's last column, as every source delivers them: then no key repeats
    exactly when the last column strictly increases inside every run of equal leading
    columns and no run's leading columns were seen before. `unique` False means "not
    proven": the caller checks in SQL (`_refuse_duplicate_keys`)."""

    def __init__(self, key: list[str]):
        self.key = key
        self.unique = len(key) > 1  # a one-column key (small reference lists): SQL decides
        self._seen: set[tuple] = set()
        self._last: tuple | None = None  # (leading columns, last column) of the previous row

    def feed(self, batch: pa.Table) -> None:
        if not self.unique or batch.num_rows == 0:
            return
        import pyarrow.compute as pc

        lead = [batch[c].combine_chunks() for c in self.key[:-1]]
        last = batch[self.key[-1]].combine_chunks()
        n = batch.num_rows
        cont = None  # row i+1 continues row i's run: equal leading columns
        for col in lead:
            equal = pc.fill_null(pc.equal(col.slice(1), col.slice(0, n - 1)), False)
            cont = equal if cont is None else pc.and_(cont, equal)
        rises = pc.fill_null(pc.greater(last.slice(1), last.slice(0, n - 1)), False)
        if pc.any(pc.and_(cont, pc.invert(rises))).as_py():
            self.unique = False
            return
        starts = pc.indices_nonzero(pc.invert(cont))
        if len(starts) > MAX_KEY_RUNS:
            self.unique = False
            return
        groups = list(zip(*(pc.take(col, pc.add(starts, 1)).to_pylist() for col in lead)))
        first = tuple(col[0].as_py() for col in lead)
        if self._last is not None and self._last[0] == first:  # the run goes on from the last batch
            here, before = last[0].as_py(), self._last[1]
            if here is None or before is None or not here > before:  # a null key: SQL decides
                self.unique = False
                return
        else:
            groups.insert(0, first)
        if len(set(groups)) < len(groups) or not self._seen.isdisjoint(groups):
            self.unique = False
            return
        self._seen.update(groups)
        self._last = (tuple(col[n - 1].as_py() for col in lead), last[n - 1].as_py())


def keys_in_order(dataset: str, frame: pd.DataFrame) -> bool:
    """True when `KeyOrder` proves that `frame` holds each key of `dataset` once (only the key
    columns are conformed, a batch at a time); False = not proven, maybe unique."""
    key = RAW_TABLES[dataset][0]
    order = KeyOrder(key)
    for start in range(0, len(frame), BATCH_ROWS):
        if not order.unique:
            break
        part = conform(dataset, frame.iloc[start:start + BATCH_ROWS], columns=key)
        order.feed(pa.Table.from_pandas(part, preserve_index=False))
    return order.unique


def _refuse_duplicate_keys(con: duckdb.DuckDBPyConnection, table: str, dataset: str) -> None:
    """Raise ConstraintException naming a key of `dataset` that `table` holds more than once."""
    key = RAW_TABLES[dataset][0]
    cols = ", ".join(key)
    dup = con.execute(f"SELECT {cols}, count(*) FROM {table} GROUP BY ALL HAVING count(*) > 1 LIMIT 1").fetchall()
    if dup:
        *values, copies = dup[0]
        shown = ", ".join(f"{k}={v}" for k, v in zip(key, values))
        raise duckdb.ConstraintException(
            f"Duplicate key in one delivery to raw.{dataset}: {shown} appears {copies} times "
            "(each key once per upsert; nothing was written)")


def _insert_batch(con: duckdb.DuckDBPyConnection, sql: str, batch: pa.Table, stamp: dt.datetime) -> int:
    con.register("scout_batch", batch)
    try:  # fetched whole: DuckDB 2 refuses register() while a result is still open
        written = con.execute(sql, [stamp]).fetchall()[0][0]
    except duckdb.Error:
        with contextlib.suppress(duckdb.Error):  # the aborted transaction must not mask the cause
            con.unregister("scout_batch")
        raise
    con.unregister("scout_batch")
    return written


# ---------------------------------------------------------------- sql files

_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_][A-Za-z0-9_]*)")


def sql_params(sql: str) -> set[str]:
    """Named parameters ($name) a SQL text binds, ignoring comments and strings."""
    stripped = re.sub(r"--[^\n]*", "", sql)
    stripped = re.sub(r"'(?:[^']|'')*'", "''", stripped)
    return set(_PARAM.findall(stripped))


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> None:
    needed = sql_params(sql)
    missing = needed - params.keys()
    if missing:
        raise StoreError(f"SQL needs parameters {sorted(missing)} that were not given")
    con.execute(sql, {k: params[k] for k in needed} if needed else None)


def sql_literal(text: str) -> str:
    """A quoted SQL string literal. Only for COMMENT ON, which DuckDB cannot bind; the
    text comes from this repository's .sql headers, never from data."""
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------- publish


# Parquet readers see what the DuckDB reader sees: the column comments and the build's
# run_info, as JSON in the file's key-value metadata (pyarrow: pq.read_schema(f).metadata).
PARQUET_KV = "{'scout.table_comment': ?, 'scout.column_comments': ?, 'scout.run_info': ?}"


def parquet_metadata(comments: dict[str, str], run_info: dict) -> list[str]:
    """The values bound into PARQUET_KV, in its order."""
    import json

    columns = {col: text for col, text in comments.items() if col}
    return [comments.get("", ""), json.dumps(columns), json.dumps({k: str(v) for k, v in run_info.items()})]


def publish(wh: Warehouse, run_id: str, tables: list[tuple[str, str]],
            comments: dict[tuple[str, str], dict[str, str]], info: dict | None = None) -> dict[str, int]:
    """Copy `tables` (schema, name) into a new build file, switch `scout.duckdb` to it
    atomically, switch in a new Parquet set, promote the working copy to be the store and
    commit the run's pending journal entry. `info` (as_of, source, ...) becomes the one-row
    table meta.run_info. Returns row counts per table.

    Order, and what a crash between two steps leaves (RELIABILITY.md): everything is
    written beside the live files first; the `scout.duckdb` link switch is the commit point.
    Killed before it, the previous build is intact and the run's journal entry is deleted by
    the next holder of the lock; after it, the next holder finishes the rest (`finish`)."""
    from scout_pipeline import journal

    work = wh.work_path(run_id)
    if not work.exists():
        raise StoreError(f"no working database for run {run_id} at {work}")
    wh.builds_dir.mkdir(exist_ok=True)
    build = wh.builds_dir / f"{run_id}.duckdb"
    tmp = wh.builds_dir / f"{run_id}.duckdb.tmp"
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    builds = wh.root / PARQUET_BUILDS
    parquet_tmp = builds / f"{run_id}.tmp"
    shutil.rmtree(parquet_tmp, ignore_errors=True)
    parquet_tmp.mkdir(parents=True)
    entry = journal.pending_for(wh, run_id)
    try:
        _write_build(wh, run_id, work, tmp, parquet_tmp, tables, comments, info, entry, counts)
    except BaseException:
        if entry is not None:  # nothing was published: the run's journal entry goes with it
            journal.discard(entry)
        raise
    os.replace(tmp, build)
    parquet_build = builds / run_id
    shutil.rmtree(parquet_build, ignore_errors=True)
    os.replace(parquet_tmp, parquet_build)
    fsync_dir(wh.builds_dir)
    faults.point("publish.before_swap")
    _switch_link(wh, wh.published, build)  # the commit point
    faults.point("publish.after_swap")
    finish(wh, run_id)
    return counts


def _write_build(wh: Warehouse, run_id: str, work: Path, tmp: Path, parquet_tmp: Path,
                 tables: list[tuple[str, str]], comments: dict, info: dict | None, entry: Path | None,
                 counts: dict[str, int]) -> None:
    con = duckdb.connect(str(work))
    try:
        # BI drivers often bundle an older DuckDB (1.x JDBC in Metabase/DBeaver, the 1.x CLI):
        # write a storage format they can read, not only the newest one.
        con.execute(f"ATTACH ? AS pub (STORAGE_VERSION '{BI_STORAGE_VERSION}')", [str(tmp)])
        for schema, name in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{schema}")
            con.execute(f"CREATE TABLE pub.{schema}.{name} AS SELECT * FROM {schema}.{name}")
            table_comments = comments.get((schema, name), {})
            if "" in table_comments:
                con.execute(f"COMMENT ON TABLE pub.{schema}.{name} IS {sql_literal(table_comments[''])}")
            for col, text in table_comments.items():
                if col:
                    con.execute(f'COMMENT ON COLUMN pub.{schema}.{name}."{col}" IS {sql_literal(text)}')
            counts[f"{schema}.{name}"] = con.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0]
            if schema == "marts":
                con.execute(f"COPY {schema}.{name} TO ? (FORMAT parquet, KV_METADATA {PARQUET_KV})",
                            [str(parquet_tmp / f"{name}.parquet"),
                             *parquet_metadata(table_comments, {"run_id": run_id, **(info or {})})])
            faults.point("publish.writing", name)
        run_info = {"run_id": run_id, **(info or {})}
        con.execute("CREATE SCHEMA pub.meta")
        con.execute("CREATE TABLE pub.meta.run_info (key VARCHAR, value VARCHAR)")
        con.executemany("INSERT INTO pub.meta.run_info VALUES (?, ?)", [[k, str(v)] for k, v in run_info.items()])
        con.execute("COMMENT ON TABLE pub.meta.run_info IS 'What this published build is: run id, as-of session, source, publish time.'")
        con.execute("DETACH pub")
        if entry is not None:  # the store says which journal entry it is (checked by recover)
            con.execute("CREATE SCHEMA IF NOT EXISTS meta")
            con.execute("CREATE OR REPLACE TABLE meta.journal_head (entry VARCHAR)")
            con.execute("INSERT INTO meta.journal_head VALUES (?)", [entry.name])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    Path(str(tmp) + ".wal").unlink(missing_ok=True)  # detached and checkpointed: empty
    for file in [tmp, *parquet_tmp.iterdir()]:
        fsync(file)


def finish(wh: Warehouse, run_id: str) -> None:
    """Everything after the commit point, each step safe to redo: the Parquet set, the store
    promotion, the journal commit, pruning. Also how the next lock holder completes a
    publish killed after its switch."""
    from scout_pipeline import journal, walguard

    parquet_build = wh.root / PARQUET_BUILDS / run_id
    if parquet_build.is_dir() and not (wh.parquet_dir.is_symlink()
                                       and Path(os.readlink(wh.parquet_dir)).name == run_id):
        _swap_parquet(wh, parquet_build)
    faults.point("publish.before_promote")
    work = wh.work_path(run_id)
    if work.exists():
        guard_store(wh)  # a session that opened store.duckdb meanwhile: refuse, or set its WAL aside
        Path(str(work) + ".wal").unlink(missing_ok=True)
        os.replace(work, wh.store)
        fsync_dir(wh.root)
    entry = journal.pending_for(wh, run_id)
    if entry is not None:
        journal.commit(wh, entry)
    # a WAL named after the link (an older DuckDB client that does not resolve it, or the
    # layout before builds had their own names) would be replayed into the new build
    walguard.quarantine(wh.root, wh.published, "It lay beside the scout.duckdb link when a new build was published.")
    if parquet_build.is_dir():
        _prune_parquet_builds(wh, keep=parquet_build)
    _prune_duckdb_builds(wh, keep=wh.builds_dir / f"{run_id}.duckdb")


def resolve_unfinished(wh: Warehouse) -> list[str]:
    """Settle what a killed or failed publish left, with the warehouse lock held: a run
    whose build is linked as `scout.duckdb` but not finished is finished (its journal
    entry committed); every other pending journal entry belongs to a run that never
    published, and is deleted. Returns what it did."""
    from scout_pipeline import journal

    done = []
    adopted = journal.adopt_legacy(wh)
    if adopted:
        done.append(f"journal: {len(adopted)} entries from before manifests adopted")
    linked = wh.published_run()
    if linked and (wh.work_path(linked).exists() or journal.pending_for(wh, linked) is not None):
        finish(wh, linked)
        done.append(f"finished the publish of run {linked} (stopped after its build was switched in)")
    if moved := journal.advance_head(wh):
        done.append(f"journal: HEAD moved to {moved} (stopped between its commit and HEAD)")
    for entry in journal.pending(wh):
        journal.discard(entry)
        done.append(f"journal: removed entry {entry.name} of a run that never published")
    for build in unpublished_builds(wh):
        shutil.rmtree(build) if build.is_dir() else build.unlink(missing_ok=True)
        done.append(f"removed {build.relative_to(wh.root)}, written by a run that stopped before publishing it")
    return done


def unpublished_builds(wh: Warehouse) -> list[Path]:
    """Build files and Parquet sets newer than the published ones: written by a run that
    stopped before its switch (the one before the published build stays for its readers)."""
    out = []
    for folder, link, pattern in ((wh.builds_dir, wh.published, "*.duckdb"),
                                  (wh.root / PARQUET_BUILDS, wh.parquet_dir, "*")):
        if not folder.is_dir():
            continue
        current = folder / Path(os.readlink(link)).name if link.is_symlink() else None
        since = current.stat().st_mtime if current is not None and current.exists() else None
        for build in folder.glob(pattern):
            if build.name.endswith(".tmp") or build == current or build.name.startswith("legacy-"):
                continue
            if since is None or build.stat().st_mtime >= since:
                out.append(build)
    return sorted(out)


def guard_store(wh: Warehouse) -> list[str]:
    """Before the store is read or replaced: refuse while another process holds it
    read-write (naming it); move a WAL some other session left beside it to quarantine."""
    from scout_pipeline import walguard

    if wh.store.exists() and (pid := walguard.rw_holder(wh.store)):
        raise StoreBusy(walguard.busy_message(wh.store, pid))
    moved = walguard.quarantine(wh.root, wh.store, "The pipeline never leaves a WAL on store.duckdb (it only "
                                "reads the store and replaces it with a checkpointed file).")
    return [f"moved a write-ahead log no run wrote from beside store.duckdb to {moved} (not applied)"] if moved else []


def require_store(wh: Warehouse) -> None:
    """A store that is missing while the journal holds published runs is not a new
    warehouse: starting from scratch would drop that history. Refuse, naming the fix."""
    from scout_pipeline import journal

    if not wh.store.exists() and (found := journal.entries(wh)):
        raise StoreError(f"store.duckdb is missing from {wh.root} but its journal holds {len(found)} published "
                         f"run(s), the last {found[-1].name}; " + RECOVERY_HINT.format(root=wh.root))


class StoreBusy(StoreError):
    """Another process holds a warehouse file open read-write."""


def open_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published build. While another process holds that
    build read-write, DuckDB locks every reader out: read a private copy of the build file
    instead (without that session's WAL, so without its uncheckpointed writes)."""
    import tempfile

    from scout_pipeline import walguard

    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if walguard.lock_pid(exc) is None:
            raise
    folder = Path(tempfile.mkdtemp(prefix="scout-published-"))
    copy = folder / "scout.duckdb"
    try:
        shutil.copyfile(path, copy)
        return duckdb.connect(str(copy), read_only=True)  # the open file outlives its name
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _switch_link(wh: Warehouse, link: Path, target: Path) -> None:
    """Point `link` at `target` with one rename (replacing a plain file from the old layout)."""
    tmp_link = wh.root / f".{link.name}-link.{target.stem}.tmp"
    tmp_link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, wh.root), tmp_link)
    os.replace(tmp_link, link)
    fsync_dir(wh.root)


def _prune_duckdb_builds(wh: Warehouse, keep: Path) -> None:
    """Keep the published build and the one before (a reader may still be on it); an open
    reader of a deleted build keeps reading it (POSIX), and its WAL is swept once orphaned."""
    builds = [p for p in wh.builds_dir.glob("*.duckdb") if p != keep]
    builds.sort(key=lambda p: p.stat().st_mtime)
    for old in builds[: max(0, len(builds) - (KEEP_PARQUET_BUILDS - 1))]:
        old.unlink(missing_ok=True)


def _swap_parquet(wh: Warehouse, build: Path) -> None:
    """Point `parquet` at `build` with one rename, so a reader sees one whole set or the other."""
    link = wh.parquet_dir
    if link.exists() and not link.is_symlink():
        # a real directory from an earlier layout: move it aside once, whole
        os.replace(link, build.parent / f"legacy-{dt.datetime.now():%Y%m%d%H%M%S}")
    tmp_link = wh.root / f".parquet.{build.name}.tmp"
    tmp_link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, wh.root), tmp_link)
    os.replace(tmp_link, link)


def _prune_parquet_builds(wh: Warehouse, keep: Path) -> None:
    builds = [p for p in (wh.root / PARQUET_BUILDS).iterdir() if p.is_dir() and p.suffix != ".tmp" and p != keep]
    builds.sort(key=lambda p: p.stat().st_mtime)
    for old in builds[: max(0, len(builds) - (KEEP_PARQUET_BUILDS - 1))]:
        shutil.rmtree(old, ignore_errors=True)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fsync(path)
