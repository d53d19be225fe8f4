"""A record's edit history as people read it: newest first, when (Buddhist era), who (by name
where this laptop knows it), each question by its label with the old and the new answer as the
editor shows them (choice labels, formatted numbers and dates, national ID numbers masked), the
rows of members and other repeats named by their answers. Entries made on other laptops arrive
with the record at sync (``fieldapp.history``)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fieldapp import history, thaidate
from fieldapp.errors import FieldAppError
from fieldapp.fieldchanges import field_of
from fieldapp.forms import Field, Form
from fieldapp.store import Store

from .. import fmt
from ..db import Database
from ..i18n import label_of, language, tr
from . import geometry
from .conflict_dialog import people_names, person


@dataclass
class ChangeLine:
    question: str
    old: str
    new: str
    detail: list[str] = field(default_factory=list)  # a removed row's answers


@dataclass
class EntryView:
    when: str
    who: str
    how: str  # "" for an edit; else where it came from (an import, the server …)
    lines: list[ChangeLine] = field(default_factory=list)


def when_text(at: str) -> str:
    """A stored UTC time as Thailand's date and time in the Buddhist era."""
    try:
        return thaidate.format_datetime(at, lang=language())
    except (FieldAppError, ValueError):
        return at


def how_text(action: str) -> str:
    return {
        "update": "",
        "import": tr("imported"),
        "pull": tr("received from the server"),
        "merge": tr("merged with changes on the server"),
        "anonymise": tr("personal data removed"),
    }.get(action, action)


def _name_fields(rep: Field) -> list[Field]:
    """The answers that name a row of a repeat: its name fields, else its first text field."""
    texts = [c for c in rep.fields if c.stores_value and c.value_type == "text"]
    named = [c for c in texts if "name" in c.id]
    return named[:3] or texts[:1]


