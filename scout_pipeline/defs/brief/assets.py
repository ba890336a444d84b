"""Brief: the daily brief (markdown, HTML, PNG charts) rendered from the published marts."""

import dagster as dg

from scout_pipeline import brief
from scout_pipeline.defs.resources import ScoutResource


@dg.asset(
    key=["daily_brief_report"],
    deps=[dg.AssetKey(["published_warehouse"])],
    group_name="brief",
    kinds={"python", "markdown"},
)
def daily_brief_report(context: dg.AssetExecutionContext, scout: ScoutResource) -> dg.MaterializeResult:
    """warehouse/briefs/<as_of>/: brief.md, a standalone brief.html and PNG charts (rotation
    with the current and prior comparable streaks, what followed earlier comparable streaks,
    valuation gap, breakouts, breadth, rates)."""
    result = brief.render(scout.warehouse().root)
    context.log.info(f"brief written to {result.html_path}")
    return dg.MaterializeResult(metadata={
        # the charts travel inside the markdown as data URIs: the UI cannot reach files
        # beside brief.md, so relative links would render as broken images
        "brief": dg.MetadataValue.md(result.inline_markdown),
        "html": dg.MetadataValue.path(str(result.html_path)),
        "markdown": dg.MetadataValue.path(str(result.md_path)),
        "charts": dg.MetadataValue.table(
            records=[dg.TableRecord({"chart": c.name, "title": c.title, "file": str(c.path),
                                     "kilobytes": round(c.path.stat().st_size / 1024, 1),
                                     "series": "; ".join(c.series)}) for c in result.charts],
            schema=dg.TableSchema(columns=[
                dg.TableColumn("chart", "string", description="the brief section it illustrates"),
                dg.TableColumn("title", "string"), dg.TableColumn("file", "string", description="the PNG"),
                dg.TableColumn("kilobytes", "float"),
                dg.TableColumn("series", "string", description="what is drawn, as the legend names it")])),
        "synthetic": result.synthetic,
    })
