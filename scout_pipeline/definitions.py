"""The one Definitions object (what `dagster dev` and `scout run` load)."""

from __future__ import annotations

import dagster as dg

from scout_pipeline.defs.brief.assets import daily_brief_report
from scout_pipeline.defs.ingest.assets import ingest_assets
from scout_pipeline.defs.publish.assets import published_warehouse
from scout_pipeline.defs.quality.checks import quality_checks  # the raw suites; the marts carry their own
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.defs.schedules import DAILY_JOB, schedules
from scout_pipeline.defs.sensors import sensors
from scout_pipeline.defs.transform.assets import transform_assets

all_assets = [*ingest_assets, *transform_assets, published_warehouse, daily_brief_report]

scout_daily = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.all(),
    description="The whole graph for one trading day: ingest, transform, gate, publish.",
)

# In-process: DuckDB allows one writer per file, and steps are short; a multiprocess
# executor would pay process start-up per step and contend for the file lock.
defs = dg.Definitions(
    assets=all_assets,
    asset_checks=quality_checks,
    jobs=[scout_daily],
    schedules=schedules,
    sensors=sensors,
    resources={"scout": ScoutResource()},
    executor=dg.in_process_executor,
)
