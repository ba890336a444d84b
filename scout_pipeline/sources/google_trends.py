"""Google Trends interest over time (optional, opt-in, keyed) → `attention` rows, source='google_trends'.

Google has no public Trends API and `pytrends` (the unofficial scraper) is unmaintained and
answers 429s since Google changed its endpoints. This module asks SerpApi's Google Trends API
instead: a keyed HTTPS endpoint answering JSON. It is opt-in: `enabled()` is true only when
SCOUT_GOOGLE_TRENDS is "1"/"true" and SERPAPI_API_KEY is set.

Request (https://serpapi.com/google-trends-api; parameter docs mirrored in
serpapi/serpapi-javascript src/engines/google_trends.ts):

    GET https://serpapi.com/search.json?engine=google_trends&data_type=TIMESERIES
        &q=<anchor>,<t1>,<t2>,<t3>,<t4>     at most 5 comma-separated queries, ≤ 100 chars each
        &date=YYYY-MM-DD YYYY-MM-DD          custom range, 2004 to present
        &geo=US &tz=0 &hl=en &api_key=<key>  (geo empty = worldwide; tz in minutes, affects
                                              timestamps; api_key is a documented query
                                              parameter, so it is in every request URL)

Answer (200), shape as captured in singhbharath03/google-trends-agent google_trends_data.json
(a saved SerpApi answer) and in the JSON examples of serpapi.com/google-trends-api:

    {"search_metadata": {"id": "...", "status": "Success", "json_endpoint": "...",
                         "created_at": "...", "processed_at": "...", "google_trends_url": "...",
                         "raw_html_file": "...", "prettify_html_file": "...", "total_time_taken": 7.65},
     "search_parameters": {"engine": "google_trends", "q": "...", "hl": "en", "date": "...",
                           "tz": "420", "data_type": "TIMESERIES"},
     "interest_over_time": {
        "timeline_data": [
           {"date": "May 30 – Jun 5, 2021", "timestamp": "1622304000",
            "values": [{"query": "coffee", "value": "80", "extracted_value": 80}, ...]},
           ...,
           {"date": "Mar 17, 2025 at 3:00 AM", "timestamp": "1742205600", "partial_data": true,
            "values": [...]}],                      # partial_data only on an unfinished period
        "averages": [{"query": "coffee", "value": 84}, ...]}}

`date` is the human label in the requested `tz` (daily "Jan 5, 2025", weekly "Apr 30–May 6, 2023"
or "May 30 – Jun 5, 2021", monthly "Jan 2004", hourly "Mar 10, 2025 at 3:00 AM"); `timestamp`
is Unix seconds and not always the UTC midnight of that day (the docs' weekly example above is
2021-05-29 16:00 UTC), so a point is dated from its label, the timestamp only as a fallback.
`value` is a string ("<1" below one), `extracted_value` its number (0 for "<1").

Errors (serpapi.com/api-status-and-error-codes, serpapi.com/search-errors) are JSON
{"error": "<message>"}: 401 "Invalid API key. Your API key should be here: https://serpapi.com/
manage-api-key"; 403 account without permission (deleted); 400 bad parameters; 429 hourly
throughput exceeded OR "Your account has run out of searches."; 500/503 SerpApi trouble
(search_metadata.status "Error", e.g. "We couldn't get valid results for this search. Please try
again later."). Empty results are still status "Success", HTTP 200, with a top-level error; for
Trends it reads "Google Trends hasn't returned any results for this query." (the text public
SerpApi client code checks for). Every uncached request costs
one search of the plan; an identical request within 1 h is served from SerpApi's cache for free.

Google rescales every answer to 0–100 on its own maximum, so batches are not comparable.
`stitch_batches` puts them on one scale through an anchor term present in every request:

    factor_b = Σ anchor(reference batch) / Σ anchor(batch b)   over their common dates
    value'   = value_b · factor_b, then everything rescaled so the overall maximum is 100.

Choose an anchor with steady, moderate interest (a popular one squashes small terms to "<1",
an obscure one amplifies Google's integer rounding). The values are on this fetch's scale:
re-fetch a term's whole window each run rather than mixing windows from different runs.
Daily points come only for windows up to ~269 days (~9 months); longer windows come back
weekly, each point dated at its week start (Sunday); the notes say which. The unfinished last
period (`partial_data`) is left out by default. Nothing here raises for provider trouble, and
the API key never appears in failures or notes (it is redacted from every message).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import numpy as np
import pandas as pd

from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import (
    FAILED, MISSING, RATE_LIMITED, SKIPPED, Failure, FetchResult,
)
from scout_pipeline.sources.wikipedia import USER_AGENT, header, new_session, retry_after_seconds

SOURCE = "google_trends"
ENDPOINT = "https://serpapi.com/search.json"
API_KEY_ENV = "SERPAPI_API_KEY"
OPT_IN_ENV = "SCOUT_GOOGLE_TRENDS"
MAX_TERMS_PER_REQUEST = 5          # SerpApi / Google: at most 5 queries per TIMESERIES request
TERMS_PER_BATCH = MAX_TERMS_PER_REQUEST - 1  # the anchor takes one slot
MAX_QUERY_CHARS = 100
DAILY_MAX_DAYS = 269               # longer windows come back weekly
DEFAULT_ANCHOR = "stock market"    # steady, moderate US interest; pass your own if it squashes terms
RETRY_STATUSES = (429, 503)
NO_RESULTS = "hasn't returned any results"
OUT_OF_SEARCHES = "run out of searches"
HOW_TO_ENABLE = (f"set {API_KEY_ENV} (a SerpApi key: https://serpapi.com/manage-api-key) and "
                 f"{OPT_IN_ENV}=1")

Sleep = Callable[[float], Any]


# --------------------------------------------------------------------------- opt-in, key, redaction

def api_key_from_env(env: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if env is None else env).get(API_KEY_ENV)
    return value.strip() if value and value.strip() else None


def enabled(env: Mapping[str, str] | None = None) -> bool:
    """True only when SCOUT_GOOGLE_TRENDS is "1"/"true" and SERPAPI_API_KEY is set."""
    env = os.environ if env is None else env
    opted_in = str(env.get(OPT_IN_ENV, "")).strip().lower() in ("1", "true")
    return opted_in and api_key_from_env(env) is not None


def redact(text: object, api_key: str | None) -> str:
    """`text` with the key (plain, URL-quoted) and any `api_key=...` query value replaced by ***."""
    out = str(text)
    if api_key:
        for form in {api_key, quote(api_key, safe=""), quote_plus(api_key)}:
            out = out.replace(form, "***")
    return re.sub(r"(api_key=)[^&\s'\"]+", r"\1***", out)


# --------------------------------------------------------------------------- parsing one answer

_SPACES = re.compile(r"[\u2009\u202f\u00a0\s]+")
_DASH = re.compile(r"\s*[\u2013\u2014\-]\s*")
_YEAR = re.compile(r"\b(\d{4})\b")


def _strptime(text: str, *formats: str) -> dt.date | None:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def label_start(label: str) -> dt.date | None:
    """The first day of a Trends period from its English label (None if unreadable).

    "Jan 5, 2025" · "May 30 – Jun 5, 2021" · "Apr 30–May 6, 2023" · "Oct 2 – 8, 2022" ·
    "Dec 29, 2024 – Jan 4, 2025" · "Jan 2004" · "Mar 10, 2025 at 3:00 AM"."""
    text = _SPACES.sub(" ", str(label or "")).strip()
    if not text:
        return None
    text = text.split(" at ")[0].strip()
    parts = _DASH.split(text, maxsplit=1)
    first = parts[0].strip()
    day = _strptime(first, "%b %d, %Y", "%B %d, %Y", "%b %Y", "%B %Y")
    if day is not None:
        return day
    years = _YEAR.findall(text)
    if not years:
        return None
    day = _strptime(f"{first} {years[-1]}", "%b %d %Y", "%B %d %Y")
    if day is None:
        return None
    end_month = _strptime((parts[1].split()[0] if len(parts) > 1 and parts[1] else ""), "%b", "%B")
    if end_month is not None and end_month.month < day.month:  # "Dec 29 – Jan 4, 2025"
        day = day.replace(year=day.year - 1)
    return day


def point_date(point: Mapping[str, Any]) -> pd.Timestamp | None:
    """A timeline point's day: its label; else its timestamp rounded to the nearest UTC day."""
    day = label_start(str(point.get("date") or ""))
    if day is not None:
        return pd.Timestamp(day)
    try:
        seconds = float(point.get("timestamp"))
    except (TypeError, ValueError):
        return None
    return pd.Timestamp(seconds, unit="s").round("D")


