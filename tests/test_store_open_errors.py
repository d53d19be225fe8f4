"""A database that cannot be opened says why: a folder, a read-only place, a full disk, a missing
folder — never "the database is damaged" unless it is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from small_disk import fill, make_read_only, small_disk

from fieldapp import cli
from fieldapp.errors import StoreError
from fieldapp.store import Store, open_store


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plain") / "field.db"
    open_store(path, user="t").close()
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_a_folder_given_as_the_database_is_said_to_be_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(capsys, "--db", str(tmp_path), "list", "household")
    assert code == 1 and "is a folder" in err and "เป็นโฟลเดอร์" in err and "damaged" not in err
    with pytest.raises(StoreError) as exc:
        open_store(tmp_path)
    assert exc.value.reason == "directory"


def test_a_read_only_database_is_said_to_be_read_only(
    plain_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_disk(tmp_path / "ro") as disk:
        shutil.copyfile(plain_db, disk / "field.db")
        make_read_only(disk)
        code, err = run(capsys, "--db", str(disk / "field.db"), "list", "household")
        assert code == 1 and "read-only" in err and "อ่านได้อย่างเดียว" in err and "damaged" not in err
        with pytest.raises(StoreError) as exc:
            open_store(disk / "field.db")
        assert exc.value.reason == "read_only"


def test_a_full_disk_at_open_is_said_to_be_full(
    plain_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_disk(tmp_path / "full", 2048) as disk:
        shutil.copyfile(plain_db, disk / "field.db")
        fill(disk)
        code, err = run(capsys, "--db", str(disk / "field.db"), "list", "household")
        assert code == 1 and "disk is full" in err and "ดิสก์เต็ม" in err and "damaged" not in err
        code, err = run(capsys, "--db", str(disk / "new.db"), "init")
        assert code == 1 and "disk is full" in err
        assert (disk / "field.db").read_bytes() == plain_db.read_bytes()  # nothing changed


def test_a_damaged_file_is_still_called_damaged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "field.db"
    bad.write_bytes(b"this is not a database" * 100)
    code, err = run(capsys, "--db", str(bad), "list", "household")
    assert code == 1 and "damaged" in err


def test_init_encrypt_in_a_folder_that_does_not_exist_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDAPP_PASSPHRASE", "a long passphrase 123")
    target = tmp_path / "no" / "such" / "field.db"
    code, err = run(capsys, "--db", str(target), "--user", "somchai", "init", "--encrypt")
    assert code == 1 and "does not exist" in err and "ไม่พบโฟลเดอร์" in err
    assert not target.parent.exists()


def test_open_store_takes_the_steps_of_opening_and_store_of_a_path_takes_the_same(tmp_path: Path) -> None:
    import sqlite3

    from fieldapp.store import open_database, open_store

    path = tmp_path / "field.db"
    with pytest.raises(StoreError) as exc:
        open_store(path, create=False)
    assert exc.value.reason == "missing" and not path.exists()
    with open_store(path, user="somchai") as store:
        assert store.user == "somchai" and store.role is None and not store.encrypted
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.db[store.form("household").table].exists()
        device = store.device_id
        with pytest.raises(sqlite3.DatabaseError):  # the audit trail is protected on this connection
            store.conn.execute("DELETE FROM audit_log")
    with Store(path, user="somchai") as again:  # the same file, the same device, the same steps
        assert again.device_id == device
        with pytest.raises(sqlite3.DatabaseError):
            again.conn.execute("UPDATE audit_log SET user = 'x'")
    opened = open_database(path, user="somchai")  # the first half alone: no form tables made
    try:
        assert opened.user == "somchai" and opened.data_key is None
        with pytest.raises(sqlite3.DatabaseError):
            opened.conn.execute("DELETE FROM audit_log")
    finally:
        opened.conn.close()
