-- quality_leaders: one row per small cap (segment small_cap) that has the data to be scored at the as-of session: profitability, earnings growth, balance sheet and relative strength, each as a value and a 0-100 percentile score among the scored names, combined into a weighted quality_score and ranked (1 = best). Nulls and weights: docs/marts.md.
-- @key as_of, ticker
-- @history as_of
-- @column as_of: the as-of session: the latest equity session on or before the run's as-of day.
-- @column ticker: Yahoo-style symbol.
-- @column name: instrument name from the universe.
-- @column sector: sector from the universe (else from the fundamentals snapshot).
-- @column snapshot_date: date of the fundamentals snapshot used (the latest on or before as_of, at most fundamentals_max_age_days old).
-- @column market_cap: market cap from that snapshot, USD.
-- @column profit_margin: net margin, fraction.
-- @column profitable: the shared profitability rule (stg_fundamentals.profitable): trailing net income > 0, else trailing EPS > 0, else profit margin > 0; null when all three are missing.
-- @column earnings_growth: year-over-year earnings growth, fraction.
-- @column debt_to_equity: debt to equity as published (percent); a negative value (negative equity) scores worst.
-- @column net_cash: total_cash - total_debt, USD (null when either is missing).
-- @column net_cash_to_cap: net_cash / market_cap, fraction.
-- @column return_rs: return over the last rs_sessions (63) sessions, adjusted closes, fraction.
-- @column segment_median_return: median return_rs over all small caps with that much history.
-- @column relative_strength: return_rs - segment_median_return (fraction; positive = ahead of the typical small cap).
-- @column profitability_score: mid-rank percentile (0-100) of profit_margin among the scored names (loss-makers have negative margins, so they sit at the bottom); ties share the middle of their places, 50 when all tie or one name is scored.
-- @column growth_score: percentile (0-100) of earnings_growth.
-- @column balance_sheet_score: mean of the percentiles (0-100) of debt_to_equity (lower is better) and net_cash_to_cap (higher is better), of those known.
-- @column strength_score: percentile (0-100) of relative_strength.
-- @column quality_score: weighted mean of the four scores with the quality_weight_* parameters (0-100).
-- @column rank: 1 = best quality_score (ties broken by ticker).
WITH small_caps AS (
    -- an integer id per name: windows partition on it much faster than on text
    SELECT ticker, name, sector, row_number() OVER (ORDER BY ticker) AS tid
    FROM staging.stg_universe
    WHERE asset_type = 'equity' AND list_contains(segments, 'small_cap')
),
recent_sessions AS (
    -- the equity sessions of the last 1.5 x K + 15 calendar days, K = the sessions read below:
    -- when they are at least K, they hold the last K, and the rest of history is not scanned
    SELECT DISTINCT date
    FROM staging.stg_prices
    WHERE date <= $as_of AND date > $as_of - (3 * ($rs_sessions::INTEGER + 1) + 15)
      AND ticker IN (SELECT ticker FROM staging.stg_universe WHERE asset_type = 'equity')
),
market_sessions AS (
    SELECT date, row_number() OVER (ORDER BY date DESC) AS sessions_back
    FROM (SELECT date FROM recent_sessions
          UNION ALL
          -- older sessions, only when the recent days hold fewer than K (a short or gappy history)
          SELECT DISTINCT date
          FROM staging.stg_prices
          WHERE date <= $as_of - (3 * ($rs_sessions::INTEGER + 1) + 15)
            AND ticker IN (SELECT ticker FROM staging.stg_universe WHERE asset_type = 'equity')
            AND date >= (SELECT CASE WHEN count(*) >= 2 * ($rs_sessions::INTEGER + 1)
                                     THEN $as_of ELSE DATE '0001-01-01' END
                         FROM recent_sessions))
),
equity_sessions AS (
    -- the as-of session, and how far back to look for each name's last rs_sessions + 1 closes
    -- (among twice as many market sessions: a name missing more than half has no return)
    SELECT max(date) AS as_of,
           min(date) FILTER (WHERE sessions_back <= 2 * ($rs_sessions::INTEGER + 1)) AS first_read
    FROM market_sessions
),
bars AS (
    SELECT c.tid, p.ticker, p.date, p.adj_close
    FROM staging.stg_prices p
    JOIN small_caps c ON c.ticker = p.ticker
    CROSS JOIN equity_sessions s
    WHERE p.date <= s.as_of AND p.date >= s.first_read
    QUALIFY row_number() OVER (PARTITION BY c.tid ORDER BY p.date DESC) <= $rs_sessions::INTEGER + 1
),
returns AS (
    -- latest close vs the close rs_sessions sessions before it (the name's own sessions)
    SELECT ticker,
           arg_max(adj_close, date) / arg_min(adj_close, date) - 1 AS return_rs
    FROM bars
    GROUP BY ticker
    HAVING count(*) = $rs_sessions::INTEGER + 1 AND arg_min(adj_close, date) > 0
),
median_return AS (
    SELECT median(return_rs) AS segment_median_return FROM returns
),
snapshots AS (
    SELECT f.*
    FROM staging.stg_fundamentals f, equity_sessions s
    WHERE f.as_of <= s.as_of
      AND f.as_of >= s.as_of - $fundamentals_max_age_days::INTEGER
      AND f.ticker IN (SELECT ticker FROM small_caps)
    QUALIFY row_number() OVER (PARTITION BY f.ticker ORDER BY f.as_of DESC) = 1
),
components AS (
    SELECT s.as_of, c.ticker, c.name, coalesce(c.sector, f.sector) AS sector,
           f.as_of AS snapshot_date,
           f.market_cap,
           f.profit_margin,
           f.profitable,
           f.earnings_growth,
           f.debt_to_equity,
           f.total_cash - f.total_debt AS net_cash,
           CASE WHEN f.market_cap > 0 THEN (f.total_cash - f.total_debt) / f.market_cap END AS net_cash_to_cap,
           r.return_rs,
           m.segment_median_return,
           r.return_rs - m.segment_median_return AS relative_strength
    FROM small_caps c
    CROSS JOIN equity_sessions s
    CROSS JOIN median_return m
    JOIN snapshots f ON f.ticker = c.ticker
    JOIN returns r ON r.ticker = c.ticker
),
eligible AS (
    -- the data needed: margin, growth, relative strength, and at least one balance-sheet measure
    SELECT *
    FROM components
    WHERE profit_margin IS NOT NULL
      AND earnings_growth IS NOT NULL
      AND relative_strength IS NOT NULL
      AND (debt_to_equity IS NOT NULL OR net_cash_to_cap IS NOT NULL)
),
percentiles AS (
    -- mid-rank percentiles: (names below + half the other names tied) / (names - 1) x 100, so
    -- ties share the middle of their places, a component on which every name ties scores 50
    -- for all, and a lone name (nothing to rank against) scores the neutral 50
    SELECT *,
           coalesce(100 * ((rank() OVER (ORDER BY profit_margin) - 1)
                           + (count(*) OVER (PARTITION BY profit_margin) - 1) / 2)
                    / nullif(count(*) OVER () - 1, 0), 50) AS profitability_score,
           coalesce(100 * ((rank() OVER (ORDER BY earnings_growth) - 1)
                           + (count(*) OVER (PARTITION BY earnings_growth) - 1) / 2)
                    / nullif(count(*) OVER () - 1, 0), 50) AS growth_score,
           coalesce(100 * ((rank() OVER (ORDER BY relative_strength) - 1)
                           + (count(*) OVER (PARTITION BY relative_strength) - 1) / 2)
                    / nullif(count(*) OVER () - 1, 0), 50) AS strength_score,
           CASE WHEN leverage_key IS NOT NULL THEN coalesce(
               100 * ((rank() OVER (PARTITION BY leverage_key IS NULL ORDER BY leverage_key DESC) - 1)
                      + (count(*) OVER (PARTITION BY leverage_key) - 1) / 2)
                   / nullif(count(*) OVER (PARTITION BY leverage_key IS NULL) - 1, 0), 50)
           END AS leverage_pct,
           CASE WHEN net_cash_to_cap IS NOT NULL THEN coalesce(
               100 * ((rank() OVER (PARTITION BY net_cash_to_cap IS NULL ORDER BY net_cash_to_cap) - 1)
                      + (count(*) OVER (PARTITION BY net_cash_to_cap) - 1) / 2)
                   / nullif(count(*) OVER (PARTITION BY net_cash_to_cap IS NULL) - 1, 0), 50)
           END AS net_cash_pct
    FROM (SELECT *,
                 -- lower debt to equity is better; negative equity ranks worst of all
                 CASE WHEN debt_to_equity < 0 THEN 'infinity'::DOUBLE ELSE debt_to_equity END AS leverage_key
          FROM eligible)
),
scores AS (
    SELECT *,
           (coalesce(leverage_pct, net_cash_pct) + coalesce(net_cash_pct, leverage_pct)) / 2 AS balance_sheet_score
    FROM percentiles
),
composite AS (
    SELECT *,
           ($quality_weight_profitability * profitability_score
            + $quality_weight_growth * growth_score
            + $quality_weight_balance_sheet * balance_sheet_score
            + $quality_weight_strength * strength_score)
           / nullif($quality_weight_profitability + $quality_weight_growth
                    + $quality_weight_balance_sheet + $quality_weight_strength, 0) AS quality_score
    FROM scores
)
SELECT as_of, ticker, name, sector, snapshot_date, market_cap,
       profit_margin, profitable, earnings_growth, debt_to_equity, net_cash, net_cash_to_cap,
       return_rs, segment_median_return, relative_strength,
       profitability_score, growth_score, balance_sheet_score, strength_score, quality_score,
       row_number() OVER (ORDER BY quality_score DESC, ticker) AS rank
FROM composite
ORDER BY rank
