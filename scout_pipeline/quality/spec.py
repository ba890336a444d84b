"""How a suite is written down: plain data, no great_expectations import.

A `Suite` guards one table. It validates one or more `Batch`es: each is a DuckDB query
selecting the rows the run wrote, with the derived columns an expectation needs (e.g. the
previous session's close), checked with the batch's `Expect`ations, each a GX expectation
class. The runner counts every expectation in SQL (`screen`) and has GX validate the rows
that failed plus a bounded sample (see `runner`, `gx_engine`).

Values in a query are always bound ($as_of, $stamp, ...); identifiers come from this code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR, WARN = "ERROR", "WARN"

# A strict symbol pattern (Yahoo style: ^GSPC, BRK-B, 1306.T, ZQ=F). Anything else, SQL
# metacharacters included, is rejected by the suites and never reaches a query text.
TICKER_PATTERN = r"^[A-Za-z0-9^.=\-]{1,15}\Z"  # \Z, not $: "AAPL\n" must not pass


@dataclass(frozen=True)
class Param:
    """A value bound at validation time (GX suite parameter), e.g. Param('as_of')."""

    name: str


@dataclass(frozen=True)
class Expect:
    name: str  # unique within the suite, shown in the CLI, the UI and the quarantine file
    gx: str  # GX expectation class, e.g. "ExpectColumnValuesToBeBetween"
    kwargs: dict[str, Any] = field(hash=False)
    severity: str = ERROR
    doc: str = ""
    where: tuple[str, str, Any] | None = None  # row condition (column, "==" | "!=", value)

    @property
    def columns(self) -> list[str]:
        cols = [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]
        cols += list(self.kwargs.get("column_list", []))
        if self.where:
            cols.append(self.where[0])
        return cols


@dataclass(frozen=True)
class Batch:
    name: str  # "rows", "tickers", ...
    sql: str  # SELECT giving the frame; may bind $as_of, $stamp, $run_id and thresholds
    expectations: tuple[Expect, ...]
    show: tuple[str, ...] = ()  # columns that identify a row in samples (besides the checked ones)
    doc: str = ""


@dataclass(frozen=True)
class Suite:
    schema: str  # raw | marts
    table: str
    key: tuple[str, ...]
    batches: tuple[Batch, ...]
    doc: str = ""

    @property
    def name(self) -> str:
        return self.table

    def expectations(self) -> list[Expect]:
        return [e for b in self.batches for e in b.expectations]


# ------------------------------------------------------------------ constructors


def not_null(column: str, severity: str = ERROR, doc: str = "", name: str | None = None) -> Expect:
    return Expect(name or f"{column}_not_null", "ExpectColumnValuesToNotBeNull",
                  {"column": column}, severity, doc or f"{column} is never null / NaN")


def between(column: str, low=None, high=None, *, strict_low: bool = False, strict_high: bool = False,
            mostly: float | None = None, severity: str = ERROR, doc: str = "", name: str | None = None,
            where: tuple[str, str, Any] | None = None) -> Expect:
    kwargs: dict[str, Any] = {"column": column}
    if low is not None:
        kwargs["min_value"] = low
        kwargs["strict_min"] = strict_low
    if high is not None:
        kwargs["max_value"] = high
        kwargs["strict_max"] = strict_high
    if mostly is not None:
        kwargs["mostly"] = mostly
    if not doc:
        lo = "" if low is None else f"{'>' if strict_low else '>='} {_show(low)}"
        hi = "" if high is None else f"{'<' if strict_high else '<='} {_show(high)}"
        doc = f"{column} {' and '.join(p for p in (lo, hi) if p)}"
    return Expect(name or f"{column}_in_range", "ExpectColumnValuesToBeBetween", kwargs, severity, doc, where)


def a_ge_b(a: str, b: str, name: str, severity: str = ERROR, doc: str = "") -> Expect:
    """a >= b on every row where both are known."""
    return Expect(name, "ExpectColumnPairValuesAToBeGreaterThanB",
                  {"column_A": a, "column_B": b, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
                  severity, doc or f"{a} >= {b} where both are known")


def in_set(column: str, values, name: str | None = None, severity: str = ERROR, doc: str = "",
           mostly: float | None = None) -> Expect:
    kwargs: dict[str, Any] = {"column": column, "value_set": list(values)}
    if mostly is not None:
        kwargs["mostly"] = mostly
    return Expect(name or f"{column}_allowed", "ExpectColumnValuesToBeInSet", kwargs, severity,
                  doc or f"{column} in {sorted(map(str, values))}")


def not_in_set(column: str, values, name: str, severity: str = ERROR, doc: str = "") -> Expect:
    return Expect(name, "ExpectColumnValuesToNotBeInSet", {"column": column, "value_set": list(values)},
                  severity, doc or f"{column} never in {list(values)}")


def unique(columns: tuple[str, ...] | list[str], name: str = "key_unique", severity: str = ERROR,
           doc: str = "") -> Expect:
    cols = list(columns)
    if len(cols) == 1:
        return Expect(name, "ExpectColumnValuesToBeUnique", {"column": cols[0]}, severity,
                      doc or f"{cols[0]} unique among the rows checked")
    return Expect(name, "ExpectCompoundColumnsToBeUnique", {"column_list": cols}, severity,
                  doc or f"({', '.join(cols)}) unique among the rows checked")


def matches(column: str, regex: str, name: str, severity: str = ERROR, doc: str = "") -> Expect:
    return Expect(name, "ExpectColumnValuesToMatchRegex", {"column": column, "regex": regex}, severity,
                  doc or f"{column} matches {regex}")


def symbol(column: str = "ticker", name: str | None = None, severity: str = ERROR) -> Expect:
    """A ticker-like column holds a plain symbol (TICKER_PATTERN); nulls are not checked here."""
    return matches(column, TICKER_PATTERN, name or f"{column}_pattern", severity,
                   f"{column} is a plain symbol (letters, digits, ^ . = -; at most 15)")


def of_type(column: str, types=("float64", "Float64", "float"), severity: str = ERROR) -> Expect:
    return Expect(f"{column}_is_number", "ExpectColumnValuesToBeInTypeList",
                  {"column": column, "type_list": list(types)}, severity, f"{column} is a number")


def key_rules(key: tuple[str, ...]) -> tuple[Expect, ...]:
    """The key unique among the rows the run wrote, duplicate copies from the source included.

    (Key columns are NOT NULL in raw.*, and the runner checks every table's key for nulls
    and duplicates over the whole table in SQL, so a mart's suite needs no GX key rule.)"""
    return (unique(key, doc=f"key ({', '.join(key)}) unique among the rows the run wrote, "
                            "copies the source delivered twice included"),)


def _show(value) -> str:
    return f"${value.name}" if isinstance(value, Param) else repr(value)
