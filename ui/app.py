"""Start-up: font, locale, translations, database, single-instance lock, main window, screenshots."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from fieldapp import config, resources
from fieldapp.errors import FieldAppError
from ui import i18n, tasks
from ui.db import Database, InstanceLock
from ui.errors import message_for
from ui.i18n import tr
from ui.settings import QSettingsStorage, Settings

FONT_FAMILY = "Sarabun"
VIEWS = (
    "households",
    "businesses",
    "referrals",
    "search",
    "editor",
    "members",
    "business",
    "referral",
    "drafts",
    "sync",
    "report",
    "area-report",
    "import",
    "export",
    "backups",
)
DIALOG_VIEWS = ("sync", "report", "area-report", "import", "export", "backups")  # ui/dialogs/views.py

STYLE = """
QWidget { color: #1d1d1b; }
QMainWindow, QDialog { background: #f7f5f0; }
QLabel#heading { font-size: %(big)dpt; font-weight: bold; color: #1f4e45; padding: 4px 0; }
QLabel#question { font-weight: bold; }
QLabel#hint { color: #5d5a55; }
QLabel#note { background: #fffbe8; border: 1px solid #e5d9a8; padding: 10px; }
QLabel#banner { background: #eef4ff; border: 1px solid #a9c2ee; padding: 8px; }
QLabel#calculated { color: #1f4e45; font-weight: bold; padding: 4px 0; }
QLabel#problem[state="bad"], QLabel#feedback[state="bad"], QLabel#classline[state="bad"] { color: #b3261e; }
QLabel#problem[state="warn"] { color: #9a5b00; }
QLabel#feedback[state="ok"] { color: #1e7b3a; }
QLabel#classline { font-size: %(big)dpt; font-weight: bold; }
QLabel#thumb { border: 1px dashed #a8a49c; color: #77736c; }
QLineEdit, QPlainTextEdit, QComboBox, QDateEdit, QSpinBox {
    background: white; border: 1px solid #a8a49c; border-radius: 4px; padding: 4px 6px; min-height: 1.6em; }
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QDateEdit:focus { border: 2px solid #1f6f5c; }
QLineEdit[problem="true"], QDateEdit[problem="true"], QComboBox[problem="true"] { border: 2px solid #b3261e; }
QPushButton { padding: 6px 14px; border: 1px solid #8f8a80; border-radius: 5px; background: #ffffff; }
QPushButton:hover { background: #eef3f1; }
QPushButton#primary { background: #1f6f5c; color: white; border-color: #1f6f5c; font-weight: bold; }
QPushButton:disabled { color: #a09c94; background: #ebe8e1; border: 1px dashed #c4bfb5; }
QPushButton#primary:disabled { background: #d5d1c8; color: #f4f2ee; border: 1px dashed #b9b4aa; font-weight: normal; }
QToolButton:disabled { color: #a09c94; }
QRadioButton:disabled, QCheckBox:disabled, QLabel:disabled { color: #a09c94; }
QLineEdit:disabled, QComboBox:disabled, QDateEdit:disabled, QSpinBox:disabled { background: #ebe8e1; color: #8c887f; }
QToolBar { spacing: 6px; padding: 4px; background: #ece8df; border: none; }
QToolButton { padding: 6px 12px; border-radius: 5px; }
QToolButton:hover { background: #dcd6c9; }
QListWidget#sections::item { padding: 8px 6px; }
QListWidget#sections::item:selected { background: #1f6f5c; color: white; }
QTableView { background: white; alternate-background-color: #f4f2ec; gridline-color: #e2ded5;
    selection-background-color: #1f6f5c; selection-color: white; }
QHeaderView::section { background: #ece8df; padding: 6px; border: none; border-right: 1px solid #d6d1c6;
    font-weight: bold; }
QTabBar::tab { padding: 8px 18px; }
QTabBar::tab:selected { font-weight: bold; }
"""


def load_fonts() -> list[str]:
    families: list[str] = []
    for path in sorted(resources.fonts_dir().glob("*.ttf")):
        fid = QFontDatabase.addApplicationFont(str(path))
        if fid >= 0:
            families += QFontDatabase.applicationFontFamilies(fid)
    return sorted(set(families))


def apply_font(size: int) -> None:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    font = QFont(FONT_FAMILY)
    font.setPointSize(size)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyleSheet(STYLE % {"big": size + 3})


def setup_application(argv: Sequence[str], lang: str | None, settings: Settings) -> QApplication:
    """The QApplication with Sarabun, the Thai locale and the translations installed."""
    existing = QApplication.instance()
    if existing is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName("fieldapp")
    QCoreApplication.setApplicationName("fieldapp")
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    load_fonts()
    i18n.set_language(lang or str(settings.get("language")))
    for old in getattr(app, "_fieldapp_translators", []):
        app.removeTranslator(old)
    translator = i18n.qt_translator(app)
    if translator is not None:
        app.installTranslator(translator)
    app._fieldapp_translators = [translator] if translator is not None else []  # type: ignore[attr-defined]
    apply_font(int(settings.get("font_size")))
    return app


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="fieldapp", description="fieldapp desktop")
    p.add_argument("--db", type=Path, default=None, help="database file (default: the user's data folder)")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help="language: th (default) or en")
    p.add_argument("--screenshot", type=Path, default=None, help="render a view to this PNG and exit")
    p.add_argument("--view", choices=VIEWS, default="households", help="the view for --screenshot")
    p.add_argument("--size", default="1480x900", help="window size for --screenshot (WxH)")
    p.add_argument(
        "--quit-after-show",
        action="store_true",
        help="open the main window, print the start-up time and quit (for benchmarks)",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation on a temporary database (works headless) and exit",
    )
    return p.parse_args(list(argv))


def open_window(db_path: Path, settings: Settings, user: str | None = None) -> tuple[object, Database]:
    from ui.mainwindow import MainWindow

    db = Database(db_path, user=user)
    window = MainWindow(db, settings)
    return window, db


LAST_USER_KEY = "signin_user"


def sign_in_if_encrypted(db_path: Path, settings: Settings | None = None) -> tuple[bool, str | None]:
    """(go on, signed-in user): an encrypted database asks for a user and passphrase first; the user
    who signed in last on this laptop is chosen already."""
    from fieldapp import crypto

    if not crypto.is_encrypted(db_path):
        return True, None
    from ui.dialogs.signin import show_signin

    last = settings.state(LAST_USER_KEY) if settings is not None else None
    signed = show_signin(None, db_path, user=str(last) if last else None)
    if signed is not None and settings is not None:
        settings.set_state(LAST_USER_KEY, signed.user)
    return (signed is not None), (signed.user if signed is not None else None)


class SessionControl:
    """Lock and sign out for an encrypted database: after the idle time or a sleep, at once from the
    User menu ("Lock now"), or "Sign out" so that another person signs in with their own name.

    A lock hides the window and asks the signed-in user's passphrase again, saying why; a sign-out
    closes the window (open editors keep their drafts) and opens it again for whoever signs in.
    """

    def __init__(self, app: QApplication, db_path: Path, settings: Settings) -> None:
        self.app = app
        self.db_path = db_path
        self.settings = settings
        self.window: Any = None
        self.db: Database | None = None
        self.user: str | None = None
        self.filter: QObject | None = None

    def attach(self, window: Any, db: Database, user: str | None) -> None:
        """Watch ``window``: the User menu, and the idle lock when the database sets one."""
        from fieldapp import session
        from ui.dialogs.signin import IdleLockFilter

        self.window, self.db, self.user = window, db, user
        menu = window.menuBar().addMenu(tr("&User"))
        lock_action = menu.addAction(tr("Lock now"))
        lock_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        lock_action.triggered.connect(self.lock_now)
        out_action = menu.addAction(tr("Sign out"))
        out_action.triggered.connect(self.sign_out)
        window.lock_action, window.sign_out_action = lock_action, out_action
        if self.filter is not None:
            self.app.removeEventFilter(self.filter)
            self.filter.deleteLater()
            self.filter = None
        minutes = session.idle_minutes(db.main)
        if minutes > 0:
            self.filter = IdleLockFilter(
                minutes,
                lambda: self.lock(
                    tr(
                        "Locked after {n} minutes without use, to keep the households' data safe. Sign in "
                        "to go on.",
                        n=minutes,
                    )
                ),
                self.app,
            )
            self.app.installEventFilter(self.filter)

    def lock_now(self) -> None:
        self.lock(tr("Locked. Sign in to go on."))

    def lock(self, reason: str) -> None:
        from fieldapp import session
        from ui.dialogs.signin import show_signin

        self.window.hide()
        session.lock(self.db_path)
        signed = show_signin(None, self.db_path, reason=reason, user=self.user)
        if signed is None:
            self.app.quit()
            return
        if signed.user != self.user:  # someone else signed in: the window is theirs now
            self._reopen(signed.user)
            return
        self.window.show()

    def sign_out(self) -> None:
        from fieldapp import session
        from ui.dialogs.signin import show_signin

        self.app.setQuitOnLastWindowClosed(False)
        try:
            self.window.close()
            if self.window.isVisible():  # closing was refused
                return
            session.lock(self.db_path)
            signed = show_signin(None, self.db_path, reason=tr("Signed out. The next person signs in with their own name."))
            if signed is None:
                self.app.quit()
                return
            self._reopen(signed.user, closed=True)
        finally:
            self.app.setQuitOnLastWindowClosed(True)

    def _reopen(self, user: str, closed: bool = False) -> None:
        if not closed:
            self.window.close()
        if self.db is not None:
            tasks.wait_all(10)
            self.db.close_all()
        window, db = open_window(self.db_path, self.settings, user)
        self.attach(window, db, user)
        window.show()  # type: ignore[attr-defined]
        window.start()  # type: ignore[attr-defined]


def install_session(app: QApplication, window: object, db: Database, db_path: Path, settings: Settings,
                    user: str | None) -> SessionControl | None:
    """Lock and sign-out for an encrypted database (a plain one has no sign-in)."""
    from fieldapp import crypto

    if not crypto.is_encrypted(db_path):
        return None
    control = SessionControl(app, db_path, settings)
    control.attach(window, db, user)
    app._fieldapp_session = control  # type: ignore[attr-defined]
    return control


def run(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from ui.selftest import run_self_test

        return run_self_test()
    screenshot = args.screenshot is not None
    settings = Settings({} if screenshot or args.quit_after_show else QSettingsStorage())
    app = setup_application([sys.argv[0]], args.lang, settings)
    db_path = config.database_path(args.db)
    lock = InstanceLock(db_path)
    if not lock.acquire():
        QMessageBox.critical(None, tr("fieldapp is already open"), InstanceLock.refusal_message(db_path))
        return 3
    try:
        go_on, user = (True, None) if screenshot else sign_in_if_encrypted(db_path, settings)
        if not go_on:
            return 0
        try:
            window, _db = open_window(db_path, settings, user)
        except FieldAppError as exc:
            from ui.dialogs.backups_dialog import offer_restore_at_start

            window = None
            if not screenshot and offer_restore_at_start(None, db_path, exc):
                try:
                    window, _db = open_window(db_path, settings, user)
                except FieldAppError as exc2:
                    exc = exc2
            if window is None:
                QMessageBox.critical(None, tr("Database problem"), message_for(exc))
                return 2
        from ui.mainwindow import MainWindow

        assert isinstance(window, MainWindow)
        if screenshot:
            return take_screenshot(window, args.view, args.screenshot, args.size)
        window.show()
        window.start()
        install_session(app, window, _db, db_path, settings, user)
        if args.quit_after_show:
            _settle()
            if sys.stdout is not None:
                print(f"main window shown in {time.perf_counter() - started:.2f} s", flush=True)
            window.close()
            tasks.wait_all(10)
            return 0
        window.statusBar().showMessage(
            tr(
                "Ready in {seconds} s - database: {path}",
                seconds=f"{time.perf_counter() - started:.2f}",
                path=str(db_path),
            ),
            15000,
        )
        window.offer_drafts_at_start()
        code = app.exec()
        tasks.wait_all(10)
        return int(code)
    finally:
        lock.release()


def _settle(rounds: int = 3) -> None:
    for _ in range(rounds):
        tasks.wait_all()
        QApplication.processEvents()


def take_screenshot(window: object, view: str, out: Path, size: str) -> int:
    """Render ``view`` with the current data to ``out`` (PNG) and return 0."""
    from ui.mainwindow import MainWindow

    assert isinstance(window, MainWindow)
    w, _, h = size.partition("x")
    window.resize(int(w), int(h))
    window.show()
    window.start()
    _settle()
    target: QWidget = window
    hh = window.pages["household"]
    if view in ("households", "search"):
        if view == "search":
            hh.search.setText("บุญ")
            hh.apply_filters()
            _settle()
        if hh.model.rowCount():
            hh.table.selectRow(0)
        _settle()
    elif view in DIALOG_VIEWS:
        from ui.dialogs.views import dialog_view

        target = dialog_view(window, view, int(w), int(h))
    elif view == "businesses":
        window.tabs.setCurrentWidget(window.pages["business"])
    elif view == "referrals":
        window.tabs.setCurrentWidget(window.pages["referral"])
    elif view in ("editor", "members", "business", "referral"):
        form_id = {"business": "business", "referral": "referral"}.get(view, "household")
        page = window.pages[form_id]
        _settle()
        rid = page.model.id_at(0)
        dlg = window.open_record(form_id, rid) if rid else window.new_record(form_id)
        dlg.resize(int(w) - 180, int(h) - 40)
        section = {"editor": "address", "members": "members", "business": "employment"}.get(view)
        for i, s in enumerate(dlg.form.sections):
            if s.id == section:
                dlg.editor.go_to(i)
        target = dlg
    _settle()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = target.grab().save(str(out), "PNG", 9)
    return 0 if ok else 1
