"""Household case report (รายงานกรณีศึกษาครัวเรือน)."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from fieldapp.errors import ValidationError
from fieldapp.reports.base import DASH, INK, WARN, Cell, ReportBase, ReportDataError, checkbox
from fieldapp.reports.charts import Series, radar_chart
from fieldapp.reports.data import (
    CAPITAL_KEYS,
    CAPITAL_LABELS,
    TPMAP_DIMENSIONS,
    Address,
    CapitalScores,
    HouseholdReport,
    Member,
    SurveyRound,
)
from fieldapp.reports.text import plain_markup
from fieldapp.thaidate import age_on

MAX_ROUNDS_SHOWN = 4


def capital_label(capital: str) -> str:
    """A capital's Thai label from its key or label."""
    return CAPITAL_LABELS.get(capital, capital)


def village_name(name: str) -> str:
    """A village name as addresses write it: บ้าน… unless it already says บ้าน or ชุมชน."""
    return name if name.startswith(("บ้าน", "ชุมชน")) else f"บ้าน{name}"


def address_line(a: Address) -> str:
    """An address on one line, the way Thai forms write it (แขวง/เขต in Bangkok)."""
    bangkok = a.province in ("กรุงเทพมหานคร", "กรุงเทพฯ")
    parts: list[str] = []
    if a.house_no:
        parts.append(f"บ้านเลขที่ {a.house_no}")
    if a.village_no:
        parts.append(f"หมู่ที่ {a.village_no}")
    if a.village_name:
        parts.append(village_name(a.village_name))
    if a.soi_road:
        parts.append(a.soi_road)
    if a.subdistrict:
        parts.append(f"{'แขวง' if bangkok else 'ตำบล'}{a.subdistrict}")
    if a.district:
        parts.append(f"{'เขต' if bangkok else 'อำเภอ'}{a.district}")
    if a.province:
        parts.append(a.province if bangkok else f"จังหวัด{a.province}")
    if a.postal_code:
        parts.append(a.postal_code)
    return " ".join(parts)


def coordinates(a: Address) -> str:
    if a.latitude is None or a.longitude is None:
        return ""
    return f"{a.latitude:.5f}, {a.longitude:.5f}"


def change_word(before: float | None, after: float | None) -> str:
    """ดีขึ้น / คงที่ / แย่ลง for a score that went from ``before`` to ``after``."""
    if before is None or after is None:
        return DASH
    diff = round(after - before, 2)
    if diff > 0:
        return "ดีขึ้น"
    if diff < 0:
        return "แย่ลง"
    return "คงที่"


def muted(markup: str) -> str:
    """A second, smaller grey line inside a table cell."""
    return f'<br/><font size="8.5" color="#5a6270">{markup}</font>'


