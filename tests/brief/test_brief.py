"""The brief renders from a published build, with charts that carry the expected series."""

import numpy as np
import pytest
from matplotlib import image

from scout_pipeline import brief, cli
from tests.conftest import dagster_home


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("brief")
    home = dagster_home(root / "home")
    mp = pytest.MonkeyPatch()
    mp.setenv("DAGSTER_HOME", str(home))
    assert cli.main(["run", "--as-of", "2026-11-20", "--warehouse", str(root / "wh")]) == 0
    mp.undo()
    return root / "wh"


def _not_blank(path):
    pixels = image.imread(str(path))
    return pixels.std() > 0.05 and (pixels[..., :3] < 0.5).mean() > 0.005


def test_run_writes_brief_with_labelled_synthetic_charts(sample_warehouse):
    out = sample_warehouse / "briefs" / "2026-11-20"
    md = (out / "brief.md").read_text()
    assert "SYNTHETIC SAMPLE DATA" in md and "2026-11-20" in md
    html = (out / "brief.html").read_text()
    assert "SYNTHETIC SAMPLE DATA" in html and html.count("data:image/png;base64,") == 6
    for name in ("rotation", "streak_outcomes", "valuation", "cooling_breakouts", "breadth", "rates"):
        assert _not_blank(out / f"{name}.png"), name


def test_chart_series_are_the_ones_a_reader_expects(sample_warehouse, tmp_path):
    result = brief.render(sample_warehouse, out_root=tmp_path)
    series = {c.name: c.series for c in result.charts}
    assert series["rotation"] == ["ratio", "current streak", "prior comparable streak"]
    assert "Small caps forward P/E" in series["valuation"] and "Large caps forward P/E" in series["valuation"]
    assert "Small caps names covered" in series["valuation"]  # a coverage drop is not read as a P/E move
    assert "MOD close" in series["cooling_breakouts"] and "MOD breakout level" in series["cooling_breakouts"]
    # the sample plants contract months: today's path across meetings vs 20 sessions earlier
    assert series["rates"] == ["implied path 2026-11-20", "implied path 2026-10-23 (20 sessions earlier)"]
    assert series["streak_outcomes"] == ["any time", "after earlier streaks"]
    assert result.synthetic


def test_rotation_section_says_what_followed_earlier_streaks(sample_warehouse):
    from html import escape as html_escape

    import duckdb

    con = duckdb.connect(str(sample_warehouse / "scout.duckdb"), read_only=True)
    try:
        sentence = con.execute("SELECT what_followed FROM marts.daily_brief WHERE section = 'rotation'").fetchone()[0]
    finally:
        con.close()
    md = (sample_warehouse / "briefs" / "2026-11-20" / "brief.md").read_text()
    rotation = md.split("## Rotation", 1)[1].split("\n## ", 1)[0]
    assert sentence.startswith("After the 39 earlier runs of at least 7 sessions ahead")  # one per 63 sessions
    assert brief.md_text(sentence) in rotation
    assert html_escape(sentence) in (sample_warehouse / "briefs" / "2026-11-20" / "brief.html").read_text()


def test_scout_brief_prints_and_refuses_unknown_day(sample_warehouse, capsys):
    assert cli.main(["brief", "--warehouse", str(sample_warehouse)]) == 0
    assert "Trend Scout daily brief" in capsys.readouterr().out
    assert cli.main(["brief", "--as-of", "2020-01-02", "--warehouse", str(sample_warehouse)]) == 1
    assert "no brief for 2020-01-02" in capsys.readouterr().err


def test_brief_without_a_published_warehouse_says_so(tmp_path):
    with pytest.raises(brief.BriefError, match="run `scout run` first"):
        brief.render(tmp_path)


