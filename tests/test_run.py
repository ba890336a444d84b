"""`scout run` end to end through Dagster, on a temporary warehouse and instance."""

import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from scout_pipeline import calendar, cli

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "heliar-k_market-base"


def _prices_dir(root: Path, days: int = 300, bad_close_on_last: bool = False) -> Path:
    rng = np.random.default_rng(3)
    sessions = calendar.sessions_back("2026-01-09", days)
    rows = []
    for ticker, level in (("^RUT", 2400.0), ("^GSPC", 6800.0)):
        closes = level * np.cumprod(1 + rng.normal(0, 0.01, len(sessions)))
        rows += [{"ticker": ticker, "date": d, "close": round(c, 2)} for d, c in zip(sessions, closes)]
    frame = pd.DataFrame(rows)
    if bad_close_on_last:
        frame.loc[frame.index[-1], "close"] = -5.0
    snap = root / "snap"
    snap.mkdir(exist_ok=True)
    frame.to_csv(snap / "prices.csv", index=False)
    return snap


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _raw_tables(wh: Path):
    con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"FROM raw.{t} ORDER BY ALL").fetchall()
                for t in ("prices", "universe", "pairs")}
    finally:
        con.close()


def test_prices_only_snapshot_builds_streaks_respects_as_of_and_is_idempotent(home, capsys):
    snap, wh = _prices_dir(home), home / "wh"
    args = ["run", "--source", str(snap), "--as-of", "2026-01-07", "--warehouse", str(wh)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "marts.relative_strength_streaks" in out and "Headline: Russell 2000 " in out
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    pairs, last = con.execute(
        "SELECT list(DISTINCT pair_id), max(date) FROM marts.relative_strength_streaks").fetchone()
    con.close()
    assert pairs == ["smallcap_vs_largecap"] and str(last) == "2026-01-07"
    raw_before, published_rows = _raw_tables(wh), pd.read_parquet(wh / "parquet" / "relative_strength_streaks.parquet")
    assert cli.main(args) == 0  # the same day again changes nothing (in the data; the file names its run)
    assert _raw_tables(wh) == raw_before
    pd.testing.assert_frame_equal(pd.read_parquet(wh / "parquet" / "relative_strength_streaks.parquet"), published_rows)


def test_failing_build_leaves_published_file_byte_identical(home, capsys):
    wh = home / "wh"
    assert cli.main(["run", "--source", str(_prices_dir(home)), "--as-of", "2026-01-09",
                     "--warehouse", str(wh)]) == 0
    before = _digest(wh / "scout.duckdb"), _digest(wh / "store.duckdb")
    (home / "bad").mkdir()
    bad = _prices_dir(home / "bad", bad_close_on_last=True)
    code = cli.main(["run", "--source", str(bad), "--as-of", "2026-01-09", "--warehouse", str(wh)])
    err = capsys.readouterr().err
    assert code == 1
    assert "prices_suite" in err and "close_positive" in err and "was not changed" in err
    assert (_digest(wh / "scout.duckdb"), _digest(wh / "store.duckdb")) == before


def test_published_file_opens_read_only_from_another_process(home):
    wh = home / "wh"
    assert cli.main(["run", "--source", str(_prices_dir(home)), "--as-of", "2026-01-09",
                     "--warehouse", str(wh)]) == 0
    code = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('select count(*) from marts.relative_strength_streaks').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code, str(wh / "scout.duckdb")],
                         capture_output=True, text=True, check=True).stdout
    assert int(out) > 250


