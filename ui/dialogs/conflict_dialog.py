"""Conflicts from sync: the records changed here and on the server, and one record's conflicting
answers side by side (this laptop / the server, who and when) for a person to choose or type.

Nothing is overwritten without a choice: the save button stays off until every conflicting
answer has one. The choice is stored with ``resolve_conflict`` and goes up at the next sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.errors import FieldAppError, ValidationError
from fieldapp.forms import Field, Form
from fieldapp.store import Store
from fieldapp.sync import protocol as P
from fieldapp.sync.merge import derived_paths, parse_path
from fieldapp.sync.outbox import resolve_conflict

from .. import fmt
from ..db import Database
from ..errors import show_error
from ..i18n import label_of, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from . import geometry
from .sync_dialog import form_name, record_title, when_text

EDITABLE_TYPES = ("text", "integer", "decimal", "money")


@dataclass
class ConflictItem:
    form_id: str
    record_id: str
    title: str
    kind: str
    theirs_by: str
    theirs_at: str
    fields: int


def list_conflicts(store: Store) -> list[ConflictItem]:
    out: list[ConflictItem] = []
    for form in store.forms:
        for rid in store.conflicted_ids(form.id):
            c = store.get(form.id, rid, include_deleted=True).conflict or {}
            out.append(ConflictItem(form.id, rid, record_title(store, form.id, rid), str(c.get("kind") or ""),
                                    str(c.get("theirs_by") or ""), str(c.get("theirs_at") or ""),
                                    len(c.get("fields") or [])))
    return out


def people_names(db_path: Path, store: Store | None = None) -> dict[str, str]:
    """Login → name: the server's accounts as the last sync told them, and the people who sign in on
    this laptop (an encrypted database keeps their names)."""
    from fieldapp import session
    from fieldapp.sync.outbox import people_names as server_people

    names = server_people(store) if store is not None else {}
    try:
        names.update({u["user"]: u["display_name"] for u in session.users(db_path) if u.get("display_name")})
    except FieldAppError:
        pass
    return names


def person(login: str | None, names: dict[str, str]) -> str:
    """A person by name when this laptop knows it ("สมชาย ใจดี (somchai)"), else the login."""
    if not login:
        return "-"
    name = names.get(login)
    return f"{name} ({login})" if name and name != login else login


def kind_text(kind: str) -> str:
    return {
        "fields": tr("Same answers changed on both sides"),
        "edit_delete": tr("Changed here, deleted on the server"),
        "delete_edit": tr("Deleted here, changed on the server"),
    }.get(kind, kind)


def _row_name(row: Any) -> str:
    if not isinstance(row, dict):
        return ""
    name = f"{row.get('first_name') or ''} {row.get('last_name') or ''}".strip()
    return name or str(row.get("name") or row.get("product_name") or "")


def _steps(form: Form, path: str) -> list[tuple[Field, str | None]] | None:
    """A conflict's path as (field, row id) steps (a repeat inside a repeat has three); None when
    the path does not name this form's fields."""
    try:
        raw = parse_path(path)
    except P.ProtocolViolation:
        return None
    out: list[tuple[Field, str | None]] = []
    f: Field | None = None
    for name, row in raw:
        f = form.fields.get(name) if f is None else f.child(name)
        if f is None:
            return None
        out.append((f, row))
    return out


def path_label(form: Form, path: str, conflict: P.Conflict) -> str:
    """``members[ROW].first_name`` → "Household members: Somchai Jaidee — First name";
    ``plots[ROW].crops[ROW].crop_name`` → "Plots: … — Crops: … — Crop name"."""
    steps = _steps(form, path)
    if steps is None:
        return path
    holders: list[Any] = [conflict.mine, conflict.theirs, conflict.merged]
    parts: list[str] = []
    for f, row_id in steps:
        label = label_of(f.label, f.id)
        if row_id is None:
            parts.append(label)
            break
        rows = [r for h in holders if isinstance(h, dict) for r in h.get(f.id) or []
                if isinstance(r, dict) and r.get("id") == row_id]
        name = next((n for n in map(_row_name, rows) if n), "")
        parts.append(f"{label}: {name}" if name else label)
        holders = rows
    return " — ".join(parts)


