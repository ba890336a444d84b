"""The `scout` resource: where the warehouse is, which source, which day, which thresholds."""


import datetime as dt
import os
from functools import lru_cache

import dagster as dg

from scout_pipeline import calendar, params
from scout_pipeline.sources.contracts import SourceData
from scout_pipeline.store import Warehouse


def default_warehouse_dir() -> str:
    return os.environ.get("SCOUT_WAREHOUSE", "warehouse")


def resolve_as_of(as_of: str, source: str) -> dt.date:
    """The session a run is for: the given day (or the session before it), else the last
    completed NYSE session; for a snapshot directory, no later than its last price date."""
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            raise ValueError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
        return calendar.previous_session(day)
    day = calendar.last_completed_session()
    if source not in ("sample", "live"):
        from scout_pipeline.sources.snapshot import last_price_date

        last = last_price_date(source)
        if last is not None and last < day:
            day = calendar.previous_session(last)
    return day


@lru_cache(maxsize=2)
def _load(run_id: str, source: str, as_of: dt.date, history_start: str) -> SourceData:
    # One fetch per run: every ingest asset of the run reads its dataset from this.
    from scout_pipeline.sources import load_source

    start = dt.date.fromisoformat(history_start) if history_start else None
    return load_source(source, as_of, history_start=start)


class ScoutResource(dg.ConfigurableResource):
    """Run settings. Override in the launchpad under resources.scout.config."""

    warehouse_dir: str = default_warehouse_dir()
    source: str = "sample"
    as_of: str = ""
    history_start: str = ""  # backfills: first session an incremental source fetches
    params: dict[str, float] = {}

    def warehouse(self) -> Warehouse:
        return Warehouse.at(self.warehouse_dir)

    def as_of_date(self) -> dt.date:
        return resolve_as_of(self.as_of, self.source)

    def load(self, run_id: str) -> SourceData:
        return _load(run_id, self.source, self.as_of_date(), self.history_start)

    def sql_params(self) -> dict:
        return {**params.resolve(self.params), "as_of": self.as_of_date()}
