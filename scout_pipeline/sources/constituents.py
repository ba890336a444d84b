"""Index constituents → `universe` rows: S&P 500 / S&P 600 (Wikipedia tables), Russell 2000
(iShares IWM holdings CSV), with a bundled, dated default for each when a fetch fails.

* Wikipedia "List of S&P 500 companies" (table id="constituents": Symbol, Security, GICS
  Sector, GICS Sub-Industry, …) and "List of S&P 600 companies" (Symbol, Company, GICS Sector,
  …). The company cell links to its article, which becomes `wikipedia_article`. Parsed with a
  small stdlib `html.parser` table reader (no lxml/bs4/html5lib dependency).
* iShares IWM holdings CSV: ~9 preamble lines ("Fund Holdings as of", …) before the
  "Ticker,Name,Sector,Asset Class,Market Value,Weight (%),…" header, a legal footer after the
  rows; only `Asset Class == Equity` rows are members (cash, futures, money market dropped).
  iShares writes share classes without the dot (BRK.B → "BRKB"); those cannot be told apart
  from real 4-letter tickers, so they are kept as written.
* Tickers use Yahoo's spelling: "BRK.B" → "BRK-B".
* Segments: sp500 → [large_cap, sp500]; sp600 → [small_cap, sp600]; russell2000 →
  [small_cap, russell2000]; merged per ticker.

These lists are today's membership: a backfill with them carries survivorship bias.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from importlib import resources
from typing import Any
from urllib.parse import unquote

import pandas as pd

from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FALLBACK, Failure, FetchResult
from scout_pipeline.sources.wikipedia import USER_AGENT, new_session

SOURCE = "constituents"
SP500_URL = "https://en.wikipedia.org/wiki/List_of_S%26P_500_companies"
SP600_URL = "https://en.wikipedia.org/wiki/List_of_S%26P_600_companies"
IWM_URL = ("https://www.ishares.com/us/products/239710/ishares-russell-2000-etf/"
           "1467271812596.ajax?fileType=csv&fileName=IWM_holdings&dataType=fund")
URLS = {"sp500": SP500_URL, "sp600": SP600_URL, "russell2000": IWM_URL}
INDEX_SEGMENTS = {
    "sp500": ["large_cap", "sp500"],
    "sp600": ["small_cap", "sp600"],
    "russell2000": ["small_cap", "russell2000"],
}
INDEXES = tuple(INDEX_SEGMENTS)
# A parsed list shorter than this means the page/CSV changed shape: use the bundled default.
MIN_ROWS = {"sp500": 450, "sp600": 500, "russell2000": 1500}
SEGMENT_ORDER = ["large_cap", "mid_cap", "small_cap", "sp500", "sp600", "russell2000", "watchlist"]
DATA_DIR = ("scout_pipeline", "data", "constituents")  # package data (importlib.resources)
MEMBER_COLUMNS = ["ticker", "name", "sector", "wikipedia_article"]

TICKER_HEADERS = ("Symbol", "Ticker symbol", "Ticker")
NAME_HEADERS = ("Security", "Company", "Name")
SECTOR_HEADERS = ("GICS Sector", "Sector")


class ConstituentsFormatError(ValueError):
    """A page or CSV that no longer has the expected table/columns."""


# --------------------------------------------------------------------------- tickers

def yahoo_symbol(ticker: str) -> str:
    """Exchange spelling → Yahoo's: upper case, class dot as a dash (BRK.B → BRK-B)."""
    return re.sub(r"\s+", "", str(ticker)).upper().replace(".", "-").replace("/", "-")


# --------------------------------------------------------------------------- HTML tables

