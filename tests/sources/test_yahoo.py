"""Yahoo adapter against frames built exactly as yfinance 1.x's `download` builds them.

No network: a fake yfinance module (download / Ticker / exceptions) is passed explicitly.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from yfinance.exceptions import YFRateLimitError

from scout_pipeline.sources import yahoo
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import MISSING, RATE_LIMITED, SKIPPED

HISTORY_COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]


# --------------------------------------------------------------------------- fixture builders

def history_frame(rows: list[tuple], tz: str | None = None) -> pd.DataFrame:
    """One ticker's `Ticker.history(auto_adjust=False)`: rows (date, o, h, l, c, adj, vol)."""
    if not rows:
        empty = pd.DataFrame(index=[], data={c: np.nan for c in HISTORY_COLUMNS})
        empty.index.name = "Date"
        return empty
    index = pd.DatetimeIndex([pd.Timestamp(r[0]) for r in rows], name="Date")
    if tz:
        index = index.tz_localize(tz)
    return pd.DataFrame([r[1:] for r in rows], index=index, columns=HISTORY_COLUMNS)


def download_frame(per_ticker: dict[str, list[tuple]], tz: str | None = None) -> pd.DataFrame:
    """What `yf.download(..., group_by='column', multi_level_index=True)` returns: per-ticker
    frames (failed tickers as empty frames) reindexed to the union of dates, concatenated
    with keys names=['Ticker', 'Price'], levels swapped to (Price, Ticker) and sorted."""
    dfs = {t.upper(): history_frame(rows, tz) for t, rows in per_ticker.items()}
    idx = None
    for df in dfs.values():
        if not df.empty:
            idx = df.index if idx is None else idx.union(df.index)
    if idx is None:
        idx = pd.DatetimeIndex([])
    dfs = {k: df.reindex(idx) for k, df in dfs.items()}
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    data = data.sort_index(level=0, axis=1)
    return data


def fake_yf(*responses, infos: dict | None = None) -> SimpleNamespace:
    """A yfinance stand-in: `download` answers from `responses` in order (a frame, an
    exception to raise, or a callable of the tickers); `Ticker(t).info` from `infos`."""
    queue = list(responses)
    calls: list[tuple[list[str], dict]] = []
    info_calls: list[str] = []

    def download(tickers=None, **kwargs):
        calls.append((list(tickers), kwargs))
        answer = queue.pop(0) if queue else pd.DataFrame()
        if isinstance(answer, BaseException):
            raise answer
        return answer(list(tickers)) if callable(answer) else answer

    class Ticker:
        def __init__(self, symbol):
            self.symbol = symbol

        @property
        def info(self):
            info_calls.append(self.symbol)
            answer = (infos or {}).get(self.symbol, {})
            if isinstance(answer, list):  # a sequence of answers for retries
                answer = answer.pop(0)
            if isinstance(answer, BaseException):
                raise answer
            return answer

    return SimpleNamespace(download=download, Ticker=Ticker, calls=calls, info_calls=info_calls)


def no_sleep():
    slept: list[float] = []
    return slept, slept.append


D = dt.date
RUT = [("2025-01-02", 2230.1, 2244.0, 2211.5, 2233.6, 2233.6, 0),
       ("2025-01-03", 2235.0, 2270.2, 2234.9, 2268.2, 2268.2, 0),
       ("2025-01-06", 2270.0, 2285.4, 2259.1, 2265.6, 2265.6, 0)]
SPY = [("2025-01-02", 589.4, 591.1, 580.5, 584.6, 579.1, 50203900),
       ("2025-01-03", 587.5, 592.6, 586.4, 591.9, 586.4, 37888500),
       ("2025-01-06", 596.3, 599.7, 593.6, 595.4, 589.8, 47679400)]


# --------------------------------------------------------------------------- prices

