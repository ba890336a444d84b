"""The quality gate: one suite per raw table and per mart, named after it.

    quality/raw/<table>.py     suites for raw.prices, raw.fundamentals, ... (rows the run wrote)
    quality/marts/<mart>.py    suites for marts.* (the rows the mart's build wrote, $since)
    quality/spec.py            how a suite is written (plain data, no GX import)
    quality/runner.py          runs a suite: counts in SQL, GX over the failing rows, key checks
    quality/screen.py          a batch's expectations as one SQL pass (exact unexpected counts)
    quality/gx_engine.py       the only place great_expectations is imported (lazily)
    quality/ingest.py          the run's loaded_at stamp and duplicate keys, recorded at ingest
    quality/quarantine.py      rejected rows with the reason: <warehouse>/quarantine/<run_id>/

ERROR expectations block the run (the Dagster check fails with ERROR severity); WARN ones
are reported in the UI and by `scout run` without blocking. See docs/quality.md.
Importing this package does not import great_expectations.
"""

from __future__ import annotations

from scout_pipeline.quality.outcome import CheckOutcome, Failure
from scout_pipeline.quality.registry import describe, suite_for
from scout_pipeline.quality.spec import ERROR, WARN

__all__ = ["CheckOutcome", "Failure", "RunContext", "describe", "run_suite", "suite_for", "warm_up",
           "ERROR", "WARN"]


def __getattr__(name):  # RunContext lives with the runner, which imports calendar/pandas
    if name == "RunContext":
        from scout_pipeline.quality.runner import RunContext

        return RunContext
    raise AttributeError(name)


def run_suite(con, schema: str, table: str, run) -> CheckOutcome:
    from scout_pipeline.quality.runner import run_suite as _run

    return _run(con, schema, table, run)


def warm_up() -> None:
    """Start importing great_expectations in the background (a run's checks will need it)."""
    from scout_pipeline.quality.gx_engine import warm_up as _warm

    _warm()
