"""What `scout run` prints: a short summary on success, the failed checks on failure."""

from __future__ import annotations

from pathlib import Path

import duckdb

from scout_pipeline.store import PUBLISHED

SHOWN_MAX = 120  # characters of one data value in the terminal


def shown(value, limit: int | None = SHOWN_MAX) -> str:
    """Data for the terminal: control and invisible characters (escape sequences, NUL,
    bidi overrides, zero-width) written as escapes, so a value cannot restyle or reorder the
    output; clipped to `limit`."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))
    return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."


def _notes(result) -> list[str]:
    notes: list[str] = []
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if "notes" in meta:
            text = str(meta["notes"].value)
            # whole notes: escaped, never cut (a note cut mid-word reads as a different fact)
            notes.extend(shown(line.lstrip("- ").strip(), limit=None) for line in text.splitlines() if line.strip())
    return list(dict.fromkeys(notes))


def _check_failures(ev) -> list[dict]:
    meta = ev.metadata.get("failures")
    value = getattr(meta, "value", None) if meta is not None else None
    return value if isinstance(value, list) else []


def _check_lines(ev, samples: bool) -> list[str]:
    """The failed expectations of a check evaluation: name, severity, count, what it requires,
    and (for blocking failures) a few sample rows; then where the rows were kept."""
    lines = []
    failures = _check_failures(ev)
    if not failures:  # a check that did not come from the quality package
        return [f"  {ev.description}"] if ev.description else []
    for f in failures:
        checked = f" of {f['checked']}" if f.get("checked") else ""
        note = f"; {f['note']}" if f.get("note") else ""
        lines.append(f"  {f['expectation']} [{f['severity']}]: {f['unexpected_count']}{checked} rows "
                     f"unexpected — {f['doc']}{note}")
        if samples:
            lines.extend("      " + ", ".join(f"{k}={shown(v)}" for k, v in row.items()) for row in f.get("samples", []))
    path = ev.metadata.get("quarantine")
    if path is not None:
        lines.append(f"  rows kept in {path.value}")
    return lines


def _warnings(result) -> list[str]:
    out = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed and ev.severity.value != "ERROR":
            # with sample rows: a warning about a name (a halted equity) names it
            out.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}: WARN\n"
                       + "\n".join(_check_lines(ev, samples=True)))
    return out


def headline_streak(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        """SELECT label, date, streak_days, streak_start, prior_comparable_end, prior_comparable_days,
                  history_start
           FROM marts.relative_strength_streaks
           WHERE streak_days IS NOT NULL  -- no streak before a pair's first decided session
           ORDER BY pair_id = 'smallcap_vs_largecap' DESC, date DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    label, date, days, start, prior_end, prior_days, history_start = row
    side = "ahead" if days > 0 else "behind"
    # a record is bounded by the history loaded: name where it starts
    since = (f"longest since the {abs(prior_days)}-session streak ending {prior_end}" if prior_end
             else f"longest in the data, which starts {history_start}")
    sessions = "session" if abs(days) == 1 else "sessions"
    return f"{label}: lead {side} {abs(days)} {sessions} running (since {start}) as of {date}; {since}"


def brief_headline(con: duckdb.DuckDBPyConnection) -> str | None:
    """The brief's own rotation headline (marts.daily_brief), worded as the brief words it;
    the streak sentence when the build has no brief mart."""
    try:
        row = con.execute("SELECT headline FROM marts.daily_brief WHERE section = 'rotation' "
                          "ORDER BY as_of DESC LIMIT 1").fetchone()
    except duckdb.CatalogException:
        row = None
    return row[0] if row and row[0] else headline_streak(con)


