"""One run per warehouse at a time, whoever starts it (CLI, schedule, UI click).

An exclusive `flock` on `<warehouse>/.run.lock`, held by the run's process; the kernel
drops it when that process dies, however it dies. The file also says who holds it (pid, run
id) and is emptied on a clean release, so the next holder can tell that the previous run was
killed before it finished and clean up after it.

The lock file is opened with O_NOFOLLOW and must be a regular file: a symlink planted at its
path is never written through, and anything else found there (a link, a directory, a FIFO)
is moved aside to `.run.lock.damaged-<time>` and replaced; junk bytes in it are read as an
unknown holder. The holder says so (`Held.repaired`), and `scout` prints it.

Re-entrant within a process: `scout run` takes the lock before Dagster starts the run, and
the run's `scout` resource takes it again (flock locks belong to an open file, so a second
open in the same process would otherwise conflict with the first).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

LOCK_FILE = ".run.lock"
BRIEF_WAIT = 5.0  # seconds a run waits out a short holder (the dead-run sensor's check) before refusing


class BusyError(RuntimeError):
    """Another process is running on this warehouse."""


@dataclass
class Held:
    handle: object
    depth: int = 1
    previous: dict | None = None  # what a previous holder left behind if it died holding the lock
    holder: dict = field(default_factory=dict)
    repaired: str | None = None  # a damaged lock file this holder moved aside (say so once)


_held: dict[Path, Held] = {}
_mutex = threading.Lock()


def _describe(holder: dict) -> str:
    if not holder:
        return "another process"
    parts = [f"pid {holder.get('pid')}"]
    if holder.get("run_id"):
        parts.append(f"run {holder['run_id']}")
    if holder.get("command"):
        parts.append(holder["command"])
    return ", ".join(parts)


def _read(handle) -> dict:
    handle.seek(0)
    # bytes, decoded leniently: a lock file garbled by a tool or a disk error is still a lock
    text = handle.read(4096).decode("utf-8", errors="replace").strip()
    if not text:
        return {}
    try:
        holder = json.loads(text)
    except ValueError:  # a lock file from an older version held "pid N", or junk
        return {"pid": text[:40]}
    return holder if isinstance(holder, dict) else {"pid": str(holder)[:40]}


def _write(handle, holder: dict) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(holder).encode())
    handle.flush()


# O_NOFOLLOW: a symlink planted at .run.lock must not make `scout` write through it
# (`ln -s ~/victim W/.run.lock` would otherwise overwrite the victim with the holder JSON).
# O_NONBLOCK: a FIFO planted there must not block the open.
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _open_regular(path: Path):
    """The lock file opened for read and write, or None when something other than a regular
    file is at its path (a symlink, a directory, a FIFO, a device)."""
    try:
        fd = os.open(path, _OPEN_FLAGS, 0o644)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO, errno.EWOULDBLOCK):
            return None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "r+b", buffering=0)


def _describe_entry(path: Path) -> str:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        return f"a symbolic link to {os.readlink(path)}"
    if stat.S_ISDIR(st.st_mode):
        return "a directory"
    if stat.S_ISFIFO(st.st_mode):
        return "a FIFO"
    return "not a regular file"


def open_lock_file(path: Path) -> tuple[object, str | None]:
    """Open `path` as the lock file. Anything else found there (a symlink, a directory, a
    FIFO) is never followed or written: it is moved aside to `<path>.damaged-<time>`
    (nothing is deleted) and a fresh file is made. The repair happens under an flock on the
    warehouse directory, so two processes repairing at once cannot move each other's new
    lock file aside. Returns the handle and what was repaired (None when nothing was)."""
    handle = _open_regular(path)
    if handle is not None:
        return handle, None
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        handle = _open_regular(path)  # another process may have repaired it meanwhile
        if handle is not None:
            return handle, None
        what = _describe_entry(path)
        aside = path.with_name(f"{path.name}.damaged-{dt.datetime.now():%Y%m%dT%H%M%S}-{os.getpid()}")
        os.rename(path, aside)
        handle = _open_regular(path)
        if handle is None:
            raise OSError(f"cannot create the lock file {path}")
        return handle, f"{path} was {what}, not a lock file; moved it to {aside.name} and made a new one"
    finally:
        os.close(dir_fd)


def _acquire(handle, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


@contextlib.contextmanager
def hold(warehouse: Path, wait: float = 0.0, **holder) -> Iterator[Held]:
    """Hold the warehouse lock; `holder` (run_id, command) is written for others to read.
    Waits up to `wait` seconds, then raises BusyError naming the holder."""
    path = Path(warehouse).resolve() / LOCK_FILE
    with _mutex:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
            held.holder.update({k: v for k, v in holder.items() if v})
            _write(held.handle, held.holder)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, repaired = open_lock_file(path)
            if not _acquire(handle, wait):
                other = _read(handle)
                handle.close()
                raise BusyError(
                    f"warehouse {path.parent} is in use by a running pipeline ({_describe(other)}); "
                    "wait for it to finish or pass another --warehouse") from None
            previous = _read(handle) or None  # non-empty: its holder died without releasing
            held = Held(handle, previous=previous, holder={"pid": os.getpid(), **holder}, repaired=repaired)
            _write(handle, held.holder)
            _held[path] = held
    try:
        yield held
    finally:
        with _mutex:
            held.depth -= 1
            if held.depth == 0:
                _write(held.handle, {})  # empty = released cleanly
                fcntl.flock(held.handle, fcntl.LOCK_UN)
                held.handle.close()
                del _held[path]
