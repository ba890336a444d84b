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


def test_a_friday_session_runs_unpartitioned_with_its_day_in_config_and_tag():
    result = _evaluate(daily_after_close, dt.date(2026, 1, 16))  # a Friday is its own session
    assert isinstance(result, dg.RunRequest)
    assert result.partition_key is None  # no partition grid: the day is run config
    assert result.run_config["resources"]["scout"]["config"]["as_of"] == "2026-01-16"
    assert result.tags["scout/as_of"] == "2026-01-16"
    assert result.tags["scout/trigger"] == "schedule"


def test_no_asset_or_job_is_partitioned():
    """The UI shows each asset's latest materialization and its as_of, not a per-day grid
    that runs rebuilding all history could never fill (issue #17)."""
    from scout_pipeline.definitions import DAILY_JOB, defs

    assets = defs.resolve_asset_graph().asset_nodes
    assert assets and not [a.key for a in assets if a.partitions_def is not None]
    assert defs.resolve_job_def(DAILY_JOB).partitions_def is None
