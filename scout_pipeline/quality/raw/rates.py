"""raw.rates: rate series (ZQ=F, ^IRX, DFF, DGS2, ...). Suite `rates`."""

from scout_pipeline.quality.spec import WARN, Batch, Param, Suite, between, key_rules, not_null, symbol

KEY = ("series", "date")

ROWS_SQL = """
WITH hist AS (
    SELECT t.*, lag(value) OVER (PARTITION BY series ORDER BY date) AS prev_value,
           lag(loaded_at) OVER (PARTITION BY series ORDER BY date) AS prev_loaded_at
    FROM raw.rates t
)
SELECT series, date, value, source, abs(value - prev_value) AS one_step_change, FALSE AS source_duplicate
FROM hist t
WHERE CAST($stamp AS TIMESTAMP) IS NULL OR loaded_at = CAST($stamp AS TIMESTAMP)
   OR prev_loaded_at = CAST($stamp AS TIMESTAMP)
   OR EXISTS (SELECT 1 FROM quality.rates_duplicates d
              WHERE d.run_id = $run_id AND d.series = t.series AND d.date = t.date)
UNION ALL BY NAME
SELECT series, date, value, source, TRUE AS source_duplicate
FROM quality.rates_duplicates WHERE run_id = $run_id
"""

SERIES_SQL = """
SELECT series, max(date) AS last_date, CAST($as_of AS DATE) - max(date) AS days_behind
FROM raw.rates WHERE date <= $as_of
GROUP BY series ORDER BY series
"""

SUITE = Suite(
    schema="raw", table="rates", key=KEY,
    doc="Rate series in plausible bands: the fed funds future as a price near 100 - rate, "
        "yields in percent.",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="observations the run wrote", expectations=(
            *key_rules(KEY),
            symbol("series", "series_pattern"),
            between("date", high=Param("as_of"), name="no_date_after_as_of",
                    doc="nothing dated after the run's as-of day (point in time)"),
            between("date", Param("min_date"), name="date_plausible", doc="nothing dated before min_date"),
            not_null("value", severity=WARN),
            between("value", 75, 101, name="fed_funds_future_in_band", where=("series", "==", "ZQ=F"),
                    doc="ZQ=F is a price (100 - expected rate): 75..101"),
            between("value", -2, 25, name="yield_in_band", where=("series", "!=", "ZQ=F"),
                    doc="yields and policy rates in percent: -2..25 (not basis points, not fractions of 100)"),
            between("one_step_change", high=Param("max_rate_change"), name="one_step_change_plausible",
                    severity=WARN, doc="change from the previous observation at most max_rate_change"),
        )),
        Batch("series", SERIES_SQL, show=("series",), doc="one row per series", expectations=(
            between("days_behind", high=Param("rates_stale_days"), name="series_fresh", severity=WARN,
                    doc="last value at most rates_stale_days days before as-of"),
        )),
    ),
)
