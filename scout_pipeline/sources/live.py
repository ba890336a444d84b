"""The live source: constituents, Yahoo prices / fundamentals / rates, FRED, Wikipedia pageviews.

`load_live(as_of)` returns a `SourceData` named 'live' with the contract frames plus an
`ingest_log` frame (source, dataset, item, status, reason) of everything that failed or fell
back to a bundled default. Order of work:

1. preflight: one HEAD per provider host, in parallel, short timeout. Nothing reachable, or
   Yahoo (prices are required) unreachable → `SourceUnavailable` naming the hosts, in seconds.
2. universe: S&P 500 / S&P 600 (Wikipedia) + Russell 2000 (IWM CSV), bundled default per index
   when a fetch fails, merged with the bundled universe (indices, ETFs, futures, watchlist).
3. prices: every universe ticker, every pair series and the Yahoo rate series, each from its
   own last stored bar minus 5 sessions (the `state` read from the store), or its first-load
   depth when nothing is stored (all history for index/ETF/future series, 3 years for
   equities). Tickers whose overlap disagrees with the store, or with a split/dividend after
   their last bar, are restated: fetched again whole, and replace their stored rows
   (`restatements.py`; the `restatements` frame records them).
4. fundamentals: the batched v7 quote for every equity plus quoteSummary profiles on a
   rotation (`yahoo_fundamentals.py`) — only when `as_of` is one of the two latest completed
   sessions (Yahoo's figures are "now", not point in time); otherwise skipped with a note.
5. rates: `ZQ=F`, `^IRX` and the fed funds contract months of the FOMC horizon
   (`fomc.contract_symbols`: ZQZ26.CBT, ZQF27.CBT, ...) closes from the same price fetch; FRED
   `DFF`, `DGS2`, `DFEDTARU`, `DFEDTARL`. A contract month Yahoo does not answer is a `rates`
   failure naming its symbol (the rates suite warns); rates never fail the day. The FOMC
   calendar is the bundled one (`fomc.bundled_calendar`).
6. attention: Wikipedia pageviews for universe rows with a `wikipedia_article`; Google Trends
   for the watchlist when opted in (`google_trends.enabled()`).

Per-item failures never raise; when the failed share of a `required` dataset (prices)
exceeds `max_failed_share` (a float, or {dataset: share}), `DatasetFailed` (a
`SourceUnavailable`) names the dataset and the share. Other datasets over their share load
what arrived, with a note. Rows dated after `as_of` are dropped.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from scout_pipeline.sources import constituents, fomc, fred, restatements, wikipedia, yahoo, yahoo_fundamentals
from scout_pipeline.sources.contracts import SourceData
from scout_pipeline.sources.live_state import StoredState
from scout_pipeline.sources.errors import (
    FAILED, MISSING, SKIPPED, DatasetFailed, Failure, FetchResult, SourceUnavailable, failures_frame,
)

NAME = "live"
YAHOO_HOST = "query1.finance.yahoo.com"
HOSTS: dict[str, tuple[str, ...]] = {  # host -> datasets that need it
    YAHOO_HOST: ("prices", "fundamentals", "rates"),
    "en.wikipedia.org": ("universe",),
    "www.ishares.com": ("universe",),
    "fred.stlouisfed.org": ("rates",),
    "wikimedia.org": ("attention",),
}
DATASETS = ("universe", "prices", "fundamentals", "rates", "attention")
REQUIRED = ("prices",)  # over its failure share, the source fails; the others load what arrived
MAX_NOTE_LINES = 40

Sleep = Callable[[float], Any]


# --------------------------------------------------------------------------- preflight

def _probe(http: Any, host: str, timeout: float) -> str | None:
    """None when the host answered anything (any status); else the error text."""
    url = f"https://{host}/"
    try:
        if hasattr(http, "head"):
            http.head(url, timeout=timeout, allow_redirects=False)
        else:
            http.get(url, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure = unreachable
        return _short_reason(exc)
    return None


def _short_reason(exc: Exception) -> str:
    """The cause a user can act on, not urllib3's whole repr."""
    text = str(exc)
    for marker, reason in (("NameResolutionError", "DNS lookup failed"), ("Name or service not known", "DNS lookup failed"),
                           ("timed out", "timed out"), ("Connection refused", "connection refused"),
                           ("Network is unreachable", "network unreachable"), ("SSLError", "TLS error")):
        if marker in text or marker in type(exc).__name__:
            return reason
    return f"{type(exc).__name__}: {text}"[:120]


