"""The non-Yahoo answers: Wikipedia constituent pages, the iShares IWM holdings CSV, FRED's
fredgraph.csv and Wikimedia per-article pageviews — in the shapes our adapters parse
(scout_pipeline/sources/{constituents,fred,wikipedia}.py, and the real answers captured in
tests/sources/test_{constituents,fred,wikipedia}.py)."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import quote

from tests.sim.market import Market, as_date, session_on_or_before

# Wikimedia's 404 body (tests/sources/test_wikipedia.py NOT_FOUND).
PAGEVIEWS_NOT_FOUND = {
    "type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
    "title": "Not found.", "method": "get",
    "detail": ("The date(s) you used are valid, but we either do not have data for those "
               "date(s), or the project you asked for is not loaded yet."),
}
PAGEVIEWS_TOO_MANY = {"type": "https://mediawiki.org/wiki/HyperSwitch/errors/request_rate_exceeded",
                      "title": "Too many requests"}
WIKIMEDIA_UA_REQUIRED = ("Please set a user-agent and respect our robot policy "
                         "https://w.wiki/4wJS. See also T400119.\n")


# --------------------------------------------------------------------------- Wikipedia

def _article_link(title: str | None, text: str) -> str:
    if not title:
        return html.escape(text)
    href = "/wiki/" + quote(title.replace(" ", "_"), safe="(),.'!:")
    return f'<a href="{href}" title="{html.escape(title)}">{html.escape(text)}</a>'


def constituents_page(market: Market, index: str, day: dt.date) -> str:
    """"List of S&P 500/600 companies" as of `day`: the maintenance box, the
    `id="constituents"` table (S&P 500: Symbol, Security, GICS Sector, ...; S&P 600: Symbol,
    Company, ...), then the "Selected changes" table."""
    name_header = "Security" if index == "sp500" else "Company"
    title = "S&amp;P 500" if index == "sp500" else "S&amp;P 600"
    rows = []
    for ticker in market.members(index, day):
        inst = market[ticker]
        sector, industry = market.profile(ticker)
        symbol = ticker.replace("-", ".")  # Wikipedia writes the exchange spelling (BRK.B)
        exchange = "XNYS" if inst.exchange_name == "NYQ" else "XNAS"
        link = (f'<a rel="nofollow" class="external text" '
                f'href="https://www.nyse.com/quote/{exchange}:{symbol}">{symbol}</a>')
        cells = [link, _article_link(inst.wikipedia_article, inst.display_name),
                 html.escape(sector), html.escape(industry), "New York, New York"]
        if index == "sp500":
            joined = min(a for a, _ in market.membership[index][ticker])
            cells += [joined.isoformat(), f"{inst.seed % 10**10:010d}", str(1900 + inst.seed % 120)]
        else:
            cells += ["view", f"{inst.seed % 10**10:010d}"]
        rows.append("<tr>\n" + "\n".join(f"<td>{c}</td>" for c in cells) + "\n</tr>")
    headers = ["Symbol", name_header, "GICS Sector", "GICS Sub-Industry",
               "Headquarters Location"]
    cik = '<a href="/wiki/Central_Index_Key" title="Central Index Key">CIK</a>'
    headers += ["Date added", cik, "Founded"] if index == "sp500" else ["SEC filings", "CIK"]
    changes = [f"<tr><td>{d:%B %d, %Y}</td><td>{t if kind == 'added' else ''}</td>"
               f"<td>{market[t].display_name if kind == 'added' else ''}</td>"
               f"<td>{t if kind == 'removed' else ''}</td>"
               f"<td>{market[t].display_name if kind == 'removed' else ''}</td>"
               f"<td>Index rebalancing.</td></tr>"
               for d, kind, t in market.changes(index, day)[:50]]
    return (
        "<!DOCTYPE html><html><head><title>List of " + title + " companies - Wikipedia</title>"
        "</head><body>\n"
        '<table class="box-More_citations_needed plainlinks metadata ambox"><tbody><tr>'
        '<td class="mbox-text">This article needs additional citations.</td></tr></tbody>'
        "</table>\n"
        f'<h2 id="components">{title} component stocks</h2>\n'
        '<table class="wikitable sortable sticky-header" id="constituents">\n<tbody><tr>\n'
        + "\n".join(f"<th>{h}</th>" for h in headers) + "\n</tr>\n"
        + "\n".join(rows) + "\n</tbody></table>\n"
        f"<h2>Selected changes to the list of {title} components</h2>\n"
        '<table class="wikitable sortable" id="changes">\n<tbody><tr>\n'
        '<th rowspan="2">Effective Date</th><th colspan="2">Added</th>'
        '<th colspan="2">Removed</th><th rowspan="2">Reason</th>\n</tr>\n'
        "<tr><th>Ticker</th><th>Security</th><th>Ticker</th><th>Security</th></tr>\n"
        + "\n".join(changes) + "\n</tbody></table>\n</body></html>"
    )


# --------------------------------------------------------------------------- iShares

IWM_HEADER = ("Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,"
              "Price,Location,Exchange,Currency,FX Rate,Market Currency,Accrual Date")


def _money(x: float) -> str:
    return f'"{x:,.2f}"'


def iwm_holdings(market: Market, day: dt.date) -> str:
    """The IWM holdings CSV as of the last session on/before `day`: BOM, 8 preamble lines, a
    non-breaking-space line, the header, one row per Russell 2000 member (ticker without the
    class dash, upper-case name), the cash/futures/money-market rows, a blank line and the
    legal footer."""
    as_of = session_on_or_before(day)
    members = market.members("russell2000", as_of)
    rows, values = [], []
    for ticker in members:
        price = market.last_close(ticker, as_of)
        if price is None:
            continue
        shares = round(market.shares_outstanding(ticker, as_of) * 0.06)
        values.append((ticker, price, shares, price * shares))
    total = sum(v for *_, v in values) or 1.0
    for ticker, price, shares, value in values:
        inst = market[ticker]
        sector = market.profile(ticker)[0]
        exchange = "NASDAQ" if inst.exchange_name == "NMS" else "New York Stock Exchange Inc."
        rows.append(",".join([
            f'"{ticker.replace("-", "")}"', f'"{inst.display_name.upper()}"', f'"{sector}"',
            '"Equity"', _money(value), f'"{100 * value / total:.2f}"', _money(value),
            _money(shares), f'"{price:.2f}"', '"United States"', f'"{exchange}"', '"USD"',
            '"1.00"', '"USD"', '"-"']))
    rows += [
        '"XTSLA","BLK CSH FND TREASURY SL AGENCY","Cash and/or Derivatives","Money Market",'
        '"500,000,000.00","1.90","500,000,000.00","500,000,000.00","1.00","United States","-",'
        '"USD","1.00","USD","-"',
        '"RTYZ5","RUSSELL 2000 EMINI CME DEC 25","Cash and/or Derivatives","Futures","0.00",'
        '"0.00","250,000,000.00","2,300.00","2,175.20","United States",'
        '"Chicago Mercantile Exchange","USD","1.00","USD","-"',
        '"USD","USD CASH","Cash and/or Derivatives","Cash","1,234,567.00","0.00",'
        '"1,234,567.00","1,234,567.00","100.00","United States","-","USD","1.00","USD","-"',
    ]
    preamble = [
        "\ufeffiShares Russell 2000 ETF",
        f'Fund Holdings as of,"{as_of:%b %d, %Y}"',
        'Inception Date,"May 22, 2000"',
        'Shares Outstanding,"267,950,000.00"',
        'Stock,"-"', 'Bond,"-"', 'Cash,"-"', 'Other,"-"',
        "\xa0",
    ]
    footer = ["\xa0",
              '"The content contained herein is owned or licensed by BlackRock and/or its '
              'third-party information providers and is protected by applicable copyrights, '
              'trademarks, service marks, and/or other intellectual property rights."']
    return "\n".join(preamble + [IWM_HEADER] + rows + footer) + "\n"


# --------------------------------------------------------------------------- FRED

FRED_LAG_DAYS = {"DFF": 1, "DGS2": 0}  # DFF is published the next business morning


def fredgraph_csv(market: Market, series: str, cosd: str | None, coed: str | None,
                  day: dt.date) -> str:
    """`observation_date,<ID>` then one line per observation from cosd to coed (default:
    the series' start / latest), '.' for no observation; nothing after `day` - lag."""
    latest = day - dt.timedelta(days=FRED_LAG_DAYS.get(series, 0))
    start = as_date(cosd) if cosd else dt.date(1990, 1, 1)
    end = min(as_date(coed), latest) if coed else latest
    lines = [f"observation_date,{series}"]
    if start <= end:
        for d, v in market.fred(series, start, end):
            lines.append(f"{d.isoformat()},{'.' if v is None else f'{v:.2f}'}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Wikimedia

def pageviews_json(market: Market, article: str, start: str, end: str, day: dt.date, *,
                   lag_days: int = 1, project: str = "en.wikipedia", access: str = "all-access",
                   agent: str = "user") -> dict | None:
    """The per-article daily answer (zero-view days left out, as the API does), or None when
    the article is unknown or no day of the window is loaded yet (the API's 404)."""
    title = " ".join(article.replace("_", " ").split())
    if title not in market.all_articles():
        return None
    first = dt.datetime.strptime(start[:8], "%Y%m%d").date()
    last = min(dt.datetime.strptime(end[:8], "%Y%m%d").date(),
               day - dt.timedelta(days=lag_days))
    if last < first:
        return None
    items = [{"project": project, "article": article, "granularity": "daily",
              "timestamp": f"{d:%Y%m%d}00", "access": access, "agent": agent, "views": v}
             for d, v in market.pageviews(title, first, last).items() if v > 0]
    return {"items": items} if items else None


def is_descriptive_user_agent(ua: str | None) -> bool:
    """Wikimedia's robot policy: a generic client string is not enough."""
    if not ua or not ua.strip():
        return False
    return not ua.startswith(("python-requests/", "curl/", "Python-urllib/"))
