"""Two pipelines on one warehouse, and BI readers holding the published file across runs."""

import json
import subprocess
import sys
import time

import duckdb

from reliability import invariants as inv
from scout_pipeline import cli, lock
from tests.test_run import _prices_dir

DAY1, DAY2 = "2026-01-08", "2026-01-09"


def _holder(wh):
    """Another process holding the warehouse lock, as a running pipeline would."""
    code = ("import sys, time; from scout_pipeline import lock\n"
            "with lock.hold(sys.argv[1], run_id='other-run', command='scout run'):\n"
            "    print('held', flush=True); time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(wh)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _lock_holder_pid(wh) -> int | None:
    try:
        return json.loads((wh / lock.LOCK_FILE).read_text() or "{}").get("pid")
    except (OSError, ValueError):
        return None


def test_two_scout_runs_at_once_one_runs_the_other_refuses_clearly(home):
    """The first run is slowed in its ingest (past the second's lock.BRIEF_WAIT), so the two
    overlap whatever the machine's speed: a run that finished first would rightly let the
    other through."""
    snap, wh = _prices_dir(home), home / "wh"
    args = ["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]
    first = inv.scout_process(args, home / "dagster_home",
                              faults=f"ingest.after_upsert:prices=sleep:{lock.BRIEF_WAIT * 3}")
    deadline = time.monotonic() + 240
    while _lock_holder_pid(wh) != first.pid:
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.2)
    second = inv.scout_process(args, home / "dagster_home")
    procs = [first, second]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 3], outs
    refused = outs[1][1]
    assert "is in use by a running pipeline (pid %d" % first.pid in refused and "scout run" in refused
    state = inv.state(wh)
    assert state.damaged == [] and state.run_info["as_of"] == DAY2 and inv.leftovers(wh) == []


def test_cli_and_a_dagster_launched_run_refuse_while_another_process_runs(home, capsys):
    snap, wh = _prices_dir(home), home / "wh"
    assert cli.main(["run", "--source", str(snap), "--as-of", DAY1, "--warehouse", str(wh)]) == 0
    before = inv.digest(wh / "scout.duckdb"), inv.digest(wh / "store.duckdb")
    other = _holder(wh)
    try:
        capsys.readouterr()
        assert cli.main(["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]) == 3
        assert "(pid %d, run other-run, scout run)" % other.pid in capsys.readouterr().err
        # a run launched the way the UI or a schedule does, not through `scout run`
        result = cli.execute(str(snap), DAY2, wh)
        assert not result.success
        failure = next(e for e in result.all_events if e.is_failure)
        assert "is in use by a running pipeline" in str(failure.event_specific_data)
    finally:
        other.kill()
        other.wait()
    assert (inv.digest(wh / "scout.duckdb"), inv.digest(wh / "store.duckdb")) == before
    assert cli.main(["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]) == 0


class _Reader:
    """A BI client in its own process (DuckDB shares one instance per file per process, so
    an in-process reader would also pin the runs' own connections to the old file)."""

    CODE = ("import sys, duckdb\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "parquet = open(sys.argv[2], 'rb')\n"
            "for _ in sys.stdin:\n"
            "    row = con.execute('SELECT max(date), count(*) FROM marts.relative_strength_streaks').fetchone()\n"
            "    print(row[0], row[1], parquet.read(4).decode(), flush=True); parquet.seek(0)\n")

    def __init__(self, wh):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.CODE, str(wh / "scout.duckdb"),
             str(wh / "parquet" / "relative_strength_streaks.parquet")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def read(self) -> str:
        self.proc.stdin.write("?\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def test_bi_reader_holds_its_snapshot_through_a_killed_run_and_a_good_one(home):
    snap, wh = _prices_dir(home), home / "wh"
    args = ["run", "--source", str(snap), "--warehouse", str(wh)]
    assert cli.main([*args, "--as-of", DAY1]) == 0
    reader = _Reader(wh)  # holds the published file and one Parquet file open throughout
    seen = reader.read()
    assert seen.startswith(DAY1) and seen.endswith("PAR1")

    assert inv.killed(inv.scout_process([*args, "--as-of", DAY2], home / "dagster_home",
                                        faults="publish.after_swap=kill"))
    assert reader.read() == seen  # the open connection keeps its build, whole
    assert cli.main([*args, "--as-of", DAY2]) == 0
    assert reader.read() == seen
    assert reader.proc.returncode is None
    reader.close()
    fresh = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    assert str(fresh.execute("SELECT max(date) FROM marts.relative_strength_streaks").fetchone()[0]) == DAY2
    fresh.close()
