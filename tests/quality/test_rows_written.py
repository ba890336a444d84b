"""The gate at the cost of the new rows: suites validate what the run wrote, whole-table key
invariants still hold the whole table, and a first load is counted exactly in SQL while GX
sees only the failing rows and a bounded sample."""

import datetime as dt

import pandas as pd

from scout_pipeline import calendar, store
from scout_pipeline.quality import gx_engine, ingest, quarantine, runner
from scout_pipeline.quality.registry import suite_for
from scout_pipeline.quality.spec import Batch, Param, Suite, a_ge_b, between, in_set, not_in_set, not_null, \
    symbol, unique
from tests.conftest import load
from tests.quality.test_suites import AS_OF, DAYS, _bars, _failed, _run

NEW = dt.datetime(2026, 1, 9, 22, 0)


def _ingest(con, rows, run_id="test-run"):
    """What an ingest asset does: set copies aside, upsert with the run's stamp, log it."""
    frame = pd.DataFrame(rows).assign(source="test")
    frame = ingest.set_aside_duplicates(con, run_id, "prices", frame, NEW)
    written = store.upsert(con, "prices", frame, NEW)
    ingest.log_ingest(con, run_id, "prices", NEW, written)


def _history(con, tickers, bad_old=False):
    rows = []
    for t in tickers:
        bars = _bars(t)[:-1]
        if bad_old and t == tickers[0]:
            bars[3] = dict(bars[3], close=-1.0, high=1.0, low=5.0)  # an old broken bar
        rows += bars
    load(con, "prices", rows)


def test_a_daily_run_sees_only_its_new_bars(con):
    tickers = ["AAA", "BBB", "CCC"]
    _history(con, tickers, bad_old=True)
    _ingest(con, [_bars(t)[-1] for t in tickers])
    outcome = _run(con, "raw", "prices")
    assert outcome.passed, outcome.summary()  # the broken bar of 2025 is not this run's
    assert outcome.rows_checked["rows"] == 3


def test_bad_new_bars_fail_with_exact_counts(con):
    tickers = ["AAA", "BBB", "CCC", "DDD"]
    _history(con, tickers, bad_old=True)
    last = {t: _bars(t)[-1] for t in tickers}
    new = [dict(last["AAA"], high=90.0, low=95.0),  # high < low (and high below open/close)
           dict(last["BBB"], high=90.0, low=95.0),
           dict(last["CCC"], close=1290.0, adj_close=1290.0, high=1300.0),  # 10x the stored 128.0
           last["DDD"]]
    _ingest(con, new)
    failed = _failed(_run(con, "raw", "prices"))
    assert failed["high_not_below_low"].unexpected_count == 2
    assert failed["high_not_below_low"].checked == 4
    assert {s["ticker"] for s in failed["high_not_below_low"].samples} == {"AAA", "BBB"}
    move = failed["one_day_move_plausible"]  # compared with the last stored bar: 1290 / 128
    assert move.unexpected_count == 1 and move.samples[0]["ticker"] == "CCC"
    assert round(move.samples[0]["one_day_move"], 4) == round(1290.0 / 128.0, 4)
    assert "close_positive" not in failed  # the old negative close is history


def _mart_builds(con, mart: str, since: dt.date):
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute("CREATE TABLE IF NOT EXISTS meta.mart_builds (mart VARCHAR PRIMARY KEY, built_as_of DATE, "
                "params_hash VARCHAR, watermark TIMESTAMP, fingerprints VARCHAR, since DATE, built_at TIMESTAMP)")
    con.execute("INSERT OR REPLACE INTO meta.mart_builds VALUES (?, ?, '', NULL, '{}', ?, now())",
                [f"marts.{mart}", AS_OF, since])


def _breadth(con, rows):
    con.execute("CREATE OR REPLACE TABLE marts.market_breadth AS SELECT * FROM (VALUES " + ", ".join(
        "(DATE '{}', '{}', 10, {}, 50.0, 1, 0, 'mixed')".format(*r) for r in rows) + ") t(as_of, segment, "
        "members, pct_above_50d, pct_above_200d, new_highs, new_lows, breadth_signal)")


def test_an_incremental_mart_is_validated_from_its_builds_since(con):
    old, new = DAYS[-3], DAYS[-1]
    _breadth(con, [(old, "small_cap", 150.0), (DAYS[-2], "small_cap", 40.0), (new, "small_cap", 60.0)])
    _mart_builds(con, "market_breadth", new)
    outcome = _run(con, "marts", "market_breadth")
    assert outcome.passed and outcome.rows_checked == {"rows": 1}
    _breadth(con, [(old, "small_cap", 150.0), (DAYS[-2], "small_cap", 40.0), (new, "small_cap", 160.0),
                   (new, "large_cap", -1.0)])
    failure = _failed(_run(con, "marts", "market_breadth"))["pct_above_50d_within_0_100"]
    assert failure.unexpected_count == 2 and failure.checked == 2
    _mart_builds(con, "market_breadth", dt.date(1, 1, 1))  # a full rebuild wrote every row
    failure = _failed(_run(con, "marts", "market_breadth"))["pct_above_50d_within_0_100"]
    assert failure.unexpected_count == 3 and failure.checked == 4


