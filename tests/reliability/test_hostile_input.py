"""Hostile input: bad parameters, malformed snapshot files, unknown tickers and hostile
strings in every user-supplied field.

Each one either stops the run with a message naming the problem (exit 2 for bad arguments,
1 for bad data) and leaves the published warehouse and the store byte-identical, or is
stored verbatim and rendered safely. Most cases are unit tests of `params.resolve` and
`load_snapshot`; a handful run `scout run` end to end on a copy of one clean warehouse.
"""

import contextlib
import hashlib
import io
import shutil
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from scout_pipeline import brief, cli, params, report
from scout_pipeline.sources.snapshot import SnapshotError, load_snapshot
from tests.quality import snapshots
from tests.conftest import dagster_home

AS_OF = snapshots.AS_OF
DAY = pd.Timestamp(AS_OF).date()
LONG = "L" * 10_000
# what a careless or malicious file can put in a free-text field
HOSTILE = {
    "sql": "'; DROP TABLE raw.prices; --",
    "quotes": "O'Brien \"the\" back\\slash",
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "markdown": "a | b *c* `d` [e](javascript:alert(1))\n# heading\r\n---",
    "mathtext": "$\\frac$ ^ $x^$",
    "path": "../../etc/passwd",
    "long": LONG,
    "unicode": "🚀 \u202eRTL\u202c zero\u200bwidth",
    "missing_words": "None",
}


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize("name, value, allowed", [
    ("breakout_window", "-5", "a whole number from 1 to 10000"),
    ("breakout_window", "0", "a whole number from 1 to 10000"),
    ("breakout_window", "2.5", "a whole number from 1 to 10000"),
    ("breakout_lookback", "nan", "a whole number from 1 to 10000"),
    ("rs_sessions", "inf", "a whole number from 1 to 10000"),
    ("volume_avg_sessions", "1e400", "a whole number from 1 to 10000"),  # overflows to inf
    ("attention_recent_days", "5000", "a whole number from 1 to 3660"),
    ("fundamentals_max_age_days", "-1", "a whole number from 0 to 3660"),
    ("cooling_pullback_pct", "101", "a number from 0 to 100"),
    ("cooling_attention_drop_pct", "-1", "a number from 0 to 100"),
    ("heating_attention_min_change_pct", "-150", "a number from -100 to 10000"),
    ("volume_confirm_ratio", "-0.5", "a number from 0 to 100"),
    ("rate_signal_bps", "-10", "a number from 0 to 1000"),
    ("quality_weight_growth", "-0.2", "a number from 0 to 100"),
    ("new_high_low_sessions", "1", "a whole number from 2 to 10000"),
    ("brief_top_n", "0", "a whole number from 1 to 100"),
    ("brief_max_names", True, "a whole number from 1 to 100"),  # a launchpad bool is not a count
])
def test_out_of_range_parameter_names_itself_the_value_and_the_range(name, value, allowed):
    with pytest.raises(ValueError) as err:
        params.resolve({name: value})
    assert str(err.value) == f"parameter {name} must be {allowed}, got {value!r}"


def test_parameter_rules_across_parameters():
    zero = {w: 0 for w in params.WEIGHTS}
    with pytest.raises(ValueError, match="quality_weight_profitability, .* are all 0"):
        params.resolve(zero)
    assert params.resolve({**zero, "quality_weight_growth": 1})["quality_weight_growth"] == 1
    with pytest.raises(ValueError, match=r"breadth_short_ma_sessions \(300\) must not exceed breadth_long_ma_sessions \(200\)"):
        params.resolve({"breadth_short_ma_sessions": 300})


def test_defaults_and_range_bounds_are_accepted():
    assert params.resolve({}) == params.defaults()
    for name, p in params.PARAMS.items():
        assert p.low <= p.default <= p.high and (not p.integer or float(p.default).is_integer()), name
        for bound in (p.low, p.high):
            params.check(name, str(bound))  # both ends are inside the range


# ---------------------------------------------------------------- snapshot files (unit)

PRICES = "ticker,date,close\n^RUT,2026-01-08,2500\n^GSPC,2026-01-08,6900\n"


