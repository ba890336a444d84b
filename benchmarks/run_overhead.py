"""The fixed cost of a sample `scout run` (``python -m benchmarks.run_overhead``).

What is measured, each in a fresh Python process, `--repeats` times (default 3), medians:

- **total**: `scout run --source sample` on a fresh warehouse, the whole process: user + sys
  CPU seconds of the child (``resource.getrusage(RUSAGE_CHILDREN)`` before and after waiting
  for it; nothing else runs meanwhile). Its Dagster instance is one that already exists (as a
  user's does after the first run); creating one is reported apart (``instance_create_cpu_s``),
  not in the share.

- **fixed**, what a run pays whatever its data — "orchestration, GX and imports":
  - *imports*: the interpreter's start, `scout_pipeline.cli`, `scout_pipeline.definitions`
    (Dagster and the whole graph: resources, SQL headers parsed into assets, pandas, DuckDB),
    `great_expectations` with its expectations, and the brief's chart library when the brief
    uses one (matplotlib); each the CPU its import adds (``time.process_time`` around it) in
    one process, in the order a run imports them. GX and matplotlib count only when the
    measured run loaded them (it reports its ``sys.modules``): a clean run never imports GX,
    whose validation is for the rows the SQL screen failed (quality/runner.py);
  - *orchestration*: a **no-op job of the same shape** — the real Definitions rebuilt with
    the same asset keys, dependencies, multi-assets, check specs and blocking flags, and the
    same step count, but bodies that only yield their materializations and passing check
    results — run with ``execute_in_process`` on the same kind of instance (CPU of the
    execution alone; its imports are the imports above). This is what Dagster costs per run:
    run creation, planned events, per-step events and their storage. A lower bound: the real
    steps' events carry more metadata, and opening the run's DuckDB file in each step is
    counted as work, not orchestration;
  - *GX overhead* (when the run loaded GX): creating the GX data context, plus, for every suite batch the real gate
    validates, the same expectations validated on that batch's first row only (what a batch
    costs GX regardless of its rows). Measured by running the real suites on the build the
    first total run published, with ``gx_engine.validate`` wrapped.

- **share** = fixed / total. The rest of the run is the work: the sample source, DuckDB
  writes and SQL, the suites' row-dependent validation, publishing, drawing the brief.

Prints one JSON object: ``share``, ``total_cpu_s``, ``fixed_cpu_s``, the ``parts`` (medians),
``steps`` of the real and the no-op job, and ``target_share`` (1/3, issue 18).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SHARE = 1 / 3
INSTANCE_YAML = "telemetry:\n  enabled: false\n"
# imports a run makes only when it needs them: counted in the fixed part only if it did
OPTIONAL_IMPORTS = {"great_expectations": "great_expectations", "charts_matplotlib": "matplotlib"}
LOADED = "SCOUT_LOADED="
RUN_CODE = ("import json, sys; from scout_pipeline.cli import main; code = main(sys.argv[1:]); "
            f"print({LOADED!r} + json.dumps(sorted(m for m in {sorted(set(OPTIONAL_IMPORTS.values()))!r} "
            "if m in sys.modules))); sys.exit(code)")


# --------------------------------------------------------------------------- children

def _cpu() -> float:
    return time.process_time()


def child_imports() -> dict:
    """CPU each import adds, in a run's order; `python` is the interpreter's own start."""
    out = {"python": _cpu()}
    t = _cpu()
    import scout_pipeline.cli  # noqa: F401  (argument checks; no Dagster yet)
    out["cli"] = _cpu() - t
    t = _cpu()
    import scout_pipeline.definitions  # noqa: F401  (dagster + the graph)
    out["dagster_and_definitions"] = _cpu() - t
    t = _cpu()
    from scout_pipeline.quality import gx_engine

    gx_engine._quiet_env()
    gx_engine._import()
    out["great_expectations"] = _cpu() - t
    import scout_pipeline.brief as brief

    if "matplotlib" in Path(brief.__file__).read_text():
        t = _cpu()
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot  # noqa: F401
        out["charts_matplotlib"] = _cpu() - t
    return out


def _noop_defs():
    """The real Definitions with every compute replaced by a no-op of the same shape."""
    import dagster as dg

    from scout_pipeline.definitions import DAILY_JOB, defs

    def results(context, specs, check_specs):
        for spec in specs:
            if spec.key in context.selected_asset_keys:
                yield dg.MaterializeResult(asset_key=spec.key, metadata={"noop": True})
        for c in check_specs:
            if c.key in context.selected_asset_check_keys:
                yield dg.AssetCheckResult(asset_key=c.asset_key, check_name=c.name, passed=True)

    def noop_asset(ad):
        specs, check_specs = list(ad.specs), list(ad.check_specs)

        @dg.multi_asset(specs=specs, check_specs=check_specs, name=ad.op.name, can_subset=ad.can_subset)
        def _noop(context):
            yield from results(context, specs, check_specs)

        return _noop

    def noop_check(cd):
        check_specs = list(cd.check_specs)

        @dg.multi_asset_check(specs=check_specs, name=cd.op.name, can_subset=True)
        def _noop(context):
            yield from results(context, [], check_specs)

        return _noop

    assets = [noop_asset(ad) for ad in defs.assets or []]
    checks = [noop_check(cd) for cd in defs.asset_checks or []]
    job = dg.define_asset_job(DAILY_JOB, selection=dg.AssetSelection.all())
    return dg.Definitions(assets=assets, asset_checks=checks, jobs=[job], executor=dg.in_process_executor), DAILY_JOB


def child_noop() -> dict:
    t = _cpu()
    import dagster as dg

    import scout_pipeline.definitions  # noqa: F401
    imports = _cpu() - t
    t = _cpu()
    defs, name = _noop_defs()
    job = defs.resolve_job_def(name)
    build = _cpu() - t
    t = _cpu()
    instance = dg.DagsterInstance.get()
    # as `scout run` runs it: console log at CRITICAL (the event log still gets everything)
    result = job.execute_in_process(instance=instance, raise_on_error=True, run_config={
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    run = _cpu() - t
    steps = len(instance.get_run_step_stats(result.run_id))
    return {"imports": imports, "build": build, "orchestration": run, "steps": steps, "success": result.success}


def child_gx(warehouse: str) -> dict:
    """The real suites on a copy of a published sample warehouse, GX's fixed part apart."""
    import datetime as dt

    import duckdb

    from scout_pipeline import params, quality
    from scout_pipeline.quality import gx_engine
    from scout_pipeline.sources.contracts import RAW_TABLES
    from scout_pipeline.sql_files import load_models
    from scout_pipeline.store import Warehouse

    con = duckdb.connect(str(Path(warehouse) / "scout.duckdb"), read_only=True)
    info = dict(con.execute("SELECT key, value FROM meta.run_info").fetchall())
    con.close()
    run_id, as_of = info["run_id"], dt.date.fromisoformat(info["as_of"])
    t = _cpu()
    gx_engine._quiet_env()
    gx_engine._import()
    imports = _cpu() - t
    t = _cpu()
    gx_engine.context()
    context = _cpu() - t
    real = gx_engine.validate
    one_row: list[float] = []
    validate_cpu: list[float] = []

    def wrapped(asset_name, frame, expectations, parameters):
        t0 = _cpu()
        results = real(asset_name, frame, expectations, parameters)
        validate_cpu.append(_cpu() - t0)
        t0 = _cpu()
        real(asset_name, frame.head(1), expectations, parameters)
        one_row.append(_cpu() - t0)
        return results

    gx_engine.validate = wrapped
    wh = Warehouse.at(Path(warehouse))
    run = quality.RunContext(run_id=run_id, as_of=as_of, params={**params.resolve({}), "as_of": as_of,
                                                                 "incremental": True},
                             quarantine_dir=None)
    tables = [("raw", t) for t in RAW_TABLES] + [(m.layer, m.name) for m in load_models() if m.layer == "marts"]
    t = _cpu()
    passed = 0
    with wh.connect(run_id) as con:
        for schema, table in tables:
            passed += quality.run_suite(con, schema, table, run).passed
    suites = _cpu() - t - sum(one_row)
    return {"imports": imports, "context": context, "batches": len(one_row), "suites_total": suites,
            "gx_validate": sum(validate_cpu), "gx_per_batch_fixed": sum(one_row),
            "suites": len(tables), "suites_passed": passed}


