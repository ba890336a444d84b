"""One source family per warehouse: the marker, the inference for older stores, --start-over."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from scout_pipeline import source_family, store


def _store(path, source: str, marker: str | None = None) -> None:
    con = duckdb.connect(str(path))
    con.execute(store.SCHEMA_SQL.read_text())
    store.upsert(con, "prices", pd.DataFrame([{"ticker": "^RUT", "date": "2026-01-09", "close": 2500.0,
                                               "source": source}]), dt.datetime(2026, 1, 9))
    if marker:
        source_family.record(con, marker)
    con.close()


@pytest.mark.parametrize("rows, marker, family", [
    ("sample", None, "sample"), ("yahoo", None, "live"), ("my_vendor", None, "snapshot"),
    ("sample", "/data/snap", "snapshot"),  # a replayed sample snapshot: the marker says how it was loaded
    ("yahoo", "live", "live"),
])
def test_the_family_a_store_holds(tmp_path, rows, marker, family):
    _store(tmp_path / "store.duckdb", rows, marker)
    assert source_family.stored_family(tmp_path / "store.duckdb") == family


def test_a_new_or_empty_warehouse_takes_any_source(tmp_path):
    source_family.check(tmp_path / "none", "live")
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    con.execute(store.SCHEMA_SQL.read_text())
    con.close()
    source_family.check(tmp_path, "sample")


def test_another_family_is_refused_naming_the_way_out(tmp_path):
    _store(tmp_path / "store.duckdb", "yahoo", "live")
    source_family.check(tmp_path, "live")
    with pytest.raises(source_family.SourceMismatch) as err:
        source_family.check(tmp_path, "sample")
    assert "holds live data, and a sample run would replace the stored live history" in str(err.value)
    assert "--start-over" in str(err.value)


def test_start_over_moves_every_data_file_aside_and_deletes_nothing(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    _store(wh / "store.duckdb", "sample", "sample")
    (wh / "scout.duckdb").write_bytes(b"published")
    (wh / ".parquet-builds" / "run1").mkdir(parents=True)
    (wh / ".parquet-builds" / "run1" / "m.parquet").write_bytes(b"pq")
    (wh / "parquet").symlink_to(".parquet-builds/run1")
    (wh / "journal").mkdir()
    (wh / "dagster").mkdir()  # run history stays: the UI keeps showing earlier runs
    moved = source_family.start_over(wh, now=dt.datetime(2026, 1, 9, 12, tzinfo=dt.timezone.utc))
    assert moved == wh / "previous" / "20260109T120000Z"
    assert sorted(p.name for p in moved.iterdir()) == [".parquet-builds", "journal", "parquet",
                                                       "scout.duckdb", "store.duckdb"]
    assert (moved / "parquet" / "m.parquet").read_bytes() == b"pq"  # the link still resolves
    assert (wh / "dagster").is_dir() and not (wh / "store.duckdb").exists()
    source_family.check(wh, "live")  # the warehouse now takes the new family
    assert source_family.start_over(wh) is None  # nothing left to move
