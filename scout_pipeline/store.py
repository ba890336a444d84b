"""DuckDB access: the run's working database, upserts, .sql files, publish.

Write-audit-publish on files:
- `store.duckdb` holds the last good build (raw history, staging views, marts).
- each run works on a copy, `work/<run_id>.duckdb`; nothing a run writes reaches the
  store or the published file until every blocking check passed.
- `publish` writes the marts into a fresh file and `os.replace`s it over `scout.duckdb`
  (atomic on POSIX: a reader holding the old file keeps its snapshot), swaps the `parquet`
  symlink to a complete new set of files, then promotes the working copy to be the new
  store. A failed or killed run leaves both byte-identical and keeps its working copy under
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
        leftovers = [*self.root.glob(f".{PUBLISHED}.*.tmp"), *self.root.glob(".parquet.*.tmp"),
                     *(self.root / "work").glob("*.tmp"), *(self.root / "work").glob("*.tmp.wal"), *(self.root / PARQUET_BUILDS).glob("*.tmp"),
                     *self.journal_dir.glob("*.tmp"), *self.root.glob(f".{STORE}.*.tmp")]
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


# Rows conformed and handed to DuckDB at a time: bounds the conformed copy of a first load
# (7.5 M price rows at 3,000 equities x 10 years) to ~100 MB beside the source frame.
BATCH_ROWS = 1_000_000
# From this many rows into an empty table, its key index is built once after the insert
# (`_bulk_load`) rather than maintained row by row.
BULK_LOAD_ROWS = 200_000


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
                  replace_keys: list[str] | None = None) -> tuple[int, int]:
    """Insert-or-replace `frame` into raw.<dataset> by key, in one transaction.

    Only new or changed rows are written, so a row keeps the `loaded_at` of when its
    current values first arrived and running the same day twice leaves the table
    identical. `replace_all` also deletes rows absent from `frame` (datasets that are a
    full snapshot each run: universe, pairs); `replace_keys` does that only for rows whose
    first key column (the ticker) is listed: a restated ticker's whole history arrived, so
    its stored rows that are no longer in it go, in the same transaction. Returns (rows
    written, rows deleted).

    The frame goes to DuckDB as Arrow batches (`conformed_batches`). Into an empty table
    (a first load, or a full replace that deleted everything) they are inserted directly,
    a large first load building the key index once afterwards (`_bulk_load`); otherwise they are staged in a temporary table first, which DuckDB holds in its own
    columnar form and can spill to disk, and compared with the stored rows in one pass.
    """
    key, values = RAW_TABLES[dataset]
    stamp = pd.Timestamp(loaded_at)
    stamp = (stamp.tz_convert(None) if stamp.tzinfo else stamp).to_pydatetime()
    table = f"raw.{dataset}"  # identifiers come from RAW_TABLES, never from input
    cols = ", ".join(key + values + ([] if "source" in key else ["source"]) + ["loaded_at"])
    on = " AND ".join(f"i.{k} = t.{k}" for k in key)
    changed = " OR ".join(f"i.{c} IS DISTINCT FROM t.{c}" for c in values + (["source"] if "source" not in key else []))
    staged = False
    con.execute("BEGIN TRANSACTION")
    try:
        empty = con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]
        deleted = written = 0
        if empty and len(frame) >= BULK_LOAD_ROWS:
            written = _bulk_load(con, dataset, frame, cols, stamp)
        elif empty:  # first load: nothing to compare with or delete, so no join (keys still enforced)
            for batch in conformed_batches(dataset, frame):
                written += _insert_batch(con, f"INSERT INTO {table} ({cols}) SELECT *, ? FROM scout_batch",
                                         batch, stamp)
        else:
            # the incoming rows with the table's own column types (dates compare as DATE)
            con.execute(f"CREATE OR REPLACE TEMP TABLE scout_incoming AS SELECT {cols} FROM {table} LIMIT 0")
            staged = True
            for batch in conformed_batches(dataset, frame):
                _insert_batch(con, "INSERT INTO scout_incoming SELECT *, ? FROM scout_batch", batch, stamp)
            if replace_all:
                deleted = con.execute(
                    f"DELETE FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM scout_incoming i WHERE {on})"
                ).fetchall()[0][0]
            elif replace_keys:
                deleted = con.execute(
                    f"DELETE FROM {table} t WHERE list_contains(?, t.{key[0]}) "
                    f"AND NOT EXISTS (SELECT 1 FROM scout_incoming i WHERE {on})", [list(replace_keys)]).fetchall()[0][0]
            if con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchall()[0][0]:
                # everything was replaced: a plain insert, as on a first load
                written = con.execute(f"INSERT INTO {table} ({cols}) SELECT * FROM scout_incoming").fetchall()[0][0]
            else:
                written = con.execute(
                    f"INSERT OR REPLACE INTO {table} ({cols}) SELECT i.* FROM scout_incoming i "
                    f"LEFT JOIN {table} t ON {on} WHERE t.{key[0]} IS NULL OR {changed}"
                ).fetchall()[0][0]
        faults.point("store.before_commit", dataset)
        con.execute("COMMIT")
    except Exception as exc:
        # A COMMIT that failed (disk full) has already ended the transaction: ROLLBACK then
        # raises "cannot rollback - no transaction is active", which must not hide the cause.
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        if isinstance(exc, duckdb.TransactionException) and "constraint violation" in str(exc):
            # a key index built by _bulk_load is checked at COMMIT: the same error as an insert's
            raise duckdb.ConstraintException(str(exc)) from exc
        raise
    finally:
        if staged:
            con.execute("DROP TABLE IF EXISTS temp.scout_incoming")
    return int(written), int(deleted)


def _bulk_load(con: duckdb.DuckDBPyConnection, dataset: str, frame: pd.DataFrame, cols: str,
               stamp: dt.datetime) -> int:
    """Fill an empty raw table with a large frame (a first load): the rows go into a copy of
    the table without its primary key, the key's index is then built in one pass, and the
    copy replaces the table, all in the caller's transaction. Maintaining the index row by
    row costs about half of such a load; a key delivered twice still fails, when the key is
    checked at COMMIT. The copy keeps the columns, types, NOT NULL and the key: all that
    schema.sql gives a raw table (no defaults or CHECKs)."""
    table = f"raw.{dataset}"
    loading = f"raw._scout_loading_{dataset}"  # names from RAW_TABLES, never from input
    not_null = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ? "
        "AND NOT is_nullable ORDER BY column_index", [dataset]).fetchall()]
    con.execute(f"CREATE TABLE {loading} AS SELECT * FROM {table} LIMIT 0")  # same columns and types
    for col in not_null:
        con.execute(f'ALTER TABLE {loading} ALTER COLUMN "{col}" SET NOT NULL')
    written = 0
    for batch in conformed_batches(dataset, frame):
        written += _insert_batch(con, f"INSERT INTO {loading} ({cols}) SELECT *, ? FROM scout_batch", batch, stamp)
    con.execute(f"ALTER TABLE {loading} ADD PRIMARY KEY ({', '.join(RAW_TABLES[dataset][0])})")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE {loading} RENAME TO {dataset}")
    return written


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
    """Copy `tables` (schema, name) into a new file, swap it in atomically, swap in a new
    Parquet set, and promote the working copy to be the store. `info` (as_of, source, ...)
    becomes the one-row table meta.run_info. Returns row counts per table.

    Order, and what a crash between two steps leaves (RELIABILITY.md): everything is
    written beside the live files first; then three renames, each atomic. Killed before the
    first, the previous build is intact; after it, the new build is published and the
    next run redoes the rest."""
    work = wh.work_path(run_id)
    if not work.exists():
        raise StoreError(f"no working database for run {run_id} at {work}")
    tmp = wh.root / f".{PUBLISHED}.{run_id}.tmp"
    tmp.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    builds = wh.root / PARQUET_BUILDS
    parquet_tmp = builds / f"{run_id}.tmp"
    shutil.rmtree(parquet_tmp, ignore_errors=True)
    parquet_tmp.mkdir(parents=True)
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
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for file in [tmp, *parquet_tmp.iterdir()]:
        fsync(file)
    parquet_build = builds / run_id
    shutil.rmtree(parquet_build, ignore_errors=True)
    os.replace(parquet_tmp, parquet_build)
    faults.point("publish.before_swap")
    os.replace(tmp, wh.published)
    faults.point("publish.after_swap")
    _swap_parquet(wh, parquet_build)
    faults.point("publish.before_promote")
    Path(str(work) + ".wal").unlink(missing_ok=True)
    os.replace(work, wh.store)
    fsync_dir(wh.root)
    _prune_parquet_builds(wh, keep=parquet_build)
    return counts


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
