"""The main window's part for a new leader: the first-start welcome and what it leads to, the
guidance of an empty list, and the practice database (made, opened, marked, left again).

``MainWindow`` takes these from ``FirstStart``; they use the window's database, settings, lists and
editors, declared below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPushButton

from fieldapp import practice, schema

from . import tasks
from .db import Database, InstanceLock
from .dialogs.welcome import WelcomeDialog, needs_welcome, show_welcome
from .errors import show_error
from .i18n import tr
from .settings import Settings

reopened: list[FirstStart] = []  # windows opened on the practice database or back on the real one


class FirstStart(QMainWindow):
    db: Database
    settings: Settings
    practice: bool
    practice_task: tasks.Task[Path] | None
    db_lock: InstanceLock | None
    db_closed: bool
    backup_timer: QTimer
    editors: list[Any]
    pages: dict[str, Any]
    new_record: Callable[..., Any]
    new_referral: Callable[..., Any]
    open_import: Callable[..., Any]
    start: Callable[[], None]

    def home_values(self, form_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new record in the leader's own area and village (the first-start welcome)."""
        form = self.db.main.form(form_id)
        data = self.fill_collector(form_id, form.blank()) if data is None else data
        home = str(self.settings.get("home_area"))
        if form.area_field is None or not home:
            return data
        data[form.area_field] = home
        village_no = int(self.settings.get("home_village_no"))
        if village_no and schema.VILLAGE_NO in form.fields:
            data[schema.VILLAGE_NO] = village_no
        village_name = str(self.settings.get("home_village_name"))
        if village_name and schema.VILLAGE_NAME in form.fields:
            data[schema.VILLAGE_NAME] = village_name
        return data

    def fill_collector(self, form_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """The data collector of a new record is the leader (their name from the welcome or settings)."""
        name = str(self.settings.get("leader_name")).strip()
        if name and schema.COLLECTOR in self.db.main.form(form_id).fields and not data.get(schema.COLLECTOR):
            data[schema.COLLECTOR] = name
        return data

    def offer_welcome_at_start(self) -> WelcomeDialog | None:
        """The welcome on a database without records, until the leader completed it once."""
        if self.practice or not needs_welcome(self.db, self.settings):
            return None
        return self.open_welcome()

    def open_welcome(self) -> WelcomeDialog:
        dlg = show_welcome(self, self.db, self.settings, practice=self.practice)
        dlg.chosen.connect(self._welcome_chosen)
        return dlg

    def _welcome_chosen(self, what: str) -> None:
        if what == "import":
            self.open_import()
        elif what == "household":
            self.new_record("household", self.home_values("household"))
        elif what == "practice":
            self.open_practice()

    def _guidance_action(self, form_id: str, action: str) -> None:
        """A button of an empty list's guidance (ui.guidance)."""
        if action == "new":
            if form_id == "referral":
                self.new_referral(self.pages["household"].current_id())
            else:
                self.new_record(form_id)
        elif action == "import":
            self.open_import()
        elif action == "practice":
            self.open_practice()
        elif action == "welcome":
            self.open_welcome()

    def _practice_banner(self, back: Any) -> QFrame:
        """The orange strip of the practice database; with "back to the real database" in the window."""
        frame = QFrame()
        frame.setObjectName("practice")
        row = QHBoxLayout(frame)
        row.setContentsMargins(10, 6, 10, 6)
        text = QLabel(
            tr("Practice database: the households here are examples. Record real households only in the real "
               "database. Nothing here is synced.")
        )
        text.setWordWrap(True)
        row.addWidget(text, 1)
        if back is not None:
            button = QPushButton(tr("Back to the real database"))
            button.clicked.connect(back)
            row.addWidget(button)
            self.back_to_real_button = button
        return frame

    def open_practice(self) -> tasks.Task[Path] | FirstStart | None:
        """The practice database next to this one: opened when it exists, else made in the background
        (example households in the leader's subdistrict, with progress and Cancel), then opened."""
        if self.practice or self.practice_task is not None:
            return None
        path = practice.practice_path(self.db.path)
        if path.exists():
            return self.switch_database(path)
        real, user = self.db.path, self.db.user
        area = str(self.settings.get("home_area")) or None

        def work(state: tasks.TaskState) -> Path:
            return practice.create(
                real, area=area, user=user, progress=state.progress, cancelled=lambda: state.cancelled
            )

        def done(made: Path) -> None:
            self.practice_task = None
            self.switch_database(made)

        def failed(exc: Exception) -> None:
            self.practice_task = None
            if isinstance(exc, practice.PracticeCancelled):
                self.statusBar().showMessage(tr("The practice database was not made."), 10000)
                return
            show_error(self, exc)

        self.statusBar().showMessage(tr("Making the practice database with example households..."), 10000)
        # another file than this window's database: a reading thread, so saving here goes on meanwhile
        task = (
            tasks.Task(work)
            .with_progress(tr("Making the practice database with example households..."), self)
            .on_success(done)
            .on_failure(failed)
        )
        self.practice_task = task
        return task.start()

    def open_real(self) -> FirstStart | None:
        """From the practice database back to the real one."""
        return self.switch_database(practice.real_path(self.db.path)) if self.practice else None

    def switch_database(self, path: Path) -> FirstStart | None:
        """Open ``path`` in a new window and close this one (open editors keep their drafts), as a
        restore does. The practice database takes its own lock; the real one's is held by ui.app."""
        lock: InstanceLock | None = None
        if practice.is_practice(path):
            lock = InstanceLock(path)
            if not lock.acquire():
                QMessageBox.warning(self, tr("fieldapp is already open"), InstanceLock.refusal_message(path))
                return None
        for dlg in list(self.editors):
            dlg.keep_draft_now()
            dlg.close()
        tasks.wait_all(30)
        try:
            db = Database(path, self.db.signed_in, default_user=str(self.settings.get("leader_name")))
            window = cast(Any, type(self))(db, self.settings)  # the same kind of window
        except Exception as exc:
            if lock is not None:
                lock.release()
            show_error(self, exc)
            return None
        window.db_lock = lock
        self.backup_timer.stop()
        reopened.append(window)
        window.show()
        window.start()
        self.db_closed = True
        self.db.close_all()
        self.close()
        window.statusBar().showMessage(
            tr("Practice database opened: {path}", path=str(path))
            if window.practice
            else tr("Back in the real database: {path}", path=str(path)),
            20000,
        )
        return window

