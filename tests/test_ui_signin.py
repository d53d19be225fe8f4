"""Signing in to an encrypted database from the app: a wrong passphrase is told in Thai, the right
one opens; a plain database asks nothing; the editor records who viewed a record."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldapp import crypto, encryption

FAST = crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1)
PASS = "ผ้าไหมสุรินทร์ 2569"


@pytest.fixture(autouse=True)
def _forget_keys() -> Any:
    crypto.forget()
    yield
    crypto.forget()


def test_plain_database_needs_no_sign_in(ui_app: Any, ui_db_path: Path) -> None:
    from ui.app import sign_in_if_encrypted

    assert sign_in_if_encrypted(ui_db_path) == (True, None)


def test_wrong_passphrase_is_refused_in_thai_and_the_right_one_signs_in(ui_app: Any, tmp_path: Path) -> None:
    from ui.dialogs.signin import SignInDialog

    db = tmp_path / "enc.db"
    encryption.create_encrypted(db, "am", "area_manager", PASS, params=FAST)
    crypto.forget()
    dlg = SignInDialog(None, db)
    dlg.passphrase.setText("ผิด")
    dlg.try_sign_in()
    assert dlg.result_session is None
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in dlg.message.text())
    dlg.ok_button.setEnabled(True)
    dlg.passphrase.setText(PASS)
    dlg.try_sign_in()
    assert dlg.result_session is not None and dlg.result_session.user == "am"


def test_opening_a_record_in_the_editor_is_audited(ui_app: Any, ui_db_path: Path) -> None:
    from ui.db import Database
    from ui.dialogs.record_editor import RecordEditorDialog

    db = Database(ui_db_path)
    rid = db.main.ids("household")[0]
    editor = RecordEditorDialog(None, db, ui_app, "household", rid)
    actions = [
        r[0]
        for r in db.main.conn.execute("SELECT action FROM audit_log WHERE record_id = ? ORDER BY id", [rid])
    ]
    assert actions[-1] == "view"
    editor.close()
    db.close_all()
