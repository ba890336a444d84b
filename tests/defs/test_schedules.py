"""The daily schedule skips NYSE holidays (naming them) and targets the closing session."""

import datetime as dt

import dagster as dg

from scout_pipeline.defs.schedules import daily_after_close, daily_catch_up

NY = dt.timezone(dt.timedelta(hours=-5))


def _evaluate(schedule, day: dt.date):
    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(day.year, day.month, day.day, 18, 30, tzinfo=NY))
    return schedule(ctx)


def test_christmas_is_skipped_with_the_holiday_named():
    result = _evaluate(daily_after_close, dt.date(2025, 12, 25))
    assert isinstance(result, dg.SkipReason)
    assert "Christmas" in result.skip_message and "2025-12-25" in result.skip_message


def test_a_session_requests_its_own_day():
    result = _evaluate(daily_after_close, dt.date(2026, 1, 14))
    assert isinstance(result, dg.RunRequest)
    assert result.run_key == "2026-01-14"
    assert result.run_config["resources"]["scout"]["config"]["as_of"] == "2026-01-14"


def test_catch_up_tick_reruns_the_same_session_under_its_own_key():
    result = _evaluate(daily_catch_up, dt.date(2026, 1, 14))
    assert result.run_key == "2026-01-14-catch-up"
    assert result.run_config["resources"]["scout"]["config"]["as_of"] == "2026-01-14"
    assert isinstance(_evaluate(daily_catch_up, dt.date(2026, 1, 19)), dg.SkipReason)  # MLK day


def test_partitions_are_nyse_sessions():
    from scout_pipeline.defs.partitions import TRADING_DAYS

    keys = set(TRADING_DAYS.get_partition_keys())
    assert {"2026-01-14", "2026-01-16", "2025-12-26"} <= keys  # a Friday is its own session
    assert not {"2025-12-25", "2026-01-19", "2026-01-17"} & keys  # Christmas, MLK day, a Saturday
    assert _evaluate(daily_after_close, dt.date(2026, 1, 16)).partition_key == "2026-01-16"
