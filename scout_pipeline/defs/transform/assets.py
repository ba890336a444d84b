"""Transform: every .sql file under sql/ is one asset; its deps come from its SQL.

The staging views are one step (`staging_views`, a multi-asset with one asset key per view,
so lineage and the UI are unchanged): creating a view is ~5 ms of SQL, and a Dagster step of
its own cost 64-87 ms. Each mart is its own step and runs its quality suite in that step
(`check_specs`, blocking), so a mart costs one step, not two.
"""


import dagster as dg

from scout_pipeline import faults, run_notes
from scout_pipeline.build import build_model
from scout_pipeline.defs.quality.checks import run_check, suite_spec
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


def _build(context, scout: ScoutResource, model: SqlModel, con) -> dict:
    """Build one model on the step's connection to the run's working copy; the metadata its
    materialization shows."""
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
    return meta


def _key(model: SqlModel) -> dg.AssetKey:
    return dg.AssetKey([model.layer, model.name])


def _make(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        key=_key(model),
        deps=[dg.AssetKey(list(up)) for up in model.upstream],
        group_name="transform",
        kinds={"duckdb", "sql"},
        description=model.description,
        metadata={"sql_file": f"sql/{model.layer}/{model.name}.sql"},
        check_specs=[suite_spec(model.layer, model.name)],
    )
    def _asset(context: dg.AssetExecutionContext, scout: ScoutResource) -> dg.MaterializeResult:
        with scout.warehouse().connect(context.run_id) as con:
            meta = _build(context, scout, model, con)
            # the suite reads only this mart, just built: it runs here, not in a step of its own
            checked = run_check(context, scout, model.layer, model.name, con)
        return dg.MaterializeResult(metadata=meta, check_results=[checked])

    return _asset


def _make_views(models: list[SqlModel]) -> dg.AssetsDefinition:
    """Every staging view in one step, in dependency order; each view keeps its asset key."""
    specs = [dg.AssetSpec(_key(m), deps=[dg.AssetKey(list(up)) for up in m.upstream], group_name="transform",
                          kinds={"duckdb", "sql"}, description=m.description,
                          metadata={"sql_file": f"sql/{m.layer}/{m.name}.sql"}) for m in models]

    @dg.multi_asset(specs=specs, name="staging_views", can_subset=True)
    def _views(context: dg.AssetExecutionContext, scout: ScoutResource):
        with scout.warehouse().connect(context.run_id) as con:
            for model in models:
                if _key(model) in context.selected_asset_keys:
                    yield dg.MaterializeResult(asset_key=_key(model), metadata=_build(context, scout, model, con))

    return _views


def _assets() -> list[dg.AssetsDefinition]:
    from scout_pipeline.build import ordered

    views = [m for m in ordered() if m.layer == "staging"]  # a view on a view comes after it
    return [_make_views(views)] + [_make(m) for m in load_models() if m.layer != "staging"]


transform_assets = _assets()
mart_keys = [dg.AssetKey([m.layer, m.name]) for m in load_models() if m.layer == "marts"]
