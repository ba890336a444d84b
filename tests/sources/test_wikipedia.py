"""Wikipedia pageviews adapter against the Wikimedia REST API's real answers (fake HTTP)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from scout_pipeline.sources import wikipedia
from scout_pipeline.sources.contracts import columns
from scout_pipeline.sources.errors import FAILED, MISSING, RATE_LIMITED, SKIPPED


# --------------------------------------------------------------------------- fixture builders

class FakeResponse:
    def __init__(self, status_code: int, body: object = "", headers: dict | None = None):
        self.status_code = status_code
        self.text = body if isinstance(body, str) else json.dumps(body)
        self.headers = headers or {}

    def json(self):
        return json.loads(self.text)


class FakeHttp:
    """`get(url, ...)` answers from `answers[article]` (a list, consumed in order)."""

    def __init__(self, answers: dict[str, list]):
        self.answers = {k: list(v) for k, v in answers.items()}
        self.calls: list[tuple[str, dict]] = []

    def get(self, url, params=None, headers=None, timeout=None):
        self.calls.append((url, dict(headers or {})))
        article = url.split("/user/")[1].split("/daily/")[0]
        answer = self.answers[article].pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def pageviews_json(article: str, views: dict[str, int]) -> dict:
    """The per-article daily answer: zero-view days are simply absent."""
    return {"items": [
        {"project": "en.wikipedia", "article": article, "granularity": "daily",
         "timestamp": day.replace("-", "") + "00", "access": "all-access", "agent": "user",
         "views": n}
        for day, n in views.items()
    ]}


NOT_FOUND = {
    "type": "https://mediawiki.org/wiki/HyperSwitch/errors/not_found",
    "title": "Not found.", "method": "get",
    "detail": ("The date(s) you used are valid, but we either do not have data for those "
               "date(s), or the project you asked for is not loaded yet."),
}
TOO_MANY = {"type": "https://mediawiki.org/wiki/HyperSwitch/errors/request_rate_exceeded",
            "title": "Too many requests"}
START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 5)


# --------------------------------------------------------------------------- tests

def test_url_quotes_titles_and_uses_underscores():
    url = wikipedia.pageviews_url("Tesla, Inc.", START, END)
    assert url == ("https://wikimedia.org/api/rest_v1/metrics/pageviews/per-article/en.wikipedia/"
                   "all-access/user/Tesla%2C_Inc./daily/2025010100/2025010500")
    assert wikipedia.article_path("AT&T") == "AT%26T"
    assert wikipedia.article_path("M/I Homes") == "M%2FI_Homes"
    assert wikipedia.article_path("Brown–Forman") == "Brown%E2%80%93Forman"
    assert wikipedia.article_path("Amazon_(company)") == "Amazon_%28company%29"


def test_rows_zero_filled_up_to_the_last_day_returned():
    http = FakeHttp({"Apple_Inc.": [FakeResponse(200, pageviews_json(
        "Apple_Inc.", {"2025-01-01": 11923, "2025-01-02": 15410, "2025-01-04": 9876}))]})
    got = wikipedia.fetch_pageviews([("Apple Inc.", "AAPL")], START, END, http=http,
                                    sleep=lambda s: None)
    frame = got.frame
    assert list(frame.columns) == columns("attention") and got.failures == []
    assert frame["date"].dtype == "datetime64[ns]" and frame["value"].dtype == "float64"
    assert frame.to_dict("records") == [
        {"source": "wikipedia", "term": "Apple Inc.", "date": pd.Timestamp(d), "ticker": "AAPL",
         "value": v}
        for d, v in [("2025-01-01", 11923.0), ("2025-01-02", 15410.0), ("2025-01-03", 0.0),
                     ("2025-01-04", 9876.0)]  # 01-05 not loaded yet: absent, not zero
    ]
    ua = http.calls[0][1]["User-Agent"]
    assert ua.startswith("TrendScoutPipeline/") and "contact" in ua


def test_a_day_listed_without_a_view_count_is_left_out_not_zero_filled():
    body = pageviews_json("Apple_Inc.", {"2025-01-01": 11923, "2025-01-02": 15410,
                                         "2025-01-04": 9876})
    body["items"][1]["views"] = None  # 2025-01-02: listed, count unknown
    http = FakeHttp({"Apple_Inc.": [FakeResponse(200, body)]})
    got = wikipedia.fetch_pageviews([("Apple Inc.", "AAPL")], START, END, http=http,
                                    sleep=lambda s: None)
    # unknown is not zero: no row, so an upsert keeps the stored value for that day
    assert dict(zip(got.frame["date"].dt.strftime("%Y-%m-%d"), got.frame["value"])) == {
        "2025-01-01": 11923.0, "2025-01-03": 0.0, "2025-01-04": 9876.0}
    assert got.failures == []


def test_429_honours_retry_after_then_succeeds():
    slept: list[float] = []
    http = FakeHttp({"Nvidia": [FakeResponse(429, TOO_MANY, {"retry-after": "7"}),
                                FakeResponse(200, pageviews_json("Nvidia", {"2025-01-01": 5}))]})
    got = wikipedia.fetch_pageviews(["Nvidia"], START, END, http=http, sleep=slept.append)
    assert slept == [7.0] and got.failures == [] and got.frame["value"].tolist() == [5.0]


def test_persistent_429_and_503_bounded_and_capped():
    slept: list[float] = []
    http = FakeHttp({"Intel": [FakeResponse(429, TOO_MANY, {"Retry-After": "3600"})] * 3
                     + [FakeResponse(503, "Service Unavailable")]})
    got = wikipedia.fetch_pageviews(["Intel"], START, END, http=http, sleep=slept.append,
                                    max_retries=3, max_retry_after=30)
    assert slept == [30.0, 30.0, 30.0] and len(http.calls) == 4
    [failure] = got.failures
    assert (failure.item, failure.dataset, failure.status) == ("Intel", "attention", RATE_LIMITED)
    assert "503" in failure.reason and got.frame.empty


def test_retry_after_http_date():
    now = dt.datetime(2025, 1, 6, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert wikipedia.retry_after_seconds("Mon, 06 Jan 2025 12:00:12 GMT", default=1, cap=30,
                                         now=now) == 12
    assert wikipedia.retry_after_seconds(None, default=4, cap=30) == 4
    assert wikipedia.retry_after_seconds("garbage", default=4, cap=3) == 3


def test_404_recorded_and_others_continue_sequentially_one_request_per_article():
    http = FakeHttp({
        "Nonexistent_Co": [FakeResponse(404, NOT_FOUND)],
        "Alphabet_Inc.": [FakeResponse(200, pageviews_json("Alphabet_Inc.", {"2025-01-02": 42}))],
    })
    articles = [("Nonexistent Co", "NXC"), ("Alphabet Inc.", "GOOGL"), ("Alphabet_Inc.", "GOOG")]
    got = wikipedia.fetch_pageviews(articles, START, END, http=http, sleep=lambda s: None)
    assert [c[0].split("/user/")[1].split("/")[0] for c in http.calls] == [
        "Nonexistent_Co", "Alphabet_Inc."]
    [failure] = got.failures
    assert failure.item == "Nonexistent Co" and failure.status == MISSING
    assert "404" in failure.reason and "not loaded yet" in failure.reason
    assert got.frame["ticker"].unique().tolist() == ["GOOGL"]  # the first ticker of the article
    assert got.requested == 2


def test_connection_errors_stop_after_a_run_of_failures():
    http = FakeHttp({a: [ConnectionError("no route to host")] for a in "ABCDEFG"})
    got = wikipedia.fetch_pageviews(list("ABCDEFG"), START, END, http=http, sleep=lambda s: None,
                                    abort_after=3)
    assert len(http.calls) == 3
    statuses = [f.status for f in got.failures]
    assert statuses == [FAILED] * 3 + [SKIPPED] * 4


@pytest.mark.parametrize("body", ["<html>oops</html>", {"unexpected": True}])
def test_odd_bodies_do_not_raise(body):
    http = FakeHttp({"X": [FakeResponse(200, body)]})
    got = wikipedia.fetch_pageviews(["X"], START, END, http=http, sleep=lambda s: None)
    assert got.frame.empty and got.failures[0].status in (FAILED, MISSING)
