"""Suites for the raw tables, one module per table, named after it (raw.prices -> prices.py).

Each validates the rows the run wrote: `raw.<table>` rows stamped with the run's
`loaded_at` (see `quality.ingest`), plus every copy of any key the source delivered more
than once (the upsert keeps one; the others are kept in `quality.<table>_duplicates` so the
suite sees and blocks them). When the run did not ingest the table (a check launched alone
in the UI), the whole table is validated.
"""

from __future__ import annotations

from scout_pipeline.sources.contracts import RAW_TABLES

# SQL fragments (identifiers only; every value is a bound parameter).
STAMP = "CAST($stamp AS TIMESTAMP)"
IN_RUN = f"({STAMP} IS NULL OR t.loaded_at = {STAMP})"


def duplicated(table: str, alias: str = "t") -> str:
    """Predicate: the row's key was delivered more than once in this run."""
    key = RAW_TABLES[table][0]
    on = " AND ".join(f"d.{k} = {alias}.{k}" for k in key)
    return f"EXISTS (SELECT 1 FROM quality.{table}_duplicates d WHERE d.run_id = $run_id AND {on})"


def run_rows(table: str, extra: str = "") -> str:
    """The run's rows of raw.<table>, with every copy of a duplicated key.

    `extra` adds derived columns (SQL expressions over the table's own columns, alias t)."""
    more = f", {extra}" if extra else ""
    return (
        f"SELECT t.*{more}, FALSE AS source_duplicate FROM raw.{table} t\n"
        f"WHERE {IN_RUN} OR {duplicated(table)}\n"
        f"UNION ALL BY NAME\n"
        f"SELECT t.*{more}, TRUE AS source_duplicate FROM (\n"
        f"  SELECT * EXCLUDE (run_id) FROM quality.{table}_duplicates WHERE run_id = $run_id) t"
    )
