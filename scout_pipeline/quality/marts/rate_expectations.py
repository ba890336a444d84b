"""marts.rate_expectations. Suite `rate_expectations`."""

from scout_pipeline.quality.marts import not_after_as_of
from scout_pipeline.quality.spec import Batch, Suite, between, in_set

KEY = ("date",)
# 'insufficient history' is the mart's word for the first 20 sessions (sql/marts/rate_expectations.sql).
SIGNALS = ("dovish shift", "hawkish shift", "steady", "insufficient history")

SUITE = Suite(
    schema="marts", table="rate_expectations", key=KEY,
    doc="Rate expectations: a known signal, an implied rate in a plausible band.",
    batches=(Batch("rows", "SELECT * FROM marts.rate_expectations", show=KEY, expectations=(
        not_after_as_of("date"),
        in_set("signal", SIGNALS, name="signal_allowed"),
        between("fed_funds_future", 75, 101, name="fed_funds_future_in_band"),
        between("implied_policy_rate", -1, 25, name="implied_policy_rate_in_band",
                doc="implied policy rate in percent, -1..25"),
    )),),
)
