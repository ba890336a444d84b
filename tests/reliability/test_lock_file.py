"""The warehouse lock file and the files `scout` rewrites in place, against hostile or
damaged entries at their paths (issue #14.7, #14.8): a symlink is never written through,
and a damaged lock file (junk bytes, a directory, a FIFO) is recovered from, not a traceback."""

import os
import subprocess
import sys

import pytest

from scout_pipeline import cli, lock, safe_write


def _holder_elsewhere(wh):
    """Hold the lock in another process; returns its exit code after trying (3 = busy)."""
    code = ("import sys\nfrom scout_pipeline import lock\n"
            "try:\n    with lock.hold(sys.argv[1]):\n        pass\n"
            "except lock.BusyError:\n    sys.exit(3)\n")
    return subprocess.run([sys.executable, "-c", code, str(wh)], timeout=60).returncode


def test_a_symlink_at_the_lock_path_is_not_followed(tmp_path):
    """`ln -s victim.txt W/.run.lock; scout recover` overwrote the victim with `{}`."""
    wh = tmp_path / "wh"
    wh.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (wh / ".run.lock").symlink_to(victim)
    with lock.hold(wh, command="scout recover") as held:
        assert "was a symbolic link to" in held.repaired and str(victim) in held.repaired
        assert not (wh / ".run.lock").is_symlink() and (wh / ".run.lock").is_file()
        assert _holder_elsewhere(wh) == 3  # the new file is the lock every process takes
    assert victim.read_text() == "precious"
    aside = [p for p in wh.iterdir() if p.name.startswith(".run.lock.damaged-")]
    assert len(aside) == 1 and aside[0].is_symlink() and os.readlink(aside[0]) == str(victim)  # kept, not deleted


def test_a_dangling_symlink_creates_nothing_at_its_target(tmp_path):
    wh = tmp_path / "wh"
    wh.mkdir()
    target = tmp_path / "elsewhere" / "planted"
    (wh / ".run.lock").symlink_to(target)
    with lock.hold(wh):
        pass
    assert not target.exists() and not target.parent.exists()


@pytest.mark.parametrize("damage, what", [
    (lambda p: p.write_bytes(b"\xff\xfe\x00garbage\x80"), None),  # junk: still a lock file
    (lambda p: p.write_bytes(b'["not", "a", "holder"]'), None),
    (lambda p: p.mkdir(), "was a directory"),
    (lambda p: os.mkfifo(p), "was a FIFO"),
])
def test_a_damaged_lock_file_is_recovered_from(tmp_path, damage, what):
    wh = tmp_path / "wh"
    wh.mkdir()
    damage(wh / ".run.lock")
    with lock.hold(wh, run_id="r1") as held:
        assert held.repaired is None if what is None else what in held.repaired
        assert _holder_elsewhere(wh) == 3
    assert (wh / ".run.lock").read_text() == "{}"  # released cleanly
    with lock.hold(wh) as held:  # and the next holder finds nothing to repair
        assert held.repaired is None and held.previous is None


def test_recover_says_what_it_repaired_and_succeeds(tmp_path, capsys):
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / ".run.lock").mkdir()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert f"scout recover: {wh / '.run.lock'} was a directory, not a lock file; moved it to .run.lock.damaged-" in out


def test_files_rewritten_in_place_replace_a_planted_symlink(tmp_path):
    """The brief, its charts and the instance's dagster.yaml: a link at the path is replaced
    by the new file, the file it pointed at is untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "briefs"
    out.mkdir()
    (out / "brief.md").symlink_to(victim)
    safe_write.write_text(out / "brief.md", "# brief")
    assert victim.read_text() == "precious"
    assert not (out / "brief.md").is_symlink() and (out / "brief.md").read_text() == "# brief"
    assert sorted(p.name for p in out.iterdir()) == ["brief.md"]  # no temporary file left


def test_the_instance_file_is_not_written_through_a_link(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.chdir(tmp_path)  # not a project checkout: the instance goes in the warehouse
    victim = tmp_path / "victim.txt"
    (tmp_path / "wh" / "dagster").mkdir(parents=True)
    (tmp_path / "wh" / "dagster" / "dagster.yaml").symlink_to(victim)  # dangling: exists() is False
    cli._dagster_home(tmp_path / "wh")
    assert not victim.exists()
    assert "telemetry" in (tmp_path / "wh" / "dagster" / "dagster.yaml").read_text()


def test_a_killed_writers_temporary_file_is_removed_a_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / f".brief.md.{dead}.tmp").write_text("half")
    (tmp_path / f".brief.md.{os.getppid()}.tmp").write_text("another writer's")  # alive: not ours
    safe_write.write_text(tmp_path / "brief.md", "# brief")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".brief.md.{os.getppid()}.tmp", "brief.md"]


def test_two_processes_repairing_at_once_leave_one_lock(tmp_path):
    """The repair runs under an flock on the warehouse directory: the second process finds
    the first one's new lock file and takes turns on it, instead of moving it aside too."""
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / ".run.lock").mkdir()
    code = ("import sys, time\nfrom scout_pipeline import lock\n"
            "with lock.hold(sys.argv[1], wait=30) as held:\n"
            "    print('repaired' if held.repaired else 'clean', flush=True); time.sleep(0.5)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(wh)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert [p.returncode for p in procs] == [0, 0] and outs == ["clean", "repaired"]
    assert len([p for p in wh.iterdir() if p.name.startswith(".run.lock.damaged-")]) == 1
    assert (wh / ".run.lock").read_text() == "{}"
