"""A SYNTHETIC sample market that is stable from day to day (``source='sample'``).

Unlike :mod:`scout_pipeline.sources.sample` (whose planted story is anchored on the as-of day,
so moving the day regenerates all history), this market is one fixed timeline: every session's
random draws come from a generator seeded with ``(seed, session date)``, prices accumulate from
a fixed epoch (``EPOCH``), and the planted situations follow a calendar that does not depend on
the as-of day. So ``load_daily_sample(D + 1)`` repeats every row of ``load_daily_sample(D)``
byte for byte (less the rows that leave the back of the ``years`` window) and adds the new day:
a next-day run ingests one day, the incremental path. Its SourceData is a ``rolling_window``:
ingest replaces only the days the window covers, so the stored rows before it stay.

Planted, on ANY as-of day (a story anchored on the as-of day cannot be stable):
a) breakouts: every ``SPACING`` sessions one small cap (they take turns) breaks out of its
   252-session closing high on 3.2x its volume, climbs ``RISE`` sessions to ~+14%, then either
   cools (holds above the level, >= 6% off the peak, attention down ~50%) or fails (back under
   the level), types cycling cooling, cooling, failed. Every as-of day's 60-session window holds
   six of them: the youngest is heating, those 25+ sessions old are two cooling and one failed.
   No other new closing high is volume-confirmed (its volume is capped at the ticker's normal).
b) valuation: every session the small-cap aggregate forward P/E is ``SMALL_FORWARD_PE`` and the
   large-cap one ``LARGE_FORWARD_PE``; ~40% of the synthetic small caps lose money.
c) streak: ^RUT beats ^GSPC for a planted run ending each ``STREAK_PERIOD`` sessions: 7 sessions,
   9 every 4th time, 12 (the record) every 24th; no other ^RUT-ahead run exceeds 6 sessions and
   no ^GSPC-ahead run exceeds 10. One 7-session run ends on 2026-11-20 (``streak_calendar``).
d) rates: on the synthetic FOMC calendar the Fed cuts 25 bp at ten meetings, then hikes 50 bp
   at five, over and over (DFF 8 bp above the target range's floor); every session prices each
   meeting of the coming year at ``priced_share`` of its move (more as it nears), so the contract
   months show a dovish shift through most of a cutting phase and a hawkish one in a hiking phase.
Prices mean-revert slowly toward a gently rising trend so two decades from the epoch stay
plausible; ``adj_close`` is total-return adjusted on a fixed basis (the epoch), never restated.
Fundamentals of a session depend only on that session's prices; attention of a day only on
that day's draws and the fixed breakout calendar: a day's rows never change later.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt

import numpy as np
import pandas as pd

from scout_pipeline.calendar import previous_session, sessions
from scout_pipeline.sources import sample as legacy
from scout_pipeline.sources import sample_fomc
from scout_pipeline.sources.contracts import SourceData, columns
from scout_pipeline.sources.defaults import default_pairs

SOURCE = "sample"
EPOCH = dt.date(2005, 1, 3)      # prices accumulate from here; the planted calendars count from here
SPACING = 10                     # sessions between two planted breakouts
RISE = 10                        # sessions from a breakout to its peak
RAMP = 20                        # sessions of base-building before a breakout
EPISODE = 60                     # sessions an episode is shaped (the breakout window)
TREND = 0.00012                  # log drift per session of the trend prices revert to
REVERSION = 0.003               # per session, toward the trend (a half-life of ~230 sessions)
RELAX = 120                      # sessions over which a shaped price returns to its own path
TYPES = ("cooling", "cooling", "failed")
STREAK_PERIOD = 63
STREAK_PHASE = 289
SMALL_FORWARD_PE = legacy.SMALL_FORWARD_PE
LARGE_FORWARD_PE = legacy.LARGE_FORWARD_PE
DFF_LEVEL = legacy.DFF_LEVEL
CYCLE_MEETINGS = 15             # the policy cycle: 10 meetings cutting 25 bp, 5 hiking 50 bp
PRICING_DAYS = 60
N_STATE_FIXED = 15               # market, size, vol shock, 11 sectors, nudge


def _rng(seed: int, day: dt.date, stream: int) -> np.random.Generator:
    """The generator of one day's draws: seeded per day, so adding a day changes no other."""
    return np.random.default_rng([seed, day.toordinal(), stream])


