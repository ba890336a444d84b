"""Yahoo Finance JSON answers, built from the simulated market as served on a given day.

Shapes checked against:
* yfinance 1.7 source: scrapers/history.py (reads meta.instrumentType, exchangeTimezoneName,
  currency, validRanges, priceHint; `indicators.quote[0]` empty -> "no price data found";
  `chart.error.description` becomes the logged reason), utils.parse_quotes / parse_actions
  (timestamp, indicators.quote[0].open/high/low/close/volume, indicators.adjclose[0].adjclose,
  events.dividends{ts: {amount, date}}, events.splits{ts: {date, numerator, denominator}}),
  utils.format_history_metadata (currentTradingPeriod.{pre,regular,post}.{start,end,
  timezone,gmtoffset}), base._fetch_ticker_tz (meta.exchangeTimezoneName of `range=1d`),
  scrapers/quote.py (_fetch: quoteSummary.result[0] modules; _fetch_additional_info:
  quoteResponse.result; _fetch_complementary: timeseries.result[0][type][-1].reportedValue.raw).
* Captured answers in public code: chart meta keys and `"range":""` for period requests,
  `"indicators":{"quote":[{}],"adjclose":[{}]}` for a window without bars, the 404 body
  {"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol
  may be delisted"}}}, quoteSummary's 404 "Quote not found for symbol: X", v7 quote's
  `{"quoteResponse":{"result":[],"error":null}}` for unknown symbols and 401
  {"finance":{"result":null,"error":{"code":"Unauthorized",...}}} without a valid crumb, and
  timeseries' meta-only result for a symbol without data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from dateutil.relativedelta import relativedelta

from tests.sim.market import (
    EXCHANGE_NAMES, VENUES, Bars, Instrument, Market, as_date, venue_sessions,
)

VALID_RANGES = ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]
FEEDBACK = "https://bit.ly/yahoo-finance-api-feedback"


# --------------------------------------------------------------------------- errors

def chart_not_found() -> dict:
    return {"chart": {"result": None, "error": {
        "code": "Not Found", "description": "No data found, symbol may be delisted"}}}


def chart_error(code: str, description: str) -> dict:
    return {"chart": {"result": None, "error": {"code": code, "description": description}}}


def quote_summary_not_found(symbol: str) -> dict:
    return {"quoteSummary": {"result": None, "error": {
        "code": "Not Found", "description": f"Quote not found for symbol: {symbol}"}}}


def unauthorized(what: str = "crumb") -> dict:
    text = ("Invalid Cookie" if what == "cookie"
            else f"User is unable to access this feature - {FEEDBACK}")
    return {"finance": {"result": None, "error": {"code": "Unauthorized", "description": text}}}


# --------------------------------------------------------------------------- chart

def _tz_fields(venue_key: str, when: int) -> tuple[int, str]:
    """(gmtoffset seconds, abbreviation) of the venue's zone at UTC second `when`."""
    local = dt.datetime.fromtimestamp(when, dt.timezone.utc).astimezone(
        ZoneInfo(VENUES[venue_key].tz))
    return int(local.utcoffset().total_seconds()), local.tzname() or ""


def _last_session(inst: Instrument, day: dt.date) -> int:
    """Index (in the venue's sessions) of the last session on or before `day`."""
    s = venue_sessions(inst.venue)
    return max(int(np.searchsorted(s.dates, np.datetime64(day, "D"), "right")) - 1, 0)


def trading_period(inst: Instrument, day: dt.date) -> dict:
    """currentTradingPeriod for the venue's session on/before `day` (US: pre 4:00-9:30,
    regular 9:30-16:00, post 16:00-20:00 ET; elsewhere no extended hours)."""
    s = venue_sessions(inst.venue)
    i = _last_session(inst, day)
    open_, close = int(s.open_ts[i]), int(s.close_ts[i])
    off, abbr = _tz_fields(inst.venue, open_)
    pre, post = (open_ - 19800, close + 14400) if inst.venue == "us" else (open_, close)

    def part(a: int, b: int) -> dict:
        return {"timezone": abbr, "start": a, "end": b, "gmtoffset": off}

    return {"pre": part(pre, open_), "regular": part(open_, close), "post": part(close, post)}


