"""marts.valuation_gap. Suite `valuation_gap`."""

from scout_pipeline.quality.marts import not_after_as_of, percent
from scout_pipeline.quality.spec import Batch, Suite, a_ge_b, between

KEY = ("as_of", "segment")

SUITE = Suite(
    schema="marts", table="valuation_gap", key=KEY,
    doc="Valuation gap: counts add up, percentages are percentages, P/Es positive where defined.",
    batches=(Batch("rows", "SELECT * FROM marts.valuation_gap WHERE as_of >= $since", show=KEY, expectations=(
        not_after_as_of("as_of"),
        between("constituents", 0, name="constituents_not_negative"),
        a_ge_b("constituents", "covered", "covered_not_above_constituents"),
        a_ge_b("constituents", "snapshots", "snapshots_not_above_constituents"),
        a_ge_b("covered", "loss_makers", "loss_makers_not_above_covered"),
        percent("unprofitable_pct"),
        percent("unprofitable_cap_pct"),
        between("forward_pe", 0, strict_low=True, name="forward_pe_positive",
                doc="aggregate forward P/E > 0 (null when summed earnings <= 0)"),
        between("forward_pe_ex_negative", 0, strict_low=True, name="forward_pe_ex_negative_positive"),
        between("median_forward_pe", 0, strict_low=True, name="median_forward_pe_positive"),
        between("discount_pct", high=100, strict_high=True, name="discount_pct_below_100",
                doc="a discount to a positive P/E is below 100%"),
    )),),
)
