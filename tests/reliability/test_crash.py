"""A real `scout run` SIGKILLed at named steps (ingest, SQL transforms, publish).

Each case: a warehouse published for 2026-01-08, a run for 2026-01-09 killed at one fault
point, then the promises of reliability/invariants.py (previous-or-new-complete, nothing
lost), then the next normal run must succeed and equal a clean run of the same day.
"""

import shutil

import dagster as dg
import pytest

from reliability import invariants as inv
from scout_pipeline import cli
from tests.test_run import _prices_dir
from tests.conftest import dagster_home

BEFORE, DAY = "2026-01-08", "2026-01-09"


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    """The baseline warehouse (published for BEFORE) and a clean run of DAY on a copy."""
    root = tmp_path_factory.mktemp("crash")
    home = dagster_home(root / "dagster_home")
    snap = _prices_dir(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        assert cli.main(["run", "--source", str(snap), "--as-of", BEFORE, "--warehouse", str(root / "base")]) == 0
        shutil.copytree(root / "base", root / "clean", symlinks=True)
        assert cli.main(["run", "--source", str(snap), "--as-of", DAY, "--warehouse", str(root / "clean")]) == 0
    return {"root": root, "snap": snap, "before": inv.state(root / "base"), "new": inv.state(root / "clean")}


@pytest.mark.parametrize("point", [
    "store.before_commit:prices",            # ingest: inside the raw.prices upsert transaction
    "transform.after_model:market_breadth",  # SQL transforms: some marts rebuilt, others not
    "publish.before_swap",                   # new file and Parquet written, nothing swapped
    "publish.after_swap",                    # published swapped; Parquet and store not yet
    "publish.before_promote",                # published and Parquet swapped; store not yet
])
def test_killed_run_keeps_the_promises_and_the_next_run_recovers(worlds, tmp_path, monkeypatch, point):
    wh, home = tmp_path / "wh", tmp_path / "dagster_home"
    shutil.copytree(worlds["root"] / "base", wh, symlinks=True)
    dagster_home(home)
    args = ["run", "--source", str(worlds["snap"]), "--as-of", DAY, "--warehouse", str(wh)]

    assert inv.killed(inv.scout_process(args, home, faults=f"{point}=kill")), "the fault point was not reached"
    dead_run = inv.lock_holder(wh).get("run_id")
    assert dead_run, "the killed run should have left its id in the lock file"
    assert inv.check_after_fault(inv.state(wh), worlds["before"], worlds["new"]) == []

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert cli.main(args) == 0
    assert inv.check_after_recovery(inv.state(wh), worlds["new"], wh) == []
    assert inv.lock_holder(wh) == {}
    with dg.DagsterInstance.get() as instance:  # the UI must not show the dead run as running
        assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.FAILURE


def test_the_promise_checks_catch_a_lost_row_and_a_mixed_parquet_set(worlds, tmp_path):
    """The checks above must be able to fail: damage a copy by hand and see them say so."""
    import duckdb

    wh = tmp_path / "wh"
    shutil.copytree(worlds["root"] / "base", wh, symlinks=True)
    con = duckdb.connect(str(wh / "store.duckdb"))
    con.execute("DELETE FROM raw.prices WHERE date = (SELECT min(date) FROM raw.prices)")
    con.close()
    new_file = worlds["root"] / "clean" / "parquet" / "relative_strength_streaks.parquet"
    target = (wh / "parquet").resolve() / "relative_strength_streaks.parquet"
    shutil.copyfile(new_file, target)  # one file of the new set among the old ones
    broken = inv.check_after_fault(inv.state(wh), worlds["before"], worlds["new"])
    assert any("raw.prices: 2 stored row(s) lost" in b for b in broken)
    assert any(b.startswith("parquet set is neither") for b in broken)


def test_dead_run_sensor_marks_a_killed_run_failed_without_waiting_for_the_next_run(worlds, tmp_path, monkeypatch):
    from scout_pipeline.defs.resources import ScoutResource
    from scout_pipeline.defs.sensors import scout_dead_run_cleanup

    wh, home = tmp_path / "wh", tmp_path / "dagster_home"
    shutil.copytree(worlds["root"] / "base", wh, symlinks=True)
    dagster_home(home)
    args = ["run", "--source", str(worlds["snap"]), "--as-of", DAY, "--warehouse", str(wh)]
    assert inv.killed(inv.scout_process(args, home, faults="publish.before_swap=kill"))
    dead_run = inv.lock_holder(wh)["run_id"]
    assert inv.leftovers(wh)  # the killed publish left its temporary files

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    resources = {"scout": ScoutResource(warehouse_dir=str(wh))}
    with dg.DagsterInstance.get() as instance, \
            dg.build_sensor_context(instance=instance, resources=resources) as context:
        assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.STARTED
        skip = scout_dead_run_cleanup(context)
        assert f"run {dead_run} died before it finished; marked failed" in skip.skip_message
        assert instance.get_run_by_id(dead_run).status == dg.DagsterRunStatus.FAILURE
        assert inv.leftovers(wh) == [] and inv.lock_holder(wh) == {}
        assert scout_dead_run_cleanup(context).skip_message == "no dead run"


def _daily_job():
    from scout_pipeline.definitions import DAILY_JOB, defs

    return defs.resolve_job_def(DAILY_JOB)


def test_reexecute_from_failure_continues_the_failed_runs_work(worlds, tmp_path, monkeypatch):
    """The UI's "re-execute from failure" runs only the failed steps: they must see the
    parent's ingested rows, and the journal must still carry them."""
    wh, home = tmp_path / "wh", tmp_path / "dagster_home"
    shutil.copytree(worlds["root"] / "base", wh, symlinks=True)
    dagster_home(home)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SCOUT_FAULTS", "transform.after_model:relative_strength_streaks=raise")
    failed = cli.execute(str(worlds["snap"]), DAY, wh)
    assert not failed.success and inv.state(wh).published == worlds["before"].published
    monkeypatch.delenv("SCOUT_FAULTS")

    with dg.DagsterInstance.get() as instance:
        parent = instance.get_run_by_id(failed.run_id)
        result = dg.execute_job(
            dg.reconstructable(_daily_job), instance=instance, run_config=parent.run_config, tags=parent.tags,
            reexecution_options=dg.ReexecutionOptions.from_failure(failed.run_id, instance))
        assert result.success
        ran = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"}
        assert "raw__prices" not in ran and "marts__relative_strength_streaks" in ran
    after = inv.state(wh)
    assert after.marts == worlds["new"].marts and after.raw == worlds["new"].raw

    rebuilt = tmp_path / "rebuilt.duckdb"
    from scout_pipeline import journal
    from scout_pipeline.store import Warehouse

    journal.replay(Warehouse.at(wh), rebuilt)
    shutil.copyfile(rebuilt, wh / "store.duckdb")
    assert inv.state(wh).raw == worlds["new"].raw  # the journal carries the parent's ingest
