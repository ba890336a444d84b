"""Transform: every .sql file under sql/ is one asset; its deps come from its SQL."""


import dagster as dg

from scout_pipeline import faults, run_notes
from scout_pipeline.build import build_model
from scout_pipeline.defs.resources import ScoutResource
from scout_pipeline.defs.transform.table_schema import table_metadata
from scout_pipeline.sql_files import SqlModel, load_models


PREVIEW_ROWS = 5


def _preview(con, model: SqlModel) -> dict:
    """Date range and the newest rows, so the UI shows what the table holds."""
    date_col = next((c for c in model.key if c in ("date", "as_of")), None)
    if date_col is None:
        return {}
    first, last = con.execute(f"SELECT min({date_col}), max({date_col}) FROM {model.table}").fetchone()
    newest = con.execute(
        f"SELECT * FROM {model.table} ORDER BY {date_col} DESC LIMIT {PREVIEW_ROWS}").df()
    return {"date_range": f"{first} .. {last}",
            "newest_rows": dg.MetadataValue.md(newest.to_markdown(index=False, floatfmt=".4g"))}


def _make(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        key=[model.layer, model.name],
        deps=[dg.AssetKey(list(up)) for up in model.upstream],
        group_name="transform",
        kinds={"duckdb", "sql"},
        description=model.description,
        metadata={"sql_file": f"sql/{model.layer}/{model.name}.sql"},
    )
    def _asset(context: dg.AssetExecutionContext, scout: ScoutResource) -> dg.MaterializeResult:
        wh = scout.warehouse()
        with wh.connect(context.run_id) as con:
            built = build_model(con, model, scout.sql_params(context.run.tags))
            faults.point("transform.after_model", model.name)
            meta: dict = table_metadata(con, model)
            if built:  # incremental marts: from which day, or why whole
                meta["rebuilt"] = built
            if model.layer == "marts":
                meta["dagster/row_count"] = con.execute(f"SELECT count(*) FROM {model.table}").fetchone()[0]
                meta.update(_preview(con, model))
                notes = run_notes.empty_input_notes(con, model.table, model.upstream, meta["dagster/row_count"])
                as_of = scout.sql_params(context.run.tags)["as_of"]
                if model.table == "marts.cooling_breakouts":  # the mart that reads attention
                    notes += run_notes.ignored_attention(con, as_of)
                if model.table == "marts.relative_strength_streaks":  # where a stray bar would count
                    notes += run_notes.off_calendar_bars(con, as_of)
                for note in notes:
                    context.log.warning(note)
                if notes:
                    meta["notes"] = "\n".join(notes)
        return dg.MaterializeResult(metadata=meta)

    return _asset


transform_assets = [_make(m) for m in load_models()]
mart_keys = [dg.AssetKey([m.layer, m.name]) for m in load_models() if m.layer == "marts"]
