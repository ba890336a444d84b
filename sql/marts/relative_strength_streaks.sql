-- relative_strength_streaks: one row per pair and session where both series traded: which side won the day, how many sessions in a row it has, and how that streak compares with history.
-- @key pair_id, date
-- @incremental date
-- @carry pair_id VARCHAR, date DATE, lead_close DOUBLE, base_close DOUBLE
-- @column pair_id: the comparison (see stg_pairs), e.g. smallcap_vs_largecap.
-- @column date: session date (both series traded; a session missing on one side is skipped and its move counted in the next common session); every common session has a row, the first one included.
-- @column lead: the lead series, e.g. ^RUT.
-- @column base: the base series, e.g. ^GSPC.
-- @column label: readable name of the comparison.
-- @column lead_close: adjusted close of the lead series.
-- @column base_close: adjusted close of the base series.
-- @column ratio: lead_close / base_close; rising means the lead is outperforming.
-- @column lead_return: lead's return since the previous common session, fraction; null on the first common session.
-- @column base_return: base's return since the previous common session, fraction; null on the first common session.
-- @column spread: lead_return - base_return.
-- @column outperformed: true when the lead's return was strictly higher, false when strictly lower; null on a tie (equal returns: nobody won) and on the first common session.
-- @column streak_days: signed run length: +n = lead ahead n sessions running, -n = behind n sessions running; never 0. Counts the sessions someone won: a tie neither extends, starts nor breaks a streak (its row repeats the streak as it stood); null before the first session someone won.
-- @column streak_start: first session of the current streak (null while streak_days is null).
-- @column prior_comparable_end: end of the most recent earlier streak in the same direction at least as long as the current one, on record, where "on record" means in the loaded history, from history_start; null when that history has none (on a short history this does not mean there never was one).
-- @column prior_comparable_days: signed length of that earlier streak (on record = in the loaded history, from history_start; null when none).
-- @column longest_streak_days: signed length of the longest streak in the same direction on record up to this date (the current one included), where "on record" means in the loaded history, from history_start, not the series' whole life.
-- @column longest_streak_end: last session of that longest streak (the most recent one when tied); on record = in the loaded history, from history_start.
-- @column history_start: first session both series have in the loaded data (weekend bars excluded, see stg_prices) (up to the as-of day): the start of the history that prior_comparable_* and longest_* are measured against. A claim like "the longest on record" holds only from this date; a streak already running on the session after it may have begun earlier.
WITH closes AS (
    -- prices from $since on; the common sessions before it are this mart's own rows, which
    -- the build hands over as the temporary table `carried` (empty on a full rebuild;
    -- scout_pipeline/incremental.py)
    SELECT ticker, date, adj_close AS px
    FROM staging.stg_prices
    WHERE date <= $as_of AND date >= $since AND adj_close > 0
),
common AS (
    SELECT p.pair_id, l.date, l.px AS lead_close, b.px AS base_close
    FROM staging.stg_pairs p
    JOIN closes l ON l.ticker = p.lead
    JOIN closes b ON b.ticker = p.base AND b.date = l.date
    UNION ALL
    SELECT pair_id, date, lead_close, base_close
    FROM carried
    WHERE date < $since
),
joined AS (
    SELECT p.pair_id, p.lead, p.base, p.label, c.date, c.lead_close, c.base_close,
           min(c.date) OVER (PARTITION BY p.pair_id) AS history_start
    FROM staging.stg_pairs p
    JOIN common c ON c.pair_id = p.pair_id
),
returns AS (
    SELECT *,
           lead_close / lag(lead_close) OVER w - 1 AS lead_return,
           base_close / lag(base_close) OVER w - 1 AS base_return
    FROM joined
    WINDOW w AS (PARTITION BY pair_id ORDER BY date)
),
directed AS (
    -- every common session keeps its row: the first has no return, a tie has no winner
    SELECT *, lead_return - base_return AS spread,
           CASE WHEN lead_return > base_return THEN true
                WHEN lead_return < base_return THEN false END AS outperformed,
           CASE WHEN lead_return > base_return THEN 1
                WHEN lead_return < base_return THEN -1 END AS dir
    FROM returns
),
decided AS (
    -- streaks are counted over the sessions someone won: a tie neither extends a streak nor
    -- starts one (nor breaks one)
    SELECT * FROM directed WHERE dir IS NOT NULL
),
changes AS (
    SELECT *,
           CASE WHEN dir = lag(dir) OVER (PARTITION BY pair_id ORDER BY date) THEN 0 ELSE 1 END AS new_streak
    FROM decided
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
resume AS (
    -- a run writes the rows from $since on (scout_pipeline/incremental.py); a tie among them
    -- repeats the standing of the last session someone won before $since, so that one is
    -- computed too. The earlier streaks (records, prior) are read from the whole history.
    SELECT pair_id, max(date) AS first_needed
    FROM decided
    WHERE date < $since
    GROUP BY pair_id
),
prior AS (
    -- the expensive join (each session against every earlier streak): only for the rows written
    SELECT n.pair_id, n.date,
           max(s.end_date) AS prior_end,
           arg_max(s.days, s.end_date) AS prior_days
    FROM (SELECT n.* FROM numbered n LEFT JOIN resume r ON r.pair_id = n.pair_id
          WHERE n.date >= coalesce(r.first_needed, $since)) n
    JOIN streaks s
      ON s.pair_id = n.pair_id AND s.dir = n.dir
     AND s.streak_id < n.streak_id AND s.days >= n.run_length
    GROUP BY n.pair_id, n.date
),
standing AS (
    -- the streak as it stands after each decided session
    SELECT n.pair_id, n.date,
           n.dir * n.run_length AS streak_days,
           n.streak_start,
           p.prior_end AS prior_comparable_end,
           n.dir * p.prior_days AS prior_comparable_days,
           n.dir * greatest(n.run_length, coalesce(r.best_before.days, 0)) AS longest_streak_days,
           CASE WHEN r.best_before IS NULL OR n.run_length >= r.best_before.days THEN n.date
                ELSE r.best_before.end_date END AS longest_streak_end
    FROM numbered n
    JOIN records r USING (pair_id, streak_id)
    LEFT JOIN prior p USING (pair_id, date)
    LEFT JOIN resume m ON m.pair_id = n.pair_id
    WHERE n.date >= coalesce(m.first_needed, $since)
)
SELECT d.pair_id, d.date, d.lead, d.base, d.label,
       d.lead_close, d.base_close, d.lead_close / d.base_close AS ratio,
       d.lead_return, d.base_return, d.spread, d.outperformed,
       s.streak_days, s.streak_start, s.prior_comparable_end, s.prior_comparable_days,
       s.longest_streak_days, s.longest_streak_end,
       d.history_start
FROM directed d
-- a tie (or the first session) shows the streak as the last decided session left it
ASOF LEFT JOIN standing s ON s.pair_id = d.pair_id AND d.date >= s.date
WHERE d.date >= $since
ORDER BY d.pair_id, d.date
