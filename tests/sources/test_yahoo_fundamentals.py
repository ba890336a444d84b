"""Fundamentals within the request budget: batched quotes, rotating profiles, carried forward."""

import datetime as dt
from types import SimpleNamespace

import pandas as pd
from yfinance.exceptions import YFRateLimitError

from scout_pipeline.sources import yahoo_fundamentals as yf_fund
from scout_pipeline.sources.errors import MISSING, RATE_LIMITED
from scout_pipeline.sources.live_state import StoredState
from tests.sources.yf_data_fake import data_module

AS_OF = dt.date(2026, 1, 9)


def _yf(infos: dict, calls: list, fail: set = frozenset()):
    def info(t):
        calls.append(("profile", t))
        if t in fail:
            raise YFRateLimitError()
        return infos.get(t)

    def quote(t):
        calls.append(("quote", t))
        return infos.get(t)

    return SimpleNamespace(data=data_module(info, quote))


def _info(t: str) -> dict:
    return {"marketCap": 1e9, "sharesOutstanding": 1e7, "epsForward": 2.0, "forwardPE": 10.0,
            "profitMargins": 0.1, "totalDebt": 5e8, "sector": f"S-{t}"}


def _profiles(rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"ticker": t, "profile_as_of": pd.Timestamp(d), "profit_margin": 0.05,
                          "total_debt": 1e8, "sector": "Old"} for t, d in rows.items()])


def test_rotation_fetches_new_profiles_then_the_oldest():
    tickers = [f"T{i:02d}" for i in range(20)]
    stored = _profiles({t: f"2026-01-{1 + i % 5:02d}" for i, t in enumerate(tickers[:18])})
    picked = yf_fund.pick_profiles(tickers, stored, rotation=10)
    assert picked == ["T18", "T19"]  # 2 new fill today's quota of ceil(20 / 10)
    picked = yf_fund.pick_profiles(tickers[:18], stored, rotation=6)
    assert picked == ["T00", "T05", "T10"]  # no new ones: the 3 oldest (dated 2026-01-01)


def test_a_day_costs_one_quote_request_per_batch_plus_the_rotations_profiles():
    tickers = [f"T{i:02d}" for i in range(10)]
    calls: list = []
    state = StoredState(profiles=_profiles({t: "2026-01-02" for t in tickers[1:]}))
    got = yf_fund.fetch_fundamentals(tickers, AS_OF, state=state, quote_batch=4, rotation=5,
                                     yf_module=_yf({t: _info(t) for t in tickers}, calls),
                                     sleep=lambda s: None)
    assert [k for k, _ in calls].count("profile") == 2  # T00 (new) + the oldest stored one
    frame = got.frame.set_index("ticker")
    assert len(frame) == 10 and got.failures == []
    assert (frame["market_cap"] == 1e9).all()  # quote fields fresh for all
    fresh = frame[frame["profile_as_of"] == pd.Timestamp(AS_OF)]
    assert sorted(fresh.index) == ["T00", "T01"] and set(fresh["sector"]) == {"S-T00", "S-T01"}
    carried = frame.drop(index=["T00", "T01"])
    assert set(carried["profile_as_of"]) == {pd.Timestamp("2026-01-02")}  # its age stays visible
    assert set(carried["sector"]) == {"Old"} and set(carried["total_debt"]) == {1e8}
    assert any("3 batched request(s)" in n and "5 Yahoo requests" in n for n in got.notes)


def test_unknown_symbols_and_rate_limited_profiles_are_recorded_not_raised():
    calls: list = []
    state = StoredState(profiles=_profiles({"KEEP": "2026-01-02"}))
    got = yf_fund.fetch_fundamentals(["GONE", "KEEP", "NEW"], AS_OF, state=state, rotation=1,
                                     yf_module=_yf({"KEEP": _info("KEEP"), "NEW": _info("NEW")}, calls,
                                                   fail={"KEEP"}),
                                     sleep=lambda s: None)
    status = {f.item: f.status for f in got.failures}
    assert status == {"GONE": MISSING}  # absent from the quote answer, no profile: no row
    frame = got.frame.set_index("ticker")
    assert frame.loc["KEEP", "profile_as_of"] == pd.Timestamp("2026-01-02")  # rate-limited: carried forward
    assert frame.loc["NEW", "profile_as_of"] == pd.Timestamp(AS_OF)
    assert calls.count(("profile", "KEEP")) == 3  # retried with backoff


def test_a_wave_stops_the_profiles_after_three_in_a_row():
    calls: list = []
    tickers = [f"T{i}" for i in range(6)]
    got = yf_fund.fetch_fundamentals(tickers, AS_OF, yf_module=_yf({t: _info(t) for t in tickers}, calls,
                                                                    fail=set(tickers)),
                                     max_attempts=1, sleep=lambda s: None)
    assert [t for k, t in calls if k == "profile"] == ["T0", "T1", "T2"]
    assert len(got.frame) == 6 and got.frame["profile_as_of"].isna().all()  # quote fields still arrive
    assert any("quoteSummary stopped after 3 rate-limited requests" in n for n in got.notes)
    assert RATE_LIMITED not in {f.status for f in got.failures}  # every equity has a row