def chart_meta(market: Market, inst: Instrument, day: dt.date, served: Bars,
               shown: Bars, range_label: str) -> dict:
    """The chart `meta` object: the instrument and its last served bar on `day`."""
    venue = VENUES[inst.venue]
    s = venue_sessions(inst.venue)
    raw = market.raw(inst.ticker)
    last = len(served) - 1
    close_ts = int(s.close_ts[np.searchsorted(s.dates, served.dates[last])]) if last >= 0 \
        else int(s.close_ts[_last_session(inst, day)])
    off, abbr = _tz_fields(inst.venue, close_ts)
    year_ago = np.datetime64(day - dt.timedelta(days=365), "D")
    recent = served.dates >= year_ago
    meta: dict[str, Any] = {
        "currency": venue.currency,
        "symbol": inst.ticker,
        "exchangeName": inst.exchange_name,
        "fullExchangeName": EXCHANGE_NAMES.get(inst.exchange_name, inst.exchange_name),
        "instrumentType": inst.quote_type,
        "firstTradeDate": int(raw.ts[0]) if len(raw) else None,
        "regularMarketTime": close_ts,
        "hasPrePostMarketData": inst.asset_type in ("equity", "etf"),
        "gmtoffset": off,
        "timezone": abbr,
        "exchangeTimezoneName": venue.tz,
    }
    if last >= 0:
        meta.update({
            "regularMarketPrice": float(served.close[last]),
            "fiftyTwoWeekHigh": float(served.high[recent].max()),
            "fiftyTwoWeekLow": float(served.low[recent].min()),
            "regularMarketDayHigh": float(served.high[last]),
            "regularMarketDayLow": float(served.low[last]),
            "regularMarketVolume": int(served.volume[last]),
        })
    meta.update({"longName": inst.display_name, "shortName": inst.display_name})
    # chartPreviousClose: the close before the first bar shown (Yahoo's own definition).
    if len(shown):
        j = int(np.searchsorted(served.ts, shown.ts[0])) - 1
        meta["chartPreviousClose"] = float(served.close[j] if j >= 0 else shown.open[0])
    elif last >= 0:
        meta["chartPreviousClose"] = float(served.close[last])
    if range_label and last >= 1:  # range requests also carry previousClose and scale
        meta["previousClose"] = float(served.close[last - 1])
        meta["scale"] = 3
    meta.update({
        "priceHint": 4 if inst.rate == "fed_funds_future" else 2,
        "currentTradingPeriod": trading_period(inst, day),
        "dataGranularity": "1d",
        "range": range_label,
        "validRanges": list(VALID_RANGES),
    })
    return meta


def range_start(served: Bars, label: str, day: dt.date) -> int | None:
    """The first open stamp shown for a `range=` request (None: from the first bar)."""
    if not len(served) or label == "max":
        return None
    if label in ("1d", "5d"):
        n = int(label[0])
        return int(served.ts[max(len(served) - n, 0)])
    if label == "ytd":
        start = dt.date(day.year, 1, 1)
    else:
        num, unit = int(label[:-2] if label.endswith("mo") else label[:-1]), label[-2:]
        start = day - (relativedelta(months=num) if unit == "mo" else relativedelta(years=num))
    i = int(np.searchsorted(served.dates, np.datetime64(start, "D")))
    return int(served.ts[min(i, len(served) - 1)])


def chart(market: Market, inst: Instrument, day: dt.date, *, period1: int | None = None,
          period2: int | None = None, range_label: str | None = None,
          events: set[str] = frozenset()) -> dict:
    """GET /v8/finance/chart/{symbol}: bars with open stamps in [period1, period2) (or the
    `range`), events of the requested kinds inside the same window."""
    served = market.view(inst.ticker, day)
    if range_label is not None:
        shown = served.window(range_start(served, range_label, day), None)
    else:
        shown = served.window(period1, period2)
    result: dict[str, Any] = {
        "meta": chart_meta(market, inst, day, served, shown, range_label or "")}
    if not len(shown):
        result["indicators"] = {"quote": [{}], "adjclose": [{}]}
        return {"chart": {"result": [result], "error": None}}
    result["timestamp"] = [int(t) for t in shown.ts]
    ev: dict[str, Any] = {}
    if "div" in events and shown.dividends:
        ev["dividends"] = {str(ts): {"amount": amount, "date": ts}
                           for _, ts, amount in shown.dividends}
    if "split" in events and shown.splits:
        ev["splits"] = {str(ts): {"date": ts, "numerator": _num(n), "denominator": _num(m),
                                  "splitRatio": f"{_num(n)}:{_num(m)}"}
                        for _, ts, n, m in shown.splits}
    if ev:
        result["events"] = ev
    result["indicators"] = {
        "quote": [{"open": shown.open.tolist(), "high": shown.high.tolist(),
                   "low": shown.low.tolist(), "close": shown.close.tolist(),
                   "volume": shown.volume.tolist()}],
        "adjclose": [{"adjclose": shown.adjclose.tolist()}],
    }
    return {"chart": {"result": [result], "error": None}}


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def parse_events(value: str | None) -> set[str]:
    """`events=div,splits,capitalGains` (or `div|split`) -> {'div', 'split', ...}."""
    out = set()
    for part in (value or "").replace("|", ",").split(","):
        part = part.strip().lower()
        if part.startswith("div"):
            out.add("div")
        elif part.startswith("split"):
            out.add("split")
        elif part:
            out.add(part)
    return out


