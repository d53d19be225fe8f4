"""The record editor generated from a form definition: sections as pages, live checks."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp import expr, softwarn, thai
from fieldapp.errors import Problem
from fieldapp.forms import Section, metadata
from fieldapp.store import Checked, check_for_save

from ..i18n import label_of, tr
from ..widgets.odk import RankWidget
from ..widgets.registry import EditorContext
from ..widgets.repeat import RepeatWidget
from ..widgets.table import panel_for
from .panel import FieldRow, FieldsPanel
from .review import ReviewPage

CHECK_DELAY_MS = 120


class FormEditor(QWidget):
    """Pages of questions for one record; ``raw()`` is what was typed, ``check()`` what is wrong."""

    changed = Signal()

    def __init__(
        self, ctx: EditorContext, data: dict[str, Any] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.form = ctx.form
        self.touched: set[str] = set()
        self.show_all_problems = False
        self.doc: dict[str, Any] = {}
        self.problems: list[Problem] = []
        self._dup_key: tuple[str, ...] = ()
        self._dup_warnings: dict[str, str] = {}

        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.sections = QListWidget()
        self.sections.setObjectName("sections")
        self.sections.setMaximumWidth(300)
        self.sections.setMinimumWidth(220)
        self.sections.setWordWrap(True)
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.sections)
        right = QVBoxLayout()
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        right.addWidget(self.banner)
        self.pages = QStackedWidget()
        right.addWidget(self.pages, 1)
        nav = QHBoxLayout()
        self.prev_button = QPushButton("◀ " + tr("Previous page"))
        self.next_button = QPushButton(tr("Next page") + " ▶")
        self.prev_button.setToolTip(tr("Previous page (Ctrl+Page Up)"))
        self.next_button.setToolTip(tr("Next page (Ctrl+Page Down)"))
        # on a page of rows (members): another row, in sight however far the page is scrolled (the
        # page's own "+ Add another" lies below the row's last question); the dialog puts it in its
        # footer beside the page buttons
        self.add_row_button = QPushButton(self)
        self.add_row_button.setToolTip(tr("Add a row (Ctrl+M)"))
        self.add_row_button.hide()
        for b in (self.prev_button, self.next_button, self.add_row_button):
            b.setAutoDefault(False)
        self.prev_button.clicked.connect(self.go_previous)
        self.next_button.clicked.connect(self.go_next)
        self.add_row_button.clicked.connect(self.add_row)
        nav.addWidget(self.prev_button)
        nav.addStretch(1)
        nav.addWidget(self.next_button)
        right.addLayout(nav)
        outer.addLayout(right, 1)

        self.panels: list[FieldsPanel | None] = [None] * len(self.form.sections)
        self.section_of: dict[str, int] = {}
        for i, section in enumerate(self.form.sections):
            for f in section.fields:
                self.section_of[f.id] = i
            self.pages.addWidget(QWidget())  # built when first shown (opening stays fast)
            self.sections.addItem(QListWidgetItem(self._section_title(i, section)))
        # the last page: every answer, what is wrong or missing, a way back to each question
        self.review = ReviewPage(self.form, ctx.unmask)
        self.review.jump_requested.connect(self.go_to_problem)
        self.review_index = len(self.form.sections)
        self.pages.addWidget(self.review)
        self.sections.addItem(QListWidgetItem(f"{self.review_index + 1}. " + tr("Review and save")))
        self.sections.currentRowChanged.connect(self._show_page)
        self.pages.currentChanged.connect(self._page_changed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.recheck)
        # a questionnaire's start and today are when the record is first opened
        self.load(metadata.on_open(self.form, data if data is not None else self.form.blank()))
        self.sections.setCurrentRow(0)

    def panel(self, index: int) -> FieldsPanel:
        """The questions of section ``index``, built on first use."""
        found = self.panels[index]
        if found is not None:
            return found
        section = self.form.sections[index]
        panel = panel_for(section.fields, self.ctx)
        panel.load(self._values)
        panel.changed.connect(self._changed)
        for frow in panel.rows.values():
            if isinstance(frow.widget, RepeatWidget):
                frow.widget.done_requested.connect(self.go_next)
        self.panels[index] = panel
        # every page scrolls inside the window (a page with members too): the window's footer with
        # Save and the page buttons never moves off the screen
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(panel)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page: QWidget = scroll
        old = self.pages.widget(index)
        self.pages.blockSignals(True)
        current = self.pages.currentIndex()
        self.pages.insertWidget(index, page)
        if old is not None:
            self.pages.removeWidget(old)
            old.deleteLater()
        self.pages.setCurrentIndex(current)
        self.pages.blockSignals(False)
        self._refresh_panel(panel)
        return panel

    def _show_page(self, index: int) -> None:
        if 0 <= index < len(self.panels):
            self.panel(index)
            self.pages.setCurrentIndex(index)
            self._page_changed(index)
        elif index == self.review_index:
            self.show_review()
            self.pages.setCurrentIndex(index)
            self._page_changed(index)

    def show_review(self) -> None:
        """Fill the review page with every answer and every problem (missing answers too)."""
        self.recheck()
        raw = self.raw()
        doc, problems = self.form.validate(copy.deepcopy(raw), partial_ok=False)
        for panel in self.built_panels():
            for fid, frow in panel.rows.items():
                local = frow.widget.local_problem()
                if local and not frow.isHidden():
                    problems.append(Problem(fid, f"{label_of(frow.field.label)}: {local}", local, "local"))
        self.review.show_record(
            doc,
            problems,
            dict(self._warnings),
            lambda p: p.message if self._thai() else p.message_en or p.message,
        )

    def built_panels(self) -> list[FieldsPanel]:
        return [p for p in self.panels if p is not None]

    # ------------------------------------------------------------------ values
    def _section_title(self, i: int, section: Section) -> str:
        return f"{i + 1}. {label_of(self.form.section_texts(section, self.doc), section.id)}"

    def load(self, data: dict[str, Any]) -> None:
        self._values = {
            f.id: copy.deepcopy(data.get(f.id))
            for f in self.form.fields.values()
            if f.type == "repeat" or (f.stores_value and f.type != "calculated") or f.trigger
        }
        for panel in self.built_panels():
            panel.load(self._values)
        self.recheck()

    def raw(self) -> dict[str, Any]:
        out = copy.deepcopy(self._values)
        for panel in self.built_panels():
            out.update(panel.values())
        return out

    def repeat_widgets(self) -> list[RepeatWidget]:
        return [
            w
            for panel in self.built_panels()
            for row in panel.rows.values()
            if isinstance(w := row.widget, RepeatWidget)
        ]

    def widget(self, field_id: str) -> Any:
        return self.panel(self.section_of[field_id]).widget(field_id)

    def row(self, field_id: str) -> Any:
        return self.panel(self.section_of[field_id]).rows[field_id]

    # ------------------------------------------------------------------ checking
    def _changed(self, field_id: str) -> None:
        triggered = self.form.triggered_by(field_id)
        if triggered:  # XLSForm's trigger: these calculations are made now, then kept
            doc, _ = self.form.validate(copy.deepcopy(self.raw()), partial_ok=True)
            for f in triggered:
                self._values[f.id] = self.form.fire(f, doc)
        self.touched.add(field_id)
        self._timer.start()
        self._update_add_row_button()
        self.changed.emit()

    def recheck(self, checked: Checked | None = None) -> None:
        """Validate what is typed (as a draft): live results, relevance, inline messages.
        ``checked``: what is typed, already validated for saving (``check_for_save``)."""
        self._timer.stop()
        raw = self.raw()
        if checked is None:
            doc, problems = self.form.validate(copy.deepcopy(raw), partial_ok=not self.show_all_problems)
        else:
            doc, problems = checked.doc, list(checked.problems)
        self.doc = doc
        self.problems = problems
        by_path: dict[str, str] = {}
        for p in problems:
            by_path.setdefault(p.path, p.message if self._thai() else p.message_en or p.message)
        self._raw = raw
        self._by_path = by_path
        self._warnings = dict(self._duplicate_warnings(doc))
        # soft warnings (plausible ranges) beside their fields; never blocking
        self._soft = {w.path: "⚠ " + w.text(self._thai()) for w in softwarn.evaluate(self.form, doc)}
        for path, text in self._soft.items():
            self._warnings.setdefault(path, text)
        for panel in self.built_panels():
            self._refresh_panel(panel)
        self._update_sections()
        self._update_banner()

    def _refresh_panel(self, panel: FieldsPanel) -> None:
        if not hasattr(self, "_by_path"):
            return
        by_path = self._by_path
        panel.refresh(self.doc, None, self._raw, None)
        for fid, frow in panel.rows.items():
            if isinstance(frow.widget, RepeatWidget):
                frow.widget.refresh(self.doc, by_path if self._show(fid) else {}, self._warnings)
                frow.set_problem(by_path.get(fid) if self._show(fid) else None)
                continue
            msg = by_path.get(fid) if self._show(fid) else None
            # what the widget sees in its boxes first (a day typed, its time not yet): it speaks of
            # the boxes on screen, where the form's check speaks of the stored format
            frow.set_problem(frow.widget.local_problem() or msg or getattr(self, "_soft", {}).get(fid))

    def _thai(self) -> bool:
        from ..i18n import language

        return language() == "th"

    def _show(self, field_id: str) -> bool:
        return self.show_all_problems or field_id in self.touched

    def _duplicate_warnings(self, doc: dict[str, Any]) -> dict[str, str]:
        """National IDs that already belong to another household (checked when the IDs change)."""
        reps = [r for r in self.form.repeats() if any(c.type == "national_id" for c in r.fields)]
        if not reps:
            return {}
        key = tuple(
            str(row.get(c.id) or "")
            for r in reps
            for row in doc.get(r.id) or []
            for c in r.fields
            if c.type == "national_id"
        )
        if key != self._dup_key:
            self._dup_key = key
            found = self.ctx.db.main.duplicates_for(self.form, self.ctx.record_id or "", doc)
            self._dup_warnings = {
                d.path: tr(
                    "This ID is also recorded in another household: {title}",
                    title=d.other_title or d.other_record,
                )
                for d in found
            }
            seen: dict[str, int] = {}
            for r in reps:
                for i, row in enumerate(doc.get(r.id) or []):
                    for c in r.fields:
                        nid = row.get(c.id)
                        if c.type == "national_id" and nid:
                            if nid in seen:
                                self._dup_warnings[f"{r.id}[{i + 1}].{c.id}"] = tr(
                                    "The same ID as member {n} ({masked})",
                                    n=seen[nid] + 1,
                                    masked=thai.mask_national_id(nid),
                                )
                            else:
                                seen[nid] = i
        return self._dup_warnings

    def _update_sections(self) -> None:
        paths = {p.path.split("[")[0].split(".")[0] for p in self.problems}
        for i, section in enumerate(self.form.sections):
            bad = any(f.id in paths and self._show(f.id) for f in section.fields)
            item = self.sections.item(i)
            item.setText(("⚠ " if bad else "") + self._section_title(i, section))
            # a section that does not apply (no interview: visit outcome refused …) is greyed out
            applies = self._section_applies(section)
            flags = item.flags()
            enabled = bool(flags & Qt.ItemFlag.ItemIsEnabled)
            if applies != enabled:
                item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled if applies else flags & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip("" if applies else tr("Not asked: the visit was not an interview"))

    def _section_applies(self, section: Section) -> bool:
        if section.relevant is None:
            return True
        try:
            return expr.truthy(section.relevant.fn(self.doc, None))
        except expr.CALCULATION_ERRORS:
            return True

    def _update_banner(self) -> None:
        consent = self.form.consent_field
        page = self.pages.currentIndex()
        if not consent or not 0 <= page < len(self.form.sections):
            self.banner.hide()
            return
        section = self.form.sections[page]
        has_sensitive = any(f.sensitive or any(c.sensitive for c in f.fields) for f in section.fields)
        if has_sensitive and self.doc.get(consent) is not True:
            self.banner.setText(
                tr(
                    "Health and disability questions stay hidden until the household gives "
                    "explicit consent (on the Consent page)."
                )
            )
            self.banner.show()
        else:
            self.banner.hide()

    def soft_warnings(self, doc: dict[str, Any]) -> list[softwarn.SoftWarning]:
        """The record's soft warnings with the reasons already given (the form's and, through
        the store, the cross-record ones such as employing a child)."""
        return self.ctx.db.main.soft_warnings(
            self.form.id, {**doc, softwarn.REASONS_FIELD: self.raw().get(softwarn.REASONS_FIELD)}
        )

    def check_for_save(self) -> tuple[Checked, list[Problem], list[Problem]]:
        """(the record validated once for saving, problems that block saving, required answers
        still missing); every problem is shown beside its field."""
        self.show_all_problems = True
        checked = check_for_save(self.form, self.raw())
        self.recheck(checked)
        missing = checked.missing
        blocking = checked.blocking
        for panel in self.built_panels():
            for fid, frow in panel.rows.items():
                local = frow.widget.local_problem()
                if local and not frow.isHidden():
                    blocking.append(Problem(fid, f"{label_of(frow.field.label)}: {local}", local, "local"))
        return checked, blocking, missing

    # ------------------------------------------------------------------ navigation
    def go_to(self, page: int) -> None:
        if 0 <= page < self.pages.count():
            self.sections.setCurrentRow(page)
            self._show_page(page)

    def go_to_problem(self, path: str) -> None:
        fid = path.split("[")[0].split(".")[0]
        if fid in self.section_of:
            self.go_to(self.section_of[fid])
            w = self.widget(fid)
            if isinstance(w, RepeatWidget) and "[" in path:
                idx = path.split("[")[1].split("]")[0]
                if idx.isdigit():
                    w.list.setCurrentRow(int(idx) - 1)
                rest = path.partition("].")[2]
                child = rest.split("[")[0].split(".")[0]
                inner = w.panel.rows[child].widget if child in w.panel.rows else None
                if isinstance(inner, RepeatWidget) and "[" in rest:  # a row inside the row
                    j = rest.split("[")[1].split("]")[0]
                    if j.isdigit():
                        inner.list.setCurrentRow(int(j) - 1)
                    leaf = rest.partition("].")[2]
                    if leaf in inner.panel.rows:
                        inner.panel.widget(leaf).focus_target().setFocus()
                    else:
                        inner.focus_first_question()
                    return
                if child in w.panel.rows:
                    w.panel.widget(child).focus_target().setFocus()
                else:
                    w.focus_first_question()
                return
            w.focus_target().setFocus()

    def _page_changed(self, index: int) -> None:
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < self.pages.count() - 1)
        self._update_banner()
        self._update_add_row_button()
        panel = self.panels[index] if 0 <= index < len(self.panels) else None
        if index == self.review_index:
            QTimer.singleShot(0, self.review.tree, self.review.tree.setFocus)
        if panel is not None:
            ids = [i for i in panel.visible_ids() if panel.rows[i].field.type not in ("note", "calculated")]
            if ids:
                first = panel.rows[ids[0]].widget.focus_target()
                QTimer.singleShot(0, first, first.setFocus)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter goes on to the next question (from a text box, a drop-down, a date, a choice, a
        ranking's list); on a button it presses the button. A box of several lines keeps Enter for a
        new line."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = QApplication.focusWidget()
            if isinstance(focused, QPushButton):
                focused.click()
                return
            ranking = focused is not None and isinstance(focused.parentWidget(), RankWidget)
            if ranking or isinstance(focused, (QLineEdit, QComboBox, QAbstractSpinBox, QAbstractButton)):
                if self._timer.isActive():
                    self.recheck()  # questions shown by the last answer are next, even when typing fast
                self.focusNextChild()
                page = self.pages.currentWidget()
                now = QApplication.focusWidget()
                if page is not None and now is not None and not page.isAncestorOf(now):
                    self.go_next()  # after the page's last question: the next page, not the buttons below
                elif now is not None:
                    bring_into_view(now)
                return
        super().keyPressEvent(event)

    def current_repeat(self) -> RepeatWidget | None:
        """The repeat (members) on the page shown, if any."""
        panel = (
            self.panels[self.pages.currentIndex()]
            if 0 <= self.pages.currentIndex() < len(self.panels)
            else None
        )
        if panel is None:
            return None
        return next((r.widget for r in panel.rows.values() if isinstance(r.widget, RepeatWidget)), None)

    def add_row(self) -> None:
        """Another row (member) on the page shown; the focus goes to its first question."""
        rep = self.current_repeat()
        if rep is not None and rep.add_button.isEnabled():
            rep.add_row()

    def _update_add_row_button(self) -> None:
        """Shown on a page of rows once there is a row, while another may be added."""
        rep = self.current_repeat()
        can = rep is not None and bool(rep.rows) and rep.add_button.isEnabled() and not rep.add_button.isHidden()
        if rep is not None and can:
            self.add_row_button.setText(rep.another_button.text())
        self.add_row_button.setVisible(can)

    def go_next(self) -> None:
        self.go_to(self.pages.currentIndex() + 1)

    def go_previous(self) -> None:
        self.go_to(self.pages.currentIndex() - 1)


def bring_into_view(widget: QWidget) -> None:
    """Scroll the page so that the question ``widget`` belongs to (its label too) is on screen.

    Focus moved by the program (Enter) does not pass through the scroll area the way Tab does, so
    the page would not follow it by itself."""
    row: QWidget | None = widget
    while row is not None and not isinstance(row, FieldRow):
        row = row.parentWidget()
    area = widget.parentWidget()
    while area is not None and not isinstance(area, QScrollArea):
        area = area.parentWidget()
    if not isinstance(area, QScrollArea):
        return
    if row is not None and row.height() < area.viewport().height():
        area.ensureWidgetVisible(row, 0, 24)
    area.ensureWidgetVisible(widget, 0, 24)
