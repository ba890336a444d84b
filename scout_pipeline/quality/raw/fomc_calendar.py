"""raw.fomc_calendar: the scheduled FOMC meetings the fed funds futures are read against.
Suite `fomc_calendar`."""

from scout_pipeline.quality.raw import run_rows
from scout_pipeline.quality.spec import WARN, Batch, Suite, a_ge_b, between, key_rules, not_null

KEY = ("meeting_date",)
# The Fed never leaves much more than two months between scheduled meetings (eight a year):
# a calendar whose last meeting is further than this before the contract horizon ends is
# missing meetings there, and their months would be read as meeting-free.
MAX_UNCOVERED_DAYS = 62

ROWS_SQL = run_rows("fomc_calendar")

# FedWatch splits a month's average around at most one meeting: two meetings taking effect in
# the same month cannot be told apart (an unscheduled one belongs in neither list).
MONTHS_SQL = """
SELECT CAST(date_trunc('month', meeting_date + INTERVAL 1 DAY) AS DATE) AS effect_month,
       count(*) AS meetings, string_agg(CAST(meeting_date AS VARCHAR), ', ' ORDER BY meeting_date) AS meeting_dates
FROM raw.fomc_calendar
GROUP BY 1 ORDER BY 1
"""

HORIZON_SQL = """
SELECT max(meeting_date) AS last_meeting,
       last_day(CAST(date_trunc('month', CAST($as_of AS DATE))
                     + to_months(CAST($fomc_horizon_months AS INTEGER) - 1) AS DATE)) AS horizon_end,
       last_day(CAST(date_trunc('month', CAST($as_of AS DATE))
                     + to_months(CAST($fomc_horizon_months AS INTEGER) - 1) AS DATE)) - max(meeting_date) AS days_uncovered
FROM raw.fomc_calendar
"""

SUITE = Suite(
    schema="raw", table="fomc_calendar", key=KEY,
    doc="FOMC calendar: one meeting per month at most, and meetings listed through the contract horizon.",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="meetings the run wrote", expectations=(
            *key_rules(KEY),
            a_ge_b("meeting_date", "first_day", "first_day_not_after_meeting_date",
                   doc="a meeting's first day is on or before its statement day"),
        )),
        Batch("months", MONTHS_SQL, show=("effect_month", "meeting_dates"),
              doc="one row per month in which a decision takes effect", expectations=(
            between("meetings", high=1, name="one_meeting_per_month",
                    doc="at most one meeting takes effect in a month (the FedWatch month split needs it)"),
        )),
        Batch("horizon", HORIZON_SQL, show=("last_meeting", "horizon_end"), doc="one row", expectations=(
            not_null("last_meeting", severity=WARN, name="calendar_not_empty",
                     doc="the calendar lists meetings (without it no meeting is priced)"),
            between("days_uncovered", high=MAX_UNCOVERED_DAYS, name="calendar_covers_horizon", severity=WARN,
                    doc=f"the last listed meeting is at most {MAX_UNCOVERED_DAYS} days before the end of the "
                        "contract horizon (fomc_horizon_months from the as-of month): later months would "
                        "be read as meeting-free"),
        )),
    ),
)
