"""Per-ticker windows and restatement detection (plain pandas, hand-computed cases)."""

import datetime as dt

import pandas as pd

from scout_pipeline.sources import restatements
from scout_pipeline.sources.live_state import StoredState

D = dt.date


def _state(rows: dict[str, list[tuple[str, float, float]]]) -> StoredState:
    """{ticker: [(date, close, adj_close), ...]} stored (these rows are also the overlap)."""
    overlap = pd.DataFrame([(t, pd.Timestamp(d), c, a) for t, bars in rows.items() for d, c, a in bars],
                           columns=["ticker", "date", "close", "adj_close"])
    windows = overlap.groupby("ticker")["date"].agg(first_date="min", last_date="max", bars="count").reset_index()
    return StoredState(windows=windows, overlap=overlap)


def _fetched(rows: dict[str, list[tuple[str, float, float]]]) -> pd.DataFrame:
    return pd.DataFrame([(t, pd.Timestamp(d), c, a) for t, bars in rows.items() for d, c, a in bars],
                        columns=["ticker", "date", "close", "adj_close"])


def _events(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([(t, pd.Timestamp(d), div, split) for t, d, div, split in rows],
                        columns=["ticker", "date", "dividend", "split"])


STORED = {"AAA": [("2026-01-07", 100.0, 99.0), ("2026-01-08", 102.0, 101.0)],
          "BBB": [("2026-01-07", 50.0, 50.0), ("2026-01-08", 51.0, 51.0)]}


def test_windows_start_per_ticker_and_new_tickers_get_their_first_load_depth():
    state = _state({"AAA": [("2026-01-08", 1, 1)], "OLD": [("2025-11-03", 1, 1)]})
    plan = restatements.plan_windows(["AAA", "OLD", "NEWCO", "^RUT", "ZQ=F", "SPY"], {"SPY": "etf"},
                                     state, D(2026, 1, 9))
    assert plan["AAA"] == D(2025, 12, 31)            # its last bar minus 5 sessions (New Year's Day skipped)
    assert plan["OLD"] == D(2025, 10, 27)            # a long gap is covered from its own last bar
    assert plan["NEWCO"] == D(2023, 1, 9)            # a new equity: 3 years
    assert plan["^RUT"] == plan["ZQ=F"] == plan["SPY"] == D(1927, 1, 9)  # index/future/ETF: all of it
    backfill = restatements.plan_windows(["AAA"], {}, state, D(2026, 1, 9), history_start=D(2025, 6, 2))
    assert backfill == {"AAA": D(2025, 6, 2)}


def test_an_unchanged_overlap_is_not_a_restatement():
    fetched = _fetched({**STORED, "AAA": STORED["AAA"] + [("2026-01-09", 103.0, 102.0)]})
    assert restatements.detect(fetched, _events([]), _state(STORED)).empty


def test_a_forward_split_is_found_by_its_event_and_its_factor():
    fetched = _fetched({"AAA": [("2026-01-07", 50.0, 49.5), ("2026-01-08", 51.0, 50.5), ("2026-01-09", 52.0, 52.0)],
                        "BBB": STORED["BBB"]})
    found = restatements.detect(fetched, _events([("AAA", "2026-01-09", 0.0, 2.0)]), _state(STORED))
    assert found.to_dict("records") == [{"ticker": "AAA", "reason": "split 2:1 on 2026-01-09", "factor": 2.0,
                                         "event_date": pd.Timestamp("2026-01-09")}]


def test_a_reverse_split_without_an_event_in_the_window_is_found_by_the_overlap():
    fetched = _fetched({"BBB": [("2026-01-07", 500.0, 500.0), ("2026-01-08", 510.0, 510.0)]})
    found = restatements.detect(fetched, _events([]), _state(STORED))
    assert found["ticker"].tolist() == ["BBB"] and abs(found["factor"][0] - 0.1) < 1e-12
    assert found["reason"][0].startswith("stored closes differ from Yahoo's (×0.1;")


def test_a_dividend_moves_adj_close_only_and_is_named():
    factor = 1 - 1.0 / 102.0  # Yahoo's: 1 - amount / close before the ex-date
    fetched = _fetched({"AAA": [("2026-01-07", 100.0, 99.0 * factor), ("2026-01-08", 102.0, 101.0 * factor),
                                ("2026-01-09", 101.0, 101.0)]})
    found = restatements.detect(fetched, _events([("AAA", "2026-01-09", 1.0, 0.0)]), _state(STORED))
    assert found["reason"].tolist() == ["dividend 1 ex 2026-01-09"]
    assert abs(found["factor"][0] - 1 / factor) < 1e-12


def test_an_event_already_stored_is_not_a_new_restatement():
    """The ex-date lies inside the re-fetch window but before the last stored bar: the store
    already holds the adjusted history (the overlap agrees), so nothing is fetched again."""
    found = restatements.detect(_fetched(STORED), _events([("AAA", "2026-01-07", 0.5, 0.0)]), _state(STORED))
    assert found.empty


def test_a_tiny_float_difference_is_not_a_restatement():
    fetched = _fetched({"AAA": [("2026-01-07", 100.0 * (1 + 1e-9), 99.0), ("2026-01-08", 102.0, 101.0)]})
    assert restatements.detect(fetched, _events([]), _state(STORED)).empty
