"""The SQL transforms on disk: one file, one table. No Dagster here; defs/transform wires it.

A file `sql/<layer>/<name>.sql` holds one SELECT. Its header documents the table:

    -- <name>: what one row is, in a sentence or two.
    -- @key <col>, <col>: the columns that identify a row (checked unique).
    -- @column <col>: what the column means, for a BI user.
    -- @history <col> | @incremental <col> [keep <param>] | @carry <col> <TYPE>, ...:
       how a run builds the mart (mart_history.py, incremental.py).

`staging` files become views (no parameters: views cannot bind), `marts` files become
tables built with `$name` parameters bound from params.py and the run (`$as_of`).
Upstream tables are read from the SQL itself, so the asset graph cannot drift from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LAYERS = {"staging": "VIEW", "marts": "TABLE"}
_KEY = re.compile(r"^--\s*@key\s+(.+)$")
_HISTORY = re.compile(r"^--\s*@history\s+([A-Za-z_][A-Za-z0-9_]*)\s*$")  # keeps every published day (mart_history)
# rebuilt only from the first session a run adds or a change touches (incremental.py):
# `-- @incremental <date column>` and, for a mart holding only the latest N sessions,
# `-- @incremental <date column> keep <param naming N>`
_INCREMENTAL = re.compile(r"^--\s*@incremental\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+keep\s+([A-Za-z_][A-Za-z0-9_]*))?\s*$")
# the columns (with types) of the mart's own earlier rows an incremental build hands its SQL as
# the temporary table `carried`: `-- @carry <col> <TYPE>, ...`
_CARRY = re.compile(r"^--\s*@carry\s+((?:[A-Za-z_][A-Za-z0-9_]*\s+[A-Z]+\s*,\s*)*[A-Za-z_][A-Za-z0-9_]*\s+[A-Z]+)\s*$")
_COLUMN = re.compile(r"^--\s*@column\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$")


def sql_root() -> Path:
    """`sql/` beside the package in a checkout, or inside it in an installed wheel."""
    packaged = Path(__file__).parent / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "sql"


@dataclass(frozen=True)
class SqlModel:
    layer: str
    name: str
    path: Path
    body: str
    description: str
    columns: dict[str, str] = field(hash=False)
    upstream: tuple[tuple[str, str], ...]
    key: tuple[str, ...] = ()
    history: str = ""  # the date column by which the table keeps every published day; "" = rebuilt whole
    incremental: str = ""  # the date column from which a run recomputes rows ($since); "" = rebuilt whole
    keep: str = ""  # with `incremental`: the parameter naming how many latest sessions the table holds
    carry: tuple[tuple[str, str], ...] = ()  # with `incremental`: (column, type) handed over as `carried`

    @property
    def table(self) -> str:
        return f"{self.layer}.{self.name}"

    def create_statement(self) -> str:
        kind = LAYERS[self.layer]
        return f"CREATE OR REPLACE {kind} {self.layer}.{self.name} AS\n{self.body}"

    def comments(self) -> dict[str, str]:
        return {"": self.description, **self.columns}


def parse_header(text: str) -> tuple[str, dict[str, str], tuple[str, ...]]:
    key: tuple[str, ...] = ()
    description: list[str] = []
    columns: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            if stripped:
                break
            continue
        match = _COLUMN.match(stripped)
        key_match = _KEY.match(stripped)
        if _HISTORY.match(stripped) or _INCREMENTAL.match(stripped) or _CARRY.match(stripped):
            continue  # read by history_column / incremental_header
        if key_match:
            key = tuple(k.strip() for k in key_match.group(1).split(","))
        elif match:
            last = match.group(1)
            columns[last] = match.group(2).strip()
        elif last is not None and stripped[2:].strip():
            columns[last] += " " + stripped[2:].strip()  # continuation line
        elif stripped[2:].strip():
            description.append(stripped[2:].strip())
    text = " ".join(description)
    return re.sub(r"^[a-z_0-9]+:\s*", "", text), columns, key


def history_column(text: str) -> str:
    """The column of a `-- @history <column>` header line; "" when the file has none."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        match = _HISTORY.match(stripped)
        if match:
            return match.group(1)
    return ""


def incremental_header(text: str) -> tuple[str, str]:
    """(date column, keep parameter) of a `-- @incremental` header line; ("", "") when none."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        match = _INCREMENTAL.match(stripped)
        if match:
            return match.group(1), match.group(2) or ""
    return "", ""


def carry_header(text: str) -> tuple[tuple[str, str], ...]:
    """(column, type) pairs of a `-- @carry` header line; () when none."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            break
        match = _CARRY.match(stripped)
        if match:
            return tuple(tuple(part.split()) for part in match.group(1).split(","))
    return ()


def referenced_tables(sql: str) -> tuple[tuple[str, str], ...]:
    """(schema, table) pairs the SQL reads, CTE names excluded."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = {
        (t.db, t.name) for t in tree.find_all(exp.Table)
        if t.db and t.name not in ctes
    }
    return tuple(sorted(found))


def load_model(path: Path) -> SqlModel:
    layer = path.parent.name
    text = path.read_text()
    description, columns, key = parse_header(text)
    body = text.strip().rstrip(";")
    if not description:
        raise ValueError(f"{path}: the header must start with '-- {path.stem}: <description>'")
    if layer == "marts" and not key:
        raise ValueError(f"{path}: a mart needs a '-- @key col, col' header line")
    unknown = [k for k in key if k not in columns]
    if unknown:
        raise ValueError(f"{path}: @key column {unknown[0]!r} has no @column line")
    history = history_column(text)
    if history and (layer != "marts" or history not in key):
        raise ValueError(f"{path}: '@history {history}' needs a mart whose @key includes {history!r}")
    incremental, keep = incremental_header(text)
    if incremental and (layer != "marts" or history or incremental not in key or "$since" not in body):
        raise ValueError(f"{path}: '@incremental {incremental}' needs a mart without @history whose @key "
                         f"includes {incremental!r} and whose SQL emits the rows from $since on")
    carry = carry_header(text)
    if carry and (not incremental or any(c not in columns for c, _ in carry)):
        raise ValueError(f"{path}: '@carry' needs '@incremental' and names only @column columns")
    return SqlModel(layer, path.stem, path, body, description, columns, referenced_tables(body), key, history,
                    incremental, keep, carry)


@lru_cache(maxsize=None)
def load_models(root: Path | None = None) -> tuple[SqlModel, ...]:
    root = root or sql_root()
    models = [load_model(p) for layer in LAYERS for p in sorted((root / layer).glob("*.sql"))]
    return tuple(models)
