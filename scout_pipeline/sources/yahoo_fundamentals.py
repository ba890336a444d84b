"""Fundamentals from Yahoo within a request budget.

`Ticker.info` costs three HTTP requests in yfinance 1.6+ (scrapers/quote.py `_fetch_info`:
quoteSummary, v7 quote, and `_fetch_complementary`'s fundamentals-timeseries), one equity at
a time: ~7,500 requests a day at 2,500 equities. Instead:

* the fields that move daily (market cap, shares, EPS, P/E) come from the batched v7 quote
  endpoint, `QUOTE_BATCH` symbols per request (unknown symbols are simply absent from its
  `quoteResponse.result`);
* the slow "profile" fields (net income, margins, growth, debt, cash, sector, industry) come
  from one quoteSummary request per equity, for a rotating share of the universe each day
  (every equity at least every `PROFILE_ROTATION` runs; new equities at once); the others
  carry their last stored profile forward, dated by `profile_as_of` so its age is visible.

Both go through yfinance's own data layer (`yfinance.data.YfData.get_raw_json`: cookie, crumb,
the 429 → `YFRateLimitError` mapping), with the session the caller gives it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from scout_pipeline.sources.errors import FAILED, MISSING, RATE_LIMITED, SKIPPED, Failure, FetchResult
from scout_pipeline.sources.live_state import StoredState
from scout_pipeline.sources.yahoo import (
    SOURCE, _as_date, _normalize_tickers, _typed_fundamentals, _yf, backoff_delay, info_to_row,
    is_rate_limit,
)

QUOTE_URL = "https://query1.finance.yahoo.com/v7/finance/quote"
SUMMARY_URL = "https://query2.finance.yahoo.com/v10/finance/quoteSummary/{symbol}"
PROFILE_MODULES = "financialData,defaultKeyStatistics,assetProfile"
QUOTE_BATCH = 50
PROFILE_ROTATION = 10
QUOTE_FIELDS = ("market_cap", "shares_outstanding", "forward_eps", "trailing_eps", "forward_pe", "trailing_pe")
PROFILE_FIELDS = ("net_income_ttm", "profit_margin", "earnings_growth", "revenue_growth",
                  "debt_to_equity", "total_debt", "total_cash", "sector", "industry")

Sleep = Callable[[float], Any]


def _status_of(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


class _Client:
    """GET JSON through yfinance's data layer with backoff on rate limits; counts requests."""

    def __init__(self, yf_module: Any, session: Any, sleep: Sleep, rng: random.Random | None,
                 max_attempts: int, backoff_base: float) -> None:
        yf = _yf(yf_module)
        self.data = yf.data.YfData(session=session) if session is not None else yf.data.YfData()
        self.sleep, self.rng = sleep, rng
        self.max_attempts, self.backoff_base = max_attempts, backoff_base
        self.requests = 0

    def get(self, url: str, params: dict) -> tuple[dict | None, str, str]:
        """(json, status, reason): json None with a failure status when it did not work."""
        status, reason = FAILED, "not attempted"
        for attempt in range(1, self.max_attempts + 1):
            self.requests += 1
            try:
                return self.data.get_raw_json(url, params=params, timeout=20), "", ""
            except Exception as exc:  # noqa: BLE001 - recorded per item
                if is_rate_limit(exc):
                    status = RATE_LIMITED
                    reason = f"rate-limited by Yahoo (YFRateLimitError) after {attempt} attempt(s)"
                    if attempt < self.max_attempts:
                        self.sleep(backoff_delay(attempt, base=self.backoff_base, rng=self.rng))
                        continue
                elif _status_of(exc) == 404:
                    status, reason = MISSING, f"Yahoo has no data (HTTP 404): {str(exc)[:120]}"
                else:
                    status, reason = FAILED, f"request error: {exc!r}"[:200]
                return None, status, reason
        return None, status, reason


def _flatten(result: dict) -> dict:
    """quoteSummary modules merged into one dict, as yfinance's `_fetch_info` does."""
    flat: dict = {}
    for value in result.values():
        if isinstance(value, dict):
            flat.update({k: v for k, v in value.items() if v is not None})
    return flat


def pick_profiles(equities: list[str], stored: pd.DataFrame, rotation: int) -> list[str]:
    """The equities whose profile is fetched today: those without one, then the oldest, so
    that at least ceil(len / rotation) are refreshed and none waits longer than `rotation` runs."""
    have = dict(zip(stored["ticker"], pd.to_datetime(stored["profile_as_of"]))) if len(stored) else {}
    new = [t for t in equities if t not in have]
    quota = max(0, math.ceil(len(equities) / max(1, rotation)) - len(new))
    oldest = sorted((t for t in equities if t in have), key=lambda t: (have[t], t))[:quota]
    return new + oldest


