"""Rejected rows are kept, with the reason: `<warehouse>/quarantine/<run_id>/<table>.csv`.

One file per table whose suite found anything (ERROR or WARN): every unexpected row (up to
MAX_ROWS per expectation) with the expectation, its severity and what it requires. A
blocked run's rows also stay in its working database, `<warehouse>/work/<run_id>.duckdb`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

MAX_ROWS = 10_000
KEEP_RUNS = 50


def write(directory: Path, run_id: str, table: str, parts: list[pd.DataFrame]) -> Path | None:
    if not parts:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]+", run_id):
        raise ValueError(f"run id {run_id!r} is not a safe directory name")
    target = directory / run_id
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{table}.csv"
    frame = pd.concat(parts, ignore_index=True)
    frame.to_csv(path, index=False)
    _prune(directory)
    return path


def _prune(directory: Path, keep: int = KEEP_RUNS) -> None:
    runs = sorted((p for p in directory.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
