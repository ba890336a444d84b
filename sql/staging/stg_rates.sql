-- stg_rates: daily rate series (fed funds future price, T-bill, effective rate, 2-year).
-- @column series: series id (ZQ=F, ^IRX, DFF, DGS2).
-- @column date: observation date.
-- @column value: price (ZQ=F) or yield in percent.
SELECT series, date, value
FROM raw.rates
WHERE value IS NOT NULL
