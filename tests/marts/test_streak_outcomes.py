"""streak_outcomes and streak_outcome_summary on a constructed pair with hand-counted answers.

The lead moves +2% or -2% every session, the base +0.1%, so the lead wins exactly the
sessions it rises. Session index i (0 = first common session):
  1-3 up     ahead 3  (A: the first streak, may have begun before the history)
  4-5 down   behind 2 (too short at outcome_min_streak = 3)
  6-9 up     ahead 4  (B)
  10-13 down behind 4 (C)
  14-131     alternating: even up, odd down (streaks of 1)
  132-135    up: ahead 4, still running on the last session
A forward window (k, k+h] then holds u up and d down sessions, counted by hand below: the
lead returns 1.02**u * 0.98**d - 1 and the base 1.001**h - 1.
"""

import statistics

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from scout_pipeline.quality import runner
from scout_pipeline import quality
from tests.conftest import load, run_params

DAYS = calendar.sessions("2025-01-02", "2025-12-31")[:136]
UP = set(range(1, 4)) | set(range(6, 10)) | set(range(14, 132, 2)) | set(range(132, 136))
MIN = {"outcome_min_streak": 3}


def _lead(i: int) -> float:
    level = 100.0
    for j in range(1, i + 1):
        level *= 1.02 if j in UP else 0.98
    return level


def _base(i: int) -> float:
    return 100.0 * 1.001 ** i


def lead_ret(u: int, d: int) -> float:
    return 1.02 ** u * 0.98 ** d - 1


def base_ret(h: int) -> float:
    return 1.001 ** h - 1


@pytest.fixture
def pair(con):
    rows = [{"ticker": "^RUT", "date": d, "close": _lead(i)} for i, d in enumerate(DAYS)]
    rows += [{"ticker": "^GSPC", "date": d, "close": _base(i)} for i, d in enumerate(DAYS)]
    load(con, "prices", rows)
    # the brief names the series from the universe, never from the pair label
    load(con, "universe", [{"ticker": "^RUT", "name": "Russell 2000 Index", "asset_type": "index"},
                           {"ticker": "^GSPC", "name": "S&P 500 Index", "asset_type": "index"}])
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC",
                         "label": "Russell 2000 vs S&P 500"}])
    return con


def _outcomes(con):
    cur = con.execute("SELECT * FROM marts.streak_outcomes ORDER BY streak_end")
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _returns(row, h):
    return row[f"lead_return_{h}d"], row[f"base_return_{h}d"], row[f"relative_return_{h}d"]


def test_completed_streaks_and_forward_returns_from_the_break(pair):
    build_all(pair, run_params(DAYS[135], **MIN))
    a, b, c = _outcomes(pair)
    d = DAYS
    assert [(r["direction"], r["streak_days"], r["length"], r["streak_start"], r["streak_end"], r["broke_on"],
             r["from_history_start"]) for r in (a, b, c)] == [
        ("ahead", 3, 3, d[1], d[3], d[4], True),
        ("ahead", 4, 4, d[6], d[9], d[10], False),
        ("behind", -4, 4, d[10], d[13], d[14], False),
    ]
    # (horizon, up, down) in the window after each break, counted by hand
    expected = {
        "A": [(5, 4, 1), (21, 10, 11), (63, 31, 32), (126, 63, 63)],
        "B": [(5, 1, 4), (21, 9, 12), (63, 30, 33)],
        "C": [(5, 2, 3), (21, 10, 11), (63, 31, 32)],
    }
    for row, name in ((a, "A"), (b, "B"), (c, "C")):
        for h, u, dn in expected[name]:
            lead, base, rel = _returns(row, h)
            assert lead == pytest.approx(lead_ret(u, dn), rel=1e-12), (name, h)
            assert base == pytest.approx(base_ret(h), rel=1e-12), (name, h)
            assert rel == pytest.approx(lead_ret(u, dn) - base_ret(h), rel=1e-12), (name, h)
    # 126 sessions after d10 and d14 run past the last session (d135): null, never partial
    assert _returns(b, 126) == (None, None, None)
    assert _returns(c, 126) == (None, None, None)


