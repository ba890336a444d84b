"""Data sources: plain Python, no Dagster. Each returns a SourceData of contract frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scout_pipeline.sources.contracts import SourceData


def load_source(spec: str, as_of: dt.date, history_start: dt.date | None = None,
                store: str | Path | None = None) -> SourceData:
    """`sample`, `live`, or a snapshot directory path. An incremental source (live) fetches
    what the `store` file lacks (per ticker; `history_start` reaches further back for a
    backfill); complete sources carry their whole history."""
    if spec == "sample":
        # the stable market: a next-day run adds one day (sample.load_sample, the story anchored
        # on one as-of day, stays for tests that need its exact figures)
        from scout_pipeline.sources.sample_daily import load_daily_sample

        return load_daily_sample(as_of)
    if spec == "live":
        from scout_pipeline.sources.live import load_live

        state = _read_state(store) if store is not None else None
        return load_live(as_of, history_start=history_start, state=state)
    from scout_pipeline.sources.snapshot import SnapshotError, load_snapshot

    if not Path(spec).is_dir():
        raise SnapshotError(f"--source {spec!r}: not 'sample', 'live' or an existing directory")
    return load_snapshot(spec, as_of)


def _read_state(store: str | Path):
    """The store's state for the live source; a damaged store is named with its fix."""
    import duckdb

    from scout_pipeline.sources.live_state import read_state

    try:
        return read_state(store)
    except duckdb.Error as exc:
        from scout_pipeline.store import Warehouse

        wh = Warehouse.at(Path(store).parent)
        raise (wh.damaged(exc, Path(store)) or exc) from exc
