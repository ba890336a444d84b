"""Streak logic on hand-built series with known answers."""

import datetime as dt

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

# Sessions around Christmas 2025: the 25th is a holiday and does not appear.
DAYS = calendar.sessions("2025-12-19", "2026-01-12")
LEAD_RETURNS = [None, 0.01, 0.01, -0.01, 0.0, 0.01, 0.01, 0.01, -0.01, 0.01]  # base is flat


def _series(returns):
    closes, level = [], 100.0
    for r in returns:
        level = level if r is None else level * (1 + r)
        closes.append(level)
    return closes


def _load_pair(con, days, lead_returns, base_days=None, extra_after=None):
    lead = _series(lead_returns)
    rows = [{"ticker": "^RUT", "date": d, "close": c} for d, c in zip(days, lead)]
    rows += [{"ticker": "^GSPC", "date": d, "close": 100.0} for d in (base_days or days)]
    if extra_after:
        rows += [{"ticker": t, "date": extra_after, "close": 500.0} for t in ("^RUT", "^GSPC")]
    load(con, "prices", rows)
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC",
                         "label": "Russell 2000 vs S&P 500"}])


def _rows(con):
    return con.execute(
        "SELECT date, streak_days, streak_start, prior_comparable_end, prior_comparable_days, "
        "longest_streak_days, longest_streak_end, outperformed "
        "FROM marts.relative_strength_streaks ORDER BY date").fetchall()


def test_signed_streaks_ties_and_history(con):
    days = DAYS[:10]
    assert dt.date(2025, 12, 25) not in days
    _load_pair(con, days, LEAD_RETURNS)
    build_all(con, run_params(days[-1]))
    got = _rows(con)
    d = days
    expected = [
        # date, streak, start, prior_end, prior_days, longest, longest_end, outperformed
        (d[0], None, None, None, None, None, None, None),  # the first common session has a row
        (d[1], 1, d[1], None, None, 1, d[1], True),
        (d[2], 2, d[1], None, None, 2, d[2], True),
        (d[3], -1, d[3], None, None, -1, d[3], False),
        (d[4], -1, d[3], None, None, -1, d[3], None),   # a tie: nobody won, the streak as it stood
        (d[5], 1, d[5], d[2], 2, 2, d[2], True),
        (d[6], 2, d[5], d[2], 2, 2, d[6], True),        # ties the record: the newest counts
        (d[7], 3, d[5], None, None, 3, d[7], True),     # longest so far: no prior comparable
        (d[8], -1, d[8], d[3], -1, -1, d[8], False),    # the behind streak before was 1 session
        (d[9], 1, d[9], d[7], 3, 3, d[7], True),
    ]
    assert got == expected


def test_session_missing_on_one_side_is_skipped(con):
    days = DAYS[:6]
    base_days = [d for i, d in enumerate(days) if i != 2]
    _load_pair(con, days, [None, 0.01, 0.02, -0.01, 0.01, 0.01], base_days=base_days)
    build_all(con, run_params(days[-1]))
    rows = con.execute("SELECT date, lead_return FROM marts.relative_strength_streaks ORDER BY date").fetchall()
    assert [r[0] for r in rows] == [days[0], days[1], days[3], days[4], days[5]]
    # the lead's move over the missing session is counted in the next common session
    assert rows[2][1] == pytest.approx(1.01 * 1.02 * 0.99 / 1.01 - 1)


def test_direction_flips_every_session(con):
    days = DAYS[:7]
    _load_pair(con, days, [None, 0.01, -0.01, 0.01, -0.01, 0.01, -0.01])
    build_all(con, run_params(days[-1]))
    assert [r[1] for r in _rows(con)] == [None, 1, -1, 1, -1, 1, -1]
    assert all(r[2] == r[0] for r in _rows(con)[1:])  # each streak starts the day it happens


def test_data_after_as_of_is_never_used(con):
    days = DAYS[:10]
    _load_pair(con, days, LEAD_RETURNS, extra_after=DAYS[11])
    build_all(con, run_params(days[-1]))
    assert con.execute("SELECT max(date) FROM marts.relative_strength_streaks").fetchone()[0] == days[-1]
    build_all(con, run_params(days[5]))
    assert con.execute("SELECT max(date) FROM marts.relative_strength_streaks").fetchone()[0] == days[5]


def test_pair_with_a_missing_series_yields_no_rows(con):
    _load_pair(con, DAYS[:5], [None, 0.01, 0.01, 0.01, 0.01])
    load(con, "pairs", [{"pair_id": "x", "lead": "NOPE", "base": "^GSPC", "label": "x"}])
    build_all(con, run_params(DAYS[4]))
    pairs = con.execute("SELECT DISTINCT pair_id FROM marts.relative_strength_streaks").fetchall()
    assert pairs == [("smallcap_vs_largecap",)]


def test_history_start_is_the_first_common_session(con):
    """Every claim of the mart is bounded by the history loaded: `history_start` names where it
    starts (the pair's first session with both series), on every row, point in time."""
    days = DAYS[:10]
    _load_pair(con, days, LEAD_RETURNS, base_days=days[2:])  # the base starts two sessions later
    build_all(con, run_params(days[-1]))
    starts = con.execute("SELECT DISTINCT history_start FROM marts.relative_strength_streaks").fetchall()
    assert starts == [(days[2],)]
    first = con.execute("SELECT date, lead_return, streak_days FROM marts.relative_strength_streaks "
                        "ORDER BY date LIMIT 1").fetchone()
    assert first == (days[2], None, None)  # a row, but the first return needs the session before it


def test_longest_and_prior_comparable_are_measured_in_the_loaded_history(con):
    """The same series with its first sessions not loaded: the earlier 2-session streak is
    outside the history, so the later one has no prior comparable and is the longest in it."""
    days = DAYS[:10]
    _load_pair(con, days[3:], LEAD_RETURNS[3:])  # loaded from d3 on; d3's move is not a return
    build_all(con, run_params(days[6]))
    row = con.execute("SELECT streak_days, prior_comparable_end, longest_streak_days, longest_streak_end, "
                      "history_start FROM marts.relative_strength_streaks WHERE date = ?", [days[6]]).fetchone()
    assert row == (2, None, 2, days[6], days[3])  # with d0-d2 loaded: prior comparable d2 (2 sessions)