def point_value(item: Mapping[str, Any]) -> float:
    """`extracted_value` when it is a number; else `value` ("<1" → 0); else NaN."""
    number = item.get("extracted_value")
    if isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number):
        return float(number)
    raw = str(item.get("value") or "").strip().replace(",", "")
    if raw.startswith("<"):
        return 0.0
    try:
        return float(raw)
    except ValueError:
        return float("nan")


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@dataclass
class ParsedAnswer:
    """One TIMESERIES answer: a wide frame (dates × requested queries) and what was left out."""

    frame: pd.DataFrame
    granularity: str = "unknown"           # daily | weekly | monthly | hourly | unknown
    partial: list[pd.Timestamp] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # requested queries absent from the answer


def granularity_of(days: Sequence[pd.Timestamp]) -> str:
    unique = sorted(set(days))
    if len(unique) < 2:
        return "unknown"
    if len(unique) < len(days):
        return "hourly"
    step = float(np.median(np.diff(np.array(unique, dtype="datetime64[D]")).astype(int)))
    if step <= 1:
        return "daily"
    if step <= 8:
        return "weekly"
    return "monthly"


def parse_interest_over_time(payload: Mapping[str, Any], queries: Sequence[str], *,
                             keep_partial: bool = False) -> ParsedAnswer:
    """Read `interest_over_time.timeline_data` for `queries` (in request order).

    Answered queries are matched to requested ones exactly, then case/space-insensitively, then
    by position when the counts agree. Points flagged `partial_data` are dropped unless
    `keep_partial`. Several points on one day (hourly answers) are averaged."""
    timeline = ((payload.get("interest_over_time") or {}).get("timeline_data")) or []
    rows: list[dict[str, Any]] = []
    days: list[pd.Timestamp] = []
    partial: list[pd.Timestamp] = []
    answered: list[str] = []
    for point in timeline:
        day = point_date(point)
        if day is None:
            continue
        days.append(day)
        if point.get("partial_data") and not keep_partial:
            partial.append(day)
            continue
        row: dict[str, Any] = {"__date": day}
        for i, item in enumerate(point.get("values") or []):
            name = str(item.get("query")) if item.get("query") is not None else f"__pos{i}"
            if name not in answered:
                answered.append(name)
            row[name] = point_value(item)
        rows.append(row)
    mapping: dict[str, str] = {}
    by_norm = {_norm(a): a for a in answered}
    for q in queries:
        if q in answered:
            mapping[q] = q
        elif _norm(q) in by_norm:
            mapping[q] = by_norm[_norm(q)]
    if len(mapping) < len(queries) and len(answered) == len(queries):
        mapping = dict(zip(queries, answered))
    index = pd.DatetimeIndex([r["__date"] for r in rows], dtype="datetime64[ns]")
    frame = pd.DataFrame({q: [r.get(a, np.nan) for r in rows] for q, a in mapping.items()},
                         index=index, dtype="float64")
    if not frame.empty:
        frame = frame.groupby(level=0).mean().sort_index()
    return ParsedAnswer(frame=frame, granularity=granularity_of(days), partial=sorted(set(partial)),
                        unmatched=[q for q in queries if q not in mapping])


