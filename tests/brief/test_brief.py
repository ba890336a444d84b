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
    assert "SYNTHETIC SAMPLE DATA" in html and html.count("data:image/png;base64,") == 5
    for name in ("rotation", "valuation", "cooling_breakouts", "breadth", "rates"):
        assert _not_blank(out / f"{name}.png"), name


def test_chart_series_are_the_ones_a_reader_expects(sample_warehouse, tmp_path):
    result = brief.render(sample_warehouse, out_root=tmp_path)
    series = {c.name: c.series for c in result.charts}
    assert series["rotation"] == ["ratio", "current streak", "prior comparable streak"]
    assert "small_cap forward P/E" in series["valuation"] and "large_cap forward P/E" in series["valuation"]
    assert "MOD close" in series["cooling_breakouts"] and "MOD breakout level" in series["cooling_breakouts"]
    assert any("implied policy rate" in s for s in series["rates"])
    assert result.synthetic


def test_scout_brief_prints_and_refuses_unknown_day(sample_warehouse, capsys):
    assert cli.main(["brief", "--warehouse", str(sample_warehouse)]) == 0
    assert "Trend Scout daily brief" in capsys.readouterr().out
    assert cli.main(["brief", "--as-of", "2020-01-02", "--warehouse", str(sample_warehouse)]) == 1
    assert "no brief for 2020-01-02" in capsys.readouterr().err


def test_brief_without_a_published_warehouse_says_so(tmp_path):
    with pytest.raises(brief.BriefError, match="run `scout run` first"):
        brief.render(tmp_path)
