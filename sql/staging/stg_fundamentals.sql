-- stg_fundamentals: point-in-time fundamentals snapshots, one per ticker and day.
-- @column ticker: Yahoo-style symbol.
-- @column as_of: day the snapshot was taken.
-- @column market_cap: market capitalisation, USD.
-- @column shares_outstanding: shares outstanding.
-- @column forward_eps: consensus forward earnings per share.
-- @column trailing_eps: trailing twelve-month earnings per share.
-- @column forward_pe: price over forward EPS as published (null for losses).
-- @column trailing_pe: price over trailing EPS as published.
-- @column net_income_ttm: trailing twelve-month net income, USD.
-- @column profit_margin: net margin, fraction.
-- @column earnings_growth: year-over-year earnings growth, fraction.
-- @column revenue_growth: year-over-year revenue growth, fraction.
-- @column debt_to_equity: debt to equity, percent as Yahoo publishes it.
-- @column total_debt: total debt, USD.
-- @column total_cash: cash and equivalents, USD.
-- @column sector: sector as published with the snapshot.
-- @column industry: industry as published with the snapshot.
-- @column profitable: the one profitability rule (quality_leaders and valuation_gap): trailing net income > 0; when net income is missing, trailing EPS > 0; when both are missing, profit margin > 0; null when all three are missing.
SELECT ticker, as_of, market_cap, shares_outstanding, forward_eps, trailing_eps, forward_pe,
       trailing_pe, net_income_ttm, profit_margin, earnings_growth, revenue_growth,
       debt_to_equity, total_debt, total_cash, sector, industry,
       -- net income is the profit itself; EPS and margin only stand in when it is missing
       coalesce(net_income_ttm > 0, trailing_eps > 0, profit_margin > 0) AS profitable
FROM raw.fundamentals
