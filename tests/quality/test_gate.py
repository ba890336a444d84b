"""The quality gate through `scout run --source DIR`: each bad input blocks the run (or
warns), names the failed check and expectation, and leaves the published file untouched.

Every test starts from a copy of a clean, published warehouse and a copy of the clean
snapshot that built it, damages one thing in the snapshot and runs again.
"""

import dagster as dg
import duckdb
import pandas as pd
from tests.quality import snapshots
from tests.quality.conftest import digest

AS_OF = snapshots.AS_OF
PRICE_COLS = ["open", "high", "low", "close", "adj_close"]


def _row(frame, ticker, date=AS_OF):
    return (frame["ticker"] == ticker) & (frame["date"] == date)


def _blocked(scene, before, check, *expectations):
    code, out, err = scene.run()
    assert code == 1, out + err
    assert f"Failed check {check}" in err, err
    for name in expectations:
        assert name in err, err
    assert "was not changed" in err
    assert scene.fingerprint() == before  # scout.duckdb and the store: byte-identical
    return err


def test_clean_sample_passes_every_check(published):
    out = published.output
    assert "Published" in out and "Warning" not in out, out


def test_non_positive_prices_block(scene):
    before = scene.fingerprint()

    def change(f):
        f.loc[_row(f, "MOD"), "close"] = "0"
        f.loc[_row(f, "AAPL"), "close"] = "-5"
        return f

    scene.edit("prices", change)
    err = _blocked(scene, before, "raw/prices:prices_suite", "close_positive [ERROR]: 2 of")
    assert "ticker=AAPL, date=2026-01-09" in err and "close=-5.0" in err  # sample rows
    kept = pd.read_csv(next(scene.warehouse.glob("quarantine/*/prices.csv")))
    assert set(kept.loc[kept.expectation == "close_positive", "ticker"]) == {"AAPL", "MOD"}
    # the same details in the check's metadata, as the Dagster UI shows them
    evaluation = _last_evaluation("prices_suite")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    failure = next(f for f in evaluation.metadata["failures"].value if f["expectation"] == "close_positive")
    assert failure["unexpected_count"] == 2 and failure["severity"] == "ERROR"
    assert {row["ticker"] for row in failure["samples"]} == {"AAPL", "MOD"}
    assert evaluation.metadata["unexpected_count"].value >= 2
    assert "close_positive" in evaluation.metadata["failed_expectations"].value
    assert str(evaluation.metadata["quarantine"].value).endswith("prices.csv")


def _last_evaluation(check_name: str):
    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    records = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return next(r.dagster_event.event_specific_data for r in records
                if r.dagster_event.event_specific_data.check_name == check_name)


def test_high_below_low_blocks(scene):
    before = scene.fingerprint()

    def change(f):
        low = float(f.loc[_row(f, "SPY"), "low"].iloc[0])
        f.loc[_row(f, "SPY"), "high"] = str(low * 0.95)
        return f

    scene.edit("prices", change)
    _blocked(scene, before, "raw/prices:prices_suite", "high_not_below_low", "high_not_below_open_close")


def test_nan_close_blocks(scene):
    before = scene.fingerprint()
    scene.edit("prices", lambda f: f.assign(close=f["close"].where(~_row(f, "RSP"), "NaN")))
    _blocked(scene, before, "raw/prices:prices_suite", "close_not_null [ERROR]: 1 of")


def test_duplicate_ticker_date_blocks(scene):
    """The upsert would collapse the two copies: both are kept and the run is blocked."""
    before = scene.fingerprint()

    def change(f):
        copy = f[_row(f, "AAPL", "2026-01-08")].copy()
        copy["close"] = str(float(copy["close"].iloc[0]) + 1)
        return pd.concat([f, copy], ignore_index=True)

    scene.edit("prices", change)
    _blocked(scene, before, "raw/prices:prices_suite", "key_unique [ERROR]: 2 of")
    kept = pd.read_csv(next(scene.warehouse.glob("quarantine/*/prices.csv")))
    dup = kept[kept.expectation == "key_unique"]
    assert len(dup) == 2 and set(dup.ticker) == {"AAPL"} and dup.source_duplicate.any()


def test_bar_after_as_of_blocks_when_a_source_lets_it_through(scene, monkeypatch):
    """Point in time is enforced twice. The snapshot reader drops bars dated after --as-of
    (a replay of a later snapshot is legitimate) and notes it; a source that fails to (here:
    the reader told a later day, like a live adapter returning today's partial bar) is
    stopped by the gate's no_session_after_as_of."""
    from scout_pipeline.sources import snapshot

    before = scene.fingerprint()
    next_session = "2026-01-12"

    def change(f):
        bar = f[_row(f, "^GSPC")].copy()
        bar["date"] = next_session
        return pd.concat([f, bar], ignore_index=True)

    scene.edit("prices", change)
    dropped = snapshot.load_snapshot(scene.snapshot, pd.Timestamp(AS_OF).date())
    assert next_session not in set(dropped.get("prices")["date"].astype(str))
    assert any("ignored 1 rows dated after 2026-01-09" in n for n in dropped.notes)

    reader = snapshot.load_snapshot
    monkeypatch.setattr(snapshot, "load_snapshot", lambda d, as_of: reader(d, pd.Timestamp(next_session).date()))
    _blocked(scene, before, "raw/prices:prices_suite", "no_session_after_as_of [ERROR]: 1 of", "date=2026-01-12")


