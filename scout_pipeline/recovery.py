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

from scout_pipeline import journal, store
from scout_pipeline.sources.contracts import RAW_TABLES


def verify(path: Path) -> str | None:
    """None when every table in the DuckDB file reads back whole, else what went wrong.
    Reading every row makes DuckDB check every block's checksum."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
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
    """Check the store and the published file; rebuild the store from the journal when it is
    damaged (or when `rebuild`). Call with the warehouse lock held."""
    out = Outcome(ok=True)

    def note(line: str) -> None:
        out.lines.append(line)
        say(line)

    removed = wh.sweep()
    if removed:
        note(f"removed {len(removed)} half-written file(s) left by a killed run")
    problem = verify(wh.store) if wh.store.exists() else "missing"
    if problem == "missing" and not journal.entries(wh):
        note(f"no store.duckdb and no journal in {wh.root}: nothing to recover (the first `scout run` creates them)")
    elif problem is None and not rebuild:
        note(f"store.duckdb: OK ({_raw_rows(wh.store):,} raw rows)")
    elif not journal.entries(wh):
        out.ok = problem is None
        note(f"store.duckdb: {problem or 'OK'}; no journal in {wh.journal_dir} to rebuild it from"
             + ("" if problem is None else
                " — move the file aside and `scout run` starts an empty store (live refetches "
                "3 years of prices; earlier fundamentals and attention snapshots cannot be refetched)"))
    else:
        note(f"store.duckdb: {problem or 'OK'}; rebuilding raw tables from {wh.journal_dir}")
        tmp = wh.root / f".{store.STORE}.rebuild.tmp"
        counts = journal.replay(wh, tmp, progress=note)
        if wh.published.exists() and verify(wh.published) is None:
            from scout_pipeline import mart_history

            kept = mart_history.restore(tmp, wh.published)  # published days are not in the journal
            if kept:
                note(f"kept every published day of {', '.join(kept)} from scout.duckdb")
        bad = verify(tmp)
        if bad:
            tmp.unlink(missing_ok=True)
            raise store.StoreError(f"the rebuilt store does not read back ({bad}); {wh.store} left as it was")
        if wh.store.exists():
            aside = wh.root / ("damaged" if problem else "replaced") / f"store-{dt.datetime.now():%Y%m%dT%H%M%S}.duckdb"
            aside.parent.mkdir(exist_ok=True)
            os.replace(wh.store, aside)
            note(f"previous store moved to {aside}")
        os.replace(tmp, wh.store)
        note("store.duckdb rebuilt: " + ", ".join(f"raw.{t} {n:,}" for t, n in counts.items()))
        note("next: `scout run` rebuilds the marts and republishes")
    if wh.published.exists():
        bad = verify(wh.published)
        note(f"scout.duckdb (published): {bad or 'OK'}"
             + ("; the next successful `scout run` replaces it" if bad else ""))
    return out


def _raw_rows(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in RAW_TABLES)
    finally:
        con.close()