def preflight(http: Any, hosts: Iterable[str] = tuple(HOSTS), *, timeout: float = 5.0,
              grace: float = 2.0) -> dict[str, str | None]:
    """{host: None if reachable else the error}; all hosts probed in parallel, and the whole
    check returns within timeout + grace seconds even if a probe hangs (e.g. in DNS)."""
    hosts = list(hosts)
    results: dict[str, str | None] = {}
    pool = cf.ThreadPoolExecutor(max_workers=max(1, len(hosts)), thread_name_prefix="preflight")
    try:
        futures = {pool.submit(_probe, http, h, timeout): h for h in hosts}
        done, _ = cf.wait(futures, timeout=timeout + grace)
        for future, host in futures.items():
            results[host] = future.result() if future in done else f"no answer within {timeout:g} s"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return results


def _check_reachable(status: Mapping[str, str | None]) -> None:
    down = {h: e for h, e in status.items() if e is not None}
    if len(down) == len(status):
        listed = "; ".join(f"{h} ({e})" for h, e in down.items())
        raise SourceUnavailable(f"live source unavailable: no provider host reachable: {listed}",
                                hosts=list(down))
    if YAHOO_HOST in down:
        raise SourceUnavailable(
            f"live source unavailable: {YAHOO_HOST} unreachable ({down[YAHOO_HOST]}); prices "
            f"are required. Also unreachable: {', '.join(h for h in down if h != YAHOO_HOST) or 'none'}",
            hosts=list(down))


# --------------------------------------------------------------------------- helpers

def _as_date(day: dt.date | str) -> dt.date:
    return pd.Timestamp(day).date()


def _cut(frame: pd.DataFrame | None, column: str, as_of: dt.date) -> pd.DataFrame | None:
    if frame is None or frame.empty or column not in frame.columns:
        return frame
    return frame[frame[column] <= pd.Timestamp(as_of)].reset_index(drop=True)


def _limit(max_failed_share: float | Mapping[str, float], dataset: str) -> float:
    if isinstance(max_failed_share, Mapping):
        return float(max_failed_share.get(dataset, max_failed_share.get("default", 0.2)))
    return float(max_failed_share)


def _failed_share(failures: list[Failure], requested: Mapping[str, int],
                  max_failed_share: float | Mapping[str, float],
                  datasets: Iterable[str]) -> DatasetFailed | None:
    """The `DatasetFailed` for the dataset whose failed share is furthest over its limit, or
    None. Its message names the dataset, the share, why the items failed (per status, the
    most common reason: e.g. a Yahoo rate limit) and the first items."""
    worst: tuple[float, str] | None = None
    for dataset in datasets:
        total = requested.get(dataset, 0)
        if not total:
            continue
        failed = {f.item for f in failures if f.dataset == dataset and f.counts_as_failure}
        share = len(failed) / total
        if share > _limit(max_failed_share, dataset) and (worst is None or share > worst[0]):
            worst = (share, dataset)
    if worst is None:
        return None
    share, dataset = worst
    mine = [f for f in failures if f.dataset == dataset and f.counts_as_failure]
    failed = sorted({f.item for f in mine})
    by_status: dict[str, list[Failure]] = {}
    for f in mine:
        by_status.setdefault(f.status, []).append(f)
    why = "; ".join(
        f"{status} {len({f.item for f in items})}: "
        f"{Counter(f.reason for f in items).most_common(1)[0][0][:120]}"
        for status, items in sorted(by_status.items(), key=lambda kv: -len({f.item for f in kv[1]})))
    return DatasetFailed(
        f"live source: {share:.0%} of {dataset} failed ({len(failed)} of {requested[dataset]}; "
        f"allowed {_limit(max_failed_share, dataset):.0%}) — {why} — {', '.join(failed[:10])}"
        + (" …" if len(failed) > 10 else ""),
        dataset=dataset, share=share, ingest_log=failures_frame(failures))


def _fundamentals_current(as_of: dt.date, now: dt.datetime | None) -> bool:
    from scout_pipeline.calendar import last_completed_session, sessions_back

    latest = last_completed_session(now)
    return as_of >= sessions_back(latest, 2)[0]


