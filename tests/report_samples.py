"""Example report data: realistic, fictional people, places and businesses.

Used by the tests to render every
report without a database. Nothing here is real personal data.
"""

from __future__ import annotations

import struct
import zlib
from datetime import date

from fieldapp.reports.data import (
    Address,
    AreaBusiness,
    AreaReport,
    AreaScope,
    Assistance,
    BusinessReport,
    CapitalDriver,
    CapitalScores,
    Employment,
    Finances,
    HouseholdReport,
    Housing,
    LinkedHousehold,
    Member,
    Need,
    NeedyHousehold,
    Product,
    ReportMeta,
    SurveyRound,
    VillageStat,
)
from fieldapp.thai import national_id_check_digit

PRINTED_ON = date(2568 - 543, 3, 14)
"""14 March 2568 (2025): the print date every sample report carries."""


def nid(first12: str) -> str:
    """A valid 13-digit national ID from its first 12 digits."""
    return first12 + str(national_id_check_digit(first12))


def meta() -> ReportMeta:
    return ReportMeta(
        agency="โครงการแก้ไขปัญหาความยากจนแบบเบ็ดเสร็จและแม่นยำ จังหวัดยโสธร",
        printed_on=PRINTED_ON,
        printed_by="นางสาวกมลวรรณ ศรีบุญเรือง",
        credits=["ข้อมูลเขตการปกครอง: GeoThai (CC BY 4.0)"],
    )