def test_download_is_called_with_every_option_explicit():
    yf = fake_yf(download_frame({"SPY": SPY}))
    yahoo.fetch_prices(["spy"], "2025-01-02", "2025-01-06", yf_module=yf, sleep=lambda s: None)
    tickers, kw = yf.calls[0]
    assert tickers == ["SPY"]
    assert kw["auto_adjust"] is False and kw["actions"] is True and kw["repair"] is False
    assert kw["group_by"] == "column" and kw["multi_level_index"] is True
    assert kw["progress"] is False and kw["threads"] is False and kw["interval"] == "1d"
    assert kw["start"] == "2025-01-02" and kw["end"] == "2025-01-07"  # yfinance's end is exclusive


def test_real_shape_to_contract_rows():
    frame = download_frame({"^RUT": RUT, "SPY": SPY})
    assert frame.columns.names == ["Price", "Ticker"] and frame.index.name == "Date"
    yf = fake_yf(frame)
    got = yahoo.fetch_prices(["^RUT", "SPY"], D(2025, 1, 2), D(2025, 1, 6), yf_module=yf,
                             sleep=lambda s: None)
    rows = got.frame
    assert list(rows.columns) == columns("prices")
    assert len(rows) == 6 and got.failures == [] and got.requested == 2
    assert rows["date"].dtype == "datetime64[ns]"
    assert all(rows[c].dtype == "float64" for c in ("open", "high", "low", "close", "adj_close", "volume"))
    spy = rows[rows["ticker"] == "SPY"].set_index("date")
    assert spy.loc[pd.Timestamp("2025-01-03"), "close"] == pytest.approx(591.9)
    assert spy.loc[pd.Timestamp("2025-01-03"), "adj_close"] == pytest.approx(586.4)
    assert spy.loc[pd.Timestamp("2025-01-06"), "volume"] == 47679400
    assert set(rows["source"]) == {"yahoo"}


def test_single_ticker_still_multiindex_and_duplicate_last_row_and_nan_rows():
    rows = SPY + [("2025-01-06", 596.0, 600.0, 593.0, 597.5, 591.9, 48000000)]  # repeated last
    frame = download_frame({"SPY": rows})
    # an all-NaN row, as a union index gives for a ticker without that day
    nan_row = pd.DataFrame([[np.nan] * 6], index=pd.DatetimeIndex(["2025-01-07"], name="Date"),
                           columns=frame.columns)
    frame = pd.concat([frame, nan_row])
    assert isinstance(frame.columns, pd.MultiIndex) and frame.index.duplicated().any()
    yf = fake_yf(frame)
    got = yahoo.fetch_prices(["SPY"], "2025-01-02", "2025-01-07", yf_module=yf, sleep=lambda s: None)
    assert got.frame["date"].tolist() == [pd.Timestamp(d) for d in ("2025-01-02", "2025-01-03", "2025-01-06")]
    assert got.frame["close"].iloc[-1] == pytest.approx(597.5)  # the last of the repeated rows


def test_rows_outside_window_dropped_and_tz_aware_index_keeps_local_date():
    rows = [("2025-01-02 00:00", 1, 1, 1, 10.0, 10.0, 5), ("2025-01-03 00:00", 1, 1, 1, 11.0, 11.0, 5),
            ("2025-01-06 00:00", 1, 1, 1, 12.0, 12.0, 5)]
    frame = download_frame({"IWM": rows}, tz="America/New_York")
    yf = fake_yf(frame)
    got = yahoo.fetch_prices(["IWM"], "2025-01-03", "2025-01-03", yf_module=yf, sleep=lambda s: None)
    assert got.frame["date"].tolist() == [pd.Timestamp("2025-01-03")]
    assert got.frame["close"].tolist() == [11.0]


def test_missing_ticker_reported_with_reason_after_one_retry():
    partial = download_frame({"SPY": SPY, "DELISTED": []})  # yfinance: an all-NaN column
    yf = fake_yf(partial, download_frame({"DELISTED": []}))
    got = yahoo.fetch_prices(["SPY", "DELISTED"], "2025-01-02", "2025-01-06", yf_module=yf,
                             sleep=lambda s: None)
    assert [c[0] for c in yf.calls] == [["SPY", "DELISTED"], ["DELISTED"]]
    assert set(got.frame["ticker"]) == {"SPY"}
    [failure] = got.failures
    assert (failure.item, failure.dataset, failure.status) == ("DELISTED", "prices", MISSING)
    assert "retried once" in failure.reason
    assert any("DELISTED" in n for n in got.notes)