def _streak_length(cycle: int) -> int:
    return 12 if cycle % 24 == 23 else 9 if cycle % 4 == 1 else 7


def streak_calendar(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cycle, position in it) of session numbers g: the planted run ends each cycle's last
    session. STREAK_PHASE puts one such end, a 7-session run, on 2026-11-20 (the day the
    docs and tests show), with a 9 two cycles and the record 12 twenty cycles before it."""
    shifted = np.asarray(g) + STREAK_PHASE
    return shifted // STREAK_PERIOD, shifted % STREAK_PERIOD


def episodes(pool: list[str], g_first: int, g_last: int) -> list[tuple[int, str, str]]:
    """(breakout session number, ticker, type) of the planted breakouts in [g_first, g_last]
    (session numbers count from EPOCH = 0)."""
    out = []
    for k in range(max(0, -(-g_first // SPACING)), g_last // SPACING + 1):
        out.append((k * SPACING, pool[k % len(pool)], TYPES[k % len(TYPES)]))
    return out


def expected_statuses(as_of: dt.date, n_small: int = 60) -> dict[str, str]:
    """The planted breakouts of `as_of`'s 60-session window whose status is certain: heating
    until the peak, then (25+ sessions after the breakout) cooling or failed by type."""
    end = previous_session(pd.Timestamp(as_of).date())
    g_end = len(sessions(EPOCH, end)) - 1
    out = {}
    for b, ticker, kind in episodes(_pool(n_small), g_end - EPISODE + 1, g_end):
        age = g_end - b
        if age < RISE:
            out[ticker] = "heating"
        elif age >= 25:
            out[ticker] = kind
    return out


def planted_tickers(as_of: dt.date, n_small: int = 60) -> set[str]:
    """Every ticker with a planted breakout in `as_of`'s 60-session window."""
    end = previous_session(pd.Timestamp(as_of).date())
    g_end = len(sessions(EPOCH, end)) - 1
    return {t for _, t, _ in episodes(_pool(n_small), g_end - EPISODE + 1, g_end)}


def _pool(n_small: int) -> list[str]:
    return legacy.small_tickers(n_small) + legacy.WATCHLIST_SMALL


def _plant_breakout(x, b, kind, rng):
    """Shape one ticker's log closes x around a breakout at index b (in place)."""
    level = x[b - 252:b - RAMP].max()
    ramp = legacy._bridge(x[b - RAMP - 1], level + np.log(0.975), RAMP, 0.012, rng)
    x[b - RAMP:b] = np.minimum(ramp, level + np.log(0.985))
    x_b, x_p = level + np.log(1.04), level + np.log(1.14)
    x[b] = x_b
    a = np.arange(1, RISE + 1)
    rise = x_b + (x_p - x_b) * a / RISE + np.r_[rng.normal(0, 0.002, RISE - 1), 0.0]
    x[b + 1:b + RISE + 1] = np.minimum(rise, np.r_[np.full(RISE - 1, x_p - 0.001), x_p])
    p = b + RISE
    last = b + EPISODE - 1
    if kind == "cooling":
        mid, end_, lo, hi = x_p + np.log(0.90), x_p + np.log(0.905), level + np.log(1.015), x_p + np.log(0.94)
    else:
        mid, end_, lo, hi = level + np.log(0.94), level + np.log(0.93), level + np.log(0.85), level + np.log(0.985)
    m = b + 25
    down = legacy._bridge(x_p, mid, m - p, 0.008, rng)
    x[p + 1:m + 1] = np.r_[legacy._fold(down[:-1], lo, x_p + np.log(0.985)), mid]
    tail = legacy._bridge(mid, end_, last - m, 0.008, rng)
    x[m + 1:last + 1] = legacy._fold(tail, lo, hi)


