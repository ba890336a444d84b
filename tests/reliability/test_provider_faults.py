"""Whole `scout run`s (Dagster, in-process, through `cli.main`) against misbehaving live providers.

Every test starts from a copy of one good warehouse built for D1 (module fixture), runs D2 with
a fault injected into the fakes of `tests/reliability/fakes.py` (real response shapes, no
network), and checks the promises of write-audit-publish:

* the published file `scout.duckdb` is either the previous one byte for byte, or the new,
  complete build for D2;
* the raw history already stored (`store.duckdb`, raw.*) is still there;
* the next normal run succeeds.

The run-level retry waits (`RETRY_BASE_SECONDS`) are patched to ~0 to keep this fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from scout_pipeline import cli
from tests.reliability import fakes
from tests.conftest import dagster_home

D1 = dt.date(2026, 1, 9)   # the baseline session (Friday)
D2 = dt.date(2026, 1, 12)  # the faulted session (Monday); `now` is its evening, so both get .info
MARTS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "sql" / "marts").glob("*.sql"))
ATTEMPTS = 3  # the first try + MAX_SOURCE_RETRIES (2) run-level retries


# --------------------------------------------------------------------------- helpers

def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(wh: Path) -> dict[str, str]:
    return {name: digest(wh / name) for name in ("scout.duckdb", "store.duckdb")}


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def raw_rows(db: Path, table: str) -> list[tuple]:
    """Every row, loaded_at included: equal lists mean nothing was written."""
    return query(db, f"FROM raw.{table} ORDER BY ALL")


def raw_keys(db: Path) -> dict[str, set[tuple]]:
    keys = {"prices": "ticker, date", "fundamentals": "ticker, as_of",
            "attention": "source, term, date", "rates": "series, date"}
    return {t: set(query(db, f"SELECT {k} FROM raw.{t}")) for t, k in keys.items()}


def run_info(wh: Path) -> dict[str, str]:
    return dict(query(wh / "scout.duckdb", "SELECT key, value FROM meta.run_info"))


def work_copy(wh: Path) -> Path:
    """The failed run's working database (kept under work/ for inspection)."""
    copies = sorted((wh / "work").glob("*.duckdb"), key=lambda p: p.stat().st_mtime)
    assert copies, f"no working copy kept under {wh / 'work'}"
    return copies[-1]


