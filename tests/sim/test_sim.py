"""The provider simulator, through the REAL yfinance and our real adapters (no network).

Each check runs the library's own code path: yfinance's cookie/crumb, chart parsing, download
assembly and error logging; scout_pipeline.sources' pageviews / FRED / constituents parsers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

import numpy as np
import pandas as pd
import pytest
import requests
import yfinance  # noqa: F401 - imported before the tests so pytest's warning filters win

from scout_pipeline import calendar
from scout_pipeline.sources import constituents, fred, live, wikipedia, yahoo
from tests.sim import Market, ProviderSim, sim_yfinance, standard_market
from tests.sim.market import venue_sessions

START, BEFORE_SPLIT, SPLIT, EX_DATE = "2025-02-03", "2025-02-28", "2025-03-03", "2025-03-05"


@pytest.fixture
def market() -> Market:
    m = Market()
    m.add("AAA", first_day="2024-01-02", splits=[(SPLIT, 2, 1)], sector="Industrials",
          wikipedia_article="Aaa Corp")
    m.add("BBB", first_day="2024-01-02", dividends=[(EX_DATE, 0.5)])
    m.add("^RUT", asset_type="index", first_day="1987-09-10", start_price=145.0)
    m.add("GONE", first_day="2024-01-02", last_day="2025-01-15")      # delisted
    m.add("NEWCO", first_day="2025-03-10", name="Newco Inc.")           # IPO later
    return m


@pytest.fixture
def sim(market: Market) -> ProviderSim:
    return ProviderSim(market, day=BEFORE_SPLIT)


@pytest.fixture
def env(sim: ProviderSim, tmp_path):
    with sim_yfinance(tmp_path / "yf", sim) as e:
        yield e


def _errors(caplog) -> dict[str, str]:
    """{ticker: error} from download's summary lines "['A', 'B']: <error>"."""
    out = {}
    for rec in caplog.records:
        if rec.name == "yfinance" and rec.levelno >= logging.ERROR:
            m = re.match(r"^\[(.*?)\]: (.*)$", rec.getMessage(), re.S)
            if m:
                for t in re.findall(r"'([^']+)'", m.group(1)):
                    out[t] = m.group(2)
    return out


# --------------------------------------------------------------------------- prices

def test_download_returns_the_served_bars_and_costs_known_requests(env, sim, market):
    frame = env.download(["AAA", "BBB", "^RUT"], START, BEFORE_SPLIT)
    assert list(frame.columns.names) == ["Price", "Ticker"]
    for t in ("AAA", "BBB", "^RUT"):
        want = market.history(t, START, BEFORE_SPLIT, sim.day)
        got = frame.xs(t, axis=1, level="Ticker").dropna(how="all")
        assert list(got.index) == list(want.index)
        assert (got.index[0], got.index[-1]) == (pd.Timestamp(START), pd.Timestamp(BEFORE_SPLIT))
        for col in ("Open", "High", "Low", "Close", "Adj Close", "Volume"):
            np.testing.assert_array_equal(got[col].to_numpy(float), want[col].to_numpy(float))
    # First call of a process: one cookie, one crumb, then a timezone probe + a chart per ticker.
    assert sim.by_kind() == {"cookie": 1, "crumb": 1, "tz_probe": 3, "chart": 3}
    assert sim.requests[("query2.finance.yahoo.com", "chart")] == 3

    # Later call, new window: the tz is cached on disk and the crumb in YfData: 1 per ticker.
    sim.reset_counts()
    env.download(["AAA", "BBB", "^RUT"], "2025-02-10", BEFORE_SPLIT)
    assert sim.by_kind() == {"chart": 3}
    assert set(env.cached_timezones()) == {"AAA", "BBB", "^RUT"}


def test_a_split_restates_every_earlier_bar(env, sim, market):
    before = env.download(["AAA"], START, BEFORE_SPLIT)
    sim.day = SPLIT  # the provider now knows the 2:1 split
    after = env.download(["AAA"], START, SPLIT)
    old, new = before.xs("AAA", axis=1, level="Ticker"), after.xs("AAA", axis=1, level="Ticker")
    feb = old.index
    np.testing.assert_allclose(new.loc[feb, "Close"], old["Close"] / 2, rtol=1e-6)
    np.testing.assert_allclose(new.loc[feb, "Adj Close"], old["Adj Close"] / 2, rtol=1e-6)
    np.testing.assert_allclose(new.loc[feb, "Volume"], old["Volume"] * 2, rtol=1e-6)
    assert new.loc[pd.Timestamp(SPLIT), "Stock Splits"] == 2.0
    assert (new.loc[feb, "Stock Splits"] == 0).all()
    want = market.history("AAA", START, SPLIT, SPLIT)
    np.testing.assert_array_equal(new["Close"].to_numpy(), want["Close"].to_numpy())


