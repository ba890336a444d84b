"""The run's steps: checks inside their asset's step (marts) or one step (raw), the staging
views in one step, every check still blocking: an ERROR stops downstream and publish, a
WARN does not."""

import hashlib

import dagster as dg
import pytest

from scout_pipeline import cli, quality
from scout_pipeline.definitions import DAILY_JOB, defs
from scout_pipeline.quality.outcome import CheckOutcome, Failure
from scout_pipeline.sources.contracts import RAW_TABLES
from scout_pipeline.sql_files import load_models
from tests.test_run import _prices_dir

MARTS = [m.name for m in load_models() if m.layer == "marts"]
STAGING = [m.name for m in load_models() if m.layer == "staging"]


def test_one_step_per_raw_table_raw_gate_staging_mart_publish_brief():
    steps = {node.name for node in defs.resolve_job_def(DAILY_JOB).nodes}
    assert steps == ({f"raw__{t}" for t in RAW_TABLES} | {"raw_suites", "staging_views"}
                     | {f"marts__{m}" for m in MARTS} | {"published_warehouse", "daily_brief_report"})
    assert (len(RAW_TABLES), len(STAGING), len(MARTS)) == (7, 8, 10)
    assert len(steps) == 7 + 1 + 1 + 10 + 2  # 44 before: 27 assets + 17 check steps
    for view in STAGING:  # one step, but each view keeps its own asset (lineage, UI)
        assert defs.resolve_assets_def(dg.AssetKey(["staging", view])).op.name == "staging_views"


def test_every_table_keeps_its_blocking_suite():
    specs = [s for d in [*defs.assets, *defs.asset_checks] for s in d.check_specs]
    found = {(s.asset_key.to_user_string(), s.name): s.blocking for s in specs}
    expected = {(f"raw/{t}", f"{t}_suite") for t in RAW_TABLES} | {(f"marts/{m}", f"{m}_suite") for m in MARTS}
    assert set(found) == expected and all(found.values())


def _failing(table: str, severity: str, monkeypatch):
    real = quality.run_suite

    def run_suite(con, schema, name, run):
        if (schema, name) != ("marts", table):
            return real(con, schema, name, run)
        failure = Failure("planted", severity, 1, [{"pair_id": "x"}], doc="a planted failure", checked=3)
        return CheckOutcome(suite=table, failures=[failure], evaluated=1)

    monkeypatch.setattr(quality, "run_suite", run_suite)


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


@pytest.mark.parametrize("severity", ["ERROR", "WARN"])
def test_a_mart_suite_in_its_step_blocks_on_error_only(home, monkeypatch, severity):
    snap, wh = _prices_dir(home), home / "wh"
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-08", "--warehouse", str(wh)]) == 0
    before = hashlib.sha256((wh / "scout.duckdb").read_bytes()).hexdigest()
    _failing("relative_strength_streaks", severity, monkeypatch)
    result = cli.execute(str(snap), "2026-01-09", wh)
    done = _materialized(result)
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "relative_strength_streaks_suite")
    assert not check.passed and check.severity.value == severity
    assert "marts/relative_strength_streaks" in done  # built, then checked in the same step
    if severity == "ERROR":
        assert not result.success
        # downstream of the mart, and publish, never ran
        assert not {"marts/streak_outcomes", "marts/daily_brief", "published_warehouse"} & done
        assert hashlib.sha256((wh / "scout.duckdb").read_bytes()).hexdigest() == before
    else:
        assert result.success and {"marts/streak_outcomes", "published_warehouse"} <= done


def test_a_step_prints_one_line_with_what_it_built_and_checked():
    from scout_pipeline.progress import summarize

    assert summarize("marts__x", {"marts/x": "12,565 rows", "marts/x:x_suite": "passed"}) == \
        ("marts/x", "12,565 rows, passed")
    assert summarize("marts__x", {"marts/x": "6 rows", "marts/x:x_suite": "FAILED (warn)"}) == \
        ("marts/x", "6 rows, x_suite FAILED (warn)")
    assert summarize("staging_views", {f"staging/v{i}": "view" for i in range(8)}) == ("staging/*", "8 views")
    suites = {f"raw/t{i}:t{i}_suite": "passed" for i in range(6)} | {"raw/prices:prices_suite": "FAILED (error)"}
    assert summarize("raw_suites", suites) == ("raw/*: 7 suites", "prices_suite FAILED (error)")
    assert summarize("raw__prices", {"raw/prices": "294,021 rows"}) == ("raw/prices", "294,021 rows")
