"""Lists as Qt model/view over the core: the model keeps the ids of a query and fetches the rows
of a page only when the view asks for them (100,000 households never load at once)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from fieldapp import browse, schema, scoring
from fieldapp.forms import Form

from . import fmt
from .db import Database
from .i18n import label_of, language, tr
from .tasks import Task, TaskState

Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
VISIT_OUTCOME, INTERVIEWED = schema.VISIT_OUTCOME, "interviewed"  # the household's visit (forms/household.yaml)


@dataclass(frozen=True)
class ListQuery:
    search: str = ""
    area: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    incomplete: bool = False
    conflicts: bool = False
    latest_round: bool = False  # only the latest survey round of each household
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
    no, name = r.get(schema.VILLAGE_NO), r.get(schema.VILLAGE_NAME) or ""
    if no:
        return tr("Moo {no} {name}", no=no, name=name).strip()
    return str(name)


def _complete(r: dict[str, Any]) -> str:
    missing = int(r.get("_missing") or 0)
    return tr("{n} missing", n=missing) if missing else tr("Complete")


def _complete_or_outcome(form: Form) -> Callable[[dict[str, Any]], str]:
    """Completeness, or the visit's outcome for a household visited without an interview (it is
    complete without survey answers: "ปฏิเสธการให้ข้อมูล" says more than "ครบ")."""
    if VISIT_OUTCOME not in form.fields:
        return _complete
    outcome = _choice(form, VISIT_OUTCOME)

    def text(r: dict[str, Any]) -> str:
        if r.get(VISIT_OUTCOME) not in (None, "", INTERVIEWED) and not r.get("_missing"):
            return outcome(r)
        return _complete(r)

    return text


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
            Column(tr("Village"), _village, schema.VILLAGE_NO, width=12),
            Column(tr("Members"), lambda r: fmt.number(r.get("member_count")), "member_count", True, width=5),
            Column(tr("Class"), _choice(form, scoring.class_field(form)), scoring.class_field(form), width=7),
            # the survey round (empty for a first round): a household surveyed again is a row per round
            Column(tr("Round"), lambda r: fmt.number(r.get("round_no")) if r.get("round_no") else "",
                   "round_no", True, width=4),
            Column(tr("Completeness"), _complete_or_outcome(form), width=9),
            Column(tr("Not synced"), _unsynced, width=5),  # last in every list, as on every form
        ]
    if form.id == "business":
        return [
            Column(tr("Business"), lambda r: str(r.get("name") or ""), "name", width=22),
            Column(tr("Type"), _choice(form, "business_type"), "business_type", width=14),
            Column(tr("Village"), _village, schema.VILLAGE_NAME, width=12),
            Column(tr("OTOP stars"), lambda r: "★" * int(r.get("otop_stars") or 0), "otop_stars", width=7),
            Column(
                tr("Employees"),
                lambda r: fmt.number(r.get("employees_total")),
                "employees_total",
                True,
                width=6,
            ),
            Column(
                tr("Linked members"),
                lambda r: fmt.number(r.get("employment_count")),
                "employment_count",
                True,
                width=8,
            ),
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
    # any other form (one installed into the database): its list_columns, else its first answers
    names = form.shown_columns()
    return [
        *(
            # as people read them: a date and time in the Buddhist era, a choice by its label
            Column(label_of(form.field_at(n).label, n), lambda r, n=n: fmt.field_value(form.field_at(n), r.get(n)), n)  # type: ignore[misc]
            for n in names
        ),
        Column(tr("Completeness"), _complete, width=7),
        Column(tr("Not synced"), _unsynced, width=5),
    ]


def query_args(q: ListQuery) -> dict[str, Any]:
    """The store's arguments for a list query (the same for its count, its pages and positions)."""
    filters = dict(q.filters)
    if q.incomplete:
        filters["incomplete"] = True
    if q.conflicts:
        filters["conflicted"] = True
    if q.latest_round:
        filters["latest_round"] = True
    return {
        "search": q.search or None,
        "area": q.area,
        "filters": filters or None,
        "order_by": q.order_by,
        "descending": q.descending,
    }


def query_count(db: Database, form_id: str, q: ListQuery, page_size: int) -> tuple[int, list[str]]:
    """How many records match, and the ids of the first page (runs on a worker thread)."""
    store = db.store()
    args = query_args(q)
    order = {k: args.pop(k) for k in ("order_by", "descending")}
    first = store.ids(form_id, **args, **order, limit=page_size)
    n = len(first) if len(first) < page_size else store.count(form_id, **args)
    return n, first