class _TableParser(HTMLParser):
    """Collects every <table>: rows of cells {tag, text, links, colspan}; nested tables ok."""

    SKIP = {"sup", "style", "script"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self._stack: list[dict[str, Any]] = []
        self._skip = 0

    def _close_cell(self, table: dict[str, Any]) -> None:
        cell = table.pop("cell", None)
        if cell is not None:
            cell["text"] = " ".join("".join(cell["text"]).split())
            table.setdefault("row", []).append(cell)

    def _close_row(self, table: dict[str, Any]) -> None:
        self._close_cell(table)
        row = table.pop("row", None)
        if row:
            table["rows"].append(row)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "table":
            self._stack.append({"id": a.get("id", ""), "class": a.get("class", ""), "rows": []})
            return
        if not self._stack:
            return
        table = self._stack[-1]
        if tag in self.SKIP:
            self._skip += 1
        elif tag == "tr":
            self._close_row(table)
            table["row"] = []
        elif tag in ("td", "th"):
            self._close_cell(table)
            table.setdefault("row", [])
            try:
                span = int(a.get("colspan") or 1)
            except ValueError:
                span = 1
            table["cell"] = {"tag": tag, "text": [], "links": [], "colspan": span}
        elif tag == "a" and "cell" in table and not self._skip:
            table["cell"]["links"].append(a)
        elif tag == "br" and "cell" in table:
            table["cell"]["text"].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            table = self._stack.pop()
            self._close_row(table)
            self.tables.append(table)
            return
        if not self._stack:
            return
        table = self._stack[-1]
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._close_cell(table)
        elif tag == "tr":
            self._close_row(table)

    def handle_data(self, data: str) -> None:
        if self._stack and "cell" in self._stack[-1] and not self._skip:
            self._stack[-1]["cell"]["text"].append(data)


def parse_html_tables(html: str) -> list[dict[str, Any]]:
    parser = _TableParser()
    parser.feed(html)
    parser.close()
    while parser._stack:  # unclosed tables at EOF
        parser.handle_endtag("table")
    return parser.tables


def _article_from_links(links: Sequence[dict[str, str]]) -> str | None:
    for link in links:
        href = link.get("href", "")
        if "new" in link.get("class", "").split() or not href.startswith("/wiki/"):
            continue
        title = unquote(href[len("/wiki/"):]).split("#")[0].replace("_", " ").strip()
        if title and ":" not in title.split(" ")[0]:  # no File:, Category:, … links
            return title
    return None


def _find(headers: list[str], names: Sequence[str]) -> int | None:
    for name in names:
        for i, h in enumerate(headers):
            if h.lower() == name.lower():
                return i
    return None


def parse_wikipedia_constituents(html: str) -> pd.DataFrame:
    """Members from a Wikipedia "List of S&P … companies" page: ticker (Yahoo spelling), name,
    sector (GICS), wikipedia_article (the company cell's link, None without one)."""
    for table in parse_html_tables(html):
        rows = table["rows"]
        head_i = next((i for i, r in enumerate(rows) if all(c["tag"] == "th" for c in r)), None)
        if head_i is None:
            continue
        headers: list[str] = []
        for cell in rows[head_i]:
            headers.extend([cell["text"]] * max(1, cell["colspan"]))
        t_i, n_i, s_i = (_find(headers, TICKER_HEADERS), _find(headers, NAME_HEADERS),
                         _find(headers, SECTOR_HEADERS))
        if t_i is None or s_i is None:
            continue
        members = []
        for row in rows[head_i + 1:]:
            cells = [c for c in row if c["tag"] == "td"] or row
            if len(cells) <= max(t_i, s_i, n_i or 0):
                continue
            ticker = cells[t_i]["text"]
            if not ticker:
                continue
            name_cell = cells[n_i] if n_i is not None else None
            members.append({
                "ticker": yahoo_symbol(ticker),
                "name": (name_cell["text"] or None) if name_cell else None,
                "sector": cells[s_i]["text"] or None,
                "wikipedia_article": _article_from_links(name_cell["links"]) if name_cell else None,
            })
        if members:
            return _members(pd.DataFrame(members))
    raise ConstituentsFormatError("no table with Symbol and GICS Sector columns")


# --------------------------------------------------------------------------- iShares CSV

_DATE_FORMATS = ("%b %d, %Y", "%d-%b-%Y", "%m/%d/%Y", "%Y-%m-%d", "%B %d, %Y")


def _parse_date(text: str) -> dt.date | None:
    text = text.strip().strip('"').strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_iwm_holdings(text: str) -> tuple[pd.DataFrame, dt.date | None]:
    """Equity members from the iShares holdings CSV, and its "Fund Holdings as of" date."""
    lines = text.lstrip("\ufeff").splitlines()
    as_of: dt.date | None = None
    header_i = None
    for i, line in enumerate(lines):
        fields = next(csv.reader([line]), [])
        if not fields:
            continue
        first = fields[0].strip().lstrip("\ufeff")
        if first.lower().startswith("fund holdings as of") and len(fields) > 1:
            as_of = _parse_date(fields[1])
        if first == "Ticker" and "Asset Class" in [f.strip() for f in fields]:
            header_i = i
            break
    if header_i is None:
        raise ConstituentsFormatError("no 'Ticker,…,Asset Class' header in the holdings CSV")
    reader = csv.reader(lines[header_i:])
    header = [h.strip() for h in next(reader)]
    idx = {h: i for i, h in enumerate(header)}
    members = []
    for fields in reader:
        if len(fields) < len(header) // 2:  # blank separator or the legal footer: rows ended
            if members:
                break
            continue
        get = lambda col: fields[idx[col]].strip() if col in idx and idx[col] < len(fields) else ""  # noqa: E731
        if get("Asset Class").lower() != "equity":
            continue
        ticker = get("Ticker")
        if not ticker or ticker == "-":
            continue
        members.append({
            "ticker": yahoo_symbol(ticker),
            "name": get("Name") or None,
            "sector": get("Sector") or None,
            "wikipedia_article": None,
        })
    if not members:
        raise ConstituentsFormatError("holdings CSV has no equity rows")
    return _members(pd.DataFrame(members)), as_of


# --------------------------------------------------------------------------- bundled default

def _members(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=MEMBER_COLUMNS)
    for col in MEMBER_COLUMNS:
        frame[col] = frame[col].astype(object).where(frame[col].notna() & (frame[col] != ""), None)
    return frame.drop_duplicates("ticker", keep="first").reset_index(drop=True)


def _data_dir() -> Any:
    package, *parts = DATA_DIR
    return resources.files(package).joinpath(*parts)


def bundled_files(index: str) -> list[tuple[dt.date, Any]]:
    """(membership date, file) of each bundled list of `index`, oldest first."""
    found = []
    folder = _data_dir()
    if not folder.is_dir():
        return []
    for path in folder.iterdir():
        name = path.name
        if not (name.startswith(f"{index}_") and name.endswith(".csv")):
            continue
        try:
            found.append((dt.date.fromisoformat(name[len(index) + 1:-4]), path))
        except ValueError:
            continue
    return sorted(found, key=lambda f: f[0])


def load_bundled(index: str, as_of: dt.date | str | None = None) -> tuple[pd.DataFrame, dt.date]:
    """The bundled members of `index`: the newest file dated on/before `as_of` (else the
    oldest). Files: scout_pipeline/data/constituents/{index}_{YYYY-MM-DD}.csv."""
    files = bundled_files(index)
    if not files:
        raise FileNotFoundError(f"no bundled constituents for {index} in {'/'.join(DATA_DIR)}")
    if as_of is not None:
        day = pd.Timestamp(as_of).date()
        earlier = [f for f in files if f[0] <= day]
        chosen = earlier[-1] if earlier else files[0]
    else:
        chosen = files[-1]
    frame = pd.read_csv(io.StringIO(chosen[1].read_text(encoding="utf-8")), dtype=str,
                        keep_default_na=False)
    frame["ticker"] = frame["ticker"].map(yahoo_symbol)
    return _members(frame), chosen[0]


# --------------------------------------------------------------------------- universe

def members_to_universe(index: str, members: pd.DataFrame) -> pd.DataFrame:
    """`universe` rows for one index's members (asset_type 'equity', the index's segments)."""
    frame = pd.DataFrame({
        "ticker": members["ticker"].to_numpy(),
        "name": members["name"].to_numpy(),
        "asset_type": "equity",
        "segments": [list(INDEX_SEGMENTS[index]) for _ in range(len(members))],
        "sector": members["sector"].to_numpy(),
        "wikipedia_article": members["wikipedia_article"].to_numpy(),
        "source": SOURCE,
    }, columns=columns("universe"))
    return _typed_universe(frame)


def _segment_key(segment: str) -> tuple[int, str]:
    return (SEGMENT_ORDER.index(segment) if segment in SEGMENT_ORDER else len(SEGMENT_ORDER),
            segment)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [s.strip() for s in re.split(r"[|,;]", value) if s.strip()]
    try:
        return [str(v) for v in value if v is not None and str(v) != ""]
    except TypeError:
        return []


def _typed_universe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=columns("universe"))
    for col in out.columns:
        if col == "segments":
            out[col] = pd.Series([sorted(set(_as_list(v)), key=_segment_key) for v in out[col]],
                                 index=out.index, dtype=object)
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.reset_index(drop=True)


