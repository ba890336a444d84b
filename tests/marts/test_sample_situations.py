"""All marts on the synthetic sample market find what it plants (sources/sample.py)."""

import datetime as dt

import duckdb
import pytest

from scout_pipeline import store
from scout_pipeline.build import build_all
from scout_pipeline.sql_files import load_models
from tests.conftest import load, run_params

sample = pytest.importorskip("scout_pipeline.sources.sample")

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute(store.SCHEMA_SQL.read_text())
    data = sample.load_sample(AS_OF)
    for dataset, frame in data.frames.items():
        load(connection, dataset, frame)
    build_all(connection, run_params(AS_OF))
    yield connection
    connection.close()


def _one(con, sql, params=None):
    rows = con.execute(sql, params or []).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def test_every_mart_has_rows(con):
    for model in load_models():
        if model.layer == "marts":
            assert con.execute(f"SELECT count(*) FROM {model.table}").fetchall()[0][0] > 0, model.name


def test_planted_breakouts(con):
    status = dict(con.execute("SELECT ticker, status FROM marts.cooling_breakouts").fetchall())
    planted = sample.planted(60)
    assert "MOD" in planted["cooling"]
    for kind in ("cooling", "failed", "heating"):
        for ticker in planted[kind]:
            assert status.get(ticker) == kind, (ticker, kind, status)
    assert set(status) == {t for names in planted.values() for t in names}


def test_small_cap_valuation(con):
    discount, unprofitable, pe = _one(con, """
        SELECT discount_pct, unprofitable_pct, forward_pe FROM marts.valuation_gap
        WHERE segment = 'small_cap' AND as_of = (SELECT max(as_of) FROM marts.valuation_gap)""")
    assert 25 <= discount <= 35
    assert 35 <= unprofitable <= 45
    assert pe == pytest.approx(sample.SMALL_FORWARD_PE, rel=1e-3)


def test_dovish_shift(con):
    # sample_fomc: the next meeting (Dec 16, synthetic) is priced -20 bp x 0.4 twenty sessions
    # back and x 1.0 on the as-of day: its cut goes from 32% to 80%; it is also the year's last
    signal, change, cut_prob, detail = _one(
        con, "SELECT signal, implied_change_20d_bps, next_meeting_cut_prob, signal_detail "
             "FROM marts.rate_expectations WHERE date = ?", [AS_OF])
    assert signal == "dovish shift"
    assert change == pytest.approx(-12.0, abs=0.05)
    assert cut_prob == pytest.approx(80.0, abs=0.1)
    assert "a cut at the Dec 16 meeting went from 32% to 80% priced" in detail


def test_brief_tells_the_planted_story(con):
    brief = dict(con.execute("SELECT section, headline FROM marts.daily_brief").fetchall())
    assert brief["rotation"].startswith("Russell 2000 ahead of the S&P 500 for 7 sessions, the longest run since")
    assert brief["rotation"].endswith("(9 sessions)")
    assert "MOD" in brief["cooling_breakouts"]
    assert "dovish shift" in brief["rates"]
    assert brief["quality_leaders"].startswith("Top small-cap quality leaders: ")
