"""What a published build is: `meta.run_info`, the same whatever launched the run (CLI,
UI, schedule). No Dagster here: the publish asset passes in what the run knows.

The data's label follows its rows: a build whose raw rows say `source='sample'` is
synthetic, whether it was loaded by `--source sample` or replayed from a snapshot directory
of sample data. The command-line argument is recorded beside it, never instead of it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import lru_cache
from pathlib import Path

import duckdb

from scout_pipeline import __version__, params
from scout_pipeline.sql_files import sql_root

SYNTHETIC_LABEL = "sample"  # the raw `source` value of the offline synthetic source
PACKAGE = Path(__file__).resolve().parent


def row_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The distinct `source` labels of the build's raw rows."""
    sql = (sql_root() / "meta" / "row_sources.sql").read_text()
    return [r[0] for r in con.execute(sql).fetchall()]


def source_kind(spec: str) -> str:
    """`sample`, `live`, or `snapshot` (a directory): what the command line asked for."""
    return spec if spec in ("sample", "live") else "snapshot"


@lru_cache(maxsize=1)
def code_version() -> dict[str, str]:
    """The package version, a digest of the code and SQL that built the data (works in an
    installed wheel too), and the git commit when run from a checkout."""
    digest = hashlib.sha256()
    files = sorted([*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.sql"), *sql_root().rglob("*.sql")])
    for path in files:
        base = PACKAGE.parent if path.is_relative_to(PACKAGE.parent) else sql_root().parent
        digest.update(path.relative_to(base).as_posix().encode())  # not where it is installed
        digest.update(path.read_bytes())
    out = {"code_version": __version__, "code_digest": digest.hexdigest()[:16]}
    try:
        commit = subprocess.run(["git", "-C", str(PACKAGE), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=5)
        if commit.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(PACKAGE.parent), "status", "--porcelain", "--",
                                    "scout_pipeline", "sql"],
                                   capture_output=True, text=True, timeout=5).stdout.strip()
            out["code_commit"] = commit.stdout.strip() + ("-modified" if dirty else "")
    except (OSError, subprocess.SubprocessError):  # no git: the digest still identifies the code
        pass
    return out


def run_info(*, spec: str, labels: list[str], as_of: str, overrides: dict, history_start: str = "",
             launched_by: str = "", published_at: str = "") -> dict[str, str]:
    """meta.run_info's rows (key -> text) for a build of `spec` whose raw rows carry `labels`."""
    synthetic = SYNTHETIC_LABEL in labels
    info = {
        "as_of": as_of,
        # what the data is: `sample` for synthetic rows, else what was asked for (never a path)
        "source": SYNTHETIC_LABEL if synthetic else source_kind(spec),
        "synthetic": "true" if synthetic else "false",
        "row_sources": ",".join(labels),
        "params": json.dumps({k: overrides[k] for k in sorted(overrides)}),
        "params_resolved": json.dumps(params.resolve(overrides), sort_keys=True),
        **code_version(),
    }
    if source_kind(spec) == "snapshot":
        info["snapshot"] = spec
    if history_start:
        info["history_start"] = history_start
    if launched_by:
        info["launched_by"] = launched_by
    if published_at:
        info["published_at"] = published_at
    return info


def is_synthetic(info: dict[str, str]) -> bool:
    """From a build's run_info: builds before `synthetic` was recorded had source='sample'."""
    return info.get("synthetic", "").lower() == "true" or info.get("source") == SYNTHETIC_LABEL


LAUNCHED_BY_TAG = "scout/launched_by"
AS_OF_TAG = "scout/as_of"


def launched_by(tags: dict) -> str:
    """cli, schedule, sensor, backfill or ui, from a run's tags."""
    if tags.get(LAUNCHED_BY_TAG):
        return tags[LAUNCHED_BY_TAG]
    for tag, name in (("dagster/schedule_name", "schedule"), ("dagster/sensor_name", "sensor"),
                      ("dagster/backfill", "backfill")):
        if tags.get(tag):
            return f"{name} {tags[tag]}"
    return "ui"


def run_tags(spec: str, as_of: str, overrides: dict) -> dict[str, str]:
    """The tags every run carries, whatever launched it (`scout run` sets them up front; a
    UI or schedule run gets them when its resource starts)."""
    return {"scout/source": spec, AS_OF_TAG: as_of,
            "scout/params": json.dumps({k: overrides[k] for k in sorted(overrides)})}
