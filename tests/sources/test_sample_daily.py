"""The stable sample market (sources/sample_daily.py): adding a day changes no earlier row, the
planted breakouts and valuation hold on any as-of day, and a next-day ingest writes one day."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from scout_pipeline import store
from scout_pipeline.build import build_all
from scout_pipeline.raw_load import write_dataset
from scout_pipeline.sources.contracts import RAW_TABLES
from scout_pipeline.sources.sample_daily import (
    SMALL_FORWARD_PE,
    STREAK_PERIOD,
    expected_statuses,
    load_daily_sample,
    planted_tickers,
)
from tests.conftest import load, run_params

SMALL = {"years": 2, "n_small": 20, "n_large": 10}
D, D1 = dt.date(2026, 11, 19), dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def two_days():
    return load_daily_sample(D, **SMALL), load_daily_sample(D1, **SMALL)


def _assert_extends(a, b, day: dt.date, later: dt.date) -> None:
    """b (as of `later`) repeats every row of a (as of `day`) it holds, byte for byte, adds only
    rows dated after `day`, and drops only rows from the back of its windows (or expired
    contract months)."""
    for dataset, fa in a.frames.items():
        fb = b.frames[dataset]
        key = RAW_TABLES[dataset][0]
        merged = fa.merge(fb, on=key, how="outer", indicator=True, suffixes=("_a", "_b"))
        both = merged[merged["_merge"] == "both"]
        for column in (c for c in fa.columns if c not in key):
            left, right = both[f"{column}_a"], both[f"{column}_b"]
            same = (left == right) | (left.isna() & right.isna())
            assert same.all(), (dataset, column)
        added = merged[merged["_merge"] == "right_only"]
        gone = merged[merged["_merge"] == "left_only"]
        if dataset == "fomc_calendar":  # a new year publishes its meetings, two years ahead
            assert gone.empty and (added["meeting_date"] > pd.Timestamp(later) + pd.Timedelta(days=365)).all()
            continue
        date_col = next((c for c in key if c in ("date", "as_of")), None)
        if date_col is None:
            assert added.empty and gone.empty, dataset
            continue
        assert len(added) > 0 and (added[date_col] > pd.Timestamp(day)).all(), dataset
        assert (added[date_col] <= pd.Timestamp(later)).all(), dataset
        # what left is older than anything b keeps of that ticker / series (a window's back)
        kept_from = fb.groupby(key[0], observed=True)[date_col].min()
        first_kept = gone[key[0]].map(kept_from)
        assert (first_kept.isna() | (gone[date_col] < first_kept)).all(), dataset


def test_a_new_day_changes_no_earlier_row(two_days):
    a, b = two_days
    _assert_extends(a, b, D, D1)
    for dataset in ("prices", "fundamentals", "attention", "rates"):
        frame = b.get(dataset)
        col = "as_of" if dataset == "fundamentals" else "date"
        assert frame[col].max() == pd.Timestamp(D1), dataset


def test_weeks_later_and_on_a_weekend(two_days):
    a, _ = two_days
    later = dt.date(2027, 1, 8)  # seven weeks on, across a year end
    _assert_extends(a, load_daily_sample(later, **SMALL), D, later)
    saturday = load_daily_sample(dt.date(2026, 11, 21), **SMALL)
    pd.testing.assert_frame_equal(saturday.get("prices"), two_days[1].get("prices"), check_exact=True)


def test_deterministic_and_seeded():
    x = load_daily_sample(D, **SMALL)
    y = load_daily_sample(D, **SMALL)
    pd.testing.assert_frame_equal(x.get("prices"), y.get("prices"), check_exact=True)
    z = load_daily_sample(D, seed=8, **SMALL)
    assert not z.get("prices")["close"].equals(x.get("prices")["close"])


def test_next_day_ingest_writes_only_the_new_day(two_days):
    con = duckdb.connect()
    con.execute(store.SCHEMA_SQL.read_text())
    a, b = two_days
    first = {ds: write_dataset(con, a, ds, f, dt.datetime(2026, 11, 19, 22))[0] for ds, f in a.frames.items()}
    assert first["prices"] == len(a.get("prices"))
    second = {ds: write_dataset(con, b, ds, f, dt.datetime(2026, 11, 20, 22)) for ds, f in b.frames.items()}
    prices = b.get("prices")
    assert second["prices"][0] == (prices["date"] == pd.Timestamp(D1)).sum() == 47  # one row per ticker
    # the two-year window moved one session on: the session that left it stays stored (a
    # rolling window replaces only the days it covers), so nothing is deleted
    assert second["prices"][1] == 0
    assert con.execute("SELECT count(*) FROM raw.prices").fetchone()[0] == len(prices) + 47
    for dataset in ("fundamentals", "attention"):
        col = "as_of" if dataset == "fundamentals" else "date"
        frame = b.get(dataset)
        assert second[dataset] == ((frame[col] == pd.Timestamp(D1)).sum(), 0), dataset
    # the 12 fed funds contract months carry their own 60-session window, inside the table's:
    # the session leaving it goes (no incremental mart reads rates)
    rates = b.get("rates")
    assert second["rates"] == ((rates["date"] == pd.Timestamp(D1)).sum(), 12)
    for dataset in ("universe", "pairs", "fomc_calendar"):
        assert second[dataset] == (0, 0), dataset
    # within the window a complete source still replaces: a ticker it no longer delivers goes
    gone = b.get("prices")["ticker"].iloc[-1]
    third = write_dataset(con, b, "prices", b.get("prices").query("ticker != @gone"), dt.datetime(2026, 11, 20, 23))
    assert third == (0, (b.get("prices")["ticker"] == gone).sum())
    assert con.execute("SELECT count(*) FROM raw.prices WHERE ticker = ?", [gone]).fetchone()[0] == 1  # before the window
    con.close()


def test_next_day_marts_build_incrementally(two_days):
    """The quickstart's next-day run: one day ingested, the incremental marts recompute only it."""
    from scout_pipeline import build, params

    con = duckdb.connect()
    con.execute(store.SCHEMA_SQL.read_text())
    a, b = two_days
    for day, data, at in ((D, a, dt.datetime(2026, 11, 19, 22)), (D1, b, dt.datetime(2026, 11, 20, 22))):
        for ds, f in data.frames.items():
            write_dataset(con, data, ds, f, at)
        run = {**params.resolve({}), "as_of": day, "incremental": True}
        why = {m.table: build.build_model(con, m, run) for m in build.ordered()}
    incremental = [t for t, m in ((m.table, m) for m in build.ordered()) if m.incremental]
    assert incremental and all(str(why[t]).startswith(f"from {D1}") for t in incremental), why
    con.close()


