"""docs/data-dictionary.md is generated from the SQL headers and is up to date."""

from pathlib import Path

from scout_pipeline import dictionary

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"


def test_committed_dictionary_matches_the_sql_headers():
    assert DOC.read_text() == dictionary.render(), (
        "docs/data-dictionary.md is stale: run `python -m scout_pipeline.dictionary > docs/data-dictionary.md`")
