"""Quality suites, one per table, named after it. Plain Python over a DuckDB connection.

Each expectation is a SQL predicate that selects the *offending* rows; a suite passes when
no blocking expectation finds any. Identifiers come from the contracts and sql headers,
values are bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from scout_pipeline.quality.rules import Expectation, expectations_for

SAMPLE_ROWS = 5


@dataclass
class Failure:
    expectation: str
    unexpected_count: int
    samples: list[dict]
    blocking: bool


@dataclass
class CheckOutcome:
    suite: str
    failures: list[Failure] = field(default_factory=list)
    evaluated: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def blocking(self) -> bool:
        """ERROR severity (stops the run) when any failed expectation is blocking."""
        return any(f.blocking for f in self.failures)

    @property
    def unexpected_count(self) -> int:
        return sum(f.unexpected_count for f in self.failures)

    def summary(self) -> str:
        if not self.failures:
            return f"suite {self.suite}: {self.evaluated} expectations passed"
        parts = [f"{f.expectation} ({f.unexpected_count} rows{'' if f.blocking else ', warning'})"
                 for f in self.failures]
        return f"suite {self.suite}: " + "; ".join(parts)

    def markdown(self) -> str:
        lines = []
        for f in self.failures:
            lines.append(f"**{f.expectation}** — {f.unexpected_count} unexpected rows"
                         f"{'' if f.blocking else ' (warning)'}")
            lines.extend(f"  - `{s}`" for s in f.samples)
        return "\n".join(lines)


def describe(schema: str, table: str) -> str:
    return "; ".join(e.name for e in expectations_for(schema, table))


def _evaluate(con: duckdb.DuckDBPyConnection, e: Expectation, params: dict) -> Failure | None:
    bound = {k: params[k] for k in e.params}
    count = con.execute(f"SELECT count(*) FROM ({e.sql})", bound or None).fetchone()[0]
    if not count:
        return None
    cur = con.execute(f"SELECT * FROM ({e.sql}) LIMIT {SAMPLE_ROWS}", bound or None)
    names = [d[0] for d in cur.description]
    samples = [dict(zip(names, map(_plain, row))) for row in cur.fetchall()]
    return Failure(e.name, int(count), samples, e.blocking)


def _plain(value):
    return value if isinstance(value, (int, float, str, type(None))) else str(value)


def run_suite(con: duckdb.DuckDBPyConnection, schema: str, table: str, params: dict) -> CheckOutcome:
    outcome = CheckOutcome(suite=table)
    for e in expectations_for(schema, table):
        outcome.evaluated += 1
        failure = _evaluate(con, e, params)
        if failure:
            outcome.failures.append(failure)
    return outcome
