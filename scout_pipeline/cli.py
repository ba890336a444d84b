"""`scout` — a thin command line over the same Dagster definitions the UI runs."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
import uuid
from pathlib import Path

from scout_pipeline import cli_args

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
            from scout_pipeline import safe_write

            safe_write.write_text(home / "dagster.yaml", _INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return home


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


def _one_family(args: argparse.Namespace, warehouse: Path) -> int | None:
    """Refuse a source of another family than the warehouse holds (before Dagster is even
    imported: the answer comes in well under a second); `--start-over` moves the old
    warehouse's files aside first. None to go on, else the exit code."""
    import duckdb

    from scout_pipeline import lock, source_family

    command = f"scout {args.command}"
    try:
        if getattr(args, "start_over", False):
            with lock.hold(warehouse, wait=lock.BRIEF_WAIT, command=f"{command} --start-over"):
                moved = source_family.start_over(warehouse)
            if moved is not None:
                print(f"{command}: --start-over: the previous warehouse's files are in {moved}", flush=True)
            return None
        source_family.check(warehouse, args.source)
    except source_family.SourceMismatch as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except lock.BusyError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except duckdb.Error:  # a damaged or busy store: the run names it with its fix
        return None
    return None


def _unusable_warehouse(command: str, warehouse: Path) -> int | None:
    """Exit 2 with one line when --warehouse cannot hold a warehouse (a file; a directory
    that cannot be created or written, e.g. a read-only mount); None when it can."""
    problem = None
    if warehouse.exists() and not warehouse.is_dir():
        problem = f"--warehouse {warehouse} is a file, not a directory; pass a directory (it is created if missing)"
    else:
        try:
            warehouse.mkdir(parents=True, exist_ok=True)
            probe = warehouse / f".write-probe.{os.getpid()}"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
            probe.unlink()
        except OSError as exc:
            problem = (f"warehouse {warehouse} is not writable ({exc.strerror}); a run writes its files "
                       "there: make it writable or pass another --warehouse")
    if problem is None:
        return None
    print(f"{command}: {problem}", file=sys.stderr)
    return EXIT_USAGE


def _say_repaired(command: str, held) -> None:
    if held.repaired:
        print(f"{command}: {held.repaired}", flush=True)


def _dagster_storage_failure(command: str, warehouse: Path, exc: Exception | None = None) -> int | None:
    """After Dagster raised: exit 1 with one line when a full disk or its damaged storage
    is the cause."""
    from scout_pipeline import dagster_storage, disk

    if full := disk.full(warehouse, str(exc or "")):
        print(f"{command}: {full}", file=sys.stderr)
        return EXIT_FAILED
    found = dagster_storage.damaged(warehouse)
    if not found:
        return None
    print(f"{command}: {dagster_storage.explain(found)}", file=sys.stderr)
    return EXIT_FAILED


