"""The table schema an asset page shows: column names and DuckDB types as built, with the
descriptions of the sql/ file's `@column` header lines (the same text as the column comments)."""

import dagster as dg

from scout_pipeline.sql_files import SqlModel


def column_schema(con, model: SqlModel) -> dg.TableSchema:
    schema, table = model.layer, model.name
    described = model.comments()
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
    return dg.TableSchema(columns=[
        dg.TableColumn(name=name, type=data_type, description=described.get(name)) for name, data_type in rows
    ])


def table_metadata(con, model: SqlModel) -> dict:
    return {"dagster/column_schema": column_schema(con, model), "dagster/table_name": model.table}
