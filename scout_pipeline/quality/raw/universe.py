"""raw.universe: the instruments followed. Suite `universe`."""

from scout_pipeline.quality.raw import run_rows
from scout_pipeline.quality.spec import WARN, Batch, Param, Suite, in_set, key_rules, not_null, symbol
from scout_pipeline.sources.contracts import ASSET_TYPES

KEY = ("ticker",)

ROWS_SQL = run_rows("universe")

# Listed instruments (not futures, which are rates inputs) that have price bars; only when
# there are prices at all.
COVERAGE_SQL = """
SELECT u.ticker, u.asset_type,
       -- one grouped pass over raw.prices rather than a probe per ticker
       u.ticker IN (SELECT DISTINCT ticker FROM raw.prices WHERE date <= $as_of) AS has_prices
FROM raw.universe u
WHERE coalesce(u.asset_type, '') <> 'future' AND EXISTS (SELECT 1 FROM raw.prices)
ORDER BY u.ticker
"""

SUITE = Suite(
    schema="raw", table="universe", key=KEY,
    doc="The universe: valid symbols and asset types; most instruments have prices.",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="universe rows the run wrote", expectations=(
            *key_rules(KEY),
            symbol("ticker", "ticker_pattern"),
            in_set("asset_type", ASSET_TYPES, name="asset_type_allowed"),
            not_null("asset_type", severity=WARN),
        )),
        Batch("coverage", COVERAGE_SQL, show=("ticker",), doc="one row per listed instrument", expectations=(
            in_set("has_prices", [True], name="price_coverage", severity=WARN, mostly=Param("price_coverage"),
                   doc="at least price_coverage of the listed instruments have price bars"),
        )),
    ),
)