def cmd_run(args: argparse.Namespace) -> int:
    warehouse = Path(args.warehouse).expanduser().resolve()
    try:  # arguments first, before any slow import: a mistake is answered at once
        overrides = _parse_params(args.param)
        if args.as_of:
            cli_args.day(args.as_of, "--as-of")
    except ValueError as exc:
        print(f"scout {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    unusable = _unusable_warehouse(f"scout {args.command}", warehouse)
    if unusable is not None:
        return unusable
    refused = _one_family(args, warehouse)
    if refused is not None:
        return refused
    from scout_pipeline import lock, report
    from scout_pipeline.defs.resources import resolve_as_of

    try:
        as_of = resolve_as_of(args.as_of or "", args.source)
    except ValueError as exc:
        print(f"scout run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _dagster_home(warehouse)
    print(f"scout run: source={args.source} as_of={as_of} warehouse={warehouse}", flush=True)
    if moved := _moved_as_of(args.as_of, as_of):
        print(f"scout run: {moved}", flush=True)
    started = time.perf_counter()
    try:
        with lock.hold(warehouse, wait=lock.BRIEF_WAIT, command=f"scout {args.command}") as held:
            _say_repaired("scout run", held)
            result = execute(args.source, as_of.isoformat(), warehouse, overrides,
                             history_start=getattr(args, "history_start", "") or "",
                             full_refresh=args.full_refresh, allow_older=getattr(args, "allow_older", False),
                             say=lambda line: print(line, flush=True))
    except lock.BusyError as exc:
        print(f"scout run: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as exc:
        failed = _dagster_storage_failure("scout run", warehouse, exc)
        if failed is None:
            raise
        return failed
    elapsed = time.perf_counter() - started
    if result.success:
        print(report.success_summary(result, warehouse, elapsed))
        return EXIT_OK
    print(report.failure_summary(result, warehouse, elapsed), file=sys.stderr)
    return EXIT_FAILED


def _moved_as_of(requested: str | None, as_of: dt.date) -> str:
    """What to say when --as-of is not a session and the run takes the one before it."""
    from scout_pipeline import calendar

    if not requested:
        return ""
    try:
        day = dt.date.fromisoformat(requested)
    except ValueError:
        return ""
    if day == as_of:
        return ""
    why = calendar.holiday_name(day) or ("a weekend" if day.weekday() >= 5 else "not an NYSE session")
    return f"--as-of {day} is {why} (no NYSE session): running the session before, {as_of}"


def cmd_backfill(args: argparse.Namespace) -> int:
    """One run for the whole range: the source fetches from --start once, the marts hold
    every session up to --end (they keep history per date)."""
    try:
        start, end = cli_args.day_range(args.start, args.end)
        _parse_params(args.param)
    except ValueError as exc:
        print(f"scout backfill: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from scout_pipeline import calendar

    try:
        days = calendar.sessions(start, end)
    except calendar.OutOfCalendar as exc:
        print(f"scout backfill: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not days:
        print(f"scout backfill: no NYSE session between {start} and {end}", file=sys.stderr)
        return EXIT_USAGE
    print(f"scout backfill: {len(days)} sessions {days[0]} .. {days[-1]} in one run", flush=True)
    args.as_of, args.history_start = days[-1].isoformat(), days[0].isoformat()
    return cmd_run(args)


def cmd_snapshot(args: argparse.Namespace) -> int:
    try:
        if args.as_of:
            cli_args.day(args.as_of, "--as-of")
    except ValueError as exc:
        print(f"scout snapshot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from scout_pipeline.defs.resources import resolve_as_of
    from scout_pipeline.sources import load_source
    from scout_pipeline.sources.snapshot import write_snapshot

    try:
        as_of = resolve_as_of(args.as_of or "", args.source)
        data = load_source(args.source, as_of)
    except Exception as exc:  # a source problem: say it plainly
        print(f"scout snapshot: {exc}", file=sys.stderr)
        return EXIT_FAILED
    written = write_snapshot(data, args.directory)
    print(f"scout snapshot: {data.name} as of {as_of} -> {args.directory}")
    for dataset, rows in written.items():
        print(f"  {dataset}.csv  {rows:,} rows")
    for note in data.notes:
        print(f"  note: {note}")
    return EXIT_OK


def cmd_recover(args: argparse.Namespace) -> int:
    from scout_pipeline import lock, recovery
    from scout_pipeline.store import StoreBusy, StoreError, Warehouse

    root = Path(args.warehouse).expanduser().resolve()
    if not root.is_dir():
        print(f"scout recover: no warehouse directory at {root}", file=sys.stderr)
        return EXIT_USAGE
    unusable = _unusable_warehouse("scout recover", root)
    if unusable is not None:
        return unusable
    wh = Warehouse(root)
    try:
        with lock.hold(wh.root, wait=lock.BRIEF_WAIT, command="scout recover") as held:
            _say_repaired("scout recover", held)
            outcome = recovery.recover(wh, rebuild=args.rebuild, say=lambda line: print(f"scout recover: {line}", flush=True))
    except (lock.BusyError, StoreBusy) as exc:  # a holder is not damage: name it and stop
        print(f"scout recover: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except StoreError as exc:
        print(f"scout recover: {exc}", file=sys.stderr)
        return EXIT_FAILED
    from scout_pipeline import dagster_storage

    if found := dagster_storage.damaged(root):
        print(f"scout recover: {dagster_storage.explain(found)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if outcome.ok else EXIT_FAILED


def brief_session(as_of: str) -> tuple[str, str | None]:
    """The session whose brief `--as-of DAY` means: the one `scout run --as-of DAY` builds
    (DAY, or the session before it), and a sentence saying so when it moved."""
    from scout_pipeline import calendar
    from scout_pipeline.defs.resources import resolve_as_of

    day = resolve_as_of(as_of, "sample")  # a given day moves the same way for every source
    if day.isoformat() == as_of:
        return as_of, None
    why = calendar.holiday_name(as_of) or dt.date.fromisoformat(as_of).strftime("%A")
    return day.isoformat(), (f"{as_of} is not a trading session ({why}); `scout run --as-of {as_of}` "
                             f"builds {day}, so this is the brief for {day}")


def cmd_brief(args: argparse.Namespace) -> int:
    try:
        if args.as_of:
            args.as_of = cli_args.day(args.as_of, "--as-of").isoformat()
    except ValueError as exc:
        print(f"scout brief: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from scout_pipeline import brief

    warehouse = Path(args.warehouse).expanduser().resolve()
    if args.as_of:
        try:
            args.as_of, moved = brief_session(args.as_of)
        except ValueError as exc:
            print(f"scout brief: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if moved:
            print(f"scout brief: {moved}", file=sys.stderr)
        saved = warehouse / "briefs" / args.as_of / "brief.md"
        if saved.exists():
            print(saved.read_text())
            return EXIT_OK
        import duckdb

        published = warehouse / "scout.duckdb"
        current = None
        if published.exists():
            from scout_pipeline.store import open_published

            try:
                con = open_published(published)
                current = brief.run_info(con).get("as_of")
                con.close()
            except duckdb.Error as exc:
                print(f"scout brief: {_damaged_published(published, exc)}", file=sys.stderr)
                return EXIT_FAILED
        if current != args.as_of:
            print(f"scout brief: no brief for {args.as_of} in {warehouse / 'briefs'}; "
                  f"run `scout run --as-of {args.as_of}` first", file=sys.stderr)
            return EXIT_FAILED
    import duckdb

    from scout_pipeline import walguard

    try:
        result = brief.render(warehouse)
    except brief.BriefError as exc:
        print(f"scout brief: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except duckdb.Error as exc:
        if (pid := walguard.lock_pid(exc)) is not None:  # held read-write by another process: name it
            held = Path(str(exc).split('"')[1]) if '"' in str(exc) else warehouse / "store.duckdb"
            print(f"scout brief: {walguard.busy_message(held, pid)}", file=sys.stderr)
            return EXIT_BUSY
        print(f"scout brief: {_damaged_published(warehouse / 'scout.duckdb', exc)}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # briefs/ not writable, disk full
        print(f"scout brief: cannot write the brief: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return EXIT_FAILED
    print(result.markdown)
    print(f"\n(HTML: {result.html_path})")
    return EXIT_OK


def _damaged_published(path: Path, exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
    return (f"{path} cannot be read ({first}); it is damaged or not a DuckDB file: `scout recover` "
            "checks it, and the next successful `scout run` replaces it")


def execute(source: str, as_of: str, warehouse: Path, params: dict | None = None, tags: dict | None = None,
            history_start: str = "", full_refresh: bool = False, allow_older: bool = False, say=None):
    """Run the daily job in this process against the persistent instance; returns the result.

    The run builds the `as_of` session, or, with `history_start`, history_start..as_of in one
    run (a backfill); both are the scout resource's config, as a UI launch sets them."""
    import dagster as dg

    from scout_pipeline.definitions import DAILY_JOB, defs

    run_config = {
        "resources": {"scout": {"config": {
            "warehouse_dir": str(warehouse), "source": source, "as_of": as_of, "params": params or {},
            "history_start": history_start, "full_refresh": full_refresh, "allow_older": allow_older,
        }}},
        "loggers": {"console": {"config": {"log_level": os.environ.get("SCOUT_LOG_LEVEL", "CRITICAL")}}},
    }
    from scout_pipeline import provenance

    run_tags = {**provenance.run_tags(source, as_of, params or {}), provenance.LAUNCHED_BY_TAG: "cli",
                **(tags or {})}
    job = defs.resolve_job_def(DAILY_JOB)
    instance, run_id = dg.DagsterInstance.get(), str(uuid.uuid4())
    with contextlib.ExitStack() as stack:
        if say is not None:  # a line per step as it completes, read from the run's event log
            from scout_pipeline.progress import Progress

            stack.enter_context(Progress(instance, run_id, say))
        return job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            tags=run_tags,
            run_id=run_id,
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scout", description="Trend Scout pipeline",
        epilog="Exit codes: 0 ok; 1 a step or blocking check failed; 2 bad arguments (checked at once, "
               "before Dagster loads: a malformed, pre-2000 or future --as-of, --start after --end, an "
               "unknown --param) or a source of another family; 3 another run holds the warehouse. "
               "A run prints one line per step as it completes (asset, rows, seconds); meta.run_info "
               "records the source (sample whenever the rows are synthetic), --param overrides, code "
               "version and as-of.")
    sub = parser.add_subparsers(dest="command", required=True)
    def common(p, as_of=True):
        p.add_argument("--source", default=os.environ.get("SCOUT_SOURCE", "sample"),
                       help="sample (default, offline synthetic), live, or a snapshot directory")
        if as_of:
            p.add_argument("--as-of", help="trading day YYYY-MM-DD, not in the future (default: last completed NYSE session)")
        p.add_argument("--warehouse", default=os.environ.get("SCOUT_WAREHOUSE", "warehouse"),
                       help="warehouse directory (default: ./warehouse)")
        p.add_argument("--start-over", action="store_true",
                       help="move the warehouse's files aside to previous/<time>/ first (to change the source family)")
        p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="override a named threshold (see docs/marts.md); recorded in meta.run_info")
        p.add_argument("--full-refresh", action="store_true",
                       help="rebuild the incremental marts (streaks, breadth, valuation gap) from all history "
                            "instead of from the first session the run adds or changes (done anyway "
                            "after a changed parameter or restated history; see README)")
        p.add_argument("--allow-older", action="store_true",
                       help="publish a day older than the published build's, replacing it (refused without this)")

    run = sub.add_parser("run", help="run the whole graph for one trading day")
    common(run)
    run.set_defaults(func=cmd_run)
    backfill = sub.add_parser("backfill", help="fill a range of sessions in one run")
    common(backfill, as_of=False)
    backfill.add_argument("--start", required=True, help="first day YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last day YYYY-MM-DD")
    backfill.set_defaults(func=cmd_backfill)
    brief_cmd = sub.add_parser("brief", help="print the daily brief of the published warehouse")
    brief_cmd.add_argument("--as-of", help="a day whose brief was written before (default: the published day)")
    brief_cmd.add_argument("--warehouse", default=os.environ.get("SCOUT_WAREHOUSE", "warehouse"))
    brief_cmd.set_defaults(func=cmd_brief)
    rec = sub.add_parser("recover", help="check the warehouse files; rebuild a damaged store from the journal")
    rec.add_argument("--warehouse", default=os.environ.get("SCOUT_WAREHOUSE", "warehouse"))
    rec.add_argument("--rebuild", action="store_true", help="rebuild the store from the journal even if it reads fine")
    rec.set_defaults(func=cmd_recover)
    snap = sub.add_parser("snapshot", help="write a source's data as a snapshot directory")
    snap.add_argument("directory", help="directory to write (created if missing)")
    snap.add_argument("--source", default="sample", help="sample (default), live, or a snapshot directory")
    snap.add_argument("--as-of", help="trading day YYYY-MM-DD (default: last completed NYSE session)")
    snap.set_defaults(func=cmd_snapshot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`scout brief | head`): not an error of ours. Point stdout at
        # devnull so the interpreter's final flush does not raise again (Python docs, SIGPIPE).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