def test_missing_ticker_recovered_on_retry():
    yf = fake_yf(download_frame({"SPY": SPY, "^RUT": []}), download_frame({"^RUT": RUT}))
    got = yahoo.fetch_prices(["SPY", "^RUT"], "2025-01-02", "2025-01-06", yf_module=yf,
                             sleep=lambda s: None)
    assert got.failures == [] and set(got.frame["ticker"]) == {"SPY", "^RUT"}


def test_rate_limit_then_success_backs_off_with_jitter():
    slept, sleep = no_sleep()
    yf = fake_yf(YFRateLimitError(), download_frame({"SPY": SPY}))
    got = yahoo.fetch_prices(["SPY"], "2025-01-02", "2025-01-06", yf_module=yf, sleep=sleep,
                             rng=random.Random(1))
    assert len(yf.calls) == 2 and len(got.frame) == 3 and got.failures == []
    assert len(slept) == 1 and 2.0 <= slept[0] < 3.0


def test_empty_frames_are_retried_a_bounded_number_of_times_then_the_rest_skipped():
    slept, sleep = no_sleep()
    yf = fake_yf()  # every download answers an empty frame
    got = yahoo.fetch_prices(["A", "B", "C", "D"], "2025-01-02", "2025-01-06", yf_module=yf,
                             chunk_size=1, max_attempts=2, abort_after=2, cooldowns=(), sleep=sleep,
                             rng=random.Random(0))
    assert [c[0] for c in yf.calls] == [["A"], ["A"], ["B"], ["B"]]
    assert len(slept) == 2 and all(2.0 <= s < 3.0 for s in slept)
    status = {f.item: f.status for f in got.failures}
    assert status == {"A": MISSING, "B": MISSING, "C": SKIPPED, "D": SKIPPED}
    assert got.frame.empty and list(got.frame.columns) == columns("prices")


def test_a_wave_is_waited_out_and_the_fetch_resumes_where_it_stopped():
    """Two chunks come back empty (a wave), the fetch waits its cooldown, tries those two
    again and goes on: nothing is skipped and nothing fetched before the wave is fetched twice."""
    slept, sleep = no_sleep()
    answers = {"A": 1, "B": 2, "C": 2}  # how many calls each ticker answers empty first
    row = [("2025-01-02", 1, 1, 1, 1, 1, 10)]

    def answer(tickers):
        t = tickers[0]
        answers[t] = answers.get(t, 0) - 1
        return download_frame({t: row}) if answers[t] < 0 else download_frame({t: []})

    yf = fake_yf(*[answer] * 20)
    got = yahoo.fetch_prices(["A", "B", "C", "D"], "2025-01-02", "2025-01-06", yf_module=yf,
                             chunk_size=1, max_attempts=2, abort_after=2, cooldowns=(60.0,),
                             sleep=sleep, rng=random.Random(0))
    assert got.failures == [] and sorted(got.frame["ticker"]) == ["A", "B", "C", "D"]
    assert 60.0 in slept
    assert [c[0][0] for c in yf.calls] == ["A", "A", "B", "B", "C", "C", "B", "C", "D"]
    assert any("waiting 60 s" in n for n in got.notes)


def test_persistent_rate_limit_recorded_per_ticker():
    yf = fake_yf(*[YFRateLimitError() for _ in range(3)])
    got = yahoo.fetch_prices(["SPY", "IWM"], "2025-01-02", "2025-01-06", yf_module=yf,
                             max_attempts=3, sleep=lambda s: None)
    assert {f.item: f.status for f in got.failures} == {"SPY": RATE_LIMITED, "IWM": RATE_LIMITED}
    assert got.failures[0].reason == "rate-limited by Yahoo (YFRateLimitError) after 3 attempt(s)"


