"""Quality gate: one blocking check per raw table and mart, `<table>_suite`.

The suite itself lives in scout_pipeline/quality/<schema>/<table>.py. A failed ERROR
expectation fails the check with ERROR severity, which stops everything downstream and
the publish step; WARN-only findings fail it with WARN severity and the run goes on.
"""


import dagster as dg

from scout_pipeline import quality
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.sources.contracts import RAW_TABLES
from scout_pipeline.sql_files import load_models


def _result(outcome: quality.CheckOutcome) -> dg.AssetCheckResult:
    metadata: dict = {
        "unexpected_count": outcome.unexpected_count,
        "expectations_evaluated": outcome.evaluated,
        "rows_checked": dg.MetadataValue.json(outcome.rows_checked),
        "failed_expectations": dg.MetadataValue.md(outcome.markdown()) if outcome.failures else "none",
        "failures": dg.MetadataValue.json([f.as_dict() for f in outcome.failures]),
    }
    if outcome.quarantine:
        metadata["quarantine"] = dg.MetadataValue.path(str(outcome.quarantine))
    if outcome.skipped:
        metadata["skipped"] = outcome.skipped
    return dg.AssetCheckResult(
        passed=outcome.passed,
        # a check with only WARN findings fails as WARN (the run goes on); otherwise ERROR
        severity=dg.AssetCheckSeverity.WARN if outcome.failures and not outcome.blocking
        else dg.AssetCheckSeverity.ERROR,
        description=outcome.summary(),
        metadata=metadata,
    )


def _make(schema: str, table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey([schema, table]),
        name=f"{table}_suite",
        blocking=True,
        description=f"Quality suite '{table}' (scout_pipeline/quality/{schema}/{table}.py). "
                    f"{quality.describe(schema, table)}",
    )
    def _check(context: dg.AssetCheckExecutionContext, scout: ScoutResource) -> dg.AssetCheckResult:
        wh = scout.warehouse()
        run = quality.RunContext(run_id=context.run.run_id, as_of=scout.as_of_date(context.run.tags),
                                 params=scout.sql_params(context.run.tags), quarantine_dir=wh.root / "quarantine")
        with wh.connect(context.run.run_id) as con:
            outcome = quality.run_suite(con, schema, table, run)
        for failure in outcome.failures:
            log = context.log.error if failure.blocking else context.log.warning
            log(f"{table}: {failure.line()}")
        return _result(outcome)

    return _check


quality_checks = [_make("raw", t) for t in RAW_TABLES] + [
    _make(m.layer, m.name) for m in load_models() if m.layer == "marts"
]
