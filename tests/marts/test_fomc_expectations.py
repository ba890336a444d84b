"""fomc_expectations: the CME FedWatch arithmetic, checked against hand-computed cases.

Scenario (as of Tuesday 2025-04-15, effective rate 4.33, target 4.25-4.50, 5 contract months):
  April   no upcoming meeting         -> ends at today's effective rate, 4.33
  May     meeting May 7  (early: 7 of 31 days at the old rate; June has a meeting, so the
          month is split)  R = (7 x 4.33 + 24 x 4.08) / 31  -> after = 4.08: a fully priced cut
  June    meeting Jun 18 (consecutive meeting month: starts at May's 4.08; 18 of 30 days old)
          R = 4.04 -> after = (30 x 4.04 - 18 x 4.08) / 12 = 3.98: move -10 bp = 40% of a cut
  July    meeting Jul 30 (late: 30 of 31 days old) and August has no meeting, so August's
          average is the rate after it: 3.88 (July's own 3.95 would give 31 x 3.95 - 30 x 3.98
          = 3.05 by the split: one day carries the whole answer, which is why FedWatch anchors)
  August  no meeting: R = 3.88
"""

import datetime as dt

import pytest

from scout_pipeline.build import build_all
from tests.conftest import load, run_params

AS_OF = dt.date(2025, 4, 15)
MEETINGS = ["2025-05-07", "2025-06-18", "2025-07-30", "2025-09-17"]


def _calendar(con, meetings=MEETINGS):
    load(con, "fomc_calendar", [{"meeting_date": m, "first_day": dt.date.fromisoformat(m) - dt.timedelta(days=1)}
                                for m in meetings], source="fed_schedule")


def _rates(con, day, months: dict[str, float], dff=4.33, low=4.25, high=4.50):
    rows = [{"series": s, "date": day, "value": 100 - r} for s, r in months.items()]
    rows += [{"series": "DFF", "date": day - dt.timedelta(days=1), "value": dff},
             {"series": "DFEDTARL", "date": day - dt.timedelta(days=30), "value": low},
             {"series": "DFEDTARU", "date": day - dt.timedelta(days=30), "value": high}]
    load(con, "rates", rows)


def _rows(con, as_of=AS_OF):
    cur = con.execute("SELECT * FROM marts.fomc_expectations WHERE as_of = ? ORDER BY meeting_date", [as_of])
    names = [d[0] for d in cur.description]
    return {str(r[1]): dict(zip(names, r)) for r in cur.fetchall()}


R_MAY = (7 * 4.33 + 24 * 4.08) / 31
SCENARIO = {"ZQJ25.CBT": 4.33, "ZQK25.CBT": R_MAY, "ZQM25.CBT": 4.04, "ZQN25.CBT": 3.95, "ZQQ25.CBT": 3.88}


def test_fedwatch_chain_early_late_consecutive_and_no_meeting_months(con):
    _calendar(con)
    _rates(con, AS_OF, SCENARIO)
    build_all(con, run_params(AS_OF, fomc_horizon_months=5))
    rows = _rows(con)
    # September is outside the 5-month horizon (April .. August): not priced
    assert list(rows) == ["2025-05-07", "2025-06-18", "2025-07-30"]
    may, jun, jul = rows.values()

    # early-month meeting, fully priced cut
    assert may["meeting_number"] == 1 and may["contract"] == "ZQK25.CBT" and may["method"] == "month split"
    assert may["rate_before"] == pytest.approx(4.33)
    assert may["implied_rate"] == pytest.approx(4.08, abs=1e-4)
    assert may["meeting_move_bps"] == pytest.approx(-25.0)
    assert may["cuts_priced"] == pytest.approx(1.0)
    assert (may["prob_cut"], may["prob_hold"], may["prob_hike"]) == (100.0, 0.0, 0.0)
    assert may["outcomes"] == "-25 bp 100.0%"
    assert may["target_midpoint"] == pytest.approx(4.375)
    assert may["implied_midpoint"] == pytest.approx(4.125)

    # consecutive meeting month: starts where May ended
    assert jun["method"] == "month split" and jun["rate_before"] == pytest.approx(4.08, abs=1e-4)
    assert jun["implied_rate"] == pytest.approx(3.98, abs=1e-4)
    assert jun["meeting_move_bps"] == pytest.approx(-10.0)
    # tree: May -25 for sure; June -25 with 40%, 0 with 60% -> -50: 40%, -25: 60%
    assert jun["implied_change_bps"] == pytest.approx(-35.0)
    assert jun["cuts_priced"] == pytest.approx(1.4)
    assert jun["outcomes"] == "-50 bp 40.0%, -25 bp 60.0%"
    assert jun["most_likely_change_bps"] == -25
    assert (jun["prob_cut"], jun["prob_hold"]) == (100.0, 0.0)

    # late-month meeting anchored by the meeting-free August
    assert jul["method"] == "next month anchors"
    assert jul["rate_before"] == pytest.approx(3.98, abs=1e-4)
    assert jul["implied_rate"] == pytest.approx(3.88)
    assert jul["meeting_move_bps"] == pytest.approx(-10.0)
    # 0.4 x 0.4 = 16% for -75, 2 x 0.4 x 0.6 = 48% for -50, 0.6 x 0.6 = 36% for -25
    assert jul["outcomes"] == "-75 bp 16.0%, -50 bp 48.0%, -25 bp 36.0%"
    assert jul["implied_change_bps"] == pytest.approx(-45.0)
    assert jul["cuts_priced"] == pytest.approx(1.8)
    assert jul["most_likely_change_bps"] == -50


