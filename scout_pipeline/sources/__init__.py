"""Data sources: plain Python, no Dagster. Each returns a SourceData of contract frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scout_pipeline.sources.contracts import SourceData


def load_source(spec: str, as_of: dt.date, history_start: dt.date | None = None) -> SourceData:
    """`sample`, `live`, or a snapshot directory path. `history_start` bounds what an
    incremental source (live) fetches; complete sources carry their whole history."""
    if spec == "sample":
        from scout_pipeline.sources.sample import load_sample

        return load_sample(as_of)
    if spec == "live":
        from scout_pipeline.sources.live import load_live

        return load_live(as_of, history_start=history_start)
    from scout_pipeline.sources.snapshot import SnapshotError, load_snapshot

    if not Path(spec).is_dir():
        raise SnapshotError(f"--source {spec!r}: not 'sample', 'live' or an existing directory")
    return load_snapshot(spec, as_of)
