"""Quality gate: blocking checks on every raw table and mart (a failure stops publish)."""


import dagster as dg

from scout_pipeline import quality
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.sql_files import load_models
from scout_pipeline.sources.contracts import RAW_TABLES


def _result(outcome: quality.CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN,
        description=outcome.summary(),
        metadata={
            "failed_expectations": dg.MetadataValue.md(outcome.markdown()) if not outcome.passed else "none",
            "unexpected_count": outcome.unexpected_count,
        },
    )


def _make(schema: str, table: str, suite: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"{table}_suite",
        blocking=True,
        description=f"Quality suite '{table}': {quality.describe(schema, table)}",
    )
    def _check(context: dg.AssetCheckExecutionContext, scout: ScoutResource) -> dg.AssetCheckResult:
        with scout.warehouse().connect(context.run.run_id) as con:
            outcome = quality.run_suite(con, schema, table, scout.sql_params())
        return _result(outcome)

    return _check


quality_checks = [_make("raw", t, t) for t in RAW_TABLES] + [
    _make(m.layer, m.name, m.name) for m in load_models() if m.layer == "marts"
]
