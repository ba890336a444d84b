"""Yahoo Finance through yfinance 1.x: daily prices with split/dividend events, rate series,
and the parsing of fundamentals fields (fetched by `yahoo_fundamentals`).

What yfinance really does, and what this module does about it:

* `yf.download` defaults to `auto_adjust=True` (no `Adj Close`) — every option is passed
  explicitly here, `auto_adjust=False` so both the traded `Close` and `Adj Close` come back.
* Columns are a (Price, Ticker) MultiIndex even for one ticker (`group_by='column'`,
  `multi_level_index=True`); the index is a `DatetimeIndex` named `Date`, tz-naive for daily
  bars (`ignore_tz=True`), tz-aware for intraday.
* `download` catches per-ticker errors itself: a delisted, mistyped, blocked or rate-limited
  ticker comes back as an all-NaN column, and if every ticker failed the frame is empty. So an
  empty chunk is retried with exponential backoff and jitter, like `YFRateLimitError`
  (which `Ticker.info` and future yfinance versions do raise); tickers that are still missing
  are reported per ticker with a reason, never silently dropped. The only trace of the
  swallowed errors is what `download` logs on the `yfinance` logger
  (`"['AAPL', 'MSFT']: YFRateLimitError('Too Many Requests. ...')"`): it is captured per
  call, so a rate-limit wave is recorded as `rate_limited`, not as missing data.
* The last row can repeat (same session twice): duplicates keep the last row.
* Fundamentals keys vanish and change: every field is nullable and parsed defensively.

Requests: yfinance makes one chart request per ticker inside `download` (N tickers cost N
requests, in ceil(N / chunk_size) `download` calls; plus one timezone probe per ticker the
first time on a machine, cached on disk). Tests run this under the real yfinance against the
provider simulator (tests/sim), or inject a fake module with `download`.
"""

from __future__ import annotations

import ast
import datetime as dt
import logging
import math
import random
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import (
    FAILED, MISSING, RATE_LIMITED, SKIPPED, Failure, FetchResult,
)

SOURCE = "yahoo"
PRICE_FIELDS = {
    "Open": "open", "High": "high", "Low": "low", "Close": "close",
    "Adj Close": "adj_close", "Volume": "volume",
}
EVENT_FIELDS = {"Dividends": "dividend", "Stock Splits": "split"}  # with actions=True
RATE_TICKERS = ("ZQ=F", "^IRX")  # front-month 30-day fed funds future; 13-week T-bill yield
REFETCH_SESSIONS = 5             # re-fetch this many sessions before the last stored date
DEFAULT_CHUNK_SIZE = 50

# `.info` key(s) per fundamentals column, first present wins.
INFO_FIELDS: dict[str, tuple[str, ...]] = {
    "market_cap": ("marketCap",),
    "shares_outstanding": ("sharesOutstanding", "impliedSharesOutstanding"),
    "forward_eps": ("forwardEps", "epsForward"),
    "trailing_eps": ("trailingEps", "epsTrailingTwelveMonths"),
    "forward_pe": ("forwardPE",),
    "trailing_pe": ("trailingPE",),
    "net_income_ttm": ("netIncomeToCommon",),
    "profit_margin": ("profitMargins",),
    "earnings_growth": ("earningsGrowth",),
    "revenue_growth": ("revenueGrowth",),
    "debt_to_equity": ("debtToEquity",),
    "total_debt": ("totalDebt",),
    "total_cash": ("totalCash",),
    "sector": ("sector",),
    "industry": ("industry",),
}
TEXT_FIELDS = ("sector", "industry")
# Values are kept as Yahoo publishes them: debt_to_equity in percent (154.5 = 1.545×),
# margins and growth rates as fractions (0.243 = 24.3 %) — what stg_fundamentals documents.

Sleep = Callable[[float], Any]


# --------------------------------------------------------------------------- helpers

