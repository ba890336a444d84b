"""raw.rates: rate series (ZQ=F, the contract months ZQ<month><yy>.CBT, ^IRX, DFF, DFEDTARU,
DFEDTARL, DGS2, ...). Suite `rates`."""

from scout_pipeline.quality.spec import WARN, Batch, Param, Suite, between, in_set, key_rules, not_null, symbol
from scout_pipeline.sources.fomc import CONTRACT_REGEX

# Fed funds futures are prices (100 - rate): the continuous front month and each contract month.
# (The pattern is a code constant, like 'ZQ=F', never input.)
FUTURE = f"(series = 'ZQ=F' OR regexp_matches(series, '{CONTRACT_REGEX}'))"
# The last day of a contract month's settlement month, from its symbol (ZQF27.CBT -> 2027-01-31).
CONTRACT_END = ("last_day(make_date(2000 + TRY_CAST(substr(series, 4, 2) AS INTEGER), "
                "nullif(strpos('FGHJKMNQUVXZ', substr(series, 3, 1)), 0), 1))")

KEY = ("series", "date")

ROWS_SQL = """
WITH hist AS (
    SELECT t.*, lag(value) OVER (PARTITION BY series ORDER BY date) AS prev_value,
           lag(loaded_at) OVER (PARTITION BY series ORDER BY date) AS prev_loaded_at
    FROM raw.rates t
)
SELECT series, date, value, source, abs(value - prev_value) AS one_step_change, FALSE AS source_duplicate,
       """ + FUTURE + """ AS is_future
FROM hist t
WHERE CAST($stamp AS TIMESTAMP) IS NULL OR loaded_at = CAST($stamp AS TIMESTAMP)
   OR prev_loaded_at = CAST($stamp AS TIMESTAMP)
   OR EXISTS (SELECT 1 FROM quality.rates_duplicates d
              WHERE d.run_id = $run_id AND d.series = t.series AND d.date = t.date)
UNION ALL BY NAME
SELECT series, date, value, source, TRUE AS source_duplicate, """ + FUTURE + """ AS is_future
FROM quality.rates_duplicates WHERE run_id = $run_id
"""

# An expired contract month stops trading: only live series are held to freshness.
SERIES_SQL = """
SELECT series, max(date) AS last_date, CAST($as_of AS DATE) - max(date) AS days_behind
FROM raw.rates WHERE date <= $as_of
  AND NOT coalesce(CASE WHEN regexp_matches(series, '""" + CONTRACT_REGEX + """')
                        THEN """ + CONTRACT_END + """ < $as_of END, FALSE)
GROUP BY series ORDER BY series
"""

# Contract months the live source asked Yahoo for and did not get this run (raw.ingest_log):
# the meetings they hold go unpriced that day, so each is a warning naming its symbol, never
# a failed day.
CONTRACTS_SQL = """
SELECT item AS series, status, reason AS source_reason, FALSE AS delivered
FROM raw.ingest_log
WHERE run_id = $run_id AND dataset = 'rates' AND regexp_matches(item, '""" + CONTRACT_REGEX + """')
ORDER BY item
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
            between("value", 75, 101, name="fed_funds_future_in_band", where=("is_future", "==", True),
                    doc="ZQ=F and the contract months are prices (100 - expected rate): 75..101"),
            between("value", -2, 25, name="yield_in_band", where=("is_future", "==", False),
                    doc="yields and policy rates in percent: -2..25 (not basis points, not fractions of 100)"),
            between("one_step_change", high=Param("max_rate_change"), name="one_step_change_plausible",
                    severity=WARN, doc="change from the previous observation at most max_rate_change"),
        )),
        Batch("series", SERIES_SQL, show=("series",), doc="one row per series (expired contract months "
              "excluded)", expectations=(
            between("days_behind", high=Param("rates_stale_days"), name="series_fresh", severity=WARN,
                    doc="last value at most rates_stale_days days before as-of"),
        )),
        Batch("contracts", CONTRACTS_SQL, show=("series", "source_reason"),
              doc="contract months the source reported as not delivered this run", expectations=(
            in_set("delivered", [True], name="contract_month_delivered", severity=WARN,
                   doc="every fed funds contract month asked for arrived (a missing one leaves its "
                       "meeting unpriced for the day)"),
        )),
    ),
)
