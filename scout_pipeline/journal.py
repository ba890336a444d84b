"""The raw journal: every published change to raw.*, kept as Parquet beside the store.

Fundamentals and attention are point-in-time snapshots that no provider will serve again,
so the store's raw history must survive the store file itself. The journal holds exactly
the published runs: each run that changed raw.* writes one entry during publish,

    journal/000042-<run_id>/<table>.<mode>.parquet
      upsert   the rows the run wrote (new or changed keys, with their loaded_at)
      replace  the whole table (the run deleted rows, or this is the first entry)
      append   raw.ingest_log rows of the run
      removed  rows a `replace` deleted from the store (kept, never replayed: the journal
               keeps history a smaller snapshot took out of the store)
    journal/000042-<run_id>/manifest.json   files, rows, sha256, the previous entry and its
               manifest's sha256 (a chain), per table the first entry a replay needs, and
               the raw row counts the store holds after this run
    journal/000042-<run_id>/COMMITTED       written only after the store was promoted
    journal/HEAD                            the last committed entry

An entry without COMMITTED is pending: its run has not finished publishing. The next holder
of the warehouse lock completes it when the run's build was already swapped in (the
published link is the commit point), and deletes it otherwise (`store.resolve_unfinished`).
Superseded files are pruned only after the superseding entry is committed. `verify` checks
the chain before anything is replayed; `replay` applies it and checks the row counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scout_pipeline import faults, store
from scout_pipeline.sources.contracts import RAW_TABLES

_ENTRY = re.compile(r"^(\d{6,})-([A-Za-z0-9_-]+)$")
_FILE = re.compile(r"^(\w+)\.(upsert|replace|append|removed)\.parquet$")
MANIFEST, COMMITTED, HEAD = "manifest.json", "COMMITTED", "HEAD"
TABLES = [*RAW_TABLES, "ingest_log"]


class JournalError(store.StoreError):
    """The journal cannot be trusted to rebuild the store (message says which entry and why)."""


def _seq(entry: Path) -> int:
    return int(_ENTRY.match(entry.name).group(1))


def run_of(entry: Path) -> str:
    return _ENTRY.match(entry.name).group(2)


def _all(wh: store.Warehouse) -> list[Path]:
    if not wh.journal_dir.is_dir():
        return []
    found = [p for p in wh.journal_dir.iterdir() if p.is_dir() and _ENTRY.match(p.name)]
    return sorted(found, key=_seq)


def is_committed(entry: Path) -> bool:
    return (entry / COMMITTED).exists()


def entries(wh: store.Warehouse) -> list[Path]:
    """Committed entries, oldest first (pending ones belong to runs that did not publish)."""
    return [e for e in _all(wh) if is_committed(e)]


def pending(wh: store.Warehouse) -> list[Path]:
    return [e for e in _all(wh) if not is_committed(e)]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(entry: Path) -> dict:
    try:
        return json.loads((entry / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise JournalError(f"journal entry {entry.name}: manifest unreadable ({exc})") from None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    store.fsync(tmp)
    os.replace(tmp, path)
    store.fsync_dir(path.parent)


def head(wh: store.Warehouse) -> dict | None:
    """What journal/HEAD says: {entry, manifest_sha256}, None without a HEAD."""
    path = wh.journal_dir / HEAD
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise JournalError(f"{path} is not readable JSON") from None


def adopt_legacy(wh: store.Warehouse) -> list[str]:
    """Entries written before manifests (all of them published under the old rule): give
    them a manifest and COMMITTED so they join the chain. Returns the entries adopted."""
    adopted, previous = [], None
    for entry in _all(wh):
        if (entry / MANIFEST).exists():
            previous = entry
            continue
        files = {f.name: {"rows": _rows(f), "sha256": sha256(f)} for f in sorted(entry.iterdir())
                 if _FILE.match(f.name)}
        prev_manifest = _manifest(previous) if previous is not None else None
        base = dict(prev_manifest["base"]) if prev_manifest else {}
        for name in files:
            table, mode = _FILE.match(name).groups()
            if mode == "replace" or table not in base:
                base[table] = _seq(entry)
        manifest = {"format": 2, "seq": _seq(entry), "run_id": run_of(entry), "legacy": True,
                    "previous": previous.name if previous else None,
                    "previous_sha256": sha256(previous / MANIFEST) if previous else None,
                    "files": files, "base": base, "totals": None}
        _write_atomic(entry / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        _write_atomic(entry / COMMITTED, json.dumps({"adopted": True}))
        previous = entry
        adopted.append(entry.name)
    if adopted:
        _write_head(wh, previous)
    return adopted


def record(con: duckdb.DuckDBPyConnection, wh: store.Warehouse, run_id: str) -> dict[str, int]:
    """Write the run's entry, pending: what its working database `con` holds that the store
    does not (nothing when it changed nothing). Returns rows per file written. `store.publish`
    commits it once the store is promoted.

    Compared with the store, not with this run's own stamps, so a UI re-execution that
    continues its parent's working copy journals the parent's writes too."""
    adopt_legacy(wh)
    existing = entries(wh)
    first = not existing or not wh.store.exists()
    every = _all(wh)
    seq = _seq(every[-1]) + 1 if every else 1
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
                if deleted:  # what the replace takes out of the store stays in the journal
                    gone = (f"SELECT * FROM journal_store.{table} s WHERE NOT EXISTS "
                            f"(SELECT 1 FROM {table} n WHERE {on})")
                    if removed := _copy(con, gone, tmp / f"{dataset}.removed.parquet"):
                        written[f"{dataset}.removed"] = removed
                    else:
                        (tmp / f"{dataset}.removed.parquet").unlink()
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
    if not any(not k.endswith(".removed") for k in written):
        shutil.rmtree(tmp)
        return {}
    previous = existing[-1] if existing and not first else None
    prev_manifest = _manifest(previous) if previous is not None else None
    base = dict(prev_manifest["base"]) if prev_manifest else {}
    for name in written:
        table, mode = name.split(".")
        if mode == "replace" or table not in base:
            base[table] = seq
    manifest = {
        "format": 2, "seq": seq, "run_id": run_id, "previous": previous.name if previous else None,
        "previous_sha256": sha256(previous / MANIFEST) if previous else None,
        "files": {f"{k}.parquet": {"rows": n, "sha256": sha256(tmp / f"{k}.parquet")} for k, n in written.items()},
        "base": base,
        "totals": {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in TABLES},
        "source_family": _family(con),  # restored by a replay: a rebuilt store keeps its family
        "written_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    for file in tmp.iterdir():  # on disk before the entry appears: a power cut must not lose it
        store.fsync(file)
    faults.point("journal.before_rename")
    tmp.rename(wh.journal_dir / f"{seq:06d}-{run_id}")
    store.fsync_dir(wh.journal_dir)
    return written


def pending_for(wh: store.Warehouse, run_id: str) -> Path | None:
    found = [e for e in pending(wh) if run_of(e) == run_id]
    return found[-1] if found else None


def commit(wh: store.Warehouse, entry: Path) -> None:
    """Make `entry` part of the journal (its run is published and its store promoted), move
    HEAD to it, then prune the files its `replace`s superseded."""
    faults.point("journal.before_commit")
    _write_atomic(entry / COMMITTED, json.dumps(
        {"committed_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
         "manifest_sha256": sha256(entry / MANIFEST)}))
    faults.point("journal.before_head")
    _write_head(wh, entry)
    manifest = _manifest(entry)
    replaced = {n.split(".")[0] for n in manifest["files"] if n.endswith(".replace.parquet")}
    _prune_superseded([e for e in entries(wh) if _seq(e) < _seq(entry)], replaced)


def _write_head(wh: store.Warehouse, entry: Path) -> None:
    _write_atomic(wh.journal_dir / HEAD, json.dumps(
        {"entry": entry.name, "manifest_sha256": sha256(entry / MANIFEST)}))


def advance_head(wh: store.Warehouse) -> str | None:
    """HEAD one entry behind the newest committed one, whose manifest names HEAD's entry as
    its previous, means a kill between COMMITTED and HEAD: move HEAD on. Anything else (a
    deleted HEAD among several entries, a gap) is left for `verify` to report."""
    found = entries(wh)
    if not found:
        return None
    pointer = head(wh)
    newest = found[-1]
    if pointer is not None and pointer.get("entry") == newest.name:
        return None
    previous = _manifest(newest).get("previous")
    if (pointer is None and previous is None) or (pointer is not None and previous == pointer.get("entry")):
        _write_head(wh, newest)
        return newest.name
    return None


def discard(entry: Path) -> None:
    """Remove a pending entry whose run never published (its data never reached the store)."""
    shutil.rmtree(entry, ignore_errors=True)


def _prune_superseded(older: list[Path], replaced: set[str]) -> None:
    """A `replace` file makes every earlier replayable file of its table irrelevant: delete
    them, so a complete source keeps about one copy instead of one per run. Manifests stay
    (the chain), and so do `removed` files (history the store no longer holds)."""
    for entry in older:
        for file in entry.iterdir():
            match = _FILE.match(file.name)
            if match and match.group(1) in replaced and match.group(2) != "removed":
                file.unlink()


def _family(con: duckdb.DuckDBPyConnection) -> str | None:
    if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' "
                       "AND table_name = 'source_family'").fetchone()[0]:
        return None
    row = con.execute("SELECT family FROM meta.source_family").fetchone()
    return row[0] if row else None


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    con.execute(f"COPY ({query}) TO ? (FORMAT parquet)", [str(path)])
    return con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]


def _rows(path: Path) -> int:
    con = duckdb.connect()
    try:
        return con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]
    finally:
        con.close()


@dataclass
class Plan:
    """The files a replay applies, in order, and the row counts it must end with."""

    head: str
    steps: list[tuple[Path, str, str]]  # (file, table, mode)
    totals: dict[str, int] | None
    entries: int
    family: str | None = None


def verify(wh: store.Warehouse, store_head: str | None = None) -> Plan:
    """Check the chain from HEAD back to the first entry before anything is replayed: every
    link present and committed, every manifest's checksum as its successor recorded, every
    file a replay needs present with its checksum and row count, no file unaccounted for,
    and HEAD the newest entry (also the store's own `meta.journal_head`, when given).
    Raises JournalError naming the first problem."""
    committed = entries(wh)
    if not committed:
        raise JournalError(f"no committed journal entries in {wh.journal_dir}")
    pointer = head(wh)
    if pointer is None:
        raise JournalError(f"{wh.journal_dir / HEAD} is missing: cannot tell which entry is the newest")
    names = {e.name: e for e in _all(wh)}
    if pointer["entry"] not in names:
        raise JournalError(f"journal HEAD names {pointer['entry']}, which is missing from {wh.journal_dir} "
                           "(the newest published run's changes are gone)")
    if committed[-1].name != pointer["entry"]:
        raise JournalError(f"journal HEAD names {pointer['entry']} but {committed[-1].name} is newer")
    if store_head and store_head not in names:
        raise JournalError(f"the store was built from journal entry {store_head}, which is missing")
    if store_head and _seq(names[store_head]) != _seq(committed[-1]):
        raise JournalError(f"the store was built from journal entry {store_head}, but HEAD is {pointer['entry']}")
    chain, expect_sha, name = [], pointer["manifest_sha256"], pointer["entry"]
    while name is not None:
        entry = names.get(name)
        if entry is None or not is_committed(entry):
            raise JournalError(f"journal entry {name} is missing" + ("" if entry is None else " its COMMITTED marker")
                               + f" (needed by {chain[-1].name if chain else 'HEAD'})")
        if not (entry / MANIFEST).exists():
            raise JournalError(f"journal entry {name} has no {MANIFEST}")
        if sha256(entry / MANIFEST) != expect_sha:
            raise JournalError(f"journal entry {name}: {MANIFEST} differs from what the next entry recorded")
        manifest = _manifest(entry)
        chain.append(entry)
        name, expect_sha = manifest.get("previous"), manifest.get("previous_sha256")
    chain.reverse()
    base = _manifest(chain[-1])["base"]
    steps = []
    for entry in chain:
        manifest, seq = _manifest(entry), _seq(entry)
        listed = manifest["files"]
        for file in entry.iterdir():
            if file.name not in listed and file.name not in (MANIFEST, COMMITTED):
                raise JournalError(f"journal entry {entry.name}: unexpected file {file.name}")
        for fname, meta in sorted(listed.items()):
            table, mode = _FILE.match(fname).groups()
            needed = mode != "removed" and seq >= base.get(table, seq + 1)
            path = entry / fname
            if not path.exists():
                if needed:
                    raise JournalError(f"journal entry {entry.name}: {fname} is missing ({meta['rows']:,} rows)")
                continue
            if sha256(path) != meta["sha256"]:
                raise JournalError(f"journal entry {entry.name}: {fname} does not match its checksum "
                                   "(truncated or changed since it was written)")
            if needed:
                steps.append((path, table, mode))
    last = _manifest(chain[-1])
    return Plan(head=chain[-1].name, steps=steps, totals=last.get("totals"), entries=len(chain),
                family=last.get("source_family"))


def replay(wh: store.Warehouse, target: Path, progress: Callable[[str], None] = lambda _: None,
           plan: Plan | None = None) -> dict[str, int]:
    """Build raw.* into a new database at `target` from the verified journal; returns rows
    per table. Raises JournalError when the result does not hold the rows HEAD recorded."""
    plan = plan or verify(wh)
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(store.SCHEMA_SQL.read_text())
        for n, (file, dataset, mode) in enumerate(plan.steps, 1):
            if dataset not in TABLES:
                raise JournalError(f"journal file {file}: unknown table {dataset}")
            table = f"raw.{dataset}"  # checked against the contracts above
            con.execute("BEGIN TRANSACTION")
            if mode == "replace":
                con.execute(f"DELETE FROM {table}")
            elif mode == "upsert" and dataset in RAW_TABLES:  # replace by key: no index does it
                on = " AND ".join(f"t.{k} = i.{k}" for k in RAW_TABLES[dataset][0])
                con.execute(f"DELETE FROM {table} t USING read_parquet(?) i WHERE {on}", [str(file)])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [str(file)])
            con.execute("COMMIT")
            if n % 50 == 0 or n == len(plan.steps):
                progress(f"replayed {n} of {len(plan.steps)} journal files ({plan.entries} entries)")
        counts = {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in TABLES}
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        con.execute("CREATE OR REPLACE TABLE meta.journal_head (entry VARCHAR)")
        con.execute("INSERT INTO meta.journal_head VALUES (?)", [plan.head])
        if plan.family:  # the store's source family (a run of another family is refused)
            con.execute("CREATE OR REPLACE TABLE meta.source_family AS SELECT ? AS family", [plan.family])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if plan.totals is not None and counts != plan.totals:
        target.unlink(missing_ok=True)
        diff = ", ".join(f"raw.{t} {counts[t]:,} (expected {plan.totals.get(t, 0):,})"
                         for t in TABLES if counts[t] != plan.totals.get(t))
        raise JournalError(f"replaying the journal gives other row counts than its last entry recorded: {diff}")
    return counts
