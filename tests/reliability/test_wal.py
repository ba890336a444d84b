"""Read-write DuckDB sessions of other processes on the warehouse files (issue 14 defects
2 and 5, issue 17 defects 1 and 2): a real `duckdb.connect(path)` in a child process that
writes, then is SIGKILLed (its WAL stays) or stays open (its lock stays)."""

import shutil
import subprocess
import sys

import duckdb
import pytest

from reliability import invariants as inv
from reliability.clients import WAL_HOLDER
from scout_pipeline import cli
from tests.conftest import dagster_home
from tests.test_run import _prices_dir

DAY1, DAY2 = "2026-01-08", "2026-01-09"
HOLDER = WAL_HOLDER  # a BI tool or script with the file open read-write (reliability/clients.py)
TAMPER = {
    "store.duckdb": "DELETE FROM raw.prices WHERE ticker = '^RUT'",
    "scout.duckdb": "DELETE FROM marts.relative_strength_streaks",
}


def _holder(path, mode, sql):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode, sql],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    if mode == "kill":
        proc.wait(timeout=30)
    return proc


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("wal")
    snap = _prices_dir(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(dagster_home(root / "dagster_home")))
        assert cli.main(["run", "--source", str(snap), "--as-of", DAY1, "--warehouse", str(root / "wh")]) == 0
    return {"root": root, "snap": snap}


def _copy(base, tmp_path, monkeypatch):
    wh = tmp_path / "wh"
    shutil.copytree(base["root"] / "wh", wh, symlinks=True)
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home(tmp_path / "dagster_home")))
    return wh


def _count(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize("name", ["store.duckdb", "scout.duckdb"])
def test_a_killed_sessions_wal_is_quarantined_never_applied(base, tmp_path, monkeypatch, capsys, name):
    wh = _copy(base, tmp_path, monkeypatch)
    prices = _count(wh / "store.duckdb", "SELECT count(*) FROM raw.prices WHERE ticker = '^RUT'")
    _holder(wh / name, "kill", TAMPER[name])
    assert list(wh.rglob("*.duckdb.wal")), "the killed session should have left its WAL"
    run = ["run", "--source", str(base["snap"]), "--as-of", DAY2, "--warehouse", str(wh)]
    assert cli.main(run) == 0
    assert cli.main(run) == 0  # and the run after it (a WAL that broke the store failed every later run)
    # the new build and the store hold the pipeline's rows, not the dead session's edits
    assert _count(wh / "store.duckdb", "SELECT count(*) FROM raw.prices WHERE ticker = '^RUT'") == prices + 1
    streaks = _count(wh / "scout.duckdb", "SELECT count(*) FROM marts.relative_strength_streaks")
    assert streaks > 0
    assert streaks == _count(wh / "scout.duckdb", f"SELECT count(*) FROM '{wh}/parquet/relative_strength_streaks.parquet'")
    assert not (wh / "store.duckdb.wal").exists() and not (wh / "scout.duckdb.wal").exists()
    if name == "store.duckdb":  # set aside with a note saying what it is
        kept = list((wh / "quarantine" / "wal").glob("*store.duckdb.wal"))
        assert len(kept) == 1 and "NOT applied" in kept[0].with_suffix(".txt").read_text()
    capsys.readouterr()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 0
    assert "journal: OK" in capsys.readouterr().out


def test_a_session_holding_the_published_file_blocks_no_run_reader_or_brief(base, tmp_path, monkeypatch, capsys):
    """Issue 17.2: the run, `scout brief` and new read-only readers keep working."""
    wh = _copy(base, tmp_path, monkeypatch)
    holder = _holder(wh / "scout.duckdb", "hold", TAMPER["scout.duckdb"])
    try:
        with pytest.raises(duckdb.IOException, match=f"PID {holder.pid}"):  # DuckDB itself locks readers out
            duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
        assert cli.main(["brief", "--warehouse", str(wh)]) == 0  # served from a copy of the build
        assert "Russell 2000" in capsys.readouterr().out
        assert cli.main(["run", "--source", str(base["snap"]), "--as-of", DAY2, "--warehouse", str(wh)]) == 0
        con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)  # a new reader: the new build
        assert con.execute("SELECT value FROM meta.run_info WHERE key = 'as_of'").fetchone()[0] == DAY2
        assert con.execute("SELECT count(*) FROM marts.relative_strength_streaks").fetchone()[0] > 0
        con.close()
        assert cli.main(["brief", "--warehouse", str(wh)]) == 0
        capsys.readouterr()
        assert cli.main(["recover", "--warehouse", str(wh)]) == 0
        out = capsys.readouterr().out
        assert "scout.duckdb (published): OK" in out  # the holder is on the previous build
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not (wh / "scout.duckdb.wal").exists()


def test_a_session_holding_the_store_is_named_not_called_damage(base, tmp_path, monkeypatch, capsys):
    """Defect 14.5: recover moved a healthy store to damaged/ and rebuilt it."""
    wh = _copy(base, tmp_path, monkeypatch)
    store = inv.digest(wh / "store.duckdb")
    holder = _holder(wh / "store.duckdb", "hold", "SELECT 1")
    try:
        capsys.readouterr()
        assert cli.main(["recover", "--warehouse", str(wh)]) == cli.EXIT_BUSY
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err and "read-write" in err and "read-only" in err
        assert cli.main(["run", "--source", str(base["snap"]), "--as-of", DAY2, "--warehouse", str(wh)]) == 1
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert inv.digest(wh / "store.duckdb") == store and not (wh / "damaged").exists()
    assert cli.main(["run", "--source", str(base["snap"]), "--as-of", DAY2, "--warehouse", str(wh)]) == 0
