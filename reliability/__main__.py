"""`python -m reliability`: the fault matrix, measured (RELIABILITY.md reports its output).

    python -m reliability                      # every fault point x 3, 10 random-time kills
    python -m reliability --repeats 1 --random 3 --out rel-results
    python -m reliability --campaign 50        # only the randomized kill campaign, 50 trials

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
from reliability.clients import WAL_HOLDER

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
    ("publish", "journal.before_commit"),
]
# the campaign's kill points: every named step of run, publish, backfill and recover
CAMPAIGN_POINTS = {"run": [p for _, p in KILL_POINTS] + ["journal.before_head"],
                   "backfill": [p for _, p in KILL_POINTS] + ["journal.before_head"],
                   "recover": ["recover.before_replace"]}
TAMPER = {"store.duckdb": "DELETE FROM raw.prices WHERE ticker IN (SELECT ticker FROM raw.prices LIMIT 1)",
          "scout.duckdb": "DELETE FROM marts.relative_strength_streaks"}


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
        self.only: list[str] = []  # --only: the cases whose label contains one of these

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
        if self.only and not any(o in fault for o in self.only):
            return
        wh = self.work / f"case-{len(self.rows)}"
        shutil.copytree(self.work / "base", wh, symlinks=True)
        injected, detail = inject(wh)
        after = inv.state(wh)
        broken = inv.check_after_fault(after, self.before, self.new)
        outcome = "previous" if after.published == self.before.published else "new"
        code, err, _ = _run(self.args(wh, DAY), self.home)
        broken += [] if code == 0 else [f"next run exit {code}: {err}"]
        broken += inv.check_after_recovery(inv.state(wh), self.new, wh) if code == 0 else []
        journal = inv.check_journal(wh)
        broken += journal
        self.rows.append({"fault": fault, "phase": phase, "injected": injected, "published_after_fault": outcome,
                          "rows_lost": _lost(self.before, after), "broken": broken, "detail": detail,
                          "journal_ok": not journal})
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

    def stray_wal(self, name: str, mode: str):
        """A real read-write DuckDB session on `name` in another process: killed after
        writing (its WAL stays), or still open through the run."""
        def inject(wh: Path):
            # a session left open on the store only reads: its close would checkpoint any edit
            sql = "SELECT 1" if (mode, name) == ("hold", "store.duckdb") else TAMPER[name]
            holder = subprocess.Popen([sys.executable, "-c", WAL_HOLDER, str(wh / name), mode, sql],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            ready = holder.stdout.readline().strip() == "ready"
            try:
                if mode == "kill":
                    holder.wait(timeout=60)
                code, err, _ = _run(self.args(wh, DAY), self.home)
            finally:
                holder.stdin.close()
                holder.wait(timeout=60)
            if mode == "hold" and name == "store.duckdb":  # refused, naming the holder
                return ready and code == 1 and f"pid {holder.pid}" in err, f"run exit {code} while held"
            return ready and code == 0, f"run exit {code}"
        return inject

    def missing_store(self):
        def inject(wh: Path):
            (wh / "store.duckdb").unlink()
            code, err, _ = _run(self.args(wh, DAY), self.home)
            rec = _cli(["recover", "--warehouse", str(wh)], self.home)
            return code == 1 and "scout recover" in err and rec.returncode == 0, \
                f"run exit {code}, recover exit {rec.returncode}"
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


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scout_pipeline.cli", *args], capture_output=True, text=True,
                          cwd=inv.ROOT, env={**os.environ, "DAGSTER_HOME": str(home)})


def campaign(matrix: Matrix, trials: int, seed: int) -> list[dict]:
    """Randomized kills across run, backfill and recover: each trial copies the baseline,
    starts one of them, SIGKILLs it at a random named step or a random moment, then runs
    `scout recover` and `scout recover --rebuild` and compares with what the store held."""
    rng = random.Random(seed)
    ops = {
        "run": lambda wh: matrix.args(wh, DAY),
        "backfill": lambda wh: ["backfill", "--source", str(matrix.snap), "--start", "2026-11-10", "--end", DAY,
                                "--warehouse", str(wh)],
        "recover": lambda wh: ["recover", "--rebuild", "--warehouse", str(wh)],
    }
    durations = {}
    for op, make in ops.items():  # how long each takes undisturbed, for the random moments
        wh = matrix.work / f"time-{op}"
        shutil.copytree(matrix.work / "base", wh, symlinks=True)
        durations[op] = _run(make(wh), matrix.home)[2]
        shutil.rmtree(wh, ignore_errors=True)
    rows = []
    for n in range(trials):
        op = rng.choice(list(ops))
        wh = matrix.work / f"trial-{n}"
        shutil.copytree(matrix.work / "base", wh, symlinks=True)
        before = inv.state(wh)
        if rng.random() < 0.5:
            point = rng.choice(CAMPAIGN_POINTS[op])
            proc = inv.scout_process(ops[op](wh), matrix.home, faults=f"{point}=kill")
            proc.communicate(timeout=900)
            how = f"at {point}"
        else:
            seconds = rng.uniform(0.5, durations[op])
            proc = inv.scout_process(ops[op](wh), matrix.home)
            try:
                proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
            proc.communicate()
            how = f"after {seconds:.1f}s"
        hit = proc.returncode == -signal.SIGKILL
        published_before = inv.digest(wh / "scout.duckdb") == before.published
        plain = _cli(["recover", "--warehouse", str(wh)], matrix.home)
        rebuild = _cli(["recover", "--rebuild", "--warehouse", str(wh)], matrix.home)
        after = inv.state(wh)
        broken = list(after.damaged)
        broken += [] if plain.returncode == 0 else [f"recover exit {plain.returncode}: {plain.stderr[-300:]}"]
        broken += [] if rebuild.returncode == 0 else [f"recover --rebuild exit {rebuild.returncode}: "
                                                      f"{(rebuild.stdout + rebuild.stderr)[-300:]}"]
        journal = inv.check_journal(wh)
        lost = _lost(before, after)
        broken += journal + ([f"{lost} raw rows lost"] if lost else [])
        rows.append({"op": op, "how": how, "hit": hit, "rows_lost": lost, "journal_ok": not journal,
                     "published_unchanged": published_before, "broken": broken})
        print(f"  trial {n:>3} {op:<8} {how:<40} killed={hit!s:<5} lost={lost} "
              + ("ok" if not broken else "BROKEN: " + "; ".join(broken)), flush=True)
        shutil.rmtree(wh, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    if (argv if argv is not None else sys.argv[1:])[:1] == ["hostile"]:  # hostile inputs: reliability/hostile.py
        from reliability import hostile
        return hostile.main((argv if argv is not None else sys.argv[1:])[1:])
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs per fault point (default 3)")
    parser.add_argument("--random", type=int, default=10, help="kills at random times (default 10)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--campaign", type=int, default=0,
                        help="run only the randomized kill campaign with this many trials (not in the default suite)")
    parser.add_argument("--out", type=Path, help="write results.json here")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only the cases whose label contains TEXT (repeatable)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="scout-reliability-"))
    started = time.perf_counter()
    try:
        matrix = Matrix(work)
        matrix.only = args.only
        clean_s = matrix.setup()
        print(f"baseline published for {BEFORE}; a clean run of {DAY} takes {clean_s:.1f}s", flush=True)
        if args.campaign:
            trials = campaign(matrix, args.campaign, args.seed)
            print(f"\ncampaign: {len(trials)} trials, {sum(t['hit'] for t in trials)} killed, "
                  f"{sum(t['rows_lost'] for t in trials)} raw rows lost, "
                  f"{sum(t['journal_ok'] for t in trials)} with the journal invariants kept, "
                  f"{sum(bool(t['broken']) for t in trials)} broken, {time.perf_counter() - started:.0f}s")
            for op in ("run", "backfill", "recover"):
                mine = [t for t in trials if t["op"] == op]
                print(f"| {op} | {len(mine)} | {sum(t['hit'] for t in mine)} | {sum(t['rows_lost'] for t in mine)} | "
                      f"{sum(t['journal_ok'] for t in mine)} | {sum(bool(t['broken']) for t in mine)} |")
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / "campaign.json").write_text(json.dumps(trials, indent=1, default=str))
            return 1 if any(t["broken"] for t in trials) else 0
        for _ in range(args.repeats):
            for phase, point in KILL_POINTS:
                matrix.case(f"SIGKILL at {point}", phase, matrix.kill_at(point))
            matrix.case("exception at publish.after_swap", "publish", matrix.kill_at("publish.after_swap", "raise"))
            matrix.case("exception at transform.after_model:daily_brief", "transform",
                        matrix.kill_at("transform.after_model:daily_brief", "raise"))
            matrix.case("exception at publish.writing:cooling_breakouts", "publish",
                        matrix.kill_at("publish.writing:cooling_breakouts", "raise"))
        for name in ("store.duckdb", "scout.duckdb"):
            for mode in ("kill", "hold"):
                matrix.case(f"read-write session on {name} ({'killed, WAL left' if mode == 'kill' else 'open'})",
                            "session", matrix.stray_wal(name, mode))
        matrix.case("store.duckdb deleted, journal kept", "store", matrix.missing_store())
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
        s = summary.setdefault(r["fault"], {"cases": 0, "injected": 0, "previous": 0, "new": 0, "lost": 0, "broken": 0,
                                            "journal": 0})
        s["journal"] += r["journal_ok"]
        s["cases"] += 1
        s["injected"] += r["injected"]
        s[r["published_after_fault"]] += 1
        s["lost"] += r["rows_lost"]
        s["broken"] += bool(r["broken"])
    print("\n| fault | cases | injected | published after: previous / new | raw rows lost | journal invariants kept | broken promises |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for fault, s in summary.items():
        print(f"| {fault} | {s['cases']} | {s['injected']} | {s['previous']} / {s['new']} | {s['lost']} | "
              f"{s['journal']} / {s['cases']} | {s['broken']} |")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(
            {"when": dt.datetime.now().isoformat(timespec="seconds"), "rows": rows}, indent=1, default=str))
    return 1 if any(r["broken"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
