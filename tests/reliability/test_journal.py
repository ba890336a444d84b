"""The journal holds exactly the published runs, and recover trusts only a verified chain.

Issue 14 defects 1, 3, 4 and 6: an entry of a run that never published, a journal with an
entry deleted, emptied or truncated, history a smaller snapshot removed, a missing store.
"""

import json
import shutil

import duckdb
import pytest

from reliability import invariants as inv
from scout_pipeline import cli, journal
from scout_pipeline.store import Warehouse
from tests.conftest import dagster_home
from tests.test_run import _prices_dir

DAY1, DAY2 = "2026-01-08", "2026-01-09"


def _raw(wh):
    con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"FROM raw.{t} ORDER BY ALL").fetchall() for t in ("prices", "ingest_log")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    """A warehouse published for DAY1 then DAY2 (two committed journal entries)."""
    root = tmp_path_factory.mktemp("journal")
    home = dagster_home(root / "dagster_home")
    snap = _prices_dir(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        for day in (DAY1, DAY2):
            assert cli.main(["run", "--source", str(snap), "--as-of", day, "--warehouse", str(root / "wh")]) == 0
    return {"root": root, "snap": snap, "home": home}


def _snapshot(folder, days):
    folder.mkdir(parents=True, exist_ok=True)
    return _prices_dir(folder, days=days)


def _copy(two_days, tmp_path, monkeypatch):
    wh = tmp_path / "wh"
    shutil.copytree(two_days["root"] / "wh", wh, symlinks=True)
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home(tmp_path / "dagster_home")))
    return wh


def test_every_entry_is_committed_with_a_manifest_and_head_is_the_newest(two_days):
    wh = Warehouse(two_days["root"] / "wh")
    found = journal.entries(wh)
    assert [e.name[:6] for e in found] == ["000001", "000002"] and journal.pending(wh) == []
    manifest = json.loads((found[-1] / "manifest.json").read_text())
    assert manifest["previous"] == found[0].name
    assert manifest["totals"]["prices"] == len(_raw(wh.root)["prices"])  # 2 tickers x 300 sessions
    assert journal.head(wh)["entry"] == found[-1].name
    plan = journal.verify(wh, store_head=found[-1].name)
    assert plan.entries == 2 and plan.totals == manifest["totals"]


def test_a_run_that_failed_to_publish_leaves_no_entry_and_rebuild_keeps_the_store(two_days, tmp_path, monkeypatch, capsys):
    """Defect 14.1: a smaller snapshot (a full-table replace) failing at publish used to
    leave its entry; `recover --rebuild` then replayed it over the store's history."""
    wh = _copy(two_days, tmp_path, monkeypatch)
    before, head = _raw(wh), journal.head(Warehouse(wh))
    small = _snapshot(tmp_path / "small", 40)
    monkeypatch.setenv("SCOUT_FAULTS", "publish.writing:relative_strength_streaks=raise")
    assert cli.main(["run", "--source", str(small), "--as-of", DAY2, "--warehouse", str(wh)]) == 1
    monkeypatch.delenv("SCOUT_FAULTS")
    assert journal.pending(Warehouse(wh)) == [] and journal.head(Warehouse(wh)) == head
    capsys.readouterr()
    assert cli.main(["recover", "--warehouse", str(wh), "--rebuild"]) == 0
    assert _raw(wh) == before  # 600 price rows, not the 40-session snapshot's 80
    assert len(before["prices"]) == 600


