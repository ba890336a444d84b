"""raw.fundamentals: daily point-in-time snapshots. Suite `fundamentals`."""

from scout_pipeline.quality.raw import run_rows
from scout_pipeline.quality.spec import WARN, Batch, Param, Suite, between, in_set, key_rules, of_type, symbol

KEY = ("ticker", "as_of")
NUMERIC = ("market_cap", "shares_outstanding", "forward_eps", "trailing_eps", "forward_pe",
           "trailing_pe", "net_income_ttm", "profit_margin", "earnings_growth", "revenue_growth",
           "debt_to_equity", "total_debt", "total_cash")

# How many of the numeric fields a snapshot carries (0 = an empty row from the provider).
ROWS_SQL = run_rows("fundamentals", extra="(" + " + ".join(
    f"CAST({c} IS NOT NULL AS INTEGER)" for c in NUMERIC) + ") AS fields_present, "
    # the largest absolute number in the snapshot (greatest skips nulls)
    "greatest(" + ", ".join(f"abs({c})" for c in NUMERIC) + ") AS largest_magnitude")

# One row per universe equity: does it have a snapshot recent enough to be used?
# Only when the source delivered fundamentals at all (a missing dataset is a note, not a warning).
COVERAGE_SQL = """
SELECT u.ticker,
       max(f.as_of) AS last_snapshot,
       coalesce(max(f.as_of) >= CAST($as_of AS DATE) - CAST($fundamentals_max_age_days AS INTEGER), FALSE)
           AS has_recent_snapshot
FROM raw.universe u
LEFT JOIN raw.fundamentals f ON f.ticker = u.ticker AND f.as_of <= $as_of
WHERE u.asset_type = 'equity' AND EXISTS (SELECT 1 FROM raw.fundamentals)
GROUP BY u.ticker
ORDER BY u.ticker
"""

SUITE = Suite(
    schema="raw", table="fundamentals", key=KEY,
    doc="Fundamentals snapshots: numbers where numbers belong, in plausible ranges; empty "
        "snapshots and thin coverage are warnings (every field is nullable by contract).",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="snapshots the run wrote", expectations=(
            *key_rules(KEY),
            symbol("ticker", "ticker_pattern"),
            between("as_of", high=Param("as_of"), name="snapshot_not_after_as_of",
                    doc="no snapshot dated after the run's as-of day"),
            between("as_of", Param("min_date"), name="snapshot_date_plausible",
                    doc="no snapshot dated before min_date"),
            between("largest_magnitude", high=Param("max_magnitude"), name="numbers_plausible",
                    doc="every number's absolute value <= max_magnitude"),
            *(of_type(c) for c in ("market_cap", "forward_eps", "trailing_eps", "forward_pe", "trailing_pe")),
            between("market_cap", 0, Param("max_market_cap"), strict_low=True, name="market_cap_in_range",
                    doc="0 < market_cap <= max_market_cap (USD)"),
            between("shares_outstanding", 0, strict_low=True, name="shares_outstanding_positive"),
            between("total_debt", 0, name="total_debt_not_negative"),
            between("total_cash", 0, name="total_cash_not_negative"),
            between("forward_pe", -10_000, 10_000, name="forward_pe_in_range", severity=WARN),
            between("trailing_pe", -10_000, 10_000, name="trailing_pe_in_range", severity=WARN),
            between("forward_eps", -100_000, 100_000, name="forward_eps_in_range", severity=WARN),
            between("trailing_eps", -100_000, 100_000, name="trailing_eps_in_range", severity=WARN),
            between("fields_present", 1, name="not_all_fields_null", severity=WARN,
                    doc="a snapshot carries at least one number (all-null rows are kept, and flagged)"),
        )),
        Batch("coverage", COVERAGE_SQL, show=("ticker",), doc="one row per universe equity", expectations=(
            in_set("has_recent_snapshot", [True], name="equity_coverage", severity=WARN,
                   mostly=Param("fundamentals_coverage"),
                   doc="at least fundamentals_coverage of the universe's equities have a snapshot "
                       "no older than fundamentals_max_age_days"),
        )),
    ),
)
