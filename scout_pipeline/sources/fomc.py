"""FOMC inputs: the bundled meeting calendar and the monthly 30-day fed funds contract symbols.

Calendar. ``scout_pipeline/data/fomc_calendar.csv`` lists the scheduled meetings as the Fed
published them (meeting_date = the second day, when the statement is released at 2 p.m. ET;
first_day = the day before): 2025 and 2026 from the Fed's press release "Federal Open Market
Committee announces its tentative meeting schedule for 2025" (it listed 2026 too), 2027 and
January 2028 from the release of 2025-09-05 ("... tentative meeting schedule for 2027"). Dates a year or more ahead are tentative; a snapshot's ``fomc_calendar`` dataset
replaces the bundle, and the ``fomc_calendar`` suite warns when the calendar ends before the
contract horizon does.

Contract months. Yahoo lists each CBOT 30-day fed funds contract month under its own symbol,
``ZQ`` + the CME month code + the two-digit year + ``.CBT``: ``ZQF27.CBT`` is January 2027.
Checked in public code that downloads them with yfinance and quantmod (e.g.
avlsv/Risk-Neutral-Probability, Data/Untitled.R: ``getSymbols("ZQU24.CBT") #Sep 24`` ...
``ZQF25.CBT Thirty-Day Fed Fund Futures,Jan``; scripts calling
``yf.download('ZQH23.CBT')['Adj Close']``). The continuous front month stays ``ZQ=F``.
A contract settles on the month's average effective fed funds rate: price = 100 - average.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from scout_pipeline.sources.contracts import columns

MONTH_CODES = "FGHJKMNQUVXZ"  # CME month codes, January .. December
CONTRACT_PATTERN = re.compile(r"^ZQ([FGHJKMNQUVXZ])(\d{2})\.CBT$")
# The same pattern for SQL (sql/staging/stg_fed_funds_contracts.sql and the rates suite).
CONTRACT_REGEX = r"^ZQ[FGHJKMNQUVXZ][0-9][0-9]\.CBT$"
HORIZON_MONTHS = 12  # contract months fetched: the as-of month and the 11 after it
SOURCE = "fed_schedule"


def contract_symbol(month: dt.date) -> str:
    """Yahoo's symbol for the contract month containing `month`: 2027-01 -> ZQF27.CBT."""
    return f"ZQ{MONTH_CODES[month.month - 1]}{month.year % 100:02d}.CBT"


def contract_month(symbol: str) -> dt.date | None:
    """The first day of the month `symbol` settles on, or None for any other symbol."""
    match = CONTRACT_PATTERN.match(symbol.upper())
    if not match:
        return None
    return dt.date(2000 + int(match.group(2)), MONTH_CODES.index(match.group(1)) + 1, 1)


def contract_symbols(as_of: dt.date, months: int = HORIZON_MONTHS) -> list[str]:
    """The contract months from the as-of month on: ZQZ26.CBT, ZQF27.CBT, ..."""
    first = dt.date(as_of.year, as_of.month, 1)
    out = []
    for k in range(months):
        y, m = divmod(first.month - 1 + k, 12)
        out.append(contract_symbol(dt.date(first.year + y, m + 1, 1)))
    return out


def bundled_calendar() -> pd.DataFrame:
    """The bundled calendar as a `fomc_calendar` contract frame (source='fed_schedule')."""
    from importlib import resources

    text = resources.files("scout_pipeline").joinpath("data", "fomc_calendar.csv").read_text(encoding="utf-8")
    from io import StringIO

    frame = pd.read_csv(StringIO(text), parse_dates=["meeting_date", "first_day"])
    frame["source"] = SOURCE
    return frame[columns("fomc_calendar")]
