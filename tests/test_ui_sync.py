"""The sync dialog against the real server (in-process, loopback), the outbox and conflict views,
and a conflict made by two laptops resolved through the dialog."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app, shared_server
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QRadioButton

from fieldapp import demo
from fieldapp.store import Store
from fieldapp.sync.client import sync
from server import auth
from ui import tasks
from ui.db import Database
from ui.dialogs.conflict_dialog import ConflictDialog, ConflictsDialog
from ui.dialogs.sync_dialog import SERVER_KEY, USER_KEY, SyncDialog

PASSWORD = "correct horse"
AREA = "3201"


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
        self.app = shared_app(self.settings)
        self.url = shared_server(self.app).url

    def add_user(self, name: str, role: str, areas: list[str]) -> None:
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, name, role, areas, PASSWORD)

    def server_doc(self, record_id: str) -> dict[str, Any]:
        import json

        from sqlalchemy import select

        from server import db

        with self.app.state.engine.connect() as conn:
            row = conn.execute(select(db.records.c.doc).where(db.records.c.id == record_id)).first()
        assert row is not None
        return dict(json.loads(row.doc))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.app.state.engine.dispose()


def settle() -> None:
    tasks.wait_all(60)


def run_dialog_sync(dlg: SyncDialog, url: str, user: str, password: str) -> None:
    dlg.server_edit.setText(url)
    dlg.user_edit.setText(user)
    dlg.password_edit.setText(password)
    dlg.sync_button.click()
    settle()


def test_sync_dialog_runs_a_real_sync_and_shows_the_thai_summary(
    qtbot: Any, ui_app: Any, ui_db_path: Path, server: Server
) -> None:
    server.add_user("admin1", "admin", [])
    db = Database(ui_db_path)
    waiting = sum(len(db.main.dirty_rows(f.id)) for f in db.main.forms)
    assert waiting > 100
    dlg = SyncDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    dlg.show()
    settle()
    assert "รอส่ง" in dlg.outbox_label.text() and "ยังไม่เคยซิงค์" in dlg.outbox_label.text()
    run_dialog_sync(dlg, server.url, "admin1", PASSWORD)

    assert dlg.error is None and dlg.outcome is not None
    report = dlg.outcome.report
    assert report.applied == waiting and report.verified is True and not report.rejected
    text = dlg.summary_text()
    assert f"ส่งขึ้นเซิร์ฟเวอร์: {waiting:,} รายการ" in text
    assert "ตรวจสอบแล้ว: ข้อมูลในเครื่องนี้ตรงกับเซิร์ฟเวอร์" in text
    assert sum(len(db.main.dirty_rows(f.id)) for f in db.main.forms) == 0
    # address and user remembered; the password never stored and cleared from the field
    assert ui_app.state(SERVER_KEY) == server.url and ui_app.state(USER_KEY) == "admin1"
    assert PASSWORD not in [str(v) for v in ui_app.storage.values()]
    assert dlg.password_edit.text() == ""
    assert "ซิงค์สำเร็จครั้งล่าสุด" in dlg.outbox_label.text()


def test_a_wrong_password_gives_the_thai_sign_in_message(
    qtbot: Any, ui_app: Any, ui_db_path: Path, server: Server
) -> None:
    server.add_user("admin2", "admin", [])
    db = Database(ui_db_path)
    dlg = SyncDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    run_dialog_sync(dlg, server.url, "admin2", "not the password")
    assert dlg.outcome is None and dlg.error is not None
    assert "เข้าสู่ระบบไม่สำเร็จ" in dlg.summary_text() or "ชื่อผู้ใช้" in dlg.summary_text()
    assert sum(len(db.main.dirty_rows(f.id)) for f in db.main.forms) > 0  # nothing lost
    assert dlg.sync_button.isEnabled() and not dlg.cancel_button.isVisible()


def test_after_a_failed_sign_in_the_password_field_is_empty_and_a_retyped_password_signs_in(
    qtbot: Any, ui_app: Any, ui_db_path: Path, server: Server
) -> None:
    """A retyped password never lands after the wrong one (each wrong try makes the server wait longer)."""
    server.add_user("admin3", "admin", [])
    db = Database(ui_db_path)
    dlg = SyncDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    dlg.show()
    run_dialog_sync(dlg, server.url, "admin3", "not the password")
    assert dlg.error is not None and dlg.outcome is None
    assert dlg.password_edit.text() == ""
    assert dlg.focusWidget() is dlg.password_edit  # ready to type it again
    QTest.keyClicks(dlg.password_edit, PASSWORD)
    dlg.sync_button.click()
    settle()
    assert dlg.error is None and dlg.outcome is not None and dlg.outcome.report.verified is True


def _edit(store: Store, rid: str, **changes: Any) -> None:
    doc = copy.deepcopy(store.get("household", rid).data)
    doc.update(changes)
    store.rewrite("household", doc, record_id=rid)


def test_a_conflict_from_two_laptops_is_shown_and_resolved_through_the_dialog(
    qtbot: Any, ui_app: Any, tmp_path: Path, server: Server
) -> None:
    server.add_user("am", "area_manager", [AREA])
    a = Store(tmp_path / "a.db", user="a")
    b = Store(tmp_path / "b.db", user="b")
    demo.generate(a, households=3, seed=3, areas=[AREA], businesses=0, referrals=0)
    sync(a, server.url, "am", PASSWORD, retries=0)
    sync(b, server.url, "am", PASSWORD, retries=0)
    hid = a.ids("household")[0]
    _edit(a, hid, house_no="1/1")
    _edit(b, hid, house_no="2/2")
    sync(a, server.url, "am", PASSWORD, retries=0)
    assert sync(b, server.url, "am", PASSWORD, retries=0).conflicts
    b.close()

    from ui.mainwindow import MainWindow

    window = MainWindow(Database(tmp_path / "b.db", user="b"), ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    assert "ข้อมูลขัดแย้ง 1 รายการ" in window.sync_status.text()
    page = window.pages["household"]
    page.conflicts_box.setChecked(True)
    settle()
    assert page.model.rowCount() == 1 and page.model.id_at(0) == hid
    assert page.model.data(page.model.index(0, len(page.model.columns) - 1)) == "⚠"

    listing = window.open_conflicts()
    settle()
    assert len(listing.items) == 1 and listing.table.rowCount() == 1
    dlg = listing.open_current()
    assert isinstance(dlg, ConflictDialog)
    texts = {w.text() for w in dlg.findChildren(QRadioButton)}
    assert {"2/2", "1/1"} <= texts  # both values side by side
    heads = " ".join(lbl.text() for lbl in dlg.findChildren(QLabel))
    assert "เครื่องนี้: b" in heads and "เซิร์ฟเวอร์: am" in heads and "บ้านเลขที่" in heads
    assert not dlg.save_button.isEnabled()  # nothing is overwritten without a choice
    dlg.choose("house_no", "typed", "3/3")
    assert dlg.choices() == {"house_no": "3/3"} and dlg.save_button.isEnabled()
    dlg.save_button.click()
    settle()
    settle()

    store_b = window.db.main
    assert store_b.get("household", hid).conflict is None
    assert store_b.get("household", hid).data["house_no"] == "3/3"
    actions = [r[0] for r in store_b.conn.execute("SELECT action FROM audit_log WHERE record_id = ?", [hid])]
    assert "resolve_conflict" in actions
    assert "ข้อมูลขัดแย้ง" not in window.sync_status.text()
    assert listing.table.rowCount() == 0
    # the choice goes up at the next sync, through the same dialog
    sdlg = window.open_sync()
    run_dialog_sync(sdlg, server.url, "am", PASSWORD)
    assert sdlg.outcome is not None and sdlg.outcome.report.applied == 1
    assert server.server_doc(hid)["house_no"] == "3/3"
    a.close()


def test_conflicts_dialog_says_when_there_is_none(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    dlg = ConflictsDialog(None, Database(ui_db_path), ui_app)
    qtbot.addWidget(dlg)
    settle()
    assert dlg.items == [] and not dlg.open_button.isEnabled() and dlg.empty_label.isVisibleTo(dlg)
