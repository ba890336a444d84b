"""The suites themselves, on an in-memory DuckDB (no Dagster): what passes, what fails,
with which severity, and how the gate is wired."""

import datetime as dt
import importlib
import subprocess
import sys

import pandas as pd
import pytest

from scout_pipeline import calendar, quality, store
from scout_pipeline.quality import ingest, runner
from scout_pipeline.quality.registry import suite_for
from scout_pipeline.sources.contracts import RAW_TABLES
from scout_pipeline.sql_files import load_models
from tests.conftest import load, run_params

AS_OF = dt.date(2026, 1, 9)
DAYS = calendar.sessions_back(AS_OF, 30)


def _run(con, schema, table, tmp_path=None):
    ctx = runner.RunContext("test-run", AS_OF, run_params(AS_OF), tmp_path)
    return quality.run_suite(con, schema, table, ctx)


def _failed(outcome):
    return {f.expectation: f for f in outcome.failures}


def _bars(ticker="MOD", closes=None, adj=None):
    closes = closes or [100.0 + i for i in range(len(DAYS))]
    adj = adj or closes
    return [{"ticker": ticker, "date": d, "open": c, "high": c * 1.01, "low": c * 0.99, "close": c,
             "adj_close": a, "volume": 1000.0} for d, c, a in zip(DAYS, closes, adj)]


def test_every_raw_table_and_mart_has_a_suite_named_after_it():
    from scout_pipeline.definitions import defs

    tables = [("raw", t) for t in RAW_TABLES] + [(m.layer, m.name) for m in load_models() if m.layer == "marts"]
    for schema, table in tables:
        module = importlib.import_module(f"scout_pipeline.quality.{schema}.{table}")
        assert module.SUITE.table == table and module.SUITE.schema == schema
    # raw suites are checks of their own step; a mart's suite is a check spec of the mart's asset
    specs = [spec for d in [*defs.assets, *defs.asset_checks] for spec in d.check_specs]
    assert {(tuple(spec.asset_key.path), spec.name) for spec in specs} == {
        ((schema, table), f"{table}_suite") for schema, table in tables}
    assert all(spec.blocking for spec in specs)


def test_every_parameter_a_suite_binds_is_provided(con):
    load(con, "prices", _bars())
    ctx = runner.RunContext("test-run", AS_OF, run_params(AS_OF), None)
    for schema, table in [("raw", t) for t in RAW_TABLES] + [("marts", m.name) for m in load_models()
                                                            if m.layer == "marts"]:
        suite = suite_for(schema, table)
        given = runner.bindings(con, suite, ctx)
        for batch in suite.batches:
            assert store.sql_params(batch.sql) <= given.keys(), (table, batch.name)
            assert "{" not in batch.sql  # no leftover formatting: values are bound, never pasted
        for e in suite.expectations():
            for value in e.kwargs.values():
                if isinstance(value, quality.spec.Param):
                    assert value.name in given, (table, e.name)


def test_importing_the_definitions_does_not_import_great_expectations():
    code = "import sys, scout_pipeline.definitions; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_clean_prices_pass(con):
    load(con, "prices", _bars() + _bars("^GSPC"))
    outcome = _run(con, "raw", "prices")
    assert outcome.passed, outcome.summary()
    assert outcome.rows_checked == {"rows": 60, "tickers": 2}


def test_a_split_passes_but_a_rescaled_adjusted_series_blocks(con):
    closes = [100.0] * 15 + [25.0] * 15  # 4:1 split: the traded close drops, the adjusted one does not
    adj = [25.0] * 30
    load(con, "prices", _bars(closes=closes, adj=adj))
    assert _run(con, "raw", "prices").passed
    load(con, "prices", _bars(closes=closes, adj=closes))  # a bad adjustment: adj_close drops 4x too
    assert _run(con, "raw", "prices").passed  # 4x is within the plausible bound (5x)
    load(con, "prices", _bars(closes=[100.0] * 15 + [1.0] * 15, adj=[100.0] * 15 + [1.0] * 15))
    failure = _failed(_run(con, "raw", "prices"))["one_day_move_plausible"]
    assert failure.blocking and failure.unexpected_count == 1 and failure.samples[0]["date"] == str(DAYS[15])


def test_a_series_on_another_calendar_is_only_warned_about(con):
    """^N225 trades on Tokyo's calendar (bars on US holidays): a missing as-of bar is not an
    error for it, only a stale series (WARN) once it falls behind."""
    rows = _bars("^N225")[:-6] + [{"ticker": "^N225", "date": dt.date(2025, 12, 25), "close": 50.0}]
    load(con, "prices", _bars() + rows)
    outcome = _run(con, "raw", "prices")
    assert not outcome.blocking
    assert set(_failed(outcome)) == {"series_fresh"}


def test_duplicate_keys_from_the_source_are_kept_and_block(con, tmp_path):
    frame = pd.DataFrame(_bars()[-3:] + [dict(_bars()[-1], close=999.0)]).assign(source="test")
    stamp = dt.datetime(2026, 1, 9, 22, 0)
    load(con, "prices", _bars()[:-3])
    upsert = ingest.set_aside_duplicates(con, "test-run", "prices", frame, stamp)
    assert len(upsert) == 3
    written = store.upsert(con, "prices", upsert, stamp)
    ingest.log_ingest(con, "test-run", "prices", stamp, written)
    outcome = _run(con, "raw", "prices", tmp_path)
    failure = _failed(outcome)["key_unique"]
    assert failure.blocking and failure.unexpected_count == 2 and outcome.rows_checked["rows"] == 4
    kept = pd.read_csv(tmp_path / "test-run" / "prices.csv")
    assert sorted(kept.loc[kept.expectation == "key_unique", "close"]) == [129.0, 999.0]


