"""marts.rate_expectations. Suite `rate_expectations`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import Batch, Suite, a_ge_b, between, in_set

KEY = ("date",)
# 'insufficient history' is the mart's word for the first 20 sessions (sql/marts/rate_expectations.sql).
SIGNALS = ("dovish shift", "hawkish shift", "steady", "insufficient history")

SUITE = Suite(
    schema="marts", table="rate_expectations", key=KEY,
    doc="Rate expectations: a known signal, an implied rate in a plausible band, probabilities in 0-100, "
        "meetings in order.",
    batches=(Batch("rows", "SELECT * FROM marts.rate_expectations", show=KEY, expectations=(
        not_after_as_of("date"),
        in_set("signal", SIGNALS, name="signal_allowed"),
        between("fed_funds_future", 75, 101, name="fed_funds_future_in_band"),
        between("implied_policy_rate", -1, 25, name="implied_policy_rate_in_band",
                doc="implied policy rate in percent, -1..25"),
        percent("next_meeting_cut_prob"),
        percent("next_meeting_hike_prob"),
        a_ge_b("next_meeting", "date", "next_meeting_after_date", doc="the next meeting is not before the session"),
        a_ge_b("year_end_meeting", "next_meeting", "year_end_meeting_not_before_next",
               doc="the year-end meeting is the next meeting or a later one"),
    )),),
)