def _resolve_universe(universe: Any, as_of: dt.date, http: Any, unreachable: set[str],
                      min_rows: Mapping[str, int] | None = None) -> tuple[pd.DataFrame, FetchResult | None]:
    from scout_pipeline.sources import defaults

    if universe is None:
        got = constituents.fetch_constituents(as_of, http=http, unreachable=unreachable, min_rows=min_rows)
        return constituents.merge_universe(defaults.default_universe(), got.frame), got
    if isinstance(universe, pd.DataFrame):
        return constituents.merge_universe(universe), None
    return constituents.merge_universe(defaults.enrich_universe(list(universe))), None


def _common_start(state: StoredState, as_of: dt.date, backfill_from: dt.date | None) -> dt.date:
    """The window of the datasets fetched as a whole (FRED, pageviews): the most common
    last stored bar minus the re-fetch sessions, or the equities' first-load depth."""
    if state.empty:
        start = restatements.first_load_start("equity", as_of)
    else:
        start = yahoo.refetch_start(min(state.windows["last_date"].mode().iloc[0].date(), as_of))
    return min(start, backfill_from) if backfill_from is not None else start


TRENDS_HOST = "serpapi.com"
TRENDS_WINDOW_DAYS = 120  # covers cooling_breakouts' attention windows (28 + 84 days), daily points


def _google_trends(universe: pd.DataFrame, as_of: dt.date, http: Any, sleep: Sleep,
                   unreachable: set[str]) -> FetchResult | None:
    """Opt-in Google Trends (SerpApi) for the watchlist names: None when not enabled.
    Google rescales each answer, so the whole window is fetched again every run (one scale
    for the window the marts compare); 4 names per request."""
    from scout_pipeline.sources import google_trends

    if not google_trends.enabled():
        return None
    watch = universe[universe["segments"].map(lambda s: "watchlist" in list(s or []))]
    terms = {str(n): str(t) for n, t in zip(watch["name"], watch["ticker"]) if isinstance(n, str) and n}
    if TRENDS_HOST in unreachable:
        return FetchResult(frame=google_trends.empty_attention(), requested=len(terms), failures=[
            Failure(google_trends.SOURCE, "attention", t, SKIPPED, f"{TRENDS_HOST} unreachable") for t in terms])
    start = as_of - dt.timedelta(days=TRENDS_WINDOW_DAYS)
    return google_trends.fetch_trends(terms, start, as_of, anchor=google_trends.DEFAULT_ANCHOR,
                                      http=http, sleep=sleep)


def _pairs() -> pd.DataFrame:
    from scout_pipeline.sources import defaults

    return defaults.default_pairs()


# --------------------------------------------------------------------------- prices

def _fetch_from(starts: Mapping[str, dt.date], as_of: dt.date, **fetch: Any) -> list[FetchResult]:
    """{ticker: first date} fetched through `as_of`, one `download` series per common start."""
    by_start: dict[dt.date, list[str]] = {}
    for t, start in starts.items():
        by_start.setdefault(start, []).append(t)
    return [yahoo.fetch_prices(group, start, as_of, **fetch) for start, group in sorted(by_start.items())]