# --------------------------------------------------------------------------- quote (v7)

def quote_item(market: Market, inst: Instrument, day: dt.date) -> dict:
    """One `quoteResponse.result` item (flat keys, plain numbers)."""
    venue = VENUES[inst.venue]
    served = market.view(inst.ticker, day)
    raw = market.raw(inst.ticker)
    item: dict[str, Any] = {
        "language": "en-US", "region": "US", "quoteType": inst.quote_type,
        "typeDisp": inst.quote_type.title(), "quoteSourceName": "Delayed Quote",
        "triggerable": inst.asset_type != "index", "customPriceAlertConfidence": "HIGH",
        "currency": venue.currency, "exchange": inst.exchange_name,
        "shortName": inst.display_name, "longName": inst.display_name,
        "messageBoardId": f"finmb_{inst.seed % 10**8}",
        "exchangeTimezoneName": venue.tz,
        "market": "us_market" if inst.venue == "us" else "jp_market",
        "esgPopulated": False, "marketState": "CLOSED",
        "fullExchangeName": EXCHANGE_NAMES.get(inst.exchange_name, inst.exchange_name),
        "firstTradeDateMilliseconds": int(raw.ts[0]) * 1000 if len(raw) else None,
        "priceHint": 2, "tradeable": False, "cryptoTradeable": False,
        "sourceInterval": 15, "exchangeDataDelayedBy": 0 if inst.asset_type == "index" else 15,
    }
    n = len(served)
    if n:
        off, abbr = _tz_fields(inst.venue, int(served.ts[-1]))
        price, prev = float(served.close[-1]), float(served.close[-2] if n > 1 else served.open[-1])
        year = served.dates >= np.datetime64(day - dt.timedelta(days=365), "D")
        item.update({
            "exchangeTimezoneShortName": abbr, "gmtOffSetMilliseconds": off * 1000,
            "regularMarketPrice": price, "regularMarketTime": int(served.ts[-1]) + 23400,
            "regularMarketChange": price - prev,
            "regularMarketChangePercent": 100.0 * (price - prev) / prev if prev else 0.0,
            "regularMarketOpen": float(served.open[-1]),
            "regularMarketDayHigh": float(served.high[-1]),
            "regularMarketDayLow": float(served.low[-1]),
            "regularMarketDayRange": f"{served.low[-1]:.2f} - {served.high[-1]:.2f}",
            "regularMarketVolume": int(served.volume[-1]),
            "regularMarketPreviousClose": prev,
            "fiftyTwoWeekHigh": float(served.high[year].max()),
            "fiftyTwoWeekLow": float(served.low[year].min()),
            "fiftyDayAverage": float(served.close[-50:].mean()),
            "twoHundredDayAverage": float(served.close[-200:].mean()),
        })
    if inst.asset_type == "equity":
        f = market.fundamentals(inst.ticker, day)
        item["financialCurrency"] = venue.currency
        for key in ("marketCap", "sharesOutstanding", "epsTrailingTwelveMonths", "epsForward",
                    "trailingPE", "forwardPE"):
            if f[key] is not None:
                item[key] = f[key]
    item["symbol"] = inst.ticker
    return item


def quote_response(items: list[dict]) -> dict:
    return {"quoteResponse": {"result": items, "error": None}}


# --------------------------------------------------------------------------- quoteSummary

