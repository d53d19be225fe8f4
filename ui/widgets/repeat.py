"""The repeat editor (household members, products, employment links): a list of rows on the left,
the questions of the selected row on the right. Add, remove, reorder, pick the head of household,
and see duplicate national IDs at once."""

from __future__ import annotations

import copy
from collections import ChainMap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp import browse, thai
from fieldapp.errors import FieldAppError
from fieldapp.forms import MAX_ROWS_DEFAULT, Field

from ..i18n import label_of, language, tr
from .registry import EditorContext, FieldWidget

if TYPE_CHECKING:
    from ..editor.panel import FieldsPanel


class RepeatWidget(FieldWidget):
    done_requested = Signal()  # "no more rows": the editor goes on to the next page

    def __init__(
        self,
        f: Field,
        ctx: EditorContext,
        parent: QWidget | None = None,
        *,
        make_panel: Callable[[list[Field], EditorContext], FieldsPanel],
    ) -> None:
        """``make_panel`` makes the panel of one row (``ui.widgets.table.panel_for``)."""
        super().__init__(f, ctx, parent)
        self.rows: list[dict[str, Any]] = []
        self.current = -1
        self.row_problems: dict[int, dict[str, str]] = {}
        self.row_warnings: dict[int, dict[str, str]] = {}
        self._doc: dict[str, Any] = {}
        self._scope: dict[str, Any] | None = None  # a repeat inside a repeat: the outer row (checked)
        self._raw: dict[str, Any] = {}
        self._households: dict[str, Any] = {}

        # the roster (an overview of every row) on top, the chosen row's questions full width below,
        # and after its last question: add another row, or go on
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._build_roster(outer)
        self._build_row(outer, make_panel)
        self._build_after(outer)
        self._build_empty(outer)
        self._update_buttons()

    def _build_roster(self, outer: QVBoxLayout) -> None:
        """Every row in a short list, the buttons that change the rows beside it, a summary under it."""
        roster = QHBoxLayout()
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(self._select)
        rows_shown = 4
        self.list.setFixedHeight(self.list.fontMetrics().height() * rows_shown + 8 * rows_shown + 6)
        roster.addWidget(self.list, 1)
        side = self._row_buttons()
        roster.addLayout(side)
        outer.addLayout(roster)
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        outer.addWidget(self.summary)

    def _row_buttons(self) -> QVBoxLayout:
        """Add, remove, move up and down, and (for household members) make head of household."""
        side = QVBoxLayout()
        self.add_button = QPushButton("+ " + tr("Add"))
        self.add_button.setToolTip(tr("Add a row (Ctrl+M)"))
        self.remove_button = QPushButton(tr("Remove"))
        self.up_button = QPushButton("▲")
        self.down_button = QPushButton("▼")
        self.up_button.setToolTip(tr("Move up"))
        self.down_button.setToolTip(tr("Move down"))
        self.up_button.setAccessibleName(tr("Move up"))
        self.down_button.setAccessibleName(tr("Move down"))
        moves = QHBoxLayout()
        moves.addWidget(self.up_button)
        moves.addWidget(self.down_button)
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            b.setAutoDefault(False)
        side.addWidget(self.add_button)
        side.addWidget(self.remove_button)
        side.addLayout(moves)
        self.head_button: QPushButton | None = None
        relation = self.field.child("relation")
        if relation is not None and any(c.code == "head" for c in relation.choices):
            self.head_button = QPushButton(tr("Make head of household"))
            self.head_button.setAutoDefault(False)
            self.head_button.clicked.connect(self.make_head)
            side.addWidget(self.head_button)
        side.addStretch(1)
        self.add_button.clicked.connect(lambda: self.add_row())
        self.remove_button.clicked.connect(self.remove_row)
        self.up_button.clicked.connect(lambda: self.move_row(-1))
        self.down_button.clicked.connect(lambda: self.move_row(1))
        return side

    def _build_row(
        self, outer: QVBoxLayout, make_panel: Callable[[list[Field], EditorContext], FieldsPanel]
    ) -> None:
        """The questions of the chosen row under its heading."""
        self.row_heading = QLabel()
        self.row_heading.setObjectName("rowheading")
        outer.addWidget(self.row_heading)
        self.panel = make_panel(self.field.fields, self.ctx)
        self.panel.changed.connect(self._row_changed)
        outer.addWidget(self.panel)

    def _build_after(self, outer: QVBoxLayout) -> None:
        """After the row's last question: add another row, or go on to the next page."""
        self.after = QWidget()
        after = QHBoxLayout(self.after)
        after.setContentsMargins(8, 4, 8, 8)
        self.another_button = QPushButton("+ " + tr("Add another ({what})", what=label_of(self.field.label)))
        self.another_button.setToolTip(tr("Add a row (Ctrl+M)"))
        self.another_button.setAutoDefault(False)
        self.another_button.clicked.connect(lambda: self.add_row())
        self.done_button = QPushButton(tr("No more: go on") + " ▶")
        self.done_button.setAutoDefault(False)
        self.done_button.clicked.connect(self.done_requested.emit)
        after.addWidget(QLabel(tr("Is there another?")))
        after.addWidget(self.another_button)
        after.addWidget(self.done_button)
        after.addStretch(1)
        outer.addWidget(self.after)

    def _build_empty(self, outer: QVBoxLayout) -> None:
        """What shows while there are no rows."""
        self.empty = QLabel(tr("No rows yet. Press \"Add\" to add one."))
        if self.field.repeat_count is not None:  # the rows follow an earlier answer: none to add by hand
            self.empty.setText(tr("No rows: their number follows an earlier answer"))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setObjectName("hint")
        outer.addWidget(self.empty)
        outer.addStretch(1)

    # ------------------------------------------------------------ rows
    def add_row(self) -> int:
        row = self.ctx.form.blank_row(self.field.path)
        if self.field.child("relation") is not None and not any(r.get("relation") == "head" for r in self.rows):
            row["relation"] = "head"
        self.rows.append(row)
        self._rebuild_list()
        self.list.setCurrentRow(len(self.rows) - 1)
        self._emit()
        self.focus_first_question()
        return len(self.rows) - 1

    def focus_first_question(self) -> None:
        """The chosen row's first question gets the focus, and its heading is scrolled into view."""
        ids = [i for i in self.panel.visible_ids() if self.panel.rows[i].field.type not in ("note", "calculated")]
        if not ids:
            return
        target = self.panel.rows[ids[0]].widget.focus_target()
        target.setFocus()
        from ..guards import scroll_area_of

        area = scroll_area_of(self)
        if isinstance(area, QScrollArea):
            area.ensureWidgetVisible(self.row_heading, 0, 0)
            area.ensureWidgetVisible(target, 40, 40)

    def remove_row(self) -> None:
        i = self.current
        if not 0 <= i < len(self.rows):
            return
        del self.rows[i]
        self.current = -1
        self._rebuild_list()
        if self.rows:
            self.list.setCurrentRow(min(i, len(self.rows) - 1))
        self._emit()

    def move_row(self, delta: int) -> None:
        i = self.current
        j = i + delta
        if not (0 <= i < len(self.rows) and 0 <= j < len(self.rows)):
            return
        self.rows[i], self.rows[j] = self.rows[j], self.rows[i]
        self.current = -1
        self._rebuild_list()
        self.list.setCurrentRow(j)
        self._emit()

    def make_head(self) -> None:
        i = self.current
        if not 0 <= i < len(self.rows):
            return
        for k, r in enumerate(self.rows):
            if k != i and r.get("relation") == "head":
                r["relation"] = None
        self.rows[i]["relation"] = "head"
        self.panel.load(self.rows[i])
        self._rebuild_list()
        self.list.setCurrentRow(i)
        self._emit()

    def _follow_count(self, doc: dict[str, Any]) -> None:
        """A repeat with ``repeat_count`` has as many rows as the answer asks for: blank rows are
        added, and rows at the end are taken away only while nothing is typed in them (a row
        with answers stays, and the check says there is one too many)."""
        wanted = self.ctx.form.row_count(self.field, doc, self._scope)
        if wanted is None:
            return
        wanted = min(wanted, int(self.field.max) if self.field.max is not None else MAX_ROWS_DEFAULT)
        before = len(self.rows)
        while len(self.rows) < wanted:
            self.rows.append(self.ctx.form.blank_row(self.field.path))
        while len(self.rows) > wanted and self._untouched(self.rows[-1]):
            self.rows.pop()
        if len(self.rows) == before:
            return
        keep = self.current
        self.current = -1
        self._rebuild_list()
        if self.rows:
            self.list.setCurrentRow(max(0, min(keep, len(self.rows) - 1)))
        self._emit()

    def _untouched(self, row: dict[str, Any]) -> bool:
        return all(row.get(c.id) in (None, "", [], c.default) for c in self.field.fields if c.stores_value)

    def _select(self, i: int) -> None:
        if i == self.current:
            return
        self.current = i
        if 0 <= i < len(self.rows):
            self.panel.load(self.rows[i])
            self._refresh_panel()
        self._update_buttons()

    def _row_changed(self, _fid: str) -> None:
        if 0 <= self.current < len(self.rows):
            self.rows[self.current].update(self.panel.values())
            item = self.list.item(self.current)
            if item is not None:
                item.setText(self._title(self.current))
            self.row_heading.setText(self._title(self.current))
        self._emit()

    def _update_buttons(self) -> None:
        has = 0 <= self.current < len(self.rows)
        self.remove_button.setEnabled(has)
        self.up_button.setEnabled(has and self.current > 0)
        self.down_button.setEnabled(has and self.current < len(self.rows) - 1)
        if self.head_button is not None:
            self.head_button.setEnabled(has)
        self.panel.setVisible(has)
        self.after.setVisible(has)
        self.row_heading.setVisible(has)
        if has:
            self.row_heading.setText(self._title(self.current))
        self.empty.setVisible(not has)
        limit = self.field.max
        self.add_button.setEnabled(limit is None or len(self.rows) < limit)
        self.another_button.setEnabled(self.add_button.isEnabled())
        counted = self.field.repeat_count is not None
        self.add_button.setVisible(not counted)
        self.another_button.setVisible(not counted)

    def _rebuild_list(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for i in range(len(self.rows)):
            item = QListWidgetItem(self._title(i))
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._mark_items()
        self._update_buttons()

    # ------------------------------------------------------------ titles
    def _household(self, hid: str) -> Any:
        if hid not in self._households:
            try:
                self._households[hid] = self.ctx.db.main.get("household", hid)
            except FieldAppError:
                self._households[hid] = None
        return self._households[hid]

    def _title(self, i: int) -> str:
        r = self.rows[i]
        n = f"{i + 1}. "
        if "first_name" in r:
            name = " ".join(str(r.get(k) or "") for k in ("first_name", "last_name")).strip()
            rel_f = self.field.child("relation")
            rel = rel_f.choice_label(r.get("relation"), language()) if rel_f and r.get("relation") else ""
            prefix = r.get("prefix") if r.get("prefix") != "other" else None
            text = thai.person_name(prefix, r.get("first_name"), r.get("last_name"), lang=language()) if name else tr(
                "(no name yet)")
            return n + (f"{text} — {rel}" if rel else text)
        if "member_id" in r:
            hh = self._household(r["household_id"]) if r.get("household_id") else None
            if hh is None:
                return n + tr("(choose a household member)")
            member = next((m for m in hh.data.get("members") or [] if m.get("id") == r.get("member_id")), None)
            name = " ".join(str(member.get(k) or "") for k in ("first_name", "last_name")) if member else tr(
                "(choose a member)")
            poor = browse.is_poor(browse.class_of(self.ctx.db.main.form("household"), hh.data))
            tag = " — " + tr("poor household") if poor else ""
            return n + f"{name} ({tr('House {no}', no=hh.data.get('house_no') or '-')}){tag}"
        for key in ("name", "need"):
            if r.get(key):
                return n + str(r[key])
        for c in self.field.fields:  # a form of its own (an XLSForm): the row's first text answer
            if c.type == "text" and isinstance(r.get(c.id), str) and r[c.id].strip():
                return n + r[c.id].strip()
        return n + label_of(self.field.label)

    def _mark_items(self) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if i in self.row_problems:
                item.setForeground(QBrush(QColor("#b3261e")))
                item.setToolTip("\n".join(self.row_problems[i].values()))
            elif i in self.row_warnings:
                item.setForeground(QBrush(QColor("#9a5b00")))
                item.setToolTip("\n".join(self.row_warnings[i].values()))
            else:
                item.setForeground(QBrush())
                item.setToolTip("")
        if "member_id" in (self.rows[0] if self.rows else {}):
            hids = {r.get("household_id") for r in self.rows if r.get("household_id")}
            poor = sum(1 for h in hids if (hh := self._household(str(h))) is not None
                       and browse.is_poor(browse.class_of(self.ctx.db.main.form("household"), hh.data)))
            self.summary.setText(tr("Linked households: {n}, of which poor: {poor}", n=len(hids), poor=poor))
        else:
            self.summary.setText(tr("{n} rows", n=len(self.rows)) if self.rows else "")
            if self.field.repeat_count is not None:
                self.summary.setText(
                    tr("{n} rows: their number follows an earlier answer", n=len(self.rows))
                )

    # ------------------------------------------------------------ contract
    def value(self) -> Any:
        return copy.deepcopy(self.rows)

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.rows = copy.deepcopy(list(value or []))
            self.current = -1
            self._rebuild_list()
            if self.rows:
                self.list.setCurrentRow(0)

    def set_read_only(self, read_only: bool) -> None:
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button, self.head_button):
            if b is not None:
                b.setEnabled(not read_only)
        for row in self.panel.rows.values():
            row.widget.set_read_only(read_only)

    def update_context(self, data: dict[str, Any], row: dict[str, Any] | None) -> None:
        self._raw = data

    def refresh(self, doc: dict[str, Any], problems: dict[str, str], warnings: dict[str, str]) -> None:
        """Called by the editor after each check: live results, relevance and messages per row."""
        self._doc = doc
        self._follow_count(doc)
        prefix = self.field.id + "["
        self.row_problems = {}
        self.row_warnings = {}
        for store, source in ((self.row_problems, problems), (self.row_warnings, warnings)):
            for path, msg in source.items():
                if path.startswith(prefix):
                    idx_text, _, rest = path[len(prefix):].partition("]")
                    if idx_text.isdigit():
                        store.setdefault(int(idx_text) - 1, {})[rest.lstrip(".")] = msg
        self._mark_items()
        self._refresh_panel()

    def refresh_in(
        self, doc: dict[str, Any], outer: dict[str, Any], problems: dict[str, str], warnings: dict[str, str]
    ) -> None:
        """A repeat inside a repeat: refreshed by its outer row's widget with that row (checked)."""
        self._scope = outer
        self.refresh(doc, problems, warnings)

    def _refresh_panel(self) -> None:
        i = self.current
        if not 0 <= i < len(self.rows):
            return
        holder = self._scope if self._scope is not None else self._doc
        doc_rows = holder.get(self.field.id) or []
        doc_row: Any = doc_rows[i] if i < len(doc_rows) else dict(self.rows[i])
        if self._scope is not None:  # a row inside a row sees its outer row's answers too
            doc_row = ChainMap(doc_row, self._scope)
        self.panel.refresh(self._doc, doc_row, self._raw, self.rows[i])
        probs = self.row_problems.get(i, {})
        warns = self.row_warnings.get(i, {})
        for frow in self.panel.rows.values():
            if isinstance(frow.widget, RepeatWidget):  # a repeat inside this row
                frow.widget.refresh_in(self._doc, doc_row, probs, warns)
        for fid, frow in self.panel.rows.items():
            local = frow.widget.local_problem()  # what the boxes show first, as on the form's pages
            if local:
                frow.set_problem(local)
            elif fid in probs:
                frow.set_problem(probs[fid])
            elif fid in warns:
                frow.set_problem(warns[fid], warning=True)
            else:
                frow.set_problem(None)

    def focus_target(self) -> QWidget:
        return self.add_button
