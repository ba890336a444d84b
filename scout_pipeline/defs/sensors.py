"""Dead-run cleanup: a run whose process was killed stays STARTED in the instance, and the
run queue (max 1 concurrent, dagster.yaml) would then hold every later scheduled or UI run
forever. The next run cleans up too; this sensor does it within a minute without one."""

import dagster as dg

from scout_pipeline import lock
from scout_pipeline.store import StoreError
from scout_pipeline.defs.resources import ScoutResource, clean_up_after_crash


@dg.sensor(name="scout_dead_run_cleanup", minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Marks a run failed when its process died holding the warehouse lock; "
                       "removes the files it left half-written.")
def scout_dead_run_cleanup(context: dg.SensorEvaluationContext, scout: ScoutResource) -> dg.SkipReason:
    wh = scout.warehouse()
    try:
        # held for milliseconds; a run starting meanwhile waits (lock.BRIEF_WAIT) instead of refusing
        with lock.hold(wh.root, command="scout_dead_run_cleanup sensor") as held:
            done = clean_up_after_crash(context.instance, wh, held.previous)
            held.previous = None
    except lock.BusyError:
        return dg.SkipReason("a run holds the warehouse: nothing to clean up")
    except StoreError as exc:  # e.g. a BI tool holds store.duckdb read-write: named, runs refuse too
        return dg.SkipReason(str(exc))
    return dg.SkipReason("; ".join(done) if done else "no dead run")


sensors = [scout_dead_run_cleanup]
