"""The simulated market behind the provider simulator (no HTTP here).

Everything is deterministic: random paths are seeded by the ticker (zlib.crc32), per-day
noise (pageviews, FRED) by a hash of (name, day). Generation is vectorised and cached, so an
index with history from 1987 or a few thousand synthetic equities stay cheap.

Prices have two layers:

* raw bars — what traded on each session, in that day's shares (`Market.raw`). A split
  divides the traded price from its date on; a dividend is just an amount on its ex-date.
* served bars — what Yahoo answers *on* a given day D (`Market.view(ticker, D)`): bars
  through D only; for every split dated <= D, every earlier bar's open/high/low/close is
  divided by the cumulative ratio and its volume multiplied (Yahoo restates `close` too);
  `adjclose` = close x the product, over ex-dates <= D after the bar, of Yahoo's factor
  (1 - amount / close of the session before the ex-date), both on the served basis (Yahoo
  also restates dividend amounts for later splits). Events dated after D are invisible.
  Prices pass through float32 on the way out, as Yahoo's JSON does (213.71 -> 213.7100067...).
"""

from __future__ import annotations

import datetime as dt
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from scout_pipeline.sources.fomc import contract_symbol

Date = dt.date
ASSET_TYPES = ("equity", "etf", "index", "future")
INDEXES = ("sp500", "sp600", "russell2000")
CALENDAR_START = "1980-01-01"  # scout_pipeline.calendar starts in 1990; ^RUT needs 1987


# --------------------------------------------------------------------------- determinism

def seed_of(*parts: Any) -> int:
    """A stable 32-bit seed from any parts (crc32 of their text), unlike hash()."""
    return zlib.crc32("|".join(str(p) for p in parts).encode("utf-8"))


