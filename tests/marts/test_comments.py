"""Every mart column is documented, every $param is a named threshold, and the docs list them."""

import re
from pathlib import Path

import pytest

from scout_pipeline.build import build_all
from scout_pipeline.params import PARAMS
from scout_pipeline.sql_files import LAYERS, load_models, sql_root
from scout_pipeline.store import sql_params
from tests.conftest import load, run_params

MARTS = [m for m in load_models() if m.layer == "marts"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "marts.md"


@pytest.fixture(scope="module")
def built():
    import duckdb

    from scout_pipeline import store

    con = duckdb.connect()
    con.execute(store.SCHEMA_SQL.read_text())
    day = "2026-03-02"
    load(con, "prices", [{"ticker": t, "date": day, "close": 10.0, "volume": 1.0} for t in ("^RUT", "^GSPC", "A")])
    load(con, "universe", [{"ticker": "A", "asset_type": "equity", "segments": ["small_cap"]}])
    load(con, "pairs", [{"pair_id": "p", "lead": "^RUT", "base": "^GSPC"}])
    load(con, "fundamentals", [{"ticker": "A", "as_of": day, "market_cap": 1.0}])
    load(con, "rates", [{"series": "ZQ=F", "date": day, "value": 96.0}])
    load(con, "attention", [{"source": "s", "term": "A", "ticker": "A", "date": day, "value": 1.0}])
    build_all(con, run_params(day))
    yield con
    con.close()


@pytest.mark.parametrize("model", MARTS, ids=lambda m: m.name)
def test_every_column_has_a_comment(built, model):
    described = [r[0] for r in built.execute(f"DESCRIBE {model.table}").fetchall()]
    assert described == list(model.columns), f"{model.path.name}: @column lines differ from the table"
    comments = dict(built.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ?",
        [model.name]).fetchall())
    assert all(comments[c] for c in described)
    assert all(k in described for k in model.key)


def test_every_param_is_named():
    # the models' thresholds; sql/live/ holds the live source's store queries (their own binds)
    for path in sorted(p for layer in LAYERS for p in (sql_root() / layer).glob("*.sql")):
        unknown = sql_params(path.read_text()) - {"as_of", "since"} - set(PARAMS)
        assert not unknown, f"{path.name} binds {sorted(unknown)}, which are not in params.PARAMS"


def test_docs_list_every_mart_parameter_with_its_default():
    text = DOCS.read_text()
    used = set().union(*(sql_params(m.body) for m in MARTS)) - {"as_of", "since"}
    rows = dict(re.findall(r"^\|\s*`(\w+)`\s*\|\s*([^|]+?)\s*\|", text, flags=re.M))
    for name in sorted(used):
        assert name in rows, f"docs/marts.md has no parameter row for {name}"
        assert float(rows[name]) == PARAMS[name].default, name
    for model in MARTS:
        assert f"`{model.name}`" in text
