"""Fakes of the live providers for whole-run fault injection (no network).

Every fake answers in the provider's real response shape (see DESIGN.md "Sources — what
real providers do"):

* `FakeYF` — the yfinance 1.x module: `download(...)` returns what `yf.download(...,
  group_by='column', multi_level_index=True, ignore_tz=True)` returns — per-ticker frames
  reindexed to the union of dates, concatenated with keys (names=['Ticker', 'Price']),
  levels swapped to (Price, Ticker) and sorted; a (Price, Ticker) MultiIndex even for one
  ticker; a ticker Yahoo has no data for is an all-NaN column; `end` is exclusive.
  `Ticker(t).info` is a dict. Faults are injected with `download_fault` / `info_fault`
  hooks (`rate_limited`: raise `yfinance.exceptions.YFRateLimitError`, as `.info` does;
  `swallowed_rate_limit`: what 1.x's `download` really does in a wave — log the error on
  the 'yfinance' logger and return a 0-row frame; or raise anything else), `missing`
  (all-NaN columns), `last_day` (no bars after it) and `infos` (replacement `.info` dicts).
* `FakeHttp` — a requests-like session for Wikimedia pageviews (`{"items": [...]}`, one
  item per day with views), FRED `fredgraph.csv` (`observation_date,<SERIES>`, `.` for no
  observation) and HEAD probes. Faults: `pageviews_fault` / `pageviews_edit` (raise, answer
  differently, or edit the answer), `*_last_day`, `fred_dots` / `fred_text`, `down` hosts.
* `install(...)` — monkeypatches `scout_pipeline.sources.live.load_live` with a wrapper that
  calls the real `load_live` with the fakes, a small universe, no sleeping and a fixed clock:
  the Dagster run still goes through `load_source("live", ...)` and the run's history window.

The market is deterministic: one seeded random walk per ticker on the NYSE calendar.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import numpy as np
import pandas as pd

from scout_pipeline import calendar
from scout_pipeline.sources.contracts import columns
from tests.sources.test_wikipedia import FakeResponse  # the requests.Response shape the adapters read

HISTORY_COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
FIRST_DAY = dt.date(2025, 1, 2)  # the providers know nothing earlier: a year of history
LAST_DAY = dt.date(2026, 1, 16)

# (ticker, name, asset_type, segments, sector, wikipedia_article): the bundled pair series,
# the fed funds future, a watchlist of large caps and a handful of S&P 600 small caps.
UNIVERSE_ROWS = [
    ("^RUT", "Russell 2000 Index", "index", [], None, None),
    ("^GSPC", "S&P 500 Index", "index", [], None, None),
    ("^SP600", "S&P SmallCap 600 Index", "index", [], None, None),
    ("^IXIC", "Nasdaq Composite Index", "index", [], None, None),
    ("^N225", "Nikkei 225", "index", [], None, None),
    ("1306.T", "NEXT FUNDS TOPIX ETF", "etf", [], None, None),
    ("RSP", "Invesco S&P 500 Equal Weight ETF", "etf", [], None, None),
    ("SPY", "SPDR S&P 500 ETF Trust", "etf", [], None, None),
    ("IWM", "iShares Russell 2000 ETF", "etf", [], None, None),
    ("ZQ=F", "30-Day Fed Funds Futures", "future", [], None, None),
    ("AAPL", "Apple Inc.", "equity", ["large_cap", "sp500", "watchlist"], "Information Technology", "Apple Inc."),
    ("MSFT", "Microsoft", "equity", ["large_cap", "sp500", "watchlist"], "Information Technology", "Microsoft"),
    ("NVDA", "Nvidia", "equity", ["large_cap", "sp500", "watchlist"], "Information Technology", "Nvidia"),
    ("ADP", "ADP", "equity", ["large_cap", "sp500", "watchlist"], "Industrials", "Automatic Data Processing"),
    ("JCI", "Johnson Controls", "equity", ["large_cap", "sp500", "watchlist"], "Industrials", "Johnson Controls"),
    ("TT", "Trane Technologies", "equity", ["large_cap", "sp500", "watchlist"], "Industrials", "Trane Technologies"),
    ("ABM", "ABM Industries", "equity", ["small_cap", "sp600"], "Industrials", "ABM Industries"),
    ("ACIW", "ACI Worldwide", "equity", ["small_cap", "sp600"], "Information Technology", "ACI Worldwide"),
    ("AEO", "American Eagle Outfitters", "equity", ["small_cap", "sp600"], "Consumer Discretionary",
     "American Eagle Outfitters"),
    ("ARCB", "ArcBest", "equity", ["small_cap", "sp600"], "Industrials", "ArcBest"),
    ("CALM", "Cal-Maine Foods", "equity", ["small_cap", "sp600"], "Consumer Staples", "Cal-Maine Foods"),
    ("MOD", "Modine Manufacturing", "equity", ["small_cap", "russell2000", "watchlist"],
     "Consumer Discretionary", "Modine Manufacturing"),
]
RATE_ONLY = ("^IRX",)  # fetched with the prices, stored only as a rates series


def universe(extra: list[tuple] = ()) -> pd.DataFrame:
    """The run's universe as a contract frame (what `load_live(universe=...)` accepts)."""
    return pd.DataFrame(
        [{"ticker": t, "name": n, "asset_type": a, "segments": list(s), "sector": sec,
          "wikipedia_article": w, "source": "test"}
         for t, n, a, s, sec, w in [*UNIVERSE_ROWS, *extra]],
        columns=columns("universe"))


