-- stg_universe: the instruments tracked, with their segments (small_cap, large_cap, sp500, ...).
-- @column ticker: Yahoo-style symbol.
-- @column name: instrument name.
-- @column asset_type: index, etf, equity or future.
-- @column segments: list of segments the instrument belongs to.
-- @column sector: GICS-style sector (equities).
-- @column wikipedia_article: English Wikipedia article used for attention.
SELECT ticker, coalesce(name, ticker) AS name, coalesce(asset_type, 'equity') AS asset_type,
       coalesce(segments, []::VARCHAR[]) AS segments, sector, wikipedia_article
FROM raw.universe
