"""Issue 17 defect 6, in a real browser: the brief attached to `daily_brief_report` shows its
charts on the asset page of the Dagster UI (headless Chromium; skipped when absent)."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from scout_pipeline import cli
from tests import browser_check
from tests.defs.test_webserver import _free_port
from tests.test_run import _prices_dir

pytestmark = pytest.mark.skipif(browser_check.chromium() is None, reason="chromium not installed (apt-get install chromium)")


def test_brief_charts_load_on_the_asset_page(home, capsys):
    pytest.importorskip("websockets")
    # a build with a brief: a small prices snapshot gives the rotation chart
    assert cli.main(["run", "--source", str(_prices_dir(home)), "--as-of", "2026-01-09",
                     "--warehouse", str(home / "wh")]) == 0
    port = _free_port()
    env = {"DAGSTER_HOME": os.environ["DAGSTER_HOME"], "PATH": "/usr/bin:/bin", "GX_ANALYTICS_ENABLED": "false",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen([sys.executable, "-m", "dagster_webserver", "-h", "127.0.0.1", "-p", str(port),
                               "-m", "scout_pipeline.definitions"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5).close()
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("webserver did not come up within 90 s")
        ok, message = browser_check.check(f"http://127.0.0.1:{port}", min_images=1, timeout=90)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    assert ok, message
    assert "Rotation" in message
