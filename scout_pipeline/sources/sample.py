"""The sample market anchored on one as-of day: a deterministic, seeded, clearly SYNTHETIC market.

Its planted story ends on the as-of day, so moving the day regenerates all history: the
`sample` source itself is :mod:`scout_pipeline.sources.sample_daily` (stable from day to day,
planted on a fixed calendar); tests and benchmarks that check this story's exact figures call
:func:`load_sample` directly.

Everything here is made up (``source='sample'`` on every row; synthetic equities are called
"Sample Smallco 001", "Sample Largeco 001", …; the watchlist keeps real tickers and names but
synthetic numbers). It exists so the quickstart, the tests and the benchmarks run offline, and
so every mart has something to find: the situations below are *planted* and the tests check
them independently.

Conventions
- Dates: every ``date`` / ``as_of`` column is ``datetime64[ns]`` (normalized, tz-naive).
- Sessions come from :mod:`scout_pipeline.calendar` (NYSE). If ``as_of`` is not a session,
  all data end on the previous session; nothing is dated after ``as_of``. Japanese series
  (``^N225``, ``1306.T``) simply reuse the NYSE sessions. Attention (pageviews) covers every
  calendar day up to that last session.
- Identical inputs give identical frames: one ``numpy`` Generator seeded with ``seed``, no
  wall clock. ``loaded_at`` is not in the frames (the store stamps it).

The market is a factor model (market, size, 11 sectors, idiosyncratic noise). ``^GSPC`` is the
cap-weighted index of the large caps and ``^RUT`` that of the small caps, except that ``^RUT``'s
daily spread over ``^GSPC`` is nudged on the few sessions where the planted streak pattern needs
another sign (so ^RUT tracks its constituents closely, not exactly). ``SPY`` tracks ``^GSPC``,
``IWM`` and ``^SP600`` track ``^RUT``, ``RSP`` is the equal-weighted large caps.

Planted (see :func:`planted` and the module constants):
a) streak: ^RUT's daily return beats ^GSPC's for exactly ``STREAK_CURRENT`` (7) sessions ending on
   the as-of session (behind on the session before); the most recent earlier such streak of at
   least that length is ``STREAK_PRIOR`` (9) sessions ending ``STREAK_PRIOR_END_BACK`` (150)
   sessions back; the record is ``STREAK_RECORD`` (12) sessions ending ``STREAK_RECORD_END_BACK``
   (1260, ~5 years) sessions back. No other ^RUT-ahead run reaches 7 within the last 150
   sessions, none reaches 9 elsewhere, and no run in either direction exceeds 10 otherwise.
b) fundamentals: ~40% of the S-tickers unprofitable; on the as-of session the small-cap aggregate
   forward P/E (Σ market cap ÷ Σ shares × forward EPS, losses included, over rows with a forward
   EPS) is ``SMALL_FORWARD_PE`` (15.0) against ``LARGE_FORWARD_PE`` (21.5) for the large caps.
c) breakouts among the small caps: three "cooling" (MOD and two S-tickers), one "failed", one
   "heating"; no other equity closed above its prior 252-session closing high in the last 60
   sessions.
d) rates: DFF flat at 4.33 (target range 4.25-4.50: ``DFEDTARL``/``DFEDTARU``); the implied rate
   from ``ZQ=F`` falls 4.30 -> 4.10 -> 3.95 (20 and 5 sessions before as-of, and on it); ``^IRX``
   and ``DGS2`` drift down with it. A synthetic FOMC calendar and the monthly contracts
   ``ZQ<month><yy>.CBT`` of the last 60 sessions price a repricing (``sample_fomc.py``): the next
   meeting's cut goes from 32% to 80% priced over 20 sessions.
e) attention: daily pageviews per equity; the breakout names spike around their breakout, the
   cooling ones then fade well below their earlier level, the heating one keeps rising.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from scout_pipeline.calendar import previous_session, sessions
from scout_pipeline.sources import sample_fomc
from scout_pipeline.sources.contracts import SourceData, columns
from scout_pipeline.sources.defaults import default_pairs, default_universe

SOURCE = "sample"

INDICES = ["^RUT", "^GSPC", "^SP600", "^IXIC", "^N225"]
ETFS = ["1306.T", "RSP", "SPY", "IWM"]
WATCHLIST_SMALL = ["MOD"]
WATCHLIST_LARGE = ["ADP", "VRT", "JCI", "TT", "NVDA", "MSFT", "AAPL"]
WATCHLIST = ["ADP", "VRT", "MOD", "JCI", "TT", "NVDA", "MSFT", "AAPL"]

FUNDAMENTAL_SESSIONS = 260
ATTENTION_DAYS = 400
BREAKOUT_LOOKBACK = 252     # "prior N-session closing high"
QUIET_WINDOW = 60           # no unplanted equity makes a new 252-session high in these sessions

STREAK_CURRENT = 7
STREAK_PRIOR = 9
STREAK_PRIOR_END_BACK = 150
STREAK_RECORD = 12
STREAK_RECORD_END_BACK = 1260

SMALL_FORWARD_PE = 15.0
LARGE_FORWARD_PE = 21.5
UNPROFITABLE_SMALL_SHARE = 0.40

DFF_LEVEL = 4.33
IMPLIED_20_BACK = 4.30
IMPLIED_5_BACK = 4.10
IMPLIED_AS_OF = 3.95
RATE_SERIES = ["ZQ=F", "^IRX", "DFF", "DGS2"]

NULL_SHARE = 0.02  # share of randomly vanished fundamentals fields (never keys, caps or shares)

SECTORS = [
    "Information Technology", "Health Care", "Financials", "Consumer Discretionary",
    "Communication Services", "Industrials", "Consumer Staples", "Energy", "Utilities",
    "Real Estate", "Materials",
]
INDUSTRIES = {
    "Information Technology": ["Software", "Semiconductors", "Technology Hardware", "IT Services"],
    "Health Care": ["Biotechnology", "Health Care Equipment", "Pharmaceuticals"],
    "Financials": ["Banks", "Insurance", "Capital Markets"],
    "Consumer Discretionary": ["Automobile Components", "Specialty Retail",
                               "Hotels, Restaurants & Leisure"],
    "Communication Services": ["Media", "Entertainment", "Interactive Media & Services"],
    "Industrials": ["Machinery", "Building Products", "Electrical Equipment",
                    "Professional Services"],
    "Consumer Staples": ["Food Products", "Household Products", "Beverages"],
    "Energy": ["Oil, Gas & Consumable Fuels", "Energy Equipment & Services"],
    "Utilities": ["Electric Utilities", "Gas Utilities"],
    "Real Estate": ["Equity REITs", "Real Estate Management & Development"],
    "Materials": ["Chemicals", "Metals & Mining", "Containers & Packaging"],
}
_WATCHLIST_FACTS = {  # ticker: (industry, price on as-of, market cap, daily pageviews)
    "ADP": ("Professional Services", 300.0, 1.2e11, 3000),
    "VRT": ("Electrical Equipment", 130.0, 5.0e10, 4000),
    "MOD": ("Automobile Components", 150.0, 7.0e9, 1500),
    "JCI": ("Building Products", 105.0, 7.0e10, 3500),
    "TT": ("Building Products", 430.0, 9.5e10, 2500),
    "NVDA": ("Semiconductors", 180.0, 4.3e12, 60000),
    "MSFT": ("Software", 510.0, 3.8e12, 40000),
    "AAPL": ("Technology Hardware", 230.0, 3.4e12, 50000),
}

# Planted breakouts: (status, slot, sessions before as-of of the breakout, sessions from the
# breakout to the peak, peak / breakout level, as-of close as a fraction of the peak).
# slot "MOD" is the watchlist name; an int picks an S-ticker via `_planted_slots`.
_BREAKOUTS = [
    ("cooling", "MOD", 24, 4, 1.16, 0.900),
    ("cooling", 0, 26, 3, 1.17, 0.905),
    ("cooling", 1, 28, 5, 1.15, 0.895),
    ("failed", 2, 25, 3, 1.07, 0.94 / 1.07),
    ("heating", 3, 10, 9, 1.12, 0.990),
]
_BREAKOUT_CLOSE = {"cooling": 1.04, "failed": 1.03, "heating": 1.035}


# --------------------------------------------------------------------------- tickers

def _width(n: int) -> int:
    return max(3, len(str(n)))


def small_tickers(n_small: int = 60) -> list[str]:
    """The synthetic small caps S001.. (the watchlist's MOD is a small cap too)."""
    w = _width(n_small)
    return [f"S{i:0{w}d}" for i in range(1, n_small + 1)]


def large_tickers(n_large: int = 40) -> list[str]:
    """The synthetic large caps L001.. (the other watchlist names are large caps too)."""
    w = _width(n_large)
    return [f"L{i:0{w}d}" for i in range(1, n_large + 1)]


def _planted_slots(n_small: int) -> list[int]:
    """0-based positions among the S-tickers of the four planted S names."""
    return [int(n_small * f) for f in (0.1, 0.3, 0.5, 0.7)]


def planted(n_small: int = 60) -> dict[str, list[str]]:
    """The planted breakout tickers by status, for a given `n_small`."""
    smalls = small_tickers(n_small)
    slots = _planted_slots(n_small)
    out: dict[str, list[str]] = {"cooling": [], "failed": [], "heating": []}
    for status, slot, *_ in _BREAKOUTS:
        out[status].append("MOD" if slot == "MOD" else smalls[slots[slot]])
    return out


def planted_breakouts(n_small: int = 60) -> dict[str, dict]:
    """Per planted ticker: status, sessions back of breakout and peak, designed ratios."""
    names = planted(n_small)
    counters = {k: 0 for k in names}
    out = {}
    for status, _slot, back, to_peak, peak_mult, end_frac in _BREAKOUTS:
        ticker = names[status][counters[status]]
        counters[status] += 1
        out[ticker] = {"status": status, "breakout_back": back, "peak_back": back - to_peak,
                       "peak_vs_level": peak_mult, "close_vs_peak": end_frac}
    return out


PLANTED = planted(60)


# --------------------------------------------------------------------------- helpers

def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _str_column(values: list[str], codes: np.ndarray) -> pd.array:
    """values[codes] as a pandas `str` column, built in Arrow (fast for millions of rows)."""
    taken = pa.array(values, type=pa.large_string()).take(pa.array(codes))
    return pd.array(taken, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _dates(days) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(pd.to_datetime(list(days))).as_unit("ns").values)


def _bridge(x0: float, x1: float, n: int, sigma: float, rng) -> np.ndarray:
    """n log-values after x0 going to x1 (the last equals x1): a Brownian bridge."""
    if n <= 0:
        return np.empty(0)
    steps = rng.normal(0.0, sigma, n)
    walk = np.cumsum(steps)
    k = np.arange(1, n + 1) / n
    return x0 + (x1 - x0) * k + walk - k * walk[-1]


def _fold(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reflect values off the band [lo, hi] (no flat stretches at a cap), then clip."""
    values = np.where(values > hi, 2 * hi - values, values)
    values = np.where(values < lo, 2 * lo - values, values)
    return np.clip(values, lo, hi)


def _runs(sign: np.ndarray):
    """(start, end, value) of runs of equal values in a 1-d array."""
    change = np.flatnonzero(np.diff(sign) != 0) + 1
    starts = np.r_[0, change]
    ends = np.r_[change - 1, len(sign) - 1]
    return starts, ends, sign[starts]


def _streak_blocks(E: int) -> list[tuple[int, int]]:
    """Positions (start, end) of the planted ^RUT-ahead streaks: record, prior, current."""
    record_end = E - STREAK_RECORD_END_BACK
    if record_end - STREAK_RECORD < 2:  # short history: put the record halfway back
        record_end = max(STREAK_RECORD + 2, (E - STREAK_PRIOR_END_BACK - 20) // 2)
    prior_end = E - STREAK_PRIOR_END_BACK
    return [
        (record_end - STREAK_RECORD + 1, record_end),
        (prior_end - STREAK_PRIOR + 1, prior_end),
        (E - STREAK_CURRENT + 1, E),
    ]


def _plan_signs(spread: np.ndarray, E: int) -> np.ndarray:
    """The sign of ^RUT-minus-^GSPC per session: natural where allowed, planted, runs capped."""
    sign = np.where(spread > 0, 1, -1)
    sign[0] = 0
    blocks = _streak_blocks(E)
    protected = np.zeros(E + 1, dtype=bool)
    for start, end in blocks:
        sign[start:end + 1] = 1
        protected[start:end + 1] = True
        for edge in (start - 1, end + 1):
            if 1 <= edge <= E:
                sign[edge] = -1
                protected[edge] = True
    block_set = set(blocks)
    for _ in range(1000):
        starts, ends, vals = _runs(sign[1:])
        starts, ends = starts + 1, ends + 1
        flipped = False
        for s, e, v in zip(starts, ends, vals):
            if (s, e) in block_set:
                continue
            length = e - s + 1
            if v > 0:
                cap = STREAK_CURRENT - 1 if e >= E - STREAK_PRIOR_END_BACK + 1 else STREAK_PRIOR - 1
            else:
                cap = 10
            if length <= cap:
                continue
            interior = np.arange(s + 1, e)
            interior = interior[~protected[interior]]
            mid = interior[np.argmin(np.abs(interior - (s + e) / 2))]
            sign[mid] = -v
            flipped = True
        if not flipped:
            return sign
    raise RuntimeError("could not plan the streak signs")  # pragma: no cover


def _ohlc(close: np.ndarray, sigma: np.ndarray, rng):
    """open/high/low around a (T, K) close matrix; consistent and positive."""
    prev = np.vstack([close[:1], close[:-1]])
    shape = close.shape
    opens = prev * np.exp(rng.standard_normal(shape) * (0.3 * sigma))
    top = np.maximum(opens, close)
    bottom = np.minimum(opens, close)
    high = top * np.exp(np.abs(rng.standard_normal(shape)) * (0.45 * sigma))
    low = bottom * np.exp(-np.abs(rng.standard_normal(shape)) * (0.45 * sigma))
    return opens, high, low


def _dividend_factor(T: int, yields: np.ndarray, rng) -> np.ndarray:
    """(T, K) adj_close/close factors: quarterly ex-dividend steps, 1 after the last one."""
    E = T - 1
    offset = rng.integers(0, 63, size=len(yields))
    t = np.arange(T)[:, None]
    last_ex = E - offset[None, :]
    n_after = np.where(t >= last_ex, 0, (last_ex - t - 1) // 63 + 1)
    return (1.0 - yields[None, :] / 4.0) ** n_after


# --------------------------------------------------------------------------- the market

def load_sample(
    as_of: dt.date,
    *,
    years: int = 10,
    n_small: int = 60,
    n_large: int = 40,
    seed: int = 7,
    fundamental_sessions: int = FUNDAMENTAL_SESSIONS,
) -> SourceData:
    """A synthetic market ending on `as_of` (or the session before it). See the module doc."""
    if years < 2:
        raise ValueError("the sample market needs at least 2 years of history")
    if n_small < 10 or n_large < 5:
        raise ValueError("the sample market needs n_small >= 10 and n_large >= 5")
    as_of = pd.Timestamp(as_of).date()
    end = previous_session(as_of)
    days = sessions(_years_before(end, years), end)
    T = len(days)
    E = T - 1
    rng = np.random.default_rng(seed)

    smalls = small_tickers(n_small) + WATCHLIST_SMALL
    larges = large_tickers(n_large) + WATCHLIST_LARGE
    equities = smalls + larges
    NS, N = len(smalls), len(smalls) + len(larges)
    is_small = np.arange(N) < NS
    idx = {t: i for i, t in enumerate(equities)}
    plan = planted_breakouts(n_small)
    planted_idx = np.array([idx[t] for t in plan])
    is_planted = np.zeros(N, dtype=bool)
    is_planted[planted_idx] = True

    # ---- static attributes
    sector_of = rng.permutation(N) % len(SECTORS)
    wl_sector = {r["ticker"]: r["sector"] for r in default_universe().to_dict("records")}
    for t in WATCHLIST:
        sector_of[idx[t]] = SECTORS.index(wl_sector[t])
    industry_pick = rng.integers(0, 12, size=N)
    industries = []
    for i in range(N):
        options = INDUSTRIES[SECTORS[sector_of[i]]]
        industries.append(options[industry_pick[i] % len(options)])
    for t in WATCHLIST:
        industries[idx[t]] = _WATCHLIST_FACTS[t][0]

    beta = np.where(is_small, rng.normal(1.1, 0.2, N), rng.normal(1.0, 0.2, N))
    gamma = np.where(is_small, rng.normal(1.0, 0.15, N), 0.0)
    sig_idio = np.where(is_small, rng.uniform(0.016, 0.028, N), rng.uniform(0.009, 0.016, N))
    drift = rng.normal(0.0002, 0.0002, N)
    price_end = np.where(is_small, np.exp(rng.normal(np.log(25), 0.7, N)),
                         np.exp(rng.normal(np.log(120), 0.7, N)))
    cap_end = np.where(is_small, np.clip(np.exp(rng.normal(np.log(1.5e9), 0.7, N)), 2e8, 8e9),
                       np.clip(np.exp(rng.normal(np.log(6e10), 1.0, N)), 1e10, 1.5e12))
    for t in WATCHLIST:
        _, price, cap, _ = _WATCHLIST_FACTS[t]
        price_end[idx[t]], cap_end[idx[t]] = price, cap

    # ---- factors (a slow volatility regime scales them)
    vol = np.empty(T)
    vol[0] = 0.0
    shocks = rng.normal(0.0, 0.06, T)
    for t in range(1, T):  # AR(1) in log-vol; scalar loop over ~2.5k sessions
        vol[t] = 0.98 * vol[t - 1] + shocks[t]
    vol = np.clip(np.exp(vol), 0.6, 2.2)
    market = rng.normal(0.0004, 0.0095, T) * vol
    size = rng.normal(0.0, 0.0045, T) * vol
    sector_f = rng.normal(0.0, 0.005, (T, len(SECTORS))) * vol[:, None]
    for start, stop in _streak_blocks(E):  # lean the size factor toward the planted streaks
        size[start:stop + 1] = np.abs(size[start:stop + 1]) + 0.004
        for edge in (start - 1, stop + 1):
            if 1 <= edge <= E:
                size[edge] = -abs(size[edge]) - 0.004

    # ---- equity log prices (T, N)
    R = rng.standard_normal((T, N))
    R *= sig_idio
    R += market[:, None] * beta + size[:, None] * gamma + drift
    R += sector_f[:, sector_of]
    R[0] = 0.0
    LX = np.cumsum(R, axis=0)
    LX += (np.log(price_end) - LX[E])
    del R

    # ---- no new 252-session closing high in the last 60 sessions (reflect below 0.995 x high)
    free = ~is_planted
    ceiling_gap = np.log(0.995)
    for t in range(E - QUIET_WINDOW + 1, E + 1):
        ceiling = LX[t - BREAKOUT_LOOKBACK:t].max(axis=0) + ceiling_gap
        excess = LX[t] - ceiling
        hit = np.flatnonzero((excess > 0) & free)
        if hit.size:
            LX[t:, hit] -= 2.0 * excess[hit]

    # ---- planted breakouts
    for ticker, spec in plan.items():
        j = idx[ticker]
        x = LX[:, j]
        status = spec["status"]
        b = E - spec["breakout_back"]
        p = E - spec["peak_back"]
        anchor = min(b - 41, E - QUIET_WINDOW)
        # shape the history so the anchor price sits ~7% under the year's closing high:
        # squeeze excursions above the anchor level, or (already near the high) flatten the
        # trend that led there
        lo_t = b - BREAKOUT_LOOKBACK
        gap = np.log(1 / 0.93)
        u = x[:anchor + 1] - x[anchor]
        top = u[lo_t:].max()
        if top >= gap:
            u = np.where(u > 0, u * (gap / top), u)
        else:
            w = np.minimum(anchor - np.arange(anchor + 1), BREAKOUT_LOOKBACK) / BREAKOUT_LOOKBACK
            a_lo, a_hi = -3.0, 0.0  # h(a) = max(u - a w) over the window falls as a rises
            for _ in range(60):
                a = 0.5 * (a_lo + a_hi)
                if (u[lo_t:] - a * w[lo_t:]).max() > gap:
                    a_lo = a
                else:
                    a_hi = a
            u = u - a_lo * w
        x[:anchor + 1] = x[anchor] + u
        level = x[lo_t:anchor + 1].max()
        # base-building run-up to just under the level
        n_ramp = b - 1 - anchor
        ramp = _bridge(x[anchor], level + np.log(0.975), n_ramp, 0.012, rng)
        ramp[:-1] = _fold(ramp[:-1], -np.inf, level + np.log(0.985))
        x[anchor + 1:b] = ramp
        # breakout, run to the peak, then the designed as-of close
        x_b = level + np.log(_BREAKOUT_CLOSE[status])
        x_p = level + np.log(spec["peak_vs_level"])
        x_e = x_p + np.log(spec["close_vs_peak"])
        x[b] = x_b
        up = _bridge(x_b, x_p, p - b, 0.008, rng)
        up[:-1] = _fold(up[:-1], level + np.log(1.005), x_p + np.log(0.993))
        x[b + 1:p + 1] = up
        down = _bridge(x_p, x_e, E - p, 0.010, rng)
        floor = level + np.log(1.01) if status == "cooling" else level + np.log(0.85)
        down[:-1] = _fold(down[:-1], floor, x_p + np.log(0.985))
        x[p + 1:] = down

    close = np.round(np.exp(LX), 4)
    del LX
    shares = np.round(cap_end / close[E])
    rets = np.vstack([np.zeros((1, N)), close[1:] / close[:-1] - 1.0])

    # ---- indices and ETFs
    gspc_lvl = close[:, NS:] @ shares[NS:]
    rut_lvl = close[:, :NS] @ shares[:NS]
    g = np.r_[0.0, gspc_lvl[1:] / gspc_lvl[:-1] - 1.0]
    r_nat = np.r_[0.0, rut_lvl[1:] / rut_lvl[:-1] - 1.0]
    d_nat = r_nat - g
    sign = _plan_signs(d_nat, E)
    keep = (np.sign(d_nat) == sign) & (np.abs(d_nat) >= 2e-4)
    nudge = sign * rng.uniform(0.0004, 0.0025, T)
    spread = np.where(keep, d_nat, nudge)
    spread[0] = 0.0
    r = g + spread
    rsp_r = rets[:, NS:].mean(axis=1) - 0.002 / 252
    n225 = np.r_[0.0, 0.35 * g[:-1]] + rng.normal(0.0002, 0.011, T)
    index_rets = {
        "^RUT": r,
        "^GSPC": g,
        "^SP600": r + rng.normal(0.0, 0.0015, T),
        "^IXIC": 1.18 * g + rng.normal(0.0, 0.0035, T),
        "^N225": n225,
        "1306.T": 0.85 * n225 + rng.normal(0.0, 0.004, T),
        "RSP": rsp_r,
        "SPY": g - 0.000945 / 252 + rng.normal(0.0, 0.00015, T),
        "IWM": r - 0.0019 / 252 + rng.normal(0.0, 0.0003, T),
    }
    index_end = {"^RUT": 2250.0, "^GSPC": 6400.0, "^SP600": 1380.0, "^IXIC": 21000.0,
                 "^N225": 40000.0, "1306.T": 3100.0, "RSP": 185.0, "SPY": 640.0, "IWM": 225.0}
    index_volume = {"^RUT": 1.2e9, "^GSPC": 4.5e9, "^SP600": 4.0e8, "^IXIC": 7.0e9,
                    "^N225": 1.2e8, "1306.T": 6.0e6, "RSP": 1.0e7, "SPY": 7.0e7, "IWM": 3.0e7}
    index_yield = {"1306.T": 0.022, "RSP": 0.016, "SPY": 0.012, "IWM": 0.011}
    others = INDICES + ETFS
    K = len(others)
    iret = np.column_stack([index_rets[t] for t in others])
    iret[0] = 0.0
    ilvl = np.cumprod(1.0 + iret, axis=0)
    ilvl *= np.array([index_end[t] for t in others]) / ilvl[E]
    iclose = np.round(ilvl, 2)
    isig = iret[1:].std(axis=0)
    io, ih, il = _ohlc(iclose, isig, rng)
    iyield = np.array([index_yield.get(t, 0.0) for t in others])
    iadj = np.round(iclose * _dividend_factor(T, iyield, rng), 2)
    iabs = np.abs(iret) / isig
    ivol = np.array([index_volume[t] for t in others]) * np.exp(rng.normal(0, 0.25, (T, K)))
    ivol *= 0.75 + 0.25 * iabs
    ivol = np.maximum(np.round(ivol), 1).astype(np.int64)

    # ---- equity OHLC, adj_close, volume
    sig_obs = rets[1:].std(axis=0)
    eo, eh, el = _ohlc(close, sig_obs, rng)
    yields = np.where(rng.random(N) < 0.3, 0.0, rng.uniform(0.004, 0.03, N))
    eadj = np.round(close * _dividend_factor(T, yields, rng), 4)
    turnover = np.where(is_small, 0.008, 0.005) * np.exp(rng.normal(0, 0.4, N))
    base_vol = shares * turnover
    evol = rng.standard_normal((T, N))
    evol *= 0.3
    np.exp(evol, out=evol)
    evol *= base_vol
    evol *= 0.7 + 0.3 * np.abs(rets) / sig_obs
    for ticker, spec in plan.items():
        j = idx[ticker]
        b = E - spec["breakout_back"]
        avg = evol[b - 50:b, j].mean()
        evol[b, j] = 3.2 * avg
        evol[b + 1, j] = 2.2 * avg
        if b + 2 <= E:
            evol[b + 2, j] = 1.7 * avg
        after = {"cooling": 0.8, "failed": 1.1, "heating": 1.6}[spec["status"]]
        tail = np.arange(b + 3, E + 1)
        evol[tail, j] = after * avg * np.exp(rng.normal(0, 0.2, tail.size))
    evol = np.maximum(np.round(evol), 1).astype(np.int64)

    # ---- prices frame (ticker-major, dates ascending)
    tickers_all = others + equities
    dates_ns = _dates(days)
    n_all = len(tickers_all)

    def stack(a_idx, a_eq):
        return np.concatenate([a_idx.T.ravel(), a_eq.T.ravel()])

    prices = pd.DataFrame({
        "ticker": _str_column(tickers_all, np.repeat(np.arange(n_all), T)),
        "date": np.tile(dates_ns, n_all),
        "open": stack(np.round(io, 2), np.round(eo, 4)),
        "high": stack(np.round(ih, 2), np.round(eh, 4)),
        "low": stack(np.round(il, 2), np.round(el, 4)),
        "close": stack(iclose, close),
        "adj_close": stack(iadj, eadj),
        "volume": stack(ivol, evol),
    })
    prices["source"] = _str_column([SOURCE], np.zeros(len(prices), dtype=np.int64))
    del eo, eh, el, eadj, evol

    # ---- fundamentals
    F = min(fundamental_sessions, T)
    fidx = np.arange(E - F + 1, E + 1)
    fclose = close[fidx]                                   # (F, N)
    mcap_end = close[E] * shares
    nulls = {f: rng.random((F, N)) < NULL_SHARE for f in (
        "forward_eps", "trailing_eps", "net_income_ttm", "profit_margin", "earnings_growth",
        "revenue_growth", "debt_to_equity", "total_debt", "total_cash", "industry")}

    s_pool = np.array([i for i in range(n_small) if not is_planted[i]])
    n_loss_small = round(UNPROFITABLE_SMALL_SHARE * n_small)
    unprofitable = np.zeros(N, dtype=bool)
    unprofitable[rng.choice(s_pool, size=n_loss_small, replace=False)] = True
    l_pool = np.arange(NS, NS + n_large)
    unprofitable[rng.choice(l_pool, size=max(1, round(0.05 * n_large)), replace=False)] = True

    pe = np.where(is_small, np.exp(rng.normal(np.log(11), 0.35, N)),
                  np.exp(rng.normal(np.log(21), 0.35, N)))
    fwd_earn = mcap_end / pe
    loss_fwd = unprofitable & (rng.random(N) < 0.6)        # still losing money next year
    fwd_earn[loss_fwd] = -mcap_end[loss_fwd] * rng.uniform(0.005, 0.05, loss_fwd.sum())
    fwd_earn[unprofitable & ~loss_fwd] = mcap_end[unprofitable & ~loss_fwd] * rng.uniform(
        0.01, 0.04, (unprofitable & ~loss_fwd).sum())
    covered = ~nulls["forward_eps"][F - 1]
    for seg_mask, target_pe in ((is_small, SMALL_FORWARD_PE), (~is_small, LARGE_FORWARD_PE)):
        m = seg_mask & covered
        pos = m & (fwd_earn > 0)
        neg_sum = fwd_earn[m & (fwd_earn <= 0)].sum()
        k = (mcap_end[m].sum() / target_pe - neg_sum) / fwd_earn[pos].sum()
        fwd_earn[seg_mask & (fwd_earn > 0)] *= k
    feps_end = fwd_earn / shares
    growth = rng.uniform(0.02, 0.25, N)
    teps_end = np.where(unprofitable, -np.abs(mcap_end * rng.uniform(0.01, 0.08, N)) / shares,
                        feps_end / (1 + growth))
    teps_end = np.where(~unprofitable & (teps_end <= 0), np.abs(teps_end) + 0.01, teps_end)
    walk_f = np.cumsum(rng.normal(0, 0.0015, (F, N)), axis=0)
    walk_t = np.cumsum(rng.normal(0, 0.0010, (F, N)), axis=0)
    feps = np.round(feps_end * np.exp(walk_f - walk_f[-1]), 4)
    teps = np.round(teps_end * np.exp(walk_t - walk_t[-1]), 4)
    fmcap = fclose * shares
    with np.errstate(divide="ignore", invalid="ignore"):
        fpe = np.where(feps > 0, np.round(fclose / feps, 4), np.nan)
        tpe = np.where(teps > 0, np.round(fclose / teps, 4), np.nan)
    rev_ps = close[E] / np.where(is_small, np.exp(rng.normal(np.log(1.2), 0.5, N)),
                                 np.exp(rng.normal(np.log(3.5), 0.5, N)))
    margin = np.clip(teps / rev_ps, -2.0, 0.6)
    earn_g = np.where(unprofitable, rng.normal(-0.1, 0.4, N), rng.normal(0.12, 0.15, N))
    rev_g = rng.normal(0.06, 0.08, N)
    dte = np.exp(rng.normal(np.log(55), 0.7, N))
    debt = mcap_end * np.exp(rng.normal(np.log(0.25), 0.6, N))
    cash = mcap_end * np.exp(rng.normal(np.log(0.08), 0.6, N))

    def field(values, name=None):
        arr = np.broadcast_to(values, (F, N)).astype(np.float64)
        if name is not None:
            arr = np.where(nulls[name], np.nan, arr)
        return arr.T.ravel()

    fe = np.where(nulls["forward_eps"], np.nan, feps)
    te = np.where(nulls["trailing_eps"], np.nan, teps)
    sector_names = [SECTORS[s] for s in sector_of]
    industry_codes = np.repeat(np.arange(N), F)
    industry_col = _str_column(industries, industry_codes)
    industry_col[nulls["industry"].T.ravel()] = np.nan
    fundamentals = pd.DataFrame({
        "ticker": _str_column(equities, np.repeat(np.arange(N), F)),
        "as_of": np.tile(dates_ns[fidx], N),
        "market_cap": field(fmcap),
        "shares_outstanding": field(shares),
        "forward_eps": fe.T.ravel(),
        "trailing_eps": te.T.ravel(),
        "forward_pe": np.where(np.isnan(fe), np.nan, fpe).T.ravel(),
        "trailing_pe": np.where(np.isnan(te), np.nan, tpe).T.ravel(),
        "net_income_ttm": field(np.round(teps * shares), "net_income_ttm"),
        "profit_margin": field(np.round(margin, 4), "profit_margin"),
        "earnings_growth": field(np.round(earn_g, 4), "earnings_growth"),
        "revenue_growth": field(np.round(rev_g, 4), "revenue_growth"),
        "debt_to_equity": field(np.round(dte, 3), "debt_to_equity"),
        "total_debt": field(np.round(debt), "total_debt"),
        "total_cash": field(np.round(cash), "total_cash"),
        "sector": _str_column(sector_names, np.repeat(np.arange(N), F)),
        "industry": industry_col,
    })
    fundamentals["source"] = _str_column([SOURCE], np.zeros(len(fundamentals), dtype=np.int64))

    # ---- universe
    universe = universe_frame(equities, others, is_small, sector_names, n_small, n_large)
    article_of = dict(zip(universe["ticker"], universe["wikipedia_article"]))
    terms = [article_of[t] or t for t in equities]

    # ---- attention: daily pageviews, calendar days up to the last session
    D = ATTENTION_DAYS
    cal = pd.date_range(end=pd.Timestamp(end), periods=D, freq="D").as_unit("ns")
    base_views = np.where(is_small, np.exp(rng.normal(np.log(900), 0.6, N)),
                          np.exp(rng.normal(np.log(7000), 0.6, N)))
    for t in WATCHLIST:
        base_views[idx[t]] = _WATCHLIST_FACTS[t][3]
    weekend = np.where(cal.day_of_week.values >= 5, 0.8, 1.0)
    drift_v = np.cumsum(rng.normal(0, 0.02, (D, N)), axis=0)
    drift_v -= drift_v.mean(axis=0)
    mult = weekend[:, None] * np.exp(0.5 * drift_v)
    mult *= np.exp(rng.normal(0, 0.18, (D, N)))
    day_no = (cal - cal[0]).days.values.astype(float)
    for ticker, spec in plan.items():
        j = idx[ticker]
        b_day = (pd.Timestamp(days[E - spec["breakout_back"]]) - cal[0]).days
        d = day_no - b_day
        spike = 5.0
        shape = np.where(d < 0, 1.0 + spike * np.exp(np.maximum(d, -60) / 3.0), 0.0)
        if spec["status"] == "heating":
            after = 1.6 + 0.8 * d / max(1.0, d.max()) + spike * np.exp(-d / 6.0)
        else:
            fade = 0.6 if spec["status"] == "cooling" else 0.75
            after = fade + (1.0 + spike - fade) * np.exp(-d / 2.5)
        shape = np.where(d >= 0, after, shape)
        mult[:, j] *= shape
    views = np.round(base_views * mult)
    attention = pd.DataFrame({
        "source": _str_column([SOURCE], np.zeros(D * N, dtype=np.int64)),
        "term": _str_column(terms, np.repeat(np.arange(N), D)),
        "date": np.tile(cal.values, N),
        "ticker": _str_column(equities, np.repeat(np.arange(N), D)),
        "value": views.T.ravel(),
    })

    # ---- rates
    rates = _rates(T, E, rng)
    rate_frame = pd.DataFrame({
        "series": _str_column(RATE_SERIES, np.repeat(np.arange(len(RATE_SERIES)), T)),
        "date": np.tile(dates_ns, len(RATE_SERIES)),
        "value": np.concatenate([rates[s] for s in RATE_SERIES]),
    })
    rate_frame["source"] = _str_column([SOURCE], np.zeros(len(rate_frame), dtype=np.int64))
    # FOMC: synthetic calendar, target range and contract months (sample_fomc.py)
    fomc_calendar, contracts = sample_fomc.plant(days, DFF_LEVEL, SOURCE)
    low, high = sample_fomc.target_range(rates["DFF"])
    bounds = pd.DataFrame({"series": np.repeat(["DFEDTARL", "DFEDTARU"], T), "date": np.tile(dates_ns, 2),
                           "value": np.r_[low, high], "source": SOURCE})
    rate_frame = pd.concat([rate_frame, bounds, contracts], ignore_index=True)

    pairs = default_pairs()
    pairs["source"] = pd.Series([SOURCE] * len(pairs), dtype=object)

    names_p = planted(n_small)
    notes = [
        f"SYNTHETIC sample market (seed {seed}, {T} NYSE sessions to {end.isoformat()}, "
        f"{NS} small caps, {len(larges)} large caps): not real data. Planted: a "
        f"{STREAK_CURRENT}-session ^RUT-over-^GSPC streak ending on {end.isoformat()} "
        f"(prior comparable {STREAK_PRIOR} sessions, record {STREAK_RECORD}); small-cap forward "
        f"P/E {SMALL_FORWARD_PE:g} vs large-cap {LARGE_FORWARD_PE:g} with "
        f"~{UNPROFITABLE_SMALL_SHARE:.0%} of small caps unprofitable; cooling/failed/heating "
        f"breakouts; a dovish shift in fed-funds futures "
        f"({IMPLIED_20_BACK:.2f}% -> {IMPLIED_AS_OF:.2f}% over 20 sessions, DFF {DFF_LEVEL:.2f}%).",
        "Planted cooling breakouts: " + ", ".join(names_p["cooling"]),
        "Planted failed breakout: " + ", ".join(names_p["failed"]),
        "Planted heating breakout: " + ", ".join(names_p["heating"]),
        f"Planted FOMC repricing (SYNTHETIC calendar and contract months ZQ<month><yy>.CBT, last "
        f"{sample_fomc.CONTRACT_SESSIONS} sessions): the next meeting's cut goes from "
        f"{-sample_fomc.DOVISH_20_BACK * sample_fomc.PLANTED_MOVES_BPS[0] * 4:.0f}% to "
        f"{-sample_fomc.DOVISH_AS_OF * sample_fomc.PLANTED_MOVES_BPS[0] * 4:.0f}% priced over 20 sessions.",
    ]
    if end != as_of:
        notes.append(f"{as_of.isoformat()} is not an NYSE session: data end on {end.isoformat()}.")

    frames = {
        "prices": prices[columns("prices")],
        # every synthetic snapshot is complete: its slow fields are as fresh as the rest
        "fundamentals": fundamentals.assign(profile_as_of=fundamentals["as_of"])[columns("fundamentals")],
        "attention": attention[columns("attention")],
        "rates": rate_frame[columns("rates")],
        "universe": universe.reset_index(drop=True),
        "pairs": pairs[columns("pairs")],
        "fomc_calendar": fomc_calendar[columns("fomc_calendar")],
    }
    return SourceData(name=SOURCE, frames=frames, notes=notes)


def _rates(T: int, E: int, rng) -> dict[str, np.ndarray]:
    """ZQ=F (price), ^IRX, DFF, DGS2 (percent) on every session, with the planted shift."""
    flat = 130  # sessions of a flat policy rate before as-of
    target = np.full(T, DFF_LEVEL)
    n_hist = max(0, E - flat + 1)
    if n_hist:
        n_blocks = n_hist // 42 + 1
        steps = rng.choice([-0.25, 0.0, 0.0, 0.25], size=n_blocks)
        levels = np.clip(DFF_LEVEL - np.cumsum(steps), 0.08, 5.33)
        back = (E - flat - np.arange(n_hist)) // 42  # block number counted backwards
        target[:n_hist] = levels[back]
    dff = np.round(target + np.where(np.arange(T) < n_hist, rng.normal(0, 0.005, T), 0.0), 2)

    def backward_ou(anchor: float, mean: float, sigma: float, upto: int) -> np.ndarray:
        out = np.empty(upto + 1)
        out[upto] = anchor
        eps = rng.normal(0, sigma, upto)
        for t in range(upto - 1, -1, -1):
            out[t] = out[t + 1] + 0.02 * (mean - out[t + 1]) + eps[t]
        return out

    a20 = E - 20
    irx_20, irx_end = 4.22, 3.98
    dgs2_20, dgs2_end = 3.95, 3.62
    implied = dff + np.r_[backward_ou(IMPLIED_20_BACK - DFF_LEVEL, -0.05, 0.01, a20), np.zeros(20)]
    irx = dff + np.r_[backward_ou(irx_20 - DFF_LEVEL, -0.1, 0.012, a20), np.zeros(20)]
    dgs2 = dff + np.r_[backward_ou(dgs2_20 - DFF_LEVEL, -0.15, 0.03, a20), np.zeros(20)]
    k = np.arange(1, 21)
    # the last 20 sessions: anchored paths (exact at E-20, E-5 and E), small noise in between
    seg = np.interp(k, [0, 15, 20], [IMPLIED_20_BACK, IMPLIED_5_BACK, IMPLIED_AS_OF])
    noise = rng.normal(0, 0.006, 20)
    noise[[14, 19]] = 0.0
    implied[a20] = IMPLIED_20_BACK
    implied[a20 + 1:] = seg + noise
    irx[a20] = irx_20
    irx[a20 + 1:] = np.interp(k, [0, 20], [irx_20, irx_end]) + np.r_[rng.normal(0, 0.008, 19), 0]
    dgs2[a20] = dgs2_20
    dgs2[a20 + 1:] = np.interp(k, [0, 20], [dgs2_20, dgs2_end]) + np.r_[rng.normal(0, 0.012, 19), 0]
    implied = np.clip(implied, 0.02, None)
    return {
        "ZQ=F": np.round(100.0 - implied, 4),
        "^IRX": np.round(np.clip(irx, 0.01, None), 3),
        "DFF": dff,
        "DGS2": np.round(np.clip(dgs2, 0.05, None), 2),
    }


def universe_frame(equities, others, is_small, sector_names, n_small, n_large) -> pd.DataFrame:
    """The universe frame (both sample markets): bundled facts for the real tickers,
    synthetic names for the rest."""
    w_s, w_l = _width(n_small), _width(n_large)
    defaults = {r["ticker"]: r for r in default_universe().to_dict("records")}
    rows = []
    for t in others:
        d = defaults[t]
        rows.append({"ticker": t, "name": d["name"], "asset_type": d["asset_type"], "segments": [],
                     "sector": None, "wikipedia_article": None})
    for i, t in enumerate(equities):
        if t in defaults:
            d = defaults[t]
            rows.append({"ticker": t, "name": d["name"], "asset_type": "equity", "segments": list(d["segments"]),
                         "sector": d["sector"], "wikipedia_article": d["wikipedia_article"]})
            continue
        name = f"Sample Smallco {t[1:]:0>{w_s}}" if is_small[i] else f"Sample Largeco {t[1:]:0>{w_l}}"
        if is_small[i]:
            segs = ["small_cap", "russell2000"] + (["sp600"] if i % 2 == 0 else [])
        else:
            segs = ["large_cap", "sp500"]
        rows.append({"ticker": t, "name": name, "asset_type": "equity", "segments": segs,
                     "sector": sector_names[i], "wikipedia_article": name})
    universe = pd.DataFrame(rows)
    universe["source"] = SOURCE
    universe = universe[columns("universe")].astype(object)
    return universe.where(universe.notna(), None).reset_index(drop=True)
