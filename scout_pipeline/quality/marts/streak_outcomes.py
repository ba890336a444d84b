"""marts.streak_outcomes. Suite `streak_outcomes`."""

from scout_pipeline.quality.spec import Batch, Param, Suite, a_ge_b, between, in_set, not_null

KEY = ("pair_id", "streak_end")
HORIZONS = (5, 21, 63, 126)

# Each horizon is filled exactly when that many common sessions followed broke_on by the
# as-of day (never partial, never missing once elapsed), and relative = lead - base.
_CHECKS = " AND ".join(
    f"((o.lead_return_{h}d IS NOT NULL) = (a.sessions_after >= {h}) "
    f"AND (o.base_return_{h}d IS NOT NULL) = (a.sessions_after >= {h}) "
    f"AND coalesce(abs(o.relative_return_{h}d - (o.lead_return_{h}d - o.base_return_{h}d)) < 1e-12, "
    f"o.relative_return_{h}d IS NULL))"
    for h in HORIZONS)

SQL = f"""
SELECT o.*, abs(o.streak_days) AS abs_days, a.sessions_after,
       {_CHECKS} AS horizons_consistent
FROM marts.streak_outcomes o
LEFT JOIN LATERAL (
    SELECT count(*) AS sessions_after
    FROM marts.relative_strength_streaks s
    WHERE s.pair_id = o.pair_id AND s.date > o.broke_on AND s.date <= $as_of
) a ON true
"""

SUITE = Suite(
    schema="marts", table="streak_outcomes", key=KEY,
    doc="Streak outcomes: completed streaks of at least outcome_min_streak sessions, dated in order, each "
        "horizon filled exactly when it has elapsed by the as-of day, relative = lead - base.",
    batches=(Batch("rows", SQL, show=KEY, expectations=(
        in_set("direction", ["ahead", "behind"], name="direction_allowed"),
        between("length", Param("outcome_min_streak"), name="length_at_least_outcome_min_streak",
                doc="length >= outcome_min_streak"),
        a_ge_b("length", "abs_days", "length_is_abs_streak_days", doc="length = abs(streak_days) (>=)"),
        a_ge_b("abs_days", "length", "abs_streak_days_is_length", doc="length = abs(streak_days) (<=)"),
        a_ge_b("streak_end", "streak_start", "streak_end_not_before_start"),
        a_ge_b("broke_on", "streak_end", "broke_on_not_before_end", doc="broke_on >= streak_end"),
        between("broke_on", high=Param("as_of"), name="broke_on_not_after_as_of",
                doc="a streak has a row only once it broke, on or before the as-of day"),
        a_ge_b("streak_start", "history_start", "streak_start_not_before_history_start"),
        not_null("history_start"),
        in_set("horizons_consistent", [True], name="horizons_filled_exactly_when_elapsed",
               doc="each horizon's returns are present exactly when that many common sessions followed broke_on "
                   "by the as-of day (never partial), and relative = lead - base"),
    )),),
)
