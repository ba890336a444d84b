"""Bundled defaults: the pairs to compare and a starter universe.

Both live as CSV package data in ``scout_pipeline/data/`` and are read with
``importlib.resources``, so a non-editable install finds them too (the build must ship
``scout_pipeline/data/*.csv`` as package data). In ``universe.csv`` the ``segments`` column
is a ``;``-joined string; the loader turns it into a Python ``list[str]``.

Frames follow the contracts in :mod:`scout_pipeline.sources.contracts` ("pairs",
"universe"), with ``source='default'`` (or ``'derived'`` for rows made up from a bare ticker).
"""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

from scout_pipeline.sources.contracts import columns

_PACKAGE = "scout_pipeline"


def _read_csv(name: str) -> pd.DataFrame:
    text = resources.files(_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")
    # Everything as text, no NA guessing: an empty cell means "absent" and becomes None.
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return frame.astype(object).where(frame != "", None)


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object dtype with None (not NaN) for absent values."""
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def _split_segments(value: str | None) -> list[str]:
    if not value:
        return []
    return [s.strip() for s in value.split(";") if s.strip()]


def default_pairs() -> pd.DataFrame:
    """The bundled pairs: pair_id, lead, base, label, source='default'."""
    frame = _read_csv("pairs.csv")
    frame["source"] = "default"
    return _text_frame(frame[columns("pairs")].reset_index(drop=True))


def default_universe() -> pd.DataFrame:
    """The bundled universe: indices, ETFs, the fed-funds future and the watchlist equities."""
    frame = _read_csv("universe.csv")
    frame["segments"] = [_split_segments(v) for v in frame["segments"]]
    frame["source"] = "default"
    return _text_frame(frame[columns("universe")].reset_index(drop=True))


def infer_asset_type(ticker: str) -> str:
    """'^' prefix -> index, '=F' suffix -> future, anything else -> equity."""
    if ticker.startswith("^"):
        return "index"
    if ticker.upper().endswith("=F"):
        return "future"
    return "equity"


def enrich_universe(tickers: list[str]) -> pd.DataFrame:
    """A universe for `tickers` (in the given order, duplicates dropped).

    Rows matching the bundled default are taken from it (source='default'); any other
    ticker gets a minimal row: name = ticker, inferred asset_type, no segments, no sector,
    no article, source='derived'.
    """
    known = {row["ticker"]: row for row in default_universe().to_dict("records")}
    rows = []
    for ticker in dict.fromkeys(tickers):
        if ticker in known:
            row = dict(known[ticker])
            row["segments"] = list(row["segments"])
        else:
            row = {
                "ticker": ticker, "name": ticker, "asset_type": infer_asset_type(ticker),
                "segments": [], "sector": None, "wikipedia_article": None, "source": "derived",
            }
        rows.append(row)
    cols = columns("universe")
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    return _text_frame(pd.DataFrame(rows, columns=cols))