def test_horizons_past_the_as_of_day_are_null_and_a_running_streak_has_no_row(pair):
    build_all(pair, run_params(DAYS[12], **MIN))  # C is behind 3 and still running
    rows = _outcomes(pair)
    assert [r["streak_end"] for r in rows] == [DAYS[3], DAYS[9]]
    a, b = rows
    assert _returns(a, 5)[0] == pytest.approx(lead_ret(4, 1))  # d4 + 5 = d9 <= d12
    assert all(v is None for h in (21, 63, 126) for v in _returns(a, h))
    assert all(v is None for h in (5, 21, 63, 126) for v in _returns(b, h))  # d10 + 5 > d12

    build_all(pair, run_params(DAYS[70], **MIN))
    a, b, c = _outcomes(pair)
    assert _returns(a, 63)[0] == pytest.approx(lead_ret(31, 32))  # d67 <= d70
    assert _returns(b, 63) == (None, None, None) and _returns(c, 63) == (None, None, None)


def test_outcome_min_streak_filters(pair):
    build_all(pair, run_params(DAYS[135], outcome_min_streak=4))
    assert [r["streak_end"] for r in _outcomes(pair)] == [DAYS[9], DAYS[13]]
    build_all(pair, run_params(DAYS[135], outcome_min_streak=2))
    assert [r["streak_end"] for r in _outcomes(pair)] == [DAYS[3], DAYS[5], DAYS[9], DAYS[13]]


def _summary(con, direction, min_length, horizon):
    cur = con.execute("SELECT * FROM marts.streak_outcome_summary WHERE direction = ? AND min_length = ? "
                      "AND horizon = ?", [direction, min_length, horizon])
    names = [c[0] for c in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0]))


def test_summary_statistics_any_time_and_rarity(pair):
    build_all(pair, run_params(DAYS[135], **MIN))
    # ahead, at least 3 sessions, 5 sessions on: A (4 up, 1 down) and B (1 up, 4 down)
    s = _summary(pair, "ahead", 3, 5)
    a5, b5 = lead_ret(4, 1), lead_ret(1, 4)
    assert (s["earlier_streaks"], s["observations"]) == (2, 2)
    assert s["mean_lead_return"] == pytest.approx((a5 + b5) / 2)
    assert s["median_lead_return"] == pytest.approx((a5 + b5) / 2)
    assert s["mean_relative_return"] == pytest.approx((a5 + b5) / 2 - base_ret(5))
    assert (s["lead_rose_pct"], s["lead_beat_pct"]) == (50.0, 50.0)
    assert s["is_current"] is False
    # at 126 sessions only A has elapsed
    s = _summary(pair, "ahead", 3, 126)
    assert (s["earlier_streaks"], s["observations"]) == (2, 1)
    assert s["mean_relative_return"] == pytest.approx(lead_ret(63, 63) - base_ret(126))

    # the current streak: ahead 4 (d132-d135); the one earlier run of 4+ ahead is B
    cur = _summary(pair, "ahead", 4, 21)
    assert cur["is_current"] is True and cur["current_streak_days"] == 4
    assert (cur["earlier_streaks"], cur["observations"]) == (1, 1)
    assert cur["mean_relative_return"] == pytest.approx(lead_ret(9, 12) - base_ret(21))
    assert (cur["lead_rose_pct"], cur["lead_beat_pct"]) == (0.0, 0.0)
    # rarity: ahead streaks are A, B, the 59 single ups at even 14..130 and the running one;
    # two of the 62 reached 4 sessions (B and the running one). The lead won 3+4+59+4 = 70
    # of the 135 sessions with a return.
    assert (cur["streaks_in_direction"], cur["streaks_reaching"]) == (62, 2)
    assert cur["reached_pct"] == pytest.approx(100 * 2 / 62)
    assert cur["win_rate_pct"] == pytest.approx(100 * 70 / 135)
    assert cur["coin_reached_pct"] == pytest.approx(100 * (70 / 135) ** 3)
    behind = _summary(pair, "behind", 4, 21)
    assert behind["win_rate_pct"] == pytest.approx(100 * 65 / 135)
    assert (behind["streaks_in_direction"], behind["streaks_reaching"]) == (61, 1)

    # any time: from every common session with 21 sessions after it
    dates = [r[0] for r in pair.execute("SELECT date FROM marts.relative_strength_streaks ORDER BY date").fetchall()]
    origins = [DAYS.index(x) for x in dates if DAYS.index(x) + 21 <= 135]
    rel = [(_lead(k + 21) / _lead(k) - 1) - base_ret(21) for k in origins]
    assert cur["any_time_observations"] == len(origins)
    assert cur["any_time_mean_relative_return"] == pytest.approx(sum(rel) / len(rel), rel=1e-9)
    assert cur["any_time_median_relative_return"] == pytest.approx(statistics.median(rel), rel=1e-9)
    assert cur["any_time_lead_beat_pct"] == pytest.approx(100 * sum(r > 0 for r in rel) / len(rel))
    assert cur["any_time_lead_rose_pct"] == pytest.approx(
        100 * sum(_lead(k + 21) > _lead(k) for k in origins) / len(origins))
    # min lengths run from outcome_min_streak to the longest streak in each direction
    lengths = pair.execute("SELECT direction, list(DISTINCT min_length ORDER BY min_length) "
                           "FROM marts.streak_outcome_summary GROUP BY direction ORDER BY direction").fetchall()
    assert lengths == [("ahead", [3, 4]), ("behind", [3, 4])]


