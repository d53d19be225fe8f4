"""The main window: a thin shell around the navigator, the lists and the summary."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp import backup, drafts, practice, schema
from fieldapp.errors import FieldAppError
from fieldapp.sync.outbox import sync_status

from . import tasks
from .db import Database, InstanceLock
from .dialogs import geometry
from .dialogs.backups_dialog import BackupsDialog, show_backups
from .dialogs.conflict_dialog import ConflictDialog, ConflictsDialog, show_conflict, show_conflicts
from .dialogs.drafts_dialog import show_drafts
from .dialogs.export_dialog import ExportDialog, show_export
from .dialogs.history_dialog import HistoryDialog, show_history
from .dialogs.import_wizard import ImportWizard, show_import
from .dialogs.report_preview import ReportPreviewDialog, ReportRequest, area_request, show_report
from .dialogs.settings_dialog import show_settings
from .dialogs.sync_dialog import SyncDialog, record_title, show_sync, status_line
from .dialogs.visits_dialog import VisitsDialog, show_visits
from .editor.window import RecordEditorDialog, show_record_editor
from .errors import show_error
from .firststart import FirstStart
from .i18n import tr
from .listpage import ListPage
from .navigator import AreaNavigator
from .settings import Settings
from .summary import HouseholdSummary

FORMS = ("household", "business", "referral")
BACKUP_CHECK_MS = 60 * 60 * 1000  # daily backups are checked hourly while the program runs
BACKUP_START_DELAY_MS = 20_000  # and first this long after the window appears
VISITED_BY = "visited_by"  # the household form's visitor, filled in with the signed-in user
log = logging.getLogger("fieldapp.ui")
_reopened: list[MainWindow] = []  # windows opened after a restore (kept alive)


class MainWindow(FirstStart):
    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.editors: list[RecordEditorDialog] = []
        # a practice database (fieldapp.practice) is marked everywhere and never synced
        self.practice = practice.is_practice(db.path)
        self.db_lock: InstanceLock | None = None  # the practice database's lock (the real one: ui.app)
        self.practice_task: tasks.Task[Path] | None = None
        self.setWindowTitle(
            tr("PRACTICE database (example data, not real) - fieldapp")
            if self.practice
            else tr("fieldapp - household and local business data")
        )

        self.navigator = AreaNavigator(db)
        self._build_pages()
        self._build_summary()
        self._build_splitter()
        self._actions()
        self._build_status_bar()
        self.conflict_count = 0
        self.backup_timer = QTimer(self)
        self.backup_timer.setInterval(BACKUP_CHECK_MS)
        self.backup_timer.timeout.connect(self.daily_backup)
        self._build_backup_progress()
        self.backup_task: tasks.Task[Path | None] | None = None
        self.db_closed = False
        self.statusBar().showMessage(tr("Database: {path}", path=str(db.path)))
        geometry.open_sized(self, settings, "main", 1480, 900, maximise_on_small=True)

    def _build_pages(self) -> None:
        """A tab with the list of each form: the bundled ones, then any installed into this
        database (fieldapp forms add)."""
        db = self.db
        form_ids = [*FORMS, *(f.id for f in db.main.forms if f.id not in FORMS)]
        self.pages: dict[str, ListPage] = {f: ListPage(db, f) for f in form_ids}
        self.tabs = QTabWidget()
        titles = {
            "household": tr("Households"),
            "business": tr("Local businesses"),
            "referral": tr("Assistance and referrals"),
        }
        for f in form_ids[len(FORMS) :]:
            titles[f] = db.main.forms[f].title_of("th")
        for f, page in self.pages.items():
            self._add_page(page, titles[f])

    def _build_summary(self) -> None:
        """The record shown on the right (a household's summary on the households tab), and what
        it and the area tree ask of the window."""
        self.summary = HouseholdSummary(self.db)
        self.summary.edit_requested.connect(self.open_record)
        self.summary.referral_requested.connect(self.new_referral)
        self.summary.report_requested.connect(self.open_report)
        self.summary.next_round_requested.connect(self.start_next_round)
        self.summary.round_requested.connect(self.show_round)
        self.summary.history_requested.connect(self.open_history)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.navigator.area_selected.connect(self._area)
        self.navigator.report_requested.connect(self.open_area_report)

    def _build_splitter(self) -> None:
        """Area tree, lists and summary side by side; under a banner for a practice database."""
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.summary)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)  # the area tree never collapses to nothing
        self.navigator.setMinimumWidth(self.fontMetrics().horizontalAdvance("ก" * 9))
        self.summary.setMinimumWidth(self.fontMetrics().horizontalAdvance("ก" * 14))
        self.splitter.setSizes([230, 820, 430])
        if self.practice:
            central = QWidget()
            column = QVBoxLayout(central)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(self._practice_banner(self.open_real))
            column.addWidget(self.splitter, 1)
            self.setCentralWidget(central)
        else:
            self.setCentralWidget(self.splitter)

    def _build_status_bar(self) -> None:
        """Messages, the practice mark and the count of changes not yet sent."""
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label)
        if self.practice:
            mark = QLabel(tr("PRACTICE"))
            mark.setObjectName("practice_mark")
            mark.setToolTip(tr("Practice database: example households, not real data"))
            self.statusBar().addPermanentWidget(mark)
        self.sync_status = QPushButton()
        self.sync_status.setFlat(True)
        self.sync_status.setToolTip(tr("Records changed on this laptop and not yet sent to the server"))
        self.sync_status.clicked.connect(self._sync_status_clicked)
        self.statusBar().addPermanentWidget(self.sync_status)

    def _build_backup_progress(self) -> None:
        """A backup of a large database runs in the background with its progress and a way to stop it."""
        self.backup_bar = QProgressBar()
        self.backup_bar.setMaximumWidth(160)
        self.backup_bar.setFormat(tr("Backing up %p%"))
        self.backup_stop = QPushButton(tr("Stop the backup"))
        self.backup_stop.setFlat(True)
        self.backup_stop.clicked.connect(lambda: self.backup_task.cancel() if self.backup_task else None)
        for w in (self.backup_bar, self.backup_stop):
            w.hide()
            self.statusBar().addPermanentWidget(w)

    def _add_page(self, page: ListPage, title: str) -> None:
        self.tabs.addTab(page, title)
        page.open_requested.connect(self.open_record)
        page.current_changed.connect(self._current_changed)
        page.report_requested.connect(self.open_report)
        page.conflict_requested.connect(self.open_conflict)
        page.action_requested.connect(self._guidance_action)
        page.guidance.set_practice(self.practice)

    def _synced(self) -> None:
        self.take_new_forms()
        self.refresh()

    def take_new_forms(self) -> list[str]:
        """Show the forms installed since the window opened (a sync installs the server's forms):
        a tab each, and the action for a new record of the form shown. Returns their ids."""
        self.db.reload_forms()
        added = [f.id for f in self.db.main.forms if f.id not in self.pages]
        for form_id in added:
            page = self.pages[form_id] = ListPage(self.db, form_id)
            self._add_page(page, self.db.main.forms[form_id].title_of("th"))
        self.new_installed_action.setVisible(len(self.pages) > len(FORMS))
        return added

    def _actions(self) -> None:
        bar = QToolBar(tr("Main tools"))
        bar.setObjectName("main_tools")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        self._tool_actions(bar)
        self._zoom_actions()
        self.settings_action = self._tool_action(bar, tr("Settings"), self.open_settings)
        self._menu_actions()
        self._menus()
        if self.practice:  # example data never goes to the server
            for a in (self.sync_action, self.sync_menu_action):
                a.setEnabled(False)
                a.setToolTip(tr("The practice database is never synced"))

    def _tool_action(
        self,
        bar: QToolBar,
        text: str,
        slot: Any,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        """An action on the tool bar; its shortcut, if any, shown in its tooltip."""
        a = QAction(text, self)
        a.triggered.connect(slot)
        if shortcut is not None:
            a.setShortcut(shortcut)
            keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            a.setToolTip(f"{text.lstrip('+ ')} ({keys})")
        bar.addAction(a)
        return a

    def _tool_actions(self, bar: QToolBar) -> None:
        """The tool bar: new records, open and drafts, sync, reports and visits."""

        def act(
            text: str, slot: Any, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None
        ) -> QAction:
            return self._tool_action(bar, text, slot, shortcut)

        self.new_household_action = act(
            tr("+ New household"), lambda: self.new_record("household"), QKeySequence.StandardKey.New
        )
        self.new_business_action = act(tr("+ New business"), lambda: self.new_record("business"))
        self.new_referral_action = act(
            tr("+ Assistance / referral"), lambda: self.new_referral(self.pages["household"].current_id())
        )
        # installed forms: a new record of the form shown (hidden while there is none)
        self.new_installed_action = act(tr("+ New record of this form"), self.new_record_of_current_form)
        self.new_installed_action.setVisible(len(self.pages) > len(FORMS))
        bar.addSeparator()
        self.open_action = act(tr("Open"), self._open_current, "Return")
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.drafts_action = act(tr("Drafts"), self.offer_drafts)
        bar.addSeparator()
        self.sync_action = act(tr("Sync"), self.open_sync, "Ctrl+Shift+S")
        self.report_action = act(tr("Report"), self.report_current, "Ctrl+P")
        self.visits_action = act(tr("Visits due"), self.open_visits)
        self.visits_action.setToolTip(tr("Follow-up visits due this week and overdue, in the area chosen on the left"))

    def _zoom_actions(self) -> None:
        """Larger and smaller text anywhere in the program (Ctrl+= / Ctrl++, Ctrl+-, Ctrl+0)."""
        self.zoom_actions = []
        for keys, step in (("Ctrl+=", 1), ("Ctrl++", 1), ("Ctrl+-", -1), ("Ctrl+0", 0)):
            z = QAction(self)
            z.setShortcut(keys)
            z.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            z.triggered.connect(lambda _c=False, st=step: self.zoom(st))
            self.addAction(z)
            self.zoom_actions.append(z)

    def _menu_actions(self) -> None:
        """The actions found only in the menus (and the search shortcut)."""
        self.find_action = QAction(tr("Search"), self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._focus_search)
        self.addAction(self.find_action)
        self.conflicts_action = QAction(tr("Conflicts from sync..."), self)
        self.conflicts_action.triggered.connect(self.open_conflicts)
        self.import_action = QAction(tr("Import a list (Excel / CSV)..."), self)
        self.import_action.triggered.connect(self.open_import)
        self.export_action = QAction(tr("Export data..."), self)
        self.export_action.triggered.connect(self.open_export)
        self.backups_action = QAction(tr("Backups and restore..."), self)
        self.backups_action.triggered.connect(self.open_backups)
        self.area_report_action = QAction(tr("Area report (area chosen on the left)"), self)
        self.area_report_action.triggered.connect(
            lambda: self.open_area_report(*self.navigator.current_area())
        )
        self.household_report_action = QAction(tr("Household report"), self)
        self.household_report_action.triggered.connect(lambda: self._report_of_page("household"))
        self.business_report_action = QAction(tr("Business report"), self)
        self.business_report_action.triggered.connect(lambda: self._report_of_page("business"))
        self.sync_menu_action = QAction(tr("Sync with the server..."), self)
        self.sync_menu_action.triggered.connect(self.open_sync)
        self.welcome_action = QAction(tr("Welcome and first steps..."), self)
        self.welcome_action.triggered.connect(self.open_welcome)
        self.practice_action = QAction(
            tr("Back to the real database") if self.practice else tr("Try the practice database..."), self
        )
        self.practice_action.triggered.connect(self.open_real if self.practice else self.open_practice)
        self.quit_action = QAction(tr("Quit"), self)
        self.quit_action.triggered.connect(self.close)

    def _menus(self) -> None:
        """The menu bar: Data, Sync and Reports."""
        menus = self.menuBar()
        data = menus.addMenu(tr("&Data"))
        data.addAction(self.new_household_action)
        data.addAction(self.new_business_action)
        data.addAction(self.drafts_action)
        self.preview_action = QAction(tr("Preview a form..."), self)
        # not connected straight: triggered() hands the slot its "checked" flag, taken for a path
        self.preview_action.triggered.connect(lambda: self.preview_form())
        data.addAction(self.preview_action)
        data.addSeparator()
        data.addAction(self.import_action)
        data.addAction(self.export_action)
        data.addSeparator()
        data.addAction(self.backups_action)
        data.addAction(self.settings_action)
        data.addAction(self.welcome_action)
        data.addAction(self.practice_action)
        data.addSeparator()
        data.addAction(self.quit_action)
        sync_menu = menus.addMenu(tr("&Sync"))
        sync_menu.addAction(self.sync_menu_action)
        sync_menu.addAction(self.conflicts_action)
        reports = menus.addMenu(tr("&Reports"))
        reports.addAction(self.household_report_action)
        reports.addAction(self.business_report_action)
        reports.addAction(self.area_report_action)
        reports.addSeparator()
        reports.addAction(self.visits_action)

    # ------------------------------------------------------------------ data
    def start(self) -> None:
        w = max(self.width(), 1000)
        self.splitter.setSizes([int(w * 0.16), int(w * 0.56), int(w * 0.28)])
        self.navigator.reload()
        for page in self.pages.values():
            page.apply_filters()
        self.summary.show_area_coverage(*self.navigator.current_area())
        self.update_sync_status()
        # never before the window is in use: the daily backup starts a little after it appears
        QTimer.singleShot(BACKUP_START_DELAY_MS, self, self.daily_backup)  # not once the window is gone
        self.backup_timer.start()

    def refresh(self, form_id: str | None = None, record_id: str | None = None) -> None:
        self.navigator.reload()
        for f, page in self.pages.items():
            if form_id is None or f == form_id or f == "household":
                page.model.refresh()
        if form_id in (None, "household"):
            self.summary.show_area_coverage(*self.navigator.current_area())
        if form_id == "household" and record_id:
            self.summary.show_household(record_id)
        else:  # a referral or a business may change what a household's summary lists
            self.summary.reload()
        self.update_sync_status()

    # ------------------------------------------------------------------ sync
    def update_sync_status(self) -> None:
        db = self.db

        def work(_s: tasks.TaskState) -> dict[str, Any]:
            return sync_status(db.store())

        def done(status: dict[str, Any]) -> None:
            conflicts = sum(status["conflicts"].values())
            self.conflict_count = conflicts
            text, kind = status_line(status)
            self.sync_status.setText(text)
            self.sync_status.setStyleSheet(
                {
                    "bad": "color: #b3261e; font-weight: bold;",
                    "warn": "color: #9a5b00; font-weight: bold;",
                }.get(kind, "")
            )
            self.conflicts_action.setText(tr("Conflicts from sync ({n})...", n=conflicts))
            for dlg in self.findChildren(SyncDialog):  # an open sync dialog shows the same
                if dlg.task is None:
                    dlg.load_outbox()

        if not self.db_closed:
            tasks.Task(work).on_success(done).on_failure(
                lambda exc: log.warning("sync status: %s", exc)
            ).start()

    def _sync_status_clicked(self) -> None:
        if self.practice:
            return
        if self.conflict_count:
            self.open_conflicts()
        else:
            self.open_sync()

    def open_sync(self) -> SyncDialog | None:
        if self.practice:
            QMessageBox.information(
                self,
                tr("Sync"),
                tr("This is the practice database: its example households are never sent to the server. "
                   "Go back to the real database to sync."),
            )
            return None
        dlg = show_sync(self, self.db, self.settings)
        dlg.synced.connect(self._synced)
        dlg.conflicts_requested.connect(self.open_conflicts)
        return dlg

    def open_conflicts(self) -> ConflictsDialog:
        dlg = show_conflicts(self, self.db, self.settings)
        dlg.resolved.connect(lambda f, r: self.refresh(f, r))
        return dlg

    def open_conflict(self, form_id: str, record_id: str) -> ConflictDialog:
        dlg = show_conflict(self, self.db, self.settings, form_id, record_id)
        dlg.resolved.connect(lambda f, r: self.refresh(f, r))
        return dlg

    # ------------------------------------------------------------------ reports
    def open_history(self, form_id: str, record_id: str) -> HistoryDialog:
        """The edit history of a record (ประวัติการแก้ไข), newest first."""
        return show_history(self, self.db, form_id, record_id, self.summary.title.text()
                            if form_id == "household" and record_id == self.summary.household_id else "")

    def open_visits(self) -> VisitsDialog:
        """The visits due in the area chosen on the left (every area this laptop holds when none)."""
        dlg = show_visits(self, self.db, self.settings, *self.navigator.current_area())
        dlg.household_requested.connect(lambda hid: self.open_record("household", hid))
        dlg.referral_requested.connect(lambda rid: self.open_record("referral", rid))
        return dlg

    def open_report(self, form_id: str, record_id: str) -> ReportPreviewDialog:
        title = record_title(self.db.main, form_id, record_id)
        if form_id in ("household", "business"):
            req = ReportRequest(form_id, record_id, title=title)
        else:  # any other form (referrals, installed forms): its answers by section
            req = ReportRequest("record", record_id, title=title, form=form_id)
        return show_report(self, self.db, self.settings, req)

    def open_area_report(self, area: str | None, village: int | None) -> ReportPreviewDialog | None:
        req = area_request(area, village)
        if req is None:
            QMessageBox.information(
                self,
                tr("Area report"),
                tr("Choose a province, district, subdistrict or village on the left first."),
            )
            return None
        return show_report(self, self.db, self.settings, req)

    def _report_of_page(self, form_id: str) -> ReportPreviewDialog | None:
        rid = self.pages[form_id].current_id()
        if not rid:
            QMessageBox.information(self, tr("Report"), tr("Choose a record in the list first."))
            return None
        return self.open_report(form_id, rid)

    def report_current(self) -> ReportPreviewDialog | None:
        page = self.tabs.currentWidget()
        if isinstance(page, ListPage) and page.current_id():
            return self.open_report(page.form.id, page.current_id() or "")
        area, village = self.navigator.current_area()
        if area:
            return self.open_area_report(area, village)
        QMessageBox.information(
            self,
            tr("Report"),
            tr("Choose a record in a list, or an area on the left, then press Report."),
        )
        return None

    # ------------------------------------------------------------------ exchange and backups
    def open_import(self) -> ImportWizard:
        wiz = show_import(self, self.db, self.settings)
        wiz.imported.connect(lambda f: self.refresh(f))
        return wiz

    def open_export(self) -> ExportDialog:
        return show_export(self, self.db, self.settings, self.navigator.current_area()[0])

    def open_backups(self) -> BackupsDialog:
        dlg = show_backups(self, self.db, self.settings)
        dlg.restore_requested.connect(lambda path, d=dlg: self._restore_from(d, path))
        return dlg

    def daily_backup(self) -> None:
        """A backup when the newest is a day old (soon after start-up and hourly), on a connection
        of its own so that saving goes on meanwhile; progress in the status bar, and it can be stopped."""
        db = self.db
        if self.db_closed or self.backup_task is not None or not backup.daily_due(db.main):
            return

        def work(state: tasks.TaskState) -> Path | None:
            def megabytes(done: int, total: int) -> None:  # Qt's progress takes 32-bit numbers
                state.progress(done // 1_000_000, max(total // 1_000_000, 1))

            return backup.daily_if_due(db.store(), progress=megabytes, cancelled=lambda: state.cancelled)

        def progress(done: int, total: int) -> None:
            if isValid(self.backup_bar):
                self.backup_bar.setMaximum(max(total, 1))
                self.backup_bar.setValue(done)

        def finished() -> bool:
            """Whether the window is still there to say so (it may have been closed meanwhile)."""
            self.backup_task = None
            if not (isValid(self) and isValid(self.backup_bar)):
                return False
            self.backup_bar.hide()
            self.backup_stop.hide()
            return True

        def done(path: Path | None) -> None:
            if finished() and path is not None:
                self.statusBar().showMessage(tr("Daily backup made: {name}", name=path.name), 10000)

        def failed(exc: Exception) -> None:
            if not finished():
                if not isinstance(exc, backup.BackupCancelled):
                    log.warning("daily backup failed: %s", exc)
                return
            if isinstance(exc, backup.BackupCancelled):
                self.statusBar().showMessage(
                    tr("The backup was stopped; it will be tried again in an hour."), 15000
                )
                return
            log.warning("daily backup failed: %s", exc)
            message = exc.message if isinstance(exc, FieldAppError) else str(exc)
            self.statusBar().showMessage(tr("The daily backup failed: {why}", why=message), 30000)

        task = tasks.Task(work).on_success(done).on_failure(failed).on_progress(progress)
        self.backup_task = task
        self.backup_bar.setValue(0)
        self.backup_bar.show()
        self.backup_stop.show()
        task.start()

    def _restore_from(self, dialog: QWidget, path: Path) -> MainWindow | None:
        dialog.close()
        return self.restore_backup(Path(path))

    def restore_backup(self, path: Path) -> MainWindow | None:
        """Close every connection, put the backup in place (the current file is kept aside) and open
        the database again in a new window."""
        for dlg in list(self.editors):
            dlg.keep_draft_now()
            dlg.close()
        tasks.wait_all(30)
        self.backup_timer.stop()
        self.db_closed = True
        self.db.close_all()
        failure: Exception | None = None
        try:
            backup.restore(path, self.db.path)
        except Exception as exc:  # shown below; the database stays as it was
            failure = exc
        try:
            window = MainWindow(Database(self.db.path, self.db.user), self.settings)
        except Exception as exc:
            show_error(self, exc)
            return None
        _reopened.append(window)
        window.show()
        window.start()
        self.close()
        if failure is not None:
            show_error(window, failure)
        else:
            window.statusBar().showMessage(tr("Backup restored: {name}", name=path.name), 20000)
        return window

    def _area(self, area: str | None, village: int | None) -> None:
        for page in self.pages.values():
            page.set_area(area, village)
        self.summary.show_area_coverage(area, village)

    def _current_changed(self, form_id: str, record_id: str | None) -> None:
        if self.tabs.currentWidget() is self.pages.get(form_id):
            self.summary.show_record(record_id)

    def _tab_changed(self, _index: int) -> None:
        """The summary speaks of the form whose list is shown, and of its chosen record."""
        page = self.tabs.currentWidget()
        if isinstance(page, ListPage):
            self.summary.show_form(page.form.id)
            self.summary.show_record(page.current_id())

    def _focus_search(self) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, ListPage):
            page.search.setFocus()
            page.search.selectAll()

    def _open_current(self) -> None:
        page = self.tabs.currentWidget()
        if isinstance(page, ListPage) and page.current_id():
            self.open_record(page.form.id, page.current_id() or "")

    # ------------------------------------------------------------------ editors
    def zoom(self, step: int) -> None:
        from .theme import zoom

        size = zoom(self.settings, step)
        self.statusBar().showMessage(tr("Text size: {n} pt", n=size), 4000)

    def record_saved(self, form_id: str, record_id: str) -> None:
        """After a save: a confirmation, the record shown in its list (selected) and the summary."""
        self.refresh(form_id, record_id)
        page = self.pages.get(form_id)
        if page is not None and form_id != "referral":  # a referral is saved from its household: stay
            self.tabs.setCurrentWidget(page)
            page.select_when_loaded(record_id)
        title = record_title(self.db.main, form_id, record_id)
        self.statusBar().showMessage(tr("Saved: {title}", title=title), 15000)

    def _editor(self, dlg: RecordEditorDialog) -> RecordEditorDialog:
        if self.practice:  # the editor fills the screen: it says so too
            dlg.setWindowTitle(tr("PRACTICE - {title}", title=dlg.windowTitle()))
            layout = dlg.layout()
            if isinstance(layout, QVBoxLayout):
                layout.insertWidget(0, self._practice_banner(None))
        self.editors.append(dlg)
        dlg.saved.connect(self.record_saved)
        dlg.report_requested.connect(self.open_report)
        dlg.finished.connect(lambda _r, d=dlg: self.editors.remove(d) if d in self.editors else None)
        dlg.destroyed.connect(lambda _o=None, d=dlg: self.editors.remove(d) if d in self.editors else None)
        return dlg

    def editor_of(self, form_id: str, record_id: str) -> RecordEditorDialog | None:
        """The editor already open on this record, if any."""
        for dlg in self.editors:
            if dlg.form.id == form_id and dlg.record_id == record_id:
                return dlg
        return None

    def open_record(self, form_id: str, record_id: str) -> RecordEditorDialog:
        """One editor per record: a second request brings the open one to the front."""
        open_already = self.editor_of(form_id, record_id)
        if open_already is not None:
            open_already.showNormal() if open_already.isMinimized() else open_already.show()
            open_already.raise_()
            open_already.activateWindow()
            return open_already
        return self._editor(show_record_editor(self, self.db, self.settings, form_id, record_id))

    def new_record(self, form_id: str, initial: dict[str, Any] | None = None) -> RecordEditorDialog:
        if initial is None:
            initial = self.starting_values(form_id)
        return self._editor(show_record_editor(self, self.db, self.settings, form_id, None, initial))

    def preview_form(self, path: Path | None = None) -> Any:
        """Fill in a form from an XLSForm or definition file without saving (a preview)."""
        from PySide6.QtWidgets import QFileDialog

        from fieldapp.errors import FieldAppError

        from .dialogs.form_preview import form_from_file, load_error_box, show_form_preview

        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self, tr("Preview a form..."), "", tr("Forms (*.xlsx *.xls *.yaml *.yml)")
            )
            if not chosen:
                return None
            path = Path(chosen)
        try:
            form, notes = form_from_file(path, self.db.main.forms.choices)
        except FieldAppError as exc:
            load_error_box(self, exc).exec()
            return None
        return show_form_preview(self, self.db, self.settings, form, notes)

    def new_record_of_current_form(self) -> RecordEditorDialog | None:
        """A new record of the form whose list is shown (the way to start one of an installed form)."""
        page = self.tabs.currentWidget()
        for form_id, p in self.pages.items():
            if p is page:
                return self.new_record(form_id)
        return None

    def starting_values(self, form_id: str) -> dict[str, Any]:
        """A new record starts in the subdistrict chosen on the left, else in that of the last record
        saved (with its village); dates declared ``default: today`` are today; the visitor of a
        household is the signed-in user."""
        form = self.db.main.form(form_id)
        data = self.fill_collector(form_id, form.blank())
        if VISITED_BY in form.fields:  # who visits: the signed-in user (else the leader's name)
            data[VISITED_BY] = self.db.user
        field = form.area_field
        if field is None:
            return data
        area, village = self.navigator.current_area()
        if area and len(area) == 6:
            data[field] = area
            if village is not None and schema.VILLAGE_NO in form.fields:
                data[schema.VILLAGE_NO] = village
            return data
        cols = [c for c in (field, schema.VILLAGE_NO, schema.VILLAGE_NAME) if c in form.fields]
        last = self.db.main.list(form_id, columns=cols, order_by="updated_at", descending=True, limit=1)
        if last and last[0].get(field) and (not area or str(last[0][field]).startswith(area)):
            for c in cols:
                data[c] = last[0].get(c)
            return data
        home = str(self.settings.get("home_area"))
        if home and (not area or home.startswith(area)):
            return self.home_values(form_id, data)
        return data

    def start_next_round(self, household_id: str) -> RecordEditorDialog | None:
        """The next survey round of a household in the editor, filled in from this round; the
        questions asked again are empty and marked. Nothing is stored until it is saved."""
        try:
            nxt = self.db.main.start_next_round("household", household_id)
        except FieldAppError as exc:  # already started: said, and the summary offers to open it
            show_error(self, exc)
            self.summary.show_household(household_id)
            return None
        return self.new_record("household", self.fill_collector("household", nxt.doc))

    def show_round(self, household_id: str) -> None:
        """Another survey round of the household shown: selected in the list, in the summary."""
        page = self.pages.get("household")
        if page is not None:
            self.tabs.setCurrentWidget(page)
            page.select_when_loaded(household_id)
        self.summary.show_household(household_id)

    def new_referral(self, household_id: str | None) -> RecordEditorDialog:
        form = self.db.main.form("referral")
        data = form.blank()
        if household_id:
            hh = self.db.main.get("household", household_id)
            data["household_id"] = household_id
            data["subdistrict_code"] = hh.data.get("subdistrict_code")
        return self.new_record("referral", data)

    def offer_drafts(self) -> RecordEditorDialog | None:
        chosen = show_drafts(self, self.db)
        if chosen is None:
            return None
        return self._editor(
            show_record_editor(
                self, self.db, self.settings, chosen.form_id, chosen.record_id, chosen.data, chosen.key
            )
        )

    def offer_drafts_at_start(self) -> None:
        if drafts.list_drafts(self.db.main):
            self.offer_drafts()

    def open_settings(self) -> None:
        changed = show_settings(self, self.settings)
        if not changed:
            return
        if "leader_name" in changed:
            self.db.set_default_user(str(changed["leader_name"]) or None)
        if "font_size" in changed:
            from .theme import apply_font

            apply_font(int(changed["font_size"]))
        if "language" in changed:
            QMessageBox.information(self, tr("Settings"), tr("The new language is used after a restart."))

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        self.backup_timer.stop()
        if not self.db_closed:
            for dlg in list(self.editors):
                dlg.keep_draft_now()
        geometry.remember(self, self.settings, "main")
        super().closeEvent(event)
        if event.isAccepted() and self.backup_task is not None:
            self.backup_task.cancel()  # a backup still running stops; the next start tries again
        if self.db_lock is not None and event.isAccepted():
            if not self.db_closed:
                tasks.wait_all(10)
                self.db_closed = True
                self.db.close_all()
            self.db_lock.release()
            self.db_lock = None


def current_editor(window: MainWindow) -> QWidget | None:
    return window.editors[-1] if window.editors else None
