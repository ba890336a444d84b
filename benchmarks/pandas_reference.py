"""The pandas reference: seven of the ten marts (streaks, breakouts, breadth, valuation gap,
quality leaders, streak outcomes and their summary) as a user would write them in a notebook,
plainly (groupby / shift / rolling / merge / merge_asof), with no attempt at being clever.

It reproduces the rules of ``marts.relative_strength_streaks``, ``marts.cooling_breakouts``,
``marts.market_breadth``, ``marts.valuation_gap``, ``marts.quality_leaders``,
``marts.streak_outcomes`` and ``marts.streak_outcome_summary`` (see the headers of
sql/marts/*.sql and docs/marts.md) so the benchmark can (a) time the same questions answered
in pandas on the same data in the same process and (b) check that both give the same answers.
Like a notebook, the streaks and breakouts compute their rolling windows over each ticker's
whole history and filter afterwards; the breadth keeps only the sessions its history rule can
read (the SQL reads only the rows its windows need). The streak outcomes and their summary
read the reference's own streaks, as the SQL reads the streak mart.

Inputs are the staging views as DataFrames (``SELECT * FROM staging.stg_prices`` etc.):
``prices`` [ticker, date, close, adj_close, volume], ``pairs`` [pair_id, lead, base, label],
``universe`` [ticker, name, asset_type, segments, sector], ``attention`` [source, ticker, date,
value], ``fundamentals`` [ticker, as_of, market_cap, shares_outstanding, forward_eps, forward_pe,
profitable, profit_margin, earnings_growth, debt_to_equity, total_cash, total_debt, sector]
(benchmarks.scenarios.REFERENCE_INPUTS); dates as ``datetime64``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd


STREAK_COLUMNS = ["pair_id", "date", "lead", "base", "label", "lead_close", "base_close", "ratio",
                  "lead_return", "base_return", "spread", "outperformed", "streak_days", "streak_start",
                  "prior_comparable_end", "prior_comparable_days", "longest_streak_days",
                  "longest_streak_end", "history_start"]
BREAKOUT_COLUMNS = ["ticker", "as_of", "name", "breakout_date", "breakout_level", "breakout_close",
                    "volume_ratio", "peak_close", "peak_date", "close", "pullback_pct", "above_level_pct",
                    "days_since_breakout", "attention_source", "attention_recent", "attention_base",
                    "attention_change_pct", "status"]


def streaks(prices: pd.DataFrame, pairs: pd.DataFrame, as_of) -> pd.DataFrame:
    """One row per pair and common session: returns, signed streak_days, streak_start, the
    prior comparable streak and the longest one on record (rules of the streak mart: the
    first common session has no return; a tie neither extends, starts nor breaks a streak
    and repeats the streak as it stood)."""
    as_of = pd.Timestamp(as_of)
    closes = prices.loc[(prices["date"] <= as_of) & (prices["adj_close"] > 0), ["ticker", "date", "adj_close"]]
    out = []
    for pair in pairs.itertuples(index=False):
        lead = closes[closes["ticker"] == pair.lead][["date", "adj_close"]].rename(columns={"adj_close": "lead_close"})
        base = closes[closes["ticker"] == pair.base][["date", "adj_close"]].rename(columns={"adj_close": "base_close"})
        df = lead.merge(base, on="date").sort_values("date").reset_index(drop=True)
        if df.empty:
            continue
        df["history_start"] = df["date"].iloc[0]
        df["ratio"] = df["lead_close"] / df["base_close"]
        df["lead_return"] = df["lead_close"] / df["lead_close"].shift(1) - 1
        df["base_return"] = df["base_close"] / df["base_close"].shift(1) - 1
        df["spread"] = df["lead_return"] - df["base_return"]
        dirs = np.select([df["lead_return"] > df["base_return"], df["lead_return"] < df["base_return"]], [1, -1], 0)
        df["outperformed"] = pd.array(np.where(dirs == 1, True, False), dtype="boolean")
        df.loc[dirs == 0, "outperformed"] = pd.NA
        # the streaks are counted over the decided sessions only
        dec = df.loc[dirs != 0, ["date"]].reset_index(drop=True)
        dec["dir"] = dirs[dirs != 0]
        dec["streak_id"] = (dec["dir"] != dec["dir"].shift(1)).cumsum()
        dec["run_length"] = dec.groupby("streak_id").cumcount() + 1
        dec["streak_days"] = dec["dir"] * dec["run_length"]
        dec["streak_start"] = dec.groupby("streak_id")["date"].transform("min")

        # the streaks themselves, and per streak the longest same-direction one before it
        runs = dec.groupby("streak_id").agg(dir=("dir", "first"), end_date=("date", "max"),
                                            days=("run_length", "max")).reset_index()
        best_days, best_end = [], []
        record = {1: (0, None), -1: (0, None)}
        for r in runs.itertuples(index=False):
            best_days.append(record[r.dir][0])
            best_end.append(record[r.dir][1])
            if r.days >= record[r.dir][0]:  # a tie: the more recent one is the record
                record[r.dir] = (r.days, r.end_date)
        runs["best_days"], runs["best_end"] = best_days, best_end
        dec = dec.merge(runs[["streak_id", "best_days", "best_end"]], on="streak_id", how="left")
        longer = dec["run_length"] >= dec["best_days"]
        dec["longest_streak_days"] = dec["dir"] * np.maximum(dec["run_length"], dec["best_days"])
        dec["longest_streak_end"] = dec["date"].where(longer, pd.to_datetime(dec["best_end"]))

        # prior comparable: the most recent earlier same-direction streak at least as long
        cand = dec[["date", "dir", "streak_id", "run_length"]].merge(
            runs[["streak_id", "dir", "end_date", "days"]].rename(columns={"streak_id": "sid"}), on="dir")
        cand = cand[(cand["sid"] < cand["streak_id"]) & (cand["days"] >= cand["run_length"])]
        prior = cand.sort_values("end_date").groupby("date").tail(1)[["date", "end_date", "days"]]
        dec = dec.merge(prior.rename(columns={"end_date": "prior_comparable_end", "days": "prior_days"}),
                        on="date", how="left")
        dec["prior_comparable_days"] = dec["dir"] * dec["prior_days"]

        # every session shows the streak as the last decided session (itself included) left it
        dec["decided_n"] = np.arange(1, len(dec) + 1)
        df["decided_n"] = np.cumsum(dirs != 0)
        standing = ["streak_days", "streak_start", "prior_comparable_end", "prior_comparable_days",
                    "longest_streak_days", "longest_streak_end"]
        df = df.merge(dec[["decided_n", *standing]], on="decided_n", how="left")
        df["pair_id"], df["lead"], df["base"], df["label"] = pair.pair_id, pair.lead, pair.base, pair.label
        out.append(df)
    if not out:
        return pd.DataFrame(columns=STREAK_COLUMNS)
    return pd.concat(out, ignore_index=True)[STREAK_COLUMNS]


def breakouts(prices: pd.DataFrame, universe: pd.DataFrame, attention: pd.DataFrame, as_of,
              p: dict) -> pd.DataFrame:
    """One row per equity that broke out within the last `breakout_window` sessions: a close
    above the prior `breakout_lookback`-session closing high on `volume_confirm_ratio` x the
    prior `volume_avg_sessions` average volume; its peak since, pullback, attention change
    and status (rules of the cooling_breakouts mart). `p` holds the mart's parameters."""
    as_of = pd.Timestamp(as_of)
    lookback, window = int(p["breakout_lookback"]), int(p["breakout_window"])
    vol_n = int(p["volume_avg_sessions"])
    equities = universe.loc[universe["asset_type"] == "equity", ["ticker", "name"]]
    bars = prices.loc[(prices["date"] <= as_of) & prices["ticker"].isin(equities["ticker"]),
                      ["ticker", "date", "close", "volume"]]
    bars = bars.sort_values(["ticker", "date"]).reset_index(drop=True)

    # the classic notebook: shift by one inside each ticker, then a grouped rolling window
    by_ticker = bars.groupby("ticker")
    prev_close = by_ticker["close"].shift(1)
    prev_volume = by_ticker["volume"].shift(1)
    bars["prior_high"] = (prev_close.groupby(bars["ticker"]).rolling(lookback, min_periods=lookback)
                          .max().reset_index(level=0, drop=True))
    bars["prior_avg_volume"] = (prev_volume.groupby(bars["ticker"]).rolling(vol_n, min_periods=vol_n)
                                .mean().reset_index(level=0, drop=True))

    sessions = np.sort(bars["date"].unique())[::-1]
    sessions_back = pd.Series(np.arange(len(sessions)), index=pd.DatetimeIndex(sessions))
    first_date = sessions[min(window, len(sessions)) - 1]
    last_session = sessions[0]
    in_window = bars[bars["date"] >= first_date]

    hits = in_window[(in_window["prior_avg_volume"] > 0)
                     & (in_window["close"] > in_window["prior_high"])
                     & (in_window["volume"] >= p["volume_confirm_ratio"] * in_window["prior_avg_volume"])]
    first = hits.groupby("ticker").head(1).copy()  # rows are sorted by date within a ticker
    first = first.rename(columns={"date": "breakout_date", "prior_high": "breakout_level",
                                  "close": "breakout_close"})
    first["volume_ratio"] = first["volume"] / first["prior_avg_volume"]
    first = first[["ticker", "breakout_date", "breakout_level", "breakout_close", "volume_ratio"]]

    since = in_window.merge(first[["ticker", "breakout_date"]], on="ticker")
    since = since[since["date"] >= since["breakout_date"]]
    peak_close = since.groupby("ticker")["close"].max().rename("peak_close")
    since = since.join(peak_close, on="ticker")
    peak_date = since[since["close"] == since["peak_close"]].groupby("ticker")["date"].min().rename("peak_date")
    last_close = since.sort_values("date").groupby("ticker")["close"].last().rename("close")
    out = first.join(peak_close, on="ticker").join(peak_date, on="ticker").join(last_close, on="ticker")

    # attention: recent vs base window averages of daily totals, per source; pick one source
    recent_days, base_days = int(p["attention_recent_days"]), int(p["attention_base_days"])
    att = attention[attention["ticker"].isin(out["ticker"]) & (attention["date"] <= as_of)
                    & (attention["date"] > as_of - pd.Timedelta(days=recent_days + base_days))]
    daily = att.groupby(["ticker", "source", "date"], as_index=False)["value"].sum()
    daily["is_recent"] = daily["date"] > as_of - pd.Timedelta(days=recent_days)
    per = daily.groupby(["ticker", "source"]).apply(
        lambda g: pd.Series({"recent": g.loc[g["is_recent"], "value"].mean(),
                             "base": g.loc[~g["is_recent"], "value"].mean(),
                             "days": len(g)}), include_groups=False).reset_index()
    if len(per):
        per["both"] = per["recent"].notna() & per["base"].notna()
        per = per.sort_values(["ticker", "both", "days", "source"], ascending=[True, False, False, True])
        per = per.groupby("ticker").head(1)
    else:
        per = pd.DataFrame(columns=["ticker", "source", "recent", "base"])
    per = per.rename(columns={"source": "attention_source", "recent": "attention_recent",
                              "base": "attention_base"})
    out = out.merge(per[["ticker", "attention_source", "attention_recent", "attention_base"]],
                    on="ticker", how="left")
    out = out.merge(equities, on="ticker")

    out["as_of"] = last_session
    out["pullback_pct"] = (1 - out["close"] / out["peak_close"]) * 100
    out["above_level_pct"] = (out["close"] / out["breakout_level"] - 1) * 100
    out["days_since_breakout"] = out["breakout_date"].map(sessions_back).astype("int64")
    base = out["attention_base"].astype(float)
    out["attention_change_pct"] = np.where(base > 0, (out["attention_recent"] / base - 1) * 100, np.nan)
    # the move the status reads: a rise from a zero base is rising, zero to zero no change
    recent = out["attention_recent"].astype(float)
    change = out["attention_change_pct"].where(
        ~(base == 0), np.where(recent > 0, np.inf, np.where(recent == 0, 0.0, np.nan)))
    out["status"] = np.select(
        [out["close"] < out["breakout_level"],
         (out["pullback_pct"] >= p["cooling_pullback_pct"])
         & (change.isna() | (change <= -p["cooling_attention_drop_pct"])),
         (out["pullback_pct"] <= p["heating_pullback_pct"])
         & (change.isna() | (change >= p["heating_attention_min_change_pct"]))],
        ["failed", "cooling", "heating"], default="holding")
    return out[BREAKOUT_COLUMNS].sort_values("ticker").reset_index(drop=True)


