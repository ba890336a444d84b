"""A damaged store (truncated, flipped bytes) and the journal it is rebuilt from."""

import os
import shutil

import duckdb
import pandas as pd
import pytest

from reliability import invariants as inv
from scout_pipeline import cli
from tests.test_run import _prices_dir

DAY1, DAY2 = "2026-01-08", "2026-01-09"


def _raw_with_stamps(wh):
    con = duckdb.connect(str(wh / "store.duckdb"), read_only=True)
    try:
        return {t: con.execute(f"FROM raw.{t} ORDER BY ALL").fetchall()
                for t in ("prices", "universe", "pairs", "ingest_log")}
    finally:
        con.close()


def _two_days(home, capsys):
    """DAY1, then DAY2 with one universe row gone (a deletion the journal must carry)."""
    snap, wh = _prices_dir(home), home / "wh"
    pd.DataFrame({"ticker": ["^RUT", "^GSPC", "IWM"], "name": ["Russell 2000", "S&P 500", "iShares"],
                  "asset_type": ["index", "index", "etf"]}).to_csv(snap / "universe.csv", index=False)
    assert cli.main(["run", "--source", str(snap), "--as-of", DAY1, "--warehouse", str(wh)]) == 0
    pd.read_csv(snap / "universe.csv").head(2).to_csv(snap / "universe.csv", index=False)
    assert cli.main(["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]) == 0
    capsys.readouterr()
    # day 2 replaced the universe: day 1's copy is superseded and pruned, its prices stay;
    # the row the replace took out of the store stays in the journal (never replayed)
    assert sorted(p.name for p in (wh / "journal").glob("000001-*/universe.*")) == []
    assert sorted(p.name for p in (wh / "journal").glob("000002-*/universe.*")) == [
        "universe.removed.parquet", "universe.replace.parquet"]
    removed = pd.read_parquet(next((wh / "journal").glob("000002-*/universe.removed.parquet")))
    assert removed["ticker"].tolist() == ["IWM"]
    assert sorted(p.parent.name[:6] for p in (wh / "journal").glob("*/prices.*")) == ["000001", "000002"]
    return snap, wh


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_store_fails_clearly_then_recover_rebuilds_it_exactly(home, capsys, damage):
    snap, wh = _two_days(home, capsys)
    raw = _raw_with_stamps(wh)
    assert [r[0] for r in raw["universe"]] == ["^GSPC", "^RUT"]
    size = (wh / "store.duckdb").stat().st_size
    with open(wh / "store.duckdb", "r+b") as f:
        if damage == "truncate":
            f.truncate(size // 2)
        else:  # a disk error in the middle of the file: blocks fail their checksum when read
            f.seek(size // 3)
            f.write(os.urandom(size // 3))
    published, damaged = inv.digest(wh / "scout.duckdb"), inv.digest(wh / "store.duckdb")

    assert cli.main(["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]) == 1
    err = capsys.readouterr().err
    assert "store.duckdb" in err and "is damaged" in err and f"scout recover --warehouse {wh}" in err
    assert inv.digest(wh / "scout.duckdb") == published and inv.digest(wh / "store.duckdb") == damaged

    assert cli.main(["recover", "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "rebuilding raw tables" in out and "store.duckdb rebuilt" in out
    assert _raw_with_stamps(wh) == raw  # every raw row back, loaded_at included
    kept = list((wh / "damaged").glob("store-*.duckdb"))
    assert len(kept) == 1 and inv.digest(kept[0]) == damaged  # moved aside, never deleted

    assert "kept every published day of marts.cooling_breakouts, marts.daily_brief" in out

    assert cli.main(["run", "--source", str(snap), "--as-of", DAY2, "--warehouse", str(wh)]) == 0
    assert inv.state(wh).damaged == []
    # the brief's history (not in the journal: what each day's run saw) came back from the published file
    con = duckdb.connect(str(wh / "scout.duckdb"), read_only=True)
    try:
        assert [str(r[0]) for r in con.execute("SELECT DISTINCT as_of FROM marts.daily_brief ORDER BY 1").fetchall()] \
            == [DAY1, DAY2]
    finally:
        con.close()


def test_recover_on_a_healthy_store_says_ok_and_changes_nothing(home, capsys):
    snap, wh = _prices_dir(home), home / "wh"
    assert cli.main(["run", "--source", str(snap), "--as-of", DAY1, "--warehouse", str(wh)]) == 0
    before = inv.digest(wh / "store.duckdb")
    capsys.readouterr()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 0
    out = capsys.readouterr().out
    assert "store.duckdb: OK" in out and "scout.duckdb (published): OK" in out
    assert inv.digest(wh / "store.duckdb") == before


def test_damaged_store_without_a_journal_says_what_is_lost(home, capsys):
    snap, wh = _prices_dir(home), home / "wh"
    assert cli.main(["run", "--source", str(snap), "--as-of", DAY1, "--warehouse", str(wh)]) == 0
    shutil.rmtree(wh / "journal")
    (wh / "store.duckdb").write_bytes(b"\0" * 4096)
    capsys.readouterr()
    assert cli.main(["recover", "--warehouse", str(wh)]) == 1
    out = capsys.readouterr().out
    assert "no journal" in out and "cannot be refetched" in out


def test_recover_on_a_missing_or_empty_warehouse(tmp_path, capsys):
    assert cli.main(["recover", "--warehouse", str(tmp_path / "typo")]) == 2
    assert "no warehouse directory at" in capsys.readouterr().err and not (tmp_path / "typo").exists()
    (tmp_path / "new").mkdir()
    assert cli.main(["recover", "--warehouse", str(tmp_path / "new")]) == 0
    assert "nothing to recover" in capsys.readouterr().out
