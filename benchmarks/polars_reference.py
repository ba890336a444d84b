"""The polars reference: the seven marts of the pandas reference (streaks, breakouts, breadth,
valuation gap, quality leaders, streak outcomes and their summary) as a polars user would
write them (lazy frames, window expressions with ``over``, ``rolling_*``, ``rank``, joins,
``join_asof``), to compare the SQL with what a user might pick instead of pandas.

It reproduces the rules of the marts in ``pandas_reference.REFERENCE_MARTS`` (headers of
sql/marts/*.sql, docs/marts.md) column for column, like ``benchmarks/pandas_reference.py``,
and the benchmark checks its output equal to the SQL's in the same run. The other marts are
not reproduced (BENCHMARKS.md says why): the full rebuild is compared with the references on
the marts they cover, and on all marts only as a ratio.

Inputs are the staging views as polars DataFrames (``con.execute(...).pl()``): ``prices``
[ticker, date, close, adj_close, volume], ``pairs`` [pair_id, lead, base, label],
``universe``, ``attention`` and ``fundamentals`` with the columns the pandas reference reads
(benchmarks.scenarios.REFERENCE_INPUTS).
Needs the optional ``bench`` extra (``pip install -e .[bench]``).
"""

from __future__ import annotations

import datetime as dt
import sys

import polars as pl

from benchmarks.pandas_reference import (BREADTH_COLUMNS, BREAKOUT_COLUMNS, HORIZONS, OUTCOME_COLUMNS,
                                         QUALITY_COLUMNS, QUALITY_WEIGHTS, RETURN_SESSIONS,
                                         STREAK_COLUMNS, SUMMARY_COLUMNS, VALUATION_COLUMNS)

_SCORE = 1_000_000  # (days, end date) packed in one integer: the larger days, then the later end


