"""Named, documented thresholds the SQL binds as $name parameters.

Defaults live here; override per run with `scout run --param NAME=VALUE` or the `params`
field of the `scout` resource in the Dagster launchpad. SQL never holds these as literals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Upper bounds: generous, but small enough that `$name::INTEGER` never overflows in SQL and
# a typo (an extra zero or three) is caught instead of silently emptying a mart.
MAX_SESSIONS = 10_000  # ~40 years of NYSE sessions
MAX_DAYS = 3_660  # ~10 years of calendar days


@dataclass(frozen=True)
class Param:
    default: float
    doc: str
    low: float = -math.inf
    high: float = math.inf
    integer: bool = False  # counts sessions, days or names: a whole number

    def allowed(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} from {self.low:g} to {self.high:g}"


def _sessions(default: int, doc: str, low: int = 1) -> Param:
    return Param(default, doc, low, MAX_SESSIONS, integer=True)


def _days(default: int, doc: str, low: int = 1) -> Param:
    return Param(default, doc, low, MAX_DAYS, integer=True)


def _pct(default: float, doc: str, low: float = 0, high: float = 100) -> Param:
    return Param(default, doc, low, high)


def _weight(default: float, doc: str) -> Param:
    return Param(default, doc, 0, 100)


PARAMS: dict[str, Param] = {
    # ---- fundamentals (valuation_gap, quality_leaders)
    "fundamentals_max_age_days": _days(
        10, "A fundamentals snapshot counts for a date only if taken at most this many calendar "
            "days before it (valuation_gap, quality_leaders); older ones are treated as missing.", low=0),
    # ---- cooling_breakouts
    "breakout_window": _sessions(
        60, "cooling_breakouts: a breakout counts if it happened within this many sessions up to "
            "the as-of session (the as-of session included)."),
    "breakout_lookback": _sessions(
        252, "cooling_breakouts: a breakout is a close above the highest close of this many prior "
             "sessions (a full window of history is required)."),
    "volume_confirm_ratio": Param(
        1.5, "cooling_breakouts: the breakout day's volume must be at least this multiple of the "
             "average volume of the prior volume_avg_sessions sessions (0 = no volume test).", 0, 100),
    "volume_avg_sessions": _sessions(
        50, "cooling_breakouts: sessions in the average volume a breakout's volume is compared with."),
    "attention_recent_days": _days(
        28, "cooling_breakouts: calendar days (ending on as_of) of the recent attention average."),
    "attention_base_days": _days(
        84, "cooling_breakouts: calendar days, just before the recent window, of the baseline "
            "attention average."),
    "cooling_pullback_pct": _pct(
        5, "cooling_breakouts: a breakout still above its level is 'cooling' once the close is at "
           "least this many percent below the post-breakout peak (and attention has dropped, or "
           "is unknown)."),
    "cooling_attention_drop_pct": _pct(
        20, "cooling_breakouts: 'cooling' also needs recent attention at least this many percent "
            "below its baseline (when attention is known)."),
    "heating_pullback_pct": _pct(
        2, "cooling_breakouts: 'heating' needs the close within this many percent of the peak."),
    "heating_attention_min_change_pct": _pct(
        0, "cooling_breakouts: 'heating' also needs the attention change at least this many percent "
           "(0 = attention not falling; unknown attention does not block it).", low=-100, high=10_000),
    # ---- market_breadth
    "breadth_history_sessions": _sessions(
        260, "market_breadth: sessions of history kept, ending on the as-of session."),
    "breadth_short_ma_sessions": _sessions(
        50, "market_breadth: length of the short moving average behind pct_above_50d "
            "(the column name assumes the default).", low=2),
    "breadth_long_ma_sessions": _sessions(
        200, "market_breadth: length of the long moving average behind pct_above_200d "
             "(the column name assumes the default).", low=2),
    "new_high_low_sessions": _sessions(
        252, "market_breadth: a new high (low) is a close at the highest (lowest) close of this "
             "many sessions, the current one included.", low=2),
    "breadth_spread_tolerance": _pct(
        0.1, "market_breadth: breadth_signal is 'broadening' only when the 20-session equal-minus-cap "
             "spread is above this many percentage points and rose by more than this over "
             "breadth_trend_sessions ('narrowing' mirrors it); smaller values are noise."),
    "breadth_trend_sessions": _sessions(
        5, "market_breadth: sessions over which breadth_signal judges whether the 20-session spread "
           "is rising or falling."),
    # ---- rate_expectations
    "rate_signal_bps": Param(
        10, "rate_expectations: a 20-session move of the rate implied after the year-end meeting of "
            "at least this many basis points down is a 'dovish shift', up a 'hawkish shift'; smaller moves are 'steady'.",
        0, 1_000),
    # ---- fomc_expectations
    "fomc_horizon_months": Param(
        12, "fomc_expectations: contract months read from the as-of month on (12 = the as-of "
            "month and the 11 after it); meetings whose effect falls later are not priced.", 2, 24, integer=True),
    # ---- quality_leaders
    "rs_sessions": _sessions(
        63, "quality_leaders: sessions of the return behind relative strength (63 = ~3 months)."),
    "quality_weight_profitability": _weight(
        0.3, "quality_leaders: weight of the profitability score (profit margin) in quality_score."),
    "quality_weight_growth": _weight(
        0.2, "quality_leaders: weight of the earnings-growth score in quality_score."),
    "quality_weight_balance_sheet": _weight(
        0.2, "quality_leaders: weight of the balance-sheet score (debt to equity, net cash) in "
             "quality_score."),
    "quality_weight_strength": _weight(
        0.3, "quality_leaders: weight of the relative-strength score in quality_score."),
    # ---- streak_outcomes, streak_outcome_summary
    "outcome_min_streak": _sessions(
        5, "streak_outcomes: completed streaks at least this many sessions long get a row with "
           "their forward returns; streak_outcome_summary starts its minimum lengths here."),
    # ---- daily_brief
    "brief_top_n": Param(
        3, "daily_brief: how many quality leaders the brief names.", 1, 100, integer=True),
    "brief_max_names": Param(
        10, "daily_brief: at most this many tickers listed in one sentence (e.g. cooling "
            "breakouts); the rest are counted as '+N more'.", 1, 100, integer=True),
}


def defaults() -> dict[str, float]:
    return {name: p.default for name, p in PARAMS.items()}


WEIGHTS = ("quality_weight_profitability", "quality_weight_growth", "quality_weight_balance_sheet",
           "quality_weight_strength")


def check(name: str, value) -> float:
    """`value` as the float parameter `name` binds; ValueError naming the parameter, the
    value and the allowed range when it is not a number within it."""
    param = PARAMS[name]
    if isinstance(value, bool):  # float(True) is 1.0: a launchpad typo, not a number
        raise ValueError(f"parameter {name} must be {param.allowed()}, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or not param.low <= number <= param.high \
            or (param.integer and not number.is_integer()):
        raise ValueError(f"parameter {name} must be {param.allowed()}, got {value!r}")
    return number


def resolve(overrides: dict[str, float] | None) -> dict[str, float]:
    """Defaults with overrides applied and checked; an unknown name is an error that lists
    the known ones, a value out of its range one that names the range."""
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in PARAMS:
            raise ValueError(f"unknown parameter {name!r}; known: {', '.join(sorted(PARAMS)) or 'none'}")
        values[name] = check(name, value)
    # Rules across parameters: each one alone is in range, together they make no sense.
    if not any(values[w] > 0 for w in WEIGHTS):
        raise ValueError(f"parameters {', '.join(WEIGHTS)} are all 0: at least one quality weight "
                         "must be above 0 (quality_score divides by their sum)")
    if values["breadth_short_ma_sessions"] > values["breadth_long_ma_sessions"]:
        raise ValueError(
            f"parameter breadth_short_ma_sessions ({values['breadth_short_ma_sessions']:g}) must not exceed "
            f"breadth_long_ma_sessions ({values['breadth_long_ma_sessions']:g})")
    return values
