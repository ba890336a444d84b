"""The provider simulator at the HTTP boundary: a `requests.Session` whose transport adapter
answers every http(s) request from the simulated market — so yfinance's own code (cookie and
crumb, chart parsing, download assembly, error logging) and our requests-based adapters run
unchanged. No network, ever: an unknown URL answers 404 and is recorded in `sim.unknown`.

    market = Market(); market.add("AAPL", first_day="2020-01-02", splits=[("2025-03-03", 2, 1)])
    sim = ProviderSim(market, day="2025-02-28")
    yf.download(["AAPL"], ..., session=sim.session())
    sim.day = "2025-03-03"            # now Yahoo serves the restated history
    sim.requests[("query2.finance.yahoo.com", "chart")]

Answers are real `requests.Response` objects built by `HTTPAdapter.build_response` from a
urllib3 response (status, headers, url, Set-Cookie into the session's jar), so `.json()`,
`.text`, `raise_for_status()` and cookies behave as with the network.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.cookies import SimpleCookie
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

from tests.sim import documents, yahoo_json
from tests.sim.faults import PROVIDERS, YAHOO_KINDS, Faults, Wave, provider_of
from tests.sim.market import Instrument, Market, as_date, venue_sessions

CHART = "/v8/finance/chart/"
QUOTE_SUMMARY = "/v10/finance/quoteSummary/"
TIMESERIES = "/ws/fundamentals-timeseries/v1/finance/timeseries/"
PAGEVIEWS = "/api/rest_v1/metrics/pageviews/per-article/"
WIKI_PAGES = {"/wiki/List_of_S&P_500_companies": "sp500",
              "/wiki/List_of_S&P_600_companies": "sp600"}
YAHOO_API_HOSTS = ("query1.finance.yahoo.com", "query2.finance.yahoo.com")
KNOWN_HOSTS = {h for hosts in PROVIDERS.values() for h in hosts}


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, extra: list[tuple[str, str]] | None = None,
             content_type: str = "application/json;charset=utf-8") -> "Answer":
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return cls(status, body, [("Content-Type", content_type)] + (extra or []))

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain;charset=utf-8",
             extra: list[tuple[str, str]] | None = None) -> "Answer":
        return cls(status, text.encode("utf-8"), [("Content-Type", content_type)] + (extra or []))


class LogEntry(NamedTuple):
    method: str
    url: str
    host: str
    kind: str
    status: int | None   # None: the host was down (ConnectionError raised)


# --------------------------------------------------------------------------- the simulator

class ProviderSim:
    """Every provider, answering from `market` as of `day` (the provider's current day).

    region: 'US' (fc.yahoo.com sets the A3 cookie; guce.yahoo.com/consent has no form) or
    'EU' (no cookie until the consent form at guce.yahoo.com is accepted — yfinance's 'csrf'
    strategy). strict_crumb: v7 quote and quoteSummary answer 401 without the crumb issued for
    the session's A3 cookie, as Yahoo does. strict_user_agent: Wikimedia/Wikipedia answer 403
    to a generic User-Agent (python-requests/...). pageviews_lag_days: the latest day with
    pageviews is day - lag. delisted_purge_days: a delisted symbol's chart answers bars up to
    its last day for this many days after it, then the real 404.
    """

    def __init__(self, market: Market, day: Any, *, region: str = "US",
                 strict_crumb: bool = True, strict_user_agent: bool = True,
                 pageviews_lag_days: int = 1, delisted_purge_days: int = 0):
        if region not in ("US", "EU"):
            raise ValueError("region must be 'US' or 'EU'")
        self.market = market
        self._day = as_date(day)
        self.region = region
        self.strict_crumb = strict_crumb
        self.strict_user_agent = strict_user_agent
        self.pageviews_lag_days = pageviews_lag_days
        self.delisted_purge_days = delisted_purge_days
        self.faults = Faults()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.log: list[LogEntry] = []
        self.unknown: list[tuple[str, str]] = []       # (method, url) answered 404
        self._crumbs: dict[str, str] = {}              # A3 cookie value -> crumb
        self._cookie_serial = 0
        self._documents: dict[tuple, str] = {}         # (what, day, market.version) -> text
        self._listeners: list[Callable[[dt.date, dt.date], None]] = []
        self._lock = threading.RLock()

    # ---------------------------------------------------------------- the day

    @property
    def day(self) -> dt.date:
        return self._day

    @day.setter
    def day(self, value: Any) -> None:
        old, new = self._day, as_date(value)
        self._day = new
        if new != old:
            for listener in list(self._listeners):
                listener(old, new)

    def advance(self, sessions: int = 1) -> dt.date:
        """Move the day forward by `sessions` NYSE sessions (from the session on/before it)."""
        s = venue_sessions("us").dates
        i = int(np.searchsorted(s, np.datetime64(self._day, "D"), "right")) - 1
        self.day = s[i + sessions].astype(object)
        return self.day

    def on_day_change(self, listener: Callable[[dt.date, dt.date], None]) -> None:
        """Call `listener(old, new)` whenever `day` changes (sim_yfinance clears yfinance's
        response cache there)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ---------------------------------------------------------------- faults

    def rate_limit(self, kind: str | Iterable[str] = "chart", count: int = 1,
                   start_after: int = 0, *, status: int = 429,
                   retry_after: str | None = None) -> Wave:
        """A wave: `count` requests of `kind` (a request kind, several, or 'yahoo' for any
        Yahoo request), after `start_after` more are answered normally, answer `status` —
        Yahoo: "Too Many Requests\\r\\n"; Wikimedia: its JSON problem (+ Retry-After)."""
        with self._lock:
            return self.faults.add_wave(kind, count, start_after, status, retry_after)

    def down(self, host: str) -> None:
        """Every request to `host` (a hostname, or a provider: 'yahoo', 'wikimedia', 'fred',
        'ishares', 'wikipedia') raises requests.exceptions.ConnectionError until `up`."""
        with self._lock:
            self.faults.down_hosts.add(host.lower())

    def up(self, host: str) -> None:
        with self._lock:
            self.faults.down_hosts.discard(host.lower())

    def drop(self, ticker: str) -> None:
        """Yahoo answers 404 for `ticker` (chart, quote, quoteSummary) until `undrop`."""
        with self._lock:
            self.faults.dropped.add(ticker.upper())

    def undrop(self, ticker: str) -> None:
        with self._lock:
            self.faults.dropped.discard(ticker.upper())

    # ---------------------------------------------------------------- counting

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.log.clear()
            self.unknown.clear()

    def by_provider(self) -> Counter[str]:
        """Requests per provider ('yahoo', 'wikimedia', 'fred', 'ishares', 'wikipedia')."""
        out: Counter[str] = Counter()
        for (host, _), n in self.requests.items():
            out[provider_of(host)] += n
        return out

    def by_kind(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (_, kind), n in self.requests.items():
            out[kind] += n
        return out

    def yahoo_requests(self) -> int:
        return sum(n for (_, k), n in self.requests.items() if k in YAHOO_KINDS)

    # ---------------------------------------------------------------- sessions

    def session(self) -> "SimSession":
        """A fresh `requests.Session` (own cookie jar) answered by this simulator."""
        return SimSession(self)

    # ---------------------------------------------------------------- answering

    def listed(self, ticker: str) -> Instrument | None:
        """The instrument if Yahoo knows `ticker` today: declared, already listed, not dropped
        and not purged after delisting."""
        inst = self.market.instruments.get(ticker.upper())
        if inst is None or ticker.upper() in self.faults.dropped or self._day < inst.first_day:
            return None
        if inst.last_day is not None and \
                self._day > inst.last_day + dt.timedelta(days=self.delisted_purge_days):
            return None
        return inst

    def handle(self, method: str, url: str, headers: Mapping[str, str]) -> Answer:
        """Count, apply faults, answer. Raises ConnectionError for a host that is down."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        path = unquote(parts.path) or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        kind = classify(method, host, path, query)
        with self._lock:
            self.requests[(host, kind)] += 1
            if self.faults.is_down(host):
                self.log.append(LogEntry(method, url, host, kind, None))
                raise requests.exceptions.ConnectionError(
                    f"HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with "
                    f"url: {parts.path or '/'} (Caused by NewConnectionError('<urllib3."
                    f"connection.HTTPSConnection object>: Failed to establish a new connection:"
                    f" [Errno 111] Connection refused'))")
            wave = self.faults.take_wave(kind)
        if wave is not None:
            answer = self._limited(host, wave)
        else:
            answer = self._route(method, host, path, query, kind, headers)
        with self._lock:
            self.log.append(LogEntry(method, url, host, kind, answer.status))
            if kind == "other" and answer.status == 404:
                self.unknown.append((method, url))
        if method == "HEAD":
            answer = Answer(answer.status, b"", answer.headers)
        return answer

    def _limited(self, host: str, wave: Wave) -> Answer:
        extra = [("Retry-After", wave.retry_after)] if wave.retry_after else []
        if provider_of(host) == "wikimedia":
            return Answer.json(wave.status, documents.PAGEVIEWS_TOO_MANY, extra,
                               "application/problem+json")
        # What Yahoo's edge answers in a wave (yfinance checks the status and this text).
        return Answer.text(wave.status, "Too Many Requests\r\n", "text/html;charset=utf-8", extra)

    def _route(self, method: str, host: str, path: str, query: dict[str, list[str]],
               kind: str, headers: dict[str, str]) -> Answer:
        if kind == "head":
            return Answer(200, b"", [("Content-Type", "text/html;charset=utf-8")])
        handler = {
            "cookie": self._cookie, "crumb": self._crumb, "chart": self._chart,
            "tz_probe": self._chart, "quote": self._quote, "quoteSummary": self._quote_summary,
            "timeseries": self._timeseries, "pageviews": self._pageviews, "fred": self._fred,
            "ishares": self._ishares, "wikipedia": self._wikipedia,
        }.get(kind)
        if handler is None:
            return Answer.text(404, "<html><body>Not Found</body></html>", "text/html")
        return handler(method=method, host=host, path=path, query=query, headers=headers)

    # ---------------------------------------------------------------- Yahoo session setup

    def _new_cookie(self) -> list[tuple[str, str]]:
        """Set-Cookie headers like fc.yahoo.com's (A1, A3, A1S on .yahoo.com, a year long;
        yfinance caches the A3 cookie and checks its expiry)."""
        with self._lock:
            self._cookie_serial += 1
            serial = self._cookie_serial
            value = f"d=AQABBSIM{serial:06d}{zlib.crc32(str(serial).encode()):08x}&S=AQAAAsim"
            self._crumbs[value] = _crumb_for(value)
        expires = formatdate(time.time() + 31557600, usegmt=True)
        attrs = (f"Expires={expires}; Max-Age=31557600; Domain=.yahoo.com; Path=/; "
                 "SameSite=None; Secure")
        return [("Set-Cookie", f"{name}={value}; {attrs}" + ("; HttpOnly" if name != "A1S" else ""))
                for name in ("A1", "A3", "A1S")]

    def _cookie(self, *, method: str, host: str, path: str, query, headers) -> Answer:
        page = "text/html;charset=utf-8"
        if host == "fc.yahoo.com":
            cookies = self._new_cookie() if self.region == "US" else []
            return Answer.text(404, "<html><head><title>Yahoo</title></head><body>"
                               "<h1>404 Not Found</h1></body></html>", page, cookies)
        if host == "guce.yahoo.com" and path.startswith("/consent"):
            if self.region == "US":  # nothing to consent to: no form, yfinance gives up csrf
                return Answer.text(200, "<html><body><p>Yahoo</p></body></html>", page)
            session_id = f"3_cc-session_{self._cookie_serial + 1:08d}"
            form = ('<html><body><form method="post" action="https://consent.yahoo.com/v2/'
                    f'collectConsent?sessionId={session_id}">'
                    '<input type="hidden" name="csrfToken" value="simCsrfToken123"/>'
                    f'<input type="hidden" name="sessionId" value="{session_id}"/>'
                    '<input type="hidden" name="originalDoneUrl" '
                    'value="https://finance.yahoo.com/"/>'
                    '<input type="hidden" name="namespace" value="yahoo"/>'
                    '<button type="submit" name="agree" value="agree">Accept all</button>'
                    "</form></body></html>")
            return Answer.text(200, form, page)
        if host == "consent.yahoo.com" and path.startswith("/v2/collectConsent"):
            return Answer.text(200, "<html><body>Thank you</body></html>", page, self._new_cookie())
        if host == "guce.yahoo.com" and path.startswith("/copyConsent"):
            return Answer.text(200, "<html><body>OK</body></html>", page)
        return Answer.text(404, "<html><body>Not Found</body></html>", page)

    def _cookie_of(self, headers: dict[str, str]) -> str | None:
        jar = SimpleCookie()
        try:
            jar.load(headers.get("Cookie", "") or "")
        except Exception:  # noqa: BLE001 - a malformed header is just no cookie
            return None
        morsel = jar.get("A3")
        return morsel.value if morsel is not None else None

    def _crumb_ok(self, query: dict[str, list[str]], headers: dict[str, str]) -> bool:
        if not self.strict_crumb:
            return True
        cookie = self._cookie_of(headers)
        crumb = (query.get("crumb") or [None])[0]
        return cookie is not None and crumb is not None and self._crumbs.get(cookie) == crumb

    def _crumb(self, *, method, host, path, query, headers) -> Answer:
        cookie = self._cookie_of(headers)
        crumb = self._crumbs.get(cookie or "")
        if crumb is None:  # no (valid) A3 cookie: Yahoo refuses
            return Answer.json(401, yahoo_json.unauthorized("cookie"))
        return Answer.text(200, crumb, "text/plain;charset=utf-8")

    # ---------------------------------------------------------------- Yahoo data

    def _symbol(self, path: str, prefix: str) -> str:
        return path[path.index(prefix) + len(prefix):].strip("/").upper()

    def _chart(self, *, method, host, path, query, headers) -> Answer:
        inst = self.listed(self._symbol(path, CHART))
        if inst is None:
            return Answer.json(404, yahoo_json.chart_not_found())
        interval = (query.get("interval") or ["1d"])[0]
        if interval != "1d":
            with self._lock:
                self.unknown.append(("GET", f"{path}?interval={interval}"))
            return Answer.json(422, yahoo_json.chart_error(
                "Unprocessable Entity", f"interval={interval} is not simulated (daily only)"))
        p1, p2 = (query.get("period1") or [None])[0], (query.get("period2") or [None])[0]
        label = (query.get("range") or [None])[0]
        if p1 is None and p2 is None and label is None:
            label = "1mo"
        payload = yahoo_json.chart(
            self.market, inst, self._day, period1=None if p1 is None else int(float(p1)),
            period2=None if p2 is None else int(float(p2)),
            range_label=label if p1 is None and p2 is None else None,
            events=yahoo_json.parse_events((query.get("events") or [None])[0]))
        return Answer.json(200, payload)

    def _quote(self, *, method, host, path, query, headers) -> Answer:
        if not self._crumb_ok(query, headers):
            return Answer.json(401, yahoo_json.unauthorized())
        symbols = [s.strip() for v in query.get("symbols", []) for s in v.split(",") if s.strip()]
        items = []
        for symbol in dict.fromkeys(s.upper() for s in symbols):
            inst = self.listed(symbol)
            if inst is not None:  # unknown symbols are simply absent, as Yahoo does
                items.append(yahoo_json.quote_item(self.market, inst, self._day))
        return Answer.json(200, yahoo_json.quote_response(items))

    def _quote_summary(self, *, method, host, path, query, headers) -> Answer:
        if not self._crumb_ok(query, headers):
            return Answer.json(401, yahoo_json.unauthorized())
        symbol = self._symbol(path, QUOTE_SUMMARY)
        inst = self.listed(symbol)
        if inst is None:
            return Answer.json(404, yahoo_json.quote_summary_not_found(symbol))
        modules = [m for v in query.get("modules", []) for m in v.split(",") if m]
        formatted = (query.get("formatted") or ["true"])[0].lower() != "false"
        return Answer.json(200, yahoo_json.quote_summary(self.market, inst, self._day, modules,
                                                         formatted))

    def _timeseries(self, *, method, host, path, query, headers) -> Answer:
        symbol = self._symbol(path, TIMESERIES)
        types = [t for v in query.get("type", []) for t in v.split(",") if t]
        with_data = self.listed(symbol) is not None  # else meta-only, as for a symbol without data
        return Answer.json(200, yahoo_json.timeseries(self.market, symbol, types, self._day,
                                                      with_data=with_data))

    # ---------------------------------------------------------------- the others

    def _ua_refused(self, headers: dict[str, str]) -> Answer | None:
        if self.strict_user_agent and not documents.is_descriptive_user_agent(
                headers.get("User-Agent")):
            return Answer.text(403, documents.WIKIMEDIA_UA_REQUIRED)
        return None

    def _pageviews(self, *, method, host, path, query, headers) -> Answer:
        refused = self._ua_refused(headers)
        if refused:
            return refused
        parts = path[path.index(PAGEVIEWS) + len(PAGEVIEWS):].split("/")
        if len(parts) != 7 or parts[4] != "daily":
            return Answer.json(404, documents.PAGEVIEWS_NOT_FOUND)
        project, access, agent, article, _, start, end = parts
        payload = documents.pageviews_json(
            self.market, article, start, end, self._day, lag_days=self.pageviews_lag_days,
            project=project, access=access, agent=agent)
        if payload is None:
            return Answer.json(404, documents.PAGEVIEWS_NOT_FOUND)
        return Answer.json(200, payload)

    def _fred(self, *, method, host, path, query, headers) -> Answer:
        series = (query.get("id") or [""])[0].upper()
        if series not in self.market.FRED:
            return Answer.text(404, "<!DOCTYPE html><html><head><title>Error - St. Louis Fed"
                               "</title></head><body>Series not found</body></html>", "text/html")
        text = documents.fredgraph_csv(self.market, series, (query.get("cosd") or [None])[0],
                                       (query.get("coed") or [None])[0], self._day)
        return Answer.text(200, text, "text/csv;charset=utf-8")

    def _document(self, what: str, build: Callable[[], str]) -> str:
        """Big documents (3,000-row holdings, 600-row pages) built once per day and market
        version: the same fetch twice in a simulated day costs nothing the second time."""
        key = (what, self._day, self.market.version)
        with self._lock:
            text = self._documents.get(key)
        if text is None:
            text = build()
            with self._lock:
                if len(self._documents) > 16:
                    self._documents.clear()
                self._documents[key] = text
        return text

    def _ishares(self, *, method, host, path, query, headers) -> Answer:
        text = self._document("iwm", lambda: documents.iwm_holdings(self.market, self._day))
        return Answer.text(200, text, "text/csv;charset=utf-8")

    def _wikipedia(self, *, method, host, path, query, headers) -> Answer:
        refused = self._ua_refused(headers)
        if refused:
            return refused
        index = WIKI_PAGES.get(path)
        if index is None:
            return Answer.text(404, "<html><body>Wikipedia does not have an article with this "
                               "exact name.</body></html>", "text/html;charset=UTF-8")
        text = self._document(index, lambda: documents.constituents_page(
            self.market, index, self._day))
        return Answer.text(200, text, "text/html;charset=UTF-8")


def _crumb_for(cookie: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = zlib.crc32(cookie.encode()) * 2654435761
    return "".join(alphabet[(n >> (5 * i)) % len(alphabet)] for i in range(11))


def classify(method: str, host: str, path: str, query: dict[str, list[str]]) -> str:
    """The request kind counted in `sim.requests[(host, kind)]`."""
    if method == "HEAD" and path in ("", "/") and host in KNOWN_HOSTS:
        return "head"
    if host in ("fc.yahoo.com", "guce.yahoo.com", "consent.yahoo.com"):
        return "cookie"
    if host in YAHOO_API_HOSTS:
        if path == "/v1/test/getcrumb":
            return "crumb"
        if path.startswith(CHART):
            probe = "period1" not in query and (query.get("range") or [""])[0] == "1d"
            return "tz_probe" if probe else "chart"
        if path.rstrip("/") == "/v7/finance/quote":
            return "quote"
        if path.startswith(QUOTE_SUMMARY):
            return "quoteSummary"
        if path.startswith(TIMESERIES):
            return "timeseries"
    if host == "wikimedia.org" and path.startswith(PAGEVIEWS):
        return "pageviews"
    if host == "fred.stlouisfed.org" and path == "/graph/fredgraph.csv":
        return "fred"
    if host == "www.ishares.com" and path.startswith("/us/products/239710/") \
            and path.endswith(".ajax"):
        return "ishares"
    if host == "en.wikipedia.org" and path.startswith("/wiki/"):
        return "wikipedia"
    return "other"


# --------------------------------------------------------------------------- requests plumbing

class _Original:
    """Stands in for http.client.HTTPResponse under urllib3's response: requests reads
    Set-Cookie from `.msg` (requests.cookies.extract_cookies_to_jar)."""

    def __init__(self, headers: list[tuple[str, str]]):
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value
        self._closed = False

    def isclosed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._closed = True


class SimAdapter(HTTPAdapter):
    """Transport adapter: never opens a socket; asks the simulator and wraps its answer in a
    urllib3 response, then lets requests build the Response as for a real one."""

    def __init__(self, sim: ProviderSim):
        super().__init__(max_retries=0)
        self.sim = sim

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None,
             verify=True, cert=None, proxies=None) -> requests.Response:
        headers = CaseInsensitiveDict(request.headers)  # 'user-agent' finds 'User-Agent'
        answer = self.sim.handle(request.method or "GET", request.url, headers)
        raw = HTTPResponse(
            body=io.BytesIO(answer.body), headers=answer.headers, status=answer.status,
            reason=http.client.responses.get(answer.status, ""), preload_content=False,
            decode_content=False, original_response=_Original(answer.headers),
            request_method=request.method, request_url=request.url)
        return self.build_response(request, raw)


class SimSession(requests.Session):
    """A plain `requests.Session` (yfinance 1.7 accepts it: `_http.is_supported_session`)
    with the simulator mounted for http:// and https://."""

    def __init__(self, sim: ProviderSim):
        super().__init__()
        self.sim = sim
        self.trust_env = False  # no proxies / netrc from the environment
        adapter = SimAdapter(sim)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
