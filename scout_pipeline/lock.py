"""One run per warehouse at a time, whoever starts it (CLI, schedule, UI click).

An exclusive `flock` on `<warehouse>/.run.lock`, held by the run's process; the kernel
drops it when that process dies, however it dies. The file also says who holds it (pid, run
id) and is emptied on a clean release, so the next holder can tell that the previous run was
killed before it finished and clean up after it.

Re-entrant within a process: `scout run` takes the lock before Dagster starts the run, and
the run's `scout` resource takes it again (flock locks belong to an open file, so a second
open in the same process would otherwise conflict with the first).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
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
    text = handle.read().strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:  # a lock file from an older version held "pid N"
        return {"pid": text}


def _write(handle, holder: dict) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(holder))
    handle.flush()


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
            handle = open(path, "a+")
            if not _acquire(handle, wait):
                other = _read(handle)
                handle.close()
                raise BusyError(
                    f"warehouse {path.parent} is in use by a running pipeline ({_describe(other)}); "
                    "wait for it to finish or pass another --warehouse") from None
            previous = _read(handle) or None  # non-empty: its holder died without releasing
            held = Held(handle, previous=previous, holder={"pid": os.getpid(), **holder})
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
