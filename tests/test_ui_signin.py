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
    from ui.startup import sign_in_if_encrypted

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
    from ui.editor.window import RecordEditorDialog

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


def test_the_sign_in_box_has_a_heading_and_focus_starts_on_the_passphrase(
    qtbot: Any, ui_app: Any, tmp_path: Path
) -> None:
    from ui.dialogs.signin import SignInDialog

    db = tmp_path / "enc.db"
    encryption.create_encrypted(db, "am", "area_manager", PASS, params=FAST)
    crypto.forget()
    dlg = SignInDialog(None, db)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.heading.isVisible() and dlg.heading.text()
    assert not dlg.reason.isVisible()  # no reason at the first start
    assert dlg.users.currentData() == "am"
    assert dlg.focusWidget() is dlg.passphrase


def test_after_the_idle_lock_the_box_says_why_and_the_user_is_chosen(
    qtbot: Any, ui_app: Any, tmp_path: Path
) -> None:
    from ui.dialogs.signin import SignInDialog

    db = tmp_path / "enc.db"
    encryption.create_encrypted(db, "am", "area_manager", PASS, params=FAST)
    crypto.forget()
    dlg = SignInDialog(None, db, reason="ล็อกหลังไม่ได้ใช้งาน 10 นาที", user="am")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.reason.isVisible() and "10 นาที" in dlg.reason.text()
    assert dlg.focusWidget() is dlg.passphrase


def test_a_wrong_passphrase_is_cleared_so_the_next_is_never_appended(
    qtbot: Any, ui_app: Any, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    from ui.dialogs.signin import SignInDialog

    db = tmp_path / "enc.db"
    encryption.create_encrypted(db, "am", "area_manager", PASS, params=FAST)
    crypto.forget()
    dlg = SignInDialog(None, db)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.passphrase, "wrong one")
    qtbot.keyClick(dlg.passphrase, Qt.Key.Key_Return)
    assert dlg.result_session is None
    assert dlg.passphrase.text() == ""
    assert dlg.message.isVisible() and "ไม่ถูกต้อง" in dlg.message.text()
    # the message sits below the field, never over it
    field = dlg.passphrase.geometry()
    field_bottom = dlg.passphrase.mapTo(dlg, field.bottomLeft() - field.topLeft()).y()
    assert dlg.message.mapTo(dlg, dlg.message.rect().topLeft()).y() > field_bottom
    # after repeated failures the field is off while waiting, so nothing typed then is kept
    tries = 1
    while dlg.passphrase.isEnabled():
        tries += 1
        assert tries < 10
        dlg.passphrase.setText("still wrong")
        dlg.try_sign_in()
        assert dlg.passphrase.text() == ""
    assert not dlg.passphrase.isEnabled() and not dlg.ok_button.isEnabled()
    assert "ลองใหม่ได้ในอีก" in dlg.message.text()
    assert dlg.message.text().count("ไม่ถูกต้อง") == 1


def test_lock_now_and_sign_out_are_in_the_user_menu(
    qtbot: Any, ui_app: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from ui import startup as uiapp
    from ui.dialogs import signin

    db_path = tmp_path / "enc.db"
    encryption.create_encrypted(db_path, "am", "area_manager", PASS, params=FAST)
    window, db = uiapp.open_window(db_path, ui_app, "am")
    qtbot.addWidget(window)
    from PySide6.QtWidgets import QApplication

    control = uiapp.install_session(QApplication.instance(), window, db, db_path, ui_app, "am")
    assert control is not None
    asked: list[dict[str, Any]] = []

    def fake_signin(_parent: Any, path: Any, *, reason: str = "", user: str | None = None) -> Any:
        asked.append({"reason": reason, "user": user, "hidden": not window.isVisible()})
        assert crypto.key_for(path) is None  # locked: the key is forgotten
        return crypto.unlock(path, PASS, "am")

    monkeypatch.setattr(signin, "show_signin", fake_signin)
    window.show()
    window.lock_action.trigger()
    assert asked and asked[0]["user"] == "am" and asked[0]["reason"] and asked[0]["hidden"]
    assert window.isVisible()
    assert window.sign_out_action.text()
    control.window.close()
    db.close_all()


def test_with_several_users_and_none_known_focus_starts_on_the_user_list(
    qtbot: Any, ui_app: Any, tmp_path: Path
) -> None:
    from ui.dialogs.signin import SignInDialog

    db = tmp_path / "enc.db"
    encryption.create_encrypted(db, "am", "area_manager", PASS, params=FAST)
    key = crypto.unlock(db, PASS, "am").key
    encryption.add_user(db, key, "lead", "community_leader", "ผู้นำชุมชน 2569 ยาวพอ")
    crypto.forget()
    dlg = SignInDialog(None, db)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.users.currentIndex() == -1 and dlg.focusWidget() is dlg.users
    dlg.passphrase.setText(PASS)
    dlg.try_sign_in()
    assert dlg.result_session is None and "เลือกชื่อ" in dlg.message.text()
    assert dlg.passphrase.text() == PASS  # nothing was tried: the typed passphrase stays
    dlg.users.setCurrentIndex(dlg.users.findData("am"))
    dlg.try_sign_in()
    assert dlg.result_session is not None and dlg.result_session.user == "am"
