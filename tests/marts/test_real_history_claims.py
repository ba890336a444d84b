"""Issue 13 on real index history: a "first since" / "longest" claim is bounded by the history
loaded, and the brief says where that history starts.

^RUT from 1987 (alitalbi/storage_data_fy) and the S&P 500 from 1927 (hjyssg/tqqq_simulation
^SPX; heliar-k's SPX.csv only starts in 2016) are read from ../shared/reference-data (never
copied into the repo), written to a snapshot directory in tmp_path as ^RUT and ^GSPC, loaded
through the snapshot source and built with the SQL models, without Dagster. Skipped when the
reference data is absent.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from scout_pipeline.build import build_all
from scout_pipeline.sources.snapshot import load_snapshot
from tests.conftest import load, run_params

# the repo's parent holds shared/ beside main/ (as in tests/test_run.py)
REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data"
RUT = REFERENCE / "alitalbi_storage_data_fy" / "^RUT.csv"
SPX = REFERENCE / "hjyssg_tqqq_simulation" / "^SPX.csv"

pytestmark = pytest.mark.skipif(not (RUT.is_file() and SPX.is_file()),
                                reason="../shared/reference-data not present")

DAY = dt.date(2026, 1, 13)        # ^RUT 8 sessions ahead of the S&P 500
LATER = dt.date(2026, 1, 22)      # the same run at 14 sessions
TRIMMED_FROM = "2023-01-13"       # a first live load's worth: the three years before DAY
HEADLINE = "Russell 2000 ahead of the S&P 500 for {n} sessions, "


def _real_prices() -> pd.DataFrame:
    rut = pd.read_csv(RUT, usecols=["Date", "Close"]).rename(columns={"Date": "date", "Close": "close"})
    # yfinance's three header lines: Price,Adj Close,Close,... / Ticker,... / Date,...
    header = pd.read_csv(SPX, nrows=0).columns.tolist()
    assert header[0] == "Price" and header[2] == "Close", header
    spx = pd.read_csv(SPX, skiprows=3, header=None, usecols=[0, 2], names=["date", "close"])
    return pd.concat([rut.assign(ticker="^RUT"), spx.assign(ticker="^GSPC")])[["ticker", "date", "close"]]


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    prices = _real_prices()
    dirs = {}
    for name, frame in (("full", prices), ("trimmed", prices[prices["date"] >= TRIMMED_FROM])):
        snap = tmp_path_factory.mktemp(name)
        frame.to_csv(snap / "prices.csv", index=False)
        dirs[name] = snap
    return dirs


def _build(con, snap: Path, as_of: dt.date):
    data = load_snapshot(snap, as_of)  # as `scout run --source DIR` reads it; pairs: the bundled defaults
    for dataset, frame in data.frames.items():
        if frame is not None and not frame.empty:
            load(con, dataset, frame)
    build_all(con, run_params(as_of))
    streak = con.execute(
        "SELECT streak_days, streak_start, prior_comparable_end, prior_comparable_days, longest_streak_days, "
        "longest_streak_end, history_start FROM marts.relative_strength_streaks "
        "WHERE pair_id = 'smallcap_vs_largecap' AND date = ?", [as_of]).fetchone()
    headline, detail = con.execute(
        "SELECT headline, detail FROM marts.daily_brief WHERE section = 'rotation'").fetchone()
    return streak, headline, detail


def test_full_history_first_since_2019(con, snapshots):
    streak, headline, detail = _build(con, snapshots["full"], DAY)
    assert streak == (8, dt.date(2026, 1, 2), dt.date(2019, 1, 11), 8, 16, dt.date(1996, 5, 7),
                      dt.date(1987, 9, 10))
    assert headline == HEADLINE.format(n=8) + "the longest run since 2019-01-11 (8 sessions)"
    assert detail.endswith("longest since the data starts (1987-09-10): 16 sessions ahead, ended 1996-05-07.")


def test_full_history_fourteen_sessions_second_only_to_1996(con, snapshots):
    streak, headline, _ = _build(con, snapshots["full"], LATER)
    assert streak[:4] == (14, dt.date(2026, 1, 2), dt.date(1996, 5, 7), 16)
    assert headline == HEADLINE.format(n=14) + "the longest run since 1996-05-07 (16 sessions)"


def test_three_years_loaded_names_the_start_instead_of_a_record(con, snapshots):
    streak, headline, detail = _build(con, snapshots["trimmed"], DAY)
    assert streak == (8, dt.date(2026, 1, 2), None, None, 8, DAY, dt.date(2023, 1, 13))
    assert headline == HEADLINE.format(n=8) + "the longest run in the data, which starts 2023-01-13"
    assert detail.endswith("longest since the data starts (2023-01-13): 8 sessions ahead, the current streak, still running.")
    assert "on record" not in headline + detail