def run(prices: pd.DataFrame, pairs: pd.DataFrame, universe: pd.DataFrame, attention: pd.DataFrame,
        as_of, p: dict, fundamentals: pd.DataFrame | None = None, timings: dict | None = None) -> tuple:
    """Every mart this reference covers, as the benchmark times them, in REFERENCE_MARTS order:
    (streaks, breakouts) and, given `fundamentals` (and `universe` with its segments), then
    (market_breadth, valuation_gap, quality_leaders, streak_outcomes, streak_outcome_summary).
    `timings`, when given, gets each mart's seconds."""
    return run_with(sys.modules[__name__], prices, pairs, universe, attention, as_of, p, fundamentals, timings)


def run_with(lib, prices, pairs, universe, attention, as_of, p: dict, fundamentals=None,
             timings: dict | None = None) -> tuple:
    """`run` over the mart functions of `lib` (this module or polars_reference: same names)."""
    jobs = [lambda: lib.streaks(prices, pairs, as_of), lambda: lib.breakouts(prices, universe, attention, as_of, p)]
    if fundamentals is not None:
        jobs += [lambda: lib.breadth(prices, universe, fundamentals, as_of, p),
                 lambda: lib.valuation(universe, fundamentals, as_of, p),
                 lambda: lib.quality(prices, universe, fundamentals, as_of, p),
                 # as the SQL reads the streak mart, these read the reference's own streaks
                 lambda: lib.outcomes(out[0], as_of, p),
                 lambda: lib.outcome_summary(out[0], out[5], as_of, p)]
    out = []
    for mart, job in zip(REFERENCE_MARTS, jobs):
        started = time.perf_counter()
        out.append(job())
        if timings is not None:
            timings.setdefault(mart, []).append(time.perf_counter() - started)
    return tuple(out)