def _fetch_prices(tickers: list[str], asset_types: dict[str, str], state: StoredState,
                  as_of: dt.date, history_start: dt.date | None, **fetch: Any
                  ) -> tuple[FetchResult, pd.DataFrame, list[str], list[str]]:
    """Every ticker from its own window (`restatements.plan_windows`), then the restated ones
    again from their full depth. Returns (result, restatements frame, replaced tickers, notes).

    A restated ticker whose full re-fetch fails keeps its stored history untouched: its
    overlap rows are dropped (on the new basis they would sit on top of the old one) and it
    is recorded as failed, so the next run tries again."""
    parts = _fetch_from(restatements.plan_windows(tickers, asset_types, state, as_of, history_start),
                        as_of, **fetch)
    frame = pd.concat([r.frame for r in parts], ignore_index=True)
    events = pd.concat([r.events for r in parts if r.events is not None], ignore_index=True)
    result = FetchResult(frame=frame, failures=[f for r in parts for f in r.failures],
                         notes=[n for r in parts for n in r.notes], requested=len(tickers))
    result.events = events
    stored = set(state.last_dates())
    new = [t for t in tickers if t not in stored]
    notes = [f"prices: {len(tickers) - len(new)} stored tickers re-fetched from their last bar "
             f"minus {yahoo.REFETCH_SESSIONS} sessions; {len(new)} new with full first-load depth "
             f"(index/ETF/future: all of Yahoo's history; equities: {restatements.EQUITY_YEARS} years)"
             + (f": {', '.join(new[:10])}" + (" …" if len(new) > 10 else "") if new else "")]

    # A ticker that answered but has no bar for the as-of session (halted, suspended, its own
    # exchange's holiday, or Yahoo has not published the day): reported, so the gate warns
    # for a few names and the failed share stops the day when most of them lack it.
    last_bar = frame.groupby("ticker")["date"].max()
    failed = {f.item for f in result.failures}
    for t, last in last_bar[last_bar < pd.Timestamp(as_of)].items():
        if t in failed:
            continue
        result.failures.append(Failure(
            yahoo.SOURCE, "prices", t, MISSING,
            f"no bar for {as_of} (last {last:%Y-%m-%d}): halted, its exchange closed, or not published yet"))

    found = restatements.detect(frame, events, state)
    replaced: list[str] = []
    if not found.empty:
        firsts = state.first_dates()
        full = _fetch_from({t: restatements.full_start(t, asset_types, firsts.get(t), as_of)
                            for t in found["ticker"]}, as_of, **fetch)
        got = pd.concat([r.frame for r in full], ignore_index=True)
        ok = set(got["ticker"])
        keep = result.frame[~result.frame["ticker"].isin(found["ticker"])]
        result.frame = pd.concat([keep, got[got["ticker"].isin(ok)]], ignore_index=True)
        rows = got.groupby("ticker")["date"].agg(["count", "min", "max"])
        found = found.assign(rows=found["ticker"].map(rows["count"]),
                             first_date=found["ticker"].map(rows["min"]),
                             last_date=found["ticker"].map(rows["max"]))
        for rec in found.itertuples():
            if rec.ticker in ok:
                replaced.append(rec.ticker)
                notes.append(f"prices: {rec.ticker} restated by Yahoo ({rec.reason}); whole history "
                             f"re-fetched ({int(rec.rows)} bars from {rec.first_date:%Y-%m-%d}) and replaced")
            else:
                result.failures.append(Failure(
                    yahoo.SOURCE, "prices", rec.ticker, FAILED,
                    f"restated by Yahoo ({rec.reason}) but the full re-fetch failed; the stored "
                    "history is kept as it was and the next run tries again"))
        found = found[found["ticker"].isin(ok)].reset_index(drop=True)
    found = found.reindex(columns=[*restatements.RESTATEMENT_COLUMNS, "rows", "first_date", "last_date"])
    return result, found, replaced, notes

# --------------------------------------------------------------------------- load

