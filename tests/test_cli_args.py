"""Issue 17 defect 5: argument errors answer at once (exit 2, no traceback) before Dagster,
GX or pandas is imported; a closed pipe is not an error."""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scout_pipeline import cli_args

ROOT = Path(__file__).resolve().parents[1]
BOUND_SECONDS = 4.0  # the promise is < 1 s; room for a loaded CI machine (Dagster alone takes 8+ s)

# Runs main() in a fresh interpreter, then fails if a heavy module got imported on the way.
PROBE = """
import sys
from scout_pipeline.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("dagster", "great_expectations", "pandas", "exchange_calendars") if m in sys.modules)
if heavy:
    print("imported: " + ",".join(heavy), file=sys.stderr)
    sys.exit(99)
sys.exit(code)
"""


def _probe(*argv, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)
    return done, time.perf_counter() - started


FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@pytest.mark.parametrize("argv, says", [
    (["run", "--as-of", FUTURE], "is in the future"),
    (["run", "--as-of", "2026-13-01"], "is not a date"),
    (["run", "--as-of", "1999-12-31"], "is before 2000-01-03"),
    (["run", "--param", "no_such_threshold=3"], "no_such_threshold"),
    (["brief", "--as-of", "2026-13-01"], "is not a date"),
    (["brief", "--as-of", FUTURE], "is in the future"),
    (["backfill", "--start", "2024-05-10", "--end", "2024-05-01"], "is after --end"),
    (["backfill", "--start", "2024-05-01", "--end", FUTURE], "is in the future"),
    (["snapshot", "out", "--as-of", "yesterday"], "is not a date"),
])
def test_argument_error_is_fast_exit_2_and_imports_nothing_heavy(tmp_path, argv, says):
    done, seconds = _probe(*argv, "--warehouse", str(tmp_path / "wh"), cwd=tmp_path) if argv[0] != "snapshot" \
        else _probe(*argv, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1  # one line naming the problem
    assert seconds < BOUND_SECONDS
    assert not (tmp_path / "wh").exists()  # nothing written for a refused command


def test_closed_pipe_is_not_a_traceback(tmp_path):
    saved = tmp_path / "wh" / "briefs" / "2024-05-01"
    saved.mkdir(parents=True)
    (saved / "brief.md").write_text("".join(f"line {i} of a long brief\n" for i in range(20000)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "scout_pipeline.cli", "brief", "--as-of", "2024-05-01",
                             "--warehouse", str(tmp_path / "wh")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    assert proc.stdout.readline() == b"line 0 of a long brief\n"
    proc.stdout.close()  # what `| head -1` does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr


def test_day_rule_against_new_york_today():
    evening = dt.datetime(2024, 5, 1, 23, 30, tzinfo=dt.timezone.utc)  # 19:30 in New York, same day
    assert cli_args.day("2024-05-01", "--as-of", now=evening) == dt.date(2024, 5, 1)
    with pytest.raises(ValueError, match="2024-05-02 is in the future"):
        cli_args.day("2024-05-02", "--as-of", now=evening)
    after_midnight_utc = dt.datetime(2024, 5, 2, 2, 0, tzinfo=dt.timezone.utc)  # still May 1 in New York
    with pytest.raises(ValueError, match="in the future"):
        cli_args.day("2024-05-02", "--as-of", now=after_midnight_utc)


def test_earliest_day_is_the_first_session_of_2000():
    from scout_pipeline import calendar

    assert cli_args.EARLIEST == calendar.sessions("2000-01-01", "2000-01-10")[0]
