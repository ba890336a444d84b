"""NYSE trading sessions (exchange_calendars' XNYS), not weekday arithmetic."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pandas as pd

_FIRST = "1990-01-02"


@lru_cache(maxsize=1)
def _xnys():
    import exchange_calendars as xcals  # slow import, only when a calendar is needed

    return xcals.get_calendar("XNYS", start=_FIRST)


class OutOfCalendar(ValueError):
    """A day outside the sessions the NYSE calendar knows (1990 to about a year ahead)."""


def _ts(day: dt.date | str) -> pd.Timestamp:
    return pd.Timestamp(day).normalize().tz_localize(None)


def bounds() -> tuple[dt.date, dt.date]:
    """The first and last day the calendar holds sessions for."""
    cal = _xnys()
    return cal.first_session.date(), cal.last_session.date()


def check_in_range(*days: dt.date | str) -> None:
    """Raise OutOfCalendar naming the day and the range, instead of the calendar library's
    overflow or out-of-bounds traceback (e.g. for 1700-01-01 or 9999-12-31)."""
    first, last = bounds()
    for day in days:
        d = pd.Timestamp(day).date() if isinstance(day, (str, dt.datetime)) else day
        if not first <= d <= last:
            raise OutOfCalendar(f"{d.isoformat()} is outside the NYSE calendar the pipeline knows "
                                f"({first.isoformat()} to {last.isoformat()}); pick a day in that range")


def is_session(day: dt.date | str) -> bool:
    return bool(_xnys().is_session(_ts(day)))


def sessions(start: dt.date | str, end: dt.date | str) -> list[dt.date]:
    """NYSE sessions from start to end, both inclusive."""
    check_in_range(start, end)
    idx = _xnys().sessions_in_range(_ts(start), _ts(end))
    return [d.date() for d in idx]


def previous_session(day: dt.date | str) -> dt.date:
    """The session on or before `day`."""
    check_in_range(day)
    return _xnys().date_to_session(_ts(day), direction="previous").date()


def sessions_back(end: dt.date | str, count: int) -> list[dt.date]:
    """The last `count` sessions ending on (or before) `end`."""
    last = _ts(previous_session(end))
    idx = _xnys().sessions_window(last, -count)
    return [d.date() for d in idx]


def last_completed_session(now: dt.datetime | None = None) -> dt.date:
    """The latest session whose close (16:00 New York) has passed."""
    ny = pd.Timestamp(now or dt.datetime.now(dt.timezone.utc))
    ny = ny.tz_localize("UTC") if ny.tzinfo is None else ny
    ny = ny.tz_convert("America/New_York")
    day = ny.date()
    if is_session(day) and ny.time() >= dt.time(16, 15):
        return day
    return previous_session(day - dt.timedelta(days=1))


def holiday_name(day: dt.date | str) -> str | None:
    """The NYSE holiday on `day`, or None when it is a session or a weekend."""
    ts = _ts(day)
    if ts.weekday() >= 5 or is_session(ts):
        return None
    cal = _xnys()
    for rule in cal.regular_holidays.rules:
        if ts in set(rule.dates(ts, ts)):
            return rule.name
    return "NYSE holiday"
