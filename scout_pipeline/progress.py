"""`scout run` progress: one line per step as it completes (asset, rows, seconds), read from
the run's own event log while the run executes in the same process."""

from __future__ import annotations

import threading
from typing import Callable

POLL_SECONDS = 0.5


def _rows(metadata: dict) -> str:
    for key in ("dagster/row_count", "rows_written"):
        if key in metadata:
            return f"{int(metadata[key].value):,} rows"
    if "tables" in metadata:  # publish: rows per published table
        tables = metadata["tables"].value
        return f"{len(tables)} tables, {sum(tables.values()):,} rows"
    if "charts" in metadata:
        return f"{len(metadata['charts'].value.records)} charts"
    if "dagster/table_name" in metadata:  # a staging view: nothing stored to count
        return "view"
    return ""


def step_line(step: str, assets: list[str], rows: str, seconds: float, failed: bool = False) -> str:
    name = ", ".join(assets) or step
    status = "FAILED " if failed else ""
    return f"  {status}{name:<48} {rows:>22} {seconds:6.1f}s"


class Progress:
    """Prints a line per finished step of `run_id` while it runs; `stop()` prints the rest."""

    def __init__(self, instance, run_id: str, say: Callable[[str], None]):
        self.instance, self.run_id, self.say = instance, run_id, say
        self._cursor = None
        self._materialized: dict[str, list] = {}  # step key -> [(asset, metadata)]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scout-progress", daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.poll()  # whatever finished since the last poll

    def _loop(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # progress is a courtesy: never fail the run over it
                return

    def poll(self) -> None:
        from dagster import DagsterEventType

        wanted = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION,
                  DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
        with self._lock:
            while True:
                conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, of_type=wanted, limit=200)
                for record in conn.records:
                    self._handle(record.event_log_entry)
                self._cursor = conn.cursor
                if not conn.has_more:
                    return

    def _handle(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        step = event.step_key or ""
        if event.is_step_materialization:
            mat = event.event_specific_data.materialization
            # one line per step: its asset, from the last event's metadata
            self._materialized.setdefault(step, {})[mat.asset_key.to_user_string()] = _rows(mat.metadata)
            return
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            check = event.event_specific_data
            verdict = "passed" if check.passed else f"FAILED ({check.severity.value.lower()})"
            self._materialized.setdefault(step, {})[f"{check.asset_key.to_user_string()}:{check.check_name}"] = verdict
            return
        done = self._materialized.pop(step, {})
        name, rows = summarize(step, done)
        seconds = (event.event_specific_data.duration_ms or 0) / 1000 if event.is_step_success else 0.0
        self.say(step_line(step, [name] if name else [], rows, seconds, failed=event.is_step_failure))


def summarize(step: str, done: dict[str, str]) -> tuple[str, str]:
    """A step's one line: what it materialized or checked, and what came of it.

    A mart's step builds the mart and runs its suite ("12,565 rows, passed"); the staging
    step materializes every view ("staging/*", "8 views"); the raw gate runs seven suites
    ("raw/*: 7 suites", "passed" or the ones that failed)."""
    assets = {k: v for k, v in done.items() if ":" not in k}
    checks = {k.split(":", 1)[1]: v for k, v in done.items() if ":" in k}
    failed = [f"{name} {verdict}" for name, verdict in checks.items() if verdict != "passed"]
    verdict = "; ".join(failed) if failed else ("passed" if checks else "")
    if len(assets) == 1:
        (name, rows), = assets.items()
        return name, ", ".join(x for x in (rows, verdict) if x)
    if assets:
        prefix = {a.split("/")[0] for a in assets}
        what = set(assets.values())
        label = f"{len(assets)} views" if what == {"view"} else f"{len(assets)} assets"
        name = f"{prefix.pop()}/*" if len(prefix) == 1 else ", ".join(assets)
        return name, ", ".join(x for x in (label, verdict) if x)
    if len(checks) == 1:
        return next(iter(done)), verdict
    if checks:
        prefix = {k.split("/")[0] for k in done}
        return f"{prefix.pop() if len(prefix) == 1 else step}/*: {len(checks)} suites", verdict
    return step, ""
