"""yfinance's data layer (`yfinance.data.YfData.get_raw_json`) for module-level yfinance fakes.

The budgeted fundamentals (sources/yahoo_fundamentals.py) read Yahoo's batched v7 quote and
the quoteSummary endpoint through `yf.data.YfData`. Fakes that stand in for the yfinance
module answer those two URLs in Yahoo's JSON shapes from their `Ticker(t).info` dicts (so
their `.info` faults — a raised `YFRateLimitError`, say — apply to the profile request).
The provider simulator in tests/sim serves the same endpoints over HTTP under the real
yfinance; this stand-in is for the older, faster module-level tests.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

QUOTE_KEYS = ("marketCap", "sharesOutstanding", "forwardEps", "epsForward", "trailingEps",
              "epsTrailingTwelveMonths", "forwardPE", "trailingPE")


def data_module(info_of: Callable[[str], dict | None], quote_of: Callable[[str], dict | None] | None = None):
    """A `yfinance.data` stand-in: `YfData(session=...)` whose `get_raw_json` answers
    `/v7/finance/quote?symbols=...` (symbols without data are absent, as Yahoo does) and
    `/v10/finance/quoteSummary/<T>` ({"quoteSummary": {"result": [{module: {...}}]}})."""
    quote_of = quote_of or info_of

    class YfData:
        def __init__(self, session: Any = None) -> None:
            self.session = session

        def get_raw_json(self, url: str, params: dict | None = None, timeout: int = 30) -> dict:
            params = params or {}
            if "/v7/finance/quote" in url:
                result = []
                for symbol in str(params.get("symbols", "")).split(","):
                    info = quote_of(symbol)
                    if info:
                        result.append({"symbol": symbol, "quoteType": "EQUITY",
                                       **{k: info[k] for k in QUOTE_KEYS if k in info}})
                return {"quoteResponse": {"result": result, "error": None}}
            if "/v10/finance/quoteSummary/" in url:
                symbol = url.rsplit("/", 1)[-1]
                info = info_of(symbol) or {}
                profile = {k: v for k, v in info.items() if k not in QUOTE_KEYS}
                return {"quoteSummary": {"result": [{"financialData": profile}], "error": None}}
            raise AssertionError(f"unexpected Yahoo URL in a test: {url}")

    return SimpleNamespace(YfData=YfData)
