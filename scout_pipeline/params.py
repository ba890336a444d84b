"""Named, documented thresholds the SQL binds as $name parameters.

Defaults live here; override per run with `scout run --param NAME=VALUE` or the `params`
field of the `scout` resource in the Dagster launchpad. SQL never holds these as literals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    default: float
    doc: str


PARAMS: dict[str, Param] = {
    # ---- fundamentals (valuation_gap, quality_leaders)
    "fundamentals_max_age_days": Param(
        10, "A fundamentals snapshot counts for a date only if taken at most this many calendar "
            "days before it (valuation_gap, quality_leaders); older ones are treated as missing."),
    # ---- cooling_breakouts
    "breakout_window": Param(
        60, "cooling_breakouts: a breakout counts if it happened within this many sessions up to "
            "the as-of session (the as-of session included)."),
    "breakout_lookback": Param(
        252, "cooling_breakouts: a breakout is a close above the highest close of this many prior "
             "sessions (a full window of history is required)."),
    "volume_confirm_ratio": Param(
        1.5, "cooling_breakouts: the breakout day's volume must be at least this multiple of the "
             "average volume of the prior volume_avg_sessions sessions."),
    "volume_avg_sessions": Param(
        50, "cooling_breakouts: sessions in the average volume a breakout's volume is compared with."),
    "attention_recent_days": Param(
        28, "cooling_breakouts: calendar days (ending on as_of) of the recent attention average."),
    "attention_base_days": Param(
        84, "cooling_breakouts: calendar days, just before the recent window, of the baseline "
            "attention average."),
    "cooling_pullback_pct": Param(
        5, "cooling_breakouts: a breakout still above its level is 'cooling' once the close is at "
           "least this many percent below the post-breakout peak (and attention has dropped, or "
           "is unknown)."),
    "cooling_attention_drop_pct": Param(
        20, "cooling_breakouts: 'cooling' also needs recent attention at least this many percent "
            "below its baseline (when attention is known)."),
    "heating_pullback_pct": Param(
        2, "cooling_breakouts: 'heating' needs the close within this many percent of the peak."),
    "heating_attention_min_change_pct": Param(
        0, "cooling_breakouts: 'heating' also needs the attention change at least this many percent "
           "(0 = attention not falling; unknown attention does not block it)."),
    # ---- market_breadth
    "breadth_history_sessions": Param(
        260, "market_breadth: sessions of history kept, ending on the as-of session."),
    "breadth_short_ma_sessions": Param(
        50, "market_breadth: length of the short moving average behind pct_above_50d "
            "(the column name assumes the default)."),
    "breadth_long_ma_sessions": Param(
        200, "market_breadth: length of the long moving average behind pct_above_200d "
             "(the column name assumes the default)."),
    "new_high_low_sessions": Param(
        252, "market_breadth: a new high (low) is a close at the highest (lowest) close of this "
             "many sessions, the current one included."),
    # ---- rate_expectations
    "rate_signal_bps": Param(
        10, "rate_expectations: a 20-session move of the implied policy rate of at least this many "
            "basis points down is a 'dovish shift', up a 'hawkish shift'; smaller moves are 'steady'."),
    # ---- quality_leaders
    "rs_sessions": Param(
        63, "quality_leaders: sessions of the return behind relative strength (63 = ~3 months)."),
    "quality_weight_profitability": Param(
        0.3, "quality_leaders: weight of the profitability score (profit margin) in quality_score."),
    "quality_weight_growth": Param(
        0.2, "quality_leaders: weight of the earnings-growth score in quality_score."),
    "quality_weight_balance_sheet": Param(
        0.2, "quality_leaders: weight of the balance-sheet score (debt to equity, net cash) in "
             "quality_score."),
    "quality_weight_strength": Param(
        0.3, "quality_leaders: weight of the relative-strength score in quality_score."),
    # ---- daily_brief
    "brief_top_n": Param(
        3, "daily_brief: how many quality leaders the brief names."),
    "brief_max_names": Param(
        10, "daily_brief: at most this many tickers listed in one sentence (e.g. cooling "
            "breakouts); the rest are counted as '+N more'."),
}


def defaults() -> dict[str, float]:
    return {name: p.default for name, p in PARAMS.items()}


def resolve(overrides: dict[str, float] | None) -> dict[str, float]:
    """Defaults with overrides applied; an unknown name is an error that lists the known ones."""
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in PARAMS:
            raise ValueError(f"unknown parameter {name!r}; known: {', '.join(sorted(PARAMS)) or 'none'}")
        try:
            values[name] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name} must be a number, got {value!r}") from None
    return values
