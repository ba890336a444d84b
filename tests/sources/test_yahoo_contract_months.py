"""Fed funds contract months (ZQ<month><yy>.CBT) through the real yfinance 1.x, against the
provider simulator's Yahoo chart endpoint (tests/sim): one chart request per symbol inside
the batched download, a symbol Yahoo does not know comes back as a per-symbol failure."""

from __future__ import annotations

import datetime as dt

import pytest

from scout_pipeline.sources import fomc, yahoo
from scout_pipeline.sources.errors import MISSING
from tests.sim.fixtures import SIM_DAY, provider_sim, yf_env  # noqa: F401
from tests.sim.market import Market

SYMBOLS = fomc.contract_symbols(SIM_DAY)  # ZQM25.CBT (June 2025) .. ZQK26.CBT (May 2026)
UNLISTED = "ZQK26.CBT"                   # Yahoo has no page for it (yet)


@pytest.fixture
def sim_market() -> Market:
    m = Market()
    for symbol in SYMBOLS:
        if symbol != UNLISTED:
            m.add(symbol, asset_type="future", name="30-Day Fed Fund Futures", first_day="2024-06-03",
                  rate="fed_funds_future")
    m.add("ZQ=F", asset_type="future", name="30-Day Fed Funds Futures", first_day="1990-01-02",
          rate="fed_funds_future")
    return m


def test_contract_months_ride_the_batched_download_and_a_missing_one_is_named(yf_env, provider_sim):
    start = SIM_DAY - dt.timedelta(days=14)
    got = yahoo.fetch_prices(["ZQ=F", *SYMBOLS], start, SIM_DAY, sleep=lambda s: None, dataset="rates")
    rates = yahoo.rates_from_prices(got.frame, ["ZQ=F", *SYMBOLS])
    assert set(rates["series"]) == {"ZQ=F", *SYMBOLS} - {UNLISTED}
    assert rates["date"].max() == dt.datetime.combine(SIM_DAY, dt.time())
    assert rates["value"].between(94, 97).all()          # prices near 100 - 4.3 %
    assert {f.item: f.status for f in got.failures} == {UNLISTED: MISSING}
    # one chart request per listed symbol; the unlisted one fails at yfinance's timezone probe
    # (then its .info fallback, twice: the retry), before any chart request
    kinds = provider_sim.by_kind()
    assert kinds["chart"] == (len(SYMBOLS) - 1) + 1   # 11 listed contract months + ZQ=F
    assert kinds["tz_probe"] == len(SYMBOLS) + 1 + 1  # every symbol once, the unlisted one retried