def test_an_ex_dividend_date_shrinks_earlier_adj_close(env, sim, market):
    sim.day = "2025-03-04"
    before = env.download(["BBB"], START, "2025-03-04").xs("BBB", axis=1, level="Ticker")
    assert (before["Adj Close"] == before["Close"]).all()
    assert (before["Dividends"] == 0).all()

    sim.day = EX_DATE
    after = env.download(["BBB"], START, EX_DATE).xs("BBB", axis=1, level="Ticker")
    prev_close = before.loc[pd.Timestamp("2025-03-04"), "Close"]
    factor = 1 - 0.5 / prev_close  # Yahoo's factor: 1 - amount / close before the ex-date
    earlier = before.index
    np.testing.assert_allclose(after.loc[earlier, "Adj Close"], before["Close"] * factor, rtol=1e-6)
    np.testing.assert_array_equal(after.loc[earlier, "Close"], before["Close"])  # unchanged
    assert after.loc[pd.Timestamp(EX_DATE), "Dividends"] == 0.5
    ex = after.loc[pd.Timestamp(EX_DATE)]
    assert ex["Adj Close"] == ex["Close"]


def test_served_views_halts_listing_and_the_day(market, sim):
    view = market.view("AAA", BEFORE_SPLIT)
    assert view.splits == () and view.dates[-1] == np.datetime64(BEFORE_SPLIT)  # nothing later
    assert len(market.view("NEWCO", "2025-03-07")) == 0   # not listed yet
    assert len(market.view("GONE", "2025-06-02")) == len(market.view("GONE", "2025-01-15"))
    market.add("HALT", first_day="2024-01-02", halts=[("2025-02-10", "2025-02-12")])
    dates = {str(d) for d in market.view("HALT", BEFORE_SPLIT).dates}
    assert "2025-02-07" in dates and "2025-02-13" in dates
    assert not {"2025-02-10", "2025-02-11", "2025-02-12"} & dates
    assert sim.advance() == dt.date(2025, 3, 3) and sim.advance(2) == dt.date(2025, 3, 5)
    sim.drop("AAA")
    chart = "https://query2.finance.yahoo.com/v8/finance/chart/AAA"
    assert sim.session().get(chart, params={"range": "1d"}).status_code == 404
    sim.undrop("AAA")
    assert sim.session().get(chart, params={"range": "1d"}).status_code == 200


def test_a_delisted_ticker_is_an_all_nan_column_and_logged(env, sim, caplog):
    caplog.set_level(logging.ERROR, logger="yfinance")
    frame = env.download(["AAA", "GONE"], START, BEFORE_SPLIT)
    assert frame["Close"]["GONE"].isna().all() and frame["Close"]["AAA"].notna().all()
    assert "GONE" in _errors(caplog)
    # Yahoo's own answer for it:
    r = env.session.get("https://query2.finance.yahoo.com/v8/finance/chart/GONE",
                        params={"range": "1d", "interval": "1d"})
    assert r.status_code == 404 and r.json() == {"chart": {"result": None, "error": {
        "code": "Not Found", "description": "No data found, symbol may be delisted"}}}


def test_delisting_after_the_timezone_is_cached_logs_yahoos_reason(env, sim, market, caplog):
    market.add("DEAD", first_day="2024-01-02", last_day="2025-03-03")
    env.download(["AAA", "DEAD"], START, BEFORE_SPLIT)  # timezones cached while DEAD traded
    sim.day = "2025-03-10"
    caplog.set_level(logging.ERROR, logger="yfinance")
    sim.reset_counts()
    frame = env.download(["AAA", "DEAD"], START, "2025-03-07")
    assert frame["Close"]["DEAD"].isna().all()
    assert _errors(caplog)["DEAD"] == "No data found, symbol may be delisted"
    # A 404 costs a retry under the other cookie strategy (+ its crumb).
    assert sim.by_kind() == {"chart": 3, "crumb": 1}