_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def uniform_hash(key: int, ordinals: np.ndarray) -> np.ndarray:
    """U[0, 1) per (key, ordinal), vectorised (splitmix64): the same day always gets the same
    noise, whatever window is asked for — so overlapping requests agree."""
    with np.errstate(over="ignore"):
        x = (np.asarray(ordinals, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             + np.uint64(key) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        x ^= x >> np.uint64(30)
        x = (x * np.uint64(0xBF58476D1CE4E5B9)) & _M64
        x ^= x >> np.uint64(27)
        x = (x * np.uint64(0x94D049BB133111EB)) & _M64
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def as_date(day: Any) -> Date:
    return pd.Timestamp(day).date()


# --------------------------------------------------------------------------- venues

@dataclass(frozen=True)
class Venue:
    key: str
    calendar: str          # exchange_calendars code
    tz: str                # Yahoo's exchangeTimezoneName
    open: dt.time
    close: dt.time
    currency: str


VENUES = {
    "us": Venue("us", "XNYS", "America/New_York", dt.time(9, 30), dt.time(16, 0), "USD"),
    "jp": Venue("jp", "XTKS", "Asia/Tokyo", dt.time(9, 0), dt.time(15, 30), "JPY"),
}


@dataclass(frozen=True)
class Sessions:
    dates: np.ndarray      # datetime64[D]
    open_ts: np.ndarray    # int64 UTC seconds of the session's open (Yahoo's daily-bar stamp)
    close_ts: np.ndarray


@lru_cache(maxsize=None)
def venue_sessions(key: str) -> Sessions:
    """All sessions of a venue from 1980 to exchange_calendars' end (about a year ahead).
    For 'us' these are XNYS, the calendar scout_pipeline.calendar uses (from 1990 on)."""
    import exchange_calendars as xcals  # slow import: only when a market is used

    venue = VENUES[key]
    factory = xcals.resolve_alias(venue.calendar)
    bound = xcals.calendar_utils._default_calendar_factories[factory].bound_min()
    start = max(pd.Timestamp(CALENDAR_START), bound or pd.Timestamp(CALENDAR_START))
    cal = xcals.get_calendar(venue.calendar, start=start)  # XTKS only goes back to 1997
    idx = pd.DatetimeIndex(cal.sessions).tz_localize(None).normalize()
    dates = idx.values.astype("datetime64[D]")
    tz = ZoneInfo(venue.tz)

    def stamps(at: dt.time) -> np.ndarray:
        local = (idx + pd.Timedelta(hours=at.hour, minutes=at.minute)).tz_localize(tz)
        return (local.tz_convert("UTC").tz_localize(None).values.astype("datetime64[s]")
                .astype(np.int64))

    return Sessions(dates, stamps(venue.open), stamps(venue.close))


def sessions_between(start: Any, end: Any, venue: str = "us") -> list[Date]:
    s = venue_sessions(venue)
    lo = np.searchsorted(s.dates, np.datetime64(as_date(start), "D"), "left")
    hi = np.searchsorted(s.dates, np.datetime64(as_date(end), "D"), "right")
    return [d.astype(object) for d in s.dates[lo:hi]]


def session_on_or_after(day: Any, venue: str = "us") -> Date:
    s = venue_sessions(venue)
    i = np.searchsorted(s.dates, np.datetime64(as_date(day), "D"), "left")
    return s.dates[min(i, len(s.dates) - 1)].astype(object)


def session_on_or_before(day: Any, venue: str = "us") -> Date:
    s = venue_sessions(venue)
    i = np.searchsorted(s.dates, np.datetime64(as_date(day), "D"), "right") - 1
    return s.dates[max(i, 0)].astype(object)


# --------------------------------------------------------------------------- instruments

# Yahoo's exchangeName / fullExchangeName per asset type (as its chart meta and v7 quote show).
EXCHANGE_NAMES = {"NMS": "NasdaqGS", "NYQ": "NYSE", "PCX": "NYSEArca", "WCB": "Chicago Options",
                  "SNP": "SNP", "NIM": "Nasdaq GIDS", "CBT": "CBOT", "CXI": "Cboe Indices",
                  "OSA": "Osaka", "JPX": "Tokyo"}
# A coarse fed funds target (upper bound, %) — the default rate path behind DFF, ZQ=F, ^IRX.
DEFAULT_POLICY_STEPS = [
    ("1980-01-01", 12.0), ("1985-01-01", 8.5), ("1987-01-01", 6.5), ("1989-01-01", 9.75),
    ("1990-01-01", 8.25), ("1991-01-01", 6.75), ("1992-01-01", 4.0), ("1993-01-01", 3.0),
    ("1994-06-01", 4.25), ("1995-02-01", 6.0), ("1996-01-31", 5.25), ("1998-11-17", 4.75),
    ("1999-11-16", 5.5), ("2000-05-16", 6.5), ("2001-03-20", 5.0), ("2001-09-17", 3.0),
    ("2001-12-11", 1.75), ("2003-06-25", 1.0), ("2004-12-14", 2.25), ("2005-12-13", 4.25),
    ("2006-06-29", 5.25), ("2007-10-31", 4.5), ("2008-03-18", 2.25), ("2008-10-29", 1.0),
    ("2008-12-16", 0.25), ("2015-12-17", 0.5), ("2016-12-15", 0.75), ("2017-06-15", 1.25),
    ("2017-12-14", 1.5), ("2018-06-14", 2.0), ("2018-12-20", 2.5), ("2019-08-01", 2.25),
    ("2019-10-31", 1.75), ("2020-03-16", 0.25), ("2022-03-17", 0.5), ("2022-06-16", 1.75),
    ("2022-09-22", 3.25), ("2022-12-15", 4.5), ("2023-03-23", 5.0), ("2023-07-27", 5.5),
    ("2024-09-19", 5.0), ("2024-11-08", 4.75), ("2024-12-19", 4.5), ("2025-09-18", 4.25),
    ("2025-10-30", 4.0), ("2025-12-11", 3.75),
]
QUOTE_TYPES = {"equity": "EQUITY", "etf": "ETF", "index": "INDEX", "future": "FUTURE"}
SECTORS = {  # GICS sector -> a few sub-industries, for deterministic fundamentals
    "Information Technology": ["Semiconductors", "Systems Software", "Application Software"],
    "Industrials": ["Industrial Machinery & Supplies", "Building Products",
                    "Electrical Components & Equipment"],
    "Health Care": ["Biotechnology", "Health Care Equipment", "Pharmaceuticals"],
    "Financials": ["Regional Banks", "Asset Management & Custody Banks", "Insurance Brokers"],
    "Consumer Discretionary": ["Automotive Parts & Equipment", "Restaurants", "Homebuilding"],
    "Consumer Staples": ["Packaged Foods & Meats", "Household Products"],
    "Energy": ["Oil & Gas Exploration & Production", "Oil & Gas Equipment & Services"],
    "Materials": ["Specialty Chemicals", "Steel"],
    "Utilities": ["Electric Utilities", "Multi-Utilities"],
    "Real Estate": ["Industrial REITs", "Retail REITs"],
    "Communication Services": ["Interactive Media & Services", "Cable & Satellite"],
}


@dataclass
class Instrument:
    """One symbol Yahoo knows. Dates may be strings; event dates snap to the next session.

    `splits`: [(date, numerator, denominator)] — (d, 2, 1) is a 2-for-1 split effective on d.
    `dividends`: [(ex_date, amount per share as paid)]. `halts`: [(first, last)] date ranges
    (inclusive) without bars. `last_day`: delisted after it (no bars later). `rate`: a rate
    series (ZQ=F, ^IRX) derived from the market's policy rate instead of a random walk.
    """

    ticker: str
    asset_type: str = "equity"
    name: str | None = None
    first_day: Date = dt.date(2010, 1, 4)
    last_day: Date | None = None
    halts: list[tuple[Date, Date]] = field(default_factory=list)
    splits: list[tuple[Date, float, float]] = field(default_factory=list)
    dividends: list[tuple[Date, float]] = field(default_factory=list)
    venue: str = "us"
    exchange: str | None = None
    start_price: float | None = None
    drift: float | None = None          # annual log drift
    vol: float | None = None            # annual volatility
    volume: float | None = None         # typical daily volume in today's shares
    sector: str | None = None
    industry: str | None = None
    wikipedia_article: str | None = None
    shares: float | None = None         # shares outstanding before any split in `splits`
    loss_maker: bool | None = None
    rate: str | None = None             # 'fed_funds_future' | 'tbill_13w'

    @property
    def seed(self) -> int:
        return seed_of(self.ticker)

    @property
    def quote_type(self) -> str:
        return QUOTE_TYPES[self.asset_type]

    @property
    def exchange_name(self) -> str:
        if self.exchange:
            return self.exchange
        if self.venue == "jp":
            return "OSA" if self.asset_type == "index" else "JPX"
        return {"equity": "NMS" if self.seed % 2 else "NYQ", "etf": "PCX", "index": "SNP",
                "future": "CBT"}[self.asset_type]

    @property
    def display_name(self) -> str:
        return self.name or self.ticker


# --------------------------------------------------------------------------- bar arrays

@dataclass(frozen=True)
class Bars:
    """Daily bars as arrays (raw or served). Events carry (date, open_ts, ...)."""

    dates: np.ndarray          # datetime64[D]
    ts: np.ndarray             # int64 open stamps (UTC seconds)
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray         # int64 when served (float32 in raw storage)
    adjclose: np.ndarray | None = None
    splits: tuple = ()         # ((date, ts, numerator, denominator), ...)
    dividends: tuple = ()      # ((date, ts, amount), ...)

    def __len__(self) -> int:
        return len(self.dates)

    def window(self, lo_ts: int | None, hi_ts: int | None) -> "Bars":
        """Bars and events with open stamp in [lo_ts, hi_ts) — Yahoo's period1/period2."""
        lo = 0 if lo_ts is None else int(np.searchsorted(self.ts, lo_ts, "left"))
        hi = len(self) if hi_ts is None else int(np.searchsorted(self.ts, hi_ts, "left"))

        def inside(t: int) -> bool:
            return (lo_ts is None or t >= lo_ts) and (hi_ts is None or t < hi_ts)

        return Bars(self.dates[lo:hi], self.ts[lo:hi], self.open[lo:hi], self.high[lo:hi],
                    self.low[lo:hi], self.close[lo:hi], self.volume[lo:hi],
                    None if self.adjclose is None else self.adjclose[lo:hi],
                    tuple(e for e in self.splits if inside(e[1])),
                    tuple(e for e in self.dividends if inside(e[1])))

    def frame(self) -> pd.DataFrame:
        """The bars as yfinance's download frame for one ticker would show them (auto_adjust=
        False, actions=True, ignore_tz=True): Date index, OHLC, Adj Close, Volume, events."""
        idx = pd.DatetimeIndex(self.dates.astype("datetime64[ns]"), name="Date")
        out = pd.DataFrame({"Open": self.open, "High": self.high, "Low": self.low,
                            "Close": self.close, "Adj Close": self.adjclose,
                            "Volume": self.volume}, index=idx)
        out["Dividends"] = 0.0
        out["Stock Splits"] = 0.0
        for day, _, amount in self.dividends:
            out.loc[pd.Timestamp(day), "Dividends"] = amount
        for day, _, num, den in self.splits:
            out.loc[pd.Timestamp(day), "Stock Splits"] = num / den
        return out


def _f32(values: np.ndarray) -> np.ndarray:
    """What survives Yahoo's single-precision JSON: float32 then back to float64."""
    return np.asarray(values, dtype=np.float64).astype(np.float32).astype(np.float64)


# --------------------------------------------------------------------------- the market

class Market:
    """Instruments, index membership, fundamentals, pageviews and rates. No notion of "today":
    the provider (`tests.sim.http.ProviderSim`) decides which day it serves."""

    def __init__(self, *, raw_cache: int = 4096, view_cache: int = 256):
        self.instruments: dict[str, Instrument] = {}
        self.membership: dict[str, dict[str, list[tuple[Date, Date | None]]]] = {
            i: {} for i in INDEXES}
        self.articles: set[str] = set()  # extra Wikipedia articles with pageviews
        self.policy_steps: list[tuple[Date, float]] | None = None  # fed funds target (upper)
        self._lock = threading.RLock()
        self._raw: OrderedDict[str, Bars] = OrderedDict()
        self._views: OrderedDict[tuple[str, Date], Bars] = OrderedDict()
        self._raw_cap, self._view_cap = raw_cache, view_cache
        self._policy: tuple[np.ndarray, np.ndarray] | None = None
        self.version = 0  # bumped on every change: the provider's document cache key

    # ---------------------------------------------------------------- declaring

    def add(self, ticker: str, **spec: Any) -> Instrument:
        """Declare (or replace) a symbol; see `Instrument` for the fields."""
        ticker = ticker.upper()
        inst = Instrument(ticker=ticker, **spec)
        if inst.asset_type not in ASSET_TYPES:
            raise ValueError(f"asset_type must be one of {ASSET_TYPES}, not {inst.asset_type!r}")
        if inst.venue not in VENUES:
            raise ValueError(f"venue must be one of {sorted(VENUES)}")
        inst.first_day = session_on_or_after(inst.first_day, inst.venue)
        inst.last_day = None if inst.last_day is None else as_date(inst.last_day)
        inst.halts = [(as_date(a), as_date(b)) for a, b in inst.halts]
        inst.splits = sorted((session_on_or_after(d, inst.venue), float(n), float(m))
                             for d, n, m in inst.splits)
        inst.dividends = sorted((session_on_or_after(d, inst.venue), float(a))
                                for d, a in inst.dividends)
        if inst.wikipedia_article:
            inst.wikipedia_article = " ".join(inst.wikipedia_article.replace("_", " ").split())
        with self._lock:
            self.instruments[ticker] = inst
            self._forget(ticker)
            self.version += 1
        return inst

    def update(self, ticker: str, **changes: Any) -> Instrument:
        """Change a declared symbol (e.g. add a split later): re-validated, caches dropped."""
        inst = self[ticker]
        spec = {k: getattr(inst, k) for k in Instrument.__dataclass_fields__ if k != "ticker"}
        spec.update(changes)
        return self.add(ticker, **spec)

    def _forget(self, ticker: str) -> None:
        self._raw.pop(ticker, None)
        for key in [k for k in self._views if k[0] == ticker]:
            del self._views[key]

    def __getitem__(self, ticker: str) -> Instrument:
        return self.instruments[ticker.upper()]

    def __contains__(self, ticker: str) -> bool:
        return ticker.upper() in self.instruments

    def join(self, index: str, ticker: str, on: Any, until: Any = None) -> None:
        """`ticker` is a member of `index` from `on` (inclusive) until `until` (exclusive)."""
        if index not in self.membership:
            raise ValueError(f"index must be one of {INDEXES}")
        spans = self.membership[index].setdefault(ticker.upper(), [])
        spans.append((as_date(on), None if until is None else as_date(until)))
        self.version += 1

    def leave(self, index: str, ticker: str, on: Any) -> None:
        """End the open membership of `ticker` in `index`: not a member from `on`."""
        spans = self.membership[index].get(ticker.upper(), [])
        for i, (start, end) in enumerate(spans):
            if end is None:
                spans[i] = (start, as_date(on))
                self.version += 1
                return
        raise ValueError(f"{ticker} has no open membership in {index}")

    def members(self, index: str, day: Any) -> list[str]:
        """Members of `index` on `day`, in declaration order."""
        d = as_date(day)
        return [t for t, spans in self.membership[index].items()
                if any(a <= d and (b is None or d < b) for a, b in spans)]

    def changes(self, index: str, day: Any) -> list[tuple[Date, str, str]]:
        """(date, 'added'|'removed', ticker) up to `day`, newest first (Wikipedia's table)."""
        d = as_date(day)
        out = []
        for t, spans in self.membership[index].items():
            for a, b in spans:
                if a <= d:
                    out.append((a, "added", t))
                if b is not None and b <= d:
                    out.append((b, "removed", t))
        return sorted(out, reverse=True)

    def fill_index(self, index: str, count: int, *, on: Any = "2015-01-02",
                   prefix: str | None = None) -> list[str]:
        """Add `count` synthetic equities (tickers like 'QAAB') as members of `index`, so the
        lists reach the sizes the pipeline expects (450+/500+/1500+). Cheap: bars are only
        generated when asked for."""
        prefix = prefix or {"sp500": "Q", "sp600": "X", "russell2000": "Y"}[index]
        small = index != "sp500"
        out = []
        for n in range(count):
            a, b, c = n // 676 % 26, n // 26 % 26, n % 26
            ticker = prefix + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[a] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[b] \
                + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c]
            if ticker not in self:
                seed = seed_of(ticker)
                sector = sorted(SECTORS)[seed % len(SECTORS)]
                self.add(ticker, name=f"{ticker.title()} {'Holdings' if seed % 3 else 'Corp'}",
                         first_day=on, sector=sector,
                         wikipedia_article=None if seed % 4 == 0 else f"{ticker.title()} (company)",
                         start_price=5 + seed % 60 if small else 40 + seed % 300)
            self.join(index, ticker, on)
            out.append(ticker)
        return out

    # ---------------------------------------------------------------- raw bars

    def raw(self, ticker: str) -> Bars:
        """As-traded bars over the instrument's whole life (to the calendar's end)."""
        ticker = ticker.upper()
        with self._lock:
            bars = self._raw.get(ticker)
            if bars is not None:
                self._raw.move_to_end(ticker)
                return bars
        bars = self._generate(self[ticker])
        with self._lock:
            self._raw[ticker] = bars
            while len(self._raw) > self._raw_cap:
                self._raw.popitem(last=False)
        return bars

    def _generate(self, inst: Instrument) -> Bars:
        s = venue_sessions(inst.venue)
        lo = np.searchsorted(s.dates, np.datetime64(inst.first_day, "D"), "left")
        hi = len(s.dates) if inst.last_day is None else \
            np.searchsorted(s.dates, np.datetime64(inst.last_day, "D"), "right")
        dates, ts = s.dates[lo:hi], s.open_ts[lo:hi]
        n = len(dates)
        if n == 0:  # delisted before it listed, or listed after the calendar's end
            empty = np.zeros(0)
            return Bars(dates, ts, empty, empty, empty, empty, np.zeros(0, dtype=np.int64))
        rng = np.random.default_rng(inst.seed)
        if inst.rate:
            econ = self._rate_path(inst, dates, rng)
            sigma = 0.002
        else:
            drift, vol = self._walk_params(inst)
            sigma = vol / np.sqrt(252.0)
            steps = rng.normal(drift / 252.0 - 0.5 * sigma ** 2, sigma, n)
            econ = self._start_price(inst) * np.exp(np.cumsum(steps))
        # Uniform noise (cheaper than normals) for the overnight gap and the intraday range.
        u = rng.random((4, n))
        gap = (u[0] - 0.5) * sigma * 0.6
        wick = u[1:3] * sigma * 0.8
        prev = np.concatenate([[econ[0]], econ[:-1]])
        econ_open = prev * np.exp(gap)
        # As traded: divide by every split effective on or before the bar.
        divisor = np.ones(n)
        for day, num, den in inst.splits:
            divisor[dates >= np.datetime64(day, "D")] *= num / den
        decimals = 3 if inst.rate == "tbill_13w" else 4 if inst.rate else 2
        close = np.round(econ / divisor, decimals)
        open_ = np.round(econ_open / divisor, decimals)
        high = np.round(np.maximum(open_, close) * np.exp(wick[0]), decimals)
        low = np.round(np.minimum(open_, close) * np.exp(-wick[1]), decimals)
        if inst.rate == "tbill_13w":
            volume = np.zeros(n)                            # Yahoo shows ^IRX volume 0
        else:
            # In the shares of the day: before a 2:1 split half as many shares traded.
            base = inst.volume or self._typical_volume(inst)
            noise = np.exp((u[3] - 0.5) * 1.2)
            volume = np.round(base * noise * divisor / divisor[-1])
        # Stored compactly (dates/ts are views of the venue's arrays; prices and volume in
        # float32, 20 bytes a bar): what Yahoo serves passes through float32 anyway.
        f32 = [x.astype(np.float32) for x in (open_, high, low, close, volume)]
        if inst.halts:
            keep = np.ones(n, dtype=bool)
            for a, b in inst.halts:
                keep &= ~((dates >= np.datetime64(a, "D")) & (dates <= np.datetime64(b, "D")))
            dates, ts, f32 = dates[keep], ts[keep], [x[keep] for x in f32]
        return Bars(dates, ts, *f32)

    @staticmethod
    def _walk_params(inst: Instrument) -> tuple[float, float]:
        u = (inst.seed % 1000) / 1000.0
        default = {"equity": (0.02 + 0.12 * u, 0.22 + 0.25 * u), "etf": (0.07, 0.17),
                   "index": (0.07, 0.17), "future": (0.0, 0.05)}[inst.asset_type]
        return (inst.drift if inst.drift is not None else default[0],
                inst.vol if inst.vol is not None else default[1])

    @staticmethod
    def _start_price(inst: Instrument) -> float:
        if inst.start_price is not None:
            return float(inst.start_price)
        u = (inst.seed % 997) / 997.0
        return {"equity": 10 + 190 * u, "etf": 50 + 150 * u, "index": 100 + 900 * u,
                "future": 95.0}[inst.asset_type]

    @staticmethod
    def _typical_volume(inst: Instrument) -> float:
        u = (inst.seed % 991) / 991.0
        return {"equity": 2e5 + 2e7 * u ** 2, "etf": 5e6 + 5e7 * u, "index": 1e9 + 3e9 * u,
                "future": 1e5 + 2e5 * u}[inst.asset_type]

    # ---------------------------------------------------------------- rates

    def set_policy_rate(self, steps: list[tuple[Any, float]]) -> None:
        """Fed funds target (upper bound, %) from each date on; replaces the default path."""
        with self._lock:
            self.policy_steps = sorted((as_date(d), float(v)) for d, v in steps)
            self._policy = None
            self.version += 1
            for t, inst in self.instruments.items():
                if inst.rate:
                    self._forget(t)

    def _policy_path(self) -> tuple[np.ndarray, np.ndarray]:
        """(change dates, target upper %): `set_policy_rate`'s steps, else a coarse version
        of the real path (so ZQ=F sits near 96 in 2025)."""
        with self._lock:
            if self._policy is None:
                if self.policy_steps:
                    d = np.array([np.datetime64(x, "D") for x, _ in self.policy_steps])
                    v = np.array([x for _, x in self.policy_steps])
                else:
                    d = np.array([np.datetime64(x, "D") for x, _ in DEFAULT_POLICY_STEPS])
                    v = np.array([x for _, x in DEFAULT_POLICY_STEPS])
                self._policy = (d, v)
            return self._policy

    def policy_rate(self, dates: np.ndarray) -> np.ndarray:
        d, v = self._policy_path()
        i = np.searchsorted(d, np.asarray(dates, dtype="datetime64[D]"), "right") - 1
        return v[np.clip(i, 0, len(v) - 1)]

    def effr(self, dates: np.ndarray) -> np.ndarray:
        """Effective fed funds rate: 17 bp under the upper bound, a few bp of daily noise."""
        dates = np.asarray(dates, dtype="datetime64[D]")
        noise = uniform_hash(seed_of("DFF"), dates.astype(np.int64) + 100_000)
        return np.round(self.policy_rate(dates) - 0.17 + np.where(noise > 0.9, 0.01, 0.0), 2)

    def _rate_path(self, inst: Instrument, dates: np.ndarray, rng) -> np.ndarray:
        effr = self.effr(dates)
        if inst.rate == "fed_funds_future":     # ZQ=F: 100 - expected average EFFR (~96)
            return 100.0 - effr - rng.normal(0.0, 0.02, len(dates))
        if inst.rate == "tbill_13w":            # ^IRX: 13-week bill yield in percent
            return np.maximum(0.01, effr - 0.08 + rng.normal(0.0, 0.03, len(dates)))
        raise ValueError(f"unknown rate series {inst.rate!r}")

    # ---------------------------------------------------------------- served bars

    def view(self, ticker: str, day: Any) -> Bars:
        """The bars (through `day`) and events (dated <= `day`) as Yahoo serves them on `day`:
        restated for every split and dividend it knows of (see the module docstring)."""
        ticker, day = ticker.upper(), as_date(day)
        key = (ticker, day)
        with self._lock:
            got = self._views.get(key)
            if got is not None:
                self._views.move_to_end(key)
                return got
        inst = self[ticker]
        raw = self.raw(ticker)
        k = int(np.searchsorted(raw.dates, np.datetime64(day, "D"), "right"))
        dates = raw.dates[:k]
        s = venue_sessions(inst.venue)

        def stamp(d: Date) -> int:
            return int(s.open_ts[np.searchsorted(s.dates, np.datetime64(d, "D"))])

        factor = np.ones(k)                               # cumulative split ratio after the bar
        splits = []
        for d, num, den in inst.splits:
            if d <= day:
                factor[dates < np.datetime64(d, "D")] *= num / den
                splits.append((d, stamp(d), num, den))
        o, h, lo, c = (raw.open[:k] / factor, raw.high[:k] / factor, raw.low[:k] / factor,
                       raw.close[:k] / factor)                 # float32 / float64 -> float64
        v = np.round(raw.volume[:k].astype(np.float64) * factor).astype(np.int64)
        adj = np.ones(k)
        dividends = []
        for d, amount in inst.dividends:
            if d > day:
                continue
            i = int(np.searchsorted(dates, np.datetime64(d, "D"), "left"))  # ex-date's bar
            # Later splits restate the amount too (Yahoo shows split-adjusted dividends).
            later = np.prod([n / m for sd, n, m in inst.splits if d < sd <= day] or [1.0])
            served = round(float(amount / later), 6)
            dividends.append((d, stamp(d), served))
            if i > 0 and c[i - 1] > 0:  # factor from the close of the session before
                adj[:i] *= 1.0 - served / c[i - 1]
        bars = Bars(dates, raw.ts[:k], _f32(o), _f32(h), _f32(lo), _f32(c), v, _f32(c * adj),
                    tuple(splits), tuple(dividends))
        with self._lock:
            self._views[key] = bars
            while len(self._views) > self._view_cap:
                self._views.popitem(last=False)
        return bars

    def history(self, ticker: str, start: Any, end: Any, day: Any) -> pd.DataFrame:
        """What `yf.download(ticker, start, end + 1 day, actions=True, auto_adjust=False,
        ignore_tz=True)` should give on `day` (end inclusive here): the test oracle."""
        inst = self[ticker]
        s = venue_sessions(inst.venue)
        lo = int(s.open_ts[np.searchsorted(s.dates, np.datetime64(as_date(start), "D"))])
        hi_i = np.searchsorted(s.dates, np.datetime64(as_date(end), "D"), "right")
        hi = int(s.open_ts[hi_i]) if hi_i < len(s.dates) else None
        return self.view(ticker, day).window(lo, hi).frame()

    def last_close(self, ticker: str, day: Any) -> float | None:
        """The close of the last bar on/before `day`, as traded (= as served on `day`)."""
        raw = self.raw(ticker)
        i = int(np.searchsorted(raw.dates, np.datetime64(as_date(day), "D"), "right")) - 1
        return None if i < 0 else float(raw.close[i])

    def close(self, ticker: str, on: Any, day: Any) -> float:
        """The close of session `on` as served on `day`."""
        bars = self.view(ticker, day)
        i = int(np.searchsorted(bars.dates, np.datetime64(as_date(on), "D")))
        if i >= len(bars) or bars.dates[i] != np.datetime64(as_date(on), "D"):
            raise KeyError(f"{ticker} has no bar on {on} (as served on {day})")
        return float(bars.close[i])

    # ---------------------------------------------------------------- fundamentals

    def profile(self, ticker: str) -> tuple[str, str]:
        """(GICS sector, sub-industry) — declared, else derived from the ticker (no prices)."""
        inst = self[ticker]
        sector = inst.sector or sorted(SECTORS)[inst.seed % len(SECTORS)]
        options = SECTORS.get(sector, ["Diversified Operations"])
        return sector, inst.industry or options[inst.seed % len(options)]

    def shares_outstanding(self, ticker: str, day: Any) -> float:
        inst = self[ticker]
        base = inst.shares or float(5e7 + (inst.seed % 4000) * 1e6)
        d = as_date(day)
        return base * float(np.prod([n / m for sd, n, m in inst.splits if sd <= d] or [1.0]))

    def fundamentals(self, ticker: str, day: Any) -> dict[str, Any]:
        """Yahoo's fundamentals for an equity as of `day` (None = Yahoo leaves the key out).
        marketCap tracks the served close x shares; EPS is per today's shares; some names
        are loss-makers (no trailingPE), banks have no debtToEquity, and earningsGrowth is
        missing for a few — as `.info` really varies."""
        inst = self[ticker]
        d = as_date(day)
        u = np.random.default_rng(seed_of(ticker, "fundamentals")).random(12)
        bars = self.view(ticker, d)
        price = float(bars.close[-1]) if len(bars) else None
        shares = self.shares_outstanding(ticker, d)
        loss = bool(inst.loss_maker) if inst.loss_maker is not None else u[0] < 0.12
        # Earnings move once a quarter: EPS from the quarter's first served close and a
        # per-name P/E, so P/E stays plausible and EPS is per today's (post-split) shares.
        q_start = np.datetime64(dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1), "D")
        i = min(int(np.searchsorted(bars.dates, q_start)), max(len(bars) - 1, 0))
        anchor = float(bars.close[i]) if len(bars) else self._start_price(inst)
        pe = 12.0 + 30.0 * u[1]
        eps_ttm = -anchor / (25.0 + 40.0 * u[1]) if loss else anchor / pe
        growth = (u[2] - 0.35) * 0.4
        eps_fwd = eps_ttm * (0.6 if loss else 1.0 + growth)
        net_income = eps_ttm * shares
        margin = -(0.02 + 0.2 * u[3]) if loss else 0.03 + 0.3 * u[3]
        revenue = abs(net_income / margin)
        sector, industry = self.profile(ticker)
        bank = sector == "Financials"
        total_debt = 0.0 if bank else revenue * (0.1 + 0.8 * u[4])
        equity = max(revenue * (0.2 + u[5]), 1.0)
        return {
            "marketCap": round(price * shares) if price else None,
            "sharesOutstanding": round(shares),
            "epsTrailingTwelveMonths": round(float(eps_ttm), 2),
            "epsForward": round(float(eps_fwd), 2),
            "trailingPE": None if eps_ttm <= 0 or not price else float(price / eps_ttm),
            "forwardPE": None if not price or eps_fwd == 0 else float(price / eps_fwd),
            "netIncomeToCommon": round(net_income),
            "profitMargins": round(float(margin), 5),
            "earningsGrowth": None if u[6] < 0.15 or loss else round(float(growth), 3),
            "revenueGrowth": round(float(growth * 0.6 + 0.02), 3),
            "debtToEquity": None if bank else round(float(100 * total_debt / equity), 3),
            "totalDebt": None if bank else round(total_debt),
            "totalCash": round(revenue * (0.05 + 0.4 * u[7])),
            "totalRevenue": round(revenue),
            "sector": sector,
            "industry": industry,
            "price": price,
        }

    # ---------------------------------------------------------------- pageviews

    def all_articles(self) -> set[str]:
        return self.articles | {i.wikipedia_article for i in self.instruments.values()
                                if i.wikipedia_article}

    def pageviews(self, article: str, start: Any, end: Any) -> dict[Date, int]:
        """Daily user views of `article` (title with spaces), zero days included."""
        title = " ".join(article.replace("_", " ").split())
        key = seed_of("pageviews", title)
        days = np.arange(np.datetime64(as_date(start), "D"),
                         np.datetime64(as_date(end), "D") + 1)
        ordinals = days.astype(np.int64)
        base = 200 + (key % 20000)
        weekly = np.where(((ordinals + 3) % 7) >= 5, 0.8, 1.0)   # quieter weekends
        noise = uniform_hash(key, ordinals)
        spike = np.where(uniform_hash(key ^ 0x5BD1E995, ordinals) > 0.985, 6.0, 1.0)
        views = np.round(base * weekly * spike * (0.6 + 0.8 * noise)).astype(np.int64)
        views[uniform_hash(key ^ 0x1234567, ordinals) < 0.01] = 0   # omitted by the API
        return {d.astype(object): int(v) for d, v in zip(days, views)}

    # ---------------------------------------------------------------- FRED

    # DFEDTARU/DFEDTARL: the target range's bounds, every calendar day like DFF
    FRED = {"DFF": "daily", "DGS2": "business", "DFEDTARU": "daily", "DFEDTARL": "daily"}

    def fred(self, series: str, start: Any, end: Any) -> list[tuple[Date, float | None]]:
        """(date, value or None for '.') from start to end. DFF has every calendar day (the
        rate holds over weekends and holidays); DGS2 every weekday, '.' on NYSE holidays."""
        kind = self.FRED[series]
        days = np.arange(np.datetime64(as_date(start), "D"),
                         np.datetime64(as_date(end), "D") + 1)
        if kind == "business":
            days = days[((days.astype(np.int64) + 3) % 7) < 5]
        if series == "DFF":
            values = self.effr(days)
        elif series == "DFEDTARU":  # the policy path is the range's upper bound
            values = self.policy_rate(days)
        elif series == "DFEDTARL":
            values = np.round(self.policy_rate(days) - 0.25, 2)
        else:  # DGS2: policy rate minus a slow term spread, a few bp of daily noise
            key, n = seed_of(series), days.astype(np.int64)
            values = np.round(self.policy_rate(days) - 0.35
                              + 0.5 * (uniform_hash(key, n // 20) - 0.5)
                              + 0.06 * (uniform_hash(key ^ 0xABCDEF, n) - 0.5), 2)
        sessions = set(venue_sessions("us").dates.tolist())
        out = []
        for d, v in zip(days, values):
            day = d.astype(object)
            missing = kind == "business" and day not in sessions
            out.append((day, None if missing else float(v)))
        return out


# --------------------------------------------------------------------------- a standard market

def standard_market(*, fill: dict[str, int] | None = None) -> Market:
    """The bundled universe (scout_pipeline/data/universe.csv: indices, ETFs, ZQ=F, the
    watchlist) plus ^IRX, with index history from 1987 (^RUT), a few real-looking splits and
    quarterly dividends, and S&P 500 / Russell 2000 memberships. `fill` adds synthetic
    members per index, e.g. {'sp500': 500, 'sp600': 600, 'russell2000': 2000}."""
    m = Market()
    m.add("^RUT", asset_type="index", name="Russell 2000", first_day="1987-09-10",
          exchange="WCB", start_price=145.0, drift=0.075, vol=0.2)
    m.add("^GSPC", asset_type="index", name="S&P 500", first_day="1985-01-02",
          start_price=167.0, drift=0.08, vol=0.17)
    m.add("^SP600", asset_type="index", name="S&P SmallCap 600", first_day="1994-10-28",
          start_price=100.0, drift=0.085, vol=0.2)
    m.add("^IXIC", asset_type="index", name="NASDAQ Composite", first_day="1985-01-02",
          exchange="NIM", start_price=245.0, drift=0.1, vol=0.23)
    m.add("^N225", asset_type="index", name="Nikkei 225", venue="jp", first_day="1997-01-06",
          start_price=19000.0, drift=0.03, vol=0.2)
    m.add("1306.T", asset_type="etf", name="NEXT FUNDS TOPIX ETF", venue="jp",
          first_day="2001-07-13", start_price=1000.0)
    m.add("RSP", asset_type="etf", name="Invesco S&P 500 Equal Weight ETF",
          first_day="2003-05-01", start_price=30.0, drift=0.08,
          dividends=[(f"{y}-{mo:02d}-20", 0.4) for y in range(2004, 2028) for mo in (3, 6, 9, 12)])
    m.add("SPY", asset_type="etf", name="SPDR S&P 500 ETF Trust", first_day="1993-01-29",
          start_price=44.0, drift=0.08,
          dividends=[(f"{y}-{mo:02d}-18", 1.6) for y in range(1994, 2028) for mo in (3, 6, 9, 12)])
    m.add("IWM", asset_type="etf", name="iShares Russell 2000 ETF", first_day="2000-05-26",
          start_price=50.0, drift=0.07)
    m.add("ZQ=F", asset_type="future", name="30-Day Fed Funds Futures",
          first_day="1990-01-02", rate="fed_funds_future")
    m.add("^IRX", asset_type="index", name="13 WEEK TREASURY BILL", first_day="1990-01-02",
          exchange="CXI", rate="tbill_13w")
    # the monthly 30-day fed funds contracts, ZQF24.CBT .. ZQZ28.CBT: listed about three years
    # ahead, trading until the end of their month (scout_pipeline/sources/fomc.py)
    for year in range(2024, 2029):
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            m.add(contract_symbol(first), asset_type="future", name="30-Day Fed Fund Futures",
                  first_day=first.replace(year=year - 3), last_day=(first + pd.offsets.MonthEnd(0)).date(),
                  rate="fed_funds_future")
    watch = [
        ("ADP", "Automatic Data Processing, Inc.", "Industrials", "Automatic Data Processing",
         "sp500", [], 1.4),
        ("VRT", "Vertiv Holdings Co", "Industrials", "Vertiv", "sp500", [], 0.03),
        ("MOD", "Modine Manufacturing Company", "Consumer Discretionary",
         "Modine Manufacturing", "russell2000", [], None),
        ("JCI", "Johnson Controls International plc", "Industrials", "Johnson Controls",
         "sp500", [], 0.37),
        ("TT", "Trane Technologies plc", "Industrials", "Trane Technologies", "sp500", [], 0.84),
        ("NVDA", "NVIDIA Corporation", "Information Technology", "Nvidia", "sp500",
         [("2021-07-20", 4, 1), ("2024-06-10", 10, 1)], 0.01),
        ("MSFT", "Microsoft Corporation", "Information Technology", "Microsoft", "sp500", [],
         0.83),
        ("AAPL", "Apple Inc.", "Information Technology", "Apple Inc.", "sp500",
         [("2020-08-31", 4, 1)], 0.25),
    ]
    for ticker, name, sector, article, index, splits, div in watch:
        divs = [] if div is None else [
            (f"{y}-{mo:02d}-{8 + seed_of(ticker) % 15:02d}", div)
            for y in range(2012, 2028) for mo in (2, 5, 8, 11)]
        m.add(ticker, name=name, sector=sector, wikipedia_article=article,
              first_day="2010-01-04", splits=splits, dividends=divs)
        m.join(index, ticker, "2012-01-03")
    for index, count in (fill or {}).items():
        m.fill_index(index, count)
    return m
