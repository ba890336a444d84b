"""The data dictionary (docs/data-dictionary.md), generated from the sql/ headers, which are
also the column COMMENTs in the warehouse, so the page cannot drift from the tables.

Regenerate with `python -m scout_pipeline.dictionary > docs/data-dictionary.md`; a test
fails when the committed page differs.
"""

from __future__ import annotations

from scout_pipeline.sql_files import load_models


def render() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Generated from the `sql/` file headers by `python -m scout_pipeline.dictionary`; the same",
        "text is on every table and column as a DuckDB COMMENT (`duckdb_columns().comment`).",
        "Published in `warehouse/scout.duckdb`: the `marts` schema and `meta.run_info`.",
        "",
    ]
    for layer in ("marts", "staging"):
        lines += [f"## {layer}", ""]
        for model in (m for m in load_models() if m.layer == layer):
            key = f" — key ({', '.join(model.key)})" if model.key else ""
            lines += [f"### `{model.table}`{key}", "", model.description, "",
                      f"Built by `sql/{layer}/{model.name}.sql`.", "",
                      "| column | meaning |", "| --- | --- |"]
            lines += [f"| `{col}` | {text.replace('|', '/')} |" for col, text in model.columns.items()]
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
