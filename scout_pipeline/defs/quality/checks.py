"""Quality gate: one blocking check per raw table and mart, `<table>_suite`.

The suite itself lives in scout_pipeline/quality/<schema>/<table>.py. A failed ERROR
expectation fails the check with ERROR severity, which stops everything downstream and
the publish step; WARN-only findings fail it with WARN severity and the run goes on.

Where the checks execute (fewer Dagster steps; every step costs ~70 ms of orchestration):
- a mart's suite runs inside the mart's own step (`check_specs` on its asset, see
  transform/assets.py): it reads only the mart, which the step has just built;
- the seven raw suites run in ONE step, `raw_suites` (a `multi_asset_check`), after all raw
  tables are written: they read each other (prices against raw.universe and raw.pairs,
  universe and pairs against raw.prices, fundamentals against raw.universe), so none could
  run inside its own table's ingest step without seeing a half-ingested store.
Dagster 1.13's AssetCheckSpec(blocking=True) gates downstream steps wherever the spec is
declared (asset_job.py wires every blocking spec's output into the downstream inputs, and
execute_step.py fails the step with DagsterAssetCheckFailedError after it yields a failed
ERROR evaluation of a blocking check), the same as the separate `@asset_check` steps did.
"""


import dagster as dg

from scout_pipeline import quality
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.sources.contracts import RAW_TABLES


def _result(outcome: quality.CheckOutcome, key: dg.AssetKey, name: str) -> dg.AssetCheckResult:
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
        asset_key=key,
        check_name=name,
        passed=outcome.passed,
        # a check with only WARN findings fails as WARN (the run goes on); otherwise ERROR
        severity=dg.AssetCheckSeverity.WARN if outcome.failures and not outcome.blocking
        else dg.AssetCheckSeverity.ERROR,
        description=outcome.summary(),
        metadata=metadata,
    )


def suite_name(table: str) -> str:
    return f"{table}_suite"


def suite_spec(schema: str, table: str) -> dg.AssetCheckSpec:
    """The blocking check of `<schema>.<table>`, for the step that runs it."""
    return dg.AssetCheckSpec(
        name=suite_name(table),
        asset=dg.AssetKey([schema, table]),
        blocking=True,
        description=f"Quality suite '{table}' (scout_pipeline/quality/{schema}/{table}.py). "
                    f"{quality.describe(schema, table)}",
    )


def run_check(context, scout: ScoutResource, schema: str, table: str, con) -> dg.AssetCheckResult:
    """Run the suite of `<schema>.<table>` on the step's connection to the run's working copy
    (one connection per step: opening the file costs more than a view); log its findings."""
    wh = scout.warehouse()
    run = quality.RunContext(run_id=context.run.run_id, as_of=scout.as_of_date(context.run.tags),
                             params=scout.sql_params(context.run.tags), quarantine_dir=wh.root / "quarantine")
    outcome = quality.run_suite(con, schema, table, run)
    for failure in outcome.failures:
        log = context.log.error if failure.blocking else context.log.warning
        log(f"{table}: {failure.line()}")
    return _result(outcome, dg.AssetKey([schema, table]), suite_name(table))


@dg.multi_asset_check(
    specs=[suite_spec("raw", t) for t in RAW_TABLES],
    name="raw_suites",
    can_subset=True,  # a UI run of one raw table runs that table's suite only
    description="The raw tables' quality suites, after every raw table of the run is written.",
)
def raw_suites(context: dg.AssetCheckExecutionContext, scout: ScoutResource):
    selected = context.selected_asset_check_keys
    with scout.warehouse().connect(context.run.run_id) as con:
        for table in RAW_TABLES:
            if dg.AssetCheckKey(dg.AssetKey(["raw", table]), suite_name(table)) in selected:
                yield run_check(context, scout, "raw", table, con)


# the marts' suites are declared on their assets (transform/assets.py)
quality_checks = [raw_suites]
