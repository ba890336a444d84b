-- fomc_expectations: one row per session (with a price for its own month's contract) and upcoming FOMC meeting within the contract horizon, up to the as-of day: the rate the monthly 30-day fed funds futures imply after the meeting (CME FedWatch month arithmetic), the change versus today, and the probability of each outcome in 25 bp steps. Method and assumptions: docs/marts.md.
-- @key as_of, meeting_date
-- @column as_of: session date of the contract prices.
-- @column meeting_date: the meeting's statement day (the new rate applies from the next day).
-- @column meeting_number: 1 for the next meeting after as_of, 2 for the one after, ...
-- @column contract: the contract month whose average holds the meeting's effect (ZQ<month code><yy>.CBT).
-- @column method: how the rate after the meeting was found: 'month split' (the meeting month's average split into the days before and after the meeting, starting from the previous month's end rate), 'next month anchors' (the following month has no meeting, so its average is the rate after this one), or 'missing contract <symbol>' (no price that session: the rates and probabilities are null).
-- @column effective_rate: effective fed funds rate (FRED DFF), the last value on or before as_of, percent.
-- @column target_low: lower bound of the target range (FRED DFEDTARL) on or before as_of, percent.
-- @column target_high: upper bound of the target range (FRED DFEDTARU) on or before as_of, percent.
-- @column target_midpoint: (target_low + target_high) / 2, percent.
-- @column rate_before: the average effective rate implied for the days just before the meeting, percent.
-- @column implied_rate: the effective rate implied after the meeting, percent.
-- @column meeting_move_bps: (implied_rate - rate_before) x 100: this meeting's own expected move, basis points (negative = easing).
-- @column meeting_cut_prob: probability, percent, that this meeting itself cuts (its move split between the two 25 bp steps around meeting_move_bps).
-- @column meeting_hike_prob: probability, percent, that this meeting itself hikes.
-- @column implied_change_bps: the sum of meeting_move_bps of the meetings up to and including this one: the expected change of the target from today's, basis points (negative = easing).
-- @column implied_midpoint: target_midpoint + implied_change_bps / 100: the target midpoint the futures imply after the meeting, percent.
-- @column cuts_priced: -implied_change_bps / 25: 25 bp cuts priced by this meeting, cumulative (negative = hikes).
-- @column prob_cut: probability, percent, that the target after this meeting is below today's (one or more cuts by then).
-- @column prob_hold: probability, percent, that the target after this meeting equals today's.
-- @column prob_hike: probability, percent, that the target after this meeting is above today's.
-- @column most_likely_change_bps: the most probable change of the target from today's after this meeting, basis points.
-- @column outcomes: every outcome with a probability of at least 0.5%, as 'change from today in bp probability%', e.g. '-50 bp 22.0%, -25 bp 61.0%, 0 bp 17.0%'.
WITH RECURSIVE contracts AS (
    SELECT series, contract_month, date, implied_rate
    FROM staging.stg_fed_funds_contracts
    WHERE date <= $as_of
),
rates AS (
    SELECT series, date, value FROM staging.stg_rates WHERE date <= $as_of
),
-- a session is priced when its own month's contract has a price: a live store's first load
-- brings the contract months of its horizon with their history, and sessions before then
-- lack the months their own horizon needs
sessions AS (
    SELECT DISTINCT date AS as_of FROM contracts WHERE contract_month = date_trunc('month', date)
),
with_dff AS (
    SELECT s.as_of, d.value AS effective_rate
    FROM sessions s ASOF LEFT JOIN (SELECT date, value FROM rates WHERE series = 'DFF') d ON d.date <= s.as_of
),
with_low AS (
    SELECT s.*, l.value AS target_low
    FROM with_dff s ASOF LEFT JOIN (SELECT date, value FROM rates WHERE series = 'DFEDTARL') l ON l.date <= s.as_of
),
base AS (
    SELECT s.*, u.value AS target_high
    FROM with_low s ASOF LEFT JOIN (SELECT date, value FROM rates WHERE series = 'DFEDTARU') u ON u.date <= s.as_of
),
-- the contract months of the horizon: the as-of month (k = 0) and the ones after it
grid AS (
    SELECT b.*, t.k, CAST(date_trunc('month', b.as_of) + to_months(CAST(t.k AS INTEGER)) AS DATE) AS month_start
    FROM base b CROSS JOIN range(0, CAST($fomc_horizon_months AS BIGINT)) t(k)
),
-- a meeting belongs to the month of its effective day; days_before = days of that month at
-- the old rate (0 when the meeting is on the last day of the previous month)
months AS (
    SELECT g.*,
           'ZQ' || substr('FGHJKMNQUVXZ', month(g.month_start), 1)
                || lpad(CAST(year(g.month_start) % 100 AS VARCHAR), 2, '0') || '.CBT' AS contract,
           day(last_day(g.month_start)) AS n_days,
           c.implied_rate AS month_rate,
           m.meeting_date,
           day(m.effective_date) - 1 AS days_before
    FROM grid g
    LEFT JOIN contracts c ON c.contract_month = g.month_start AND c.date = g.as_of
    LEFT JOIN staging.stg_fomc_calendar m
      ON m.meeting_date > g.as_of AND date_trunc('month', m.effective_date) = g.month_start
),
linked AS (
    SELECT *,
           lead(meeting_date) OVER w IS NOT NULL AS next_has_meeting,
           lead(month_rate) OVER w AS next_rate
    FROM months
    WINDOW w AS (PARTITION BY as_of ORDER BY k)
),
-- FedWatch chain, month by month: a month without a meeting has one rate all month (its
-- average; the as-of month without an upcoming meeting: today's effective rate), which
-- anchors the end of the meeting month before it; a meeting month otherwise splits its
-- average: avg = (days_before x start + (n_days - days_before) x end) / n_days
chain AS (
    SELECT as_of, k, contract, meeting_date, effective_rate, target_low, target_high,
           effective_rate AS start_rate,
           CASE WHEN meeting_date IS NULL THEN effective_rate
                WHEN NOT next_has_meeting AND next_rate IS NOT NULL THEN next_rate
                ELSE (n_days * month_rate - days_before * effective_rate) / (n_days - days_before)
           END AS end_rate,
           CASE WHEN meeting_date IS NULL THEN NULL
                WHEN NOT next_has_meeting AND next_rate IS NOT NULL THEN 'next month anchors'
                WHEN month_rate IS NULL THEN 'missing contract ' || contract
                ELSE 'month split' END AS method
    FROM linked WHERE k = 0
    UNION ALL
    SELECT m.as_of, m.k, m.contract, m.meeting_date, m.effective_rate, m.target_low, m.target_high,
           c.end_rate AS start_rate,
           CASE WHEN m.meeting_date IS NULL THEN coalesce(m.month_rate, c.end_rate)
                WHEN NOT m.next_has_meeting AND m.next_rate IS NOT NULL THEN m.next_rate
                ELSE (m.n_days * m.month_rate - m.days_before * c.end_rate) / (m.n_days - m.days_before)
           END AS end_rate,
           CASE WHEN m.meeting_date IS NULL THEN NULL
                WHEN NOT m.next_has_meeting AND m.next_rate IS NOT NULL THEN 'next month anchors'
                WHEN m.month_rate IS NULL THEN 'missing contract ' || m.contract
                WHEN c.end_rate IS NULL THEN 'missing contract before ' || m.contract
                ELSE 'month split' END AS method
    FROM chain c JOIN linked m ON m.as_of = c.as_of AND m.k = c.k + 1
),
meetings AS (
    SELECT *,
           row_number() OVER (PARTITION BY as_of ORDER BY meeting_date) AS meeting_number,
           round((end_rate - start_rate) * 100, 4) AS move_bps
    FROM chain
    WHERE meeting_date IS NOT NULL
),
-- each meeting's move lies between two 25 bp steps: lo with probability 1 - p, lo + 25 with p
steps AS (
    SELECT *, floor(move_bps / 25) * 25 AS lo_bps, (move_bps - floor(move_bps / 25) * 25) / 25 AS p_up,
           CASE WHEN count(move_bps) OVER cum = meeting_number THEN sum(move_bps) OVER cum END AS change_bps
    FROM meetings
    WINDOW cum AS (PARTITION BY as_of ORDER BY meeting_number ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
-- the probability tree over meetings: dist[i + 1] = P(i of the meetings so far took their
-- upper step); the change from today is lo_sum + 25 x i
tree AS (
    SELECT as_of, meeting_number, lo_bps AS lo_sum,
           CASE WHEN p_up IS NOT NULL THEN [1 - p_up, p_up] END AS dist
    FROM steps WHERE meeting_number = 1
    UNION ALL
    SELECT s.as_of, s.meeting_number, t.lo_sum + s.lo_bps,
           CASE WHEN s.p_up IS NOT NULL THEN
               list_transform(range(len(t.dist) + 1), lambda i:
                   coalesce(t.dist[i + 1], 0) * (1 - s.p_up) + coalesce(t.dist[i], 0) * s.p_up) END
    FROM tree t JOIN steps s ON s.as_of = t.as_of AND s.meeting_number = t.meeting_number + 1
),
outcomes AS (
    SELECT as_of, meeting_number, lo_sum, dist,
           list_transform(range(len(dist)), lambda i: {'change_bps': CAST(lo_sum + 25 * i AS INTEGER),
                                                        'prob': dist[i + 1]}) AS levels
    FROM tree
)
SELECT s.as_of, s.meeting_date, s.meeting_number, s.contract, s.method,
       s.effective_rate, s.target_low, s.target_high,
       (s.target_low + s.target_high) / 2 AS target_midpoint,
       round(s.start_rate, 4) AS rate_before,
       round(s.end_rate, 4) AS implied_rate,
       round(s.move_bps, 2) AS meeting_move_bps,
       round(100 * CASE WHEN s.lo_bps + 25 < 0 THEN 1 WHEN s.lo_bps + 25 = 0 THEN 1 - s.p_up ELSE 0 END, 2) AS meeting_cut_prob,
       round(100 * CASE WHEN s.lo_bps > 0 THEN 1 WHEN s.lo_bps = 0 THEN s.p_up ELSE 0 END, 2) AS meeting_hike_prob,
       round(s.change_bps, 2) AS implied_change_bps,
       round((s.target_low + s.target_high) / 2 + s.change_bps / 100, 4) AS implied_midpoint,
       round(-s.change_bps / 25, 2) AS cuts_priced,
       round(100 * list_sum(list_transform(o.levels, lambda x: CASE WHEN x.change_bps < 0 THEN x.prob ELSE 0 END)), 2) AS prob_cut,
       round(100 * list_sum(list_transform(o.levels, lambda x: CASE WHEN x.change_bps = 0 THEN x.prob ELSE 0 END)), 2) AS prob_hold,
       round(100 * list_sum(list_transform(o.levels, lambda x: CASE WHEN x.change_bps > 0 THEN x.prob ELSE 0 END)), 2) AS prob_hike,
       (list_sort(list_transform(o.levels, lambda x: {'prob': round(x.prob, 6), 'change_bps': x.change_bps}),
                  'DESC'))[1].change_bps AS most_likely_change_bps,
       array_to_string(list_transform(list_filter(o.levels, lambda x: x.prob >= 0.005),
                                      lambda x: x.change_bps || ' bp ' || printf('%.1f%%', 100 * x.prob)), ', ') AS outcomes
FROM steps s
LEFT JOIN outcomes o ON o.as_of = s.as_of AND o.meeting_number = s.meeting_number
ORDER BY s.as_of, s.meeting_date
