"""Shared fixtures: an in-memory DuckDB with the raw schema, and a frame loader."""

import datetime as dt
import os

import duckdb
import pandas as pd
import pytest

from scout_pipeline import params as params_mod
from scout_pipeline import store

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def dagster_home(path) -> "os.PathLike":
    """A Dagster instance directory for a test (telemetry off)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """tmp_path, with DAGSTER_HOME set to a fresh instance inside it."""
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home(tmp_path / "dagster_home")))
    return tmp_path


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(store.SCHEMA_SQL.read_text())
    yield connection
    connection.close()


def load(con, dataset: str, rows: list[dict] | pd.DataFrame, source: str = "test") -> None:
    frame = pd.DataFrame(rows)
    if "source" not in frame.columns:
        frame["source"] = source
    store.upsert(con, dataset, frame, dt.datetime(2026, 1, 1))


def run_params(as_of, **overrides) -> dict:
    return {**params_mod.resolve(overrides), "as_of": pd.Timestamp(as_of).date()}
