"""benchmarks/run_overhead.py's no-op job has the real job's shape (the orchestration it
measures is the real graph's), and runs to success without touching a warehouse."""

import dagster as dg

from benchmarks.run_overhead import _noop_defs
from scout_pipeline.definitions import DAILY_JOB, defs


def _shape(d: dg.Definitions):
    job = d.resolve_job_def(DAILY_JOB)
    graph = d.resolve_asset_graph()
    deps = {k.to_user_string(): sorted(p.to_user_string() for p in graph.get(k).parent_keys)
            for k in graph.get_all_asset_keys()}
    checks = {(s.asset_key.to_user_string(), s.name, s.blocking)
              for a in [*d.assets, *d.asset_checks] for s in a.check_specs}
    return {n.name for n in job.nodes}, deps, checks


def test_noop_job_mirrors_the_real_one(home):
    noop, name = _noop_defs()
    assert _shape(noop) == _shape(defs)
    with dg.DagsterInstance.get() as instance:
        result = noop.resolve_job_def(name).execute_in_process(instance=instance)
        assert result.success
        assert len(instance.get_run_step_stats(result.run_id)) == 21
        assert len(result.get_asset_check_evaluations()) == 17
