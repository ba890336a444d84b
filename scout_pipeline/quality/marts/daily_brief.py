"""marts.daily_brief. Suite `daily_brief`."""

from scout_pipeline.quality.marts import not_after_as_of
from scout_pipeline.quality.spec import Batch, Suite, between, in_set, not_null

KEY = ("as_of", "section")
SECTIONS = ("rotation", "valuation", "cooling_breakouts", "breadth", "rates", "quality_leaders")

SUITE = Suite(
    schema="marts", table="daily_brief", key=KEY,
    doc="The brief's facts: known sections, each with a headline.",
    batches=(Batch("rows", "SELECT * FROM marts.daily_brief WHERE as_of >= $since", show=KEY, expectations=(
        not_after_as_of("as_of"),
        in_set("section", SECTIONS, name="section_allowed"),
        not_null("headline"),
        between("section_order", 1, name="section_order_from_1"),
    )),),
)
