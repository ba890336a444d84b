"""`scout recover`: check the warehouse files, rebuild a damaged store from the journal.

A damaged store (disk error, truncated copy, a tool that wrote into it) shows up as DuckDB
refusing to open it or a block failing its checksum. The journal holds every checked raw
change, so raw.* can be rebuilt exactly; the marts are derived and the next `scout run`
recomputes and republishes them. The damaged file is moved aside, never deleted.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from scout_pipeline import faults, journal, store
from scout_pipeline.sources.contracts import RAW_TABLES


def verify(path: Path) -> str | None:
    """None when every table in the DuckDB file reads back whole, else what went wrong.
    Reading every row makes DuckDB check every block's checksum. A file another process
    holds read-write is not damaged: StoreBusy names that process."""
    from scout_pipeline import walguard

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        pid = walguard.lock_pid(exc)
        if pid is not None:
            raise store.StoreBusy(walguard.busy_message(path, pid or walguard.rw_holder(path))) from None
        return f"cannot open: {str(exc)[:200]}"
    try:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                             "WHERE NOT temporary ORDER BY ALL").fetchall()
        for schema, name in tables:  # names read from the file's own catalog
            con.execute(f'SELECT count(*), sum(hash(t)) FROM "{schema}"."{name}" t').fetchone()
    except duckdb.Error as exc:
        return f"cannot read: {str(exc)[:200]}"
    finally:
        con.close()
    return None


@dataclass
class Outcome:
    ok: bool
    lines: list[str] = field(default_factory=list)


def recover(wh: store.Warehouse, rebuild: bool = False, say: Callable[[str], None] = print) -> Outcome:
    """Check the store, the journal and the published file; rebuild the store from the
    journal when it is damaged or missing (or when `rebuild`). Call with the warehouse lock
    held. Raises StoreBusy when another process holds the store read-write (not damage),
    and JournalError rather than replace a store with a rebuild that would lose rows."""
    out = Outcome(ok=True)

    def note(line: str) -> None:
        out.lines.append(line)
        say(line)

    removed = wh.sweep()
    if removed:
        note(f"removed {len(removed)} half-written file(s) left by a killed run")
    for line in store.guard_store(wh) + store.resolve_unfinished(wh):
        note(line)
    problem = verify(wh.store) if wh.store.exists() else "missing"
    has_journal = bool(journal.entries(wh))
    if problem == "missing" and not has_journal:
        note(f"no store.duckdb and no journal in {wh.root}: nothing to recover (the first `scout run` creates them)")
        return _check_published(wh, out, note)
    if not has_journal:
        out.ok = problem is None and not rebuild
        note(f"store.duckdb: {problem or 'OK'}; no journal in {wh.journal_dir} to rebuild it from"
             + ("" if problem is None else
                " — move the file aside and `scout run` starts an empty store (live refetches "
                "3 years of prices; earlier fundamentals and attention snapshots cannot be refetched)"))
        return _check_published(wh, out, note)
    store_head = _journal_head(wh.store) if problem is None else None
    try:
        plan = journal.verify(wh, store_head=store_head)
    except journal.JournalError as exc:
        out.ok = False
        note(f"journal: BROKEN — {exc}")
        note(f"store.duckdb: {problem or 'OK'}; "
             + ("nothing was rebuilt: a rebuild from this journal would lose rows. "
                if problem else "left as it is (it reads back whole; keep it). ")
             + f"Keep a copy of {wh.root} and report the journal problem; "
             "the next successful `scout run` writes a new journal entry but cannot repair old ones")
        return _check_published(wh, out, note)
    files = sum(1 for _ in plan.steps)
    note(f"journal: OK ({plan.entries} committed entries, {files} files checked against their manifests, head {plan.head})")
    if problem is None:
        counts = _raw_counts(wh.store)
        if plan.totals is not None and counts != plan.totals:
            out.ok = False
            note("store.duckdb: raw row counts differ from the journal's last entry: " + _diff(counts, plan.totals))
        if not rebuild:
            note(f"store.duckdb: OK ({sum(v for k, v in counts.items() if k in RAW_TABLES):,} raw rows)")
            return _check_published(wh, out, note)
    note(f"store.duckdb: {problem or 'OK'}; rebuilding raw tables from {wh.journal_dir}")
    tmp = wh.root / f".{store.STORE}.rebuild.tmp"
    counts = journal.replay(wh, tmp, progress=note, plan=plan)
    if wh.published.exists() and verify(wh.published) is None:
        from scout_pipeline import mart_history

        kept = mart_history.restore(tmp, wh.published)  # published days are not in the journal
        if kept:
            note(f"kept every published day of {', '.join(kept)} from scout.duckdb")
    bad = verify(tmp)
    if bad:
        tmp.unlink(missing_ok=True)
        raise store.StoreError(f"the rebuilt store does not read back ({bad}); {wh.store} left as it was")
    if problem is None:  # a readable store is replaced only by a rebuild that holds the same rows
        differs = _compare(wh.store, tmp)
        if differs:
            tmp.unlink(missing_ok=True)
            raise journal.JournalError(f"a rebuild from the journal would differ from the store ({differs}); "
                                       f"{wh.store} left as it is")
    if wh.store.exists():
        aside = wh.root / ("damaged" if problem else "replaced") / f"store-{dt.datetime.now():%Y%m%dT%H%M%S%f}.duckdb"
        aside.parent.mkdir(exist_ok=True)
        os.link(wh.store, aside)  # the old file is kept, and the store name is never empty
        note(f"previous store kept as {aside}")
    faults.point("recover.before_replace")
    os.replace(tmp, wh.store)
    store.fsync_dir(wh.root)
    note("store.duckdb rebuilt: " + ", ".join(f"raw.{t} {n:,}" for t, n in counts.items()))
    note("next: `scout run` rebuilds the marts and republishes")
    return _check_published(wh, out, note)


def _check_published(wh: store.Warehouse, out: Outcome, note: Callable[[str], None]) -> Outcome:
    from scout_pipeline import walguard

    if wh.published.exists():
        pid = walguard.rw_holder(wh.published.resolve())
        if pid:
            note("scout.duckdb (published): held open read-write by " + walguard.describe(pid)
                 + "; not checked. New readers are locked out of this build until the next `scout run` "
                 "publishes a new one. " + walguard.READ_ONLY_HINT)
            return out
        bad = verify(wh.published)
        note(f"scout.duckdb (published): {bad or 'OK'}"
             + ("; the next successful `scout run` replaces it" if bad else ""))
    return out


def _journal_head(path: Path) -> str | None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' "
                       "AND table_name = 'journal_head'").fetchone()[0]:
            row = con.execute("SELECT entry FROM meta.journal_head").fetchone()
            return row[0] if row else None
        return None
    finally:
        con.close()


def _raw_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in journal.TABLES}
    finally:
        con.close()


def _diff(counts: dict[str, int], expected: dict[str, int]) -> str:
    return ", ".join(f"raw.{t} {counts.get(t, 0):,} (journal: {expected.get(t, 0):,})"
                     for t in journal.TABLES if counts.get(t) != expected.get(t))


def _compare(a: Path, b: Path) -> str:
    """'' when the raw tables of the two files hold the same rows, else what differs."""
    con = duckdb.connect()
    try:
        con.execute("ATTACH ? AS a (READ_ONLY)", [str(a)])
        con.execute("ATTACH ? AS b (READ_ONLY)", [str(b)])
        out = []
        for t in journal.TABLES:  # names from the contracts
            ca, ha = con.execute(f"SELECT count(*), sum(hash(t)) FROM a.raw.{t} t").fetchone()
            cb, hb = con.execute(f"SELECT count(*), sum(hash(t)) FROM b.raw.{t} t").fetchone()
            if (ca, ha) != (cb, hb):
                out.append(f"raw.{t}: store {ca:,} rows, rebuild {cb:,}")
        return "; ".join(out)
    finally:
        con.close()


def _raw_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in RAW_TABLES)
    finally:
        con.close()
