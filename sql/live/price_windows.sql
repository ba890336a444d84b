-- Per ticker: the stored history the live source fetches on top of (first and last stored
-- Yahoo bar, how many). A ticker absent here is new: it gets its first-load depth. Yahoo's
-- rate series (^IRX, ZQ=F) are stored in raw.rates; they count when not also in raw.prices.
WITH bars AS (
    SELECT ticker, date FROM raw.prices WHERE source = $source
    UNION ALL
    SELECT series, date FROM raw.rates r
    WHERE source = $source AND NOT EXISTS (SELECT 1 FROM raw.prices p WHERE p.ticker = r.series)
)
SELECT ticker, min(date) AS first_date, max(date) AS last_date, count(*) AS bars
FROM bars
GROUP BY ticker
