-- valuation_gap: one row per session with fundamentals snapshots (up to the as-of day) and equity segment: how expensive the segment is on forward earnings, losses included, how many of its names lose money, and its discount to the large caps.
-- @key as_of, segment
-- @incremental as_of
-- @column as_of: session date the valuation is for (a day with fundamentals snapshots, on or before the run's as-of day).
-- @column segment: equity segment from stg_universe.segments (small_cap, large_cap, sp500, russell2000, watchlist, ...).
-- @column constituents: equities in the segment (current universe membership).
-- @column snapshots: constituents with a fundamentals snapshot no older than fundamentals_max_age_days on this date.
-- @column covered: constituents with a usable market cap (> 0) and forward earnings on this date; the P/E columns aggregate these names.
-- @column market_cap: sum of the covered names' market caps, USD.
-- @column forward_earnings: sum of the covered names' forward earnings, USD, losses included (shares x forward EPS, else market cap / published forward P/E).
-- @column forward_pe: aggregate forward P/E, market_cap / forward_earnings with loss-makers included; null when the summed forward earnings are zero or negative.
-- @column forward_pe_ex_negative: aggregate forward P/E of the covered names with positive forward earnings only (flatters a segment with many loss-makers).
-- @column median_forward_pe: median of the single-name forward P/Es of the covered names with positive forward earnings.
-- @column earnings_yield: forward_earnings / market_cap, fraction (may be negative; defined whenever a name is covered).
-- @column loss_makers: covered names with forward earnings <= 0.
-- @column unprofitable_count: names that are not profitable by the one rule shared with quality_leaders (stg_fundamentals.profitable): trailing net income <= 0; when it is missing, trailing EPS <= 0; when both are missing, profit margin <= 0.
-- @column unprofitable_pct: unprofitable_count as a percentage (0-100) of the names whose profitability is known.
-- @column unprofitable_cap_pct: market cap of the unprofitable names as a percentage (0-100) of the market cap of the names whose profitability is known.
-- @column large_cap_forward_pe: forward_pe of the large_cap segment on the same date (the comparison point).
-- @column discount_pct: (1 - forward_pe / large_cap_forward_pe) x 100: how much cheaper than large caps, percent (negative = premium); null when either P/E is null, 0 for large_cap itself.
WITH members AS (
    SELECT DISTINCT ticker, segment
    FROM (SELECT ticker, unnest(segments) AS segment
          FROM staging.stg_universe
          WHERE asset_type = 'equity')
),
days AS (
    -- a run writes the days from $since on (scout_pipeline/incremental.py)
    SELECT DISTINCT as_of
    FROM staging.stg_fundamentals
    WHERE as_of <= $as_of AND as_of >= $since
),
tickers AS (
    -- an integer id per name: windows partition on it much faster than on text
    SELECT ticker, row_number() OVER (ORDER BY ticker) AS tid
    FROM (SELECT DISTINCT ticker FROM members)
),
snap AS (
    -- each name's latest snapshot on or before each date (one taken that day included)
    SELECT as_of, ticker,
           last_value(f IGNORE NULLS) OVER (
               PARTITION BY tid ORDER BY as_of, is_grid ROWS UNBOUNDED PRECEDING) AS f
    FROM (SELECT d.as_of, t.ticker, t.tid, 1 AS is_grid
          FROM days d CROSS JOIN tickers t
          UNION ALL BY NAME
          SELECT s.as_of, t.ticker, t.tid, 0 AS is_grid,
                 {'as_of': s.as_of, 'market_cap': s.market_cap,
                  'shares_outstanding': s.shares_outstanding, 'forward_eps': s.forward_eps,
                  'forward_pe': s.forward_pe, 'trailing_eps': s.trailing_eps,
                  'profitable': s.profitable} AS f
          FROM staging.stg_fundamentals s
          JOIN tickers t ON t.ticker = s.ticker
          -- a snapshot older than fundamentals_max_age_days before $since is stale on every day written
          WHERE s.as_of <= $as_of AND s.as_of + $fundamentals_max_age_days::INTEGER >= $since)
    QUALIFY is_grid = 1
),
fresh AS (
    -- a snapshot older than fundamentals_max_age_days counts as no snapshot
    SELECT as_of, ticker, coalesce(as_of - f.as_of <= $fundamentals_max_age_days::INTEGER, false) AS ok,
           ok AS has_snapshot,
           CASE WHEN ok THEN f.market_cap END AS market_cap,
           CASE WHEN ok THEN f.shares_outstanding END AS shares_outstanding,
           CASE WHEN ok THEN f.forward_eps END AS forward_eps,
           CASE WHEN ok THEN f.forward_pe END AS forward_pe,
           CASE WHEN ok THEN f.profitable END AS profitable
    FROM snap
),
names AS (
    SELECT as_of, ticker, has_snapshot,
           CASE WHEN market_cap > 0 THEN market_cap END AS cap,
           CASE WHEN shares_outstanding > 0 AND forward_eps IS NOT NULL
                    THEN shares_outstanding * forward_eps
                WHEN market_cap > 0 AND forward_pe <> 0
                    THEN market_cap / forward_pe
           END AS earnings,
           -- the one rule, shared with quality_leaders (stg_fundamentals.profitable)
           NOT profitable AS unprofitable
    FROM fresh
),
scored AS (
    SELECT *, cap IS NOT NULL AND earnings IS NOT NULL AS is_covered
    FROM names
),
segments AS (
    -- sums in DECIMAL are exact, so the result does not depend on row order or threads
    SELECT s.as_of, m.segment,
           count(*) AS constituents,
           count(*) FILTER (WHERE s.has_snapshot) AS snapshots,
           count(*) FILTER (WHERE s.is_covered) AS covered,
           sum(s.cap::DECIMAL(38, 6)) FILTER (WHERE s.is_covered)::DOUBLE AS market_cap,
           sum(s.earnings::DECIMAL(38, 6)) FILTER (WHERE s.is_covered)::DOUBLE AS forward_earnings,
           sum(s.cap::DECIMAL(38, 6)) FILTER (WHERE s.is_covered AND s.earnings > 0)::DOUBLE AS cap_positive,
           sum(s.earnings::DECIMAL(38, 6)) FILTER (WHERE s.is_covered AND s.earnings > 0)::DOUBLE AS earnings_positive,
           median(s.cap / s.earnings) FILTER (WHERE s.is_covered AND s.earnings > 0) AS median_forward_pe,
           count(*) FILTER (WHERE s.is_covered AND s.earnings <= 0) AS loss_makers,
           count(*) FILTER (WHERE s.unprofitable) AS unprofitable_count,
           count(s.unprofitable) AS profitability_known,
           sum(s.cap::DECIMAL(38, 6)) FILTER (WHERE s.unprofitable)::DOUBLE AS cap_unprofitable,
           sum(s.cap::DECIMAL(38, 6)) FILTER (WHERE s.unprofitable IS NOT NULL)::DOUBLE AS cap_known
    FROM scored s
    JOIN members m ON m.ticker = s.ticker
    GROUP BY s.as_of, m.segment
),
valued AS (
    SELECT *,
           CASE WHEN forward_earnings > 0 THEN market_cap / forward_earnings END AS forward_pe,
           CASE WHEN earnings_positive > 0 THEN cap_positive / earnings_positive END AS forward_pe_ex_negative,
           CASE WHEN market_cap > 0 THEN forward_earnings / market_cap END AS earnings_yield
    FROM segments
)
SELECT v.as_of, v.segment, v.constituents, v.snapshots, v.covered,
       v.market_cap, v.forward_earnings, v.forward_pe, v.forward_pe_ex_negative,
       v.median_forward_pe, v.earnings_yield, v.loss_makers,
       v.unprofitable_count,
       CASE WHEN v.profitability_known > 0
            THEN 100.0 * v.unprofitable_count / v.profitability_known END AS unprofitable_pct,
       CASE WHEN v.cap_known > 0
            THEN 100.0 * coalesce(v.cap_unprofitable, 0) / v.cap_known END AS unprofitable_cap_pct,
       l.forward_pe AS large_cap_forward_pe,
       (1 - v.forward_pe / l.forward_pe) * 100 AS discount_pct
FROM valued v
LEFT JOIN valued l ON l.as_of = v.as_of AND l.segment = 'large_cap'
ORDER BY v.as_of, v.segment
