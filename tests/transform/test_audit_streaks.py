"""Audit fixes in relative_strength_streaks (issue #15, items 8 and 12): ties neither extend
nor start a streak, a weekend bar is ignored with a note, and the first common session has a row."""

import datetime as dt

from scout_pipeline.build import build_all
from scout_pipeline.run_notes import off_calendar_bars
from tests.conftest import load, run_params
from tests.transform.test_relative_strength_streaks import DAYS, _load_pair, _rows


def _streaks(con):
    return [(r[0], r[1], r[2], r[7]) for r in _rows(con)]  # date, streak_days, streak_start, outperformed


def test_a_tie_neither_extends_nor_starts_a_losing_streak(con):
    d = DAYS[:8]
    # ahead, ahead, tie, ahead, behind, tie, behind (base flat)
    _load_pair(con, d, [None, 0.01, 0.01, 0.0, 0.01, -0.01, 0.0, -0.01])
    build_all(con, run_params(d[-1]))
    assert _streaks(con) == [
        (d[0], None, None, None),
        (d[1], 1, d[1], True),
        (d[2], 2, d[1], True),
        (d[3], 2, d[1], None),     # a tie: not a loss, the ahead streak neither ends nor grows
        (d[4], 3, d[1], True),     # ... and goes on
        (d[5], -1, d[5], False),
        (d[6], -1, d[5], None),    # a tie does not extend the losing streak either
        (d[7], -2, d[5], False),
    ]


def test_ties_before_any_win_start_no_streak(con):
    d = DAYS[:4]
    _load_pair(con, d, [None, 0.0, 0.0, -0.01])
    build_all(con, run_params(d[-1]))
    assert _streaks(con) == [(d[0], None, None, None), (d[1], None, None, None),
                             (d[2], None, None, None), (d[3], -1, d[3], False)]


def test_the_first_common_session_has_a_row(con):
    d = DAYS[:3]
    _load_pair(con, d, [None, 0.01, 0.01])
    build_all(con, run_params(d[-1]))
    first = con.execute("SELECT date, lead_close, base_close, ratio, lead_return, history_start "
                        "FROM marts.relative_strength_streaks ORDER BY date LIMIT 1").fetchone()
    assert first == (d[0], 100.0, 100.0, 1.0, None, d[0])
    assert con.execute("SELECT count(*) FROM marts.relative_strength_streaks").fetchone()[0] == 3


def test_a_weekend_bar_is_ignored_with_a_note(con):
    d = DAYS[:5]  # 2025-12-19 (Fri), 22, 23, 24, 26
    sunday = dt.date(2025, 12, 21)
    assert sunday.weekday() == 6
    _load_pair(con, d, [None, 0.01, 0.01, 0.01, 0.01])
    # a yfinance-style Sunday bar for both series: the lead "fell" on a day nobody traded
    load(con, "prices", [{"ticker": "^RUT", "date": sunday, "close": 90.0},
                         {"ticker": "^GSPC", "date": sunday, "close": 100.0}])
    build_all(con, run_params(d[-1]))
    assert [r[0] for r in _rows(con)] == d                     # no row for the Sunday
    assert [r[1] for r in _rows(con)] == [None, 1, 2, 3, 4]    # and it broke nothing
    assert off_calendar_bars(con, d[-1]) == [
        "2 price bars dated on a Saturday or Sunday (no exchange's session) ignored: "
        "^GSPC 2025-12-21, ^RUT 2025-12-21"]
    assert off_calendar_bars(con, dt.date(2025, 12, 20)) == []   # point in time
