"""The pandas and polars references on hand-checkable cases. The breadth references against
marts.market_breadth on a tiny market whose answers are worked out by hand: a member with too
little history, one whose bars are too far apart for the 2 x L market-session rule, a stale
cap and a cap taken after a return's start (short windows: 3/5-session averages, 4-session
highs, 3 sessions shown); the quality leaders' mid-rank percentile."""

import pandas as pd
import pytest

from benchmarks import pandas_reference
from benchmarks.scenarios import REFERENCE_INPUTS
from scout_pipeline import calendar
from scout_pipeline.build import build_all
from tests.conftest import load, run_params

DAYS = calendar.sessions("2026-01-02", "2026-04-30")[:60]
AS_OF = DAYS[-1]
# L = max(5, 4, 3, 20) = 20: a window's bars must lie within the last 40 market sessions
P = dict(breadth_short_ma_sessions=3, breadth_long_ma_sessions=5, new_high_low_sessions=4,
         breadth_history_sessions=3, breadth_trend_sessions=2, fundamentals_max_age_days=10)
PRICES = ({"A": [100.0] * 55 + [101, 102, 103, 104, 105],  # rising: above both averages, a new high
           "B": [100.0] * 55 + [99, 98, 97, 96, 95],       # falling: below both, a new low
           "L": [100.0] * 60})                             # the large cap, flat
SPARSE = {"D": {58: 50.0, 59: 55.0},                        # listed two sessions ago: no history
          # traded early on, then only the last two sessions: its earlier bars lie 55+ market
          # sessions back, beyond 2 x L = 40, so only its 1-session return counts
          "G": {0: 100.0, 1: 100.0, 2: 100.0, 3: 100.0, 4: 100.0, 58: 80.0, 59: 88.0}}
# caps in USD (the SQL sums cap x return in DECIMAL(38, 6): exact to a micro-dollar)
CAPS = [("A", DAYS[57], 3e9),     # fresh at the 1-session return's start (DAYS[58])
        ("B", DAYS[0], 2e9),      # stale: far more than 10 days before any shown return's start
        ("D", DAYS[58], 1e9),     # taken on the start day itself: counts
        ("A", DAYS[59], 1e12)]    # taken on the end day: not the start cap of any return


@pytest.fixture
def market(con):
    rows = [{"ticker": t, "date": d, "close": c} for t, cs in PRICES.items() for d, c in zip(DAYS, cs)]
    rows += [{"ticker": t, "date": DAYS[i], "close": c} for t, bars in SPARSE.items() for i, c in bars.items()]
    load(con, "prices", rows)
    load(con, "universe", [{"ticker": t, "asset_type": "equity", "segments": ["small_cap"]} for t in "ABDG"]
         + [{"ticker": "L", "asset_type": "equity", "segments": ["large_cap"]},
            {"ticker": "^RUT", "asset_type": "index", "segments": ["small_cap"]}])
    load(con, "fundamentals", [{"ticker": t, "as_of": d, "market_cap": c} for t, d, c in CAPS])
    params = run_params(AS_OF, **P)
    build_all(con, params)
    frames = {name: con.execute(sql).df() for name, sql in REFERENCE_INPUTS.items()}
    return con.execute("SELECT * FROM marts.market_breadth").df(), frames, params


def test_pandas_breadth_matches_the_hand_count_and_the_sql(market):
    sql, frames, params = market
    ref = pandas_reference.breadth(frames["prices"], frames["universe"], frames["fundamentals"], AS_OF, params)
    assert [(d.date(), s) for d, s in zip(ref["as_of"], ref["segment"])] == [
        (d, s) for d in DAYS[-3:] for s in ("large_cap", "small_cap")]
    r = ref[(ref["as_of"] == pd.Timestamp(AS_OF)) & (ref["segment"] == "small_cap")].iloc[0]
    assert r["members"] == 4                       # D and G are members ...
    assert r["pct_above_50d"] == 50.0              # ... without the history: A of A and B
    assert r["pct_above_200d"] == 50.0
    assert (r["new_highs"], r["new_lows"]) == (1, 1)
    r1 = {"A": 105 / 104 - 1, "B": 95 / 96 - 1, "D": 55 / 50 - 1, "G": 88 / 80 - 1}
    assert r["equal_weight_return_1d"] == pytest.approx(sum(r1.values()) / 4, rel=1e-12)
    # weights at the start (DAYS[58]): A 3 bn (a day old), D 1 bn (that day); B's is stale
    assert r["cap_weight_return_1d"] == pytest.approx((3 * r1["A"] + 1 * r1["D"]) / 4, rel=1e-12)
    # 5 sessions: A +5%, B -5%; D is too young and G's bar 5 back is 58 market sessions away
    assert r["equal_weight_return_5d"] == pytest.approx(0.0, abs=1e-15)
    assert pd.isna(r["cap_weight_return_5d"]) and pd.isna(r["breadth_spread_5d"])  # no cap at DAYS[54]
    assert r["cap_weighted_members_20d"] == 0 and pd.isna(r["breadth_signal"])
    found = pandas_reference.compare_frames(sql, ref, ["as_of", "segment"])
    assert found["agree"] and found["columns_compared"] == sql.shape[1] == 18, found["examples"]


def test_polars_breadth_matches_the_sql(market):
    pl = pytest.importorskip("polars")  # the optional `bench` extra
    from benchmarks import polars_reference

    sql, frames, params = market
    frames = {k: pl.from_pandas(v) for k, v in frames.items()}
    ref = polars_reference.breadth(frames["prices"], frames["universe"], frames["fundamentals"], AS_OF, params)
    found = pandas_reference.compare_frames(sql, ref.to_pandas(), ["as_of", "segment"])
    assert found["agree"] and found["columns_compared"] == 18, found["examples"]
    # one member's cap changed by 1% moves the cap-weighted return: a disagreement, by column
    caps = frames["fundamentals"].with_columns(
        market_cap=pl.when(pl.col("ticker") == "D").then(pl.col("market_cap") * 1.01).otherwise(pl.col("market_cap")))
    off = polars_reference.breadth(frames["prices"], frames["universe"], caps, AS_OF, params).to_pandas()
    found = pandas_reference.compare_frames(sql, off, ["as_of", "segment"])
    assert not found["agree"] and set(found["cells_differing"]) == {"cap_weight_return_1d", "breadth_spread_1d"}


def test_mid_rank_percentiles_share_ties_and_score_a_lone_name_50():
    pd_scores = pandas_reference.mid_rank_pct(pd.Series([1.0, 2.0, 2.0, 3.0, None]))
    assert pd_scores.iloc[:4].tolist() == [0.0, 50.0, 50.0, 100.0] and pd.isna(pd_scores.iloc[4])
    # lower debt to equity is better: ranked descending, the highest scores 0
    assert pandas_reference.mid_rank_pct(pd.Series([10.0, float("inf"), 0.0]), ascending=False).tolist() == [
        50.0, 0.0, 100.0]
    assert pandas_reference.mid_rank_pct(pd.Series([7.0])).tolist() == [50.0]
    pl = pytest.importorskip("polars")
    from benchmarks import polars_reference

    frame = pl.DataFrame({"x": [1.0, 2.0, 2.0, 3.0, None]})
    assert frame.select(s=polars_reference.mid_rank_pct("x"))["s"].to_list() == [0.0, 50.0, 50.0, 100.0, None]
    assert pl.DataFrame({"x": [7.0]}).select(s=polars_reference.mid_rank_pct("x"))["s"].to_list() == [50.0]
