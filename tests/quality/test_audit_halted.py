"""A halted name is a warning that names it, not a blocked publish; a missing pair series still
blocks (issue #15, item 11). The suite on an in-memory DuckDB, as the sample and snapshot
sources leave it: no raw.ingest_log rows, so nothing was "reported" by the source."""

from tests.conftest import load
from tests.quality.test_suites import AS_OF, DAYS, _bars, _failed, _run

NAMES = [f"N{i:02d}" for i in range(10)]


def _scene(con, missing=()):
    """Ten universe equities and the pair ^RUT/^GSPC, all trading through AS_OF except
    `missing`, which traded the session before and has no bar on AS_OF."""
    rows = []
    for t in [*NAMES, "^RUT", "^GSPC"]:
        rows += [b for b in _bars(t) if not (t in missing and b["date"] == AS_OF)]
    load(con, "prices", rows)
    load(con, "universe", [{"ticker": t, "asset_type": "equity"} for t in NAMES]
         + [{"ticker": t, "asset_type": "index"} for t in ("^RUT", "^GSPC")])
    load(con, "pairs", [{"pair_id": "p", "lead": "^RUT", "base": "^GSPC", "label": "p"}])
    assert DAYS[-1] == AS_OF


def test_a_halted_name_is_a_warning_naming_it(con):
    _scene(con, missing={"N03"})
    outcome = _run(con, "raw", "prices")
    failed = _failed(outcome)
    assert set(failed) == {"as_of_bar_missing_name"}
    warning = failed["as_of_bar_missing_name"]
    assert not warning.blocking and warning.unexpected_count == 1
    assert warning.samples[0]["ticker"] == "N03"
    assert outcome.passed or not any(f.blocking for f in outcome.failures)  # publish goes ahead


def test_a_missing_pair_series_blocks(con):
    _scene(con, missing={"^GSPC"})
    failed = _failed(_run(con, "raw", "prices"))
    assert failed["as_of_bar_present"].blocking
    assert failed["as_of_bar_present"].samples[0]["ticker"] == "^GSPC"


def test_most_names_missing_means_the_session_is_not_published(con):
    # 3 of 10 names (30% > max_missing_as_of_share 20%): not halts, an unpublished session
    _scene(con, missing={"N01", "N02", "N03"})
    failed = _failed(_run(con, "raw", "prices"))
    assert failed["as_of_bars_mostly_present"].blocking
    assert failed["as_of_bar_missing_name"].unexpected_count == 3
    # 2 of 10 (20%) is within the share: warned about only
    con.execute("DELETE FROM raw.prices")
    _scene(con, missing={"N01", "N02"})
    assert {f.expectation for f in _run(con, "raw", "prices").failures} == {"as_of_bar_missing_name"}


def test_one_halted_name_in_a_small_universe_still_only_warns(con):
    # 1 of 4 names is 25%, over the share, but one name is a halt, not an unpublished session
    load(con, "prices", [b for t in ("A", "B", "C", "D") for b in _bars(t) if not (t == "A" and b["date"] == AS_OF)])
    load(con, "universe", [{"ticker": t, "asset_type": "equity"} for t in ("A", "B", "C", "D")])
    assert {f.expectation for f in _run(con, "raw", "prices").failures} == {"as_of_bar_missing_name"}