# --------------------------------------------------------------------------- parent

def _run_child(args: list[str], env: dict, cwd: Path) -> tuple[float, str]:
    """(user+sys CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, proc.stdout


def _child(mode: str, env: dict, cwd: Path, *extra: str) -> tuple[float, dict]:
    cpu, out = _run_child(["-m", "benchmarks.run_overhead", "--child", mode, *extra], env, cwd)
    return cpu, json.loads(out.strip().splitlines()[-1])


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def measure(repeats: int = 3, as_of: str | None = None, workdir: Path | None = None) -> dict:
    work = Path(workdir or tempfile.mkdtemp(prefix="run-overhead-")).resolve()  # absolute: DAGSTER_HOME
    work.mkdir(parents=True, exist_ok=True)
    home = work / "dagster_home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(home), "GX_ANALYTICS_ENABLED": "false",
           "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("SCOUT_FAULTS", None)
    create_cpu, _ = _run_child(["-c", "import dagster as dg; dg.DagsterInstance.get().get_runs(limit=1)"], env, work)
    base_cpu, _ = _run_child(["-c", "import dagster"], env, work)

    totals, imports, noops, gxs, loaded, steps = [], [], [], [], [], None
    kept_warehouse = None
    for i in range(repeats):  # interleaved, so every part sees the same machine
        wh = work / f"wh-{i}"
        shutil.rmtree(wh, ignore_errors=True)
        run_args = ["-c", RUN_CODE, "run", "--source", "sample", "--warehouse", str(wh)] + (
            ["--as-of", as_of] if as_of else [])
        cpu, out = _run_child(run_args, env, work)
        totals.append(cpu)
        loaded.append(json.loads(out.strip().splitlines()[-1].removeprefix(LOADED)))
        if kept_warehouse is None:
            kept_warehouse = wh
            steps = _real_steps(env, work)
        imports.append(_child("imports", env, work)[1])
        noops.append(_child("noop", env, work)[1])
        gx_copy = work / "gx-wh"
        shutil.rmtree(gx_copy, ignore_errors=True)
        shutil.copytree(kept_warehouse, gx_copy, symlinks=True,
                        ignore=shutil.ignore_patterns("dagster", "work", "parquet"))
        gxs.append(_child("gx", env, work, str(gx_copy))[1])
        shutil.rmtree(gx_copy, ignore_errors=True)
        if wh != kept_warehouse:
            shutil.rmtree(wh, ignore_errors=True)

    # an import counts when the run made it: a clean run never loads GX (the SQL screen found
    # nothing for GX to report), and its context and per-batch cost are then not paid either
    used = {m for r in loaded for m in r}
    parts_imports = {k: _median([r[k] for r in imports]) for k in imports[0]
                     if k not in OPTIONAL_IMPORTS or OPTIONAL_IMPORTS[k] in used}
    orchestration = _median([r["orchestration"] for r in noops])
    gx_used = "great_expectations" in used
    gx_context = _median([r["context"] for r in gxs]) if gx_used else 0.0
    gx_batches = _median([r["gx_per_batch_fixed"] for r in gxs]) if gx_used else 0.0
    fixed = sum(parts_imports.values()) + orchestration + gx_context + gx_batches
    total = _median(totals)
    return {
        "share": round(fixed / total, 3),
        "target_share": round(TARGET_SHARE, 3),
        "meets_target": fixed / total < TARGET_SHARE,
        "total_cpu_s": total,
        "fixed_cpu_s": round(fixed, 3),
        "parts": {
            "imports": parts_imports,
            "imports_total": round(sum(parts_imports.values()), 3),
            "orchestration_noop_job": orchestration,
            "gx_context": gx_context,
            "gx_per_batch_fixed": gx_batches,
        },
        "info": {
            "repeats": repeats,
            "total_cpu_runs_s": [round(t, 3) for t in totals],
            "steps_real_job": steps,
            "steps_noop_job": noops[0]["steps"],
            "gx_batches": gxs[0]["batches"],
            "suites": gxs[0]["suites"],
            "suites_cpu_s": _median([r["suites_total"] for r in gxs]),
            "noop_job_build_s": _median([r["build"] for r in noops]),
            "instance_create_cpu_s": round(create_cpu - base_cpu, 3),
            "modules_the_run_loaded": sorted(used),
            "imports_not_made_by_the_run": {k: _median([r[k] for r in imports])
                                            for k in OPTIONAL_IMPORTS if k not in parts_imports},
        },
    }


def _real_steps(env: dict, cwd: Path) -> int:
    code = ("import dagster as dg; i = dg.DagsterInstance.get(); r = i.get_runs(limit=1)[0]; "
            "print(len(i.get_run_step_stats(r.run_id)))")
    _, out = _run_child(["-c", code], env, cwd)
    return int(out.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run_overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--as-of", default=None, help="the session to run (default: scout run's)")
    parser.add_argument("--workdir", type=Path, default=None, help="kept; default a new temporary directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("child_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        children = {"imports": child_imports, "noop": child_noop, "gx": child_gx}
        out = children[args.child](*args.child_args)
        print(json.dumps(out))
        return 0
    workdir = args.workdir
    cleanup = workdir is None
    if cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="run-overhead-"))
    try:
        print(json.dumps(measure(args.repeats, args.as_of, workdir), indent=2))
    finally:
        if cleanup:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
