"""Upserts by key in one transaction; publish is atomic and all-or-nothing."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from scout_pipeline import store
from tests.conftest import load


def _prices(close):
    return pd.DataFrame({"ticker": ["A", "A"], "date": ["2026-01-02", "2026-01-05"],
                         "close": close, "source": "t"})


def test_upsert_same_rows_twice_leaves_table_identical(con):
    assert store.upsert(con, "prices", _prices([1.0, 2.0]), dt.datetime(2026, 1, 1)) == 2
    before = con.execute("FROM raw.prices ORDER BY ALL").fetchall()
    assert store.upsert(con, "prices", _prices([1.0, 2.0]), dt.datetime(2026, 2, 1)) == 0
    assert con.execute("FROM raw.prices ORDER BY ALL").fetchall() == before


def test_upsert_replaces_changed_rows_by_key(con):
    store.upsert(con, "prices", _prices([1.0, 2.0]), dt.datetime(2026, 1, 1))
    assert store.upsert(con, "prices", _prices([1.0, 3.0]), dt.datetime(2026, 2, 1)) == 1
    rows = con.execute("SELECT date, close, loaded_at FROM raw.prices ORDER BY date").fetchall()
    assert [r[1] for r in rows] == [1.0, 3.0]
    assert rows[0][2] == dt.datetime(2026, 1, 1) and rows[1][2] == dt.datetime(2026, 2, 1)


def test_upsert_failure_rolls_back_whole_batch(con):
    store.upsert(con, "prices", _prices([1.0, 2.0]), dt.datetime(2026, 1, 1))
    bad = _prices([5.0, "not a number"])
    with pytest.raises(ValueError):
        store.upsert(con, "prices", bad, dt.datetime(2026, 2, 1))
    assert [r[0] for r in con.execute("SELECT close FROM raw.prices ORDER BY date").fetchall()] == [1.0, 2.0]


def test_replace_all_drops_rows_absent_from_snapshot(con):
    load(con, "universe", [{"ticker": "A", "segments": ["small_cap"]}, {"ticker": "B", "segments": "x;y"}])
    store.upsert(con, "universe", pd.DataFrame([{"ticker": "B", "segments": ["x", "y"], "source": "test"}]),
                 dt.datetime(2026, 1, 2), replace_all=True)
    assert con.execute("SELECT ticker, segments FROM raw.universe").fetchall() == [("B", ["x", "y"])]


def test_a_rolling_window_replaces_only_the_days_it_covers(con):
    """A complete source that delivers its last N days: the day that left the window stays,
    a ticker the window no longer holds goes (its days inside the window), nothing else."""
    first = pd.DataFrame({"ticker": ["A", "A", "B", "B"], "date": ["2026-01-02", "2026-01-05"] * 2,
                          "close": [1.0, 2.0, 5.0, 6.0], "source": "t"})
    store.upsert(con, "prices", first, dt.datetime(2026, 1, 5))
    window = pd.DataFrame({"ticker": ["A", "A"], "date": ["2026-01-05", "2026-01-06"], "close": [2.0, 3.0],
                           "source": "t"})
    written, deleted = store.upsert_counts(con, "prices", window, dt.datetime(2026, 1, 6), replace_all=True,
                                           replace_from=("date", dt.date(2026, 1, 5)))
    assert (written, deleted) == (1, 1)
    assert con.execute("SELECT ticker, date::VARCHAR, close FROM raw.prices ORDER BY ALL").fetchall() == [
        ("A", "2026-01-02", 1.0), ("A", "2026-01-05", 2.0), ("A", "2026-01-06", 3.0), ("B", "2026-01-02", 5.0)]
    with pytest.raises(ValueError, match="not a key column"):
        store.upsert_counts(con, "prices", window, dt.datetime(2026, 1, 7), replace_all=True,
                            replace_from=("close", dt.date(2026, 1, 5)))


def test_sql_params_ignores_comments_and_strings():
    sql = "-- uses $not_me\nSELECT '$nor_me', $as_of, $breakout_lookback::INT"
    assert store.sql_params(sql) == {"as_of", "breakout_lookback"}


def _make_work(wh, run_id, value):
    with wh.connect(run_id) as c:
        c.execute("CREATE OR REPLACE TABLE marts.t AS SELECT ? AS v", [value])


def test_publish_swaps_file_and_promotes_store(tmp_path):
    wh = store.Warehouse.at(tmp_path)
    _make_work(wh, "run1", 1)
    counts = store.publish(wh, "run1", [("marts", "t")], {("marts", "t"): {"": "a table", "v": "a value"}})
    assert counts == {"marts.t": 1}
    con = duckdb.connect(str(wh.published), read_only=True)
    assert con.execute("SELECT v FROM marts.t").fetchone() == (1,)
    assert con.execute("SELECT comment FROM duckdb_columns() WHERE column_name = 'v'").fetchone() == ("a value",)
    con.close()
    assert (wh.parquet_dir / "t.parquet").exists()
    assert wh.store.exists() and not wh.work_path("run1").exists()
    # the next run starts from the promoted store
    with wh.connect("run2") as c:
        assert c.execute("SELECT v FROM marts.t").fetchone() == (1,)


def test_reader_holding_published_file_keeps_its_snapshot(tmp_path):
    wh = store.Warehouse.at(tmp_path)
    _make_work(wh, "run1", 1)
    store.publish(wh, "run1", [("marts", "t")], {})
    reader = duckdb.connect(str(wh.published), read_only=True)
    _make_work(wh, "run2", 2)
    store.publish(wh, "run2", [("marts", "t")], {})
    assert reader.execute("SELECT v FROM marts.t").fetchone() == (1,)
    reader.close()
    fresh = duckdb.connect(str(wh.published), read_only=True)
    assert fresh.execute("SELECT v FROM marts.t").fetchone() == (2,)
    fresh.close()


def test_unsafe_run_id_is_refused(tmp_path):
    with pytest.raises(store.StoreError):
        store.Warehouse.at(tmp_path).work_path("../../etc/passwd")


def _bars(closes, start="2026-01-02"):
    dates = pd.bdate_range(start, periods=len(closes))
    return pd.DataFrame({"ticker": "A", "date": dates.strftime("%Y-%m-%d"), "close": closes, "source": "t"})


def test_first_load_in_batches_writes_every_row_once(con, monkeypatch):
    monkeypatch.setattr(store, "BATCH_ROWS", 2)  # 5 rows: batches of 2, 2, 1
    assert store.upsert_counts(con, "prices", _bars([1.0, 2.0, 3.0, 4.0, 5.0]), dt.datetime(2026, 1, 1)) == (5, 0)
    rows = con.execute("SELECT date, close, loaded_at FROM raw.prices ORDER BY date").fetchall()
    assert [r[1] for r in rows] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert rows[0][0] == dt.date(2026, 1, 2) and rows[-1][0] == dt.date(2026, 1, 8)
    assert {r[2] for r in rows} == {dt.datetime(2026, 1, 1)}
    # no staging table outlives the call
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0


def test_a_bad_value_in_a_later_batch_rolls_back_the_earlier_ones(con, monkeypatch):
    monkeypatch.setattr(store, "BATCH_ROWS", 2)
    with pytest.raises(ValueError):
        store.upsert(con, "prices", _bars([1.0, 2.0, 3.0, 4.0, "bad"]), dt.datetime(2026, 1, 1))
    assert con.execute("SELECT count(*) FROM raw.prices").fetchone()[0] == 0
    with pytest.raises(duckdb.ConstraintException):  # a key twice, in two batches of a first load
        store.upsert(con, "prices", pd.concat([_bars([9.0, 9.0, 9.0]), _bars([8.0])]), dt.datetime(2026, 2, 1))
    assert con.execute("SELECT count(*) FROM raw.prices").fetchone()[0] == 0


def test_restated_ticker_replaces_its_rows_and_counts_them(con, monkeypatch):
    monkeypatch.setattr(store, "BATCH_ROWS", 2)
    other = _bars([7.0, 7.0]).assign(ticker="B")
    store.upsert(con, "prices", pd.concat([_bars([1.0, 2.0, 3.0]), other]), dt.datetime(2026, 1, 1))
    # A restated: its history now has two bars, the second changed; B is not touched
    written, deleted = store.upsert_counts(con, "prices", _bars([1.0, 2.5]), dt.datetime(2026, 2, 1),
                                           replace_keys=["A"])
    assert (written, deleted) == (1, 1)  # 2026-01-05 rewritten, 2026-01-06 gone
    rows = con.execute("SELECT ticker, close, loaded_at FROM raw.prices ORDER BY ticker, date").fetchall()
    assert rows == [("A", 1.0, dt.datetime(2026, 1, 1)), ("A", 2.5, dt.datetime(2026, 2, 1)),
                    ("B", 7.0, dt.datetime(2026, 1, 1)), ("B", 7.0, dt.datetime(2026, 1, 1))]


def test_a_key_delivered_twice_is_refused_whole_and_names_the_key(con, monkeypatch):
    monkeypatch.setattr(store, "BATCH_ROWS", 2)
    described = con.execute("DESCRIBE raw.prices").fetchall()
    twice = pd.concat([_bars([9.0, 9.0, 9.0]), _bars([8.0])])  # 2026-01-02 in batch 1 and batch 2
    with pytest.raises(duckdb.ConstraintException, match=r"raw.prices: ticker=A, date=2026-01-02 appears 2 times"):
        store.upsert(con, "prices", twice, dt.datetime(2026, 2, 1))  # into the empty table
    assert con.execute("SELECT count(*) FROM raw.prices").fetchone()[0] == 0
    store.upsert(con, "prices", _bars([1.0, 2.0, 3.0]), dt.datetime(2026, 1, 1))
    before = con.execute("FROM raw.prices ORDER BY ALL").fetchall()
    with pytest.raises(duckdb.ConstraintException, match="appears 2 times"):
        store.upsert(con, "prices", twice, dt.datetime(2026, 2, 1))  # into the stored history
    assert con.execute("FROM raw.prices ORDER BY ALL").fetchall() == before
    assert con.execute("DESCRIBE raw.prices").fetchall() == described
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0


def test_a_redelivered_key_replaces_its_row_and_keeps_the_key_unique(con):
    store.upsert(con, "prices", _bars([1.0, 2.0, 3.0]), dt.datetime(2026, 1, 1))
    # the same three keys again, one changed, plus a new day: one row per key afterwards
    assert store.upsert_counts(con, "prices", _bars([1.0, 2.5, 3.0, 4.0]), dt.datetime(2026, 2, 1)) == (2, 0)
    assert store.upsert_counts(con, "prices", _bars([1.0, 2.5, 3.0, 4.0]), dt.datetime(2026, 3, 1)) == (0, 0)
    rows = con.execute("SELECT date, close, loaded_at FROM raw.prices ORDER BY date").fetchall()
    assert [(r[1], r[2].month) for r in rows] == [(1.0, 1), (2.5, 2), (3.0, 1), (4.0, 2)]
    assert con.execute("SELECT count(*) - count(DISTINCT (ticker, date)) FROM raw.prices").fetchone()[0] == 0


def test_unordered_keys_are_checked_in_sql(con, monkeypatch):
    # rows out of key order (B between two A runs): not provable in Arrow, checked by GROUP BY
    monkeypatch.setattr(store, "BATCH_ROWS", 2)
    mixed = pd.concat([_bars([1.0]), _bars([5.0]).assign(ticker="B"), _bars([2.0], start="2026-01-05")])
    assert store.upsert(con, "prices", mixed, dt.datetime(2026, 1, 1)) == 3
    again = pd.concat([mixed, _bars([7.0]).assign(ticker="B")])
    with pytest.raises(duckdb.ConstraintException, match="ticker=B, date=2026-01-02"):
        store.upsert(con, "prices", again, dt.datetime(2026, 2, 1))


def test_key_order_proves_uniqueness_only_for_grouped_increasing_keys():
    import pyarrow as pa

    def unique(*batches):
        order = store.KeyOrder(["ticker", "date"])
        for tickers, days in batches:
            order.feed(pa.table({"ticker": tickers, "date": days}))
        return order.unique

    assert unique((["A", "A", "B"], [1, 2, 1]), (["B", "C"], [2, 1]))
    assert not unique((["A", "A"], [1, 1]), )  # the same key in a row
    assert not unique((["A", "A"], [2, 1]), )  # not increasing: not proven
    assert not unique((["A", "B"], [1, 1]), (["A"], [2]))  # A's run comes back in a later batch
    assert not unique((["A", "B", "A"], [1, 1, 2]), )  # and within a batch
    assert not unique((["A"], [2]), (["A"], [2]))  # the key ends one batch and starts the next
    assert not store.KeyOrder(["ticker"]).unique  # one-column keys: left to SQL


def test_a_store_from_before_keys_were_dropped_is_rebuilt_without_them(tmp_path):
    wh = store.Warehouse.at(tmp_path)
    old = duckdb.connect(str(wh.store))
    old.execute("CREATE SCHEMA raw")
    old.execute("CREATE TABLE raw.prices (ticker VARCHAR NOT NULL, date DATE NOT NULL, open DOUBLE, high DOUBLE, "
                "low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE, source VARCHAR NOT NULL, "
                "loaded_at TIMESTAMP NOT NULL, PRIMARY KEY (ticker, date))")
    old.execute("INSERT INTO raw.prices (ticker, date, close, source, loaded_at) "
                "VALUES ('A', '2026-01-02', 1.0, 't', '2026-01-01')")
    old.close()
    with wh.connect("run1") as c:
        assert c.execute("SELECT count(*) FROM duckdb_constraints() WHERE schema_name = 'raw' "
                         "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 0
        assert c.execute("SELECT ticker, date, close FROM raw.prices").fetchall() == [("A", dt.date(2026, 1, 2), 1.0)]
        not_null = c.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'prices' "
                             "AND NOT is_nullable ORDER BY column_index").fetchall()
        assert [r[0] for r in not_null] == ["ticker", "date", "source", "loaded_at"]
        assert store.drop_raw_keys(c) == []  # once


def test_a_changed_list_value_is_rewritten_in_place(con):
    universe = pd.DataFrame([{"ticker": "A", "segments": ["x"], "source": "t"},
                             {"ticker": "B", "segments": ["y"], "source": "t"}])
    store.upsert(con, "universe", universe, dt.datetime(2026, 1, 1))
    universe.at[0, "segments"] = ["x", "z"]
    assert store.upsert(con, "universe", universe, dt.datetime(2026, 2, 1), replace_all=True) == 1
    assert con.execute("SELECT ticker, segments, month(loaded_at) FROM raw.universe ORDER BY ticker").fetchall() == [
        ("A", ["x", "z"], 2), ("B", ["y"], 1)]


def test_key_order_leaves_null_keys_to_sql():
    import pyarrow as pa

    order = store.KeyOrder(["ticker", "date"])
    order.feed(pa.table({"ticker": ["A"], "date": pa.array([None], pa.int64())}))
    order.feed(pa.table({"ticker": ["A"], "date": [1]}))
    assert not order.unique
