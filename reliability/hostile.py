"""`python -m reliability hostile`: hostile and damaged inputs, measured (issue #14.7-10, 12, 13).

    python -m reliability hostile                  # every case once
    python -m reliability hostile --repeats 3 --out rel-hostile

Each case copies a warehouse published for the day before, plants one hostile or damaged
thing (a symlink where the lock or the brief is written, a garbled lock or Dagster storage,
a FIFO or a /dev/zero link as a snapshot file, an unusable --warehouse, a day outside the
calendar, a full disk, an implausible value, a hostile label), runs a real `scout` process
and measures: its exit code against the README's, whether stderr names the cause in one
line without a traceback, the time (a hang is killed at --timeout) and peak memory, whether
the published file, Parquet set and store are byte-identical (or the new complete build,
for cases that should publish), and raw rows lost. Disk-full and read-only cases mount a
small tmpfs / a read-only bind mount and are skipped (reported) where that is not allowed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reliability import invariants as inv

BEFORE, DAY = "2026-01-08", "2026-01-09"
FROM = "2024-06-03"  # ~400 sessions: enough for 52-week breakouts and 200-session averages
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
FLOAT_MAX = "1.7976931348623157e+308"


@dataclass
class Result:
    defect: str
    case: str
    expected_exit: int
    exit: int | None = None
    seconds: float = 0.0
    rss_mb: float = 0.0
    one_line: bool = True  # stderr's message: one line, cause named, no traceback
    unchanged: bool | None = None  # published + Parquet + store byte-identical (None: n/a)
    rows_lost: int = 0
    published: str = ""  # after the case: the previous build, the clean run's new one, or another
    checks: dict[str, bool] = field(default_factory=dict)
    skipped: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.skipped != "" or (self.exit == self.expected_exit and self.one_line
                                      and self.unchanged is not False and self.rows_lost == 0
                                      and all(self.checks.values()))


def _sh(*args: str) -> bool:
    return subprocess.run(list(args), capture_output=True).returncode == 0


class Bench:
    def __init__(self, work: Path, timeout: float):
        self.work, self.timeout = work, timeout
        self.snap, self.base = work / "snap", work / "base"
        self.results: list[Result] = []

    # ------------------------------------------------------------ processes

    def scout(self, args: list[str], wh: Path, home: Path | None = None) -> tuple[int | None, str, str, float, float]:
        """A real `scout` process: (exit code or None when killed at the timeout, stdout,
        stderr, seconds, peak RSS in MB, from wait4)."""
        home = home or wh / "dagster"
        with contextlib.suppress(OSError):
            home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DAGSTER_HOME": str(home)}
        env.pop("SCOUT_FAULTS", None)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "scout_pipeline.cli", *args], cwd=self.work,
                                    env=env, stdout=out, stderr=err, start_new_session=True)
            code, rss = None, 0.0
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    code, rss = os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024
                    proc.returncode = code
                    break
                if time.perf_counter() - started > self.timeout:
                    os.killpg(proc.pid, signal.SIGKILL)
                    _, status, usage = os.wait4(proc.pid, 0)
                    proc.returncode, rss = -9, usage.ru_maxrss / 1024
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            return code, out.read().decode(errors="replace"), err.read().decode(errors="replace"), seconds, rss

    def run_args(self, wh: Path, snap: Path | None = None, day: str = DAY) -> list[str]:
        return ["run", "--source", str(snap or self.snap), "--as-of", day, "--warehouse", str(wh)]

    # ------------------------------------------------------------ setup

    def setup(self) -> float:
        full = self.work / "sample-snap"
        subprocess.run([sys.executable, "-m", "scout_pipeline.cli", "snapshot", str(full), "--source", "sample",
                        "--as-of", DAY], check=True, capture_output=True, cwd=inv.ROOT)
        _trim(full, self.snap)
        shutil.rmtree(full)
        home = self.base / "dagster"
        home.mkdir(parents=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        code, _, err, _, _ = self.scout(self.run_args(self.base, day=BEFORE), self.base)
        assert code == 0, err
        clean = self.work / "clean"
        shutil.copytree(self.base, clean, symlinks=True)
        code, _, err, seconds, _ = self.scout(self.run_args(clean), clean)
        assert code == 0, err
        self.before, self.new = inv.state(self.base), inv.state(clean)
        shutil.rmtree(clean)
        return seconds

    @contextlib.contextmanager
    def scene(self, root: Path | None = None, without_dagster: bool = False):
        """A copy of the baseline warehouse (under `root`, e.g. a small tmpfs) and of the
        snapshot (always on the work disk) for one case."""
        n = len(self.results)
        case, snap = (root or self.work) / f"case-{n}", self.work / f"snap-{n}"
        case.mkdir(parents=True, exist_ok=True)
        wh = case / "wh"
        shutil.copytree(self.base, wh, symlinks=True,
                        ignore=(lambda d, names: ["dagster"] if Path(d) == self.base else []) if without_dagster else None)
        shutil.copytree(self.snap, snap)
        try:
            yield wh, snap
        finally:
            shutil.rmtree(case, ignore_errors=True)
            shutil.rmtree(snap, ignore_errors=True)

    # ------------------------------------------------------------ bookkeeping

    def record(self, r: Result, wh: Path | None, code, err: str, seconds: float, rss: float,
               names: tuple[str, ...] = (), expect: str = "unchanged") -> None:
        """`expect`: "unchanged" (published files and store byte-identical), "new" (the
        clean run's build published), "any" (the case's own checks judge the build)."""
        r.exit, r.seconds, r.rss_mb, r.stderr = code, seconds, rss, err.strip()[-600:]
        lines = [line for line in err.splitlines() if line.strip()]
        if code not in (0, None):
            r.one_line = "Traceback" not in err and "cannot rollback" not in err and bool(lines) and \
                all(any(n in line for line in lines) for n in names)
            # a message before Dagster starts is exactly one line; a run's failure summary
            # has its own few lines, each one named
            if r.expected_exit == 2:
                r.one_line = r.one_line and len(lines) == 1
        if wh is not None and wh.is_dir():
            after = inv.state(wh)
            r.published = ("previous" if after.published == self.before.published else
                           "new" if after.marts == self.new.marts else "other")
            r.rows_lost = sum(len(keys - after.raw_rows.get(t, set())) for t, keys in self.before.raw_rows.items())
            if expect == "new":
                r.checks["new build published"] = after.marts == self.new.marts and not after.damaged
            elif expect == "unchanged":
                r.unchanged = (after.published, after.store, after.parquet) == \
                    (self.before.published, self.before.store, self.before.parquet)
        self.results.append(r)
        status = "ok" if r.ok else "FAILED " + json.dumps({k: v for k, v in r.checks.items() if not v}) + " " + r.stderr[-300:]
        print(f"  #{r.defect:<5} {r.case:<62} exit {code} ({r.expected_exit}) {seconds:5.1f}s "
              f"{rss:6.0f} MB  {status}", flush=True)

    def skip(self, defect: str, case: str, why: str) -> None:
        self.results.append(Result(defect, case, 0, skipped=why))
        print(f"  #{defect:<5} {case:<62} skipped: {why}", flush=True)

    # ------------------------------------------------------------ 7, 8: lock and state files

    def symlinked_lock(self, command: str) -> None:
        with self.scene() as (wh, snap):
            victim = wh.parent / "victim.txt"
            victim.write_text("precious")
            (wh / ".run.lock").unlink(missing_ok=True)
            (wh / ".run.lock").symlink_to(victim)
            args = self.run_args(wh, snap) if command == "run" else ["recover", "--warehouse", str(wh)]
            code, out, err, s, rss = self.scout(args, wh)
            r = Result("7", f"symlink to a file at .run.lock, then scout {command}", 0)
            r.checks = {"victim unchanged": victim.read_text() == "precious",
                        "lock is a regular file": (wh / ".run.lock").is_file() and not (wh / ".run.lock").is_symlink(),
                        "repair named": "was a symbolic link" in out}
            self.record(r, wh, code, err, s, rss, expect="new" if command == "run" else "unchanged")

    def symlinked_brief(self) -> None:
        with self.scene() as (wh, snap):
            victim = wh.parent / "victim.txt"
            victim.write_text("precious")
            (wh / "briefs" / DAY).mkdir(parents=True)
            for name in ("brief.md", "brief.html", "rotation.png"):
                (wh / "briefs" / DAY / name).symlink_to(victim)
            code, out, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            r = Result("7", "symlinks at briefs/<day>/brief.md, .html, .png, then scout run", 0)
            r.checks = {"victim unchanged": victim.read_text() == "precious",
                        "brief written as files": all((wh / "briefs" / DAY / n).is_file() and not
                                                      (wh / "briefs" / DAY / n).is_symlink()
                                                      for n in ("brief.md", "brief.html", "rotation.png"))}
            self.record(r, wh, code, err, s, rss, expect="new")

    def damaged_lock(self, how: str) -> None:
        with self.scene() as (wh, snap):
            lock = wh / ".run.lock"
            lock.unlink(missing_ok=True)
            if how == "junk":
                lock.write_bytes(b"\xff\xfe\x00\x80garbage")
            elif how == "directory":
                lock.mkdir()
            else:
                os.mkfifo(lock)
            code, out, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            r = Result("8", f".run.lock is {'non-UTF-8 bytes' if how == 'junk' else 'a ' + how}, then scout run", 0)
            r.checks = {"lock is a regular file again": lock.is_file() and not lock.is_symlink()}
            if how != "junk":
                r.checks["repair named"] = f"was a {how if how != 'fifo' else 'FIFO'}" in out
            self.record(r, wh, code, err, s, rss, expect="new")

    def garbled_dagster(self) -> None:
        with self.scene() as (wh, snap):
            runs_db = wh / "dagster" / "history" / "runs.db"
            with open(runs_db, "r+b") as f:
                f.write(os.urandom(4096))
            code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            r = Result("8", "garbled dagster/history/runs.db, then scout run", 1)
            rec_code, _, rec_err, _, _ = self.scout(["recover", "--warehouse", str(wh)], wh)
            r.checks = {"scout recover exits 1 naming it": rec_code == 1 and "runs.db" in rec_err
                        and "Traceback" not in rec_err}
            self.record(r, wh, code, err, s, rss, names=("Dagster's storage is damaged", "runs.db", "mv "))
            # the way out it names: move the directory aside, run again
            os.replace(wh / "dagster", wh / "dagster.damaged")
            (wh / "dagster").mkdir()
            (wh / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
            code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            r = Result("8", "... then the way out it names (mv dagster aside), scout run", 0)
            self.record(r, wh, code, err, s, rss, expect="new")

    # ------------------------------------------------------------ 9: snapshot files

    def snapshot_file(self, how: str) -> None:
        with self.scene() as (wh, snap):
            if how == "fifo":
                (snap / "rates.csv").unlink()
                os.mkfifo(snap / "rates.csv")
                name, label = "rates.csv", "rates.csv is a FIFO nobody writes to"
            else:
                (snap / "attention.csv").unlink()
                (snap / "attention.csv").symlink_to("/dev/zero")
                name, label = "attention.csv", "attention.csv is a symlink to /dev/zero"
            code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            r = Result("9", label, 1)
            r.checks = {"no hang (killed at timeout)": code is not None, "under 1 GB": rss < 1024}
            self.record(r, wh, code, err, s, rss, names=(name, "not a regular file"))

    # ------------------------------------------------------------ 10: messages

    def warehouse_is_file(self) -> None:
        with self.scene() as (wh, snap):
            target = wh.parent / "afile"
            target.write_text("mine")
            code, _, err, s, rss = self.scout(self.run_args(target, snap), wh, home=wh / "dagster")
            r = Result("10", "--warehouse names a file", 2)
            r.checks = {"file untouched": target.read_text() == "mine"}
            self.record(r, wh, code, err, s, rss, names=("is a file, not a directory",))

    def read_only(self) -> None:
        with self.scene() as (wh, snap):
            if not (_sh("mount", "--bind", str(wh), str(wh)) and _sh("mount", "-o", "remount,ro,bind", str(wh))):
                _sh("umount", str(wh))
                return self.skip("10", "read-only warehouse (a read-only bind mount)", "mount not permitted here")
            try:
                code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh, home=wh.parent / "home")
                r = Result("10", "read-only warehouse (a read-only bind mount), scout run", 2)
                self.record(r, wh, code, err, s, rss, names=("is not writable (Read-only file system)",))
            finally:
                _sh("umount", str(wh))

    def out_of_calendar(self, args: list[str], label: str) -> None:
        with self.scene() as (wh, snap):
            code, _, err, s, rss = self.scout([*args, "--source", str(snap), "--warehouse", str(wh)], wh)
            r = Result("10", label, 2)
            self.record(r, wh, code, err, s, rss, names=("outside the NYSE calendar", "pick a day"))

    def damaged_brief(self) -> None:
        with self.scene() as (wh, snap):
            size = (wh / "scout.duckdb").stat().st_size
            with open(wh / "scout.duckdb", "r+b") as f:
                f.seek(0)
                f.write(os.urandom(min(size, 8192)))
            before = inv.digest(wh / "scout.duckdb")
            code, _, err, s, rss = self.scout(["brief", "--warehouse", str(wh)], wh)
            r = Result("10", "scout brief on a damaged scout.duckdb", 1)
            r.checks = {"file left as it was": inv.digest(wh / "scout.duckdb") == before}
            self.record(r, None, code, err, s, rss, names=("cannot be read", "scout recover"))

    def disk_full(self, extra_mb: float, dagster_too: bool) -> None:
        """The warehouse on a tmpfs with `extra_mb` free beyond the baseline's files; Dagster's
        storage on it too, or on another disk (so the warehouse's own writes hit the limit)."""
        mnt = self.work / f"tmpfs-{len(self.results)}"
        mnt.mkdir()
        files = [p for p in self.base.rglob("*") if p.is_file() and not p.is_symlink()
                 and (dagster_too or "dagster" not in p.relative_to(self.base).parts)]
        pages = sum(-(-p.stat().st_size // 4096) for p in files)  # tmpfs holds whole pages
        size_kb = pages * 4 + int(extra_mb * 1024) + 64
        where = "warehouse and Dagster storage" if dagster_too else "warehouse (Dagster storage elsewhere)"
        label = f"disk full: {where} on a tmpfs with {extra_mb:g} MB free, scout run"
        if not _sh("mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mnt)):
            return self.skip("10", label, "mount not permitted here")
        try:
            with self.scene(root=mnt, without_dagster=not dagster_too) as (wh, snap):
                home = wh / "dagster"
                if not dagster_too:
                    home = self.work / f"home-{len(self.results)}"
                    shutil.copytree(self.base / "dagster", home)
                code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh, home=home)
                after = inv.state(wh)
                r = Result("10", label, 0 if code == 0 else 1)
                r.checks = {"promises 1-3 hold": not inv.check_after_fault(after, self.before, self.new)}
                r.checks["disk full named"] = code == 0 or "is full (" in err
                self.record(r, wh, code, err, s, rss, expect="any")
                if code != 0:  # free space as told, run again: the new build, nothing half-written
                    _sh("mount", "-o", f"remount,size={size_kb + 200 * 1024}k", str(mnt))
                    code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh, home=home)
                    r = Result("10", "... then with space freed, scout run", 0)
                    r.checks = {"next run equals a clean run": not inv.check_after_recovery(inv.state(wh), self.new, wh)}
                    self.record(r, wh, code, err, s, rss, expect="new")
        finally:
            _sh("umount", str(mnt))

    # ------------------------------------------------------------ 12: implausible values

    def implausible(self, what: str) -> None:
        with self.scene() as (wh, snap):
            prices = pd.read_csv(snap / "prices.csv", dtype=str, keep_default_na=False)
            equity = "MOD"
            if what == "date":
                row = prices[prices.ticker == equity].iloc[[-1]].assign(date="1700-01-01")
                prices = pd.concat([prices, row])
                label, name = "a price dated 1700-01-01", "date_plausible"
            elif what == "series":
                for col in ("open", "high", "low", "close", "adj_close"):
                    prices.loc[prices.ticker == equity, col] = FLOAT_MAX
                label, name = f"a whole series ({equity}) at 1.797e308", "prices_plausible"
            else:
                prices.loc[(prices.ticker == equity) & (prices.date == DAY), "volume"] = "1e308"
                label, name = "a volume of 1e308", "volume_plausible"
            prices.to_csv(snap / "prices.csv", index=False)
            code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            self.record(Result("12", label, 1), wh, code, err, s, rss, names=(name,))

    # ------------------------------------------------------------ 13: brief text

    def label_without_vs(self) -> None:
        with self.scene() as (wh, snap):
            pairs = pd.read_csv(snap / "pairs.csv", dtype=str, keep_default_na=False)
            pairs.loc[pairs.pair_id == "smallcap_vs_largecap", "label"] = "Small caps against large caps"
            pairs.to_csv(snap / "pairs.csv", index=False)
            code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            md = (wh / "briefs" / DAY / "brief.md").read_text() if code == 0 else ""
            r = Result("13", "pair label without ' vs ', scout run", 0)
            r.checks = {"names from the universe": "Russell 2000 ahead of the S&P 500" in md,
                        "no blank name": "the  " not in md and " of  " not in md}
            r.checks["published"] = inv.digest(wh / "scout.duckdb") != self.before.published
            self.record(r, wh, code, err, s, rss, expect="any")

    def bidi_name(self) -> None:
        with self.scene() as (wh, snap):
            universe = pd.read_csv(snap / "universe.csv", dtype=str, keep_default_na=False)
            name = "Russell \u202e0002\u202c Index"
            universe.loc[universe.ticker == "^RUT", "name"] = name
            universe.to_csv(snap / "universe.csv", index=False)
            code, _, err, s, rss = self.scout(self.run_args(wh, snap), wh)
            texts = [(wh / "briefs" / DAY / f).read_text() for f in ("brief.md", "brief.html")] if code == 0 else [BIDI]
            r = Result("13", "right-to-left override in a universe name, scout run", 0)
            r.checks = {"no bidi control in brief.md/html": not any(c in t for t in texts for c in BIDI),
                        "stored verbatim": _stored_name(wh, "^RUT") == name}
            r.checks["published"] = inv.digest(wh / "scout.duckdb") != self.before.published
            self.record(r, wh, code, err, s, rss, expect="any")


def _stored_name(wh: Path, ticker: str) -> str | None:
    import duckdb

    con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
    try:
        row = con.execute("SELECT name FROM raw.universe WHERE ticker = ?", [ticker]).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _trim(full: Path, out: Path) -> None:
    """The sample market cut to the pairs' series, 10 small and 10 large caps (MOD among
    them) and ~400 sessions: every mart has data, a run takes a few seconds."""
    out.mkdir(parents=True)
    universe = pd.read_csv(full / "universe.csv", dtype=str, keep_default_na=False)
    pairs = pd.read_csv(full / "pairs.csv", dtype=str, keep_default_na=False)
    segments = universe["segments"].fillna("")
    keep = set(pairs["lead"]) | set(pairs["base"]) | {"MOD", "ZQ=F"}
    keep |= set(universe[segments.str.contains("small_cap")].ticker[:10])
    keep |= set(universe[segments.str.contains("large_cap")].ticker[:10])
    universe[universe.ticker.isin(keep)].to_csv(out / "universe.csv", index=False)
    pairs.to_csv(out / "pairs.csv", index=False)
    for name, date_col in (("prices", "date"), ("fundamentals", "as_of"), ("attention", "date"), ("rates", "date")):
        frame = pd.read_csv(full / f"{name}.csv", dtype=str, keep_default_na=False)
        if "ticker" in frame.columns:
            frame = frame[frame.ticker.isin(keep) | (frame.ticker == "")]
        frame[frame[date_col] >= FROM].to_csv(out / f"{name}.csv", index=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=1, help="runs per case (default 1)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a case counts as a hang")
    parser.add_argument("--out", type=Path, help="write results.json here")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="scout-hostile-"))
    started = time.perf_counter()
    try:
        bench = Bench(work, args.timeout)
        clean_s = bench.setup()
        print(f"baseline published for {BEFORE}; a clean run of {DAY} takes {clean_s:.1f}s", flush=True)
        for _ in range(args.repeats):
            bench.symlinked_lock("recover")
            bench.symlinked_lock("run")
            bench.symlinked_brief()
            for how in ("junk", "directory", "fifo"):
                bench.damaged_lock(how)
            bench.garbled_dagster()
            bench.snapshot_file("fifo")
            bench.snapshot_file("devzero")
            bench.warehouse_is_file()
            bench.read_only()
            bench.out_of_calendar(["run", "--as-of", "9999-12-31"], "--as-of 9999-12-31")
            bench.out_of_calendar(["run", "--as-of", "1700-01-01"], "--as-of 1700-01-01")
            bench.out_of_calendar(["backfill", "--start", "1700-01-01", "--end", DAY], "backfill --start 1700-01-01")
            bench.out_of_calendar(["backfill", "--start", BEFORE, "--end", "9999-12-31"], "backfill --end 9999-12-31")
            bench.damaged_brief()
            for extra in (0.5, 2, 4, 8):
                bench.disk_full(extra, dagster_too=True)
            for extra in (0.25, 1, 2, 3, 4, 6, 8):
                bench.disk_full(extra, dagster_too=False)
            for what in ("date", "series", "volume"):
                bench.implausible(what)
            bench.label_without_vs()
            bench.bidi_name()
        results = bench.results
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ran = [r for r in results if not r.skipped]
    print(f"\n{len(ran)} cases run ({len(results) - len(ran)} skipped), {sum(not r.ok for r in ran)} failed, "
          f"{sum(r.rows_lost for r in ran)} raw rows lost, {time.perf_counter() - started:.0f}s")
    print("\n| defect | case | trials | exit (expected) | message names the cause, no traceback | published after: "
          "previous / new / other | raw rows lost | max s | peak RSS MB | ok |")
    print("|---|---|---:|---|---|---|---:|---:|---:|---|")
    summary: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        summary.setdefault((r.defect, r.case), []).append(r)
    for (defect, case), rs in summary.items():
        if all(r.skipped for r in rs):
            print(f"| {defect} | {case} | 0 | skipped: {rs[0].skipped} | | | | | | |")
            continue
        rs = [r for r in rs if not r.skipped]
        exits = "/".join(sorted({str(r.exit) for r in rs}))
        same = " / ".join(str(sum(r.published == k for r in rs)) for k in ("previous", "new", "other"))
        same = same if any(r.published for r in rs) else "-"
        print(f"| {defect} | {case} | {len(rs)} | {exits} ({rs[0].expected_exit}) | "
              f"{sum(r.one_line for r in rs)}/{len(rs)} | {same} | {sum(r.rows_lost for r in rs)} | "
              f"{max(r.seconds for r in rs):.1f} | {max(r.rss_mb for r in rs):.0f} | "
              f"{sum(r.ok for r in rs)}/{len(rs)} |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(
            {"when": dt.datetime.now().isoformat(timespec="seconds"),
             "rows": [{**r.__dict__, "ok": r.ok} for r in results]}, indent=1, default=str))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