def merge_universe(*frames: pd.DataFrame | None) -> pd.DataFrame:
    """One row per ticker: segments unioned, other fields from the first frame that has them."""
    merged: dict[str, dict[str, Any]] = {}
    for frame in frames:
        if frame is None or frame.empty:
            continue
        frame = frame.reindex(columns=columns("universe"))
        for rec in frame.to_dict("records"):
            ticker = rec.get("ticker")
            if ticker is None or (isinstance(ticker, float) and pd.isna(ticker)):
                continue
            have = merged.get(ticker)
            if have is None:
                rec = dict(rec)
                rec["segments"] = _as_list(rec.get("segments"))
                merged[ticker] = rec
                continue
            have["segments"] = have["segments"] + _as_list(rec.get("segments"))
            for col, value in rec.items():
                if col == "segments":
                    continue
                missing = have.get(col) is None or (isinstance(have.get(col), float)
                                                    and pd.isna(have.get(col)))
                if missing and value is not None and not (isinstance(value, float) and pd.isna(value)):
                    have[col] = value
    out = pd.DataFrame(list(merged.values()), columns=columns("universe"))
    return _typed_universe(out)


def fetch_index(index: str, *, http: Any, timeout: float = 30.0) -> tuple[pd.DataFrame, dt.date | None]:
    """Live members of one index (raises on HTTP or format problems)."""
    response = http.get(URLS[index], headers={"User-Agent": USER_AGENT}, timeout=timeout)
    status = int(getattr(response, "status_code", 0))
    if status != 200:
        raise ConstituentsFormatError(f"HTTP {status} from {URLS[index].split('/')[2]}")
    if index == "russell2000":
        return parse_iwm_holdings(response.text)
    return parse_wikipedia_constituents(response.text), None


