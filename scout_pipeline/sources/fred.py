"""FRED series (no API key) via the public graph CSV download → `rates` rows.

GET https://fred.stlouisfed.org/graph/fredgraph.csv?id=DFF&cosd=2025-01-01&coed=2025-01-31
→ observation_date,DFF           (before late 2024 the header was DATE,DFF)
  2025-01-01,4.33
  2025-01-02,.                   ('.' = no observation: dropped)

DFF is daily including weekends and holidays; DGS2 is business days. One request per series.
`http` is anything with `get(url, params=..., headers=..., timeout=...)` → an object with
`status_code` and `text` (a `requests.Session` in production, a fake in tests).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import pandas as pd

from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FAILED, MISSING, Failure, FetchResult
from scout_pipeline.sources.wikipedia import USER_AGENT, new_session

SOURCE = "fred"
FREDGRAPH_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
# effective fed funds rate; 2-year Treasury yield; the target range's upper and lower bounds
DEFAULT_SERIES = ("DFF", "DGS2", "DFEDTARU", "DFEDTARL")
DATE_HEADERS = ("observation_date", "DATE", "date")
MISSING_VALUES = {".", "", "NA", "N/A", "#N/A", "NaN", "nan"}


class FredFormatError(ValueError):
    """The answer is not a fredgraph CSV (an HTML error page, a renamed column, …)."""


def parse_fredgraph_csv(text: str, series: str) -> pd.DataFrame:
    """`rates` rows (series, date, value, source='fred') from one fredgraph.csv body."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        head = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FredFormatError("empty body") from None
    date_col = next((i for i, h in enumerate(head) if h in DATE_HEADERS), None)
    if date_col is None:
        raise FredFormatError(f"no date column in header {head[:4]}")
    value_col = next((i for i, h in enumerate(head) if h.upper() == series.upper()), None)
    if value_col is None:
        others = [i for i in range(len(head)) if i != date_col]
        if len(others) != 1:
            raise FredFormatError(f"no {series} column in header {head[:4]}")
        value_col = others[0]
    dates: list[pd.Timestamp] = []
    values: list[float] = []
    for line in reader:
        if len(line) <= max(date_col, value_col):
            continue
        raw = line[value_col].strip()
        if raw in MISSING_VALUES:
            continue
        try:
            day = pd.Timestamp(dt.date.fromisoformat(line[date_col].strip()[:10]))
            value = float(raw)
        except ValueError:
            continue
        dates.append(day)
        values.append(value)
    frame = pd.DataFrame({
        "series": [series] * len(dates),
        "date": pd.DatetimeIndex(dates, dtype="datetime64[ns]"),
        "value": pd.Series(values, dtype="float64"),
        "source": [SOURCE] * len(dates),
    }, columns=columns("rates"))
    frame["series"] = frame["series"].astype(object)
    frame["source"] = frame["source"].astype(object)
    return frame.drop_duplicates(["series", "date"], keep="last").reset_index(drop=True)


def empty_rates() -> pd.DataFrame:
    return parse_fredgraph_csv("observation_date,X\n", "X")


def fetch_fred(start: dt.date | str, end: dt.date | str, *,
               series: Iterable[str] = DEFAULT_SERIES, http: Any = None,
               timeout: float = 20.0) -> FetchResult:
    """Each series from `start` to `end` (inclusive) as rates rows; failures per series."""
    http = http or new_session()
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    wanted = list(dict.fromkeys(series))
    parts: list[pd.DataFrame] = []
    failures: list[Failure] = []
    for sid in wanted:
        params = {"id": sid, "cosd": lo.date().isoformat(), "coed": hi.date().isoformat()}
        try:
            response = http.get(FREDGRAPH_URL, params=params,
                                headers={"User-Agent": USER_AGENT}, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - recorded per series
            failures.append(Failure(SOURCE, "rates", sid, FAILED, f"request error: {exc!r}"))
            continue
        status = int(getattr(response, "status_code", 0))
        if status != 200:
            status_word = MISSING if status == 404 else FAILED
            failures.append(Failure(SOURCE, "rates", sid, status_word, f"HTTP {status}"))
            continue
        try:
            rows = parse_fredgraph_csv(response.text, sid)
        except FredFormatError as exc:
            failures.append(Failure(SOURCE, "rates", sid, FAILED, f"not a fredgraph CSV: {exc}"))
            continue
        rows = rows[(rows["date"] >= lo) & (rows["date"] <= hi)]
        if rows.empty:
            failures.append(Failure(SOURCE, "rates", sid, MISSING,
                                    f"no observations between {lo.date()} and {hi.date()}"))
            continue
        parts.append(rows)
    frame = pd.concat(parts, ignore_index=True) if parts else empty_rates()
    notes = [f"rates: FRED {f.item} {f.status}: {f.reason}" for f in failures]
    return FetchResult(frame=frame.reset_index(drop=True), failures=failures, notes=notes,
                       requested=len(wanted))
