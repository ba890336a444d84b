"""Is Dagster's own storage (run history, event logs, schedules: SQLite files) readable?

A garbled `warehouse/dagster/history/runs.db` makes every `scout run` fail inside Dagster
with a SQLAlchemy traceback, while the warehouse's data is fine. This names the damaged
file and the way out: the files hold run history and schedule state only (no data), so
moving the directory aside and letting Dagster start a fresh one loses nothing stored.
Plain sqlite3, no Dagster import: `scout recover` and the run's error path use it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def storage_dirs(warehouse: Path) -> list[Path]:
    """Where the instance keeps its SQLite files: `<warehouse>/dagster` (the default for a
    warehouse outside a checkout, and the project's dagster.yaml base_dir) and DAGSTER_HOME."""
    dirs = [Path(warehouse) / "dagster"]
    home = os.environ.get("DAGSTER_HOME")
    if home and (Path(home) / "history").is_dir():
        dirs.append(Path(home))
    out: list[Path] = []
    for d in dirs:
        d = d.resolve()
        if d.is_dir() and d not in out:
            out.append(d)
    return out


def check_file(path: Path) -> str | None:
    """None when SQLite reads the file back whole (`PRAGMA quick_check`), else why not."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = con.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        con.close()
    problems = [r[0] for r in rows if r and r[0] != "ok"]
    return "; ".join(problems)[:200] if problems else None


def damaged(warehouse: Path) -> list[tuple[Path, str]]:
    """(file, reason) for every unreadable SQLite file of the Dagster storage."""
    found = []
    for d in storage_dirs(warehouse):
        for path in sorted(d.rglob("*.db")):
            if path.is_file() and (reason := check_file(path)):
                found.append((path, reason))
    return found


def explain(found: list[tuple[Path, str]]) -> str:
    """One line: which file, why, and the way out."""
    path, reason = found[0]
    root = next((p for p in path.parents if p.name == "dagster"), path.parent)
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return (f"Dagster's storage is damaged: {path} ({reason}){more}. It holds run history and "
            f"schedule state only, no warehouse data: move it aside (`mv {root} {root}.damaged`) "
            "and run again; Dagster starts a fresh one")
