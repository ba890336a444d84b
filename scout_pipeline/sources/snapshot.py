"""Snapshot directory source: one CSV or Parquet file per dataset, long format.

Only `prices` is required. A missing `universe` is derived from the price tickers (enriched
from the bundled default); missing `pairs` fall back to the bundled defaults whose series
are present; a missing `fomc_calendar` to the bundled Fed schedule. Rows dated after `as_of`
are dropped (point in time), except the calendar's scheduled meetings.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from scout_pipeline.sources.contracts import (
    ASSET_TYPES, DATE_COLUMNS, LIST_COLUMNS, RAW_TABLES, TEXT_COLUMNS, SourceData, columns,
)

DATASETS = ("prices", "fundamentals", "attention", "rates", "universe", "pairs", "fomc_calendar")
REQUIRED = {
    "prices": {"ticker", "date", "close"},
    "fundamentals": {"ticker", "as_of"},
    "attention": {"date", "value"},  # plus term or ticker
    "rates": {"series", "date", "value"},
    "universe": {"ticker"},
    "pairs": {"pair_id", "lead", "base"},
    "fomc_calendar": {"meeting_date"},
}
# Reference data about the future (scheduled meetings): never cut at the as-of day.
NOT_POINT_IN_TIME = {"fomc_calendar"}
IGNORED = {"loaded_at"}  # written by `scout snapshot` from a warehouse; stamped anew on load
# Identifiers: joined on and shown as names, so a blank, padded or control-character value is
# a malformed file, not data. Free text (name, label, sector, ...) is stored verbatim.
IDENTIFIERS = {"ticker", "series", "pair_id", "lead", "base", "term", "source"}
# Spellings of "missing" in a numeric cell (pandas' defaults); text cells keep them.
NA_STRINGS = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
              "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Largest snapshot file read (on disk, and decompressed for .csv.gz). 2 GiB is over 3x the
# prices of the largest benchmarked universe (3,000 equities x 10 years: ~600 MB as CSV) and
# about what pandas can parse as text in 16-32 GB of memory. Override: SCOUT_SNAPSHOT_MAX_BYTES.
MAX_FILE_BYTES = 2 * 1024**3
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


class SnapshotError(ValueError):
    """A snapshot file that does not meet the contract; the message names file and column."""


def find_file(directory: Path, dataset: str) -> Path | None:
    found = [directory / f"{dataset}{ext}" for ext in (".csv", ".csv.gz", ".parquet")]
    found = [p for p in found if p.exists() or p.is_symlink()]  # a dangling link is named, not skipped
    if len(found) > 1:
        raise SnapshotError(f"{directory}: both {found[0].name} and {found[1].name} exist; keep one")
    return found[0] if found else None


def max_file_bytes() -> int:
    return int(os.environ.get("SCOUT_SNAPSHOT_MAX_BYTES") or MAX_FILE_BYTES)


class _Limited(io.RawIOBase):
    """A read-only stream that refuses to deliver more than `limit` bytes (a .csv.gz that
    inflates without end, a gzip bomb)."""

    def __init__(self, raw, path: Path, limit: int):
        self.raw, self.path, self.limit, self.seen = raw, path, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        self.seen += len(data)
        if self.seen > self.limit:
            raise SnapshotError(f"{self.path}: decompresses to more than {self.limit:,} bytes, the limit for a "
                                "snapshot file; split it, or raise SCOUT_SNAPSHOT_MAX_BYTES")
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_file(path: Path):
    """The file opened for reading, binary, after checking that it is a regular file (links
    resolved) of at most `max_file_bytes()`. A FIFO would block the run forever while it
    holds the warehouse lock, and a link to /dev/zero would grow without end: both are
    refused, naming the file. The checks are made on the opened descriptor (O_NONBLOCK: a
    FIFO does not block the open), so the file cannot be swapped between check and read."""
    limit = max_file_bytes()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot be opened: {exc.strerror}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        link = f" (a link to {os.path.realpath(path)})" if Path(path).is_symlink() else ""
        raise SnapshotError(f"{path}{link}: is {kind}, not a regular file; a snapshot file must be a "
                            "regular CSV or Parquet file")
    if st.st_size > limit:
        os.close(fd)
        raise SnapshotError(f"{path}: is {st.st_size:,} bytes, over the {limit:,}-byte limit for a snapshot "
                            "file; split it, or raise SCOUT_SNAPSHOT_MAX_BYTES")
    os.set_blocking(fd, True)
    handle = os.fdopen(fd, "rb")
    if path.name.endswith(".gz"):
        return io.BufferedReader(_Limited(gzip.GzipFile(fileobj=handle), path, limit))
    return handle


def _show(values) -> str:
    """A few offending values for a message: quoted, control characters escaped, clipped."""
    out = []
    for v in list(values)[:3]:
        text = repr(v)
        out.append(text if len(text) <= 60 else text[:57] + "...")
    return "[" + ", ".join(out) + "]"


def _lines(path: Path, mask: pd.Series) -> str:
    """Where the flagged rows are: CSV lines (header = line 1), or Parquet rows."""
    index = mask[mask].index[:3]
    if path.suffix == ".parquet":
        return f"rows {[int(i) + 1 for i in index]}"
    return f"lines {[int(i) + 2 for i in index]}"


def _not_utf8(path: Path) -> SnapshotError | None:
    """Why a CSV that failed to parse is not text (Latin-1, UTF-16, binary junk); None when
    it is valid UTF-8. Only on the error path: it reads the whole file."""
    with open_file(path) as handle:
        raw = handle.read()
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        return SnapshotError(f"{path}: is not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line}: "
                             f"{err.reason}); save it as a UTF-8 CSV")


def _read(path: Path) -> pd.DataFrame:
    try:
        with open_file(path) as handle:
            if path.suffix == ".parquet":
                return pd.read_parquet(handle)
            # Everything as text first: type errors are reported per column below.
            # Only an empty cell is absent: "NA", "None" or "null" can be a ticker or a name.
            return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""])
    except SnapshotError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise SnapshotError(f"{path}: is empty (no header line)") from exc
    except Exception as exc:  # unreadable file: say which, and why when it is not text
        raise (_not_utf8(path) or SnapshotError(f"{path}: cannot be read: {str(exc).strip()}")) from exc


def _typed(path: Path, dataset: str, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if col in DATE_COLUMNS:
            parsed = pd.to_datetime(frame[col], errors="coerce", format="mixed")
            bad = parsed.isna()  # empty, or not a date
            if bad.any():
                raise SnapshotError(f"{path}: column '{col}' has values that are not dates: "
                                    f"{_show(frame.loc[bad, col])} ({_lines(path, bad)})")
            if getattr(parsed.dt, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
            frame[col] = parsed.dt.normalize()
        elif col in TEXT_COLUMNS or col in LIST_COLUMNS:
            frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
        else:
            missing = frame[col].isna() | frame[col].isin(NA_STRINGS)
            parsed = pd.to_numeric(frame[col].where(~missing), errors="coerce").astype("float64")
            for bad, what in ((~missing & parsed.isna(), "numeric"), (np.isinf(parsed), "finite")):
                if bad.any():
                    raise SnapshotError(f"{path}: column '{col}' must be {what}; found "
                                        f"{_show(frame.loc[bad, col])} ({_lines(path, bad)})")
            frame[col] = parsed
    return frame


def _check_text(path: Path, frame: pd.DataFrame) -> None:
    """NUL bytes anywhere, and blank, padded or control-character identifiers, are errors."""
    for col in frame.columns:
        if col not in TEXT_COLUMNS and col not in LIST_COLUMNS:
            continue
        values = frame[col].map(lambda v: v if isinstance(v, str) else None) if col in LIST_COLUMNS else frame[col]
        # checked once per distinct value: a prices file repeats a few tickers millions of times
        text = pd.Series([v for v in values.dropna().unique() if isinstance(v, str)], dtype=object)
        problems = [(text.str.contains("\x00", regex=False), "NUL bytes")]
        if col in IDENTIFIERS:
            problems += [
                (text.str.strip() == "", "blank values"),
                (text.str.contains(_CONTROL), "control characters (newline, tab, ...)"),
                (text != text.str.strip(), "leading or trailing spaces"),
            ]
        for bad, what in problems:
            if len(text) and bad.any():
                rows = values.isin(set(text[bad]))
                raise SnapshotError(f"{path}: column '{col}' has {what}: "
                                    f"{_show(frame.loc[rows, col])} ({_lines(path, rows)})")


def _check_universe(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    if "asset_type" in frame.columns:
        bad = frame["asset_type"].notna() & ~frame["asset_type"].isin(ASSET_TYPES)
        if bad.any():
            raise SnapshotError(
                f"{path}: column 'asset_type' must be one of {', '.join(ASSET_TYPES)} (or empty); "
                f"found {_show(frame.loc[bad, 'asset_type'].unique())} ({_lines(path, bad)})")
    return _one_row_per_key(path, frame, "ticker")


def _one_row_per_key(path: Path, frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Exact repeats of a row are dropped; two different rows for one key are an error
    (which one is meant cannot be guessed)."""
    frame = frame[~frame.astype(str).duplicated()]  # as text: Parquet lists are unhashable
    clash = frame[key].duplicated(keep=False)
    if clash.any():
        raise SnapshotError(
            f"{path}: column '{key}' repeats {_show(frame.loc[clash, key].unique())} with different "
            f"values ({_lines(path, clash)}); keep one row per {key}")
    return frame


