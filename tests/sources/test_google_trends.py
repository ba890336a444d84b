"""Google Trends: stitching per-request 0–100 batches on a shared anchor; graceful degradation."""

from __future__ import annotations

import pandas as pd
import pytest

from scout_pipeline.sources import google_trends as gt
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FAILED

DAYS = pd.DatetimeIndex(["2025-01-01", "2025-01-02", "2025-01-03"], name="date")


def interest_over_time(values: dict[str, list[int]], partial_last: bool = False) -> pd.DataFrame:
    """pytrends' `interest_over_time()`: int columns per term plus a bool `isPartial`."""
    frame = pd.DataFrame(values, index=DAYS).astype("int64")
    frame["isPartial"] = [False] * (len(DAYS) - 1) + [partial_last]
    return frame


def test_stitch_on_the_anchor_then_rescale_to_100():
    b1 = interest_over_time({"Stock market": [50, 100, 50], "Russell 2000": [10, 20, 30]})
    b2 = interest_over_time({"Stock market": [25, 50, 25], "Small cap": [100, 80, 60]}, True)
    wide, notes = gt.stitch_batches([b1, b2], "Stock market")
    assert notes == []
    assert wide["Small cap"].tolist() == pytest.approx([100, 80, 60])
    assert wide["Russell 2000"].tolist() == pytest.approx([5, 10, 15])
    assert wide["Stock market"].tolist() == pytest.approx([25, 50, 25])
    assert float(wide.max().max()) == pytest.approx(100)
    assert "isPartial" not in wide.columns


def test_unscalable_batches_are_dropped_with_a_note():
    b1 = interest_over_time({"Stock market": [50, 100, 50], "A": [1, 2, 3]})
    zero = interest_over_time({"Stock market": [0, 0, 0], "B": [100, 90, 80]})
    no_anchor = interest_over_time({"C": [1, 2, 3]})
    wide, notes = gt.stitch_batches([b1, zero, no_anchor], "Stock market")
    assert set(wide.columns) == {"Stock market", "A"}
    assert len(notes) == 2 and "all zero" in notes[0] and "lacks the anchor" in notes[1]
    assert gt.stitch_batches([], "x")[0].empty


def test_without_pytrends_the_module_degrades_with_a_note():
    assert gt.pytrends_available() is False  # not a dependency of this project
    got = gt.fetch_trends(["Russell 2000"], "2025-01-01", "2025-01-03", anchor="Stock market")
    assert got.frame.empty and list(got.frame.columns) == columns("attention")
    assert got.failures == [] and "pytrends is not installed" in got.notes[0]


class FakeTrendReq:
    def __init__(self, answers):
        self.answers = list(answers)
        self.payloads = []

    def build_payload(self, kw_list, timeframe="today 5-y", geo=""):
        self.payloads.append((list(kw_list), timeframe, geo))

    def interest_over_time(self):
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_fetch_with_a_client_batches_of_four_plus_anchor_and_never_raises():
    terms = ["T1", "T2", "T3", "T4", "T5", "T6"]
    b1 = interest_over_time({"Anchor": [50, 100, 50], **{t: [10, 20, 30] for t in terms[:4]}})
    client = FakeTrendReq([b1, RuntimeError("The request failed: Google returned a response "
                                            "with code 429")])
    slept: list[float] = []
    got = gt.fetch_trends(terms, "2025-01-01", "2025-01-03", anchor="Anchor",
                          tickers={"T1": "AAA"}, client=client, sleep=slept.append, pause=5)
    assert [p[0] for p in client.payloads] == [["Anchor", "T1", "T2", "T3", "T4"],
                                               ["Anchor", "T5", "T6"]]
    assert client.payloads[0][1] == "2025-01-01 2025-01-03" and slept == [5]
    assert {f.item: f.status for f in got.failures} == {"T5": FAILED, "T6": FAILED}
    frame = got.frame
    assert set(frame["term"]) == {"T1", "T2", "T3", "T4"} and set(frame["source"]) == {"google_trends"}
    t1 = frame[frame["term"] == "T1"]
    assert t1["ticker"].tolist() == ["AAA"] * 3 and t1["value"].tolist() == pytest.approx([10, 20, 30])


def test_fetch_swallows_unexpected_errors():
    class Broken:
        def build_payload(self, *a, **k):
            raise ValueError("bad")

    class Weird(FakeTrendReq):
        def interest_over_time(self):
            return "not a frame"  # blows up inside the module

    got = gt.fetch_trends(["X"], "2025-01-01", "2025-01-03", anchor="A", client=Broken())
    assert got.frame.empty and got.failures[0].item == "X"
    got = gt.fetch_trends(["X"], "2025-01-01", "2025-01-03", anchor="A", client=Weird([]))
    assert got.frame.empty and any("failed, skipped" in n for n in got.notes)
