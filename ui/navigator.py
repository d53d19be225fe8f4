"""The area navigator: province › district › subdistrict › village, built from the data, with counts."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QMenu, QTreeView, QVBoxLayout, QWidget

from fieldapp import browse, geo
from fieldapp.errors import NotFoundError

from .db import Database
from .i18n import language, tr
from .tasks import Task, TaskState

AREA_ROLE = Qt.ItemDataRole.UserRole + 1
VILLAGE_ROLE = Qt.ItemDataRole.UserRole + 2


def _name(code: str) -> str:
    try:
        return geo.area(code).label(language())
    except NotFoundError:
        return code


class AreaNavigator(QWidget):
    area_selected = Signal(object, object)  # area code or None, village number or None
    report_requested = Signal(object, object)  # area code, village number or None

    def __init__(self, db: Database, form_id: str = "household", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.form_id = form_id
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.tree = QTreeView()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.model = QStandardItemModel(self)
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(tr("Areas"))
        lay.addWidget(self.tree)
        self.tree.selectionModel().currentChanged.connect(self._current)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)

    def reload(self) -> None:
        db, form_id = self.db, self.form_id

        def work(_s: TaskState) -> list[browse.AreaCount]:
            return browse.area_counts(db.store(), form_id)

        Task(work).on_success(self._build).start()

    def _build(self, counts: list[browse.AreaCount]) -> None:
        self.model.clear()
        total = sum(c.count for c in counts)
        root = QStandardItem(tr("All areas ({n})", n=f"{total:,}"))
        root.setData(None, AREA_ROLE)
        self.model.appendRow(root)
        nodes: dict[str, QStandardItem] = {}
        sums: dict[str, int] = {}
        for c in counts:
            for code in (c.subdistrict[:2], c.subdistrict[:4], c.subdistrict):
                sums[code] = sums.get(code, 0) + c.count
        for c in counts:
            parent = root
            for code in (c.subdistrict[:2], c.subdistrict[:4], c.subdistrict):
                if code not in nodes:
                    item = QStandardItem(f"{_name(code)} ({sums[code]:,})")
                    item.setData(code, AREA_ROLE)
                    item.setEditable(False)
                    parent.appendRow(item)
                    nodes[code] = item
                parent = nodes[code]
            label = (tr("Moo {no}", no=c.village_no) + " " + c.village_name).strip() if c.village_no else (
                c.village_name or tr("(no village)"))
            v = QStandardItem(f"{label} ({c.count:,})")
            v.setData(c.subdistrict, AREA_ROLE)
            v.setData(c.village_no, VILLAGE_ROLE)
            v.setEditable(False)
            parent.appendRow(v)
        root.setEditable(False)
        self.tree.expand(self.model.indexFromItem(root))
        for code, item in nodes.items():
            if len(code) == 2:
                self.tree.expand(self.model.indexFromItem(item))

    def _current(self, index: QModelIndex, _prev: QModelIndex) -> None:
        self.area_selected.emit(index.data(AREA_ROLE), index.data(VILLAGE_ROLE))

    def current_area(self) -> tuple[str | None, int | None]:
        index = self.tree.currentIndex()
        return (index.data(AREA_ROLE), index.data(VILLAGE_ROLE)) if index.isValid() else (None, None)

    def menu_for(self, index: QModelIndex) -> QMenu:
        menu = QMenu(self)
        area, village = index.data(AREA_ROLE), index.data(VILLAGE_ROLE)
        action = menu.addAction(tr("Area report"))
        action.setEnabled(bool(area))
        action.triggered.connect(lambda: self.report_requested.emit(area, village))
        return menu

    def _menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if index.isValid():
            self.menu_for(index).exec(self.tree.viewport().mapToGlobal(pos))
