"""Sign-in to an encrypted database, and locking after an idle time or sleep.

``show_signin(parent, db_path)`` asks for the user and passphrase until the key unwraps (or the
person cancels) and returns ``fieldapp.crypto.Unlocked``; a wrong passphrase, a wait after repeated
failures and a damaged file each get their own message. ``IdleLockFilter`` watches input and calls
``on_lock`` after the idle time (``fieldapp.session.idle_minutes``) or when the laptop wakes up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from fieldapp import crypto, session
from fieldapp.errors import AccessError, FieldAppError
from ui.i18n import tr

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class SignInDialog(QDialog):
    def __init__(self, parent: QWidget | None, db_path: str | Path) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.result_session: crypto.Unlocked | None = None
        self.setWindowTitle(tr("Sign in"))
        form = QFormLayout(self)
        self.users = QComboBox()
        for u in session.users(self.db_path):
            role = crypto.ROLE_NAMES_TH.get(u["role"], u["role"])
            self.users.addItem(f"{u['display_name'] or u['user']} ({role})", u["user"])
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        form.addRow(tr("User"), self.users)
        form.addRow(tr("Passphrase"), self.passphrase)
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._wait = QTimer(self)
        self._wait.setSingleShot(True)
        self._wait.timeout.connect(lambda: self.ok_button.setEnabled(True))
        self._hold(crypto.seconds_to_wait(self.db_path))

    def _hold(self, seconds: float) -> None:
        if seconds > 0:
            self.ok_button.setEnabled(False)
            self._wait.start(int(seconds * 1000) + 100)

    def try_sign_in(self) -> None:
        user = self.users.currentData()
        try:
            self.result_session = session.sign_in(self.db_path, user, self.passphrase.text())
        except AccessError as exc:  # the Thai message of the core: wrong passphrase, or wait
            self.message.setText(exc.message)
            self.passphrase.clear()
            self._hold(exc.wait_seconds)
            return
        except FieldAppError as exc:  # a damaged database or key file
            self.message.setText(exc.message)
            return
        self.accept()


def show_signin(parent: QWidget | None, db_path: str | Path) -> crypto.Unlocked | None:
    """Ask until the key unwraps; None when the person cancels. A plain database needs no sign-in."""
    if not crypto.is_encrypted(db_path):
        return None
    dlg = SignInDialog(parent, db_path)
    dlg.exec()
    return dlg.result_session


class IdleLockFilter(QObject):
    """Install on the QApplication: input resets the idle clock; a timer locks when it runs out."""

    def __init__(self, minutes: int, on_lock: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.idle = session.IdleLock(minutes)
        self.on_lock = on_lock
        self.timer = QTimer(self)
        self.timer.setInterval(15_000)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT_EVENTS:
            self.idle.touch()
        return False

    def _tick(self) -> None:
        if self.idle.tick():
            self.idle.touch()
            self.on_lock()
