"""Build the SQL models on a connection without Dagster (tests, benchmarks, recovery)."""

from __future__ import annotations

import duckdb

from scout_pipeline import store
from scout_pipeline.sql_files import SqlModel, load_models


def ordered(models: tuple[SqlModel, ...] | None = None) -> list[SqlModel]:
    """Models in dependency order (each after the models it reads)."""
    models = models or load_models()
    by_table = {(m.layer, m.name): m for m in models}
    done: list[SqlModel] = []
    seen: set[tuple[str, str]] = set()

    def visit(model: SqlModel, path: tuple) -> None:
        key = (model.layer, model.name)
        if key in seen:
            return
        if key in path:
            raise ValueError(f"cycle in sql/: {' -> '.join('.'.join(p) for p in path + (key,))}")
        for up in model.upstream:
            if up in by_table:
                visit(by_table[up], path + (key,))
        seen.add(key)
        done.append(model)

    for model in models:
        visit(model, ())
    return done


def apply_comments(con: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    comments = model.comments()
    kind = "VIEW" if model.layer == "staging" else "TABLE"
    # one transaction for all of them: a commit per comment cost ~0.5 ms each (~10 ms a mart,
    # every run), a third of that together (builds run outside a transaction, as incremental.py)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"COMMENT ON {kind} {model.table} IS {store.sql_literal(comments.pop(''))}")
        for col, text in comments.items():
            con.execute(f'COMMENT ON COLUMN {model.table}."{col}" IS {store.sql_literal(text)}')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def build_model(con: duckdb.DuckDBPyConnection, model: SqlModel, params: dict) -> str:
    """Build one model; returns how an incremental mart was built ("" for the others)."""
    why = ""
    if model.history:
        from scout_pipeline import mart_history

        mart_history.build(con, model, params)  # keeps the earlier published days
    elif model.incremental:
        from scout_pipeline import incremental

        why = incremental.build(con, model, params)  # recomputes only from the first day that changed
    else:
        store.run_sql(con, model.create_statement(), params)
    apply_comments(con, model)
    return why


def build_all(con: duckdb.DuckDBPyConnection, params: dict, only: set[str] | None = None) -> list[str]:
    """Create every staging view and mart table (or those named in `only`, e.g.
    {'marts.valuation_gap'} plus what they need must already exist)."""
    built = []
    for model in ordered():
        if only is None or model.table in only or model.layer == "staging":
            build_model(con, model, params)
            built.append(model.table)
    return built
