"""FRED adapter against fredgraph.csv answers (both header variants, '.' for missing)."""

from __future__ import annotations

import pandas as pd

from scout_pipeline.sources import fred
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FAILED, MISSING

DFF_CSV = ("observation_date,DFF\n"
           "2024-12-30,4.33\n2024-12-31,4.48\n2025-01-01,4.33\n2025-01-02,4.33\n2025-01-03,4.33\n")
DGS2_OLD_CSV = ("DATE,DGS2\r\n"  # the header before late 2024, CRLF line ends
                "2024-12-31,4.24\r\n2025-01-01,.\r\n2025-01-02,4.28\r\n2025-01-03,4.28\r\n")
ERROR_PAGE = "<!DOCTYPE html><html><head><title>Error - St. Louis Fed</title></head></html>"


class FakeResponse:
    def __init__(self, status_code: int, text: str):
        self.status_code, self.text, self.headers = status_code, text, {}


class FakeHttp:
    def __init__(self, answers: dict):
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []

    def get(self, url, params=None, headers=None, timeout=None):
        self.calls.append((url, dict(params or {})))
        answer = self.answers[params["id"]]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_default_series_include_the_target_range():
    assert fred.DEFAULT_SERIES == ("DFF", "DGS2", "DFEDTARU", "DFEDTARL")


def test_both_header_variants_and_dots_dropped():
    http = FakeHttp({"DFF": FakeResponse(200, DFF_CSV), "DGS2": FakeResponse(200, DGS2_OLD_CSV)})
    got = fred.fetch_fred("2025-01-01", "2025-01-02", series=("DFF", "DGS2"), http=http)
    assert got.failures == [] and got.requested == 2
    assert http.calls[0] == (fred.FREDGRAPH_URL, {"id": "DFF", "cosd": "2025-01-01",
                                                  "coed": "2025-01-02"})
    frame = got.frame
    assert list(frame.columns) == columns("rates")
    assert frame["date"].dtype == "datetime64[ns]" and frame["value"].dtype == "float64"
    assert frame.to_dict("records") == [
        {"series": "DFF", "date": pd.Timestamp("2025-01-01"), "value": 4.33, "source": "fred"},
        {"series": "DFF", "date": pd.Timestamp("2025-01-02"), "value": 4.33, "source": "fred"},
        {"series": "DGS2", "date": pd.Timestamp("2025-01-02"), "value": 4.28, "source": "fred"},
    ]  # DGS2 2025-01-01 is '.', a holiday: dropped


def test_parse_with_bom_and_renamed_value_column():
    frame = fred.parse_fredgraph_csv("\ufeffobservation_date,DFF_20250101\n2025-01-02,4.33\n", "DFF")
    assert frame["value"].tolist() == [4.33]


def test_failures_per_series_never_raise():
    http = FakeHttp({"DFF": FakeResponse(200, ERROR_PAGE), "DGS2": ConnectionError("down"),
                     "NOPE": FakeResponse(404, "Not Found"), "DGS10": FakeResponse(200, "observation_date,DGS10\n2020-01-02,1.88\n")})
    got = fred.fetch_fred("2025-01-01", "2025-01-03", series=["DFF", "DGS2", "NOPE", "DGS10"],
                          http=http)
    status = {f.item: f.status for f in got.failures}
    assert status == {"DFF": FAILED, "DGS2": FAILED, "NOPE": MISSING, "DGS10": MISSING}
    assert got.frame.empty and list(got.frame.columns) == columns("rates")
    assert len(got.notes) == 4
