"""cooling_breakouts, quality_leaders and daily_brief keep every published day, point in
time: a day's rows are what that day's run saw (scout_pipeline/mart_history.py)."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from scout_pipeline import calendar, store
from scout_pipeline.build import build_all
from scout_pipeline.sql_files import load_models
from tests.conftest import load, run_params

sample = pytest.importorskip("scout_pipeline.sources.sample")

AS_OF = dt.date(2026, 11, 20)
DAYS = calendar.sessions_back(AS_OF, 4)  # 11-17 .. 11-20
HISTORY = ("cooling_breakouts", "quality_leaders", "daily_brief")


@pytest.fixture(scope="module")
def frames():
    return sample.load_sample(AS_OF).frames


@pytest.fixture
def con(frames):
    connection = duckdb.connect()
    connection.execute(store.SCHEMA_SQL.read_text())
    for dataset, frame in frames.items():
        load(connection, dataset, frame)
    yield connection
    connection.close()


def _day(con, mart, day):
    key = next(m.key for m in load_models() if m.name == mart)
    return con.execute(f"SELECT * FROM marts.{mart} WHERE as_of = ? ORDER BY {', '.join(key)}", [day]).df()


def _days(con, mart):
    return [r[0] for r in con.execute(f"SELECT DISTINCT as_of FROM marts.{mart} ORDER BY 1").fetchall()]


def test_the_three_marts_declare_history_and_the_others_do_not():
    assert {m.name for m in load_models() if m.history} == set(HISTORY)
    assert all(m.history == "as_of" for m in load_models() if m.history)


def test_every_published_day_is_kept_as_its_run_saw_it(con):
    build_all(con, run_params(DAYS[2]))
    seen = {mart: _day(con, mart, DAYS[2]) for mart in HISTORY}
    assert all(not frame.empty for frame in seen.values())
    # the provider restates a small cap's bars after that run: the next day's run sees the new
    # data, the earlier day keeps what its own run saw
    ticker = seen["quality_leaders"]["ticker"].iloc[0]
    con.execute("UPDATE raw.prices SET adj_close = adj_close * 1.5, close = close * 1.5 "
                "WHERE ticker = ? AND date > ? - INTERVAL 30 DAY", [ticker, DAYS[2]])
    build_all(con, run_params(DAYS[3]))
    for mart in HISTORY:
        assert _days(con, mart) == [DAYS[2], DAYS[3]], mart
        pd.testing.assert_frame_equal(_day(con, mart, DAYS[2]), seen[mart], check_like=True)
    leaders = _day(con, "quality_leaders", DAYS[3]).set_index("ticker")
    before = seen["quality_leaders"].set_index("ticker")
    assert leaders.loc[ticker, "return_rs"] != pytest.approx(before.loc[ticker, "return_rs"], abs=0.05)
    # the brief's facts are the day's own: six sections each day, read from that day's rows
    assert len(_day(con, "daily_brief", DAYS[3])) == 6
    cooling = _day(con, "cooling_breakouts", DAYS[3])
    facts = _day(con, "daily_brief", DAYS[3]).set_index("section")
    assert facts.loc["cooling_breakouts", "value"] == (cooling["status"] == "cooling").sum()


def test_a_rerun_replaces_its_day_and_an_earlier_day_drops_later_ones(con):
    build_all(con, run_params(DAYS[2]))
    build_all(con, run_params(DAYS[3]))
    counts = {mart: len(_day(con, mart, DAYS[3])) for mart in HISTORY}
    build_all(con, run_params(DAYS[3]))  # the catch-up run of the same day
    assert {mart: len(_day(con, mart, DAYS[3])) for mart in HISTORY} == counts
    # a day whose run now finds no breakouts has none, not the rows an earlier run of it found
    con.execute("UPDATE raw.prices SET volume = 0 WHERE date > ? - INTERVAL 120 DAY", [DAYS[3]])
    build_all(con, run_params(DAYS[3]))
    assert _day(con, "cooling_breakouts", DAYS[3]).empty
    assert not _day(con, "cooling_breakouts", DAYS[2]).empty  # published before: kept
    # re-running an earlier day recomputes it (no breakouts on the zeroed volume either) and
    # keeps nothing dated after it (point in time)
    build_all(con, run_params(DAYS[2]))
    assert _days(con, "cooling_breakouts") == []
    for mart in ("quality_leaders", "daily_brief"):
        assert _days(con, mart) == [DAYS[2]], mart


def test_a_range_computes_each_session_as_its_own_run(con, frames):
    build_all(con, {**run_params(DAYS[3]), "history_from": DAYS[0]})
    for mart in HISTORY:
        assert _days(con, mart) == DAYS, mart
    # each session equals a run of that day alone
    alone = duckdb.connect()
    alone.execute(store.SCHEMA_SQL.read_text())
    for dataset, frame in frames.items():
        load(alone, dataset, frame)
    build_all(alone, run_params(DAYS[1]))
    for mart in HISTORY:
        ranged, single = _day(con, mart, DAYS[1]), _day(alone, mart, DAYS[1])
        if mart == "daily_brief":
            # what_followed quotes streak_outcome_summary, which describes the range's last day only
            assert ranged["what_followed"].isna().all() and single["what_followed"].notna().any()
            ranged, single = ranged.drop(columns="what_followed"), single.drop(columns="what_followed")
        pd.testing.assert_frame_equal(ranged, single, check_like=True)
    alone.close()


def test_rows_from_a_build_with_other_columns_are_kept(con):
    build_all(con, run_params(DAYS[2]))
    con.execute("ALTER TABLE marts.quality_leaders ADD COLUMN retired_score DOUBLE")
    con.execute("ALTER TABLE marts.quality_leaders DROP COLUMN rank")
    build_all(con, run_params(DAYS[3]))
    old = _day(con, "quality_leaders", DAYS[2])
    assert not old.empty and "retired_score" not in old.columns
    assert old["rank"].isna().all()  # a column added since that day is null in its rows
    assert _day(con, "quality_leaders", DAYS[3])["rank"].notna().all()


def test_a_range_run_passes_its_first_session_and_a_day_does_not():
    import pytest

    from scout_pipeline.defs.resources import ScoutResource

    ranged = ScoutResource(as_of="2026-11-20", history_start="2026-11-17").sql_params()
    assert (ranged["as_of"], ranged["history_from"]) == (AS_OF, DAYS[0])
    assert "history_from" not in ScoutResource(as_of="2026-11-20").sql_params()
    # a UI re-execution of a default-config run keeps the day its tag recorded
    assert ScoutResource().sql_params({"scout/as_of": "2026-11-20"})["as_of"] == AS_OF
    with pytest.raises(ValueError, match="history_start '17/11/2026' is not a date"):
        ScoutResource(as_of="2026-11-20", history_start="17/11/2026").sql_params()


def test_history_needs_its_column_in_the_key(tmp_path):
    from scout_pipeline.sql_files import load_model

    (tmp_path / "marts").mkdir()
    bad = tmp_path / "marts" / "x.sql"
    bad.write_text("-- x: a mart.\n-- @key ticker\n-- @history as_of\n-- @column ticker: t.\n"
                   "SELECT 'A' AS ticker, DATE '2026-01-02' AS as_of\n")
    with pytest.raises(ValueError, match="@history as_of"):
        load_model(bad)
    bad.write_text(bad.read_text().replace("@key ticker", "@key ticker, as_of")
                   .replace("-- @column ticker: t.", "-- @column ticker: t.\n-- @column as_of: d."))
    model = load_model(bad)
    assert model.history == "as_of" and "@history" not in model.description
