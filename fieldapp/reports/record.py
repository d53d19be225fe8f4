"""The record report: any form's record (an installed XLSForm too) as a Thai PDF.

What it prints comes from the form alone: its sections in order, each relevant question with its
answer (choices by their labels, dates in the Buddhist era, yes/no in words, money in baht, a
loss as ขาดทุน), labels with the answers they name filled in (``${name}``), and every repeat as a
table with one line per row (a repeat with many questions is split into several tables, each
starting with the row's number). A group's title is printed above its questions (the titles of
the groups around it before it, "หัวหน้าครัวเรือน › การทำงาน"); inside a repeat its questions get
tables of their own under that title. Questions that are not relevant are left out; relevant ones
without an answer print a dash, so a reader sees what is missing. National IDs are masked unless
the report is unmasked.

``record_report(form, doc, …)`` turns a record's document into plain data (no database handle:
the caller reads the record); ``RecordReportRenderer`` lays it out with the other reports' rules
(Sarabun, Thai line breaking, "หน้า X จาก Y", official or screen style).
"""

from __future__ import annotations

import datetime as _dt
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reportlab.platypus import Flowable

from fieldapp import geo, thai
from fieldapp.errors import FieldAppError
from fieldapp.forms import Field, Form, Group, layout_of, shown
from fieldapp.forms.piping import REFERENCE
from fieldapp.reports.base import DASH, Cell, ReportBase, ReportDataError
from fieldapp.reports.data import ReportMeta

COLUMNS_PER_TABLE = 5
"""Answer columns of one repeat table (besides the row number); more are split into tables."""


@dataclass
class Answer:
    label: str
    value: str  # as printed; '' when not answered
    national_id: bool = False  # masked by the renderer unless unmasked


@dataclass
class RowsTable:
    label: str
    header: list[str]
    rows: list[list[str]]
    part: int = 0  # 1, 2 … when a repeat's questions are split over several tables
    numeric: list[bool] = field(default_factory=list)  # per answer column: set to the right
    national_id: list[bool] = field(default_factory=list)  # per answer column: masked unless unmasked


@dataclass
class GroupTitle:
    """A group's title above its questions (``label``: with the groups around it, outermost first)."""

    label: str


@dataclass
class RecordSection:
    label: str
    items: list[Answer | RowsTable | GroupTitle] = field(default_factory=list)


@dataclass
class RecordReport:
    form_title: str
    form_version: str
    title: str  # what names the record (its title field, else its short id)
    record_id: str
    sections: list[RecordSection]
    updated_on: _dt.date | None = None
    surveyor: str = ""
    meta: ReportMeta = field(default_factory=ReportMeta)


Refer = Callable[[Field, str], str]
"""What a reference answer (another record's id) is called: its title, looked up by the caller."""


def answer_text(f: Field, value: Any, refer: Refer | None = None) -> str:
    """One stored answer as the report prints it ('' when there is none)."""
    if value is None or value == "" or value == []:
        return ""
    t = f.value_type
    if t == "national_id":
        return str(value)  # masked by the renderer unless unmasked
    if f.type == "repeat":  # a repeat inside a row: its rows follow in a table of their own
        return f"{len(value)} รายการ"
    if t == "reference":
        return refer(f, str(value)) if refer is not None else str(value)[:8]
    if t == "phone":
        try:
            return thai.format_phone(str(value))
        except FieldAppError:
            return str(value)
    if t == "subdistrict":
        try:
            return geo.full_name(str(value))
        except FieldAppError:
            return str(value)
    if t == "decimal" and isinstance(value, (int, float)):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if t == "money" and isinstance(value, (int, float)):
        amount = f"{abs(value):,.2f}".removesuffix(".00")
        return f"ขาดทุน {amount} บาท" if value < 0 else f"{amount} บาท"
    return shown(f, value, "th")


def _printed(f: Field) -> bool:
    """Questions a record report prints: answers, not notes, hidden values or unlabelled sums."""
    if not f.stores_value and f.type != "repeat":
        return False
    if f.appearance == "hidden" or f.type == "hidden":
        return False
    return not (f.type == "calculated" and f.label_for("th") == f.id)


def _header(f: Field) -> str:
    """A repeat column's heading: the label, with ``${…}`` (different in each row) left out."""
    return REFERENCE.sub("…", f.label_for("th"))