@pytest.mark.parametrize("as_of", [dt.date(2026, 11, 20), dt.date(2026, 12, 30), dt.date(2027, 3, 3),
                                   dt.date(2027, 3, 4)])
def test_planted_situations_on_any_day(as_of):
    con = duckdb.connect()
    con.execute(store.SCHEMA_SQL.read_text())
    for dataset, frame in load_daily_sample(as_of, years=2).frames.items():
        load(con, dataset, frame)
    build_all(con, run_params(as_of))
    status = dict(con.execute("SELECT ticker, status FROM marts.cooling_breakouts").fetchall())
    expected = expected_statuses(as_of)
    assert {"heating", "cooling", "failed"} <= set(expected.values())
    for ticker, kind in expected.items():
        assert status.get(ticker) == kind, (as_of, ticker, kind, status)
    assert set(status) == planted_tickers(as_of)  # every planted breakout, and nobody else
    pe = con.execute("SELECT forward_pe FROM marts.valuation_gap WHERE segment = 'small_cap' "
                     "AND as_of = (SELECT max(as_of) FROM marts.valuation_gap)").fetchone()[0]
    assert pe == pytest.approx(SMALL_FORWARD_PE, rel=1e-3)
    con.close()


def _runs(ahead: pd.Series) -> pd.DataFrame:
    run_id = (ahead != ahead.shift()).cumsum()
    g = ahead.groupby(run_id)
    return pd.DataFrame({"ahead": g.first(), "end": g.apply(lambda r: r.index[-1]), "length": g.size()})