def test_bad_arguments_are_usage_errors(home, capsys):
    assert cli.main(["run", "--as-of", "2026-13-01", "--warehouse", str(home / "wh")]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert cli.main(["run", "--param", "nonsense=1", "--warehouse", str(home / "wh")]) == 2
    assert "unknown parameter 'nonsense'" in capsys.readouterr().err


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared/reference-data not present")
def test_real_history_through_snapshot(home, capsys):
    frames = []
    for name, ticker in (("RUT", "^RUT"), ("SPX", "^GSPC")):
        f = pd.read_csv(REFERENCE / f"{name}.csv")
        frames.append(f.assign(ticker=ticker)[["ticker", "date", "open", "high", "low", "close"]])
    snap = home / "real"
    snap.mkdir()
    pd.concat(frames).to_csv(snap / "prices.csv", index=False)
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-08-21", "--warehouse", str(home / "wh")]) == 0
    con = duckdb.connect(str(home / "wh" / "scout.duckdb"), read_only=True)
    n, longest = con.execute("SELECT count(*), max(abs(longest_streak_days)) FROM marts.relative_strength_streaks").fetchone()
    con.close()
    assert n > 2500 and 5 <= longest <= 20  # ten years of real sessions; real streaks are short
    brief_dir = home / "wh" / "briefs" / "2026-08-21"
    assert (brief_dir / "rotation.png").stat().st_size > 10_000
    assert "SYNTHETIC" not in (brief_dir / "brief.md").read_text()


class _NoNetwork:
    """A requests-like session on a machine without network: every call fails at DNS."""

    headers: dict = {}

    def _fail(self, url, **_):
        import requests

        raise requests.ConnectionError(f"NameResolutionError: Failed to resolve '{url}'")

    head = get = _fail


def test_live_without_network_fails_fast_naming_the_problem(home, capsys, monkeypatch):
    import time

    from scout_pipeline.sources import wikipedia

    monkeypatch.setattr(wikipedia, "new_session", lambda *a, **k: _NoNetwork())
    started = time.perf_counter()
    code = cli.main(["run", "--source", "live", "--as-of", "2026-01-09", "--warehouse", str(home / "wh")])
    err = capsys.readouterr().err
    assert code == 1 and time.perf_counter() - started < 30
    assert "no provider host reachable" in err and "query1.finance.yahoo.com (DNS lookup failed)" in err
    assert err.count("live source unavailable") == 1
    assert not (home / "wh" / "scout.duckdb").exists()


def test_snapshot_of_sample_replays_to_identical_marts(home, capsys):
    as_of = "2026-11-20"
    assert cli.main(["run", "--as-of", as_of, "--warehouse", str(home / "a")]) == 0
    assert cli.main(["snapshot", str(home / "snap"), "--source", "sample", "--as-of", as_of]) == 0
    assert "prices.csv" in capsys.readouterr().out
    assert cli.main(["run", "--source", str(home / "snap"), "--as-of", as_of, "--warehouse", str(home / "b")]) == 0
    files = sorted(p.name for p in (home / "a" / "parquet").glob("*.parquet"))
    assert files == sorted(p.name for p in (home / "b" / "parquet").glob("*.parquet")) and len(files) >= 5
    _live_on_a_sample_warehouse_refuses_at_once(home / "a", capsys)
    # issue 17 defect 3: the replayed sample rows keep their synthetic label, whatever the command line
    con = duckdb.connect(str(home / "b" / "scout.duckdb"), read_only=True)
    info = dict(con.execute("SELECT key, value FROM meta.run_info").fetchall())
    con.close()
    assert (info["source"], info["synthetic"], info["snapshot"]) == ("sample", "true", str(home / "snap"))
    replayed = (home / "b" / "briefs" / as_of / "brief.md").read_text()
    assert "SYNTHETIC SAMPLE DATA" in replayed and "Source: sample" in replayed
    for name in files:
        a = pd.read_parquet(home / "a" / "parquet" / name)
        b = pd.read_parquet(home / "b" / "parquet" / name)
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)


