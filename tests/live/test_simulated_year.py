"""The live daily run through 62 consecutive simulated sessions of real-shaped provider answers.

The provider simulator (tests/sim) answers Yahoo's chart / v7 quote / quoteSummary, Wikimedia
pageviews, FRED CSV, the iShares CSV and the Wikipedia constituent tables over HTTP, under the
real yfinance and requests code, from a market with events on its calendar: a 2:1 split, a
1:10 reverse split, dividends (several names, ETFs too), a delisting, an IPO that joins the
S&P 600, a constituent that leaves it, a halted name, a rate-limit wave in the middle of the
prices and a day Yahoo is down.

Most days go through the live ingest path without Dagster: `load_live` with the store's state,
then `raw_load` (what the ingest assets write) and the blocking raw prices suite. Three days go
through `scout run --source live` (the first load, the split, the reverse split). Afterwards
the store must equal a from-scratch load of the same provider state, no day may have been
blocked by a corporate action, and every restatement must be in `raw.restatements`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scout_pipeline import calendar, cli, params, quality, raw_load, store
from scout_pipeline.quality import ingest as gate
from scout_pipeline.quality.runner import RunContext
from scout_pipeline.sources import fomc, live, yahoo
from scout_pipeline.sources.contracts import RAW_TABLES
from scout_pipeline.sources.errors import SourceUnavailable
from scout_pipeline.sources.live_state import StoredState, read_state
from tests.conftest import dagster_home
from tests.sim import ProviderSim, sim_yfinance, standard_market

DAYS = calendar.sessions(dt.date(2025, 9, 2), dt.date(2025, 12, 1))[:62]
SPLIT, DIV1, REVERSE, IPO_LISTS, IPO_JOINS = DAYS[8], DAYS[15], DAYS[20], DAYS[24], DAYS[26]
DELISTED, LEFT_ON, WAVE, HALT, DIV2, OUTAGE = DAYS[30], DAYS[35], DAYS[38], DAYS[40], DAYS[45], DAYS[50]
DAGSTER_DAYS = {DAYS[0], SPLIT, REVERSE}
MIN_ROWS = {"sp500": 1, "sp600": 1, "russell2000": 1}
REAL_LOAD_LIVE = live.load_live


def _market():
    m = standard_market()
    small = dict(first_day="2015-01-02", sector="Industrials")
    m.add("SPLT", name="Splitco", splits=[(SPLIT, 2, 1)], wikipedia_article="Splitco", start_price=40, **small)
    m.add("REVS", name="Reverse Holdings", splits=[(REVERSE, 1, 10)], start_price=30, drift=-0.6, **small)
    m.add("DIVS", name="Dividend Corp", dividends=[(DIV1, 0.45), (DIV2, 0.5)], start_price=35, **small)
    m.add("GONE", name="Gone Inc", last_day=DELISTED, start_price=12, **small)
    m.add("NEWCO", name="Newco", first_day=IPO_LISTS, sector="Industrials", start_price=20)
    m.add("LEFT", name="Leaver Corp", start_price=25, **small)
    m.add("HALT", name="Halted Co", halts=[(HALT, DAYS[42])], start_price=18, **small)
    m.add("PLN1", name="Plain One", start_price=22, **small)
    m.add("PLN2", name="Plain Two", start_price=28, **small)
    for t in ("SPLT", "REVS", "DIVS", "LEFT", "HALT", "PLN1", "PLN2"):
        m.join("sp600", t, "2016-01-04")
    m.join("sp600", "GONE", "2016-01-04", until=DAYS[31])
    m.join("sp600", "NEWCO", IPO_JOINS)
    m.leave("sp600", "LEFT", LEFT_ON)
    return m


def _evening(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 0), tzinfo=dt.timezone.utc)  # 18:00/19:00 New York


class Live:
    """`load_live` against the simulator, the way a daily run calls it."""

    def __init__(self, sim: ProviderSim, env) -> None:
        self.sim, self.env = sim, env

    def __call__(self, as_of, *, state: StoredState | None = None, history_start=None, **_):
        day = pd.Timestamp(as_of).date()
        return REAL_LOAD_LIVE(day, state=state, history_start=history_start, http=self.env.session,
                                   yf_session=self.env.session, sleep=lambda s: None, now=_evening(day),
                                   preflight_timeout=1.0, chunk_size=8, constituent_min_rows=MIN_ROWS)


def ingest_day(store_path: Path, day: dt.date, load: Live) -> list:
    """One day through the live ingest path without Dagster; returns the blocking failures
    of the raw prices suite on the rows the day wrote."""
    data = load(day, state=read_state(store_path))
    run_id = f"sim-{day:%Y%m%d}-{uuid.uuid4().hex[:6]}"
    loaded_at = dt.datetime.now(dt.timezone.utc)
    con = duckdb.connect(str(store_path))
    try:
        con.execute(store.SCHEMA_SQL.read_text())
        for dataset in RAW_TABLES:
            frame = data.get(dataset)
            if frame is not None:
                frame = gate.set_aside_duplicates(con, run_id, dataset, frame, loaded_at)
            written, _ = raw_load.write_dataset(con, data, dataset, frame, loaded_at)
            gate.log_ingest(con, run_id, dataset, loaded_at, written)
        raw_load.write_run_records(con, data, run_id, day, "live")
        outcome = quality.run_suite(con, "raw", "prices", RunContext(
            run_id, day, params={**params.resolve({}), "as_of": day}))
    finally:
        con.close()
    return [f for f in outcome.failures if f.blocking]


def _prices(db: Path, tickers: set[str] | None = None) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        frame = con.execute("SELECT ticker, date, open, high, low, close, adj_close, volume FROM raw.prices "
                            "ORDER BY ticker, date").df()
    finally:
        con.close()
    return frame[frame["ticker"].isin(tickers)].reset_index(drop=True) if tickers else frame


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """Drive the 62 days once; the tests below read what it left."""
    root = tmp_path_factory.mktemp("simulated-year")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(dagster_home(root / "dagster_home")))
    sim = ProviderSim(_market(), day=DAYS[0])
    wh = root / "wh"
    outcome: dict = {"failed_days": {}, "blocked": {}, "sim": sim, "wh": wh}
    with sim_yfinance(root / "yf-cache", sim) as env:
        load = Live(sim, env)
        mp.setattr(live, "load_live", load)  # what `scout run --source live` calls
        for day in DAYS:
            sim.day = day
            if day == WAVE:  # mid-prices: after 20 chart answers, 30 answer 429
                sim.rate_limit("chart", count=30, start_after=20)
                before_wave = sum(1 for e in sim.log if e.status == 429)
            if day == OUTAGE:
                sim.down("yahoo")
            if day in DAGSTER_DAYS:
                code = cli.main(["run", "--source", "live", "--as-of", day.isoformat(), "--warehouse", str(wh)])
                if code != 0:
                    outcome["failed_days"][day] = f"scout run exited {code}"
            else:
                try:
                    blocked = ingest_day(wh / "store.duckdb", day, load)
                except SourceUnavailable as exc:
                    outcome["failed_days"][day] = str(exc)
                else:
                    if blocked:
                        outcome["blocked"][day] = [f.expectation for f in blocked]
            if day == WAVE:
                outcome["wave_429s"] = sum(1 for e in sim.log if e.status == 429) - before_wave
            sim.up("yahoo")
        # the same provider state, loaded from scratch: a first live load, and every ticker's
        # whole history as deep as the store holds it, through the same adapter
        fresh = root / "fresh.duckdb"
        ingest_day(fresh, DAYS[-1], load)
        outcome["fresh"] = fresh
        outcome["universe"] = set(load(DAYS[-1]).frames["universe"]["ticker"])
        firsts = _prices(wh / "store.duckdb").groupby("ticker")["date"].min()
        full = []
        for start, group in firsts[firsts.index.isin(outcome["universe"])].groupby(firsts):
            got = yahoo.fetch_prices(list(group.index), start.date(), DAYS[-1], session=env.session,
                                     sleep=lambda s: None)
            assert got.failures == [], got.failures
            full.append(got.frame)
        outcome["full"] = pd.concat(full, ignore_index=True).sort_values(["ticker", "date"]).reset_index(drop=True)
    mp.undo()
    return outcome


def test_no_day_is_blocked_and_only_the_outage_fails(year):
    assert year["wave_429s"] >= 30  # the wave happened, and its day still completed
    assert year["blocked"] == {}
    assert list(year["failed_days"]) == [OUTAGE], year["failed_days"]
    assert "query1.finance.yahoo.com" in year["failed_days"][OUTAGE]


def _assert_same_bars(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same keys; every price within 1e-9 relative."""
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    keys = [[(t, pd.Timestamp(d)) for t, d in zip(f["ticker"], f["date"])] for f in (got, want)]
    assert keys[0] == keys[1], (len(keys[0]), len(keys[1]), set(keys[0]) ^ set(keys[1]))
    for col in ("open", "high", "low", "close", "adj_close", "volume"):
        a, b = got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float)
        rel = abs(a - b) / abs(b).clip(min=1e-12)
        bad = ~(rel <= 1e-9) & ~(pd.isna(a) & pd.isna(b))
        assert not bad.any(), (col, got[bad].head(), want[bad].head())