def test_only_the_rows_the_run_wrote_are_validated(con):
    old = _bars()
    old[3]["close"] = -1.0  # stored earlier: not this run's row
    load(con, "prices", old)
    stamp = dt.datetime(2026, 1, 9, 22, 0)
    new = pd.DataFrame([dict(_bars()[-1], close=129.5)]).assign(source="test")
    ingest.ensure_tables(con)
    written = store.upsert(con, "prices", new, stamp)
    ingest.log_ingest(con, "test-run", "prices", stamp, written)
    outcome = _run(con, "raw", "prices")
    assert outcome.rows_checked["rows"] == 1 and outcome.passed


def test_fundamentals_all_null_is_a_warning(con):
    load(con, "fundamentals", [{"ticker": "MOD", "as_of": AS_OF, "market_cap": None}])
    outcome = _run(con, "raw", "fundamentals")
    assert not outcome.blocking and set(_failed(outcome)) == {"not_all_fields_null"}


@pytest.mark.parametrize("series, value, expectation", [
    ("ZQ=F", 4.3, "fed_funds_future_in_band"),  # a yield where a price belongs
    ("DFF", 433.0, "yield_in_band"),  # basis points where percent belongs
])
def test_rates_outside_their_band_block(con, series, value, expectation):
    load(con, "rates", [{"series": series, "date": AS_OF, "value": value}])
    failure = _failed(_run(con, "raw", "rates"))[expectation]
    assert failure.blocking and failure.unexpected_count == 1


def test_mart_invariants(con):
    con.execute("""CREATE TABLE marts.cooling_breakouts AS SELECT * FROM (VALUES
        ('MOD', DATE '2026-01-09', DATE '2025-12-01', 120.0, 110.0, 100.0, DATE '2025-12-10', 1.5, 10, 'cooling', -20.0, 5.0),
        ('VRT', DATE '2026-01-09', DATE '2025-12-01', 120.0, 110.0, 100.0, DATE '2025-12-10', 1.5, 10, 'sizzling', 120.0, 5.0))
        t(ticker, as_of, breakout_date, peak_close, breakout_close, close, peak_date, volume_ratio,
          days_since_breakout, status, pullback_pct, attention_change_pct)""")
    failed = _failed(_run(con, "marts", "cooling_breakouts"))
    assert set(failed) == {"status_allowed", "pullback_pct_within_0_100"}
    assert failed["status_allowed"].samples == [{"ticker": "VRT", "as_of": "2026-01-09", "status": "sizzling"}]
    con.execute("""CREATE TABLE marts.relative_strength_streaks AS SELECT * FROM (VALUES
        ('p', DATE '2026-01-08', 1.0, 1.0, 0, DATE '2026-01-08', NULL, 1),
        ('p', DATE '2026-01-09', 1.0, 1.0, 2, DATE '2026-01-10', NULL, 2),
        ('p', DATE '2026-01-09', 1.0, 1.0, 3, DATE '2026-01-02', NULL, 3))
        t(pair_id, date, lead_close, base_close, streak_days, streak_start, prior_comparable_days,
          longest_streak_days)""")
    failed = _failed(_run(con, "marts", "relative_strength_streaks"))
    assert {"streak_days_not_zero", "streak_start_not_after_date", "table_key_unique"} <= set(failed)
    assert failed["table_key_unique"].samples == [{"pair_id": "p", "date": "2026-01-09", "copies": 2}]


def test_a_mart_missing_a_contract_column_fails_and_an_absent_mart_is_skipped(con):
    con.execute("CREATE TABLE marts.market_breadth AS SELECT DATE '2026-01-09' AS as_of, 'small_cap' AS segment, "
                "10 AS members, 101.0 AS pct_above_50d, 3 AS new_highs, 0 AS new_lows")
    failed = _failed(_run(con, "marts", "market_breadth"))
    assert failed["pct_above_50d_within_0_100"].unexpected_count == 1
    assert "column pct_above_200d missing" in failed["pct_above_200d_within_0_100"].note
    outcome = _run(con, "marts", "daily_brief")
    assert outcome.passed and "does not exist" in outcome.skipped


def test_docs_list_every_expectation():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "quality.md").read_text()
    tables = [("raw", t) for t in RAW_TABLES] + [("marts", m.name) for m in load_models() if m.layer == "marts"]
    for schema, table in tables:
        assert f"### {schema}.{table} — `{table}_suite`" in doc
        for e in suite_for(schema, table).expectations():
            assert f"| `{e.name}` | {e.severity} |" in doc, (table, e.name)


def test_ticker_pattern_is_strict(con):
    bad = ["AAPL\n", "X'); DROP TABLE raw.prices; --", "A" * 16, "MS FT"]
    load(con, "universe", [{"ticker": t, "asset_type": "equity"} for t in ["^GSPC", "BRK-B", "ZQ=F", "1306.T", *bad]])
    failure = _failed(_run(con, "raw", "universe"))["ticker_pattern"]
    assert failure.blocking and sorted(s["ticker"] for s in failure.samples) == sorted(bad)