def yf_1x_download(per_ticker: dict[str, list[tuple] | BaseException | str]):
    """yfinance 1.x `download` as multi.py runs it: a ticker whose request raised (or that
    Yahoo knows no data for) becomes an empty frame, and the errors are only logged on the
    'yfinance' logger, grouped by message: "['A', 'B']: YFRateLimitError('Too Many ...')"."""
    import logging

    def download(tickers=None, **kwargs):
        frames, errors = {}, {}
        for t in tickers:
            answer = per_ticker[t]
            if isinstance(answer, BaseException):
                frames[t], errors[t] = [], repr(answer)
            elif isinstance(answer, str):
                frames[t], errors[t] = [], answer
            else:
                frames[t] = answer
        logger = logging.getLogger("yfinance")
        if errors:
            logger.error("\n%.f Failed download%s:" % (len(errors), "s" if len(errors) > 1 else ""))
            grouped: dict[str, list[str]] = {}
            for t, err in errors.items():
                grouped.setdefault(err, []).append(t)
            for err, syms in grouped.items():
                logger.error(f"{syms}: " + err)
        return download_frame(frames)

    return download


def test_rate_limit_swallowed_by_yfinance_1x_is_recorded_as_rate_limited():
    answers = {"SPY": YFRateLimitError(), "IWM": YFRateLimitError()}
    yf = SimpleNamespace(download=yf_1x_download(answers))
    got = yahoo.fetch_prices(["SPY", "IWM"], "2025-01-02", "2025-01-06", yf_module=yf,
                             max_attempts=2, sleep=lambda s: None)
    assert got.frame.empty
    assert {f.item: f.status for f in got.failures} == {"SPY": RATE_LIMITED, "IWM": RATE_LIMITED}
    assert got.failures[0].reason == ("rate-limited by Yahoo (YFRateLimitError, logged by "
                                      "yfinance) after 2 attempt(s)")


def test_a_silenced_yfinance_logger_cannot_turn_a_wave_into_missing(capsys):
    """A user who silences yfinance (level CRITICAL, or the logger disabled) still gets a
    rate limit recorded as one, and still sees none of yfinance's messages."""
    import logging

    logger = logging.getLogger("yfinance")
    saved = (logger.level, logger.disabled, logger.propagate)
    for silence in (lambda: logger.setLevel(logging.CRITICAL), lambda: setattr(logger, "disabled", True)):
        silence()
        try:
            yf = SimpleNamespace(download=yf_1x_download({"SPY": YFRateLimitError()}))
            got = yahoo.fetch_prices(["SPY"], "2025-01-02", "2025-01-06", yf_module=yf,
                                     max_attempts=1, sleep=lambda s: None)
            assert [f.status for f in got.failures] == [RATE_LIMITED]
            assert (logger.level, logger.disabled, logger.propagate) != (logging.ERROR, False, False)
        finally:
            logger.setLevel(saved[0])
            logger.disabled, logger.propagate = saved[1], saved[2]
    assert "YFRateLimitError" not in capsys.readouterr().err


def test_partial_answer_keeps_what_yfinance_logged_per_ticker():
    answers = {"SPY": SPY, "IWM": YFRateLimitError(),
               "XYZQ": "possibly delisted; no price data found  (1d 2025-01-02 -> 2025-01-07)"}
    yf = SimpleNamespace(download=yf_1x_download(answers))
    got = yahoo.fetch_prices(["SPY", "IWM", "XYZQ"], "2025-01-02", "2025-01-06", yf_module=yf,
                             sleep=lambda s: None)
    assert set(got.frame["ticker"]) == {"SPY"}
    failures = {f.item: f for f in got.failures}
    assert failures["IWM"].status == RATE_LIMITED and "YFRateLimitError" in failures["IWM"].reason
    assert failures["XYZQ"].status == MISSING
    assert "yfinance logged: possibly delisted" in failures["XYZQ"].reason


def test_chunks():
    def answer(tickers):
        return download_frame({t: SPY for t in tickers})

    yf = fake_yf(answer, answer, answer)
    got = yahoo.fetch_prices(["A", "B", "C", "D", "E", "a"], "2025-01-02", "2025-01-06",
                             yf_module=yf, chunk_size=2, sleep=lambda s: None)
    assert [c[0] for c in yf.calls] == [["A", "B"], ["C", "D"], ["E"]]
    assert got.requested == 5 and len(got.frame) == 15


