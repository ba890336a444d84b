"""Quality-gate thresholds: named, documented, bound as parameters (never SQL literals).

Run parameters from `scout_pipeline.params` (e.g. fundamentals_max_age_days) are bound
too; these are the gate's own. Change them here; docs/quality.md explains each.
"""

from __future__ import annotations

THRESHOLDS: dict[str, tuple[float, str]] = {
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
}


def values() -> dict[str, float]:
    return {name: value for name, (value, _) in THRESHOLDS.items()}
