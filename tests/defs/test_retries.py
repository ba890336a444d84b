"""Which source errors a run retries: passing waves yes, answers that will not change no."""

import requests

from scout_pipeline.defs.ingest.assets import _is_transient
from scout_pipeline.sources.errors import (
    FAILED, MISSING, RATE_LIMITED, DatasetFailed, Failure, SourceUnavailable, failures_frame,
)


def _failed(statuses: list[str]) -> DatasetFailed:
    log = failures_frame([Failure("yahoo", "prices", f"T{i}", s, "why") for i, s in enumerate(statuses)])
    return DatasetFailed("live source: prices failed", dataset="prices", share=0.5, ingest_log=log)


def test_a_rate_limit_wave_or_request_errors_are_retried():
    assert _is_transient(_failed([RATE_LIMITED] * 8 + [MISSING] * 2))
    assert _is_transient(_failed([FAILED] * 3 + [MISSING]))
    assert _is_transient(requests.ConnectionError("reset"))


def test_tickers_the_provider_has_no_data_for_are_not_retried():
    assert not _is_transient(_failed([MISSING] * 6 + [RATE_LIMITED] * 2))
    assert not _is_transient(SourceUnavailable("no provider host reachable"))
    assert not _is_transient(ValueError("prices.csv: column 'close' must be numeric"))
