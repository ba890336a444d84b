"""`python -m reliability`: the fault matrix, measured (RELIABILITY.md reports its output).

    python -m reliability                      # every fault point x 3, 10 random-time kills
    python -m reliability --repeats 1 --random 3 --out rel-results

Source: a snapshot of the sample market (every dataset, every mart). A baseline warehouse
is published for the day before; each case copies it, runs the next day with one fault,
checks the promises (reliability/invariants.py), then runs the day normally and checks
that the result equals a clean run's. Every run is a real `scout` process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reliability import invariants as inv

BEFORE, DAY = "2026-11-19", "2026-11-20"
KILL_POINTS = [
    ("ingest", "store.before_commit:prices"),
    ("ingest", "ingest.after_upsert:fundamentals"),
    ("transform", "transform.after_model:stg_prices"),
    ("transform", "transform.after_model:valuation_gap"),
    ("publish", "publish.writing:cooling_breakouts"),
    ("publish", "journal.before_rename"),
    ("publish", "publish.before_swap"),
    ("publish", "publish.after_swap"),
    ("publish", "publish.before_promote"),
]


def _run(args: list[str], home: Path, faults: str = "") -> tuple[int, str, float]:
    started = time.perf_counter()
    proc = inv.scout_process(args, home, faults=faults)
    out, err = proc.communicate(timeout=900)
    return proc.returncode, err[-400:], time.perf_counter() - started


def _lost(before: inv.State, after: inv.State) -> int:
    return sum(len(keys - after.raw_rows.get(t, set())) for t, keys in before.raw_rows.items())


class Matrix:
    def __init__(self, work: Path):
        self.work = work
        self.home = work / "dagster_home"
        self.home.mkdir(parents=True)
        (self.home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.snap = work / "snap"
        self.rows: list[dict] = []

    def args(self, wh: Path, day: str) -> list[str]:
        return ["run", "--source", str(self.snap), "--as-of", day, "--warehouse", str(wh)]

    def setup(self) -> float:
        subprocess.run([sys.executable, "-m", "scout_pipeline.cli", "snapshot", str(self.snap),
                        "--source", "sample", "--as-of", DAY], check=True, capture_output=True, cwd=inv.ROOT)
        code, err, _ = _run(self.args(self.work / "base", BEFORE), self.home)
        assert code == 0, err
        shutil.copytree(self.work / "base", self.work / "clean", symlinks=True)
        code, err, clean_s = _run(self.args(self.work / "clean", DAY), self.home)
        assert code == 0, err
        self.before, self.new = inv.state(self.work / "base"), inv.state(self.work / "clean")
        return clean_s

    def case(self, fault: str, phase: str, inject) -> None:
        wh = self.work / f"case-{len(self.rows)}"
        shutil.copytree(self.work / "base", wh, symlinks=True)
        injected, detail = inject(wh)
        after = inv.state(wh)
        broken = inv.check_after_fault(after, self.before, self.new)
        outcome = "previous" if after.published == self.before.published else "new"
        code, err, _ = _run(self.args(wh, DAY), self.home)
        broken += [] if code == 0 else [f"next run exit {code}: {err}"]
        broken += inv.check_after_recovery(inv.state(wh), self.new, wh) if code == 0 else []
        self.rows.append({"fault": fault, "phase": phase, "injected": injected, "published_after_fault": outcome,
                          "rows_lost": _lost(self.before, after), "broken": broken, "detail": detail})
        status = "ok" if not broken else "BROKEN: " + "; ".join(broken)
        print(f"  {fault:<45} {phase:<9} published={outcome:<8} lost={self.rows[-1]['rows_lost']} {status}", flush=True)
        shutil.rmtree(wh, ignore_errors=True)

    def kill_at(self, point: str, action: str = "kill"):
        def inject(wh: Path):
            code, err, _ = _run(self.args(wh, DAY), self.home, faults=f"{point}={action}")
            expected = -signal.SIGKILL if action == "kill" else 1
            return code == expected, f"exit {code}"
        return inject

    def kill_after(self, seconds: float):
        def inject(wh: Path):
            proc = inv.scout_process(self.args(wh, DAY), self.home)
            try:
                proc.wait(timeout=seconds)
                return False, f"finished before {seconds:.1f}s"
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.communicate()
                return True, f"killed at {seconds:.1f}s"
        return inject

    def damage(self, how: str):
        def inject(wh: Path):
            store = wh / "store.duckdb"
            size = store.stat().st_size
            with open(store, "r+b") as f:
                if how == "truncate":
                    f.truncate(size // 2)
                else:
                    f.seek(size // 3)
                    f.write(os.urandom(size // 3))
            code, err, _ = _run(self.args(wh, DAY), self.home)
            clear = code == 1 and "scout recover" in err
            rec = subprocess.run([sys.executable, "-m", "scout_pipeline.cli", "recover", "--warehouse", str(wh)],
                                 capture_output=True, text=True, cwd=inv.ROOT,
                                 env={**os.environ, "DAGSTER_HOME": str(self.home)})
            return clear and rec.returncode == 0, f"run exit {code}, recover exit {rec.returncode}"
        return inject


def main(argv: list[str] | None = None) -> int:
    if (argv if argv is not None else sys.argv[1:])[:1] == ["hostile"]:  # hostile inputs: reliability/hostile.py
        from reliability import hostile
        return hostile.main((argv if argv is not None else sys.argv[1:])[1:])
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs per fault point (default 3)")
    parser.add_argument("--random", type=int, default=10, help="kills at random times (default 10)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", type=Path, help="write results.json here")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="scout-reliability-"))
    started = time.perf_counter()
    try:
        matrix = Matrix(work)
        clean_s = matrix.setup()
        print(f"baseline published for {BEFORE}; a clean run of {DAY} takes {clean_s:.1f}s", flush=True)
        for _ in range(args.repeats):
            for phase, point in KILL_POINTS:
                matrix.case(f"SIGKILL at {point}", phase, matrix.kill_at(point))
            matrix.case("exception at publish.after_swap", "publish", matrix.kill_at("publish.after_swap", "raise"))
            matrix.case("exception at transform.after_model:daily_brief", "transform",
                        matrix.kill_at("transform.after_model:daily_brief", "raise"))
        rng = random.Random(args.seed)
        for _ in range(args.random):
            matrix.case("SIGKILL at a random time", "random", matrix.kill_after(rng.uniform(1.0, clean_s)))
        for how in ("truncate", "flip"):
            matrix.case(f"store damaged ({how}) + scout recover", "store", matrix.damage(how))
        rows = matrix.rows
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{len(rows)} cases, {sum(r['injected'] for r in rows)} faults injected, "
          f"{sum(r['rows_lost'] for r in rows)} raw rows lost, "
          f"{sum(bool(r['broken']) for r in rows)} with a broken promise, {time.perf_counter() - started:.0f}s")
    summary: dict[str, dict] = {}
    for r in rows:
        s = summary.setdefault(r["fault"], {"cases": 0, "injected": 0, "previous": 0, "new": 0, "lost": 0, "broken": 0})
        s["cases"] += 1
        s["injected"] += r["injected"]
        s[r["published_after_fault"]] += 1
        s["lost"] += r["rows_lost"]
        s["broken"] += bool(r["broken"])
    print("\n| fault | cases | injected | published after: previous / new | raw rows lost | broken promises |")
    print("|---|---:|---:|---|---:|---:|")
    for fault, s in summary.items():
        print(f"| {fault} | {s['cases']} | {s['injected']} | {s['previous']} / {s['new']} | {s['lost']} | {s['broken']} |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(
            {"when": dt.datetime.now().isoformat(timespec="seconds"), "rows": rows}, indent=1, default=str))
    return 1 if any(r["broken"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
