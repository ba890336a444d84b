"""marts.market_breadth. Suite `market_breadth`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import Batch, Suite, a_ge_b, between, in_set

KEY = ("as_of", "segment")

SUITE = Suite(
    schema="marts", table="market_breadth", key=KEY,
    doc="Breadth: percentages within 0-100, counts within the membership.",
    batches=(Batch("rows", "SELECT * FROM marts.market_breadth WHERE as_of >= $since", show=KEY, expectations=(
        not_after_as_of("as_of"),
        percent("pct_above_50d"),
        percent("pct_above_200d"),
        between("members", 0, name="members_not_negative"),
        between("new_highs", 0, name="new_highs_not_negative"),
        between("new_lows", 0, name="new_lows_not_negative"),
        a_ge_b("members", "new_highs", "new_highs_within_members"),
        a_ge_b("members", "new_lows", "new_lows_within_members"),
        in_set("breadth_signal", ["broadening", "narrowing", "mixed"],
               doc="breadth_signal is broadening, narrowing or mixed (null when unknown)"),
    )),),
)
