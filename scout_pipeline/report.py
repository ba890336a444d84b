"""What `scout run` prints: a short summary on success, the failed checks on failure."""

from __future__ import annotations

from pathlib import Path

import duckdb

from scout_pipeline.store import PUBLISHED


def _notes(result) -> list[str]:
    notes: list[str] = []
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if "notes" in meta:
            text = str(meta["notes"].value)
            notes.extend(line.lstrip("- ").strip() for line in text.splitlines() if line.strip())
    return list(dict.fromkeys(notes))


def _warnings(result) -> list[str]:
    out = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            out.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}: {ev.description}")
    return out


def headline_streak(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        """SELECT label, date, streak_days, streak_start, prior_comparable_end, prior_comparable_days
           FROM marts.relative_strength_streaks
           ORDER BY pair_id = 'smallcap_vs_largecap' DESC, date DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    label, date, days, start, prior_end, prior_days = row
    side = "ahead" if days > 0 else "behind"
    since = (f"longest since the {abs(prior_days)}-session streak ending {prior_end}" if prior_end
             else "longest on record")
    return f"{label}: lead {side} {abs(days)} sessions running (since {start}) as of {date}; {since}"


def success_summary(result, warehouse: Path, elapsed: float) -> str:
    lines = [f"Published {warehouse / PUBLISHED} in {elapsed:.1f}s"]
    con = duckdb.connect(str(warehouse / PUBLISHED), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name, estimated_size FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        lines.append("Tables:")
        lines.extend(f"  {name:<40} {rows:>10,} rows" for name, rows in tables)
        streak = headline_streak(con)
    finally:
        con.close()
    if streak:
        lines.append(f"Headline: {streak}")
    lines.append(f"Parquet: {warehouse / 'parquet'}")
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        if "html" in meta:
            lines.append(f"Brief: {meta['html'].value}  (or `scout brief` in the terminal)")
    for warning in _warnings(result):
        lines.append(f"Warning: {warning}")
    for note in _notes(result):
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def failure_summary(result, warehouse: Path, elapsed: float) -> str:
    lines = [f"scout run FAILED after {elapsed:.1f}s; {warehouse / PUBLISHED} was not changed."]
    failed_checks = [ev for ev in result.get_asset_check_evaluations()
                     if not ev.passed and ev.severity.value == "ERROR"]
    for ev in failed_checks:
        lines.append(f"Failed check {ev.asset_key.to_user_string()}:{ev.check_name}")
        lines.append(f"  {ev.description}")
        detail = ev.metadata.get("failed_expectations")
        if detail is not None:
            lines.extend(f"  {line}" for line in str(detail.value).splitlines())
    by_message: dict[str, list[str]] = {}
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip() if error else "unknown error"
        if error and error.cause is not None:
            message = error.cause.message.strip()
        by_message.setdefault(message, []).append(event.step_key)
    for message, steps in by_message.items():  # one source error fails every ingest step: say it once
        lines.append(f"Failed step{'s' if len(steps) > 1 else ''} {', '.join(steps)}: {message}")
    for warning in _warnings(result):
        if not any(warning.startswith(f"{ev.asset_key.to_user_string()}:{ev.check_name}") for ev in failed_checks):
            lines.append(f"Warning: {warning}")
    lines.append(f"Run id {result.run_id}: inspect it in `dagster dev` or in "
                 f"{warehouse / 'work' / (result.run_id + '.duckdb')}")
    return "\n".join(lines)
