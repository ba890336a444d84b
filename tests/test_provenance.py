"""Issue 17 defects 3, 8, 9, 10 through `scout backfill` on a small snapshot of sample-labelled
prices: the synthetic label follows the rows, meta.run_info says how the build was made
(whatever launched it), Parquet and asset pages carry the column schema, and the CLI prints a
line per step, the brief's own headline and the brief once."""

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from scout_pipeline import cli
from scout_pipeline.sql_files import load_models
from tests.conftest import dagster_home
from tests.test_run import _prices_dir

START, END = "2025-12-11", "2026-01-09"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("provenance")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(dagster_home(root / "home")))
    snap = _prices_dir(root)
    prices = snap / "prices.csv"
    text = prices.read_text().splitlines()
    # what `scout snapshot --source sample` writes: every row says where it came from
    prices.write_text("\n".join([text[0] + ",source", *(line + ",sample" for line in text[1:])]) + "\n")
    wh = root / "wh"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["backfill", "--start", START, "--end", END, "--source", str(snap),
                         "--warehouse", str(wh), "--param", "rs_sessions=21"])
    assert code == 0, out.getvalue()
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        events = {}
        for rec in instance.get_records_for_run(runs[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records:
            mat = rec.event_log_entry.dagster_event.event_specific_data.materialization
            events[mat.asset_key.to_user_string()] = mat.metadata
    yield {"root": root, "wh": wh, "snap": snap, "out": out.getvalue(), "runs": runs, "events": events}
    mp.undo()


def _run_info(wh):
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM meta.run_info").fetchall())
    finally:
        con.close()


def test_synthetic_label_follows_the_rows_not_the_command_line(built):
    info = _run_info(built["wh"])
    assert info["source"] == "sample" and info["synthetic"] == "true"
    assert info["row_sources"] == "default,sample"  # prices say sample; universe and pairs are the bundled ones
    assert info["snapshot"] == str(built["snap"])  # the argument, recorded beside the label
    md = (built["wh"] / "briefs" / END / "brief.md").read_text()
    assert "SYNTHETIC SAMPLE DATA" in md and "Source: sample" in md
    assert "synthetic" in built["events"]["daily_brief_report"] and built["events"]["daily_brief_report"]["synthetic"].value


def test_run_info_records_params_code_and_as_of(built):
    info = _run_info(built["wh"])
    assert info["as_of"] == END and info["history_start"] == START
    assert json.loads(info["params"]) == {"rs_sessions": 21.0}
    assert json.loads(info["params_resolved"])["rs_sessions"] == 21.0
    assert info["code_version"] and len(info["code_digest"]) == 16
    assert info["launched_by"] == "cli"
    tags = built["runs"][0].tags
    assert tags["scout/as_of"] == END and json.loads(tags["scout/params"]) == {"rs_sessions": 21.0}


def test_parquet_files_carry_comments_and_run_info(built):
    model = next(m for m in load_models() if m.name == "relative_strength_streaks")
    meta = pq.read_schema(built["wh"] / "parquet" / "relative_strength_streaks.parquet").metadata
    columns = json.loads(meta[b"scout.column_comments"])
    assert columns == {k: v for k, v in model.comments().items() if k}
    assert meta[b"scout.table_comment"].decode() == model.description
    assert json.loads(meta[b"scout.run_info"]) == {k: v for k, v in _run_info(built["wh"]).items()}


def test_asset_metadata_has_the_table_schema(built):
    model = next(m for m in load_models() if m.name == "relative_strength_streaks")
    schema = built["events"]["marts/relative_strength_streaks"]["dagster/column_schema"].value
    by_name = {c.name: c for c in schema.columns}
    assert list(by_name) == list(model.columns)  # every column, in table order
    assert by_name["date"].type == "DATE" and by_name["streak_days"].type in ("INTEGER", "BIGINT")
    assert by_name["streak_days"].description == model.columns["streak_days"]


def test_cli_prints_a_line_per_step_the_brief_headline_and_the_brief_once(built):
    out = built["out"]
    step_lines = [line for line in out.splitlines() if line.startswith("  ") and line.rstrip().endswith("s")
                  and ("rows" in line or "charts" in line or "tables" in line)]
    assert any(line.split()[0] == "raw/prices" and "rows" in line for line in step_lines), out
    assert any(line.split()[0] == "marts/relative_strength_streaks" for line in step_lines), out
    assert any(line.split()[0] == "daily_brief_report" for line in step_lines), out
    assert out.count("Brief: ") == 1
    con = duckdb.connect(str(built["wh"] / "scout.duckdb"), read_only=True)
    headline = con.execute("SELECT headline FROM marts.daily_brief WHERE section = 'rotation'").fetchone()[0]
    con.close()
    assert f"Headline: {headline}" in out


def test_a_run_launched_without_the_cli_gets_the_same_tags(built, monkeypatch):
    """What the UI launchpad does: the job with resource config (as_of among it), no scout/*
    tags; the resource adds them when the run starts."""
    import dagster as dg

    from scout_pipeline import provenance
    from scout_pipeline.definitions import DAILY_JOB, defs

    monkeypatch.setenv("DAGSTER_HOME", str(built["root"] / "home"))
    config = {"resources": {"scout": {"config": {"warehouse_dir": str(built["root"] / "ui-wh"),
                                                  "source": str(built["snap"]), "as_of": END,
                                                  "params": {"rs_sessions": 21}}}}}
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
            run_config=config, instance=instance, raise_on_error=False,
            asset_selection=[dg.AssetKey(["raw", "pairs"])])
        tags = instance.get_run_by_id(result.run_id).tags
    assert tags["scout/source"] == str(built["snap"]) and tags["scout/as_of"] == END
    assert json.loads(tags["scout/params"]) == {"rs_sessions": 21.0}
    assert provenance.launched_by(tags) == "ui"
    assert provenance.launched_by({"dagster/schedule_name": "scout_daily_schedule"}) == "schedule scout_daily_schedule"