def _group_title(form: Form, g: Group, doc: dict[str, Any], row: Any = None) -> str:
    """A group's title with the groups around it: "หัวหน้าครัวเรือน › การทำงาน"."""
    return " › ".join(form.group_texts(o, doc, row).get("th") or o.id for o in g.chain())


def _runs(fields: list[Field]) -> list[list[Field]]:
    """The columns of a repeat's table split where the group they are shown in changes."""
    out: list[list[Field]] = []
    for c in fields:
        if out and out[-1][0].group is c.group:
            out[-1].append(c)
        else:
            out.append([c])
    return out


def _tables(
    form: Form,
    rep: Field,
    doc: dict[str, Any],
    refer: Refer | None,
    outer: dict[str, Any] | None = None,
    where: str = "",
) -> list[RowsTable]:
    """The tables of a repeat's rows (``outer``: the row a repeat inside a repeat belongs to, and
    ``where`` says which), then the tables of the repeats inside its rows."""
    rows = (outer if outer is not None else doc).get(rep.id) or []
    cols = [c for c in rep.fields if _printed(c)]
    label = (form.label_texts(rep, doc, outer).get("th") or rep.id) + where
    scopes: list[Any] = [row if outer is None else ChainMap(row, outer) for row in rows]
    inner_tables: list[RowsTable] = []
    for inner in (c for c in rep.fields if c.type == "repeat"):
        for i, (row, scope) in enumerate(zip(rows, scopes, strict=True), start=1):
            if row.get(inner.id) and form.is_relevant(inner, doc, scope):
                own = f" ({label} ที่ {i})"
                inner_tables += _tables(form, inner, doc, refer, scope, own)
    if not cols:
        return [RowsTable(label, ["ที่"], [[str(i)] for i in range(1, len(rows) + 1)]), *inner_tables]
    # a group's questions make tables of their own, headed by its title (``${…}`` left out: it
    # differs from row to row)
    parts = [
        (run[0].group, run[i : i + COLUMNS_PER_TABLE], i // COLUMNS_PER_TABLE + 1 if len(run) > COLUMNS_PER_TABLE else 0)
        for run in _runs(cols)
        for i in range(0, len(run), COLUMNS_PER_TABLE)
    ]
    out: list[RowsTable] = []
    for group, part, n in parts:
        if group is not None:
            title = REFERENCE.sub("…", " › ".join(o.label_for("th") for o in group.chain()))
            if not any(form.group_relevant(group, doc, scope) for scope in scopes):
                continue  # the group applies to none of the rows
        heading = label if group is None else f"{label} — {title}"
        body = [
            [
                str(i),
                *(
                    answer_text(c, row.get(c.id), refer) if form.is_relevant(c, doc, row) else ""
                    for c in part
                ),
            ]
            for i, row in enumerate(scopes, start=1)
        ]
        numeric = [c.kind.numeric for c in part]
        ids = [c.value_type == "national_id" for c in part]
        header = ["ที่", *(_header(c) for c in part)]
        out.append(RowsTable(heading, header, body, n, numeric, ids))
    return out + inner_tables


def _items(
    form: Form,
    layout: list[Field | Group],
    doc: dict[str, Any],
    refer: Refer | None,
    out: list[Answer | RowsTable | GroupTitle],
    level: str,
) -> None:
    """The answers of a section's layout or a group's, a group's title above its own; after a
    group, the title of the level it is in (``level``) again, "(ต่อ)", when more answers follow."""
    closed: Group | None = None  # a group whose answers were printed last
    for item in layout:
        if isinstance(item, Group):
            if not form.group_relevant(item, doc):
                continue
            inner: list[Answer | RowsTable | GroupTitle] = []
            title = _group_title(form, item, doc)
            _items(form, item.items, doc, refer, inner, title)
            if any(not isinstance(i, GroupTitle) for i in inner):
                out.append(GroupTitle(title))
                out.extend(inner)
                closed = item
            continue
        f = item
        if not _printed(f) or not form.is_relevant(f, doc):
            continue
        if closed is not None:  # back at this level after a group
            out.append(GroupTitle(f"{level} (ต่อ)"))
            closed = None
        if f.type == "repeat":
            out.extend(_tables(form, f, doc, refer))
            continue
        label = form.label_texts(f, doc).get("th") or f.id
        value = doc.get(f.id)
        if f.value_type == "national_id":
            out.append(Answer(label, str(value or ""), national_id=True))
        else:
            out.append(Answer(label, answer_text(f, value, refer)))


def record_report(
    form: Form,
    doc: dict[str, Any],
    *,
    record_id: str,
    updated_at: str | None = None,
    surveyor: str = "",
    meta: ReportMeta | None = None,
    refer: Refer | None = None,
) -> RecordReport:
    """The report's data from a record's document (as ``Store.get`` gives it)."""
    sections: list[RecordSection] = []
    for section in form.sections:
        out = RecordSection(form.section_texts(section, doc).get("th") or section.id)
        _items(form, layout_of(section), doc, refer, out.items, out.label)
        if any(not isinstance(i, GroupTitle) for i in out.items):
            sections.append(out)
    # what names the record: its title field, else (an XLSForm names none) its first text answer
    named = form.fields.get(form.title_field or "") or next(
        (f for f in form.fields.values() if f.type == "text" and doc.get(f.id)), None
    )
    title = answer_text(named, doc.get(named.id)) if named is not None else ""
    updated = None
    if updated_at:
        try:
            updated = _dt.date.fromisoformat(str(updated_at)[:10])
        except ValueError:
            updated = None
    return RecordReport(
        form_title=form.title_of("th"),
        form_version=form.version,
        title=title or f"รหัส {record_id[:8]}",
        record_id=record_id,
        sections=sections,
        updated_on=updated,
        surveyor=surveyor,
        meta=meta or ReportMeta(),
    )


class RecordReportRenderer(ReportBase):
    """Renders a :class:`RecordReport`."""

    footer_note = "เอกสารนี้มีข้อมูลส่วนบุคคล ใช้เพื่อการช่วยเหลือเท่านั้น"

    def __init__(
        self, data: RecordReport, *, unmask: bool = False, thai_digits: bool = False, style: str = "official"
    ) -> None:
        if not data.sections:
            raise ReportDataError(
                "ระเบียนนี้ไม่มีคำตอบที่จะพิมพ์",
                "the record has no answers to print",
                code="report.empty_record",
            )
        super().__init__(data.meta, unmask=unmask, thai_digits=thai_digits, style=style)
        self.data = data
        self.title = f"รายงาน{data.form_title}"

    @property
    def subject(self) -> str:
        return self.data.title

    def story(self) -> list[Flowable]:
        d = self.data
        sub = [f"แบบฟอร์ม {d.form_title} ฉบับ {d.form_version}"]
        if d.updated_on is not None:
            sub.append(f"ข้อมูล ณ {self.date(d.updated_on, 'long')}")
        out: list[Flowable] = self.title_block(d.title, " · ".join(sub))
        for n, section in enumerate(d.sections, start=1):
            out += self.section(f"{n}. {section.label}", self.body(section))
        out.append(self.signatures([("ผู้ให้ข้อมูล", ""), ("ผู้จัดเก็บข้อมูล", d.surveyor)]))
        out.extend(self.credits())
        return out

    def body(self, section: RecordSection) -> list[Flowable]:
        out: list[Flowable] = []
        pairs: list[tuple[str, Cell]] = []
        for item in section.items:
            if isinstance(item, GroupTitle):
                if pairs:
                    out.append(self.fields(pairs, columns=1, label_width=0.42))
                    pairs = []
                title = self.heading(item.label, 2)
                title.keepWithNext = True  # never alone at the foot of a page
                out.append(title)
                continue
            if isinstance(item, Answer):
                value = self.national_id(item.value) if item.national_id else item.value
                pairs.append((item.label, value or DASH))
                continue
            if pairs:
                out.append(self.fields(pairs, columns=1, label_width=0.42))
                pairs = []
            out += self.rows_table(item)
        if pairs:
            out.append(self.fields(pairs, columns=1, label_width=0.42))
        return out

    def rows_table(self, t: RowsTable) -> list[Flowable]:
        heading = t.label if not t.part else f"{t.label} (ส่วนที่ {t.part})"
        head = self.heading(f"{heading} ({self.number(len(t.rows))} รายการ)", 2)
        n = len(t.header) - 1
        widths = [0.07] + [0.93 / n] * n if n else [1.0]
        masked = [i + 1 for i, is_id in enumerate(t.national_id) if is_id]
        rows: list[list[Cell]] = [
            [self.national_id(v) if i in masked and v else v for i, v in enumerate(r)] for r in t.rows
        ]
        align = "C" + "".join(
            "R" if (t.numeric[i] if i < len(t.numeric) else False) else "L" for i in range(n)
        )
        table = self.table(t.header, rows, widths, align=align, empty="ไม่มีรายการ")
        return [head, table]
