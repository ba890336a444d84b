"""rate_expectations: implied rate arithmetic, as-of lookups of the other series, the signal."""

import datetime as dt

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-02-02", "2026-03-31")[:25]
AS_OF = DAYS[-1]


def _implied(i: int, direction: int = -1) -> float:
    """4.30% for the first 5 sessions, then 1 bp a session down (or up)."""
    return 4.30 + direction * 0.01 * max(0, i - 4)


def _load(con, direction=-1):
    rows = [{"series": "ZQ=F", "date": d, "value": 100 - _implied(i, direction)} for i, d in enumerate(DAYS)]
    rows += [
        {"series": "ZQ=F", "date": AS_OF + dt.timedelta(days=3), "value": 90.0},   # after as-of: ignored
        {"series": "DFF", "date": DAYS[0] - dt.timedelta(days=1), "value": 4.33},
        {"series": "DFF", "date": DAYS[22], "value": 4.08},
        {"series": "DFF", "date": AS_OF + dt.timedelta(days=1), "value": 9.99},   # after as-of: ignored
        {"series": "^IRX", "date": DAYS[0], "value": 4.2},
    ]
    load(con, "rates", rows)


def _rows(con):
    cur = con.execute("SELECT * FROM marts.rate_expectations ORDER BY date")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_implied_rate_and_changes(con):
    _load(con)
    build_all(con, run_params(AS_OF))
    rows = _rows(con)
    assert [r["date"] for r in rows] == DAYS
    last = rows[-1]
    assert last["fed_funds_future"] == pytest.approx(95.90)
    assert last["implied_policy_rate"] == pytest.approx(4.10)
    assert last["effective_rate"] == 4.08            # the last DFF on or before the day
    assert last["tbill_3m"] == 4.2                   # carried forward
    assert last["treasury_2y"] is None               # no DGS2 in this source
    assert last["implied_cut_bps"] == pytest.approx(-2.0)
    assert last["implied_change_5d_bps"] == pytest.approx(-5.0)
    assert last["implied_change_20d_bps"] == pytest.approx(-20.0)
    assert last["signal"] == "dovish shift"
    assert rows[21]["effective_rate"] == 4.33
    assert rows[21]["implied_cut_bps"] == pytest.approx((4.33 - 4.13) * 100)


def test_signal_thresholds(con):
    _load(con)
    build_all(con, run_params(AS_OF))
    signals = [r["signal"] for r in _rows(con)]
    assert signals[:20] == ["insufficient history"] * 20
    # the 20-session change at session i is -(i - 4) bp: -16 at 20 ... -20 at 24
    assert signals[20:] == ["dovish shift"] * 5
    build_all(con, run_params(AS_OF, rate_signal_bps=18))
    assert [r["signal"] for r in _rows(con)][20:] == ["steady", "steady", "dovish shift", "dovish shift", "dovish shift"]


def test_hawkish_shift(con):
    _load(con, direction=+1)
    build_all(con, run_params(AS_OF))
    last = _rows(con)[-1]
    assert last["implied_change_20d_bps"] == pytest.approx(20.0)
    assert last["signal"] == "hawkish shift"
