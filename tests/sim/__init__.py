"""Provider simulator for tests and benchmarks: fakes the providers' HTTP answers underneath
the real libraries (yfinance, requests), from a deterministic simulated market. No network.

    from tests.sim import Market, ProviderSim, sim_yfinance
    market = Market()
    market.add("AAPL", first_day="2020-01-02", splits=[("2025-03-03", 2, 1)],
               dividends=[("2025-02-10", 0.25)], wikipedia_article="Apple Inc.")
    market.join("sp500", "AAPL", "2020-01-02")          # membership: from, until (exclusive)
    sim = ProviderSim(market, day="2025-02-28")          # the provider's current day
    with sim_yfinance(tmp_path / "yf", sim) as env:      # real yfinance, state contained
        frame = yf.download(["AAPL"], start=..., end=..., session=env.session, ...)
        sim.day = "2025-03-03"                           # or sim.advance(); history restated
    sim.rate_limit("chart", count=2); sim.down("fred.stlouisfed.org"); sim.drop("AAPL")
    sim.requests[("query2.finance.yahoo.com", "chart")]; sim.by_provider(); sim.log

Modules: market (instruments, raw and served bars, membership, fundamentals, pageviews,
FRED), yahoo_json / documents (the answers' shapes), faults (rate-limit waves, outages,
drops), http (ProviderSim, the requests Session + adapter), yfinance_env (sim_yfinance),
fixtures (pytest fixtures: sim_market, provider_sim, yf_env).
"""

from tests.sim.faults import KINDS, PROVIDERS, YAHOO_KINDS, Wave, provider_of
from tests.sim.http import Answer, LogEntry, ProviderSim, SimAdapter, SimSession, classify
from tests.sim.market import (
    Bars, Instrument, Market, sessions_between, standard_market, venue_sessions,
)
from tests.sim.yfinance_env import DOWNLOAD_OPTIONS, YfEnv, sim_yfinance

__all__ = [
    "Answer", "Bars", "DOWNLOAD_OPTIONS", "Instrument", "KINDS", "LogEntry", "Market",
    "PROVIDERS", "ProviderSim", "SimAdapter", "SimSession", "Wave", "YAHOO_KINDS", "YfEnv",
    "classify", "provider_of", "sessions_between", "sim_yfinance", "standard_market",
    "venue_sessions",
]
