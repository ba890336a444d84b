-- stg_attention: daily search interest / pageviews per term, tied to a ticker where known.
-- @column source: wikipedia, google_trends, sample or snapshot.
-- @column term: the article or search term.
-- @column date: calendar day of the observation.
-- @column ticker: the instrument the term stands for.
-- @column value: pageviews (wikipedia) or 0-100 interest (google_trends).
SELECT source, term, date, ticker, value
FROM raw.attention
WHERE value IS NOT NULL
