"""Equality as the contract: marts built incrementally, one run per session, equal a full
rebuild of the same state, row for row and value for value (no float tolerance: the
incremental SQL runs the same arithmetic on the same rows).

A small sample market (2 years, 26 equities, the pairs, fundamentals, rates, the FOMC
calendar) arrives one session at a time, each run's rows stamped with its own loaded_at,
through a holiday, a late correction of an old bar and a provider restatement. At each
checkpoint the store is copied and the copy rebuilt with full_refresh; every mart of the
two must hold the same rows. The marts that keep every published day (@history) compute
only the run's day either way, so the copy keeps their earlier days as the store does.
"""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import pytest

from scout_pipeline import calendar, incremental, store
from scout_pipeline.build import build_all
from scout_pipeline.sources.sample import load_sample
from scout_pipeline.sql_files import load_models
from tests.conftest import run_params

AS_OF = dt.date(2025, 7, 15)
FIRST_RUN = dt.date(2025, 7, 1)  # the store's first load holds everything up to this day
CORRECTED = dt.date(2025, 7, 2)  # a run on this day corrects an old bar (no restatement recorded)
HOLIDAY = dt.date(2025, 7, 4)  # Independence Day: a run on it adds no session
RESTATED = dt.date(2025, 7, 9)  # a run on this day restates a ticker's whole history
CHECKPOINTS = {CORRECTED, HOLIDAY, dt.date(2025, 7, 10), AS_OF}
# breadth windows much shorter than the history, so a run reads only part of it (as in a real
# store); the same parameters for the incremental runs and the full rebuilds
PARAMS = {"breadth_history_sessions": 100, "breadth_long_ma_sessions": 40, "breadth_short_ma_sessions": 10,
          "new_high_low_sessions": 60}
DATED = {"prices": "date", "fundamentals": "as_of", "attention": "date", "rates": "date"}
MARTS = [m for m in load_models() if m.layer == "marts"]


@pytest.fixture(scope="module")
def market():
    data = load_sample(AS_OF, years=2, n_small=10, n_large=5)
    return {name: frame for name, frame in data.frames.items() if frame is not None and name in store.RAW_TABLES}


def _load(con, market, day: dt.date, first: bool, stamp: dt.datetime) -> None:
    """The rows a run on `day` adds: on the first run everything up to it, then that day's."""
    for name, frame in market.items():
        if name not in DATED:
            if first:
                store.upsert(con, name, frame, stamp)
            continue
        col = frame[DATED[name]]
        dates = col.dt.date if hasattr(col, "dt") else col
        rows = frame[dates <= day] if first else frame[dates == day]
        if len(rows):
            store.upsert(con, name, rows, stamp)


def _differences(a, table: str) -> int:
    mine, full = f"memory.{table}", f"b.{table}"
    return a.execute(f"SELECT count(*) FROM ((SELECT * FROM {mine} EXCEPT ALL SELECT * FROM {full}) "
                     f"UNION ALL (SELECT * FROM {full} EXCEPT ALL SELECT * FROM {mine}))").fetchone()[0]


def _since(con, table: str) -> dt.date:
    return con.execute(f"SELECT since FROM {incremental.STATE} WHERE mart = ?", [table]).fetchone()[0]


