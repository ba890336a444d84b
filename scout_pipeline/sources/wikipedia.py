"""Wikipedia pageviews (Wikimedia REST API, per-article, daily) → `attention` rows.

GET https://wikimedia.org/api/rest_v1/metrics/pageviews/per-article/en.wikipedia/all-access/user/
    {article}/daily/{YYYYMMDD00}/{YYYYMMDD00}
→ {"items": [{"project": "en.wikipedia", "article": "Apple_Inc.", "granularity": "daily",
              "timestamp": "2025010100", "access": "all-access", "agent": "user",
              "views": 12345}, ...]}

Provider rules followed here: a descriptive User-Agent with contact information (requests
without one may be blocked), sequential requests (one per article, never in parallel), 429/503
answered by sleeping `Retry-After` (capped) and retrying a bounded number of times. A 404
means "no data for this article in that window" (wrong title, or not loaded yet) and is
recorded as a failure for that article. Days with zero views are omitted by the API: they are
filled with 0 up to the last day the API returned (later days may simply not be loaded yet,
data lags ~1 day). The data is CC0.

`http` is anything with `get(url, headers=..., timeout=...)` returning an object with
`status_code`, `headers`, `text` and `json()` — a `requests.Session` in production, a fake in
tests.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd

from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import (
    FAILED, MISSING, RATE_LIMITED, SKIPPED, Failure, FetchResult,
)

SOURCE = "wikipedia"
USER_AGENT = "TrendScoutPipeline/0.1 (https://github.com/trend-scout; contact: see README)"
PAGEVIEWS_BASE = "https://wikimedia.org/api/rest_v1/metrics/pageviews/per-article"
RETRY_STATUSES = (429, 503)

Sleep = Callable[[float], Any]


def new_session(user_agent: str = USER_AGENT):
    """A `requests.Session` identifying this pipeline (shared by the live providers)."""
    import requests  # noqa: PLC0415

    session = requests.Session()
    session.headers["User-Agent"] = f"{user_agent} python-requests/{requests.__version__}"
    return session


def header(response: Any, name: str) -> str | None:
    """Case-insensitive header lookup on a real or fake response."""
    headers = getattr(response, "headers", None) or {}
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is not None:
        return value
    lower = name.lower()
    for key, val in dict(headers).items():
        if str(key).lower() == lower:
            return val
    return None


def retry_after_seconds(value: str | None, *, default: float, cap: float,
                        now: dt.datetime | None = None) -> float:
    """`Retry-After` as seconds (delta-seconds or HTTP-date), bounded to [0, cap]."""
    if value is None or not str(value).strip():
        return min(default, cap)
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return min(default, cap)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        now = now or dt.datetime.now(dt.timezone.utc)
        seconds = (when - now).total_seconds()
    return max(0.0, min(seconds, cap))


def article_title(article: str) -> str:
    """Display form of a title: underscores → spaces, trimmed."""
    return " ".join(str(article).replace("_", " ").split())


def article_path(article: str) -> str:
    """URL path segment for a title: spaces → underscores, everything else percent-quoted."""
    return quote(article_title(article).replace(" ", "_"), safe="")


def pageviews_url(article: str, start: dt.date, end: dt.date, *, project: str = "en.wikipedia",
                  access: str = "all-access", agent: str = "user") -> str:
    return (f"{PAGEVIEWS_BASE}/{project}/{access}/{agent}/{article_path(article)}/daily/"
            f"{start:%Y%m%d}00/{end:%Y%m%d}00")


def parse_pageviews(payload: Mapping[str, Any], *, term: str, ticker: str | None,
                    start: dt.date, end: dt.date, zero_fill: bool = True) -> pd.DataFrame:
    """Rows (source='wikipedia', term, date, ticker, value) from one per-article JSON answer.

    A day the answer lists without a view count (`views` null) is unknown, not zero: it is
    left out (a stored value stays), and not zero-filled either."""
    views: dict[pd.Timestamp, float] = {}
    unknown: set[pd.Timestamp] = set()
    for item in payload.get("items") or []:
        stamp = str(item.get("timestamp", ""))
        if len(stamp) < 8:
            continue
        day = pd.Timestamp(dt.datetime.strptime(stamp[:8], "%Y%m%d"))
        if item.get("views") is None:
            unknown.add(day)
            continue
        views[day] = float(item["views"])
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    views = {d: v for d, v in views.items() if lo <= d <= hi}
    if views and zero_fill:  # the API leaves out zero-view days
        for day in pd.date_range(lo, max(views), freq="D"):
            if day not in unknown:
                views.setdefault(day, 0.0)
    days = sorted(views)
    return pd.DataFrame({
        "source": pd.Series([SOURCE] * len(days), dtype=object),
        "term": pd.Series([term] * len(days), dtype=object),
        "date": pd.DatetimeIndex(days, dtype="datetime64[ns]"),
        "ticker": pd.Series([ticker] * len(days), dtype=object),
        "value": pd.Series([views[d] for d in days], dtype="float64"),
    }, columns=columns("attention"))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=columns("attention"))
    for col in ("source", "term", "ticker"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype("float64")
    return out.reset_index(drop=True)


def empty_attention() -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=columns("attention")))


def _article_list(articles: Iterable[Any] | Mapping[str, str | None]) -> list[tuple[str, str | None]]:
    """(title, ticker) pairs, one per distinct title; the first ticker seen wins."""
    pairs: Iterable[Any] = articles.items() if isinstance(articles, Mapping) else articles
    out: dict[str, str | None] = {}
    for entry in pairs:
        title, ticker = (entry, None) if isinstance(entry, str) else (entry[0], entry[1])
        if title is None or (isinstance(title, float) and pd.isna(title)):
            continue
        title = article_title(title)
        if title and title not in out:
            out[title] = None if ticker is None or pd.isna(ticker) else str(ticker)
    return list(out.items())


def _detail(response: Any) -> str:
    try:
        body = response.json()
        return str(body.get("detail") or body.get("title") or "")[:200]
    except Exception:  # noqa: BLE001 - not JSON
        return str(getattr(response, "text", ""))[:200]


def fetch_pageviews(articles: Iterable[Any] | Mapping[str, str | None], start: dt.date | str,
                    end: dt.date | str, *, http: Any = None, sleep: Sleep = time.sleep,
                    max_retries: int = 3, max_retry_after: float = 30.0,
                    abort_after: int = 5, timeout: float = 20.0,
                    project: str = "en.wikipedia", agent: str = "user") -> FetchResult:
    """Daily pageviews per article from `start` to `end` (inclusive), sequentially.

    `articles`: titles, (title, ticker) pairs or a {title: ticker} mapping. One request per
    distinct title. 429/503 → sleep Retry-After (≤ `max_retry_after`) and retry, at most
    `max_retries` times; 404 → failure 'missing'; after `abort_after` consecutive connection
    errors / exhausted retries, the remaining articles are skipped (recorded).
    """
    http = http or new_session()
    start_d, end_d = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    wanted = _article_list(articles)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    parts: list[pd.DataFrame] = []
    failures: list[Failure] = []
    notes: list[str] = []
    bad_run = 0
    for i, (title, ticker) in enumerate(wanted):
        if abort_after and bad_run >= abort_after:
            for rest, _ in wanted[i:]:
                failures.append(Failure(SOURCE, "attention", rest, SKIPPED,
                                        f"not attempted: {bad_run} consecutive requests failed"))
            notes.append(f"attention: wikipedia stopped after {bad_run} consecutive failures; "
                         f"{len(wanted) - i} articles not attempted")
            break
        url = pageviews_url(title, start_d, end_d, project=project, agent=agent)
        failure: Failure | None = None
        for attempt in range(max_retries + 1):
            try:
                response = http.get(url, headers=headers, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - connection errors recorded per article
                failure = Failure(SOURCE, "attention", title, FAILED, f"request error: {exc!r}")
                break
            status = int(getattr(response, "status_code", 0))
            if status in RETRY_STATUSES:
                failure = Failure(SOURCE, "attention", title, RATE_LIMITED,
                                  f"HTTP {status} after {attempt + 1} attempt(s)")
                if attempt < max_retries:
                    sleep(retry_after_seconds(header(response, "Retry-After"),
                                              default=2.0 ** (attempt + 1), cap=max_retry_after))
                    continue
                break
            if status == 404:
                failure = Failure(SOURCE, "attention", title, MISSING,
                                  f"HTTP 404: no pageviews for this title in the window "
                                  f"({_detail(response)})".rstrip())
                break
            if status != 200:
                failure = Failure(SOURCE, "attention", title, FAILED,
                                  f"HTTP {status}: {_detail(response)}")
                break
            try:
                rows = parse_pageviews(response.json(), term=title, ticker=ticker,
                                       start=start_d, end=end_d)
            except Exception as exc:  # noqa: BLE001 - malformed body
                failure = Failure(SOURCE, "attention", title, FAILED, f"unreadable JSON: {exc!r}")
                break
            failure = None
            if rows.empty:
                failure = Failure(SOURCE, "attention", title, MISSING,
                                  "no pageviews in the window")
            else:
                parts.append(rows)
            break
        if failure is not None:
            failures.append(failure)
            bad_run = bad_run + 1 if failure.status in (FAILED, RATE_LIMITED) else 0
        else:
            bad_run = 0
    frame = pd.concat(parts, ignore_index=True) if parts else empty_attention()
    if failures:
        notes.append(f"attention: {len(failures)} of {len(wanted)} wikipedia articles without "
                     "pageviews")
    return FetchResult(frame=_typed(frame), failures=failures, notes=notes,
                       requested=len(wanted))
