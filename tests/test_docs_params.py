"""docs/marts.md documents every parameter with the default and allowed range params.py has.

The parameter tables look like
    | parameter | default | allowed | meaning |
    | `breakout_window` | 60 | whole number 1–10000 | ... |
with "allowed" written "[whole number ]LOW–HIGH" (or "LOW to HIGH" when LOW is negative).
"""

import re
from pathlib import Path

import pytest

from scout_pipeline import params

DOC = Path(__file__).resolve().parents[1] / "docs" / "marts.md"
HEADER = ["parameter", "default", "allowed", "meaning"]
NUMBER = r"-?\d+(?:\.\d+)?"
ALLOWED = re.compile(rf"(whole number )?({NUMBER})\s*(?:–|to)\s*({NUMBER})")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parameter_rows(text: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """(line number, cells) of every row of every parameter table, and problems with headers."""
    rows, problems = [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and _cells(lines[i])[0] == "parameter":
            if _cells(lines[i]) != HEADER:
                problems.append(f"line {i + 1}: parameter table header {_cells(lines[i])}, expected {HEADER}")
            i += 2  # header and | --- | separator
            while i < len(lines) and lines[i].startswith("|"):
                rows.append((i + 1, _cells(lines[i])))
                i += 1
        else:
            i += 1
    return rows, problems


def _number(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


def problems(text: str) -> list[str]:
    """Every way `text` disagrees with params.PARAMS; empty when it matches."""
    rows, found = parameter_rows(text)
    documented = set()
    for line, cells in rows:
        if len(cells) != len(HEADER):
            found.append(f"line {line}: {len(cells)} cells, expected {len(HEADER)}: {cells}")
            continue
        name_cell, default, allowed, _ = cells
        name = name_cell.strip("`")
        if name not in params.PARAMS:
            found.append(f"line {line}: {name_cell} is not in params.PARAMS")
            continue
        documented.add(name)
        param = params.PARAMS[name]
        try:
            if _number(default) != param.default:
                found.append(f"line {line}: {name} default {default}, params.py has {param.default:g}")
        except ValueError:
            found.append(f"line {line}: {name} default {default!r} is not a number")
        m = ALLOWED.fullmatch(allowed.replace("−", "-").replace(",", ""))
        if m is None:
            found.append(f"line {line}: {name} allowed {allowed!r} is not '[whole number ]LOW–HIGH'")
            continue
        integer, low, high = bool(m[1]), float(m[2]), float(m[3])
        if (integer, low, high) != (param.integer, param.low, param.high):
            found.append(f"line {line}: {name} allowed {allowed!r}, params.py has {param.allowed()}")
    for name in sorted(set(params.PARAMS) - documented):
        found.append(f"{name} has no row in a parameter table")
    return found


def test_every_parameter_is_documented_with_its_default_and_range():
    assert problems(DOC.read_text()) == []


def test_the_rules_between_parameters_are_stated():
    prose = [line for line in DOC.read_text().splitlines() if not line.startswith("|")]
    assert any("`breadth_short_ma_sessions` must not exceed `breadth_long_ma_sessions`" in line
               for line in prose)
    assert any("`quality_weight_*` must be above 0" in line for line in prose)
    # and the code still has them
    with pytest.raises(ValueError, match="breadth_short_ma_sessions"):
        params.resolve({"breadth_short_ma_sessions": 300})
    with pytest.raises(ValueError, match="quality weight"):
        params.resolve(dict.fromkeys(params.WEIGHTS, 0))


@pytest.mark.parametrize("old, new", [
    ("| `breakout_window` | 60 |", "| `breakout_window` | 61 |"),  # default
    ("| `rs_sessions` | 63 | whole number 1–10000 |", "| `rs_sessions` | 63 | whole number 1–1000 |"),  # high
    ("| `heating_attention_min_change_pct` | 0 | −100 to", "| `heating_attention_min_change_pct` | 0 | 0 to"),  # low
    ("| `brief_top_n` | 3 | whole number 1–100 |", "| `brief_top_n` | 3 | 1–100 |"),  # integer
    ("| `rate_signal_bps` | 10 | 0–1000 |", "| `rate_signal_bps` | 10 |"),  # cell dropped
    ("| parameter | default | allowed | meaning |\n| --- | --- | --- | --- |\n| `rate_signal_bps`",
     "| parameter | default | meaning |\n| --- | --- | --- |\n| `rate_signal_bps`"),  # column dropped
])
def test_a_drifted_doc_is_caught(old, new):
    text = DOC.read_text()
    assert old in text, old
    assert problems(text.replace(old, new, 1))


def test_a_missing_parameter_is_caught():
    text = DOC.read_text()
    drifted = "\n".join(line for line in text.splitlines() if "`quality_weight_growth` |" not in line)
    assert "quality_weight_growth has no row in a parameter table" in problems(drifted)
