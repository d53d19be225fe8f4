"""Backups: checked copies, pruning, restore with the old file kept aside, and damaged databases."""

from __future__ import annotations

import datetime as _dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from fieldapp import backup, cli
from fieldapp.errors import StoreError, SyncError
from fieldapp.store import Store, open_store


def test_backup_is_a_checked_copy_in_the_backup_folder(store: Store, household: dict[str, Any]) -> None:
    store.save("household", household)
    path = backup.backup(store, reason="manual")
    assert path.parent == store.path.parent / "backups" and path.name.endswith("-manual.db")
    assert backup.integrity_problems(path) == []
    assert not list(path.parent.glob(".tmp-*"))
    with open_store(path) as copy:
        assert copy.count("household") == 1


def test_only_the_newest_n_backups_are_kept(store: Store) -> None:
    made = [backup.backup(store, reason="manual", keep=3) for _ in range(5)]
    assert [b.path for b in backup.list_backups(store.path)] == list(reversed(made[-3:]))
    backup.set_keep(store, 2)
    backup.backup(store, reason="manual")
    assert len(backup.list_backups(store.path)) == 2
    assert backup.keep_setting(store) == 2 and backup.keep_setting(store.path) == 2


def test_daily_backup_only_when_a_day_has_passed(store: Store) -> None:
    first = backup.daily_if_due(store)
    assert first is not None and first.name.endswith("-daily.db")
    assert backup.daily_if_due(store) is None
    later = _dt.datetime.now(_dt.UTC) + _dt.timedelta(days=1, minutes=1)
    assert backup.daily_if_due(store, now=later) is not None


def test_restore_puts_the_backup_in_place_and_keeps_the_current_file_aside(
    store: Store, household: dict[str, Any]
) -> None:
    store.save("household", household)
    good = backup.backup(store, reason="manual")
    store.save("household", household)  # a second household after the backup
    db = store.path
    store.close()
    aside = backup.restore(good, db)
    assert aside is not None and aside.name.startswith("field.db.replaced-") and aside.exists()
    with open_store(db) as restored:
        assert restored.count("household") == 1
    with open_store(aside) as old:
        assert old.count("household") == 2
    store.__init__(db, user="tester")


