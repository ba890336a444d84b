"""Which suite guards a table: the module named after it, else the key suite."""

from __future__ import annotations

import importlib

from scout_pipeline.quality.spec import Batch, Suite, key_rules
from scout_pipeline.sources.contracts import RAW_TABLES


def suite_for(schema: str, table: str) -> Suite:
    """`quality/<schema>/<table>.py`'s SUITE; a table without one gets key rules only.

    `schema` and `table` come from RAW_TABLES and the sql/ file names, never from data."""
    name = f"scout_pipeline.quality.{schema}.{table}"
    try:
        return importlib.import_module(name).SUITE
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
    key = tuple(RAW_TABLES[table][0]) if schema == "raw" else _model_key(schema, table)
    return Suite(schema, table, key, (Batch("rows", f"SELECT * FROM {schema}.{table}", key_rules(key), show=key),),
                 doc="key present and unique")


def _model_key(schema: str, table: str) -> tuple[str, ...]:
    from scout_pipeline.sql_files import load_models

    return next(m.key for m in load_models() if m.layer == schema and m.name == table)


def describe(schema: str, table: str) -> str:
    suite = suite_for(schema, table)
    errors = [e.name for e in suite.expectations() if e.severity == "ERROR"]
    warns = [e.name for e in suite.expectations() if e.severity != "ERROR"]
    text = f"{suite.doc} Blocking (ERROR): table_key_unique, {', '.join(errors)}."
    return text + (f" Warnings (WARN): {', '.join(warns)}." if warns else "")
