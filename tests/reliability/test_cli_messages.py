"""One line naming the cause and the fix, with the README's exit code, where a traceback
used to be (issue #14.10, and #14.8 for Dagster's storage): a --warehouse that is a file or
read-only, days outside the calendar, `scout brief` on a damaged file, a garbled Dagster
storage, a full disk."""

import datetime as dt
import errno
import os
from collections import namedtuple

import duckdb
import pandas as pd
import pytest

from scout_pipeline import cli, disk, store
from tests.test_run import _prices_dir

USAGE, FAILED = 2, 1


def _one_line(capsys, prefix):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(prefix), err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["run", "--source", "sample"],
    ["backfill", "--source", "sample", "--start", "2026-01-05", "--end", "2026-01-09"],
    ["recover"],
])
def test_a_warehouse_that_is_a_file(tmp_path, capsys, argv):
    target = tmp_path / "afile"
    target.write_text("mine")
    code = cli.main([*argv, "--warehouse", str(target)])
    line = _one_line(capsys, f"scout {argv[0]}: ")
    assert target.read_text() == "mine"
    if argv[0] == "recover":
        assert (code, line) == (USAGE, f"scout recover: no warehouse directory at {target}")
    else:
        assert code == USAGE and line.endswith(f"--warehouse {target} is a file, not a directory; "
                                               "pass a directory (it is created if missing)")


def test_a_read_only_warehouse(tmp_path, capsys, monkeypatch):
    """As root no permission bit stops a write, so the file system's answer is simulated:
    what `open` says on a read-only mount (EROFS)."""
    real_open = os.open

    def read_only(path, flags, *args):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *args)

    (tmp_path / "wh").mkdir()
    monkeypatch.setattr(os, "open", read_only)
    for command in ("run", "recover"):
        code = cli.main([command, "--warehouse", str(tmp_path / "wh")] + (["--source", "sample"] if command == "run" else []))
        line = _one_line(capsys, f"scout {command}: ")
        assert code == USAGE and line == (f"scout {command}: warehouse {tmp_path / 'wh'} is not writable (Read-only "
                                          "file system); a run writes its files there: make it writable or pass "
                                          "another --warehouse")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_a_warehouse_without_write_permission(tmp_path, capsys):
    (tmp_path / "wh").mkdir(mode=0o555)
    assert cli.main(["run", "--source", "sample", "--warehouse", str(tmp_path / "wh")]) == USAGE
    assert "is not writable (Permission denied)" in _one_line(capsys, "scout run: ")


def test_a_future_day_is_refused_before_the_calendar(tmp_path, capsys):
    """A future --as-of is answered by the argument check (before any heavy import)."""
    code = cli.main(["run", "--as-of", "9999-12-31", "--source", "sample", "--warehouse", str(tmp_path / "wh")])
    line = _one_line(capsys, "scout run: ")
    assert code == USAGE
    assert "--as-of 9999-12-31 is in the future" in line
    assert not (tmp_path / "wh" / "store.duckdb").exists()


def test_a_day_before_the_pipeline_starts_is_refused(tmp_path, capsys):
    code = cli.main(["run", "--as-of", "1700-01-01", "--source", "sample", "--warehouse", str(tmp_path / "wh")])
    line = _one_line(capsys, "scout run: ")
    assert code == USAGE
    assert line.endswith("--as-of 1700-01-01 is before 2000-01-03, the first day the pipeline covers")
    assert not (tmp_path / "wh" / "store.duckdb").exists()


@pytest.mark.parametrize("argv, day", [
    (["backfill", "--start", "1700-01-01", "--end", "2026-01-09"], "1700-01-01"),
    (["backfill", "--start", "2026-01-02", "--end", "9999-02-01"], "9999-02-01"),
])
def test_days_outside_the_calendar(tmp_path, capsys, argv, day):
    code = cli.main([*argv, "--source", "sample", "--warehouse", str(tmp_path / "wh")])
    line = _one_line(capsys, f"scout {argv[0]}: ")
    assert code == USAGE
    # the argument check answers first (before 2000-01-03, or in the future), naming the day
    assert day in line and ("is before 2000-01-03" in line or "is in the future" in line)
    assert not (tmp_path / "wh" / "store.duckdb").exists()


