"""daily_brief: the rotation sentences for a live and a broken streak, and empty sections
that say why instead of disappearing."""

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-03-02", "2026-03-31")[:8]
# ^RUT against a flat ^GSPC: ahead 3 (d1-d3), behind 1 (d4), ahead 2 (d5-d6), behind (d7)
LEAD_RETURNS = [None, 0.01, 0.01, 0.01, -0.01, 0.01, 0.01, -0.01]
SECTIONS = ["rotation", "valuation", "cooling_breakouts", "breadth", "rates", "quality_leaders"]


def _load_pair(con, label="Russell 2000 vs S&P 500"):
    level, rows = 100.0, []
    for d, r in zip(DAYS, LEAD_RETURNS):
        level = level if r is None else level * (1 + r)
        rows += [{"ticker": "^RUT", "date": d, "close": level}, {"ticker": "^GSPC", "date": d, "close": 100.0}]
    load(con, "prices", rows)
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC", "label": label}])
    load(con, "universe", [
        {"ticker": "^RUT", "name": "Russell 2000 Index", "asset_type": "index"},
        {"ticker": "^GSPC", "name": "S&P 500 Index", "asset_type": "index"},
    ])


def _brief(con):
    cur = con.execute("SELECT * FROM marts.daily_brief ORDER BY section_order")
    names = [d[0] for d in cur.description]
    return {r[1]: dict(zip(names, r)) for r in cur.fetchall()}


def test_live_streak(con):
    _load_pair(con)
    build_all(con, run_params(DAYS[6]))
    rotation = _brief(con)["rotation"]
    assert rotation["headline"] == (
        f"Russell 2000 ahead of the S&P 500 for 2 sessions, the longest run since {DAYS[3]} (3 sessions)")
    assert rotation["value"] == 2
    assert rotation["as_of"] == DAYS[6]
    assert rotation["detail"].startswith(f"Russell 2000 vs S&P 500 (^RUT vs ^GSPC) on {DAYS[6]}: Russell 2000 +1.00%")


def test_record_streak_names_where_the_data_starts(con):
    _load_pair(con)
    build_all(con, run_params(DAYS[3]))
    rotation = _brief(con)["rotation"]
    assert rotation["headline"] == (
        f"Russell 2000 ahead of the S&P 500 for 3 sessions, the longest run in the data, which starts {DAYS[0]}")
    assert rotation["detail"].endswith(
        f"longest since the data starts ({DAYS[0]}): 3 sessions ahead, the current streak, still running.")


# A longer history: ahead 4 (d1-d4), behind 1 (d5), ahead 3 (d6-d8), against a flat ^GSPC.
LONG_DAYS = calendar.sessions("2026-03-02", "2026-03-31")[:9]
LONG_RETURNS = [None, 0.01, 0.01, 0.01, 0.01, -0.01, 0.01, 0.01, 0.01]


def _load_history(con, first: int = 0):
    """The long history, loaded from session `first` on (a short load of the same market)."""
    level, rows = 100.0, []
    for i, (d, r) in enumerate(zip(LONG_DAYS, LONG_RETURNS)):
        level = level if r is None else level * (1 + r)
        if i >= first:
            rows += [{"ticker": "^RUT", "date": d, "close": level}, {"ticker": "^GSPC", "date": d, "close": 100.0}]
    load(con, "prices", rows)
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC",
                         "label": "Russell 2000 vs S&P 500"}])
    load(con, "universe", [{"ticker": "^RUT", "name": "Russell 2000 Index", "asset_type": "index"},
                           {"ticker": "^GSPC", "name": "S&P 500 Index", "asset_type": "index"}])


def test_full_history_finds_the_earlier_streak(con):
    _load_history(con)
    build_all(con, run_params(LONG_DAYS[8]))
    rotation = _brief(con)["rotation"]
    assert rotation["headline"] == (
        f"Russell 2000 ahead of the S&P 500 for 3 sessions, the longest run since {LONG_DAYS[4]} (4 sessions)")
    assert rotation["detail"].endswith(
        f"longest since the data starts ({LONG_DAYS[0]}): 4 sessions ahead, ended {LONG_DAYS[4]}.")


def test_short_history_names_its_start_instead_of_claiming_a_record(con):
    """Issue 13: the same day on a load that starts after the earlier 4-session streak. The
    3-session run is the longest *in the data*, and the brief says where the data starts."""
    from scout_pipeline.report import headline_streak

    _load_history(con, first=5)
    build_all(con, run_params(LONG_DAYS[8]))
    rotation = _brief(con)["rotation"]
    assert rotation["headline"] == (
        f"Russell 2000 ahead of the S&P 500 for 3 sessions, the longest run in the data, which starts {LONG_DAYS[5]}")
    assert rotation["detail"].endswith(
        f"longest since the data starts ({LONG_DAYS[5]}): 3 sessions ahead, the current streak, still running.")
    for text in (rotation["headline"], rotation["detail"]):
        assert "on record" not in text
    assert headline_streak(con).endswith(f"longest in the data, which starts {LONG_DAYS[5]}")


