"""Brief: the daily brief (markdown, HTML, PNG charts) rendered from the published marts."""

import base64

import dagster as dg

from scout_pipeline import brief
from scout_pipeline.defs.partitions import SINGLE_RUN, TRADING_DAYS
from scout_pipeline.defs.resources import ScoutResource


@dg.asset(
    key=["daily_brief_report"],
    deps=[dg.AssetKey(["published_warehouse"])],
    group_name="brief",
    partitions_def=TRADING_DAYS,
    backfill_policy=SINGLE_RUN,
    kinds={"python", "markdown"},
)
def daily_brief_report(context: dg.AssetExecutionContext, scout: ScoutResource) -> dg.MaterializeResult:
    """warehouse/briefs/<as_of>/: brief.md, a standalone brief.html and PNG charts (rotation
    with the current and prior comparable streaks, what followed earlier comparable streaks,
    valuation gap, breakouts, breadth, rates)."""
    result = brief.render(scout.warehouse().root)
    context.log.info(f"brief written to {result.html_path}")
    return dg.MaterializeResult(metadata={
        "brief": dg.MetadataValue.md(result.markdown),
        "html": dg.MetadataValue.path(str(result.html_path)),
        "markdown": dg.MetadataValue.path(str(result.md_path)),
        "charts": dg.MetadataValue.json({c.name: c.series for c in result.charts}),
        "synthetic": result.synthetic,
        # the headline charts inline, so the asset page shows them without opening files
        **{f"chart_{c.name}": dg.MetadataValue.md(
            f"![{brief.md_text(c.title)}](data:image/png;base64,{base64.b64encode(c.path.read_bytes()).decode()})")
           for c in result.charts if c.name in ("rotation", "streak_outcomes", "valuation", "rates")},
    })
