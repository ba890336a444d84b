"""marts.quality_leaders. Suite `quality_leaders`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import Batch, Suite, between, symbol, unique

KEY = ("as_of", "ticker")

SUITE = Suite(
    schema="marts", table="quality_leaders", key=KEY,
    doc="Quality leaders: scores are 0-100 percentiles, one name per rank.",
    batches=(Batch("rows", "SELECT * FROM marts.quality_leaders WHERE as_of >= $since", show=KEY, expectations=(
        symbol("ticker", "ticker_pattern"),
        not_after_as_of("as_of"),
        between("rank", 1, name="rank_from_1"),
        unique(("as_of", "rank"), name="rank_unique_per_as_of"),
        *(percent(c) for c in ("profitability_score", "growth_score", "balance_sheet_score",
                               "strength_score", "quality_score")),
        between("market_cap", 0, strict_low=True, name="market_cap_positive"),
    )),),
)
