"""Snapshot files that are not regular files, or too big (issue #14.9): a FIFO hung the
run forever while it held the warehouse lock, a link to /dev/zero grew to 4.4 GB of memory.
Each is now refused at once, naming the file."""

import gzip
import os
import threading

import pytest

from scout_pipeline.sources import snapshot
from scout_pipeline.sources.snapshot import SnapshotError, last_price_date, load_snapshot
from tests.reliability.test_hostile_input import DAY, PRICES, _snapshot


def _load_within(directory, seconds=20):
    """load_snapshot in a thread, so a hang fails the test instead of blocking it."""
    outcome = {}

    def target():
        try:
            outcome["data"] = load_snapshot(directory, DAY)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"load_snapshot still running after {seconds}s"
    return outcome


def test_a_fifo_is_refused_at_once_naming_the_file(tmp_path):
    snap = _snapshot(tmp_path / "snap", {})
    os.mkfifo(snap / "rates.csv")  # nobody writes to it: reading would block forever
    error = _load_within(snap)["error"]
    assert isinstance(error, SnapshotError)
    assert str(error) == (f"{snap / 'rates.csv'}: is a FIFO (named pipe), not a regular file; "
                          "a snapshot file must be a regular CSV or Parquet file")


def test_a_link_to_dev_zero_is_refused_naming_the_link_and_its_target(tmp_path):
    snap = _snapshot(tmp_path / "snap", {})
    (snap / "attention.csv").symlink_to("/dev/zero")
    error = _load_within(snap)["error"]
    assert str(error).startswith(f"{snap / 'attention.csv'} (a link to /dev/zero): is a character device")


def test_a_link_to_a_regular_file_is_read(tmp_path):
    snap = _snapshot(tmp_path / "snap", {"prices.csv": "x"})
    real = tmp_path / "elsewhere.csv"
    real.write_text(PRICES)
    (snap / "prices.csv").unlink()
    (snap / "prices.csv").symlink_to(real)
    assert len(_load_within(snap)["data"].get("prices")) == 2


def test_a_dangling_link_is_named_not_taken_for_a_missing_file(tmp_path):
    snap = _snapshot(tmp_path / "snap", {})
    (snap / "universe.csv").symlink_to(tmp_path / "gone.csv")
    error = _load_within(snap)["error"]
    assert str(error) == f"{snap / 'universe.csv'}: cannot be opened: No such file or directory"


def test_a_directory_named_like_a_dataset_is_refused(tmp_path):
    snap = _snapshot(tmp_path / "snap", {})
    (snap / "pairs.csv").mkdir()
    assert "pairs.csv: is a directory, not a regular file" in str(_load_within(snap)["error"])


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    snap = _snapshot(tmp_path / "snap", {})
    monkeypatch.setenv("SCOUT_SNAPSHOT_MAX_BYTES", "40")
    error = _load_within(snap)["error"]
    assert str(error) == (f"{snap / 'prices.csv'}: is {len(PRICES)} bytes, over the 40-byte limit for a "
                          "snapshot file; split it, or raise SCOUT_SNAPSHOT_MAX_BYTES")


def test_a_gzip_that_inflates_past_the_limit_is_stopped_while_reading(tmp_path, monkeypatch):
    snap = _snapshot(tmp_path / "snap", {})
    (snap / "prices.csv").unlink()
    body = PRICES + "".join(f"^RUT,2025-{m:02d}-{d:02d},1\n" for m in range(1, 13) for d in range(1, 29))
    (snap / "prices.csv.gz").write_bytes(gzip.compress(body.encode()))
    assert (snap / "prices.csv.gz").stat().st_size < 4_000 < len(body)
    monkeypatch.setattr(snapshot, "MAX_FILE_BYTES", 4_000)
    error = _load_within(snap)["error"]
    assert str(error).startswith(f"{snap / 'prices.csv.gz'}: decompresses to more than 4,000 bytes")
    monkeypatch.setattr(snapshot, "MAX_FILE_BYTES", 1_000_000)
    assert len(_load_within(snap)["data"].get("prices")) == 2 + 12 * 28


def test_the_default_as_of_does_not_hang_on_a_fifo(tmp_path):
    """`scout run --source DIR` without --as-of reads the last price date before the lock."""
    snap = tmp_path / "snap"
    snap.mkdir()
    os.mkfifo(snap / "prices.csv")
    result = {}
    thread = threading.Thread(target=lambda: result.update(day=last_price_date(snap)), daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive() and result == {"day": None}  # the run's load then names the file
