"""One source family per warehouse: sample, live, or snapshot.

The live source is incremental: it adds days on top of what the store holds. On top of a
synthetic sample history it would fail the gate on day one (synthetic-to-real jumps,
synthetic tickers without a bar), and a complete source (sample, snapshot) over a live store
would replace years of fetched history. So a warehouse remembers its family (`meta.
source_family` in the store, written with the run's data and published with it) and a run
with another family refuses at once, before anything is fetched or changed, naming the way
out: another `--warehouse`, or `--start-over`, which moves the old warehouse's files aside
(nothing is deleted). Plain Python and DuckDB only, so the check answers in well under a
second, before Dagster is imported.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

FAMILIES = ("sample", "live", "snapshot")
# what the family's rows carry in raw.prices.source, for stores written before the marker
_ROW_SOURCES = {"sample": "sample", "yahoo": "live"}
# the data files; `parquet` is a relative symlink into `.parquet-builds`, moved with it
MOVED = ("store.duckdb", "store.duckdb.wal", "scout.duckdb", "scout.duckdb.wal", "journal",
         "parquet", ".parquet-builds", ".duckdb-builds", "briefs", "quarantine")


class SourceMismatch(RuntimeError):
    """The warehouse holds another source family's data."""


def family_of(source: str) -> str:
    """`sample`, `live`, or `snapshot` (a directory path) for a `--source` value."""
    return source if source in ("sample", "live") else "snapshot"


def stored_family(store: str | Path) -> str | None:
    """The family the store holds: its marker, else what its price rows say (older stores);
    None for a missing or empty store."""
    import duckdb

    store = Path(store)
    if not store.exists():
        return None
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = {f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        if "meta.source_family" in tables:
            row = con.execute("SELECT family FROM meta.source_family").fetchone()
            if row:
                return row[0]
        if "raw.prices" not in tables:
            return None
        sources = {s for (s,) in con.execute("SELECT DISTINCT source FROM raw.prices").fetchall()}
    finally:
        con.close()
    if not sources:
        return None
    families = {_ROW_SOURCES.get(s, "snapshot") for s in sources}
    return families.pop() if len(families) == 1 else "snapshot"


def check(warehouse: str | Path, source: str) -> None:
    """Raise SourceMismatch when the warehouse holds another family than `source` would add."""
    warehouse = Path(warehouse)
    held = stored_family(warehouse / "store.duckdb")
    wanted = family_of(source)
    if held is None or held == wanted:
        return
    raise SourceMismatch(
        f"{warehouse} holds {held} data, and a {wanted} run would "
        + ("add real market days on top of a synthetic history (the quality gate would stop it)"
           if wanted == "live" else f"replace the stored {held} history with {wanted} data")
        + f". Use another warehouse (--warehouse DIR, e.g. --warehouse {warehouse.parent / ('warehouse-' + wanted)}), "
        f"or add --start-over to move this warehouse's files aside to {warehouse / 'previous'}/ "
        "and begin again (nothing is deleted).")


def record(con, source: str) -> None:
    """Write the run's family into the (working copy of the) store; published with the data."""
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE OR REPLACE TABLE meta.source_family AS SELECT ? AS family", [family_of(source)])


def start_over(warehouse: str | Path, now: dt.datetime | None = None) -> Path | None:
    """Move the warehouse's data files into previous/<UTC time>/ (call holding the lock).
    Returns that directory, or None when there was nothing to move."""
    warehouse = Path(warehouse)
    present = [name for name in MOVED if (warehouse / name).exists() or (warehouse / name).is_symlink()]
    if not present:
        return None
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    target = warehouse / "previous" / stamp
    target.mkdir(parents=True, exist_ok=False)
    for name in present:
        os.replace(warehouse / name, target / name)
    return target
