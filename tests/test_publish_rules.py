"""Publishing rules users meet: an older day does not silently replace today's build
(issue 17.4), a holiday --as-of is named; bounded leftovers (issue 14.11)."""

import shutil

import dagster as dg
import duckdb

from reliability import invariants as inv
from scout_pipeline import cli, retention
from scout_pipeline.store import Warehouse
from tests.test_run import _prices_dir


def _as_of(wh):
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    try:
        return con.execute("SELECT value FROM meta.run_info WHERE key = 'as_of'").fetchone()[0]
    finally:
        con.close()


def test_an_older_day_publishes_only_with_allow_older_and_a_holiday_is_named(home, capsys):
    snap, wh = _prices_dir(home), home / "wh"
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-09", "--warehouse", str(wh)]) == 0
    published = inv.digest(wh / "scout.duckdb")
    capsys.readouterr()
    # New Year's Day 2026 is a Thursday: the run takes 2025-12-31, older than the published day
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-01", "--warehouse", str(wh)]) == 1
    out, err = capsys.readouterr()
    assert "--as-of 2026-01-01 is New Year's Day (no NYSE session): running the session before, 2025-12-31" in out
    assert "older than the published build (2026-01-09)" in err and "--allow-older" in err
    assert inv.digest(wh / "scout.duckdb") == published and _as_of(wh) == "2026-01-09"
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-08", "--warehouse", str(wh),
                     "--allow-older"]) == 0
    assert _as_of(wh) == "2026-01-08"
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-08", "--warehouse", str(wh)]) == 0  # same day


def test_sweep_removes_every_temporary_wal(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    (wh.root / "work").mkdir()
    wh.builds_dir.mkdir()
    left = [wh.root / ".scout.duckdb.run1.tmp.wal", wh.root / "work" / "run1.tmp.wal",
            wh.builds_dir / "run1.duckdb.tmp.wal", wh.builds_dir / "gone.duckdb.wal", wh.root / ".store.duckdb.rebuild.tmp.wal"]
    kept = [wh.builds_dir / "run2.duckdb", wh.builds_dir / "run2.duckdb.wal"]  # a live build's own WAL
    for path in left + kept:
        path.write_bytes(b"x")
    assert sorted(wh.sweep()) == sorted(left)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in left)


def test_dagster_storage_keeps_the_newest_runs_and_marks_killed_ones_failed(tmp_path):
    @dg.op
    def noop():
        return 1

    @dg.job
    def tiny():
        noop()

    wh = str((tmp_path / "wh").resolve())
    with dg.DagsterInstance.ephemeral() as instance:
        ids = [tiny.execute_in_process(instance=instance).run_id for _ in range(4)]
        config = {"resources": {"scout": {"config": {"warehouse_dir": wh}}}}
        dead = instance.create_run_for_job(tiny, run_config={}, run_id=None)  # another warehouse's: untouched
        here = dg.DagsterRun(job_name="tiny", run_id="dead0001", run_config=config, status=dg.DagsterRunStatus.NOT_STARTED)
        current = dg.DagsterRun(job_name="tiny", run_id="now00001", run_config=config, status=dg.DagsterRunStatus.STARTED)
        instance.add_run(here)
        instance.add_run(current)
        done = retention.prune_dagster_runs(instance, keep_after="now00001", keep=2)
        assert instance.get_run_by_id("dead0001").status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("now00001").status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.NOT_STARTED
        left = {r.run_id for r in instance.get_runs()}
        # finished, newest first: dead0001 (just failed), ids[3], then the rest deleted
        assert ids[3] in left and not {ids[0], ids[1], ids[2]} & left
        assert any("deleted 3 old run(s)" in line for line in done)
