-- relative_strength_streaks: one row per pair and session where both series traded: which side won the day, how many sessions in a row it has, and how that streak compares with history.
-- @key pair_id, date
-- @column pair_id: the comparison (see stg_pairs), e.g. smallcap_vs_largecap.
-- @column date: session date (both series traded; a session missing on one side is skipped and its move counted in the next common session).
-- @column lead: the lead series, e.g. ^RUT.
-- @column base: the base series, e.g. ^GSPC.
-- @column label: readable name of the comparison.
-- @column lead_close: adjusted close of the lead series.
-- @column base_close: adjusted close of the base series.
-- @column ratio: lead_close / base_close; rising means the lead is outperforming.
-- @column lead_return: lead's return since the previous common session, fraction.
-- @column base_return: base's return since the previous common session, fraction.
-- @column spread: lead_return - base_return.
-- @column outperformed: true when the lead's return was strictly higher (a tie counts as not outperforming).
-- @column streak_days: signed run length: +n = lead ahead n sessions running, -n = behind n sessions running; never 0.
-- @column streak_start: first session of the current streak.
-- @column prior_comparable_end: end of the most recent earlier streak in the same direction at least as long as the current one, on record, where "on record" means in the loaded history, from history_start; null when that history has none (on a short history this does not mean there never was one).
-- @column prior_comparable_days: signed length of that earlier streak (on record = in the loaded history, from history_start; null when none).
-- @column longest_streak_days: signed length of the longest streak in the same direction on record up to this date (the current one included), where "on record" means in the loaded history, from history_start, not the series' whole life.
-- @column longest_streak_end: last session of that longest streak (the most recent one when tied); on record = in the loaded history, from history_start.
-- @column history_start: first session both series have in the loaded data (up to the as-of day): the start of the history that prior_comparable_* and longest_* are measured against. A claim like "the longest on record" holds only from this date; a streak already running on the session after it may have begun earlier.
WITH closes AS (
    SELECT ticker, date, adj_close AS px
    FROM staging.stg_prices
    WHERE date <= $as_of AND adj_close > 0
),
joined AS (
    SELECT p.pair_id, p.lead, p.base, p.label, l.date, l.px AS lead_close, b.px AS base_close,
           min(l.date) OVER (PARTITION BY p.pair_id) AS history_start
    FROM staging.stg_pairs p
    JOIN closes l ON l.ticker = p.lead
    JOIN closes b ON b.ticker = p.base AND b.date = l.date
),
returns AS (
    SELECT *,
           lead_close / lag(lead_close) OVER w - 1 AS lead_return,
           base_close / lag(base_close) OVER w - 1 AS base_return
    FROM joined
    WINDOW w AS (PARTITION BY pair_id ORDER BY date)
),
directed AS (
    SELECT *, lead_return - base_return AS spread,
           lead_return > base_return AS outperformed,
           CASE WHEN lead_return > base_return THEN 1 ELSE -1 END AS dir
    FROM returns
    WHERE lead_return IS NOT NULL
),
changes AS (
    SELECT *,
           CASE WHEN dir = lag(dir) OVER (PARTITION BY pair_id ORDER BY date) THEN 0 ELSE 1 END AS new_streak
    FROM directed
),
grouped AS (
    SELECT *, sum(new_streak) OVER (PARTITION BY pair_id ORDER BY date ROWS UNBOUNDED PRECEDING) AS streak_id
    FROM changes
),
numbered AS (
    SELECT *,
           row_number() OVER (PARTITION BY pair_id, streak_id ORDER BY date) AS run_length,
           min(date) OVER (PARTITION BY pair_id, streak_id) AS streak_start
    FROM grouped
),
streaks AS (
    SELECT pair_id, streak_id, any_value(dir) AS dir, max(date) AS end_date, count(*) AS days
    FROM numbered
    GROUP BY pair_id, streak_id
),
records AS (
    -- the longest same-direction streak completed before each streak began
    SELECT pair_id, streak_id,
           max({'days': days, 'end_date': end_date}) OVER (
               PARTITION BY pair_id, dir ORDER BY streak_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_before
    FROM streaks
),
prior AS (
    SELECT n.pair_id, n.date,
           max(s.end_date) AS prior_end,
           arg_max(s.days, s.end_date) AS prior_days
    FROM numbered n
    JOIN streaks s
      ON s.pair_id = n.pair_id AND s.dir = n.dir
     AND s.streak_id < n.streak_id AND s.days >= n.run_length
    GROUP BY n.pair_id, n.date
)
SELECT n.pair_id, n.date, n.lead, n.base, n.label,
       n.lead_close, n.base_close, n.lead_close / n.base_close AS ratio,
       n.lead_return, n.base_return, n.spread, n.outperformed,
       n.dir * n.run_length AS streak_days,
       n.streak_start,
       p.prior_end AS prior_comparable_end,
       n.dir * p.prior_days AS prior_comparable_days,
       n.dir * greatest(n.run_length, coalesce(r.best_before.days, 0)) AS longest_streak_days,
       CASE WHEN r.best_before IS NULL OR n.run_length >= r.best_before.days THEN n.date
            ELSE r.best_before.end_date END AS longest_streak_end,
       n.history_start
FROM numbered n
JOIN records r USING (pair_id, streak_id)
LEFT JOIN prior p USING (pair_id, date)
ORDER BY n.pair_id, n.date
