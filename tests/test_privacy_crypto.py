"""Encryption at rest: SQLCipher under sqlite-utils, sign-in, recovery, nothing readable on disk."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp import attachments, backup, crypto, demo, encryption
from fieldapp.errors import AccessError, DamagedError, StoreError, ValidationError
from fieldapp.store import Store, open_store

FAST = crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1)
PASS = "ผ้าไหมสุรินทร์ 2569"
OTHER = "another long passphrase"


@pytest.fixture(autouse=True)
def _fresh_keys() -> None:
    crypto.forget()


def make(tmp_path: Path, name: str = "f.db") -> tuple[Path, str]:
    db = tmp_path / name
    code = encryption.create_encrypted(db, "am", "area_manager", PASS, params=FAST)
    crypto.forget()
    return db, code


def known_values(store: Store) -> list[bytes]:
    """Names, national IDs and phones of the data (UTF-8), to look for in raw bytes."""
    out: set[str] = set()
    for rid in store.ids("household")[:40]:
        doc = store.get("household", rid).data
        if doc.get("phone"):
            out.add(doc["phone"])
        for m in doc["members"]:
            out.update(v for v in (m.get("first_name"), m.get("last_name"), m.get("national_id")) if v)
    return [v.encode("utf-8") for v in out if len(v) >= 4]


def test_sqlite_utils_keeps_working_on_a_sqlcipher_connection(tmp_path: Path) -> None:
    db, _ = make(tmp_path)
    with open_store(db, passphrase=PASS) as s:
        assert type(s.conn).__module__.startswith("sqlcipher3")
        # insert with alter=True catches OperationalError internally: it must be the bridged class
        s.db["notes"].insert({"a": 1})
        s.db["notes"].insert({"a": 2, "b": "สอง"}, alter=True)
        assert [r["b"] for r in s.db["notes"].rows] == [None, "สอง"]
        # the numbered migrations ran on this connection
        names = {r["name"] for r in s.db["_sqlite_migrations"].rows}
        assert {"0001_core", "0002_sync", "0003_privacy"} <= names
        # FTS5 with the trigram tokenizer is in sqlcipher3's SQLite
        demo.generate(s, households=10, seed=2)
        name = s.get("household", s.ids("household")[0]).data["members"][0]["first_name"]
        assert any(hit["form"] == "household" for hit in s.search(name))
        with pytest.raises(sqlite3.OperationalError):  # sqlcipher's error caught as the stdlib's
            s.conn.execute("SELECT * FROM no_such_table")
        assert s.conn.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")


def test_right_passphrase_opens_wrong_is_refused_in_thai(tmp_path: Path) -> None:
    db, _ = make(tmp_path)
    with pytest.raises(AccessError) as no_key:
        open_store(db)
    assert "เข้ารหัส" in no_key.value.message
    with pytest.raises(AccessError) as wrong:
        open_store(db, passphrase="not the passphrase")
    assert wrong.value.message == "รหัสผ่านไม่ถูกต้อง" and wrong.value.wrong_passphrase
    with open_store(db, passphrase=PASS) as s:
        assert s.encrypted and s.user == "am" and s.role == "area_manager"


def test_recovery_key_opens_after_the_passphrase_is_forgotten(tmp_path: Path) -> None:
    db, code = make(tmp_path)
    with open_store(db, passphrase=PASS) as s:
        demo.generate(s, households=5, seed=1)
    crypto.forget()
    with pytest.raises(ValidationError):  # a typo is caught by the check group
        encryption.recover(db, code[:-1] + ("A" if code[-1] != "A" else "B"), "am", OTHER)
    # lower case, spaces instead of dashes: still the key
    encryption.recover(db, code.lower().replace("-", " "), "am", OTHER)
    crypto.forget()
    with pytest.raises(AccessError):
        open_store(db, passphrase=PASS)
    with open_store(db, passphrase=OTHER) as s:
        assert s.count("household") == 5


def test_changing_the_passphrase_rewraps_without_rewriting_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = make(tmp_path)
    with open_store(db, passphrase=PASS) as s:
        demo.generate(s, households=5, seed=1)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    key_id = crypto.KeyFile.load(db).key_id
    crypto.forget()
    monkeypatch.setattr(encryption, "_note", lambda *a, **k: None)  # no audit row: compare the bytes
    assert encryption.change_passphrase(db, None, PASS, OTHER) == "am"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # same file, same data key
    assert crypto.KeyFile.load(db).key_id == key_id
    crypto.forget()
    with pytest.raises(AccessError):
        crypto.unlock(db, PASS)
    assert crypto.unlock(db, OTHER).user == "am"


def test_users_share_the_data_key_and_roles_are_bound_to_their_slot(tmp_path: Path) -> None:
    db, _ = make(tmp_path)
    key = crypto.unlock(db, PASS).key
    encryption.add_user(db, key, "somchai", "community_leader", OTHER)
    crypto.forget()
    with open_store(db, passphrase=OTHER, user="somchai") as s:
        assert s.role == "community_leader" and s.user == "somchai"
    # promoting oneself by editing the key file breaks the slot
    kf = json.loads(crypto.keys_path(db).read_text("utf-8"))
    for slot in kf["slots"]:
        if slot.get("user") == "somchai":
            slot["role"] = "admin"
    crypto.keys_path(db).write_text(json.dumps(kf), "utf-8")
    crypto.forget()
    with pytest.raises(AccessError):
        crypto.unlock(db, OTHER, "somchai")


def test_repeated_failures_slow_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = make(tmp_path)
    now = [1_000_000.0]
    monkeypatch.setattr(crypto, "clock", lambda: now[0])
    for _ in range(crypto.FREE_TRIES):
        with pytest.raises(AccessError) as exc:
            crypto.unlock(db, "wrong wrong")
    assert exc.value.wait_seconds == 5.0
    with pytest.raises(AccessError) as waiting:  # even the right passphrase waits now
        crypto.unlock(db, PASS)
    assert "กรุณารอ" in waiting.value.message and not waiting.value.wrong_passphrase
    now[0] += 6
    with pytest.raises(AccessError) as again:
        crypto.unlock(db, "wrong wrong")
    assert again.value.wait_seconds == 10.0  # doubles
    now[0] += 11
    assert crypto.unlock(db, PASS).user == "am"
    assert crypto.seconds_to_wait(db) == 0  # success resets the counter


def test_a_damaged_file_is_told_apart_from_a_wrong_passphrase(tmp_path: Path) -> None:
    db, _ = make(tmp_path)
    with open_store(db, passphrase=PASS) as s:
        demo.generate(s, households=3, seed=1)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray(db.read_bytes())
    raw[100:4000] = os.urandom(3900)  # page 1 damaged
    db.write_bytes(bytes(raw))
    crypto.forget()
    with pytest.raises(DamagedError) as damaged:
        open_store(db, passphrase=PASS)
    assert "เสียหาย" in damaged.value.message and "รหัสผ่านถูกต้อง" in damaged.value.message
    crypto.forget()
    with pytest.raises(AccessError):
        open_store(db, passphrase="wrong wrong")


def test_never_creates_a_new_database_over_an_existing_one(tmp_path: Path) -> None:
    db, _ = make(tmp_path)
    with pytest.raises(StoreError):
        encryption.create_encrypted(db, "x", "admin", PASS, params=FAST)
    db.rename(tmp_path / "moved.db")  # the database went missing, its key file is still here
    with pytest.raises(StoreError) as exc:
        open_store(db)
    assert "จะไม่สร้างฐานข้อมูลใหม่ทับ" in exc.value.message
    assert not db.exists()


def test_no_name_id_or_phone_in_the_raw_bytes_of_db_wal_backups_and_attachments(tmp_path: Path) -> None:
    db, _ = make(tmp_path)
    photo = tmp_path / "photo.jpg"
    secret_text = "บ้านของนางสมศรี มีสุข 0812345678".encode()
    photo.write_bytes(b"\xff\xd8\xff" + secret_text * 200)
    with open_store(db, passphrase=PASS) as s:
        demo.generate(s, households=60, seed=4)
        values = known_values(s)
        sha = attachments.add(s, photo)
        assert attachments.read_bytes(s, sha) == photo.read_bytes()
        made = backup.backup(s, reason="manual")
        wal = db.with_name(db.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        files = [db, wal, made, attachments.path_for(s, sha)]
        blobs = {f.name: f.read_bytes() for f in files}
    assert values
    for name, blob in blobs.items():
        for v in [*values, secret_text[:20], b"SQLite format 3"]:
            assert v not in blob, f"{v!r} readable in {name}"
    assert not backup.integrity_problems(made)  # the backup opens with the same data key


def test_the_cli_reads_the_passphrase_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    env = {**os.environ, "FIELDAPP_DB": str(db), "FIELDAPP_PASSPHRASE": PASS, "FIELDAPP_USER": "am"}
    run = [sys.executable, "-m", "fieldapp"]
    made = subprocess.run([*run, "init", "--encrypt"], env=env, capture_output=True, text=True, check=True)
    assert "RECOVERY KEY" in made.stdout
    subprocess.run([*run, "demo", "--households", "3"], env=env, capture_output=True, check=True)
    ok = subprocess.run([*run, "stats", "--json"], env=env, capture_output=True, text=True, check=True)
    assert json.loads(ok.stdout)["forms"]["household"]["records"] == 3
    bad = subprocess.run(
        [*run, "--passphrase-env", "MY_PASS", "stats"],
        env={**env, "MY_PASS": "wrong wrong"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "รหัสผ่านไม่ถูกต้อง" in bad.stderr and "wrong passphrase" in bad.stderr