def test_incremental_runs_equal_a_full_rebuild(market, con):
    days = [d for d in calendar.sessions(FIRST_RUN, AS_OF)] + [HOLIDAY]
    days = sorted(set(days))
    assert HOLIDAY not in calendar.sessions(FIRST_RUN, AS_OF)
    compared = 0
    timings = []
    for n, day in enumerate(days):
        stamp = dt.datetime.combine(day, dt.time(22)) + dt.timedelta(minutes=n)
        _load(con, market, day, first=n == 0, stamp=stamp)
        if day == CORRECTED:
            # a provider corrects one old bar: only the rows from its date on are recomputed
            con.execute("UPDATE raw.prices SET close = close * 1.01, adj_close = adj_close * 1.01, loaded_at = ? "
                        "WHERE ticker = '^RUT' AND date = DATE '2025-05-20'", [stamp])
        if day == RESTATED:
            # a provider restatement (split): the ticker's whole history, and its record
            con.execute("UPDATE raw.prices SET adj_close = adj_close / 2, loaded_at = ? "
                        "WHERE ticker = (SELECT min(ticker) FROM raw.universe WHERE asset_type = 'equity')",
                        [stamp])
            con.execute("INSERT INTO raw.restatements VALUES ('run', ?, 'X', 'split', 2, ?, 1, ?, ?, ?)",
                        [day, day, FIRST_RUN, day, stamp])
        started = time.perf_counter()
        build_all(con, {**run_params(day, **PARAMS), "incremental": True})
        timings.append(time.perf_counter() - started)
        since = _since(con, "marts.market_breadth")
        if n == 0 or day == RESTATED:
            assert since == incremental.FULL_SINCE, day
        elif day == CORRECTED:
            assert since == dt.date(2025, 5, 20)
        else:  # the day after the last run: only the new session (none on the holiday)
            assert since == days[n - 1] + dt.timedelta(days=1), f"{day}: rebuilt from {since}"
        if day in CHECKPOINTS:
            # the same state, copied, then rebuilt whole
            con.execute("ATTACH ':memory:' AS b")
            con.execute("COPY FROM DATABASE memory TO b")
            con.execute("USE b")
            build_all(con, {**run_params(day, **PARAMS), "full_refresh": True})
            assert _since(con, "marts.market_breadth") == incremental.FULL_SINCE
            con.execute("USE memory")
            for model in MARTS:
                rows = con.execute(f"SELECT count(*) FROM {model.table}").fetchone()[0]
                assert rows > 0 or model.name in ("fomc_expectations", "rate_expectations"), model.table
                assert _differences(con, model.table) == 0, f"{model.table} on {day}: incremental != full"
            con.execute("DETACH b")
            compared += 1
    assert compared == len(CHECKPOINTS)
    print("incremental build seconds per run:", [round(t, 2) for t in timings])
    # what the incremental runs kept is what a full build shows: the breadth window's length
    kept = con.execute("SELECT count(DISTINCT as_of) FROM marts.market_breadth").fetchone()[0]
    assert kept == PARAMS["breadth_history_sessions"]


def test_changed_parameter_rebuilds_whole(con):
    """A changed parameter the SQL binds is a full rebuild, an unrelated one is not."""
    from tests.conftest import load

    load(con, "pairs", [{"pair_id": "p", "lead": "A", "base": "B", "label": "A vs B"}])
    days = calendar.sessions(dt.date(2025, 1, 2), dt.date(2025, 1, 10))
    load(con, "prices", [{"ticker": t, "date": d, "close": 10 + i + (t == "A") * (i % 3), "adj_close": None,
                          "volume": 1} for i, d in enumerate(days) for t in "AB"])
    model = next(m for m in MARTS if m.name == "relative_strength_streaks")
    from scout_pipeline.build import build_model, ordered

    for m in ordered():
        if m.layer == "staging":
            build_model(con, m, run_params(days[-1]))
    build_model(con, model, run_params(days[-1]))
    run = {**run_params(days[-1]), "incremental": True}
    assert incremental.plan(con, model, run)[0] == days[-1] + dt.timedelta(days=1)
    assert incremental.plan(con, model, {**run_params(days[-1], breadth_trend_sessions=7), "incremental": True})[0] \
        == days[-1] + dt.timedelta(days=1)  # streaks do not read it
    breadth = next(m for m in MARTS if m.name == "market_breadth")
    assert incremental.params_hash(breadth, run_params(days[-1])) \
        != incremental.params_hash(breadth, run_params(days[-1], breadth_trend_sessions=7))
    since, why = incremental.plan(con, model, {**run, "full_refresh": True})
    assert since == incremental.FULL_SINCE and "requested" in why
    assert incremental.plan(con, model, run_params(days[-1]))[0] == incremental.FULL_SINCE  # not asked
    load(con, "pairs", [{"pair_id": "p", "lead": "A", "base": "B", "label": "renamed"}])
    since, why = incremental.plan(con, model, run)
    assert since == incremental.FULL_SINCE and why == "raw.pairs changed"
    since, why = incremental.plan(con, model, {**run_params(days[-3]), "incremental": True})
    assert since == incremental.FULL_SINCE


