"""Lists as Qt model/view over the core: the model keeps the ids of a query and fetches the rows
of a page only when the view asks for them (100,000 households never load at once)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from fieldapp import browse, drafts
from fieldapp.forms import Form
from ui import fmt
from ui.db import Database
from ui.i18n import label_of, language, tr
from ui.tasks import Task, TaskState

Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200


@dataclass(frozen=True)
class ListQuery:
    search: str = ""
    area: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    incomplete: bool = False
    conflicts: bool = False
    order_by: str | None = None
    descending: bool = False


@dataclass(frozen=True)
class Column:
    header: str
    text: Callable[[dict[str, Any]], str]
    sort: str | None = None
    align_right: bool = False
    width: int = 12  # in Thai characters


def _choice(form: Form, name: str) -> Callable[[dict[str, Any]], str]:
    f = form.field_at(name)
    return lambda r: f.choice_label(r.get(name), language()) if r.get(name) else ""


def _village(r: dict[str, Any]) -> str:
    no, name = r.get("village_no"), r.get("village_name") or ""
    if no:
        return tr("Moo {no} {name}", no=no, name=name).strip()
    return str(name)


def _complete(r: dict[str, Any]) -> str:
    missing = int(r.get("_missing") or 0)
    return tr("{n} missing", n=missing) if missing else tr("Complete")


def _unsynced(r: dict[str, Any]) -> str:
    if r.get("_conflict"):
        return "⚠"
    return "●" if r.get("_dirty") else ""


def columns_for(form: Form) -> list[Column]:
    """The columns a leader needs, per form."""
    if form.id == "household":
        return [
            Column(tr("House no."), lambda r: str(r.get("house_no") or ""), "house_no", width=6),
            Column(tr("Head of household"), lambda r: str(r.get("head_name") or ""), "head_name", width=13),
            Column(tr("Village"), _village, "village_no", width=12),
            Column(tr("Members"), lambda r: fmt.number(r.get("member_count")), "member_count", True, width=5),
            Column(tr("Class"), _choice(form, "poverty_class"), "poverty_class", width=7),
            Column(tr("Completeness"), _complete, width=7),
            Column(tr("Not synced"), _unsynced, width=5),
        ]
    if form.id == "business":
        return [
            Column(tr("Business"), lambda r: str(r.get("name") or ""), "name", width=22),
            Column(tr("Type"), _choice(form, "business_type"), "business_type", width=14),
            Column(tr("Village"), _village, "village_name", width=12),
            Column(tr("OTOP stars"), lambda r: "★" * int(r.get("otop_stars") or 0), "otop_stars", width=7),
            Column(tr("Employees"), lambda r: fmt.number(r.get("employees_total")), "employees_total", True, width=6),
            Column(tr("Linked members"), lambda r: fmt.number(r.get("employment_count")), "employment_count", True, width=8),
            Column(tr("Completeness"), _complete, width=7),
            Column(tr("Not synced"), _unsynced, width=5),
        ]
    if form.id == "referral":
        return [
            Column(tr("Referral date"), lambda r: fmt.date(r.get("referred_on")), "referred_on", width=9),
            Column(tr("Need"), lambda r: str(r.get("need") or ""), "need", width=22),
            Column(tr("Assistance"), _choice(form, "assistance_type"), "assistance_type", width=14),
            Column(tr("Status"), _choice(form, "status"), "status", width=11),
            Column(tr("Outcome"), _choice(form, "outcome"), "outcome", width=9),
            Column(tr("Completeness"), _complete, width=7),
            Column(tr("Not synced"), _unsynced, width=5),
        ]
    return [
        Column(label_of(form.field_at(n).label, n), lambda r, n=n: str(r.get(n) or ""), n)  # type: ignore[misc]
        for n in form.list_columns
    ]


def query_ids(db: Database, form_id: str, q: ListQuery) -> list[str]:
    """The ids matching a query, in list order (runs on a worker thread)."""
    store = db.store()
    ids = store.ids(form_id, search=q.search or None, area=q.area, filters=q.filters or None,
                    order_by=q.order_by, descending=q.descending)
    if q.incomplete:
        wanted = drafts.incomplete_ids(store, form_id)
        ids = [i for i in ids if i in wanted]
    if q.conflicts:
        conflicted = set(store.conflicted_ids(form_id))
        ids = [i for i in ids if i in conflicted]
    return ids


class RecordListModel(QAbstractTableModel):
    """Paged table model over ``store.ids`` + ``browse.rows`` of one page at a time."""

    loaded = Signal(int, float)  # row count, seconds the query took

    def __init__(self, db: Database, form_id: str, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.db = db
        self.form = db.main.form(form_id)
        self.columns = columns_for(self.form)
        self.page_size = page_size
        self.query = ListQuery()
        self._ids: list[str] = []
        self._pages: dict[int, list[dict[str, Any]]] = {}
        self._generation = 0
        self.pages_fetched = 0
        self.rows_fetched = 0
        self.busy = False

    # ------------------------------------------------------------------ querying

    def set_query(self, query: ListQuery) -> None:
        self.query = query
        self.refresh()

    def update_query(self, **changes: Any) -> None:
        self.set_query(replace(self.query, **changes))

    def refresh(self) -> None:
        """Run the query off the GUI thread; the newest query wins."""
        self._generation += 1
        gen = self._generation
        q = self.query
        form_id = self.form.id
        started = time.perf_counter()
        self.busy = True

        def work(_state: TaskState) -> list[str]:
            return query_ids(self.db, form_id, q)

        def done(ids: list[str]) -> None:
            if gen != self._generation:
                return
            self.busy = False
            self.set_ids(ids)
            self.loaded.emit(len(ids), time.perf_counter() - started)

        def failed(exc: Exception) -> None:
            if gen == self._generation:
                self.busy = False
                self.set_ids([])
                from ui.errors import show_error

                show_error(None, exc)

        Task(work).on_success(done).on_failure(failed).start()

    def set_ids(self, ids: list[str]) -> None:
        self.beginResetModel()
        self._ids = ids
        self._pages = {}
        self.endResetModel()

    def invalidate(self, record_id: str | None = None) -> None:
        """Forget cached rows (after a save) so they are read again."""
        self._pages = {}
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self.columns) - 1))

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, record_id: str) -> int:
        try:
            return self._ids.index(record_id)
        except ValueError:
            return -1

    def record(self, row: int) -> dict[str, Any]:
        page = row // self.page_size
        if page not in self._pages:
            start = page * self.page_size
            chunk = self._ids[start : start + self.page_size]
            fetched = browse.rows(self.db.main, self.form.id, chunk)
            by_id = {r["id"]: r for r in fetched}
            self._pages[page] = [by_id.get(i, {"id": i}) for i in chunk]
            self.pages_fetched += 1
            self.rows_fetched += len(chunk)
            if len(self._pages) > 50:  # keep memory flat while scrolling far
                for old in sorted(self._pages, key=lambda p: abs(p - page))[50:]:
                    del self._pages[old]
        return self._pages[page][row - page * self.page_size]

    # ------------------------------------------------------------------ Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(self.record(index.row()))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            r = self.record(index.row())
            if col.text is _complete and r.get("_missing"):
                return QBrush(QColor("#b3261e"))
            if col.text is _unsynced:
                return QBrush(QColor("#b3261e" if r.get("_conflict") else "#c77700"))
            if col.sort == "poverty_class" and r.get("poverty_class") in browse.POOR_CLASSES:
                return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.FontRole and col.sort == "poverty_class":
            r = self.record(index.row())
            if r.get("poverty_class") in browse.POOR_CLASSES:
                font = QFont()
                font.setBold(True)
                return font
        if role == Qt.ItemDataRole.ToolTipRole and col.text is _unsynced:
            r = self.record(index.row())
            if r.get("_conflict"):
                return tr("Changed here and on the server: choose which values to keep")
            return tr("Changed on this laptop, not yet sent to the server") if r.get("_dirty") else None
        if role == Qt.ItemDataRole.UserRole:
            return self._ids[index.row()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column].sort
        if key is None:
            return
        self.update_query(order_by=key, descending=order == Qt.SortOrder.DescendingOrder)
