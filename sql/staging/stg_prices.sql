-- stg_prices: daily bars with a usable close on a weekday; adj_close falls back to close (index levels). A bar dated on a Saturday or Sunday is a session of no exchange tracked (a provider artefact, e.g. a yfinance Sunday bar): it is left out, and the run notes name it.
-- @column ticker: Yahoo-style symbol.
-- @column date: session date in the exchange's calendar.
-- @column open: traded open.
-- @column high: traded high.
-- @column low: traded low.
-- @column close: traded close.
-- @column adj_close: split- and dividend-adjusted close (equals close where none is published).
-- @column volume: shares (or contracts) traded.
-- @column source: provider the bar came from.
SELECT ticker, date, open, high, low, close, coalesce(adj_close, close) AS adj_close, volume, source
FROM raw.prices
WHERE close IS NOT NULL
  AND dayofweek(date) NOT IN (0, 6)  -- 0 = Sunday, 6 = Saturday
