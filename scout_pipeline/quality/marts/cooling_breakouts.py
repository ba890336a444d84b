"""marts.cooling_breakouts. Suite `cooling_breakouts`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import Batch, Suite, a_ge_b, between, in_set, symbol

KEY = ("ticker", "as_of")
STATUSES = ("heating", "holding", "cooling", "failed")

SUITE = Suite(
    schema="marts", table="cooling_breakouts", key=KEY,
    doc="Cooling breakouts: a known status, a pullback that is a percentage, dates in order.",
    batches=(Batch("rows", "SELECT * FROM marts.cooling_breakouts WHERE as_of >= $since", show=KEY, expectations=(
        symbol("ticker", "ticker_pattern"),
        in_set("status", STATUSES, name="status_allowed"),
        percent("pullback_pct"),
        not_after_as_of("as_of"),
        a_ge_b("as_of", "breakout_date", "breakout_not_after_as_of"),
        a_ge_b("peak_date", "breakout_date", "peak_not_before_breakout"),
        a_ge_b("peak_close", "close", "peak_not_below_close"),
        a_ge_b("peak_close", "breakout_close", "peak_not_below_breakout_close"),
        between("days_since_breakout", 0, name="days_since_breakout_not_negative"),
        between("volume_ratio", 0, name="volume_ratio_not_negative"),
        between("attention_change_pct", -100, name="attention_change_pct_at_least_minus_100",
                doc="attention cannot fall by more than 100%"),
    )),),
)
