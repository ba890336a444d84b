"""The sample source: contracts, determinism, and every planted situation, recomputed here
independently from the frames (plain pandas, not the generator's internals)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scout_pipeline import calendar
from scout_pipeline.sources import sample
from scout_pipeline.sources.contracts import ASSET_TYPES, RAW_TABLES, SourceData, columns
from scout_pipeline.sources.defaults import (
    default_pairs,
    default_universe,
    enrich_universe,
    infer_asset_type,
)
from scout_pipeline.sources.sample import PLANTED, load_sample, planted

AS_OF = dt.date(2025, 8, 14)  # a Thursday session
AS_OF_TS = pd.Timestamp(AS_OF)
DATASETS = ["prices", "fundamentals", "attention", "rates", "universe", "pairs", "fomc_calendar"]


@pytest.fixture(scope="module")
def data() -> SourceData:
    return load_sample(AS_OF)


@pytest.fixture(scope="module")
def prices(data) -> pd.DataFrame:
    return data.get("prices")


@pytest.fixture(scope="module")
def closes(prices) -> pd.DataFrame:
    """close as a (date x ticker) matrix."""
    return prices.pivot(index="date", columns="ticker", values="close").sort_index()


@pytest.fixture(scope="module")
def universe(data) -> pd.DataFrame:
    return data.get("universe")


def _segment(universe: pd.DataFrame, segment: str) -> list[str]:
    return [t for t, segs in zip(universe["ticker"], universe["segments"]) if segment in segs]


def _runs(flags: pd.Series) -> pd.DataFrame:
    """Runs of equal booleans: value, start, end (labels), length."""
    run_id = (flags != flags.shift()).cumsum()
    grouped = flags.groupby(run_id)
    return pd.DataFrame({
        "value": grouped.first(),
        "start": grouped.apply(lambda s: s.index[0]),
        "end": grouped.apply(lambda s: s.index[-1]),
        "length": grouped.size(),
    }).reset_index(drop=True)


# ----------------------------------------------------------------------------- defaults

def test_default_pairs():
    pairs = default_pairs()
    assert list(pairs.columns) == columns("pairs")
    got = {r.pair_id: (r.lead, r.base) for r in pairs.itertuples()}
    assert got == {
        "smallcap_vs_largecap": ("^RUT", "^GSPC"),
        "sp600_vs_sp500": ("^SP600", "^GSPC"),
        "equalweight_vs_capweight": ("RSP", "SPY"),
        "smallcap_vs_nasdaq": ("^RUT", "^IXIC"),
        "topix_vs_nikkei": ("1306.T", "^N225"),
    }
    assert (pairs["source"] == "default").all()
    assert "TOPIX" in pairs.set_index("pair_id").loc["topix_vs_nikkei", "label"]


def test_default_universe():
    uni = default_universe()
    assert list(uni.columns) == columns("universe")
    assert uni["ticker"].is_unique
    assert set(uni["asset_type"]) <= set(ASSET_TYPES)
    by = uni.set_index("ticker")
    assert by.loc["ZQ=F", "asset_type"] == "future"
    assert by.loc["^RUT", "asset_type"] == "index" and by.loc["IWM", "asset_type"] == "etf"
    assert by.loc["NVDA", "wikipedia_article"] == "Nvidia"
    assert by.loc["AAPL", "wikipedia_article"] == "Apple Inc."
    assert by.loc["MOD", "segments"] == ["small_cap", "russell2000", "watchlist"]
    assert by.loc["MSFT", "segments"] == ["large_cap", "sp500", "watchlist"]
    assert by.loc["^GSPC", "segments"] == [] and by.loc["^GSPC", "sector"] is None
    assert set(sample.WATCHLIST) <= set(uni["ticker"])
    assert all(isinstance(s, list) for s in uni["segments"])


def test_enrich_universe():
    uni = enrich_universe(["MSFT", "XYZ", "^FOO", "CL=F", "MSFT"])
    assert list(uni.columns) == columns("universe")
    assert list(uni["ticker"]) == ["MSFT", "XYZ", "^FOO", "CL=F"]
    by = uni.set_index("ticker")
    assert by.loc["MSFT", "source"] == "default"
    assert by.loc["MSFT", "name"] == "Microsoft Corporation"
    assert by.loc["XYZ", "source"] == "derived" and by.loc["XYZ", "name"] == "XYZ"
    types = [by.loc[t, "asset_type"] for t in ["XYZ", "^FOO", "CL=F"]]
    assert types == ["equity", "index", "future"]
    assert by.loc["XYZ", "segments"] == [] and by.loc["XYZ", "sector"] is None
    assert infer_asset_type("ZQ=F") == "future"
    assert list(enrich_universe([]).columns) == columns("universe")


# ----------------------------------------------------------------------------- shape, contracts

def test_contract_columns_and_source(data):
    assert data.name == "sample"
    for ds in DATASETS:
        frame = data.get(ds)
        assert frame is not None and len(frame) > 0, ds
        assert list(frame.columns) == columns(ds), ds
        assert (frame["source"] == "sample").all(), ds
        key = RAW_TABLES[ds][0]
        assert not frame[key].isna().any().any(), ds
        assert not frame.duplicated(key).any(), ds
    for ds in ["prices", "fundamentals", "attention", "rates"]:
        frame = data.get(ds)
        col = "as_of" if ds == "fundamentals" else "date"
        assert frame[col].dtype == "datetime64[ns]"
        assert (frame[col] == frame[col].dt.normalize()).all()
    assert "loaded_at" not in data.get("prices").columns
    assert any("SYNTHETIC" in n for n in data.notes)


def test_deterministic(data):
    again = load_sample(AS_OF)
    assert again.notes == data.notes
    for ds in DATASETS:
        pd.testing.assert_frame_equal(again.get(ds), data.get(ds), check_exact=True)
    other = load_sample(AS_OF, seed=8)
    assert not other.get("prices")["close"].equals(data.get("prices")["close"])


def test_nothing_after_as_of_and_sessions(data, prices):
    for ds, col in [("prices", "date"), ("fundamentals", "as_of"), ("attention", "date"),
                    ("rates", "date")]:
        assert data.get(ds)[col].max() == AS_OF_TS, ds
    dates = prices.loc[prices["ticker"] == "^GSPC", "date"]
    expected = calendar.sessions(dt.date(2015, 8, 14), AS_OF)
    assert [d.date() for d in dates] == expected
    assert len(dates) > 2500
    day_set = set(prices["date"].unique())
    for holiday in ["2024-12-25", "2025-07-04", "2025-01-01", "2025-01-09", "2025-04-18"]:
        assert pd.Timestamp(holiday) not in day_set, holiday
    assert prices["date"].dt.day_of_week.max() <= 4
    # every ticker has the full calendar
    assert prices.groupby("ticker").size().nunique() == 1


def test_non_session_as_of():
    sd = load_sample(dt.date(2025, 12, 25), years=2, n_small=20, n_large=10)  # Christmas
    px = sd.get("prices")
    assert px["date"].max() == pd.Timestamp("2025-12-24")
    for ds, col in [("fundamentals", "as_of"), ("attention", "date"), ("rates", "date")]:
        assert sd.get(ds)[col].max() <= pd.Timestamp("2025-12-24"), ds
    assert any("not an NYSE session" in n for n in sd.notes)
    closes = px.pivot(index="date", columns="ticker", values="close")
    ahead = closes["^RUT"].pct_change() > closes["^GSPC"].pct_change()
    assert ahead.iloc[-7:].all() and not ahead.iloc[-8]
    weekend = load_sample(dt.date(2025, 8, 16), years=2, n_small=20, n_large=10)
    assert weekend.get("prices")["date"].max() == pd.Timestamp("2025-08-15")


def test_ohlc_invariants(prices):
    p = prices
    assert (p[["open", "high", "low", "close", "adj_close"]] > 0).all().all()
    assert (p["high"] >= p[["open", "close"]].max(axis=1)).all()
    assert (p["low"] <= p[["open", "close"]].min(axis=1)).all()
    assert p["volume"].dtype == "int64" and (p["volume"] > 0).all()
    idx = p[p["ticker"].str.startswith("^")]
    assert (idx["adj_close"] == idx["close"]).all()
    eq = p[~p["ticker"].str.startswith("^")]
    assert (eq["adj_close"] <= eq["close"] * (1 + 1e-6)).all()
    last = eq[eq["date"] == AS_OF_TS]
    assert np.allclose(last["adj_close"], last["close"], rtol=1e-4)
    spy = eq[eq["ticker"] == "SPY"]
    assert (spy["adj_close"].iloc[0] / spy["close"].iloc[0]) < 0.95  # ten years of dividends


def test_tickers_and_universe(prices, universe):
    tickers = set(prices["ticker"].unique())
    smalls = sample.small_tickers(60)
    larges = sample.large_tickers(40)
    assert smalls[0] == "S001" and larges[-1] == "L040"
    expected = set(sample.INDICES + sample.ETFS + sample.WATCHLIST + smalls + larges)
    assert tickers == expected and len(tickers) == 9 + 8 + 100
    assert set(universe["ticker"]) == tickers
    by = universe.set_index("ticker")
    assert set(by["asset_type"]) <= set(ASSET_TYPES)
    assert by.loc["^RUT", "asset_type"] == "index" and by.loc["SPY", "asset_type"] == "etf"
    small = _segment(universe, "small_cap")
    large = _segment(universe, "large_cap")
    assert len(small) == 61 and "MOD" in small
    assert len(large) == 47 and "NVDA" in large
    assert set(_segment(universe, "russell2000")) == set(small)
    assert set(_segment(universe, "sp500")) == set(large)
    assert len(set(_segment(universe, "sp600")) & set(smalls)) == 30
    assert set(_segment(universe, "watchlist")) == set(sample.WATCHLIST)
    assert by.loc["MSFT", "wikipedia_article"] == "Microsoft"
    assert by.loc["S001", "name"] == "Sample Smallco 001"
    assert by.loc["L001", "wikipedia_article"] == "Sample Largeco 001"
    assert by.loc["^GSPC", "segments"] == []
    assert by.loc[smalls + larges, "sector"].nunique() == 11


def test_indices_track_constituents(closes, data):
    fund = data.get("fundamentals")
    last = fund[fund["as_of"] == AS_OF_TS].set_index("ticker")
    shares = last["shares_outstanding"]
    universe = data.get("universe")
    rets = closes.pct_change().iloc[1:]

    def cap_weighted(tickers):
        level = (closes[tickers] * shares[tickers]).sum(axis=1)
        return level.pct_change().iloc[1:]

    small = _segment(universe, "small_cap")
    large = _segment(universe, "large_cap")
    assert rets["^RUT"].corr(cap_weighted(small)) > 0.97
    assert np.allclose(rets["^GSPC"], cap_weighted(large), atol=1e-4)
    assert rets["IWM"].corr(rets["^RUT"]) > 0.99
    assert rets["SPY"].corr(rets["^GSPC"]) > 0.99
    assert rets["^SP600"].corr(rets["^RUT"]) > 0.95
    assert rets["RSP"].corr(rets[large].mean(axis=1)) > 0.99


# ----------------------------------------------------------------------------- a) streak

def test_planted_streak(closes):
    ret = closes[["^RUT", "^GSPC"]].pct_change().iloc[1:]
    ahead = ret["^RUT"] > ret["^GSPC"]
    runs = _runs(ahead)
    pos = runs[runs["value"]]
    sessions_list = list(closes.index)
    back = {d: len(sessions_list) - 1 - i for i, d in enumerate(sessions_list)}

    current = runs.iloc[-1]
    assert current["value"] and current["length"] == 7 and current["end"] == AS_OF_TS
    assert not ahead.iloc[-8]

    earlier = pos.iloc[:-1]
    comparable = earlier[earlier["length"] >= 7].iloc[-1]
    assert comparable["length"] == 9
    assert 140 <= back[comparable["end"]] <= 160
    # nothing else >= 7 ahead within the last 150 sessions
    recent = earlier[earlier["end"].map(back) < 150]
    assert (recent["length"] < 7).all()
    # the record: 12, about five years back, unique, and no run of either sign is longer
    record = pos[pos["length"] == pos["length"].max()]
    assert len(record) == 1 and record["length"].iloc[0] == 12
    assert 1200 <= back[record["end"].iloc[0]] <= 1320
    assert runs["length"].max() == 12


# ----------------------------------------------------------------------------- b) fundamentals

def test_fundamentals_shape_and_identities(data, prices, universe):
    fund = data.get("fundamentals")
    equities = set(universe.loc[universe["asset_type"] == "equity", "ticker"])
    assert set(fund["ticker"]) == equities
    assert (fund.groupby("ticker").size() == 260).all()
    sessions = sorted(prices["date"].unique())
    assert sorted(fund["as_of"].unique()) == sessions[-260:]
    merged = fund.merge(prices[["ticker", "date", "close"]], left_on=["ticker", "as_of"],
                        right_on=["ticker", "date"])
    assert len(merged) == len(fund)
    assert np.allclose(merged["market_cap"], merged["close"] * merged["shares_outstanding"])
    never_null = ["ticker", "as_of", "market_cap", "shares_outstanding", "sector"]
    assert fund[never_null].notna().all().all()
    # forward/trailing P/E: close / EPS, null when EPS <= 0 (or absent)
    pos = merged["forward_eps"] > 0
    assert merged.loc[~pos, "forward_pe"].isna().all()
    p = merged[pos]
    assert np.allclose(p["forward_pe"], p["close"] / p["forward_eps"], rtol=1e-4, atol=1e-4)
    tpos = merged["trailing_eps"] > 0
    assert merged.loc[~tpos, "trailing_pe"].isna().all()
    both = merged[["trailing_eps", "net_income_ttm"]].notna().all(axis=1)
    m = merged[both]
    implied = m["trailing_eps"] * m["shares_outstanding"]
    assert np.allclose(m["net_income_ttm"], implied, rtol=1e-3, atol=1)
    # a few vanished fields, ~2%
    for col in ["forward_eps", "profit_margin", "total_cash", "industry"]:
        share = fund[col].isna().mean()
        assert 0.005 < share < 0.04, col


def test_small_caps_unprofitable_and_cheaper(data, universe):
    fund = data.get("fundamentals")
    last = fund[fund["as_of"] == AS_OF_TS].set_index("ticker")
    small = _segment(universe, "small_cap")
    large = _segment(universe, "large_cap")
    s = last.loc[small]
    known = s["trailing_eps"].notna()
    unprofitable = s.loc[known, "trailing_eps"] < 0
    assert 0.30 <= unprofitable.mean() <= 0.50
    ni_known = s[s[["trailing_eps", "net_income_ttm"]].notna().all(axis=1)]
    assert ((ni_known["trailing_eps"] < 0) == (ni_known["net_income_ttm"] < 0)).all()
    synthetic = [t for t in small if t.startswith("S")]
    all_s = fund[(fund["ticker"].isin(synthetic))].groupby("ticker")["trailing_eps"].median()
    assert (all_s < 0).sum() == 24

    def aggregate_pe(frame):
        covered = frame[frame["forward_eps"].notna()]
        earnings = covered["shares_outstanding"] * covered["forward_eps"]
        return covered["market_cap"].sum() / earnings.sum()

    small_pe, large_pe = aggregate_pe(s), aggregate_pe(last.loc[large])
    assert 20.5 <= large_pe <= 22.5
    assert 14.0 <= small_pe <= 16.0
    discount = 1 - small_pe / large_pe
    assert 0.25 <= discount <= 0.35


# ----------------------------------------------------------------------------- c) breakouts

def _breakouts(prices: pd.DataFrame, lookback: int = 252, window: int = 60) -> pd.DataFrame:
    """Per equity: first close above its prior `lookback`-session closing high in the last
    `window` sessions, and what followed."""
    rows = []
    for ticker, g in prices.groupby("ticker"):
        if ticker.startswith("^") or ticker in sample.ETFS:
            continue
        g = g.sort_values("date").reset_index(drop=True)
        prior_high = g["close"].shift(1).rolling(lookback).max()
        above = (g["close"] > prior_high) & (g.index >= len(g) - window)
        if not above.any():
            continue
        b = int(np.flatnonzero(above)[0])
        after = g.iloc[b:]
        peak_i = int(after["close"].idxmax())
        vol_avg = g["volume"].iloc[b - 50:b].mean()
        rows.append({
            "ticker": ticker, "breakout_back": len(g) - 1 - b, "level": prior_high[b],
            "peak": g["close"][peak_i], "peak_back": len(g) - 1 - peak_i,
            "close": g["close"].iloc[-1], "volume_ratio": g["volume"][b] / vol_avg,
        })
    out = pd.DataFrame(rows).set_index("ticker")
    out["pullback"] = 1 - out["close"] / out["peak"]
    return out


def _attention_change(attention: pd.DataFrame, ticker: str, sessions: list) -> list[float]:
    """Attention change, recent mean vs the mean just before, under three window choices:
    20 vs 60 sessions, 20 vs 60 calendar days, 28 vs 84 calendar days."""
    a = attention[attention["ticker"] == ticker].set_index("date")["value"].sort_index()
    on_sessions = a.reindex(sessions).dropna()
    return [
        on_sessions.iloc[-20:].mean() / on_sessions.iloc[-80:-20].mean() - 1,
        a.iloc[-20:].mean() / a.iloc[-80:-20].mean() - 1,
        a.iloc[-28:].mean() / a.iloc[-112:-28].mean() - 1,
    ]


def test_planted_breakouts(data, prices):
    assert PLANTED == planted(60)
    assert PLANTED["cooling"][0] == "MOD" and len(PLANTED["cooling"]) == 3
    others = PLANTED["cooling"][1:] + PLANTED["failed"] + PLANTED["heating"]
    assert all(t.startswith("S") for t in others)
    for t in PLANTED["cooling"] + PLANTED["failed"] + PLANTED["heating"]:
        assert any(t in n for n in data.notes)

    found = _breakouts(prices)
    planted_all = {t for names in PLANTED.values() for t in names}
    assert set(found.index) == planted_all  # nobody else made a new 252-session high
    assert (found["volume_ratio"] >= 1.5).all()

    attention = data.get("attention")
    sessions = sorted(prices["date"].unique())
    for t in PLANTED["cooling"]:
        r = found.loc[t]
        assert 15 <= r["breakout_back"] <= 30, t
        assert 1 <= r["breakout_back"] - r["peak_back"] <= 6, t
        assert 0.08 <= r["pullback"] <= 0.12, t
        assert r["close"] > r["level"], t
        changes = _attention_change(attention, t, sessions)
        assert max(changes) <= -0.30, (t, changes)
    for t in PLANTED["failed"]:
        r = found.loc[t]
        assert 15 <= r["breakout_back"] <= 30 and r["close"] < r["level"], t
    for t in PLANTED["heating"]:
        r = found.loc[t]
        assert 8 <= r["breakout_back"] <= 12, t
        assert r["pullback"] <= 0.02 and r["peak_back"] <= 2, t
        changes = _attention_change(attention, t, sessions)
        assert min(changes) > 0.30, (t, changes)


# ----------------------------------------------------------------------------- d) rates

def test_planted_rate_shift(data, prices):
    frame = data.get("rates")
    rates = (frame[~frame["series"].str.endswith(".CBT")]
             .pivot(index="date", columns="series", values="value").sort_index())
    assert set(rates.columns) == {"ZQ=F", "^IRX", "DFF", "DGS2", "DFEDTARL", "DFEDTARU"}
    assert (rates["DFEDTARL"].iloc[-60:] == 4.25).all() and (rates["DFEDTARU"].iloc[-60:] == 4.50).all()
    assert rates.index[0] <= AS_OF_TS - pd.DateOffset(years=2)
    assert set(rates.index) <= set(prices["date"].unique())
    assert rates.notna().all().all()
    implied = 100 - rates["ZQ=F"]
    assert (rates["DFF"].iloc[-60:] - 4.33).abs().max() < 0.02
    assert implied.iloc[-21] == pytest.approx(4.30, abs=0.02)
    assert implied.iloc[-1] == pytest.approx(3.95, abs=0.02)
    assert implied.iloc[-1] - implied.iloc[-21] == pytest.approx(-0.35, abs=0.03)
    assert implied.iloc[-1] - implied.iloc[-6] == pytest.approx(-0.15, abs=0.03)
    for series in ["^IRX", "DGS2"]:
        s = rates[series]
        assert s.iloc[-1] < s.iloc[-6] < s.iloc[-21], series
        assert 0 < s.min() and s.max() < 8, series
    assert rates["DFF"].min() >= 0


def test_planted_fomc_calendar_and_contract_months(data):
    from scout_pipeline.sources import fomc, sample_fomc

    cal = data.get("fomc_calendar")
    meetings = [d.date() for d in cal["meeting_date"]]
    assert all(d.weekday() == 2 for d in meetings)                      # Wednesdays
    assert (cal["meeting_date"] - cal["first_day"]).dt.days.eq(1).all()
    years = pd.Series(meetings).map(lambda d: d.year)
    assert years.value_counts().eq(8).all()                              # eight a year
    effect = pd.Series([(d + dt.timedelta(days=1)).replace(day=1) for d in meetings])
    assert not effect.duplicated().any()                                 # one per month
    assert max(meetings) >= AS_OF + dt.timedelta(days=365)               # covers the horizon
    rates = data.get("rates")
    contracts = rates[rates["series"].str.endswith(".CBT")]
    days = sorted(contracts["date"].unique())
    assert len(days) == sample_fomc.CONTRACT_SESSIONS and days[-1] == AS_OF_TS
    last = contracts[contracts["date"] == AS_OF_TS]
    assert list(last["series"]) == fomc.contract_symbols(AS_OF)          # ZQQ25.CBT .. ZQN26.CBT
    assert contracts["value"].between(95, 97).all()


# ----------------------------------------------------------------------------- e) attention

def test_attention_calendar(data, universe):
    att = data.get("attention")
    equities = set(universe.loc[universe["asset_type"] == "equity", "ticker"])
    assert set(att["ticker"]) == equities
    per = att.groupby("ticker")["date"].agg(["min", "max", "count"])
    assert (per["count"] == 400).all() and (per["max"] == AS_OF_TS).all()
    assert (per["max"] - per["min"]).dt.days.eq(399).all()
    assert (att["date"].dt.day_of_week >= 5).any()
    assert (att["value"] >= 0).all() and att["value"].notna().all()
    terms = att.drop_duplicates("ticker").set_index("ticker")["term"]
    assert terms["MSFT"] == "Microsoft" and terms["S001"] == "Sample Smallco 001"
