-- The `source` labels the raw rows of a build carry (sample, yahoo, fred, snapshot, ...):
-- what the data is, whatever command line loaded it (a snapshot of sample data is still sample).
SELECT source FROM raw.prices
UNION SELECT source FROM raw.fundamentals
UNION SELECT source FROM raw.attention
UNION SELECT source FROM raw.rates
UNION SELECT source FROM raw.universe
UNION SELECT source FROM raw.pairs
ORDER BY source