def test_suites_pass_and_catch_a_partial_horizon(pair):
    as_of = DAYS[135]
    build_all(pair, run_params(as_of, **MIN))
    ctx = runner.RunContext("test-run", as_of, run_params(as_of, **MIN), None)
    for table in ("streak_outcomes", "streak_outcome_summary"):
        outcome = quality.run_suite(pair, "marts", table, ctx)
        assert outcome.passed, outcome.summary()
    # a 126-session return where only 125 sessions followed the break is a partial horizon
    pair.execute("UPDATE marts.streak_outcomes SET lead_return_126d = 0.01, base_return_126d = 0.0, "
                 "relative_return_126d = 0.01 WHERE streak_end = ?", [DAYS[9]])
    failed = {f.expectation for f in quality.run_suite(pair, "marts", "streak_outcomes", ctx).failures}
    assert failed == {"horizons_filled_exactly_when_elapsed"}


# ------------------------------------------------------------------ the sample market's brief

def test_sample_brief_sentence_matches_the_mart(con):
    """On the sample source the rotation's what_followed sentence carries the summary's numbers."""
    import datetime as dt
    import re

    sample = pytest.importorskip("scout_pipeline.sources.sample")
    as_of = dt.date(2026, 11, 20)
    for dataset, frame in sample.load_sample(as_of).frames.items():
        load(con, dataset, frame)
    build_all(con, run_params(as_of))
    cur = con.execute("SELECT * FROM marts.streak_outcome_summary "
                      "WHERE pair_id = 'smallcap_vs_largecap' AND is_current AND horizon = 21")
    names = [c[0] for c in cur.description]
    s = dict(zip(names, cur.fetchone()))
    sentence = con.execute("SELECT what_followed FROM marts.daily_brief WHERE section = 'rotation'").fetchone()[0]
    # the planted 7-session run, and the earlier runs of 7+ the sample plants (9 and 12 among them)
    assert (s["direction"], s["min_length"], s["current_streak_days"]) == ("ahead", 7, 7)
    outcomes = con.execute("SELECT length, relative_return_21d FROM marts.streak_outcomes "
                           "WHERE pair_id = 'smallcap_vs_largecap' AND direction = 'ahead' AND length >= 7").fetchall()
    assert {9, 12} <= {n for n, _ in outcomes} and s["earlier_streaks"] == len(outcomes)
    rel = [r for _, r in outcomes if r is not None]
    beat = sum(r > 0 for r in rel)
    m = re.fullmatch(
        r"After the (\d+) earlier runs of at least 7 sessions ahead in the data \(from 2016-11-21\), "
        r"Russell 2000 beat the S&P 500 over the next 21 sessions in (\d+) of (\d+) \((\d+)%\), by ([+-]\d+\.\d\d) pp "
        r"on average, against (\d+)% of all (\d+) 21-session windows \(([+-]\d+\.\d\d) pp on average\); "
        r"runs this long are (\d+) of (\d+) runs ahead \((\d+\.\d)%\), where a coin landing ahead on (\d+\.\d)% "
        r"of sessions, the pair's own rate, gives (\d+\.\d)%\.", sentence)
    assert m, sentence
    g = m.groups()
    assert (int(g[0]), int(g[1]), int(g[2])) == (len(outcomes), beat, len(rel))
    assert int(g[3]) == round(100 * beat / len(rel))
    assert g[4] == f"{100 * sum(rel) / len(rel):+.2f}"
    assert (g[5], int(g[6]), g[7]) == (f"{s['any_time_lead_beat_pct']:.0f}", s["any_time_observations"],
                                       f"{100 * s['any_time_mean_relative_return']:+.2f}")
    assert (int(g[8]), int(g[9])) == (s["streaks_reaching"], s["streaks_in_direction"])
    assert (g[10], g[11], g[12]) == (f"{s['reached_pct']:.1f}", f"{s['win_rate_pct']:.1f}",
                                     f"{s['coin_reached_pct']:.1f}")
    # the other sections carry no such sentence
    assert con.execute("SELECT count(what_followed) FROM marts.daily_brief").fetchone()[0] == 1


