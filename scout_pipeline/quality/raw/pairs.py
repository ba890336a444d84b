"""raw.pairs: the comparisons the streak mart follows. Suite `pairs`."""

from scout_pipeline.quality.raw import run_rows
from scout_pipeline.quality.spec import WARN, Batch, Suite, in_set, key_rules, matches, not_null, symbol

KEY = ("pair_id",)

ROWS_SQL = run_rows("pairs", extra="lead = base AS same_series")

SERIES_SQL = """
SELECT p.pair_id, p.lead, p.base,
       EXISTS (SELECT 1 FROM raw.prices x WHERE x.ticker = p.lead) AND
       EXISTS (SELECT 1 FROM raw.prices x WHERE x.ticker = p.base) AS both_priced
FROM raw.pairs p
WHERE EXISTS (SELECT 1 FROM raw.prices)
ORDER BY p.pair_id
"""

SUITE = Suite(
    schema="raw", table="pairs", key=KEY,
    doc="Pairs: two different, valid series each.",
    batches=(
        Batch("rows", ROWS_SQL, show=KEY, doc="pairs the run wrote", expectations=(
            *key_rules(KEY),
            matches("pair_id", r"^[A-Za-z0-9_\-]{1,64}\Z", "pair_id_pattern", doc="pair_id is a plain name"),
            not_null("lead"), not_null("base"),
            symbol("lead", "lead_pattern"),
            symbol("base", "base_pattern"),
            in_set("same_series", [False], name="lead_differs_from_base", doc="lead and base are different series"),
        )),
        Batch("series", SERIES_SQL, show=("pair_id", "lead", "base"), doc="one row per pair", expectations=(
            in_set("both_priced", [True], name="pair_series_priced", severity=WARN,
                   doc="both series of a pair have price bars"),
        )),
    ),
)