def test_rotation_chart_bounds_a_record_by_the_loaded_history(con, tmp_path, monkeypatch):
    """No earlier comparable streak in the data: the chart's current-streak label says the run
    is the longest in the data and names where the data starts."""
    from scout_pipeline import calendar
    from scout_pipeline.build import build_all
    from tests.conftest import load, run_params

    days = calendar.sessions("2026-03-02", "2026-03-31")[:5]
    load(con, "prices", [{"ticker": t, "date": d, "close": c} for d, i in zip(days, range(5))
                         for t, c in (("^RUT", 100.0 + i), ("^GSPC", 100.0))])
    load(con, "pairs", [{"pair_id": "smallcap_vs_largecap", "lead": "^RUT", "base": "^GSPC",
                         "label": "Russell 2000 vs S&P 500"}])
    build_all(con, run_params(days[-1]))
    labels = []

    def keep_labels(plt, fig, path, title, synthetic):
        labels.extend(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
        plt.close(fig)

    monkeypatch.setattr(brief, "_save", keep_labels)
    chart = brief.chart_rotation(con, tmp_path, synthetic=False)
    assert chart.series == ["ratio", "current streak"]
    assert f"current streak: ahead 4 sessions, longest in the data (from {days[0]})" in labels


def test_rates_chart_draws_the_implied_path_today_and_20_sessions_earlier(con, tmp_path, monkeypatch):
    from scout_pipeline.build import build_all
    from tests.conftest import run_params
    from tests.marts import test_rate_expectations as rates

    rates._load(con, after_june=lambda i: 4.08 - 0.01 * max(0, i - 3))
    build_all(con, run_params(rates.AS_OF))
    drawn = {}

    def keep(plt, fig, path, title, synthetic):
        ax = fig.axes[0]
        drawn.update({line.get_label(): list(line.get_ydata()) for line in ax.get_lines()
                      if not line.get_label().startswith("_")})
        plt.close(fig)

    monkeypatch.setattr(brief, "_save", keep)
    chart = brief.chart_rates(con, tmp_path, synthetic=False)
    today, before = "implied path 2025-05-05", "implied path 2025-04-04 (20 sessions earlier)"
    assert chart.series == [today, before]
    # from today's rate (4.33) to 4.08 after May 7, then the June repricing: 3.88 now, 4.08 then
    assert drawn[today][:3] == pytest.approx([4.33, 4.08, 3.88], abs=1e-4)
    assert drawn[before][:3] == pytest.approx([4.33, 4.08, 4.08], abs=1e-4)

def test_charts_sit_under_their_sections_in_text_order(sample_warehouse, tmp_path):
    """Issue 17 (Also): each chart under the section it illustrates, in the text's order; the
    breakout chart draws the names the text names (cooling, heating, failed), in its order."""
    import duckdb

    result = brief.render(sample_warehouse, out_root=tmp_path)
    md = result.markdown
    headings = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert "Charts" not in headings  # every chart has its section
    for chart in result.charts:
        section = brief.chart_section(chart).replace("_", " ").capitalize()
        at, image = md.index(f"## {section}\n"), md.index(f"]({chart.path.name})")
        following = [md.index(f"## {h}\n") for h in headings if md.index(f"## {h}\n") > at]
        assert at < image < min(following, default=len(md)), chart.name
    # chart order is text order (what followed earlier streaks sits with the rotation)
    placed = [brief.chart_section(c).replace("_", " ").capitalize() for c in result.charts]
    text_order = [h for h in headings if h in placed]
    assert list(dict.fromkeys(placed)) == text_order
    con = duckdb.connect(str(sample_warehouse / "scout.duckdb"), read_only=True)
    named = con.execute("SELECT ticker, status FROM marts.cooling_breakouts WHERE status IN ('cooling', 'heating', 'failed') "
                        "ORDER BY CASE status WHEN 'cooling' THEN 1 WHEN 'heating' THEN 2 ELSE 3 END, "
                        "CASE WHEN status = 'cooling' THEN -pullback_pct END, ticker").fetchall()
    detail = con.execute("SELECT headline || ' ' || detail FROM marts.daily_brief "
                         "WHERE section = 'cooling_breakouts'").fetchone()[0]
    con.close()
    drawn = [s.removesuffix(" close") for s in next(c for c in result.charts if c.name == "cooling_breakouts").series
             if s.endswith(" close")]
    assert drawn == [t for t, _ in named][:brief.BREAKOUT_PANELS]
    assert all(t in detail for t in drawn)  # every drawn name is one the text names
    heating = [t for t, status in named if status == "heating"]
    assert heating and heating[0] in drawn  # the sample's heating name, once missing from the chart


def test_inline_markdown_carries_the_images_for_the_dagster_ui(sample_warehouse, tmp_path):
    """Issue 17 defect 6: the markdown attached in Dagster has no relative image links."""
    result = brief.render(sample_warehouse, out_root=tmp_path)
    inline = result.inline_markdown
    assert inline.count("](data:image/png;base64,") == len(result.charts) == 6
    assert ".png)" not in inline