def load_daily_sample(as_of: dt.date, *, years: int = 10, n_small: int = 60, n_large: int = 40,
                      seed: int = 7, fundamental_sessions: int = legacy.FUNDAMENTAL_SESSIONS) -> SourceData:
    """The stable synthetic market, `years` of sessions ending on `as_of` (or the session before)."""
    if years < 2:
        raise ValueError("the sample market needs at least 2 years of history")
    if n_small < 10 or n_large < 5:
        raise ValueError("the sample market needs n_small >= 10 and n_large >= 5")
    as_of = pd.Timestamp(as_of).date()
    end = previous_session(as_of)
    start = legacy._years_before(end, years)
    if start < EPOCH:
        raise ValueError(f"the stable sample market starts on {EPOCH}: as-of {as_of} with {years} "
                         f"years of history reaches before it")
    all_days = sessions(EPOCH, end)
    T_all = len(all_days)
    w0 = next(i for i, d in enumerate(all_days) if d >= start)
    days = all_days[w0:]
    T = len(days)

    smalls = legacy.small_tickers(n_small) + legacy.WATCHLIST_SMALL
    larges = legacy.large_tickers(n_large) + legacy.WATCHLIST_LARGE
    equities = smalls + larges
    NS, N = len(smalls), len(equities)
    is_small = np.arange(N) < NS
    idx = {t: i for i, t in enumerate(equities)}
    others = legacy.INDICES + legacy.ETFS
    K = len(others)

    # ---- static attributes (not per day: they never change)
    st = np.random.default_rng([seed, 0])
    sector_of = st.permutation(N) % len(legacy.SECTORS)
    beta = np.where(is_small, st.normal(1.1, 0.2, N), st.normal(1.0, 0.2, N))
    gamma = np.where(is_small, st.normal(1.0, 0.15, N), 0.0)
    sig_idio = np.where(is_small, st.uniform(0.016, 0.028, N), st.uniform(0.009, 0.016, N))
    drift = st.normal(0.0001, 0.0002, N)
    price0 = np.where(is_small, np.exp(st.normal(np.log(12), 0.6, N)), np.exp(st.normal(np.log(50), 0.6, N)))
    cap0 = np.where(is_small, np.clip(np.exp(st.normal(np.log(6e8), 0.7, N)), 1e8, 4e9),
                    np.clip(np.exp(st.normal(np.log(2.5e10), 1.0, N)), 4e9, 6e11))
    for t in legacy.WATCHLIST:  # the real names near their real price and size by the mid-2020s
        _, price, cap, _ = legacy._WATCHLIST_FACTS[t]
        growth_to_2026 = np.exp(TREND * ((dt.date(2026, 1, 1) - EPOCH).days * 252 / 365))
        price0[idx[t]], cap0[idx[t]] = price / growth_to_2026, cap / growth_to_2026
    shares = np.round(cap0 / price0)
    turnover = np.where(is_small, 0.008, 0.005) * np.exp(st.normal(0, 0.4, N))
    base_vol = shares * turnover
    yields = np.where(st.random(N) < 0.3, 0.0, st.uniform(0.004, 0.03, N))
    ex_offset = st.integers(0, 63, N)
    pe = np.where(is_small, np.exp(st.normal(np.log(11), 0.35, N)), np.exp(st.normal(np.log(21), 0.35, N)))
    unprofitable = np.zeros(N, dtype=bool)
    unprofitable[st.choice(n_small, size=round(legacy.UNPROFITABLE_SMALL_SHARE * n_small), replace=False)] = True
    unprofitable[st.choice(np.arange(NS, NS + n_large), size=max(1, round(0.05 * n_large)), replace=False)] = True
    loss_fwd = unprofitable & (st.random(N) < 0.6)
    loss_depth = st.uniform(0.005, 0.05, N)
    small_profit = st.uniform(0.01, 0.04, N)
    growth = st.uniform(0.02, 0.25, N)
    trailing_loss = st.uniform(0.01, 0.08, N)
    rev_mult = np.where(is_small, np.exp(st.normal(np.log(1.2), 0.5, N)), np.exp(st.normal(np.log(3.5), 0.5, N)))
    earn_g = np.where(unprofitable, st.normal(-0.1, 0.4, N), st.normal(0.12, 0.15, N))
    rev_g = st.normal(0.06, 0.08, N)
    dte = np.exp(st.normal(np.log(55), 0.7, N))
    debt_ratio = np.exp(st.normal(np.log(0.25), 0.6, N))
    cash_ratio = np.exp(st.normal(np.log(0.08), 0.6, N))
    base_views = np.where(is_small, np.exp(st.normal(np.log(900), 0.6, N)),
                          np.exp(st.normal(np.log(7000), 0.6, N)))
    view_phase = st.uniform(0, 2 * np.pi, N)
    index_sig = np.array([0.0, 0.0, 0.0015, 0.0035, 0.011, 0.004, 0.0, 0.00015, 0.0003])

    # ---- the per-session draws that accumulate from the epoch (one generator per day)
    M = N_STATE_FIXED + N + K
    draws = np.empty((T_all, M))
    for t, day in enumerate(all_days):
        draws[t] = _rng(seed, day, 0).standard_normal(M)
    vol = np.empty(T_all)
    vol[0] = 0.0
    for t in range(1, T_all):
        vol[t] = 0.98 * vol[t - 1] + 0.06 * draws[t, 2]
    vol = np.clip(np.exp(vol), 0.6, 2.2)
    market = (0.00025 + 0.0095 * draws[:, 0]) * vol
    size = 0.0045 * draws[:, 1] * vol
    sector_f = 0.005 * draws[:, 3:14] * vol[:, None]
    g_no = np.arange(T_all)
    cycle, pos = streak_calendar(g_no)
    length = np.array([_streak_length(c) for c in cycle])
    in_block = pos >= STREAK_PERIOD - length
    edge = (pos == STREAK_PERIOD - length - 1) | (pos == 0)
    size = np.where(in_block, np.abs(size) + 0.004, np.where(edge, -np.abs(size) - 0.004, size))

    R = draws[:, N_STATE_FIXED:N_STATE_FIXED + N] * sig_idio
    R += market[:, None] * beta + size[:, None] * gamma + drift + sector_f[:, sector_of]
    R[0] = 0.0
    # log prices: the day's return plus a slow pull toward a gently rising trend, so 20 years
    # from the epoch prices are still plausible (a pure random walk would spread them 50-fold)
    LX = np.empty((T_all, N))
    x = np.log(price0)
    for t in range(T_all):
        x = x + R[t] - REVERSION * (x - np.log(price0) - TREND * t)
        LX[t] = x

    # ---- planted breakouts, in order: each shapes its ticker, whose displacement from its own
    # path then relaxes over RELAX sessions (episodes never ratchet a price up for good)
    # (a breakout still to come shapes the sessions of its ramp already: those are history)
    eps = episodes(_pool(n_small), 252 + RAMP + 1, T_all - 1 + RAMP)
    natural = LX.copy()
    for b, ticker, kind in eps:
        j = idx[ticker]
        full = np.r_[LX[:, j], np.zeros(RAMP + EPISODE)]  # room for an episode running past the end
        _plant_breakout(full, b, kind, np.random.default_rng([seed, b, 3]))  # seeded per breakout
        stop = min(b + EPISODE, T_all)
        LX[b - RAMP:stop, j] = full[b - RAMP:stop]
        if stop < T_all:
            offset = LX[stop - 1, j] - natural[stop - 1, j]
            fade = np.clip(1.0 - np.arange(1, T_all - stop + 1) / RELAX, 0.0, None)
            LX[stop:, j] = natural[stop:, j] + offset * fade
    del natural
    close_all = np.round(np.exp(LX), 4)
    del LX

    # ---- indices: ^GSPC cap-weighted large caps, ^RUT its spread planted by sign
    gspc_lvl = close_all[:, NS:] @ shares[NS:]
    rut_lvl = close_all[:, :NS] @ shares[:NS]
    g = np.r_[0.0, gspc_lvl[1:] / gspc_lvl[:-1] - 1.0]
    d_nat = np.r_[0.0, rut_lvl[1:] / rut_lvl[:-1] - 1.0] - g
    sign = np.zeros(T_all, dtype=int)
    run = 0
    for t in range(1, T_all):
        s = 1 if in_block[t] else -1 if edge[t] else (1 if d_nat[t] > 0 else -1)
        if not (in_block[t] or edge[t]):
            same = run if (run > 0) == (s > 0) else 0
            if abs(same) >= (6 if s > 0 else 9):
                s = -s
        run = run + s if run and (run > 0) == (s > 0) else s
        sign[t] = s
    keep = (np.sign(d_nat) == sign) & (np.abs(d_nat) >= 2e-4)
    nudge = sign * (0.0004 + 0.0021 * np.abs(np.tanh(draws[:, 14])))
    spread = np.where(keep, d_nat, nudge)
    spread[0] = 0.0
    r = g + spread
    rets_eq = np.vstack([np.zeros((1, N)), close_all[1:] / close_all[:-1] - 1.0])
    noise = draws[:, N_STATE_FIXED + N:] * index_sig
    n225 = np.r_[0.0, 0.35 * g[:-1]] + 0.0002 + noise[:, 4]
    iret = np.column_stack([r, g, r + noise[:, 2], 1.18 * g + noise[:, 3], n225, 0.85 * n225 + noise[:, 5],
                            rets_eq[:, NS:].mean(axis=1) - 0.002 / 252, g - 0.000945 / 252 + noise[:, 7],
                            r - 0.0019 / 252 + noise[:, 8]])
    iret[0] = 0.0
    index_start = np.array([620.0, 1200.0, 330.0, 2100.0, 11500.0, 1150.0, 40.0, 120.0, 63.0])
    iclose_all = np.round(index_start * np.cumprod(1.0 + iret, axis=0), 2)

    # ---- the window only from here: per-day draws that do not accumulate
    close = close_all[w0:]
    iclose = iclose_all[w0:]
    wd = np.empty((T, 4 * (N + K) + 3 * N))
    for t, day in enumerate(days):
        wd[t] = _rng(seed, day, 1).standard_normal(wd.shape[1])
    z_o, z_h, z_l, z_v = (wd[:, i * (N + K):(i + 1) * (N + K)] for i in range(4))
    z_f = wd[:, 4 * (N + K):]
    allc = np.hstack([iclose, close])
    prev = np.vstack([close_all[w0 - 1:w0] if w0 else close[:1], close[:-1]])
    prev = np.hstack([np.vstack([iclose_all[w0 - 1:w0] if w0 else iclose[:1], iclose[:-1]]), prev])
    # typical daily moves from static parameters (not from the history, which grows daily)
    sig_all = np.r_[[0.013, 0.011, 0.013, 0.013, 0.012, 0.011, 0.011, 0.011, 0.013],
                    np.sqrt(sig_idio ** 2 + (0.0095 * beta) ** 2)]
    opens = prev * np.exp(z_o * 0.3 * sig_all)
    high = np.maximum(opens, allc) * np.exp(np.abs(z_h) * 0.45 * sig_all)
    low = np.minimum(opens, allc) * np.exp(-np.abs(z_l) * 0.45 * sig_all)

    # volume: an unplanted new closing high never comes on heavy volume
    vol_base = np.r_[[1.2e9, 4.5e9, 4.0e8, 7.0e9, 1.2e8, 6.0e6, 1.0e7, 7.0e7, 3.0e7], base_vol]
    absr = np.abs(np.vstack([iret[w0:].T, rets_eq[w0:].T]).T) / sig_all
    volume = vol_base * np.exp(0.3 * z_v) * (0.7 + 0.3 * np.minimum(absr, 4))
    cs = pd.DataFrame(close_all[max(0, w0 - 252):])
    prior_high = cs.shift(1).rolling(252, min_periods=1).max().to_numpy()[-T:]
    new_high = close > prior_high
    eq_vol = volume[:, K:]
    spike = np.zeros((T, N), dtype=bool)
    for b, ticker, kind in eps:
        j = idx[ticker]
        ages = np.arange(EPISODE)
        rows = b + ages - w0
        ok = (rows >= 0) & (rows < T)
        # one heavy day (the breakout); then heavier trading while it runs, lighter as it fades
        mult = np.where(ages == 0, 3.2, np.where(ages <= RISE, 1.2, 1.0 if kind == "cooling" else 1.1))
        eq_vol[rows[ok], j] = mult[ok] * base_vol[j] * np.exp(0.1 * z_v[rows[ok], K + j])
        if 0 <= b - w0 < T:
            spike[b - w0, j] = True
    # any other new closing high trades at most the name's normal volume: never a confirmed breakout
    cap = new_high & ~spike
    eq_vol[cap] = np.minimum(eq_vol, base_vol)[cap]
    volume = np.maximum(np.round(volume), 1).astype(np.int64)

    # adj_close on a fixed basis (EPOCH): quarterly ex-dividend steps before t, so it never restates
    iyield = np.array([0, 0, 0, 0, 0, 0.022, 0.016, 0.012, 0.011])
    yl = np.r_[iyield, yields]
    n_ex = (np.arange(w0, T_all)[:, None] + np.r_[np.zeros(K, int), ex_offset]) // 63
    adj = np.round(allc * (1.0 / (1.0 - yl / 4.0)) ** n_ex, 4)
    adj[:, :K] = np.where(yl[:K] == 0, iclose, np.round(adj[:, :K], 2))

    tickers_all = others + equities
    dates_ns = legacy._dates(days)
    n_all = len(tickers_all)
    rnd = np.r_[np.full(K, 2), np.full(N, 4)]

    def col(a, rounded=True):
        if rounded:
            a = np.column_stack([np.round(a[:, i], int(rnd[i])) for i in range(n_all)])
        return a.T.ravel()

    high = np.maximum(high, np.maximum(opens, allc))
    prices = pd.DataFrame({
        "ticker": legacy._str_column(tickers_all, np.repeat(np.arange(n_all), T)),
        "date": np.tile(dates_ns, n_all),
        "open": col(opens), "high": col(np.maximum(high, allc)), "low": col(np.minimum(low, allc)),
        "close": col(allc, False), "adj_close": col(adj, False), "volume": volume.T.ravel(),
    })
    prices["source"] = legacy._str_column([SOURCE], np.zeros(len(prices), dtype=np.int64))

    # ---- fundamentals: each session's rows from that session's closes and draws only
    F = min(fundamental_sessions, T)
    fc = close[T - F:]
    mcap = fc * shares
    earn = mcap / pe * np.exp(0.01 * z_f[T - F:, :N])
    earn = np.where(loss_fwd, -mcap * loss_depth, np.where(unprofitable, mcap * small_profit, earn))
    nulls = np.abs(z_f[T - F:, N:2 * N]) > 2.326  # ~2% of rows lose their forward EPS
    # each half of the small caps (in the S&P 600 or not) at the small-cap multiple, so every
    # small-cap segment reads ~15x, not just their union
    sp600 = is_small & (np.arange(N) < n_small) & (np.arange(N) % 2 == 0)
    for seg, target in ((sp600, SMALL_FORWARD_PE), (is_small & ~sp600, SMALL_FORWARD_PE),
                        (~is_small, LARGE_FORWARD_PE)):
        m = seg & ~nulls
        pos = np.where(m & (earn > 0), earn, 0.0).sum(axis=1)
        neg = np.where(m & (earn <= 0), earn, 0.0).sum(axis=1)
        k = ((mcap * m).sum(axis=1) / target - neg) / pos
        earn = np.where(seg & (earn > 0), earn * k[:, None], earn)
    feps = np.round(earn / shares, 4)
    teps = np.where(unprofitable, -np.abs(mcap * trailing_loss) / shares, feps / (1 + growth))
    teps = np.round(np.where(~unprofitable & (teps <= 0), np.abs(teps) + 0.01, teps), 4)
    other_null = np.abs(z_f[T - F:, 2 * N:]) > 2.326
    with np.errstate(divide="ignore", invalid="ignore"):
        fpe = np.where((feps > 0) & ~nulls, np.round(fc / feps, 4), np.nan)
        tpe = np.where(teps > 0, np.round(fc / teps, 4), np.nan)
    fe = np.where(nulls, np.nan, feps)

    def per(v, null=None):
        a = np.broadcast_to(v, (F, N)).astype(np.float64)
        return (np.where(null, np.nan, a) if null is not None else a).T.ravel()

    sector_names = [legacy.SECTORS[s] for s in sector_of]
    wl = {t: legacy._WATCHLIST_FACTS[t][0] for t in legacy.WATCHLIST}
    industries = [wl.get(t) or legacy.INDUSTRIES[sector_names[i]][i % len(legacy.INDUSTRIES[sector_names[i]])]
                  for i, t in enumerate(equities)]
    industry_col = legacy._str_column(industries, np.repeat(np.arange(N), F))
    industry_col[other_null.T.ravel()] = np.nan
    fundamentals = pd.DataFrame({
        "ticker": legacy._str_column(equities, np.repeat(np.arange(N), F)),
        "as_of": np.tile(dates_ns[T - F:], N),
        "market_cap": per(mcap), "shares_outstanding": per(shares),
        "forward_eps": fe.T.ravel(), "trailing_eps": per(teps),
        "forward_pe": fpe.T.ravel(), "trailing_pe": tpe.T.ravel(),
        "net_income_ttm": per(np.round(teps * shares)),
        "profit_margin": per(np.round(np.clip(teps / (fc / rev_mult), -2.0, 0.6), 4), other_null),
        "earnings_growth": per(np.round(earn_g, 4)), "revenue_growth": per(np.round(rev_g, 4)),
        "debt_to_equity": per(np.round(dte, 3)), "total_debt": per(np.round(mcap * debt_ratio)),
        "total_cash": per(np.round(mcap * cash_ratio), other_null),
        "sector": legacy._str_column(sector_names, np.repeat(np.arange(N), F)),
        "industry": industry_col,
    })
    fundamentals["source"] = SOURCE
    fundamentals["profile_as_of"] = fundamentals["as_of"]

    # ---- universe (as the anchored sample's)
    universe = legacy.universe_frame(equities, others, is_small, sector_names, n_small, n_large)
    article_of = dict(zip(universe["ticker"], universe["wikipedia_article"]))
    terms = [article_of[t] or t for t in equities]

    # ---- attention: each calendar day's draws, shaped by the fixed breakout calendar
    cal = pd.date_range(end=pd.Timestamp(end), periods=legacy.ATTENTION_DAYS, freq="D")
    D = len(cal)
    z_a = np.vstack([_rng(seed, d.date(), 2).standard_normal(N) for d in cal])
    for t in legacy.WATCHLIST:
        base_views[idx[t]] = legacy._WATCHLIST_FACTS[t][3]
    ordinal = np.array([d.toordinal() for d in cal.date], dtype=float)
    mult = (np.where(cal.day_of_week.values >= 5, 0.8, 1.0)[:, None]
            * np.exp(0.2 * np.sin(2 * np.pi * ordinal[:, None] / 365.0 + view_phase)) * np.exp(0.18 * z_a))
    # breakouts up to two months ahead: interest builds before them (future sessions from the calendar)
    ahead_days = all_days + sessions(end + dt.timedelta(days=1), end + dt.timedelta(days=100))
    for b, ticker, kind in episodes(_pool(n_small), 252 + RAMP + 1, len(ahead_days) - 1):
        d = ordinal - ahead_days[b].toordinal()
        if d[-1] < -60 or d[0] > 160:
            continue
        shape = np.where(d < 0, 1.0 + 5.0 * np.exp(np.maximum(d, -60) / 3.0),
                         0.5 + 4.5 * np.exp(-d / 2.5) + 0.5 * np.clip((d - 100) / 30, 0, 1))
        mult[:, idx[ticker]] *= shape
    views = np.round(base_views * mult)
    attention = pd.DataFrame({
        "source": legacy._str_column([SOURCE], np.zeros(D * N, dtype=np.int64)),
        "term": legacy._str_column(terms, np.repeat(np.arange(N), D)),
        "date": np.tile(cal.values.astype("datetime64[ns]"), N),
        "ticker": legacy._str_column(equities, np.repeat(np.arange(N), D)),
        "value": views.T.ravel(),
    })

    # ---- rates: a policy cycle on the synthetic FOMC calendar; every row from its own day only
    meetings = sample_fomc.synthetic_calendar(EPOCH.year - 1, end.year + 2)
    rate_series, contracts = _rates(days, meetings, seed)
    rates = pd.DataFrame({"series": np.repeat(list(rate_series), T), "date": np.tile(dates_ns, len(rate_series)),
                          "value": np.concatenate(list(rate_series.values())), "source": SOURCE})
    rates = pd.concat([rates, contracts], ignore_index=True)
    fomc_calendar = pd.DataFrame({"meeting_date": pd.to_datetime(meetings),
                                  "first_day": pd.to_datetime([m - dt.timedelta(days=1) for m in meetings]),
                                  "source": SOURCE})

    pairs = default_pairs()
    pairs["source"] = pd.Series([SOURCE] * len(pairs), dtype=object)
    notes = [f"SYNTHETIC stable sample market (seed {seed}, {T} NYSE sessions to {end.isoformat()}, "
             f"one fixed timeline from {EPOCH.isoformat()}): not real data. Planted on every day: "
             f"breakouts that heat, cool or fail; small-cap forward P/E {SMALL_FORWARD_PE:g} vs "
             f"large-cap {LARGE_FORWARD_PE:g}; ^RUT-over-^GSPC streaks every {STREAK_PERIOD} sessions."]
    status = expected_statuses(end, n_small)
    for kind in ("heating", "cooling", "failed"):
        notes.append(f"Planted {kind} breakouts: " + ", ".join(sorted(t for t, s in status.items() if s == kind)))
    # the window's other planted names are between peak and verdict: the mart decides them
    between = sorted(planted_tickers(end, n_small) - set(status))
    if between:
        notes.append("Also planted, status decided by the data (between peak and verdict): " + ", ".join(between))
    if end != as_of:
        notes.append(f"{as_of.isoformat()} is not an NYSE session: data end on {end.isoformat()}.")
    frames = {
        "prices": prices[columns("prices")],
        "fundamentals": fundamentals[columns("fundamentals")],
        "attention": attention[columns("attention")],
        "rates": rates[columns("rates")],
        "universe": universe,
        "pairs": pairs[columns("pairs")],
        "fomc_calendar": fomc_calendar[columns("fomc_calendar")],
    }
    return SourceData(name=SOURCE, frames=frames, notes=notes, rolling_window=True)


