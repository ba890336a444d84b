-- stg_rates: daily rate series (fed funds future prices, T-bill, effective rate, target range, 2-year).
-- @column series: series id (ZQ=F, the contract months ZQ<month code><yy>.CBT, ^IRX, DFF, DFEDTARU, DFEDTARL, DGS2).
-- @column date: observation date.
-- @column value: price (ZQ=F and the contract months) or yield / rate in percent.
SELECT series, date, value
FROM raw.rates
WHERE value IS NOT NULL