def test_full_refresh_flag_reaches_the_sql_params():
    from scout_pipeline.cli import build_parser
    from scout_pipeline.defs.resources import ScoutResource

    assert build_parser().parse_args(["run", "--full-refresh"]).full_refresh
    assert build_parser().parse_args(["backfill", "--start", "2025-01-02", "--end", "2025-01-03",
                                      "--full-refresh"]).full_refresh
    assert not build_parser().parse_args(["run"]).full_refresh
    resource = ScoutResource(as_of="2025-07-15", full_refresh=True)
    assert resource.sql_params()["full_refresh"] is True and "incremental" not in resource.sql_params()
    daily = ScoutResource(as_of="2025-07-15").sql_params()
    assert daily["incremental"] is True and "full_refresh" not in daily


def _breadth_runs(con, market, days, params):
    """Incremental runs of every model for `days` (the first loads everything up to it)."""
    for n, day in enumerate(days):
        _load(con, market, day, first=n == 0, stamp=dt.datetime.combine(day, dt.time(22)))
        build_all(con, {**run_params(day, **params), "incremental": True})


def test_breadth_reads_the_spread_it_compares_with_from_its_own_rows(market, con):
    """A daily market_breadth row takes the spread breadth_signal compares with from the mart's
    earlier row (`-- @carry`), not from raw history: altered there, it moves the signal."""
    days = calendar.sessions(dt.date(2025, 7, 1), dt.date(2025, 7, 3))
    _breadth_runs(con, market, days[:2], PARAMS)
    # the session breadth_trend_sessions (5) before the next run's: its stored spread, made huge
    earlier = calendar.sessions(dt.date(2025, 6, 20), days[2])[-1 - run_params(days[2])["breadth_trend_sessions"]]
    con.execute("UPDATE marts.market_breadth SET breadth_spread_20d = 1.0 WHERE as_of = ?", [earlier])
    _breadth_runs(con, market, [days[2]], PARAMS)  # a later run: no first load
    rows = con.execute("SELECT segment, breadth_spread_20d, breadth_signal FROM marts.market_breadth "
                       "WHERE as_of = ? AND breadth_spread_20d IS NOT NULL", [days[2]]).fetchall()
    assert rows
    tol = run_params(days[2])["breadth_spread_tolerance"] / 100
    for segment, spread, signal in rows:
        # spread - 1.0 < -tol always: narrowing when the spread is below -tol, else mixed
        assert signal == ("narrowing" if spread < -tol else "mixed"), segment
    # a full rebuild compares with the spread recomputed from raw history instead
    build_all(con, {**run_params(days[2], **PARAMS), "full_refresh": True})
    restored = con.execute("SELECT count(*) FROM marts.market_breadth WHERE as_of = ? "
                           "AND breadth_spread_20d = 1.0", [earlier]).fetchone()[0]
    assert restored == 0


def test_breadth_history_shorter_than_its_trend_equals_a_full_rebuild(market, con):
    """When the kept rows do not reach breadth_trend_sessions back (history 3 < trend 5), a
    daily run totals the earlier sessions itself: still the rows of a full rebuild."""
    params = {**PARAMS, "breadth_history_sessions": 3}
    days = calendar.sessions(dt.date(2025, 7, 1), dt.date(2025, 7, 7))  # through the holiday
    _breadth_runs(con, market, days, params)
    con.execute("ATTACH ':memory:' AS b")
    con.execute("COPY FROM DATABASE memory TO b")
    con.execute("USE b")
    build_all(con, {**run_params(days[-1], **params), "full_refresh": True})
    con.execute("USE memory")
    assert con.execute("SELECT count(*) FROM marts.market_breadth WHERE breadth_signal IS NOT NULL").fetchone()[0]
    assert _differences(con, "marts.market_breadth") == 0
    con.execute("DETACH b")