def field_of(form: Form, path: str) -> Field | None:
    """The question a path names (None for a whole repeat row or an unknown path)."""
    steps = _steps(form, path)
    if steps is None or steps[-1][1] is not None:
        return None
    return steps[-1][0]


def value_text(form: Form, path: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return tr("(empty)")
    f = field_of(form, path)
    if f is None:  # a whole repeat row
        if isinstance(value, dict):
            return _row_name(value) or tr("(a row)")
        return str(value)
    text = fmt.field_value(f, value)
    return text or str(value)


def changed_answers(
    form: Form, before: dict[str, Any] | None, after: dict[str, Any] | None, conflict: P.Conflict
) -> list[tuple[str, str, str]]:
    """(question, before, after) for every answer that differs between two versions of a record;
    repeat rows (members...) by their row id: added, removed or with changed answers."""
    before, after = before or {}, after or {}
    skip = derived_paths(form)
    out: list[tuple[str, str, str]] = []
    for key in _keys(before, after):
        if key in skip or key.startswith("_"):
            continue
        b, a = before.get(key), after.get(key)
        if P.canonical_json(b) == P.canonical_json(a):
            continue
        f = form.fields.get(key)
        if f is not None and (isinstance(a, list) or isinstance(b, list)) and f.type == "repeat":
            out += _row_changes(form, f, key, b or [], a or [], conflict)
            continue
        out.append((path_label(form, key, conflict), value_text(form, key, b), value_text(form, key, a)))
    return out


def _keys(*docs: dict[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for d in docs:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)


def _row_changes(
    form: Form, rep: Field, key: str, before: list[Any], after: list[Any], conflict: P.Conflict
) -> list[tuple[str, str, str]]:
    """Rows by id: added, removed, or their changed answers (the rows of a repeat inside a row
    the same way, one level further in)."""
    rows_b = {str(r.get("id")): r for r in before if isinstance(r, dict)}
    rows_a = {str(r.get("id")): r for r in after if isinstance(r, dict)}
    out: list[tuple[str, str, str]] = []
    for rid in _keys(rows_b, rows_a):
        rb, ra = rows_b.get(rid), rows_a.get(rid)
        path = f"{key}[{rid}]"
        if rb is None or ra is None:
            out.append((path_label(form, path, conflict), value_text(form, path, rb), value_text(form, path, ra)))
            continue
        for sub in _keys(rb, ra):
            if sub == "id" or P.canonical_json(rb.get(sub)) == P.canonical_json(ra.get(sub)):
                continue
            sp = f"{path}.{sub}"
            inner = rep.child(sub)
            if inner is not None and inner.type == "repeat":
                out += _row_changes(form, inner, sp, rb.get(sub) or [], ra.get(sub) or [], conflict)
                continue
            out.append((path_label(form, sp, conflict), value_text(form, sp, rb.get(sub)),
                        value_text(form, sp, ra.get(sub))))
    return out


def parse_typed(f: Field | None, text: str) -> Any:
    """A typed value for field ``f`` (numbers as numbers); ValidationError when it is not one."""
    text = text.strip()
    if f is None or f.value_type not in ("integer", "decimal", "money"):
        return text
    from fieldapp import thai

    clean = thai.normalize_digits(text).replace(",", "")
    try:
        return int(clean) if f.value_type == "integer" else float(clean)
    except ValueError:
        raise ValidationError("กรุณาพิมพ์ตัวเลข", "please type a number") from None


class ConflictDialog(QDialog):
    """One record's conflict: choose this laptop's value, the server's, or type another."""

    resolved = Signal(str, str)  # form id, record id

    def __init__(self, parent: QWidget | None, db: Database, settings: Settings, form_id: str,
                 record_id: str) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.form_id, self.record_id = form_id, record_id
        self.form = db.main.form(form_id)
        rec = db.main.get(form_id, record_id, include_deleted=True)
        if not rec.conflict:
            raise ValidationError("ระเบียนนี้ไม่มีข้อมูลขัดแย้ง", "this record has no conflict")
        self.conflict = P.Conflict.from_json(rec.conflict)
        self.groups: dict[str, QButtonGroup] = {}
        self.edits: dict[str, QLineEdit] = {}
        self.setWindowTitle(tr("Resolve a conflict"))
        lay = QVBoxLayout(self)
        self._build_header(lay)
        self._build_grid(lay)
        self._build_footer(lay)
        self._update()
        geometry.open_sized(self, settings, "conflict", 1200, 720)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "conflict"))

    def _build_header(self, lay: QVBoxLayout) -> None:
        """The record, what happened to it, and (for clashing values) keep all of one side."""
        main = self.db.main
        title = QLabel(f"{form_name(main, self.form_id)}: {record_title(main, self.form_id, self.record_id)}")
        title.setObjectName("heading")
        title.setWordWrap(True)
        lay.addWidget(title)
        intro = QLabel(self._intro())
        intro.setWordWrap(True)
        intro.setObjectName("banner")
        lay.addWidget(intro)
        if self.conflict.kind == "fields":
            all_row = QHBoxLayout()
            self.all_mine_button = QPushButton(tr("Keep all of this laptop's values"))
            self.all_mine_button.clicked.connect(lambda: self.choose_all("mine"))
            self.all_theirs_button = QPushButton(tr("Keep all of the server's values"))
            self.all_theirs_button.clicked.connect(lambda: self.choose_all("theirs"))
            all_row.addWidget(self.all_mine_button)
            all_row.addWidget(self.all_theirs_button)
            all_row.addStretch(1)
            lay.addLayout(all_row)

    def _build_grid(self, lay: QVBoxLayout) -> None:
        """A row per question: this laptop's value, the server's, and (for values) another one."""
        c = self.conflict
        names = people_names(self.db.path, self.db.main)
        mine_who = tr("This laptop: {who}, {when}", who=person(c.mine_by, names), when=when_text(c.mine_at))
        theirs_who = tr("Server: {who}, {when}", who=person(c.theirs_by, names), when=when_text(c.theirs_at))
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(10)
        heads = [tr("Question"), mine_who, theirs_who]
        if c.kind == "fields":
            heads.append(tr("Another value"))
        for col, text in enumerate(heads):
            h = QLabel(text)
            h.setObjectName("question")
            h.setWordWrap(True)
            grid.addWidget(h, 0, col)
        if c.kind == "fields":
            for row, fc in enumerate(c.fields, start=1):
                self._field_row(grid, row, fc)
        else:
            self._whole_record_row(grid)
            self._changes_rows(grid, self.db.main.get(self.form_id, self.record_id, include_deleted=True).base)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        if c.kind == "fields":
            grid.setColumnStretch(3, 3)
        grid.setRowStretch(grid.rowCount(), 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_host)
        lay.addWidget(scroll, 1)

    def _build_footer(self, lay: QVBoxLayout) -> None:
        """Where the choice goes, what is wrong with it, and Later / Keep these values."""
        hint = QLabel(tr("Your choice is kept on this laptop and sent at the next sync; the other laptops then "
                         "receive it."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        self.problem_label.setProperty("state", "bad")
        self.problem_label.setWordWrap(True)
        lay.addWidget(self.problem_label)
        buttons = QHBoxLayout()
        self.why_label = QLabel()  # why the save button is off
        self.why_label.setObjectName("hint")
        self.why_label.setWordWrap(True)
        buttons.addWidget(self.why_label, 1)
        self.later_button = QPushButton(tr("Later"))
        self.later_button.clicked.connect(self.reject)
        self.save_button = QPushButton(tr("Keep these values"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.later_button)
        buttons.addWidget(self.save_button)
        lay.addLayout(buttons)

    def _intro(self) -> str:
        c = self.conflict
        if c.kind == "edit_delete":
            return tr("This record was changed on this laptop but deleted on the server. Keep it, or delete it?")
        if c.kind == "delete_edit":
            return tr("This record was deleted on this laptop but changed on the server. Delete it, or keep the "
                      "server's version?")
        return tr("These answers were changed on this laptop and on the server. For each one, choose the value "
                  "to keep.")

    def _radio(self, text: str) -> QRadioButton:
        b = QRadioButton(text)
        b.setStyleSheet("QRadioButton { padding: 4px; } QRadioButton::indicator { width: 20px; height: 20px; }")
        return b

    def _field_row(self, grid: QGridLayout, row: int, fc: P.FieldConflict) -> None:
        label = QLabel(path_label(self.form, fc.path, self.conflict) + "\n" + tr(
            "Before both changes: {value}", value=value_text(self.form, fc.path, fc.base)))
        label.setWordWrap(True)
        grid.addWidget(label, row, 0)
        group = QButtonGroup(self)
        mine = self._radio(value_text(self.form, fc.path, fc.mine))
        theirs = self._radio(value_text(self.form, fc.path, fc.theirs))
        mine.setProperty("choice", "mine")
        theirs.setProperty("choice", "theirs")
        group.addButton(mine)
        group.addButton(theirs)
        grid.addWidget(mine, row, 1)
        grid.addWidget(theirs, row, 2)
        f = field_of(self.form, fc.path)
        if f is not None and f.type != "calculated" and f.value_type in EDITABLE_TYPES:
            other = QWidget()
            ol = QHBoxLayout(other)
            ol.setContentsMargins(0, 0, 0, 0)
            radio = self._radio("")
            radio.setProperty("choice", "typed")
            edit = QLineEdit()
            edit.setPlaceholderText(tr("Type the right value"))
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("0") * 20)
            edit.setAccessibleName(tr("Another value"))
            edit.textEdited.connect(lambda _t, r=radio: r.setChecked(True))
            edit.textChanged.connect(lambda _t: self._update())
            group.addButton(radio)
            ol.addWidget(radio)
            ol.addWidget(edit, 1)
            grid.addWidget(other, row, 3)
            self.edits[fc.path] = edit
        group.buttonToggled.connect(lambda _b, _on: self._update())
        self.groups[fc.path] = group

    def _whole_record_row(self, grid: QGridLayout) -> None:
        c = self.conflict
        label = QLabel(tr("The whole record"))
        grid.addWidget(label, 1, 0)
        group = QButtonGroup(self)
        if c.kind == "edit_delete":
            mine = self._radio(tr("Keep it with this laptop's changes"))
            theirs = self._radio(tr("Delete it, as on the server"))
        else:
            mine = self._radio(tr("Delete it, as on this laptop"))
            theirs = self._radio(tr("Keep the server's version"))
        mine.setProperty("choice", "mine")
        theirs.setProperty("choice", "theirs")
        group.addButton(mine)
        group.addButton(theirs)
        grid.addWidget(mine, 1, 1)
        grid.addWidget(theirs, 1, 2)
        group.buttonToggled.connect(lambda _b, _on: self._update())
        self.groups[""] = group

    def _changes_rows(self, grid: QGridLayout, base: dict[str, Any] | None) -> None:
        """Under a delete/edit choice: what the side that kept the record changed since this laptop's
        last sync, question by question (before → after), so the choice is not blind."""
        c = self.conflict
        after = c.theirs if c.kind == "delete_edit" else c.mine
        changes = changed_answers(self.form, base, after, c)
        who = tr("Changed on the server:") if c.kind == "delete_edit" else tr("Changed on this laptop:")
        head = QLabel(who if changes else tr("No answers were changed since the last sync."))
        head.setObjectName("question")
        grid.addWidget(head, 2, 0, 1, 3)
        self.change_labels: list[QLabel] = []
        for i, (question, before, now) in enumerate(changes, start=3):
            q = QLabel(question)
            q.setWordWrap(True)
            v = QLabel(f"{before} → {now}")
            v.setWordWrap(True)
            grid.addWidget(q, i, 0)
            grid.addWidget(v, i, 1, 1, 2)
            self.change_labels.append(v)

    # ------------------------------------------------------------------ choosing
    def choose_all(self, choice: str) -> None:
        """Pick this laptop's (``mine``) or the server's (``theirs``) value for every answer."""
        for path in self.groups:
            self.choose(path, choice)

    def choose(self, path: str, choice: str, typed: str | None = None) -> None:
        """Pick ``mine``, ``theirs`` or (with ``typed``) another value for ``path`` (also for tests)."""
        group = self.groups[path]
        if typed is not None:
            self.edits[path].setText(typed)
            choice = "typed"
        for b in group.buttons():
            if b.property("choice") == choice:
                b.setChecked(True)

    def choices(self) -> dict[str, Any] | None:
        """The choices as ``resolve_conflict`` takes them (None while one is missing)."""
        out: dict[str, Any] = {}
        for path, group in self.groups.items():
            b = group.checkedButton()
            if b is None:
                return None
            choice = str(b.property("choice"))
            if choice == "typed":
                text = self.edits[path].text()
                if not text.strip():
                    return None
                out[path] = parse_typed(field_of(self.form, path), text)
            else:
                out[path] = choice
        return out

    def missing(self) -> list[str]:
        """The questions still without a usable choice (for the note beside the save button)."""
        out: list[str] = []
        for path, group in self.groups.items():
            b = group.checkedButton()
            if b is None or (b.property("choice") == "typed" and not self.edits[path].text().strip()):
                out.append(path)
        return out

    def _update(self) -> None:
        self.problem_label.clear()
        self.problem_label.hide()
        why = ""
        missing = self.missing()
        if missing:
            why = tr("Choose a value for every answer first ({n} left).", n=len(missing))
        else:
            try:
                self.choices()
            except ValidationError as exc:
                why = exc.message
        self.save_button.setEnabled(not why)
        self.why_label.setText(why)
        self.save_button.setToolTip(why)

    def save(self) -> None:
        try:
            choices = self.choices()
        except ValidationError as exc:
            self.problem_label.setText(exc.message)
            self.problem_label.show()
            return
        if choices is None:
            self.problem_label.setText(tr("Please choose a value for every answer."))
            self.problem_label.show()
            return
        db, form_id, record_id = self.db, self.form_id, self.record_id
        self.save_button.setEnabled(False)

        def work(_s: TaskState) -> None:
            resolve_conflict(db.store(), form_id, record_id, choices)

        def done(_r: None) -> None:
            self.resolved.emit(form_id, record_id)
            self.accept()

        def failed(exc: Exception) -> None:
            self.save_button.setEnabled(True)
            show_error(self, exc)

        Task(work, write=True).on_success(done).on_failure(failed).start()


class ConflictsDialog(QDialog):
    """Every record with a sync conflict; open one to resolve it."""

    resolved = Signal(str, str)

    def __init__(self, parent: QWidget | None, db: Database, settings: Settings) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.items: list[ConflictItem] = []
        self.names = people_names(db.path, db.main)
        self.setWindowTitle(tr("Conflicts from sync"))
        lay = QVBoxLayout(self)
        intro = QLabel(tr("These records were changed on this laptop and on the server. They are not sent until "
                          "someone chooses which values to keep."))
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([tr("Record"), tr("Conflict"), tr("Changed on the server by"),
                                              tr("When")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_current())
        lay.addWidget(self.table, 1)
        self.empty_label = QLabel(tr("No conflicts. Everything is in step."))
        self.empty_label.setObjectName("hint")
        lay.addWidget(self.empty_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        close = QPushButton(tr("Close"))
        close.clicked.connect(self.accept)
        self.open_button = QPushButton(tr("Choose values..."))
        self.open_button.setObjectName("primary")
        self.open_button.clicked.connect(self.open_current)
        buttons.addWidget(close)
        buttons.addWidget(self.open_button)
        lay.addLayout(buttons)
        geometry.open_sized(self, settings, "conflicts", 960, 420)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "conflicts"))
        self.reload()

    def reload(self) -> None:
        db = self.db

        def work(_s: TaskState) -> list[ConflictItem]:
            return list_conflicts(db.store())

        Task(work).on_success(self._fill).start()

    def _fill(self, items: list[ConflictItem]) -> None:
        self.items = items
        self.table.setRowCount(len(items))
        for i, it in enumerate(items):
            cells = [it.title, kind_text(it.kind), person(it.theirs_by, self.names), when_text(it.theirs_at)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{form_name(self.db.main, it.form_id)}: {it.title}")
                self.table.setItem(i, col, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if items:
            self.table.selectRow(0)
        self.empty_label.setVisible(not items)
        self.open_button.setEnabled(bool(items))

    def open_current(self) -> ConflictDialog | None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.items):
            return None
        it = self.items[row]
        dlg = ConflictDialog(self, self.db, self.settings, it.form_id, it.record_id)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.resolved.connect(self.resolved)
        dlg.resolved.connect(lambda _f, _r: self.reload())
        dlg.show()
        return dlg


def show_conflicts(parent: QWidget | None, db: Database, settings: Settings) -> ConflictsDialog:
    dlg = ConflictsDialog(parent, db, settings)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg


def show_conflict(parent: QWidget | None, db: Database, settings: Settings, form_id: str,
                  record_id: str) -> ConflictDialog:
    dlg = ConflictDialog(parent, db, settings, form_id, record_id)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
