"""market_breadth on hand-built series: moving-average and high/low counts, equal- versus
cap-weighted returns. Short windows: 3- and 5-session averages, 4-session highs/lows,
the last 3 sessions shown."""

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-02-02", "2026-03-31")[:25]
AS_OF = DAYS[-1]
P = dict(breadth_short_ma_sessions=3, breadth_long_ma_sessions=5, new_high_low_sessions=4,
         breadth_history_sessions=3, fundamentals_max_age_days=30)


def _closes(tail):
    """100 for every session, then `tail` as the last len(tail) closes."""
    return [100.0] * (len(DAYS) - len(tail)) + list(tail)


SERIES = {
    "A": _closes([101, 102, 103, 104, 105]),    # rising: above both averages, a new high
    "B": _closes([99, 98, 97, 96, 95]),         # falling: below both, a new low
    "C": _closes([110, 90, 100]),               # 100 = both averages (not above), inside its range
    "L": _closes([]),                           # large cap, flat
}
CAPS = [("A", DAYS[10], 300.0), ("A", calendar.sessions(AS_OF, "2026-04-30")[1], 1e12),  # future: ignored
        ("B", AS_OF, 100.0), ("D", DAYS[23], 100.0)]


@pytest.fixture
def built(con):
    prices = [{"ticker": t, "date": d, "close": c} for t, cs in SERIES.items() for d, c in zip(DAYS, cs)]
    prices += [{"ticker": "D", "date": DAYS[23], "close": 50.0}, {"ticker": "D", "date": DAYS[24], "close": 55.0}]
    load(con, "prices", prices)
    load(con, "universe", [{"ticker": t, "asset_type": "equity", "segments": ["small_cap"]} for t in "ABCD"]
         + [{"ticker": "L", "asset_type": "equity", "segments": ["large_cap"]},
            {"ticker": "^RUT", "asset_type": "index", "segments": ["small_cap"]}])
    load(con, "fundamentals", [{"ticker": t, "as_of": d, "market_cap": c} for t, d, c in CAPS])
    build_all(con, run_params(AS_OF, **P))
    return con


def _row(con, as_of, segment):
    cur = con.execute("SELECT * FROM marts.market_breadth WHERE as_of = ? AND segment = ?", [as_of, segment])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0]))


def test_history_window(built):
    keys = built.execute("SELECT as_of, segment FROM marts.market_breadth ORDER BY ALL").fetchall()
    assert keys == [(d, s) for d in DAYS[-3:] for s in ("large_cap", "small_cap")]


def test_trend_and_high_low_counts(built):
    r = _row(built, AS_OF, "small_cap")
    assert r["members"] == 4                         # D counts as a member ...
    assert r["pct_above_50d"] == pytest.approx(100 / 3)  # ... but has no history: A of A, B, C
    assert r["pct_above_200d"] == pytest.approx(100 / 3)
    assert (r["new_highs"], r["new_lows"]) == (1, 1)


def test_equal_versus_cap_weighted_returns(built):
    r = _row(built, AS_OF, "small_cap")
    r1 = {"A": 105 / 104 - 1, "B": 95 / 96 - 1, "C": 100 / 90 - 1, "D": 55 / 50 - 1}
    assert r["equal_weight_return_1d"] == pytest.approx(sum(r1.values()) / 4)
    # weights are the caps at the START of the period (2026-03-06 for 1d), at most 30 days old:
    # A 300 (2026-02-17), D 100 (2026-03-06); B's cap is dated the end day, C has none, and
    # the future 1e12 is ignored
    cap_1d = (300 * r1["A"] + 100 * r1["D"]) / 400
    assert r["cap_weight_return_1d"] == pytest.approx(cap_1d)
    assert r["breadth_spread_1d"] == pytest.approx(sum(r1.values()) / 4 - cap_1d)
    # 5 sessions (from 2026-03-02): A +5%, B -5%, C 0 (D is too young); only A has a cap then
    assert r["equal_weight_return_5d"] == pytest.approx(0.0)
    assert r["cap_weight_return_5d"] == pytest.approx(0.05)
    assert r["breadth_spread_5d"] == pytest.approx(-0.05)
    # 20 sessions (from 2026-02-06): nobody has a cap yet, so no cap weights (not equal weights)
    assert r["equal_weight_return_20d"] == pytest.approx(0.0)
    assert r["cap_weight_return_20d"] is None and r["breadth_spread_20d"] is None
    assert r["cap_weighted_members_20d"] == 0 and r["breadth_signal"] is None


def test_no_cap_weights_without_caps(built):
    r = _row(built, AS_OF, "large_cap")
    assert r["members"] == 1
    assert r["equal_weight_return_20d"] == 0
    assert r["cap_weight_return_20d"] is None and r["breadth_spread_20d"] is None
    assert r["pct_above_50d"] == 0                    # flat: at its average, not above
    assert (r["new_highs"], r["new_lows"]) == (1, 1)  # flat: at its high and its low


def test_earlier_session(built):
    r = _row(built, DAYS[-2], "small_cap")
    assert r["members"] == 4                           # D's first session
    assert r["equal_weight_return_1d"] == pytest.approx((104 / 103 - 1 + 96 / 97 - 1 + 90 / 110 - 1) / 3)
