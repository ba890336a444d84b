"""Audit fixes in market_breadth and the brief's breadth sentence (issue #15, items 1 and 6):
caps at the start of the period, one staleness rule, a documented broadening rule with a
tolerance, and no "broadening" claim without cap weights."""

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-01-02", "2026-03-31")[:40]
AS_OF = DAYS[-1]
START_20D = DAYS[-21]  # the session a 20-session return at AS_OF is measured from
P = dict(breadth_short_ma_sessions=3, breadth_long_ma_sessions=5, new_high_low_sessions=4,
         breadth_history_sessions=10, breadth_trend_sessions=5)


def _path(last):
    """100 until 20 sessions before the end, then a straight line to `last`."""
    return [100.0] * 20 + [100 + (last - 100) * i / 20 for i in range(1, 21)]


SERIES = {
    "X": (_path(110), ["issue"]),                 # +10% over the last 20 sessions
    "Y": (_path(90), ["issue"]),                  # -10%
    "S1": (_path(110), ["stale"]),
    "S2": (_path(90), ["stale"]),
    "F": ([100.0] * 40, ["broad", "narrow", "flat"]),                    # flat giant
    "UP": ([100.0] * 30 + [101.0 + i for i in range(10)], ["broad"]),    # 101 .. 110
    "DOWN": ([100.0] * 30 + [99.0 - i for i in range(10)], ["narrow"]),  # 99 .. 90
}


@pytest.fixture(scope="module")
def built():
    import duckdb

    from scout_pipeline import store

    con = duckdb.connect()
    con.execute(store.SCHEMA_SQL.read_text())
    load(con, "prices", [{"ticker": t, "date": d, "close": c}
                         for t, (cs, _) in SERIES.items() for d, c in zip(DAYS, cs)])
    load(con, "universe", [{"ticker": t, "asset_type": "equity", "segments": segs}
                           for t, (_, segs) in SERIES.items()])
    caps = [("X", START_20D, 100.0), ("Y", START_20D, 100.0),      # the example:
            ("X", AS_OF, 110.0), ("Y", AS_OF, 90.0),               # end caps moved with price
            # 11 calendar days before the start: too old under fundamentals_max_age_days = 10,
            # as valuation_gap treats it; 10 days: still usable
            ("S1", START_20D - calendar.dt.timedelta(days=11), 100.0),
            ("S2", START_20D - calendar.dt.timedelta(days=10), 100.0)]
    caps += [(t, d, c) for d in DAYS for t, c in (("F", 900.0), ("UP", 100.0), ("DOWN", 100.0))]
    load(con, "fundamentals", [{"ticker": t, "as_of": d, "market_cap": c} for t, d, c in caps])
    build_all(con, run_params(AS_OF, **P))
    yield con
    con.close()


def _row(con, segment, as_of=AS_OF):
    cur = con.execute("SELECT * FROM marts.market_breadth WHERE as_of = ? AND segment = ?", [as_of, segment])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def test_cap_weights_are_the_caps_at_the_start_of_the_period(built):
    r = _row(built, "issue")
    # two names at cap 100, one +10%, one -10%: the index moved 0 (end caps 110/90 would say +1%)
    assert r["equal_weight_return_20d"] == pytest.approx(0.0, abs=1e-12)
    assert r["cap_weight_return_20d"] == pytest.approx(0.0, abs=1e-12)
    assert r["cap_weighted_members_20d"] == 2


def test_caps_older_than_fundamentals_max_age_days_are_not_used(built):
    r = _row(built, "stale")
    # S1's cap is 11 days old at the start: left out; S2's (10 days) weighs alone: -10%
    assert r["cap_weighted_members_20d"] == 1
    assert r["cap_weight_return_20d"] == pytest.approx(-0.10)
    assert r["breadth_spread_20d"] == pytest.approx(0.0 - -0.10)


def test_broadening_is_positive_and_rising(built):
    r = _row(built, "broad")
    # UP +10% (110 vs 100), F flat; caps 100 and 900: spread = 5% - 1% = 4 pts,
    # five sessions earlier UP was +5%: 2.5% - 0.5% = 2 pts: positive and rising
    assert r["breadth_spread_20d"] == pytest.approx(0.04)
    assert _row(built, "broad", DAYS[-6])["breadth_spread_20d"] == pytest.approx(0.02)
    assert r["breadth_signal"] == "broadening"
    assert _row(built, "narrow")["breadth_signal"] == "narrowing"


def test_a_zero_spread_is_not_broadening(built):
    r = _row(built, "flat")
    assert r["breadth_spread_20d"] == pytest.approx(0.0)
    assert r["breadth_signal"] == "mixed"
    # the 1e-17: equal caps make the spread 0 up to float noise, still no signal
    assert abs(_row(built, "issue")["breadth_spread_20d"]) < 1e-12
    assert _row(built, "issue")["breadth_signal"] in ("mixed", None)


def _breadth_sentence(segment_members, caps):
    """The brief's breadth headline and detail for a small_cap segment of the given names."""
    import duckdb

    from scout_pipeline import store

    c = duckdb.connect()
    c.execute(store.SCHEMA_SQL.read_text())
    load(c, "prices", [{"ticker": t, "date": d, "close": cl}
                       for t in segment_members for d, cl in zip(DAYS, SERIES[t][0])])
    load(c, "universe", [{"ticker": t, "asset_type": "equity", "segments": ["small_cap"]} for t in segment_members])
    if caps:
        load(c, "fundamentals", [{"ticker": t, "as_of": d, "market_cap": 100.0} for t in segment_members for d in DAYS])
    build_all(c, run_params(AS_OF, **{**P, "breadth_short_ma_sessions": 4}))
    row = c.execute("SELECT headline, detail FROM marts.daily_brief WHERE section = 'breadth'").fetchone()
    c.close()
    return row


def test_brief_says_what_is_known_without_cap_weights():
    headline, detail = _breadth_sentence(["UP", "F"], caps=False)
    # no fundamentals: no "broadening", the equal-weight return alone
    assert "broadening" not in headline and "narrowing" not in headline
    assert headline == ("Small caps: 50% above their 4-day average; "
                        "equal weight +5.0% over 20 sessions, no market caps to compare cap weight with")
    assert "vs cap weight n/a (no market caps at the start of the period)" in detail
    assert "2 new highs, 1 new low;" in detail   # UP and flat F at their highs; F at its low too


def test_brief_does_not_call_a_level_spread_broadening():
    headline, _ = _breadth_sentence(["F"], caps=True)
    assert headline == ("Small caps: 0% above their 4-day average; "
                        "equal weight level with cap weight over 20 sessions (neither broadening nor narrowing)")