# --------------------------------------------------------------------------- stitching

def _clean_batch(batch: pd.DataFrame) -> pd.DataFrame:
    frame = batch.drop(columns=[c for c in ("isPartial",) if c in batch.columns])
    frame = frame.apply(pd.to_numeric, errors="coerce").astype("float64")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index)).tz_localize(None).normalize()
    return frame[~frame.index.duplicated(keep="last")]


def stitch_batches(batches: Sequence[pd.DataFrame], anchor: str) -> tuple[pd.DataFrame, list[str]]:
    """Put per-request 0–100 batches on one scale through the shared `anchor` column.

    Each batch: index = dates, columns = terms (the anchor among them), values 0–100.
    Returns (wide frame of every term on the common scale, max = 100, anchor included; notes
    on batches that could not be scaled or scale coarsely). A term in several batches keeps
    its first scaled series. The reference batch does not matter: the final rescale to 100
    cancels it."""
    notes: list[str] = []
    cleaned = [_clean_batch(b) for b in batches if b is not None and not b.empty]
    usable: list[pd.DataFrame] = []
    for i, batch in enumerate(cleaned):
        others = ", ".join(str(c) for c in batch.columns if c != anchor)
        if anchor not in batch.columns:
            notes.append(f"google_trends: batch {i} lacks the anchor '{anchor}'; dropped "
                         f"({', '.join(map(str, batch.columns))})")
        elif not (batch[anchor].fillna(0) > 0).any():
            notes.append(f"google_trends: anchor '{anchor}' is all zero in batch {i}; "
                         f"cannot scale {others}")
        else:
            peak = float(batch[anchor].max())
            if peak < 10:
                notes.append(f"google_trends: anchor '{anchor}' peaks at only {peak:g} in batch {i} "
                             f"({others}); its scale factor is coarse (integer rounding) — a more "
                             "popular anchor would scale these terms more precisely")
            usable.append(batch)
    if not usable:
        return pd.DataFrame(dtype="float64"), notes

    reference = usable[0][anchor]
    out: dict[str, pd.Series] = {}
    for i, batch in enumerate(usable):
        common = reference.index.intersection(batch.index)
        ref_sum = float(reference.loc[common].fillna(0).sum())
        own_sum = float(batch.loc[common, anchor].fillna(0).sum())
        if ref_sum <= 0 or own_sum <= 0:
            notes.append(f"google_trends: batch {i} shares no non-zero anchor dates with the "
                         "reference batch; dropped")
            continue
        factor = ref_sum / own_sum
        for term in batch.columns:
            if term not in out:
                out[term] = batch[term] * factor
    wide = pd.DataFrame(out).sort_index()
    peak = float(np.nanmax(wide.to_numpy())) if wide.size and wide.notna().any().any() else 0.0
    if peak > 0:  # divide first: x * (100 / peak) can land a hair above 100 (e.g. peak 11)
        wide = (wide / peak * 100.0).clip(lower=0.0, upper=100.0)
    return wide, notes


