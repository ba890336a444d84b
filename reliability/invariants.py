"""What the pipeline promises after any fault, as checks over a warehouse directory.

Shared by the fault-injection tests (tests/reliability) and the fault matrix harness
(`python -m reliability`), so both hold the pipeline to the same definition:

1. the published file is the previous build byte for byte, or the new complete one;
2. the Parquet set is wholly the previous one or wholly the new one;
3. the store still holds every raw row it held before (the previous store byte for byte,
   or the new complete raw tables), and every file reads back without a damaged block;
4. after the next normal run: the new build, no half-written leftovers.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from scout_pipeline.recovery import verify
from scout_pipeline.sources.contracts import RAW_TABLES

ROOT = Path(__file__).resolve().parents[1]


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _rows_digest(frame: pd.DataFrame) -> str:
    frame = frame.astype(str)  # lists (segments) and NaN compare as text; order-free below
    frame = frame.sort_values(list(frame.columns), kind="stable").reset_index(drop=True)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values.tobytes()).hexdigest()


def _table_digests(path: Path, schema: str, drop: tuple[str, ...] = ()) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1", [schema]).fetchall()]
        out = {}
        for name in names:  # names from the file's own catalog
            frame = con.execute(f'SELECT * FROM "{schema}"."{name}"').df()
            out[name] = _rows_digest(frame.drop(columns=[c for c in drop if c in frame.columns]))
        return out
    finally:
        con.close()


@dataclass
class State:
    """A warehouse's files as content fingerprints."""

    published: str | None
    store: str | None
    marts: dict[str, str] = field(default_factory=dict)
    parquet: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # without loaded_at: two runs stamp differently
    raw_rows: dict[str, set] = field(default_factory=dict)
    run_info: dict[str, str] = field(default_factory=dict)
    damaged: list[str] = field(default_factory=list)


def state(wh: Path) -> State:
    out = State(published=digest(wh / "scout.duckdb"), store=digest(wh / "store.duckdb"))
    for name in ("scout.duckdb", "store.duckdb"):
        if (wh / name).exists() and (problem := verify(wh / name)):
            out.damaged.append(f"{name}: {problem}")
    if out.published and not out.damaged:
        out.marts = _table_digests(wh / "scout.duckdb", "marts")
        con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
        out.run_info = dict(con.execute("SELECT key, value FROM meta.run_info").fetchall())
        con.close()
    for file in sorted((wh / "parquet").glob("*.parquet")):
        out.parquet[file.stem] = _rows_digest(pd.read_parquet(file))
    if out.store and not out.damaged:
        out.raw = {t: d for t, d in _table_digests(wh / "store.duckdb", "raw", drop=("loaded_at",)).items()
                   if t in RAW_TABLES}
        con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
        for table, (key, _) in RAW_TABLES.items():
            out.raw_rows[table] = set(con.execute(f"SELECT {', '.join(key)} FROM raw.{table}").fetchall())
        con.close()
    return out


def leftovers(wh: Path) -> list[str]:
    """Half-written files a killed run may leave (the next run must remove them)."""
    from scout_pipeline import journal
    from scout_pipeline.store import Warehouse, unpublished_builds

    pats = (".scout.duckdb.*.tmp", ".parquet.*.tmp", "work/*.tmp", "work/*.tmp.wal", ".parquet-builds/*.tmp",
            "journal/*.tmp", ".duckdb-builds/*.tmp", ".duckdb-builds/*.tmp.wal", ".scout.duckdb-link.*.tmp")
    found = [p for pat in pats for p in wh.glob(pat)]
    found += journal.pending(Warehouse(wh)) + unpublished_builds(Warehouse(wh))
    return sorted(str(p.relative_to(wh)) for p in found)


def check_after_fault(after: State, before: State, new: State) -> list[str]:
    """Promises 1-3 after a faulted run: `before` is the warehouse as it was, `new` what a
    clean run of the same day produces. Returns the broken promises (empty = kept)."""
    broken = list(after.damaged)
    if after.published != before.published and (after.marts != new.marts or not after.marts):
        broken.append("published file is neither the previous build nor the new complete one")
    if after.parquet not in (before.parquet, new.parquet):
        mixed = sorted(k for k in after.parquet if after.parquet[k] != before.parquet.get(k))
        broken.append(f"parquet set is neither the previous nor the new one (changed: {mixed[:5]})")
    if after.store != before.store and after.raw not in (before.raw, new.raw):
        # (a store rebuilt from the journal is a new file with the previous rows)
        broken.append("store holds neither the previous raw tables nor the new complete ones")
    for table, keys in before.raw_rows.items():
        lost = keys - after.raw_rows.get(table, set())
        if lost:
            broken.append(f"raw.{table}: {len(lost)} stored row(s) lost, e.g. {sorted(lost)[:3]}")
    return broken


def check_after_recovery(after: State, new: State, wh: Path) -> list[str]:
    """Promise 4: the next normal run produced the new build and left nothing half-written."""
    broken = list(after.damaged)
    if after.marts != new.marts:
        broken.append("marts after the next run differ from a clean run's")
    if after.raw != new.raw:
        broken.append("raw tables after the next run differ from a clean run's")
    if after.parquet != new.parquet:
        broken.append("parquet after the next run differs from a clean run's")
    if rest := leftovers(wh):
        broken.append(f"half-written leftovers remain: {rest[:5]}")
    return broken


def lock_holder(wh: Path) -> dict:
    """What `.run.lock` says (empty when the last holder released it cleanly)."""
    text = (wh / ".run.lock").read_text().strip() if (wh / ".run.lock").exists() else ""
    return json.loads(text) if text else {}


def scout_process(args: list[str], dagster_home: Path, faults: str = "", **popen) -> subprocess.Popen:
    """`scout ...` in a child process (so it can be killed), with `SCOUT_FAULTS` set."""
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "SCOUT_FAULTS": faults}
    if not faults:
        env.pop("SCOUT_FAULTS")
    return subprocess.Popen([sys.executable, "-m", "scout_pipeline.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def killed(proc: subprocess.Popen, timeout: float = 300) -> bool:
    proc.communicate(timeout=timeout)
    return proc.returncode == -signal.SIGKILL


def check_journal(wh: Path) -> list[str]:
    """The journal's own promises, once a lock holder has settled what a fault left: every
    entry committed, the chain verified, the store's own journal head the newest committed
    entry (every committed run present), and a rebuild from it equal to the store."""
    import tempfile

    from scout_pipeline import journal
    from scout_pipeline.store import Warehouse

    warehouse = Warehouse(wh)
    broken = [f"journal entry {e.name} not committed" for e in journal.pending(warehouse)]
    if not journal.entries(warehouse):
        return broken + (["store.duckdb has no journal"] if (wh / "store.duckdb").exists() else [])
    con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
    try:
        store_head = con.execute("SELECT max(entry) FROM meta.journal_head").fetchone()[0]
    finally:
        con.close()
    try:
        plan = journal.verify(warehouse, store_head=store_head)
    except journal.JournalError as exc:
        return broken + [f"journal does not verify: {exc}"]
    with tempfile.TemporaryDirectory() as tmp:
        rebuilt = Path(tmp) / "rebuilt.duckdb"
        try:
            journal.replay(warehouse, rebuilt, plan=plan)
        except journal.JournalError as exc:
            return broken + [f"replay: {exc}"]
        ours = _table_digests(wh / "store.duckdb", "raw")
        theirs = _table_digests(rebuilt, "raw")
        differ = sorted(t for t in theirs if ours.get(t) != theirs[t])
        if differ:
            broken.append(f"a rebuild from the journal differs from the store in {differ}")
    return broken
