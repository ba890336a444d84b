"""load_live end to end over fakes of every provider (no network: fakes passed explicitly)."""

from __future__ import annotations

import datetime as dt
import json
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tests.sources.yf_data_fake import data_module
from scout_pipeline.sources import constituents as cons
from scout_pipeline.sources import live
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import (
    FALLBACK, INGEST_LOG_COLUMNS, MISSING, DatasetFailed, SourceUnavailable,
)

AS_OF = dt.date(2025, 1, 7)
AFTER_CLOSE = dt.datetime(2025, 1, 7, 22, 0, tzinfo=dt.timezone.utc)  # 17:00 New York
DAYS = ["2024-12-27", "2024-12-30", "2024-12-31", "2025-01-02", "2025-01-03", "2025-01-06",
        "2025-01-07", "2025-01-08"]
HISTORY_COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]


# --------------------------------------------------------------------------- fakes

def download_frame(tickers: list[str], missing: set[str] = frozenset()) -> pd.DataFrame:
    """yf.download's shape: (Price, Ticker) MultiIndex, 'Date' index, all-NaN failed tickers."""
    index = pd.DatetimeIndex(pd.to_datetime(DAYS), name="Date")
    dfs = {}
    for n, t in enumerate(tickers):
        if t in missing:
            dfs[t] = pd.DataFrame(np.nan, index=index, columns=HISTORY_COLUMNS)
            continue
        close = 100.0 + n + np.arange(len(index))
        dfs[t] = pd.DataFrame({"Open": close - 0.5, "High": close + 1, "Low": close - 1,
                               "Close": close, "Adj Close": close * 0.99,
                               "Volume": 1_000_000.0}, index=index)
    data = pd.concat(dfs.values(), axis=1, sort=True, keys=dfs.keys(), names=["Ticker", "Price"])
    data.columns = data.columns.swaplevel(0, 1)
    data = data.sort_index(level=0, axis=1)
    return data


def fake_yf(missing: set[str] = frozenset(), infos: dict | None = None) -> SimpleNamespace:
    calls: list[tuple[list[str], dict]] = []

    def download(tickers=None, **kwargs):
        calls.append((list(tickers), kwargs))
        return download_frame(list(tickers), missing)

    class Ticker:
        def __init__(self, symbol):
            self.info = (infos or {}).get(symbol, {"marketCap": 1e9, "forwardEps": 1.0,
                                                   "sector": "Technology"})

    return SimpleNamespace(download=download, Ticker=Ticker, calls=calls,
                           data=data_module(lambda t: Ticker(t).info))


class FakeResponse:
    def __init__(self, status_code: int, body: object = ""):
        self.status_code = status_code
        self.text = body if isinstance(body, str) else json.dumps(body)
        self.headers: dict = {}

    def json(self):
        return json.loads(self.text)


FRED_CSV = {  # the fake ignores cosd/coed: a day after as_of comes back too
    "DFF": "observation_date,DFF\n2025-01-06,4.33\n2025-01-07,4.33\n2025-01-08,4.33\n",
    "DGS2": "observation_date,DGS2\n2025-01-06,4.29\n2025-01-07,.\n2025-01-08,4.31\n",
    "DFEDTARU": "observation_date,DFEDTARU\n2025-01-06,4.50\n2025-01-07,4.50\n",
    "DFEDTARL": "observation_date,DFEDTARL\n2025-01-06,4.25\n2025-01-07,4.25\n",
}


class FakeHttp:
    """Every provider host; `down` hosts raise ConnectionError on HEAD and GET."""

    def __init__(self, down: set[str] = frozenset(), pageviews_404: set[str] = frozenset()):
        self.down = set(down)
        self.pageviews_404 = set(pageviews_404)
        self.gets: list[str] = []

    def _check(self, url):
        host = url.split("/")[2]
        if "*" in self.down or host in self.down:
            raise ConnectionError(f"HTTPSConnectionPool(host='{host}', port=443): Max retries "
                                  "exceeded (NameResolutionError)")

    def head(self, url, timeout=None, allow_redirects=False):
        self._check(url)
        return FakeResponse(301)

    def get(self, url, params=None, headers=None, timeout=None):
        self._check(url)
        self.gets.append(url)
        if url.startswith("https://fred.stlouisfed.org/"):
            return FakeResponse(200, FRED_CSV[params["id"]])
        if url.startswith("https://wikimedia.org/"):
            article = url.split("/user/")[1].split("/daily/")[0]
            if article in self.pageviews_404:
                return FakeResponse(404, {"title": "Not found."})
            items = [{"project": "en.wikipedia", "article": article, "granularity": "daily",
                      "timestamp": d.replace("-", "") + "00", "access": "all-access",
                      "agent": "user", "views": 1000 + i}
                     for i, d in enumerate(["2025-01-05", "2025-01-06", "2025-01-07", "2025-01-08"])]
            return FakeResponse(200, {"items": items})
        return FakeResponse(503, "Service Unavailable")  # constituents pages: bundled fallback