def test_a_damaged_backup_is_never_restored(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "backups" / "field-20260101-000000-manual.db"
    bad.parent.mkdir()
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    before = store.path.read_bytes()
    with pytest.raises(StoreError):
        backup.restore(bad, store.path)
    assert store.path.read_bytes() == before
    assert backup.latest_good(store.path) is None


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    path.write_bytes(bytes(data))


def test_corrupted_database_leads_to_the_restore_offer_not_to_data_loss(
    tmp_path: Path, household: dict[str, Any], capsys: Any
) -> None:
    db = tmp_path / "field.db"
    with open_store(db, user="tester") as s:
        s.save("household", household)
        good = backup.backup(s, reason="manual")
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage(db)
    damaged = db.read_bytes()
    with pytest.raises(StoreError):
        open_store(db).close()
    assert backup.database_problems(db)
    assert backup.latest_good(db) == good
    rc = cli.main(["--db", str(db), "list", "household"])
    err = capsys.readouterr().err
    assert rc == 1 and f"fieldapp restore {good}" in err
    assert db.read_bytes() == damaged  # the damaged file was not touched
    assert cli.main(["--db", str(db), "restore", "--latest"]) == 0
    assert "kept as" in capsys.readouterr().out
    with open_store(db) as s:
        assert s.count("household") == 1
    kept = list(tmp_path.glob("field.db.replaced-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged


def test_backup_before_pending_migrations(tmp_path: Path, household: dict[str, Any]) -> None:
    db = tmp_path / "field.db"
    with open_store(db, user="tester") as s:
        s.save("household", household)
    assert backup.list_backups(db) == []  # a new database needs no backup
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0002_sync'")
    conn.execute("DROP TABLE sync_rejections")
    conn.execute("DROP TABLE sync_log")
    conn.commit()
    conn.close()
    with open_store(db, user="tester") as s:
        assert s.count("household") == 1
    (b,) = backup.list_backups(db)
    assert b.reason == "before_migration"
    with open_store(b.path) as copy:
        assert copy.count("household") == 1


def test_sync_makes_a_backup_first(store: Store) -> None:
    from fieldapp.sync.client import sync

    with pytest.raises(SyncError):
        sync(store, "http://127.0.0.1:9", "u", "p", retries=0, timeout=1)
    assert [b.reason for b in backup.list_backups(store.path)] == ["before_sync"]


def test_cli_backup_list_and_restore(store: Store, capsys: Any) -> None:
    db = str(store.path)
    store.close()
    assert cli.main(["--db", db, "backup", "--keep", "5"]) == 0
    made = capsys.readouterr().out.strip().removeprefix("backup: ")
    assert cli.main(["--db", db, "backup", "--list"]) == 0
    assert made in capsys.readouterr().out
    assert cli.main(["--db", db, "restore", made]) == 0
    assert cli.main(["--db", db, "restore"]) == 1
    store.__init__(db, user="tester")


def test_a_background_backup_reports_progress_and_others_keep_writing(store: Store, household) -> None:
    import copy
    import threading

    for i in range(30):
        doc = copy.deepcopy(household)
        doc["house_no"] = f"{i}/9"
        for m in doc["members"]:
            m.pop("national_id", None)
            m["id_type"] = "none"
        store.save("household", doc)
    seen: list[tuple[int, int]] = []
    writer = open_store(store.path, user="other")
    wrote = threading.Event()

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if not wrote.is_set():  # a save on another connection while the copy is being made
            doc = copy.deepcopy(household)
            for m in doc["members"]:
                m.pop("national_id", None)
                m["id_type"] = "none"
            writer.save("household", doc)
            wrote.set()

    path = backup.backup(store, reason="daily", progress=progress, cancelled=lambda: False)
    assert wrote.is_set() and seen
    assert seen[-1][0] == seen[-1][1] > 0  # ends at 100 %
    assert all(0 <= d <= t for d, t in seen)
    assert backup.integrity_problems(path) == []
    assert writer.count("household") == 31


def test_a_cancelled_backup_leaves_no_file(store: Store) -> None:
    from fieldapp import demo

    demo.generate(store, households=40, seed=1)
    calls = []

    def cancelled() -> bool:  # stops once the copy has begun
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(backup.BackupCancelled):
        backup.backup(store, reason="daily", progress=lambda d, t: None, cancelled=cancelled)
    assert calls
    assert backup.list_backups(store.path) == []
    assert not list(backup.backup_dir(store.path).glob(".tmp-*"))


def test_a_short_disk_drops_the_oldest_backups_then_refuses(store: Store, household, monkeypatch) -> None:
    import collections
    import shutil as _shutil

    store.save("household", household)
    made = [backup.backup(store, reason="manual", keep=5) for _ in range(3)]
    size = backup.expected_size(store.conn)
    Usage = collections.namedtuple("Usage", "total used free")
    free = {"n": size + backup.DISK_MARGIN - 1}  # one byte short
    monkeypatch.setattr(_shutil, "disk_usage", lambda _p: Usage(0, 0, free["n"]))
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name.endswith("-manual.db"):
            free["n"] += size  # deleting a backup frees its size
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    backup.backup(store, reason="manual", keep=5)
    left = {b.path for b in backup.list_backups(store.path)}
    assert made[0] not in left and made[1] in left and made[2] in left  # the oldest went
    newest = backup.list_backups(store.path)[0].path
    free["n"] = 1000
    with pytest.raises(StoreError, match="พื้นที่ดิสก์ไม่พอ"):
        backup.backup(store, reason="manual", keep=5)
    assert [b.path for b in backup.list_backups(store.path)] == [newest]  # the newest is never dropped


def test_a_sync_whose_backup_cannot_be_made_ends_in_a_sync_error_and_sends_nothing(
    store: Store, household, monkeypatch
) -> None:
    import collections
    import shutil as _shutil

    from fieldapp.errors import SyncErrorKind
    from fieldapp.sync.client import sync

    store.save("household", household)
    Usage = collections.namedtuple("Usage", "total used free")
    monkeypatch.setattr(_shutil, "disk_usage", lambda _p: Usage(0, 0, 1000))  # no room for the backup
    with pytest.raises(SyncError) as caught:  # before any connection: the address is never reached
        sync(store, "http://127.0.0.1:9", "am", "secret password")
    assert caught.value.kind is SyncErrorKind.LOCAL
    assert "สำรองข้อมูลก่อนซิงค์ไม่ได้" in caught.value.message
    assert store.count("household", filters={"dirty": True}) == 1