def test_a_duplicate_key_in_old_rows_is_still_caught(con):
    """Key uniqueness is a whole-table invariant: one SQL pass over the mart, old rows included."""
    day = DAYS[-2]
    _breadth(con, [(day, "small_cap", 40.0), (day, "small_cap", 41.0), (DAYS[-1], "small_cap", 60.0)])
    _mart_builds(con, "market_breadth", DAYS[-1])
    failed = _failed(_run(con, "marts", "market_breadth"))
    assert set(failed) == {"table_key_unique"}
    assert failed["table_key_unique"].unexpected_count == 1 and failed["table_key_unique"].checked == 3
    assert failed["table_key_unique"].samples == [{"as_of": str(day), "segment": "small_cap", "copies": 2}]


def test_a_raw_key_rule_covers_the_keys_the_run_wrote_against_every_stored_row(con):
    """raw.prices has no index (keys unique by construction): the run's key rule groups the
    keys it wrote against all stored rows, so a new row colliding with an old one is caught;
    a suite run alone (no run stamp) passes over the whole table."""
    tickers = ["AAA", "BBB"]
    _history(con, tickers)
    assert not runner.enforced_key(con, suite_for("raw", "prices"))
    _ingest(con, [_bars(t)[-1] for t in tickers])
    assert _run(con, "raw", "prices").passed
    # a write outside the upsert puts a second copy of an old bar in, stamped as this run's row
    old = _bars("AAA")[2]
    con.execute("INSERT INTO raw.prices BY NAME SELECT * EXCLUDE (loaded_at), ?::TIMESTAMP AS loaded_at "
                "FROM raw.prices WHERE ticker = 'AAA' AND date = ?", [NEW, old["date"]])
    failed = _failed(_run(con, "raw", "prices"))
    assert failed["table_key_unique"].unexpected_count == 1
    assert failed["table_key_unique"].samples == [{"ticker": "AAA", "date": str(old["date"]), "copies": 2}]
    stamp = ingest.run_stamp(con, "test-run", "prices")
    assert [f.expectation for f, _ in runner._key_checks(con, suite_for("raw", "prices"), stamp)] == ["table_key_unique"]
    assert [f.expectation for f, _ in runner._key_checks(con, suite_for("raw", "prices"))] == ["table_key_unique"]


def test_a_key_duckdb_enforces_is_not_checked_twice(con):
    load(con, "prices", _bars())
    con.execute("CREATE TABLE raw.prices_keyed AS SELECT * FROM raw.prices")
    con.execute("DROP TABLE raw.prices")
    con.execute("ALTER TABLE raw.prices_keyed RENAME TO prices")
    con.execute("ALTER TABLE raw.prices ADD PRIMARY KEY (ticker, date)")
    assert runner.enforced_key(con, suite_for("raw", "prices"))
    assert list(runner._key_checks(con, suite_for("raw", "prices"))) == []


def test_a_first_load_is_counted_exactly_and_gx_sees_only_failing_rows(con, tmp_path, monkeypatch):
    """40 tickers x 300 sessions, every bar the run's: 1,234 negative volumes. The count is
    exact; GX is handed the failing rows (up to the quarantine cap) and a bounded sample."""
    days = calendar.sessions_back(AS_OF, 300)
    tickers = [f"T{i:02d}" for i in range(40)]
    frame = pd.DataFrame([{"ticker": t, "date": d, "open": 10.0, "high": 11.0, "low": 9.0, "close": 10.0,
                           "adj_close": 10.0, "volume": 1000.0} for t in tickers for d in days])
    assert len(days) == 300
    frame.loc[frame.index % 9 == 4, "volume"] = -5.0
    bad = int((frame.volume < 0).sum())
    assert bad == 1333  # 12,000 rows, every 9th from the 5th: 4, 13, ..., 11992
    monkeypatch.setattr(quarantine, "MAX_ROWS", 500)
    monkeypatch.setattr(runner, "GX_SAMPLE_ROWS", 200)
    seen = []
    real = gx_engine.validate

    def spy(name, frame, expectations, parameters):
        seen.append((name, len(frame), len(expectations)))
        return real(name, frame, expectations, parameters)

    monkeypatch.setattr(gx_engine, "validate", spy)
    _ingest(con, frame.to_dict("records"))
    outcome = _run(con, "raw", "prices", tmp_path)
    failed = _failed(outcome)
    assert set(failed) == {"volume_not_negative"}
    assert failed["volume_not_negative"].unexpected_count == bad
    assert failed["volume_not_negative"].checked == len(frame)
    assert outcome.rows_checked["rows"] == len(frame)
    rows_batch = [s for s in seen if s[0] == "prices.rows"]
    # one GX validation of every expectation over at most the capped failures + the sample
    assert len(rows_batch) == 1 and rows_batch[0][1] <= 500 + 200
    assert rows_batch[0][2] == len(suite_for("raw", "prices").batches[0].expectations)
    kept = pd.read_csv(tmp_path / "test-run" / "prices.csv")
    assert (kept.expectation == "volume_not_negative").sum() == 500 and (kept.volume < 0).all()


