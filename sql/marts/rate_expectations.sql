-- rate_expectations: one row per session with fed funds futures (the front month ZQ=F or the contract months), up to the as-of day: the headline of what the market prices for the Fed, read from the per-meeting figures of marts.fomc_expectations (so a contract roll never shows as a shift), with the 5- and 20-session changes and a plain-word signal naming what moved.
-- @key date
-- @column date: session date.
-- @column fed_funds_future: ZQ=F (continuous front month) close, for reference: it jumps at every contract roll, so no measure below is computed from it.
-- @column implied_policy_rate: 100 - fed_funds_future: the front month's expected AVERAGE rate over the calendar month (days already gone included), percent, for reference.
-- @column effective_rate: effective fed funds rate (FRED DFF), the last value on or before the date, percent.
-- @column tbill_3m: 13-week T-bill yield (^IRX), the last value on or before the date, percent.
-- @column treasury_2y: 2-year Treasury yield (FRED DGS2), the last value on or before the date, percent.
-- @column target_midpoint: midpoint of the fed funds target range (FRED DFEDTARL/DFEDTARU) on or before the date, percent.
-- @column next_meeting: the next scheduled FOMC meeting after the date (statement day).
-- @column next_meeting_cut_prob: probability, percent, of a cut at the next meeting (fomc_expectations.prob_cut).
-- @column next_meeting_hike_prob: probability, percent, of a hike at the next meeting.
-- @column cuts_priced_next_meeting: 25 bp cuts priced by the next meeting (negative = hikes).
-- @column year_end_meeting: the last scheduled meeting of the year of next_meeting (after a year's last meeting: next year's last) within the contract horizon.
-- @column cuts_priced_year_end: 25 bp cuts priced by year_end_meeting, cumulative from today's target (negative = hikes).
-- @column implied_cut_bps: cuts_priced_year_end x 25: basis points of easing priced by year_end_meeting (negative = tightening).
-- @column implied_change_5d_bps: change of the rate implied after year_end_meeting over the last 5 sessions, the same meeting on both days, basis points (negative = more cuts priced).
-- @column implied_change_20d_bps: the same over the last 20 sessions.
-- @column cuts_change_20d: -implied_change_20d_bps / 25: change of the cuts priced by year_end_meeting over 20 sessions.
-- @column signal: 'dovish shift' when implied_change_20d_bps <= -rate_signal_bps, 'hawkish shift' when >= +rate_signal_bps, 'steady' in between, 'insufficient history' when the year-end meeting has no figure 20 sessions back (no contract months then).
-- @column signal_detail: what moved, in words: the meeting whose own cut probability (fomc_expectations.meeting_cut_prob) changed most over 20 sessions, the earliest on a tie ("a cut at the Mar 18 meeting went from 40% to 65% priced") and the cuts priced by year end then and now.
WITH series AS (
    SELECT series, date, value
    FROM staging.stg_rates
    WHERE date <= $as_of
),
fomc AS (
    SELECT * FROM marts.fomc_expectations WHERE as_of <= $as_of
),
days AS (
    SELECT date FROM series WHERE series = 'ZQ=F'
    UNION
    SELECT as_of FROM fomc
),
numbered AS (
    SELECT d.date, row_number() OVER (ORDER BY d.date) AS n, f.value AS fed_funds_future
    FROM days d LEFT JOIN series f ON f.series = 'ZQ=F' AND f.date = d.date
),
with_effective AS (
    SELECT f.*, d.value AS effective_rate
    FROM numbered f
    ASOF LEFT JOIN (SELECT date, value FROM series WHERE series = 'DFF') d ON d.date <= f.date
),
with_tbill AS (
    SELECT f.*, t.value AS tbill_3m
    FROM with_effective f
    ASOF LEFT JOIN (SELECT date, value FROM series WHERE series = '^IRX') t ON t.date <= f.date
),
with_2y AS (
    SELECT f.*, y.value AS treasury_2y
    FROM with_tbill f
    ASOF LEFT JOIN (SELECT date, value FROM series WHERE series = 'DGS2') y ON y.date <= f.date
),
next_meeting AS (
    SELECT as_of, meeting_date, prob_cut, prob_hike, cuts_priced, target_midpoint
    FROM fomc WHERE meeting_number = 1
),
year_end AS (
    SELECT f.as_of, max(f.meeting_date) AS meeting_date
    FROM fomc f JOIN next_meeting n ON n.as_of = f.as_of
    WHERE year(f.meeting_date) = year(n.meeting_date)
    GROUP BY f.as_of
),
headline AS (
    SELECT w.*, n.meeting_date AS next_meeting, n.prob_cut AS next_meeting_cut_prob,
           n.prob_hike AS next_meeting_hike_prob, n.cuts_priced AS cuts_priced_next_meeting,
           n.target_midpoint, y.meeting_date AS year_end_meeting,
           ye.cuts_priced AS cuts_priced_year_end, ye.implied_rate AS year_end_rate
    FROM with_2y w
    LEFT JOIN next_meeting n ON n.as_of = w.date
    LEFT JOIN year_end y ON y.as_of = w.date
    LEFT JOIN fomc ye ON ye.as_of = w.date AND ye.meeting_date = y.meeting_date
),
-- the same meeting 5 and 20 sessions back: never another contract or meeting
changes AS (
    SELECT h.*,
           round((h.year_end_rate - b5.implied_rate) * 100, 2) AS implied_change_5d_bps,
           round((h.year_end_rate - b20.implied_rate) * 100, 2) AS implied_change_20d_bps,
           b20.cuts_priced AS cuts_20d_ago, h20.date AS date_20d_ago
    FROM headline h
    LEFT JOIN numbered h5 ON h5.n = h.n - 5
    LEFT JOIN fomc b5 ON b5.as_of = h5.date AND b5.meeting_date = h.year_end_meeting
    LEFT JOIN numbered h20 ON h20.n = h.n - 20
    LEFT JOIN fomc b20 ON b20.as_of = h20.date AND b20.meeting_date = h.year_end_meeting
),
-- the meeting whose cut probability moved most over 20 sessions (priced on both days)
moved AS (
    SELECT c.date, first({'meeting_date': now.meeting_date, 'before': past.meeting_cut_prob,
                          'after': now.meeting_cut_prob}
                         ORDER BY abs(now.meeting_cut_prob - past.meeting_cut_prob) DESC, now.meeting_date) AS top
    FROM changes c
    JOIN fomc now ON now.as_of = c.date
    JOIN fomc past ON past.as_of = c.date_20d_ago AND past.meeting_date = now.meeting_date
    WHERE now.meeting_cut_prob IS NOT NULL AND past.meeting_cut_prob IS NOT NULL
    GROUP BY c.date
),
signals AS (
    SELECT c.*, m.top,
           CASE WHEN c.implied_change_20d_bps IS NULL THEN 'insufficient history'
                WHEN c.implied_change_20d_bps <= -$rate_signal_bps THEN 'dovish shift'
                WHEN c.implied_change_20d_bps >= $rate_signal_bps THEN 'hawkish shift'
                ELSE 'steady'
           END AS signal
    FROM changes c LEFT JOIN moved m ON m.date = c.date
)
SELECT date, fed_funds_future, round(100 - fed_funds_future, 4) AS implied_policy_rate,
       effective_rate, tbill_3m, treasury_2y, target_midpoint,
       next_meeting, next_meeting_cut_prob, next_meeting_hike_prob, cuts_priced_next_meeting,
       year_end_meeting, cuts_priced_year_end,
       round(cuts_priced_year_end * 25, 2) AS implied_cut_bps,
       implied_change_5d_bps, implied_change_20d_bps,
       round(-implied_change_20d_bps / 25, 2) AS cuts_change_20d,
       signal,
       CASE WHEN implied_change_20d_bps IS NULL OR top IS NULL THEN NULL
            ELSE signal || ': '
                 || CASE WHEN top.before = top.after THEN 'no meeting''s cut probability moved'
                         ELSE 'a cut at the ' || strftime(top.meeting_date, '%b %-d') || ' meeting went from '
                              || printf('%.0f%%', top.before) || ' to ' || printf('%.0f%%', top.after) || ' priced'
                    END
                 || '; cuts priced by ' || strftime(year_end_meeting, '%b %-d') || ' '
                 || printf('%.2f', cuts_20d_ago) || ' -> ' || printf('%.2f', cuts_priced_year_end)
                 || ' (' || printf('%+.0f', implied_change_20d_bps) || ' bp in 20 sessions)'
       END AS signal_detail
FROM signals
ORDER BY date