def test_rates_from_the_same_price_fetch():
    zq = [("2025-01-02", 95.67, 95.68, 95.665, 95.6725, 95.6725, 1200),
          ("2025-01-03", 95.67, 95.68, 95.665, 95.675, 95.675, 1300)]
    irx = [("2025-01-02", 4.2, 4.25, 4.2, 4.215, 4.215, 0)]
    yf = fake_yf(download_frame({"ZQ=F": zq, "^IRX": irx}))
    got = yahoo.fetch_rates("2025-01-02", "2025-01-03", yf_module=yf, sleep=lambda s: None)
    assert list(got.frame.columns) == columns("rates")
    assert got.frame.to_dict("records") == [
        {"series": "ZQ=F", "date": pd.Timestamp("2025-01-02"), "value": 95.6725, "source": "yahoo"},
        {"series": "ZQ=F", "date": pd.Timestamp("2025-01-03"), "value": 95.675, "source": "yahoo"},
        {"series": "^IRX", "date": pd.Timestamp("2025-01-02"), "value": 4.215, "source": "yahoo"},
    ]


def test_refetch_start_is_five_sessions_before_last_stored():
    # 2025-01-09 was a market closure (national day of mourning): sessions, not weekdays
    assert yahoo.refetch_start("2025-01-10") == D(2025, 1, 2)
    assert yahoo.refetch_start(None, initial="2024-01-01") == D(2024, 1, 1)


# --------------------------------------------------------------------------- fundamentals

AAPL_INFO = {  # a trimmed real-shaped .info answer
    "symbol": "AAPL", "quoteType": "EQUITY", "longName": "Apple Inc.",
    "sector": "Technology", "industry": "Consumer Electronics",
    "marketCap": 3410000000000, "sharesOutstanding": 14935799808,
    "forwardEps": 8.31, "trailingEps": 6.59, "forwardPE": 27.3, "trailingPE": 34.4,
    "netIncomeToCommon": 97294000128, "profitMargins": 0.24301, "earningsGrowth": 0.078,
    "revenueGrowth": 0.051, "debtToEquity": 154.486, "totalDebt": 98186002432,
    "totalCash": 48497999872, "currency": "USD",
}
LOSS_INFO = {  # a loss-maker: no forwardPE, 'Infinity' strings, epsForward spelling
    "symbol": "LOSS", "quoteType": "EQUITY", "marketCap": 812000000, "trailingEps": -1.2,
    "epsForward": -0.4, "trailingPE": "Infinity", "profitMargins": -0.31, "sector": "",
}


def test_fundamentals_rows_every_field_nullable():
    """The quote/profile dicts (the same keys `.info` flattens) → one contract row each."""
    rows = [yahoo.info_to_row(t, info, D(2025, 1, 6)) for t, info in (("AAPL", AAPL_INFO), ("LOSS", LOSS_INFO))]
    frame = yahoo._typed_fundamentals(rows)
    assert list(frame.columns) == columns("fundamentals")
    assert frame["as_of"].tolist() == [pd.Timestamp("2025-01-06")] * 2
    aapl = frame.set_index("ticker").loc["AAPL"]
    assert aapl["market_cap"] == 3.41e12 and aapl["forward_eps"] == 8.31
    assert aapl["net_income_ttm"] == 97294000128 and aapl["sector"] == "Technology"
    assert aapl["debt_to_equity"] == pytest.approx(154.486)  # percent, as Yahoo publishes it
    assert aapl["profit_margin"] == pytest.approx(0.24301)
    loss = frame.set_index("ticker").loc["LOSS"]
    assert loss["forward_eps"] == -0.4 and math.isnan(loss["trailing_pe"])
    assert math.isnan(loss["forward_pe"]) and loss["sector"] is None
    assert frame["market_cap"].dtype == "float64"
    assert yahoo.info_to_row("GONE", {"trailingPegRatio": None}, D(2025, 1, 6)) is None  # a dead symbol

