"""Audit fixes in quality_leaders and valuation_gap (issue #15, items 5 and 10): neutral
percentiles for a lone name and for all-tie components, and one profitability rule."""

import pytest

from scout_pipeline.build import build_all
from tests.conftest import load, run_params
from tests.marts.test_quality_leaders import AS_OF, DAYS, P


def _load(con, names):
    """names: ticker -> (return over 5 sessions, fundamentals dict); small caps, cap 100."""
    prices = []
    for t, (r, _) in names.items():
        prices += [{"ticker": t, "date": d, "close": 100.0} for d in DAYS[:-1]]
        prices.append({"ticker": t, "date": AS_OF, "close": 100.0 * (1 + r)})
    load(con, "prices", prices)
    load(con, "universe", [{"ticker": t, "asset_type": "equity", "segments": ["small_cap"]} for t in names])
    load(con, "fundamentals", [{"ticker": t, "as_of": AS_OF, "market_cap": 100.0, **f} for t, (_, f) in names.items()])
    build_all(con, run_params(AS_OF, **P))
    cur = con.execute("SELECT * FROM marts.quality_leaders ORDER BY ticker")
    cols = [d[0] for d in cur.description]
    return {r[0 + cols.index("ticker")]: dict(zip(cols, r)) for r in cur.fetchall()}


SCORES = ("profitability_score", "growth_score", "balance_sheet_score", "strength_score", "quality_score")


def test_a_lone_name_scores_neutral(con):
    rows = _load(con, {"ONE": (0.05, dict(profit_margin=0.1, earnings_growth=0.2, debt_to_equity=30.0))})
    assert [rows["ONE"][s] for s in SCORES] == [50, 50, 50, 50, 50]


def test_a_component_on_which_all_tie_is_neutral(con):
    base = dict(earnings_growth=0.1, debt_to_equity=30.0)
    rows = _load(con, {
        # same margin, growth, leverage and return for all three: every one of those is 50
        "T1": (0.02, dict(base, profit_margin=0.1)),
        "T2": (0.02, dict(base, profit_margin=0.1)),
        "T3": (0.02, dict(base, profit_margin=0.1, total_cash=10.0, total_debt=0.0)),
    })
    for t in ("T1", "T2", "T3"):
        assert rows[t]["profitability_score"] == 50
        assert rows[t]["growth_score"] == 50
        assert rows[t]["strength_score"] == 50
    # T3 alone has a net-cash figure: a lone value is neutral too (not percent_rank's 0)
    assert rows["T3"]["balance_sheet_score"] == 50
    assert rows["T1"]["balance_sheet_score"] == 50


def test_partial_ties_share_the_middle_of_their_places(con):
    rows = _load(con, {
        "LO": (0.01, dict(profit_margin=0.05, earnings_growth=0.1, debt_to_equity=30.0)),
        "MID1": (0.02, dict(profit_margin=0.10, earnings_growth=0.2, debt_to_equity=20.0)),
        "MID2": (0.03, dict(profit_margin=0.10, earnings_growth=0.3, debt_to_equity=10.0)),
    })
    # margins 0.05, 0.10, 0.10: places 0 and (1 + 2) / 2 of 2 -> 0, 75, 75
    assert [rows[t]["profitability_score"] for t in ("LO", "MID1", "MID2")] == pytest.approx([0, 75, 75])


def test_one_profitability_rule_in_both_marts(con):
    # net income and EPS disagree (a one-off gain: EPS positive, net income negative; and the
    # reverse): net income decides in both marts; EPS only when net income is missing,
    # the margin only when both are
    names = {
        "NI_LOSS": (0.01, dict(profit_margin=0.1, earnings_growth=0.1, debt_to_equity=10.0,
                               net_income_ttm=-5.0, trailing_eps=0.5)),
        "NI_GAIN": (0.02, dict(profit_margin=0.1, earnings_growth=0.1, debt_to_equity=10.0,
                               net_income_ttm=5.0, trailing_eps=-0.5)),
        "EPS_ONLY": (0.03, dict(profit_margin=0.1, earnings_growth=0.1, debt_to_equity=10.0,
                                trailing_eps=-0.5)),
        "MARGIN_ONLY": (0.04, dict(profit_margin=-0.1, earnings_growth=0.1, debt_to_equity=10.0)),
    }
    rows = _load(con, names)
    assert {t: r["profitable"] for t, r in rows.items()} == {
        "NI_LOSS": False, "NI_GAIN": True, "EPS_ONLY": False, "MARGIN_ONLY": False}
    v = con.execute("SELECT unprofitable_count, unprofitable_pct FROM marts.valuation_gap "
                    "WHERE segment = 'small_cap' AND as_of = ?", [AS_OF]).fetchone()
    # NI_LOSS, EPS_ONLY, MARGIN_ONLY of 4 (valuation_gap used EPS first: NI_GAIN, EPS_ONLY)
    assert v == (3, pytest.approx(75.0))
