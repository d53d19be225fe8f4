"""Sign-in to an encrypted database, and locking after an idle time or sleep.

``show_signin(parent, db_path)`` asks for the user and passphrase until the key unwraps (or the
person cancels) and returns ``fieldapp.crypto.Unlocked``; a wrong passphrase, a wait after repeated
failures and a damaged file each get their own message. ``IdleLockFilter`` watches input and calls
``on_lock`` after the idle time (``fieldapp.session.idle_minutes``) or when the laptop wakes up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from fieldapp import crypto, session
from fieldapp.errors import AccessError, FieldAppError

from ..errors import message_for
from ..i18n import tr

_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class SignInDialog(QDialog):
    """A heading, the reason for asking (after a lock or a sign-out), the user and the passphrase.

    Focus starts on the passphrase when the user is known (the only one, or the one who was signed
    in), on the user list otherwise. A refused passphrase is cleared and selected, never kept for
    the next try to be appended to; during a wait after repeated failures the field is off and a
    countdown says when to try again.
    """

    def __init__(
        self, parent: QWidget | None, db_path: str | Path, *, reason: str = "", user: str | None = None
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.result_session: crypto.Unlocked | None = None
        self.setWindowTitle(tr("Sign in"))
        lay = QVBoxLayout(self)
        lay.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # rows never squeezed together
        self.heading = QLabel(tr("Sign in to fieldapp"))
        self.heading.setObjectName("heading")
        lay.addWidget(self.heading)
        self.reason = QLabel(reason)
        self.reason.setObjectName("banner")
        self.reason.setWordWrap(True)
        self.reason.setVisible(bool(reason))
        lay.addWidget(self.reason)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.users = QComboBox()
        self.users.setPlaceholderText(tr("Choose your name"))
        known = session.users(self.db_path)
        for u in known:
            role = crypto.ROLE_NAMES_TH.get(u["role"], u["role"])
            self.users.addItem(f"{u['display_name'] or u['user']} ({role})", u["user"])
        chosen = self.users.findData(user) if user else (0 if len(known) == 1 else -1)
        self.users.setCurrentIndex(chosen)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setMinimumWidth(260)
        form.addRow(tr("User"), self.users)
        form.addRow(tr("Passphrase"), self.passphrase)
        lay.addLayout(form)
        self.message = QLabel("")
        self.message.setObjectName("problem")
        self.message.setProperty("state", "bad")
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        lay.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("Sign in"))
        self._wait_until = 0.0
        self._wait_text = ""
        self._wait = QTimer(self)
        self._wait.setInterval(1000)
        self._wait.timeout.connect(self._tick_wait)
        self._hold(crypto.seconds_to_wait(self.db_path))
        self.setMinimumWidth(440)
        (self.passphrase if self.users.currentIndex() >= 0 else self.users).setFocus()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.adjustSize()  # room for the message under the field, never over it

    def _hold(self, seconds: float) -> None:
        """No tries for ``seconds``: the field and the button are off, a countdown is shown."""
        if seconds <= 0:
            return
        import time

        self._wait_until = time.monotonic() + seconds
        self.passphrase.setEnabled(False)
        self.ok_button.setEnabled(False)
        self._wait.start()
        self._tick_wait()

    def _tick_wait(self) -> None:
        import time

        left = int(self._wait_until - time.monotonic() + 0.999)
        if left > 0:
            wait = tr("You can try again in {n} seconds.", n=left)
            self._say(f"{self._wait_text}\n{wait}" if self._wait_text else wait)
            return
        self._wait.stop()
        self.passphrase.setEnabled(True)
        self.ok_button.setEnabled(True)
        self._say(self._wait_text)
        self.passphrase.setFocus()

    def try_sign_in(self) -> None:
        if not self.ok_button.isEnabled():
            return
        user = self.users.currentData()
        if user is None and self.users.count() > 1:
            self._say(tr("Please choose your name first."))
            self.users.setFocus()
            return
        try:
            self.result_session = session.sign_in(self.db_path, user, self.passphrase.text())
        except AccessError as exc:  # the Thai message of the core: wrong passphrase, or wait
            text = message_for(exc)
            if exc.wait_seconds:  # the countdown below says how long, second by second
                text = re.split(r" กรุณารอ|[;:] wait", text)[0]
            self._refused(text)
            self._hold(exc.wait_seconds)
            return
        except FieldAppError as exc:  # a damaged database or key file
            self._refused(message_for(exc))
            return
        self.accept()

    def _refused(self, text: str) -> None:
        self._wait_text = text
        self._say(text)
        self.passphrase.clear()
        self.passphrase.setFocus()


def show_signin(
    parent: QWidget | None, db_path: str | Path, *, reason: str = "", user: str | None = None
) -> crypto.Unlocked | None:
    """Ask until the key unwraps; None when the person cancels. A plain database needs no sign-in."""
    if not crypto.is_encrypted(db_path):
        return None
    dlg = SignInDialog(parent, db_path, reason=reason, user=user)
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
