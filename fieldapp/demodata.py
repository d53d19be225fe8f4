"""Synthetic records for the demo (``fieldapp.demo`` writes them): Thai names and prefixes, valid
national IDs, villages of real subdistricts, households of 1–8 members with a spread of
livelihood classes and visit outcomes, local businesses with products and employment links, and
referrals. ``RecordMaker`` makes them from one seeded random stream, so the same seed gives the
same records.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import zlib
from collections.abc import Callable
from typing import Any

from fieldapp import geo, ids, thai, thaidate
from fieldapp.errors import ValidationError
from fieldapp.forms import Field, Form

# the provinces of the PMU-A pilot named in the source news and the research programme
DEFAULT_PROVINCES = ("32", "46", "35", "33", "18")

MALE = (
    "สมชาย สมศักดิ์ สมพงษ์ ประเสริฐ ประยุทธ บุญมี บุญเลิศ สุชาติ วิชัย สมบัติ ทองดี สุรพล อนันต์ "
    "ชัยวัฒน์ ณรงค์ ธนากร กิตติ ศักดิ์ชัย วีระ สุริยา ไพโรจน์ เฉลิม ทวี มานพ อำนาจ สมหมาย เสถียร "
    "บุญชู ประสิทธิ์ ยุทธนา ภานุวัฒน์ ณัฐวุฒิ พงศกร ธีรพงษ์ อภิชาติ จักรพันธ์ เกียรติศักดิ์ ไชยา"
).split()
FEMALE = (
    "สมหญิง สมศรี มาลี บุญเรือน ประไพ สุนีย์ วันเพ็ญ ทองใบ จันทร์เพ็ญ อรุณี สุภาพ บุญมา นงลักษณ์ "
    "พรทิพย์ กาญจนา ศิริพร รัตนา อำไพ สายสุนีย์ ละเอียด บัวผัน คำปุ่น ดวงใจ ปราณี ลำดวน เพ็ญศรี "
    "ณัฐธิดา ปิยะนุช กัญญารัตน์ สุดารัตน์ ชนิดา อรอุมา จิราพร วรรณา ผ่องศรี ไพลิน"
).split()
SURNAMES = (
    "ใจดี ศรีสุข บุญมา แก้วมณี ทองคำ สุขสวัสดิ์ พรหมมา ศรีสะอาด มั่นคง ชัยมงคล คำแก้ว ประเสริฐศรี "
    "บุญเรือง แสงทอง จันทร์หอม ดวงดี พิมพ์ทอง ศรีวงษ์ ทองปาน สมบูรณ์ชัย วงศ์สวัสดิ์ ภูมิใจ นาคสุข "
    "อินทร์แก้ว สีดา คำมูล บุตรดี ศรีบุญเรือง ผิวผ่อง โพธิ์ศรี ปัญญาดี ยอดเพชร เรืองศรี ทิพย์โพธิ์ "
    "สายบุญ หอมจันทร์ กองแก้ว ธรรมวงศ์ ชาวนา ศรีทองสุข"
).split()
VILLAGES = (
    "โนนสูง หนองบัว ดอนแดง โคกกลาง หนองแวง ห้วยทราย นาคำ โพนทอง ดงเย็น หนองหิน บ่อแก้ว "
    "โนนสะอาด หนองไผ่ ป่าตาล สร้างแก้ว ท่าช้าง คำเตย นาดี โคกสว่าง หัวช้าง ดอนตูม ม่วงหวาน"
).split()
PRODUCTS = (
    ("ผ้าไหมมัดหมี่", "textile_apparel"),
    ("ข้าวหอมมะลิอินทรีย์", "food"),
    ("น้ำพริกเผา", "food"),
    ("จักสานไม้ไผ่", "decor_souvenir"),
    ("สบู่สมุนไพร", "herbal_non_food"),
    ("น้ำมะขามป้อม", "beverage"),
    ("ผ้าทอมือ", "textile_apparel"),
    ("ปลาร้าบอง", "food"),
    ("เสื่อกก", "decor_souvenir"),
    ("ชาใบหม่อน", "beverage"),
    ("กล้วยตาก", "food"),
    ("ยาหม่องสมุนไพร", "herbal_non_food"),
)
NEEDS = (
    "ซ่อมหลังคาบ้านที่รั่ว",
    "ทุนประกอบอาชีพเลี้ยงไก่ไข่",
    "ฝึกอาชีพตัดเย็บเสื้อผ้า",
    "ขึ้นทะเบียนคนพิการ",
    "ทุนการศึกษาบุตร",
    "ส่งต่อรักษาโรคเรื้อรังที่ รพ.สต.",
    "ปรับโครงสร้างหนี้นอกระบบ",
    "ติดตั้งมิเตอร์ไฟฟ้า",
    "ทำบัตรประจำตัวประชาชน",
    "จ้างงานในวิสาหกิจชุมชน",
    "พันธุ์ปลาและอาหารปลา",
    "ถังเก็บน้ำฝน",
)

Progress = Callable[[int, int], None]
HARMS = frozenset(
    {"affected_by_pollution", "newborn_low_weight"}
)  # yes/no questions where "yes" is the bad answer
VISIT_OUTCOMES = (
    ("refused", 0.03),
    ("not_at_home", 0.05),
    ("moved", 0.06),
    ("not_found", 0.065),
    ("deceased", 0.068),
)
"""Demo visit outcomes with their cumulative shares; the rest are interviews."""
VISIT_NOTES = {
    "refused": ["ไม่สะดวกให้ข้อมูล", "ไม่ประสงค์ให้ข้อมูลรายได้", "ขอไม่เข้าร่วมโครงการ"],
    "not_at_home": ["ไปทำงานต่างจังหวัด กลับช่วงสิ้นเดือน", "ไปทำนา ให้มาช่วงเย็น", "เพื่อนบ้านแจ้งว่าไปโรงพยาบาล"],
    "moved": ["ย้ายไปอยู่กับลูกที่กรุงเทพฯ", "ย้ายไปทำงานที่ระยอง"],
    "not_found": ["ไม่พบบ้านเลขที่นี้ในหมู่บ้าน"],
    "deceased": ["ผู้อยู่อาศัยคนเดียวเสียชีวิตแล้ว"],
}


DEMO_EPOCH_MS = 1_767_225_600_000  # 2026-01-01 UTC: the time part of demo ids (see RecordMaker.uuid)


def subdistrict_pool(seed: int, areas: list[str] | None) -> list[geo.Area]:
    codes = areas or list(DEFAULT_PROVINCES)
    pool: list[geo.Area] = []
    for c in codes:
        pool += geo.subdistricts_within(c)
    if not pool:
        raise ValidationError("ไม่พบตำบลในพื้นที่ที่ระบุ", "no subdistricts in the given areas")
    random.Random(f"{seed}:areas").shuffle(pool)
    # a realistic spread: households cluster in some subdistricts
    return pool[: max(1, min(len(pool), 60))]


class RecordMaker:
    """Random answers from one named stream: the same seed and part give the same records."""

    def __init__(self, seed: int, part: str, subdistricts: list[geo.Area], number: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(f"{seed}:{part}")
        # visit outcomes draw from a stream of their own, so the interviews stay as they were
        self.visit_rng = random.Random(f"{seed}:{part}:visits")
        self.subdistricts = subdistricts
        self.villages: dict[str, list[tuple[int, str]]] = {}
        self.members_by_sub: dict[str, list[tuple[str, str, str]]] = {}
        self.households: list[tuple[str, str, str | None]] = []
        self.businesses: list[tuple[str, str]] = []
        self.today = _dt.date.today()
        self._generic: dict[str, list[Field]] = {}  # questions fill_generic answers, per form
        self.slot = zlib.crc32(f"{seed}:{part}".encode()) & 0xFFFF
        self.made = 0
        # national IDs: this part's numbers n = number * 10**6 + count, scrambled by a permutation
        # of the 11-digit space chosen by the seed, so no two people of one seed share an ID
        self.number = self.slot if number is None else number
        ids_rng = random.Random(f"{seed}:national_ids")
        self.id_mult = ids_rng.randrange(10**10, 10**11) | 1
        if self.id_mult % 5 == 0:
            self.id_mult += 2
        self.id_add = ids_rng.randrange(10**11)
        self.people = 0

    # ---------------------------------------------------------------- pieces

    def uuid(self) -> str:
        # time-ordered like fieldapp.ids.new_id, but from the seed: each part counts up from
        # its own slot, so the ids of one part sort in the order they were made
        self.made += 1
        seq = (self.slot << 32) + self.made
        return ids.uuid7(DEMO_EPOCH_MS + (seq >> 12), seq & 0xFFF, self.rng.getrandbits(62))

    def national_id(self, birth_year: int) -> str:
        kind = "1" if birth_year >= 1984 else self.rng.choice("3355")
        self.people += 1
        n = self.number * 10**6 + self.people
        body = f"{kind}{(self.id_mult * n + self.id_add) % 10**11:011d}"
        return body + str(thai.national_id_check_digit(body))

    def date_between(self, start: _dt.date, end: _dt.date) -> _dt.date:
        span = max(0, (end - start).days)
        return start + _dt.timedelta(days=self.rng.randint(0, span))

    def village(self, sub: str) -> tuple[int, str]:
        if sub not in self.villages:
            # a subdistrict's villages depend on the seed only, whichever part asks first
            vr = random.Random(f"{self.seed}:villages:{sub}")
            n = vr.randint(5, 15)
            names = vr.sample(VILLAGES, k=min(n, len(VILLAGES)))
            self.villages[sub] = [(i + 1, "บ้าน" + names[i % len(names)]) for i in range(n)]
        return self.rng.choice(self.villages[sub])

    def ordered(self, f: Field, wealth: float) -> str:
        """Pick from a list ordered best first, biased by wealth (0 poor … 1 well off)."""
        codes = [c.code for c in f.choices if c.code not in ("other", f.other)]
        x = min(0.999, max(0.0, (1 - wealth) * 0.9 + self.rng.random() * 0.25))
        return codes[int(x * len(codes))]

    # ---------------------------------------------------------------- household

    def member(
        self, rel: str, sex: str, age: int, surname: str, wealth: float, survey: _dt.date, form: Form
    ) -> dict[str, Any]:
        rng = self.rng
        # exactly `age` completed years on the survey date
        anchor = survey.replace(day=28) if (survey.month, survey.day) == (2, 29) else survey
        birth = anchor.replace(year=anchor.year - age - 1) + _dt.timedelta(days=rng.randint(1, 364))
        if age < 15:
            prefix = "boy" if sex == "1" else "girl"
        elif sex == "1":
            prefix = "mr"
        else:
            prefix = "mrs" if rel in ("head", "spouse") or age > 30 else "miss"
        edu = self.education(age, wealth)
        occ, income = self.work(age, wealth)
        health = rng.choices(
            ["normal", "chronic", "disabled", "bedridden"],
            weights=[80, 12 + (age > 60) * 20, 5, 1 + (age > 70) * 4],
        )[0]
        welfare = self.welfare(age, wealth, health)
        first = rng.choice(MALE if sex == "1" else FEMALE)
        if rel in ("head", "spouse") and age > 20:
            marital = "married"
        else:
            marital = "single" if age < 25 else rng.choice(["married", "widowed", "divorced", "single"])
        row: dict[str, Any] = {
            "id": self.uuid(),
            "id_type": "thai_id",
            "national_id": self.national_id(birth.year),
            "prefix": prefix,
            "first_name": first,
            "last_name": surname,
            "sex": sex,
            "birth_date": birth.isoformat(),
            "relation": rel,
            "resident": rng.random() < 0.92 or rel == "head",
            "marital": None if age < 15 else marital,
            "education": edu,
            # only what the form asks at this age (an answer it would clear costs a second pass)
            "studying": None if age < 3 else 4 <= age <= 18 and rng.random() < 0.9,
            "literate": None
            if age < 7
            else (edu not in ("none", "pre_primary") and rng.random() > 0.5 * (1 - wealth) ** 2),
            "occupation": occ if age >= 15 else None,
            "income_year": income if age >= 15 else None,
            "self_care": None if age < 15 else not (health == "bedridden" or occ == "unable_to_work"),
            "health_status": health,
            "welfare": welfare or ["none"],
            "health_scheme": rng.choices(["uc", "social_security", "civil_servant"], weights=[85, 10, 5])[0],
        }
        self.member_extras(row, age, health)
        allowed = form.fields["members"].level[1]  # the keys a member row may hold
        if allowed.issuperset(row):
            return row
        return {k: v for k, v in row.items() if k in allowed}

    def education(self, age: int, wealth: float) -> str:
        """The highest schooling: by age for children, by wealth (and less for the old) for adults."""
        edu_levels = [
            "none",
            "pre_primary",
            "primary",
            "lower_secondary",
            "upper_secondary",
            "diploma",
            "bachelor",
        ]
        if age < 6:
            return "none" if age < 3 else "pre_primary"
        if age < 15:
            return "primary" if age < 12 else "lower_secondary"
        top = 2 + int(wealth * 4.5 + self.rng.random() * 1.5)
        if age > 55:
            top = min(top, 3)
        return edu_levels[max(1, min(len(edu_levels) - 1, top))]

    def work(self, age: int, wealth: float) -> tuple[str | None, float]:
        """The occupation and the yearly income: working age, old age, or a child (at school)."""
        rng = self.rng
        if 15 <= age <= 59:
            occ = rng.choices(
                [
                    "agriculture",
                    "general_labour",
                    "trade_business",
                    "private_employee",
                    "government",
                    "homemaker",
                    "unemployed",
                ],
                weights=[40, 25, 10 + 10 * wealth, 8 + 10 * wealth, 2 + 6 * wealth, 6, 8 - 5 * wealth],
            )[0]
            return occ, round(rng.uniform(15000, 50000) + wealth * rng.uniform(20000, 200000), -2)
        if age >= 60:
            occ = rng.choices(["agriculture", "unable_to_work", "homemaker"], weights=[40, 30, 30])[0]
            return occ, round(rng.uniform(0, 20000) + wealth * rng.uniform(0, 40000), -2)
        return ("student" if age >= 4 else None), 0

    def welfare(self, age: int, wealth: float, health: str) -> list[str]:
        """The state welfare a member of this age, wealth and health receives."""
        welfare: list[str] = []
        if wealth < 0.5 and age >= 18:
            welfare.append("state_card")
        if age >= 60:
            welfare.append("elderly_allowance")
        if health == "disabled" and self.rng.random() < 0.7:
            welfare.append("disability_allowance")
        if age < 6 and wealth < 0.4:
            welfare.append("child_grant")
        return welfare

    def member_extras(self, row: dict[str, Any], age: int, health: str) -> None:
        """The answers only some members have: disability, a carer, skills, training, a phone."""
        rng = self.rng
        if health == "disabled":
            row["disability_type"] = rng.choice(["visual", "hearing", "physical", "intellectual"])
            row["disability_card"] = rng.random() < 0.7
        if health in ("bedridden", "disabled", "chronic"):
            row["has_caregiver"] = rng.random() < 0.8
        if rng.random() < 0.2 and age >= 15:
            row["skills"] = rng.choice(["ทอผ้า", "จักสาน", "ช่างไม้", "ทำอาหาร", "เลี้ยงสัตว์", "ซ่อมรถจักรยานยนต์"])
        if rng.random() < 0.25 and 15 <= age <= 59:
            row["training_need"] = rng.choice(["แปรรูปอาหาร", "ตัดเย็บเสื้อผ้า", "ขายของออนไลน์", "ช่างไฟฟ้า"])
        if rng.random() < 0.3 and age >= 18:
            row["phone"] = f"08{rng.randrange(10**8):08d}"

    def household(self, form: Form) -> tuple[str, dict[str, Any]]:
        """A household of 1–8 members, its answers and its visit; kept for the businesses and
        referrals made later when it was interviewed."""
        rng = self.rng
        wealth = rng.random() ** 1.4
        sub = rng.choice(self.subdistricts)
        vno, vname = self.village(sub.code)
        survey = self.date_between(self.today - _dt.timedelta(days=700), self.today - _dt.timedelta(days=1))
        surname = rng.choice(SURNAMES)
        members = self.family(surname, wealth, survey, form)
        earn = sum(float(m.get("income_year") or 0) for m in members)
        doc = self.answers(sub, vno, vname, survey, surname, members, earn, wealth)
        self.unusual_answers(doc, earn)
        self.money_and_needs(doc, wealth)
        if not doc["consent_sensitive"]:
            # without explicit consent the health questions are not asked
            sensitive = {c.id for c in form.fields["members"].fields if c.sensitive}
            for m in members:
                for key in sensitive:
                    m.pop(key, None)
        interviewed = self.visit(doc, survey, "visit_outcome" in form.fields)
        self.fill_generic(form, doc, wealth)
        doc = {k: v for k, v in doc.items() if k in form.fields}
        hid = self.uuid()
        if not interviewed:  # no referral or job is made for a household that gave no interview
            return hid, doc
        self.keep_for_links(hid, sub.code, members)
        return hid, doc

    def family(self, surname: str, wealth: float, survey: _dt.date, form: Form) -> list[dict[str, Any]]:
        """The members: a head, a spouse, then children, grandchildren or parents."""
        rng = self.rng
        size = rng.choices([1, 2, 3, 4, 5, 6, 7, 8], weights=[8, 18, 22, 22, 14, 8, 5, 3])[0]
        head_sex = rng.choice("1122" if wealth > 0.3 else "1222")
        head_age = rng.randint(28, 82)
        members = [self.member("head", head_sex, head_age, surname, wealth, survey, form)]
        if size >= 2:
            spouse_sex = "2" if head_sex == "1" else "1"
            members.append(
                self.member(
                    "spouse",
                    spouse_sex,
                    max(20, head_age + rng.randint(-6, 4)),
                    surname,
                    wealth,
                    survey,
                    form,
                )
            )
        while len(members) < size:
            kind = rng.random()
            if kind < 0.6 and head_age > 25:
                age = rng.randint(0, max(0, min(40, head_age - 18)))
                members.append(self.member("child", rng.choice("12"), age, surname, wealth, survey, form))
            elif kind < 0.8 and head_age > 45:
                members.append(
                    self.member(
                        "grandchild", rng.choice("12"), rng.randint(0, 15), surname, wealth, survey, form
                    )
                )
            else:
                members.append(
                    self.member(
                        "parent",
                        rng.choice("12"),
                        min(99, head_age + rng.randint(20, 30)),
                        surname,
                        wealth,
                        survey,
                        form,
                    )
                )
        return members

    def answers(
        self,
        sub: geo.Area,
        vno: int,
        vname: str,
        survey: _dt.date,
        surname: str,
        members: list[dict[str, Any]],
        earn: float,
        wealth: float,
    ) -> dict[str, Any]:
        """The household's answers: consent, address, the survey, incomes by wealth, land, debt."""
        rng = self.rng
        doc: dict[str, Any] = {
            "consent_given": True,
            "consent_sensitive": rng.random() < 0.85,
            "consent_by": f"{members[0]['first_name']} {surname}",
            "consent_date": survey.isoformat(),
            "consent_form_version": "2026.1",
            "house_no": f"{rng.randint(1, 250)}" + (f"/{rng.randint(1, 9)}" if rng.random() < 0.2 else ""),
            "village_no": vno,
            "village_name": vname,
            "subdistrict_code": sub.code,
            "postal_code": sub.postal_codes[0] if sub.postal_codes else None,
            "municipal_area": "non_municipal" if rng.random() < 0.85 else "municipal",
            "location": {"lat": round(rng.uniform(14.0, 17.5), 6), "lon": round(rng.uniform(99.5, 105.0), 6)},
            "members": members,
            "surveyed_on": survey.isoformat(),
            "survey_round": f"{survey.year + 543}-{1 if survey.month <= 6 else 2}",
            "surveyor": "อสม. " + rng.choice(FEMALE) + " " + rng.choice(SURNAMES),
            "university": rng.choice(["มหาวิทยาลัยราชภัฏสุรินทร์", "มหาวิทยาลัยกาฬสินธุ์", "มหาวิทยาลัยอุบลราชธานี"]),
            # poorer households live on fewer kinds of income
            "income_wage": round(earn * rng.uniform(0.2, 0.6), -2) if rng.random() < 0.5 + wealth else 0,
            "income_farm": round(earn * rng.uniform(0.2, 0.6), -2) if rng.random() < 0.4 + wealth else 0,
            "income_business": round(earn * rng.uniform(0, 0.3) * wealth, -2) if wealth > 0.35 else 0,
            "income_transfer": round(rng.uniform(0, 12000) * (1.2 - wealth), -2) if rng.random() < 0.7 else 0,
            "income_other": 0,
            "expense_total": round(earn * rng.uniform(0.6, 1.1), -2),
            "debt_total": round(rng.uniform(0, 250000) * (1.1 - wealth), -3),
            "has_savings": rng.random() < 0.2 + wealth * 0.7,
            "farmland_owned_rai": round(rng.uniform(0, 25) * wealth, 1) if rng.random() < 0.4 + wealth else 0,
            "farmland_rented_rai": round(rng.uniform(0, 8) * (1 - wealth), 1) if rng.random() < 0.3 else 0,
            "tpmap_target": wealth < 0.3 and rng.random() < 0.7,
        }
        return doc

    def unusual_answers(self, doc: dict[str, Any], earn: float) -> None:
        """Some unusual answers (soft warnings, forms/household.yaml), each with its reason."""
        rng = self.rng
        # kept with a reason, as the editor asks
        reasons: dict[str, str] = {}
        if rng.random() < 0.01:
            doc["farmland_owned_rai"] = float(rng.randint(520, 900))
            reasons["farmland_over_500_rai@farmland_owned_rai"] = "ที่ดินมรดกร่วมของเครือญาติ ยังไม่ได้แบ่งแยกโฉนด"
        total = sum(
            float(doc[k] or 0) for k in ("income_wage", "income_farm", "income_business", "income_transfer")
        )
        if earn > 0 and total > 0 and (earn > total * 1.5 or earn * 1.5 < total) and rng.random() < 0.7:
            reasons["member_income_differs@income_wage"] = rng.choice(
                [
                    "สมาชิกแจ้งรายได้ก่อนหักต้นทุน ครัวเรือนแจ้งรายได้สุทธิ",
                    "ลูกที่ทำงานต่างจังหวัดส่งเงินกลับบ้านเพียงบางส่วน",
                    "รายได้จากการขายผลผลิตปีนี้ลดลงเพราะภัยแล้ง",
                ]
            )
        if reasons:
            doc["warning_reasons"] = json.dumps(reasons, ensure_ascii=False, sort_keys=True)

    def money_and_needs(self, doc: dict[str, Any], wealth: float) -> None:
        """Savings, where the debt comes from, a phone, what a poor household needs."""
        rng = self.rng
        if doc["has_savings"]:
            doc["savings_amount"] = round(rng.uniform(500, 80000) * wealth + 500, -2)
        if doc["debt_total"]:
            doc["debt_sources"] = rng.sample(
                ["baac", "village_fund", "informal", "savings_group", "bank"], k=rng.randint(1, 2)
            )
        if rng.random() < 0.6:
            doc["phone"] = f"08{rng.randrange(10**8):08d}"
        if wealth < 0.3 and rng.random() < 0.6:
            doc["needs"] = rng.choice(NEEDS)

    def keep_for_links(self, hid: str, sub: str, members: list[dict[str, Any]]) -> None:
        """The household and its working-age members, for the jobs and referrals made later."""
        keep = self.members_by_sub.setdefault(sub, [])
        for m in members:
            if len(keep) < 80 and 18 <= self.today.year - int(m["birth_date"][:4]) <= 60:
                keep.append((hid, m["id"], f"{m['first_name']} {m['last_name']}"))
        self.households.append((hid, sub, members[0]["id"]))

    def visit(self, doc: dict[str, Any], survey: _dt.date, asked: bool) -> bool:
        """The visit's outcome: most households interviewed; some refused (about 3 %), not at
        home with a revisit date (2 %), a few moved, not found or deceased. A household without an
        interview keeps only its identity and address (the save clears the rest). True when
        interviewed."""
        if not asked:
            return True
        r = self.visit_rng.random()
        outcome = next((code for code, upto in VISIT_OUTCOMES if r < upto), "interviewed")
        doc["visit_outcome"] = outcome
        doc["visited_by"] = doc.get("surveyor")
        if outcome == "interviewed":
            doc["visit_date"] = survey.isoformat()
            return True
        if outcome == "not_at_home":  # a recent visit: some revisits overdue, some this week, some later
            day = self.today - _dt.timedelta(days=self.visit_rng.randint(1, 20))
            doc["revisit_on"] = (day + _dt.timedelta(days=self.visit_rng.randint(3, 21))).isoformat()
        else:
            day = survey
        doc["visit_date"] = day.isoformat()
        doc["visit_note"] = self.visit_rng.choice(VISIT_NOTES[outcome])
        for key in ("warning_reasons", "needs", "savings_amount", "debt_sources", "phone"):
            doc.pop(key, None)
        return False

    def fill_generic(self, form: Form, doc: dict[str, Any], wealth: float) -> None:
        """Answer the remaining questions by type, so new questions get demo answers too."""
        rng = self.rng
        generic = self._generic.get(form.id)
        if generic is None:
            generic = self._generic[form.id] = [
                f
                for f in form.fields.values()
                if f.type not in ("calculated", "note", "repeat")
                and f.parent is None
                and not f.read_only  # shown, not typed (the round number)
                and f.appearance != "hidden"  # written by the app
            ]
        for f in generic:
            if f.id in doc:
                continue
            if f.relevant is not None and not form.is_relevant(f, doc):
                continue  # a question the form hides after these answers is left unanswered
            t = f.type
            if t == "boolean":
                # most yes/no questions ask about something good to have; a few about harm
                good = 0.1 + 0.85 * wealth
                doc[f.id] = rng.random() < (1 - good if f.id in HARMS else good)
            elif t == "select_one" and f.choices:
                doc[f.id] = self.ordered(f, wealth)
            elif t == "select_multiple" and f.choices:
                codes = [c.code for c in f.choices if c.code not in ("other", "none")]
                k = min(len(codes), int(rng.random() * 3 * (0.3 + wealth)))
                doc[f.id] = rng.sample(codes, k=k) if k else None
            elif t in ("integer", "decimal") and f.min is not None and f.max is not None:
                val = f.min + (f.max - f.min) * rng.random() * 0.5
                doc[f.id] = int(val) if t == "integer" else round(val, 1)
            elif t == "decimal" and f.id.endswith("_km"):
                doc[f.id] = round(rng.uniform(0.5, 25), 1)

    # ---------------------------------------------------------------- business

    def business(self, form: Form) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        subs = [s for s in self.members_by_sub if self.members_by_sub[s]] or [self.subdistricts[0].code]
        sub = rng.choice(subs)
        vno, vname = self.village(sub)
        product, otop = rng.choice(PRODUCTS)
        btype, name = self.kind_and_name(product, vname)
        pool = self.members_by_sub.get(sub, [])
        links = rng.sample(pool, k=min(len(pool), rng.randint(0, 8)))
        employees_local = len(links) + rng.randint(0, 10)
        revenue = round(rng.uniform(50000, 2500000), -3)
        start = self.today - _dt.timedelta(days=rng.randint(60, 2000))
        doc: dict[str, Any] = {
            "name": name,
            "business_type": btype,
            "juristic": btype == "sme_juristic",
            "sector": "manufacturing" if btype != "cbt_group" else "service_trade",
            "activity": "production" if btype != "cbt_group" else "service",
            "otop_type": otop,
            "otop_stars": rng.choice([0, 0, 1, 2, 3, 3, 4, 5]),
            "otop_year": rng.randint(2016, self.today.year) + thaidate.BE_OFFSET,
            "standards": rng.sample(["fda", "tcps", "gmp", "halal", "organic_thailand"], k=rng.randint(0, 2))
            or None,
            "cbt_certified": btype == "cbt_group" and rng.random() < 0.4,
            "cbt_year": start.year + thaidate.BE_OFFSET,  # kept only when certified (relevance)
            "house_no": str(rng.randint(1, 200)),
            "village_no": vno,
            "village_name": vname,
            "subdistrict_code": sub,
            "contact_name": rng.choice(FEMALE) + " " + rng.choice(SURNAMES),
            "contact_phone": f"08{rng.randrange(10**8):08d}",
            "members_count": rng.randint(7, 45),
            "employees_total": employees_local + rng.randint(0, 5),
            "employees_local": employees_local,
            "revenue_year": revenue,
            "profit_year": round(revenue * rng.uniform(-0.05, 0.3), -3),
            # OSMEP size by revenue (micro up to 1.8 M baht a year)
            "sme_size": "micro" if revenue <= 1_800_000 else "small",
            "local_material_pct": rng.randint(30, 100),
            "income_distribution": rng.sample(
                ["dividend", "local_employment", "local_purchase", "community_fund"], k=rng.randint(1, 3)
            ),
            "value_chain_stage": rng.sample(["upstream", "midstream", "downstream"], k=rng.randint(1, 2)),
            "markets": rng.sample(
                ["community_market", "shops_wholesale", "online", "tourists"], k=rng.randint(1, 3)
            ),
            "supporters": rng.sample(["codi", "osmep", "dasta", "cdd", "university"], k=rng.randint(1, 2)),
            "needs": rng.choice(["บรรจุภัณฑ์ใหม่", "ช่องทางตลาดออนไลน์", "ทุนหมุนเวียน", "เครื่องจักรแปรรูป"]),
            "products": self.products(product, otop),
            "employment": self.employment(links, start),
        }
        for i, p in enumerate(doc["products"]):
            if i:
                p["name"] = f"{product} แบบที่ {i + 1}"
        self.fill_generic(form, doc, 0.5)
        doc = {k: v for k, v in doc.items() if k in form.fields}
        for rep in form.repeats():
            allowed = {c.id for c in rep.fields} | {"id"}
            doc[rep.id] = [{k: v for k, v in r.items() if k in allowed} for r in doc.get(rep.id) or []]
        bid = self.uuid()
        self.businesses.append((bid, sub))
        return bid, doc

    def kind_and_name(self, product: str, vname: str) -> tuple[str, str]:
        """What kind of business it is, and its name (the kind, the product, the village)."""
        rng = self.rng
        btype = rng.choices(
            [
                "community_enterprise",
                "otop_producer",
                "occupation_group",
                "sme_individual",
                "cbt_group",
                "social_enterprise",
            ],
            weights=[40, 20, 15, 12, 8, 5],
        )[0]
        prefix = {
            "community_enterprise": "วิสาหกิจชุมชน",
            "otop_producer": "กลุ่มผู้ผลิต",
            "occupation_group": "กลุ่มอาชีพ",
            "sme_individual": "ร้าน",
            "cbt_group": "กลุ่มท่องเที่ยวโดยชุมชน",
            "social_enterprise": "วิสาหกิจเพื่อสังคม",
        }[btype]
        name = f"{prefix}{product}{vname}" if btype != "cbt_group" else f"{prefix}{vname}"
        return btype, name

    def products(self, product: str, otop: str) -> list[dict[str, Any]]:
        """One to three products (their names told apart afterwards)."""
        rng = self.rng
        return [
            {
                "id": self.uuid(),
                "name": product,
                "otop_type": otop,
                "unit": rng.choice(["ผืน", "กิโลกรัม", "ขวด", "ชิ้น"]),
                "price": float(rng.choice([35, 60, 120, 250, 450, 1200])),
            }
            for _ in range(rng.randint(1, 3))
        ]

    def employment(self, links: list[tuple[str, str, str]], start: _dt.date) -> list[dict[str, Any]]:
        """Work for members of households nearby, since the business began at the earliest."""
        rng = self.rng
        return [
            {
                "id": self.uuid(),
                "household_id": hid,
                "member_id": mid,
                "role": rng.choice(["member", "permanent", "daily", "supplier", "home_worker"]),
                "start_date": self.date_between(start, self.today).isoformat(),
                "income_month": float(rng.choice([1500, 3000, 4500, 6000, 9000])),
            }
            for hid, mid, _ in links
        ]

    # ---------------------------------------------------------------- referral

    def referral(self, form: Form) -> tuple[str, dict[str, Any]]:
        rng = self.rng
        hid, sub, member = rng.choice(self.households)
        status = rng.choices(
            ["referred", "in_progress", "helped", "self_resolved", "rejected", "cancelled"],
            weights=[25, 25, 30, 8, 7, 5],
        )[0]
        referred = self.date_between(self.today - _dt.timedelta(days=500), self.today - _dt.timedelta(days=5))
        atype = rng.choice(
            [
                "relief",
                "housing",
                "vocational_training",
                "production_inputs",
                "employment",
                "education",
                "health",
                "welfare_registration",
                "debt",
            ]
        )
        doc: dict[str, Any] = {
            "household_id": hid,
            "member_id": member if rng.random() < 0.5 else None,
            "subdistrict_code": sub,
            "capital": rng.choice(["human", "physical", "financial", "natural", "social"]),
            "need": rng.choice(NEEDS),
            "assistance_type": atype,
            "stage": rng.choice(["survival", "sufficiency", "sustainable"]),
            "referred_to": rng.choice(
                [
                    "local_government",
                    "social_development",
                    "cdd",
                    "public_health",
                    "agriculture",
                    "university",
                ]
            ),
            "referred_by": "ผู้จัดการพื้นที่ " + rng.choice(MALE),
            "referred_on": referred.isoformat(),
            "status": status,
            "value_baht": float(rng.choice([0, 500, 1000, 3000, 5000, 15000, 30000])),
        }
        if atype == "employment":
            local = [b for b, s in self.businesses if s == sub]
            if local:
                doc["business_id"] = rng.choice(local)
        if status in ("helped", "self_resolved"):
            done = self.date_between(referred, self.today)
            doc["completed_on"] = done.isoformat()
            doc["outcome"] = rng.choices(["better", "same", "worse"], weights=[65, 30, 5])[0]
        if status in ("referred", "in_progress"):
            doc["follow_up_on"] = (self.today + _dt.timedelta(days=rng.randint(3, 60))).isoformat()
        doc = {k: v for k, v in doc.items() if k in form.fields}
        return self.uuid(), doc