def scout_run(capsys, wh: Path, as_of: dt.date = D2) -> tuple[int, str, str]:
    code = cli.main(["run", "--source", "live", "--as-of", as_of.isoformat(), "--warehouse", str(wh)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_unchanged(wh: Path, before: dict[str, str], as_of: dt.date = D1) -> None:
    """The failed run left the published file and the raw store byte-identical."""
    assert files(wh) == before
    assert run_info(wh)["as_of"] == as_of.isoformat()


def assert_published_complete(wh: Path, as_of: dt.date, tickers: list[str] = fakes.price_tickers()) -> None:
    """The new build: every mart, the run's session, every delivered series through `as_of`."""
    info = run_info(wh)
    assert (info["as_of"], info["source"]) == (as_of.isoformat(), "live")
    published = {t for (t,) in query(wh / "scout.duckdb",
                                     "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'")}
    assert published == set(MARTS)
    streak_day = query(wh / "scout.duckdb", "SELECT max(date) FROM marts.relative_strength_streaks "
                                            "WHERE pair_id = 'smallcap_vs_largecap'")[0][0]
    assert streak_day == as_of
    last = dict(query(wh / "store.duckdb", "SELECT ticker, max(date) FROM raw.prices GROUP BY ticker"))
    assert {t: last.get(t) for t in tickers} == {t: as_of for t in tickers}


def assert_raw_kept(wh: Path, before: dict[str, set[tuple]]) -> None:
    now = raw_keys(wh / "store.duckdb")
    for table, keys in before.items():
        assert keys <= now[table], f"raw.{table} lost {len(keys - now[table])} stored rows"


def next_normal_run(monkeypatch, capsys, wh: Path) -> None:
    fakes.install(monkeypatch, fakes.Providers())
    code, out, err = scout_run(capsys, wh)
    assert code == 0, err
    assert_published_complete(wh, D2)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """One good live build for D1: a first load (3-year window; the fakes know a year of
    history), one fetch for the whole run."""
    root = tmp_path_factory.mktemp("baseline")
    dagster_home(root / "dagster_home")
    wh = root / "wh"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        providers = fakes.install(mp, fakes.Providers())
        code = cli.main(["run", "--source", "live", "--as-of", D1.isoformat(), "--warehouse", str(wh)])
    assert code == 0
    assert len(providers.loads) == 1
    return wh


@pytest.fixture
def wh(home, baseline, monkeypatch) -> Path:
    """A private copy of the baseline warehouse; run-level retries without the 2 s / 4 s waits."""
    from scout_pipeline.defs.ingest import assets

    monkeypatch.setattr(assets, "RETRY_BASE_SECONDS", 0.01)
    target = home / "wh"
    shutil.copytree(baseline, target)
    assert run_info(target)["as_of"] == D1.isoformat()
    return target


# --------------------------------------------------------------------------- a. raising mid-batch

def test_a_provider_raising_mid_batch(wh, monkeypatch, capsys):
    """yfinance `download` raising on every try of the 2nd chunk: prices are required, the run
    fails and changes nothing. Wikimedia dropping the connection from the 7th article on:
    attention is not, the day is published with what arrived and a note. Then a normal run."""
    before, stored = files(wh), raw_keys(wh / "store.duckdb")

    # yfinance: chunk 2 of 3 raises a non-rate-limit error on each of its 4 tries
    second_chunk: list[str] = []

    def chunk_fault(n, tickers):
        if n == 2:
            second_chunk.extend(tickers)
        if tickers == second_chunk:
            raise RuntimeError("Read timed out. (read timeout=20)")

    p = fakes.install(monkeypatch, fakes.Providers(yf=fakes.FakeYF(download_fault=chunk_fault)))
    code, out, err = scout_run(capsys, wh)

    assert code == 1
    assert len(second_chunk) == 8 and "ZQ=F" in second_chunk
    assert "36% of prices failed (8 of 22; allowed 20%)" in err
    assert "failed 8: download error after 4 attempt(s): RuntimeError('Read timed out." in err
    assert len(p.loads) == ATTEMPTS                     # one fresh fetch per attempt
    # chunk 1, chunk 2 four times, chunks 3-5 (the 12 fed funds contract months ride along)
    assert len(p.yf.calls) == ATTEMPTS * (1 + 4 + 3)
    assert p.yf.info_calls == [] and p.http.pageview_calls == []  # prices failed: stop there
    assert_unchanged(wh, before)

    # Wikimedia: the connection drops half way through the articles, on every attempt
    dropped = set(fakes.articles()[6:])

    def connection_fault(n, article):
        if article.replace("_", " ") in dropped:
            raise ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed "
                                  "connection without response'))")

    p = fakes.install(monkeypatch, fakes.Providers(http=fakes.FakeHttp(pageviews_fault=connection_fault)))
    code, out, err = scout_run(capsys, wh)

    # attention is not required: the day is published with what arrived, and says so
    assert code == 0, err
    assert "attention: over the allowed failure share" in out
    assert "50% of attention failed (6 of 12; allowed 20%)" in out
    assert "failed 5: request error: ConnectionError" in out  # 5 in a row: the rest skipped
    assert "skipped 1: not attempted: 5 consecutive requests failed" in out
    assert len(p.loads) == 1 and len(p.http.pageview_calls) == 11
    assert_published_complete(wh, D2)
    assert_raw_kept(wh, stored)
    next_normal_run(monkeypatch, capsys, wh)


# --------------------------------------------------------------------------- b. rate-limit waves

def test_rate_limit_wave_that_ends_gives_a_complete_day(wh, monkeypatch, capsys):
    """11 `download` calls in a row raise `YFRateLimitError` (and the first 2 profile reads).
    After 2 chunks x 4 tries (8 calls) the fetch waits out its first cooldown and resumes at
    chunk 1, riding out the last 3 inside its backoff: one fetch, nothing asked twice that
    had arrived. Fundamentals: one batched quote request, and the profiles of the rotation's
    share (2 of 12 equities, the first rate-limited twice), the rest carried forward."""
    stored = raw_keys(wh / "store.duckdb")
    yf = fakes.FakeYF(download_fault=fakes.rate_limited(first=11), info_fault=fakes.rate_limited(first=2))
    p = fakes.install(monkeypatch, fakes.Providers(yf=yf))
    code, out, err = scout_run(capsys, wh)

    assert code == 0, err
    assert len(p.loads) == 1                             # the wave was waited out inside the fetch
    # 8 + 4 tries of chunk 1, then chunks 2-5 (22 tickers and the fed funds contract months)
    assert [len(c[0]) for c in yf.calls] == [8] * 12 + [8, 8, 8, 3]
    assert yf.info_calls[:3] == ["AAPL"] * 3 and len(yf.info_calls) == 2 + 2
    assert "prices: 22 of 22 delivered" in out and "fundamentals: 12 of 12 delivered" in out
    assert_published_complete(wh, D2)
    assert_raw_kept(wh, stored)
    assert query(wh / "store.duckdb", "SELECT count(*) FROM raw.ingest_log") == [(0,)]
    assert query(wh / "store.duckdb", "SELECT count(*) FROM raw.fundamentals WHERE as_of = ?",
                 [D2]) == [(12,)]


def test_rate_limit_wave_outlasting_every_retry_fails_naming_the_rate_limit(wh, monkeypatch, capsys):
    """Two failed runs, then a normal one: `download` raising `YFRateLimitError`, then the
    shape yfinance 1.x really gives (errors swallowed and logged, an empty frame)."""
    before, stored = files(wh), raw_keys(wh / "store.duckdb")
    yf = fakes.FakeYF(download_fault=fakes.rate_limited(None), info_fault=fakes.rate_limited(None))
    p = fakes.install(monkeypatch, fakes.Providers(yf=yf))
    code, out, err = scout_run(capsys, wh)

    assert code == 1
    assert "scout.duckdb was not changed" in err
    assert ("100% of prices failed (22 of 22; allowed 20%) — rate_limited 16: rate-limited by "
            "Yahoo (YFRateLimitError) after 4 attempt(s); skipped 6: not attempted") in err
    assert len(p.loads) == ATTEMPTS               # skipped tickers are retried by the run too
    assert len(yf.calls) == ATTEMPTS * 3 * 8      # 2 chunks x 4 tries, twice more after each cooldown
    assert yf.info_calls == []                    # no .info request sent into the wave
    assert_unchanged(wh, before)

    yf = fakes.FakeYF(download_fault=fakes.swallowed_rate_limit(None))
    p = fakes.install(monkeypatch, fakes.Providers(yf=yf))
    code, out, err = scout_run(capsys, wh)

    assert code == 1
    assert ("100% of prices failed (22 of 22; allowed 20%) — rate_limited 16: rate-limited by "
            "Yahoo (YFRateLimitError, logged by yfinance) after 4 attempt(s)") in err
    assert len(p.loads) == ATTEMPTS and len(yf.calls) == ATTEMPTS * 3 * 8 and yf.info_calls == []
    assert_unchanged(wh, before)
    assert_raw_kept(wh, stored)
    next_normal_run(monkeypatch, capsys, wh)


def test_the_next_live_run_refetches_only_the_last_sessions(wh):
    from scout_pipeline.sources import restatements
    from scout_pipeline.sources.live_state import read_state
    from scout_pipeline.sources.yahoo import refetch_start

    state = read_state(wh / "store.duckdb")
    plan = restatements.plan_windows(fakes.price_tickers() + ["NEW"], {}, state, D2)
    assert {plan[t] for t in fakes.price_tickers()} == {refetch_start(D1)}  # 2026-01-02
    assert plan["NEW"] == dt.date(2023, 1, 12)  # a new equity: the first-load depth


# --------------------------------------------------------------------------- c. partial batches

def test_partial_batch_of_unknown_tickers_under_the_limit_publishes_and_logs_them(wh, monkeypatch, capsys):
    stored = raw_keys(wh / "store.duckdb")
    unknown = [("BRKB", "BERKSHIRE HATHAWAY INC CLASS B", "equity", ["small_cap", "russell2000"],
                "Financials", None),
               ("MOGA", "MOOG INC CLASS A", "equity", ["small_cap", "russell2000"], "Industrials", None)]
    yf = fakes.FakeYF(missing={"BRKB", "MOGA"},  # iShares' spellings: Yahoo has no such symbols
                      infos={"BRKB": {"trailingPegRatio": None}, "MOGA": {"trailingPegRatio": None}})
    fakes.install(monkeypatch, fakes.Providers(yf=yf, extra=unknown))
    code, out, err = scout_run(capsys, wh)

    assert code == 0, err
    assert "prices: 22 of 24 delivered" in out
    assert "ingest: yahoo prices BRKB: missing" in out and "ingest: yahoo prices MOGA: missing" in out
    assert_published_complete(wh, D2)
    assert_raw_kept(wh, stored)
    log = query(wh / "store.duckdb", "SELECT dataset, item, status FROM raw.ingest_log ORDER BY ALL")
    assert log == [("fundamentals", "BRKB", "missing"), ("fundamentals", "MOGA", "missing"),
                   ("prices", "BRKB", "missing"), ("prices", "MOGA", "missing")]


def test_partial_batch_of_stored_tickers_publishes_under_the_limit_and_fails_over_it(wh, monkeypatch, capsys):
    """Yahoo's answer lacks tickers the warehouse holds (all-NaN columns). 2 of 22 (9%) is
    within the source's max_failed_share: the day is published, the two series reported in
    raw.ingest_log and warned about (`as_of_bar_reported_missing`), not blocked. 5 of 22
    (23%) is over the limit: the source fails, naming the dataset and the share, and is not
    retried (the provider answered "no data", which another pull will not change)."""
    stored = raw_keys(wh / "store.duckdb")

    fakes.install(monkeypatch, fakes.Providers(yf=fakes.FakeYF(missing={"ABM", "AEO"})))
    code, out, err = scout_run(capsys, wh)

    assert code == 0, err
    assert "as_of_bar_reported_missing" in out and "ABM" in out and "AEO" in out
    assert_published_complete(wh, D2, [t for t in fakes.price_tickers() if t not in {"ABM", "AEO"}])
    assert_raw_kept(wh, stored)
    assert query(wh / "store.duckdb", "SELECT item, status FROM raw.ingest_log WHERE dataset = 'prices' "
                 "ORDER BY ALL") == [("ABM", "missing"), ("AEO", "missing")]

    before, stored = files(wh), raw_keys(wh / "store.duckdb")
    gone = {"ABM", "AEO", "ARCB", "CALM", "MOD"}
    p = fakes.install(monkeypatch, fakes.Providers(yf=fakes.FakeYF(missing=gone)))
    code, out, err = scout_run(capsys, wh)

    assert code == 1
    assert "23% of prices failed (5 of 22; allowed 20%) — missing 5: no rows in window" in err
    assert "ABM, AEO, ARCB, CALM, MOD" in err
    assert len(p.loads) == 1
    assert_unchanged(wh, before, as_of=D2)
    assert_raw_kept(wh, stored)
    next_normal_run(monkeypatch, capsys, wh)


# --------------------------------------------------------------------------- d. yesterday again

def test_provider_repeating_yesterday_stops_the_day_and_says_where_the_data_ends(wh, monkeypatch, capsys):
    """Yahoo, FRED and Wikimedia all answer D2's request with data through D1 only, values
    identical. Publishing it as D2 would label D1's market as D2's. The live source reports
    every series that answered without a bar for the as-of session (a halted name is one
    of those, and only warns); here that is all of them, over the failed share: the day
    stops before anything is written, naming where the data ends, and is not retried ("no
    data" does not change on a second pull; the 21:30 catch-up run picks the day up)."""
    before, stored = files(wh), raw_keys(wh / "store.duckdb")
    providers = fakes.Providers(yf=fakes.FakeYF(last_day=D1),
                                http=fakes.FakeHttp(pageviews_last_day=D1, fred_last_day=D1))
    fakes.install(monkeypatch, providers)
    code, out, err = scout_run(capsys, wh)

    assert code == 1
    assert ("100% of prices failed (22 of 22; allowed 20%) — missing 22: no bar for 2026-01-12 "
            "(last 2026-01-09): halted, its exchange closed, or not published yet") in err
    assert len(providers.loads) == 1
    assert_unchanged(wh, before)
    assert_raw_kept(wh, stored)
    next_normal_run(monkeypatch, capsys, wh)


# --------------------------------------------------------------------------- e. missing fields

def test_missing_keys_none_values_dots_and_missing_items_are_stored_as_nulls(wh, monkeypatch, capsys):
    stored = raw_keys(wh / "store.duckdb")
    dgs2_d1 = query(wh / "store.duckdb", "SELECT value FROM raw.rates WHERE series = 'DGS2' AND date = ?", [D1])
    nvda_d1 = query(wh / "store.duckdb", "SELECT value, loaded_at FROM raw.attention "
                                         "WHERE term = 'Nvidia' AND date = ?", [D1])
    infos = {
        "AAPL": {"symbol": "AAPL", "marketCap": 3.4e12},                      # most keys gone
        "MSFT": {"symbol": "MSFT", "marketCap": None, "forwardEps": None, "trailingEps": 13.1,
                 "sector": None, "industry": "Software - Infrastructure"},   # None values
        "NVDA": {"marketCap": float("nan"), "trailingPE": "Infinity", "forwardEps": "4.51",
                 "sector": "Technology"},                                    # NaN, strings
        "ABM": {},                                                           # nothing at all
    }

    def no_items(n, article):
        if article == "Microsoft":
            return {"type": "about:blank", "detail": "no items key"}        # JSON without "items"
        return None

    def null_views(article, payload):
        if article == "Nvidia":
            for item in payload["items"]:
                if item["timestamp"] == f"{D1:%Y%m%d}00":
                    item["views"] = None                                     # a listed day, no count

    http = fakes.FakeHttp(pageviews_fault=no_items, pageviews_edit=null_views,
                          fred_dots={D1, D2})                                # DFF and DGS2: '.'
    # rotation 1: every profile is fetched again today (not carried forward from D1)
    fakes.install(monkeypatch, fakes.Providers(yf=fakes.FakeYF(infos=infos), http=http, profile_rotation=1))
    code, out, err = scout_run(capsys, wh)

    assert code == 0, err
    assert_published_complete(wh, D2)
    assert_raw_kept(wh, stored)
    store = wh / "store.duckdb"
    rows = {r[0]: r[1:] for r in query(
        store, "SELECT ticker, market_cap, forward_eps, trailing_eps, trailing_pe, sector, industry "
               "FROM raw.fundamentals WHERE as_of = ?", [D2])}
    assert rows["AAPL"] == (3.4e12, None, None, None, None, None)
    assert rows["MSFT"] == (None, None, 13.1, None, None, "Software - Infrastructure")
    assert rows["NVDA"] == (None, 4.51, None, None, "Technology", None)
    assert "ABM" not in rows and len(rows) == 11
    # '.' is no observation: nothing stored for D2, and D1's stored value is not erased
    assert query(store, "SELECT count(*) FROM raw.rates WHERE series IN ('DFF', 'DGS2') AND date = ?",
                 [D2]) == [(0,)]
    assert dgs2_d1 and query(store, "SELECT value FROM raw.rates WHERE series = 'DGS2' AND date = ?",
                             [D1]) == dgs2_d1
    # no "items": nothing new for that article; a null view count keeps the stored day as it was
    assert query(store, "SELECT max(date) FROM raw.attention WHERE term = 'Microsoft'") == [(D1,)]
    assert nvda_d1 and query(store, "SELECT value, loaded_at FROM raw.attention "
                                    "WHERE term = 'Nvidia' AND date = ?", [D1]) == nvda_d1
    assert query(store, "SELECT max(date) FROM raw.attention WHERE term = 'Nvidia'") == [(D2,)]
    log = query(store, "SELECT dataset, item, status FROM raw.ingest_log ORDER BY ALL")
    assert log == [("attention", "Microsoft", "missing"), ("fundamentals", "ABM", "missing")]
    # the next normal run fills the gaps in place
    next_normal_run(monkeypatch, capsys, wh)
    assert query(store, "SELECT forward_eps IS NOT NULL FROM raw.fundamentals WHERE ticker = 'AAPL' "
                        "AND as_of = ?", [D2]) == [(True,)]


def test_first_live_load_window_on_a_leap_day(tmp_path):
    from scout_pipeline.sources import restatements
    from scout_pipeline.sources.live_state import read_state

    state = read_state(tmp_path / "empty" / "store.duckdb")  # no store yet: a first load
    plan = restatements.plan_windows(["AAPL", "^RUT"], {}, state, dt.date(2024, 2, 29))
    assert plan == {"AAPL": dt.date(2021, 2, 28), "^RUT": dt.date(1925, 2, 28)}  # not a ValueError
