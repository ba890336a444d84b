"""Argument checks `scout` makes before importing anything heavy (Dagster, GX, pandas,
exchange_calendars): a bad argument is answered at once, with exit 2, by name.

Standard library only: these run before the slow imports on purpose.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# The first day the pipeline covers: the first NYSE session of 2000 (a test checks it is one).
EARLIEST = dt.date(2000, 1, 3)
NEW_YORK = ZoneInfo("America/New_York")


def today_new_york(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.timezone.utc)).astimezone(NEW_YORK).date()


def day(text: str, flag: str, now: dt.datetime | None = None) -> dt.date:
    """`text` as a trading-day argument: an ISO date, not before EARLIEST, not after
    today in New York (a later session has no data yet)."""
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from None
    today = today_new_york(now)
    if value > today:
        raise ValueError(f"{flag} {value} is in the future (today in New York is {today}); "
                         "give a past trading day, or leave it out for the last completed session")
    if value < EARLIEST:
        raise ValueError(f"{flag} {value} is before {EARLIEST}, the first day the pipeline covers")
    return value


def day_range(start: str, end: str, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    first, last = day(start, "--start", now), day(end, "--end", now)
    if first > last:
        raise ValueError(f"--start {first} is after --end {last}")
    return first, last
