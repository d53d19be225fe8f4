"""The main window: a thin shell around the navigator, the lists and the summary."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QToolBar, QWidget

from fieldapp import drafts
from ui.db import Database
from ui.dialogs import geometry
from ui.dialogs.drafts_dialog import show_drafts
from ui.dialogs.record_editor import RecordEditorDialog, show_record_editor
from ui.dialogs.settings_dialog import show_settings
from ui.i18n import tr
from ui.listpage import ListPage
from ui.navigator import AreaNavigator
from ui.settings import Settings
from ui.summary import HouseholdSummary

FORMS = ("household", "business", "referral")


class MainWindow(QMainWindow):
    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.editors: list[RecordEditorDialog] = []
        self.setWindowTitle(tr("fieldapp - household and local business data"))

        self.navigator = AreaNavigator(db)
        self.pages: dict[str, ListPage] = {f: ListPage(db, f) for f in FORMS}
        self.tabs = QTabWidget()
        titles = {"household": tr("Households"), "business": tr("Local businesses"),
                  "referral": tr("Assistance and referrals")}
        for f, page in self.pages.items():
            self.tabs.addTab(page, titles[f])
            page.open_requested.connect(self.open_record)
            page.current_changed.connect(self._current_changed)
        self.summary = HouseholdSummary(db)
        self.summary.edit_requested.connect(lambda hid: self.open_record("household", hid))
        self.summary.referral_requested.connect(self.new_referral)
        self.navigator.area_selected.connect(self._area)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.summary)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([230, 820, 430])
        self.setCentralWidget(self.splitter)
        self._actions()
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label)
        self.statusBar().showMessage(tr("Database: {path}", path=str(db.path)))
        if not geometry.restore(self, settings, "main"):
            self.resize(1480, 900)

    def _actions(self) -> None:
        bar = QToolBar(tr("Main tools"))
        bar.setObjectName("main_tools")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)

        def act(text: str, slot: Any, shortcut: QKeySequence | str | None = None) -> QAction:
            a = QAction(text, self)
            a.triggered.connect(slot)
            if shortcut is not None:
                a.setShortcut(shortcut)
            bar.addAction(a)
            return a

        self.new_household_action = act(tr("+ New household"), lambda: self.new_record("household"),
                                        QKeySequence.StandardKey.New)
        self.new_business_action = act(tr("+ New business"), lambda: self.new_record("business"))
        self.new_referral_action = act(tr("+ Assistance / referral"), lambda: self.new_referral(
            self.pages["household"].current_id()))
        bar.addSeparator()
        self.open_action = act(tr("Open"), self._open_current, "Return")
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.drafts_action = act(tr("Drafts"), self.offer_drafts)
        self.settings_action = act(tr("Settings"), self.open_settings)
        self.find_action = QAction(tr("Search"), self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.triggered.connect(self._focus_search)
        self.addAction(self.find_action)

    # ------------------------------------------------------------------ data
    def start(self) -> None:
        w = max(self.width(), 1000)
        self.splitter.setSizes([int(w * 0.16), int(w * 0.56), int(w * 0.28)])
        self.navigator.reload()
        for page in self.pages.values():
            page.apply_filters()

    def refresh(self, form_id: str | None = None, record_id: str | None = None) -> None:
        self.navigator.reload()
        for f, page in self.pages.items():
            if form_id is None or f == form_id or f == "household":
                page.model.refresh()
        if form_id == "household" and record_id:
            self.summary.show_household(record_id)

    def _area(self, area: str | None, village: int | None) -> None:
        for page in self.pages.values():
            page.set_area(area, village)

    def _current_changed(self, form_id: str, record_id: str | None) -> None:
        if form_id == "household" and self.tabs.currentWidget() is self.pages["household"]:
            self.summary.show_household(record_id)

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
    def _editor(self, dlg: RecordEditorDialog) -> RecordEditorDialog:
        self.editors.append(dlg)
        dlg.saved.connect(self.refresh)
        dlg.finished.connect(lambda _r, d=dlg: self.editors.remove(d) if d in self.editors else None)
        dlg.destroyed.connect(lambda _o=None, d=dlg: self.editors.remove(d) if d in self.editors else None)
        return dlg

    def open_record(self, form_id: str, record_id: str) -> RecordEditorDialog:
        return self._editor(show_record_editor(self, self.db, self.settings, form_id, record_id))

    def new_record(self, form_id: str, initial: dict[str, Any] | None = None) -> RecordEditorDialog:
        return self._editor(show_record_editor(self, self.db, self.settings, form_id, None, initial))

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
        return self._editor(show_record_editor(self, self.db, self.settings, chosen.form_id, chosen.record_id,
                                               chosen.data, chosen.key))

    def offer_drafts_at_start(self) -> None:
        if drafts.list_drafts(self.db.main):
            self.offer_drafts()

    def open_settings(self) -> None:
        changed = show_settings(self, self.settings)
        if not changed:
            return
        if "font_size" in changed:
            from ui.app import apply_font

            apply_font(int(changed["font_size"]))
        if "language" in changed:
            QMessageBox.information(self, tr("Settings"), tr("The new language is used after a restart."))

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        for dlg in list(self.editors):
            dlg.keep_draft_now()
        geometry.remember(self, self.settings, "main")
        super().closeEvent(event)


def current_editor(window: MainWindow) -> QWidget | None:
    return window.editors[-1] if window.editors else None
