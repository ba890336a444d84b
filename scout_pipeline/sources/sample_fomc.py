"""The sample source's FOMC story (SYNTHETIC, like the rest of the sample): a meeting calendar,
the target range, and the monthly 30-day fed funds contracts of the last `CONTRACT_SESSIONS`
sessions, priced so the FedWatch arithmetic of marts.fomc_expectations recovers the plant.

Calendar: eight meetings a year shaped like the Fed's (the last Wednesday of January, April,
July and October; the Wednesday of the week holding the 17th in March, June, September and
December), never two taking effect in one month.

Plant: the policy rate is flat at the sample's DFF level for the whole contract window and no
meeting in it moves it. The first four meetings after the as-of session are priced for moves of
``PLANTED_MOVES_BPS`` times a dovishness factor that rises 0.4 -> 0.7 -> 1.0 (20 and 5 sessions
before as-of, and on it): the next meeting's cut goes from 32% to 80% priced. Each contract
month is the exact average of the daily rate that path implies (days already gone at DFF).
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt

import numpy as np
import pandas as pd

from scout_pipeline.sources.fomc import contract_month, contract_symbols

CONTRACT_SESSIONS = 60
PLANTED_MOVES_BPS = (-20.0, -20.0, -10.0, -10.0)  # meetings 1..4 after as-of, at full dovishness
DOVISH_20_BACK, DOVISH_5_BACK, DOVISH_AS_OF = 0.4, 0.7, 1.0


def _wednesdays(year: int, month: int) -> list[dt.date]:
    return [dt.date(year, month, d) for d in range(1, _cal.monthrange(year, month)[1] + 1)
            if dt.date(year, month, d).weekday() == 2]


def synthetic_calendar(first_year: int, last_year: int) -> list[dt.date]:
    """Meeting (statement) days of the synthetic calendar, first_year .. last_year."""
    out = []
    for year in range(first_year, last_year + 1):
        for month in (1, 3, 4, 6, 7, 9, 10, 12):
            weds = _wednesdays(year, month)
            if month in (1, 4, 7, 10):
                out.append(weds[-1])
            else:
                seventeenth = dt.date(year, month, 17)
                out.append(min(weds, key=lambda w: abs((w - seventeenth).days) + (0.5 if w < seventeenth else 0)))
    return out


def dovishness(k: np.ndarray) -> np.ndarray:
    """The factor at k sessions before as-of (k = 0: as-of), for k = 0 .. CONTRACT_SESSIONS - 1."""
    return np.interp(-k, [-CONTRACT_SESSIONS, -20, -5, 0],
                     [DOVISH_20_BACK, DOVISH_20_BACK, DOVISH_5_BACK, DOVISH_AS_OF])


def _month_average(month: dt.date, base: float, steps: list[tuple[dt.date, float]]) -> float:
    """The average over `month`'s days of base + the moves (percent) effective by each day."""
    n = _cal.monthrange(month.year, month.month)[1]
    total = 0.0
    for d in range(1, n + 1):
        day = dt.date(month.year, month.month, d)
        total += base + sum(move for effective, move in steps if effective <= day)
    return total / n


def plant(days: list[dt.date], dff_level: float, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fomc_calendar frame, rates rows of the contract months) for the sessions `days`."""
    as_of = days[-1]
    meetings = synthetic_calendar(days[0].year - 1, as_of.year + 2)
    calendar = pd.DataFrame({"meeting_date": pd.to_datetime(meetings),
                             "first_day": pd.to_datetime([m - dt.timedelta(days=1) for m in meetings]),
                             "source": source})
    ahead = [m for m in meetings if m > as_of][:len(PLANTED_MOVES_BPS)]
    planted = dict(zip(ahead, PLANTED_MOVES_BPS))
    window = days[-CONTRACT_SESSIONS:]
    factor = dovishness(np.arange(len(window))[::-1])
    rows = []
    for day, f in zip(window, factor):
        steps = [(m + dt.timedelta(days=1), f * planted[m] / 100) for m in meetings if m > day and m in planted]
        for symbol in contract_symbols(day):
            avg = _month_average(contract_month(symbol), dff_level, steps)
            rows.append((symbol, pd.Timestamp(day), round(100.0 - avg, 6)))
    contracts = pd.DataFrame(rows, columns=["series", "date", "value"])
    contracts["source"] = source
    return calendar, contracts


def target_range(dff: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) bounds around the sample's DFF (DFF sits 8 bp above the lower bound)."""
    low = np.maximum(0.0, np.round((dff - 0.08) / 0.25) * 0.25)
    return low, low + 0.25
