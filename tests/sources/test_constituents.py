"""Constituents: Wikipedia S&P tables (stdlib HTML parsing), the IWM holdings CSV, the
bundled fallback, and the merged universe. Fake HTTP only."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from scout_pipeline.sources import constituents as cons
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FALLBACK

# --------------------------------------------------------------------------- fixtures

SP500_HTML = """<!DOCTYPE html><html><body>
<table class="box-More_citations_needed plainlinks metadata ambox"><tbody><tr>
<td class="mbox-text">This article needs additional citations.</td></tr></tbody></table>
<h2 id="S&amp;P_500_component_stocks">S&amp;P 500 component stocks</h2>
<table class="wikitable sortable sticky-header" id="constituents">
<tbody><tr>
<th>Symbol</th>
<th>Security</th>
<th>GICS Sector</th>
<th>GICS Sub-Industry</th>
<th>Headquarters Location</th>
<th>Date added</th>
<th><a href="/wiki/Central_Index_Key" title="Central Index Key">CIK</a></th>
<th>Founded</th>
</tr>
<tr>
<td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:MMM">MMM</a></td>
<td><a href="/wiki/3M" title="3M">3M</a></td>
<td>Industrials</td>
<td>Industrial Conglomerates</td>
<td><a href="/wiki/Saint_Paul,_Minnesota" title="Saint Paul, Minnesota">Saint Paul, Minnesota</a></td>
<td>1957-03-04</td>
<td>0000066740</td>
<td>1902</td>
</tr>
<tr>
<td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:BRK.B">BRK.B</a></td>
<td><a href="/wiki/Berkshire_Hathaway" title="Berkshire Hathaway">Berkshire Hathaway</a></td>
<td>Financials</td>
<td>Multi-Sector Holdings</td>
<td><a href="/wiki/Omaha,_Nebraska" title="Omaha, Nebraska">Omaha, Nebraska</a></td>
<td>2010-02-16</td>
<td>0001067983</td>
<td>1839</td>
</tr>
<tr>
<td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:BF.B">BF.B</a></td>
<td><a href="/wiki/Brown%E2%80%93Forman" title="Brown–Forman">Brown–Forman</a></td>
<td>Consumer Staples</td>
<td>Distillers &amp; Vintners</td>
<td><a href="/wiki/Louisville,_Kentucky" title="Louisville, Kentucky">Louisville, Kentucky</a></td>
<td>1982-10-31</td>
<td>0000014693</td>
<td>1870</td>
</tr>
<tr>
<td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:T">T</a></td>
<td><a href="/wiki/AT%26T" title="AT&amp;T">AT&amp;T</a></td>
<td>Communication Services</td>
<td>Integrated Telecommunication Services</td>
<td><a href="/wiki/Dallas" title="Dallas">Dallas, Texas</a></td>
<td>1983-11-30</td>
<td>0000732717</td>
<td>1983 (1885)</td>
</tr>
<tr>
<td><a rel="nofollow" class="external text" href="https://www.nasdaq.com/market-activity/stocks/googl">GOOGL</a></td>
<td><a href="/wiki/Alphabet_Inc." title="Alphabet Inc.">Alphabet Inc. (Class A)</a><sup id="cite_ref-a_4-0" class="reference"><a href="#cite_note-a-4">[a]</a></sup></td>
<td>Communication Services</td>
<td>Interactive Media &amp; Services</td>
<td><a href="/wiki/Mountain_View,_California" title="Mountain View, California">Mountain View, California</a></td>
<td>2014-04-03</td>
<td>0001652044</td>
<td>1998</td>
</tr>
</tbody></table>
<h2>Selected changes to the list of S&amp;P 500 components</h2>
<table class="wikitable sortable" id="changes">
<tbody><tr>
<th rowspan="2">Effective Date</th><th colspan="2">Added</th><th colspan="2">Removed</th><th rowspan="2">Reason</th>
</tr>
<tr><th>Ticker</th><th>Security</th><th>Ticker</th><th>Security</th></tr>
<tr><td>June 23, 2025</td><td>DDOG</td><td>Datadog</td><td>JNPR</td><td>Juniper Networks</td><td>S&amp;P 500 constituent Hewlett Packard Enterprise acquired Juniper Networks.</td></tr>
</tbody></table>
</body></html>"""

SP600_HTML = """<table class="wikitable sortable" id="constituents"><tbody>
<tr><th>Symbol</th><th>Company</th><th>GICS Sector</th><th>GICS Sub-Industry</th>
<th>Headquarters Location</th><th>SEC filings</th><th>CIK</th></tr>
<tr><td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:AAP">AAP</a></td>
<td><a href="/wiki/Advance_Auto_Parts" title="Advance Auto Parts">Advance Auto Parts</a></td>
<td>Consumer Discretionary</td><td>Automotive Retail</td><td>Raleigh, North Carolina</td>
<td><a rel="nofollow" class="external text" href="https://www.sec.gov/cgi-bin/browse-edgar?CIK=AAP">view</a></td><td>0001158449</td></tr>
<tr><td><a rel="nofollow" class="external text" href="https://www.nasdaq.com/market-activity/stocks/cprx">CPRX</a></td>
<td>Catalyst Pharmaceuticals</td>
<td>Health Care</td><td>Biotechnology</td><td>Coral Gables, Florida</td><td>view</td><td>0001369568</td></tr>
<tr><td><a rel="nofollow" class="external text" href="https://www.nyse.com/quote/XNYS:MOG.A">MOG.A</a></td>
<td><a href="/w/index.php?title=Moog_Example&amp;action=edit&amp;redlink=1" class="new" title="Moog Example (page does not exist)">Moog Example</a></td>
<td>Industrials</td><td>Aerospace &amp; Defense</td><td>Elma, New York</td><td>view</td><td>0000067887</td></tr>
</tbody></table>"""

IWM_CSV = (
    "\ufeffiShares Russell 2000 ETF\n"
    'Fund Holdings as of,"Jun 27, 2025"\n'
    'Inception Date,"May 22, 2000"\n'
    'Shares Outstanding,"267,950,000.00"\n'
    'Stock,"-"\n'
    'Bond,"-"\n'
    'Cash,"-"\n'
    'Other,"-"\n'
    "\xa0\n"
    "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,"
    "Location,Exchange,Currency,FX Rate,Market Currency,Accrual Date\n"
    '"CRDO","CREDO TECHNOLOGY GROUP HOLDING LTD","Information Technology","Equity",'
    '"165,123,456.78","0.63","165,123,456.78","1,789,012.00","92.30","United States","NASDAQ",'
    '"USD","1.00","USD","-"\n'
    '"CPRX","CATALYST PHARMACEUTICALS INC","Health Care","Equity","40,212,345.10","0.15",'
    '"40,212,345.10","1,712,000.00","23.49","United States","NASDAQ","USD","1.00","USD","-"\n'
    '"AAP","ADVANCE AUTO PARTS INC","Consumer Discretionary","Equity","30,100,000.00","0.11",'
    '"30,100,000.00","600,000.00","50.16","United States","New York Stock Exchange Inc.","USD",'
    '"1.00","USD","-"\n'
    '"XTSLA","BLK CSH FND TREASURY SL AGENCY","Cash and/or Derivatives","Money Market",'
    '"500,000,000.00","1.90","500,000,000.00","500,000,000.00","1.00","United States","-","USD",'
    '"1.00","USD","-"\n'
    '"RTYU5","RUSSELL 2000 EMINI CME SEP 25","Cash and/or Derivatives","Futures","0.00","0.00",'
    '"250,000,000.00","2,300.00","2,175.20","United States","Chicago Mercantile Exchange","USD",'
    '"1.00","USD","-"\n'
    '"USD","USD CASH","Cash and/or Derivatives","Cash","1,234,567.00","0.00","1,234,567.00",'
    '"1,234,567.00","100.00","United States","-","USD","1.00","USD","-"\n'
    "\xa0\n"
    '"The content contained herein is owned or licensed by BlackRock and/or its third-party '
    'information providers and is protected by applicable copyrights, trademarks, service marks, '
    'and/or other intellectual property rights."\n'
)


class FakeResponse:
    def __init__(self, status_code: int, text: str):
        self.status_code, self.text, self.headers = status_code, text, {}


class FakeHttp:
    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[str] = []

    def get(self, url, params=None, headers=None, timeout=None):
        self.calls.append(url)
        answer = self.answers[url]
        if isinstance(answer, BaseException):
            raise answer
        return answer


SMALL = {"sp500": 1, "sp600": 1, "russell2000": 1}

# --------------------------------------------------------------------------- tests


def test_sp500_table_parsed_with_articles_and_yahoo_tickers():
    frame = cons.parse_wikipedia_constituents(SP500_HTML)
    assert frame.to_dict("records") == [
        {"ticker": "MMM", "name": "3M", "sector": "Industrials", "wikipedia_article": "3M"},
        {"ticker": "BRK-B", "name": "Berkshire Hathaway", "sector": "Financials",
         "wikipedia_article": "Berkshire Hathaway"},
        {"ticker": "BF-B", "name": "Brown–Forman", "sector": "Consumer Staples",
         "wikipedia_article": "Brown–Forman"},
        {"ticker": "T", "name": "AT&T", "sector": "Communication Services", "wikipedia_article": "AT&T"},
        {"ticker": "GOOGL", "name": "Alphabet Inc. (Class A)", "sector": "Communication Services",
         "wikipedia_article": "Alphabet Inc."},
    ]


def test_sp600_company_column_red_links_and_plain_text():
    frame = cons.parse_wikipedia_constituents(SP600_HTML).set_index("ticker")
    assert frame.loc["AAP", "wikipedia_article"] == "Advance Auto Parts"
    assert frame.loc["CPRX", "wikipedia_article"] is None  # no link
    assert frame.loc["MOG-A", "wikipedia_article"] is None  # red link: no article
    assert frame.loc["MOG-A", "name"] == "Moog Example"


def test_iwm_holdings_skip_preamble_and_keep_equities_only():
    frame, as_of = cons.parse_iwm_holdings(IWM_CSV)
    assert as_of == dt.date(2025, 6, 27)
    assert frame["ticker"].tolist() == ["CRDO", "CPRX", "AAP"]
    assert frame.iloc[0]["name"] == "CREDO TECHNOLOGY GROUP HOLDING LTD"
    assert frame.iloc[0]["sector"] == "Information Technology"


def test_live_lists_merged_into_universe_rows():
    http = FakeHttp({cons.SP500_URL: FakeResponse(200, SP500_HTML),
                     cons.SP600_URL: FakeResponse(200, SP600_HTML),
                     cons.IWM_URL: FakeResponse(200, IWM_CSV)})
    got = cons.fetch_constituents("2025-06-30", http=http, min_rows=SMALL)
    assert got.failures == [] and got.requested == 3 and len(http.calls) == 3
    uni = got.frame.set_index("ticker")
    assert list(got.frame.columns) == columns("universe")
    assert uni.loc["BRK-B", "segments"] == ["large_cap", "sp500"]
    assert uni.loc["CPRX", "segments"] == ["small_cap", "sp600", "russell2000"]
    assert uni.loc["CPRX", "name"] == "Catalyst Pharmaceuticals"  # S&P 600 name kept (first)
    assert uni.loc["CRDO", "segments"] == ["small_cap", "russell2000"]
    assert uni.loc["AAP", "wikipedia_article"] == "Advance Auto Parts"
    assert set(uni["asset_type"]) == {"equity"} and set(uni["source"]) == {"constituents"}
    assert any("sp500 fetched live, 5 members" in n for n in got.notes)


def test_failed_fetches_fall_back_to_the_dated_bundle_and_say_so():
    http = FakeHttp({cons.SP500_URL: FakeResponse(200, "<html><p>maintenance</p></html>"),
                     cons.SP600_URL: FakeResponse(403, "Forbidden"),
                     cons.IWM_URL: ConnectionError("Name or service not known")})
    got = cons.fetch_constituents("2025-07-15", http=http)
    assert {f.item: f.status for f in got.failures} == {
        "sp500": FALLBACK, "sp600": FALLBACK, "russell2000": FALLBACK}
    assert all("2025-06-30" in n for n in got.notes)
    assert "Name or service not known" in got.failures[2].reason
    uni = got.frame.set_index("ticker")
    assert uni.loc["BRK-B", "segments"] == ["large_cap", "sp500"]  # BRK.B in the bundle
    assert uni.loc["SHAK", "segments"] == ["small_cap", "sp600", "russell2000"]
    assert uni.loc["AAPL", "wikipedia_article"] == "Apple Inc."


def test_a_suspiciously_short_list_counts_as_failed():
    http = FakeHttp({cons.SP500_URL: FakeResponse(200, SP500_HTML)})
    got = cons.fetch_constituents("2025-07-01", http=http, indexes=["sp500"])
    [failure] = got.failures
    assert failure.status == FALLBACK and "only 5 members" in failure.reason
    assert len(got.frame) == 40


def test_unreachable_host_goes_straight_to_the_bundle():
    http = FakeHttp({})
    got = cons.fetch_constituents("2025-07-01", http=http, indexes=["russell2000"],
                                  unreachable={"www.ishares.com"})
    assert http.calls == [] and got.failures[0].status == FALLBACK


def test_bundled_files_are_dated_and_load():
    members, dated = cons.load_bundled("sp600", "2030-01-01")
    assert dated == dt.date(2025, 6, 30) and len(members) == 40
    members, dated = cons.load_bundled("sp500", "2000-01-01")  # older than every bundle: oldest
    assert dated == dt.date(2025, 6, 30) and "BF-B" in set(members["ticker"])


def test_merge_unions_segments_and_keeps_first_non_null_fields():
    a = pd.DataFrame([{"ticker": "NVDA", "name": "NVIDIA Corporation", "asset_type": "equity",
                       "segments": ["large_cap", "sp500", "watchlist"], "sector": None,
                       "wikipedia_article": "Nvidia", "source": "default"},
                      {"ticker": "^RUT", "name": "Russell 2000 Index", "asset_type": "index",
                       "segments": [], "sector": None, "wikipedia_article": None, "source": "default"}])
    b = cons.members_to_universe("sp500", pd.DataFrame([
        {"ticker": "NVDA", "name": "Nvidia", "sector": "Information Technology",
         "wikipedia_article": "Nvidia"}]))
    merged = cons.merge_universe(a, b).set_index("ticker")
    assert merged.loc["NVDA", "segments"] == ["large_cap", "sp500", "watchlist"]
    assert merged.loc["NVDA", "name"] == "NVIDIA Corporation"
    assert merged.loc["NVDA", "sector"] == "Information Technology"
    assert merged.loc["^RUT", "segments"] == [] and merged.loc["^RUT", "sector"] is None


def test_yahoo_symbol():
    assert [cons.yahoo_symbol(t) for t in ["BRK.B", " bf.b ", "MOG/A", "AAPL"]] == [
        "BRK-B", "BF-B", "MOG-A", "AAPL"]
