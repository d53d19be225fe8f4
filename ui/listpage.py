"""One list (households, businesses or referrals): search as you type, filters, a paged table."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .db import Database
from .flow import FlowLayout
from .guidance import EmptyGuidance, area_text
from .i18n import label_of, language, tr
from .models import RecordListModel

SEARCH_DELAY_MS = 200


class ListPage(QWidget):
    open_requested = Signal(str, str)  # form id, record id
    current_changed = Signal(str, object)  # form id, record id or None
    report_requested = Signal(str, str)  # form id, record id
    conflict_requested = Signal(str, str)  # form id, record id
    action_requested = Signal(str, str)  # form id, action of the empty list's guidance (ui.guidance)
    _search_timer: QTimer  # made further down in __init__, after the search box that starts it

    def __init__(self, db: Database, form_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.form = db.main.form(form_id)
        self.model = RecordListModel(db, form_id)
        self.area: str | None = None
        self.village: int | None = None
        self._select_after_load: str | None = None
        self._last_current: str | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self._build_search(lay)
        self._build_filters(lay)
        self._build_table()
        self._build_body(lay)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.model.loaded.connect(self._loaded)
        self.model.modelReset.connect(lambda: self.current_changed.emit(self.form.id, None))

    def _build_search(self, lay: QVBoxLayout) -> None:
        """The search box; it filters a moment after the last key."""
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self._placeholder())
        self.search.setAccessibleName(tr("Search"))
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        lay.addWidget(self.search)

    def _build_filters(self, lay: QVBoxLayout) -> None:
        """The filters the form has fields for, then incomplete, not synced and conflicts; they wrap
        at a large text size."""
        bar = FlowLayout()
        self.filter_widgets: list[QWidget] = []
        self.class_combo: QComboBox | None = None
        self.status_combo: QComboBox | None = None
        self.tpmap_box: QCheckBox | None = None
        if "poverty_class" in self.form.fields:
            self.class_combo = QComboBox()
            self.class_combo.addItem(tr("Every class"), None)
            for c in self.form.fields["poverty_class"].choices:
                self.class_combo.addItem(c.label(language()), c.code)
            self.class_combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
            bar.addWidget(self.class_combo)
        if "status" in self.form.fields:
            self.status_combo = QComboBox()
            self.status_combo.addItem(tr("Every status"), None)
            for c in self.form.fields["status"].choices:
                self.status_combo.addItem(c.label(language()), c.code)
            self.status_combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
            bar.addWidget(self.status_combo)
        if "tpmap_target" in self.form.fields:
            self.tpmap_box = QCheckBox(tr("TPMAP target"))
            self.tpmap_box.toggled.connect(lambda _on: self.apply_filters())
            bar.addWidget(self.tpmap_box)
        self.latest_box: QCheckBox | None = None
        if self.form.rounds:  # a household surveyed again is a row per round; this shows one
            self.latest_box = QCheckBox(tr("Latest round only"))
            self.latest_box.setToolTip(tr("Each household once, at its latest survey round"))
            self.latest_box.toggled.connect(lambda _on: self.apply_filters())
            bar.addWidget(self.latest_box)
        self.incomplete_box = QCheckBox(tr("Incomplete"))
        self.unsynced_box = QCheckBox(tr("Not synced"))
        self.conflicts_box = QCheckBox(tr("Conflicts"))
        self.conflicts_box.setToolTip(tr("Records changed here and on the server"))
        for box in (self.incomplete_box, self.unsynced_box, self.conflicts_box):
            box.toggled.connect(lambda _on: self.apply_filters())
            bar.addWidget(box)
        lay.addLayout(bar)

    def _build_table(self) -> None:
        """The records, one a row, sorted by a click on a column; Enter or a double click opens one."""
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 14)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the table (arrows move between rows); it cycled through the cells before
        self.table.setTabKeyNavigation(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._set_widths()
        # ``activated`` comes with a double click and with Enter; connecting ``doubleClicked`` as
        # well opened two editors of the same record.
        self.table.activated.connect(self._open)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)

    def _build_body(self, lay: QVBoxLayout) -> None:
        """The table, or what to do next when the list is empty; the count of records under it."""
        # an empty list (nothing at all, or nothing in the area chosen) says what to do next instead
        self.guidance = EmptyGuidance(self.form.id)
        self.guidance.action_requested.connect(lambda a: self.action_requested.emit(self.form.id, a))
        self.body = QStackedWidget()
        self.body.addWidget(self.table)
        self.body.addWidget(self.guidance)
        lay.addWidget(self.body, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        lay.addWidget(self.count_label)

    def _placeholder(self) -> str:
        if self.form.id == "household":
            return tr("Search: name, house number, national ID...")
        if self.form.id == "business":
            return tr("Search: business, product, village...")
        return tr("Search: need, details...")

    def _set_widths(self) -> None:
        fm = self.fontMetrics()
        for i, col in enumerate(self.model.columns):
            chars = col.width
            self.table.setColumnWidth(i, max(fm.horizontalAdvance("ก" * chars), fm.horizontalAdvance(col.header) + 36))

    # ------------------------------------------------------------------ filters
    def set_area(self, area: str | None, village: int | None) -> None:
        if self.form.area_field is None:
            return
        self.area, self.village = area, village
        self.apply_filters()

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.class_combo is not None and self.class_combo.currentData() is not None:
            out["poverty_class"] = self.class_combo.currentData()
        if self.status_combo is not None and self.status_combo.currentData() is not None:
            out["status"] = self.status_combo.currentData()
        if self.tpmap_box is not None and self.tpmap_box.isChecked():
            out["tpmap_target"] = True
        if self.unsynced_box.isChecked():
            out["dirty"] = True
        if self.village is not None and "village_no" in self.form.fields:
            out["village_no"] = self.village
        return out

    def apply_filters(self) -> None:
        self._search_timer.stop()
        self.model.update_query(search=self.search.text().strip(), area=self.area, filters=self.filters(),
                                incomplete=self.incomplete_box.isChecked(),
                                conflicts=self.conflicts_box.isChecked(),
                                latest_round=self.latest_box is not None and self.latest_box.isChecked())

    def narrowed(self) -> bool:
        """A search or a filter is on (an empty result is then "nothing found", not an empty list)."""
        return bool(self.search.text().strip()) or bool(
            {k: v for k, v in self.filters().items() if k != "village_no"}
        ) or self.incomplete_box.isChecked() or self.conflicts_box.isChecked()

    def _loaded(self, n: int, seconds: float) -> None:
        empty = n == 0 and not self.narrowed()
        if empty:
            self.guidance.set_area(self.area_name())
        self.body.setCurrentWidget(self.guidance if empty else self.table)
        noun = label_of(self.form.title)
        self.count_label.setText(tr("{n} records found ({noun})", n=f"{n:,}", noun=noun))
        # after a save or a reload the record chosen before (or the one just saved) stays chosen
        target, self._select_after_load = self._select_after_load or self._last_current, None
        if target and self.model.row_of(target) >= 0:
            self.select_id(target)

    def select_when_loaded(self, record_id: str) -> None:
        """Select ``record_id`` once the list has loaded again (after a save)."""
        self._select_after_load = record_id
        if not self.model.busy:
            self._select_after_load = None
            self.select_id(record_id)

    def area_name(self) -> str | None:
        """The area chosen on the left, in words (None for every area)."""
        if not self.area:
            return None
        return area_text(self.area, self.village) or self.area

    # ------------------------------------------------------------------ selection
    def current_id(self) -> str | None:
        idx = self.table.currentIndex()
        return self.model.id_at(idx.row()) if idx.isValid() else None

    def select_id(self, record_id: str) -> None:
        row = self.model.row_of(record_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, 0))

    def _row_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self._last_current = self.model.id_at(current.row())
        self.current_changed.emit(self.form.id, self.model.id_at(current.row()) if current.isValid() else None)

    def _open(self, index: QModelIndex) -> None:
        rid = self.model.id_at(index.row())
        if rid:
            self.open_requested.emit(self.form.id, rid)

    def menu_for(self, row: int) -> QMenu:
        """The context menu of a row: open, its report, its sync conflict."""
        menu = QMenu(self)
        rid = self.model.id_at(row)
        if rid is None:
            return menu
        form_id = self.form.id
        menu.addAction(tr("Open")).triggered.connect(lambda: self.open_requested.emit(form_id, rid))
        if form_id in ("household", "business"):
            text = tr("Household report") if form_id == "household" else tr("Business report")
            menu.addAction(text).triggered.connect(lambda: self.report_requested.emit(form_id, rid))
        if self.model.record(row).get("_conflict"):
            menu.addAction(tr("Resolve the conflict...")).triggered.connect(
                lambda: self.conflict_requested.emit(form_id, rid))
        return menu

    def _menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if index.isValid():
            self.menu_for(index.row()).exec(self.table.viewport().mapToGlobal(pos))
