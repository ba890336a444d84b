"""Is the disk holding the warehouse full? Used to name the cause of a failure.

A full disk surfaces in many disguises: DuckDB's "No space left on device", SQLite's
"disk I/O error" or "database or disk is full" inside Dagster's storage, a failed COMMIT.
When a run fails, the free space of the warehouse's file system says which it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

LOW_SPACE_BYTES = 16 * 1024 * 1024  # below this, a run's next write (a DuckDB block, a log line) can fail
_MESSAGES = ("No space left on device", "database or disk is full", "Disk quota exceeded")


def full(path: Path, error_text: str = "") -> str | None:
    """One line naming a full disk and the way out, or None when there is room and the
    error does not say the disk is full."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return None
    if free >= LOW_SPACE_BYTES and not any(m in error_text for m in _MESSAGES):
        return None
    return (f"the disk holding {path} is full ({free / 1e6:.1f} MB free): free some space "
            f"(failed runs' working copies are in {path}/work) and run again")
