"""The sync dialog says in Thai that http:// is not encrypted, and refuses it outside the local
network unless the setting allows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from live_server import fast_settings, shared_app, shared_server

from server import auth
from ui import tasks
from ui.db import Database
from ui.dialogs.sync_dialog import SyncDialog

PASSWORD = "correct horse"


def _dialog(qtbot: Any, ui_app: Any, ui_db_path: Path) -> SyncDialog:
    dlg = SyncDialog(None, Database(ui_db_path), ui_app)
    qtbot.addWidget(dlg)
    dlg.show()
    tasks.wait_all(60)
    return dlg


def _sync(dlg: SyncDialog, url: str, user: str = "admin1") -> None:
    dlg.server_edit.setText(url)
    dlg.user_edit.setText(user)
    dlg.password_edit.setText(PASSWORD)
    dlg.sync_button.click()
    tasks.wait_all(60)


def test_the_warning_shows_for_http_only(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    dlg = _dialog(qtbot, ui_app, ui_db_path)
    dlg.server_edit.setText("https://fieldapp.example.org")
    assert not dlg.http_label.isVisible()
    dlg.server_edit.setText("http://fieldapp.example.org")
    assert dlg.http_label.isVisible() and "ไม่เข้ารหัส" in dlg.http_label.text()


def test_http_outside_the_local_network_is_refused_in_thai_unless_allowed(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    dlg = _dialog(qtbot, ui_app, ui_db_path)
    _sync(dlg, "http://fieldapp.example.org")
    assert dlg.outcome is None and dlg.error is not None
    text = dlg.summary_text()
    assert "http://" in text and "https://" in text and "ไม่เข้ารหัส" in text
    ui_app.set("allow_plain_http", True)
    _sync(dlg, "http://fieldapp.invalid")
    assert dlg.error is not None and "ไม่เข้ารหัส" not in dlg.summary_text()  # tried: no such server


def test_a_sync_over_http_on_the_local_network_ends_with_the_warning(
    qtbot: Any, ui_app: Any, ui_db_path: Path, tmp_path: Path
) -> None:
    settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
    app = shared_app(settings)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, settings, "admin1", "admin", [], PASSWORD)
    dlg = _dialog(qtbot, ui_app, ui_db_path)
    _sync(dlg, shared_server(app).url)
    assert dlg.error is None and dlg.outcome is not None
    assert "ไม่เข้ารหัส" in dlg.summary_text()
    app.state.engine.dispose()