def fetch_constituents(as_of: dt.date | str, *, http: Any = None,
                       indexes: Iterable[str] = INDEXES, unreachable: Iterable[str] = (),
                       min_rows: dict[str, int] | None = None,
                       timeout: float = 30.0) -> FetchResult:
    """Universe rows for the constituents of `indexes`, merged per ticker.

    An index whose fetch fails, whose host is listed in `unreachable`, or whose parsed list is
    shorter than `min_rows[index]` comes from the bundled default instead: recorded as a
    'fallback' failure (not counted as failed) and said in the notes with the bundled date.
    """
    http = http or new_session()
    limits = {**MIN_ROWS, **(min_rows or {})}
    skip_hosts = set(unreachable)
    universes: list[pd.DataFrame] = []
    result = FetchResult(frame=merge_universe(), requested=0)
    for index in indexes:
        result.requested += 1
        host = URLS[index].split("/")[2]
        try:
            if host in skip_hosts:
                raise ConstituentsFormatError(f"{host} unreachable")
            members, dated = fetch_index(index, http=http, timeout=timeout)
            if len(members) < limits.get(index, 0):
                raise ConstituentsFormatError(
                    f"only {len(members)} members parsed (expected ≥ {limits[index]})")
            result.notes.append(f"universe: {index} fetched live, {len(members)} members"
                                + (f" (holdings as of {dated})" if dated else ""))
        except Exception as exc:  # noqa: BLE001 - any failure → the bundled default
            reason = str(exc) or repr(exc)
            try:
                members, dated = load_bundled(index, as_of)
            except FileNotFoundError as missing:
                result.failures.append(Failure(SOURCE, "universe", index, "failed",
                                               f"{reason}; {missing}"))
                result.notes.append(f"universe: {index} unavailable ({reason}) and no bundled "
                                    "default")
                continue
            result.failures.append(Failure(SOURCE, "universe", index, FALLBACK,
                                           f"live fetch failed ({reason}); bundled default "
                                           f"dated {dated} used"))
            result.notes.append(f"universe: {index} from the bundled default dated {dated} "
                                f"({len(members)} members; live fetch failed: {reason})")
        universes.append(members_to_universe(index, members))
    result.frame = merge_universe(*universes)
    return result