def _yf(yf_module: ModuleType | Any | None):
    if yf_module is not None:
        return yf_module
    import yfinance  # noqa: PLC0415 - imported only when a live fetch happens

    return yfinance


def is_rate_limit(exc: BaseException) -> bool:
    """`yfinance.exceptions.YFRateLimitError` (matched by name: robust to reloads and fakes)."""
    return any(cls.__name__ == "YFRateLimitError" for cls in type(exc).__mro__)


def backoff_delay(attempt: int, *, base: float = 2.0, cap: float = 60.0,
                  jitter: float = 0.5, rng: random.Random | None = None) -> float:
    """Exponential backoff with multiplicative jitter: base·2^(attempt−1)·(1 + U[0, jitter))."""
    rng = rng or random
    return min(cap, base * 2 ** (attempt - 1)) * (1.0 + rng.uniform(0.0, jitter))


def _as_date(day: dt.date | str | pd.Timestamp) -> dt.date:
    return pd.Timestamp(day).date()


def _chunks(items: Sequence[str], size: int) -> list[list[str]]:
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _normalize_tickers(tickers: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for t in tickers:
        if t is None:
            continue
        t = str(t).strip().upper()
        if t:
            seen.setdefault(t, None)
    return list(seen)


def refetch_start(last_stored: dt.date | str | None, *, sessions: int = REFETCH_SESSIONS,
                  initial: dt.date | str | None = None) -> dt.date | None:
    """Start of the re-fetch window: `sessions` NYSE sessions before the last stored date.

    With nothing stored yet, returns `initial` (the caller's first-load history start).
    """
    if last_stored is None:
        return None if initial is None else _as_date(initial)
    from scout_pipeline.calendar import sessions_back

    return sessions_back(_as_date(last_stored), sessions + 1)[0]


def empty_prices() -> pd.DataFrame:
    return _typed_prices(pd.DataFrame(columns=columns("prices")))


def _typed_prices(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=columns("prices"))
    out.columns.name = None
    out["ticker"] = out["ticker"].astype(object)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    for col in ("open", "high", "low", "close", "adj_close", "volume"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    out["source"] = out["source"].astype(object)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- prices

def frame_to_rows(data: pd.DataFrame | None, requested: Sequence[str],
                  start: dt.date, end: dt.date) -> tuple[pd.DataFrame, dict[str, str]]:
    """`frame_to_rows_events` without the events."""
    rows, missing, _ = frame_to_rows_events(data, requested, start, end)
    return rows, missing


def frame_to_rows_events(data: pd.DataFrame | None, requested: Sequence[str], start: dt.date,
                         end: dt.date) -> tuple[pd.DataFrame, dict[str, str], pd.DataFrame]:
    """Turn one `yf.download` frame into long contract rows, plus the split/dividend events.

    Returns (rows, missing, events) where missing maps each requested ticker that has no
    usable row to the reason. Handles: (Price, Ticker) or (Ticker, Price) MultiIndex columns, a flat frame
    for one ticker, tz-aware or naive index, all-NaN rows, a repeated last row, rows outside
    [start, end].
    """
    requested = list(requested)
    if data is None or len(data.index) == 0 or len(data.columns) == 0:
        return empty_prices(), {t: "empty frame from Yahoo" for t in requested}, _typed_events()

    index = pd.DatetimeIndex(pd.to_datetime(data.index))
    if index.tz is not None:
        index = index.tz_localize(None)  # keep the exchange's wall-clock date
    frame = data.copy()
    frame.index = index.normalize().rename("date")

    cols = frame.columns
    if isinstance(cols, pd.MultiIndex) and cols.nlevels == 2:
        price_level = next(
            (i for i in range(2) if set(map(str, cols.get_level_values(i))) & set(PRICE_FIELDS)),
            0)
        frame.columns = cols.set_names(["price", "ticker"] if price_level == 0 else ["ticker", "price"])
        long = frame.stack(level="ticker", future_stack=True)
    elif not isinstance(cols, pd.MultiIndex) and len(requested) == 1:
        long = frame.assign(ticker=requested[0]).set_index("ticker", append=True)
    else:
        return (empty_prices(), {t: f"unexpected columns from Yahoo: {list(cols)[:4]}" for t in requested},
                _typed_events())

    long = long.rename(columns={**PRICE_FIELDS, **EVENT_FIELDS})
    long = long.reindex(columns=[*PRICE_FIELDS.values(), *EVENT_FIELDS.values()])
    long = long.apply(pd.to_numeric, errors="coerce").reset_index()
    long["ticker"] = long["ticker"].astype(str).str.upper()
    returned = set(long["ticker"])
    values = list(PRICE_FIELDS.values())
    long = long.dropna(subset=values, how="all")
    long = long[long["close"].notna()]
    long = long.drop_duplicates(subset=["ticker", "date"], keep="last")  # the repeated last row
    long = long[(long["date"] >= pd.Timestamp(start)) & (long["date"] <= pd.Timestamp(end))]
    long = long[long["ticker"].isin(requested)]
    have = set(long["ticker"])
    missing: dict[str, str] = {}
    for t in requested:
        if t not in returned:
            missing[t] = "not in Yahoo's response"
        elif t not in have:
            missing[t] = ("no rows in window (delisted, wrong symbol, no trading, "
                          "or blocked by Yahoo)")
    if long.empty:
        return empty_prices(), missing, _typed_events()
    long["source"] = SOURCE
    events = long[(long["dividend"].fillna(0) > 0) | (long["split"].fillna(0) > 0)]
    return _typed_prices(long.sort_values(["ticker", "date"], kind="stable")), missing, _typed_events(events)


EVENT_COLUMNS = ["ticker", "date", "dividend", "split"]


def _typed_events(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Split and dividend events Yahoo reported with the bars (yfinance `actions=True`:
    'Dividends' is the amount, 'Stock Splits' the ratio, 0 on other days)."""
    if frame is None:
        frame = pd.DataFrame(columns=EVENT_COLUMNS)
    out = frame.reindex(columns=EVENT_COLUMNS).copy()
    out["ticker"] = out["ticker"].astype(object)
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    for col in ("dividend", "split"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0.0).astype("float64")
    return out.reset_index(drop=True)


YF_LOGGER = "yfinance"  # yfinance's `utils.get_yf_logger()`


def is_rate_limit_text(text: str | None) -> bool:
    """A logged yfinance error that is a rate limit."""
    return bool(text) and any(m in text for m in ("YFRateLimitError", "Too Many Requests", "Rate limited"))


class _LoggedErrors(logging.Handler):
    """Per-ticker errors that `download` swallows and logs (yfinance 1.x multi.py:
    `logger.error(f'{syms}: ' + err)` with `syms` a list of tickers): {TICKER: error text}."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.by_ticker: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage().strip()
            head, sep, error = text.partition("]: ")
            if not sep or not head.startswith("["):
                return
            symbols = ast.literal_eval(head + "]")
        except Exception:  # noqa: BLE001 - any other log line: not ours to read
            return
        if isinstance(symbols, (list, tuple)):
            for symbol in symbols:
                self.by_ticker[str(symbol).strip().upper()] = error.strip()[:200]


def _download(yf, chunk: list[str], start: dt.date, end: dt.date, *, threads: bool | int,
              timeout: float, session: Any = None) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """One `yf.download` call: (frame, {ticker: error yfinance logged instead of raising})."""
    logged = _LoggedErrors()
    logger = logging.getLogger(YF_LOGGER)
    # The logged errors are the only trace of a swallowed rate limit: a user who silenced
    # yfinance (level CRITICAL, or disabled) must not turn a wave into "missing". Lower the
    # level for the call only, and keep the records from their handlers while it is lowered.
    saved = (logger.level, logger.disabled, logger.propagate)
    if logger.disabled or logger.getEffectiveLevel() > logging.ERROR:
        logger.setLevel(logging.ERROR)
        logger.disabled = False
        logger.propagate = False
    logger.addHandler(logged)
    try:
        with warnings.catch_warnings():  # yfinance's own pandas deprecations: not the user's to act on
            warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
            data = _call_download(yf, chunk, start, end, threads=threads, timeout=timeout, session=session)
    finally:
        logger.removeHandler(logged)
        logger.setLevel(saved[0])
        logger.disabled, logger.propagate = saved[1], saved[2]
    return data, logged.by_ticker


def _call_download(yf, chunk: list[str], start: dt.date, end: dt.date, *, threads: bool | int,
                   timeout: float, session: Any = None) -> pd.DataFrame | None:
    extra = {"session": session} if session is not None else {}
    return yf.download(
        tickers=chunk,
        start=start.isoformat(),
        end=(end + dt.timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
        interval="1d",
        auto_adjust=False,
        back_adjust=False,
        actions=True,  # Dividends / Stock Splits columns: restatement evidence, same request
        group_by="column",
        multi_level_index=True,
        ignore_tz=True,
        repair=False,
        keepna=False,
        prepost=False,
        rounding=False,
        progress=False,
        threads=threads,
        timeout=timeout,
        **extra,
    )


def _fetch_chunk(yf, chunk: list[str], start: dt.date, end: dt.date, *, max_attempts: int,
                 sleep: Sleep, rng: random.Random | None, threads: bool | int, timeout: float,
                 backoff_base: float, session: Any = None,
                 ) -> tuple[pd.DataFrame, dict[str, tuple[str, str]], bool, pd.DataFrame]:
    """One chunk with bounded retries. Returns (rows, missing {ticker: (status, reason)},
    exhausted, events) — exhausted is True when every attempt was rate-limited, errored or empty."""
    status, reason = FAILED, "not attempted"
    for attempt in range(1, max_attempts + 1):
        try:
            data, logged = _download(yf, chunk, start, end, threads=threads, timeout=timeout,
                                     session=session)
        except Exception as exc:  # noqa: BLE001 - any provider error is retried, then recorded
            if is_rate_limit(exc):
                status = RATE_LIMITED
                reason = f"rate-limited by Yahoo (YFRateLimitError) after {attempt} attempt(s)"
            else:
                status, reason = FAILED, f"download error after {attempt} attempt(s): {exc!r}"
        else:
            rows, missing, events = frame_to_rows_events(data, chunk, start, end)
            if not rows.empty:
                return rows, {t: _why_missing(r, logged.get(t)) for t, r in missing.items()}, False, events
            limited = [t for t in chunk if is_rate_limit_text(logged.get(t))]
            if limited:  # yfinance swallowed YFRateLimitError and returned an empty frame
                status = RATE_LIMITED
                reason = (f"rate-limited by Yahoo (YFRateLimitError, logged by yfinance) after "
                          f"{attempt} attempt(s)")
            else:
                status = MISSING
                reason = (f"empty frame after {attempt} attempt(s) (delisted, no trading in "
                          "window, or rate-limited)")
                first = next((logged[t] for t in chunk if t in logged), None)
                if first:
                    reason += f"; yfinance logged: {first}"
        if attempt < max_attempts:
            sleep(backoff_delay(attempt, base=backoff_base, rng=rng))
    return empty_prices(), {t: (status, reason) for t in chunk}, True, _typed_events()


def _why_missing(reason: str, logged: str | None) -> tuple[str, str]:
    """(status, reason) of a ticker absent from a partial answer, with what yfinance logged."""
    if is_rate_limit_text(logged):
        return RATE_LIMITED, f"rate-limited by Yahoo (logged by yfinance: {logged})"
    return MISSING, reason + (f"; yfinance logged: {logged}" if logged else "")


COOLDOWNS = (30.0, 120.0)  # seconds to wait out a wave before resuming the remaining chunks


def fetch_prices(tickers: Iterable[str], start: dt.date | str, end: dt.date | str, *,
                 yf_module: Any = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 max_attempts: int = 4, retry_missing: bool = True, abort_after: int = 2,
                 cooldowns: Sequence[float] = COOLDOWNS,
                 threads: bool | int = False, timeout: float = 20.0,
                 backoff_base: float = 2.0, sleep: Sleep = time.sleep,
                 rng: random.Random | None = None, dataset: str = "prices",
                 session: Any = None) -> FetchResult:
    """Daily bars for `tickers` from `start` to `end`, both inclusive, as `prices` rows.

    Chunks of `chunk_size` tickers; an empty chunk or `YFRateLimitError` is retried up to
    `max_attempts` times with backoff + jitter. After `abort_after` consecutive exhausted
    chunks a rate-limit wave is assumed: the fetch waits out each of `cooldowns` (seconds)
    and resumes where it stopped, keeping what it already has; when the cooldowns are spent
    the rest is skipped (recorded; the run-level retry counts `skipped` as retryable).
    Tickers missing from a partial answer get one more try together (`retry_missing`), then
    a failure record with the reason. `result.events` holds the split and dividend events
    Yahoo reported in the window. `session`: the HTTP session yfinance uses (None: its own).
    """
    yf = _yf(yf_module)
    start_d, end_d = _as_date(start), _as_date(end)
    wanted = _normalize_tickers(tickers)
    result = FetchResult(frame=empty_prices(), requested=len(wanted))
    result.events = _typed_events()
    if not wanted:
        return result
    if start_d > end_d:
        result.notes.append(f"{dataset}: start {start_d} after end {end_d}; nothing fetched")
        return result

    parts: list[pd.DataFrame] = []
    events: list[pd.DataFrame] = []
    missing: dict[str, tuple[str, str]] = {}
    retryable: list[str] = []
    exhausted_run = 0
    waits = list(cooldowns)
    chunks = _chunks(wanted, chunk_size)
    kw = dict(sleep=sleep, rng=rng, threads=threads, timeout=timeout, backoff_base=backoff_base,
              session=session)
    n = 0
    while n < len(chunks):
        if abort_after and exhausted_run >= abort_after:
            if waits:
                wait = waits.pop(0)
                result.notes.append(f"{dataset}: {exhausted_run} consecutive chunks empty or "
                                    f"rate-limited (a Yahoo wave?); waiting {wait:g} s, then resuming "
                                    f"with the {sum(len(c) for c in chunks[n:])} tickers left")
                sleep(wait)
                # the exhausted chunks get another try after the wait
                n -= exhausted_run
                exhausted_run = 0
                continue
            rest = [t for c in chunks[n:] for t in c]
            for t in rest:
                missing[t] = (SKIPPED, f"not attempted: {exhausted_run} consecutive chunks came "
                              f"back empty or rate-limited after {len(cooldowns)} cooldown(s)")
            result.notes.append(f"{dataset}: stopped after {exhausted_run} consecutive empty/"
                                f"rate-limited chunks; {len(rest)} tickers not attempted")
            break
        chunk = chunks[n]
        rows, chunk_missing, exhausted, ev = _fetch_chunk(yf, chunk, start_d, end_d,
                                                          max_attempts=max_attempts, **kw)
        exhausted_run = exhausted_run + 1 if exhausted else 0
        parts.append(rows)
        events.append(ev)
        for t in chunk:
            missing.pop(t, None)  # a retried chunk's earlier verdict is superseded
        missing.update(chunk_missing)
        if not exhausted:
            retryable.extend(chunk_missing)
        n += 1

    if retry_missing and retryable:
        for chunk in _chunks(list(dict.fromkeys(retryable)), chunk_size):
            rows, still, _, ev = _fetch_chunk(yf, chunk, start_d, end_d, max_attempts=1, **kw)
            parts.append(rows)
            events.append(ev)
            for t in chunk:
                if t not in still:
                    missing.pop(t, None)
                elif t in missing:
                    missing[t] = (missing[t][0], missing[t][1] + "; retried once")

    frames = [p for p in parts if not p.empty]
    if frames:
        prices = pd.concat(frames, ignore_index=True)
        prices = prices.drop_duplicates(subset=["ticker", "date"], keep="last")
        result.frame = _typed_prices(prices.sort_values(["ticker", "date"]))
    found = [e for e in events if not e.empty]
    if found:
        result.events = _typed_events(pd.concat(found, ignore_index=True)
                                      .drop_duplicates(subset=["ticker", "date"], keep="last"))
    result.failures = [Failure(SOURCE, dataset, t, status, reason)
                       for t, (status, reason) in missing.items()]
    if missing:
        result.notes.append(f"{dataset}: {len(missing)} of {len(wanted)} tickers without rows "
                            f"from Yahoo: {', '.join(sorted(missing)[:10])}"
                            + (" …" if len(missing) > 10 else ""))
    return result


# --------------------------------------------------------------------------- rates

def rates_from_prices(prices: pd.DataFrame, series: Iterable[str] = RATE_TICKERS) -> pd.DataFrame:
    """`rates` rows (series, date, value=close, source='yahoo') for the rate tickers in prices."""
    wanted = list(series)
    sub = prices[prices["ticker"].isin(wanted)]
    out = pd.DataFrame({
        "series": sub["ticker"].astype(object).to_numpy(),
        "date": sub["date"].to_numpy(),
        "value": sub["close"].astype("float64").to_numpy(),
        "source": SOURCE,
    }, columns=columns("rates"))
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["source"] = out["source"].astype(object)
    return out.sort_values(["series", "date"]).reset_index(drop=True)


def fetch_rates(start: dt.date | str, end: dt.date | str, *,
                series: Sequence[str] = RATE_TICKERS, **price_kwargs: Any) -> FetchResult:
    """Closes of the Yahoo rate series (front fed funds future `ZQ=F`, `^IRX`) as rates rows."""
    got = fetch_prices(series, start, end, dataset="rates", **price_kwargs)
    return FetchResult(frame=rates_from_prices(got.frame, series), failures=got.failures,
                       notes=got.notes, requested=got.requested)


# --------------------------------------------------------------------------- fundamentals

def _num(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return math.nan
    if isinstance(value, dict):  # {"raw": 1.2, "fmt": "1.2"} shapes from raw quoteSummary
        return _num(value.get("raw"))
    if isinstance(value, (int, float, np.integer, np.floating)):
        f = float(value)
    elif isinstance(value, str):
        try:
            f = float(value.replace(",", ""))
        except ValueError:
            return math.nan
    else:
        return math.nan
    return f if math.isfinite(f) else math.nan


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def info_to_row(ticker: str, info: dict[str, Any] | None, as_of: dt.date) -> dict[str, Any] | None:
    """One fundamentals row from a `Ticker.info` dict; None when no contract field is present."""
    if not isinstance(info, dict):
        return None
    row: dict[str, Any] = {"ticker": ticker, "as_of": pd.Timestamp(as_of)}
    present = 0
    for col, keys in INFO_FIELDS.items():
        raw = next((info[k] for k in keys if info.get(k) is not None), None)
        if col in TEXT_FIELDS:
            row[col] = _text(raw)
            present += row[col] is not None
        else:
            value = _num(raw)
            row[col] = value
            present += not math.isnan(value)
    if present == 0:
        return None
    row["source"] = SOURCE
    return row


def _typed_fundamentals(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns("fundamentals"))
    frame["ticker"] = frame["ticker"].astype(object)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).astype("datetime64[ns]")
    for col in INFO_FIELDS:
        if col in TEXT_FIELDS:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        else:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["profile_as_of"] = pd.to_datetime(frame["profile_as_of"]).astype("datetime64[ns]")
    frame["source"] = frame["source"].astype(object)
    return frame.reset_index(drop=True)