def test_a_rate_limit_wave_is_logged_as_YFRateLimitError(env, sim, caplog):
    env.download(["AAA", "BBB", "^RUT"], START, "2025-02-14")  # warm: cookie, crumb, tz
    caplog.set_level(logging.ERROR, logger="yfinance")
    sim.reset_counts()
    wave = sim.rate_limit("chart", count=2)  # yfinance retries a 429 once: one ticker hit
    frame = env.download(["AAA", "BBB", "^RUT"], START, BEFORE_SPLIT)
    limited = {t for t, e in _errors(caplog).items() if "YFRateLimitError" in e}
    assert len(limited) == 1 and wave.over
    (hit,) = limited
    assert frame["Close"][hit].isna().all()
    assert all(frame["Close"][t].notna().all() for t in {"AAA", "BBB", "^RUT"} - limited)
    # 429 -> switch to the 'csrf' cookie strategy (cookie from yfinance's cookie cache, new
    # crumb from query2) -> retry -> 429 -> YFRateLimitError. 3 requests for the hit ticker.
    assert sim.by_kind() == {"chart": 4, "crumb": 1}
    assert any(e.status == 429 for e in sim.log)

    caplog.clear()
    sim.rate_limit("chart", count=4, start_after=1)
    env.download(["AAA", "BBB", "^RUT"], "2025-02-04", BEFORE_SPLIT)
    assert sum("YFRateLimitError" in e for e in _errors(caplog).values()) == 2


def test_without_a_cookie_cache_yfinance_refetches_the_cookie_and_tries_csrf(env, sim):
    """An unwritable cache dir gives yfinance a dummy cookie cache: the 'basic' strategy then
    GETs fc.yahoo.com before every request, and a 429's retry goes through the 'csrf'
    strategy's guce.yahoo.com consent page (no form in the US) back to 'basic'."""
    import yfinance.cache as yc

    yc._CookieCacheManager._Cookie_cache = yc._CookieCacheDummy()
    env.download(["AAA", "BBB"], START, "2025-02-14")
    # one fc.yahoo.com per request (two for the first: cookie, then again inside the crumb)
    assert sim.by_kind() == {"cookie": 5, "crumb": 1, "tz_probe": 2, "chart": 2}
    assert [e.kind for e in sim.log][:3] == ["cookie", "cookie", "crumb"]
    sim.reset_counts()
    sim.rate_limit("chart", count=2)
    env.download(["AAA", "BBB"], START, BEFORE_SPLIT)
    hit = [e for e in sim.log if e.status == 429][0].url.split("&crumb=")[0]
    steps = [(e.host, e.kind, e.status) for e in sim.log]
    assert steps[:6] == [
        ("fc.yahoo.com", "cookie", 404), ("query2.finance.yahoo.com", "chart", 429),
        ("guce.yahoo.com", "cookie", 200),     # csrf: no consent form -> back to basic
        ("fc.yahoo.com", "cookie", 404), ("fc.yahoo.com", "cookie", 404),
        ("query1.finance.yahoo.com", "crumb", 200)]
    # the same request again, with the new cookie's crumb, and 429 again -> YFRateLimitError
    assert steps[6] == ("query2.finance.yahoo.com", "chart", 429)
    assert sim.log[6].url.split("&crumb=")[0] == hit


def test_the_pipeline_adapter_runs_unchanged_against_the_simulator(env, sim, market):
    """scout_pipeline.sources.yahoo calls yf.download without session=: sim_yfinance made
    yfinance's default session the simulator's, so the real chain runs, offline."""
    got = yahoo.fetch_prices(["AAA", "BBB", "GONE"], START, BEFORE_SPLIT, sleep=lambda s: None)
    rows = got.frame[got.frame["ticker"] == "AAA"]
    want = market.history("AAA", START, BEFORE_SPLIT, sim.day)
    np.testing.assert_array_equal(rows["close"].to_numpy(), want["Close"].to_numpy())
    assert {f.item: f.status for f in got.failures} == {"GONE": "missing"}


