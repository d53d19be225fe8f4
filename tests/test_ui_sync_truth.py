"""The sync dialog and status line say truthfully what a sync did: a pull that stopped early is not
"synced", a never-synced laptop says so, conflicts are not "kept to send", counts are per form, an
edit lost to an erasure elsewhere is told, the open dialog follows resolutions, progress has
position, and Close works during a sync."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app, shared_server

from fieldapp import demo
from fieldapp.store import Store
from fieldapp.sync.client import sync
from fieldapp.sync.outbox import resolve_conflict, sync_status
from fieldapp.sync.report import SyncReport
from server import auth
from ui import tasks
from ui.db import Database
from ui.dialogs.sync_dialog import SyncDialog, SyncOutcome, progress_text, status_line, summary_lines

PASSWORD = "correct horse"
AREA = "3201"


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
        self.app = shared_app(self.settings)
        self.url = shared_server(self.app).url
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", [AREA], PASSWORD)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.app.state.engine.dispose()


def settle() -> None:
    tasks.wait_all(60)


def _filled(server: Server, tmp_path: Path) -> int:
    other = Store(tmp_path / "other.db", user="other")
    demo.generate(other, households=12, seed=5, areas=[AREA], businesses=2, referrals=2)
    sync(other, server.url, "am", PASSWORD, retries=0)
    n = sum(other.count(f.id) for f in other.forms)
    other.close()
    return n


def test_a_never_synced_laptop_and_a_stopped_pull_are_never_called_synced(
    qtbot: Any, ui_app: Any, server: Server, tmp_path: Path
) -> None:
    total = _filled(server, tmp_path)
    fresh = Store(tmp_path / "fresh.db", user="fresh")
    text, _kind = status_line(sync_status(fresh))
    assert text == "ยังไม่เคยซิงค์"
    pages: list[int] = []
    report = sync(
        fresh,
        server.url,
        "am",
        PASSWORD,
        retries=0,
        page_size=5,
        progress=lambda s, d, _t: pages.append(d) if s == "pull" and d else None,
        cancel=lambda: len(pages) >= 1,
    )
    assert report.cancelled and 0 < report.pulled < total
    text, kind = status_line(sync_status(fresh))
    assert "ซิงค์ครบแล้ว" not in text and kind == "warn"
    assert f"ยังขาดอีก {total - report.pulled:,} รายการ" in text
    fresh.close()

    db = Database(tmp_path / "fresh.db", user="fresh")
    dlg = SyncDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    settle()
    outbox = dlg.outbox_label.text()
    assert f"ได้รับแล้ว {report.pulled:,} จาก {total:,} รายการ" in outbox and "ซิงค์อีกครั้ง" in outbox
    assert "ยังไม่เคยซิงค์" not in outbox
    # the next sync continues and then the laptop is synced
    dlg.server_edit.setText(server.url)
    dlg.user_edit.setText("am")
    dlg.password_edit.setText(PASSWORD)
    dlg.sync_button.click()
    settle()
    settle()
    assert dlg.outcome is not None and dlg.outcome.report.pulled == total - report.pulled
    assert status_line(sync_status(db.main))[0] == "ซิงค์ครบแล้ว"
    assert "ยังขาด" not in dlg.outbox_label.text()


def _edit(store: Store, rid: str, **changes: Any) -> None:
    doc = copy.deepcopy(store.get("household", rid).data)
    doc.update(changes)
    store.rewrite("household", doc, record_id=rid)


def test_conflicts_are_not_kept_to_send_and_the_open_dialog_follows_resolutions(
    qtbot: Any, ui_app: Any, server: Server, tmp_path: Path
) -> None:
    a = Store(tmp_path / "a.db", user="a")
    b = Store(tmp_path / "b.db", user="b")
    demo.generate(a, households=3, seed=3, areas=[AREA], businesses=1, referrals=0)
    sync(a, server.url, "am", PASSWORD, retries=0)
    sync(b, server.url, "am", PASSWORD, retries=0)
    hids = a.ids("household")
    for i, hid in enumerate(hids[:2]):
        _edit(a, hid, house_no=f"1/{i}")
        _edit(b, hid, house_no=f"2/{i}")
    _edit(b, hids[2], village_name="บ้านใหม่")  # goes up cleanly
    sync(a, server.url, "am", PASSWORD, retries=0)
    b.close()

    db = Database(tmp_path / "b.db", user="b")
    dlg = SyncDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    settle()
    dlg.server_edit.setText(server.url)
    dlg.user_edit.setText("am")
    dlg.password_edit.setText(PASSWORD)
    dlg.sync_button.click()
    settle()
    settle()
    assert dlg.outcome is not None
    r = dlg.outcome.report
    assert len(r.conflicts) == 2 and r.kept_local == 0  # a conflict is not "kept to send"
    text = dlg.summary_text()
    assert "ส่งขึ้นเซิร์ฟเวอร์: 3 รายการ (รับแล้ว 1, ขัดแย้ง 2)" in text
    assert "เก็บฉบับที่แก้ไข" not in text and "จะยังไม่ถูกส่งจนกว่าจะเลือกค่า" in text
    assert "ข้อมูลขัดแย้งรอการตัดสินใจ" in dlg.outbox_label.text()
    assert "รอส่ง:" not in dlg.outbox_label.text()  # the two conflicts are not "waiting to be sent"

    for hid in hids[:2]:
        resolve_conflict(db.main, "household", hid, {"house_no": "mine"})
    dlg.load_outbox()
    settle()
    text = dlg.summary_text()
    assert "แก้ข้อมูลขัดแย้งแล้ว 2 รายการ" in text and "เลือกค่าแล้ว" in text
    assert "ข้อมูลขัดแย้งรอการตัดสินใจ" not in dlg.outbox_label.text()
    assert "รอส่ง:" in dlg.outbox_label.text()  # the choices go up next time
    a.close()


def test_the_summary_splits_counts_by_form_and_tells_edits_lost_to_an_erasure(ui_app: Any) -> None:
    r = SyncReport(server="s", user="u", pushed=6, applied=1, pulled=40)
    r.conflicts = [
        {"form": "household", "record_id": f"{i:08d}-0000-0000-0000-000000000000", "kind": "fields"}
        for i in range(4)
    ]
    r.erased_edits = [{"form": "household", "record_id": "99999999-0000-0000-0000-000000000000"}]
    r.by_form = {
        "household": {"sent": 1, "received": 30},
        "business": {"received": 6},
        "referral": {"received": 4},
    }
    names = {"household": "ครัวเรือน", "business": "กิจการ", "referral": "การส่งต่อ"}
    lines = [
        t
        for t, _k in summary_lines(SyncOutcome(r, {"99999999-0000-0000-0000-000000000000": "นางสมศรี"}, names))
    ]
    text = "\n".join(lines)
    assert "ส่งขึ้นเซิร์ฟเวอร์: 6 รายการ (รับแล้ว 1, ขัดแย้ง 4, ถูกลบตามคำขอที่เครื่องอื่น 1)" in text
    assert "ครัวเรือน 30 รายการ, กิจการ 6 รายการ, การส่งต่อ 4 รายการ" in text
    assert "การแก้ไขรายการเหล่านี้ในเครื่องนี้จึงถูกยกเลิก" in text and "นางสมศรี" in text


def test_progress_has_position_and_an_unknown_total_is_not_a_guess(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    assert progress_text("pull", 1674, 5299).endswith("1,674 จาก 5,299 รายการ")
    assert progress_text("pull", 1674, 0).endswith("ได้รับแล้ว 1,674 รายการ")
    dlg = SyncDialog(None, Database(ui_db_path), ui_app)
    qtbot.addWidget(dlg)
    dlg._progress(1674, 5299)
    assert (dlg.progress.value(), dlg.progress.maximum()) == (1674, 5299)
    dlg._progress(10, 0)
    assert dlg.progress.maximum() == 0  # busy, not a made-up fraction


def test_a_silent_server_is_said_and_close_stops_the_sync_then_closes(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    import time

    from ui.tasks import Task

    dlg = SyncDialog(None, Database(ui_db_path), ui_app)
    qtbot.addWidget(dlg)
    dlg.show()
    stop = {"asked": False}

    def work(state: Any) -> None:
        while not state.cancelled:
            time.sleep(0.02)
        stop["asked"] = True
        raise RuntimeError("stopped")

    dlg._running(True)
    dlg.task = Task(work).on_failure(dlg._failed).start()
    assert dlg.close_button.isEnabled() and not dlg.sync_button.isEnabled()
    dlg._last_activity -= 10
    dlg._check_stall()
    assert dlg.stall_label.isVisibleTo(dlg) and "10 วินาที" in dlg.stall_label.text()
    dlg.close_button.click()
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=5000)
    assert stop["asked"]


def test_the_sync_conflict_and_sign_in_dialogs_fit_1366x768_at_18_pt(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    from fieldapp import crypto, encryption
    from ui.dialogs.conflict_dialog import ConflictDialog
    from ui.dialogs.signin import SignInDialog
    from ui.theme import apply_font

    apply_font(18)
    try:
        db = Database(ui_db_path)
        hid = db.main.ids("household")[0]
        doc = copy.deepcopy(db.main.get("household", hid).data)
        db.main.mark_synced("household", hid, server_rev=3, base=doc)
        theirs = {**doc, "house_no": "65/1"}
        from fieldapp.sync import protocol as P

        conflict = P.Conflict(
            "fields",
            "household",
            hid,
            4,
            {**doc, "house_no": "65/9"},
            theirs,
            theirs,
            [P.FieldConflict("house_no", doc.get("house_no"), "65/9", "65/1")],
            "am",
            None,
            "lead",
            None,
        )
        db.main.set_conflict("household", hid, conflict.to_json())
        enc = tmp_path / "enc.db"
        encryption.create_encrypted(
            enc,
            "am",
            "area_manager",
            "pass phrase 2569",
            params=crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1),
        )
        crypto.forget()
        for dlg in (
            SyncDialog(None, db, ui_app),
            ConflictDialog(None, db, ui_app, "household", hid),
            SignInDialog(None, enc, reason="ล็อกหลังไม่ได้ใช้งาน 10 นาที"),
        ):
            qtbot.addWidget(dlg)
            dlg.show()
            need = dlg.minimumSizeHint()
            assert need.width() <= 1366 and need.height() <= 768 - 60, (type(dlg).__name__, need)
            avail = dlg.screen().availableGeometry()
            assert dlg.width() <= avail.width() and dlg.height() <= avail.height(), type(dlg).__name__
        settle()
    finally:
        apply_font(int(ui_app.get("font_size")))
        crypto.forget()


def test_the_status_line_of_a_never_synced_laptop_with_records_says_both_once() -> None:
    status = {"waiting": {"household": 150}, "conflicts": {"household": 0}, "state": "never", "missing": 0}
    assert status_line(status) == ("ยังไม่เคยซิงค์: รอส่ง 150 รายการ", "")
    synced = {**status, "state": "synced"}
    assert status_line(synced)[0] == "ยังไม่ซิงค์ 150 รายการ"
    done = {**synced, "waiting": {"household": 0}}
    assert status_line(done)[0] == "ซิงค์ครบแล้ว"


def test_an_open_sync_dialog_follows_a_resolution_made_from_the_main_window(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    from fieldapp.sync import protocol as P
    from ui.mainwindow import MainWindow

    db = Database(ui_db_path)
    hid = db.main.ids("household")[0]
    doc = copy.deepcopy(db.main.get("household", hid).data)
    db.main.mark_synced("household", hid, server_rev=3, base=doc)
    mine = {**doc, "house_no": "65/9"}
    db.main.rewrite("household", mine, record_id=hid)
    theirs = {**doc, "house_no": "65/1"}
    conflict = P.Conflict(
        "fields",
        "household",
        hid,
        4,
        mine,
        theirs,
        theirs,
        [P.FieldConflict("house_no", doc.get("house_no"), "65/9", "65/1")],
        "am",
        None,
        "lead",
        None,
    )
    db.main.set_conflict("household", hid, conflict.to_json())
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    sdlg = window.open_sync()
    settle()
    assert "ข้อมูลขัดแย้งรอการตัดสินใจ" in sdlg.outbox_label.text()
    cdlg = window.open_conflict("household", hid)
    cdlg.choose("house_no", "mine")
    cdlg.save_button.click()
    settle()
    settle()
    assert db.main.get("household", hid).conflict is None
    assert "ข้อมูลขัดแย้งรอการตัดสินใจ" not in sdlg.outbox_label.text()
    assert "ข้อมูลขัดแย้ง" not in window.sync_status.text()