def _live_on_a_sample_warehouse_refuses_at_once(wh: Path, capsys) -> None:
    """The quickstart's sample warehouse, then `--source live` on it: refused in well under
    5 s (before Dagster is imported, before any provider is asked), saying what to do, with
    every file as it was."""
    import time

    before = {p.name: _digest(p) for p in (wh / "scout.duckdb", wh / "store.duckdb")}
    capsys.readouterr()
    started = time.perf_counter()
    code = cli.main(["run", "--source", "live", "--warehouse", str(wh)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert code == 2 and elapsed < 5, (code, elapsed, err)
    assert f"{wh} holds sample data, and a live run would add real market days on top of a synthetic history" in err
    assert "--warehouse DIR" in err and "--start-over" in err
    assert {p.name: _digest(p) for p in (wh / "scout.duckdb", wh / "store.duckdb")} == before


READER = """
import duckdb, pathlib, sys, time
db, stop = sys.argv[1], pathlib.Path(sys.argv[2])
con = duckdb.connect(db, read_only=True)
seen, reads = set(), 0
while not stop.exists():
    seen.add(con.execute("SELECT value FROM meta.run_info WHERE key = 'as_of'").fetchone()[0])
    con.execute("SELECT count(*) FROM marts.relative_strength_streaks").fetchone()
    reads += 1
    time.sleep(0.05)
print(sorted(seen), reads)
"""


def test_bi_reader_holding_the_file_during_a_run(home):
    wh, snap = home / "wh", _prices_dir(home)
    assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-07", "--warehouse", str(wh)]) == 0
    stop = home / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(wh / "scout.duckdb"), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert cli.main(["run", "--source", str(snap), "--as-of", "2026-01-09", "--warehouse", str(wh)]) == 0
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=30)
    assert reader.returncode == 0, err
    seen, reads = out.rsplit("]", 1)
    assert seen + "]" == "['2026-01-07']" and int(reads) > 5  # its snapshot, without error
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    assert con.execute("SELECT value FROM meta.run_info WHERE key = 'as_of'").fetchone()[0] == "2026-01-09"
    con.close()


def test_source_failing_once_is_retried_and_the_run_succeeds(home, monkeypatch):
    import requests

    import scout_pipeline.sources as sources

    real, calls = sources.load_source, []

    def flaky(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise requests.ConnectionError("connection reset by peer")
        return real(*args, **kwargs)

    monkeypatch.setattr(sources, "load_source", flaky)
    result = cli.execute(str(_prices_dir(home)), "2026-01-09", home / "wh")
    assert result.success
    assert len(calls) == 2  # one failed fetch, one retry; not one fetch per asset
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried


def test_bad_data_is_not_retried(home, monkeypatch):
    import scout_pipeline.sources as sources
    from scout_pipeline.sources.snapshot import SnapshotError

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise SnapshotError("prices.csv: column 'close' must be numeric")

    monkeypatch.setattr(sources, "load_source", broken)
    result = cli.execute(str(_prices_dir(home)), "2026-01-09", home / "wh")
    assert not result.success and len(calls) == 1


def test_backfill_of_20_sessions_is_one_run_and_rerunning_changes_nothing(home, capsys):
    import dagster as dg

    snap, wh = _prices_dir(home), home / "wh"
    args = ["backfill", "--start", "2025-12-11", "--end", "2026-01-09", "--source", str(snap), "--warehouse", str(wh)]
    assert cli.main(args) == 0
    assert "20 sessions 2025-12-11 .. 2026-01-09 in one run" in capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 1
        # no partition range: the window is the scout resource's config, the day its tag
        config = runs[0].run_config["resources"]["scout"]["config"]
        assert (config["history_start"], config["as_of"]) == ("2025-12-11", "2026-01-09")
        assert runs[0].tags["scout/as_of"] == "2026-01-09"
        assert not [t for t in runs[0].tags if t.startswith("dagster/") and "partition" in t]
    # the data, not the bytes: each file's metadata names the run that wrote it (run_info)
    before = _raw_tables(wh), pd.read_parquet(wh / "parquet" / "relative_strength_streaks.parquet")
    # marts that keep every published day get each session of the range, as its own run would
    briefs = pd.read_parquet(wh / "parquet" / "daily_brief.parquet")
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT as_of), min(as_of) FROM marts.daily_brief").fetchone() \
            == (20, dt.date(2025, 12, 11))
    finally:
        con.close()
    assert cli.main(args) == 0
    assert _raw_tables(wh) == before[0]
    pd.testing.assert_frame_equal(pd.read_parquet(wh / "parquet" / "relative_strength_streaks.parquet"), before[1])
    pd.testing.assert_frame_equal(pd.read_parquet(wh / "parquet" / "daily_brief.parquet"), briefs)


def test_a_launchpad_run_with_config_as_of_builds_that_day(home):
    """What a UI launch does: the job with `resources.scout.config.as_of` and no tags or
    partition; it builds and publishes that session and tags the run with it."""
    import dagster as dg

    from scout_pipeline.definitions import DAILY_JOB, defs

    snap, wh = _prices_dir(home), home / "wh"
    config = {"resources": {"scout": {"config": {"warehouse_dir": str(wh), "source": str(snap),
                                                  "as_of": "2026-01-07"}}}}
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
            run_config=config, instance=instance, raise_on_error=False)
        assert result.success
        run = instance.get_run_by_id(result.run_id)
        assert run.tags["scout/as_of"] == "2026-01-07" and "dagster/partition" not in run.tags
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    try:
        assert str(con.execute("SELECT max(date) FROM marts.relative_strength_streaks").fetchone()[0]) == "2026-01-07"
        assert con.execute("SELECT value FROM meta.run_info WHERE key = 'as_of'").fetchone()[0] == "2026-01-07"
    finally:
        con.close()
