"""Deterministic snapshot directories for the quality-gate tests (and the overhead figure).

`write_snapshot(dir)` writes a clean, plausible market: NYSE sessions only, OHLC bars that
respect high >= max(open, close) >= min(open, close) >= low, adjusted closes, volumes,
fundamentals for the equities, Wikipedia pageviews and four rate series. The bad-input
tests copy it and damage one thing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from scout_pipeline import calendar

AS_OF = "2026-01-09"  # a Friday session
BASE_TICKERS = ("^RUT", "^GSPC", "RSP", "SPY", "AAPL", "MOD")
DEFAULT_UNIVERSE = ("^RUT", "^GSPC", "^SP600", "^IXIC", "^N225", "1306.T", "RSP", "SPY", "IWM",
                    "ZQ=F", "ADP", "VRT", "MOD", "JCI", "TT", "NVDA", "MSFT", "AAPL")
_LEVEL = {"^RUT": 2400.0, "^GSPC": 6800.0, "^SP600": 1400.0, "^IXIC": 23000.0, "^N225": 50000.0,
          "1306.T": 3300.0, "RSP": 190.0, "SPY": 680.0, "IWM": 240.0, "ZQ=F": 96.3, "ADP": 300.0,
          "VRT": 170.0, "MOD": 140.0, "JCI": 115.0, "TT": 400.0, "NVDA": 185.0, "MSFT": 480.0,
          "AAPL": 260.0}
_EQUITIES = {"AAPL", "MOD", "ADP", "VRT", "JCI", "TT", "NVDA", "MSFT"}


def prices(tickers=BASE_TICKERS, sessions: int = 300, as_of: str = AS_OF) -> pd.DataFrame:
    days = calendar.sessions_back(as_of, sessions)
    frames = []
    for i, ticker in enumerate(tickers):
        rng = np.random.default_rng(1000 + i)
        n = len(days)
        close = _LEVEL.get(ticker, 100.0) * np.cumprod(1 + rng.normal(0.0003, 0.011, n))
        open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0, 0.003, n))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.006, n))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.006, n))
        is_index = ticker.startswith("^")
        frames.append(pd.DataFrame({
            "ticker": ticker, "date": days,
            "open": open_.round(4), "high": high.round(4), "low": low.round(4), "close": close.round(4),
            "adj_close": np.nan if is_index else (close * 0.99).round(4),
            "volume": 0.0 if is_index else rng.integers(1_000_000, 9_000_000, n).astype(float),
        }))
    return pd.concat(frames, ignore_index=True)


def fundamentals(tickers=BASE_TICKERS, as_of: str = AS_OF, days: int = 5) -> pd.DataFrame:
    rows = []
    for i, ticker in enumerate(t for t in tickers if t in _EQUITIES):
        for day in calendar.sessions_back(as_of, days):
            cap = 1e9 * (3000 if ticker != "MOD" else 7) * (1 + 0.01 * i)
            eps = 7.5 if ticker != "MOD" else 4.1
            rows.append({
                "ticker": ticker, "as_of": day, "market_cap": cap, "shares_outstanding": cap / 100,
                "forward_eps": eps, "trailing_eps": eps * 0.9, "forward_pe": 100 / eps,
                "trailing_pe": 100 / (eps * 0.9), "net_income_ttm": cap / 30, "profit_margin": 0.2,
                "earnings_growth": 0.1, "revenue_growth": 0.08, "debt_to_equity": 80.0,
                "total_debt": cap / 20, "total_cash": cap / 25, "sector": "Industrials",
                "industry": "Machinery",
            })
    return pd.DataFrame(rows)


def attention(tickers=BASE_TICKERS, as_of: str = AS_OF, days: int = 90) -> pd.DataFrame:
    end = pd.Timestamp(as_of)
    dates = pd.date_range(end - pd.Timedelta(days=days - 1), end, freq="D")
    rows = []
    for i, ticker in enumerate(t for t in tickers if t in _EQUITIES):
        rng = np.random.default_rng(500 + i)
        views = rng.integers(2_000, 20_000, len(dates))
        rows += [{"source": "wikipedia", "term": f"{ticker} article", "ticker": ticker,
                  "date": d.date(), "value": float(v)} for d, v in zip(dates, views)]
    return pd.DataFrame(rows)


def rates(as_of: str = AS_OF, sessions: int = 300) -> pd.DataFrame:
    days = calendar.sessions_back(as_of, sessions)
    rng = np.random.default_rng(7)
    out = []
    for series, level in (("ZQ=F", 96.3), ("^IRX", 3.6), ("DFF", 3.64), ("DGS2", 3.5)):
        walk = level + np.cumsum(rng.normal(0, 0.01, len(days)))
        out.append(pd.DataFrame({"series": series, "date": days, "value": walk.round(4)}))
    return pd.concat(out, ignore_index=True)


def write_snapshot(directory: Path, tickers=BASE_TICKERS, sessions: int = 300, as_of: str = AS_OF) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    prices(tickers, sessions, as_of).to_csv(directory / "prices.csv", index=False)
    fundamentals(tickers, as_of).to_csv(directory / "fundamentals.csv", index=False)
    attention(tickers, as_of).to_csv(directory / "attention.csv", index=False)
    rates(as_of, sessions).to_csv(directory / "rates.csv", index=False)
    return directory


def edit_csv(directory: Path, dataset: str, change) -> None:
    """Read <dataset>.csv as text columns, apply `change(frame) -> frame`, write it back."""
    path = directory / f"{dataset}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def session_before(day: str, n: int = 1) -> dt.date:
    return calendar.sessions_back(day, n + 1)[0]
