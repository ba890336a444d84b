"""Run notes about empty inputs are true (issue #15, item 7): a mart with rows is never
called empty; an optional input with no data is named as such."""

from scout_pipeline.build import build_all
from scout_pipeline.run_notes import empty_input_notes
from scout_pipeline.sql_files import load_models
from tests.conftest import load, run_params
from tests.marts.test_cooling_breakouts import AS_OF, DAYS


def _notes(con, name):
    model = next(m for m in load_models() if m.table == f"marts.{name}")
    rows = con.execute(f"SELECT count(*) FROM {model.table}").fetchone()[0]
    return empty_input_notes(con, model.table, model.upstream, rows)


def test_notes_about_empty_inputs_are_true(con):
    # prices for two equities, nothing else: no fundamentals, attention, pairs or rates
    load(con, "prices", [{"ticker": t, "date": d, "close": 100.0 + i} for t in ("A", "B")
                         for i, d in enumerate(DAYS)])
    load(con, "universe", [{"ticker": t, "asset_type": "equity", "segments": ["small_cap"]} for t in ("A", "B")])
    build_all(con, run_params(AS_OF))
    n_breadth = con.execute("SELECT count(*) FROM marts.market_breadth").fetchone()[0]
    assert n_breadth == len(DAYS)  # one segment, every session
    # market_breadth has rows: it was built without fundamentals (no cap weights), not empty
    assert _notes(con, "market_breadth") == [
        f"marts.market_breadth has {n_breadth} rows, built without staging.stg_fundamentals (no data there)"]
    # daily_brief always has its six rows
    assert _notes(con, "daily_brief")[0].startswith("marts.daily_brief has 6 rows, built without ")
    assert _notes(con, "valuation_gap") == ["marts.valuation_gap is empty: no data in staging.stg_fundamentals"]
    # inputs present, no row qualifies: empty, without blaming an input
    assert _notes(con, "cooling_breakouts") == ["marts.cooling_breakouts is empty: no data in staging.stg_attention"]
    load(con, "attention", [{"source": "s", "term": "A", "ticker": "A", "date": AS_OF, "value": 1.0}])
    assert _notes(con, "cooling_breakouts") == ["marts.cooling_breakouts is empty"]
