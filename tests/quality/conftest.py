"""One clean published warehouse per session; each test gets its own copy of it.

`scout run` runs in this process (cli.main: the same Dagster job, checks and publish step
the console script runs) against a temporary Dagster instance, so great_expectations and
Dagster load once for the whole folder.
"""

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from scout_pipeline import cli
from tests.quality import snapshots


@pytest.fixture(scope="session")
def dagster_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("dagster_home")
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = before


@pytest.fixture(scope="session")
def base_snapshot(tmp_path_factory) -> Path:
    return snapshots.write_snapshot(tmp_path_factory.mktemp("snapshots") / "base")


@dataclass
class Published:
    warehouse: Path
    output: str


@pytest.fixture(scope="session")
def published(tmp_path_factory, dagster_home, base_snapshot) -> Published:
    wh = tmp_path_factory.mktemp("published") / "wh"
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["run", "--source", str(base_snapshot), "--as-of", snapshots.AS_OF,
                         "--warehouse", str(wh)])
    assert code == 0, err.getvalue()
    return Published(wh, out.getvalue())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Scene:
    """A copy of the clean published warehouse and of the clean snapshot, to damage."""

    warehouse: Path
    snapshot: Path
    capsys: object

    def fingerprint(self) -> tuple[str, str]:
        return digest(self.warehouse / "scout.duckdb"), digest(self.warehouse / "store.duckdb")

    def run(self, *extra: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = cli.main(["run", "--source", str(self.snapshot), "--as-of", snapshots.AS_OF,
                         "--warehouse", str(self.warehouse), *extra])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def edit(self, dataset: str, change) -> None:
        snapshots.edit_csv(self.snapshot, dataset, change)


@pytest.fixture
def scene(tmp_path, published, base_snapshot, capsys) -> Scene:
    wh = tmp_path / "wh"
    shutil.copytree(published.warehouse, wh)
    snap = tmp_path / "snap"
    shutil.copytree(base_snapshot, snap)
    return Scene(wh, snap, capsys)
