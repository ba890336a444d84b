-- cooling_breakouts: one row per equity that broke out (a close above its prior breakout_lookback-session closing high on volume_confirm_ratio x its average volume) within the last breakout_window sessions: how far it has come off its peak, whether search attention is fading, and a status (heating, holding, cooling, failed). Rules and thresholds: docs/marts.md.
-- @key ticker, as_of
-- @history as_of
-- @column ticker: Yahoo-style symbol (equities only).
-- @column as_of: the as-of session: the latest equity session on or before the run's as-of day.
-- @column name: instrument name from the universe.
-- @column breakout_date: first session in the window whose close broke out (the earliest one when it broke out several times).
-- @column breakout_level: the highest close of the breakout_lookback sessions before the breakout day (the level it broke).
-- @column breakout_close: close on the breakout day.
-- @column volume_ratio: breakout-day volume / average volume of the volume_avg_sessions sessions before it (null when unknown: with volume_confirm_ratio = 0 a breakout needs no volume).
-- @column peak_close: highest close from the breakout day to the as-of session.
-- @column peak_date: first session at that peak.
-- @column close: latest close on or before the as-of session.
-- @column pullback_pct: (1 - close / peak_close) x 100: percent below the post-breakout peak (0 = at the peak).
-- @column above_level_pct: (close / breakout_level - 1) x 100: percent above the breakout level (negative = back below it).
-- @column days_since_breakout: sessions from the breakout day to the as-of session (0 = broke out today).
-- @column attention_source: attention source used (the one with the most days in the two windows); null when the name has none.
-- @column attention_recent: mean daily attention over the attention_recent_days calendar days ending on the as-of day.
-- @column attention_base: mean daily attention over the attention_base_days calendar days before that.
-- @column attention_change_pct: (attention_recent / attention_base - 1) x 100; null when either is unknown or the base is 0 (a rise from a zero base counts as rising in status; zero in both windows as no change).
-- @column status: failed (close below breakout_level), cooling (pullback >= cooling_pullback_pct and attention down >= cooling_attention_drop_pct, or attention unknown; a rise from a zero base is rising, not unknown), heating (pullback <= heating_pullback_pct and attention change >= heating_attention_min_change_pct or unknown), else holding.
WITH equities AS (
    -- an integer id per name: windows partition on it much faster than on text
    SELECT ticker, name, row_number() OVER (ORDER BY ticker) AS tid
    FROM staging.stg_universe
    WHERE asset_type = 'equity'
),
needed AS (
    -- rows a name needs: the breakout window plus the longest lookback before it
    SELECT $breakout_window::INTEGER
           + greatest($breakout_lookback::INTEGER, $volume_avg_sessions::INTEGER) AS n
),
recent_sessions AS (
    -- the equity sessions of the last 1.5 x K + 15 calendar days, K = 2n (the sessions read
    -- below): when they are at least K, they hold the last K, and older history is not scanned
    SELECT DISTINCT date
    FROM staging.stg_prices
    WHERE date <= $as_of AND date > $as_of - (3 * (SELECT n FROM needed) + 15)
      AND ticker IN (SELECT ticker FROM equities)
),
sessions AS (
    -- the market's sessions as seen in equity prices, numbered from the latest (0) back
    SELECT date, row_number() OVER (ORDER BY date DESC) - 1 AS sessions_back
    FROM (SELECT date FROM recent_sessions
          UNION ALL
          -- older sessions, only when the recent days hold fewer than K (a short or gappy history)
          SELECT DISTINCT date
          FROM staging.stg_prices
          WHERE date <= $as_of - (3 * (SELECT n FROM needed) + 15)
            AND ticker IN (SELECT ticker FROM equities)
            AND date >= (SELECT CASE WHEN count(*) >= 2 * (SELECT n FROM needed)
                                     THEN $as_of ELSE DATE '0001-01-01' END
                         FROM recent_sessions))
),
window_start AS (
    SELECT min(s.date) FILTER (WHERE s.sessions_back < $breakout_window::INTEGER) AS first_date,
           max(s.date) AS as_of,
           -- the needed rows are looked for among twice as many market sessions (a name
           -- missing more than half of them lacks the history to break out)
           min(s.date) FILTER (WHERE s.sessions_back < 2 * n.n) AS first_read
    FROM sessions s, needed n
    GROUP BY n.n
),
member_bars AS (
    -- each equity's last n bars among the last 2n market sessions (a name missing more than
    -- half of them lacks the history to break out), newest first, and how many of them lie
    -- in the breakout window: one top-n aggregate per name, no sort of every bar
    SELECT tid, ticker, dates, closes, volumes, n_bars, w,
           -- the middle: bars w + 1 .. lookback + 1 back (none when the window is longer)
           list_max(closes[w + 1:$breakout_lookback::INTEGER + 1]) AS mid_high
    FROM (SELECT *, len(dates) AS n_bars, len(list_filter(dates, lambda d: d >= first_date)) AS w
    FROM (SELECT e.tid, p.ticker, any_value(w.first_date) AS first_date,
                 max(p.date, $breakout_window::INTEGER
                             + greatest($breakout_lookback::INTEGER, $volume_avg_sessions::INTEGER)) AS dates,
                 arg_max(p.close, p.date, $breakout_window::INTEGER
                             + greatest($breakout_lookback::INTEGER, $volume_avg_sessions::INTEGER)) AS closes,
                 arg_max(p.volume, p.date, $breakout_window::INTEGER
                             + greatest($breakout_lookback::INTEGER, $volume_avg_sessions::INTEGER)) AS volumes
          FROM staging.stg_prices p
          JOIN equities e ON e.ticker = p.ticker
          CROSS JOIN window_start w
          WHERE p.date <= $as_of AND p.date >= w.first_read
          GROUP BY e.tid, p.ticker))
),
near AS (
    -- bar k (1 = the latest) of the window and the volume_avg_sessions bars before the oldest:
    -- what the window bars' volume averages and their highs within the window read
    SELECT tid, ticker, n_bars, mid_high, k, dates[k] AS date, closes[k] AS close,
           volumes[k] AS volume, k <= w AS in_window
    FROM (SELECT tid, ticker, n_bars, w, mid_high, dates, closes, volumes,
                 unnest(range(1, least(n_bars, w + $volume_avg_sessions::INTEGER) + 1)) AS k
          FROM member_bars)
),
far AS (
    -- window bar k's prior breakout_lookback bars (k + 1 .. k + lookback back) are the window
    -- bars older than it (near_high), the bars w + 1 .. lookback + 1 back that every window
    -- bar's range holds (mid_high), and those from there up to k + lookback back (far_high: a
    -- running maximum over them, read at k + lookback): three short pieces with the maximum of
    -- a lookback-bar frame slid over every bar
    SELECT tid, j - $breakout_lookback::INTEGER AS k,
           max(close) OVER (PARTITION BY tid ORDER BY j ROWS UNBOUNDED PRECEDING) AS far_high
    FROM (SELECT tid, j, closes[j] AS close
          FROM (SELECT tid, closes, unnest(range(greatest(w, $breakout_lookback::INTEGER + 1) + 1,
                                               least(n_bars, w + $breakout_lookback::INTEGER) + 1)) AS j
                FROM member_bars))
),
in_window AS (
    SELECT r.tid, r.ticker, r.date, r.close, r.volume,
           greatest(r.near_high, r.mid_high, f.far_high) AS prior_high,
           least(r.n_bars - r.k, $breakout_lookback::INTEGER) AS prior_sessions,
           r.prior_avg_volume, r.prior_volume_sessions
    FROM (SELECT *,
                 max(close) FILTER (WHERE in_window) OVER prior AS near_high,
                 avg(volume) OVER prior_volume AS prior_avg_volume,
                 count(volume) OVER prior_volume AS prior_volume_sessions
          FROM near
          WINDOW prior AS (PARTITION BY tid ORDER BY k DESC
                           ROWS BETWEEN $breakout_lookback::INTEGER PRECEDING AND 1 PRECEDING),
                 prior_volume AS (PARTITION BY tid ORDER BY k DESC
                                  ROWS BETWEEN $volume_avg_sessions::INTEGER PRECEDING AND 1 PRECEDING)
          QUALIFY in_window) r
    LEFT JOIN far f ON f.tid = r.tid AND f.k = r.k
),
first_breakout AS (
    SELECT ticker, date AS breakout_date, prior_high AS breakout_level, close AS breakout_close,
           volume / prior_avg_volume AS volume_ratio
    FROM in_window
    WHERE prior_sessions = $breakout_lookback::INTEGER
      AND close > prior_high
      -- volume_confirm_ratio = 0 is no volume test: names without volume can break out
      AND ($volume_confirm_ratio = 0
           OR (prior_volume_sessions = $volume_avg_sessions::INTEGER
               AND prior_avg_volume > 0
               AND volume >= $volume_confirm_ratio * prior_avg_volume))
    QUALIFY row_number() OVER (PARTITION BY ticker ORDER BY date) = 1
),
since AS (
    SELECT i.ticker, i.date, i.close,
           max(i.close) OVER (PARTITION BY i.ticker) AS peak_close
    FROM in_window i
    JOIN first_breakout b ON b.ticker = i.ticker AND i.date >= b.breakout_date
),
peaks AS (
    SELECT ticker,
           any_value(peak_close) AS peak_close,
           min(date) FILTER (WHERE close = peak_close) AS peak_date,
           arg_max(close, date) AS close
    FROM since
    GROUP BY ticker
),
attention_daily AS (
    -- DECIMAL sums are exact: the means do not depend on row order or threads
    SELECT ticker, source, date, sum(value::DECIMAL(38, 6)) AS value
    FROM staging.stg_attention
    WHERE ticker IN (SELECT ticker FROM first_breakout)
      AND date <= $as_of
      AND date > $as_of - ($attention_recent_days::INTEGER + $attention_base_days::INTEGER)
    GROUP BY ticker, source, date
),
attention AS (
    SELECT ticker, source,
           (sum(value) FILTER (WHERE date > $as_of - $attention_recent_days::INTEGER))::DOUBLE
               / count(value) FILTER (WHERE date > $as_of - $attention_recent_days::INTEGER) AS recent,
           (sum(value) FILTER (WHERE date <= $as_of - $attention_recent_days::INTEGER))::DOUBLE
               / count(value) FILTER (WHERE date <= $as_of - $attention_recent_days::INTEGER) AS base,
           count(*) AS days
    FROM attention_daily
    GROUP BY ticker, source
    QUALIFY row_number() OVER (
        PARTITION BY ticker
        ORDER BY (recent IS NOT NULL AND base IS NOT NULL) DESC, days DESC, source) = 1
),
measured AS (
    SELECT b.ticker, w.as_of, e.name,
           b.breakout_date, b.breakout_level, b.breakout_close, b.volume_ratio,
           p.peak_close, p.peak_date, p.close,
           (1 - p.close / p.peak_close) * 100 AS pullback_pct,
           (p.close / b.breakout_level - 1) * 100 AS above_level_pct,
           s.sessions_back AS days_since_breakout,
           a.source AS attention_source,
           a.recent AS attention_recent,
           a.base AS attention_base,
           CASE WHEN a.base > 0 THEN (a.recent / a.base - 1) * 100 END AS attention_change_pct,
           -- the change the status reads: a rise from a zero base (0 -> 50 views a day) has no
           -- percentage but is rising, not unknown and not fading
           CASE WHEN a.base > 0 THEN (a.recent / a.base - 1) * 100
                WHEN a.base = 0 AND a.recent > 0 THEN 'infinity'::DOUBLE
                WHEN a.base = 0 AND a.recent = 0 THEN 0 END AS attention_move
    FROM first_breakout b
    CROSS JOIN window_start w
    JOIN equities e ON e.ticker = b.ticker
    JOIN peaks p ON p.ticker = b.ticker
    JOIN sessions s ON s.date = b.breakout_date
    LEFT JOIN attention a ON a.ticker = b.ticker
)
SELECT * EXCLUDE (attention_move),
       CASE
           WHEN close < breakout_level THEN 'failed'
           WHEN pullback_pct >= $cooling_pullback_pct
                AND (attention_move IS NULL
                     OR attention_move <= -$cooling_attention_drop_pct) THEN 'cooling'
           WHEN pullback_pct <= $heating_pullback_pct
                AND (attention_move IS NULL
                     OR attention_move >= $heating_attention_min_change_pct) THEN 'heating'
           ELSE 'holding'
       END AS status
FROM measured
ORDER BY ticker
