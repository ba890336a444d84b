"""What the live source needs to know of the store to fetch only what a day adds.

`read_state(path)` reads it once, before the run changes anything (from `store.duckdb`, which
no step of the run writes): per ticker its first and last stored Yahoo bar and the last few
stored bars (the overlap a restatement shows up in), and per equity the latest stored
quoteSummary profile (slow fundamentals, refreshed on a rotation). No Dagster here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from scout_pipeline.sources.yahoo import REFETCH_SESSIONS
from scout_pipeline.sql_files import sql_root

OVERLAP_SESSIONS = REFETCH_SESSIONS + 1  # the last stored bar and the sessions re-fetched before it


@dataclass
class StoredState:
    """The store as the live source sees it. Empty frames = a first load."""

    windows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["ticker", "first_date", "last_date", "bars"]))
    overlap: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["ticker", "date", "close", "adj_close"]))
    profiles: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["ticker", "profile_as_of"]))

    @property
    def empty(self) -> bool:
        return self.windows.empty

    def last_dates(self) -> dict[str, pd.Timestamp]:
        return dict(zip(self.windows["ticker"], pd.to_datetime(self.windows["last_date"])))

    def first_dates(self) -> dict[str, pd.Timestamp]:
        return dict(zip(self.windows["ticker"], pd.to_datetime(self.windows["first_date"])))


def _query(con, name: str, params: dict) -> pd.DataFrame:
    sql = (sql_root() / "live" / f"{name}.sql").read_text()
    return con.execute(sql, params).df()


def read_state_con(con, source: str = "yahoo", overlap_sessions: int = OVERLAP_SESSIONS) -> StoredState:
    """The state from an open DuckDB connection whose database has the raw schema."""
    has_tables = {t for (t,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()}
    if "prices" not in has_tables:
        return StoredState()
    windows = _query(con, "price_windows", {"source": source})
    overlap = _query(con, "price_overlap", {"source": source, "sessions": overlap_sessions})
    profiles = StoredState().profiles
    cols = {c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = 'fundamentals'"
    ).fetchall()}
    if "profile_as_of" in cols:  # a store from before the column existed has no profiles yet
        profiles = _query(con, "fundamentals_profiles", {"source": source})
    for frame, col in ((windows, "first_date"), (windows, "last_date"), (overlap, "date"),
                       (profiles, "profile_as_of")):
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col])
    return StoredState(windows=windows, overlap=overlap, profiles=profiles)


def read_state(path: str | Path, source: str = "yahoo") -> StoredState:
    """The state of the store file at `path` (read-only); a missing file is a first load."""
    import duckdb

    path = Path(path)
    if not path.exists():
        return StoredState()
    con = duckdb.connect(str(path), read_only=True)
    try:
        return read_state_con(con, source)
    finally:
        con.close()