def meeting_move(number: int) -> float:
    """The move (percent) the Fed delivers at meeting `number` of the synthetic calendar (counted
    from its first meeting): ten 25 bp cuts, then five 50 bp hikes, over and over."""
    return -0.25 if number % CYCLE_MEETINGS < 10 else 0.50


def priced_share(days_ahead: np.ndarray) -> np.ndarray:
    """How much of a meeting's coming move the market prices `days_ahead` calendar days before it:
    a tenth from two months out or more, all of it on the eve (so over 20 sessions a coming
    25 bp move gains more than the 10 bp a shift needs)."""
    return np.clip(1.0 - np.asarray(days_ahead) / PRICING_DAYS, 0.1, 1.0)


def _rates(days: list[dt.date], meetings: list[dt.date], seed: int):
    """(series -> values per session, contract-month rows of the last CONTRACT_SESSIONS sessions).
    DFF steps on each meeting's effective day; every session prices the meetings of the next year
    at priced_share of their coming move, so in a cutting phase the rate implied after the
    year-end meeting falls day after day (a dovish shift) and in a hiking phase it rises."""
    from scout_pipeline.sources.fomc import contract_month, contract_symbols

    meet = np.array([m.toordinal() for m in meetings])
    eff = meet + 1                                   # a decision takes effect the next day
    move = np.array([meeting_move(n) for n in range(len(meetings))])
    delivered = np.r_[0.0, np.cumsum(move)]
    dff, irx, dgs2, front = [], [], [], []
    n_contract = sample_fomc.CONTRACT_SESSIONS
    rows = []
    for i, day in enumerate(days):
        d = day.toordinal()
        level = DFF_LEVEL + delivered[np.searchsorted(eff, d, side="right")]
        ahead = (meet >= d) & (meet - d <= 400)
        e_k = eff[ahead]
        priced = move[ahead] * priced_share(meet[ahead] - d)
        jitter = _rng(seed, day, 4).normal(0, 1, 2)
        dff.append(round(level, 2))
        front.append(round(100.0 - _month_average(day.replace(day=1), level, e_k, priced), 4))
        q = (e_k - d) <= 91
        irx.append(round(level - 0.05 + float((priced[q] * (1 - (e_k[q] - d) / 91)).sum()) + 0.01 * jitter[0], 3))
        dgs2.append(round(level - 0.1 + 0.8 * float(priced.sum()) + 0.03 * jitter[1], 2))
        if i >= len(days) - n_contract:
            for symbol in contract_symbols(day):
                avg = _month_average(contract_month(symbol), level, e_k, priced)
                rows.append((symbol, pd.Timestamp(day), round(100.0 - avg, 6)))
    dff = np.array(dff)
    low = np.round(dff - 0.08, 2)
    series = {"ZQ=F": np.array(front), "^IRX": np.clip(irx, 0.01, None), "DFF": dff,
              "DGS2": np.clip(dgs2, 0.05, None), "DFEDTARL": low, "DFEDTARU": np.round(low + 0.25, 2)}
    contracts = pd.DataFrame(rows, columns=["series", "date", "value"])
    contracts["source"] = SOURCE
    return series, contracts


def _month_average(month: dt.date, base: float, effective: np.ndarray, moves: np.ndarray) -> float:
    """The average over `month`'s days of base + the moves effective by each day (the
    arithmetic of sample_fomc._month_average, in closed form: a move counts on the days from
    its effective day to the month's end)."""
    first = month.replace(day=1).toordinal()
    n = _cal.monthrange(month.year, month.month)[1]
    days_on = np.clip(first + n - np.maximum(effective, first), 0, n)
    return base + float((moves * days_on).sum()) / n