def test_threaded_download_is_safe(env, sim, market):
    frame = env.download(["AAA", "BBB", "^RUT"], START, BEFORE_SPLIT, threads=True)
    for t in ("AAA", "BBB", "^RUT"):
        want = market.history(t, START, BEFORE_SPLIT, sim.day)["Close"].to_numpy()
        np.testing.assert_array_equal(frame["Close"][t].dropna().to_numpy(), want)


# --------------------------------------------------------------------------- quote / info

def test_v7_quote_batch_and_quote_summary_parse_through_yfinance(env, sim, market):
    data = env.data()
    got = data.get_raw_json("https://query1.finance.yahoo.com/v7/finance/quote",
                            params={"symbols": "AAA,BBB,NOPE", "formatted": "false"})
    result = got["quoteResponse"]["result"]
    assert got["quoteResponse"]["error"] is None
    assert [r["symbol"] for r in result] == ["AAA", "BBB"]  # unknown: simply absent
    fund = market.fundamentals("AAA", sim.day)
    aaa = result[0]
    assert aaa["quoteType"] == "EQUITY" and aaa["marketCap"] == fund["marketCap"]
    assert aaa["regularMarketPrice"] == market.close("AAA", BEFORE_SPLIT, sim.day)
    assert aaa["marketCap"] == round(aaa["regularMarketPrice"] * aaa["sharesOutstanding"])

    modules = "financialData,defaultKeyStatistics,assetProfile,summaryDetail,quoteType"
    qs = data.get_raw_json("https://query2.finance.yahoo.com/v10/finance/quoteSummary/AAA",
                           params={"modules": modules, "formatted": "false"})
    (body,) = qs["quoteSummary"]["result"]
    assert set(body) == set(modules.split(","))
    assert body["assetProfile"]["sector"] == "Industrials"
    assert body["defaultKeyStatistics"]["netIncomeToCommon"] == fund["netIncomeToCommon"]
    assert body["financialData"]["profitMargins"] == fund["profitMargins"]
    with pytest.raises(requests.HTTPError) as err:
        data.get_raw_json("https://query2.finance.yahoo.com/v10/finance/quoteSummary/NOPE",
                          params={"modules": modules, "formatted": "false"})
    assert err.value.response.json()["quoteSummary"]["error"]["description"] == \
        "Quote not found for symbol: NOPE"


def test_quote_without_the_crumb_is_unauthorized(sim):
    r = sim.session().get("https://query1.finance.yahoo.com/v7/finance/quote",
                          params={"symbols": "AAA"})
    assert r.status_code == 401 and r.json()["finance"]["error"]["code"] == "Unauthorized"


def test_info_costs_three_requests_and_feeds_the_fundamentals_row(env, sim, market):
    env.download(["AAA"], START, BEFORE_SPLIT)  # cookie and crumb already in YfData
    sim.reset_counts()
    info = env.ticker("AAA").info
    assert sim.by_kind() == {"quoteSummary": 1, "quote": 1, "timeseries": 1}
    fund = market.fundamentals("AAA", sim.day)
    for key in ("marketCap", "sharesOutstanding", "netIncomeToCommon", "profitMargins",
                "totalDebt", "totalCash", "sector", "industry"):
        assert info[key] == fund[key], key
    row = yahoo.info_to_row("AAA", info, sim.day)
    assert row["market_cap"] == fund["marketCap"] and row["sector"] == "Industrials"
    assert row["trailing_eps"] == fund["epsTrailingTwelveMonths"]


def test_eu_consent_flow_gets_a_cookie_through_the_csrf_strategy(market, tmp_path):
    sim = ProviderSim(market, day=BEFORE_SPLIT, region="EU")
    with sim_yfinance(tmp_path / "yf", sim) as env:
        got = env.data().get_raw_json("https://query1.finance.yahoo.com/v7/finance/quote",
                                       params={"symbols": "AAA"})
    assert [r["symbol"] for r in got["quoteResponse"]["result"]] == ["AAA"]
    hosts = [e.host for e in sim.log if e.kind == "cookie"]
    assert "guce.yahoo.com" in hosts and "consent.yahoo.com" in hosts


# --------------------------------------------------------------------------- the others