def universe_frame(rows):
    return pd.DataFrame(
        [{"ticker": t, "name": t, "asset_type": a, "segments": s, "sector": None,
          "wikipedia_article": w, "source": "test"} for t, a, s, w in rows],
        columns=columns("universe"))


UNIVERSE = universe_frame([
    ("SPY", "etf", [], None), ("^RUT", "index", [], None), ("ZQ=F", "future", [], None),
    ("AAPL", "equity", ["large_cap", "sp500"], "Apple Inc."),
    ("CPRX", "equity", ["small_cap", "sp600"], None),
])
PAIR_SERIES = {"^RUT", "^GSPC", "^SP600", "^IXIC", "1306.T", "^N225", "RSP", "SPY"}


# --------------------------------------------------------------------------- tests

def test_no_network_raises_source_unavailable_naming_hosts_quickly():
    yf = fake_yf()
    t0 = time.monotonic()
    with pytest.raises(SourceUnavailable) as info:
        live.load_live(AS_OF, http=FakeHttp(down={"*"}), yf_module=yf, sleep=lambda s: None,
                       now=AFTER_CLOSE)
    assert time.monotonic() - t0 < 2.0
    message = str(info.value)
    for host in live.HOSTS:
        assert host in message
    assert set(info.value.hosts) == set(live.HOSTS) and yf.calls == []


def test_yahoo_unreachable_is_fatal_even_if_others_answer():
    with pytest.raises(SourceUnavailable, match="query1.finance.yahoo.com"):
        live.load_live(AS_OF, http=FakeHttp(down={live.YAHOO_HOST}), yf_module=fake_yf(),
                       universe=UNIVERSE, sleep=lambda s: None, now=AFTER_CLOSE)


def test_preflight_bounded_when_a_probe_hangs():
    class Hanging(FakeHttp):
        def head(self, url, timeout=None, allow_redirects=False):
            if "wikimedia" in url:
                time.sleep(0.8)
            return FakeResponse(200)

    t0 = time.monotonic()
    status = live.preflight(Hanging(), timeout=0.1, grace=0.1)
    assert time.monotonic() - t0 < 0.6
    assert status["wikimedia.org"].startswith("no answer") and status[live.YAHOO_HOST] is None