@pytest.mark.parametrize("as_of", [dt.date(2025, 8, 14), dt.date(2026, 11, 20), dt.date(2026, 12, 30)])
def test_planted_streaks_and_valuation(as_of):
    data = load_daily_sample(as_of, years=6, n_small=20, n_large=10)
    prices = data.get("prices")
    closes = prices.pivot(index="date", columns="ticker", values="close").sort_index()
    rets = closes[["^RUT", "^GSPC"]].pct_change().iloc[1:]
    runs = _runs(rets["^RUT"] > rets["^GSPC"]).iloc[1:-1]  # whole runs only
    ahead, behind = runs[runs["ahead"]], runs[~runs["ahead"]]
    # a planted run of 7+ in every STREAK_PERIOD sessions; 12 only as the planted record
    recent = ahead[ahead["end"] >= closes.index[-2 * STREAK_PERIOD]]
    assert (recent["length"] >= 7).any()
    assert sorted(set(ahead["length"][ahead["length"] >= 7])) == [7, 9, 12]
    assert behind["length"].max() <= 10
    long = ahead[ahead["length"] >= 7]
    gaps = long["end"].map(list(closes.index).index).diff().dropna()
    assert (gaps == STREAK_PERIOD).all()
    # valuation on the as-of session: the aggregate forward P/E of each segment, by hand
    fund = data.get("fundamentals")
    last = fund[fund["as_of"] == fund["as_of"].max()]
    universe = data.get("universe").set_index("ticker")
    for segment in ("small_cap", "sp600"):
        members = [t for t in last["ticker"] if segment in universe.loc[t, "segments"]]
        s = last[last["ticker"].isin(members) & last["forward_eps"].notna()]
        assert s["market_cap"].sum() / (s["shares_outstanding"] * s["forward_eps"]).sum() == pytest.approx(
            SMALL_FORWARD_PE, rel=1e-3), segment
    synthetic = last[last["ticker"].str.match(r"S\d")]
    assert (synthetic["trailing_eps"] < 0).mean() == pytest.approx(0.40)


def test_rates_follow_the_meetings():
    data = load_daily_sample(dt.date(2026, 11, 20), **SMALL)
    rates = data.get("rates")
    dff = rates[rates["series"] == "DFF"].set_index("date")["value"].sort_index()
    meetings = set(pd.to_datetime(data.get("fomc_calendar")["meeting_date"]))
    steps = dff[dff.diff().fillna(0) != 0]
    assert len(steps) >= 10  # two years of meetings, each moving the rate
    for day, move in dff.diff()[steps.index].items():
        last_meeting = max(m for m in meetings if m < day)
        assert (day - last_meeting).days <= 5, day  # the policy rate moves only after a meeting
        assert round(move, 2) in (-0.25, 0.5)
    low = rates[rates["series"] == "DFEDTARL"].set_index("date")["value"].sort_index()
    assert ((dff - low).round(2) == 0.08).all()


@pytest.mark.parametrize("as_of, length", [(dt.date(2026, 11, 20), 7), (dt.date(2027, 5, 25), 9)])
def test_brief_headline_on_a_planted_streak_end(as_of, length):
    con = duckdb.connect()
    con.execute(store.SCHEMA_SQL.read_text())
    for dataset, frame in load_daily_sample(as_of, years=2).frames.items():
        load(con, dataset, frame)
    build_all(con, run_params(as_of))
    headline = con.execute("SELECT headline FROM marts.daily_brief WHERE section = 'rotation'").fetchone()[0]
    assert headline.startswith(f"Russell 2000 ahead of the S&P 500 for {length} sessions"), headline
    if as_of == dt.date(2026, 11, 20):  # in a cutting phase: the Dec 16 cut gets priced in
        rates = con.execute("SELECT headline FROM marts.daily_brief WHERE section = 'rates'").fetchone()[0]
        assert rates.startswith("Rate expectations: dovish shift; next FOMC Dec 16"), rates
    con.close()
