-- Per ticker: the latest stored slow-moving fundamentals (the quoteSummary "profile") and the
-- day they were fetched. The live source refreshes a rotating share of them each day and
-- carries the rest forward, so their age stays visible in raw.fundamentals.profile_as_of.
SELECT ticker, profile_as_of, net_income_ttm, profit_margin, earnings_growth, revenue_growth,
       debt_to_equity, total_debt, total_cash, sector, industry
FROM (
    SELECT *, row_number() OVER (PARTITION BY ticker ORDER BY as_of DESC) AS n
    FROM raw.fundamentals
    WHERE source = $source AND profile_as_of IS NOT NULL
)
WHERE n = 1
