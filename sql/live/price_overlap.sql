-- Per ticker: the last $sessions stored bars. The live source re-fetches them and compares:
-- a provider that restated history (split, dividend, correction) answers differently.
WITH bars AS (
    SELECT ticker, date, close, adj_close FROM raw.prices WHERE source = $source
    UNION ALL
    SELECT series, date, value, value FROM raw.rates r
    WHERE source = $source AND NOT EXISTS (SELECT 1 FROM raw.prices p WHERE p.ticker = r.series)
)
SELECT ticker, date, close, adj_close
FROM (
    SELECT *, row_number() OVER (PARTITION BY ticker ORDER BY date DESC) AS n FROM bars
)
WHERE n <= $sessions
