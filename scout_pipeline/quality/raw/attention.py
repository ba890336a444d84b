"""raw.attention: search interest / pageviews per term. Suite `attention`."""

from scout_pipeline.quality.raw import run_rows
from scout_pipeline.quality.spec import ERROR, WARN, Batch, Param, Suite, between, key_rules, not_null, symbol

KEY = ("source", "term", "date")

ROWS_SQL = run_rows("attention")

# One row per (source, term): one ticker per term, and is the series still updated?
TERMS_SQL = """
SELECT source, term,
       count(DISTINCT ticker) AS tickers,
       max(date) AS last_date,
       CAST($as_of AS DATE) - max(date) AS days_behind
FROM raw.attention
WHERE date <= $as_of
GROUP BY source, term
ORDER BY source, term
"""

SUITE = Suite(
    schema="raw", table="attention", key=KEY,
    doc="Attention series: values on their source's scale, one ticker per term, fresh.",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="values the run wrote", expectations=(
            *key_rules(KEY),
            symbol("ticker", "ticker_pattern"),
            between("date", high=Param("as_of"), name="no_date_after_as_of",
                    doc="nothing dated after the run's as-of day (point in time)"),
            between("date", Param("min_date"), name="date_plausible", doc="nothing dated before min_date"),
            not_null("value", severity=WARN, doc="a value is given (null values are ignored downstream)"),
            between("value", 0, name="value_not_negative", doc="attention is never negative"),
            between("value", high=Param("max_magnitude"), name="value_plausible",
                    doc="value <= max_magnitude, whatever the source"),
            between("value", high=100, name="google_trends_within_0_100", where=("source", "==", "google_trends"),
                    doc="google_trends values are on Google's 0-100 scale"),
            between("value", high=1e9, name="pageviews_plausible", where=("source", "==", "wikipedia"),
                    doc="wikipedia daily pageviews at most 1e9"),
        )),
        Batch("terms", TERMS_SQL, show=("source", "term"), doc="one row per (source, term)", expectations=(
            between("tickers", high=1, name="term_has_one_ticker", severity=ERROR,
                    doc="within a source, a term always stands for the same ticker"),
            between("days_behind", high=Param("attention_stale_days"), name="series_fresh", severity=WARN,
                    doc="last value at most attention_stale_days days before as-of"),
        )),
    ),
)
