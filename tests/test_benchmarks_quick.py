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
from benchmarks.scenarios import split_tickers, synth
from scout_pipeline import params as params_mod
from scout_pipeline.build import build_all
from scout_pipeline.sources.sample import planted_breakouts
from tests.conftest import load, run_params

ROOT = Path(__file__).resolve().parent.parent


def test_reference_agrees_with_the_marts(con):
    """Streak days for every pair and the breakout names/dates/status, on one sample market."""
    data = synth(40, 3, pd.Timestamp("2026-05-08").date())
    for name, frame in data.frames.items():
        load(con, name, frame)
    as_of = pd.Timestamp("2026-05-08").date()
    build_all(con, run_params(as_of))
    prices = con.execute("SELECT ticker, date, close, adj_close, volume FROM staging.stg_prices").df()
    pairs = con.execute("SELECT * FROM staging.stg_pairs").df()
    universe = con.execute("SELECT ticker, name, asset_type FROM staging.stg_universe").df()
    attention = con.execute("SELECT source, ticker, date, value FROM staging.stg_attention").df()
    streaks, breakouts = pandas_reference.run(prices, pairs, universe, attention, as_of, params_mod.resolve({}))
    sql_streaks = con.execute("SELECT * FROM marts.relative_strength_streaks").df()
    sql_breakouts = con.execute("SELECT * FROM marts.cooling_breakouts").df()

    found = pandas_reference.compare(sql_streaks, streaks, sql_breakouts, breakouts)
    assert found["streaks_agree"] and found["breakouts_agree"], found["examples"]
    # every column of both marts, not a few
    assert found["columns_compared"] == {"relative_strength_streaks": sql_streaks.shape[1],
                                         "cooling_breakouts": sql_breakouts.shape[1]}
    assert found["detail"]["relative_strength_streaks"]["rows_one_side"] == 0
    # one cell off in any column is a disagreement, named by its column
    off = sql_streaks.copy()
    off.loc[off.index[-1], "spread"] += 1e-6
    off_found = pandas_reference.compare(off, streaks, sql_breakouts, breakouts)
    assert not off_found["streaks_agree"]
    assert off_found["detail"]["relative_strength_streaks"]["cells_differing"] == {"spread": 1}

    polars = pytest.importorskip("polars")  # the optional `bench` extra
    from benchmarks import polars_reference

    frames = {k: polars.from_pandas(v) for k, v in
              {"prices": prices, "pairs": pairs, "universe": universe, "attention": attention}.items()}
    pl_streaks, pl_breakouts = polars_reference.run(frames["prices"], frames["pairs"], frames["universe"],
                                                    frames["attention"], as_of, params_mod.resolve({}))
    found = pandas_reference.compare(sql_streaks, pl_streaks.to_pandas(), sql_breakouts, pl_breakouts.to_pandas())
    assert found["streaks_agree"] and found["breakouts_agree"], found["examples"]
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
    assert size["agreement"]["streaks_agree"] and size["agreement"]["breakouts_agree"]
    assert size["agreement"]["columns_compared"]["cooling_breakouts"] == 18
    if "polars_agreement" in size:  # with the `bench` extra installed
        assert size["polars_agreement"]["streaks_agree"] and size["polars_agreement"]["breakouts_agree"]
        assert size["phases"]["polars_reference"]["median"] > 0
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
