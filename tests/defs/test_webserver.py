"""The real Dagster webserver on loopback: launch the daily job through GraphQL, read back
the run's success and the assets' materializations. Stops the server itself."""

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.test_run import _prices_dir

LOCATION = "scout_pipeline.definitions"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        payload = json.loads(resp.read())
    assert "errors" not in payload, payload
    return payload["data"]


@pytest.fixture
def webserver(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    # Launch immediately (no daemon in a test): the default coordinator queues runs.
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n")
    port = _free_port()
    env = {"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port), "-m", LOCATION],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                data = _gql(port, "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }")
                nodes = data["repositoriesOrError"].get("nodes") or []
                if nodes:
                    yield port, nodes[0]["location"]["name"], nodes[0]["name"], tmp_path
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            pytest.fail("webserver did not come up within 90 s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""

RUN = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""

MATERIALIZATIONS = """
query($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) { ... on Asset { assetMaterializations(limit: 1) {
    runId partition metadataEntries { label ... on TextMetadataEntry { text } } } } }
}"""


def test_launch_through_graphql_and_read_back(webserver):
    port, location, repository, tmp = webserver
    snap = _prices_dir(tmp)
    params = {
        "selector": {"repositoryLocationName": location, "repositoryName": repository, "jobName": "scout_daily"},
        "runConfigData": {"resources": {"scout": {"config": {
            "warehouse_dir": str(tmp / "wh"), "source": str(snap), "as_of": "2026-01-09"}}}},
        # no partitions: the day is the scout resource's as_of, as the launchpad sets it
    }
    launched = _gql(port, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status, deadline = None, time.time() + 120
    while time.time() < deadline:
        status = _gql(port, RUN, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert status == "SUCCESS"
    for key in (["raw", "prices"], ["marts", "relative_strength_streaks"], ["published_warehouse"]):
        mats = _gql(port, MATERIALIZATIONS, {"key": {"path": key}})["assetOrError"]["assetMaterializations"]
        assert mats and mats[0]["runId"] == run_id and mats[0]["partition"] is None, key
    # the asset page shows the latest materialization with the day it built
    entries = {e["label"]: e.get("text") for e in mats[0]["metadataEntries"]}
    assert entries["as_of"] == "2026-01-09"
    assert (tmp / "wh" / "scout.duckdb").exists()
