"""Bounded Dagster storage: what each run adds to `DAGSTER_HOME` does not pile up forever.

Each run stores its event log (about 2.3 MB for a sample run). The newest `KEEP_RUNS`
finished runs are kept (the UI's run history and asset history for them);
older runs are deleted with their event logs when a new run starts. Runs that a kill left
NOT_STARTED or STARTED (an in-process `scout run` SIGKILLed before its run began) are marked
failed by the next run on the same warehouse, which holds the warehouse lock and so knows
nobody else is running there.
"""

from __future__ import annotations

from pathlib import Path

KEEP_RUNS = 30  # finished runs kept in Dagster's storage (RELIABILITY.md states the bound)


def _warehouse_of(run) -> str | None:
    try:
        return str(Path(run.run_config["resources"]["scout"]["config"]["warehouse_dir"]).expanduser().resolve())
    except (KeyError, TypeError):
        return None


def prune_dagster_runs(instance, keep_after: str, keep: int = KEEP_RUNS) -> list[str]:
    """Mark dead unfinished runs of this run's warehouse failed; delete finished runs beyond
    the newest `keep`. `keep_after` is the current run (never touched). Returns what it did."""
    import dagster as dg

    if instance is None:
        return []
    done = []
    current = instance.get_run_by_id(keep_after)
    here = _warehouse_of(current) if current is not None else None
    stuck = instance.get_run_records(filters=dg.RunsFilter(statuses=[
        dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]))
    for record in stuck:
        run = record.dagster_run
        if run.run_id != keep_after and here is not None and _warehouse_of(run) == here:
            instance.report_run_failed(run, message="killed before it finished (found by the next run on "
                                                    "this warehouse, which holds its lock)")
            done.append(f"run {run.run_id} was left {run.status.value}; marked failed")
    finished = instance.get_run_records(filters=dg.RunsFilter(statuses=[
        dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]))
    for record in list(finished)[keep:]:  # newest first
        instance.delete_run(record.dagster_run.run_id)
    if len(finished) > keep:
        done.append(f"deleted {len(finished) - keep} old run(s) and their event logs from Dagster's storage "
                    f"(keeping the newest {keep})")
    return done