def _check_pairs(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    for col in ("lead", "base"):
        if frame[col].isna().any():
            raise SnapshotError(f"{path}: column '{col}' has empty values ({_lines(path, frame[col].isna())})")
    return _one_row_per_key(path, frame, "pair_id")


CHECKS = {"universe": _check_universe, "pairs": _check_pairs}


def read_dataset(directory: Path, dataset: str) -> pd.DataFrame | None:
    path = find_file(directory, dataset)
    if path is None:
        return None
    frame = _read(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    allowed = set(columns(dataset)) | IGNORED
    unknown = [c for c in frame.columns if c not in allowed]
    repeated = [m[1] for c in unknown if (m := re.fullmatch(r"(.+)\.\d+", c)) and m[1] in frame.columns]
    if repeated:  # pandas renames a repeated column "x" to "x.1"
        raise SnapshotError(f"{path}: column '{repeated[0]}' appears more than once in the header")
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
    _check_text(path, frame)
    if dataset == "prices" and frame.empty:
        raise SnapshotError(f"{path}: has no rows, only a header; prices are required")
    key, _ = RAW_TABLES[dataset]
    for k in key:
        if k in frame.columns and k != "term" and frame[k].isna().any():
            raise SnapshotError(f"{path}: key column '{k}' has empty values ({_lines(path, frame[k].isna())})")
    if dataset == "attention":  # the term defaults to the ticker: one of them is needed
        neither = frame.get("term", pd.Series(None, index=frame.index)).isna() \
            & frame.get("ticker", pd.Series(None, index=frame.index)).isna()
        if neither.any():
            raise SnapshotError(f"{path}: rows with neither 'term' nor 'ticker' ({_lines(path, neither)})")
    if dataset in CHECKS:
        frame = CHECKS[dataset](path, frame)
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
        for dcol in (DATE_COLUMNS & set(frame.columns)) if dataset not in NOT_POINT_IN_TIME else ():
            later = frame[dcol] > cutoff
            if later.any():
                data.notes.append(f"{dataset}: ignored {int(later.sum())} rows dated after {as_of}")
                frame = frame[~later]
        if dataset == "attention":
            if "term" not in frame.columns:
                frame["term"] = frame["ticker"]
            frame["term"] = frame["term"].fillna(frame.get("ticker"))
        data.frames[dataset] = frame.reset_index(drop=True)

    if data.frames["prices"].empty:
        raise SnapshotError(f"{directory}: no prices dated on or before {as_of}; pick a later --as-of")
    tickers = sorted(data.frames["prices"]["ticker"].unique())
    if data.frames["universe"] is None:
        data.frames["universe"] = defaults.enrich_universe(tickers)
        data.notes.append(f"universe: none in snapshot; derived from the {len(tickers)} price tickers")
    else:
        _note_unpriced(data, set(tickers))
    if data.frames["pairs"] is None:
        data.frames["pairs"] = defaults.default_pairs()
    data.frames["pairs"] = _usable_pairs(data, set(tickers))
    if data.frames["fomc_calendar"] is None:
        from scout_pipeline.sources import fomc

        data.frames["fomc_calendar"] = fomc.bundled_calendar()
        data.notes.append("fomc_calendar: none in snapshot; the bundled Fed schedule is used")
    for dataset in DATASETS:
        if data.frames[dataset] is None:
            data.notes.append(f"{dataset}: no {dataset} file; marts that need it will be empty")
    return data


def _names(values: list[str], limit: int = 5) -> str:
    """Identifiers for a note (they hold no control characters): long ones clipped."""
    shown = ", ".join(v if len(v) <= 40 else v[:37] + "..." for v in map(str, values[:limit]))
    return shown + (f" (+{len(values) - limit} more)" if len(values) > limit else "")


def _note_unpriced(data: SourceData, priced: set[str]) -> None:
    """Universe names without prices stay listed (they may be priced later); say which."""
    universe = data.frames["universe"]
    listed = universe if "asset_type" not in universe.columns else universe[universe["asset_type"] != "future"]
    unpriced = sorted(set(listed["ticker"]) - priced)
    if unpriced:
        data.notes.append(f"universe: no prices on or before the as-of day for {len(unpriced)} listed "
                          f"ticker(s), so no mart shows them: {_names(unpriced)}")


def _usable_pairs(data: SourceData, priced: set[str]) -> pd.DataFrame:
    """Pairs whose two series both have prices; the others are skipped with a note."""
    pairs = data.frames["pairs"]
    usable = pairs["lead"].isin(priced) & pairs["base"].isin(priced)
    for _, row in pairs[~usable].iterrows():
        data.notes.append(f"pairs: skipped {_names([row.pair_id])} ({_names([row.lead])} vs "
                          f"{_names([row.base])}): series not in prices")
    return pairs[usable].reset_index(drop=True)


def last_price_date(directory: str | Path) -> dt.date | None:
    """Latest date in a snapshot's prices, for the default as-of of a snapshot run."""
    path = find_file(Path(directory), "prices")
    if path is None:
        return None
    try:
        with open_file(path) as handle:
            frame = (pd.read_parquet(handle, columns=["date"]) if path.suffix == ".parquet"
                     else pd.read_csv(handle, usecols=["date"]))
    except Exception:  # a malformed file: the run's load names the problem (bad data, not usage)
        return None
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
