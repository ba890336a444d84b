"""Google Trends through SerpApi: the real answer shape at the HTTP boundary (fake session),
stitching on the anchor, retries, provider errors, the opt-in and the key's redaction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.sources.test_wikipedia import FakeResponse  # the requests.Response shape the adapters read
from scout_pipeline.sources import google_trends as gt
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FAILED, MISSING, RATE_LIMITED, SKIPPED

KEY = "0ecb6166fake5serpapi7key9d19ee5dafacf8e86ae34b8b2300e92279fed39a9e3"
START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 5)
DAYS = [dt.date(2025, 1, d) for d in range(1, 6)]


# --------------------------------------------------------------------------- fixture builders

class FakeHttp:
    """A requests-like session answering from a list, in order; records every request."""

    def __init__(self, answers: list):
        self.answers = list(answers)
        self.calls: list[dict] = []

    def get(self, url, params=None, headers=None, timeout=None):
        self.calls.append({"url": url, "params": dict(params or {}), "headers": dict(headers or {}),
                           "timeout": timeout})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def _label(day: dt.date, weekly: bool) -> str:
    if not weekly:
        return f"{day:%b} {day.day}, {day.year}"
    last = day + dt.timedelta(days=6)
    if last.year != day.year:  # Google's own form: thin spaces around an en dash
        return f"{day:%b} {day.day}, {day.year}\u2009\u2013\u2009{last:%b} {last.day}, {last.year}"
    if last.month != day.month:
        return f"{day:%b} {day.day}\u2009\u2013\u2009{last:%b} {last.day}, {last.year}"
    return f"{day:%b} {day.day}\u2009\u2013\u2009{last.day}, {last.year}"


def trends_json(series: dict[str, list], *, days: list[dt.date] = DAYS, weekly: bool = False,
                partial_last: bool = False) -> dict:
    """A SerpApi engine=google_trends TIMESERIES answer, shaped like a saved real one
    (singhbharath03/google-trends-agent google_trends_data.json): `partial_data` sits between
    `timestamp` and `values` on the unfinished last point; "<1" has extracted_value 0."""
    queries = list(series)
    timeline = []
    for i, day in enumerate(days):
        point: dict = {"date": _label(day, weekly),
                       "timestamp": str(int(dt.datetime(day.year, day.month, day.day,
                                                        tzinfo=dt.timezone.utc).timestamp()))}
        if partial_last and i == len(days) - 1:
            point["partial_data"] = True
        values = []
        for q in queries:
            raw = series[q][i]
            values.append({"query": q, "value": str(raw),
                           "extracted_value": 0 if raw == "<1" else int(raw)})
        point["values"] = values
        timeline.append(point)
    averages = [{"query": q, "value": round(sum(0 if v == "<1" else v for v in series[q])
                                             / len(days))} for q in queries]
    return {
        "search_metadata": {
            "id": "67d7f8ec717ded53cddc1939", "status": "Success",
            "json_endpoint": "https://serpapi.com/searches/0a463e0019b2135c/67d7f8ec717ded53cddc1939.json",
            "created_at": "2025-03-17 10:26:52 UTC", "processed_at": "2025-03-17 10:26:52 UTC",
            "google_trends_url": "https://trends.google.com/trends/api/explore?hl=en&tz=0&req=...",
            "raw_html_file": "https://serpapi.com/searches/0a463e0019b2135c/67d7f8ec717ded53cddc1939.html",
            "prettify_html_file": "https://serpapi.com/searches/0a463e0019b2135c/67d7f8ec717ded53cddc1939.prettify",
            "total_time_taken": 7.65},
        "search_parameters": {"engine": "google_trends", "q": ",".join(queries), "hl": "en",
                              "geo": "US", "date": f"{days[0]} {days[-1]}", "tz": "0",
                              "data_type": "TIMESERIES"},
        "interest_over_time": {"timeline_data": timeline, "averages": averages},
    }


def ok(series: dict[str, list], **kw) -> FakeResponse:
    return FakeResponse(200, trends_json(series, **kw))


BAD_KEY = FakeResponse(401, {"error": "Invalid API key. Your API key should be here: "
                                      "https://serpapi.com/manage-api-key"})
OUT_OF_SEARCHES = FakeResponse(429, {"error": "Your account has run out of searches."})
NO_RESULTS = FakeResponse(200, {
    "search_metadata": {"id": "empty1", "status": "Success"},
    "search_parameters": {"engine": "google_trends", "q": "Stock market,zzqx", "data_type": "TIMESERIES"},
    "error": "Google Trends hasn't returned any results for this query."})


def fetch(terms, http, **kw):
    kw.setdefault("anchor", "Stock market")
    kw.setdefault("api_key", KEY)
    kw.setdefault("sleep", lambda s: None)
    return gt.fetch_trends(terms, START, END, http=http, **kw)


def everything_said(result) -> str:
    return " ".join([*(f.reason for f in result.failures), *result.notes])


# --------------------------------------------------------------------------- request and parsing

def test_one_request_reads_the_real_answer_into_attention_rows():
    http = FakeHttp([ok({"Stock market": [50, 100, 50, 40, 60], "Russell 2000": [10, 20, 30, 20, 10],
                         "Small cap stocks": ["<1", 2, 3, 2, 1]})])
    got = fetch([("Russell 2000", "IWM"), ("Small cap stocks", None)], http)
    (call,) = http.calls
    assert call["url"] == "https://serpapi.com/search.json" and call["timeout"] == 45.0
    assert call["params"] == {"engine": "google_trends", "data_type": "TIMESERIES",
                              "q": "Stock market,Russell 2000,Small cap stocks",
                              "date": "2025-01-01 2025-01-05", "geo": "US", "tz": "0", "hl": "en",
                              "api_key": KEY}
    assert "TrendScoutPipeline" in call["headers"]["User-Agent"]
    frame = got.frame
    assert list(frame.columns) == columns("attention") and got.failures == []
    assert set(frame["source"]) == {"google_trends"} and set(frame["term"]) == {"Russell 2000",
                                                                                 "Small cap stocks"}
    r2k = frame[frame["term"] == "Russell 2000"]
    assert r2k["date"].tolist() == [pd.Timestamp(d) for d in DAYS]
    assert r2k["ticker"].tolist() == ["IWM"] * 5
    assert r2k["value"].tolist() == pytest.approx([10, 20, 30, 20, 10])  # anchor peak is 100 already
    small = frame[frame["term"] == "Small cap stocks"]
    assert small["value"].tolist()[0] == 0.0 and small["ticker"].isna().all()  # "<1" → 0
    assert str(frame["date"].dtype) == "datetime64[ns]" and frame["value"].dtype == "float64"
    assert got.requested == 2
    assert any("daily points 2025-01-01..2025-01-05" in n and "1 SerpApi request(s) for 2 terms" in n
               for n in got.notes)


def test_terms_as_a_mapping_and_the_anchor_itself_when_asked_for():
    http = FakeHttp([ok({"Stock market": [50, 100, 50, 40, 60], "Nvidia": [100, 90, 80, 70, 60]})])
    got = fetch({"Nvidia": "NVDA", "Stock market": None}, http)
    assert http.calls[0]["params"]["q"] == "Stock market,Nvidia"
    assert set(got.frame["term"]) == {"Nvidia", "Stock market"}
    assert got.frame[got.frame["term"] == "Nvidia"]["value"].max() == pytest.approx(100)


def test_stitching_across_two_batches_on_the_anchor():
    terms = ["T1", "T2", "T3", "T4", "T5", "T6"]
    b1 = {"Stock market": [50, 100, 50, 40, 60], **{t: [10, 20, 30, 20, 10] for t in terms[:4]}}
    # Batch 2: a bigger term squashes the anchor to half its batch-1 level, so factor = 2.
    b2 = {"Stock market": [25, 50, 25, 20, 30], "T5": [100, 80, 60, 40, 20], "T6": [4, 4, 4, 4, 4]}
    slept: list[float] = []
    http = FakeHttp([ok(b1), ok(b2)])
    got = fetch(terms, http, sleep=slept.append, pause=1.5)
    assert [c["params"]["q"] for c in http.calls] == ["Stock market,T1,T2,T3,T4", "Stock market,T5,T6"]
    assert slept == [1.5] and got.failures == []
    # batch 2 doubled: T5 peaks at 200 on batch-1's scale → the whole frame is rescaled by 1/2
    value = {t: got.frame[got.frame["term"] == t]["value"].tolist() for t in terms}
    assert value["T5"] == pytest.approx([100, 80, 60, 40, 20])
    assert value["T6"] == pytest.approx([4, 4, 4, 4, 4])
    assert value["T1"] == pytest.approx([5, 10, 15, 10, 5])
    assert got.frame["value"].max() == pytest.approx(100)
    assert any("2 SerpApi request(s) for 6 terms" in n for n in got.notes)


def test_stitch_batches_by_hand():
    days = pd.DatetimeIndex(["2025-01-01", "2025-01-02", "2025-01-03"])
    b1 = pd.DataFrame({"A": [50, 100, 50], "R": [10, 20, 30]}, index=days)
    b2 = pd.DataFrame({"A": [25, 50, 25], "S": [100, 80, 60]}, index=days)
    wide, notes = gt.stitch_batches([b1, b2], "A")
    assert notes == []
    assert wide["S"].tolist() == pytest.approx([100, 80, 60])
    assert wide["R"].tolist() == pytest.approx([5, 10, 15])
    assert wide["A"].tolist() == pytest.approx([25, 50, 25])
    zero = pd.DataFrame({"A": [0, 0, 0], "B": [100, 90, 80]}, index=days)
    no_anchor = pd.DataFrame({"C": [1, 2, 3]}, index=days)
    tiny = pd.DataFrame({"A": [1, 2, 1], "D": [100, 90, 80]}, index=days)
    wide, notes = gt.stitch_batches([b1, zero, no_anchor, tiny], "A")
    assert set(wide.columns) == {"A", "R", "D"}
    assert "all zero" in notes[0] and "lacks the anchor" in notes[1] and "coarse" in notes[2]
    assert gt.stitch_batches([], "x")[0].empty


def test_weekly_answer_is_dated_at_week_starts_and_said_so():
    sundays = [dt.date(2024, 12, 29) + dt.timedelta(weeks=i) for i in range(4)]
    http = FakeHttp([ok({"Stock market": [80, 100, 90, 85], "Russell 2000": [30, 40, 35, 20]},
                        days=sundays, weekly=True)])
    got = gt.fetch_trends(["Russell 2000"], "2025-01-01", "2025-01-25", anchor="Stock market",
                          http=http, api_key=KEY, sleep=lambda s: None)
    r2k = got.frame[got.frame["term"] == "Russell 2000"]
    # The first week starts before the window (Sunday 2024-12-29) and overlaps it: kept.
    assert r2k["date"].tolist() == [pd.Timestamp(d) for d in sundays]
    assert any("weekly points" in n and "week start (Sunday)" in n for n in got.notes)


@pytest.mark.parametrize("label, day", [
    ("Jan 5, 2025", dt.date(2025, 1, 5)),
    ("May 30 \u2013 Jun 5, 2021", dt.date(2021, 5, 30)),          # serpapi.com/google-trends-api
    ("Apr 30\u2013May 6, 2023", dt.date(2023, 4, 30)),            # same page, category example
    ("Oct 2 \u2013 8, 2022", dt.date(2022, 10, 2)),
    ("Dec 29, 2024\u2009\u2013\u2009Jan 4, 2025", dt.date(2024, 12, 29)),
    ("Dec 29 \u2013 Jan 4, 2025", dt.date(2024, 12, 29)),
    ("Jan 2004", dt.date(2004, 1, 1)),
    ("Mar 10, 2025 at 3:00\u202fAM", dt.date(2025, 3, 10)),      # the saved hourly answer
])
def test_period_labels(label, day):
    assert gt.label_start(label) == day


def test_label_first_timestamp_as_fallback_and_values():
    # The docs' weekly example: its timestamp is 2021-05-29 16:00 UTC, the label says May 30.
    point = {"date": "May 30 \u2013 Jun 5, 2021", "timestamp": "1622304000"}
    assert gt.point_date(point) == pd.Timestamp("2021-05-30")
    assert gt.point_date({"timestamp": "1735776000"}) == pd.Timestamp("2025-01-02")
    assert gt.point_value({"query": "x", "value": "<1", "extracted_value": 0}) == 0.0
    assert gt.point_value({"value": "<1"}) == 0.0 and gt.point_value({"value": "42"}) == 42.0
    assert pd.isna(gt.point_value({"value": ""}))


def test_answered_queries_match_case_insensitively():
    body = trends_json({"stock market": [50, 100, 50, 40, 60], "russell 2000": [10, 20, 30, 20, 10]})
    got = fetch(["Russell 2000"], FakeHttp([FakeResponse(200, body)]))
    assert got.failures == [] and set(got.frame["term"]) == {"Russell 2000"}


# --------------------------------------------------------------------------- partial data, no data

def test_partial_last_point_is_left_out_with_a_note():
    series = {"Stock market": [50, 100, 50, 40, 20], "Russell 2000": [10, 20, 30, 20, 5]}
    got = fetch(["Russell 2000"], FakeHttp([ok(series, partial_last=True)]))
    assert got.frame["date"].max() == pd.Timestamp("2025-01-04") and got.failures == []
    assert any("unfinished period(s) 2025-01-05 (partial_data)" in n for n in got.notes)
    kept = fetch(["Russell 2000"], FakeHttp([ok(series, partial_last=True)]), keep_partial=True)
    assert kept.frame["date"].max() == pd.Timestamp("2025-01-05")


def test_a_term_with_no_data():
    series = {"Stock market": [50, 100, 50, 40, 60], "Russell 2000": [10, 20, 30, 20, 10],
              "zzqx corp": ["<1", 0, "<1", 0, 0]}
    got = fetch(["Russell 2000", "zzqx corp"], FakeHttp([ok(series)]))
    assert set(got.frame["term"]) == {"Russell 2000"}
    (fail,) = got.failures
    assert (fail.item, fail.status, fail.source, fail.dataset) == ("zzqx corp", MISSING,
                                                                  "google_trends", "attention")
    assert "0 or \"<1\"" in fail.reason
    assert any("1 of 2 terms without data" in n for n in got.notes)


def test_no_results_answer_is_missing_not_failed():
    got = fetch(["zzqx corp"], FakeHttp([NO_RESULTS]))
    assert got.frame.empty and list(got.frame.columns) == columns("attention")
    (fail,) = got.failures
    assert fail.status == MISSING and "hasn't returned any results" in fail.reason


# --------------------------------------------------------------------------- retries and errors

def test_429_with_retry_after_then_success():
    slept: list[float] = []
    http = FakeHttp([FakeResponse(429, {"error": "Too many requests"}, {"retry-after": "7"}),
                     ok({"Stock market": [50, 100, 50, 40, 60], "Russell 2000": [10, 20, 30, 20, 10]})])
    got = fetch(["Russell 2000"], http, sleep=slept.append)
    assert slept == [7.0] and len(http.calls) == 2
    assert got.failures == [] and len(got.frame) == 5


def test_429s_beyond_the_retries_stop_the_run():
    slept: list[float] = []
    http = FakeHttp([FakeResponse(429, {"error": "Too many requests"}, {"Retry-After": "500"})] * 3)
    got = fetch([f"T{i}" for i in range(6)], http, sleep=slept.append, max_retries=2)
    assert slept == [60.0, 60.0] and len(http.calls) == 3  # capped Retry-After; batch 2 never sent
    status = {f.item: f.status for f in got.failures}
    assert status == {"T0": RATE_LIMITED, "T1": RATE_LIMITED, "T2": RATE_LIMITED,
                      "T3": RATE_LIMITED, "T4": SKIPPED, "T5": SKIPPED}
    assert any("stopped after request 1 of 2; 2 terms not attempted" in n for n in got.notes)


def test_out_of_searches_is_not_retried():
    http = FakeHttp([OUT_OF_SEARCHES])
    got = fetch(["T1", "T2", "T3", "T4", "T5"], http)
    assert len(http.calls) == 1
    assert {f.status for f in got.failures if f.item != "T5"} == {RATE_LIMITED}
    assert [f.status for f in got.failures if f.item == "T5"] == [SKIPPED]
    assert "run out of searches" in got.failures[0].reason


def test_a_bad_key_fails_with_the_providers_message_and_stops():
    http = FakeHttp([BAD_KEY])
    got = fetch(["T1", "T2", "T3", "T4", "T5"], http)
    assert len(http.calls) == 1 and got.frame.empty
    first = [f for f in got.failures if f.item != "T5"]
    assert {f.status for f in first} == {FAILED}
    assert first[0].reason == ("HTTP 401: Invalid API key. Your API key should be here: "
                               "https://serpapi.com/manage-api-key")
    assert [f.status for f in got.failures if f.item == "T5"] == [SKIPPED]
    assert KEY not in everything_said(got)


def test_the_key_is_redacted_from_connection_errors():
    url = f"https://serpapi.com/search.json?engine=google_trends&q=x&api_key={KEY}"
    http = FakeHttp([ConnectionError(f"Max retries exceeded with url: {url}"),
                     ok({"Stock market": [50, 100, 50, 40, 60], "T5": [1, 2, 3, 4, 5]})])
    got = fetch(["T1", "T2", "T3", "T4", "T5"], http)
    assert {f.item: f.status for f in got.failures} == {t: FAILED for t in ("T1", "T2", "T3", "T4")}
    assert "api_key=***" in got.failures[0].reason
    assert KEY not in everything_said(got)
    assert set(got.frame["term"]) == {"T5"}
    assert gt.redact(f"key {KEY} and api_key=abc&x=1", KEY) == "key *** and api_key=***&x=1"


def test_server_error_json_and_garbage_never_raise():
    error_503 = FakeResponse(503, {"search_metadata": {"id": "x", "status": "Error"},
                                   "error": "We couldn't get valid results for this search. "
                                            "Please try again later."})
    got = fetch(["T1"], FakeHttp([error_503, error_503]), max_retries=1)
    assert got.failures[0].status == FAILED and "couldn't get valid results" in got.failures[0].reason
    got = fetch(["T1"], FakeHttp([FakeResponse(200, "<html>oops</html>")]))
    assert got.failures[0].status == FAILED and "unreadable JSON" in got.failures[0].reason
    weird = FakeResponse(200, {"search_metadata": {"status": "Success"},
                               "interest_over_time": {"timeline_data": "not a list"}})
    got = fetch(["T1"], FakeHttp([weird]))
    assert got.frame.empty and any("failed, skipped" in n for n in got.notes)


# --------------------------------------------------------------------------- opt-in and key

def test_missing_key_returns_empty_with_how_to_enable(monkeypatch):
    monkeypatch.delenv("SERPAPI_API_KEY", raising=False)
    http = FakeHttp([])
    got = gt.fetch_trends(["Russell 2000"], START, END, anchor="Stock market", http=http)
    assert http.calls == [] and got.frame.empty and got.failures == []
    assert list(got.frame.columns) == columns("attention")
    assert "SERPAPI_API_KEY" in got.notes[0] and "SCOUT_GOOGLE_TRENDS=1" in got.notes[0]


def test_key_from_the_environment(monkeypatch):
    monkeypatch.setenv("SERPAPI_API_KEY", KEY)
    http = FakeHttp([ok({"Stock market": [50, 100, 50, 40, 60], "T1": [1, 2, 3, 4, 5]})])
    got = gt.fetch_trends(["T1"], START, END, anchor="Stock market", http=http, sleep=lambda s: None)
    assert http.calls[0]["params"]["api_key"] == KEY and len(got.frame) == 5


@pytest.mark.parametrize("opt_in, key, expected", [
    ("1", KEY, True), ("true", KEY, True), ("TRUE", KEY, True), (" 1 ", KEY, True),
    (None, KEY, False), ("0", KEY, False), ("yes", KEY, False), ("", KEY, False),
    ("1", None, False), ("1", "  ", False),
])
def test_enabled_needs_the_opt_in_and_a_key(monkeypatch, opt_in, key, expected):
    for name, value in (("SCOUT_GOOGLE_TRENDS", opt_in), ("SERPAPI_API_KEY", key)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert gt.enabled() is expected
    assert gt.enabled({"SCOUT_GOOGLE_TRENDS": "1", "SERPAPI_API_KEY": KEY}) is True


def test_unusable_terms_are_skipped_not_sent():
    http = FakeHttp([ok({"Stock market": [50, 100, 50, 40, 60], "T1": [1, 2, 3, 4, 5]})])
    got = fetch(["T1", "Smith, Inc.", "x" * 101], http)
    assert http.calls[0]["params"]["q"] == "Stock market,T1"
    assert {f.item: f.status for f in got.failures} == {"Smith, Inc.": SKIPPED, "x" * 101: SKIPPED}


@pytest.mark.parametrize("peak", [11, 22, 39, 44, 78])
def test_the_stitched_peak_is_exactly_100_never_above(peak):
    # x * (100 / x) is 100.00000000000001 for these: the raw gate's 0-100 check would trip.
    days = pd.DatetimeIndex(["2025-01-01", "2025-01-02"])
    wide, _ = gt.stitch_batches([pd.DataFrame({"A": [peak, 1], "B": [3, 2]}, index=days)], "A")
    assert float(wide.max().max()) == 100.0
