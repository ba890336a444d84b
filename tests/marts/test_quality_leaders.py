"""quality_leaders: percentile scores per component, the weighted composite, the rank, and
which names are left out. Relative strength over 5 sessions here."""

import pytest

from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-03-02", "2026-03-31")[:6]
AS_OF = DAYS[-1]
P = dict(rs_sessions=5)

RETURNS = {"Q1": 0.02, "Q2": 0.10, "Q3": 0.05, "Q4": -0.05, "Q5": 0.01, "BIG": 0.5}
FUNDAMENTALS = {
    #      margin, growth, debt/equity, cash, debt, net income   (market cap 100 each)
    "Q1": (0.20, 0.10, 10.0, 50.0, 10.0, 20.0),
    "Q2": (0.10, 0.30, 50.0, 10.0, 30.0, 10.0),
    "Q3": (0.05, 0.20, 30.0, 20.0, 10.0, 5.0),
    "Q4": (-0.05, 0.00, -20.0, 0.0, 50.0, -5.0),   # negative equity: the worst leverage
    "Q5": (0.30, None, 5.0, 90.0, 0.0, 30.0),      # no earnings growth: not scored
    "BIG": (0.40, 0.50, 1.0, 90.0, 0.0, 40.0),     # a large cap: not a candidate
}


def _load(con, fundamentals=FUNDAMENTALS):
    prices = []
    for t, r in RETURNS.items():
        prices += [{"ticker": t, "date": d, "close": 100.0} for d in DAYS[:-1]]
        prices.append({"ticker": t, "date": AS_OF, "close": 100.0 * (1 + r)})
    # Q6: a small cap with too little history for a return
    prices += [{"ticker": "Q6", "date": d, "close": 10.0} for d in DAYS[-3:]]
    load(con, "prices", prices)
    load(con, "universe", [{"ticker": t, "asset_type": "equity",
                            "segments": ["large_cap"] if t == "BIG" else ["small_cap"]}
                           for t in [*RETURNS, "Q6"]])
    load(con, "fundamentals", [
        {"ticker": t, "as_of": AS_OF, "market_cap": 100.0, "profit_margin": m, "earnings_growth": g,
         "debt_to_equity": de, "total_cash": cash, "total_debt": debt, "net_income_ttm": ni}
        for t, (m, g, de, cash, debt, ni) in fundamentals.items()
    ] + [{"ticker": "Q6", "as_of": AS_OF, "market_cap": 100.0, "profit_margin": 0.5,
          "earnings_growth": 0.5, "debt_to_equity": 1.0}])


def _rows(con):
    cur = con.execute("SELECT * FROM marts.quality_leaders ORDER BY rank")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_scores_and_rank(con):
    _load(con)
    build_all(con, run_params(AS_OF, **P))
    rows = _rows(con)
    by = {r["ticker"]: r for r in rows}
    assert set(by) == {"Q1", "Q2", "Q3", "Q4"}
    # the median 5-session return of the small caps with history (Q1..Q5) is 2%
    assert by["Q2"]["segment_median_return"] == pytest.approx(0.02)
    assert by["Q2"]["relative_strength"] == pytest.approx(0.08)
    third = 100 / 3
    expected = {  # profitability, growth, balance sheet, strength
        "Q1": (100, third, 100, third),
        "Q2": (2 * third, 100, third, 100),
        "Q3": (third, 2 * third, 2 * third, 2 * third),
        "Q4": (0, 0, 0, 0),
    }
    for t, scores in expected.items():
        got = (by[t]["profitability_score"], by[t]["growth_score"], by[t]["balance_sheet_score"],
               by[t]["strength_score"])
        assert got == pytest.approx(scores), t
        composite = 0.3 * scores[0] + 0.2 * scores[1] + 0.2 * scores[2] + 0.3 * scores[3]
        assert by[t]["quality_score"] == pytest.approx(composite), t
    assert [r["ticker"] for r in rows] == ["Q2", "Q1", "Q3", "Q4"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    assert by["Q1"]["net_cash"] == 40 and by["Q1"]["net_cash_to_cap"] == pytest.approx(0.4)
    assert by["Q4"]["profitable"] is False and by["Q1"]["profitable"] is True
    assert all(r["as_of"] == AS_OF for r in rows)


def test_weights_are_parameters(con):
    _load(con)
    build_all(con, run_params(AS_OF, **P, quality_weight_growth=0, quality_weight_balance_sheet=0,
                              quality_weight_strength=0))
    assert [r["ticker"] for r in _rows(con)] == ["Q1", "Q2", "Q3", "Q4"]   # by margin alone


def test_one_balance_sheet_measure_is_enough(con):
    fundamentals = dict(FUNDAMENTALS)
    fundamentals["Q3"] = (0.05, 0.20, 30.0, 20.0, None, 5.0)   # no debt figure: no net cash
    _load(con, fundamentals)
    build_all(con, run_params(AS_OF, **P))
    by = {r["ticker"]: r for r in _rows(con)}
    assert by["Q3"]["net_cash"] is None
    # debt/equity percentile alone (2/3); the others' net cash is ranked among Q1, Q2, Q4
    assert by["Q3"]["balance_sheet_score"] == pytest.approx(200 / 3)
    assert by["Q2"]["balance_sheet_score"] == pytest.approx((100 / 3 + 50) / 2)