def test_a_full_day_from_every_provider():
    yf = fake_yf(infos={"AAPL": {"marketCap": 3.4e12, "forwardEps": 8.31, "sector": "Technology"}})
    http = FakeHttp()
    data = live.load_live(AS_OF, universe=UNIVERSE, http=http, yf_module=yf,
                          sleep=lambda s: None, now=AFTER_CLOSE)
    assert data.name == "live"
    assert set(data.frames) == {"prices", "fundamentals", "attention", "rates", "universe",
                                "pairs", "ingest_log", "restatements", "fomc_calendar"}
    # prices: universe + pair series, nothing later than as_of; nothing stored, so a first
    # load: index/ETF/future series from 99 years back (all Yahoo has), equities 3 years
    prices = data.frames["prices"]
    assert set(prices["ticker"]) == set(UNIVERSE["ticker"]) | PAIR_SERIES
    assert "^IRX" not in set(prices["ticker"])  # a rate series only
    assert prices["date"].min() == pd.Timestamp("2024-12-27")
    assert prices["date"].max() == pd.Timestamp(AS_OF)
    starts = {t: kw["start"] for tickers, kw in yf.calls for t in tickers}
    assert starts["AAPL"] == "2022-01-07" and starts["^RUT"] == starts["^IRX"] == "1926-01-07"
    assert {kw["end"] for _, kw in yf.calls} == {"2025-01-08"}
    # fundamentals for the equities, stamped with the as-of session
    fundamentals = data.frames["fundamentals"].set_index("ticker")
    assert sorted(fundamentals.index) == ["AAPL", "CPRX"]
    assert fundamentals.loc["AAPL", "forward_eps"] == 8.31
    assert set(fundamentals["as_of"]) == {pd.Timestamp(AS_OF)}
    # rates: Yahoo closes + FRED; rows after as_of and '.' dropped
    rates = data.frames["rates"]
    contracts = ["ZQF25.CBT", "ZQG25.CBT", "ZQH25.CBT", "ZQJ25.CBT", "ZQK25.CBT", "ZQM25.CBT",
                 "ZQN25.CBT", "ZQQ25.CBT", "ZQU25.CBT", "ZQV25.CBT", "ZQX25.CBT", "ZQZ25.CBT"]
    assert set(rates["series"]) == {"ZQ=F", "^IRX", "DFF", "DGS2", "DFEDTARU", "DFEDTARL", *contracts}
    # the contract months ride the batched price download: no download call of their own
    assert {t for tickers, _ in yf.calls for t in tickers} >= set(contracts)
    assert len(yf.calls) == len({kw["start"] for _, kw in yf.calls})  # one call per window start
    assert rates["date"].max() == pd.Timestamp(AS_OF)
    assert rates[rates["series"] == "DGS2"]["date"].tolist() == [pd.Timestamp("2025-01-06")]
    # attention: the one article, nothing after as_of
    attention = data.frames["attention"]
    assert set(attention["term"]) == {"Apple Inc."} and set(attention["ticker"]) == {"AAPL"}
    assert attention["date"].max() == pd.Timestamp(AS_OF)
    assert any("Apple_Inc." in u for u in http.gets)
    # log: nothing failed
    log = data.frames["ingest_log"]
    assert list(log.columns) == INGEST_LOG_COLUMNS and log.empty
    assert data.frames["pairs"]["pair_id"].tolist()[0] == "smallcap_vs_largecap"
    assert any(n.startswith("live: as_of 2025-01-07") for n in data.notes)


def test_failures_are_logged_and_a_large_share_raises():
    missing = {"CPRX"}
    data = live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                          yf_module=fake_yf(missing=missing), now=AFTER_CLOSE)
    log = data.frames["ingest_log"]
    row = log[log["item"] == "CPRX"].iloc[0]
    assert (row["source"], row["dataset"], row["status"]) == ("yahoo", "prices", MISSING)
    assert any(n.startswith("ingest: yahoo prices CPRX: missing") for n in data.notes)

    # 4 of the 11 price tickers fail: 36 % > 20 %
    many = {"CPRX", "^N225", "1306.T", "RSP"}
    with pytest.raises(DatasetFailed) as info:
        live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                       yf_module=fake_yf(missing=many), now=AFTER_CLOSE)
    err = info.value
    assert err.dataset == "prices" and err.share == pytest.approx(4 / 11)
    assert "36% of prices failed" in str(err) and "1306.T" in str(err)
    assert set(err.ingest_log["item"]) >= many
    # a per-dataset allowance lets it through
    data = live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                          yf_module=fake_yf(missing=many), now=AFTER_CLOSE,
                          max_failed_share={"prices": 0.5, "default": 0.2})
    assert not set(data.frames["prices"]["ticker"]) & many


def test_rate_series_failures_count_against_rates_and_degrade_with_a_note():
    data = live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                          yf_module=fake_yf(missing={"^IRX"}), now=AFTER_CLOSE,
                          contract_months=0, fred_series=("DFF", "DGS2"))
    assert "rates: 3 of 4 delivered" in data.notes
    over = [n for n in data.notes if n.startswith("rates: over the allowed failure share")]
    assert len(over) == 1 and "25% of rates failed (1 of 4" in over[0]
    assert set(data.get("rates")["series"]) == {"ZQ=F", "DFF", "DGS2"}  # what arrived is kept