def test_priced_hike_and_a_partly_priced_first_meeting(con):
    _calendar(con)
    # May's average with 7 days at 4.33 and 24 at 4.43: a 10 bp hike expected = 40% of 25 bp
    _rates(con, AS_OF, {"ZQJ25.CBT": 4.33, "ZQK25.CBT": (7 * 4.33 + 24 * 4.43) / 31})
    build_all(con, run_params(AS_OF, fomc_horizon_months=2))
    may = _rows(con)["2025-05-07"]
    assert may["implied_rate"] == pytest.approx(4.43, abs=1e-4)
    assert may["meeting_move_bps"] == pytest.approx(10.0)
    assert (may["prob_cut"], may["prob_hold"], may["prob_hike"]) == (0.0, 60.0, 40.0)
    assert may["outcomes"] == "0 bp 60.0%, 25 bp 40.0%"
    assert may["cuts_priced"] == pytest.approx(-0.4)


def test_meeting_on_the_last_day_of_a_month_takes_effect_in_the_next(con):
    # 2024-01-31 (a real one): the new rate applies from February 1, so all of February's
    # average is the rate after the meeting (days_before = 0), January holds no change
    _calendar(con, ["2024-01-31", "2024-03-20"])
    day = dt.date(2024, 1, 10)
    _rates(con, day, {"ZQF24.CBT": 5.33, "ZQG24.CBT": 5.23, "ZQH24.CBT": 5.20}, dff=5.33, low=5.25, high=5.50)
    build_all(con, run_params(day, fomc_horizon_months=3))
    jan = _rows(con, day)["2024-01-31"]
    assert jan["contract"] == "ZQG24.CBT" and jan["method"] == "month split"
    assert jan["implied_rate"] == pytest.approx(5.23)
    assert jan["outcomes"] == "-25 bp 40.0%, 0 bp 60.0%"


def test_missing_contract_month_is_named_and_leaves_other_meetings_priced(con):
    _calendar(con)
    months = dict(SCENARIO)
    del months["ZQM25.CBT"]  # June's contract did not trade / was not delivered
    _rates(con, AS_OF, months)
    build_all(con, run_params(AS_OF, fomc_horizon_months=5))
    rows = _rows(con)
    assert rows["2025-05-07"]["implied_rate"] == pytest.approx(4.08, abs=1e-4)
    assert rows["2025-06-18"]["method"] == "missing contract ZQM25.CBT"
    assert rows["2025-06-18"]["implied_rate"] is None and rows["2025-06-18"]["prob_cut"] is None
    # July is anchored by August's average, but its start (June's end) is unknown
    assert rows["2025-07-30"]["implied_rate"] == pytest.approx(3.88)
    assert rows["2025-07-30"]["meeting_move_bps"] is None


def test_nothing_after_as_of_and_past_meetings_are_not_upcoming(con):
    _calendar(con)
    _rates(con, AS_OF, SCENARIO)
    _rates(con, dt.date(2025, 5, 8), {"ZQK25.CBT": 4.10, "ZQM25.CBT": 4.00})  # after as-of: ignored
    build_all(con, run_params(AS_OF, fomc_horizon_months=5))
    assert {r[0] for r in con.execute("SELECT DISTINCT as_of FROM marts.fomc_expectations").fetchall()} == {AS_OF}
    # on the meeting day itself the decision is known: the meeting is no longer upcoming
    _rates(con, dt.date(2025, 5, 7), {"ZQK25.CBT": R_MAY, "ZQM25.CBT": 4.04, "ZQN25.CBT": 3.95, "ZQQ25.CBT": 3.88})
    build_all(con, run_params(dt.date(2025, 5, 7), fomc_horizon_months=5))
    assert list(_rows(con, dt.date(2025, 5, 7)))[0] == "2025-06-18"


def test_sessions_without_their_own_month_contract_are_not_priced(con):
    # a live store's first load (April 15) brings April .. August with their history: on an
    # earlier March session only later months have prices, and March's horizon lacks March
    _calendar(con, ["2025-03-19", *MEETINGS])
    _rates(con, AS_OF, SCENARIO)
    _rates(con, dt.date(2025, 3, 14), {s: r for s, r in SCENARIO.items()})
    build_all(con, run_params(AS_OF, fomc_horizon_months=5))
    assert [r[0] for r in con.execute("SELECT DISTINCT as_of FROM marts.fomc_expectations").fetchall()] == [AS_OF]
