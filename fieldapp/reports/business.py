"""Local-business report (รายงานกรณีศึกษาธุรกิจในท้องถิ่น)."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table

from fieldapp.reports.base import DASH, Cell, ReportBase, ReportDataError, table_style
from fieldapp.reports.charts import stars
from fieldapp.reports.data import BusinessReport
from fieldapp.reports.household import address_line, coordinates


class BusinessReportRenderer(ReportBase):
    """Renders a :class:`BusinessReport`."""

    title = "รายงานกรณีศึกษาธุรกิจในท้องถิ่น"
    footer_note = "เอกสารนี้มีข้อมูลส่วนบุคคล ใช้เพื่อการช่วยเหลือเท่านั้น"

    def __init__(
        self,
        data: BusinessReport,
        *,
        unmask: bool = False,
        thai_digits: bool = False,
        style: str = "official",
    ) -> None:
        if not data.name.strip():
            raise ReportDataError(
                "ไม่มีชื่อกิจการ จึงสร้างรายงานไม่ได้",
                "the business report needs the business name",
                path="name",
                code="report.no_business",
            )
        super().__init__(data.meta, unmask=unmask, thai_digits=thai_digits, style=style)
        self.data = data

    @property
    def subject(self) -> str:
        return self.data.name

    def story(self) -> list[Flowable]:
        d = self.data
        sub = [d.business_type] if d.business_type else []
        if d.surveyed_on:
            sub.append(f"ข้อมูล ณ {self.date(d.surveyed_on, 'long')}")
        out: list[Flowable] = self.title_block(d.name, " · ".join(sub))
        sections = [
            ("ข้อมูลกิจการ", self.profile),
            ("การจดทะเบียนและมาตรฐาน", self.standards),
            ("สินค้าและบริการ", self.products),
            ("การจ้างงาน", self.employees),
            ("ครัวเรือนเป้าหมายที่เชื่อมโยงกับกิจการ", self.linked),
            ("การกระจายรายได้สู่ชุมชน", self.distribution),
            ("หน่วยงานที่สนับสนุนและความต้องการการสนับสนุน", self.support),
        ]
        for number, (heading, build) in enumerate(sections, start=1):
            out += self.section(f"{number}. {heading}", build())
        out.append(
            self.signatures(
                [
                    ("ผู้ให้ข้อมูล", d.contact_name),
                    ("ผู้จัดเก็บข้อมูล", d.surveyor_name),
                    ("ผู้จัดการพื้นที่", d.area_manager_name),
                ]
            )
        )
        out.extend(self.credits())
        return out

    def baht(self, value: float | None) -> str:
        return DASH if value is None else f"{self.money(value)} บาท"

    def profit(self, value: float | None) -> str:
        """Profit in baht; a loss is written out as ขาดทุน, never as a minus sign."""
        if value is not None and value < 0:
            return f"ขาดทุน {self.money(-value)} บาท"
        return self.baht(value)

    def count(self, value: int | None, unit: str = "คน") -> str:
        return DASH if value is None else f"{self.number(value)} {unit}"

    def profile(self) -> list[Flowable]:
        d = self.data
        juristic = self.yes_no(d.juristic, "เป็นนิติบุคคล", "ไม่เป็นนิติบุคคล")
        local = DASH if d.local_material_pct is None else f"ร้อยละ {self.number(d.local_material_pct)}"
        pairs: list[tuple[str, Cell]] = [
            ("ประเภทกิจการ", d.business_type),
            ("สถานะ", juristic),
            ("ภาคธุรกิจ (สสว.)", d.sector),
            ("ขนาดวิสาหกิจ", d.sme_size),
            ("ลักษณะกิจกรรม", d.activity),
            ("ที่ตั้ง", self.name(address_line(d.address), "value")),
            ("พิกัด (ละติจูด, ลองจิจูด)", coordinates(d.address)),
            ("ผู้ประสานงาน", d.contact_name),
            ("โทรศัพท์", d.contact_phone),
            ("รายได้ต่อปี", self.baht(d.revenue_year)),
            ("กำไรต่อปี", self.profit(d.profit_year)),
            ("วัตถุดิบในท้องถิ่น", local),
        ]
        out: list[Flowable]
        if d.photo is None:
            out = [self.fields(pairs, columns=1, label_width=0.24)]
        else:
            photo_w = 0.3
            table = self.fields(pairs, columns=1, label_width=0.3, width=self.width * (1 - photo_w) - 6)
            photo = self.photo(d.photo, self.width * photo_w, 62 * mm, d.photo_caption)
            out = [self.side_by_side(table, photo, 1 - photo_w)]
        if d.description:
            out += [Spacer(1, 2 * mm), self.para(d.description)]
        return out

    def standards(self) -> list[Flowable]:
        d = self.data
        reg = d.ce_reg_code
        if reg and d.ce_reg_date:
            reg += f" (จดทะเบียนเมื่อ {self.date(d.ce_reg_date, 'long')})"
        otop: Cell = "ยังไม่ได้รับการคัดสรร"
        if d.otop_stars:
            text = f"{self.number(d.otop_stars)} ดาว"
            if d.otop_year:
                text += f" (ปีที่คัดสรร {self.digits(str(d.otop_year))})"
            otop = self._with_stars(d.otop_stars, text)
        cbt = DASH
        if d.cbt_certified is not None:
            cbt = "ผ่านการรับรอง" if d.cbt_certified else "ยังไม่ผ่านการรับรอง"
            if d.cbt_certified and d.cbt_year:
                cbt += f" ปี {self.digits(str(d.cbt_year))}"
        pairs: list[tuple[str, Cell]] = [
            ("รหัสทะเบียนวิสาหกิจชุมชน", self.digits(reg) if reg else DASH),
            ("เลขทะเบียนนิติบุคคล", self.digits(d.juristic_id) if d.juristic_id else DASH),
            ("ประเภทผลิตภัณฑ์ OTOP", d.otop_type),
            ("ระดับดาว OTOP", otop),
            ("มาตรฐานที่ได้รับ", self.join(d.standards)),
            ("มาตรฐาน CBT Thailand", cbt),
        ]
        return [self.fields(pairs, columns=1, label_width=0.27)]

    def _with_stars(self, count: int, text: str) -> Table:
        drawing = stars(max(0, min(count, 5)))
        t = Table([[drawing, self.para(text, "value")]], colWidths=[drawing.width + 6, None])
        t.setStyle(
            table_style(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return t

    def products(self) -> list[Flowable]:
        rows: list[list[Cell]] = []
        for i, p in enumerate(self.data.products, start=1):
            rows.append(
                [
                    self.digits(str(i)),
                    p.name,
                    p.otop_type,
                    p.unit,
                    self.money(p.price),
                    self.join(p.standards),
                ]
            )
        return [
            self.table(
                ["ที่", "สินค้า / บริการ", "ประเภท OTOP", "หน่วย", "ราคา (บาท)", "มาตรฐาน"],
                rows,
                [0.05, 0.33, 0.2, 0.1, 0.12, 0.2],
                align="CLLCRL",
                empty="ไม่มีข้อมูลสินค้าหรือบริการ",
            )
        ]

    def employees(self) -> list[Flowable]:
        d = self.data
        local = self.count(d.employees_local)
        if d.employees_local is not None and d.employees_total:
            local += f" (ร้อยละ {self.percent(d.employees_local, d.employees_total, 0)})"
        monthly = sum(h.income_month or 0.0 for h in d.linked_households)
        pairs: list[tuple[str, Cell]] = [
            ("ลูกจ้างทั้งหมด", self.count(d.employees_total)),
            ("ลูกจ้างที่อยู่ในตำบล", local),
            ("จำนวนสมาชิก", self.count(d.members_count)),
            ("ครัวเรือนเป้าหมายที่เชื่อมโยง", self.count(d.poor_hh_linked, "ครัวเรือน")),
            ("รายได้ที่ครัวเรือนเป้าหมายได้รับ", f"{self.money(monthly)} บาท/เดือน"),
            ("คิดเป็นต่อปี", f"{self.money(monthly * 12)} บาท/ปี"),
        ]
        return [self.fields(pairs, columns=2, label_width=0.2)]

    def linked(self) -> list[Flowable]:
        rows: list[list[Cell]] = []
        total = 0.0
        for i, h in enumerate(self.data.linked_households, start=1):
            total += h.income_month or 0.0
            rows.append(
                [
                    self.digits(str(i)),
                    self.digits(h.household_code),
                    self.name(h.member_name),
                    self.national_id(h.national_id),
                    self.name(h.village),
                    h.role,
                    h.poverty_class,
                    self.money(h.income_month),
                ]
            )
        total_row: list[Cell] | None = None
        if rows:
            total_row = ["", "", "รวม", "", "", "", "", self.money(total)]
        return [
            self.table(
                [
                    "ที่",
                    "รหัสครัวเรือน",
                    "สมาชิก",
                    "เลขประจำตัวประชาชน",
                    "หมู่บ้าน",
                    "บทบาท",
                    "ระดับ",
                    "บาท/เดือน",
                ],
                rows,
                [0.04, 0.13, 0.19, 0.17, 0.15, 0.11, 0.1, 0.11],
                align="CLLLLLLR",
                total=total_row,
                one_line=[1, 3],
                empty="ยังไม่มีครัวเรือนเป้าหมายที่เชื่อมโยงกับกิจการ",
            )
        ]

    def distribution(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = []
        if d.income_distribution:
            out.extend(self.bullets(d.income_distribution))
        if d.income_distribution_note:
            out.append(self.para(d.income_distribution_note))
        pairs: list[tuple[str, Cell]] = [
            ("ตำแหน่งในห่วงโซ่คุณค่า", self.join(d.value_chain_stage)),
            ("ช่องทางตลาด", self.join(d.markets)),
        ]
        out.append(self.fields(pairs, columns=1, label_width=0.27))
        return out

    def support(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = [self.labelled("หน่วยงานที่สนับสนุน:", self.join(d.supporters))]
        if d.needs:
            out.append(self.para("ความต้องการการสนับสนุน:", "body_bold"))
            out.extend(self.bullets(d.needs))
        else:
            out.append(self.labelled("ความต้องการการสนับสนุน:", DASH))
        return out