def test_a_missing_contract_month_is_a_rates_failure_naming_it_not_a_failed_day():
    gone = {"ZQN25.CBT", "ZQQ25.CBT", "ZQU25.CBT", "ZQV25.CBT"}  # 4 of 18 rates: over 20%
    data = live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                          yf_module=fake_yf(missing=gone), now=AFTER_CLOSE)
    log = data.frames["ingest_log"]
    mine = log[log["item"].isin(gone)]
    assert set(mine["dataset"]) == {"rates"} and set(mine["status"]) == {MISSING}
    assert mine.set_index("item").loc["ZQN25.CBT", "reason"].endswith(
        "(fed funds contract month Jul 2025: its FOMC meeting is unpriced today)")
    assert any(n.startswith("rates: over the allowed failure share") for n in data.notes)
    got = set(data.get("rates")["series"])
    assert not got & gone and {"ZQF25.CBT", "ZQZ25.CBT", "DFF"} <= got
    assert not data.get("prices")["ticker"].str.endswith(".CBT").any()  # rates only


def test_prices_over_the_share_still_fail_the_source():
    with pytest.raises(DatasetFailed) as info:
        live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                       yf_module=fake_yf(missing={"NVDA", "AAPL", "MSFT", "IWM", "^RUT", "^GSPC"}),
                       now=AFTER_CLOSE)
    assert info.value.dataset == "prices"


def test_past_as_of_skips_current_only_fundamentals():
    later = dt.datetime(2025, 3, 3, 22, 0, tzinfo=dt.timezone.utc)
    data = live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                          yf_module=fake_yf(), now=later)
    assert data.frames["fundamentals"] is None
    assert any("fundamentals: skipped" in n for n in data.notes)


def test_constituents_hosts_down_use_the_bundles_and_say_so():
    http = FakeHttp(down={"en.wikipedia.org", "www.ishares.com"})
    data = live.load_live(AS_OF, http=http, yf_module=fake_yf(), sleep=lambda s: None,
                          now=AFTER_CLOSE, history_start="2025-01-06")
    universe = data.frames["universe"].set_index("ticker")
    assert universe.loc["BRK-B", "segments"] == ["large_cap", "sp500"]
    assert "watchlist" in universe.loc["NVDA", "segments"]  # merged with the bundled default
    assert universe.loc["^RUT", "asset_type"] == "index"
    log = data.frames["ingest_log"]
    assert set(log.loc[log["status"] == FALLBACK, "item"]) == {"sp500", "sp600", "russell2000"}
    assert any("bundled default dated 2025-06-30" in n for n in data.notes)
    assert data.frames["prices"]["date"].max() == pd.Timestamp(AS_OF)
    assert set(data.frames["attention"]["term"]) >= {"Apple Inc.", "Shake Shack"}
    assert not any(u.startswith("https://en.wikipedia.org") for u in http.gets)


def test_wikimedia_404s_beyond_the_share_load_what_arrived_with_a_note():
    uni = universe_frame([("AAPL", "equity", ["sp500"], "Apple Inc."),
                          ("MSFT", "equity", ["sp500"], "Microsoft")])
    data = live.load_live(AS_OF, universe=uni, http=FakeHttp(pageviews_404={"Microsoft"}),
                          yf_module=fake_yf(), sleep=lambda s: None, now=AFTER_CLOSE)
    assert any(n.startswith("attention: over the allowed failure share") for n in data.notes)
    assert set(data.get("attention")["ticker"]) == {"AAPL"}
    with pytest.raises(DatasetFailed, match="attention"):  # a caller may still require it
        live.load_live(AS_OF, universe=uni, http=FakeHttp(pageviews_404={"Microsoft"}),
                       yf_module=fake_yf(), sleep=lambda s: None, now=AFTER_CLOSE,
                       required=("prices", "attention"))


def test_ticker_list_universe_is_enriched_from_the_default():
    http = FakeHttp()
    data = live.load_live(AS_OF, universe=["NVDA", "IWM"], http=http, yf_module=fake_yf(),
                          sleep=lambda s: None, now=AFTER_CLOSE)
    universe = data.frames["universe"].set_index("ticker")
    assert universe.loc["NVDA", "wikipedia_article"] == "Nvidia"
    assert universe.loc["IWM", "asset_type"] == "etf"
    assert not {cons.SP500_URL, cons.SP600_URL, cons.IWM_URL} & set(http.gets)


