"""Encrypting a plain database in place: every record kept, and a kill at any step loses nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp import attachments, backup, crypto, demo, encryption
from fieldapp.store import open_store

FAST = crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1)
PASS = "ผ้าไหมสุรินทร์ 2569"
STEPS = ["checked", "keys-pending", "exported", "verified", "swapped", "keys-saved", "plain-wiped", "backups-encrypted"]
DATA_TABLES = ("household", "household__members", "business", "referral", "search_doc", "search_fts")


@pytest.fixture(autouse=True)
def _fresh_keys() -> None:
    crypto.forget()


def data_sums(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    sums = encryption.table_checksums(conn)
    return {t: v for t, v in sums.items() if t.startswith(DATA_TABLES)}


def plain_db(tmp_path: Path) -> tuple[Path, dict[str, tuple[int, str]], bytes]:
    db = tmp_path / "field.db"
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + "รูปบ้านนายมานะ".encode() * 100)
    with open_store(db) as s:
        demo.generate(s, households=120, seed=7)
        attachments.add(s, photo)
        backup.backup(s, reason="manual")
    conn = sqlite3.connect(db)
    try:
        sums = data_sums(conn)
    finally:
        conn.close()
    return db, sums, photo.read_bytes()


def sums_now(db: Path) -> dict[str, tuple[int, str]]:
    key = None if crypto.is_plain_sqlite(db) else crypto.unlock(db, PASS).key
    conn = crypto.connect(db, key)
    try:
        return data_sums(conn)
    finally:
        conn.close()


def assert_fully_encrypted(db: Path, photo: bytes) -> None:
    assert not crypto.is_plain_sqlite(db)
    leftovers = [p.name for p in db.parent.iterdir() if p.name.endswith((".plain-old", ".encrypting", ".pending"))]
    assert leftovers == []
    for b in backup.list_backups(db):
        assert not crypto.is_plain_sqlite(b.path), b.path
    with open_store(db, passphrase=PASS) as s:
        for f in attachments.root_for(s).glob("*/*"):
            assert crypto.is_encrypted_file(f), f
        shas = [r[0] for r in s.conn.execute("SELECT sha256 FROM attachments")]
        assert [attachments.read_bytes(s, sha) for sha in shas] == [photo]


def test_migrating_keeps_every_record_counts_and_checksum(tmp_path: Path) -> None:
    db, before, photo = plain_db(tmp_path)
    res = encryption.encrypt_database(db, "am", "area_manager", PASS, params=FAST)
    assert res.recovery_code and res.backups_encrypted == 1 and res.attachments_encrypted == 1
    assert res.tables["household"] >= 120 and res.tables["household__members"] > 120
    crypto.forget()
    assert sums_now(db) == before
    assert_fully_encrypted(db, photo)
    with open_store(db, passphrase=PASS) as s:  # the store works on it, WAL and all
        assert s.count("household") == res.tables["household"] and not s.check()
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_in_use_is_not_migrated(tmp_path: Path) -> None:
    db, before, _ = plain_db(tmp_path)
    with open_store(db):  # another window has it open (WAL mode, a live connection)
        with pytest.raises(Exception) as exc:
            encryption.encrypt_database(db, "am", "area_manager", PASS, params=FAST)
        assert "in use" in str(getattr(exc.value, "message_en", exc.value))
    assert crypto.is_plain_sqlite(db) and not crypto.keys_path(db).exists()
    assert sums_now(db) == before


SCRIPT = """
import sys
from fieldapp import crypto, encryption
encryption.encrypt_database(sys.argv[1], "am", "area_manager", sys.argv[2],
                            params=crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1))
"""


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_in_the_middle_loses_nothing(tmp_path: Path, step: str) -> None:
    db, before, photo = plain_db(tmp_path)
    env = {**os.environ, encryption.CRASH_ENV: step}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(db), PASS], env=env, capture_output=True)
    assert proc.returncode != 0, "the process should have been killed"
    # whatever state it stopped in, the data is all there (plain before the swap, encrypted after)
    assert sums_now(db) == before
    crypto.forget()
    # running it again finishes the job
    encryption.encrypt_database(db, "am", "area_manager", PASS, params=FAST)
    crypto.forget()
    assert sums_now(db) == before
    assert_fully_encrypted(db, photo)
