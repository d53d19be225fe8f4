"""Import wizard, export dialog, backups dialog, restore in the app and the damaged-database offer."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from fieldapp import backup
from fieldapp.errors import AccessError, StoreError
from fieldapp.store import Store
from fieldapp.thai import national_id_check_digit
from ui import tasks
from ui.db import Database
from ui.dialogs.backups_dialog import BackupsDialog, startup_restore_offer
from ui.dialogs.export_dialog import ExportDialog
from ui.dialogs.import_wizard import ImportWizard


def settle() -> None:
    tasks.wait_all(60)


def nid(first12: str) -> str:
    return first12 + str(national_id_check_digit(first12))


def write_list(path: Path, encoding: str = "utf-8-sig") -> Path:
    rows = [
        ["1", "นายบุญมี ศรีสุข", nid("110370248812"), "12/1", "4", "320101"],
        ["2", "นางสมศรี ใจงาม", nid("310050123499"), "15", "4", "320101"],
        ["3", "นายทองดี มีสุข", nid("120010012377"), "7/2", "5", "320101"],
    ]
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["ลำดับ", "ชื่อ-สกุล", "เลขบัตรประชาชน", "บ้านเลขที่", "หมู่", "รหัสตำบล"])
        w.writerows(rows)
    return path


def test_the_import_wizard_imports_a_small_thai_csv(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    db = Database(ui_db_path)
    before = db.main.count("household")
    wiz = ImportWizard(None, db, ui_app)
    qtbot.addWidget(wiz)
    wiz.show()
    assert not wiz.file_page.isComplete()
    wiz.file_page.encoding_combo.setCurrentIndex(wiz.file_page.encoding_combo.findData("windows-874"))
    wiz.set_file(write_list(tmp_path / "รายชื่อ.csv", encoding="cp874"))
    settle()
    assert wiz.loaded is not None and wiz.file_page.isComplete()
    cols = wiz.loaded.mapping.columns
    assert cols["ชื่อ-สกุล"] == "members.full_name" and cols["เลขบัตรประชาชน"] == "members.national_id"
    assert cols["ลำดับ"] is None
    assert "3 แถว" in wiz.file_page.info.text()

    wiz.next()  # the matching, editable
    assert wiz.currentPage() is wiz.mapping_page
    assert wiz.mapping_page.combos["บ้านเลขที่"].currentData() == "house_no"
    wiz.mapping_page.set_target("หมู่", None)
    assert wiz.loaded.mapping.columns["หมู่"] is None
    wiz.mapping_page.set_target("หมู่", "village_no")
    saved = tmp_path / "matching.json"
    wiz.loaded.mapping.save(saved)
    wiz.mapping_page.set_target("บ้านเลขที่", None)
    wiz.mapping_page.load_mapping(saved)  # a saved matching brings the choice back
    assert wiz.mapping_page.combos["บ้านเลขที่"].currentData() == "house_no"

    wiz.next()  # preview as stored + a check that writes nothing
    settle()
    page = wiz.check_page
    assert page.dry is not None and page.dry.created == 3 and page.dry.dry_run
    assert page.preview.rowCount() == 3
    shown = [page.preview.item(0, c).text() for c in range(page.preview.columnCount())]
    assert "12/1" in shown and any("บุญมี" in t for t in shown)
    assert "ยังไม่ได้บันทึก" in page.result.text()
    assert db.main.count("household") == before

    wiz.next()  # import in the background
    settle()
    report = wiz.run_page.report
    assert report is not None and report.created == 3 and not report.problems
    assert db.main.count("household") == before + 3
    assert "เพิ่มใหม่ 3" in wiz.run_page.result.text()
    out = report.save(tmp_path / "report.xlsx")
    assert out.exists() and out.stat().st_size > 0


def test_a_row_with_a_problem_is_listed_in_thai_and_not_written(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "ชื่อ-สกุล,เลขบัตรประชาชน,บ้านเลขที่,รหัสตำบล\nนายหนึ่ง สองสาม,1234567890123,1,320101\n", encoding="utf-8"
    )
    db = Database(ui_db_path)
    wiz = ImportWizard(None, db, ui_app)
    qtbot.addWidget(wiz)
    wiz.show()
    wiz.set_file(path)
    settle()
    wiz.next()
    wiz.next()
    settle()
    assert wiz.currentPage() is wiz.check_page
    page = wiz.check_page
    assert page.dry is not None and page.dry.invalid == 1
    assert page.problems.rowCount() >= 1 and page.problems.item(0, 0).text() == "2"
    assert not page.isComplete()  # nothing valid to import


def test_export_dialog_writes_csv_with_bom_and_records_it(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    db = Database(ui_db_path)
    dlg = ExportDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    dlg.format_combo.setCurrentIndex(dlg.format_combo.findData("csv"))
    dlg.export_to(tmp_path / "households.csv")
    settle()
    assert dlg.outcome is not None and dlg.outcome.records == db.main.count("household")
    assert (tmp_path / "households.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "households_members.csv").exists()
    assert "ส่งออก" in dlg.status.text()
    assert db.main.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0] == 1


def test_backups_dialog_lists_and_makes_a_backup(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    db = Database(ui_db_path)
    dlg = BackupsDialog(None, db, ui_app)
    qtbot.addWidget(dlg)
    settle()
    assert dlg.table.rowCount() == 0 and not dlg.restore_button.isEnabled()
    dlg.keep_spin.setValue(3)
    dlg.backup_now()
    settle()
    settle()
    assert dlg.table.rowCount() == 1 == len(backup.list_backups(ui_db_path))
    assert dlg.table.item(0, 1).text() == "สำรองด้วยตนเอง"
    assert "25" in dlg.table.item(0, 0).text()  # a Buddhist-era year (25xx)
    assert dlg.table.item(0, 2).text().endswith(("กิโลไบต์", "เมกะไบต์"))
    assert backup.keep_setting(db.main) == 3


def test_restore_in_the_app_reopens_the_backup_and_keeps_the_current_file(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    from ui.mainwindow import MainWindow

    window = MainWindow(Database(ui_db_path), ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    assert backup.list_backups(ui_db_path) == []  # the daily backup never runs before the window is in use
    window.daily_backup()  # what the timer calls a little later
    assert window.backup_bar.isVisibleTo(window) and window.backup_stop.isVisibleTo(window)
    settle()
    assert not window.backup_bar.isVisibleTo(window)
    made = backup.list_backups(ui_db_path)
    assert [b.reason for b in made] == ["daily"]
    count = window.db.main.count("household")
    hid = window.db.main.ids("household")[0]
    window.db.main.delete("household", hid)
    assert window.db.main.count("household") == count - 1

    new = window.restore_backup(made[0].path)
    assert new is not None
    qtbot.addWidget(new)
    settle()
    assert window.db.closed and new.db.main.count("household") == count
    assert list(ui_db_path.parent.glob(ui_db_path.name + ".replaced-*"))  # the old file kept aside
    assert new.pages["household"].model.rowCount() == count


def test_a_window_closed_while_its_daily_backup_runs_stops_the_backup_and_nothing_touches_it_after(
    qtbot: Any, ui_app: Any, ui_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backup ends on its own thread after the window is gone: nothing may reach the window's
    deleted widgets then (an exception in Qt's event loop), and the backup is asked to stop."""
    import threading

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from ui.mainwindow import MainWindow

    started, release = threading.Event(), threading.Event()
    seen_cancel: list[bool] = []

    def slow_backup(store: Any, *, progress: Any = None, cancelled: Any = None) -> Path | None:
        started.set()
        release.wait(10)
        seen_cancel.append(bool(cancelled and cancelled()))
        if progress:
            progress(1, 1)
        raise backup.BackupCancelled("stopped")

    monkeypatch.setattr(backup, "daily_if_due", slow_backup)
    window = MainWindow(Database(ui_db_path), ui_app)
    window.show()
    window.start()
    settle()
    window.daily_backup()
    assert started.wait(10)
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    release.set()
    tasks.wait_all(10)
    for _ in range(5):  # the task's answer arrives through the event loop
        QApplication.processEvents()
    assert seen_cancel == [True]  # closing asked the backup to stop


def test_a_damaged_database_at_start_up_offers_the_latest_good_backup(tmp_path: Path) -> None:
    path = tmp_path / "field.db"
    with Store(path, user="t") as s:
        good = backup.backup(s, reason="daily")
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # page 1 of the schema destroyed, header kept
    path.write_bytes(bytes(data))
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    with pytest.raises(StoreError) as caught:
        Database(path)
    offer = startup_restore_offer(path, caught.value)
    assert offer is not None and offer.backup == good and offer.problems
    assert path.read_bytes() == bytes(data)  # nothing was created over it

    assert startup_restore_offer(tmp_path / "missing.db", caught.value) is None
    assert startup_restore_offer(path, AccessError("ต้องเข้าสู่ระบบ", "sign in")) is None
    healthy = tmp_path / "ok.db"
    shutil.copyfile(good, healthy)
    assert startup_restore_offer(healthy, StoreError("x", "x")) is None
    shutil.rmtree(backup.backup_dir(path))
    none = startup_restore_offer(path, caught.value)
    assert none is not None and none.backup is None
