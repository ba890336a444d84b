"""Run notes a mart build leaves for `scout run` and the Dagster UI: each one must be true.

No Dagster here: the transform assets call these after building a mart.
"""

from __future__ import annotations

import duckdb

NAMED_TERMS_MAX = 5  # terms listed in one note; the rest counted


def empty_input_notes(con: duckdb.DuckDBPyConnection, table: str, upstream, rows: int) -> list[str]:
    """A mart with no rows says it is empty (and which inputs had no data, if any did); a mart
    with rows whose optional input was empty says it was built without that input."""
    empty = [f"{s}.{t}" for s, t in upstream
             # existence, not a count: the inputs are views over the whole history
             if not con.execute(f"SELECT EXISTS (SELECT 1 FROM {s}.{t})").fetchone()[0]]
    if rows == 0:
        return [f"{table} is empty" + (f": no data in {', '.join(empty)}" if empty else "")]
    if empty:
        return [f"{table} has {rows:,} row{'s' if rows != 1 else ''}, built without "
                f"{', '.join(empty)} (no data there)"]
    return []


IGNORED_ATTENTION_SQL = """
SELECT count(*) AS n_rows, count(DISTINCT term) AS n_terms,
       list(DISTINCT term ORDER BY term) AS terms
FROM staging.stg_attention
WHERE ticker IS NULL AND date <= $as_of
"""


def ignored_attention(con: duckdb.DuckDBPyConnection, as_of) -> list[str]:
    """Attention rows no mart can use: a term with no ticker that no universe
    wikipedia_article names (staging.stg_attention resolves the ones it can)."""
    n_rows, n_terms, terms = con.execute(IGNORED_ATTENTION_SQL, {"as_of": as_of}).fetchone()
    if not n_rows:
        return []
    shown = ", ".join(terms[:NAMED_TERMS_MAX]) + (f" (+{n_terms - NAMED_TERMS_MAX} more)"
                                                 if n_terms > NAMED_TERMS_MAX else "")
    return [f"{n_rows:,} attention row{'s' if n_rows != 1 else ''} ({n_terms} term{'s' if n_terms != 1 else ''}: "
            f"{shown}) {'have' if n_rows != 1 else 'has'} no ticker and no universe wikipedia_article "
            "names them: ignored"]


OFF_CALENDAR_SQL = """
SELECT count(*) AS n, list(ticker || ' ' || strftime(date, '%Y-%m-%d') ORDER BY date, ticker) AS bars
FROM raw.prices
WHERE close IS NOT NULL AND date <= $as_of AND dayofweek(date) IN (0, 6)
"""
NAMED_BARS_MAX = 5


def off_calendar_bars(con: duckdb.DuckDBPyConnection, as_of) -> list[str]:
    """Bars dated on a weekend, a session of no exchange tracked (a provider artefact such as a
    yfinance Sunday bar): staging.stg_prices leaves them out; the note names them."""
    n, bars = con.execute(OFF_CALENDAR_SQL, {"as_of": as_of}).fetchone()
    if not n:
        return []
    shown = ", ".join(bars[:NAMED_BARS_MAX]) + (f" (+{n - NAMED_BARS_MAX} more)" if n > NAMED_BARS_MAX else "")
    return [f"{n:,} price bar{'s' if n != 1 else ''} dated on a Saturday or Sunday (no exchange's session) "
            f"ignored: {shown}"]
