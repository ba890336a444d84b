"""Plausibility bounds (issue #14.12): values no real observation reaches are ERRORs.

A price dated 1700-01-01, a whole series at the largest float (1.797e308, flat, so no
one-day move gives it away) and a volume of 1e308 used to pass the gate and publish."""

import datetime as dt

import pytest

from scout_pipeline.quality.thresholds import values
from tests.conftest import load
from tests.quality.test_suites import DAYS, _bars, _failed, _run

FLOAT_MAX = 1.7976931348623157e308


def test_the_bounds_are_the_documented_ones():
    got = values()
    assert (got["min_date"], got["max_price"], got["max_volume"], got["max_magnitude"]) == \
        (dt.date(1900, 1, 1), 1e7, 1e12, 1e15)


def test_clean_bars_pass_the_bounds(con):
    load(con, "prices", _bars("MOD", closes=[9_900_000.0] * len(DAYS)))  # high (1.01 x) just under max_price
    failed = _failed(_run(con, "raw", "prices"))
    assert not {"date_plausible", "prices_plausible", "volume_plausible"} & failed.keys()


def test_a_bar_dated_1700_is_an_error(con):
    bars = _bars("MOD")
    load(con, "prices", bars + [{**bars[0], "date": dt.date(1700, 1, 1)}])
    failure = _failed(_run(con, "raw", "prices"))["date_plausible"]
    assert failure.blocking and failure.unexpected_count == 1


def test_a_whole_series_at_the_largest_float_is_an_error(con):
    bars = [{**b, "open": FLOAT_MAX, "high": FLOAT_MAX, "low": FLOAT_MAX, "close": FLOAT_MAX,
             "adj_close": FLOAT_MAX} for b in _bars("MOD")]
    load(con, "prices", bars)
    failed = _failed(_run(con, "raw", "prices"))
    assert "one_day_move_plausible" not in failed  # flat: the move check alone lets it through
    assert failed["prices_plausible"].blocking and failed["prices_plausible"].unexpected_count == len(DAYS)


def test_a_volume_of_1e308_is_an_error(con):
    bars = _bars("MOD")
    bars[-1]["volume"] = 1e308
    load(con, "prices", bars)
    failure = _failed(_run(con, "raw", "prices"))["volume_plausible"]
    assert failure.blocking and failure.unexpected_count == 1


@pytest.mark.parametrize("table, row, expectation", [
    ("rates", {"series": "DGS2", "date": dt.date(1700, 1, 1), "value": 3.5}, "date_plausible"),
    ("attention", {"term": "MOD", "ticker": "MOD", "date": dt.date(1700, 1, 1), "value": 5.0}, "date_plausible"),
    ("attention", {"term": "MOD", "ticker": "MOD", "date": DAYS[-1], "value": 1e308, "source": "snapshot"},
     "value_plausible"),
    ("fundamentals", {"ticker": "MOD", "as_of": dt.date(1700, 1, 1), "market_cap": 1e9}, "snapshot_date_plausible"),
    ("fundamentals", {"ticker": "MOD", "as_of": DAYS[-1], "market_cap": 1e9, "total_debt": 1e308},
     "numbers_plausible"),
    ("fundamentals", {"ticker": "MOD", "as_of": DAYS[-1], "market_cap": 1e9, "net_income_ttm": -1e300},
     "numbers_plausible"),
])
def test_implausible_dates_and_magnitudes_in_the_other_tables(con, table, row, expectation):
    load(con, table, [row], source=row.get("source", "test"))
    failure = _failed(_run(con, "raw", table))[expectation]
    assert failure.blocking and failure.unexpected_count == 1
