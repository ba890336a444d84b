"""Everything loads as `dagster dev` would load it."""

import dagster as dg

from scout_pipeline.definitions import DAILY_JOB, defs
from scout_pipeline.sql_files import load_models


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    for model in load_models():
        assert f"{model.layer}/{model.name}" in keys
    assert {"raw/prices", "raw/pairs", "published_warehouse"} <= keys
    assert defs.resolve_job_def(DAILY_JOB) is not None


def test_sql_dependencies_come_from_the_sql():
    graph = defs.resolve_asset_graph()
    deps = {k.to_user_string() for k in graph.get(dg.AssetKey(["marts", "relative_strength_streaks"])).parent_keys}
    assert deps == {"staging/stg_prices", "staging/stg_pairs"}
    assert {k.to_user_string() for k in graph.get(dg.AssetKey(["staging", "stg_prices"])).parent_keys} == {"raw/prices"}
