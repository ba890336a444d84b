"""pytest fixtures for the provider simulator. Use them from any test module with

    from tests.sim.fixtures import provider_sim, sim_market, yf_env  # noqa: F401

(override `sim_market` or `provider_sim` in your module to change the market or the day).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sim.http import ProviderSim
from tests.sim.market import Market, standard_market
from tests.sim.yfinance_env import YfEnv, sim_yfinance

SIM_DAY = dt.date(2025, 6, 2)  # a Monday session


@pytest.fixture
def sim_market() -> Market:
    """The bundled universe (indices from 1987, ETFs, ZQ=F, ^IRX, the watchlist)."""
    return standard_market()


@pytest.fixture
def provider_sim(sim_market: Market) -> ProviderSim:
    return ProviderSim(sim_market, day=SIM_DAY)


@pytest.fixture
def yf_env(provider_sim: ProviderSim, tmp_path) -> YfEnv:
    """The real yfinance against `provider_sim`, caches under tmp_path, restored after."""
    with sim_yfinance(tmp_path / "yfinance-cache", provider_sim) as env:
        yield env