class HouseholdReportRenderer(ReportBase):
    """Renders a :class:`HouseholdReport` as a case report."""

    title = "รายงานกรณีศึกษาครัวเรือน"
    footer_note = "เอกสารนี้มีข้อมูลส่วนบุคคล ใช้เพื่อการช่วยเหลือเท่านั้น"

    def __init__(
        self,
        data: HouseholdReport,
        *,
        unmask: bool = False,
        thai_digits: bool = False,
        style: str = "official",
    ) -> None:
        if not data.household_code.strip():
            raise ReportDataError(
                "ไม่มีรหัสครัวเรือน จึงสร้างรายงานไม่ได้",
                "the household report needs a household code",
                path="household_code",
                code="report.no_household",
            )
        super().__init__(data.meta, unmask=unmask, thai_digits=thai_digits, style=style)
        self.data = data

    @property
    def subject(self) -> str:
        return f"รหัส {self.data.household_code}"

    # ------------------------------------------------------------------ story

    def story(self) -> list[Flowable]:
        d = self.data
        sub = [f"รหัสครัวเรือน {d.household_code}"]
        if d.survey_round:
            sub.append(f"รอบการสำรวจ {d.survey_round}")
        if d.surveyed_on:
            sub.append(f"สำรวจเมื่อ {self.date(d.surveyed_on, 'long')}")
        head = self.head_name()
        out: list[Flowable] = self.title_block(
            self.name(f"หัวหน้าครัวเรือน {head}", "subject") if head else "", " · ".join(sub)
        )
        sections = [
            ("ข้อมูลทั่วไปและที่ตั้ง", self.general),
            ("สมาชิกในครัวเรือน", self.members),
            ("สวัสดิการ สุขภาพ และทักษะของสมาชิก", self.member_details),
            ("ที่อยู่อาศัยและที่ดินทำกิน", self.housing),
            ("รายได้ รายจ่าย และหนี้สิน", self.finances),
            ("ทุน 5 ด้านและระดับการดำรงชีพ", self.capitals),
            ("มิติความยากจนตาม TPMAP", self.tpmap),
            ("ความต้องการของครัวเรือน", self.needs),
            ("ประวัติการช่วยเหลือและการส่งต่อ", self.assistance),
            ("การจ้างงานโดยกิจการในท้องถิ่น", self.employment),
        ]
        if len(d.rounds) >= 2:
            sections.append(("การเปรียบเทียบก่อนและหลัง", self.comparison))
        if d.notes:
            sections.append(("หมายเหตุ", lambda: [self.para(d.notes)]))
        for number, (heading, build) in enumerate(sections, start=1):
            out += self.section(f"{number}. {heading}", build())
        out.append(
            self.signatures(
                [
                    ("ผู้ให้ข้อมูล", d.informant_name),
                    ("ผู้จัดเก็บข้อมูล", d.surveyor_name),
                    ("ผู้จัดการพื้นที่", d.area_manager_name),
                ]
            )
        )
        out.extend(self.credits())
        return out

    # ------------------------------------------------------------------ sections

    def head_name(self) -> str:
        d = self.data
        if d.head_name:
            return d.head_name
        for m in d.members:
            if m.relation_to_head == "หัวหน้าครัวเรือน":
                return m.full_name
        return ""

    def general(self) -> list[Flowable]:
        d = self.data
        a = d.address
        members = f"{len(d.members)} คน (อาศัยอยู่จริง {len(d.resident_members)} คน)"
        tpmap = DASH
        if d.tpmap_target is not None:
            tpmap = "อยู่ในกลุ่มเป้าหมาย" if d.tpmap_target else "ไม่อยู่ในกลุ่มเป้าหมาย"
        consent = DASH
        if d.consent_given is not None:
            consent = "ให้ความยินยอมแล้ว" if d.consent_given else "ยังไม่ได้ให้ความยินยอม"
            if d.consent_date:
                consent += f" ({self.date(d.consent_date)})"
        pairs: list[tuple[str, Cell]] = [
            ("หัวหน้าครัวเรือน", self.head_name()),
            ("ผู้ให้ข้อมูล", d.informant_name),
            ("ที่อยู่", self.name(address_line(a), "value")),
            ("พิกัด (ละติจูด, ลองจิจูด)", coordinates(a)),
            ("เลขรหัสประจำบ้าน", d.house_registry_code),
            ("เขตการปกครอง", a.municipal_area),
            ("โทรศัพท์", d.phone),
            ("จำนวนสมาชิก", members),
            ("กลุ่มเป้าหมาย TPMAP", tpmap),
            ("การให้ความยินยอม", consent),
            ("ผู้จัดเก็บข้อมูล", d.surveyor_name),
            ("ผู้จัดการพื้นที่", d.area_manager_name),
        ]
        if d.university:
            pairs.append(("มหาวิทยาลัยในพื้นที่", d.university))
        if d.photo is None:
            return [self.fields(pairs, columns=1, label_width=0.24)]
        photo_w = 0.3
        left_w = self.width * (1 - photo_w) - 6
        table = self.fields(pairs, columns=1, label_width=0.3, width=left_w)
        photo = self.photo(d.photo, self.width * photo_w, 62 * mm, d.photo_caption)
        return [self.side_by_side(table, photo, 1 - photo_w)]

    def age(self, m: Member) -> int | None:
        if m.age is not None:
            return m.age
        if m.birth_date is None:
            return None
        try:
            return age_on(m.birth_date, self.printed_on)
        except ValidationError:
            return None

    def members(self) -> list[Flowable]:
        d = self.data
        rows: list[list[Cell]] = []
        away = False
        for i, m in enumerate(d.members, start=1):
            name = m.full_name
            if not m.resident:
                name += "*"
                away = True
            age = self.age(m)
            rows.append(
                [
                    self.digits(str(i)),
                    self.name(name),
                    self.national_id(m.national_id),
                    m.relation_to_head,
                    m.sex,
                    self.number(age) if age is not None else DASH,
                    m.education,
                    m.occupation,
                    self.money(m.income_year),
                ]
            )
        header = [
            "ที่",
            "ชื่อ–สกุล",
            "เลขประจำตัวประชาชน",
            "ความสัมพันธ์",
            "เพศ",
            "อายุ",
            "การศึกษา",
            "อาชีพหลัก",
            "รายได้/ปี (บาท)",
        ]
        widths = [0.04, 0.205, 0.17, 0.11, 0.05, 0.045, 0.125, 0.145, 0.11]
        out: list[Flowable] = [self.table(header, rows, widths, align="CLLLCCLLR", one_line=[2])]
        if away:
            out.append(self.para("* ไม่ได้อาศัยอยู่ในครัวเรือนขณะสำรวจ ไม่นับในรายได้เฉลี่ยต่อคน", "note"))
        return out

    def member_details(self) -> list[Flowable]:
        d = self.data
        sensitive = d.consent_sensitive
        rows: list[list[Cell]] = []
        for i, m in enumerate(d.members, start=1):
            row: list[Cell] = [
                self.digits(str(i)),
                self.name(m.full_name),
                self.join(m.welfare),
                m.health_scheme,
            ]
            if sensitive:
                health = [m.health_status, m.disability_type]
                if m.disability_card:
                    health.append("มีบัตรคนพิการ")
                row.append(self.join(health))
            skills = [s for s in (m.skills, m.training_need and f"ต้องการ: {m.training_need}") if s]
            row.append(self.join(skills, "\n"))
            rows.append(row)
        header = ["ที่", "ชื่อ–สกุล", "สวัสดิการที่ได้รับ", "สิทธิการรักษา"]
        widths = [0.04, 0.215, 0.23, 0.12]
        if sensitive:
            header.append("สุขภาพ / ความพิการ")
            widths.append(0.14)
        header.append("ทักษะ / ความต้องการฝึกอาชีพ")
        widths.append(1 - sum(widths))
        out: list[Flowable] = [self.table(header, rows, widths, align="C")]
        if not sensitive:
            out.append(
                self.para(
                    "ไม่แสดงข้อมูลสุขภาพและความพิการ เนื่องจากยังไม่ได้รับความยินยอมโดยชัดแจ้ง",
                    "note",
                )
            )
        return out

    def housing(self) -> list[Flowable]:
        h = self.data.housing

        def rai(v: float | None) -> str:
            return DASH if v is None else f"{self.number(v, 1 if v % 1 else 0)} ไร่"

        pairs: list[tuple[str, Cell]] = [
            ("การครอบครองที่อยู่อาศัย", h.tenure),
            ("สภาพบ้าน", h.house_condition),
            ("น้ำดื่มเพียงพอ", self.yes_no(h.drinking_water_ok, "เพียงพอ", "ไม่เพียงพอ")),
            ("น้ำใช้เพียงพอ", self.yes_no(h.domestic_water_ok, "เพียงพอ", "ไม่เพียงพอ")),
            ("ไฟฟ้า", h.electricity),
            ("ที่ดินทำกินของตนเอง", rai(h.farmland_owned_rai)),
            ("ที่ดินเช่า/อาศัยทำกิน", rai(h.farmland_rented_rai)),
        ]
        return [self.fields(pairs, columns=2, label_width=0.2)]

    def finances(self) -> list[Flowable]:
        d = self.data
        f = d.finances
        sources = [
            ("ค่าจ้าง/เงินเดือน", f.income_wage),
            ("เกษตรกรรม", f.income_farm),
            ("ค้าขาย/ธุรกิจ", f.income_business),
            ("เงินโอน/สวัสดิการ", f.income_transfer),
            ("อื่น ๆ", f.income_other),
        ]
        total = f.income_total
        rows: list[list[Cell]] = [[name, self.money(v), self.percent(v, total)] for name, v in sources]
        split = 0.47
        income = self.table(
            ["แหล่งรายได้ (ต่อปี)", "บาท", "ร้อยละ"],
            rows,
            [0.5, 0.3, 0.2],
            align="LRR",
            width=self.width * split - 8,
            total=["รวมรายได้ทั้งปี", self.money(total), self.number(100) if total else DASH],
        )
        per_capita = d.income_per_capita
        if per_capita is not None:
            per_capita = round(per_capita)
        per_capita_cell: Cell = self.money(per_capita)
        if per_capita is not None:
            text = f"{self.money(per_capita)} บาท/คน/ปี"
            if f.income_threshold and per_capita < f.income_threshold:
                text += f" (ต่ำกว่าเกณฑ์ {self.money(f.income_threshold)} บาท)"
                per_capita_cell = self.para(text, "cell_warn")
            else:
                per_capita_cell = text
        balance: Cell = DASH
        if f.expense_total is not None:
            net = total - f.expense_total
            balance = f"{'เหลือ' if net >= 0 else 'ขาด'} {self.money(abs(net))} บาท"
        pairs: list[tuple[str, Cell]] = [
            ("รายได้เฉลี่ยต่อคน", per_capita_cell),
            ("รายจ่ายรวมทั้งปี", self.baht(f.expense_total)),
            ("รายได้หักรายจ่าย", balance),
            ("หนี้สินคงค้าง", self.baht(f.debt_total)),
            ("แหล่งหนี้", self.join(f.debt_sources)),
            ("การเก็บออม", self.yes_no(f.has_savings, "มีการเก็บออม", "ไม่มีการเก็บออม")),
        ]
        facts = self.fields(pairs, columns=1, label_width=0.36, width=self.width * (1 - split))
        return [self.side_by_side(income, facts, split)]

    def baht(self, value: float | None) -> str:
        return DASH if value is None else f"{self.money(value)} บาท"

    def capitals(self) -> list[Flowable]:
        d = self.data
        s = d.scores
        if s.is_empty():
            return [self.para("ยังไม่มีคะแนนทุน 5 ด้าน", "note")]
        chart = radar_chart([Series("", s.values())], width=self.width * 0.48, height=190, digits=self.digits)
        out: list[Flowable] = [self.side_by_side(chart, self.score_table(s), 0.5)]
        if d.drivers:
            out.append(Spacer(1, 2 * mm))
            out.append(self.heading("คำตอบที่มีผลต่อคะแนน", 2))
            order = {k: i for i, k in enumerate(CAPITAL_KEYS)}
            labels_order = {CAPITAL_LABELS[k]: i for k, i in order.items()}
            drivers = sorted(
                d.drivers,
                key=lambda x: order.get(x.capital, labels_order.get(x.capital, 99)),
            )
            rows: list[list[Cell]] = [
                [capital_label(x.capital), x.question, x.answer, self.score(x.score)] for x in drivers
            ]
            out.append(
                self.table(
                    ["ทุน", "ตัวชี้วัด", "คำตอบ", "คะแนน"],
                    rows,
                    [0.15, 0.42, 0.33, 0.1],
                    align="LLLC",
                )
            )
        return out

    def score_table(self, s: CapitalScores) -> list[Flowable]:
        inner = self.width * 0.5 - 6
        rows: list[list[Cell]] = [[CAPITAL_LABELS[k], self.score(s.value(k))] for k in CAPITAL_KEYS]
        t = self.table(
            ["ทุน", "คะแนน (1–4)"],
            rows,
            [0.62, 0.38],
            align="LC",
            total=["คะแนนเฉลี่ย", self.score(s.mean())],
            width=inner,
        )
        out: list[Flowable] = [t, Spacer(1, 3 * mm)]
        if s.coverage is not None:
            out.append(
                self.para(f"ตอบตัวชี้วัดที่ใช้กับครัวเรือนนี้แล้ว ร้อยละ {self.number(round(s.coverage * 100))}", "body")
            )
        if s.unassessable:
            out.append(
                self.para_markup(
                    f"{self.markup('ระดับการดำรงชีพ:')} <b>{self.markup('ยังประเมินไม่ได้')}</b>"
                    f"{self.markup(' (คำตอบยังไม่พอ ไม่นับเป็นครัวเรือนยากจนหรือไม่ยากจน)')}",
                    "body",
                )
            )
            if s.missing:
                out.append(self.para("คำถามที่ยังต้องถาม: " + " / ".join(s.missing), "note"))
        if s.poverty_class:
            band = f" (ช่วงคะแนน {self.digits(s.class_band)})" if s.class_band else ""
            out.append(
                self.para_markup(
                    f"{self.markup('ระดับการดำรงชีพ:')} <b>{self.markup(s.poverty_class)}</b>"
                    f"{self.markup(band)}",
                    "body",
                )
            )
        scored = [(v, k) for k in CAPITAL_KEYS if (v := s.value(k)) is not None]
        if scored:
            low_v, low_k = min(scored)
            high_v, high_k = max(scored)
            out.append(self.para(f"ทุนที่อ่อนที่สุด: {CAPITAL_LABELS[low_k]} ({self.score(low_v)})"))
            out.append(self.para(f"ทุนที่แข็งที่สุด: {CAPITAL_LABELS[high_k]} ({self.score(high_v)})"))
        return out

    def tpmap(self) -> list[Flowable]:
        d = self.data
        failed = set(d.tpmap_dimensions)
        rows: list[list[Cell]] = []
        for dim in TPMAP_DIMENSIONS:
            is_failed = dim in failed
            rows.append(
                [
                    checkbox(is_failed, color=WARN if is_failed else INK),
                    dim,
                    self.para("ตกเกณฑ์", "cell_warn") if is_failed else "ผ่านเกณฑ์",
                ]
            )
        for dim in d.tpmap_dimensions:
            if dim not in TPMAP_DIMENSIONS:
                rows.append([checkbox(True, color=WARN), dim, self.para("ตกเกณฑ์", "cell_warn")])
        table = self.table(
            ["", "มิติ", "ผลการประเมิน"],
            rows,
            [0.08, 0.57, 0.35],
            zebra=False,
            width=self.width * 0.58 - 6,
        )
        summary = f"ตกเกณฑ์ {self.number(len(failed))} จาก {self.number(len(TPMAP_DIMENSIONS))} มิติ"
        if d.tpmap_target is not None:
            summary += " ครัวเรือนอยู่ในกลุ่มเป้าหมาย TPMAP" if d.tpmap_target else " ครัวเรือนไม่อยู่ในกลุ่มเป้าหมาย TPMAP"
        return [self.side_by_side(table, [self.para(summary)], 0.58)]

    def needs(self) -> list[Flowable]:
        rows: list[list[Cell]] = []
        for i, n in enumerate(self.data.needs, start=1):
            area = self.join([capital_label(n.capital), n.tpmap_dimension], " / ")
            rows.append([self.digits(str(i)), n.need, area, self.name(n.member_name), n.priority])
        return [
            self.table(
                ["ที่", "ปัญหา / ความต้องการ", "ทุน / มิติ TPMAP", "สมาชิก", "ความเร่งด่วน"],
                rows,
                [0.045, 0.42, 0.21, 0.19, 0.135],
                align="CLLLC",
                empty="ไม่มีความต้องการที่บันทึกไว้",
            )
        ]

    def assistance(self) -> list[Flowable]:
        rows: list[list[Cell]] = []
        total_value = 0.0
        for i, a in enumerate(self.data.assistance, start=1):
            detail = self.markup(a.need or a.assistance_type)
            extra = [a.assistance_type if a.need else "", capital_label(a.capital), a.stage]
            lines = [self.markup(" · ".join(x for x in extra if x))]
            for prefix, name in (
                ("สมาชิก:", a.member_name),
                ("กิจการ:", a.business_name),
                ("ส่งต่อโดย", a.referred_by),
            ):
                if name:
                    named = self.markup(name) if prefix == "กิจการ:" else plain_markup(self.digits(name))
                    lines.append(f"{self.markup(prefix)} {named}")
            lines += [self.markup(a.in_kind), self.markup(a.notes)]
            detail += "".join(muted(line) for line in lines if line)
            status = self.markup(a.status) or DASH
            if a.completed_on:
                status += muted(self.markup("เสร็จ " + self.date(a.completed_on)))
            outcome = self.markup(a.outcome) or DASH
            if a.follow_up_on:
                outcome += muted(self.markup("ติดตาม " + self.date(a.follow_up_on)))
            if a.value_baht:
                total_value += a.value_baht
            rows.append(
                [
                    self.digits(str(i)),
                    self.date(a.referred_on),
                    self.para_markup(detail, "cell"),
                    a.referred_to,
                    self.para_markup(status, "cell"),
                    self.para_markup(outcome, "cell"),
                    self.money(a.value_baht),
                ]
            )
        total = None
        if rows:
            total = ["", "", "รวมมูลค่าความช่วยเหลือ", "", "", "", self.money(total_value)]
        return [
            self.table(
                [
                    "ที่",
                    "วันที่ส่งต่อ",
                    "ความต้องการ / ความช่วยเหลือ",
                    "ส่งต่อไปยัง",
                    "สถานะ",
                    "ผลลัพธ์",
                    "มูลค่า (บาท)",
                ],
                rows,
                [0.045, 0.11, 0.33, 0.13, 0.15, 0.12, 0.115],
                align="CLLLLLR",
                total=total,
                empty="ยังไม่มีประวัติการช่วยเหลือหรือการส่งต่อ",
            )
        ]

    def employment(self) -> list[Flowable]:
        rows: list[list[Cell]] = []
        for e in self.data.employment:
            period = self.date(e.start_date)
            if e.end_date:
                period += f" – {self.date(e.end_date)}"
            elif e.start_date:
                period = f"ตั้งแต่ {period}"
            rows.append(
                [
                    self.para_markup(
                        self.markup(e.business_name)
                        + (muted(self.markup(e.business_type)) if e.business_type else ""),
                        "cell",
                    ),
                    self.name(e.member_name),
                    e.role,
                    period,
                    self.money(e.income_month),
                ]
            )
        return [
            self.table(
                ["กิจการ", "สมาชิก", "บทบาท", "ช่วงเวลา", "รายได้/เดือน (บาท)"],
                rows,
                [0.32, 0.2, 0.15, 0.18, 0.15],
                align="LLLLR",
                empty="ไม่มีสมาชิกทำงานกับกิจการในท้องถิ่น",
            )
        ]

    def comparison(self) -> list[Flowable]:
        rounds = self.data.rounds
        shown: list[SurveyRound] = list(rounds)
        if len(shown) > MAX_ROUNDS_SHOWN:
            shown = [rounds[0], *rounds[-(MAX_ROUNDS_SHOWN - 1) :]]
        first, last = rounds[0], rounds[-1]
        header = ["รายการ"]
        for r in shown:
            when = f"\n{self.date(r.surveyed_on)}" if r.surveyed_on else ""
            header.append(f"รอบ {r.survey_round}{when}")
        header.append("การเปลี่ยนแปลง")
        rows: list[list[Cell]] = []
        for k in CAPITAL_KEYS:
            before, after = first.scores.value(k), last.scores.value(k)
            scores = [self.score(r.scores.value(k)) for r in shown]
            rows.append([CAPITAL_LABELS[k], *scores, self.change(before, after)])
        rows.append(
            [
                "คะแนนเฉลี่ย",
                *[self.score(r.scores.mean()) for r in shown],
                self.change(first.scores.mean(), last.scores.mean()),
            ]
        )
        rows.append(["ระดับการดำรงชีพ", *[r.scores.poverty_class or DASH for r in shown], ""])
        rows.append(
            [
                "รายได้ต่อคนต่อปี (บาท)",
                *[self.money(r.income_per_capita) for r in shown],
                self.change(first.income_per_capita, last.income_per_capita, money=True),
            ]
        )
        rows.append(
            [
                "มิติ TPMAP ที่ตกเกณฑ์",
                *[self.number(len(r.tpmap_dimensions)) for r in shown],
                self.change(-len(first.tpmap_dimensions), -len(last.tpmap_dimensions), count=True),
            ]
        )
        n = len(shown)
        widths = [0.27] + [0.53 / n] * n + [0.2]
        chart = radar_chart(
            [
                Series(f"รอบ {first.survey_round} (ก่อน)", first.scores.values()),
                Series(f"รอบ {last.survey_round} (หลัง)", last.scores.values()),
            ],
            width=self.width * 0.5,
            height=215,
            digits=self.digits,
        )
        summary: list[Flowable] = []
        for word in ("ดีขึ้น", "คงที่", "แย่ลง"):
            names = [
                CAPITAL_LABELS[k]
                for k in CAPITAL_KEYS
                if change_word(first.scores.value(k), last.scores.value(k)) == word
            ]
            if names:
                summary.append(
                    self.para_markup(f"<b>{self.markup(f'ทุนที่{word}:')}</b> {plain_markup(' '.join(names))}")
                )
        out: list[Flowable] = [
            self.side_by_side(chart, summary, 0.55),
            Spacer(1, 2 * mm),
            self.table(header, rows, widths, align="L" + "C" * (n + 1)),
        ]
        if len(rounds) > len(shown):
            out.append(
                self.para(
                    f"แสดง {self.number(len(shown))} จาก {self.number(len(rounds))} รอบการสำรวจ"
                    " (รอบแรกและรอบล่าสุด)",
                    "note",
                )
            )
        out += self.members_across(shown)
        return out

    def members_across(self, shown: list[SurveyRound]) -> list[Flowable]:
        """Each person round by round (matched by person, the row id of the first round)."""
        if sum(1 for r in shown if r.members) < 2:
            return []
        people: list[str] = []
        for r in reversed(shown):  # the latest round's order first, then those who left
            people += [p for p in r.members if p not in people]
        header = ["สมาชิก", *[f"รอบ {r.survey_round}" for r in shown], "การเปลี่ยนแปลง"]
        rows: list[list[Cell]] = []
        for p in people:
            seen = [r.members.get(p) for r in shown]
            name = next(m.name for m in reversed(seen) if m is not None)
            cells: list[Cell] = []
            for m in seen:
                if m is None:
                    cells.append(DASH)
                    continue
                parts = [f"{self.number(m.age)} ปี" if m.age is not None else "", m.occupation]
                if m.income_year is not None:
                    parts.append(f"{self.money(m.income_year)} บาท/ปี")
                cells.append("\n".join(x for x in parts if x) or DASH)
            change = "ย้ายออก / ไม่อยู่ในรอบล่าสุด" if seen[-1] is None else "สมาชิกใหม่" if seen[0] is None else ""
            rows.append([name, *cells, change])
        n = len(shown)
        return [
            Spacer(1, 3 * mm),
            self.para("สมาชิกในแต่ละรอบ (ติดตามรายบุคคลข้ามรอบ)", "note"),
            self.table(header, rows, [0.24] + [0.58 / n] * n + [0.18], align="L" * (n + 2)),
        ]

    def change(
        self, before: float | None, after: float | None, *, money: bool = False, count: bool = False
    ) -> str:
        word = change_word(before, after)
        if word == DASH or word == "คงที่":
            return word
        assert before is not None and after is not None
        diff = after - before
        if count:
            return word
        amount = self.money(abs(diff)) if money else self.score(abs(diff))
        return f"{word} ({'+' if diff > 0 else '−'}{amount})"