def test_prices_over_the_limit_stop_before_fundamentals_and_name_the_rate_limit():
    """A Yahoo rate-limit wave: no `.info` request is sent into it, no other provider is
    asked, and the error says why the items failed, not only which."""
    from yfinance.exceptions import YFRateLimitError

    info_calls: list[str] = []

    def download(tickers=None, **kwargs):
        raise YFRateLimitError()

    class Ticker:
        def __init__(self, symbol):
            info_calls.append(symbol)
            self.info = {"marketCap": 1e9}

    http = FakeHttp()
    with pytest.raises(DatasetFailed) as info:
        live.load_live(AS_OF, universe=UNIVERSE, http=http, sleep=lambda s: None, now=AFTER_CLOSE,
                       yf_module=SimpleNamespace(download=download, Ticker=Ticker))
    err = info.value
    assert err.dataset == "prices" and err.share == 1.0
    assert "100% of prices failed (11 of 11; allowed 20%)" in str(err)
    assert "rate_limited 11: rate-limited by Yahoo (YFRateLimitError) after 4 attempt(s)" in str(err)
    assert info_calls == [] and http.gets == []
    assert set(err.ingest_log["status"]) == {"rate_limited"}


def test_dataset_failed_message_counts_each_status_with_its_reason():
    many = {"CPRX", "^N225", "1306.T", "RSP"}
    with pytest.raises(DatasetFailed) as info:
        live.load_live(AS_OF, universe=UNIVERSE, http=FakeHttp(), sleep=lambda s: None,
                       yf_module=fake_yf(missing=many), now=AFTER_CLOSE)
    message = str(info.value)
    assert "36% of prices failed (4 of 11; allowed 20%) — missing 4: no rows in window" in message
    assert message.endswith("— 1306.T, CPRX, RSP, ^N225")


def test_google_trends_is_opt_in_and_adds_the_watchlist_on_its_own_scale(monkeypatch):
    """Off by default: no request to serpapi.com. With SCOUT_GOOGLE_TRENDS=1 and a key, the
    watchlist names are asked for (4 per request, with the anchor), the host is preflighted,
    and their rows join Wikipedia's in `attention` under source 'google_trends'."""
    from tests.sources.test_google_trends import trends_json

    class TrendsHttp(FakeHttp):
        def get(self, url, params=None, headers=None, timeout=None):
            if url.startswith("https://serpapi.com/"):
                self._check(url)
                self.gets.append(url)
                days = [dt.date(2024, 9, 9) + dt.timedelta(days=i) for i in range(121)]
                queries = params["q"].split(",")
                return FakeResponse(200, trends_json({q: [10 + (i + n) % 50 for i in range(121)]
                                                      for n, q in enumerate(queries)}, days=days))
            return super().get(url, params=params, headers=headers, timeout=timeout)

    watch = universe_frame([("AAPL", "equity", ["large_cap", "watchlist"], "Apple Inc."),
                            ("SPY", "etf", [], None)])
    http = TrendsHttp()
    off = live.load_live(AS_OF, universe=watch, http=http, yf_module=fake_yf(), sleep=lambda s: None,
                         now=AFTER_CLOSE)
    assert set(off.frames["attention"]["source"]) == {"wikipedia"}
    assert not any("serpapi.com" in u for u in http.gets)

    monkeypatch.setenv("SCOUT_GOOGLE_TRENDS", "1")
    monkeypatch.setenv("SERPAPI_API_KEY", "test-key-123")
    http = TrendsHttp()
    on = live.load_live(AS_OF, universe=watch, http=http, yf_module=fake_yf(), sleep=lambda s: None,
                        now=AFTER_CLOSE)
    attention = on.frames["attention"]
    trends = attention[attention["source"] == "google_trends"]
    assert set(trends["ticker"]) == {"AAPL"} and trends["value"].max() == 100
    assert trends["date"].max() == pd.Timestamp(AS_OF)  # nothing after as_of
    assert sum("serpapi.com" in u for u in http.gets) == 1
    assert not any("test-key-123" in n for n in on.notes)
    down = TrendsHttp(down={"serpapi.com"})
    skipped = live.load_live(AS_OF, universe=watch, http=down, yf_module=fake_yf(), sleep=lambda s: None,
                             now=AFTER_CLOSE)
    assert "preflight: serpapi.com unreachable" in " ".join(skipped.notes)
    assert set(skipped.frames["attention"]["source"]) == {"wikipedia"}
