"""marts.streak_outcome_summary. Suite `streak_outcome_summary`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import Batch, Param, Suite, a_ge_b, between, in_set

KEY = ("pair_id", "direction", "min_length", "horizon")

SQL = """
SELECT s.*,
       s.earlier_streaks = (SELECT count(*) FROM marts.streak_outcomes o
                            WHERE o.pair_id = s.pair_id AND o.direction = s.direction
                              AND o.length >= s.min_length) AS count_matches_outcomes,
       count(*) FILTER (WHERE s.is_current) OVER (PARTITION BY s.pair_id, s.horizon) AS current_rows
FROM marts.streak_outcome_summary s
"""

SUITE = Suite(
    schema="marts", table="streak_outcome_summary", key=KEY,
    doc="Streak outcome summary: counts agree with streak_outcomes and add up, rates are percentages, "
        "one current row per pair and horizon at most.",
    batches=(Batch("rows", SQL, show=KEY, expectations=(
        in_set("direction", ["ahead", "behind"], name="direction_allowed"),
        in_set("horizon", [5, 21, 63, 126], name="horizon_allowed", doc="horizon is 5, 21, 63 or 126 sessions"),
        between("min_length", Param("outcome_min_streak"), name="min_length_at_least_outcome_min_streak"),
        not_after_as_of("as_of"),
        a_ge_b("earlier_streaks", "observations", "observations_not_above_earlier_streaks"),
        a_ge_b("streaks_in_direction", "streaks_reaching", "streaks_reaching_not_above_streaks"),
        in_set("count_matches_outcomes", [True], name="earlier_streaks_match_streak_outcomes",
               doc="earlier_streaks = the streak_outcomes rows of the pair and direction at least min_length long"),
        between("current_rows", 0, 1, name="one_current_row_per_pair_and_horizon"),
        percent("lead_rose_pct"), percent("lead_beat_pct"),
        percent("any_time_lead_rose_pct"), percent("any_time_lead_beat_pct"),
        percent("reached_pct"), percent("win_rate_pct"), percent("coin_reached_pct"),
    )),),
)