@pytest.mark.parametrize("point", ["journal.before_commit", "journal.before_head"])
def test_a_kill_after_the_store_promotion_is_committed_by_the_next_holder(two_days, tmp_path, monkeypatch, capsys, point):
    """Killed between promoting the store and writing COMMITTED (or HEAD): the store holds
    the run, so its entry is committed (rolled forward), never dropped."""
    wh = _copy(two_days, tmp_path, monkeypatch)
    snap = _snapshot(tmp_path / "more", 302)
    args = ["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]
    assert inv.killed(inv.scout_process(args, tmp_path / "dagster_home", faults=f"{point}=kill"))
    assert len(journal.pending(Warehouse(wh))) == (1 if point == "journal.before_commit" else 0)
    promoted = _raw(wh)
    capsys.readouterr()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert ("finished the publish of run" if point == "journal.before_commit" else "journal: HEAD moved to 000003") in out
    assert "journal: OK (3 committed entries" in out
    assert journal.pending(Warehouse(wh)) == []
    assert cli.main(["recover", "--warehouse", str(wh), "--rebuild"]) == 0
    assert _raw(wh) == promoted  # every committed run present, a rebuild equal to the store


def _delete_latest(wh):
    shutil.rmtree(journal.entries(Warehouse(wh))[-1])
    return "000002"


def _empty_latest(wh):
    for f in journal.entries(Warehouse(wh))[-1].glob("*.parquet"):
        f.unlink()
    return "is missing"


def _truncate_file(wh):
    f = next(journal.entries(Warehouse(wh))[-1].glob("prices.*.parquet"))
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    return "does not match its checksum"


def _delete_head(wh):
    (wh / "journal" / "HEAD").unlink()
    return "HEAD is missing"


@pytest.mark.parametrize("damage", [_delete_latest, _empty_latest, _truncate_file, _delete_head])
def test_recover_refuses_a_broken_journal_and_keeps_the_store(two_days, tmp_path, monkeypatch, capsys, damage):
    """Defect 14.3: a deleted or emptied entry gave a lossy rebuild with exit 0, a truncated
    file a traceback, and plain `scout recover` said OK."""
    wh = _copy(two_days, tmp_path, monkeypatch)
    says = damage(wh)
    store = inv.digest(wh / "store.duckdb")
    capsys.readouterr()
    assert cli.main(["recover", "--warehouse", str(wh), "--rebuild"]) == 1
    out = capsys.readouterr().out
    assert "journal: BROKEN" in out and says in out and "left as it is" in out
    assert inv.digest(wh / "store.duckdb") == store and not (wh / "replaced").exists()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 1  # plain recover checks the journal too
    assert "journal: BROKEN" in capsys.readouterr().out


def test_a_missing_store_with_journal_history_refuses_the_run(two_days, tmp_path, monkeypatch, capsys):
    """Defect 14.6: the run used to start an empty store and prune the journal."""
    wh = _copy(two_days, tmp_path, monkeypatch)
    before = _raw(wh)
    (wh / "store.duckdb").unlink()
    entries = sorted(p.name for p in (wh / "journal").rglob("*"))
    capsys.readouterr()
    assert cli.main(["run", "--source", str(two_days["snap"]), "--as-of", DAY2, "--warehouse", str(wh)]) == 1
    err = capsys.readouterr().err
    assert "store.duckdb is missing" in err and f"scout recover --warehouse {wh}" in err
    assert sorted(p.name for p in (wh / "journal").rglob("*")) == entries and not (wh / "store.duckdb").exists()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 0
    assert _raw(wh) == before
    con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)  # the rebuilt store keeps its family
    assert con.execute("SELECT family FROM meta.source_family").fetchone()[0] == "snapshot"
    con.close()
    assert cli.main(["run", "--source", str(two_days["snap"]), "--as-of", DAY2, "--warehouse", str(wh)]) == 0


def test_recover_never_leaves_the_store_name_empty(two_days, tmp_path, monkeypatch):
    """Defect 14.6: a recover killed between its two renames left no store.duckdb. The old
    file is now kept by a hard link and the rebuild replaces the name in one rename."""
    wh = _copy(two_days, tmp_path, monkeypatch)
    before = _raw(wh)
    proc = inv.scout_process(["recover", "--warehouse", str(wh), "--rebuild"], tmp_path / "dagster_home",
                             faults="recover.before_replace=kill")
    assert inv.killed(proc)
    assert _raw(wh) == before and (wh / "store.duckdb").exists()
    assert cli.main(["recover", "--warehouse", str(wh), "--rebuild"]) == 0
    assert _raw(wh) == before


def test_history_a_smaller_snapshot_removes_stays_in_the_journal(two_days, tmp_path, monkeypatch, capsys):
    """Defect 14.4: a replace deletes the store's rows that the snapshot lacks; the journal keeps them."""
    wh = _copy(two_days, tmp_path, monkeypatch)
    before = {r[:2] for r in _raw(wh)["prices"]}
    small = _snapshot(tmp_path / "small", 40)
    assert cli.main(["run", "--source", str(small), "--as-of", DAY2, "--warehouse", str(wh)]) == 0
    after = {r[:2] for r in _raw(wh)["prices"]}
    removed = journal.entries(Warehouse(wh))[-1] / "prices.removed.parquet"
    con = duckdb.connect()
    kept = {tuple(r) for r in con.execute("SELECT ticker, date FROM read_parquet(?)", [str(removed)]).fetchall()}
    assert kept == before - after and len(kept) == 2 * (300 - 40)
    assert cli.main(["recover", "--warehouse", str(wh)]) == 0  # the chain with a removed file verifies


def test_replay_of_an_upsert_file_replaces_stored_keys_without_an_index(tmp_path):
    # raw tables have no primary key: an upsert file's rows replace the stored rows of their keys
    rows = [("A", "2026-01-02", 1.0), ("A", "2026-01-05", 2.0)]
    con = duckdb.connect()
    for name, data in (("day1.replace", rows), ("day2.upsert", [("A", "2026-01-05", 2.5), ("A", "2026-01-06", 3.0)])):
        con.execute("CREATE OR REPLACE TABLE f (ticker VARCHAR, date DATE, close DOUBLE, source VARCHAR, "
                    "loaded_at TIMESTAMP)")
        con.executemany("INSERT INTO f VALUES (?, ?, ?, 't', '2026-01-01')", data)
        con.execute(f"COPY f TO '{tmp_path / (name + '.parquet')}' (FORMAT parquet)")
    con.close()
    plan = journal.Plan(head="x", steps=[(tmp_path / "day1.replace.parquet", "prices", "replace"),
                                         (tmp_path / "day2.upsert.parquet", "prices", "upsert")],
                        totals=None, entries=2, family=None)
    target = tmp_path / "rebuilt.duckdb"
    assert journal.replay(Warehouse.at(tmp_path / "wh"), target, plan=plan)["prices"] == 3
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT strftime(date, '%d'), close FROM raw.prices ORDER BY date").fetchall() == [
        ("02", 1.0), ("05", 2.5), ("06", 3.0)]
    con.close()
