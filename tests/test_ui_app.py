"""Start-up: single instance per database, command line, screenshots, settings, errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fieldapp.errors import StoreError, ValidationError
from ui import errors, i18n
from ui.db import InstanceLock
from ui.settings import Settings


def test_a_second_instance_on_the_same_database_is_refused_in_thai(ui_app: Any, tmp_path: Path) -> None:
    db = tmp_path / "one.db"
    first = InstanceLock(db)
    assert first.acquire()
    second = InstanceLock(db)
    assert not second.acquire()
    msg = InstanceLock.refusal_message(db)
    assert "เปิดอยู่" in msg and str(db) in msg
    other = InstanceLock(tmp_path / "other.db")
    assert other.acquire()  # another database is fine
    first.release()
    assert second.acquire()
    second.release()
    other.release()


def test_main_renders_a_screenshot_of_the_main_window(ui_app: Any, ui_db_path: Path, tmp_path: Path) -> None:
    import main

    out = tmp_path / "shot.png"
    assert main.main(["--db", str(ui_db_path), "--screenshot", str(out), "--view", "households"]) == 0
    assert out.exists() and out.stat().st_size > 10_000
    i18n.set_language("th")


def test_main_refuses_a_database_already_open(ui_app: Any, ui_db_path: Path, tmp_path: Path,
                                              monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QMessageBox

    import main

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    lock = InstanceLock(ui_db_path)
    assert lock.acquire()
    try:
        assert main.main(["--db", str(ui_db_path), "--screenshot", str(tmp_path / "x.png")]) == 3
    finally:
        lock.release()
    assert shown and "เปิดอยู่" in shown[0]


def test_settings_are_declared_once_with_defaults_and_bounds() -> None:
    s = Settings({})
    assert s.get("language") == "th"
    assert s.get("font_size") == 0  # the text size follows the desktop's setting until zoomed
    s.set("font_size", 99)
    assert s.get("font_size") == 28
    s.storage["settings/show_national_ids"] = "true"
    assert s.get("show_national_ids") is True


def test_errors_become_one_thai_message(ui_app: Any) -> None:
    assert errors.message_for(ValidationError("ข้อมูลผิด", "bad")) == "ข้อมูลผิด"
    assert errors.message_for(StoreError("เปิดไม่ได้", "cannot open")) == "เปิดไม่ได้"
    assert "ฐานข้อมูล" in errors.message_for(sqlite3.OperationalError("database is locked"))
    assert "เกิดข้อผิดพลาด" in errors.message_for(RuntimeError("x"))
