"""Issue 17 defect 11: the SQLAlchemy path Superset takes (duckdb-engine, `inspect()` to read
a table's columns, then a query), on a published file opened read-only, with the versions the
test extra pins (docs/bi.md: SQLAlchemy 2.0.45+ reflects through pg_catalog.pg_collation
columns DuckDB does not have)."""

import subprocess
import sys

import duckdb
import pytest

sa = pytest.importorskip("sqlalchemy")
pytest.importorskip("duckdb_engine")

from scout_pipeline import build, store  # noqa: E402
from tests.conftest import load, run_params  # noqa: E402

# What Superset runs when it reads a table, in a process of its own, as a BI tool would.
CLIENT = """
import json, sys
import sqlalchemy as sa
engine = sa.create_engine("duckdb:///" + sys.argv[1], connect_args={"read_only": True})
inspector = sa.inspect(engine)
columns = inspector.get_columns("relative_strength_streaks", schema="marts")
with engine.connect() as con:
    rows = con.execute(sa.text("SELECT count(*) FROM marts.relative_strength_streaks")).scalar()
print(json.dumps({"tables": inspector.get_table_names(schema="marts"),
                  "columns": [[c["name"], str(c["type"]), c["comment"]] for c in columns], "rows": rows}))
"""


def test_inspect_get_columns_and_query_through_duckdb_engine(tmp_path, con):
    import json

    from scout_pipeline import calendar
    from scout_pipeline.sql_files import load_models

    days = calendar.sessions("2026-03-02", "2026-03-31")[:5]
    load(con, "prices", [{"ticker": t, "date": d, "close": c} for d, i in zip(days, range(5))
                         for t, c in (("^RUT", 100.0 + i), ("^GSPC", 100.0))])
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC", "label": "R vs S"}])
    build.build_all(con, run_params(days[-1]))
    expected_rows = con.execute("SELECT count(*) FROM marts.relative_strength_streaks").fetchone()[0]
    path = tmp_path / "scout.duckdb"
    con.execute("ATTACH ? AS pub", [str(path)])
    con.execute("CREATE SCHEMA pub.marts")
    con.execute("CREATE TABLE pub.marts.relative_strength_streaks AS FROM marts.relative_strength_streaks")
    model = next(m for m in load_models() if m.name == "relative_strength_streaks")
    for col, text in model.columns.items():
        con.execute(f'COMMENT ON COLUMN pub.marts.relative_strength_streaks."{col}" IS {store.sql_literal(text)}')
    con.execute("DETACH pub")

    done = subprocess.run([sys.executable, "-c", CLIENT, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["tables"] == ["relative_strength_streaks"] and seen["rows"] == expected_rows > 0
    by_name = {name: (kind, comment) for name, kind, comment in seen["columns"]}
    assert list(by_name) == list(model.columns)
    assert by_name["date"][0] == "DATE" and by_name["streak_days"][1] == model.columns["streak_days"]


def test_the_pinned_sqlalchemy_is_the_one_installed():
    """The pin in pyproject's test extra (and docs/bi.md) is what this suite runs: a newer
    SQLAlchemy with duckdb-engine 0.17 fails on pg_collation."""
    from packaging.version import Version

    assert Version(sa.__version__) < Version("2.0.45"), (
        f"SQLAlchemy {sa.__version__}: duckdb-engine 0.17 cannot reflect columns with 2.0.45+ (docs/bi.md)")
