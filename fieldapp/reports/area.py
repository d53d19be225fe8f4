"""Area case study (รายงานกรณีศึกษาพื้นที่) for a village, subdistrict, district,
province or a chosen set of subdistricts."""

from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from fieldapp.reports.base import DASH, Cell, ReportBase, ReportDataError
from fieldapp.reports.charts import Series, bar_chart, class_colors, radar_chart
from fieldapp.reports.data import (
    AREA_LEVELS,
    CAPITAL_KEYS,
    CAPITAL_LABELS,
    POVERTY_CLASSES,
    TPMAP_DIMENSIONS,
    AreaReport,
    VillageCoverage,
    VillageStat,
)
from fieldapp.reports.household import change_word, village_name
from fieldapp.reports.text import plain_markup


def village_label(v: VillageStat) -> str:
    name = village_name(v.village_name) if v.village_name else ""
    if v.village_no:
        return f"หมู่ที่ {v.village_no} {name}".strip()
    return name


class AreaReportRenderer(ReportBase):
    """Renders an :class:`AreaReport`."""

    title = "รายงานกรณีศึกษาพื้นที่"
    footer_note = "เอกสารนี้มีข้อมูลส่วนบุคคล ใช้เพื่อการช่วยเหลือเท่านั้น"

    def __init__(
        self, data: AreaReport, *, unmask: bool = False, thai_digits: bool = False, style: str = "official"
    ) -> None:
        if data.scope.level not in AREA_LEVELS:
            raise ReportDataError(
                f"ไม่รู้จักระดับพื้นที่ “{data.scope.level}”",
                f"unknown area level {data.scope.level!r}; expected one of {sorted(AREA_LEVELS)}",
                path="scope.level",
                code="report.bad_scope",
            )
        has_counts = any(data.class_counts.values()) or any(v.households_total for v in data.villages)
        if data.households_total <= 0 and not has_counts:
            raise ReportDataError(
                f"ไม่มีข้อมูลครัวเรือนใน{data.scope.title or 'พื้นที่ที่เลือก'} จึงสร้างรายงานไม่ได้",
                f"no households in the area {data.scope.title!r}: nothing to report",
                path="households_total",
                code="report.empty_area",
            )
        super().__init__(data.meta, unmask=unmask, thai_digits=thai_digits, style=style)
        self.data = data

    @property
    def subject(self) -> str:
        return self.data.scope.title

    @property
    def total(self) -> int:
        d = self.data
        return d.households_total or sum(d.class_counts.values())

    @property
    def many_subdistricts(self) -> bool:
        return self.data.scope.level in ("district", "province", "set")

    def story(self) -> list[Flowable]:
        d = self.data
        level = f"ระดับ{AREA_LEVELS[d.scope.level]}"
        sub: str | Flowable = level
        if d.scope.parts:
            # the names of the parts break only at their spaces, never inside a name
            names = plain_markup(self.digits(" ".join(d.scope.parts)))
            sub = self.para_markup(f"{self.markup(level + ' ประกอบด้วย')} {names}", "subtitle")
        out: list[Flowable] = self.title_block(d.scope.title, sub)
        sections = [
            ("ภาพรวมพื้นที่", self.overview),
            ("ครัวเรือนจำแนกตามระดับการดำรงชีพ", self.classes),
            ("ค่าเฉลี่ยทุน 5 ด้าน", self.capitals),
            ("มิติความยากจนตาม TPMAP", self.tpmap),
            ("การจัดลำดับหมู่บ้าน", self.rankings),
            *([("ความครอบคลุมของรายชื่อครัวเรือนเป้าหมาย", self.coverage)] if d.coverage_total else []),
            ("ธุรกิจในท้องถิ่นและการจ้างงานครัวเรือนยากจน", self.businesses),
            ("การส่งต่อความช่วยเหลือจำแนกตามสถานะ", self.referrals),
            ("ครัวเรือนที่ต้องการความช่วยเหลือมากที่สุด", self.needy),
        ]
        for number, (heading, build) in enumerate(sections, start=1):
            out += self.section(f"{number}. {heading}", build())
        out.append(
            self.signatures(
                [
                    ("ผู้จัดทำรายงาน", d.meta.printed_by),
                    ("ผู้จัดการพื้นที่", d.area_manager_name),
                ]
            )
        )
        out.extend(self.credits())
        return out

    def hh(self, n: int | None) -> str:
        return DASH if n is None else f"{self.number(n)} ครัวเรือน"

    def with_share(self, n: int | None, of: int | None = None) -> str:
        if n is None:
            return DASH
        whole = self.total if of is None else of
        return f"{self.hh(n)} (ร้อยละ {self.percent(n, whole)})" if whole else self.hh(n)

    def overview(self) -> list[Flowable]:
        d = self.data
        referrals = sum(d.referral_counts.values())
        pairs: list[tuple[str, Cell]] = [
            ("ครัวเรือนทั้งหมด", self.hh(self.total)),
            ("สมาชิก", DASH if d.members_total is None else f"{self.number(d.members_total)} คน"),
            ("สำรวจแล้ว", self.with_share(d.households_surveyed)),
            ("ครัวเรือนยากจน (อยู่ลำบาก + อยู่ยาก)", self.with_share(d.poor_households)),
            ("ยังประเมินไม่ได้ (คำตอบยังไม่พอ)", self.with_share(d.households_unassessable)),
            *(
                [("ไม่ได้สัมภาษณ์ (ปฏิเสธ ไม่อยู่บ้าน ย้ายออก …)", self.with_share(d.households_not_interviewed))]
                if d.coverage_total
                else []
            ),
            (
                "ความครอบคลุมของคำตอบ (เฉลี่ย)",
                DASH if d.mean_coverage is None else f"ร้อยละ {self.number(round(d.mean_coverage * 100))}",
            ),
            ("กลุ่มเป้าหมาย TPMAP", self.with_share(d.tpmap_target_households)),
            ("จำนวนหมู่บ้าน", f"{self.number(len(d.villages))} หมู่บ้าน" if d.villages else DASH),
            ("ธุรกิจในท้องถิ่น", f"{self.number(d.businesses_count)} แห่ง"),
            ("การส่งต่อความช่วยเหลือ", f"{self.number(referrals)} รายการ"),
            ("ผู้จัดการพื้นที่", d.area_manager_name),
        ]
        if d.university:
            pairs.append(("มหาวิทยาลัยในพื้นที่", d.university))
        out: list[Flowable] = [self.fields(pairs, columns=1, label_width=0.34)]
        if d.summary:
            out.append(Spacer(1, 4))
            out.append(self.para(d.summary))
        return out

    def classes(self) -> list[Flowable]:
        d = self.data
        labels = [c for c in POVERTY_CLASSES if c in d.class_counts] + [
            c for c in d.class_counts if c not in POVERTY_CLASSES
        ]
        counted = sum(d.class_counts.values())
        rows: list[list[Cell]] = [
            [c, self.number(d.class_counts[c]), self.percent(d.class_counts[c], counted)] for c in labels
        ]
        split = 0.45
        table = self.table(
            ["ระดับการดำรงชีพ", "ครัวเรือน", "ร้อยละ"],
            rows,
            [0.5, 0.25, 0.25],
            align="LRR",
            total=["รวม", self.number(counted), self.number(100) if counted else DASH],
            width=self.width * split - 6,
        )
        if not rows:
            return [table]
        chart = bar_chart(
            [(c, float(d.class_counts[c])) for c in labels],
            width=self.width * (1 - split),
            bar_colors=class_colors(labels),
            digits=self.digits,
        )
        return [self.side_by_side(table, chart, split)]

    def capitals(self) -> list[Flowable]:
        d = self.data
        after = d.capital_averages
        before = d.capital_averages_before
        if after.is_empty():
            return [self.para("ยังไม่มีคะแนนทุน 5 ด้าน", "note")]
        series = [Series(d.after_label, after.values())]
        if before is not None:
            series.insert(0, Series(d.before_label, before.values()))
        chart = radar_chart(series, width=self.width * 0.45, height=200, digits=self.digits)
        header = ["ทุน"]
        widths = [0.4]
        if before is not None:
            header.append(d.before_label)
            widths.append(0.2)
        header.append(d.after_label if before is not None else "คะแนนเฉลี่ย")
        widths.append(0.2)
        if before is not None:
            header.append("การเปลี่ยนแปลง")
            widths.append(0.2)
        rows: list[list[Cell]] = []
        for k in [*CAPITAL_KEYS, "mean"]:
            name = "เฉลี่ย 5 ด้าน" if k == "mean" else CAPITAL_LABELS[k]
            a = after.mean() if k == "mean" else after.value(k)
            row: list[Cell] = [name]
            if before is not None:
                b = before.mean() if k == "mean" else before.value(k)
                row += [self.score(b), self.score(a), change_word(b, a)]
            else:
                row.append(self.score(a))
            rows.append(row)
        table = self.table(
            header, rows, widths, align="L" + "C" * (len(header) - 1), width=self.width * 0.55 - 6
        )
        return [self.side_by_side(table, chart, 0.55)]

    def tpmap(self) -> list[Flowable]:
        d = self.data
        dims = [t for t in TPMAP_DIMENSIONS] + [t for t in d.tpmap_counts if t not in TPMAP_DIMENSIONS]
        rows: list[list[Cell]] = [
            [t, self.number(d.tpmap_counts.get(t, 0)), self.percent(d.tpmap_counts.get(t, 0), self.total)]
            for t in dims
        ]
        split = 0.5
        table = self.table(
            ["มิติที่ตกเกณฑ์", "ครัวเรือน", "ร้อยละของครัวเรือน"],
            rows,
            [0.5, 0.22, 0.28],
            align="LRR",
            width=self.width * split - 6,
        )
        chart = bar_chart(
            [(t, float(d.tpmap_counts.get(t, 0))) for t in dims],
            width=self.width * (1 - split),
            digits=self.digits,
        )
        out: list[Flowable] = [self.side_by_side(table, chart, split)]
        out.append(self.para("ครัวเรือนหนึ่งอาจตกเกณฑ์ได้มากกว่าหนึ่งมิติ ผลรวมจึงอาจมากกว่าจำนวนครัวเรือน", "note"))
        return out

    def rankings(self) -> list[Flowable]:
        """Villages ranked two ways: by their share of poor households, by complete data."""
        villages = [v for v in self.data.villages if v.households_total > 0]
        if not villages:
            return [self.para("ไม่มีข้อมูลรายหมู่บ้าน", "note")]
        limit = max(1, self.data.ranking_limit)
        # few households prove little: rank by the lower 95 % bound of the poor share
        by_poor = sorted(villages, key=lambda v: (-v.poor_lower_bound, -v.poor_households, v.village_name))
        rows_poor: list[list[Cell]] = [
            [
                self.number(i),
                *self._village_cells(v),
                self.number(v.households_assessed),
                self.number(v.poor_households),
                self.percent(v.poor_households, v.households_assessed),
                self.number(round(v.poor_lower_bound * 100)),
            ]
            for i, v in enumerate(by_poor[:limit], start=1)
        ]
        by_complete = sorted(
            villages, key=lambda v: (-v.completeness, -v.households_complete, v.village_name)
        )
        rows_complete: list[list[Cell]] = [
            [
                self.number(i),
                *self._village_cells(v),
                self.number(v.households_total),
                self.number(v.households_complete),
                self.percent(v.households_complete, v.households_total),
            ]
            for i, v in enumerate(by_complete[:limit], start=1)
        ]
        out: list[Flowable] = [
            self.para(
                "หน่วยงานคัดเลือกพื้นที่ยุทธศาสตร์จากความหนาแน่นของครัวเรือนยากจน"
                "และความพร้อมของระบบข้อมูล จึงจัดลำดับหมู่บ้านทั้งสองด้าน",
                "body",
            ),
        ]
        out += self._ranking(
            "5.1 ตามสัดส่วนครัวเรือนยากจน (อยู่ลำบาก + อยู่ยาก)",
            ["ประเมินได้", "ครัวเรือนยากจน", "ร้อยละ", "ร้อยละขั้นต่ำ*"],
            rows_poor,
            len(villages),
            limit,
            "* ขอบล่างของช่วงความเชื่อมั่น 95% (Wilson) ของสัดส่วนครัวเรือนยากจน ใช้จัดลำดับ"
            " เพื่อไม่ให้หมู่บ้านที่สำรวจไม่กี่ครัวเรือนขึ้นอันดับต้นเพราะจำนวนน้อย"
            " ไม่นับครัวเรือนที่ยังประเมินไม่ได้",
        )
        out += self._ranking(
            "5.2 ตามความครบถ้วนของข้อมูล",
            ["ครัวเรือน", "ข้อมูลครบถ้วน", "ร้อยละ"],
            rows_complete,
            len(villages),
            limit,
        )
        return out

    def _village_cells(self, v: VillageStat) -> list[Cell]:
        """A village's name (and its subdistrict, when the report covers several)."""
        return [self.name(village_label(v)), *([self.name(v.subdistrict)] if self.many_subdistricts else [])]

    def _ranking(
        self,
        title: str,
        columns: list[str],
        rows: list[list[Cell]],
        villages: int,
        limit: int,
        note: str = "",
    ) -> list[Flowable]:
        """One ranking: its title, the table (rank, village, [subdistrict], ``columns``), its note,
        and how many villages it leaves out."""
        sub = self.many_subdistricts
        extra = len(columns)
        if extra == 4:
            cols = [0.11, 0.11, 0.1, 0.13] if sub else [0.12, 0.12, 0.11, 0.14]
        else:
            cols = [0.15, 0.15, 0.13] if sub else [0.16, 0.16, 0.13]
        widths = [0.08, 0.32 if sub else 0.47, *([0.17] if sub else []), *cols]
        head = ["อันดับ", "หมู่บ้าน", *(["ตำบล"] if sub else []), *columns]
        align = "CL" + ("L" if sub else "") + "RRR" + "R" * (extra - 3)
        part: list[Flowable] = [self.heading(title, 2), self.table(head, rows, widths, align=align)]
        if note:
            part.append(self.para(note, "note"))
        if villages > limit:
            shown = f"แสดง {self.number(limit)} อันดับแรกจากทั้งหมด {self.number(villages)} หมู่บ้าน"
            part.append(self.para(shown, "note"))
        return part

    def coverage(self) -> list[Flowable]:
        """The target list's coverage per village: the programme's "acceptable data system"
        figure is the share of listed households interviewed."""
        d = self.data
        total = d.coverage_total
        assert total is not None
        sub = self.many_subdistricts
        header = [
            "หมู่บ้าน",
            *(["ตำบล"] if sub else []),
            "ในรายชื่อ",
            "เยี่ยมแล้ว",
            "สัมภาษณ์ได้",
            "ปฏิเสธ",
            "ไม่อยู่บ้าน",
            "ย้ายออก ไม่พบ เสียชีวิต",
            "ร้อยละ สัมภาษณ์ได้",
        ]
        widths = (
            [0.22, 0.12, 0.08, 0.08, 0.1, 0.08, 0.08, 0.11, 0.13]
            if sub
            else [0.32, 0.09, 0.09, 0.1, 0.08, 0.09, 0.11, 0.12]
        )

        def counts(c: VillageCoverage) -> list[Cell]:
            return [
                self.number(c.listed),
                self.number(c.visited),
                self.number(c.interviewed),
                self.number(c.refused),
                self.number(c.not_at_home),
                self.number(c.gone),
                self.percent(c.interviewed, c.listed) if c.listed else DASH,
            ]

        rows: list[list[Cell]] = [
            [self.name(c.village or DASH), *([self.name(c.subdistrict)] if sub else []), *counts(c)]
            for c in d.coverage
        ]
        table = self.table(
            header,
            rows,
            widths,
            align="L" + ("L" if sub else "") + "RRRRRRR",
            total=["รวม", *([""] if sub else []), *counts(total)],
        )
        share = self.percent(total.interviewed, total.listed) if total.listed else DASH
        return [
            self.para(
                f"ครัวเรือนในรายชื่อ {self.number(total.listed)} ครัวเรือน เยี่ยมแล้ว {self.number(total.visited)} "
                f"สัมภาษณ์ได้ {self.number(total.interviewed)} ครัวเรือน (ร้อยละ {share}) "
                "ร้อยละที่สัมภาษณ์ได้เป็นเกณฑ์ “ระบบข้อมูลที่ยอมรับได้” ของพื้นที่",
                "body",
            ),
            table,
            self.para(
                "นับครัวเรือนละหนึ่งครั้งตามรอบสำรวจล่าสุด ครัวเรือนที่ไม่ได้สัมภาษณ์ไม่มีระดับการดำรงชีพ"
                " และไม่นับเป็นครัวเรือนยากจนหรือไม่ยากจน ไม่อยู่บ้าน = รอเยี่ยมใหม่ตามวันนัด",
                "note",
            ),
        ]

    def businesses(self) -> list[Flowable]:
        items = sorted(self.data.businesses, key=lambda b: (-b.poor_households_employed, b.name))
        rows: list[list[Cell]] = []
        for i, b in enumerate(items, start=1):
            rows.append(
                [
                    self.number(i),
                    f"{b.name} (OTOP {b.otop_stars} ดาว)" if b.otop_stars else b.name,
                    b.business_type,
                    self.name(b.village),
                    self.number(b.employees_total),
                    self.number(b.employees_local),
                    self.number(b.poor_households_employed),
                ]
            )
        total: list[Cell] | None = None
        every = self.data.business_totals
        if every is not None:  # a long list: the first of it shown, the sums over every business
            total = [
                "",
                f"รวมทุกกิจการ ({self.number(every.businesses)} แห่ง)",
                "",
                "",
                self.number(every.employees_total),
                self.number(every.employees_local),
                self.number(every.poor_households_employed),
            ]
        elif rows:
            total = [
                "",
                "รวม",
                "",
                "",
                self.number(sum(b.employees_total or 0 for b in items)),
                self.number(sum(b.employees_local or 0 for b in items)),
                self.number(sum(b.poor_households_employed for b in items)),
            ]
        note: list[Flowable] = []
        if every is not None:
            note.append(
                self.para(
                    f"แสดง {self.number(len(items))} กิจการที่จ้างครัวเรือนยากจนมากที่สุด"
                    f" จากทั้งหมด {self.number(every.businesses)} แห่ง แถวรวมนับทุกกิจการ",
                    "note",
                )
            )
        return [
            self.table(
                [
                    "ที่",
                    "กิจการ",
                    "ประเภท",
                    "หมู่บ้าน",
                    "ลูกจ้างทั้งหมด",
                    "ลูกจ้างในตำบล",
                    "ครัวเรือนยากจนที่จ้าง",
                ],
                rows,
                [0.05, 0.27, 0.18, 0.16, 0.11, 0.11, 0.12],
                align="CLLLRRR",
                total=total,
                empty="ไม่มีข้อมูลธุรกิจในท้องถิ่น",
            ),
            *note,
        ]

    def referrals(self) -> list[Flowable]:
        counts = self.data.referral_counts
        if not counts:
            return [self.para("ยังไม่มีการส่งต่อความช่วยเหลือ", "note")]
        whole = sum(counts.values())
        rows: list[list[Cell]] = [
            [status, self.number(n), self.percent(n, whole)] for status, n in counts.items()
        ]
        split = 0.5
        table = self.table(
            ["สถานะ", "รายการ", "ร้อยละ"],
            rows,
            [0.56, 0.22, 0.22],
            align="LRR",
            total=["รวม", self.number(whole), self.number(100)],
            width=self.width * split - 6,
        )
        chart = bar_chart(
            [(s, float(n)) for s, n in counts.items()],
            width=self.width * (1 - split),
            digits=self.digits,
        )
        return [self.side_by_side(table, chart, split)]

    def needy(self) -> list[Flowable]:
        rows: list[list[Cell]] = []
        for i, h in enumerate(self.data.households_in_need, start=1):
            level = self.join([h.poverty_class, self.score(h.cap_mean) if h.cap_mean else ""], "\n")
            rows.append(
                [
                    self.number(i),
                    self.digits(h.household_code),
                    self.name(h.head_name),
                    self.name(h.village),
                    level,
                    self.money(h.income_per_capita),
                    self.join(h.tpmap_dimensions),
                    self.join(
                        [h.main_need, f"ส่งต่อที่ยังไม่เสร็จ {h.open_referrals} รายการ" if h.open_referrals else ""],
                        "\n",
                    ),
                ]
            )
        return [
            self.table(
                [
                    "ที่",
                    "รหัสครัวเรือน",
                    "หัวหน้าครัวเรือน",
                    "หมู่บ้าน",
                    "ระดับ / คะแนนทุน",
                    "รายได้ต่อคนต่อปี",
                    "มิติ TPMAP ที่ตกเกณฑ์",
                    "ความต้องการหลัก",
                ],
                rows,
                [0.045, 0.15, 0.16, 0.145, 0.1, 0.1, 0.13, 0.17],
                align="CLLLCRLL",
                empty="ไม่มีรายชื่อครัวเรือน",
                one_line=[1],
            )
        ]
