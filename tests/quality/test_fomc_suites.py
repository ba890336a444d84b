"""The rates, fomc_calendar and fomc_expectations suites on contract months and calendars."""

import datetime as dt

from scout_pipeline import quality
from scout_pipeline.build import build_all
from scout_pipeline.quality import runner
from scout_pipeline.sources.fomc import bundled_calendar, contract_symbols
from tests.conftest import load, run_params

AS_OF = dt.date(2026, 1, 9)


def _run(con, schema, table, run_id="test-run", **params):
    ctx = runner.RunContext(run_id, AS_OF, run_params(AS_OF, **params), None)
    return quality.run_suite(con, schema, table, ctx)


def _failed(outcome):
    return {f.expectation: f for f in outcome.failures}


def _contracts(day=AS_OF, rate=3.60):
    return [{"series": s, "date": day, "value": 100 - rate} for s in contract_symbols(day)]


def test_contract_months_are_prices_and_expired_ones_are_not_stale(con):
    rows = _contracts() + [{"series": "DFF", "date": AS_OF, "value": 3.64},
                           {"series": "ZQZ25.CBT", "date": dt.date(2025, 12, 31), "value": 96.36}]  # expired
    load(con, "rates", rows)
    outcome = _run(con, "raw", "rates")
    assert outcome.passed, outcome.summary()
    load(con, "rates", [{"series": "ZQG26.CBT", "date": AS_OF, "value": 3.6}])  # a rate, not a price
    failure = _failed(_run(con, "raw", "rates"))["fed_funds_future_in_band"]
    assert failure.blocking and failure.samples[0]["series"] == "ZQG26.CBT"


def test_a_contract_month_the_source_missed_is_a_warning_naming_it(con):
    load(con, "rates", _contracts())
    con.execute("INSERT INTO raw.ingest_log VALUES ('run-1', 'yahoo', 'rates', 'ZQK26.CBT', 'missing', "
                "'no rows from Yahoo', now()), ('run-1', 'yahoo', 'prices', 'AAPL', 'missing', 'x', now())")
    outcome = _run(con, "raw", "rates", run_id="run-1")
    failure = _failed(outcome)["contract_month_delivered"]
    assert not outcome.blocking and failure.severity == "WARN"
    assert [s["series"] for s in failure.samples] == ["ZQK26.CBT"]
    assert failure.samples[0]["source_reason"] == "no rows from Yahoo"


def test_calendar_running_out_within_the_horizon_warns(con):
    load(con, "fomc_calendar", bundled_calendar())
    assert _run(con, "raw", "fomc_calendar").passed  # the bundle reaches January 2028
    # a 24-month horizon from January 2026 ends December 2027: covered by Dec 8 (23 days)
    assert _run(con, "raw", "fomc_calendar", fomc_horizon_months=24).passed
    con.execute("DELETE FROM raw.fomc_calendar WHERE meeting_date > '2026-06-30'")
    outcome = _run(con, "raw", "fomc_calendar")
    failure = _failed(outcome)["calendar_covers_horizon"]
    assert not outcome.blocking and failure.samples[0]["last_meeting"] == "2026-06-17"


def test_two_meetings_taking_effect_in_one_month_block(con):
    load(con, "fomc_calendar", [{"meeting_date": "2026-03-04"}, {"meeting_date": "2026-03-18"},
                                {"meeting_date": "2026-12-09"}])
    failure = _failed(_run(con, "raw", "fomc_calendar"))["one_meeting_per_month"]
    assert failure.blocking and failure.samples[0]["meeting_dates"] == "2026-03-04, 2026-03-18"


def test_fomc_expectations_suite_passes_a_built_mart_and_warns_on_an_unpriced_meeting(con):
    load(con, "fomc_calendar", bundled_calendar())
    load(con, "rates", _contracts() + [{"series": "DFF", "date": AS_OF, "value": 3.64}])
    build_all(con, run_params(AS_OF))
    assert con.execute("SELECT count(*) FROM marts.fomc_expectations").fetchone()[0] == 8
    assert _run(con, "marts", "fomc_expectations").passed
    con.execute("DELETE FROM raw.rates WHERE series = 'ZQH26.CBT'")
    build_all(con, run_params(AS_OF))
    outcome = _run(con, "marts", "fomc_expectations")
    assert not outcome.blocking
    assert _failed(outcome)["meeting_priced"].samples[0]["meeting_date"] == "2026-03-18"
