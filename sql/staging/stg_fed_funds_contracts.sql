-- stg_fed_funds_contracts: one row per session and monthly 30-day fed funds contract (raw.rates series ZQ<month code><yy>.CBT, e.g. ZQF27.CBT = January 2027), with the month it settles on and the average rate it implies.
-- @column series: Yahoo symbol of the contract month (ZQ + CME month code F..Z + two-digit year + .CBT).
-- @column contract_month: first day of the month the contract settles on.
-- @column date: session date of the price.
-- @column price: settlement/close price (100 - the month's expected average effective fed funds rate).
-- @column implied_rate: 100 - price: the month's expected average effective fed funds rate, percent.
SELECT series,
       make_date(2000 + TRY_CAST(substr(series, 4, 2) AS INTEGER),
                 strpos('FGHJKMNQUVXZ', substr(series, 3, 1)), 1) AS contract_month,
       date,
       value AS price,
       100 - value AS implied_rate
FROM raw.rates
WHERE value IS NOT NULL
  AND regexp_matches(series, '^ZQ[FGHJKMNQUVXZ][0-9][0-9]\.CBT$')