def test_pageviews_fred_ishares_and_wikipedia_parse_through_our_adapters(market):
    market.add("CCC", first_day="2020-01-02", name="Ccc Industries", sector="Materials",
               wikipedia_article="Ccc Industries")
    market.join("sp500", "AAA", "2020-01-02")
    market.join("sp600", "CCC", "2020-01-02", until="2025-03-01")   # left the S&P 600
    market.join("russell2000", "BBB", "2020-01-02")
    market.join("russell2000", "NEWCO", "2025-03-21")                # IPO that joins
    sim = ProviderSim(market, day="2025-03-24")
    http = sim.session()

    views = wikipedia.fetch_pageviews([("Aaa Corp", "AAA"), ("No Such Co", "X")],
                                      "2025-03-01", "2025-03-24", http=http, sleep=lambda s: None)
    rows = views.frame
    assert rows["date"].max() == pd.Timestamp("2025-03-23")  # Wikimedia lags a day
    expect = market.pageviews("Aaa Corp", "2025-03-01", "2025-03-23")
    assert dict(zip(rows["date"].dt.date, rows["value"])) == {
        d: float(v) for d, v in expect.items()}
    assert [(f.item, f.status) for f in views.failures] == [("No Such Co", "missing")]

    rates = fred.fetch_fred("2025-03-14", "2025-03-24", http=http)
    assert rates.failures == []
    dff = rates.frame[rates.frame["series"] == "DFF"]
    dgs2 = rates.frame[rates.frame["series"] == "DGS2"]
    assert len(dff) == 10 and dff["date"].max() == pd.Timestamp("2025-03-23")  # daily, 1-day lag
    assert set(dgs2["date"].dt.weekday) <= {0, 1, 2, 3, 4}
    assert dgs2["date"].max() == pd.Timestamp("2025-03-24")
    assert dff["value"].tolist() == [v for _, v in market.fred("DFF", "2025-03-14", "2025-03-23")]

    got = constituents.fetch_constituents("2025-03-24", http=http,
                                          min_rows={"sp500": 1, "sp600": 0, "russell2000": 1})
    uni = got.frame.set_index("ticker")
    assert uni.loc["AAA", "segments"] == ["large_cap", "sp500"]
    assert uni.loc["AAA", "wikipedia_article"] == "Aaa Corp"
    assert uni.loc["NEWCO", "segments"] == ["small_cap", "russell2000"]
    assert "CCC" not in uni.index  # left the S&P 600 before the day
    assert any("holdings as of 2025-03-24" in n for n in got.notes)

    sim.day = "2025-02-28"
    ua = {"User-Agent": wikipedia.USER_AGENT}
    frame, as_of = constituents.parse_iwm_holdings(http.get(constituents.IWM_URL, headers=ua).text)
    assert as_of == dt.date(2025, 2, 28) and frame["ticker"].tolist() == ["BBB"]
    page = constituents.parse_wikipedia_constituents(
        http.get(constituents.SP600_URL, headers=ua).text)
    assert page["ticker"].tolist() == ["CCC"]
    # fred: DFF, DGS2 and the target range bounds DFEDTARU, DFEDTARL
    assert sim.by_provider() == {"wikimedia": 2, "fred": 4, "wikipedia": 3, "ishares": 2}


def test_wikimedia_refuses_a_generic_user_agent(sim):
    url = wikipedia.pageviews_url("Aaa Corp", dt.date(2025, 2, 1), dt.date(2025, 2, 5))
    assert sim.session().get(url).status_code == 403
    ok = sim.session().get(url, headers={"User-Agent": wikipedia.USER_AGENT})
    assert ok.status_code == 200 and ok.json()["items"][0]["article"] == "Aaa_Corp"


def test_preflight_outage_and_recovery(sim):
    http = sim.session()
    assert all(v is None for v in live.preflight(http).values())
    sim.down("fred.stlouisfed.org")
    status = live.preflight(http)
    assert status["fred.stlouisfed.org"] == "connection refused"
    assert fred.fetch_fred("2025-02-03", "2025-02-07", http=http).failures[0].status == "failed"
    sim.up("fred.stlouisfed.org")
    assert fred.fetch_fred("2025-02-03", "2025-02-07", http=http).failures == []
    sim.down("yahoo")  # every Yahoo host
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get("https://fc.yahoo.com")
    assert sim.requests[("query1.finance.yahoo.com", "head")] == 2


# --------------------------------------------------------------------------- plumbing

