-- rate_expectations: one row per session with a front-month fed funds future (ZQ=F) price, up to the as-of day: the policy rate the market implies, how many cuts that prices against the effective rate, how it moved over 5 and 20 sessions, and a plain-word signal.
-- @key date
-- @column date: session date of the ZQ=F price.
-- @column fed_funds_future: ZQ=F settlement/close price (100 - expected average fed funds rate of the front month).
-- @column implied_policy_rate: 100 - fed_funds_future, percent.
-- @column effective_rate: effective fed funds rate (FRED DFF), the last value on or before the date, percent.
-- @column tbill_3m: 13-week T-bill yield (^IRX), the last value on or before the date, percent.
-- @column treasury_2y: 2-year Treasury yield (FRED DGS2), the last value on or before the date, percent.
-- @column implied_cut_bps: (effective_rate - implied_policy_rate) x 100: basis points of easing priced for the front month (negative = hikes priced).
-- @column implied_change_5d_bps: change of implied_policy_rate over the last 5 ZQ=F sessions, basis points (negative = more cuts priced).
-- @column implied_change_20d_bps: change of implied_policy_rate over the last 20 ZQ=F sessions, basis points (negative = more cuts priced).
-- @column signal: 'dovish shift' when implied_change_20d_bps <= -rate_signal_bps, 'hawkish shift' when >= +rate_signal_bps, 'steady' in between, 'insufficient history' before 20 sessions exist. Front-month rolls can move the future by themselves: read a shift next to the effective rate.
WITH series AS (
    SELECT series, date, value
    FROM staging.stg_rates
    WHERE date <= $as_of
),
futures AS (
    SELECT date, value AS fed_funds_future, 100 - value AS implied_policy_rate
    FROM series
    WHERE series = 'ZQ=F'
),
with_effective AS (
    SELECT f.*, d.value AS effective_rate
    FROM futures f
    ASOF LEFT JOIN (SELECT date, value FROM series WHERE series = 'DFF') d
      ON d.date <= f.date
),
with_tbill AS (
    SELECT f.*, t.value AS tbill_3m
    FROM with_effective f
    ASOF LEFT JOIN (SELECT date, value FROM series WHERE series = '^IRX') t
      ON t.date <= f.date
),
with_2y AS (
    SELECT f.*, y.value AS treasury_2y
    FROM with_tbill f
    ASOF LEFT JOIN (SELECT date, value FROM series WHERE series = 'DGS2') y
      ON y.date <= f.date
),
changes AS (
    SELECT *,
           round((effective_rate - implied_policy_rate) * 100, 2) AS implied_cut_bps,
           round((implied_policy_rate - lag(implied_policy_rate, 5) OVER by_date) * 100, 2) AS implied_change_5d_bps,
           round((implied_policy_rate - lag(implied_policy_rate, 20) OVER by_date) * 100, 2) AS implied_change_20d_bps
    FROM with_2y
    WINDOW by_date AS (ORDER BY date)
)
SELECT date, fed_funds_future, implied_policy_rate, effective_rate, tbill_3m, treasury_2y,
       implied_cut_bps, implied_change_5d_bps, implied_change_20d_bps,
       CASE WHEN implied_change_20d_bps IS NULL THEN 'insufficient history'
            WHEN implied_change_20d_bps <= -$rate_signal_bps THEN 'dovish shift'
            WHEN implied_change_20d_bps >= $rate_signal_bps THEN 'hawkish shift'
            ELSE 'steady'
       END AS signal
FROM changes
ORDER BY date