def success_summary(result, warehouse: Path, elapsed: float) -> str:
    lines = [f"Published {warehouse / PUBLISHED} in {elapsed:.1f}s"]
    from scout_pipeline.store import open_published

    con = open_published(warehouse / PUBLISHED)
    try:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name, estimated_size FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        lines.append("Tables:")
        lines.extend(f"  {name:<40} {rows:>10,} rows" for name, rows in tables)
        streak = brief_headline(con)
    finally:
        con.close()
    if streak:
        lines.append(f"Headline: {shown(streak, limit=None)}")
    lines.append(f"Parquet: {warehouse / 'parquet'}")
    # one line per brief file, however many materializations name it
    briefs = dict.fromkeys(str(event.materialization.metadata["html"].value)
                           for event in result.get_asset_materialization_events()
                           if "html" in event.materialization.metadata)
    for html in briefs:
        lines.append(f"Brief: {html}  (or `scout brief` in the terminal)")
    for warning in _warnings(result):
        lines.append(f"Warning: {warning}")
    for note in _notes(result):
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def _published_run(warehouse: Path) -> str | None:
    """The run id of the build in the published file (None when absent or unreadable)."""
    import duckdb

    from scout_pipeline.store import Warehouse

    if linked := Warehouse(warehouse).published_run():  # the link names its build's run
        return linked
    try:
        con = duckdb.connect(str(warehouse / PUBLISHED), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT value FROM meta.run_info WHERE key = 'run_id'").fetchone()
        return row[0] if row else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def failure_summary(result, warehouse: Path, elapsed: float) -> str:
    published = _published_run(warehouse) == result.run_id  # also when publish itself failed after the swap
    state = ("was published; a step after publish failed" if published  # e.g. the brief
             else "was not changed")
    lines = [f"scout run FAILED after {elapsed:.1f}s; {warehouse / PUBLISHED} {state}."]
    failed_checks = [ev for ev in result.get_asset_check_evaluations()
                     if not ev.passed and ev.severity.value == "ERROR"]
    for ev in failed_checks:
        lines.append(f"Failed check {ev.asset_key.to_user_string()}:{ev.check_name}")
        lines.extend(_check_lines(ev, samples=True))
        if ev.check_name == "prices_suite" and any("as_of_bar_present" in line or "as_of_bars_mostly_present" in line
                                                   for line in _check_lines(ev, False)):
            as_of = result.dagster_run.tags.get("scout/as_of", "the as-of session")
            lines.append(f"Hint: series without a bar for {as_of} (their last_date above): the provider may "
                         "not have published that session yet. The published build is unchanged; run "
                         "again later (the 21:30 catch-up schedule does).")
    by_message: dict[str, list[str]] = {}
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        if error and error.cls_name == "DagsterAssetCheckFailedError":
            continue  # a blocking check that failed: listed above with its details
        message = error.message.strip() if error else "unknown error"
        if error and error.cause is not None:
            message = error.cause.message.strip()
        message = "\n".join(shown(line, limit=None) for line in message.splitlines())
        by_message.setdefault(message, []).append(event.step_key)
    for message, steps in by_message.items():  # one source error fails every ingest step: say it once
        lines.append(f"Failed step{'s' if len(steps) > 1 else ''} {', '.join(steps)}: {message}")
    if not failed_checks and not by_message:  # failed before any step: resource setup (lock, parameters)
        for event in result.all_events:
            error = getattr(event.event_specific_data, "error", None) if event.is_failure else None
            while error is not None and error.cause is not None:
                error = error.cause
            if error is not None:
                lines.append(f"Run failed before its steps: {shown(error.message.strip(), limit=None)}")
    from scout_pipeline import disk

    if full := disk.full(warehouse, "\n".join(lines)):  # the cause, on one line, whatever step it hit
        lines.append(f"Disk full: {full}")
    for warning in _warnings(result):
        lines.append(f"Warning: {warning}")
    work = warehouse / "work" / f"{result.run_id}.duckdb"
    lines.append(f"Run id {result.run_id}: inspect it in `dagster dev`"
                 + (f" or in {work}" if work.exists() else ""))
    return "\n".join(lines)