def test_broken_streak(con):
    _load_pair(con)
    build_all(con, run_params(DAYS[7]))
    rotation = _brief(con)["rotation"]
    assert rotation["headline"] == "Russell 2000 vs the S&P 500 streak broke: behind for 1 session after 2 ahead"
    assert rotation["value"] == -1


def test_names_from_the_universe_without_a_label(con):
    _load_pair(con, label=None)
    build_all(con, run_params(DAYS[6]))
    assert _brief(con)["rotation"]["headline"].startswith("Russell 2000 ahead of the S&P 500 for 2 sessions")


@pytest.mark.parametrize("label", ["Small caps against large caps", "Russell vs", " vs ", "A vs B vs C"])
def test_names_come_from_the_universe_whatever_the_label_says(con, label):
    """Issue 14.13: a label without " vs " (or with an odd one) left a blank name
    ("…ahead of the  for 2 sessions"); the label is shown whole in the detail only."""
    _load_pair(con, label=label)
    build_all(con, run_params(DAYS[6]))
    rotation = _brief(con)["rotation"]
    assert rotation["headline"].startswith("Russell 2000 ahead of the S&P 500 for 2 sessions")
    assert rotation["detail"].startswith(f"{label} (^RUT vs ^GSPC) on {DAYS[6]}: Russell 2000 +1.00%, S&P 500 +0.00%")


def test_names_fall_back_to_the_ticker(con):
    _load_pair(con)
    load(con, "universe", [{"ticker": "^RUT", "name": "  ", "asset_type": "index"},
                           {"ticker": "^GSPC", "asset_type": "index"}])
    build_all(con, run_params(DAYS[6]))
    assert _brief(con)["rotation"]["headline"].startswith("^RUT ahead of ^GSPC for 2 sessions")


def test_empty_inputs_keep_their_sections(con):
    _load_pair(con)
    build_all(con, run_params(DAYS[6]))
    brief = _brief(con)
    assert list(brief) == SECTIONS
    assert [b["section_order"] for b in brief.values()] == [1, 2, 3, 4, 5, 6]
    assert brief["valuation"]["detail"] == "no fundamentals in this source"
    assert brief["cooling_breakouts"]["detail"] == "no equity prices in this source"
    assert brief["breadth"]["detail"] == "no equity prices in this source"
    assert brief["rates"]["detail"] == "no fed funds futures in this source"
    assert brief["quality_leaders"]["detail"] == "no fundamentals in this source"
    for section in SECTIONS[1:]:
        assert brief[section]["headline"].endswith("no data")
        assert brief[section]["value"] is None


def test_nothing_at_all(con):
    build_all(con, run_params(DAYS[6]))
    brief = _brief(con)
    assert list(brief) == SECTIONS
    assert brief["rotation"]["detail"] == "no pair with prices for both series in this source"


def test_sections_from_the_marts(con):
    """Valuation, rates and breakouts read their marts (hand-made tiny inputs)."""
    _load_pair(con)
    load(con, "universe", [
        {"ticker": "^RUT", "name": "Russell 2000 Index", "asset_type": "index"},
        {"ticker": "^GSPC", "name": "S&P 500 Index", "asset_type": "index"},
        {"ticker": "S1", "asset_type": "equity", "segments": ["small_cap"]},
        {"ticker": "L1", "asset_type": "equity", "segments": ["large_cap"]},
    ])
    load(con, "prices", [{"ticker": t, "date": d, "close": 10.0, "volume": 100.0}
                         for t in ("S1", "L1") for d in DAYS])
    load(con, "fundamentals", [
        {"ticker": "S1", "as_of": DAYS[6], "market_cap": 150.0, "shares_outstanding": 10.0,
         "forward_eps": 1.0, "trailing_eps": -0.1},
        {"ticker": "L1", "as_of": DAYS[6], "market_cap": 200.0, "shares_outstanding": 10.0,
         "forward_eps": 1.0, "trailing_eps": 1.0},
    ])
    load(con, "rates", [{"series": "ZQ=F", "date": d, "value": 95.9} for d in DAYS]
         + [{"series": "DFF", "date": DAYS[0], "value": 4.33}])
    build_all(con, run_params(DAYS[6]))
    brief = _brief(con)
    valuation = brief["valuation"]
    assert valuation["headline"] == "Small caps trade at 15.0x forward earnings vs 20.0x for large caps: a 25% discount"
    assert valuation["value"] == pytest.approx(25.0)
    assert "100% of small caps unprofitable" in valuation["detail"]
    rates = brief["rates"]
    # ZQ=F alone (no contract months, no calendar): the section says what is missing
    assert rates["headline"] == ("Rate expectations: no per-meeting pricing (no fed funds contract months"
                                 " or FOMC calendar in this source)")
    assert rates["value"] is None
    assert brief["cooling_breakouts"]["headline"] == "No breakouts in the last 60 sessions"
    assert brief["cooling_breakouts"]["value"] == 0
    assert brief["quality_leaders"]["headline"] == "Quality leaders: no data"
    assert "63 sessions of prices" in brief["quality_leaders"]["detail"]
