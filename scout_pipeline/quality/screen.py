"""A suite batch's expectations as one SQL pass: the exact unexpected count of each.

GX validates a pandas frame; getting the frame out of DuckDB and through GX costs a fixed
~5-10 ms per expectation and per validation, whatever the rows, and the whole frame in
memory (7.5 M bars on a first load). The expectation classes the suites use are simple
predicates over a row (or, for uniqueness, over the rows sharing a key), so DuckDB can count
each one's unexpected rows exactly in one aggregate over the batch query, with GX's own
semantics: nulls and NaN are "missing" (skipped by every rule but not-null), a row condition
restricts the rows, `mostly` compares the share of non-missing rows that pass.
tests/quality/test_rows_written.py checks the counts against GX's on a table built to hit
each edge. The runner hands GX only the unexpected rows and a bounded sample (module
`runner`); an expectation with no translation here sends its batch to GX whole.

Every value is bound ($__v<n>); identifiers are column names from the suite modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scout_pipeline.quality.spec import Expect, Param

FLOATS = {"DOUBLE", "FLOAT", "REAL"}  # DuckDB types pandas receives as float64 (NaN possible)


@dataclass
class Rule:
    """One expectation as SQL: `unexpected` flags a row; `domain` the rows it looks at."""

    expect: Expect
    unexpected: str  # boolean SQL over one row of the batch (may hold a window for uniqueness)
    domain: str = "TRUE"  # rows the expectation considers (its row condition), for `checked`
    nonnull: str | None = None  # rows counted for `mostly` (non-missing within the domain)
    mostly: float | None = None
    values: dict = field(default_factory=dict)


class Untranslatable(Exception):
    """An expectation the screen cannot express exactly: its batch goes to GX whole."""


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _missing(col: str, types: dict[str, str]) -> str:
    """pandas' isnull after DuckDB's .df(): NULL, and NaN for floats."""
    if types.get(col, "").upper() in FLOATS:
        return f"({_q(col)} IS NULL OR isnan({_q(col)}))"
    return f"({_q(col)} IS NULL)"


def rule(e: Expect, types: dict[str, str], params: dict, n: int, unexpected: str | None = None) -> Rule:
    """The expectation `e` as SQL (named parameters $__v<n>_<i>); Untranslatable if it cannot be
    exact. `unexpected` replaces the predicate with an equivalent the caller knows is exact
    and cheaper (the batch's row is `__b`)."""
    values: dict = {}
    if unexpected is not None:
        return Rule(e, unexpected)

    def bind(value) -> str:
        if isinstance(value, Param):
            value = params[value.name]
        name = f"__v{n}_{len(values)}"
        values[name] = value
        return f"${name}"

    kw = e.kwargs
    domain = "TRUE"
    if e.where is not None:
        col, op, value = e.where
        # pandas: None == v is False, None != v is True
        domain = f"coalesce({_q(col)} = {bind(value)}, FALSE)" if op == "==" else \
            f"({_q(col)} IS DISTINCT FROM {bind(value)})"
    extra = set(kw) - {"column", "column_A", "column_B", "column_list", "min_value", "max_value", "strict_min",
                       "strict_max", "mostly", "value_set", "regex", "or_equal", "ignore_row_if", "type_list"}
    if extra:
        raise Untranslatable(f"{e.gx} with {sorted(extra)}")
    col = kw.get("column")
    mostly = kw.get("mostly")
    if isinstance(mostly, Param):
        mostly = params[mostly.name]
    present = f"NOT {_missing(col, types)}" if col else "TRUE"
    if e.gx == "ExpectColumnValuesToNotBeNull":
        bad = _missing(col, types)
        present = "TRUE"
    elif e.gx == "ExpectColumnValuesToBeBetween":
        parts = []
        if "min_value" in kw and kw["min_value"] is not None:
            parts.append(f"{_q(col)} {'<=' if kw.get('strict_min') else '<'} {bind(kw['min_value'])}")
        if "max_value" in kw and kw["max_value"] is not None:
            parts.append(f"{_q(col)} {'>=' if kw.get('strict_max') else '>'} {bind(kw['max_value'])}")
        if not parts:
            raise Untranslatable("between without bounds")
        bad = f"({present} AND ({' OR '.join(parts)}))"
    elif e.gx == "ExpectColumnPairValuesAToBeGreaterThanB":
        if kw.get("ignore_row_if") != "either_value_is_missing":
            raise Untranslatable("pair rule that does not skip missing values")
        a, b = kw["column_A"], kw["column_B"]
        present = f"NOT {_missing(a, types)} AND NOT {_missing(b, types)}"
        bad = f"({present} AND NOT ({_q(a)} {'>=' if kw.get('or_equal') else '>'} {_q(b)}))"
    elif e.gx in ("ExpectColumnValuesToBeInSet", "ExpectColumnValuesToNotBeInSet"):
        found = f"list_contains({bind(list(kw['value_set']))}, {_q(col)})"
        bad = f"({present} AND {'NOT ' if e.gx.endswith('ToBeInSet') else ''}{found})"
    elif e.gx == "ExpectColumnValuesToMatchRegex":
        regex = kw["regex"]
        if "\\z" in regex or "(?" in regex:
            raise Untranslatable("regex construct RE2 reads differently")
        # Python's \Z (end of text) is RE2's \z; re.search and regexp_matches both search
        re2 = bind(regex.replace("\\Z", "\\z"))
        bad = f"({present} AND NOT regexp_matches(CAST({_q(col)} AS VARCHAR), {re2}))"
    elif e.gx == "ExpectColumnValuesToBeUnique":
        bad = f"({present} AND count(*) OVER (PARTITION BY {_q(col)}) > 1)"
    elif e.gx == "ExpectCompoundColumnsToBeUnique":
        cols = list(kw["column_list"])
        every_missing = " AND ".join(_missing(c, types) for c in cols)  # GX skips all-missing rows
        present = f"NOT ({every_missing})"
        bad = f"({present} AND count(*) OVER (PARTITION BY {', '.join(_q(c) for c in cols)}) > 1)"
    elif e.gx == "ExpectColumnValuesToBeInTypeList":
        wanted = set(kw["type_list"])
        if not wanted <= {"float64", "Float64", "float"} or types.get(col, "").upper() not in FLOATS:
            raise Untranslatable("type rule on a column that is not a float")
        bad = "FALSE"  # a DOUBLE column arrives in pandas as float64: the type is the schema's
    else:
        raise Untranslatable(e.gx)
    if e.where is not None:
        bad = f"({domain} AND {bad})"
        present = f"({domain} AND {present})"
    return Rule(e, bad, domain, present if mostly is not None else None, mostly, values)


@dataclass
class Count:
    unexpected: int
    checked: int
    success: bool


def counts(con, sql: str, params: dict, rules: list[Rule]) -> tuple[int, list[Count]]:
    """(rows in the batch, a Count per rule), in one pass over the batch query."""
    flags = ", ".join(f"{r.unexpected} AS __u{i}" for i, r in enumerate(rules))
    aggs = ["count(*)"]
    for i, r in enumerate(rules):
        aggs.append(f"count(*) FILTER (WHERE __u{i})")
        aggs.append(f"count(*) FILTER (WHERE {r.domain})")
        aggs.append(f"count(*) FILTER (WHERE {r.nonnull})" if r.nonnull else "0")
    bound = dict(params)
    for r in rules:
        bound.update(r.values)
    query = (f"WITH __batch AS ({sql}), __flagged AS (SELECT *{', ' + flags if flags else ''} "
             f"FROM __batch __b) SELECT {', '.join(aggs)} FROM __flagged")
    row = con.execute(query, _needed(query, bound)).fetchone()
    out = []
    for i, r in enumerate(rules):
        bad, domain, nonnull = (int(v) for v in row[1 + 3 * i: 4 + 3 * i])
        if r.mostly is not None:
            success = nonnull == 0 or (nonnull - bad) / nonnull >= r.mostly
        else:
            success = bad == 0
        out.append(Count(bad, domain, success))
    return int(row[0]), out


def failing_rows(con, sql: str, params: dict, rules: list[Rule], failed: list[int], cap: int, sample: int):
    """The batch's rows GX is handed: up to `cap` unexpected rows of each failed rule (in the
    batch's order) and its first `sample` rows, once each, as a pandas frame with `__row`
    (the row's place in the batch) and a flag `__u<i>` per failed rule.

    Two passes, so that nothing wide is sorted: the first picks row numbers from the rows'
    flags alone, the second reads those rows. (A row number per flag value, not a running
    count with FILTER, which DuckDB evaluates in quadratic time: 196 s for 1 M rows.)"""
    flags = ", ".join(f"{rules[i].unexpected} AS __u{i}" for i in failed)
    bound = dict(params)
    for i in failed:
        bound.update(rules[i].values)
    numbered = (f"WITH __batch AS ({sql}), __numbered AS (SELECT *, row_number() OVER () AS __row FROM __batch), "
                f"__flagged AS (SELECT *{', ' + flags if flags else ''} FROM __numbered __b)")
    any_flag = " OR ".join([f"__row <= {int(sample)}", *(f"__u{i}" for i in failed)])
    picks = " OR ".join([f"__row <= {int(sample)}", *(
        f"(__u{i} AND row_number() OVER (PARTITION BY __u{i} ORDER BY __row) <= {int(cap)})" for i in failed)])
    query = (f"{numbered} SELECT __row FROM (SELECT __row, {picks} AS __keep FROM (SELECT __row"
             f"{''.join(f', __u{i}' for i in failed)} FROM __flagged WHERE {any_flag})) WHERE __keep")
    rows = [r[0] for r in con.execute(query, _needed(query, bound)).fetchall()]
    query = f"{numbered} SELECT * FROM __flagged WHERE __row IN (SELECT unnest($__rows)) ORDER BY __row"
    return con.execute(query, _needed(query, {**bound, "__rows": rows})).df()


def _needed(sql: str, values: dict) -> dict | None:
    from scout_pipeline.store import sql_params

    return {k: values[k] for k in sql_params(sql)} or None