EDGE = Suite("raw", "edge", ("k",), (Batch("rows", "SELECT * FROM edge", show=("k",), expectations=(
    not_null("x"), not_null("s"),
    between("x", 0, 10), between("x", 0, 10, strict_low=True, strict_high=True, name="x_strict"),
    between("d", high=Param("as_of"), name="d_not_after"),
    between("x", high=5, name="x_where_a", where=("s", "==", "a")),
    between("x", high=5, name="x_where_not_a", where=("s", "!=", "a")),
    a_ge_b("x", "y", "x_ge_y"),
    in_set("s", ["a", "b"]), not_in_set("s", ["c"], "s_not_c"),
    in_set("flag", [True], name="flag_mostly", mostly=0.6),
    symbol("s", "s_pattern"),
    unique(("k",), name="k_unique"), unique(("s", "d"), name="s_d_unique"),
)),))


def test_the_sql_screen_counts_what_gx_counts(con, monkeypatch):
    """Every expectation class the suites use, on values that hit the edges (null, NaN,
    bounds, strictness, row conditions with nulls, `mostly`, regex end of text, duplicate
    keys): the screen's counts are GX's counts over the whole frame."""
    con.execute("""CREATE TABLE edge AS SELECT * FROM (VALUES
        (1, 0.0, -1.0, 'a', DATE '2026-01-09', TRUE),
        (2, 10.0, 10.0, 'b', DATE '2026-01-10', TRUE),
        (3, 'NaN'::DOUBLE, 1.0, 'c', DATE '2026-01-08', FALSE),
        (4, NULL, NULL, NULL, NULL, NULL),
        (5, 11.0, 12.0, 'a', DATE '2026-01-08', FALSE),
        (5, 6.0, 1.0, 'AAPL' || chr(10), DATE '2026-01-08', TRUE),
        (7, -0.5, 'NaN'::DOUBLE, 'b', DATE '2026-01-10', FALSE),
        (8, 5.0, 5.0, 'b', DATE '2026-01-10', TRUE)) t(k, x, y, s, d, flag)""")
    params = {**runner.thresholds.values(), "as_of": AS_OF}

    def counts():
        return {f.expectation: f.unexpected_count for f, _ in runner._check_batch(con, EDGE, EDGE.batches[0],
                                                                                   params)[1]}

    screened = counts()
    monkeypatch.setenv("SCOUT_GATE_GX", "always")
    whole = counts()
    assert screened == whole
    assert screened == {"x_not_null": 2, "s_not_null": 1, "x_in_range": 2, "x_strict": 4, "d_not_after": 3,
                        "x_where_a": 1, "x_where_not_a": 2, "x_ge_y": 1, "s_allowed": 2, "s_not_c": 1,
                        "flag_mostly": 3, "s_pattern": 1, "k_unique": 2, "s_d_unique": 3}


def test_a_series_silent_for_over_a_year_is_still_stale(con):
    """The per-series batch reads a year of bars, and the older history only for a followed
    series with none in that year: its last bar still makes it stale (WARN), with or
    without a universe; a series that left the universe is not expected."""
    old = calendar.sessions_back(dt.date(2024, 6, 28), 3)
    gone = [{"ticker": "GONE", "date": d, "close": 5.0} for d in old]
    load(con, "prices", _bars() + [{"ticker": "OLD", "date": d, "close": 5.0} for d in old] + gone)
    behind = len(calendar.sessions(AS_OF - dt.timedelta(days=runner.CALENDAR_DAYS), AS_OF))
    failure = _failed(_run(con, "raw", "prices"))["series_fresh"]
    assert not failure.blocking and failure.unexpected_count == 2  # no universe: every series
    assert {s["ticker"] for s in failure.samples} == {"OLD", "GONE"}
    load(con, "universe", [{"ticker": t, "asset_type": "equity"} for t in ("MOD", "OLD")])
    outcome = _run(con, "raw", "prices")
    failure = _failed(outcome)["series_fresh"]
    assert failure.unexpected_count == 1 and failure.samples[0]["ticker"] == "OLD"
    assert failure.samples[0]["last_date"] == str(old[-1]) and failure.samples[0]["sessions_behind"] == behind
    assert outcome.rows_checked["tickers"] == 2
