-- stg_attention: daily search interest / pageviews per term, tied to a ticker where known.
-- @column source: wikipedia, google_trends, sample or snapshot.
-- @column term: the article or search term.
-- @column date: calendar day of the observation.
-- @column ticker: the instrument the term stands for: the row's own ticker, else the one universe instrument whose wikipedia_article is the term (spaces and underscores alike); null when neither names one (such rows are ignored by the marts, and the run notes say so).
-- @column value: pageviews (wikipedia) or 0-100 interest (google_trends).
WITH articles AS (
    -- an article shared by several instruments resolves to none of them
    SELECT replace(wikipedia_article, ' ', '_') AS article, min(ticker) AS ticker
    FROM raw.universe
    WHERE wikipedia_article IS NOT NULL
    GROUP BY 1
    HAVING count(DISTINCT ticker) = 1
)
SELECT a.source, a.term, a.date, coalesce(a.ticker, u.ticker) AS ticker, a.value
FROM raw.attention a
LEFT JOIN articles u ON a.ticker IS NULL AND u.article = replace(a.term, ' ', '_')
WHERE a.value IS NOT NULL