def row_names(form: Form, doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(repeat, row id) → the row's name: from the record as it is, else (a removed row) from the
    newest value history holds for its name fields."""
    out: dict[tuple[str, str], str] = {}
    for rep in form.repeats():
        names = _name_fields(rep)
        for row in doc.get(rep.id) or []:
            text = " ".join(str(row.get(c.id)) for c in names if row.get(c.id))
            if text:
                out[(rep.id, str(row.get("id")))] = text
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for e in entries:  # oldest first: later values win
        for ch in e["changes"]:
            if ch.get("repeat") and ch.get("field"):
                vals = seen.setdefault((ch["repeat"], ch["row"]), {})
                value = ch.get("old") if ch.get("row_op") == "removed" else ch.get("new")
                if value not in (None, ""):
                    vals[ch["field"]] = value
                elif ch.get("old") not in (None, ""):
                    vals.setdefault(ch["field"], ch.get("old"))
    for key, vals in seen.items():
        if key in out or key[0] not in form.fields:
            continue
        text = " ".join(str(vals[c.id]) for c in _name_fields(form.fields[key[0]]) if vals.get(c.id))
        if text:
            out[key] = text
    return out


def _value(f: Field | None, value: Any) -> str:
    if value is None or value == "" or value == []:
        return tr("(blank)")
    if f is None:
        return str(value)
    return fmt.field_value(f, value) or str(value)


def change_line(form: Form, ch: dict[str, Any], names: dict[tuple[str, str], str]) -> ChangeLine:
    f = field_of(form, ch)
    question = fmt.field_label(f) if f is not None else str(ch.get("field") or "")
    rep_id = ch.get("repeat")
    if rep_id:
        rep = form.fields.get(rep_id)
        rep_label = fmt.field_label(rep) if rep is not None else str(rep_id)
        row = names.get((rep_id, str(ch.get("row"))))
        op = ch.get("row_op")
        if ch.get("field") is None:
            question = f"{rep_label} ({row})" if row else rep_label
        else:  # the row by its name where it has one ("กัญญารัตน์ จันทร์หอม: อาชีพหลัก")
            question = f"{row or rep_label}: {question}"
        if op == "added" and ch.get("field") is None:
            return ChangeLine(question, "", tr("row added"))
        if op == "removed" and ch.get("field") is None:
            return ChangeLine(question, tr("row removed"), "")
    if ch.get("redacted"):
        hidden = tr("(sensitive answer, not kept)")
        return ChangeLine(question, hidden, hidden)
    old, new = _value(f, ch.get("old")), _value(f, ch.get("new"))
    if ch.get("row_op") == "added":
        old = tr("(new row)")
    elif ch.get("row_op") == "removed":
        new = tr("(row removed)")
    return ChangeLine(question, old, new)


def history_view(store: Store, form: Form, record_id: str, people: dict[str, str]) -> list[EntryView]:
    """The record's history as it is shown: newest first."""
    entries = history.entries(store, record_id)
    rec = store.get(form.id, record_id, include_deleted=True)
    names = row_names(form, rec.data or {}, entries)
    out = []
    for e in reversed(entries):
        view = EntryView(when_text(e["at"]), person(e["user"], people), how_text(e["action"]))
        gone: dict[tuple[str, str], ChangeLine] = {}
        for ch in e["changes"]:
            line = change_line(form, ch, names)
            if ch.get("row_op") != "removed":
                view.lines.append(line)
                continue
            # a removed row is one line (its answers are in the tooltip), not one per question
            key = (str(ch.get("repeat")), str(ch.get("row")))
            if key not in gone:
                rep = form.fields.get(key[0])
                label = fmt.field_label(rep) if rep is not None else key[0]
                row = names.get(key)
                gone[key] = ChangeLine(f"{label} ({row})" if row else label, "", tr("row removed"))
                view.lines.append(gone[key])
            if ch.get("field"):
                gone[key].detail.append(f"{line.question.split(': ', 1)[-1]}: {line.old}")
        out.append(view)
    return out


def _esc(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def entries_html(entries: list[EntryView]) -> str:
    """The entries as one table: a heading row per entry (when, who), a row per change."""
    head = (
        f"<tr><th align='left' width='40%'>{_esc(tr('Question'))}</th>"
        f"<th align='left' width='30%'>{_esc(tr('Before'))}</th>"
        f"<th align='left' width='30%'>{_esc(tr('After'))}</th></tr>"
    )
    rows = [head]
    for e in entries:
        title = f"{e.when} — {e.who}" + (f" ({e.how})" if e.how else "")
        rows.append(f"<tr><td colspan='3' bgcolor='#e6efe9'><b>{_esc(title)}</b></td></tr>")
        for line in e.lines:
            old = _esc(line.old)
            if line.detail:
                old = "<small>" + " · ".join(_esc(d) for d in line.detail) + "</small>"
            rows.append(f"<tr><td>{_esc(line.question)}</td><td>{old}</td><td>{_esc(line.new)}</td></tr>")
    return "<table width='100%' cellspacing='0' cellpadding='4'>" + "".join(rows) + "</table>"


class HistoryDialog(QDialog):
    """ประวัติการแก้ไข: one record's edit history, newest first."""

    def __init__(self, parent: QWidget | None, db: Database, form_id: str, record_id: str, title: str = "") -> None:
        super().__init__(parent)
        self.db = db
        store = db.main
        self.form = store.form(form_id)
        self.record_id = record_id
        self.setWindowTitle(tr("Edit history"))
        lay = QVBoxLayout(self)
        self.heading = QLabel(title or label_of(self.form.title, self.form.id))
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        lay.addWidget(self.heading)
        self.entries = history_view(store, self.form, record_id, people_names(db.path, store))
        rec = store.get(form_id, record_id, include_deleted=True)
        made = tr(
            "Recorded on {when} by {who}",
            when=when_text(rec.created_at),
            who=person(rec.created_by, people_names(db.path, store)),
        )
        self.intro = QLabel(
            made + " · " + (tr("{n} changes since, newest first", n=len(self.entries))
                            if self.entries else tr("Not changed since"))
        )
        self.intro.setWordWrap(True)
        lay.addWidget(self.intro)
        # rich text wraps long Thai questions and answers at word boundaries (a table view would
        # cut them); the text can be selected and copied
        self.view = QTextBrowser()
        self.view.setOpenLinks(False)
        self.view.setHtml(entries_html(self.entries))
        self.view.setVisible(bool(self.entries))
        lay.addWidget(self.view, 1)
        if not self.entries:
            lay.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton(tr("Close"))
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.close_button)
        lay.addLayout(buttons)
        geometry.fit_to_screen(self, 1180, 660)
        store.audit("view_history", form_id, record_id)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)


def show_history(parent: QWidget | None, db: Database, form_id: str, record_id: str, title: str = "") -> HistoryDialog:
    dlg = HistoryDialog(parent, db, form_id, record_id, title)
    dlg.show()
    return dlg