def test_pair_series_missing_its_as_of_bar_blocks(scene):
    before = scene.fingerprint()
    scene.edit("prices", lambda f: f[~_row(f, "^GSPC")])
    _blocked(scene, before, "raw/prices:prices_suite", "as_of_bar_present [ERROR]: 1 of", "ticker=^GSPC")


def test_halted_name_warns_naming_it_and_publishes(scene):
    """A name outside the pairs that traded yesterday and has no bar today (halted) is a
    warning with its name; the day is published."""
    scene.edit("prices", lambda f: f[~_row(f, "MOD")])
    code, out, err = scene.run()
    assert code == 0, out + err
    assert "Warning: raw/prices:prices_suite: WARN" in out and "as_of_bar_missing_name [WARN]: 1 of" in out
    assert "ticker=MOD" in out


def test_hundredfold_jump_without_split_blocks(scene):
    before = scene.fingerprint()
    last = [str(d) for d in snapshots.calendar.sessions_back(AS_OF, 10)]

    def change(f):
        rows = (f["ticker"] == "AAPL") & f["date"].isin(last)
        for col in PRICE_COLS:
            f.loc[rows, col] = (f.loc[rows, col].astype(float) * 100).astype(str)
        return f

    scene.edit("prices", change)
    _blocked(scene, before, "raw/prices:prices_suite", "one_day_move_plausible [ERROR]: 1 of",
             f"ticker=AAPL, date={last[0]}")


def test_required_column_missing_is_a_clean_step_failure(scene):
    before = scene.fingerprint()
    scene.edit("prices", lambda f: f.drop(columns=["close"]))
    code, out, err = scene.run()
    assert code == 1 and "raw__prices" in err
    assert "prices.csv: required column 'close' is missing" in err
    assert "Traceback" not in err and scene.fingerprint() == before


def test_non_numeric_value_is_a_clean_step_failure(scene):
    before = scene.fingerprint()
    scene.edit("prices", lambda f: f.assign(volume=f["volume"].where(~_row(f, "SPY"), "lots")))
    code, out, err = scene.run()
    assert code == 1 and "raw__prices" in err
    assert "prices.csv: column 'volume' must be numeric; found ['lots']" in err
    assert "Traceback" not in err and scene.fingerprint() == before


def test_fundamentals_all_null_warns_without_blocking(scene):
    numeric = [c for c in snapshots.fundamentals().columns if c not in ("ticker", "as_of", "sector", "industry")]

    def change(f):
        f.loc[(f["ticker"] == "MOD") & (f["as_of"] == AS_OF), numeric] = ""
        return f

    scene.edit("fundamentals", change)
    code, out, err = scene.run()
    assert code == 0, err
    assert "Warning: raw/fundamentals:fundamentals_suite: WARN" in out
    assert "not_all_fields_null [WARN]: 1 of" in out
    kept = pd.read_csv(next(scene.warehouse.glob("quarantine/*/fundamentals.csv")))
    assert list(kept.ticker) == ["MOD"] and kept.severity.tolist() == ["WARN"]
    con = duckdb.connect(str(scene.warehouse / "store.duckdb"), read_only=True)
    try:  # kept, not dropped: the empty snapshot is in the table, flagged
        assert con.execute("SELECT count(*) FROM raw.fundamentals WHERE ticker = 'MOD' "
                           "AND as_of = ? AND market_cap IS NULL", [AS_OF]).fetchone()[0] == 1
    finally:
        con.close()


def test_attention_out_of_range_blocks(scene):
    before = scene.fingerprint()

    def change(f):
        f.loc[(f["ticker"] == "MOD") & (f["date"] == AS_OF), "value"] = "-20"  # negative pageviews
        row = (f["ticker"] == "AAPL") & (f["date"] == AS_OF)
        f.loc[row, ["source", "value"]] = ["google_trends", "250"]  # Google's scale is 0-100
        return f

    scene.edit("attention", change)
    _blocked(scene, before, "raw/attention:attention_suite",
             "value_not_negative [ERROR]: 1 of", "google_trends_within_0_100 [ERROR]: 1 of")


def test_ticker_with_sql_metacharacters_is_rejected_cleanly(scene):
    before = scene.fingerprint()
    evil = "X'); DROP TABLE raw.prices; --"

    def change(f):
        bars = f[f["ticker"] == "MOD"].copy()
        bars["ticker"] = evil
        return pd.concat([f, bars], ignore_index=True)

    scene.edit("prices", change)
    err = _blocked(scene, before, "raw/prices:prices_suite", "ticker_pattern [ERROR]")
    print(err)
    assert "Traceback" not in err and "Failed step" not in err  # checks failed, no step crashed
    kept = pd.read_csv(next(scene.warehouse.glob("quarantine/*/prices.csv")))
    assert evil in set(kept.ticker)  # bound as a value everywhere, stored verbatim
    run_db = next(scene.warehouse.glob("work/*.duckdb"))
    con = duckdb.connect(str(run_db), read_only=True)
    try:  # the blocked run's own copy still has every table and the rows, evil one included
        assert con.execute("SELECT count(*) FROM raw.prices WHERE ticker = ?", [evil]).fetchone()[0] == 300
        assert con.execute("SELECT count(DISTINCT ticker) FROM raw.prices").fetchone()[0] == 7
    finally:
        con.close()
    assert digest(scene.warehouse / "scout.duckdb") == before[0]
