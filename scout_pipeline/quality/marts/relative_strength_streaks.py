"""marts.relative_strength_streaks. Suite `relative_strength_streaks`."""

from scout_pipeline.quality.marts import not_after_as_of
from scout_pipeline.quality.spec import Batch, Suite, a_ge_b, between, not_in_set, not_null

KEY = ("pair_id", "date")

SQL = """
SELECT s.*, abs(s.streak_days) AS streak_length, abs(s.prior_comparable_days) AS prior_length,
       abs(s.longest_streak_days) AS longest_length,
       -- streak_days may be null only before the pair's first decided (non-tie) session:
       -- once known it stays known (the rows before $since say whether it already was)
       CASE WHEN s.streak_days IS NULL AND NOT coalesce(e.decided, FALSE)
                 AND count(s.streak_days) OVER (PARTITION BY s.pair_id ORDER BY s.date) = 0 THEN 0
            ELSE s.streak_days END AS streak_or_undecided
FROM marts.relative_strength_streaks s
LEFT JOIN (SELECT pair_id, bool_or(streak_days IS NOT NULL) AS decided
           FROM marts.relative_strength_streaks WHERE date < $since GROUP BY pair_id) e
       ON e.pair_id = s.pair_id
WHERE s.date >= $since
"""

SUITE = Suite(
    schema="marts", table="relative_strength_streaks", key=KEY,
    doc="Streaks: never zero, start on or before their date, records at least as long as the current streak "
        "and measured from a known history_start.",
    batches=(Batch("rows", SQL, show=KEY, expectations=(
        not_null("streak_or_undecided", name="streak_days_not_null",
                 doc="streak_days is known from the pair's first decided (non-tie) session on"),
        not_in_set("streak_days", [0], "streak_days_not_zero", doc="streak_days is never 0 (signed run length)"),
        a_ge_b("date", "streak_start", "streak_start_not_after_date", doc="streak_start <= date"),
        not_after_as_of("date"),
        between("lead_close", 0, strict_low=True, name="lead_close_positive"),
        between("base_close", 0, strict_low=True, name="base_close_positive"),
        a_ge_b("prior_length", "streak_length", "prior_comparable_at_least_as_long",
               doc="abs(prior_comparable_days) >= abs(streak_days) where a prior streak exists"),
        a_ge_b("longest_length", "streak_length", "longest_at_least_current",
               doc="abs(longest_streak_days) >= abs(streak_days)"),
        not_null("history_start",
                 doc="history_start (where the loaded history, and every record, starts) is never null"),
        a_ge_b("streak_start", "history_start", "streak_start_not_before_history_start",
               doc="streak_start >= history_start (records are measured from history_start)"),
    )),),
)
