"""valuation_gap on a hand-built universe: aggregation with loss-makers, the fallbacks for
forward earnings, profitability, the large-cap discount, stale and future snapshots."""

import datetime as dt

import pytest

from scout_pipeline.build import build_all
from tests.conftest import load, run_params

AS_OF = dt.date(2026, 3, 31)
EARLY = AS_OF - dt.timedelta(days=30)      # stale by AS_OF (default max age 10 days)
FUTURE = AS_OF + dt.timedelta(days=1)      # after the run's day: must be ignored


def _universe(con):
    rows = [
        ("A", ["small_cap"]), ("B", ["small_cap"]), ("C", ["small_cap"]),
        ("D", ["small_cap"]), ("E", ["small_cap"]),
        ("L1", ["large_cap"]), ("L2", ["large_cap"]),
        ("X", ["biotech"]), ("Y", ["biotech"]),
    ]
    load(con, "universe", [{"ticker": t, "asset_type": "equity", "segments": s} for t, s in rows]
         + [{"ticker": "^RUT", "asset_type": "index", "segments": ["small_cap"]}])


def _snap(ticker, as_of, **fields):
    return {"ticker": ticker, "as_of": as_of, **fields}


def _fundamentals(con):
    rows = [
        # AS_OF: A and B via shares x forward EPS, C via market cap / forward P/E
        _snap("A", AS_OF, market_cap=100, shares_outstanding=10, forward_eps=1.0, trailing_eps=0.5),
        _snap("B", AS_OF, market_cap=50, shares_outstanding=5, forward_eps=-0.4, trailing_eps=-1.0),
        _snap("C", AS_OF, market_cap=30, forward_pe=15.0, net_income_ttm=-5.0),
        _snap("D", AS_OF, trailing_eps=1.0),                  # no market cap: not covered
        _snap("L1", AS_OF, market_cap=1000, shares_outstanding=10, forward_eps=5.0, trailing_eps=4.0),
        _snap("L2", AS_OF, market_cap=1000, shares_outstanding=10, forward_eps=5.0, trailing_eps=4.0),
        _snap("X", AS_OF, market_cap=100, shares_outstanding=10, forward_eps=-0.5, trailing_eps=-1.0),
        _snap("Y", AS_OF, market_cap=100, shares_outstanding=10, forward_eps=0.2, trailing_eps=0.1),
        # EARLY: only A and E; E has nothing newer, so it is stale on AS_OF
        _snap("A", EARLY, market_cap=100, shares_outstanding=10, forward_eps=1.0, trailing_eps=0.5),
        _snap("E", EARLY, market_cap=20, shares_outstanding=2, forward_eps=1.0, trailing_eps=0.3),
        # FUTURE: ignored
        _snap("A", FUTURE, market_cap=999, shares_outstanding=10, forward_eps=0.01, trailing_eps=-9.0),
    ]
    load(con, "fundamentals", rows)


@pytest.fixture
def built(con):
    _universe(con)
    _fundamentals(con)
    build_all(con, run_params(AS_OF))
    return con


def _row(con, as_of, segment):
    cur = con.execute("SELECT * FROM marts.valuation_gap WHERE as_of = ? AND segment = ?", [as_of, segment])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


def test_rows_per_snapshot_day_and_segment(built):
    keys = built.execute("SELECT as_of, segment FROM marts.valuation_gap ORDER BY ALL").fetchall()
    segments = ["biotech", "large_cap", "small_cap"]   # the index's segment does not count
    assert keys == [(EARLY, s) for s in segments] + [(AS_OF, s) for s in segments]


def test_forward_pe_includes_losses(built):
    r = _row(built, AS_OF, "small_cap")
    assert (r["constituents"], r["snapshots"], r["covered"]) == (5, 4, 3)   # E stale, D no cap
    # earnings: A 10 x 1.0 = 10, B 5 x -0.4 = -2, C 30 / 15 = 2  ->  sum 10 over caps 180
    assert r["market_cap"] == pytest.approx(180)
    assert r["forward_earnings"] == pytest.approx(10)
    assert r["forward_pe"] == pytest.approx(18.0)
    assert r["forward_pe_ex_negative"] == pytest.approx(130 / 12)
    assert r["median_forward_pe"] == pytest.approx((10 + 15) / 2)
    assert r["earnings_yield"] == pytest.approx(10 / 180)
    assert r["loss_makers"] == 1
    # unprofitable: B (trailing EPS < 0) and C (no EPS, net income < 0), of A..D known
    assert r["unprofitable_count"] == 2
    assert r["unprofitable_pct"] == pytest.approx(50.0)
    assert r["unprofitable_cap_pct"] == pytest.approx(100 * 80 / 180)   # D has no cap
    # large caps at 2000 / 100 = 20x: 18x is a 10% discount
    assert r["large_cap_forward_pe"] == pytest.approx(20.0)
    assert r["discount_pct"] == pytest.approx(10.0)


def test_negative_aggregate_earnings_give_null_pe(built):
    r = _row(built, AS_OF, "biotech")
    assert r["forward_earnings"] == pytest.approx(-5 + 2)
    assert r["forward_pe"] is None
    assert r["discount_pct"] is None
    assert r["forward_pe_ex_negative"] == pytest.approx(100 / 2)
    assert r["earnings_yield"] == pytest.approx(-3 / 200)
    assert r["unprofitable_pct"] == pytest.approx(50.0)


def test_large_cap_compares_with_itself(built):
    r = _row(built, AS_OF, "large_cap")
    assert r["forward_pe"] == pytest.approx(20.0)
    assert r["discount_pct"] == 0
    assert r["unprofitable_count"] == 0


def test_point_in_time_history(built):
    early = _row(built, EARLY, "small_cap")
    assert (early["snapshots"], early["covered"]) == (2, 2)
    assert early["forward_pe"] == pytest.approx(120 / 12)
    assert early["discount_pct"] is None           # no large-cap snapshot yet
    assert _row(built, EARLY, "large_cap")["covered"] == 0
    # the FUTURE snapshot changed nothing on AS_OF (A still 10x forward earnings)
    assert _row(built, AS_OF, "small_cap")["forward_pe"] == pytest.approx(18.0)


def test_stale_snapshots_respect_the_parameter(con):
    _universe(con)
    _fundamentals(con)
    build_all(con, run_params(AS_OF, fundamentals_max_age_days=60))
    r = _row(con, AS_OF, "small_cap")
    assert (r["snapshots"], r["covered"]) == (5, 4)          # E's 30-day-old snapshot counts now
    assert r["forward_pe"] == pytest.approx(200 / 12)