def test_answers_are_real_responses_and_unknown_urls_404(sim):
    http = sim.session()
    r = http.get("https://query2.finance.yahoo.com/v8/finance/chart/AAA",
                 params={"period1": 1738558800, "period2": 1740718800, "interval": "1d",
                         "events": "div,splits,capitalGains"})
    assert isinstance(r, requests.Response) and r.status_code == 200 and r.ok
    assert r.headers["content-type"].startswith("application/json")
    assert r.url.startswith("https://query2.finance.yahoo.com/v8/finance/chart/AAA?period1=")
    result = r.json()["chart"]["result"][0]
    assert result["meta"]["exchangeTimezoneName"] == "America/New_York"
    assert result["meta"]["instrumentType"] == "EQUITY" and result["meta"]["range"] == ""
    assert len(result["timestamp"]) == len(result["indicators"]["quote"][0]["close"]) == 18
    # every stamp is a 9:30 New York open
    opens = pd.to_datetime(result["timestamp"], unit="s", utc=True).tz_convert("America/New_York")
    assert set(opens.strftime("%H:%M")) == {"09:30"}

    cookie = http.get("https://fc.yahoo.com", allow_redirects=True)
    assert cookie.status_code == 404 and "A3" in http.cookies
    crumb = http.get("https://query1.finance.yahoo.com/v1/test/getcrumb")
    assert crumb.status_code == 200 and len(crumb.text) == 11

    nowhere = http.get("https://example.com/anything")
    assert nowhere.status_code == 404
    with pytest.raises(requests.HTTPError):
        nowhere.raise_for_status()
    assert sim.unknown == [("GET", "https://example.com/anything")]
    assert http.head("https://www.ishares.com/").status_code == 200


def test_window_with_no_bars_and_range_requests(sim):
    http = sim.session()
    base = "https://query2.finance.yahoo.com/v8/finance/chart/"
    empty = http.get(base + "AAA", params={"period1": 1893456000, "period2": 1893542400}).json()
    assert empty["chart"]["result"][0]["indicators"] == {"quote": [{}], "adjclose": [{}]}
    probe = http.get(base + "^RUT", params={"range": "1d", "interval": "1d"}).json()
    res = probe["chart"]["result"][0]
    assert len(res["timestamp"]) == 1 and res["meta"]["range"] == "1d"
    assert res["meta"]["regularMarketPrice"] == res["indicators"]["quote"][0]["close"][0]
    assert sim.by_kind() == {"chart": 1, "tz_probe": 1}


def test_generation_is_deterministic_cheap_and_on_the_nyse_calendar():
    t0 = time.perf_counter()
    a, b = Market(), Market()
    for m in (a, b):
        m.add("^RUT", asset_type="index", first_day="1987-09-10")
    rut = a.raw("^RUT")
    assert time.perf_counter() - t0 < 2.0
    assert rut.dates[0] == np.datetime64("1987-09-10") and len(rut) > 9000
    np.testing.assert_array_equal(rut.close, b.raw("^RUT").close)
    ours = venue_sessions("us").dates
    lo = np.searchsorted(ours, np.datetime64("2020-01-01"))
    hi = np.searchsorted(ours, np.datetime64("2025-12-31"), "right")
    assert [d.astype(object) for d in ours[lo:hi]] == calendar.sessions("2020-01-01", "2025-12-31")


def test_standard_market_serves_the_bundled_universe(yf_env, provider_sim, sim_market):
    tickers = ["^RUT", "^GSPC", "ZQ=F", "^IRX", "SPY", "^N225", "1306.T", "NVDA"]
    frame = yf_env.download(tickers, "2025-05-01", "2025-05-30")
    closes = frame["Close"]
    assert 95 < closes["ZQ=F"].dropna().iloc[-1] < 97          # 100 - ~4.3 %
    assert 3.5 < closes["^IRX"].dropna().iloc[-1] < 4.6
    assert closes["^N225"].notna().sum() >= 19                  # Tokyo sessions, Tokyo dates
    assert provider_sim.market.raw("^RUT").dates[0] == np.datetime64("1987-09-10")
    # NVDA's 10:1 split of 2024-06-10 is already in every served bar
    nvda = sim_market.view("NVDA", provider_sim.day)
    assert nvda.splits[-1][0] == dt.date(2024, 6, 10)
    assert standard_market(fill={"sp500": 450}).members("sp500", "2025-06-02").__len__() == 457
