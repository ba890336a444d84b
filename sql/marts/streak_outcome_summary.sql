-- streak_outcome_summary: one row per pair, direction, minimum streak length (outcome_min_streak up to the longest streak in that direction) and horizon (5, 21, 63, 126 sessions): what followed the earlier completed streaks at least that long (count, mean and median forward returns, how often the lead rose and beat the base), the same statistics over every session of the pair's history ("any time"), and how rare a streak that long is against the pair's own history and against a coin with the pair's daily win rate. Rules: docs/marts.md.
-- @key pair_id, direction, min_length, horizon
-- @column pair_id: the comparison (see stg_pairs), e.g. smallcap_vs_largecap.
-- @column direction: ahead (the lead outperformed every session of the streak) or behind.
-- @column min_length: the streaks summarised are those at least this many sessions long.
-- @column horizon: forward horizon in common sessions: 5 (a week), 21 (a month), 63 (a quarter), 126 (half a year).
-- @column as_of: the pair's latest common session on or before the run's as-of day: the summary is what history looked like then.
-- @column history_start: first session both series have in the loaded data; every count here is bounded by it.
-- @column current_streak_days: the pair's signed streak on as_of (+n ahead, -n behind), as in relative_strength_streaks.
-- @column is_current: true on the rows that describe the current streak: its direction and min_length = its length.
-- @column earlier_streaks: completed streaks in this direction at least min_length sessions long (rows of streak_outcomes; all earlier than the current streak).
-- @column observations: earlier_streaks whose horizon has elapsed by as_of (the statistics below use these).
-- @column mean_lead_return: mean of the lead's forward returns over the horizon after those streaks broke, fraction.
-- @column median_lead_return: median of those lead returns, fraction (the mean of the two middle values for an even count).
-- @column mean_base_return: mean of the base's forward returns over the horizon, fraction.
-- @column median_base_return: median of those base returns, fraction.
-- @column mean_relative_return: mean of lead minus base forward return over the horizon, fraction (positive = the lead beat the base on average).
-- @column median_relative_return: median of those relative returns, fraction.
-- @column lead_rose_pct: percentage (0-100) of the observations in which the lead's forward return was positive.
-- @column lead_beat_pct: percentage (0-100) of the observations in which the lead beat the base (relative return > 0).
-- @column any_time_observations: sessions of the pair's history from whose close the horizon has elapsed: the any-time comparison set.
-- @column any_time_mean_lead_return: mean forward return of the lead over the horizon from any session, fraction.
-- @column any_time_mean_base_return: mean forward return of the base over the horizon from any session, fraction.
-- @column any_time_mean_relative_return: mean lead minus base forward return over the horizon from any session, fraction.
-- @column any_time_median_relative_return: median of those any-time relative returns, fraction.
-- @column any_time_lead_rose_pct: percentage (0-100) of any-time windows in which the lead rose.
-- @column any_time_lead_beat_pct: percentage (0-100) of any-time windows in which the lead beat the base.
-- @column streaks_in_direction: streaks in this direction in the history, completed and running, of any length.
-- @column streaks_reaching: of those, the streaks that reached at least min_length sessions (the current one included when it has).
-- @column reached_pct: streaks_reaching / streaks_in_direction x 100: how often a streak in this direction lasted this long in the pair's history.
-- @column win_rate_pct: percentage (0-100) of the pair's non-tied sessions won by this direction's side (the lead for ahead, the base for behind).
-- @column coin_reached_pct: (win_rate_pct / 100)^(min_length - 1) x 100: how often a streak would last this long if each session were an independent coin toss won by this side with probability win_rate_pct.
WITH sessions AS (
    SELECT pair_id, date, lead_close, base_close, spread, streak_days, streak_start, history_start,
           row_number() OVER (PARTITION BY pair_id ORDER BY date) AS n
    FROM marts.relative_strength_streaks
    WHERE date <= $as_of
),
pairs AS (
    SELECT pair_id,
           max(date) AS as_of,
           any_value(history_start) AS history_start,
           arg_max(streak_days, date) FILTER (WHERE streak_days IS NOT NULL) AS current_streak_days,
           count(*) FILTER (WHERE spread > 0) AS lead_wins,
           count(*) FILTER (WHERE spread < 0) AS base_wins
    FROM sessions
    GROUP BY pair_id
),
streaks AS (
    -- every streak, completed or running: its direction and its longest count
    SELECT pair_id, streak_start,
           CASE WHEN any_value(streak_days) > 0 THEN 'ahead' ELSE 'behind' END AS direction,
           max(abs(streak_days)) AS length
    FROM sessions
    WHERE streak_days IS NOT NULL
    GROUP BY pair_id, streak_start
),
lengths AS (
    SELECT pair_id, direction, unnest(generate_series($outcome_min_streak::BIGINT, max(length))) AS min_length
    FROM streaks
    GROUP BY pair_id, direction
),
horizons AS (
    SELECT unnest([5, 21, 63, 126]) AS horizon
),
outcomes AS (
    -- one row per completed streak and horizon
    SELECT o.pair_id, o.direction, o.length, h.horizon,
           CASE h.horizon WHEN 5 THEN o.lead_return_5d WHEN 21 THEN o.lead_return_21d
                          WHEN 63 THEN o.lead_return_63d ELSE o.lead_return_126d END AS lead_return,
           CASE h.horizon WHEN 5 THEN o.base_return_5d WHEN 21 THEN o.base_return_21d
                          WHEN 63 THEN o.base_return_63d ELSE o.base_return_126d END AS base_return
    FROM marts.streak_outcomes o
    CROSS JOIN horizons h
    WHERE o.streak_end <= $as_of
),
earlier AS (
    -- DECIMAL sums are exact: the means do not depend on row order or threads
    SELECT l.pair_id, l.direction, l.min_length, o.horizon,
           count(*) AS earlier_streaks,
           count(o.lead_return) AS observations,
           avg(o.lead_return::DECIMAL(38, 18))::DOUBLE AS mean_lead_return,
           median(o.lead_return) AS median_lead_return,
           avg(o.base_return::DECIMAL(38, 18))::DOUBLE AS mean_base_return,
           median(o.base_return) AS median_base_return,
           avg((o.lead_return - o.base_return)::DECIMAL(38, 18))::DOUBLE AS mean_relative_return,
           median(o.lead_return - o.base_return) AS median_relative_return,
           100.0 * count(*) FILTER (WHERE o.lead_return > 0) / nullif(count(o.lead_return), 0) AS lead_rose_pct,
           100.0 * count(*) FILTER (WHERE o.lead_return > o.base_return) / nullif(count(o.lead_return), 0) AS lead_beat_pct
    FROM lengths l
    JOIN outcomes o ON o.pair_id = l.pair_id AND o.direction = l.direction AND o.length >= l.min_length
    GROUP BY l.pair_id, l.direction, l.min_length, o.horizon
),
forward AS (
    -- from every session's close: the return over each horizon, null until it has elapsed
    SELECT s.pair_id, h.horizon,
           f.lead_close / s.lead_close - 1 AS lead_return,
           f.base_close / s.base_close - 1 AS base_return
    FROM sessions s
    CROSS JOIN horizons h
    JOIN sessions f ON f.pair_id = s.pair_id AND f.n = s.n + h.horizon
),
any_time AS (
    SELECT pair_id, horizon,
           count(*) AS any_time_observations,
           avg(lead_return::DECIMAL(38, 18))::DOUBLE AS any_time_mean_lead_return,
           avg(base_return::DECIMAL(38, 18))::DOUBLE AS any_time_mean_base_return,
           avg((lead_return - base_return)::DECIMAL(38, 18))::DOUBLE AS any_time_mean_relative_return,
           median(lead_return - base_return) AS any_time_median_relative_return,
           100.0 * count(*) FILTER (WHERE lead_return > 0) / count(*) AS any_time_lead_rose_pct,
           100.0 * count(*) FILTER (WHERE lead_return > base_return) / count(*) AS any_time_lead_beat_pct
    FROM forward
    GROUP BY pair_id, horizon
),
rarity AS (
    SELECT l.pair_id, l.direction, l.min_length,
           count(*) AS streaks_in_direction,
           count(*) FILTER (WHERE s.length >= l.min_length) AS streaks_reaching
    FROM lengths l
    JOIN streaks s ON s.pair_id = l.pair_id AND s.direction = l.direction
    GROUP BY l.pair_id, l.direction, l.min_length
)
SELECT l.pair_id, l.direction, l.min_length, h.horizon,
       p.as_of, p.history_start, p.current_streak_days,
       l.direction = CASE WHEN p.current_streak_days > 0 THEN 'ahead' ELSE 'behind' END
           AND l.min_length = abs(p.current_streak_days) AS is_current,
       coalesce(e.earlier_streaks, 0) AS earlier_streaks,
       coalesce(e.observations, 0) AS observations,
       e.mean_lead_return, e.median_lead_return, e.mean_base_return, e.median_base_return,
       e.mean_relative_return, e.median_relative_return, e.lead_rose_pct, e.lead_beat_pct,
       coalesce(a.any_time_observations, 0) AS any_time_observations,
       a.any_time_mean_lead_return, a.any_time_mean_base_return, a.any_time_mean_relative_return,
       a.any_time_median_relative_return, a.any_time_lead_rose_pct, a.any_time_lead_beat_pct,
       r.streaks_in_direction, r.streaks_reaching,
       100.0 * r.streaks_reaching / r.streaks_in_direction AS reached_pct,
       w.win_rate_pct,
       100.0 * power(w.win_rate_pct / 100.0, l.min_length - 1) AS coin_reached_pct
FROM lengths l
CROSS JOIN horizons h
JOIN pairs p ON p.pair_id = l.pair_id
JOIN rarity r ON r.pair_id = l.pair_id AND r.direction = l.direction AND r.min_length = l.min_length
CROSS JOIN LATERAL (
    SELECT 100.0 * CASE WHEN l.direction = 'ahead' THEN p.lead_wins ELSE p.base_wins END
           / nullif(p.lead_wins + p.base_wins, 0) AS win_rate_pct
) w
LEFT JOIN earlier e ON e.pair_id = l.pair_id AND e.direction = l.direction
     AND e.min_length = l.min_length AND e.horizon = h.horizon
LEFT JOIN any_time a ON a.pair_id = l.pair_id AND a.horizon = h.horizon
ORDER BY l.pair_id, l.direction, l.min_length, h.horizon
