"""The snapshot reader: contract errors name the file and the column; point in time."""

import datetime as dt

import pytest

from scout_pipeline.sources.snapshot import SnapshotError, load_snapshot

AS_OF = dt.date(2026, 1, 9)


def _write(dir_, name, text):
    (dir_ / name).write_text(text)


def test_prices_only_snapshot_derives_universe_and_pairs(tmp_path):
    _write(tmp_path, "prices.csv", "ticker,date,close\n^RUT,2026-01-08,2500\n^GSPC,2026-01-08,6900\n"
                                   "^RUT,2026-01-12,2510\n")
    data = load_snapshot(tmp_path, AS_OF)
    prices = data.get("prices")
    assert len(prices) == 2  # the bar after the as-of day is dropped
    assert any("after 2026-01-09" in n for n in data.notes)
    assert sorted(data.get("universe")["ticker"]) == ["^GSPC", "^RUT"]
    assert list(data.get("pairs")["pair_id"]) == ["smallcap_vs_largecap"]
    assert any("skipped sp600_vs_sp500" in n for n in data.notes)
    assert data.get("fundamentals") is None and any(n.startswith("fundamentals:") for n in data.notes)


@pytest.mark.parametrize("text, message", [
    ("ticker,date\n^RUT,2026-01-08\n", "required column 'close' is missing"),
    ("ticker,date,close,colour\n^RUT,2026-01-08,1,red\n", "unknown column 'colour'"),
    ("ticker,date,close\n^RUT,2026-01-08,abc\n", "column 'close' must be numeric; found ['abc'] (lines [2])"),
    ("ticker,date,close\n^RUT,yesterday,1\n", "column 'date' has values that are not dates"),
    ("ticker,date,close\n,2026-01-08,1\n", "key column 'ticker' has empty values"),
])
def test_contract_errors_name_file_and_column(tmp_path, text, message):
    _write(tmp_path, "prices.csv", text)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(tmp_path, AS_OF)
    assert "prices.csv" in str(err.value) and message in str(err.value)


def test_missing_prices_and_missing_directory(tmp_path):
    with pytest.raises(SnapshotError, match="prices.csv .* is required"):
        load_snapshot(tmp_path, AS_OF)
    with pytest.raises(SnapshotError, match="does not exist"):
        load_snapshot(tmp_path / "nope", AS_OF)


def test_optional_dataset_errors_name_their_file(tmp_path):
    _write(tmp_path, "prices.csv", "ticker,date,close\n^RUT,2026-01-08,1\n")
    _write(tmp_path, "rates.csv", "series,date\nDFF,2026-01-08\n")
    with pytest.raises(SnapshotError, match=r"rates.csv: required column 'value' is missing"):
        load_snapshot(tmp_path, AS_OF)


def test_parquet_and_attention_by_ticker(tmp_path):
    import pandas as pd

    pd.DataFrame({"ticker": ["MOD"], "date": [pd.Timestamp("2026-01-08")], "close": [100.0]}).to_parquet(
        tmp_path / "prices.parquet")
    _write(tmp_path, "attention.csv", "ticker,date,value\nMOD,2026-01-08,120\n")
    data = load_snapshot(tmp_path, AS_OF)
    att = data.get("attention")
    assert att.loc[0, "term"] == "MOD" and att.loc[0, "source"] == "snapshot"


def test_fomc_calendar_overrides_the_bundle_and_keeps_future_meetings(tmp_path):
    _write(tmp_path, "prices.csv", "ticker,date,close\n^RUT,2026-01-08,2500\n")
    _write(tmp_path, "rates.csv", "series,date,value\nZQF26.CBT,2026-01-08,96.36\nZQG26.CBT,2026-01-08,96.40\n")
    bundled = load_snapshot(tmp_path, AS_OF)
    assert bundled.get("fomc_calendar")["meeting_date"].min() == dt.datetime(2025, 1, 29)
    assert set(bundled.get("fomc_calendar")["source"]) == {"fed_schedule"}
    assert any(n.startswith("fomc_calendar: none in snapshot") for n in bundled.notes)
    assert sorted(bundled.get("rates")["series"]) == ["ZQF26.CBT", "ZQG26.CBT"]  # contract months pass
    _write(tmp_path, "fomc_calendar.csv", "meeting_date,first_day\n2025-12-10,2025-12-09\n2026-01-28,2026-01-27\n")
    own = load_snapshot(tmp_path, AS_OF)
    cal = own.get("fomc_calendar")
    # scheduled meetings after the as-of day are kept: they are what the futures price
    assert [d.date() for d in cal["meeting_date"]] == [dt.date(2025, 12, 10), dt.date(2026, 1, 28)]
    assert set(cal["source"]) == {"snapshot"}


def test_fomc_calendar_errors_name_the_file(tmp_path):
    _write(tmp_path, "prices.csv", "ticker,date,close\n^RUT,2026-01-08,2500\n")
    _write(tmp_path, "fomc_calendar.csv", "meeting_date\nnext spring\n")
    with pytest.raises(SnapshotError, match="fomc_calendar.csv.*'meeting_date' has values that are not dates"):
        load_snapshot(tmp_path, AS_OF)
