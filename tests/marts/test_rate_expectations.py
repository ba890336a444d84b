"""rate_expectations: headline measures from the per-meeting figures, the signal, a roll day.

24 sessions, 2025-04-01 .. 2025-05-05, across the April -> May contract roll of ZQ=F. The
calendar is the Fed's 2025-26 schedule. Contract months (implied average rate, percent):
April 4.33 (= DFF), May priced for a certain 25 bp cut on May 7 ((7 x 4.33 + 24 x 4.08) / 31),
every later month at the post-June rate `after_june` (4.08 unless a test moves it).
"""

import datetime as dt

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from scout_pipeline.sources.fomc import contract_month, contract_symbols
from tests.conftest import load, run_params

DAYS = calendar.sessions("2025-04-01", "2025-05-05")
AS_OF = DAYS[-1]
MEETINGS = ["2025-05-07", "2025-06-18", "2025-07-30", "2025-09-17", "2025-10-29", "2025-12-10",
            "2026-01-28", "2026-03-18", "2026-04-29"]
R_MAY = (7 * 4.33 + 24 * 4.08) / 31


def _load(con, after_june=lambda i: 4.08):
    load(con, "fomc_calendar", [{"meeting_date": m} for m in MEETINGS], source="fed_schedule")
    rows = [{"series": "DFF", "date": DAYS[0] - dt.timedelta(days=1), "value": 4.33},
            {"series": "DFEDTARL", "date": dt.date(2024, 12, 19), "value": 4.25},
            {"series": "DFEDTARU", "date": dt.date(2024, 12, 19), "value": 4.50},
            {"series": "^IRX", "date": DAYS[0], "value": 4.2}]
    for i, day in enumerate(DAYS):
        e = after_june(i)
        for symbol in contract_symbols(day):
            month = contract_month(symbol)
            rate = {dt.date(2025, 4, 1): 4.33, dt.date(2025, 5, 1): R_MAY,
                    dt.date(2025, 6, 1): (18 * 4.08 + 12 * e) / 30}.get(month, e)
            rows.append({"series": symbol, "date": day, "value": 100 - rate})
        # the continuous front month: April's contract until April 30, May's from May 1
        rows.append({"series": "ZQ=F", "date": day, "value": 100 - (4.33 if day.month == 4 else R_MAY)})
    rows.append({"series": "ZQ=F", "date": AS_OF + dt.timedelta(days=3), "value": 90.0})  # after as-of
    load(con, "rates", rows)


def _rows(con):
    cur = con.execute("SELECT * FROM marts.rate_expectations ORDER BY date")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_roll_day_moves_the_old_front_month_measure_but_not_the_per_meeting_ones(con):
    _load(con)
    build_all(con, run_params(AS_OF))
    rows = _rows(con)
    assert [r["date"] for r in rows] == DAYS
    last, roll = rows[-1], next(r for r in rows if r["date"] == dt.date(2025, 5, 1))
    # the old method: 100 - ZQ=F drops 19.4 bp on the roll day, an apparent "dovish shift"
    old_5d = (rows[-1]["implied_policy_rate"] - rows[-6]["implied_policy_rate"]) * 100
    assert old_5d == pytest.approx((R_MAY - 4.33) * 100, abs=0.01) and old_5d <= -10
    assert roll["implied_policy_rate"] == pytest.approx(R_MAY, abs=1e-4)
    # the new one: the same meetings priced the same way -> no change, steady
    assert last["implied_change_5d_bps"] == 0 and last["implied_change_20d_bps"] == 0
    assert last["signal"] == "steady"
    assert last["next_meeting"] == dt.date(2025, 5, 7)
    assert last["next_meeting_cut_prob"] == 100.0 and last["cuts_priced_next_meeting"] == 1.0
    assert last["year_end_meeting"] == dt.date(2025, 12, 10)
    assert last["cuts_priced_year_end"] == pytest.approx(1.0) and last["implied_cut_bps"] == pytest.approx(25.0)
    assert last["effective_rate"] == 4.33 and last["tbill_3m"] == 4.2 and last["treasury_2y"] is None
    assert last["target_midpoint"] == pytest.approx(4.375)
    assert last["signal_detail"] == ("steady: no meeting's cut probability moved; "
                                     "cuts priced by Dec 10 1.00 -> 1.00 (+0 bp in 20 sessions)")


def test_a_june_repricing_is_a_dovish_shift_named_in_words(con):
    # from session 4 on, the rate after June falls 1 bp a session: June's own cut goes from
    # 0% to 80% priced (move -20 bp at the last session, -0 at session 3, 20 sessions back)
    _load(con, after_june=lambda i: 4.08 - 0.01 * max(0, i - 3))
    build_all(con, run_params(AS_OF))
    last = _rows(con)[-1]
    assert last["implied_change_20d_bps"] == pytest.approx(-20.0)
    assert last["implied_change_5d_bps"] == pytest.approx(-5.0)
    assert last["cuts_priced_year_end"] == pytest.approx(1.8)
    assert last["cuts_change_20d"] == pytest.approx(0.8)
    assert last["signal"] == "dovish shift"
    assert last["signal_detail"] == ("dovish shift: a cut at the Jun 18 meeting went from 0% to 80% priced; "
                                     "cuts priced by Dec 10 1.00 -> 1.80 (-20 bp in 20 sessions)")
    rates = con.execute("SELECT headline, value, detail FROM marts.daily_brief WHERE section = 'rates'").fetchone()
    assert rates[0] == ("Rate expectations: dovish shift; next FOMC May 7: 100% cut probability; "
                        "1.8 cuts priced by Dec 10 (+0.8 over 20 sessions)")
    assert rates[1] == pytest.approx(45.0)
    assert rates[2].startswith(f"As of {AS_OF}: dovish shift: a cut at the Jun 18 meeting")
    june = con.execute("SELECT meeting_cut_prob, prob_cut FROM marts.fomc_expectations "
                       "WHERE as_of = ? AND meeting_date = '2025-06-18'", [AS_OF]).fetchone()
    assert june == (80.0, 100.0)  # its own cut: 80%; a cut by then (May's is certain): 100%


def test_signal_thresholds_and_hawkish_shift(con):
    _load(con, after_june=lambda i: 4.08 + 0.01 * max(0, i - 3))
    build_all(con, run_params(AS_OF))
    rows = _rows(con)
    assert [r["signal"] for r in rows[:20]] == ["insufficient history"] * 20
    assert rows[-1]["implied_change_20d_bps"] == pytest.approx(20.0)
    assert rows[-1]["signal"] == "hawkish shift"
    # 20-session change at session i is (i - 3) bp: 17 at 20 ... 20 at 23
    build_all(con, run_params(AS_OF, rate_signal_bps=19))
    assert [r["signal"] for r in _rows(con)][20:] == ["steady", "steady", "hawkish shift", "hawkish shift"]
