"""Quality-gate thresholds: named, documented, bound as parameters (never SQL literals).

Run parameters from `scout_pipeline.params` (e.g. fundamentals_max_age_days) are bound
too; these are the gate's own. Change them here; docs/quality.md explains each.
"""

from __future__ import annotations

import datetime as dt

THRESHOLDS: dict[str, tuple[float | dt.date, str]] = {
    "max_one_day_move_ratio": (
        5.0, "prices: a day's adjusted close may be at most this many times (or at least "
             "1/this of) the previous session's; beyond it is a bad bar or a bad adjustment. "
             "A split moves `close` but not `adj_close`, so it passes."),
    "ohlc_tolerance": (
        1e-6, "prices: relative tolerance for high >= max(open, close) and low <= min(open, "
              "close), for float rounding in provider data (not for bad ticks)."),
    "max_missing_as_of_share": (
        0.2, "prices: a name outside the pairs missing its as-of bar is a warning (a halted name); "
             "more than one name and more than this share of the active names missing it blocks "
             "the run (the provider has not published the session)."),
    "stale_after_sessions": (
        5, "prices (WARN): a series whose last bar is more than this many NYSE sessions "
           "before the as-of session is stale."),
    "price_coverage": (
        0.9, "universe (WARN): share of listed instruments that must have price bars."),
    "fundamentals_coverage": (
        0.8, "fundamentals (WARN): share of universe equities that must have a recent snapshot."),
    "attention_stale_days": (
        7, "attention (WARN): a term whose last value is more than this many days old is stale."),
    "rates_stale_days": (
        10, "rates (WARN): a series whose last value is more than this many days old is stale."),
    "max_rate_change": (
        1.0, "rates (WARN): largest plausible one-observation change, in percentage points "
             "(ZQ=F: price points)."),
    "max_market_cap": (
        1e14, "fundamentals: a market cap above this (USD) is a unit error."),
    # Plausibility bounds (ERROR): what no real observation reaches, so a value beyond one is a
    # unit error, a parsing accident or an overflow sentinel (1.797e308 is the largest float).
    "min_date": (
        dt.date(1900, 1, 1), "prices, fundamentals, attention, rates: no observation is dated before "
        "this. No provider's daily data starts earlier (Yahoo's oldest daily S&P 500 bar is "
        "1927-12-30, FRED's DFF starts 1954, Wikipedia pageviews 2015); a date like 1700-01-01 "
        "is a parsing or a default-value accident."),
    "max_price": (
        1e7, "prices: open, high, low, close and adj_close at most this (in the listing's "
        "currency). The highest quoted share (BRK-A, about 7.5e5 USD) and the highest index "
        "levels the pipeline follows (Nikkei 225 about 5e4) are far below it."),
    "max_volume": (
        1e12, "prices: volume at most this many shares a day. The busiest US listings trade "
        "about 1e9 shares a day, and an index's volume (the sum of its members', e.g. ^IXIC "
        "about 1e10) stays 100x below it."),
    "max_magnitude": (
        1e15, "fundamentals (every number), attention (values): absolute value at most this. "
        "Ten times world GDP in USD; larger is no figure a company or a pageview count has."),
}


def values() -> dict[str, float | dt.date]:
    return {name: value for name, (value, _) in THRESHOLDS.items()}