def price_tickers() -> list[str]:
    """Tickers stored in raw.prices after a complete run (universe; pairs use only these)."""
    return [r[0] for r in UNIVERSE_ROWS]


def equities() -> list[str]:
    return [r[0] for r in UNIVERSE_ROWS if r[2] == "equity"]


def articles() -> list[str]:
    return [r[5] for r in UNIVERSE_ROWS if r[5]]


# --------------------------------------------------------------------------- the market

def _seed(name: str) -> int:
    return zlib.crc32(name.encode())


_LEVELS = {"^RUT": 2400.0, "^GSPC": 6800.0, "^SP600": 1400.0, "^IXIC": 23000.0, "^N225": 50000.0,
           "1306.T": 3300.0, "RSP": 190.0, "SPY": 680.0, "IWM": 245.0, "ZQ=F": 96.35, "^IRX": 3.6}


class Market:
    """Deterministic daily bars per ticker on NYSE sessions FIRST_DAY..LAST_DAY (cached)."""

    def __init__(self) -> None:
        self.sessions = pd.DatetimeIndex(pd.to_datetime(calendar.sessions(FIRST_DAY, LAST_DAY)),
                                         name="Date")
        self._bars: dict[str, pd.DataFrame] = {}

    def bars(self, ticker: str) -> pd.DataFrame:
        if ticker not in self._bars:
            rng = np.random.default_rng(_seed(ticker))
            n = len(self.sessions)
            # fed funds contract months (ZQF27.CBT) are priced like ZQ=F: 100 - the expected rate
            level = _LEVELS.get(ticker, _LEVELS["ZQ=F"] if ticker.endswith(".CBT") else 20.0 + _seed(ticker) % 300)
            if ticker in ("ZQ=F", "^IRX") or ticker.endswith(".CBT"):  # rate series: small additive moves
                close = level + np.cumsum(rng.normal(0, 0.005, n))
            else:
                close = level * np.cumprod(1 + rng.normal(0.0003, 0.012, n))
            close = np.round(close, 4)
            open_ = np.round(close * (1 + rng.normal(0, 0.003, n)), 4)
            high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.006, n)), 4)
            low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.006, n)), 4)
            volume = 0.0 if ticker.startswith("^") else 1_000_000.0
            self._bars[ticker] = pd.DataFrame(
                {"Open": open_, "High": high, "Low": low, "Close": close, "Adj Close": close,
                 "Volume": np.full(n, volume)}, index=self.sessions)
        return self._bars[ticker]


MARKET = Market()


def empty_history() -> pd.DataFrame:
    """yfinance's `utils.empty_df()`: what a failed ticker contributes to `download`."""
    empty = pd.DataFrame(index=[], data={c: np.nan for c in HISTORY_COLUMNS})
    empty.index.name = "Date"
    return empty


