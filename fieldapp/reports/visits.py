"""The visits-due sheet: per village, the visits to make this coming week and the overdue ones
(``fieldapp.visits.visits_due``), as an A4 PDF a visitor takes along — each village on its own
page, overdue visits first and marked, a blank column to write what happened and sign, and the
visitor's and the checker's signatures at the end of the village.

``fieldapp.reports.build.visits_report`` reads the list from the store; ``VisitsReportRenderer``
takes that plain data.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer

from fieldapp import geo
from fieldapp.errors import FieldAppError
from fieldapp.reports.base import ReportBase, ReportDataError
from fieldapp.reports.data import ReportMeta

if TYPE_CHECKING:  # the renderer reads no database: the visits come as plain data
    from fieldapp import visits

NOTES_HEIGHT = 13 * mm  # room to write the outcome by hand in each row


@dataclass
class VisitsReport:
    """The visits due of an area on a day (plain data: the renderer reads no database)."""

    area_code: str
    area_name: str  # "ต.ในเมือง อ.เมืองสุรินทร์ จ.สุรินทร์", or "ทุกพื้นที่"
    today: _dt.date
    until: _dt.date
    villages: list[visits.VillageVisits] = field(default_factory=list)
    meta: ReportMeta = field(default_factory=ReportMeta)

    @property
    def count(self) -> int:
        return sum(len(v.visits) for v in self.villages)

    @property
    def overdue(self) -> int:
        return sum(v.overdue for v in self.villages)


def area_name(code: str | None) -> str:
    """The full Thai name of an area code ("ทุกพื้นที่" for none; the code itself when unknown)."""
    if not code:
        return "ทุกพื้นที่"
    try:
        return geo.full_name(code, "th")
    except FieldAppError:
        return code


def village_name(group: visits.VillageVisits, *, full: bool = True) -> str:
    """``หมู่ 3 บ้านโนนสูง ต.ในเมือง อ.เมืองสุรินทร์ จ.สุรินทร์`` (``full=False``: up to ``ต.ในเมือง``)."""
    head = " ".join(
        x for x in (f"หมู่ {group.village_no}" if group.village_no else "", group.village_name) if x
    )
    place = area_name(group.subdistrict_code) if group.subdistrict_code else ""
    if not full and place.startswith("ต."):
        place = place.split(" ")[0]
    return " ".join(x for x in (head, place) if x) or "ไม่ระบุหมู่บ้าน"


class VisitsReportRenderer(ReportBase):
    """Renders a :class:`VisitsReport`: one page (or more) per village."""

    title = "รายการเยี่ยมบ้านที่ถึงกำหนด"
    footer_note = "เอกสารนี้มีข้อมูลส่วนบุคคล ใช้เพื่อการติดตามช่วยเหลือเท่านั้น"

    def __init__(
        self, data: VisitsReport, *, unmask: bool = False, thai_digits: bool = False, style: str = "official"
    ) -> None:
        if not data.count:
            raise ReportDataError(
                "ไม่มีการเยี่ยมที่ถึงกำหนดในสัปดาห์นี้ จึงไม่มีรายการให้พิมพ์",
                "no visits are due this week: nothing to print",
                code="report.no_visits",
            )
        super().__init__(data.meta, unmask=unmask, thai_digits=thai_digits, style=style)
        self.data = data

    @property
    def subject(self) -> str:
        return self.data.area_name

    def story(self) -> list[Flowable]:
        out: list[Flowable] = []
        for i, group in enumerate(self.data.villages):
            if i:
                out.append(PageBreak())  # a sheet per village, to hand to whoever visits it
            out += self.village(group)
        return out

    def village(self, group: visits.VillageVisits) -> list[Flowable]:
        d = self.data
        count = f"{self.number(len(group.visits))} ราย"
        if group.overdue:
            count += f" (เกินกำหนด {self.number(group.overdue)} ราย)"
        sub = (
            f"ณ วันที่ {self.date(d.today, 'long')} · ถึงกำหนดภายใน {self.date(d.until, 'long')} "
            f"และที่เกินกำหนด · {count}"
        )
        out = self.title_block(village_name(group), sub)
        header = ["ที่", "กำหนดเยี่ยม", "บ้านเลขที่", "หัวหน้าครัวเรือน", "เรื่องที่ติดตาม", "ผลการเยี่ยม / ลงชื่อผู้เยี่ยม"]
        rows = []
        for n, v in enumerate(group.visits, start=1):
            due = self.date(v.due, "short")
            if v.overdue:  # marked in bold, with how late it is
                late = self.digits(f"เกินกำหนด\u00a0{(d.today - v.due).days}\u00a0วัน")
                due_cell = self.para_markup(f"<b>{self.markup(due)}</b><br/><b>{late}</b>", "cell")
            else:
                due_cell = self.para(due, "cell")
            rows.append(
                [
                    self.number(n),
                    due_cell,
                    v.house_no or "",
                    self.name(v.head_name),
                    v.need or "",
                    Spacer(1, NOTES_HEIGHT),  # left blank: the outcome, written by hand, and a signature
                ]
            )
        out.append(
            self.table(header, rows, [0.05, 0.16, 0.1, 0.2, 0.21, 0.28], align="CLLLLL", one_line=(2,))
        )
        signed = self.signatures([("ผู้เยี่ยมบ้าน", ""), ("ผู้ตรวจสอบ", "")])
        # one signature block per village: the end-of-report rule (``_signed``, which keeps what
        # follows the signatures with them) is for a report's one block, not these
        signed._signatures = False
        out.append(signed)
        return out
