"""cooling_breakouts on hand-built series: one breakout per status, and what is not a breakout.

Small windows keep the series short: a breakout is a close above the prior 10-session high on
1.5x the prior 5-session average volume, within the last 8 sessions; attention compares the
last 7 calendar days with the 14 before them.
"""

import datetime as dt

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-02-02", "2026-03-31")[:30]
AS_OF = DAYS[-1]
P = dict(breakout_lookback=10, volume_avg_sessions=5, breakout_window=8,
         attention_recent_days=7, attention_base_days=14)
BASE_VOLUME = 1000.0


def _series(moves: dict[int, float], volumes: dict[int, float] | None = None, start: int = 0):
    """Close 100 until the first move, then each move sets the close from that session on."""
    rows, close = [], 100.0
    for i in range(start, len(DAYS)):
        close = moves.get(i, close)
        rows.append((DAYS[i], close, (volumes or {}).get(i, BASE_VOLUME)))
    return rows


BREAKOUT_VOLUME = 2000.0  # 2x the prior average
SERIES = {
    # breaks out at 24 (110), peaks at 26 (115), ends 108: 6.1% off the peak, attention -50%
    "COOL": _series({24: 110, 25: 112, 26: 115, 27: 112, 29: 108}, {24: BREAKOUT_VOLUME}),
    # same price path without any attention: cooling on price alone
    "QUIET": _series({24: 110, 25: 112, 26: 115, 27: 112, 29: 108}, {24: BREAKOUT_VOLUME}),
    # same price path, attention flat: a pullback without fading interest is only holding
    "STEADY": _series({24: 110, 25: 112, 26: 115, 27: 112, 29: 108}, {24: BREAKOUT_VOLUME}),
    # back below the breakout level (100)
    "FAIL": _series({25: 110, 27: 104, 29: 95}, {25: BREAKOUT_VOLUME}),
    # broke out yesterday, higher today, attention rising
    "HEAT": _series({28: 110, 29: 111}, {28: BREAKOUT_VOLUME}),
    # 4.2% off the peak: neither cooling (5%) nor heating (2%)
    "HOLD": _series({24: 110, 26: 120, 29: 115}, {24: BREAKOUT_VOLUME}),
    # two breakouts in the window: the first one counts
    "TWICE": _series({23: 110, 26: 120}, {23: BREAKOUT_VOLUME, 26: BREAKOUT_VOLUME}),
    # not breakouts: too little volume; before the window; too little history
    "THIN": _series({24: 110}, {24: 1400.0}),
    "OLD": _series({15: 110}, {15: BREAKOUT_VOLUME}),
    "NEW": _series({28: 110}, {28: BREAKOUT_VOLUME}, start=20),
    # an index breaking out is not an equity
    "^IDX": _series({24: 110}, {24: BREAKOUT_VOLUME}),
}


def _attention(ticker, recent, base):
    rows = []
    for back in range(21):
        day = AS_OF - dt.timedelta(days=back)
        rows.append({"source": "sample", "term": ticker, "ticker": ticker, "date": day,
                     "value": recent if back < 7 else base})
    return rows


@pytest.fixture
def built(con):
    prices = [{"ticker": t, "date": d, "close": c, "volume": v}
              for t, rows in SERIES.items() for d, c, v in rows]
    # after the as-of day: ignored (would be a new peak for COOL)
    prices.append({"ticker": "COOL", "date": calendar.sessions(AS_OF + dt.timedelta(days=1), "2026-04-30")[0],
                   "close": 200.0, "volume": 5000.0})
    load(con, "prices", prices)
    load(con, "universe", [{"ticker": t, "asset_type": "index" if t.startswith("^") else "equity",
                            "segments": ["small_cap"]} for t in SERIES])
    attention = (_attention("COOL", 50, 100) + _attention("STEADY", 100, 100)
                 + _attention("FAIL", 40, 100) + _attention("HEAT", 200, 100))
    # a second, sparser source for COOL is ignored: the one with more days wins
    attention += [{"source": "google_trends", "term": "cool", "ticker": "COOL", "date": AS_OF, "value": 1.0}]
    load(con, "attention", attention)
    build_all(con, run_params(AS_OF, **P))
    return con


def _rows(con):
    cur = con.execute("SELECT * FROM marts.cooling_breakouts ORDER BY ticker")
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def test_statuses(built):
    rows = _rows(built)
    assert {t: r["status"] for t, r in rows.items()} == {
        "COOL": "cooling", "QUIET": "cooling", "STEADY": "holding", "FAIL": "failed",
        "HEAT": "heating", "HOLD": "holding", "TWICE": "heating",  # at its peak, attention unknown
    }
    assert all(r["as_of"] == AS_OF for r in rows.values())


def test_cooling_measures(built):
    r = _rows(built)["COOL"]
    assert r["breakout_date"] == DAYS[24]
    assert r["breakout_level"] == 100
    assert r["breakout_close"] == 110
    assert r["volume_ratio"] == pytest.approx(2.0)
    assert (r["peak_close"], r["peak_date"]) == (115, DAYS[26])
    assert r["close"] == 108
    assert r["pullback_pct"] == pytest.approx((1 - 108 / 115) * 100)
    assert r["above_level_pct"] == pytest.approx(8.0)
    assert r["days_since_breakout"] == 5
    assert r["attention_source"] == "sample"
    assert (r["attention_recent"], r["attention_base"]) == (50, 100)
    assert r["attention_change_pct"] == pytest.approx(-50.0)


def test_failed_and_heating(built):
    rows = _rows(built)
    assert rows["FAIL"]["close"] < rows["FAIL"]["breakout_level"]
    heat = rows["HEAT"]
    assert (heat["days_since_breakout"], heat["pullback_pct"], heat["peak_date"]) == (1, 0, AS_OF)
    assert heat["attention_change_pct"] == pytest.approx(100.0)
    assert rows["QUIET"]["attention_change_pct"] is None


def test_first_breakout_in_window_counts(built):
    r = _rows(built)["TWICE"]
    assert (r["breakout_date"], r["breakout_level"], r["peak_close"]) == (DAYS[23], 100, 120)


def test_thresholds_are_parameters(con):
    prices = [{"ticker": "COOL", "date": d, "close": c, "volume": v} for d, c, v in SERIES["COOL"]]
    load(con, "prices", prices)
    load(con, "universe", [{"ticker": "COOL", "asset_type": "equity"}])
    load(con, "attention", _attention("COOL", 50, 100))
    build_all(con, run_params(AS_OF, **P, cooling_pullback_pct=7))
    assert _rows(con)["COOL"]["status"] == "holding"      # 6.1% is no longer enough
    build_all(con, run_params(AS_OF, **P, volume_confirm_ratio=2.5))
    assert _rows(con) == {}                                # 2x volume no longer confirms