def download_shape(per_ticker: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """yfinance 1.x `download` assembly (multi.py): reindex to the union of dates, concat with
    keys names=['Ticker', 'Price'], swap to (Price, Ticker), sort the columns."""
    idx = None
    for df in per_ticker.values():
        if not df.empty:
            idx = df.index if idx is None else idx.union(df.index)
    if idx is None:
        idx = pd.DatetimeIndex([])
    dfs = {k: df.reindex(idx) for k, df in per_ticker.items()}
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    return data.sort_index(level=0, axis=1)


# --------------------------------------------------------------------------- yfinance

def default_info(ticker: str) -> dict[str, Any]:
    """A trimmed, real-shaped `.info` dict (a loss-maker for a few small caps)."""
    seed = _seed(ticker)
    loss = ticker in ("AEO", "CALM")
    eps = -0.8 if loss else 1.0 + seed % 9
    cap = (2e12 if ticker in ("AAPL", "MSFT", "NVDA") else 6e10) if "sp500" in _segments(ticker) else 2.5e9
    shares = cap / 50.0
    return {
        "symbol": ticker, "quoteType": "EQUITY", "longName": ticker, "currency": "USD",
        "sector": _sector(ticker), "industry": "Test Industry",
        "marketCap": cap, "sharesOutstanding": shares, "forwardEps": eps,
        "trailingEps": eps * 0.9, "forwardPE": 50.0 / eps if eps > 0 else None,
        "trailingPE": 50.0 / (eps * 0.9) if eps > 0 else "Infinity",
        "netIncomeToCommon": eps * shares, "profitMargins": -0.05 if loss else 0.12,
        "earningsGrowth": 0.08, "revenueGrowth": 0.05, "returnOnEquity": 0.18,
        "debtToEquity": 80.0, "totalDebt": cap * 0.1, "totalCash": cap * 0.05,
    }


def _segments(ticker: str) -> list[str]:
    return next((r[3] for r in UNIVERSE_ROWS if r[0] == ticker), [])


def _sector(ticker: str) -> str | None:
    return next((r[4] for r in UNIVERSE_ROWS if r[0] == ticker), None)


Hook = Callable[[int, list[str]], Any]


@dataclass
class FakeYF:
    """The yfinance module as the live source uses it: `download`, `Ticker(t).info`.

    `download_fault(n, tickers)` runs before the n-th `download` call (1-based); it may raise
    (a provider error) or return a replacement frame. `info_fault(n, ticker)` likewise for
    the n-th `.info` read. `missing`: tickers Yahoo answers with an all-NaN column.
    `last_day`: no bars after this day (a provider that has not published the session).
    `infos`: `.info` dict per ticker instead of `default_info`.
    """

    missing: set[str] = field(default_factory=set)
    last_day: dt.date | None = None
    infos: dict[str, Any] = field(default_factory=dict)
    download_fault: Hook | None = None
    info_fault: Hook | None = None
    calls: list[tuple[list[str], dict]] = field(default_factory=list)
    info_calls: list[str] = field(default_factory=list)

    def download(self, tickers=None, **kwargs):
        tickers = [tickers] if isinstance(tickers, str) else list(tickers)
        self.calls.append((tickers, kwargs))
        if self.download_fault is not None:
            answer = self.download_fault(len(self.calls), tickers)
            if isinstance(answer, pd.DataFrame):
                return answer
        lo = pd.Timestamp(kwargs["start"])
        hi = pd.Timestamp(kwargs["end"])  # exclusive, like yfinance
        if self.last_day is not None:
            hi = min(hi, pd.Timestamp(self.last_day) + pd.Timedelta(days=1))
        per: dict[str, pd.DataFrame] = {}
        for t in dict.fromkeys(t.upper() for t in tickers):  # yfinance upper-cases and dedups
            if t in self.missing:
                per[t] = empty_history()
            else:
                bars = MARKET.bars(t)
                per[t] = bars[(bars.index >= lo) & (bars.index < hi)].copy()
        return download_shape(per)

    @property
    def data(self):
        """`yfinance.data`: quote and quoteSummary JSON from the `.info` dicts (faults apply
        to the per-ticker quoteSummary request, as they did to `.info`)."""
        from tests.sources.yf_data_fake import data_module

        def quote(t):
            return self.infos.get(t, default_info(t))

        return data_module(lambda t: self.Ticker(t).info, quote)

    def Ticker(self, symbol):  # noqa: N802 - yfinance's spelling
        fake = self

        class _Ticker:
            def __init__(self, sym):
                self.ticker = sym

            @property
            def info(self):
                fake.info_calls.append(self.ticker)
                if fake.info_fault is not None:
                    fake.info_fault(len(fake.info_calls), self.ticker)
                if self.ticker in fake.infos:
                    return fake.infos[self.ticker]
                return default_info(self.ticker)

        return _Ticker(symbol)


def rate_limited(first: int | None = None) -> Hook:
    """A download/info hook: `YFRateLimitError` for the first `first` calls (None: always)."""
    from yfinance.exceptions import YFRateLimitError

    def hook(n: int, _tickers: Any) -> None:
        if first is None or n <= first:
            raise YFRateLimitError()

    return hook


def swallowed_rate_limit(first: int | None = None) -> Hook:
    """What yfinance 1.x's own `download` does in a wave (multi.py): each ticker's
    `YFRateLimitError` is caught, logged on the 'yfinance' logger grouped by message, and the
    answer is assembled from empty frames (0 rows). For the first `first` calls (None: always)."""
    import logging

    from yfinance.exceptions import YFRateLimitError

    def hook(n: int, tickers: list[str]) -> pd.DataFrame | None:
        if first is not None and n > first:
            return None
        syms = [t.upper() for t in tickers]
        logger = logging.getLogger("yfinance")
        logger.error("\n%.f Failed download%s:" % (len(syms), "s" if len(syms) > 1 else ""))
        logger.error(f"{syms}: " + repr(YFRateLimitError()))
        return download_shape({t: empty_history() for t in syms})

    return hook


# --------------------------------------------------------------------------- http

def fredgraph_csv(series: str, start: dt.date, end: dt.date,
                  dots: set[dt.date] = frozenset()) -> str:
    """fredgraph.csv: `observation_date,<SERIES>`; DFF every calendar day, DGS2 on weekdays
    with `.` on NYSE holidays (no observation), `dots` days forced to `.`."""
    lines = [f"observation_date,{series}"]
    day = start
    sessions = set(calendar.sessions(start, end))
    while day <= end:
        if series == "DFF":
            value = "3.64"
        elif day.weekday() < 5:
            value = f"{3.50 + (day.toordinal() % 7) * 0.01:.2f}" if day in sessions else "."
        else:
            value = None
        if value is not None:
            lines.append(f"{day.isoformat()},{'.' if day in dots else value}")
        day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


@dataclass
class FakeHttp:
    """requests-like session: HEAD probes, Wikimedia pageviews, FRED fredgraph.csv.

    `pageviews_fault(n, article)` runs before the n-th pageviews request: it may raise (a
    dropped connection) or return a `FakeResponse` / payload dict to answer instead.
    `pageviews_edit(article, payload)` may change the normal answer's payload in place.
    `fred_text[series]`: the CSV body for that series instead of `fredgraph_csv`.
    `pageviews_last_day` / `fred_last_day`: no observations after this day. `down`: hosts
    that refuse connections.
    """

    down: set[str] = field(default_factory=set)
    pageviews_fault: Callable[[int, str], Any] | None = None
    pageviews_edit: Callable[[str, dict], Any] | None = None
    pageviews_last_day: dt.date | None = None
    fred_last_day: dt.date | None = None
    fred_text: dict[str, str] = field(default_factory=dict)
    fred_dots: set[dt.date] = field(default_factory=set)
    pageview_calls: list[str] = field(default_factory=list)
    fred_calls: list[dict] = field(default_factory=list)

    def _check(self, url: str) -> None:
        host = url.split("/")[2]
        if host in self.down:
            raise ConnectionError(f"HTTPSConnectionPool(host='{host}', port=443): Max retries "
                                  "exceeded (Connection refused)")

    def head(self, url, timeout=None, allow_redirects=False):
        self._check(url)
        return FakeResponse(301)

    def get(self, url, params=None, headers=None, timeout=None):
        self._check(url)
        if url.startswith("https://fred.stlouisfed.org/"):
            self.fred_calls.append(dict(params))
            sid = params["id"]
            if sid in self.fred_text:
                return FakeResponse(200, self.fred_text[sid])
            start, end = (dt.date.fromisoformat(params[k]) for k in ("cosd", "coed"))
            start = max(start, FIRST_DAY)
            if self.fred_last_day is not None:
                end = min(end, self.fred_last_day)
            return FakeResponse(200, fredgraph_csv(sid, start, end, self.fred_dots))
        if url.startswith("https://wikimedia.org/"):
            return self._pageviews(url)
        return FakeResponse(503, "Service Unavailable")  # constituents pages: not used here

    def _pageviews(self, url: str) -> FakeResponse:
        # .../per-article/en.wikipedia/all-access/user/{article}/daily/{start}00/{end}00
        article = unquote(url.split("/user/")[1].split("/daily/")[0])
        start_s, end_s = url.rsplit("/daily/", 1)[1].split("/")
        self.pageview_calls.append(article)
        if self.pageviews_fault is not None:
            answer = self.pageviews_fault(len(self.pageview_calls), article)
            if isinstance(answer, FakeResponse):
                return answer
            if isinstance(answer, dict):
                return FakeResponse(200, answer)
        start = max(dt.datetime.strptime(start_s[:8], "%Y%m%d").date(), FIRST_DAY)
        end = dt.datetime.strptime(end_s[:8], "%Y%m%d").date()
        if self.pageviews_last_day is not None:
            end = min(end, self.pageviews_last_day)
        items = []
        day, seed = start, _seed(article)
        while day <= end:
            items.append({"project": "en.wikipedia", "article": article, "granularity": "daily",
                          "timestamp": f"{day:%Y%m%d}00", "access": "all-access", "agent": "user",
                          "views": 1000 + (seed + day.toordinal() * 37) % 900})
            day += dt.timedelta(days=1)
        if not items:
            return FakeResponse(404, {"type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
                                      "title": "Not found.", "detail": "The date(s) you used are valid, "
                                      "but we either do not have data for those date(s), or the project "
                                      "you asked for is not loaded yet."})
        payload = {"items": items}
        if self.pageviews_edit is not None:
            self.pageviews_edit(article, payload)
        return FakeResponse(200, payload)


# --------------------------------------------------------------------------- install

@dataclass
class Providers:
    """The fakes one `scout run` talks to, plus what the wrapper saw."""

    yf: FakeYF = field(default_factory=FakeYF)
    http: FakeHttp = field(default_factory=FakeHttp)
    now: dt.datetime = dt.datetime(2026, 1, 12, 22, 0, tzinfo=dt.timezone.utc)  # 17:00 NY
    chunk_size: int = 8
    extra: list[tuple] = field(default_factory=list)  # more UNIVERSE_ROWS-shaped rows
    loads: list[dict] = field(default_factory=list)  # one per load_live call (per attempt)
    profile_rotation: int | None = None  # None: the source's default


def install(monkeypatch, providers: Providers) -> Providers:
    """Route `load_live` (called by the Dagster run through `load_source('live', ...)`) to the
    fakes. The real `load_live` runs: preflight, prices in chunks, fundamentals, FRED,
    pageviews, failed-share limits."""
    from scout_pipeline.sources import live

    original = getattr(live.load_live, "real_load_live", live.load_live)

    def wrapper(as_of, *, history_start=None, **kwargs):
        providers.loads.append({"as_of": as_of, "history_start": history_start})
        return original(as_of, history_start=history_start, universe=universe(providers.extra),
                        http=providers.http, yf_module=providers.yf, sleep=lambda s: None,
                        now=providers.now, preflight_timeout=0.5, chunk_size=providers.chunk_size,
                        **({"profile_rotation": providers.profile_rotation} if providers.profile_rotation else {}),
                        **kwargs)

    wrapper.real_load_live = original
    monkeypatch.setattr(live, "load_live", wrapper)
    return providers