@pytest.mark.parametrize("as_of", [[], ["--as-of", "2026-01-09"]])
def test_brief_on_a_damaged_published_file(tmp_path, capsys, as_of):
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "scout.duckdb").write_bytes(os.urandom(8192))
    assert cli.main(["brief", "--warehouse", str(wh), *as_of]) == FAILED
    line = _one_line(capsys, f"scout brief: {wh / 'scout.duckdb'} cannot be read (")
    assert line.endswith("it is damaged or not a DuckDB file: `scout recover` checks it, and the next "
                         "successful `scout run` replaces it")


def test_garbled_dagster_storage_is_named_with_the_way_out(home, capsys):
    snap, wh = _prices_dir(home), home / "wh"
    runs_db = home / "dagster_home" / "history" / "runs.db"
    runs_db.parent.mkdir(parents=True)
    runs_db.write_bytes(b"garbage, not SQLite " * 400)
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-09", "--warehouse", str(wh)]) == FAILED
    line = _one_line(capsys, f"scout run: Dagster's storage is damaged: {runs_db} (file is not a database). ")
    assert line.endswith(f"move it aside (`mv {runs_db.parent} {runs_db.parent}.damaged`) and run again; "
                         "Dagster starts a fresh one")
    assert not (wh / "scout.duckdb").exists()
    # `scout recover` explains it too (it used to report all OK), and exits 1
    assert cli.main(["recover", "--warehouse", str(wh)]) == FAILED
    assert "Dagster's storage is damaged" in _one_line(capsys, "scout recover: ")


# ---------------------------------------------------------------- disk full


class _DiskFullOnCommit:
    """A connection whose COMMIT fails the way DuckDB's does on a full disk: the transaction
    is gone, so the ROLLBACK after it raises "no transaction is active"."""

    def __init__(self, con):
        self.con = con

    def execute(self, sql, *args):
        if sql == "COMMIT":
            self.con.execute("ROLLBACK")
            raise duckdb.IOException('Could not write file "store.duckdb.wal": No space left on device')
        return self.con.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_disk_full_at_commit_is_not_hidden_by_the_rollback(con):
    frame = pd.DataFrame([{"ticker": "MOD", "date": dt.date(2026, 1, 9), "close": 1.0, "source": "t"}])
    with pytest.raises(duckdb.IOException, match="No space left on device"):
        store.upsert(_DiskFullOnCommit(con), "prices", frame, dt.datetime(2026, 1, 9))
    assert con.execute("SELECT count(*) FROM raw.prices").fetchone()[0] == 0


Usage = namedtuple("Usage", "total used free")


def test_disk_full_is_named_whatever_error_it_hides_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda p: Usage(10**9, 10**9, 200_000))
    assert disk.full(tmp_path / "wh", "(sqlite3.OperationalError) disk I/O error") == (
        f"the disk holding {tmp_path} is full (0.2 MB free): free some space (failed runs' working copies "
        f"are in {tmp_path}/work) and run again")
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda p: Usage(10**12, 0, 10**11))
    assert disk.full(tmp_path, "disk I/O error") is None  # room left: another cause
    assert disk.full(tmp_path, "IO Error: No space left on device").startswith("the disk holding")


def test_a_run_that_dies_of_a_full_disk_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    import sqlalchemy.exc

    def full_disk(*args, **kwargs):
        raise sqlalchemy.exc.OperationalError("PRAGMA main.table_xinfo", {}, Exception("disk I/O error"))

    monkeypatch.setattr(cli, "execute", full_disk)
    monkeypatch.setattr(disk.shutil, "disk_usage", lambda p: Usage(10**9, 10**9, 0))
    snap = _prices_dir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    code = cli.main(["run", "--source", str(snap), "--as-of", "2026-01-09", "--warehouse", str(tmp_path / "wh")])
    out = capsys.readouterr()
    assert code == FAILED and "Traceback" not in out.err
    assert out.err.strip() == (f"scout run: the disk holding {tmp_path / 'wh'} is full (0.0 MB free): free some "
                               f"space (failed runs' working copies are in {tmp_path / 'wh'}/work) and run again")
