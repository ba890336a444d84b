"""Other processes' DuckDB sessions on the warehouse files: who holds a file, stray WALs.

DuckDB keeps a read-write session's unflushed writes in `<file>.wal` beside the database
(named after the resolved path: a session opened through the `scout.duckdb` link writes
`.duckdb-builds/<run_id>.duckdb.wal`) and takes a POSIX `fcntl` lock on the database file
(shared for read-only sessions, exclusive for read-write). Two consequences the pipeline
guards against:

- a WAL left by someone else's session (a BI tool opened `store.duckdb` read-write and was
  killed) would be replayed into whatever file next carries that name. It never belongs to a
  build the pipeline checked, so it is moved to `quarantine/wal/` with a note, never applied;
- a read-write session that is still open locks every other process out of that file. The
  pipeline asks the kernel who holds it (F_GETLK) and names the process instead of calling
  the file damaged.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import struct
from pathlib import Path

_FLOCK = "hhqqi4x"  # struct flock on Linux: l_type, l_whence, l_start, l_len, l_pid
READ_ONLY_HINT = ("BI tools and scripts must open scout.duckdb read-only (docs/bi.md: "
                  "`duckdb -readonly`, `read_only=True`, duckdb.read_only=true)")


def rw_holder(path: Path) -> int | None:
    """The pid of another process holding `path` open read-write in DuckDB, else None.
    (Only other processes: POSIX locks of this process are not reported.)"""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        # would a shared (read) lock be refused? Only an exclusive, read-write holder refuses it
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0))
        kind, _, _, _, pid = struct.unpack(_FLOCK, answer)
        return None if kind == fcntl.F_UNLCK else pid
    except OSError:
        return None
    finally:
        os.close(fd)  # this process holds no DuckDB lock on `path` when asked (see callers)


def describe(pid: int) -> str:
    """`pid N (command line)` for a message."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    return f"pid {pid}" + (f" ({cmd[:120]})" if cmd else "")


def busy_message(path: Path, pid: int | None, detail: str = "") -> str:
    who = describe(pid) if pid else "another process" + (f" ({detail})" if detail else "")
    return (f"{path.name} in {path.parent} is held open read-write by {who}; nothing was changed. "
            f"Close that session and try again. {READ_ONLY_HINT}.")


def lock_pid(exc: BaseException) -> int | None:
    """The pid in DuckDB's lock error ('Conflicting lock is held in … (PID 123)'), else None."""
    import re

    text = str(exc)
    if "Could not set lock" not in text and "Conflicting lock" not in text:
        return None
    match = re.search(r"\(PID (\d+)\)", text)
    return int(match.group(1)) if match else 0


def quarantine(root: Path, db: Path, why: str) -> Path | None:
    """Move `<db>.wal` (when present) to `root/quarantine/wal/` with a note; return where."""
    wal = Path(str(db) + ".wal")
    if not wal.exists():
        return None
    folder = root / "quarantine" / "wal"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{stamp}-{wal.name}"
    os.replace(wal, target)
    target.with_suffix(".txt").write_text(
        f"Moved here by scout at {dt.datetime.now().isoformat(timespec='seconds')} from {wal}.\n"
        f"{why}\nIt was NOT applied to any file: it holds writes of a session outside the pipeline "
        f"(opened read-write, then killed or never closed), which no quality check saw.\n"
        f"To look at them: copy {db.name} and this file side by side as X.duckdb and X.duckdb.wal, "
        "then open X.duckdb.\n")
    return target