def test_the_store_equals_a_load_from_scratch(year):
    """Every ticker of today's universe: the store holds exactly the provider's current bars,
    as deep as its first load reached (a from-scratch fetch of the same range), and a
    from-scratch first live load is the tail of it. The names that left keep their history."""
    tickers = year["universe"]
    stored = _prices(year["wh"] / "store.duckdb", tickers)
    _assert_same_bars(stored, year["full"][stored.columns])
    fresh = _prices(year["fresh"], tickers)
    tail = stored.merge(fresh[["ticker"]].drop_duplicates(), on="ticker")
    tail = tail[tail["date"] >= tail["ticker"].map(fresh.groupby("ticker")["date"].min())]
    _assert_same_bars(tail, fresh)
    depth = fresh.groupby("ticker")["date"].min()
    assert depth["PLN1"] == pd.Timestamp("2022-11-28") and depth["^RUT"] == pd.Timestamp("1987-09-10")
    left = set(_prices(year["wh"] / "store.duckdb")["ticker"]) - tickers
    assert {"GONE", "LEFT"} <= left
    assert _prices(year["wh"] / "store.duckdb", {"GONE"})["date"].max() == pd.Timestamp(DELISTED)


def test_every_restatement_is_in_the_log(year):
    con = duckdb.connect(str(year["wh"] / "store.duckdb"), read_only=True)
    try:
        log = con.execute("SELECT as_of, ticker, reason, factor, event_date, rows_replaced FROM raw.restatements "
                          "ORDER BY as_of, ticker").df()
    finally:
        con.close()
    sim = year["sim"]
    expected = set()
    for ticker, inst in sim.market.instruments.items():
        for day, *_ in [*inst.splits, *inst.dividends]:
            if DAYS[0] < day <= DAYS[-1] and ticker in set(_prices(year["wh"] / "store.duckdb")["ticker"]):
                if not (ticker == "LEFT" and day >= LEFT_ON):
                    expected.add((ticker, day))
    for ticker, day in expected:
        mine = log[(log["ticker"] == ticker) & (log["as_of"] >= pd.Timestamp(day))]
        assert len(mine), f"no restatement of {ticker} for its event on {day}"
        first = mine.iloc[0]
        # found on the event day, or on the next day that ran (the outage day did not)
        assert first["as_of"] <= pd.Timestamp(calendar.sessions(day, DAYS[-1])[1 if day == OUTAGE else 0])
    split = log[log["ticker"] == "SPLT"].iloc[0]
    assert split["reason"] == f"split 2:1 on {SPLIT}" and split["factor"] == 2.0
    reverse = log[log["ticker"] == "REVS"].iloc[0]
    assert reverse["reason"] == f"split 1:10 on {REVERSE}" and reverse["factor"] == pytest.approx(0.1)
    assert (log["rows_replaced"] > 100).all()  # the whole history, not the window


