"""Write a warehouse file without following a link planted at its path.

A file the pipeline rewrites in place (the brief, the charts, the Dagster instance file)
is written beside its path with O_EXCL | O_NOFOLLOW and renamed over it: a symlink found
there is replaced, never written through (`ln -s ~/victim W/briefs/D/brief.md` must not
overwrite the victim), and a reader sees the old file or the new one, whole.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a fresh temporary path beside `path` (created empty, exclusively, not through a
    link); on success it is renamed over `path`, on failure removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer that was killed
        if not _alive(stale.name[len(path.name) + 2:-4]):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _alive(pid: str) -> bool:
    """Whether the process that named a temporary file is still running (then it is not ours
    to remove: `scout brief` may render while a run does)."""
    if not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_text(path: Path, text: str) -> None:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