def load_live(as_of: dt.date | str, *, universe: pd.DataFrame | Iterable[str] | None = None,
              state: StoredState | None = None,
              history_start: dt.date | str | None = None, http: Any = None,
              yf_module: Any = None, yf_session: Any = None,
              max_failed_share: float | Mapping[str, float] = 0.2,
              sleep: Sleep = time.sleep, now: dt.datetime | None = None,
              preflight_timeout: float = 5.0, chunk_size: int = yahoo.DEFAULT_CHUNK_SIZE,
              fred_series: Iterable[str] = fred.DEFAULT_SERIES,
              yahoo_rates: Iterable[str] = yahoo.RATE_TICKERS,
              contract_months: int = fomc.HORIZON_MONTHS,
              profile_rotation: int = yahoo_fundamentals.PROFILE_ROTATION,
              constituent_min_rows: Mapping[str, int] | None = None,
              required: Iterable[str] = REQUIRED) -> SourceData:
    """One trading day from the live providers (see the module docstring).

    `universe`: a contract frame, a list of tickers (enriched from the bundled default), or
    None for the live constituents. `state`: what the store holds (`live_state.read_state`);
    None or empty = a first load. `history_start`: re-fetch stored tickers from this date
    when it is earlier than their own window (a backfill). `http`: a requests-like session
    (`get`, `head`) for Wikipedia, Wikimedia, iShares and FRED; `yf_module`: the yfinance
    module; `yf_session`: the HTTP session yfinance uses (None: its own). `now`: the clock
    used to decide whether Yahoo's fundamentals are current for `as_of`.
    """
    as_of_d = _as_date(as_of)
    required = set(required)
    http = http or wikipedia.new_session()
    notes: list[str] = []
    failures: list[Failure] = []
    requested: dict[str, int] = {d: 0 for d in DATASETS}

    def take(result: FetchResult | None, dataset: str, *, count: bool = True) -> None:
        if result is None:
            return
        failures.extend(result.failures)
        notes.extend(result.notes)
        if count:
            requested[dataset] += result.requested

    # 1. preflight
    from scout_pipeline.sources import google_trends

    t0 = time.monotonic()
    hosts = {**HOSTS, **({TRENDS_HOST: ("attention",)} if google_trends.enabled() else {})}
    status = preflight(http, hosts, timeout=preflight_timeout)
    _check_reachable(status)
    unreachable = {h for h, e in status.items() if e is not None}
    for host in sorted(unreachable):
        notes.append(f"preflight: {host} unreachable ({status[host]}); "
                     f"{', '.join(hosts[host])} from it skipped or from bundled defaults")
    notes.append(f"preflight: {len(status) - len(unreachable)} of {len(status)} hosts reachable "
                 f"({time.monotonic() - t0:.1f} s)")

    # 2. universe + pairs
    universe_frame, got = _resolve_universe(universe, as_of_d, http, unreachable, constituent_min_rows)
    take(got, "universe")
    pairs = _pairs()

    state = state or StoredState()
    backfill_from = _as_date(history_start) if history_start is not None else None
    # 3. prices (+ Yahoo rate series in the same fetch: ZQ=F, ^IRX and the fed funds contract
    # months of the FOMC horizon, one chart request each inside the batched download)
    contracts = fomc.contract_symbols(as_of_d, contract_months) if contract_months else []
    rate_tickers = list(dict.fromkeys([t.upper() for t in yahoo_rates] + contracts))
    universe_tickers = [str(t).upper() for t in universe_frame["ticker"]]
    pair_tickers = [str(t).upper() for t in pd.concat([pairs["lead"], pairs["base"]]).dropna()]
    price_tickers = list(dict.fromkeys(universe_tickers + pair_tickers))
    asset_types = dict(zip(universe_frame["ticker"].astype(str).str.upper(), universe_frame["asset_type"]))
    fetch = dict(yf_module=yf_module, chunk_size=chunk_size, sleep=sleep, session=yf_session)
    got_prices, restated, replaced, price_notes = _fetch_prices(
        list(dict.fromkeys(price_tickers + rate_tickers)), asset_types, state, as_of_d, backfill_from, **fetch)
    notes.extend(price_notes)
    # FRED and pageviews follow the typical window of the stored tickers (a first load: the
    # equities' depth); per-item windows matter for prices, where restatements happen
    start = _common_start(state, as_of_d, backfill_from)
    notes.insert(0, f"live: as_of {as_of_d}, {len(universe_frame)} universe tickers, "
                    f"rates and attention from {start}")
    notes.extend(got_prices.notes)
    for f in got_prices.failures:
        if f.item in rate_tickers:
            reason = f.reason
            if f.item in contracts:  # say what the gap costs: the rates suite warns with it
                reason += f" (fed funds contract month {fomc.contract_month(f.item):%b %Y}: its FOMC meeting is unpriced today)"
            failures.append(Failure(f.source, "rates", f.item, f.status, reason))
        if f.item in price_tickers:
            failures.append(f)
    requested["prices"] += len(price_tickers)
    requested["rates"] += len(rate_tickers)
    prices = got_prices.frame[got_prices.frame["ticker"].isin(price_tickers)].reset_index(drop=True)
    # Prices are required and Yahoo is the provider that rate-limits: when they already failed
    # beyond the limit, stop here instead of sending one `.info` request per equity into the
    # same wave (and then failing anyway).
    early = _failed_share(failures, requested, max_failed_share, [d for d in ("prices",) if d in required])
    if early is not None:
        raise early

    # 4. fundamentals
    equities = universe_frame.loc[universe_frame["asset_type"] == "equity", "ticker"].tolist()
    fundamentals: pd.DataFrame | None = None
    if not equities:
        notes.append("fundamentals: no equities in the universe")
    elif _fundamentals_current(as_of_d, now):
        got_f = yahoo_fundamentals.fetch_fundamentals(equities, as_of_d, state=state, yf_module=yf_module,
                                                      session=yf_session, sleep=sleep,
                                                      rotation=profile_rotation)
        take(got_f, "fundamentals")
        fundamentals = got_f.frame
    else:
        notes.append(f"fundamentals: skipped — Yahoo's fundamentals are current data, not as of {as_of_d}")

    # 5. rates
    rate_parts = [yahoo.rates_from_prices(got_prices.frame, rate_tickers)]
    fred_ids = list(fred_series)
    if "fred.stlouisfed.org" in unreachable:
        failures.extend(Failure(fred.SOURCE, "rates", s, SKIPPED, "fred.stlouisfed.org unreachable")
                        for s in fred_ids)
        requested["rates"] += len(fred_ids)
    elif fred_ids:
        got_r = fred.fetch_fred(start, as_of_d, series=fred_ids, http=http)
        take(got_r, "rates")
        rate_parts.append(got_r.frame)
    rates = pd.concat([p for p in rate_parts if not p.empty] or rate_parts[:1], ignore_index=True)

    # 6. attention (Wikipedia pageviews)
    with_article = universe_frame[universe_frame["wikipedia_article"].notna()]
    articles = list(zip(with_article["wikipedia_article"], with_article["ticker"]))
    attention: pd.DataFrame | None = None
    if "wikimedia.org" in unreachable:
        titles = {wikipedia.article_title(a) for a, _ in articles}
        failures.extend(Failure(wikipedia.SOURCE, "attention", t, SKIPPED, "wikimedia.org unreachable")
                        for t in sorted(titles))
        requested["attention"] += len(titles)
    elif articles:
        got_a = wikipedia.fetch_pageviews(articles, start, as_of_d, http=http, sleep=sleep)
        take(got_a, "attention")
        attention = got_a.frame
    else:
        notes.append("attention: no universe rows with a wikipedia_article")
    trends = _google_trends(universe_frame, as_of_d, http, sleep, unreachable)
    if trends is not None:
        take(trends, "attention")
        attention = pd.concat([f for f in (attention, trends.frame) if f is not None and not f.empty]
                              or [trends.frame], ignore_index=True)

    log = failures_frame(failures)
    frames: dict[str, pd.DataFrame | None] = {
        "prices": _cut(prices, "date", as_of_d),
        "fundamentals": _cut(fundamentals, "as_of", as_of_d),
        "attention": _cut(attention, "date", as_of_d),
        "rates": _cut(rates, "date", as_of_d),
        "universe": universe_frame,
        "pairs": pairs,
        "ingest_log": log,
        "restatements": restated,
        # the Fed publishes the schedule a year or more ahead: the bundled file is the source
        "fomc_calendar": fomc.bundled_calendar(),
    }
    # live is incremental: its frames are upserted on top of the stored history, except the
    # restated tickers, whose re-fetched history replaces theirs
    data = SourceData(name=NAME, frames=frames, notes=notes, complete=False,
                      replace={"prices": [t for t in replaced if t in price_tickers]})
    for f in failures[:MAX_NOTE_LINES]:
        data.notes.append(f"ingest: {f.source} {f.dataset} {f.item}: {f.status} — {f.reason}")
    if len(failures) > MAX_NOTE_LINES:
        data.notes.append(f"ingest: … {len(failures) - MAX_NOTE_LINES} more in ingest_log")

    # failed share per dataset
    for dataset in DATASETS:
        total = requested[dataset]
        if total:
            failed = {f.item for f in failures if f.dataset == dataset and f.counts_as_failure}
            data.notes.append(f"{dataset}: {total - len(failed)} of {total} delivered")
    error = _failed_share(failures, requested, max_failed_share, [d for d in DATASETS if d in required])
    if error is not None:
        raise error
    # The others degrade: what arrived is loaded, the stored history covers the rest (marts
    # read fundamentals up to fundamentals_max_age_days old), and the freshness checks warn.
    # A Wikimedia outage must not hold back the day's rotation answer.
    for dataset in DATASETS:
        if dataset not in required and (over := _failed_share(failures, requested, max_failed_share, (dataset,))):
            data.notes.append(f"{dataset}: over the allowed failure share, loaded what arrived "
                              f"(stored history covers the rest): {over}")
    return data
