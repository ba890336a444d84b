"""Trading-day partitions: one partition per NYSE session, from the real exchange calendar.

Dagster has no business-day calendar: a weekday cron alone would offer partitions on
holidays, and its Friday window only closes on Monday. So: weekday windows with every
NYSE holiday excluded, and end_offset=1 so a session's partition exists on its own
evening (when the schedule runs).
"""

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from scout_pipeline import calendar

FIRST_SESSION = "2000-01-03"
NEW_YORK = ZoneInfo("America/New_York")
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _weekday_holidays(until: dt.date) -> list[dt.datetime]:
    weekdays = pd.bdate_range(FIRST_SESSION, until)
    sessions = set(calendar.sessions(FIRST_SESSION, until))
    return [dt.datetime(d.year, d.month, d.day, tzinfo=NEW_YORK) for d in weekdays if d.date() not in sessions]


def trading_days() -> dg.TimeWindowPartitionsDefinition:
    horizon = dt.date.today() + dt.timedelta(days=360)  # exchange_calendars knows one year ahead
    return dg.TimeWindowPartitionsDefinition(
        start=FIRST_SESSION,
        fmt="%Y-%m-%d",
        cron_schedule="0 0 * * 1-5",
        timezone="America/New_York",
        end_offset=1,
        exclusions=_weekday_holidays(horizon),
    )


TRADING_DAYS = trading_days()
# A backfill of any range is one run: one fetch per source, marts built once for its end.
SINGLE_RUN = dg.BackfillPolicy.single_run()
# backfill_policy is marked beta; it is what makes a range one run, so keep the notice quiet.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")


def run_window(tags: dict) -> tuple[str, str]:
    """(as_of, history_start) from a run's partition tags; ('', '') when unpartitioned."""
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG], ""
    if tags.get(RANGE_END_TAG):
        start, end = tags.get(RANGE_START_TAG, ""), tags[RANGE_END_TAG]
        return end, (start if start != end else "")
    return "", ""
