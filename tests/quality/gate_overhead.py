"""How much time the quality gate adds to a run (the figure docs/quality.md reports).

    python -m tests.quality.gate_overhead [--source sample] [--as-of 2026-01-09] [--reps 3]

Runs the daily job with and without the quality checks (the same job; without, every suite
returns at once with nothing checked — the mart suites run inside their mart's step, so
there are no check steps to leave out), alternating, each in a fresh process so the gate
side pays its great_expectations import like a real `scout run` does. For each, a first
run on an empty warehouse (the whole history is new, so the gate validates all of it) and
a rerun of the same day (it validates only the rows that run wrote). Reports the medians
of wall time and of process CPU time (CPU time is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, os, sys, tempfile, time
from pathlib import Path
home = Path(tempfile.mkdtemp()); (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
os.environ["DAGSTER_HOME"] = str(home)
t0, c0 = time.perf_counter(), time.process_time()
import dagster as dg
from scout_pipeline import definitions as D
gate, source, as_of, wh = sys.argv[1] == "gate", sys.argv[2], sys.argv[3], sys.argv[4]
defs = D.defs
if not gate:  # the suites do nothing; Dagster still records a (passing) result per check
    from scout_pipeline import quality
    from scout_pipeline.quality.outcome import CheckOutcome
    quality.run_suite = lambda con, schema, table, run: CheckOutcome(suite=table)
job = defs.resolve_job_def(D.DAILY_JOB)
cfg = {"resources": {"scout": {"config": {"warehouse_dir": wh, "source": source, "as_of": as_of, "params": {}}}},
       "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
out = {}
for label in ("first", "rerun"):
    t, c = time.perf_counter(), time.process_time()
    result = job.execute_in_process(run_config=cfg, instance=dg.DagsterInstance.get(), raise_on_error=False)
    assert result.success, label
    out[label] = [time.perf_counter() - t, time.process_time() - c]
    if gate:  # the raw suites' step (the mart suites run inside their mart's step)
        begin, end = {}, {}
        for record in dg.DagsterInstance.get().all_logs(result.run_id):
            event = record.dagster_event
            if event and event.step_key == "raw_suites":
                if event.event_type_value == "STEP_START":
                    begin[event.step_key] = record.timestamp
                elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
                    end[event.step_key] = record.timestamp
        out[label + "_check_steps"] = sum(end[k] - begin[k] for k in begin if k in end)
    if label == "first":  # the whole process, start-up and imports included
        out["process"] = [time.perf_counter() - t0, time.process_time() - c0]
print(json.dumps(out))
"""


def measure(mode: str, source: str, as_of: str) -> dict:
    with tempfile.TemporaryDirectory() as wh:
        proc = subprocess.run([sys.executable, "-c", CHILD, mode, source, as_of, wh],
                              capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="sample")
    parser.add_argument("--as-of", default="2026-01-09")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    runs: dict[str, list[dict]] = {"gate": [], "nogate": []}
    for i in range(args.reps):
        for mode in ("nogate", "gate") if i % 2 == 0 else ("gate", "nogate"):
            runs[mode].append(measure(mode, args.source, args.as_of))
    print(f"source={args.source} as_of={args.as_of} reps={args.reps} (seconds; median, and min in brackets)")
    for case in ("process", "first", "rerun"):
        for k, what in ((0, "wall"), (1, "cpu")):
            g = [r[case][k] for r in runs["gate"]]
            n = [r[case][k] for r in runs["nogate"]]
            gm, nm = statistics.median(g), statistics.median(n)
            print(f"  {case:8s} {what:4s}  without gate {nm:6.2f} [{min(n):5.2f}]  with gate {gm:6.2f} "
                  f"[{min(g):5.2f}]  gate adds {gm - nm:5.2f} = {100 * (gm - nm) / nm:4.0f}% "
                  f"[{100 * (min(g) - min(n)) / min(n):4.0f}%]")
    for case in ("first", "rerun"):
        steps = statistics.median(r[case + "_check_steps"] for r in runs["gate"])
        total = statistics.median(r[case][0] for r in runs["gate"])
        print(f"  {case:8s} raw_suites step inside the gated run: {steps:.2f}s of {total:.2f}s "
              f"= {100 * steps / (total - steps):.0f}% on top of the rest")


if __name__ == "__main__":
    main()
