"""Run the real yfinance against the provider simulator, with its process-wide state tamed.

yfinance 1.7 keeps state that outlives a call and would leak between tests (all checked in
the installed source):

* on-disk caches (yfinance/cache.py): the ticker -> timezone cache (tkr-tz.db; a cached
  timezone saves the `range=1d` chart probe per ticker), the cookie cache (cookies.db: the A3
  cookie, so a new process skips fc.yahoo.com) and the ISIN cache, under the user's cache
  dir. `set_tz_cache_location(dir)` moves all three, but the cache objects already created
  keep their old sqlite handle, so the managers' instances are reset too;
* `YfData` is a singleton (data.SingletonMeta) holding the session, cookie, crumb and cookie
  strategy ('basic'/'csrf'); its `cache_get` is an lru_cache (maxsize 64) keyed by URL and
  params — used for the timezone probe, for any chart window that ended >30 min ago and for
  the `.info` timeseries call — so a repeated request on a later simulated day would get
  yesterday's answer unless it is cleared;
* base._tz_info_fetch_ctr: the first two tickers per process whose timezone probe fails
  fall back to `.info` (3 more requests each), later ones do not;
* the sqlite caches open lazily in whichever thread asks first: a `threads=True` download
  on fresh caches can fail a ticker with "database is locked" (seen here; the env opens
  them up front).

`sim_yfinance(cache_dir, sim)` points the caches at `cache_dir`, starts from a fresh
YfData, makes yfinance's default session the simulator's (so code that calls `yf.download`
without `session=`, like scout_pipeline.sources.yahoo, runs against the simulator too),
clears `cache_get` whenever `sim.day` changes (or restarts the whole "process",
`on_day_change='restart'`) and restores everything on exit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from tests.sim.http import ProviderSim, SimSession

# The options the pipeline passes (scout_pipeline/sources/yahoo.py _call_download), with the
# events on so restatements are visible.
DOWNLOAD_OPTIONS = dict(interval="1d", auto_adjust=False, back_adjust=False, actions=True,
                        group_by="column", multi_level_index=True, ignore_tz=True,
                        repair=False, keepna=False, prepost=False, rounding=False,
                        progress=False, threads=False, timeout=10)


# Modules that call yfinance._http.new_session() when no session is passed (grep of 1.7).
NEW_SESSION_USERS = ("yfinance._http", "yfinance.data", "yfinance.base", "yfinance.multi",
                     "yfinance.scrapers.history")


def _yf_modules():
    import yfinance  # noqa: PLC0415 - only when a test uses the real library
    from yfinance import base, cache, data  # noqa: PLC0415

    return yfinance, base, cache, data


class YfEnv:
    """What `sim_yfinance` yields: the session to pass as `session=`, and process controls."""

    def __init__(self, cache_dir: str | os.PathLike, sim: ProviderSim, on_day_change: str):
        if on_day_change not in ("clear", "restart", "none"):
            raise ValueError("on_day_change must be 'clear', 'restart' or 'none'")
        self.cache_dir = Path(cache_dir)
        self.sim = sim
        self.on_day_change = on_day_change
        self.session: SimSession = sim.session()
        self._saved: dict[str, Any] = {}

    # ---------------------------------------------------------------- process state

    def clear_response_cache(self) -> None:
        """Forget yfinance's in-memory responses (YfData.cache_get's lru_cache)."""
        _, _, _, data = _yf_modules()
        data.YfData.cache_get.cache_clear()

    def restart(self) -> None:
        """As if a new Python process started: new YfData (no cookie, crumb, strategy reset),
        empty response cache, fresh `.info` fallback counter, cache files re-opened — but
        what is on disk (timezones, cookie) stays, as it does between real runs. A new
        session too (empty cookie jar): read `env.session` again afterwards."""
        _, base, cache, data = _yf_modules()
        data.SingletonMeta._instances.pop(data.YfData, None)
        data.YfData.cache_get.cache_clear()
        base._tz_info_fetch_ctr = 0
        self._reopen_caches(self.cache_dir)
        self.session = self.sim.session()  # and a new session (empty cookie jar)

    def forget_disk_caches(self) -> None:
        """Delete the timezone / cookie / ISIN caches (a fresh machine), then `restart`."""
        _, _, cache, _ = _yf_modules()
        cache.set_cache_location(str(self.cache_dir))  # closes the sqlite handles
        shutil.rmtree(self.cache_dir, ignore_errors=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.restart()

    @staticmethod
    def _reopen_caches(directory: Path) -> None:
        _, _, cache, _ = _yf_modules()
        cache.set_cache_location(str(directory))
        cache._TzCacheManager._tz_cache = None
        cache._CookieCacheManager._Cookie_cache = None
        cache._ISINCacheManager._isin_cache = None
        # Open them here, in this thread: yfinance 1.7 opens a fresh cache lazily from
        # whichever thread asks first, and `download(threads=True)` then races its
        # `PRAGMA journal_mode=wal` -> "OperationalError('database is locked')" for a ticker.
        cache.get_tz_cache().initialise()
        cache.get_cookie_cache().initialise()

    def cached_timezones(self) -> dict[str, str]:
        """{ticker: timezone} in yfinance's tz cache (what saves the per-ticker probe)."""
        _, _, cache, _ = _yf_modules()
        c = cache.get_tz_cache()
        c.initialise()  # no-op once initialised
        if c.dummy or c.initialised != 1:
            return {}
        return {row.key: row.value for row in cache._TZ_KV.select()}

    # ---------------------------------------------------------------- convenience

    def download(self, tickers: Sequence[str], start: Any, end: Any,
                 **options: Any) -> pd.DataFrame:
        """`yf.download` as the pipeline calls it, `end` inclusive (yfinance's is exclusive)."""
        yfinance, *_ = _yf_modules()
        end_excl = (pd.Timestamp(end) + pd.Timedelta(days=1)).date().isoformat()
        kwargs = {**DOWNLOAD_OPTIONS, **options}
        return yfinance.download(list(tickers), start=pd.Timestamp(start).date().isoformat(),
                                 end=end_excl, session=self.session, **kwargs)

    def ticker(self, symbol: str):
        yfinance, *_ = _yf_modules()
        return yfinance.Ticker(symbol, session=self.session)

    def data(self):
        """yfinance's YfData singleton, bound to this env's session (for get_raw_json)."""
        _, _, _, data = _yf_modules()
        return data.YfData(session=self.session)

    # ---------------------------------------------------------------- enter / exit

    def _patch_new_session(self) -> None:
        """No network even when a caller forgets `session=`: every place yfinance makes its
        default (curl_cffi) session gets this env's simulator session instead."""
        import importlib  # noqa: PLC0415

        self._patched = []
        for name in NEW_SESSION_USERS:
            module = importlib.import_module(name)
            self._patched.append((module, module.new_session))
            module.new_session = lambda: self.session

    def _on_day(self, old: dt.date, new: dt.date) -> None:
        if self.on_day_change == "clear":
            self.clear_response_cache()
        elif self.on_day_change == "restart":
            self.restart()

    def __enter__(self) -> "YfEnv":
        _, base, cache, data = _yf_modules()
        self._saved = {
            "dirs": (cache._TzDBManager._cache_dir, cache._CookieDBManager._cache_dir,
                     cache._ISINDBManager._cache_dir),
            "managers": (cache._TzCacheManager._tz_cache, cache._CookieCacheManager._Cookie_cache,
                         cache._ISINCacheManager._isin_cache),
            "yfdata": data.SingletonMeta._instances.pop(data.YfData, None),
            "tz_ctr": base._tz_info_fetch_ctr,
        }
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._patch_new_session()
        self.restart()
        self.sim.on_day_change(self._on_day)
        return self

    def __exit__(self, *exc: Any) -> None:
        _, base, cache, data = _yf_modules()
        self.sim.remove_listener(self._on_day)
        for module, original in self._patched:
            module.new_session = original
        for manager in (cache._TzDBManager, cache._CookieDBManager, cache._ISINDBManager):
            manager.close_db()
            manager._db = None
        tz_dir, cookie_dir, isin_dir = self._saved["dirs"]
        cache._TzDBManager._cache_dir = tz_dir
        cache._CookieDBManager._cache_dir = cookie_dir
        cache._ISINDBManager._cache_dir = isin_dir
        # The cache objects bound to our files are dropped; yfinance re-creates them lazily.
        cache._TzCacheManager._tz_cache = None
        cache._CookieCacheManager._Cookie_cache = None
        cache._ISINCacheManager._isin_cache = None
        data.SingletonMeta._instances.pop(data.YfData, None)
        if self._saved["yfdata"] is not None:
            data.SingletonMeta._instances[data.YfData] = self._saved["yfdata"]
        data.YfData.cache_get.cache_clear()
        base._tz_info_fetch_ctr = self._saved["tz_ctr"]


@contextlib.contextmanager
def sim_yfinance(cache_dir: str | os.PathLike, sim: ProviderSim, *,
                 on_day_change: str = "clear") -> Iterator[YfEnv]:
    """`with sim_yfinance(tmp_path / "yf", sim) as env: yf.download(..., session=env.session)`

    on_day_change: 'clear' (default) drops yfinance's response cache when `sim.day` moves;
    'restart' also starts a new "process" (new YfData and session: a fresh cookie + crumb,
    the tz cache on disk kept) — like a pipeline that runs once a day; 'none' keeps both
    (a long-running process; later days can then see yesterday's cached answers)."""
    env = YfEnv(cache_dir, sim, on_day_change)
    with env:
        yield env