# the marts both references reproduce, in run()'s order; the others are not reproduced
# (BENCHMARKS.md, "What is measured", says why)
REFERENCE_MARTS = ("relative_strength_streaks", "cooling_breakouts", "market_breadth", "valuation_gap",
                   "quality_leaders", "streak_outcomes", "streak_outcome_summary")
# marts that keep earlier as-of days (@history as_of): a reference computes the as-of day only
ONE_DAY_MARTS = ("cooling_breakouts", "quality_leaders")
MART_KEYS = {"relative_strength_streaks": ["pair_id", "date"], "cooling_breakouts": ["ticker", "as_of"],
             "market_breadth": ["as_of", "segment"], "valuation_gap": ["as_of", "segment"],
             "quality_leaders": ["as_of", "ticker"], "streak_outcomes": ["pair_id", "streak_end"],
             "streak_outcome_summary": ["pair_id", "direction", "min_length", "horizon"]}


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
        return "other"
    return "number"


def compare_frames(sql: pd.DataFrame, ref: pd.DataFrame, key: list[str], rtol: float = 1e-9) -> dict:
    """Every column of the SQL mart against the reference, row by row on `key`: rows on one
    side only, columns the reference lacks, and cells that differ (numbers to `rtol`,
    nulls equal only to nulls)."""
    def norm(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in out.columns:
            if "date" in c or c in ("as_of", "streak_start", "streak_end", "broke_on", "prior_comparable_end",
                                    "history_start"):
                out[c] = pd.to_datetime(out[c]).dt.normalize()
        return out

    missing = [c for c in sql.columns if c not in ref.columns]
    s, r = norm(sql), norm(ref[[c for c in sql.columns if c in ref.columns]])
    m = s.merge(r, on=key, how="outer", suffixes=("_sql", "_ref"), indicator=True)
    one_side = int((m["_merge"] != "both").sum())
    both = m[m["_merge"] == "both"]
    bad_cells: dict[str, int] = {}
    examples = []
    for col in (c for c in sql.columns if c not in key and c not in missing):
        a, b = both[f"{col}_sql"], both[f"{col}_ref"]
        nulls = a.isna().to_numpy() & b.isna().to_numpy()
        if _kind(a) == "number" and _kind(b) == "number":
            av, bv = a.astype("float64").to_numpy(), b.astype("float64").to_numpy()
            same = nulls | np.isclose(av, bv, rtol=rtol, atol=1e-12, equal_nan=False) | (av == bv)
        else:
            av, bv = a.astype(object).to_numpy(), b.astype(object).to_numpy()
            same = nulls | np.array([x == y if not (pd.isna(x) or pd.isna(y)) else False
                                     for x, y in zip(av, bv)], dtype=bool)
        if not same.all():
            bad_cells[col] = int((~same).sum())
            row = both[~same].iloc[0]
            examples.append(f"{col}: {[row[k] for k in key]} sql={row[f'{col}_sql']!r} ref={row[f'{col}_ref']!r}")
    return {"rows": len(sql), "rows_ref": len(ref), "rows_one_side": one_side,
            "columns_compared": len(sql.columns) - len(missing), "columns_missing": missing,
            "cells_differing": bad_cells, "examples": examples[:5],
            "agree": len(sql) > 0 and one_side == 0 and not missing and not bad_cells}


def compare(sql_streaks: pd.DataFrame, ref_streaks: pd.DataFrame,
            sql_breakouts: pd.DataFrame, ref_breakouts: pd.DataFrame, more: dict | None = None) -> dict:
    """Do the SQL marts and a reference agree on every column of every mart it covers? The
    marts in ONE_DAY_MARTS keep earlier as-of days: the reference computes the as-of day only.
    `more` maps further marts (REFERENCE_MARTS) to (SQL frame, reference frame)."""
    def same_days(sql: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
        days = pd.to_datetime(ref["as_of"]).dt.normalize().unique()
        return sql[pd.to_datetime(sql["as_of"]).dt.normalize().isin(days)] if len(days) else sql

    sql_breakouts = same_days(sql_breakouts, ref_breakouts)
    st = compare_frames(sql_streaks, ref_streaks, MART_KEYS["relative_strength_streaks"])
    br = compare_frames(sql_breakouts, ref_breakouts, MART_KEYS["cooling_breakouts"])
    detail = {"relative_strength_streaks": st, "cooling_breakouts": br}
    for mart, (sql, ref) in (more or {}).items():
        detail[mart] = compare_frames(same_days(sql, ref) if mart in ONE_DAY_MARTS else sql, ref, MART_KEYS[mart])
    return {
        "streak_rows": st["rows"], "streak_rows_ref": st["rows_ref"], "streaks_agree": st["agree"],
        "breakouts": br["rows"], "breakouts_ref": br["rows_ref"], "breakouts_agree": br["agree"],
        "breakout_tickers": sorted(sql_breakouts["ticker"].tolist()),
        "marts_agree": {mart: d["agree"] for mart, d in detail.items()},
        "rows": {mart: d["rows"] for mart, d in detail.items()},
        "columns_compared": {mart: d["columns_compared"] for mart, d in detail.items()},
        "detail": detail,
        "examples": [e for d in detail.values() for e in d["examples"]],
    }


# --------------------------------------------------------------------------- market breadth

BREADTH_COLUMNS = ["as_of", "segment", "members", "pct_above_50d", "pct_above_200d", "new_highs", "new_lows",
                   "equal_weight_return_1d", "cap_weight_return_1d", "breadth_spread_1d",
                   "equal_weight_return_5d", "cap_weight_return_5d", "breadth_spread_5d",
                   "equal_weight_return_20d", "cap_weight_return_20d", "breadth_spread_20d",
                   "cap_weighted_members_20d", "breadth_signal"]
RETURN_SESSIONS = (1, 5, 20)


def segment_members(universe: pd.DataFrame) -> pd.DataFrame:
    """[ticker, segment]: every equity once per segment it belongs to (stg_universe.segments)."""
    eq = universe.loc[universe["asset_type"] == "equity", ["ticker", "segments"]]
    eq = eq[eq["segments"].map(len) > 0]  # an empty list is no membership (explode would give NaN)
    return eq.explode("segments").rename(columns={"segments": "segment"}).drop_duplicates().reset_index(drop=True)


def breadth(prices: pd.DataFrame, universe: pd.DataFrame, fundamentals: pd.DataFrame, as_of,
            p: dict) -> pd.DataFrame:
    """One row per session (the last `breadth_history_sessions` up to the as-of day) and
    equity segment (rules of the market_breadth mart, sql/marts/market_breadth.sql): members
    above their short/long moving averages and at new highs/lows, equal- versus cap-weighted
    1/5/20-session returns (caps at each return's start, at most fundamentals_max_age_days
    old) and the breadth_signal. A member's measure needs its window's bars to lie within the
    last 2 x L market sessions (L = the longest window, at least 20)."""
    as_of = pd.Timestamp(as_of)
    short, long_ = int(p["breadth_short_ma_sessions"]), int(p["breadth_long_ma_sessions"])
    high_low, trend = int(p["new_high_low_sessions"]), int(p["breadth_trend_sessions"])
    span = 2 * max(short, long_, high_low, 20)
    tolerance = p["breadth_spread_tolerance"] / 100
    max_age = pd.Timedelta(days=int(p["fundamentals_max_age_days"]))

    members = segment_members(universe)
    bars = prices.loc[(prices["date"] <= as_of) & prices["ticker"].isin(members["ticker"]),
                      ["ticker", "date", "close", "adj_close"]]
    # market sessions counted back from the as-of day (1 = the latest): the history rule's unit
    sessions = pd.Series(np.sort(bars["date"].unique())[::-1])
    sessions_back = pd.Series(np.arange(1, len(sessions) + 1), index=pd.DatetimeIndex(sessions))
    shown = min(int(p["breadth_history_sessions"]), len(sessions))
    totalled = shown + trend  # the signal compares with the spread `trend` sessions earlier
    bars = bars.assign(sb=bars["date"].map(sessions_back))
    # no window reads further back than 2 x L sessions before the oldest totalled session
    bars = bars[bars["sb"] <= totalled + span].sort_values(["ticker", "date"]).reset_index(drop=True)

    # caps: each bar's latest snapshot on or before its date, at most max_age old
    caps = fundamentals.loc[(fundamentals["market_cap"] > 0) & (fundamentals["as_of"] <= as_of),
                            ["ticker", "as_of", "market_cap"]].sort_values("as_of")
    bars = pd.merge_asof(bars.sort_values("date"), caps, left_on="date", right_on="as_of", by="ticker",
                         tolerance=max_age, direction="backward")
    bars = bars.sort_values(["ticker", "date"]).reset_index(drop=True).rename(columns={"market_cap": "cap"})

    g = bars.groupby("ticker", sort=False)

    def within(n: int) -> pd.Series:
        """the bar n rows back exists and lies within the last 2 x L market sessions"""
        return (g["sb"].shift(n) - bars["sb"]) < span

    def rolling(n: int, how: str) -> pd.Series:
        return getattr(g["close"].rolling(n, min_periods=n), how)().reset_index(level=0, drop=True).sort_index()

    def flag(ok: pd.Series, test: pd.Series) -> pd.Series:
        return pd.Series(pd.array(test, dtype="boolean")).where(ok, pd.NA)

    bars["above_short"] = flag(within(short - 1), bars["close"] > rolling(short, "mean"))
    bars["above_long"] = flag(within(long_ - 1), bars["close"] > rolling(long_, "mean"))
    full_hl = within(high_low - 1)
    bars["new_high"] = flag(full_hl, bars["close"] >= rolling(high_low, "max"))
    bars["new_low"] = flag(full_hl, bars["close"] <= rolling(high_low, "min"))
    for n in RETURN_SESSIONS:
        ret = (bars["adj_close"] / g["adj_close"].shift(n) - 1).where(within(n))
        cap = g["cap"].shift(n)  # weight: the cap at the return's start
        bars[f"ret_{n}"] = ret
        bars[f"wret_{n}"] = cap * ret
        bars[f"wcap_{n}"] = cap.where(ret.notna())
    bars["cap_weighted_20"] = bars["wret_20"].notna()

    rows = bars[bars["sb"] <= totalled].merge(members, on="ticker")
    by = rows.groupby(["date", "sb", "segment"])
    agg = by.agg(members=("ticker", "size"),
                 short_yes=("above_short", "sum"), short_known=("above_short", "count"),
                 long_yes=("above_long", "sum"), long_known=("above_long", "count"),
                 new_highs=("new_high", "sum"), new_lows=("new_low", "sum"),
                 cap_weighted_members_20d=("cap_weighted_20", "sum"),
                 **{f"equal_weight_return_{n}d": (f"ret_{n}", "mean") for n in RETURN_SESSIONS}).reset_index()
    sums = by[[f"{c}_{n}" for n in RETURN_SESSIONS for c in ("wret", "wcap")]].sum(min_count=1).reset_index(drop=True)
    agg["pct_above_50d"] = 100.0 * agg["short_yes"] / agg["short_known"].where(agg["short_known"] > 0)
    agg["pct_above_200d"] = 100.0 * agg["long_yes"] / agg["long_known"].where(agg["long_known"] > 0)
    for n in RETURN_SESSIONS:
        agg[f"cap_weight_return_{n}d"] = sums[f"wret_{n}"] / sums[f"wcap_{n}"]
        agg[f"breadth_spread_{n}d"] = agg[f"equal_weight_return_{n}d"] - agg[f"cap_weight_return_{n}d"]

    # the segment's 20-session spread `trend` market sessions earlier
    before = agg[["segment", "sb", "breadth_spread_20d"]].assign(sb=agg["sb"] - trend)
    out = agg[agg["sb"] <= shown].merge(before, on=["segment", "sb"], how="left", suffixes=("", "_before"))
    spread, moved = out["breadth_spread_20d"], out["breadth_spread_20d"] - out["breadth_spread_20d_before"]
    signal = np.select([(spread > tolerance) & (moved > tolerance), (spread < -tolerance) & (moved < -tolerance)],
                       ["broadening", "narrowing"], default="mixed").astype(object)
    out["breadth_signal"] = np.where(spread.isna() | out["breadth_spread_20d_before"].isna(), None, signal)
    out = out.rename(columns={"date": "as_of"})
    return out[BREADTH_COLUMNS].sort_values(["as_of", "segment"]).reset_index(drop=True)


# --------------------------------------------------------------------------- valuation gap

VALUATION_COLUMNS = ["as_of", "segment", "constituents", "snapshots", "covered", "market_cap", "forward_earnings",
                     "forward_pe", "forward_pe_ex_negative", "median_forward_pe", "earnings_yield", "loss_makers",
                     "unprofitable_count", "unprofitable_pct", "unprofitable_cap_pct", "large_cap_forward_pe",
                     "discount_pct"]


def valuation(universe: pd.DataFrame, fundamentals: pd.DataFrame, as_of, p: dict) -> pd.DataFrame:
    """One row per day with fundamentals snapshots (up to the as-of day) and equity segment
    (rules of the valuation_gap mart, sql/marts/valuation_gap.sql): each member's latest
    snapshot on or before the day, none when older than fundamentals_max_age_days; aggregate
    forward P/E with loss-makers included, without them, the median single-name P/E, the
    unprofitable share, and the discount to the large caps."""
    as_of = pd.Timestamp(as_of)
    members = segment_members(universe)
    snaps = fundamentals[fundamentals["as_of"] <= as_of].rename(columns={"as_of": "taken"})
    days = pd.DataFrame({"as_of": np.sort(snaps["taken"].unique())})
    grid = days.merge(pd.DataFrame({"ticker": members["ticker"].unique()}), how="cross")
    cols = ["ticker", "taken", "market_cap", "shares_outstanding", "forward_eps", "forward_pe", "profitable"]
    names = pd.merge_asof(grid, snaps[cols].sort_values("taken"), left_on="as_of", right_on="taken", by="ticker",
                          tolerance=pd.Timedelta(days=int(p["fundamentals_max_age_days"])), direction="backward")

    names["has_snapshot"] = names["taken"].notna()
    mcap, shares, eps, pe = names["market_cap"], names["shares_outstanding"], names["forward_eps"], names["forward_pe"]
    names["cap"] = mcap.where(mcap > 0)
    names["earnings"] = np.where((shares > 0) & eps.notna(), shares * eps,
                                 np.where((mcap > 0) & (pe != 0) & pe.notna(), mcap / pe, np.nan))
    covered = names["cap"].notna() & names["earnings"].notna()
    positive = covered & (names["earnings"] > 0)
    unprofitable = ~pd.array(names["profitable"], dtype="boolean")
    names = names.assign(
        is_covered=covered, loss=covered & (names["earnings"] <= 0), unprofitable=unprofitable,
        cov_cap=names["cap"].where(covered), cov_earn=names["earnings"].where(covered),
        pos_cap=names["cap"].where(positive), pos_earn=names["earnings"].where(positive),
        pe=(names["cap"] / names["earnings"]).where(positive),
        cap_unprof=names["cap"].where(unprofitable.fillna(False)),
        cap_known=names["cap"].where(~pd.isna(unprofitable)))

    by = names.merge(members, on="ticker").groupby(["as_of", "segment"])
    out = by.agg(constituents=("ticker", "size"), snapshots=("has_snapshot", "sum"), covered=("is_covered", "sum"),
                 median_forward_pe=("pe", "median"), loss_makers=("loss", "sum"),
                 unprofitable_count=("unprofitable", "sum"), known=("unprofitable", "count")).reset_index()
    sums = by[["cov_cap", "cov_earn", "pos_cap", "pos_earn", "cap_unprof", "cap_known"]].sum(min_count=1)
    sums = sums.reset_index(drop=True)
    out["market_cap"], out["forward_earnings"] = sums["cov_cap"], sums["cov_earn"]
    out["forward_pe"] = (sums["cov_cap"] / sums["cov_earn"]).where(sums["cov_earn"] > 0)
    out["forward_pe_ex_negative"] = (sums["pos_cap"] / sums["pos_earn"]).where(sums["pos_earn"] > 0)
    out["earnings_yield"] = (sums["cov_earn"] / sums["cov_cap"]).where(sums["cov_cap"] > 0)
    out["unprofitable_pct"] = (100.0 * out["unprofitable_count"] / out["known"]).where(out["known"] > 0)
    out["unprofitable_cap_pct"] = ((100.0 * sums["cap_unprof"].fillna(0) / sums["cap_known"])
                                   .where(sums["cap_known"] > 0))
    large = out.loc[out["segment"] == "large_cap", ["as_of", "forward_pe"]]
    out = out.merge(large.rename(columns={"forward_pe": "large_cap_forward_pe"}), on="as_of", how="left")
    out["discount_pct"] = (1 - out["forward_pe"] / out["large_cap_forward_pe"]) * 100
    return out[VALUATION_COLUMNS].sort_values(["as_of", "segment"]).reset_index(drop=True)


# --------------------------------------------------------------------------- quality leaders

QUALITY_COLUMNS = ["as_of", "ticker", "name", "sector", "snapshot_date", "market_cap", "profit_margin", "profitable",
                   "earnings_growth", "debt_to_equity", "net_cash", "net_cash_to_cap", "return_rs",
                   "segment_median_return", "relative_strength", "profitability_score", "growth_score",
                   "balance_sheet_score", "strength_score", "quality_score", "rank"]
QUALITY_WEIGHTS = {"profitability_score": "quality_weight_profitability", "growth_score": "quality_weight_growth",
                   "balance_sheet_score": "quality_weight_balance_sheet", "strength_score": "quality_weight_strength"}


def mid_rank_pct(values: pd.Series, ascending: bool = True) -> pd.Series:
    """Mid-rank percentile (0-100) among the known values: ties share the middle of their
    places, a lone value scores 50; null stays null."""
    known = values.notna().sum()
    ranks = values.rank(method="average", ascending=ascending)
    return 100 * (ranks - 1) / (known - 1) if known > 1 else ranks.where(ranks.isna(), 50.0)


def quality(prices: pd.DataFrame, universe: pd.DataFrame, fundamentals: pd.DataFrame, as_of,
            p: dict) -> pd.DataFrame:
    """One row per small cap with the data to be scored at the as-of session (rules of the
    quality_leaders mart, sql/marts/quality_leaders.sql): the rs_sessions return among the
    last 2 x (rs_sessions + 1) equity sessions, the latest snapshot at most
    fundamentals_max_age_days old, mid-rank percentile scores, the weighted quality_score
    and the rank."""
    as_of = pd.Timestamp(as_of)
    rs, max_age = int(p["rs_sessions"]), pd.Timedelta(days=int(p["fundamentals_max_age_days"]))
    equities = universe[universe["asset_type"] == "equity"]
    small = equities.loc[equities["segments"].map(lambda s: "small_cap" in list(s)), ["ticker", "name", "sector"]]
    equity_bars = prices.loc[(prices["date"] <= as_of) & prices["ticker"].isin(equities["ticker"]),
                             ["ticker", "date", "adj_close"]]
    sessions = np.sort(equity_bars["date"].unique())[::-1]
    day, first_read = sessions[0], sessions[min(2 * (rs + 1), len(sessions)) - 1]

    # each name's last rs_sessions + 1 closes within the read window, first vs last
    bars = equity_bars[equity_bars["ticker"].isin(small["ticker"]) & (equity_bars["date"] >= first_read)]
    closes = bars.sort_values(["ticker", "date"]).groupby("ticker").tail(rs + 1).groupby("ticker")["adj_close"]
    ends = pd.DataFrame({"n": closes.size(), "first": closes.first(), "last": closes.last()})
    ends = ends[(ends["n"] == rs + 1) & (ends["first"] > 0)]
    returns = (ends["last"] / ends["first"] - 1).rename("return_rs").reset_index()
    median = returns["return_rs"].median()

    snaps = fundamentals[(fundamentals["as_of"] <= day) & (fundamentals["as_of"] >= day - max_age)
                         & fundamentals["ticker"].isin(small["ticker"])]
    snaps = snaps.sort_values("as_of").groupby("ticker").tail(1).rename(
        columns={"as_of": "snapshot_date", "sector": "snapshot_sector"})
    out = small.merge(snaps, on="ticker").merge(returns, on="ticker")
    out["as_of"] = day
    out["sector"] = out["sector"].fillna(out["snapshot_sector"])
    out["net_cash"] = out["total_cash"] - out["total_debt"]
    out["net_cash_to_cap"] = (out["net_cash"] / out["market_cap"]).where(out["market_cap"] > 0)
    out["segment_median_return"] = median
    out["relative_strength"] = out["return_rs"] - median
    out = out[out["profit_margin"].notna() & out["earnings_growth"].notna() & out["relative_strength"].notna()
              & (out["debt_to_equity"].notna() | out["net_cash_to_cap"].notna())].reset_index(drop=True)

    out["profitability_score"] = mid_rank_pct(out["profit_margin"])
    out["growth_score"] = mid_rank_pct(out["earnings_growth"])
    out["strength_score"] = mid_rank_pct(out["relative_strength"])
    # lower debt to equity is better; negative equity ranks worst of all
    leverage = mid_rank_pct(out["debt_to_equity"].where(out["debt_to_equity"] >= 0, np.inf)
                            .where(out["debt_to_equity"].notna()), ascending=False)
    net_cash = mid_rank_pct(out["net_cash_to_cap"])
    out["balance_sheet_score"] = (leverage.fillna(net_cash) + net_cash.fillna(leverage)) / 2
    weights = {col: p[name] for col, name in QUALITY_WEIGHTS.items()}
    total = sum(weights.values())
    score = sum(w * out[col] for col, w in weights.items())
    out["quality_score"] = score / total if total else np.nan
    out = out.sort_values(["quality_score", "ticker"], ascending=[False, True]).reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[QUALITY_COLUMNS]


# --------------------------------------------------------------------------- streak outcomes

HORIZONS = (5, 21, 63, 126)
OUTCOME_COLUMNS = (["pair_id", "lead", "base", "label", "direction", "streak_days", "length", "streak_start",
                    "streak_end", "broke_on", "from_history_start", "history_start"]
                   + [f"{side}_return_{h}d" for h in HORIZONS for side in ("lead", "base", "relative")])


def _streak_runs(days: pd.DataFrame) -> pd.DataFrame:
    """Every streak (completed or running) of the streak mart's rows: one per pair and start,
    with its direction, signed days, length and first session at that length."""
    decided = days[days["streak_days"].notna()].assign(abs_days=lambda d: d["streak_days"].abs())
    runs = decided.groupby(["pair_id", "streak_start"]).agg(
        lead=("lead", "first"), base=("base", "first"), label=("label", "first"),
        history_start=("history_start", "first"), sign=("streak_days", lambda s: np.sign(s.iloc[0])),
        length=("abs_days", "max")).reset_index()
    at_length = decided.merge(runs[["pair_id", "streak_start", "length"]], on=["pair_id", "streak_start"])
    ends = (at_length[at_length["abs_days"] == at_length["length"]]
            .groupby(["pair_id", "streak_start"])["date"].min().rename("streak_end").reset_index())
    runs = runs.merge(ends, on=["pair_id", "streak_start"]).sort_values(["pair_id", "streak_start"])
    runs["streak_days"] = (runs["sign"] * runs["length"]).astype("int64")
    runs["length"] = runs["length"].astype("int64")
    runs["direction"] = np.where(runs["sign"] > 0, "ahead", "behind")
    return runs.reset_index(drop=True)


def _numbered(streak_rows: pd.DataFrame, as_of) -> pd.DataFrame:
    days = streak_rows[streak_rows["date"] <= pd.Timestamp(as_of)].sort_values(["pair_id", "date"])
    return days.assign(n=days.groupby("pair_id").cumcount() + 1).reset_index(drop=True)


def outcomes(streak_rows: pd.DataFrame, as_of, p: dict) -> pd.DataFrame:
    """One row per completed streak of at least outcome_min_streak sessions (rules of the
    streak_outcomes mart): when it broke (the next streak's first session) and the lead's, the
    base's and the relative return over the next 5/21/63/126 common sessions from that close,
    null until elapsed. Reads the streak mart's rows (`streaks()` output)."""
    days = _numbered(streak_rows, as_of)
    runs = _streak_runs(days)
    runs["broke_on"] = runs.groupby("pair_id")["streak_start"].shift(-1)
    runs["from_history_start"] = runs["streak_start"] == runs.groupby("pair_id")["streak_start"].transform("min")
    closes = days[["pair_id", "date", "n", "lead_close", "base_close"]]
    out = runs[runs["length"] >= int(p["outcome_min_streak"])].merge(
        closes.rename(columns={"date": "broke_on", "n": "broke_n", "lead_close": "lead_origin",
                               "base_close": "base_origin"}), on=["pair_id", "broke_on"])
    for h in HORIZONS:
        later = closes[["pair_id", "n", "lead_close", "base_close"]].assign(broke_n=closes["n"] - h)
        out = out.merge(later.drop(columns="n"), on=["pair_id", "broke_n"], how="left")
        out[f"lead_return_{h}d"] = out.pop("lead_close") / out["lead_origin"] - 1
        out[f"base_return_{h}d"] = out.pop("base_close") / out["base_origin"] - 1
        out[f"relative_return_{h}d"] = out[f"lead_return_{h}d"] - out[f"base_return_{h}d"]
    return out[OUTCOME_COLUMNS].sort_values(["pair_id", "streak_end"]).reset_index(drop=True)


SUMMARY_COLUMNS = ["pair_id", "direction", "min_length", "horizon", "as_of", "history_start", "current_streak_days",
                   "is_current", "earlier_streaks", "observations", "mean_lead_return", "median_lead_return",
                   "mean_base_return", "median_base_return", "mean_relative_return", "median_relative_return",
                   "lead_rose_pct", "lead_beat_pct", "any_time_observations", "any_time_mean_lead_return",
                   "any_time_mean_base_return", "any_time_mean_relative_return", "any_time_median_relative_return",
                   "any_time_lead_rose_pct", "any_time_lead_beat_pct", "streaks_in_direction", "streaks_reaching",
                   "reached_pct", "win_rate_pct", "coin_reached_pct"]


def _pct(hits: pd.Series, of: pd.Series) -> pd.Series:
    return 100.0 * hits / of.where(of > 0)


def outcome_summary(streak_rows: pd.DataFrame, outcome_rows: pd.DataFrame, as_of, p: dict) -> pd.DataFrame:
    """One row per pair, direction, minimum streak length (outcome_min_streak up to the
    longest) and horizon (rules of the streak_outcome_summary mart): what followed the earlier
    completed streaks at least that long, the same over every session ("any time"), and how
    rare such a streak is in the pair's history and for a coin with its daily win rate."""
    days = _numbered(streak_rows, as_of)
    decided = days[days["streak_days"].notna()]
    pairs = days.groupby("pair_id").agg(as_of=("date", "max"), history_start=("history_start", "first"),
                                        lead_wins=("spread", lambda s: int((s > 0).sum())),
                                        base_wins=("spread", lambda s: int((s < 0).sum())))
    pairs["current_streak_days"] = decided.groupby("pair_id")["streak_days"].last()
    runs = _streak_runs(days)

    # every (pair, direction, min_length) from outcome_min_streak up to the longest streak
    longest = runs.groupby(["pair_id", "direction"])["length"].max().reset_index()
    longest["min_length"] = [list(range(int(p["outcome_min_streak"]), n + 1)) for n in longest["length"]]
    lengths = longest.drop(columns="length").explode("min_length").dropna().astype({"min_length": "int64"})
    rarity = lengths.merge(runs[["pair_id", "direction", "length"]], on=["pair_id", "direction"])
    rarity = (rarity.assign(reaching=rarity["length"] >= rarity["min_length"])
              .groupby(["pair_id", "direction", "min_length"])
              .agg(streaks_in_direction=("length", "size"), streaks_reaching=("reaching", "sum")).reset_index())

    done = outcome_rows[outcome_rows["streak_end"] <= pd.Timestamp(as_of)]
    per_horizon = pd.concat([done[["pair_id", "direction", "length"]].assign(
        horizon=h, lead_return=done[f"lead_return_{h}d"], base_return=done[f"base_return_{h}d"])
        for h in HORIZONS])
    per_horizon["relative"] = per_horizon["lead_return"] - per_horizon["base_return"]
    per_horizon["rose"] = per_horizon["lead_return"] > 0
    per_horizon["beat"] = per_horizon["lead_return"] > per_horizon["base_return"]
    matched = lengths.merge(per_horizon, on=["pair_id", "direction"])
    matched = matched[matched["length"] >= matched["min_length"]]
    earlier = matched.groupby(["pair_id", "direction", "min_length", "horizon"]).agg(
        earlier_streaks=("length", "size"), observations=("lead_return", "count"),
        mean_lead_return=("lead_return", "mean"), median_lead_return=("lead_return", "median"),
        mean_base_return=("base_return", "mean"), median_base_return=("base_return", "median"),
        mean_relative_return=("relative", "mean"), median_relative_return=("relative", "median"),
        rose=("rose", "sum"), beat=("beat", "sum")).reset_index()
    earlier["lead_rose_pct"] = _pct(earlier.pop("rose"), earlier["observations"])
    earlier["lead_beat_pct"] = _pct(earlier.pop("beat"), earlier["observations"])

    # any time: from every session's close, the return over each horizon once elapsed
    closes = days[["pair_id", "n", "lead_close", "base_close"]]
    forward = pd.concat([closes.merge(closes.assign(n=closes["n"] - h), on=["pair_id", "n"], suffixes=("", "_f"))
                         .assign(horizon=h) for h in HORIZONS])
    forward["lead_return"] = forward["lead_close_f"] / forward["lead_close"] - 1
    forward["base_return"] = forward["base_close_f"] / forward["base_close"] - 1
    forward["relative"] = forward["lead_return"] - forward["base_return"]
    forward["rose"] = forward["lead_return"] > 0
    forward["beat"] = forward["lead_return"] > forward["base_return"]
    any_time = forward.groupby(["pair_id", "horizon"]).agg(
        any_time_observations=("n", "size"), any_time_mean_lead_return=("lead_return", "mean"),
        any_time_mean_base_return=("base_return", "mean"), any_time_mean_relative_return=("relative", "mean"),
        any_time_median_relative_return=("relative", "median"), rose=("rose", "sum"),
        beat=("beat", "sum")).reset_index()
    any_time["any_time_lead_rose_pct"] = 100.0 * any_time.pop("rose") / any_time["any_time_observations"]
    any_time["any_time_lead_beat_pct"] = 100.0 * any_time.pop("beat") / any_time["any_time_observations"]

    out = (lengths.merge(pd.DataFrame({"horizon": HORIZONS}), how="cross")
           .merge(pairs.reset_index(), on="pair_id")
           .merge(rarity, on=["pair_id", "direction", "min_length"])
           .merge(earlier, on=["pair_id", "direction", "min_length", "horizon"], how="left")
           .merge(any_time, on=["pair_id", "horizon"], how="left"))
    current = out["current_streak_days"]
    out["is_current"] = ((out["direction"] == np.where(current > 0, "ahead", "behind"))
                         & (out["min_length"] == current.abs()))
    for col in ("earlier_streaks", "observations", "any_time_observations"):
        out[col] = out[col].fillna(0).astype("int64")
    out["reached_pct"] = 100.0 * out["streaks_reaching"] / out["streaks_in_direction"]
    wins = np.where(out["direction"] == "ahead", out["lead_wins"], out["base_wins"])
    out["win_rate_pct"] = _pct(pd.Series(wins, index=out.index), out["lead_wins"] + out["base_wins"])
    out["coin_reached_pct"] = 100.0 * (out["win_rate_pct"] / 100.0) ** (out["min_length"] - 1)
    return out[SUMMARY_COLUMNS].sort_values(["pair_id", "direction", "min_length", "horizon"]).reset_index(drop=True)
