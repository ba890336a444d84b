"""The raw-table contracts every source returns (see DESIGN.md, "Raw tables").

Sources are plain Python: they return pandas frames with exactly these columns, in this
order, with `source` set on every row. `loaded_at` is stamped by the store, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# dataset -> (key columns, value columns). `source` is part of every frame.
RAW_TABLES: dict[str, tuple[list[str], list[str]]] = {
    "prices": (["ticker", "date"], ["open", "high", "low", "close", "adj_close", "volume"]),
    "fundamentals": (
        ["ticker", "as_of"],
        [
            "market_cap", "shares_outstanding", "forward_eps", "trailing_eps", "forward_pe",
            "trailing_pe", "net_income_ttm", "profit_margin", "earnings_growth",
            "revenue_growth", "debt_to_equity", "total_debt", "total_cash", "sector", "industry",
            "profile_as_of",
        ],
    ),
    "attention": (["source", "term", "date"], ["ticker", "value"]),
    "rates": (["series", "date"], ["value"]),
    "universe": (["ticker"], ["name", "asset_type", "segments", "sector", "wikipedia_article"]),
    "pairs": (["pair_id"], ["lead", "base", "label"]),
    # Scheduled FOMC meetings (meeting_date = the statement day, the second day): reference
    # data, a full list every run (bundled by default, see sources/fomc.py).
    "fomc_calendar": (["meeting_date"], ["first_day"]),
}

TEXT_COLUMNS = {"ticker", "source", "term", "series", "name", "asset_type", "sector",
                "industry", "wikipedia_article", "pair_id", "lead", "base", "label"}
DATE_COLUMNS = {"date", "as_of", "profile_as_of", "meeting_date", "first_day"}
LIST_COLUMNS = {"segments"}  # list[str]
ASSET_TYPES = ("index", "etf", "equity", "future")


def columns(dataset: str) -> list[str]:
    """All columns of a dataset's frame, in contract order, `source` included once."""
    key, values = RAW_TABLES[dataset]
    cols = key + values
    return cols if "source" in cols else cols + ["source"]


def empty_frame(dataset: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns(dataset)})


# the dated raw tables and the column that dates a row (incremental marts, rolling windows)
DATED = {"prices": "date", "fundamentals": "as_of", "attention": "date", "rates": "date"}


@dataclass
class SourceData:
    """What one source produced for one as-of day: a frame per dataset (None = absent)."""

    name: str
    frames: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # A complete source (sample, snapshot) carries the whole history: its frames replace
    # the raw tables. An incremental one (live) is upserted on top of what is stored.
    complete: bool = True
    # A complete source whose dated frames are a rolling window (the stable sample: the last
    # N years to the as-of day) replaces only the days its window covers; older stored rows
    # stay, so a next-day run changes one day and the marts build incrementally.
    rolling_window: bool = False
    # Incremental sources: {dataset: [ticker, ...]} whose stored rows the frame replaces whole
    # (a provider restatement: the ticker's history was re-fetched on the new basis).
    replace: dict[str, list[str]] = field(default_factory=dict)

    def get(self, dataset: str) -> pd.DataFrame | None:
        return self.frames.get(dataset)
