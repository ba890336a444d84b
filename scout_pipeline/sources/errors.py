"""Errors and per-item failure records shared by the live providers.

Providers never raise for one bad ticker / article / series: they return a `FetchResult`
whose `failures` say what went wrong per item. `live.load_live` turns those into the
`ingest_log` frame and raises `SourceUnavailable` (or its subclass `DatasetFailed`) only when
a whole provider is unreachable or too large a share of a dataset failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

INGEST_LOG_COLUMNS = ["source", "dataset", "item", "status", "reason"]

# Status words used in the ingest log.
FAILED = "failed"        # the request errored or returned nothing usable
MISSING = "missing"      # the provider answered but has no data for the item (404, no rows)
RATE_LIMITED = "rate_limited"
SKIPPED = "skipped"      # not attempted (circuit breaker, host unreachable, not applicable)
FALLBACK = "fallback"    # a bundled default was used instead (not counted as a failure)


class SourceUnavailable(RuntimeError):
    """The live source cannot produce a usable day: hosts unreachable or too much failed."""

    def __init__(self, message: str, *, hosts: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.hosts = list(hosts)


class DatasetFailed(SourceUnavailable):
    """The failed share of one dataset exceeded the allowed maximum."""

    def __init__(self, message: str, *, dataset: str, share: float,
                 ingest_log: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.dataset = dataset
        self.share = share
        self.ingest_log = ingest_log


@dataclass(frozen=True)
class Failure:
    """One item a provider could not deliver (or delivered from a fallback)."""

    source: str     # yahoo | fred | wikipedia | google_trends | constituents | preflight
    dataset: str    # prices | fundamentals | attention | rates | universe
    item: str       # ticker, article, series, index name or host
    status: str     # failed | missing | rate_limited | skipped | fallback
    reason: str

    @property
    def counts_as_failure(self) -> bool:
        return self.status != FALLBACK


@dataclass
class FetchResult:
    """Contract-shaped rows from one provider call, plus what went wrong per item."""

    frame: pd.DataFrame
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requested: int = 0  # items asked for: the denominator of the failed share
    events: pd.DataFrame | None = None  # prices: split/dividend events the provider reported

    def failed_items(self) -> set[str]:
        return {f.item for f in self.failures if f.counts_as_failure}


def failures_frame(failures: Iterable[Failure]) -> pd.DataFrame:
    """The `ingest_log` frame: source, dataset, item, status, reason (all text)."""
    rows = [[f.source, f.dataset, f.item, f.status, f.reason] for f in failures]
    frame = pd.DataFrame(rows, columns=INGEST_LOG_COLUMNS, dtype=object)
    return frame.reset_index(drop=True)
