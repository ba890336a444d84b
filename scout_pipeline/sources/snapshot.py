"""Snapshot directory source: one CSV or Parquet file per dataset, long format.

Only `prices` is required. A missing `universe` is derived from the price tickers (enriched
from the bundled default); missing `pairs` fall back to the bundled defaults whose series
are present. Rows dated after `as_of` are dropped (point in time).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from scout_pipeline.sources.contracts import (
    DATE_COLUMNS, LIST_COLUMNS, RAW_TABLES, TEXT_COLUMNS, SourceData, columns,
)

DATASETS = ("prices", "fundamentals", "attention", "rates", "universe", "pairs")
REQUIRED = {
    "prices": {"ticker", "date", "close"},
    "fundamentals": {"ticker", "as_of"},
    "attention": {"date", "value"},  # plus term or ticker
    "rates": {"series", "date", "value"},
    "universe": {"ticker"},
    "pairs": {"pair_id", "lead", "base"},
}
IGNORED = {"loaded_at"}  # written by `scout snapshot` from a warehouse; stamped anew on load


class SnapshotError(ValueError):
    """A snapshot file that does not meet the contract; the message names file and column."""


def find_file(directory: Path, dataset: str) -> Path | None:
    found = [directory / f"{dataset}{ext}" for ext in (".csv", ".csv.gz", ".parquet")]
    found = [p for p in found if p.exists()]
    if len(found) > 1:
        raise SnapshotError(f"{directory}: both {found[0].name} and {found[1].name} exist; keep one")
    return found[0] if found else None


def _read(path: Path) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        # Everything as text first: type errors are reported per column below.
        return pd.read_csv(path, dtype=str, keep_default_na=True)
    except Exception as exc:  # unreadable file: say which
        raise SnapshotError(f"{path}: cannot be read: {exc}") from exc


def _typed(path: Path, dataset: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if col in DATE_COLUMNS:
            parsed = pd.to_datetime(frame[col], errors="coerce", format="mixed")
            bad = frame[col].notna() & parsed.isna()
            if bad.any() or frame[col].isna().any():
                sample = frame.loc[bad | frame[col].isna(), col].head(3).tolist()
                raise SnapshotError(f"{path}: column '{col}' has values that are not dates: {sample}")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
            frame[col] = parsed.dt.normalize()
        elif col in TEXT_COLUMNS or col in LIST_COLUMNS:
            frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
        else:
            parsed = pd.to_numeric(frame[col], errors="coerce")
            bad = frame[col].notna() & parsed.isna() & ~frame[col].astype(str).str.lower().isin(["nan", ""])
            if bad.any():
                rows = (bad[bad].index[:3] + 2).tolist()  # +2: header line, 1-based
                sample = frame.loc[bad, col].head(3).tolist()
                raise SnapshotError(
                    f"{path}: column '{col}' must be numeric; found {sample} (lines {rows})")
            frame[col] = parsed.astype("float64")
    return frame


def read_dataset(directory: Path, dataset: str) -> pd.DataFrame | None:
    path = find_file(directory, dataset)
    if path is None:
        return None
    frame = _read(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    allowed = set(columns(dataset)) | IGNORED
    unknown = [c for c in frame.columns if c not in allowed]
    if unknown:
        raise SnapshotError(
            f"{path}: unknown column '{unknown[0]}' (allowed: {', '.join(columns(dataset))})")
    needed = set(REQUIRED[dataset])
    missing = sorted(needed - set(frame.columns))
    if dataset == "attention" and not ({"term", "ticker"} & set(frame.columns)):
        missing.append("term")
    if missing:
        raise SnapshotError(f"{path}: required column '{missing[0]}' is missing")
    frame = frame.drop(columns=[c for c in IGNORED if c in frame.columns])
    frame = _typed(path, dataset, frame)
    key, _ = RAW_TABLES[dataset]
    for k in key:
        if k in frame.columns and frame[k].isna().any():
            raise SnapshotError(f"{path}: key column '{k}' has empty values")
    return frame


def load_snapshot(directory: str | Path, as_of: dt.date) -> SourceData:
    from scout_pipeline.sources import defaults  # bundled universe / pairs

    directory = Path(directory)
    if not directory.is_dir():
        raise SnapshotError(f"snapshot directory {directory} does not exist")
    data = SourceData(name=f"snapshot:{directory.name}")
    label = "snapshot"
    cutoff = pd.Timestamp(as_of)
    for dataset in DATASETS:
        frame = read_dataset(directory, dataset)
        if frame is None:
            if dataset == "prices":
                raise SnapshotError(f"{directory}: prices.csv (or prices.parquet) is required")
            data.frames[dataset] = None
            continue
        if "source" not in frame.columns or frame["source"].isna().all():
            frame["source"] = label
        frame["source"] = frame["source"].fillna(label)
        for dcol in DATE_COLUMNS & set(frame.columns):
            later = frame[dcol] > cutoff
            if later.any():
                data.notes.append(f"{dataset}: ignored {int(later.sum())} rows dated after {as_of}")
                frame = frame[~later]
        if dataset == "attention":
            if "term" not in frame.columns:
                frame["term"] = frame["ticker"]
            frame["term"] = frame["term"].fillna(frame.get("ticker"))
        data.frames[dataset] = frame.reset_index(drop=True)

    tickers = sorted(data.frames["prices"]["ticker"].unique())
    if data.frames["universe"] is None:
        data.frames["universe"] = defaults.enrich_universe(tickers)
        data.notes.append(f"universe: none in snapshot; derived from the {len(tickers)} price tickers")
    if data.frames["pairs"] is None:
        pairs = defaults.default_pairs()
        have = set(tickers)
        usable = pairs["lead"].isin(have) & pairs["base"].isin(have)
        for _, row in pairs[~usable].iterrows():
            data.notes.append(f"pairs: skipped {row.pair_id} ({row.lead} vs {row.base}): series not in prices")
        data.frames["pairs"] = pairs[usable].reset_index(drop=True)
    for dataset in DATASETS:
        if data.frames[dataset] is None:
            data.notes.append(f"{dataset}: no {dataset} file; marts that need it will be empty")
    return data


def last_price_date(directory: str | Path) -> dt.date | None:
    """Latest date in a snapshot's prices, for the default as-of of a snapshot run."""
    path = find_file(Path(directory), "prices")
    if path is None:
        return None
    frame = pd.read_parquet(path, columns=["date"]) if path.suffix == ".parquet" else pd.read_csv(path, usecols=["date"])
    dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed").dropna()
    return None if dates.empty else dates.max().date()


def write_snapshot(data: SourceData, directory: str | Path) -> dict[str, int]:
    """Write a source's frames in the snapshot contract (one CSV per dataset), so a pull
    can be replayed offline with `scout run --source DIR`. Returns rows per file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for dataset in DATASETS:
        frame = data.get(dataset)
        if frame is None:
            continue
        out = frame[[c for c in columns(dataset) if c in frame.columns]].copy()
        if "segments" in out.columns:
            out["segments"] = out["segments"].map(
                lambda v: ";".join(v) if isinstance(v, (list, tuple)) or hasattr(v, "tolist") else v)
        for dcol in DATE_COLUMNS & set(out.columns):
            out[dcol] = pd.to_datetime(out[dcol]).dt.strftime("%Y-%m-%d")
        tmp = directory / f".{dataset}.csv.tmp"
        out.to_csv(tmp, index=False)
        tmp.replace(directory / f"{dataset}.csv")  # a reader never sees half a file
        written[dataset] = len(out)
    return written
