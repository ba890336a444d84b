"""The expectations of each suite, as SQL that selects offending rows."""

from __future__ import annotations

from dataclasses import dataclass

from scout_pipeline.sources.contracts import RAW_TABLES


@dataclass(frozen=True)
class Expectation:
    name: str
    sql: str
    blocking: bool = True
    params: tuple[str, ...] = ()


def _key_rules(table: str, key: tuple[str, ...] | list[str]) -> list[Expectation]:
    cols = ", ".join(key)
    nulls = " OR ".join(f"{k} IS NULL" for k in key)
    return [
        Expectation("key_not_null", f"SELECT {cols} FROM {table} WHERE {nulls}"),
        Expectation("key_unique",
                    f"SELECT {cols}, count(*) AS copies FROM {table} GROUP BY ALL HAVING count(*) > 1"),
    ]


_RAW: dict[str, list[Expectation]] = {
    "prices": [
        Expectation("close_positive", "SELECT ticker, date, close FROM raw.prices WHERE NOT (close > 0)"),
        Expectation("no_session_after_as_of",
                    "SELECT ticker, date FROM raw.prices WHERE date > $as_of", params=("as_of",)),
    ],
}

_MARTS: dict[str, list[Expectation]] = {
    "relative_strength_streaks": [
        Expectation("streak_days_not_zero",
                    "SELECT pair_id, date FROM marts.relative_strength_streaks WHERE streak_days = 0 OR streak_days IS NULL"),
        Expectation("streak_start_not_after_date",
                    "SELECT pair_id, date, streak_start FROM marts.relative_strength_streaks WHERE streak_start > date"),
    ],
}


def expectations_for(schema: str, table: str) -> list[Expectation]:
    if schema == "raw":
        key = RAW_TABLES[table][0]
        return _key_rules(f"raw.{table}", key) + _RAW.get(table, [])
    from scout_pipeline.sql_files import load_models

    model = next(m for m in load_models() if m.layer == schema and m.name == table)
    return _key_rules(model.table, model.key) + _MARTS.get(table, [])