def _snapshot(root: Path, files: dict) -> Path:
    root.mkdir(exist_ok=True)
    files = {"prices.csv": PRICES, **files}
    for name, content in files.items():
        (root / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


@pytest.mark.parametrize("files, fragments", [
    # universe
    ({"universe.csv": "name,asset_type\nApple,equity\n"}, ["universe.csv", "required column 'ticker' is missing"]),
    ({"universe.csv": "ticker,name\n^RUT,a\n  ,b\n"}, ["universe.csv", "column 'ticker' has blank values", "'  '", "lines [3]"]),
    ({"universe.csv": "ticker,name\n^RUT,Russell\n^RUT,Other\n"},
     ["universe.csv", "column 'ticker' repeats ['^RUT'] with different values", "lines [2, 3]"]),
    ({"universe.csv": "ticker,asset_type\n^RUT,index\nAAPL,stock\n"},
     ["universe.csv", "column 'asset_type' must be one of index, etf, equity, future", "['stock']", "lines [3]"]),
    ({"universe.csv": "ticker,name\n^RUT,bad\x00name\n"}, ["universe.csv", "column 'name' has NUL bytes", "'bad\\x00name'"]),
    # pairs
    ({"pairs.csv": "pair_id,lead\nx,^RUT\n"}, ["pairs.csv", "required column 'base' is missing"]),
    ({"pairs.csv": "pair_id,lead,base\nx,^RUT,^GSPC\nx,^GSPC,^RUT\n"},
     ["pairs.csv", "column 'pair_id' repeats ['x'] with different values"]),
    ({"pairs.csv": "pair_id,lead,base\nx,,^GSPC\n"}, ["pairs.csv", "column 'lead' has empty values", "lines [2]"]),
    # prices: values
    ({"prices.csv": PRICES + "^RUT,2026-01-07,abc\n"}, ["prices.csv", "column 'close' must be numeric", "['abc']", "lines [4]"]),
    ({"prices.csv": PRICES + "^RUT,2026-01-07,inf\n"}, ["prices.csv", "column 'close' must be finite", "['inf']"]),
    ({"prices.csv": PRICES + "^RUT,2026-13-45,1\n"}, ["prices.csv", "column 'date' has values that are not dates", "['2026-13-45']"]),
    ({"prices.csv": PRICES + "A\x00B,2026-01-07,1\n"}, ["prices.csv", "column 'ticker' has NUL bytes", "'A\\x00B'"]),
    ({"prices.csv": PRICES + '"A\nB",2026-01-07,1\n'}, ["prices.csv", "column 'ticker' has control characters", "'A\\nB'"]),
    ({"prices.csv": PRICES + " AAPL,2026-01-07,1\n"}, ["prices.csv", "column 'ticker' has leading or trailing spaces", "' AAPL'"]),
    ({"prices.csv": PRICES + ",2026-01-07,1\n"}, ["prices.csv", "key column 'ticker' has empty values", "lines [4]"]),
    # prices: the file itself
    ({"prices.csv": ""}, ["prices.csv", "is empty (no header line)"]),
    ({"prices.csv": "ticker,date,close\n"}, ["prices.csv", "has no rows, only a header"]),
    ({"prices.csv": "ticker,date,close,close\n^RUT,2026-01-08,1,2\n"}, ["prices.csv", "column 'close' appears more than once"]),
    ({"prices.csv": PRICES.encode() + "Soci\xe9t\xe9,2026-01-07,1\n".encode("latin-1")},
     ["prices.csv", "is not UTF-8 text (byte 0xe9 on line 4", "save it as a UTF-8 CSV"]),
    ({"prices.csv": PRICES.encode("utf-16")}, ["prices.csv", "is not UTF-8 text (byte 0xff on line 1"]),
    ({"prices.csv": bytes(range(256)) * 8}, ["prices.csv", "is not UTF-8 text"]),
    ({"prices.csv": "ticker,date,close\n^RUT,2026-02-02,1\n"}, ["no prices dated on or before 2026-01-09"]),
    # attention
    ({"attention.csv": "term,ticker,date,value\n,,2026-01-08,5\n"}, ["attention.csv", "neither 'term' nor 'ticker'", "lines [2]"]),
])
def test_malformed_snapshot_file_names_file_column_and_values(tmp_path, files, fragments):
    with pytest.raises(SnapshotError) as err:
        load_snapshot(_snapshot(tmp_path / "snap", files), DAY)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_unknown_tickers_are_notes_and_their_pairs_are_skipped(tmp_path):
    snap = _snapshot(tmp_path / "snap", {
        "universe.csv": "ticker,asset_type\n^RUT,index\n^GSPC,index\nGHOST,equity\nZQ=F,future\n",
        "pairs.csv": "pair_id,lead,base\nsmallcap_vs_largecap,^RUT,^GSPC\nghost_vs_spx,GHOST,^GSPC\n",
    })
    data = load_snapshot(snap, DAY)
    assert list(data.get("pairs")["pair_id"]) == ["smallcap_vs_largecap"]  # the buildable one is kept
    assert "pairs: skipped ghost_vs_spx (GHOST vs ^GSPC): series not in prices" in data.notes
    # listed but unpriced: kept in the universe and named (a future is priced in rates, not here)
    assert sorted(data.get("universe")["ticker"]) == ["GHOST", "ZQ=F", "^GSPC", "^RUT"]
    assert [n for n in data.notes if n.startswith("universe:")] == [
        "universe: no prices on or before the as-of day for 1 listed ticker(s), so no mart shows them: GHOST"]


def test_text_is_kept_verbatim_and_only_exact_repeats_collapse(tmp_path):
    names = [HOSTILE["sql"], HOSTILE["script"], HOSTILE["markdown"], HOSTILE["unicode"], "null"]
    universe = pd.DataFrame({"ticker": ["NA", "^RUT", "^GSPC", "AAPL", "MOD"], "name": names,
                             "sector": [HOSTILE["path"], LONG, "", "N/A", HOSTILE["quotes"]]})
    universe = pd.concat([universe, universe.iloc[[1]]])  # the same row twice: harmless
    snap = _snapshot(tmp_path / "snap", {"prices.csv": PRICES + "NA,2026-01-08,NA\n"})
    universe.to_csv(snap / "universe.csv", index=False)
    data = load_snapshot(snap, DAY)
    got = data.get("universe").set_index("ticker")
    assert list(got.index) == ["NA", "^RUT", "^GSPC", "AAPL", "MOD"]  # "NA" is a ticker, not a gap
    assert list(got["name"]) == names
    assert got.loc["AAPL", "sector"] == "N/A" and got.loc["^GSPC", "sector"] is None  # only "" is absent
    assert got.loc["^RUT", "sector"] == LONG and got.loc["^RUT", "name"] == HOSTILE["script"]
    prices = data.get("prices")
    assert pd.isna(prices.loc[prices.ticker == "NA", "close"]).all()  # a numeric "NA" is missing


# ---------------------------------------------------------------- rendering (unit)


def test_markdown_and_chart_text_escape_what_would_be_markup():
    md = brief.md_text(HOSTILE["markdown"] + " " + HOSTILE["script"])
    assert "\n" not in md and "\\|" in md and "\\[e\\](javascript" in md and "\\<script\\>" in md
    assert "<" not in md.replace("\\<", "") and "|" not in md.replace("\\|", "")
    assert brief.md_text("# title").startswith("\\#") and brief.md_text("- item").startswith("\\-")
    assert brief.chart_text(HOSTILE["mathtext"]) == "\\$\\frac\\$ ^ \\$x^\\$"
    assert len(brief.chart_text(LONG)) == brief.CHART_TEXT_MAX


BIDI = "\u202e\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_never_reach_the_rendered_brief():
    """Issue 14.13: a right-to-left override in a name shows the rest of the line reversed in
    brief.html/md (and a chart); rendering drops every bidi control, the text stays."""
    name = "Evil\u202eCorp\u2066x\u2069 \u200fInc"
    facts = pd.DataFrame([{"section": "rotation", "headline": f"{name} ahead of the S&P 500", "detail": name + BIDI}])
    md = brief.to_markdown(AS_OF, "snapshot:x", facts, [], None)
    page = brief.to_html(AS_OF, "snap\u202eshot", facts, [], None)
    for text in (md, page, brief.chart_text(name), brief.md_text(name)):
        assert not any(ch in text for ch in BIDI), repr(text)
    assert "**EvilCorpx Inc ahead of the S&P 500**" in md
    assert "<b>EvilCorpx Inc ahead of the S&amp;P 500</b>" in page and "snapshot" in page
    assert brief.no_bidi("a\u200bb 🚀 \u05d0") == "a\u200bb 🚀 \u05d0"  # zero-width, emoji, Hebrew kept


def test_terminal_output_escapes_control_characters_and_clips():
    assert report.shown("a\x1b[31mb\x00c\u202ed\u200b") == "a\\x1b[31mb\\x00c\\u202ed\\u200b"
    assert len(report.shown(LONG)) == report.SHOWN_MAX


# ---------------------------------------------------------------- end to end


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _published(wh: Path) -> dict:
    """What a failed run must not touch: the published file, its Parquet copies, the store."""
    files = [wh / "scout.duckdb", wh / "store.duckdb", *sorted((wh / "parquet").glob("*.parquet"))]
    return {p.relative_to(wh).as_posix(): _digest(p) for p in files}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """One clean published warehouse (and the snapshot that built it) for the module."""
    root = tmp_path_factory.mktemp("hostile")
    home = dagster_home(root / "dagster_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        snap = snapshots.write_snapshot(root / "snap")
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = cli.main(["run", "--source", str(snap), "--as-of", AS_OF, "--warehouse", str(root / "wh")])
        assert code == 0, out.getvalue()
        yield root


@pytest.fixture
def scene(baseline, tmp_path, capsys):
    wh, snap = tmp_path / "wh", tmp_path / "snap"
    shutil.copytree(baseline / "wh", wh)
    shutil.copytree(baseline / "snap", snap)
    capsys.readouterr()

    def run(*extra):
        code = cli.main(["run", "--source", str(snap), "--as-of", AS_OF, "--warehouse", str(wh), *extra])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return wh, snap, run


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


def test_hostile_text_is_stored_verbatim_and_rendered_safely(scene, tmp_path):
    wh, snap, run = scene
    # mathtext first: chart titles are clipped, and it must reach the chart
    label = f"{HOSTILE['mathtext']} {HOSTILE['script']} {HOSTILE['quotes']} vs {HOSTILE['markdown']}"
    universe = pd.DataFrame([
        ("^RUT", HOSTILE["script"], "index", "", "", ""),
        ("^GSPC", HOSTILE["quotes"], "index", "", "", ""),
        ("RSP", HOSTILE["sql"], "etf", "", "", ""),
        ("SPY", LONG, "etf", "", "", ""),
        ("AAPL", HOSTILE["markdown"], "equity", "large_cap", HOSTILE["img"], HOSTILE["path"]),
        ("MOD", HOSTILE["unicode"], "equity", "small_cap;<b>seg</b>", HOSTILE["sql"], HOSTILE["missing_words"]),
        ("GHOST", "no prices", "equity", "small_cap", "", ""),
    ], columns=["ticker", "name", "asset_type", "segments", "sector", "wikipedia_article"])
    universe.to_csv(snap / "universe.csv", index=False)
    pd.DataFrame([("smallcap_vs_largecap", "^RUT", "^GSPC", label),
                  ("equalweight_vs_capweight", "RSP", "SPY", LONG),
                  ("ghost_vs_spx", "GHOST", "^GSPC", HOSTILE["img"])],
                 columns=["pair_id", "lead", "base", "label"]).to_csv(snap / "pairs.csv", index=False)
    snapshots.edit_csv(snap, "attention", lambda f: f.assign(
        term=f["ticker"].map({"AAPL": HOSTILE["sql"], "MOD": HOSTILE["path"]}).fillna(f["term"])))
    outside = _files(tmp_path) - {p for p in _files(tmp_path) if p.startswith("wh/")}

    code, out, err = run()

    assert code == 0, out + err
    assert "pairs: skipped ghost_vs_spx (GHOST vs ^GSPC)" in out and "so no mart shows them: GHOST" in out
    assert "\n# heading" not in out  # the headline's line break is shown escaped
    # nothing ran as SQL: every raw table is there, the text is stored as given
    store = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
    try:
        assert {t for (t,) in store.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()} \
            >= {"prices", "fundamentals", "attention", "rates", "universe", "pairs"}
        assert store.execute("SELECT count(DISTINCT ticker) FROM raw.prices").fetchone()[0] == 6
        stored = dict(store.execute("SELECT ticker, name FROM raw.universe").fetchall())
        assert stored == dict(zip(universe.ticker, universe.name))
        assert store.execute("SELECT sector, wikipedia_article FROM raw.universe WHERE ticker = 'AAPL'").fetchone() \
            == (HOSTILE["img"], HOSTILE["path"])
        assert dict(store.execute("SELECT pair_id, label FROM raw.pairs").fetchall()) == {
            "smallcap_vs_largecap": label, "equalweight_vs_capweight": LONG}
        assert {t for (t,) in store.execute("SELECT DISTINCT term FROM raw.attention").fetchall()} \
            >= {HOSTILE["sql"], HOSTILE["path"]}
    finally:
        store.close()
    published = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    try:
        assert published.execute("SELECT name FROM marts.quality_leaders WHERE ticker = 'MOD'").fetchone()[0] \
            == HOSTILE["unicode"]
        assert HOSTILE["script"] in published.execute(
            "SELECT detail FROM marts.daily_brief WHERE section = 'rotation'").fetchone()[0]
    finally:
        published.close()
    # the HTML brief: only the page's own tags, no handler attributes, images only inline PNGs
    page = (wh / "briefs" / AS_OF / "brief.html").read_text()
    tags = _Tags()
    tags.feed(page)
    assert tags.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "code",
                         "figure", "img", "figcaption"}, tags.tags
    assert not [k for k, _ in tags.attrs if k.startswith("on")]
    assert all(v.startswith("data:image/png;base64,") for k, v in tags.attrs if k == "src")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the text is there, escaped
    # the markdown brief: the label's markup and line breaks are literal text
    md = (wh / "briefs" / AS_OF / "brief.md").read_text()
    assert "<script>" not in md and "\\<script\\>" in md and "\\[e\\](javascript" in md
    assert [line for line in md.splitlines() if line.startswith("#")] == [
        f"# Trend Scout daily brief — {AS_OF}", "## Rotation", "## Valuation", "## Cooling breakouts",
        "## Breadth", "## Rates", "## Quality leaders"]  # each chart sits under its section
    # no file named from data, nothing written outside the warehouse
    assert (wh / "briefs" / AS_OF / "rotation.png").stat().st_size > 10_000  # the label drew (mathtext escaped)
    assert not [p for p in _files(wh) if any(bad in p for bad in ("passwd", "<", "'", "..", "DROP"))]
    assert _files(tmp_path) - {p for p in _files(tmp_path) if p.startswith("wh/")} == outside


@pytest.mark.parametrize("dataset, content, message", [
    ("universe.csv", "ticker,name\n^RUT,Russell\x00 2000\n", "universe.csv: column 'name' has NUL bytes"),
    ("prices.csv", "ticker,date,close\n", "prices.csv: has no rows, only a header"),
    ("attention.csv", bytes(range(256)) * 8, "attention.csv: is not UTF-8 text"),
])
def test_rejected_snapshot_fails_the_run_and_changes_nothing(scene, dataset, content, message):
    wh, snap, run = scene
    before = _published(wh)
    (snap / dataset).write_bytes(content if isinstance(content, bytes) else content.encode())
    code, out, err = run()
    assert code == 1, out + err
    assert message in err and "was not changed" in err
    assert "Traceback" not in err
    assert _published(wh) == before


@pytest.mark.parametrize("param, shown", [
    ("breakout_window=-5", "parameter breakout_window must be a whole number from 1 to 10000, got '-5'"),
    ("breakout_window=2.5", "parameter breakout_window must be a whole number from 1 to 10000, got '2.5'"),
    ("cooling_pullback_pct=nan", "parameter cooling_pullback_pct must be a number from 0 to 100, got 'nan'"),
    ("rs_sessions=", "parameter rs_sessions must be a number, got ''"),
])
def test_bad_parameter_is_a_usage_error_before_anything_runs(scene, param, shown):
    wh, _, run = scene
    before = _published(wh)
    code, out, err = run("--param", param)
    assert code == 2 and shown in err, out + err
    assert _published(wh) == before


def test_bad_parameter_from_the_launchpad_fails_the_run_and_changes_nothing(scene):
    wh, snap, _ = scene
    before = _published(wh)
    # the launchpad's config reaches the resource directly, past the CLI's check
    result = cli.execute(str(snap), AS_OF, wh, {"quality_weight_profitability": 0.0, "quality_weight_growth": 0.0,
                                                "quality_weight_balance_sheet": 0.0, "quality_weight_strength": 0.0})
    assert not result.success
    summary = report.failure_summary(result, wh, 0.0)
    assert "quality_weight_profitability, quality_weight_growth, quality_weight_balance_sheet, " \
           "quality_weight_strength are all 0" in summary
    assert _published(wh) == before