def test_brief_sentence_on_the_constructed_pair(pair):
    build_all(pair, run_params(DAYS[135], **MIN))
    sentence = pair.execute("SELECT what_followed FROM marts.daily_brief WHERE section = 'rotation' "
                            "ORDER BY as_of DESC").fetchone()[0]
    # the current run: ahead 4; the one earlier run of 4+ ahead is B, which fell behind by
    # lead_ret(9, 12) - base_ret(21) over the next 21 sessions
    s = _summary(pair, "ahead", 4, 21)
    rel = 100 * (lead_ret(9, 12) - base_ret(21))
    assert rel < 0
    assert sentence == (
        f"After the 1 earlier run of at least 4 sessions ahead in the data (from {DAYS[0]}), Russell 2000 beat "
        f"the S&P 500 over the next 21 sessions in 0 of 1 (0%), by {rel:+.2f} pp on average, against "
        f"{s['any_time_lead_beat_pct']:.0f}% of all {s['any_time_observations']} 21-session windows "
        f"({100 * s['any_time_mean_relative_return']:+.2f} pp on average); runs this long are 2 of 62 runs ahead "
        f"({100 * 2 / 62:.1f}%), where a coin landing ahead on {100 * 70 / 135:.1f}% of sessions, the pair's own "
        f"rate, gives {100 * (70 / 135) ** 3:.1f}%.")

    build_all(pair, run_params(DAYS[9], **MIN))  # B running at 4: A (3) is the only earlier run, too short
    sentence = pair.execute("SELECT what_followed FROM marts.daily_brief WHERE section = 'rotation' "
                            "ORDER BY as_of DESC").fetchone()[0]
    assert sentence == (f"No earlier run of at least 4 sessions ahead in the data (from {DAYS[0]}) to compare with; "
                        f"runs this long are 1 of 2 runs ahead (50.0%), where a coin landing ahead on "
                        f"{100 * 7 / 9:.1f}% of sessions, the pair's own rate, gives {100 * (7 / 9) ** 3:.1f}%.")

    build_all(pair, run_params(DAYS[30], **MIN))  # ahead 1: shorter than outcome_min_streak
    assert pair.execute("SELECT what_followed FROM marts.daily_brief WHERE section = 'rotation' "
                        "AND as_of = ?", [DAYS[30]]).fetchone()[0] is None