def _fmt(value: Any) -> Any:
    """formatted=true wraps numbers as {raw, fmt[, longFmt]} (yfinance asks formatted=false)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    if isinstance(value, int) and abs(value) >= 1000:
        return {"raw": value, "fmt": f"{value / 1e9:.2f}B", "longFmt": f"{value:,}"}
    return {"raw": value, "fmt": f"{value:.2f}"}


def quote_summary(market: Market, inst: Instrument, day: dt.date, modules: list[str],
                  formatted: bool = False) -> dict:
    """GET /v10/finance/quoteSummary/{symbol}?modules=...: one object per requested module
    Yahoo has for this kind of symbol (financialData/assetProfile only for equities)."""
    venue = VENUES[inst.venue]
    served = market.view(inst.ticker, day)
    n = len(served)
    price = float(served.close[-1]) if n else None
    prev = float(served.close[-2]) if n > 1 else price
    f = market.fundamentals(inst.ticker, day) if inst.asset_type == "equity" else None
    raw = market.raw(inst.ticker)
    off, abbr = _tz_fields(inst.venue, int(served.ts[-1]) if n else int(raw.ts[0]))
    out: dict[str, Any] = {}
    for module in modules:
        body: dict[str, Any] | None = None
        if module == "quoteType":
            body = {"exchange": inst.exchange_name, "quoteType": inst.quote_type,
                    "symbol": inst.ticker, "underlyingSymbol": inst.ticker,
                    "shortName": inst.display_name, "longName": inst.display_name,
                    "firstTradeDateEpochUtc": int(raw.ts[0]) if len(raw) else None,
                    "timeZoneFullName": venue.tz, "timeZoneShortName": abbr,
                    "uuid": f"{inst.seed:08x}-sim", "messageBoardId": f"finmb_{inst.seed % 10**8}",
                    "gmtOffSetMilliseconds": off * 1000, "maxAge": 1}
        elif module == "summaryDetail":
            body = {"maxAge": 1, "priceHint": 2, "previousClose": prev,
                    "open": float(served.open[-1]) if n else None,
                    "dayLow": float(served.low[-1]) if n else None,
                    "dayHigh": float(served.high[-1]) if n else None,
                    "regularMarketPreviousClose": prev,
                    "volume": int(served.volume[-1]) if n else None,
                    "currency": venue.currency, "tradeable": False}
            if f:
                body.update({"marketCap": f["marketCap"], "trailingPE": f["trailingPE"],
                             "forwardPE": f["forwardPE"]})
        elif module == "financialData" and f:
            body = {"maxAge": 86400, "currentPrice": price, "totalCash": f["totalCash"],
                    "totalDebt": f["totalDebt"], "totalRevenue": f["totalRevenue"],
                    "debtToEquity": f["debtToEquity"], "revenueGrowth": f["revenueGrowth"],
                    "earningsGrowth": f["earningsGrowth"], "profitMargins": f["profitMargins"],
                    "financialCurrency": venue.currency}
        elif module == "defaultKeyStatistics" and inst.asset_type in ("equity", "etf"):
            body = {"maxAge": 1, "priceHint": 2}
            if f:
                body.update({"sharesOutstanding": f["sharesOutstanding"],
                             "impliedSharesOutstanding": f["sharesOutstanding"],
                             "netIncomeToCommon": f["netIncomeToCommon"],
                             "trailingEps": f["epsTrailingTwelveMonths"],
                             "forwardEps": f["epsForward"], "profitMargins": f["profitMargins"],
                             "forwardPE": f["forwardPE"]})
                if inst.splits and inst.splits[0][0] <= day:
                    d, num, den = [s for s in inst.splits if s[0] <= day][-1]
                    body["lastSplitFactor"] = f"{_num(num)}:{_num(den)}"
                    body["lastSplitDate"] = int(venue_sessions(inst.venue).open_ts[
                        np.searchsorted(venue_sessions(inst.venue).dates, np.datetime64(d, "D"))])
        elif module == "assetProfile" and f:
            body = {"industry": f["industry"], "industryDisp": f["industry"],
                    "sector": f["sector"], "sectorDisp": f["sector"], "country": "United States",
                    "fullTimeEmployees": 1000 + inst.seed % 50000, "companyOfficers": [],
                    "maxAge": 86400}
        if body is not None:
            body = {k: v for k, v in body.items() if v is not None}  # Yahoo leaves keys out
            out[module] = {k: _fmt(v) for k, v in body.items()} if formatted else body
    return {"quoteSummary": {"result": [out], "error": None}}


# --------------------------------------------------------------------------- timeseries

def timeseries(market: Market, symbol: str, types: list[str], day: dt.date, *,
               with_data: bool = True) -> dict:
    """GET /ws/fundamentals-timeseries/v1/finance/timeseries/{symbol}?type=...: one result per
    type; `trailingPegRatio` has a point for equities, everything else is meta only (Yahoo's
    answer for a series it has no data for)."""
    result = []
    inst = market.instruments.get(symbol.upper())
    for kind in types:
        item: dict[str, Any] = {"meta": {"symbol": [symbol], "type": [kind]}}
        if with_data and kind == "trailingPegRatio" and inst is not None \
                and inst.asset_type == "equity":
            f = market.fundamentals(symbol, day)
            growth = f["earningsGrowth"]
            if f["trailingPE"] and growth:
                peg = round(f["trailingPE"] / (growth * 100), 4)
                stamp = int(dt.datetime.combine(as_date(day), dt.time()).replace(
                    tzinfo=dt.timezone.utc).timestamp())
                item["timestamp"] = [stamp]
                item[kind] = [{"dataId": 14021, "asOfDate": as_date(day).isoformat(),
                               "periodType": "TTM", "reportedValue": {"raw": peg,
                                                                      "fmt": f"{peg:.2f}"}}]
        result.append(item)
    return {"timeseries": {"result": result, "error": None}}
