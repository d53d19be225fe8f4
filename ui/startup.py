"""Start-up: the QApplication (font, locale, translations), the database and its main window,
sign-in for an encrypted database, and lock / sign-out while it is open."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from . import guards, i18n, tasks
from .db import Database
from .i18n import tr
from .settings import Settings
from .theme import apply_font, load_fonts, system_point_size


def setup_application(argv: Sequence[str], lang: str | None, settings: Settings) -> QApplication:
    """The QApplication with Sarabun, the Thai locale and the translations installed."""
    existing = QApplication.instance()
    if existing is None:
        QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName("fieldapp")
    QCoreApplication.setApplicationName("fieldapp")
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    system_point_size()  # remembered before the app's own font replaces the desktop's
    guards.install(app)
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


def open_window(db_path: Path, settings: Settings, user: str | None = None) -> tuple[object, Database]:
    from .mainwindow import MainWindow

    db = Database(db_path, user=user, default_user=str(settings.get("leader_name")))
    window = MainWindow(db, settings)
    return window, db


LAST_USER_KEY = "signin_user"


def sign_in_if_encrypted(db_path: Path, settings: Settings | None = None) -> tuple[bool, str | None]:
    """(go on, signed-in user): an encrypted database asks for a user and passphrase first; the user
    who signed in last on this laptop is chosen already."""
    from fieldapp import crypto

    if not crypto.is_encrypted(db_path):
        return True, None
    from .dialogs.signin import show_signin

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

        from .dialogs.signin import IdleLockFilter

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

        from .dialogs.signin import show_signin

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

        from .dialogs.signin import show_signin

        self.app.setQuitOnLastWindowClosed(False)
        try:
            self.window.close()
            if self.window.isVisible():  # closing was refused
                return
            session.lock(self.db_path)
            signed = show_signin(
                None, self.db_path, reason=tr("Signed out. The next person signs in with their own name.")
            )
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


def install_session(
    app: QApplication, window: object, db: Database, db_path: Path, settings: Settings, user: str | None
) -> SessionControl | None:
    """Lock and sign-out for an encrypted database (a plain one has no sign-in)."""
    from fieldapp import crypto

    if not crypto.is_encrypted(db_path):
        return None
    control = SessionControl(app, db_path, settings)
    control.attach(window, db, user)
    app._fieldapp_session = control  # type: ignore[attr-defined]
    return control


def settle(rounds: int = 3) -> None:
    """Let background tasks finish and the window draw itself (screenshots, timing, self-test)."""
    for _ in range(rounds):
        tasks.wait_all()
        QApplication.processEvents()
