"""`scout` — a thin command line over the same Dagster definitions the UI runs."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3

_INSTANCE_YAML = """\
# Written by `scout` for a warehouse outside a project checkout.
telemetry:
  enabled: false
"""


def _dagster_home(warehouse: Path) -> Path:
    """DAGSTER_HOME if set; the project root when run from it (its dagster.yaml, shared with
    `dagster dev`); else an instance directory inside the warehouse."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    if Path("dagster.yaml").is_file() and Path("pyproject.toml").is_file():
        home = Path.cwd()
    else:
        home = warehouse / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text(_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return home


@contextlib.contextmanager
def warehouse_lock(warehouse: Path):
    """One run per warehouse at a time; a second one refuses with a clear message."""
    warehouse.mkdir(parents=True, exist_ok=True)
    path = warehouse / ".run.lock"
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise BusyError(f"warehouse {warehouse} is in use by a running `scout run` ({holder}); "
                        "wait for it to finish or pass another --warehouse") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


class BusyError(RuntimeError):
    pass


def _parse_params(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--param {item!r}: expected NAME=VALUE")
        out[name.strip()] = value.strip()
    from scout_pipeline import params

    params.resolve(out)  # raises, naming an unknown or non-numeric parameter
    return {k: float(v) for k, v in out.items()}


def cmd_run(args: argparse.Namespace) -> int:
    from scout_pipeline import report
    from scout_pipeline.defs.resources import resolve_as_of

    warehouse = Path(args.warehouse).expanduser().resolve()
    try:
        overrides = _parse_params(args.param)
        as_of = resolve_as_of(args.as_of or "", args.source)
    except ValueError as exc:
        print(f"scout run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _dagster_home(warehouse)
    print(f"scout run: source={args.source} as_of={as_of} warehouse={warehouse}", flush=True)
    started = time.perf_counter()
    try:
        with warehouse_lock(warehouse):
            result = execute(args.source, as_of.isoformat(), warehouse, overrides)
    except BusyError as exc:
        print(f"scout run: {exc}", file=sys.stderr)
        return EXIT_BUSY
    elapsed = time.perf_counter() - started
    if result.success:
        print(report.success_summary(result, warehouse, elapsed))
        return EXIT_OK
    print(report.failure_summary(result, warehouse, elapsed), file=sys.stderr)
    return EXIT_FAILED


def execute(source: str, as_of: str, warehouse: Path, params: dict | None = None, tags: dict | None = None):
    """Run the daily job in this process against the persistent instance; returns the result."""
    import dagster as dg

    from scout_pipeline.definitions import DAILY_JOB, defs

    run_config = {
        "resources": {"scout": {"config": {
            "warehouse_dir": str(warehouse), "source": source, "as_of": as_of, "params": params or {},
        }}},
        "loggers": {"console": {"config": {"log_level": os.environ.get("SCOUT_LOG_LEVEL", "CRITICAL")}}},
    }
    job = defs.resolve_job_def(DAILY_JOB)
    return job.execute_in_process(
        run_config=run_config,
        instance=dg.DagsterInstance.get(),
        raise_on_error=False,
        tags={"scout/source": source, "scout/as_of": as_of, **(tags or {})},
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scout", description="Trend Scout pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole graph for one trading day")
    run.add_argument("--source", default="sample",
                     help="sample (default, offline synthetic), live, or a snapshot directory")
    run.add_argument("--as-of", help="trading day YYYY-MM-DD (default: last completed NYSE session)")
    run.add_argument("--warehouse", default=os.environ.get("SCOUT_WAREHOUSE", "warehouse"),
                     help="warehouse directory (default: ./warehouse)")
    run.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="override a named threshold (see docs/parameters.md)")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
