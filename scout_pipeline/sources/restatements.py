"""Per-ticker fetch windows and provider restatements, for the incremental live source.

Yahoo restates history: after a split every earlier bar (close as well as adj_close) is
served on the new basis, after an ex-dividend date every earlier adj_close changes, and late
corrections happen. An upsert of a few re-fetched sessions on top of history stored on the
old basis would leave a fake crash (or trip the gate forever). So:

* each ticker is fetched from its own last stored bar minus a few sessions (the overlap);
  a ticker with nothing stored gets its first-load depth: the whole history for index, ETF
  and future series (the pairs' "first time since" claims need it), `EQUITY_YEARS` for
  equities (every mart's lookback);
* a ticker whose re-fetched overlap disagrees with what is stored (beyond `TOLERANCE`), or
  for which Yahoo reports a split or dividend after its last stored bar, is restated: its
  whole history is fetched again and replaces the stored one in the run's transaction.

Plain pandas; no Dagster, no network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from scout_pipeline.sources.live_state import StoredState
from scout_pipeline.sources.yahoo import refetch_start  # REFETCH_SESSIONS before the last stored bar

EQUITY_YEARS = 3          # 756 sessions: 252-session highs, 200-day averages, a year of marts
FULL_HISTORY_YEARS = 99   # yfinance's own period="max" (history.py: end - 3122064000 s)
TOLERANCE = 1e-6          # relative; Yahoo's repeated answers agree exactly, a restatement by far more
FULL_DEPTH_TYPES = ("index", "etf", "future")

RESTATEMENT_COLUMNS = ["ticker", "reason", "factor", "event_date"]


def asset_type_of(ticker: str, known: Mapping[str, str]) -> str:
    """The universe's asset_type, else a guess from Yahoo's symbol conventions."""
    if ticker in known and isinstance(known[ticker], str):
        return known[ticker]
    if ticker.startswith("^"):
        return "index"
    if ticker.endswith("=F"):
        return "future"
    return "equity"


def first_load_start(asset_type: str, as_of: dt.date) -> dt.date:
    years = FULL_HISTORY_YEARS if asset_type in FULL_DEPTH_TYPES else EQUITY_YEARS
    return (pd.Timestamp(as_of) - pd.DateOffset(years=years)).date()  # Feb 29 safe


def plan_windows(tickers: list[str], asset_types: Mapping[str, str], state: StoredState,
                 as_of: dt.date, history_start: dt.date | None = None) -> dict[str, dt.date]:
    """{ticker: first date to fetch}. Stored tickers: their last stored bar minus
    yahoo.REFETCH_SESSIONS sessions (a gap of any length is covered, it lies after that bar), or
    `history_start` when that is earlier (a backfill). New tickers: their first-load depth."""
    last = state.last_dates()
    plan: dict[str, dt.date] = {}
    for t in tickers:
        if t in last:
            start = refetch_start(last[t].date())
            if history_start is not None and history_start < start:
                start = history_start
        else:
            start = first_load_start(asset_type_of(t, asset_types), as_of)
        plan[t] = min(start, as_of)
    return plan


def full_start(ticker: str, asset_types: Mapping[str, str], first_stored: pd.Timestamp | None,
               as_of: dt.date) -> dt.date:
    """Where a restated ticker's re-fetch starts: its first-load depth, or earlier when the
    store already holds more (nothing stored is left on the old basis)."""
    start = first_load_start(asset_type_of(ticker, asset_types), as_of)
    return min(start, first_stored.date()) if first_stored is not None else start


def _ratio_text(factor: float) -> str:
    """2.0 -> '2:1' (forward split), 0.1 -> '1:10' (reverse)."""
    if factor >= 1:
        return f"{factor:g}:1"
    return f"1:{1 / factor:g}"


def detect(fetched: pd.DataFrame, events: pd.DataFrame | None, state: StoredState,
           tolerance: float = TOLERANCE) -> pd.DataFrame:
    """The tickers the provider restated, one row each: ticker, reason, factor, event_date.

    `factor` is stored ÷ new on the overlap (close for a split or correction, adj_close for a
    dividend): 2.0 after a 2:1 split, 0.1 after a 1:10 reverse split, ~1.005 after a dividend.
    """
    if state.overlap.empty or fetched.empty:
        return pd.DataFrame(columns=RESTATEMENT_COLUMNS)
    old = state.overlap.rename(columns={"close": "close_old", "adj_close": "adj_old"})
    new = fetched[["ticker", "date", "close", "adj_close"]]
    both = new.merge(old, on=["ticker", "date"], how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        both["close_ratio"] = both["close_old"] / both["close"]
        both["adj_ratio"] = both["adj_old"] / both["adj_close"]
    off_close = (both["close_ratio"] - 1).abs() > tolerance
    off_adj = (both["adj_ratio"] - 1).abs() > tolerance
    both["off_close"], both["off_adj"] = off_close, off_adj
    disagree = both[off_close | off_adj].groupby("ticker")

    last = state.last_dates()
    new_events = pd.DataFrame(columns=["ticker", "date", "dividend", "split"])
    if events is not None and not events.empty:
        ev = events[events["ticker"].isin(last.keys())]
        new_events = ev[ev["date"] > ev["ticker"].map(last)]

    rows: list[dict] = []
    for ticker in sorted(set(disagree.groups) | set(new_events["ticker"])):
        ev = new_events[new_events["ticker"] == ticker]
        splits, divs = ev[ev["split"] > 0], ev[ev["dividend"] > 0]
        part = both[both["ticker"] == ticker]
        close_factor = float(part["close_ratio"].median()) if len(part) else float("nan")
        adj_factor = float(part["adj_ratio"].median()) if len(part) else float("nan")
        if len(splits):
            factor = float(np.prod(splits["split"]))
            day = splits["date"].max()
            reason = "split " + ", ".join(f"{_ratio_text(r)} on {d:%Y-%m-%d}"
                                          for d, r in zip(splits["date"], splits["split"]))
        elif len(divs):
            factor, day = adj_factor, divs["date"].max()
            reason = "dividend " + ", ".join(f"{a:g} ex {d:%Y-%m-%d}" for d, a in zip(divs["date"], divs["dividend"]))
        elif part["off_close"].any():
            factor, day = close_factor, None
            reason = (f"stored closes differ from Yahoo's (×{close_factor:.6g}; no split reported "
                      "in the window: an earlier split or a correction)")
        else:
            factor, day = adj_factor, None
            reason = (f"stored adjusted closes differ from Yahoo's (×{adj_factor:.6g}; no event "
                      "reported in the window: an earlier dividend or a correction)")
        rows.append({"ticker": ticker, "reason": reason, "factor": factor,
                     "event_date": pd.Timestamp(day) if day is not None else pd.NaT})
    out = pd.DataFrame(rows, columns=RESTATEMENT_COLUMNS)
    out["event_date"] = pd.to_datetime(out["event_date"])
    return out