def to_attention_rows(wide: pd.DataFrame, tickers: Mapping[str, str | None] | None = None,
                      *, include: Iterable[str] | None = None) -> pd.DataFrame:
    """Long `attention` rows (source='google_trends', term, date, ticker, value) from a wide frame."""
    tickers = dict(tickers or {})
    terms = list(include) if include is not None else list(wide.columns)
    rows = []
    for term in terms:
        if term not in wide.columns:
            continue
        series = wide[term].dropna()
        for day, value in series.items():
            rows.append({"source": SOURCE, "term": term, "date": pd.Timestamp(day),
                         "ticker": tickers.get(term), "value": float(value)})
    frame = pd.DataFrame(rows, columns=columns("attention"))
    for col in ("source", "term", "ticker"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------- HTTP

@dataclass
class _Answer:
    status: str | None            # None = usable payload; else FAILED | MISSING | RATE_LIMITED
    payload: Mapping[str, Any] | None = None
    reason: str = ""
    fatal: bool = False           # True: no point sending further requests (bad key, quota)


def _body(response: Any) -> Any:
    try:
        return response.json()
    except Exception:  # noqa: BLE001 - not JSON
        return None


def _message(response: Any, body: Any) -> str:
    if isinstance(body, Mapping) and body.get("error"):
        return str(body["error"])[:300]
    return " ".join(str(getattr(response, "text", "") or "").split())[:200]


def _request(http: Any, params: Mapping[str, str], api_key: str, *, sleep: Sleep,
             max_retries: int, max_retry_after: float, timeout: float) -> _Answer:
    """One SerpApi request with bounded retries on 429/503; every message redacted."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    for attempt in range(max_retries + 1):
        try:
            response = http.get(ENDPOINT, params=dict(params), headers=headers, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - connection errors: their text holds the URL
            return _Answer(FAILED, reason=f"request error: {redact(repr(exc), api_key)}")
        status = int(getattr(response, "status_code", 0))
        body = _body(response)
        message = redact(_message(response, body), api_key)
        if OUT_OF_SEARCHES in message.lower():
            return _Answer(RATE_LIMITED, reason=f"HTTP {status}: {message}", fatal=True)
        if status in RETRY_STATUSES:
            if attempt < max_retries:
                sleep(retry_after_seconds(header(response, "Retry-After"),
                                          default=2.0 ** (attempt + 1), cap=max_retry_after))
                continue
            return _Answer(RATE_LIMITED if status == 429 else FAILED,
                           reason=f"HTTP {status} after {attempt + 1} attempt(s): {message}",
                           fatal=status == 429)
        if status in (401, 403):
            return _Answer(FAILED, reason=f"HTTP {status}: {message}", fatal=True)
        if status != 200:
            return _Answer(FAILED, reason=f"HTTP {status}: {message}")
        if not isinstance(body, Mapping):
            return _Answer(FAILED, reason=f"unreadable JSON: {message}")
        search_status = str((body.get("search_metadata") or {}).get("status") or "")
        if body.get("error"):
            if NO_RESULTS in message or search_status == "Success":
                return _Answer(MISSING, reason=f"no data: {message}")
            return _Answer(FAILED, reason=f"search {search_status or 'failed'}: {message}")
        if search_status and search_status != "Success":
            return _Answer(FAILED, reason=f"search status {search_status}")
        if not (body.get("interest_over_time") or {}).get("timeline_data"):
            return _Answer(MISSING, reason="no interest_over_time.timeline_data in the answer")
        return _Answer(None, payload=body)
    return _Answer(FAILED, reason="no attempt made")  # max_retries < 0


# --------------------------------------------------------------------------- the fetch

def _term_list(terms: Iterable[Any] | Mapping[str, str | None]) -> list[tuple[str, str | None]]:
    """(term, ticker) pairs, one per distinct term; the first ticker seen wins."""
    entries: Iterable[Any] = terms.items() if isinstance(terms, Mapping) else terms
    out: dict[str, str | None] = {}
    for entry in entries:
        term, ticker = (entry, None) if isinstance(entry, str) else (entry[0], entry[1])
        if term is None or (isinstance(term, float) and pd.isna(term)):
            continue
        term = " ".join(str(term).split())
        if term and term not in out:
            out[term] = None if ticker is None or pd.isna(ticker) else str(ticker)
    return list(out.items())


def empty_attention() -> pd.DataFrame:
    return to_attention_rows(pd.DataFrame())


def fetch_trends(terms: Iterable[Any] | Mapping[str, str | None], start: dt.date | str,
                 end: dt.date | str, *, anchor: str, http: Any = None,
                 api_key: str | None = None, geo: str = "US",
                 tickers: Mapping[str, str | None] | None = None, pause: float = 1.0,
                 sleep: Sleep = time.sleep, max_retries: int = 3, max_retry_after: float = 60.0,
                 timeout: float = 45.0, keep_partial: bool = False) -> FetchResult:
    """Google Trends interest for `terms` from `start` to `end` (inclusive), stitched on `anchor`.

    `terms`: strings, (term, ticker) pairs or a {term: ticker} mapping (`tickers` fills in
    tickers for plain strings). `http`: a requests-like session (`get(url, params=, headers=,
    timeout=)` → `status_code`, `headers`, `text`, `json()`); default a new `requests.Session`.
    `api_key`: default $SERPAPI_API_KEY; without one the result is empty with a note. (The
    SCOUT_GOOGLE_TRENDS opt-in is the caller's check: see `enabled()`.)

    One request per batch of 4 terms + the anchor, `pause` seconds apart, sequential. 429/503 →
    sleep Retry-After (≤ `max_retry_after`, else 2, 4, 8 s) and retry up to `max_retries` times.
    A rejected key (401/403), "run out of searches" or a 429 that outlasts the retries stops
    the run: the rest is recorded as skipped. Never raises for provider trouble.
    """
    wanted_pairs = _term_list(terms)
    extra = dict(tickers or {})
    ticker_of = {t: (tk if tk is not None else extra.get(t)) for t, tk in wanted_pairs}
    wanted = list(ticker_of)
    anchor = " ".join(str(anchor or "").split())
    result = FetchResult(frame=empty_attention(), requested=len(wanted))
    key = api_key.strip() if isinstance(api_key, str) and api_key.strip() else api_key_from_env()
    if not key:
        result.notes.append(f"google_trends: no SerpApi key, optional source skipped; to enable it, "
                            f"{HOW_TO_ENABLE} (wikipedia pageviews remain the default attention)")
        return result
    if not wanted:
        return result
    try:
        _fetch(result, wanted, ticker_of, start, end, anchor=anchor, http=http, api_key=key,
               geo=geo, pause=pause, sleep=sleep, max_retries=max_retries,
               max_retry_after=max_retry_after, timeout=timeout, keep_partial=keep_partial)
    except Exception as exc:  # noqa: BLE001 - best effort: never raise out of this module
        result.notes.append(f"google_trends: failed, skipped: {redact(repr(exc), key)}")
    if result.failures:
        result.notes.append(f"google_trends: {len(result.failed_items())} of {len(wanted)} terms "
                            "without data")
    return result


def _fetch(result: FetchResult, wanted: list[str], ticker_of: Mapping[str, str | None],
           start: dt.date | str, end: dt.date | str, *, anchor: str, http: Any, api_key: str,
           geo: str, pause: float, sleep: Sleep, max_retries: int, max_retry_after: float,
           timeout: float, keep_partial: bool) -> None:
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if not anchor or "," in anchor or len(anchor) > MAX_QUERY_CHARS:
        result.failures.extend(Failure(SOURCE, "attention", t, SKIPPED,
                                       f"unusable anchor {anchor!r}") for t in wanted)
        return
    if hi < lo:
        result.failures.extend(Failure(SOURCE, "attention", t, SKIPPED,
                                       f"empty window {lo.date()}..{hi.date()}") for t in wanted)
        return
    fetchable = []
    for term in wanted:
        if "," in term or len(term) > MAX_QUERY_CHARS:
            result.failures.append(Failure(SOURCE, "attention", term, SKIPPED,
                                           "not a Trends query (a comma, or over 100 characters)"))
        elif term != anchor:
            fetchable.append(term)
    http = http or new_session()
    base = {"engine": "google_trends", "data_type": "TIMESERIES",
            "date": f"{lo.date().isoformat()} {hi.date().isoformat()}", "tz": "0", "hl": "en"}
    if geo:
        base["geo"] = geo
    groups = [fetchable[i:i + TERMS_PER_BATCH] for i in range(0, len(fetchable), TERMS_PER_BATCH)]
    if not groups and anchor in wanted:
        groups = [[]]  # only the anchor itself was asked for
    batches: list[pd.DataFrame] = []
    batch_terms: list[list[str]] = []
    grains: set[str] = set()
    partial_days: set[pd.Timestamp] = set()
    first_trouble: _Answer | None = None
    sent = 0
    for n, group in enumerate(groups):
        if n:
            sleep(pause)
        queries = [anchor, *group]
        answer = _request(http, {**base, "q": ",".join(queries), "api_key": api_key}, api_key,
                          sleep=sleep, max_retries=max_retries, max_retry_after=max_retry_after,
                          timeout=timeout)
        sent += 1
        if answer.status is not None:
            result.failures.extend(Failure(SOURCE, "attention", t, answer.status, answer.reason)
                                   for t in group)
            first_trouble = first_trouble or answer
            if answer.fatal:
                rest = [t for g in groups[n + 1:] for t in g]
                result.failures.extend(Failure(SOURCE, "attention", t, SKIPPED,
                                               f"not attempted: {answer.reason}") for t in rest)
                if rest:
                    result.notes.append(f"google_trends: stopped after request {n + 1} of "
                                        f"{len(groups)}; {len(rest)} terms not attempted")
                break
            continue
        parsed = parse_interest_over_time(answer.payload or {}, queries, keep_partial=keep_partial)
        grains.add(parsed.granularity)
        partial_days.update(parsed.partial)
        for term in parsed.unmatched:
            if term != anchor:
                result.failures.append(Failure(SOURCE, "attention", term, MISSING,
                                               "absent from the answer's timeline values"))
        if parsed.frame.empty:
            result.failures.extend(Failure(SOURCE, "attention", t, MISSING,
                                           "no complete points in the answer")
                                   for t in group if t not in parsed.unmatched)
            continue
        batches.append(parsed.frame)
        batch_terms.append([t for t in group if t not in parsed.unmatched])

    wide, notes = stitch_batches(batches, anchor)
    result.notes.extend(notes)
    failed = result.failed_items()
    output = [t for t in wanted if t in fetchable or t == anchor]
    grain = next(iter(grains)) if len(grains) == 1 else "/".join(sorted(grains)) or "unknown"
    period = 7 if grain == "weekly" else 1
    got = to_attention_rows(wide, ticker_of, include=output)
    if not got.empty:  # a week dated at its start (Sunday) counts if it overlaps the window
        keep = (got["date"] <= hi) & (got["date"] + pd.Timedelta(days=period - 1) >= lo)
        got = got[keep].reset_index(drop=True)
    for term in output:
        if term in failed:
            continue
        rows = got[got["term"] == term]
        if term not in wide.columns:
            if term == anchor and first_trouble is not None and not batches:
                result.failures.append(Failure(SOURCE, "attention", term, first_trouble.status
                                               or FAILED, first_trouble.reason))
            else:
                result.failures.append(Failure(SOURCE, "attention", term, FAILED,
                                               f"not scalable on the anchor '{anchor}'"))
        elif rows.empty:
            result.failures.append(Failure(SOURCE, "attention", term, MISSING,
                                           "no points inside the window"))
        elif not (rows["value"].fillna(0) > 0).any():
            result.failures.append(Failure(SOURCE, "attention", term, MISSING,
                                           f"every point is 0 or \"<1\" next to the anchor "
                                           f"'{anchor}' (too little search volume, or the anchor "
                                           "dwarfs it)"))
            got = got[got["term"] != term]
    result.frame = got.reset_index(drop=True)
    window_days = (hi - lo).days + 1
    if grains:
        detail = ("each point dated at its week start (Sunday); Google answers weekly for windows "
                  f"over ~{DAILY_MAX_DAYS} days" if grain == "weekly" else
                  f"window of {window_days} days")
        result.notes.append(f"google_trends: {grain} points {lo.date()}..{hi.date()} ({detail}); "
                            f"{sent} SerpApi request(s) for {len(fetchable)} terms, "
                            f"{TERMS_PER_BATCH} terms + anchor '{anchor}' each, geo={geo or 'worldwide'}")
    if partial_days:
        days = ", ".join(str(d.date()) for d in sorted(partial_days))
        result.notes.append(f"google_trends: left out the unfinished period(s) {days} "
                            "(partial_data); a later run fills them")
