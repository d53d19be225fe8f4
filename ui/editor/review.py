"""The last page of the editor: every answer by section, then what is wrong or missing and what
to check, each line a way back to its question (Enter or a double click)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from fieldapp import expr
from fieldapp.errors import Problem
from fieldapp.forms import Field, Form, Group, layout_of

from .. import fmt
from ..i18n import label_of, tr

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def answer_text(f: Field, value: Any, unmask: bool) -> str:
    if expr.is_empty(value):
        return "–"
    return fmt.field_value(f, value, unmask) or str(value)


class ReviewPage(QWidget):
    jump_requested = Signal(str)  # a field path, e.g. "members[2].first_name"

    def __init__(self, form: Form, unmask: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.unmask = unmask
        lay = QVBoxLayout(self)
        self.intro = QLabel(
            tr("Check every answer before saving. Press Enter or double-click a line to go to its question.")
        )
        self.intro.setWordWrap(True)
        self.intro.setObjectName("hint")
        lay.addWidget(self.intro)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([tr("Question"), tr("Answer")])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.itemActivated.connect(self._activated)
        lay.addWidget(self.tree, 1)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        path = item.data(0, PATH_ROLE)
        if path:
            self.jump_requested.emit(str(path))

    def show_record(
        self, doc: dict[str, Any], problems: list[Problem], warnings: dict[str, str], message: Any
    ) -> None:
        """``message(problem)`` gives a problem's text in the current language."""
        self.tree.clear()
        self.tree.setColumnWidth(0, max(260, self.width() // 2))
        bad = QBrush(QColor("#b3261e"))
        warn = QBrush(QColor("#9a5b00"))
        if problems or warnings:
            head = QTreeWidgetItem(
                [tr("To correct or complete ({n})", n=len(problems)) if problems else tr("To check"), ""]
            )
            head.setForeground(0, bad if problems else warn)
            for p in problems:
                item = QTreeWidgetItem(["✗ " + message(p), ""])
                item.setForeground(0, bad)
                item.setData(0, PATH_ROLE, p.path)
                head.addChild(item)
            for path, text in warnings.items():
                item = QTreeWidgetItem(["⚠ " + text, ""])
                item.setForeground(0, warn)
                item.setData(0, PATH_ROLE, path)
                head.addChild(item)
            self.tree.addTopLevelItem(head)
            head.setExpanded(True)
        else:
            self.tree.addTopLevelItem(QTreeWidgetItem(["✓ " + tr("Nothing is missing or wrong"), ""]))
        for i, section in enumerate(self.form.sections):
            sec = QTreeWidgetItem([f"{i + 1}. {label_of(self.form.section_texts(section, doc), section.id)}", ""])
            self._expand: list[QTreeWidgetItem] = []
            self._answers(sec, layout_of(section), doc)
            self.tree.addTopLevelItem(sec)
            sec.setExpanded(True)
            for item in self._expand:  # an item opens only once it is in the tree
                item.setExpanded(True)

    def _answers(self, parent: QTreeWidgetItem, layout: list[Field | Group], doc: dict[str, Any]) -> None:
        """A section's answers, a group's under its title (a group that does not apply: left out)."""
        for f in layout:
            if isinstance(f, Group):
                if self.form.group_relevant(f, doc):
                    group = QTreeWidgetItem([label_of(self.form.group_texts(f, doc), f.id), ""])
                    group.setToolTip(0, group.text(0))  # a long title is cut short in its column
                    self._answers(group, f.items, doc)
                    if group.childCount():
                        parent.addChild(group)
                        self._expand.append(group)
                continue
            if f.type in ("note", "hidden") or not self.form.is_relevant(f, doc):
                continue
            if f.type == "repeat":
                self._rows(parent, f, doc)
                continue
            label = label_of(self.form.label_texts(f, doc), f.id)
            item = QTreeWidgetItem([label, answer_text(f, doc.get(f.id), self.unmask)])
            item.setData(0, PATH_ROLE, f.id)
            parent.addChild(item)

    def _rows(self, parent: QTreeWidgetItem, rep: Field, doc: dict[str, Any]) -> None:
        rows = doc.get(rep.id) or []
        group = QTreeWidgetItem([label_of(rep.label, rep.id), tr("{n} rows", n=len(rows))])
        group.setData(0, PATH_ROLE, rep.id)
        parent.addChild(group)
        for n, row in enumerate(rows, start=1):
            name = " ".join(str(row.get(k) or "") for k in ("first_name", "last_name")).strip() or next(
                (str(row[c.id]) for c in rep.fields if c.type == "text" and row.get(c.id)), ""
            )
            item = QTreeWidgetItem([f"{n}. {name or label_of(rep.label)}", ""])
            item.setData(0, PATH_ROLE, f"{rep.id}[{n}]")
            self._row_answers(item, layout_of(rep), doc, row, f"{rep.id}[{n}].")
            group.addChild(item)
            self._expand.append(item)
        self._expand.append(group)

    def _row_answers(
        self, parent: QTreeWidgetItem, layout: list[Field | Group], doc: dict[str, Any], row: Any, prefix: str
    ) -> None:
        """One repeat row's answers, a group's under its title."""
        for c in layout:
            if isinstance(c, Group):
                if self.form.group_relevant(c, doc, row):
                    sub = QTreeWidgetItem([label_of(self.form.group_texts(c, doc, row), c.id), ""])
                    sub.setToolTip(0, sub.text(0))
                    self._row_answers(sub, c.items, doc, row, prefix)
                    if sub.childCount():
                        parent.addChild(sub)
                        self._expand.append(sub)
                continue
            if c.type in ("note", "calculated", "hidden") or not self.form.is_relevant(c, doc, row):
                continue
            label = label_of(self.form.label_texts(c, doc, row), c.id)
            if c.type == "repeat":  # a repeat inside the row: how many rows it has
                answer = tr("{n} rows", n=len(row.get(c.id) or []))
            else:
                answer = answer_text(c, row.get(c.id), self.unmask)
            child = QTreeWidgetItem([label, answer])
            child.setData(0, PATH_ROLE, f"{prefix}{c.id}")
            parent.addChild(child)