def test_a_new_constituent_gets_its_history_and_index_series_all_of_theirs(year):
    prices = _prices(year["wh"] / "store.duckdb", {"NEWCO", "^RUT"})
    first = prices.groupby("ticker")["date"].min()
    assert first["NEWCO"] == pd.Timestamp(IPO_LISTS)  # all of it, from the day it listed
    assert first["^RUT"] == pd.Timestamp("1987-09-10")  # "first time since" needs all of it


def test_the_fed_funds_contract_months_arrive_daily_and_the_meetings_are_priced(year):
    store_db = duckdb.connect(str(year["wh"] / "store.duckdb"), read_only=True)
    try:
        last = {r[0] for r in store_db.execute(
            "SELECT series FROM raw.rates WHERE regexp_matches(series, ?) AND date = ?",
            [fomc.CONTRACT_REGEX, DAYS[-1]]).fetchall()}
    finally:
        store_db.close()
    assert last == set(fomc.contract_symbols(DAYS[-1]))  # ZQZ25.CBT .. ZQX26.CBT
    published = duckdb.connect(str(year["wh"] / "scout.duckdb"), read_only=True)
    try:  # the last Dagster day's build (its first run's month on: 21 sessions of September)
        meetings, priced = published.execute(
            "SELECT count(*), count(implied_rate) FROM marts.fomc_expectations WHERE as_of = ?",
            [REVERSE]).fetchone()
        signal, next_meeting = published.execute(
            "SELECT signal, next_meeting FROM marts.rate_expectations WHERE date = ?", [REVERSE]).fetchone()
    finally:
        published.close()
    assert meetings == priced == 7  # Oct 29 2025 .. Jul 29 2026: the 12 contract months from September
    assert next_meeting == dt.date(2025, 10, 29) and signal != "insufficient history"
