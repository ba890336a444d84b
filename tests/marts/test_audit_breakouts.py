"""Audit fixes in cooling_breakouts (issue #15, items 2-4): no volume test at
volume_confirm_ratio = 0, attention rising from a zero base is rising, and attention rows
with a term but no ticker resolve through the universe's wikipedia_article."""

import datetime as dt

from scout_pipeline.build import build_all
from scout_pipeline.run_notes import ignored_attention
from tests.conftest import load, run_params
from tests.marts.test_cooling_breakouts import AS_OF, DAYS, P, SERIES, _attention, _rows


def _prices(ticker, rows, volume=True):
    return [{"ticker": ticker, "date": d, "close": c, "volume": v if volume else None} for d, c, v in rows]


def test_ratio_zero_is_no_volume_test(con):
    # the COOL price path (breaks out at session 24) with no volume at all
    load(con, "prices", _prices("NOVOL", SERIES["COOL"], volume=False) + _prices("COOL", SERIES["COOL"]))
    load(con, "universe", [{"ticker": t, "asset_type": "equity"} for t in ("NOVOL", "COOL")])
    build_all(con, run_params(AS_OF, **P))
    assert set(_rows(con)) == {"COOL"}                 # the default ratio needs volume
    build_all(con, run_params(AS_OF, **P, volume_confirm_ratio=0))
    rows = _rows(con)
    assert set(rows) == {"COOL", "NOVOL"}
    assert rows["NOVOL"]["breakout_date"] == DAYS[24] and rows["NOVOL"]["volume_ratio"] is None
    assert rows["NOVOL"]["status"] == "cooling"          # 6.1% off the peak, no attention


def _attention_from(ticker, recent, base, term=None, with_ticker=True):
    rows = _attention(ticker, recent, base)
    for r in rows:
        r["term"] = term or ticker
        if not with_ticker:
            r["ticker"] = None
    return rows


def test_attention_rising_from_zero_is_not_cooling(con):
    # three names on the COOL path (6.1% off the peak): attention 0 -> 50 a day, 0 -> 0, 100 -> 50
    load(con, "prices", [p for t in ("RISE", "ZERO", "FADE") for p in _prices(t, SERIES["COOL"])])
    load(con, "universe", [{"ticker": t, "asset_type": "equity"} for t in ("RISE", "ZERO", "FADE")])
    load(con, "attention", _attention_from("RISE", 50, 0) + _attention_from("ZERO", 0, 0)
         + _attention_from("FADE", 50, 100))
    build_all(con, run_params(AS_OF, **P))
    rows = _rows(con)
    assert (rows["RISE"]["attention_recent"], rows["RISE"]["attention_base"]) == (50, 0)
    assert rows["RISE"]["attention_change_pct"] is None  # no percentage from a zero base ...
    assert rows["RISE"]["status"] == "holding"           # ... but rising: not fading
    assert rows["ZERO"]["status"] == "holding"           # none before, none now: not fading
    assert rows["FADE"]["status"] == "cooling"


def test_attention_terms_resolve_through_the_universe(con):
    load(con, "prices", [p for t in ("ART", "LOST") for p in _prices(t, SERIES["COOL"])])
    load(con, "universe", [{"ticker": "ART", "asset_type": "equity", "wikipedia_article": "Art Corp"},
                           {"ticker": "LOST", "asset_type": "equity"}])
    # ART's pageviews come by article only (term, no ticker), steady: holding, not cooling.
    # "Nobody Inc" names no instrument: ignored, and the run notes say so.
    load(con, "attention", _attention_from("ART", 100, 100, term="Art_Corp", with_ticker=False)
         + _attention_from("X", 5, 5, term="Nobody Inc", with_ticker=False))
    build_all(con, run_params(AS_OF, **P))
    rows = _rows(con)
    assert rows["ART"]["attention_source"] == "sample"
    assert rows["ART"]["attention_change_pct"] == 0
    assert rows["ART"]["status"] == "holding"
    assert con.execute("SELECT DISTINCT ticker FROM staging.stg_attention WHERE term = 'Art_Corp'"
                       ).fetchall() == [("ART",)]
    assert ignored_attention(con, AS_OF) == [
        "21 attention rows (1 term: Nobody Inc) have no ticker and no universe wikipedia_article "
        "names them: ignored"]


def test_an_article_shared_by_two_instruments_resolves_to_neither(con):
    load(con, "universe", [{"ticker": "A1", "asset_type": "equity", "wikipedia_article": "Same"},
                           {"ticker": "A2", "asset_type": "equity", "wikipedia_article": "Same"}])
    load(con, "attention", [{"source": "s", "term": "Same", "ticker": None, "date": AS_OF, "value": 1.0}])
    build_all(con, run_params(AS_OF, **P), only={"marts.cooling_breakouts"})
    assert con.execute("SELECT ticker FROM staging.stg_attention").fetchall() == [(None,)]
    assert ignored_attention(con, AS_OF)[0].startswith("1 attention row (1 term: Same)")
    # rows after the as-of day are not the run's business
    assert ignored_attention(con, AS_OF - dt.timedelta(days=1)) == []
