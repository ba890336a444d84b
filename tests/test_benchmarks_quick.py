"""The benchmark harness: `python -m benchmarks --quick` completes and prints its table, and
the pandas reference agrees with the SQL marts on the same data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import pandas_reference
from benchmarks.scenarios import REFERENCE_INPUTS, split_tickers, synth
from scout_pipeline import params as params_mod
from scout_pipeline.build import build_all
from scout_pipeline.sources.sample import planted_breakouts
from tests.conftest import load, run_params

ROOT = Path(__file__).resolve().parent.parent


def test_reference_agrees_with_the_marts(con):
    """Every column of every mart the references cover (seven of ten), on one sample market."""
    data = synth(40, 3, pd.Timestamp("2026-05-08").date())
    for name, frame in data.frames.items():
        load(con, name, frame)
    as_of = pd.Timestamp("2026-05-08").date()
    build_all(con, run_params(as_of))
    frames = {name: con.execute(sql).df() for name, sql in REFERENCE_INPUTS.items()}
    prices, pairs, universe, attention = (frames[k] for k in ("prices", "pairs", "universe", "attention"))
    timings: dict = {}
    streaks, breakouts, breadth, valuation, quality, outcomes, summary = pandas_reference.run(
        prices, pairs, universe, attention, as_of, params_mod.resolve({}), frames["fundamentals"], timings)
    assert set(timings) == set(pandas_reference.REFERENCE_MARTS)
    sql = {m: con.execute(f"SELECT * FROM marts.{m}").df() for m in pandas_reference.REFERENCE_MARTS}
    sql_streaks, sql_breakouts = sql["relative_strength_streaks"], sql["cooling_breakouts"]
    more = {"market_breadth": (sql["market_breadth"], breadth), "valuation_gap": (sql["valuation_gap"], valuation),
            "quality_leaders": (sql["quality_leaders"], quality), "streak_outcomes": (sql["streak_outcomes"], outcomes),
            "streak_outcome_summary": (sql["streak_outcome_summary"], summary)}

    found = pandas_reference.compare(sql_streaks, streaks, sql_breakouts, breakouts, more)
    assert all(found["marts_agree"].values()), found["examples"]
    assert set(found["marts_agree"]) == set(pandas_reference.REFERENCE_MARTS)
    # every column of every mart, not a few
    assert found["columns_compared"] == {m: frame.shape[1] for m, frame in sql.items()}
    assert found["detail"]["relative_strength_streaks"]["rows_one_side"] == 0
    assert found["rows"]["market_breadth"] == len(sql["market_breadth"]) > 0
    assert found["rows"]["valuation_gap"] == len(sql["valuation_gap"]) > 0
    for mart in ("quality_leaders", "streak_outcomes", "streak_outcome_summary"):
        assert found["rows"][mart] == len(sql[mart]) > 0, mart
    # the sample market has signals of every kind and loss-makers for the comparison to check
    assert set(breadth["breadth_signal"].dropna()) == {"broadening", "narrowing", "mixed"}
    assert valuation["loss_makers"].sum() > 0
    # one cell off in any column is a disagreement, named by its column
    off = sql_streaks.copy()
    off.loc[off.index[-1], "spread"] += 1e-6
    off_found = pandas_reference.compare(off, streaks, sql_breakouts, breakouts, more)
    assert not off_found["streaks_agree"]
    assert off_found["detail"]["relative_strength_streaks"]["cells_differing"] == {"spread": 1}
    off_breadth = sql["market_breadth"].copy()
    last = off_breadth.index[-1]
    flipped = "broadening" if off_breadth.loc[last, "breadth_signal"] == "mixed" else "mixed"
    off_breadth.loc[last, "breadth_signal"] = flipped
    off_found = pandas_reference.compare(sql_streaks, streaks, sql_breakouts, breakouts,
                                         {**more, "market_breadth": (off_breadth, breadth)})
    assert off_found["marts_agree"]["market_breadth"] is False
    assert off_found["detail"]["market_breadth"]["cells_differing"] == {"breadth_signal": 1}

    polars = pytest.importorskip("polars")  # the optional `bench` extra
    from benchmarks import polars_reference

    pl_frames = {k: polars.from_pandas(v) for k, v in frames.items()}
    pl_out = [f.to_pandas() for f in polars_reference.run(
        pl_frames["prices"], pl_frames["pairs"], pl_frames["universe"], pl_frames["attention"], as_of,
        params_mod.resolve({}), pl_frames["fundamentals"])]
    found = pandas_reference.compare(sql_streaks, pl_out[0], sql_breakouts, pl_out[1],
                                     {m: (sql[m], pl_out[i]) for i, m in enumerate(pandas_reference.REFERENCE_MARTS)
                                      if i >= 2})
    assert all(found["marts_agree"].values()) and len(found["marts_agree"]) == 7, found["examples"]
    headline = streaks[(streaks["pair_id"] == "smallcap_vs_largecap")].iloc[-1]
    assert headline["streak_days"] == 7  # the planted streak, found by the reference too
    n_small, _ = split_tickers(40)
    assert set(breakouts["ticker"]) == set(planted_breakouts(n_small))
    merged = sql_streaks.merge(streaks, on=["pair_id", "date"], suffixes=("_sql", "_ref"))
    for col in ("longest_streak_days", "prior_comparable_days"):
        assert merged[f"{col}_sql"].fillna(0).astype(int).tolist() == merged[f"{col}_ref"].fillna(0).astype(int).tolist()


def test_quick_benchmark_runs_and_prints_the_table(tmp_path):
    out = tmp_path / "bench"
    # a relative --workdir (resolved: Dagster needs an absolute DAGSTER_HOME)
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out),
                           "--workdir", os.path.relpath(tmp_path / "work", ROOT)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = proc.stdout
    for needle in ("## Figures by size", "raw load, all tables", "full rebuild, all marts",
                   "incremental daily run", "pandas reference", "ratio pandas / full rebuild",
                   "quality gate, daily run", "publish", "peak RSS", "## End to end: `scout run`",
                   "orchestration overhead", "## Targets", "## Live path on the provider simulator"):
        assert needle in text, needle
    results = json.loads((out / "results.json").read_text())
    size = results["sizes"][0]
    assert not size.get("error"), size.get("stderr")
    marts = set(pandas_reference.REFERENCE_MARTS)
    assert set(size["agreement"]["marts_agree"]) == marts and all(size["agreement"]["marts_agree"].values())
    assert size["agreement"]["columns_compared"]["cooling_breakouts"] == 18
    assert size["agreement"]["columns_compared"]["market_breadth"] == 18
    assert size["agreement"]["columns_compared"]["valuation_gap"] == 17
    assert size["agreement"]["columns_compared"]["quality_leaders"] == 21
    assert size["agreement"]["columns_compared"]["streak_outcomes"] == 24
    assert size["agreement"]["columns_compared"]["streak_outcome_summary"] == 30
    # like for like: each covered mart built alone in SQL and by the reference
    assert set(size["per_mart"]) == marts
    assert all(m["sql_s"] > 0 and m["pandas_s"] > 0 for m in size["per_mart"].values())
    if "polars_agreement" in size:  # with the `bench` extra installed
        assert set(size["polars_agreement"]["marts_agree"]) == marts
        assert all(size["polars_agreement"]["marts_agree"].values())
        assert size["phases"]["polars_reference"]["median"] > 0
        assert all(m["polars_s"] > 0 for m in size["per_mart"].values())
    # the incremental run and the full rebuild are timed in the same interleaved loop
    assert len(size["incremental_share_per_round"]) == len(size["phases"]["full_rebuild"]["seconds"])
    assert all(not p["error"] for p in size["phases"].values()), size["phases"]
    assert size["phases"]["full_rebuild"]["median"] > 0 and size["raw_load_rows_per_s"] > 0
    assert results["summary"]["e2e"]["scout_run_s"] > 0
    first, daily = results["live"]["days"]
    assert first["requests"]["yahoo"] > daily["requests"]["yahoo"] > 0  # the daily run fetches less
    assert daily["yahoo_per_ticker"] <= 1.5 and daily["yahoo_by_kind"].get("tz_probe", 0) == 0
    assert (out / "results.md").read_text().startswith("# Trend Scout benchmarks")


def test_a_failed_end_to_end_run_fails_the_harness_at_once(tmp_path, monkeypatch):
    """The first failed `scout run` stops the harness with exit 1: no table from partial runs."""
    from benchmarks import __main__ as bench, harness

    calls = []

    def failing_worker(task, **_):
        calls.append(task["kind"])
        return harness.WorkerResult(returncode=1, payload={"error": "boom"}, stderr="Traceback ...", wall=0.1)

    monkeypatch.setattr(harness, "run_worker", failing_worker)
    code = bench.main(["--sizes", "100", "--years", "3", "--repeats", "3", "--live-tickers", "0",
                       "--workdir", str(tmp_path / "w")])
    assert code == 1
    assert calls == ["size", "e2e"]  # stopped at the first end-to-end failure, not after 6