def photo_png(width: int = 160, height: int = 120) -> bytes:
    """A small drawn stand-in for a photo (sky, field, a house), as PNG bytes."""
    rows = []
    for y in range(height):
        row = bytearray([0])  # PNG filter type 0 for the row
        for x in range(width):
            roof = y < height * 0.62 and abs(x - width / 2) < (y - height * 0.33) * 1.2
            wall = height * 0.62 <= y < height * 0.9 and abs(x - width / 2) < width * 0.19
            door = wall and abs(x - width / 2) < width * 0.04 and y > height * 0.7
            if door:
                rgb = (90, 60, 40)
            elif wall:
                rgb = (214, 190, 150)
            elif roof and y >= height * 0.33:
                rgb = (150, 70, 50)
            elif y >= height * 0.62:
                rgb = (122, 158, 86)
            else:
                rgb = (196, 214, 232)
            row += bytes(rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


HEAD_ID = nid("310370248899")
SPOUSE_ID = nid("310370248871")


def sample_household(*, rounds: int = 3, history: int = 14) -> HouseholdReport:
    members = [
        Member(
            prefix="นาย",
            first_name="สมศักดิ์",
            last_name="บุญประเสริฐ",
            national_id=HEAD_ID,
            sex="ชาย",
            birth_date=date(1968, 5, 2),
            relation_to_head="หัวหน้าครัวเรือน",
            marital_status="สมรส",
            education="ประถมศึกษา",
            occupation="เกษตร (ทำนา)",
            income_year=42_000,
            health_status="ป่วยเรื้อรัง (เบาหวาน)",
            welfare=["บัตรสวัสดิการแห่งรัฐ"],
            health_scheme="บัตรทอง (UC)",
            skills="ทำนา จักสานไม้ไผ่",
            training_need="การแปรรูปข้าวอินทรีย์",
        ),
        Member(
            prefix="นาง",
            first_name="บุญเรือน",
            last_name="บุญประเสริฐ",
            national_id=SPOUSE_ID,
            sex="หญิง",
            birth_date=date(1971, 11, 20),
            relation_to_head="คู่สมรส",
            education="ประถมศึกษา",
            occupation="รับจ้างทั่วไป",
            income_year=28_500,
            health_status="ปกติ",
            welfare=["บัตรสวัสดิการแห่งรัฐ", "ประกันสังคม ม.40"],
            health_scheme="บัตรทอง (UC)",
            skills="ทอผ้าไหม",
        ),
        Member(
            prefix="นาย",
            first_name="ธนากร",
            last_name="บุญประเสริฐ",
            national_id=nid("110370311245"),
            sex="ชาย",
            birth_date=date(1996, 2, 14),
            relation_to_head="บุตร",
            resident=False,
            education="ม.ปลาย-ปวช.",
            occupation="ลูกจ้างเอกชน",
            income_year=96_000,
            health_scheme="ประกันสังคม",
            skills="ช่างซ่อมรถจักรยานยนต์",
        ),
        Member(
            prefix="นางสาว",
            first_name="กิ่งกาญจน์",
            last_name="บุญประเสริฐ",
            national_id=nid("110370477731"),
            sex="หญิง",
            birth_date=date(2003, 8, 9),
            relation_to_head="บุตร",
            education="ปวส.-อนุปริญญา",
            studying=True,
            occupation="นักเรียน-นักศึกษา",
            health_scheme="บัตรทอง (UC)",
            training_need="การขายสินค้าออนไลน์",
        ),
        Member(
            prefix="เด็กชาย",
            first_name="ภูผา",
            last_name="บุญประเสริฐ",
            national_id=nid("110370755902"),
            sex="ชาย",
            birth_date=date(2016, 1, 30),
            relation_to_head="หลาน",
            education="ประถมศึกษา",
            studying=True,
            occupation="นักเรียน-นักศึกษา",
            welfare=["เงินอุดหนุนเด็กแรกเกิด"],
            health_scheme="บัตรทอง (UC)",
        ),
        Member(
            prefix="นาง",
            first_name="ทองใบ",
            last_name="ศรีสุข",
            national_id=nid("335010012843"),
            sex="หญิง",
            birth_date=date(1944, 7, 1),
            relation_to_head="บิดา-มารดา",
            marital_status="หม้าย",
            education="ไม่ได้เรียน",
            occupation="ทำงานไม่ได้",
            health_status="ติดเตียง",
            disability_type="เคลื่อนไหว-ร่างกาย",
            disability_card=True,
            welfare=["เบี้ยยังชีพผู้สูงอายุ", "เบี้ยความพิการ"],
            health_scheme="บัตรทอง (UC)",
        ),
        Member(
            prefix="นาย",
            first_name="ผ่องศักดิ์",
            last_name="ศรีสุข",
            national_id=nid("335010012851"),
            sex="ชาย",
            age=47,
            relation_to_head="พี่-น้อง",
            education="ม.ต้น",
            occupation="รับจ้างทั่วไป",
            income_year=36_000,
            welfare=["บัตรสวัสดิการแห่งรัฐ"],
            health_scheme="บัตรทอง (UC)",
            skills="ก่อสร้าง",
            training_need="ช่างไฟฟ้าในอาคาร",
        ),
    ]
    statuses = [
        ("ช่วยเหลือแล้ว", "ดีขึ้น"),
        ("อยู่ระหว่างดำเนินการ", ""),
        ("ส่งต่อแล้ว-รอดำเนินการ", ""),
        ("ช่วยเหลือแล้ว", "คงที่"),
        ("ไม่เข้าเกณฑ์-ปฏิเสธ", ""),
    ]
    kinds = [
        ("ซ่อมหลังคาบ้านที่รั่วในฤดูฝน", "ซ่อม-สร้างที่อยู่อาศัย", "physical", "อปท.", 18_500.0),
        ("ฝึกอาชีพแปรรูปข้าวอินทรีย์", "ฝึกอาชีพ", "human", "พช.", None),
        ("ขึ้นทะเบียนเบี้ยความพิการให้มารดา", "ขึ้นทะเบียนสิทธิสวัสดิการ", "social", "พมจ.-พม.", None),
        ("ปรับโครงสร้างหนี้นอกระบบ", "แก้ไขหนี้", "financial", "ศจพ.", None),
        ("เมล็ดพันธุ์ข้าวและปุ๋ยอินทรีย์", "ทุน-ปัจจัยการผลิต", "natural", "เกษตรอำเภอ", 4_200.0),
        ("ทุนการศึกษาสำหรับบุตรสาว", "การศึกษา-ทุนการศึกษา", "human", "มหาวิทยาลัย", 10_000.0),
        ("ตรวจสุขภาพและติดตามผู้ป่วยติดเตียง", "สุขภาพ-ส่งต่อบริการ", "human", "รพ.สต.-สาธารณสุข", None),
    ]
    assistance = []
    for i in range(history):
        need, kind, cap, to, value = kinds[i % len(kinds)]
        status, outcome = statuses[i % len(statuses)]
        referred = date(2023, 1 + i % 12, 3 + i)
        assistance.append(
            Assistance(
                need=need,
                assistance_type=kind,
                capital=cap,
                stage="อยู่รอด" if i % 3 else "พอเพียง",
                referred_to=to,
                member_name="นางทองใบ ศรีสุข" if "มารดา" in need else "",
                referred_by="นางสาวกมลวรรณ ศรีบุญเรือง",
                referred_on=referred,
                status=status,
                value_baht=value,
                completed_on=date(2024, 2, 1 + i) if status == "ช่วยเหลือแล้ว" else None,
                outcome=outcome,
                follow_up_on=date(2025, 4, 1 + i) if status != "ไม่เข้าเกณฑ์-ปฏิเสธ" else None,
            )
        )
    round_list = (
        [
            SurveyRound(
                survey_round="2566-1",
                surveyed_on=date(2023, 2, 15),
                scores=CapitalScores(1.60, 1.85, 1.40, 2.10, 2.20, poverty_class="อยู่ยาก"),
                income_per_capita=21_400,
                tpmap_dimensions=["สุขภาพ", "ความเป็นอยู่", "รายได้"],
            ),
            SurveyRound(
                survey_round="2567-1",
                surveyed_on=date(2024, 2, 20),
                scores=CapitalScores(1.90, 2.05, 1.55, 2.10, 2.45, poverty_class="อยู่ยาก"),
                income_per_capita=24_100,
                tpmap_dimensions=["สุขภาพ", "รายได้"],
            ),
            SurveyRound(
                survey_round="2568-1",
                surveyed_on=date(2025, 1, 12),
                scores=CapitalScores(2.10, 2.40, 1.75, 2.35, 2.80, poverty_class="อยู่ยาก"),
                income_per_capita=26_500,
                tpmap_dimensions=["สุขภาพ", "รายได้"],
            ),
        ][-rounds:]
        if rounds
        else []
    )
    return HouseholdReport(
        household_code="YST-0108-0042",
        address=Address(
            house_no="112/4",
            village_no=7,
            village_name="โนนสำราญ",
            subdistrict_code="350105",
            subdistrict="ทุ่งแต้",
            district="เมืองยโสธร",
            province="ยโสธร",
            postal_code="35000",
            municipal_area="นอกเขตเทศบาล",
            latitude=15.79412,
            longitude=104.14563,
        ),
        house_registry_code="35010123456",
        phone="081-234-5678",
        informant_name="นางบุญเรือน บุญประเสริฐ",
        members=members,
        housing=Housing(
            tenure="เป็นเจ้าของ",
            house_condition="ชำรุดบางส่วน",
            drinking_water_ok=True,
            domestic_water_ok=False,
            electricity="มีมิเตอร์ของตนเอง",
            farmland_owned_rai=4.5,
            farmland_rented_rai=6,
        ),
        finances=Finances(
            income_wage=64_500,
            income_farm=42_000,
            income_business=0,
            income_transfer=21_600,
            income_other=4_400,
            expense_total=118_000,
            debt_total=185_000,
            debt_sources=["ธ.ก.ส.", "กองทุนหมู่บ้าน", "หนี้นอกระบบ"],
            has_savings=False,
        ),
        scores=CapitalScores(2.10, 2.40, 1.75, 2.35, 2.80, poverty_class="อยู่ยาก", class_band="1.75–2.49"),
        drivers=[
            CapitalDriver("financial", "หนี้สินเทียบกับรายได้ทั้งปี", "หนี้มากกว่ารายได้ 1 เท่า", 1.0),
            CapitalDriver("financial", "การเก็บออม", "ไม่มีการเก็บออม", 1.0),
            CapitalDriver("human", "ระดับการศึกษาของสมาชิกวัยแรงงาน", "ส่วนใหญ่จบประถมศึกษา", 2.0),
            CapitalDriver("human", "สมาชิกที่ต้องการการดูแล", "มีผู้ป่วยติดเตียง 1 คน", 1.0),
            CapitalDriver("physical", "สภาพที่อยู่อาศัย", "ชำรุดบางส่วน หลังคารั่ว", 2.0),
            CapitalDriver("natural", "ที่ดินทำกิน", "มีที่ดินของตนเอง 4.5 ไร่ และเช่าเพิ่ม", 3.0),
            CapitalDriver("social", "การเป็นสมาชิกกลุ่มในชุมชน", "เป็นสมาชิกกลุ่มทอผ้าและกองทุนหมู่บ้าน", 3.0),
        ],
        tpmap_target=True,
        tpmap_dimensions=["สุขภาพ", "รายได้"],
        needs=[
            Need(
                "ซ่อมหลังคาและผนังห้องนอนผู้สูงอายุ",
                capital="physical",
                tpmap_dimension="ความเป็นอยู่",
                priority="เร่งด่วน",
            ),
            Need(
                "อุปกรณ์ดูแลผู้ป่วยติดเตียง (ที่นอนลม รถเข็น)",
                capital="human",
                tpmap_dimension="สุขภาพ",
                member_name="นางทองใบ ศรีสุข",
                priority="เร่งด่วน",
            ),
            Need(
                "ช่องทางจำหน่ายผ้าไหมทอมือ",
                capital="financial",
                tpmap_dimension="รายได้",
                member_name="นางบุญเรือน บุญประเสริฐ",
                priority="ปานกลาง",
            ),
            Need("ฝึกอาชีพช่างไฟฟ้า", capital="human", member_name="นายผ่องศักดิ์ ศรีสุข", priority="ปานกลาง"),
        ],
        assistance=assistance,
        employment=[
            Employment(
                business_name="วิสาหกิจชุมชนกลุ่มทอผ้าไหมบ้านโนนสำราญ",
                business_type="วิสาหกิจชุมชน",
                member_name="นางบุญเรือน บุญประเสริฐ",
                role="ผู้รับงานไปทำที่บ้าน",
                income_month=2_800,
                start_date=date(2023, 6, 1),
            ),
            Employment(
                business_name="โรงสีข้าวชุมชนทุ่งแต้",
                business_type="กลุ่มอาชีพ",
                member_name="นายสมศักดิ์ บุญประเสริฐ",
                role="ผู้ส่งวัตถุดิบ",
                income_month=1_500,
                start_date=date(2024, 11, 1),
                end_date=date(2025, 2, 28),
            ),
        ],
        rounds=round_list,
        survey_round="2568-1",
        surveyed_on=date(2025, 1, 12),
        surveyor_name="นายวีระพงษ์ ใจกล้า",
        area_manager_name="ผศ.ดร.ศิริพร วงศ์ใหญ่",
        university="มหาวิทยาลัยราชภัฏยโสธร",
        consent_given=True,
        consent_sensitive=True,
        consent_date=date(2025, 1, 12),
        photo=photo_png(),
        photo_caption="สภาพบ้านขณะสำรวจ (12 ม.ค. 2568)",
        notes="ครัวเรือนมีผู้สูงอายุติดเตียงที่ต้องมีผู้ดูแลตลอดเวลา ทำให้คู่สมรสออกไปรับจ้างนอกบ้านได้น้อยลง",
        meta=meta(),
    )


def sample_business(*, linked: int = 24) -> BusinessReport:
    villages = ["หมู่ที่ 7 บ้านโนนสำราญ", "หมู่ที่ 3 บ้านหนองบัว", "หมู่ที่ 9 บ้านดอนกลาง"]
    roles = ["ลูกจ้างประจำ", "ผู้รับงานไปทำที่บ้าน", "ผู้ส่งวัตถุดิบ", "ลูกจ้างรายวัน"]
    first = ["บุญเรือน", "สมใจ", "ประนอม", "ทองสุข", "มาลี", "คำปุ่น", "สุดารัตน์", "บัวผัน"]
    last = ["บุญประเสริฐ", "ศรีสุข", "แก้วมณี", "พรหมมา", "ทองดี", "จันทร์หอม"]
    links = [
        LinkedHousehold(
            household_code=f"YST-0108-{40 + i:04d}",
            member_name=f"นาง{first[i % len(first)]} {last[i % len(last)]}",
            national_id=nid(f"3350101{i:05d}"),
            village=villages[i % 3],
            role=roles[i % len(roles)],
            poverty_class="อยู่ลำบาก" if i % 4 == 0 else "อยู่ยาก",
            income_month=1_500 + 250 * (i % 7),
            start_date=date(2023, 1 + i % 12, 1),
        )
        for i in range(linked)
    ]
    return BusinessReport(
        name="วิสาหกิจชุมชนกลุ่มทอผ้าไหมบ้านโนนสำราญ",
        business_type="วิสาหกิจชุมชน",
        juristic=False,
        ce_reg_code="3-35-01-05/1-0012",
        ce_reg_date=date(2019, 3, 8),
        sector="การผลิต",
        sme_size="รายย่อย",
        activity="ผลิตสินค้า",
        description=(
            "กลุ่มทอผ้าไหมลายขิดและผ้ามัดหมี่ย้อมสีธรรมชาติ รวมตัวกันตั้งแต่ปี 2558 "
            "รับเส้นไหมจากสมาชิกที่เลี้ยงไหมในตำบล แล้วกระจายงานทอไปยังครัวเรือนที่มีผู้สูงอายุหรือผู้ป่วย"
            "ที่ต้องดูแล ทำให้สมาชิกมีรายได้โดยไม่ต้องออกไปทำงานนอกบ้าน"
        ),
        address=Address(
            house_no="45",
            village_no=7,
            village_name="โนนสำราญ",
            subdistrict="ทุ่งแต้",
            district="เมืองยโสธร",
            province="ยโสธร",
            postal_code="35000",
            latitude=15.79633,
            longitude=104.14107,
        ),
        contact_name="นางประนอม แก้วมณี",
        contact_phone="089-765-4321",
        members_count=32,
        employees_total=18,
        employees_local=16,
        revenue_year=1_250_000,
        profit_year=210_000,
        local_material_pct=85,
        otop_type="ผ้าและเครื่องแต่งกาย",
        otop_stars=4,
        otop_year=2566,
        standards=["มผช.", "GI"],
        cbt_certified=False,
        products=[
            Product("ผ้าไหมมัดหมี่ลายนาคน้อย", "ผ้าและเครื่องแต่งกาย", "ผืน", 3_500, ["มผช."]),
            Product("ผ้าขิดฝ้ายย้อมคราม", "ผ้าและเครื่องแต่งกาย", "เมตร", 450),
            Product("กระเป๋าผ้าไหมประยุกต์", "ของใช้ ของตกแต่ง ของที่ระลึก", "ใบ", 890),
            Product("หมอนขิดสามเหลี่ยม", "ของใช้ ของตกแต่ง ของที่ระลึก", "ใบ", 650, ["มผช."]),
        ],
        linked_households=links,
        income_distribution=["จ้างงานคนในชุมชน", "รับซื้อผลผลิตในชุมชน", "ปันผลสมาชิก"],
        income_distribution_note=(
            "ร้อยละ 60 ของรายได้จ่ายเป็นค่าจ้างทอและค่าเส้นไหมให้ครัวเรือนในตำบล "
            "กำไรส่วนหนึ่งเข้ากองทุนสวัสดิการกลุ่มสำหรับสมาชิกที่เจ็บป่วย"
        ),
        value_chain_stage=["ต้นน้ำ (วัตถุดิบ)", "กลางน้ำ (แปรรูป)"],
        markets=["ตลาดชุมชน", "ออนไลน์", "นักท่องเที่ยว"],
        supporters=["พช.", "สสว.", "มหาวิทยาลัย"],
        needs=[
            "เครื่องกรอไหมไฟฟ้า 2 เครื่อง เพื่อลดเวลาการเตรียมเส้นไหม",
            "การออกแบบลายผ้าร่วมสมัยและบรรจุภัณฑ์สำหรับตลาดออนไลน์",
            "ทุนหมุนเวียนสำหรับซื้อเส้นไหมในช่วงราคาต่ำ",
        ],
        surveyed_on=date(2025, 2, 4),
        surveyor_name="นายวีระพงษ์ ใจกล้า",
        area_manager_name="ผศ.ดร.ศิริพร วงศ์ใหญ่",
        photo=photo_png(),
        photo_caption="โรงทอของกลุ่ม",
        meta=meta(),
    )


def sample_area(*, villages: int = 12, level: str = "subdistrict") -> AreaReport:
    names = [
        "โนนสำราญ",
        "หนองบัว",
        "ดอนกลาง",
        "ทุ่งแต้",
        "โคกสว่าง",
        "นาสะไมย์",
        "ป่าติ้ว",
        "หนองหิน",
        "คำน้ำแซบ",
        "ศรีฐาน",
        "กุดกุง",
        "ฟ้าหยาด",
    ]
    stats = [
        VillageStat(
            village_name=names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}"),
            village_no=i + 1,
            subdistrict="ทุ่งแต้" if i % 2 else "ในเมือง",
            households_total=120 + 17 * (i % 5),
            poor_households=12 + 7 * ((i * 3) % 8),
            households_complete=80 + 9 * ((i * 5) % 7),
            cap_mean=2.0 + 0.1 * (i % 6),
        )
        for i in range(villages)
    ]
    total = sum(v.households_total for v in stats)
    poor = sum(v.poor_households for v in stats)
    lam = poor // 4
    return AreaReport(
        scope=AreaScope(
            level=level,
            title="ตำบลทุ่งแต้ อำเภอเมืองยโสธร จังหวัดยโสธร",
            codes=["350105"],
            parts=["ตำบลทุ่งแต้", "ตำบลในเมือง"] if level == "set" else [],
        ),
        households_total=total,
        members_total=total * 3,
        households_surveyed=total - 40,
        tpmap_target_households=poor - 25,
        class_counts={
            "อยู่ลำบาก": lam,
            "อยู่ยาก": poor - lam,
            "อยู่พอได้": (total - poor) * 2 // 3,
            "อยู่ดี": (total - poor) - (total - poor) * 2 // 3,
        },
        capital_averages=CapitalScores(2.31, 2.58, 2.05, 2.44, 2.71),
        capital_averages_before=CapitalScores(2.12, 2.40, 1.86, 2.41, 2.52),
        before_label="2566-1",
        after_label="2568-1",
        tpmap_counts={"สุขภาพ": 142, "ความเป็นอยู่": 96, "การศึกษา": 51, "รายได้": 233, "การเข้าถึงบริการภาครัฐ": 38},
        villages=stats,
        businesses=[
            AreaBusiness("วิสาหกิจชุมชนกลุ่มทอผ้าไหมบ้านโนนสำราญ", "วิสาหกิจชุมชน", "หมู่ที่ 7 บ้านโนนสำราญ", 18, 16, 24, 4),
            AreaBusiness("โรงสีข้าวชุมชนทุ่งแต้", "กลุ่มอาชีพ", "หมู่ที่ 4 บ้านทุ่งแต้", 9, 9, 11),
            AreaBusiness("กลุ่มท่องเที่ยวชุมชนบ้านศรีฐาน", "กลุ่มท่องเที่ยวโดยชุมชน (CBT)", "หมู่ที่ 10 บ้านศรีฐาน", 14, 12, 7),
            AreaBusiness("ร้านปลาร้าแม่คำปุ่น", "SME บุคคลธรรมดา", "หมู่ที่ 2 บ้านหนองบัว", 5, 5, 3),
        ],
        referral_counts={
            "ส่งต่อแล้ว-รอดำเนินการ": 38,
            "อยู่ระหว่างดำเนินการ": 54,
            "ช่วยเหลือแล้ว": 121,
            "แก้ไขได้ด้วยตนเอง": 17,
            "ไม่เข้าเกณฑ์-ปฏิเสธ": 9,
            "ยกเลิก": 4,
        },
        households_in_need=[
            NeedyHousehold(
                household_code=f"YST-0108-{100 + i:04d}",
                head_name=f"นาง{['คำปุ่น', 'บัวผัน', 'ทองใบ', 'สมหมาย', 'จันทร์เพ็ญ'][i % 5]} {['พรหมมา', 'ทองดี', 'ศรีสุข'][i % 3]}",
                village=f"หมู่ที่ {1 + i % villages} บ้าน{names[i % len(names)]}",
                poverty_class="อยู่ลำบาก",
                cap_mean=1.30 + 0.02 * i,
                income_per_capita=9_800 + 450 * i,
                tpmap_dimensions=["สุขภาพ", "รายได้"] if i % 2 else ["ความเป็นอยู่", "รายได้"],
                main_need=["ซ่อมแซมที่อยู่อาศัย", "อาชีพเสริมที่ทำได้ที่บ้าน", "ผู้ดูแลผู้ป่วยติดเตียง"][i % 3],
                open_referrals=i % 3,
            )
            for i in range(20)
        ],
        summary=(
            "ตำบลทุ่งแต้มีครัวเรือนยากจนกระจุกตัวในหมู่บ้านที่อยู่ห่างจากถนนสายหลัก "
            "ปัญหาหลักคือรายได้ต่ำและหนี้นอกระบบ ทุนเศรษฐกิจจึงต่ำที่สุดในห้าด้าน "
            "กลุ่มทอผ้าไหมและโรงสีข้าวชุมชนเป็นแหล่งจ้างงานสำคัญของครัวเรือนเป้าหมาย"
        ),
        area_manager_name="ผศ.ดร.ศิริพร วงศ์ใหญ่",
        university="มหาวิทยาลัยราชภัฏยโสธร",
        meta=meta(),
    )