def fetch_fundamentals(tickers: Iterable[str], as_of: dt.date | str, *, state: StoredState | None = None,
                       yf_module: Any = None, session: Any = None, quote_batch: int = QUOTE_BATCH,
                       rotation: int = PROFILE_ROTATION, max_attempts: int = 3, abort_after: int = 3,
                       backoff_base: float = 2.0, sleep: Sleep = time.sleep,
                       rng: random.Random | None = None) -> FetchResult:
    """One fundamentals row per equity stamped `as_of` (call it for the latest session only:
    Yahoo's figures are "now"). Quote fields fresh for all, profile fields fresh for the
    rotation's share and carried forward for the rest. Failures are recorded, never raised;
    after `abort_after` rate-limited requests in a row the rest is skipped."""
    as_of_d = _as_date(as_of)
    wanted = _normalize_tickers(tickers)
    state = state or StoredState()
    client = _Client(yf_module, session, sleep, rng, max_attempts, backoff_base)
    failures: list[Failure] = []
    notes: list[str] = []
    quotes: dict[str, dict] = {}
    limited = 0

    def tripped(kind: str, rest: list[str]) -> bool:
        if abort_after and limited >= abort_after:
            failures.extend(Failure(SOURCE, "fundamentals", t, SKIPPED,
                                    f"{kind} not attempted: Yahoo rate-limited {limited} requests in a row")
                            for t in rest)
            notes.append(f"fundamentals: {kind} stopped after {limited} rate-limited requests; "
                         f"{len(rest)} tickers not attempted")
            return True
        return False

    batches = [wanted[i:i + quote_batch] for i in range(0, len(wanted), max(1, quote_batch))]
    quote_failed: dict[str, tuple[str, str]] = {}
    for n, batch in enumerate(batches):
        if tripped("quote", [t for b in batches[n:] for t in b]):
            break
        got, status, reason = client.get(QUOTE_URL, {"symbols": ",".join(batch), "formatted": "false"})
        limited = limited + 1 if status == RATE_LIMITED else 0
        if got is None:
            quote_failed.update({t: (status, reason) for t in batch})
            continue
        for item in (got.get("quoteResponse") or {}).get("result") or []:
            if isinstance(item, dict) and item.get("symbol"):
                quotes[str(item["symbol"]).upper()] = item

    stored = state.profiles
    stored_by = {row["ticker"]: row for row in stored.to_dict("records")} if len(stored) else {}
    todo = pick_profiles(wanted, stored, rotation)
    profiles: dict[str, dict] = {}
    profile_failed: dict[str, tuple[str, str]] = {}
    limited = 0
    for n, t in enumerate(todo):
        if tripped("quoteSummary", todo[n:]):
            break
        got, status, reason = client.get(SUMMARY_URL.format(symbol=t),
                                         {"modules": PROFILE_MODULES, "formatted": "false", "symbol": t})
        limited = limited + 1 if status == RATE_LIMITED else 0
        result = ((got or {}).get("quoteSummary") or {}).get("result") or []
        if got is not None and result and isinstance(result[0], dict):
            profiles[t] = _flatten(result[0])
        else:
            profile_failed[t] = (status or MISSING, reason or "quoteSummary answered no result")

    rows: list[dict] = []
    no_quote: list[str] = []
    carried = 0
    for t in wanted:
        # A row exists when Yahoo answered for the ticker today (quote fields, or a profile
        # fetched today). A stored profile only fills a row that exists: carried forward on
        # its own it would pose as a snapshot of today, and hide the last real quote fields.
        info = dict(quotes.get(t, {}))
        if t in profiles:
            info.update(profiles[t])
        row = info_to_row(t, info, as_of_d) if info else None
        if row is None:
            status, reason = quote_failed.get(t) or profile_failed.get(t) or (
                MISSING, "absent from Yahoo's quote answer" + (", profile empty" if t in todo else ""))
            failures.append(Failure(SOURCE, "fundamentals", t, status, reason))
            continue
        if t in profiles:
            row["profile_as_of"] = pd.Timestamp(as_of_d)
        else:
            prof = stored_by.get(t, {})
            row.update({c: prof.get(c) for c in PROFILE_FIELDS})  # carried forward, or null
            row["profile_as_of"] = pd.Timestamp(prof["profile_as_of"]) if prof else None
            carried += bool(prof)
        if t not in quotes:
            no_quote.append(t)
        rows.append(row)
    if no_quote:
        notes.append(f"fundamentals: {len(no_quote)} without quote fields (absent from Yahoo's quote "
                     f"answer), profile fields only: {', '.join(no_quote[:10])}" + (" …" if len(no_quote) > 10 else ""))
    frame = _typed_fundamentals(rows)
    notes.append(f"fundamentals: {len(rows)} of {len(wanted)} equities; quote fields from "
                 f"{len(batches)} batched request(s), profiles fetched for {len(profiles)} "
                 f"(rotation {rotation}), carried forward for {carried}; {client.requests} Yahoo requests")
    return FetchResult(frame=frame, failures=failures, notes=notes, requested=len(wanted))
