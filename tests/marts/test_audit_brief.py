"""Brief wording the audit found wrong (issue #15, item 9): singular and plural, window labels
that follow overridden parameters, no "streak broke" for a 1-session streak, a still-running
streak never "ended", and `scout brief --as-of` on a holiday moving the way `scout run` does."""

import datetime as dt

from scout_pipeline import calendar, cli
from scout_pipeline.build import build_all
from tests.conftest import load, run_params
from tests.marts.test_cooling_breakouts import AS_OF as B_AS_OF, P as B_P, SERIES

DAYS = calendar.sessions("2026-03-02", "2026-03-31")[:8]


def _pair(con, returns, days=DAYS):
    level, rows = 100.0, []
    for d, r in zip(days, returns):
        level = level if r is None else level * (1 + r)
        rows += [{"ticker": "^RUT", "date": d, "close": level}, {"ticker": "^GSPC", "date": d, "close": 100.0}]
    load(con, "prices", rows)
    # the brief names the series from the universe, never from the pair label
    load(con, "universe", [{"ticker": "^RUT", "name": "Russell 2000 Index", "asset_type": "index"},
                           {"ticker": "^GSPC", "name": "S&P 500 Index", "asset_type": "index"}])
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC",
                         "label": "Russell 2000 vs S&P 500"}])


def _rotation(con, as_of):
    build_all(con, run_params(as_of))
    return con.execute("SELECT headline, detail FROM marts.daily_brief WHERE section = 'rotation'").fetchone()


def test_no_streak_broke_sentence_after_a_one_session_run(con):
    # ahead 1 (d1), behind 1 (d2): a 1-session run ending is no "streak broke"
    _pair(con, [None, 0.01, -0.01])
    headline, _ = _rotation(con, DAYS[2])
    assert "broke" not in headline
    assert headline.startswith("Russell 2000 behind the S&P 500 for 1 session")


def test_streak_broke_after_a_real_streak_and_not_on_a_tie(con):
    # ahead 2 (d1-d2), behind (d3): broke; then a tie (d4): still behind 1, nothing broke today
    _pair(con, [None, 0.01, 0.01, -0.01, 0.0])
    assert _rotation(con, DAYS[3])[0] == (
        "Russell 2000 vs the S&P 500 streak broke: behind for 1 session after 2 ahead")
    headline, detail = _rotation(con, DAYS[4])
    assert "broke" not in headline
    assert headline.startswith("Russell 2000 behind the S&P 500 for 1 session")
    # the longest behind run is the current one (one session, tie not counted): still running
    assert detail.endswith("1 session behind, the current streak, still running.")


def test_a_finished_record_ended(con):
    _pair(con, [None, 0.01, 0.01, 0.01, -0.01, -0.01])
    _, detail = _rotation(con, DAYS[5])
    # current: behind 2; longest *behind* is the current run; after it the ahead run is history
    assert detail.endswith("2 sessions behind, the current streak, still running.")
    _pair(con, [None, 0.01, 0.01, 0.01, -0.01, 0.01])
    _, detail = _rotation(con, DAYS[5])
    assert detail.endswith(f"3 sessions ahead, ended {DAYS[3]}.")


def test_one_breakout_is_singular(con):
    load(con, "prices", [{"ticker": "COOL", "date": d, "close": c, "volume": v} for d, c, v in SERIES["COOL"]])
    load(con, "universe", [{"ticker": "COOL", "asset_type": "equity"}])
    build_all(con, run_params(B_AS_OF, **B_P))
    headline, detail = con.execute(
        "SELECT headline, detail FROM marts.daily_brief WHERE section = 'cooling_breakouts'").fetchone()
    assert headline == "1 breakout cooling: COOL"
    assert detail.startswith("1 breakout in the last 8 sessions: 1 cooling")
    build_all(con, run_params(B_AS_OF, **{**B_P, "breakout_window": 1}))
    headline, detail = con.execute(
        "SELECT headline, detail FROM marts.daily_brief WHERE section = 'cooling_breakouts'").fetchone()
    assert headline == "No breakouts in the last 1 session"
    assert detail == ("no equity closed above its prior 10-session high on 1.5x its average volume "
                      "in the last 1 session")
    build_all(con, run_params(B_AS_OF, **{**B_P, "breakout_window": 1, "volume_confirm_ratio": 0}))
    detail = con.execute("SELECT detail FROM marts.daily_brief WHERE section = 'cooling_breakouts'").fetchone()[0]
    assert detail == "no equity closed above its prior 10-session high in the last 1 session"


def test_brief_as_of_a_holiday_is_the_session_scout_run_builds(tmp_path, capsys):
    day, moved = cli.brief_session("2025-12-25")
    assert day == "2025-12-24"
    assert moved == ("2025-12-25 is not a trading session (Christmas); `scout run --as-of 2025-12-25` "
                     "builds 2025-12-24, so this is the brief for 2025-12-24")
    assert cli.brief_session("2025-12-24") == ("2025-12-24", None)
    assert dt.date(2025, 12, 27).weekday() == 5                 # a Saturday
    assert cli.brief_session("2025-12-27")[0] == "2025-12-26"
    saved = tmp_path / "briefs" / "2025-12-24"
    saved.mkdir(parents=True)
    (saved / "brief.md").write_text("# the brief of 2025-12-24\n")
    assert cli.main(["brief", "--as-of", "2025-12-25", "--warehouse", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert "# the brief of 2025-12-24" in out.out and "Christmas" in out.err
    assert cli.main(["brief", "--as-of", "Dec 25", "--warehouse", str(tmp_path)]) == 2


def test_breadth_chart_label_follows_the_run_parameter(tmp_path):
    import json

    import duckdb

    from scout_pipeline import brief

    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA meta")
    con.execute("CREATE TABLE marts.market_breadth AS SELECT DATE '2026-03-02' + i::INTEGER AS as_of, "
                "'small_cap' AS segment, 50.0 AS pct_above_50d FROM range(3) t(i)")
    con.execute("CREATE TABLE meta.run_info (key VARCHAR, value VARCHAR)")
    assert brief.chart_breadth(con, tmp_path, False).series == ["Small caps % above 50d"]  # no record: default
    con.execute("INSERT INTO meta.run_info VALUES ('params', ?)", [json.dumps({"breadth_short_ma_sessions": 20})])
    assert brief.chart_breadth(con, tmp_path, False).series == ["Small caps % above 20d"]
