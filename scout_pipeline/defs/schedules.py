"""The daily schedule: after the US close on NYSE sessions, plus an evening catch-up tick."""

import datetime as dt
import os

import dagster as dg

from scout_pipeline import calendar

DAILY_JOB = "scout_daily"
TIMEZONE = "America/New_York"


def _schedule_source() -> str:
    # Scheduled runs follow the real market once SCOUT_SOURCE=live is set; the default
    # keeps a fresh checkout offline and deterministic.
    return os.environ.get("SCOUT_SOURCE", "sample")


def session_request(day: dt.date, run_key_suffix: str = "") -> dg.RunRequest | dg.SkipReason:
    """A run for `day` when it is an NYSE session, else a SkipReason naming the holiday."""
    if not calendar.is_session(day):
        holiday = calendar.holiday_name(day)
        what = f"the {holiday} holiday" if holiday else "a weekend"
        return dg.SkipReason(f"{day} is not an NYSE session ({what}); nothing to run")
    return dg.RunRequest(
        run_key=f"{day.isoformat()}{run_key_suffix}",
        run_config={"resources": {"scout": {"config": {
            "as_of": day.isoformat(), "source": _schedule_source()}}}},
        tags={"scout/as_of": day.isoformat(), "scout/trigger": "schedule" + run_key_suffix},
    )


@dg.schedule(
    name="scout_daily_after_close",
    cron_schedule="30 18 * * 1-5",
    execution_timezone=TIMEZONE,
    job_name=DAILY_JOB,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="18:30 New York, Monday-Friday: the session that just closed; skips NYSE holidays.",
)
def daily_after_close(context: dg.ScheduleEvaluationContext):
    return session_request(context.scheduled_execution_time.date())


@dg.schedule(
    name="scout_daily_catch_up",
    cron_schedule="30 21 * * 1-5",
    execution_timezone=TIMEZONE,
    job_name=DAILY_JOB,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="21:30 New York: re-runs the session so late provider corrections land the same evening.",
)
def daily_catch_up(context: dg.ScheduleEvaluationContext):
    return session_request(context.scheduled_execution_time.date(), "-catch-up")


schedules = [daily_after_close, daily_catch_up]
