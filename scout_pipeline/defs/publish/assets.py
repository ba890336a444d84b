"""Publish: the checked build replaces warehouse/scout.duckdb atomically (write-audit-publish)."""


import datetime as dt

import dagster as dg

from scout_pipeline import journal, provenance, store
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.defs.transform.assets import mart_keys
from scout_pipeline.sql_files import load_models


@dg.asset(
    key=["published_warehouse"],
    deps=mart_keys,
    group_name="publish",
    kinds={"duckdb", "parquet"},
)
def published_warehouse(context: dg.AssetExecutionContext, scout: ScoutResource) -> dg.MaterializeResult:
    """warehouse/scout.duckdb (marts schema, commented columns) and warehouse/parquet/*.parquet.

    Runs only when every blocking check upstream passed; swaps the file in atomically so
    BI readers never see a half-published state."""
    wh = scout.warehouse()
    marts = [m for m in load_models() if m.layer == "marts"]
    with wh.connect(context.run_id) as con:  # the checked raw changes, kept beside the store
        journaled = journal.record(con, wh, context.run_id)
        labels = provenance.row_sources(con)  # the data's label follows its rows
    for key, rows in journaled.items():
        if key.endswith(".removed"):  # a complete source holding less than the store: say what goes
            context.log.warning(f"raw.{key.split('.')[0]}: {rows:,} stored row(s) are not in this source's data and "
                                "leave the store with this publish; the journal keeps them "
                                f"({wh.journal_dir.name}/<this entry>/{key}.parquet)")
    tags = context.run.tags
    info = provenance.run_info(
        spec=scout.source, labels=labels, as_of=scout.as_of_date(tags).isoformat(), overrides=dict(scout.params),
        history_start=scout.history_start, launched_by=provenance.launched_by(tags),
        published_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    counts = store.publish(
        wh, context.run_id,
        tables=[(m.layer, m.name) for m in marts],
        comments={(m.layer, m.name): m.comments() for m in marts},
        info=info,
    )
    wh.discard_old_work()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(wh.published)),
        "parquet_dir": dg.MetadataValue.path(str(wh.parquet_dir)),
        "as_of": str(scout.as_of_date(context.run.tags)),
        "run_info": dg.MetadataValue.json(info),
        "tables": dg.MetadataValue.json(counts),
        "journal": dg.MetadataValue.json(journaled),
    })
