-- market_breadth: one row per session (the last breadth_history_sessions up to the as-of day) and equity segment: how many members are in uptrends or at new highs, and whether the average member beats the cap-weighted segment (breadth_signal: broadening when the 20-session equal-minus-cap spread is positive and rising, beyond a tolerance).
-- @key as_of, segment
-- @incremental as_of keep breadth_history_sessions
-- @carry as_of DATE, segment VARCHAR, breadth_spread_20d DOUBLE
-- @column as_of: session date.
-- @column segment: equity segment from stg_universe.segments (small_cap, large_cap, sp500, ...).
-- @column members: segment members with a close on this session.
-- @column pct_above_50d: percent (0-100) of members with breadth_short_ma_sessions (50) sessions of history whose close is above their 50-session average close (today included; compared exactly, closes to 1e-6 as decimals); null when none has the history. Every measure reads a member's bars of the last 2 x L market sessions up to the row (L = the longest window, at least 20): a name that traded on fewer than half of them lacks the history.
-- @column pct_above_200d: same with the breadth_long_ma_sessions (200) session average.
-- @column new_highs: members whose close is the highest of the last new_high_low_sessions (252) sessions, today included (needs that much history).
-- @column new_lows: members whose close is the lowest of the last new_high_low_sessions (252) sessions.
-- @column equal_weight_return_1d: mean of the members' 1-session returns (adjusted closes), fraction.
-- @column cap_weight_return_1d: members' 1-session returns weighted by their market cap at the start of the period (the latest snapshot on or before the session the return is measured from, at most fundamentals_max_age_days old; members without one left out); null when no member has one.
-- @column breadth_spread_1d: equal_weight_return_1d - cap_weight_return_1d; positive = the average member beat the big ones; null without cap weights.
-- @column equal_weight_return_5d: mean of the members' 5-session returns, fraction.
-- @column cap_weight_return_5d: cap-weighted 5-session return (weights: caps 5 sessions back, as for 1d).
-- @column breadth_spread_5d: equal_weight_return_5d - cap_weight_return_5d.
-- @column equal_weight_return_20d: mean of the members' 20-session returns, fraction.
-- @column cap_weight_return_20d: cap-weighted 20-session return (weights: caps 20 sessions back, as for 1d).
-- @column breadth_spread_20d: equal_weight_return_20d - cap_weight_return_20d: what breadth_signal reads.
-- @column cap_weighted_members_20d: members with a 20-session return and a usable cap at its start (0 = no cap weights: spreads and breadth_signal are null).
-- @column breadth_signal: broadening (breadth_spread_20d above breadth_spread_tolerance points and up more than that over breadth_trend_sessions sessions), narrowing (the mirror image), mixed (anything else); null when the spread or its earlier value is unknown (no cap weights, short history).
WITH members AS (
    SELECT DISTINCT ticker, segment
    FROM (SELECT ticker, unnest(segments) AS segment
          FROM staging.stg_universe
          WHERE asset_type = 'equity')
),
tickers AS (
    -- an integer id per name: windows partition on it much faster than on text
    SELECT ticker, row_number() OVER (ORDER BY ticker) AS tid
    FROM (SELECT DISTINCT ticker FROM members)
),
market_sessions AS (
    SELECT date, row_number() OVER (ORDER BY date DESC) AS sessions_back
    FROM (SELECT DISTINCT date
          FROM staging.stg_prices
          WHERE date <= $as_of AND ticker IN (SELECT ticker FROM tickers))
),
lookback AS (
    -- the longest lookback of a measure, in a member's sessions
    SELECT greatest($breadth_long_ma_sessions::INTEGER, $new_high_low_sessions::INTEGER,
                    $breadth_short_ma_sessions::INTEGER, 20) AS n
),
prior_spreads AS (
    -- the spreads of the mart's own earlier rows (an incremental build hands them over as
    -- `carried`; empty on a full rebuild), numbered like the sessions
    SELECT s.sessions_back AS sb, c.segment, c.breadth_spread_20d
    FROM carried c
    JOIN market_sessions s ON s.date = c.as_of
),
bounds AS (
    -- a run writes the shown sessions from $since on (scout_pipeline/incremental.py); the
    -- sessions_back of the oldest written (emit), of the oldest whose totals this build
    -- computes (agg: the written ones, plus the breadth_trend_sessions before them that
    -- breadth_signal compares with unless the mart's earlier rows hold them all), and of the
    -- oldest bar a member's measures may read (read): a measure reads the member's bars of
    -- the last 2 x lookback market sessions up to its row (a name missing more than half of
    -- them lacks history for the longer measures), so a row's values do not depend on the
    -- run that wrote it
    SELECT e.emit, e.emit + e.before AS agg, e.emit + e.before + 2 * l.n AS read, 2 * l.n AS span,
           -- a few sessions (a daily run): a member's measures as one aggregate of its last
           -- bars per session; more (a rebuild): sliding windows over its bars
           e.emit + e.before <= 5 AS by_member
    FROM (SELECT emit,
                 CASE WHEN (SELECT count(DISTINCT sb) FROM prior_spreads
                            WHERE sb > emit AND sb <= emit + $breadth_trend_sessions::INTEGER)
                           = $breadth_trend_sessions::INTEGER
                      THEN 0 ELSE $breadth_trend_sessions::INTEGER END AS before
          FROM (SELECT max(sessions_back) FILTER (
                           WHERE sessions_back <= $breadth_history_sessions::INTEGER AND date >= $since) AS emit
                FROM market_sessions)) e,
         lookback l
),
first_read AS (
    SELECT min(m.date) AS date FROM market_sessions m, bounds k WHERE m.sessions_back <= k.read
),
recent AS (
    SELECT t.tid, p.ticker, p.date, s.sessions_back AS sb, p.close, p.adj_close
    FROM staging.stg_prices p
    JOIN tickers t ON t.ticker = p.ticker
    JOIN market_sessions s ON s.date = p.date
    CROSS JOIN bounds b
    WHERE p.date <= $as_of AND s.sessions_back <= b.read AND NOT b.by_member
      AND p.date >= (SELECT date FROM first_read)
),
rolling AS (
    -- a full window is there when the bar N-1 rows back exists (closes are never null) and lies
    -- within the last 2 x lookback market sessions; one offset per window, no frame counts.
    -- A close is compared with its average as exact DECIMAL sums (closes to 1e-6), so the
    -- answer does not depend on the order a window or a list adds in: both paths agree
    SELECT r.tid, r.ticker, r.date, r.sb,
           -- a totalled bar, or one of the 20 before one (whose caps weigh its returns)
           min(sb) OVER (PARTITION BY tid ORDER BY date ROWS BETWEEN CURRENT ROW AND 20 FOLLOWING)
               <= b.agg AS weighed,
           CASE WHEN lag(sb, $breadth_short_ma_sessions::INTEGER - 1) OVER by_date - sb < b.span
                THEN close::DECIMAL(18, 6) * $breadth_short_ma_sessions::INTEGER
                     > sum(close::DECIMAL(18, 6)) OVER short_ma END AS above_short,
           CASE WHEN lag(sb, $breadth_long_ma_sessions::INTEGER - 1) OVER by_date - sb < b.span
                THEN close::DECIMAL(18, 6) * $breadth_long_ma_sessions::INTEGER
                     > sum(close::DECIMAL(18, 6)) OVER long_ma END AS above_long,
           CASE WHEN lag(sb, $new_high_low_sessions::INTEGER - 1) OVER by_date - sb < b.span
                THEN close >= max(close) OVER high_low END AS new_high,
           CASE WHEN lag(sb, $new_high_low_sessions::INTEGER - 1) OVER by_date - sb < b.span
                THEN close <= min(close) OVER high_low END AS new_low,
           CASE WHEN lag(sb, 1) OVER by_date - sb < b.span
                THEN adj_close / lag(adj_close, 1) OVER by_date - 1 END AS return_1d,
           CASE WHEN lag(sb, 5) OVER by_date - sb < b.span
                THEN adj_close / lag(adj_close, 5) OVER by_date - 1 END AS return_5d,
           CASE WHEN lag(sb, 20) OVER by_date - sb < b.span
                THEN adj_close / lag(adj_close, 20) OVER by_date - 1 END AS return_20d
    FROM recent r, bounds b
    WINDOW by_date AS (PARTITION BY tid ORDER BY date),
           short_ma AS (PARTITION BY tid ORDER BY date
                        ROWS BETWEEN $breadth_short_ma_sessions::INTEGER - 1 PRECEDING AND CURRENT ROW),
           long_ma AS (PARTITION BY tid ORDER BY date
                       ROWS BETWEEN $breadth_long_ma_sessions::INTEGER - 1 PRECEDING AND CURRENT ROW),
           high_low AS (PARTITION BY tid ORDER BY date
                        ROWS BETWEEN $new_high_low_sessions::INTEGER - 1 PRECEDING AND CURRENT ROW)
),
caps AS (
    SELECT t.tid, f.as_of AS date, {'cap': f.market_cap, 'taken': f.as_of} AS snap
    FROM staging.stg_fundamentals f
    JOIN tickers t ON t.ticker = f.ticker
    WHERE f.market_cap > 0 AND f.as_of <= $as_of
      -- an older snapshot is too old for every bar read
      -- (none on the few-sessions path: a date past every snapshot)
      AND f.as_of + $fundamentals_max_age_days::INTEGER
          >= (SELECT CASE WHEN k.by_member THEN DATE '9999-12-31' ELSE r.date END
              FROM first_read r, bounds k)
),
capped AS (
    -- each bar's latest market cap on or before its date (a snapshot taken the same day
    -- counts), usable only when at most fundamentals_max_age_days old: the rule valuation_gap uses
    SELECT *,
           CASE WHEN date - snap_at.taken <= $fundamentals_max_age_days::INTEGER
                THEN snap_at.cap END AS cap
    FROM (SELECT *,
                 last_value(snap IGNORE NULLS) OVER (
                     PARTITION BY tid ORDER BY date, is_bar ROWS UNBOUNDED PRECEDING) AS snap_at
          -- caps are needed for the totalled rows and the 20 bars before them (cap_20d)
          FROM (SELECT *, 1 AS is_bar FROM rolling WHERE weighed
                UNION ALL BY NAME
                SELECT *, 0 AS is_bar FROM caps))
    WHERE is_bar = 1
),
weighted AS (
    -- an N-session return is weighted by the cap at its START (the close it is measured
    -- from), as index arithmetic does: weighting by the end cap over-weights the winners
    SELECT tid, ticker, date, sb, above_short, above_long, new_high, new_low,
           return_1d, return_5d, return_20d,
           lag(cap, 1) OVER by_date AS cap_1d,
           lag(cap, 5) OVER by_date AS cap_5d,
           lag(cap, 20) OVER by_date AS cap_20d
    FROM capped, bounds b
    WINDOW by_date AS (PARTITION BY tid ORDER BY date)
    QUALIFY sb <= b.agg
),
member_bars AS (
    -- the few-sessions path: the members' bars of the last `read` market sessions
    SELECT t.tid, p.ticker, p.date, s.sessions_back AS sb, p.close, p.adj_close
    FROM staging.stg_prices p
    JOIN tickers t ON t.ticker = p.ticker
    JOIN market_sessions s ON s.date = p.date
    CROSS JOIN bounds b
    WHERE p.date <= $as_of AND s.sessions_back <= b.read AND b.by_member
      AND p.date >= (SELECT date FROM first_read)
),
latest AS (
    -- per member and totalled session: its bars among the 2 x lookback market sessions up
    -- to that session (each bar listed under every totalled session it is within reach of),
    -- the newest first (what the sliding windows read)
    SELECT tid, ticker, at_sb,
           min(sb) = at_sb AS traded,  -- a bar on that session
           count(*) AS n_bars,
           arg_max(close, date, greatest($breadth_long_ma_sessions::INTEGER, $new_high_low_sessions::INTEGER,
                                         $breadth_short_ma_sessions::INTEGER)) AS closes,
           arg_max(adj_close, date, 21) AS adj_closes,
           arg_max(date, date, 21) AS dates
    FROM (SELECT m.*, a.at_sb
          FROM member_bars m
          CROSS JOIN bounds b
          -- at most 5 totalled sessions on this path: a cross join with them is cheap
          CROSS JOIN (SELECT unnest(range(1, agg + 1)) AS at_sb FROM bounds) a
          WHERE m.sb >= a.at_sb AND m.sb < a.at_sb + b.span)
    GROUP BY tid, ticker, at_sb
),
by_member AS (
    SELECT tid, ticker, dates[1] AS date, at_sb AS sb,
           CASE WHEN n_bars >= $breadth_short_ma_sessions::INTEGER
                THEN closes[1]::DECIMAL(18, 6) * $breadth_short_ma_sessions::INTEGER
                     > list_sum(list_transform(closes[1:$breadth_short_ma_sessions::INTEGER],
                                               lambda c: c::DECIMAL(18, 6))) END AS above_short,
           CASE WHEN n_bars >= $breadth_long_ma_sessions::INTEGER
                THEN closes[1]::DECIMAL(18, 6) * $breadth_long_ma_sessions::INTEGER
                     > list_sum(list_transform(closes[1:$breadth_long_ma_sessions::INTEGER],
                                               lambda c: c::DECIMAL(18, 6))) END AS above_long,
           CASE WHEN n_bars >= $new_high_low_sessions::INTEGER
                THEN closes[1] >= list_max(closes[1:$new_high_low_sessions::INTEGER]) END AS new_high,
           CASE WHEN n_bars >= $new_high_low_sessions::INTEGER
                THEN closes[1] <= list_min(closes[1:$new_high_low_sessions::INTEGER]) END AS new_low,
           adj_closes[1] / adj_closes[2] - 1 AS return_1d,
           adj_closes[1] / adj_closes[6] - 1 AS return_5d,
           adj_closes[1] / adj_closes[21] - 1 AS return_20d,
           dates[2] AS from_1d,
           dates[6] AS from_5d,
           dates[21] AS from_20d
    FROM latest
    WHERE traded
),
member_caps AS (
    SELECT t.tid, f.as_of AS date, f.market_cap AS cap
    FROM staging.stg_fundamentals f
    JOIN tickers t ON t.ticker = f.ticker
    WHERE f.market_cap > 0 AND f.as_of <= $as_of
      -- an older snapshot is too old for every bar weighed
      AND f.as_of + $fundamentals_max_age_days::INTEGER
          >= (SELECT min(least(from_1d, from_5d, from_20d)) FROM by_member)
),
member_weighted AS (
    -- the same weights: the latest snapshot on or before the bar a return starts from
    SELECT w.* EXCLUDE (from_1d, from_5d, from_20d),
           CASE WHEN w.from_1d - c1.date <= $fundamentals_max_age_days::INTEGER THEN c1.cap END AS cap_1d,
           CASE WHEN w.from_5d - c5.date <= $fundamentals_max_age_days::INTEGER THEN c5.cap END AS cap_5d,
           CASE WHEN w.from_20d - c20.date <= $fundamentals_max_age_days::INTEGER THEN c20.cap END AS cap_20d
    FROM by_member w
    ASOF LEFT JOIN member_caps c1 ON c1.tid = w.tid AND w.from_1d >= c1.date
    ASOF LEFT JOIN member_caps c5 ON c5.tid = w.tid AND w.from_5d >= c5.date
    ASOF LEFT JOIN member_caps c20 ON c20.tid = w.tid AND w.from_20d >= c20.date
),
shown AS (
    SELECT * FROM weighted
    UNION ALL BY NAME
    SELECT * FROM member_weighted
),
agg AS (
    -- sums in DECIMAL are exact, so the result does not depend on row order or threads
    SELECT w.date AS as_of, w.sb, m.segment,
           count(*) AS members,
           100.0 * count(*) FILTER (WHERE w.above_short) / nullif(count(w.above_short), 0) AS pct_above_50d,
           100.0 * count(*) FILTER (WHERE w.above_long) / nullif(count(w.above_long), 0) AS pct_above_200d,
           count(*) FILTER (WHERE w.new_high) AS new_highs,
           count(*) FILTER (WHERE w.new_low) AS new_lows,
           sum(w.return_1d::DECIMAL(38, 18))::DOUBLE / count(w.return_1d) AS ew_1d,
           sum((w.cap_1d * w.return_1d)::DECIMAL(38, 6))::DOUBLE
               / sum(w.cap_1d::DECIMAL(38, 6)) FILTER (WHERE w.return_1d IS NOT NULL)::DOUBLE AS cw_1d,
           sum(w.return_5d::DECIMAL(38, 18))::DOUBLE / count(w.return_5d) AS ew_5d,
           sum((w.cap_5d * w.return_5d)::DECIMAL(38, 6))::DOUBLE
               / sum(w.cap_5d::DECIMAL(38, 6)) FILTER (WHERE w.return_5d IS NOT NULL)::DOUBLE AS cw_5d,
           sum(w.return_20d::DECIMAL(38, 18))::DOUBLE / count(w.return_20d) AS ew_20d,
           sum((w.cap_20d * w.return_20d)::DECIMAL(38, 6))::DOUBLE
               / sum(w.cap_20d::DECIMAL(38, 6)) FILTER (WHERE w.return_20d IS NOT NULL)::DOUBLE AS cw_20d,
           count(*) FILTER (WHERE w.return_20d IS NOT NULL AND w.cap_20d IS NOT NULL) AS cap_weighted_20d
    FROM shown w
    JOIN members m ON m.ticker = w.ticker
    GROUP BY w.date, w.sb, m.segment
),
spreads AS (
    -- the segment's spread breadth_trend_sessions market sessions earlier (even before the
    -- first shown session, so every shown row with the history has a signal): totalled by
    -- this build when that session lies within agg, else the mart's own earlier row
    SELECT a.*, a.ew_20d - a.cw_20d AS spread_20d,
           CASE WHEN a.sb + $breadth_trend_sessions::INTEGER <= b.agg THEN e.ew_20d - e.cw_20d
                ELSE c.breadth_spread_20d END AS spread_20d_before
    FROM agg a
    CROSS JOIN bounds b
    LEFT JOIN agg e ON e.segment = a.segment AND e.sb = a.sb + $breadth_trend_sessions::INTEGER
    LEFT JOIN prior_spreads c ON c.segment = a.segment AND c.sb = a.sb + $breadth_trend_sessions::INTEGER
    WHERE a.sb <= b.emit
)
SELECT as_of, segment, members, pct_above_50d, pct_above_200d, new_highs, new_lows,
       ew_1d AS equal_weight_return_1d,
       cw_1d AS cap_weight_return_1d,
       ew_1d - cw_1d AS breadth_spread_1d,
       ew_5d AS equal_weight_return_5d,
       cw_5d AS cap_weight_return_5d,
       ew_5d - cw_5d AS breadth_spread_5d,
       ew_20d AS equal_weight_return_20d,
       cw_20d AS cap_weight_return_20d,
       spread_20d AS breadth_spread_20d,
       cap_weighted_20d AS cap_weighted_members_20d,
       CASE
           WHEN spread_20d IS NULL OR spread_20d_before IS NULL THEN NULL
           -- a spread within the tolerance of 0, or barely moving, is no signal (float noise
           -- such as 1e-17 is not "broadening")
           WHEN spread_20d > $breadth_spread_tolerance / 100
                AND spread_20d - spread_20d_before > $breadth_spread_tolerance / 100 THEN 'broadening'
           WHEN spread_20d < -$breadth_spread_tolerance / 100
                AND spread_20d - spread_20d_before < -$breadth_spread_tolerance / 100 THEN 'narrowing'
           ELSE 'mixed'
       END AS breadth_signal
FROM spreads
ORDER BY as_of, segment
