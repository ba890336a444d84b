"""Google Trends (optional, best effort) → `attention` rows with source='google_trends'.

Google Trends has no stable free API. `pytrends` (unofficial, unmaintained) is used only when
it is importable — it is not a dependency of this project; without it this module returns no
rows and a note. Google answers at most 5 terms per request and rescales each answer to 0–100
on its own maximum, so batches are not comparable. `stitch_batches` puts them on one scale
through an anchor term present in every batch:

    factor_b = Σ anchor(reference batch) / Σ anchor(batch b)   over their common dates
    value'   = value_b · factor_b, then everything rescaled so the overall maximum is 100.

Choose an anchor with steady, moderate interest (a popular one squashes small terms to 0,
an obscure one amplifies Google's integer rounding). Nothing in this module raises: errors
come back as failures and notes. Daily values need a window of ≤ ~269 days; longer windows
come back weekly (the dates then are week starts).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FAILED, Failure, FetchResult

SOURCE = "google_trends"
MAX_TERMS_PER_REQUEST = 5


def pytrends_available() -> bool:
    try:
        import pytrends.request  # noqa: F401, PLC0415
    except Exception:  # noqa: BLE001 - ImportError or a broken install
        return False
    return True


def _clean_batch(batch: pd.DataFrame) -> pd.DataFrame:
    frame = batch.drop(columns=[c for c in ("isPartial",) if c in batch.columns])
    frame = frame.apply(pd.to_numeric, errors="coerce").astype("float64")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index)).tz_localize(None).normalize()
    return frame[~frame.index.duplicated(keep="last")]


def stitch_batches(batches: Sequence[pd.DataFrame], anchor: str) -> tuple[pd.DataFrame, list[str]]:
    """Put per-request 0–100 batches on one scale through the shared `anchor` column.

    Each batch: index = dates, columns = terms (the anchor among them), values 0–100;
    pytrends' `isPartial` column is ignored. Returns (wide frame of every term on the common
    scale, max = 100, anchor included; notes on batches that could not be scaled). A term in
    several batches keeps its first scaled series.
    """
    notes: list[str] = []
    cleaned = [_clean_batch(b) for b in batches if b is not None and not b.empty]
    usable: list[pd.DataFrame] = []
    for i, batch in enumerate(cleaned):
        if anchor not in batch.columns:
            notes.append(f"google_trends: batch {i} lacks the anchor '{anchor}'; dropped "
                         f"({', '.join(map(str, batch.columns))})")
        elif not (batch[anchor].fillna(0) > 0).any():
            notes.append(f"google_trends: anchor '{anchor}' is all zero in batch {i}; "
                         f"cannot scale {', '.join(c for c in batch.columns if c != anchor)}")
        else:
            usable.append(batch)
    if not usable:
        return pd.DataFrame(dtype="float64"), notes

    reference = usable[0][anchor]
    out: dict[str, pd.Series] = {}
    for i, batch in enumerate(usable):
        common = reference.index.intersection(batch.index)
        ref_sum = float(reference.loc[common].fillna(0).sum())
        own_sum = float(batch.loc[common, anchor].fillna(0).sum())
        if ref_sum <= 0 or own_sum <= 0:
            notes.append(f"google_trends: batch {i} shares no non-zero anchor dates with the "
                         "reference batch; dropped")
            continue
        factor = ref_sum / own_sum
        for term in batch.columns:
            if term not in out:
                out[term] = batch[term] * factor
    wide = pd.DataFrame(out).sort_index()
    peak = float(np.nanmax(wide.to_numpy())) if wide.size else 0.0
    if peak > 0:
        wide = wide * (100.0 / peak)
    return wide, notes


def to_attention_rows(wide: pd.DataFrame, tickers: Mapping[str, str | None] | None = None,
                      *, include: Iterable[str] | None = None) -> pd.DataFrame:
    """Long `attention` rows (source='google_trends', term, date, ticker, value) from a wide frame."""
    tickers = dict(tickers or {})
    terms = list(include) if include is not None else list(wide.columns)
    rows = []
    for term in terms:
        if term not in wide.columns:
            continue
        series = wide[term].dropna()
        for day, value in series.items():
            rows.append({"source": SOURCE, "term": term, "date": pd.Timestamp(day),
                         "ticker": tickers.get(term), "value": float(value)})
    frame = pd.DataFrame(rows, columns=columns("attention"))
    for col in ("source", "term", "ticker"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    return frame.reset_index(drop=True)


def _default_client() -> Any:
    from pytrends.request import TrendReq  # noqa: PLC0415 - optional

    return TrendReq(hl="en-US", tz=300, timeout=(5, 20), retries=0)


def fetch_trends(terms: Iterable[str], start: dt.date | str, end: dt.date | str, *,
                 anchor: str, tickers: Mapping[str, str | None] | None = None,
                 client: Any = None, geo: str = "US", pause: float = 5.0,
                 sleep: Callable[[float], Any] = time.sleep) -> FetchResult:
    """Best-effort Google Trends interest for `terms`, stitched on `anchor`. Never raises.

    `client` is a pytrends `TrendReq`-like object (`build_payload`, `interest_over_time`);
    without one, pytrends is used if importable, else the result is empty with a note.
    One request per batch of 4 terms + the anchor, `pause` seconds apart.
    """
    wanted = [t for t in dict.fromkeys(str(t).strip() for t in terms) if t and t != anchor]
    result = FetchResult(frame=to_attention_rows(pd.DataFrame()), requested=len(wanted))
    try:
        if client is None:
            if not pytrends_available():
                result.notes.append("google_trends: pytrends is not installed; optional source "
                                    "skipped (wikipedia pageviews are the default attention)")
                return result
            client = _default_client()
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        timeframe = f"{lo.date().isoformat()} {hi.date().isoformat()}"
        per = MAX_TERMS_PER_REQUEST - 1
        batches: list[pd.DataFrame] = []
        for n, i in enumerate(range(0, len(wanted), per)):
            group = wanted[i:i + per]
            if n:
                sleep(pause)
            try:
                client.build_payload([anchor, *group], timeframe=timeframe, geo=geo)
                frame = client.interest_over_time()
            except Exception as exc:  # noqa: BLE001 - 429s and friends, per batch
                result.failures.extend(Failure(SOURCE, "attention", t, FAILED,
                                               f"request error: {exc!r}") for t in group)
                continue
            if frame is None or frame.empty:
                result.failures.extend(Failure(SOURCE, "attention", t, FAILED,
                                               "empty answer") for t in group)
                continue
            batches.append(frame)
        wide, notes = stitch_batches(batches, anchor)
        result.notes.extend(notes)
        got = to_attention_rows(wide, tickers, include=wanted)
        got = got[(got["date"] >= lo) & (got["date"] <= hi)].reset_index(drop=True)
        failed = result.failed_items()
        for t in wanted:
            if t not in failed and t not in set(got["term"]):
                result.failures.append(Failure(SOURCE, "attention", t, FAILED,
                                               "not scalable on the anchor"))
        result.frame = got
    except Exception as exc:  # noqa: BLE001 - best effort: never raise out of this module
        result.notes.append(f"google_trends: failed, skipped: {exc!r}")
    if result.failures:
        result.notes.append(f"google_trends: {len(result.failures)} of {len(wanted)} terms "
                            "without data")
    return result