def _date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def streaks(prices: pl.DataFrame, pairs: pl.DataFrame, as_of) -> pl.DataFrame:
    """One row per pair and common session (rules of the streak mart: the first common
    session has no return; a tie neither extends, starts nor breaks a streak)."""
    as_of = _date(as_of)
    closes = (prices.lazy().with_columns(pl.col("date").cast(pl.Date))
              .filter((pl.col("date") <= as_of) & (pl.col("adj_close") > 0))
              .select("ticker", "date", "adj_close")
              # materialised: joined twice, and polars 2.1's lazy plan with both joins reading
              # one lazy source ran 60x slower than this
              .collect().lazy())
    joined = (pairs.lazy().select("pair_id", "lead", "base", "label")
              .join(closes.rename({"ticker": "lead", "adj_close": "lead_close"}), on="lead")
              .join(closes.rename({"ticker": "base", "adj_close": "base_close"}), on=["base", "date"])
              .sort("pair_id", "date"))
    lr, br = pl.col("lead_return"), pl.col("base_return")
    days = (joined
            .with_columns(history_start=pl.col("date").min().over("pair_id"),
                          ratio=pl.col("lead_close") / pl.col("base_close"),
                          lead_return=pl.col("lead_close") / pl.col("lead_close").shift(1).over("pair_id") - 1,
                          base_return=pl.col("base_close") / pl.col("base_close").shift(1).over("pair_id") - 1)
            .with_columns(spread=lr - br,
                          outperformed=pl.when(lr > br).then(True).when(lr < br).then(False),
                          dir=pl.when(lr > br).then(1).when(lr < br).then(-1).otherwise(0))
            .with_columns(decided_n=(pl.col("dir") != 0).cast(pl.Int64).cum_sum().over("pair_id"))
            .collect().lazy())  # materialised: the plan below reads it three times
    dec = (days.filter(pl.col("dir") != 0).select("pair_id", "date", "dir", "decided_n")
           .with_columns(streak_id=(pl.col("dir") != pl.col("dir").shift(1)).fill_null(True)
                         .cast(pl.Int64).cum_sum().over("pair_id"))
           .with_columns(run_length=pl.int_range(1, pl.len() + 1).over("pair_id", "streak_id"),
                         streak_start=pl.col("date").min().over("pair_id", "streak_id"))
           .collect().lazy())
    runs = (dec.group_by("pair_id", "streak_id")
            .agg(dir=pl.col("dir").first(), end_date=pl.col("date").max(), days=pl.len().cast(pl.Int64))
            .sort("pair_id", "streak_id")
            # the longest same-direction streak before each one (a tie: the more recent)
            .with_columns(score=pl.col("days") * _SCORE + pl.col("end_date").cast(pl.Int64))
            .with_columns(best=pl.col("score").cum_max().shift(1).over("pair_id", "dir"))
            .with_columns(best_days=(pl.col("best") // _SCORE).fill_null(0),
                          best_end=(pl.col("best") % _SCORE).cast(pl.Int32).cast(pl.Date))
            .collect().lazy())
    # prior comparable: the most recent earlier same-direction streak at least as long
    prior = (dec.select("pair_id", "date", "dir", "streak_id", "run_length")
             .join(runs.select("pair_id", "dir", pl.col("streak_id").alias("sid"), "end_date", "days"),
                   on=["pair_id", "dir"])
             .filter((pl.col("sid") < pl.col("streak_id")) & (pl.col("days") >= pl.col("run_length")))
             .group_by("pair_id", "date")
             .agg(prior_comparable_end=pl.col("end_date").max(),
                  prior_days=pl.col("days").sort_by("end_date").last())
             .collect().lazy())
    standing = (dec.join(runs.select("pair_id", "streak_id", "best_days", "best_end"), on=["pair_id", "streak_id"])
                .join(prior, on=["pair_id", "date"], how="left")
                .select("pair_id", "decided_n",
                        streak_days=pl.col("dir") * pl.col("run_length"),
                        streak_start="streak_start",
                        prior_comparable_end="prior_comparable_end",
                        prior_comparable_days=pl.col("dir") * pl.col("prior_days"),
                        longest_streak_days=pl.col("dir") * pl.max_horizontal("run_length", "best_days"),
                        longest_streak_end=pl.when(pl.col("run_length") >= pl.col("best_days"))
                        .then(pl.col("date")).otherwise(pl.col("best_end"))))
    return (days.join(standing, on=["pair_id", "decided_n"], how="left")
            .select(STREAK_COLUMNS).sort("pair_id", "date").collect())


def breakouts(prices: pl.DataFrame, universe: pl.DataFrame, attention: pl.DataFrame, as_of,
              p: dict) -> pl.DataFrame:
    """One row per equity that broke out within the last `breakout_window` sessions (rules of
    the cooling_breakouts mart); `p` holds the mart's parameters."""
    as_of = _date(as_of)
    lookback, window = int(p["breakout_lookback"]), int(p["breakout_window"])
    vol_n, ratio = int(p["volume_avg_sessions"]), float(p["volume_confirm_ratio"])
    equities = universe.lazy().filter(pl.col("asset_type") == "equity").select("ticker", "name").collect().lazy()
    bars = (prices.lazy().with_columns(pl.col("date").cast(pl.Date))
            .filter(pl.col("date") <= as_of)
            .join(equities.select("ticker"), on="ticker", how="semi")
            .select("ticker", "date", "close", "volume").sort("ticker", "date")
            .with_columns(prior_high=pl.col("close").shift(1).rolling_max(lookback, min_samples=lookback)
                          .over("ticker"),
                          prior_avg_volume=pl.col("volume").shift(1).rolling_mean(vol_n, min_samples=vol_n)
                          .over("ticker"))
            .collect())
    sessions = bars.select(pl.col("date").unique().sort(descending=True)).to_series()
    first_date, last_session = sessions[min(window, len(sessions)) - 1], sessions[0]
    sessions_back = pl.DataFrame({"breakout_date": sessions,
                                  "days_since_breakout": pl.int_range(0, len(sessions), eager=True)})
    in_window = bars.lazy().filter(pl.col("date") >= first_date)
    volume_ok = (pl.lit(ratio == 0) | ((pl.col("prior_avg_volume") > 0)
                                       & (pl.col("volume") >= ratio * pl.col("prior_avg_volume"))))
    first = (in_window.filter((pl.col("close") > pl.col("prior_high")) & volume_ok)
             .group_by("ticker").agg(pl.all().sort_by("date").first())
             .select("ticker", breakout_date="date", breakout_level="prior_high", breakout_close="close",
                     volume_ratio=pl.col("volume") / pl.col("prior_avg_volume"))
             .collect().lazy())  # read by three branches below
    peaks = (in_window.join(first.select("ticker", "breakout_date"), on="ticker")
             .filter(pl.col("date") >= pl.col("breakout_date"))
             .with_columns(peak_close=pl.col("close").max().over("ticker"))
             .group_by("ticker")
             .agg(peak_close=pl.col("peak_close").first(),
                  peak_date=pl.col("date").filter(pl.col("close") == pl.col("peak_close")).min(),
                  close=pl.col("close").sort_by("date").last()))
    recent_days, base_days = int(p["attention_recent_days"]), int(p["attention_base_days"])
    recent_from = as_of - dt.timedelta(days=recent_days)
    att = (attention.lazy().with_columns(pl.col("date").cast(pl.Date))
           .join(first.select("ticker"), on="ticker", how="semi")
           .filter((pl.col("date") <= as_of) & (pl.col("date") > as_of - dt.timedelta(days=recent_days + base_days)))
           .group_by("ticker", "source", "date").agg(pl.col("value").sum())
           .group_by("ticker", "source")
           .agg(attention_recent=pl.col("value").filter(pl.col("date") > recent_from).mean(),
                attention_base=pl.col("value").filter(pl.col("date") <= recent_from).mean(),
                days=pl.len())
           .with_columns(both=pl.col("attention_recent").is_not_null() & pl.col("attention_base").is_not_null())
           .sort(["ticker", "both", "days", "source"], descending=[False, True, True, False])
           .group_by("ticker", maintain_order=True).first()
           .select("ticker", attention_source="source", attention_recent="attention_recent",
                   attention_base="attention_base"))
    rec, base = pl.col("attention_recent"), pl.col("attention_base")
    move = (pl.when(base > 0).then((rec / base - 1) * 100)
            .when((base == 0) & (rec > 0)).then(float("inf"))
            .when((base == 0) & (rec == 0)).then(0.0))
    pullback = pl.col("pullback_pct")
    return (first.join(peaks, on="ticker").join(att, on="ticker", how="left").join(equities, on="ticker")
            .join(sessions_back.lazy(), on="breakout_date")
            .with_columns(as_of=pl.lit(last_session),
                          pullback_pct=(1 - pl.col("close") / pl.col("peak_close")) * 100,
                          above_level_pct=(pl.col("close") / pl.col("breakout_level") - 1) * 100,
                          attention_change_pct=pl.when(base > 0).then((rec / base - 1) * 100),
                          move=move)
            .with_columns(status=pl.when(pl.col("close") < pl.col("breakout_level")).then(pl.lit("failed"))
                          .when((pullback >= p["cooling_pullback_pct"])
                                & (pl.col("move").is_null() | (pl.col("move") <= -p["cooling_attention_drop_pct"])))
                          .then(pl.lit("cooling"))
                          .when((pullback <= p["heating_pullback_pct"])
                                & (pl.col("move").is_null()
                                   | (pl.col("move") >= p["heating_attention_min_change_pct"])))
                          .then(pl.lit("heating"))
                          .otherwise(pl.lit("holding")))
            .select(BREAKOUT_COLUMNS).sort("ticker").collect())


def run(prices: pl.DataFrame, pairs: pl.DataFrame, universe: pl.DataFrame, attention: pl.DataFrame,
        as_of, p: dict, fundamentals: pl.DataFrame | None = None, timings: dict | None = None) -> tuple:
    """Every mart this reference covers, as the benchmark times them, in REFERENCE_MARTS order
    (as pandas_reference.run): (streaks, breakouts) and, given `fundamentals`, then
    (market_breadth, valuation_gap, quality_leaders, streak_outcomes, streak_outcome_summary).
    `timings`, when given, gets each mart's seconds."""
    from benchmarks.pandas_reference import run_with

    return run_with(sys.modules[__name__], prices, pairs, universe, attention, as_of, p, fundamentals, timings)


# --------------------------------------------------------------------------- market breadth

def segment_members(universe: pl.DataFrame) -> pl.LazyFrame:
    """[ticker, segment]: every equity once per segment it belongs to (stg_universe.segments)."""
    return (universe.lazy().filter(pl.col("asset_type") == "equity")
            .select("ticker", segment=pl.col("segments"))
            .filter(pl.col("segment").list.len() > 0)  # an empty list is no membership
            .explode("segment").unique())


def breadth(prices: pl.DataFrame, universe: pl.DataFrame, fundamentals: pl.DataFrame, as_of,
            p: dict) -> pl.DataFrame:
    """One row per session (the last `breadth_history_sessions` up to the as-of day) and
    equity segment (rules of the market_breadth mart, sql/marts/market_breadth.sql; see
    pandas_reference.breadth)."""
    as_of = _date(as_of)
    short, long_ = int(p["breadth_short_ma_sessions"]), int(p["breadth_long_ma_sessions"])
    high_low, trend = int(p["new_high_low_sessions"]), int(p["breadth_trend_sessions"])
    span = 2 * max(short, long_, high_low, 20)
    tolerance = p["breadth_spread_tolerance"] / 100
    max_age = dt.timedelta(days=int(p["fundamentals_max_age_days"]))

    members = segment_members(universe).collect().lazy()
    bars = (prices.lazy().with_columns(pl.col("date").cast(pl.Date))
            .filter(pl.col("date") <= as_of)
            .join(members.select("ticker").unique(), on="ticker", how="semi")
            .select("ticker", "date", "close", "adj_close"))
    # market sessions counted back from the as-of day (1 = the latest): the history rule's unit
    sessions = (bars.select(pl.col("date").unique()).sort("date", descending=True)
                .with_columns(sb=pl.int_range(1, pl.len() + 1)).collect())
    shown = min(int(p["breadth_history_sessions"]), sessions.height)
    totalled = shown + trend  # the signal compares with the spread `trend` sessions earlier
    caps = (fundamentals.lazy().with_columns(pl.col("as_of").cast(pl.Date))
            .filter((pl.col("market_cap") > 0) & (pl.col("as_of") <= as_of))
            .select("ticker", taken="as_of", cap="market_cap").sort("taken"))

    def within(n: int) -> pl.Expr:
        """the bar n rows back exists and lies within the last 2 x L market sessions"""
        return (pl.col("sb").shift(n).over("ticker") - pl.col("sb")) < span

    def flag(n: int, test: pl.Expr) -> pl.Expr:
        return pl.when(within(n - 1)).then(test)

    close = pl.col("close")
    measured = (bars.join(sessions.lazy(), on="date")
                # no window reads further back than 2 x L sessions before the oldest totalled one
                .filter(pl.col("sb") <= totalled + span)
                .sort("date")
                # each bar's latest cap on or before its date, at most max_age old
                .join_asof(caps, left_on="date", right_on="taken", by="ticker", strategy="backward",
                           tolerance=max_age, check_sortedness=False)  # both sorted by date above
                .sort("ticker", "date")
                .with_columns(
                    above_short=flag(short, close > close.rolling_mean(short).over("ticker")),
                    above_long=flag(long_, close > close.rolling_mean(long_).over("ticker")),
                    new_high=flag(high_low, close >= close.rolling_max(high_low).over("ticker")),
                    new_low=flag(high_low, close <= close.rolling_min(high_low).over("ticker")),
                    **{f"ret_{n}": pl.when(within(n)).then(
                        pl.col("adj_close") / pl.col("adj_close").shift(n).over("ticker") - 1)
                       for n in RETURN_SESSIONS},
                    # weight: the cap at the return's start
                    **{f"cap_{n}": pl.col("cap").shift(n).over("ticker") for n in RETURN_SESSIONS})
                .with_columns(**{f"wret_{n}": pl.col(f"cap_{n}") * pl.col(f"ret_{n}") for n in RETURN_SESSIONS},
                              **{f"wcap_{n}": pl.when(pl.col(f"ret_{n}").is_not_null()).then(pl.col(f"cap_{n}"))
                                 for n in RETURN_SESSIONS})
                .filter(pl.col("sb") <= totalled))

    def share(col: str) -> pl.Expr:
        known = pl.col(col).count()
        return pl.when(known > 0).then(100.0 * pl.col(col).sum() / known)

    def cap_weighted(n: int) -> pl.Expr:
        return pl.when(pl.col(f"wcap_{n}").count() > 0).then(pl.col(f"wret_{n}").sum() / pl.col(f"wcap_{n}").sum())

    agg = (measured.join(members, on="ticker")
           .group_by("date", "sb", "segment")
           .agg(members=pl.len().cast(pl.Int64),
                pct_above_50d=share("above_short"), pct_above_200d=share("above_long"),
                new_highs=pl.col("new_high").sum().cast(pl.Int64),
                new_lows=pl.col("new_low").sum().cast(pl.Int64),
                cap_weighted_members_20d=pl.col("wret_20").count().cast(pl.Int64),
                **{f"equal_weight_return_{n}d": pl.col(f"ret_{n}").mean() for n in RETURN_SESSIONS},
                **{f"cap_weight_return_{n}d": cap_weighted(n) for n in RETURN_SESSIONS})
           .with_columns(**{f"breadth_spread_{n}d":
                            pl.col(f"equal_weight_return_{n}d") - pl.col(f"cap_weight_return_{n}d")
                            for n in RETURN_SESSIONS})
           .collect().lazy())  # read twice: the rows and their spread `trend` sessions earlier
    before = agg.select("segment", pl.col("sb") - trend, before=pl.col("breadth_spread_20d"))
    spread = pl.col("breadth_spread_20d")
    moved = spread - pl.col("before")
    return (agg.filter(pl.col("sb") <= shown)
            .join(before, on=["segment", "sb"], how="left")
            .with_columns(breadth_signal=pl.when(spread.is_null() | pl.col("before").is_null()).then(None)
                          .when((spread > tolerance) & (moved > tolerance)).then(pl.lit("broadening"))
                          .when((spread < -tolerance) & (moved < -tolerance)).then(pl.lit("narrowing"))
                          .otherwise(pl.lit("mixed")))
            .rename({"date": "as_of"})
            .select(BREADTH_COLUMNS).sort("as_of", "segment").collect())


# --------------------------------------------------------------------------- valuation gap

def valuation(universe: pl.DataFrame, fundamentals: pl.DataFrame, as_of, p: dict) -> pl.DataFrame:
    """One row per day with fundamentals snapshots (up to the as-of day) and equity segment
    (rules of the valuation_gap mart, sql/marts/valuation_gap.sql; see
    pandas_reference.valuation)."""
    as_of = _date(as_of)
    members = segment_members(universe).collect().lazy()
    snaps = (fundamentals.lazy().with_columns(pl.col("as_of").cast(pl.Date))
             .filter(pl.col("as_of") <= as_of)
             .select("ticker", "market_cap", "shares_outstanding", "forward_eps", "forward_pe", "profitable",
                     taken="as_of")
             .sort("taken").collect().lazy())
    grid = (snaps.select(as_of=pl.col("taken").unique())
            .join(members.select(pl.col("ticker").unique()), how="cross").sort("as_of"))
    mcap, shares, eps, pe = (pl.col(c) for c in ("market_cap", "shares_outstanding", "forward_eps", "forward_pe"))
    cap, earnings = pl.col("cap"), pl.col("earnings")
    covered = pl.col("is_covered")
    positive = covered & (earnings > 0)
    unprofitable = pl.col("unprofitable")

    def total(value: pl.Expr, where: pl.Expr) -> pl.Expr:
        """the sum of `value` over the rows `where` holds; null when none has a value"""
        kept = value.filter(where)
        return pl.when(kept.count() > 0).then(kept.sum())

    segments = (grid.join_asof(snaps, left_on="as_of", right_on="taken", by="ticker", strategy="backward",
                               tolerance=dt.timedelta(days=int(p["fundamentals_max_age_days"])),
                               check_sortedness=False)  # both sorted by date above
                .with_columns(has_snapshot=pl.col("taken").is_not_null(),
                              cap=pl.when(mcap > 0).then(mcap),
                              earnings=pl.when((shares > 0) & eps.is_not_null()).then(shares * eps)
                              .when((mcap > 0) & (pe != 0)).then(mcap / pe),
                              unprofitable=pl.col("profitable").not_())
                .with_columns(is_covered=cap.is_not_null() & earnings.is_not_null())
                .join(members, on="ticker")
                .group_by("as_of", "segment")
                .agg(constituents=pl.len().cast(pl.Int64),
                     snapshots=pl.col("has_snapshot").sum().cast(pl.Int64),
                     covered=covered.sum().cast(pl.Int64),
                     market_cap=total(cap, covered), forward_earnings=total(earnings, covered),
                     cap_positive=total(cap, positive), earnings_positive=total(earnings, positive),
                     median_forward_pe=(cap / earnings).filter(positive).median(),
                     loss_makers=(covered & (earnings <= 0)).sum().cast(pl.Int64),
                     unprofitable_count=unprofitable.sum().cast(pl.Int64),
                     known=unprofitable.count(),
                     cap_unprofitable=total(cap, unprofitable.fill_null(False)),
                     cap_known=total(cap, unprofitable.is_not_null()))
                .with_columns(forward_pe=pl.when(pl.col("forward_earnings") > 0)
                              .then(pl.col("market_cap") / pl.col("forward_earnings")),
                              forward_pe_ex_negative=pl.when(pl.col("earnings_positive") > 0)
                              .then(pl.col("cap_positive") / pl.col("earnings_positive")),
                              earnings_yield=pl.when(pl.col("market_cap") > 0)
                              .then(pl.col("forward_earnings") / pl.col("market_cap")),
                              unprofitable_pct=pl.when(pl.col("known") > 0)
                              .then(100.0 * pl.col("unprofitable_count") / pl.col("known")),
                              unprofitable_cap_pct=pl.when(pl.col("cap_known") > 0)
                              .then(100.0 * pl.col("cap_unprofitable").fill_null(0) / pl.col("cap_known")))
                .collect().lazy())  # read twice: every segment, and large_cap as the comparison
    large = segments.filter(pl.col("segment") == "large_cap").select("as_of", large_cap_forward_pe="forward_pe")
    return (segments.join(large, on="as_of", how="left")
            .with_columns(discount_pct=(1 - pl.col("forward_pe") / pl.col("large_cap_forward_pe")) * 100)
            .select(VALUATION_COLUMNS).sort("as_of", "segment").collect())


# --------------------------------------------------------------------------- quality leaders

def mid_rank_pct(col: str | pl.Expr, descending: bool = False) -> pl.Expr:
    """Mid-rank percentile (0-100) among the known values: ties share the middle of their
    places, a lone value scores 50; null stays null."""
    values = pl.col(col) if isinstance(col, str) else col
    known = values.count()
    ranks = values.rank("average", descending=descending)
    return pl.when(values.is_null()).then(None).when(known > 1).then(100 * (ranks - 1) / (known - 1)).otherwise(50.0)


def quality(prices: pl.DataFrame, universe: pl.DataFrame, fundamentals: pl.DataFrame, as_of,
            p: dict) -> pl.DataFrame:
    """One row per small cap with the data to be scored at the as-of session (rules of the
    quality_leaders mart, sql/marts/quality_leaders.sql; see pandas_reference.quality)."""
    as_of = _date(as_of)
    rs, max_age = int(p["rs_sessions"]), dt.timedelta(days=int(p["fundamentals_max_age_days"]))
    equities = universe.lazy().filter(pl.col("asset_type") == "equity")
    small = (equities.filter(pl.col("segments").list.contains("small_cap"))
             .select("ticker", "name", "sector").collect().lazy())
    equity_bars = (prices.lazy().with_columns(pl.col("date").cast(pl.Date))
                   .filter(pl.col("date") <= as_of)
                   .join(equities.select("ticker"), on="ticker", how="semi")
                   .select("ticker", "date", "adj_close").collect())
    sessions = equity_bars.select(pl.col("date").unique().sort(descending=True)).to_series()
    day, first_read = sessions[0], sessions[min(2 * (rs + 1), len(sessions)) - 1]

    # each name's last rs_sessions + 1 closes within the read window, first vs last
    returns = (equity_bars.lazy().join(small.select("ticker"), on="ticker", how="semi")
               .filter(pl.col("date") >= first_read)
               .sort("ticker", "date")
               .group_by("ticker").agg(pl.col("adj_close").sort_by("date").tail(rs + 1))
               .filter((pl.col("adj_close").list.len() == rs + 1) & (pl.col("adj_close").list.first() > 0))
               .select("ticker", return_rs=pl.col("adj_close").list.last() / pl.col("adj_close").list.first() - 1)
               .collect())
    median = returns["return_rs"].median()
    snaps = (fundamentals.lazy().with_columns(pl.col("as_of").cast(pl.Date))
             .filter((pl.col("as_of") <= day) & (pl.col("as_of") >= day - max_age))
             .join(small.select("ticker"), on="ticker", how="semi")
             .sort("as_of").group_by("ticker").last()
             .rename({"as_of": "snapshot_date", "sector": "snapshot_sector"}))
    weights = {col: p[name] for col, name in QUALITY_WEIGHTS.items()}
    total = sum(weights.values())
    # lower debt to equity is better; negative equity ranks worst of all
    leverage_key = pl.when(pl.col("debt_to_equity") < 0).then(float("inf")).otherwise(pl.col("debt_to_equity"))
    leverage, net_cash = pl.col("leverage_pct"), pl.col("net_cash_pct")
    return (small.join(snaps, on="ticker").join(returns.lazy(), on="ticker")
            .with_columns(as_of=pl.lit(day), sector=pl.coalesce("sector", "snapshot_sector"),
                          net_cash=pl.col("total_cash") - pl.col("total_debt"),
                          segment_median_return=pl.lit(median, dtype=pl.Float64),
                          relative_strength=pl.col("return_rs") - median)
            .with_columns(net_cash_to_cap=pl.when(pl.col("market_cap") > 0)
                          .then(pl.col("net_cash") / pl.col("market_cap")))
            .filter(pl.col("profit_margin").is_not_null() & pl.col("earnings_growth").is_not_null()
                    & pl.col("relative_strength").is_not_null()
                    & (pl.col("debt_to_equity").is_not_null() | pl.col("net_cash_to_cap").is_not_null()))
            .with_columns(profitability_score=mid_rank_pct("profit_margin"),
                          growth_score=mid_rank_pct("earnings_growth"),
                          strength_score=mid_rank_pct("relative_strength"),
                          leverage_pct=mid_rank_pct(leverage_key, descending=True),
                          net_cash_pct=mid_rank_pct("net_cash_to_cap"))
            .with_columns(balance_sheet_score=(leverage.fill_null(net_cash) + net_cash.fill_null(leverage)) / 2)
            .with_columns(quality_score=sum(w * pl.col(col) for col, w in weights.items()) / total
                          if total else pl.lit(None, dtype=pl.Float64))
            .sort(["quality_score", "ticker"], descending=[True, False])
            .with_columns(rank=pl.int_range(1, pl.len() + 1))
            .select(QUALITY_COLUMNS).collect())


# --------------------------------------------------------------------------- streak outcomes

def _numbered(streak_rows: pl.DataFrame, as_of) -> pl.LazyFrame:
    return (streak_rows.lazy().with_columns(pl.col("date", "streak_start", "history_start").cast(pl.Date))
            .filter(pl.col("date") <= _date(as_of)).sort("pair_id", "date")
            .with_columns(n=pl.int_range(1, pl.len() + 1).over("pair_id")))


def _streak_runs(days: pl.LazyFrame) -> pl.LazyFrame:
    """Every streak (completed or running): one per pair and start, with its direction, signed
    days, length and first session at that length."""
    length = pl.col("streak_days").abs().max()
    return (days.filter(pl.col("streak_days").is_not_null())
            .group_by("pair_id", "streak_start")
            .agg(pl.col("lead", "base", "label", "history_start").first(),
                 sign=pl.col("streak_days").first().sign(),
                 length=length.cast(pl.Int64),
                 streak_end=pl.col("date").filter(pl.col("streak_days").abs() == length).min())
            .with_columns(streak_days=(pl.col("sign") * pl.col("length")).cast(pl.Int64),
                          direction=pl.when(pl.col("sign") > 0).then(pl.lit("ahead")).otherwise(pl.lit("behind")))
            .sort("pair_id", "streak_start"))


def outcomes(streak_rows: pl.DataFrame, as_of, p: dict) -> pl.DataFrame:
    """One row per completed streak of at least outcome_min_streak sessions (rules of the
    streak_outcomes mart; see pandas_reference.outcomes). Reads `streaks()` output."""
    days = _numbered(streak_rows, as_of).collect().lazy()
    closes = days.select("pair_id", "date", "n", "lead_close", "base_close")
    out = (_streak_runs(days)
           .with_columns(broke_on=pl.col("streak_start").shift(-1).over("pair_id"),
                         from_history_start=pl.col("streak_start") == pl.col("streak_start").min().over("pair_id"))
           .filter(pl.col("length") >= int(p["outcome_min_streak"]))
           .join(closes.rename({"date": "broke_on", "n": "broke_n", "lead_close": "lead_origin",
                                "base_close": "base_origin"}), on=["pair_id", "broke_on"]))
    for h in HORIZONS:
        later = closes.select("pair_id", broke_n=pl.col("n") - h, lead_h="lead_close", base_h="base_close")
        out = (out.join(later, on=["pair_id", "broke_n"], how="left")
               .with_columns(**{f"lead_return_{h}d": pl.col("lead_h") / pl.col("lead_origin") - 1,
                                f"base_return_{h}d": pl.col("base_h") / pl.col("base_origin") - 1})
               .with_columns(**{f"relative_return_{h}d": pl.col(f"lead_return_{h}d") - pl.col(f"base_return_{h}d")})
               .drop("lead_h", "base_h"))
    return out.select(OUTCOME_COLUMNS).sort("pair_id", "streak_end").collect()


def outcome_summary(streak_rows: pl.DataFrame, outcome_rows: pl.DataFrame, as_of, p: dict) -> pl.DataFrame:
    """One row per pair, direction, minimum streak length and horizon (rules of the
    streak_outcome_summary mart; see pandas_reference.outcome_summary)."""
    days = _numbered(streak_rows, as_of).collect().lazy()
    pairs = days.group_by("pair_id").agg(
        as_of=pl.col("date").max(), history_start=pl.col("history_start").first(),
        current_streak_days=pl.col("streak_days").drop_nulls().last(),
        lead_wins=(pl.col("spread") > 0).sum(), base_wins=(pl.col("spread") < 0).sum())
    runs = _streak_runs(days).collect().lazy()
    lengths = (runs.group_by("pair_id", "direction")
               .agg(min_length=pl.int_ranges(int(p["outcome_min_streak"]), pl.col("length").max() + 1).first())
               .explode("min_length").drop_nulls("min_length")
               .collect().lazy())
    reaching = pl.col("length") >= pl.col("min_length")
    rarity = (lengths.join(runs.select("pair_id", "direction", "length"), on=["pair_id", "direction"])
              .group_by("pair_id", "direction", "min_length")
              .agg(streaks_in_direction=pl.len().cast(pl.Int64), streaks_reaching=reaching.sum().cast(pl.Int64)))

    def pct(hits: pl.Expr, of: pl.Expr) -> pl.Expr:
        return pl.when(of > 0).then(100.0 * hits / of)

    lead, base = pl.col("lead_return"), pl.col("base_return")
    relative = lead - base
    done = outcome_rows.lazy().filter(pl.col("streak_end").cast(pl.Date) <= _date(as_of))
    per_horizon = pl.concat([done.select("pair_id", "direction", "length", horizon=pl.lit(h, dtype=pl.Int32),
                                         lead_return=f"lead_return_{h}d", base_return=f"base_return_{h}d")
                             for h in HORIZONS])
    earlier = (lengths.join(per_horizon, on=["pair_id", "direction"]).filter(reaching)
               .group_by("pair_id", "direction", "min_length", "horizon")
               .agg(earlier_streaks=pl.len().cast(pl.Int64), observations=lead.count().cast(pl.Int64),
                    mean_lead_return=lead.mean(), median_lead_return=lead.median(),
                    mean_base_return=base.mean(), median_base_return=base.median(),
                    mean_relative_return=relative.mean(), median_relative_return=relative.median(),
                    lead_rose_pct=pct((lead > 0).sum(), lead.count()),
                    lead_beat_pct=pct((lead > base).sum(), lead.count())))
    # any time: from every session's close, the return over each horizon once elapsed
    closes = days.select("pair_id", "n", "lead_close", "base_close")
    forward = pl.concat([closes.join(closes.select("pair_id", n=pl.col("n") - h, lead_f="lead_close",
                                                   base_f="base_close"), on=["pair_id", "n"])
                         .select("pair_id", horizon=pl.lit(h, dtype=pl.Int32),
                                 lead_return=pl.col("lead_f") / pl.col("lead_close") - 1,
                                 base_return=pl.col("base_f") / pl.col("base_close") - 1)
                         for h in HORIZONS])
    any_time = (forward.group_by("pair_id", "horizon")
                .agg(any_time_observations=pl.len().cast(pl.Int64), any_time_mean_lead_return=lead.mean(),
                     any_time_mean_base_return=base.mean(), any_time_mean_relative_return=relative.mean(),
                     any_time_median_relative_return=relative.median(),
                     any_time_lead_rose_pct=100.0 * (lead > 0).sum() / pl.len(),
                     any_time_lead_beat_pct=100.0 * (lead > base).sum() / pl.len()))
    current = pl.col("current_streak_days")
    wins = pl.when(pl.col("direction") == "ahead").then(pl.col("lead_wins")).otherwise(pl.col("base_wins"))
    return (lengths.join(pl.LazyFrame({"horizon": list(HORIZONS)}, schema={"horizon": pl.Int32}), how="cross")
            .join(pairs, on="pair_id")
            .join(rarity, on=["pair_id", "direction", "min_length"])
            .join(earlier, on=["pair_id", "direction", "min_length", "horizon"], how="left")
            .join(any_time, on=["pair_id", "horizon"], how="left")
            .with_columns(pl.col("earlier_streaks", "observations", "any_time_observations").fill_null(0),
                          is_current=(pl.col("direction") == pl.when(current > 0).then(pl.lit("ahead"))
                                      .otherwise(pl.lit("behind"))) & (pl.col("min_length") == current.abs()),
                          reached_pct=100.0 * pl.col("streaks_reaching") / pl.col("streaks_in_direction"),
                          win_rate_pct=pct(wins, pl.col("lead_wins") + pl.col("base_wins")))
            .with_columns(coin_reached_pct=100.0 * (pl.col("win_rate_pct") / 100.0).pow(pl.col("min_length") - 1))
            .select(SUMMARY_COLUMNS).sort("pair_id", "direction", "min_length", "horizon").collect())
