"""marts.fomc_expectations. Suite `fomc_expectations`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import WARN, Batch, Suite, a_ge_b, between, in_set

KEY = ("as_of", "meeting_date")

# Outcome probabilities of one row add up to 100 (to within the rounding of each to 0.01).
ROWS_SQL = """
SELECT *, abs(prob_cut + prob_hold + prob_hike - 100) AS prob_sum_error,
       CASE WHEN implied_rate IS NULL THEN FALSE ELSE TRUE END AS priced
FROM marts.fomc_expectations
"""

SUITE = Suite(
    schema="marts", table="fomc_expectations", key=KEY,
    doc="FOMC expectations: upcoming meetings only, probabilities that add up, rates in a plausible band.",
    batches=(Batch("rows", ROWS_SQL, show=KEY, expectations=(
        not_after_as_of("as_of"),
        a_ge_b("meeting_date", "as_of", "meeting_after_as_of", doc="only meetings after the session are priced"),
        between("meeting_number", 1, name="meeting_number_from_1"),
        percent("prob_cut"), percent("prob_hold"), percent("prob_hike"),
        percent("meeting_cut_prob"), percent("meeting_hike_prob"),
        between("prob_sum_error", high=0.05, name="probabilities_add_to_100",
                doc="prob_cut + prob_hold + prob_hike = 100 (within rounding)"),
        between("implied_rate", -1, 25, name="implied_rate_in_band", doc="implied rate in percent, -1..25"),
        between("meeting_move_bps", -200, 200, name="meeting_move_plausible", severity=WARN,
                doc="one meeting's expected move within ±200 bp: beyond that a contract price is likely wrong"),
        in_set("priced", [True], name="meeting_priced", severity=WARN,
                doc="every meeting in the horizon is priced (a missing contract month leaves it null)"),
    )),),
)