class RecordListModel(QAbstractTableModel):
    """Paged table model: the query's count, then the ids and rows of a page only when the view
    shows it, so a province of a million households never loads its ids at once."""

    loaded = Signal(int, float)  # row count, seconds the query took

    def __init__(self, db: Database, form_id: str, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.db = db
        self.form = db.main.form(form_id)
        self.columns = columns_for(self.form)
        self.class_field = scoring.class_field(self.form)
        self.page_size = page_size
        self.query = ListQuery()
        self._count = 0
        self._page_ids: dict[int, list[str]] = {}
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
        """Count the query off the GUI thread; the newest query wins."""
        self._generation += 1
        gen = self._generation
        q = self.query
        form_id = self.form.id
        size = self.page_size
        started = time.perf_counter()
        self.busy = True

        def work(_state: TaskState) -> tuple[int, list[str]]:
            return query_count(self.db, form_id, q, size)

        def done(result: tuple[int, list[str]]) -> None:
            if gen != self._generation:
                return
            self.busy = False
            self.set_result(*result)
            self.loaded.emit(result[0], time.perf_counter() - started)

        def failed(exc: Exception) -> None:
            if gen == self._generation:
                self.busy = False
                self.set_result(0, [])
                from .errors import show_error

                show_error(None, exc)

        Task(work).on_success(done).on_failure(failed).start()

    def set_result(self, count: int, first_page: list[str]) -> None:
        self.beginResetModel()
        self._count = count
        self._page_ids = {0: first_page} if first_page else {}
        self._pages = {}
        self.endResetModel()

    def invalidate(self, record_id: str | None = None) -> None:
        """Forget cached rows (after a save) so they are read again."""
        self._pages = {}
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(self.columns) - 1))

    def _ids_of_page(self, page: int) -> list[str]:
        if page not in self._page_ids:
            args = query_args(self.query)
            self._page_ids[page] = self.db.main.ids(
                self.form.id, **args, limit=self.page_size, offset=page * self.page_size
            )
            self._forget_far_pages(page)
        return self._page_ids[page]

    def _forget_far_pages(self, page: int) -> None:
        """Keep memory flat while scrolling far: only the 50 pages nearest ``page`` stay."""
        for cache in (self._page_ids, self._pages):
            if len(cache) > 50:
                for old in sorted(cache, key=lambda p: abs(p - page))[50:]:
                    del cache[old]

    def id_at(self, row: int) -> str | None:
        if not 0 <= row < self._count:
            return None
        page = row // self.page_size
        ids = self._ids_of_page(page)
        i = row - page * self.page_size
        return ids[i] if i < len(ids) else None

    def row_of(self, record_id: str) -> int:
        for page, ids in self._page_ids.items():
            if record_id in ids:
                return page * self.page_size + ids.index(record_id)
        return self.db.main.position(self.form.id, record_id, **query_args(self.query))

    def record(self, row: int) -> dict[str, Any]:
        page = row // self.page_size
        if page not in self._pages:
            chunk = self._ids_of_page(page)
            fetched = browse.rows(self.db.main, self.form.id, chunk)
            by_id = {r["id"]: r for r in fetched}
            self._pages[page] = [by_id.get(i, {"id": i}) for i in chunk]
            self.pages_fetched += 1
            self.rows_fetched += len(chunk)
            self._forget_far_pages(page)
        rows = self._pages[page]
        i = row - page * self.page_size
        return rows[i] if i < len(rows) else {"id": None}

    # ------------------------------------------------------------------ Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

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
            if col.sort == self.class_field and r.get(self.class_field) in browse.POOR_CLASSES:
                return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.FontRole and col.sort == self.class_field:
            r = self.record(index.row())
            if r.get(self.class_field) in browse.POOR_CLASSES:
                font = QFont()
                font.setBold(True)
                return font
        if role == Qt.ItemDataRole.ToolTipRole and col.text is _unsynced:
            r = self.record(index.row())
            if r.get("_conflict"):
                return tr("Changed here and on the server: choose which values to keep")
            return tr("Changed on this laptop, not yet sent to the server") if r.get("_dirty") else None
        if role == Qt.ItemDataRole.UserRole:
            return self.id_at(index.row())
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
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
