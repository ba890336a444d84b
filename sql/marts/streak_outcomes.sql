-- streak_outcomes: one row per completed streak of at least outcome_min_streak sessions, in either direction, per pair: when it ran, how long, and how the lead, the base and the lead relative to the base did over the next 5, 21, 63 and 126 common sessions, measured from the close of the session the streak broke (the first session the other side won), as research desks publish these tables. A streak still running has no row; a horizon not yet elapsed by the as-of day is null, never partial. Streaks are read from relative_strength_streaks.
-- @key pair_id, streak_end
-- @column pair_id: the comparison (see stg_pairs), e.g. smallcap_vs_largecap.
-- @column lead: the lead series, e.g. ^RUT.
-- @column base: the base series, e.g. ^GSPC.
-- @column label: readable name of the comparison.
-- @column direction: ahead (the lead outperformed every session of the streak) or behind.
-- @column streak_days: signed length as in relative_strength_streaks: +n = ahead n sessions, -n = behind n sessions.
-- @column length: sessions in the streak (abs(streak_days)), at least outcome_min_streak.
-- @column streak_start: first session of the streak.
-- @column streak_end: last session of the streak (the last session its side won).
-- @column broke_on: the session the streak broke: the first common session after streak_end that the other side won. Forward returns start from this session's close.
-- @column from_history_start: true when the streak was already running on the first session of the loaded history (history_start): it may have begun earlier and been longer.
-- @column history_start: first session both series have in the loaded data; every count of earlier streaks is bounded by it.
-- @column lead_return_5d: lead's return from the close of broke_on to the close 5 common sessions later, fraction; null until those sessions have elapsed.
-- @column base_return_5d: base's return over the same 5 common sessions, fraction; null until elapsed.
-- @column relative_return_5d: lead_return_5d - base_return_5d (positive = the lead beat the base), fraction; null until elapsed.
-- @column lead_return_21d: lead's return over the 21 common sessions after broke_on (about a month), fraction; null until elapsed.
-- @column base_return_21d: base's return over the same 21 common sessions, fraction; null until elapsed.
-- @column relative_return_21d: lead_return_21d - base_return_21d, fraction; null until elapsed.
-- @column lead_return_63d: lead's return over the 63 common sessions after broke_on (about a quarter), fraction; null until elapsed.
-- @column base_return_63d: base's return over the same 63 common sessions, fraction; null until elapsed.
-- @column relative_return_63d: lead_return_63d - base_return_63d, fraction; null until elapsed.
-- @column lead_return_126d: lead's return over the 126 common sessions after broke_on (about half a year), fraction; null until elapsed.
-- @column base_return_126d: base's return over the same 126 common sessions, fraction; null until elapsed.
-- @column relative_return_126d: lead_return_126d - base_return_126d, fraction; null until elapsed.
WITH sessions AS (
    -- the pair's common sessions up to the as-of day, numbered: horizons count these rows
    SELECT pair_id, date, lead, base, label, lead_close, base_close, streak_days, streak_start,
           history_start,
           row_number() OVER (PARTITION BY pair_id ORDER BY date) AS n,
           max(abs(streak_days)) OVER (PARTITION BY pair_id, streak_start) AS streak_length
    FROM marts.relative_strength_streaks
    WHERE date <= $as_of
),
streaks AS (
    -- a streak is identified by its start; it ends on the first session its count peaked
    SELECT pair_id, streak_start,
           any_value(lead) AS lead, any_value(base) AS base, any_value(label) AS label,
           any_value(history_start) AS history_start,
           (any_value(sign(streak_days)) * any_value(streak_length))::BIGINT AS streak_days,
           any_value(streak_length) AS length,
           min(date) FILTER (WHERE abs(streak_days) = streak_length) AS streak_end
    FROM sessions
    WHERE streak_days IS NOT NULL
    GROUP BY pair_id, streak_start
),
ends AS (
    SELECT *,
           -- the next streak's first session: the first one the other side won
           lead(streak_start) OVER (PARTITION BY pair_id ORDER BY streak_start) AS broke_on,
           -- the first streak may have been running before the loaded history starts
           streak_start = min(streak_start) OVER (PARTITION BY pair_id) AS from_history_start
    FROM streaks
),
completed AS (
    SELECT e.*, b.n AS broke_n, b.lead_close AS lead_origin, b.base_close AS base_origin
    FROM ends e
    JOIN sessions b ON b.pair_id = e.pair_id AND b.date = e.broke_on
    WHERE e.length >= $outcome_min_streak::INTEGER
),
forward AS (
    SELECT c.pair_id, c.streak_start,
           max(f.lead_close) FILTER (WHERE f.n = c.broke_n + 5) / c.lead_origin - 1 AS lead_5,
           max(f.base_close) FILTER (WHERE f.n = c.broke_n + 5) / c.base_origin - 1 AS base_5,
           max(f.lead_close) FILTER (WHERE f.n = c.broke_n + 21) / c.lead_origin - 1 AS lead_21,
           max(f.base_close) FILTER (WHERE f.n = c.broke_n + 21) / c.base_origin - 1 AS base_21,
           max(f.lead_close) FILTER (WHERE f.n = c.broke_n + 63) / c.lead_origin - 1 AS lead_63,
           max(f.base_close) FILTER (WHERE f.n = c.broke_n + 63) / c.base_origin - 1 AS base_63,
           max(f.lead_close) FILTER (WHERE f.n = c.broke_n + 126) / c.lead_origin - 1 AS lead_126,
           max(f.base_close) FILTER (WHERE f.n = c.broke_n + 126) / c.base_origin - 1 AS base_126
    FROM completed c
    LEFT JOIN sessions f
      ON f.pair_id = c.pair_id AND f.n IN (c.broke_n + 5, c.broke_n + 21, c.broke_n + 63, c.broke_n + 126)
    GROUP BY c.pair_id, c.streak_start, c.lead_origin, c.base_origin
)
SELECT c.pair_id, c.lead, c.base, c.label,
       CASE WHEN c.streak_days > 0 THEN 'ahead' ELSE 'behind' END AS direction,
       c.streak_days, c.length, c.streak_start, c.streak_end, c.broke_on,
       c.from_history_start, c.history_start,
       f.lead_5 AS lead_return_5d, f.base_5 AS base_return_5d, f.lead_5 - f.base_5 AS relative_return_5d,
       f.lead_21 AS lead_return_21d, f.base_21 AS base_return_21d, f.lead_21 - f.base_21 AS relative_return_21d,
       f.lead_63 AS lead_return_63d, f.base_63 AS base_return_63d, f.lead_63 - f.base_63 AS relative_return_63d,
       f.lead_126 AS lead_return_126d, f.base_126 AS base_return_126d,
       f.lead_126 - f.base_126 AS relative_return_126d
FROM completed c
JOIN forward f USING (pair_id, streak_start)
ORDER BY c.pair_id, c.streak_end
