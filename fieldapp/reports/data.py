"""Plain input data for the PDF reports.

The renderers never read the database. A data builder turns stored records
into these dataclasses first: codes become the Thai labels people read
(``"อยู่ยาก"``, ``"ช่วยเหลือแล้ว"``), dates are :class:`datetime.date`,
money is ``float`` baht and national IDs are 13-digit strings (the renderer
masks them unless asked not to).

Field names follow the data model (DOMAIN.md §8) wherever a field exists
there. Every field except the few that identify a report has a default, so
a builder fills in what it has and the report leaves out what is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeAlias

CAPITAL_KEYS: tuple[str, ...] = ("human", "physical", "financial", "natural", "social")
"""The five capitals of the Sustainable Livelihood Framework, in report order."""

CAPITAL_LABELS: dict[str, str] = {
    "human": "ทุนมนุษย์",
    "physical": "ทุนกายภาพ",
    "financial": "ทุนเศรษฐกิจ",
    "natural": "ทุนธรรมชาติ",
    "social": "ทุนทางสังคม",
}

TPMAP_DIMENSIONS: tuple[str, ...] = (
    "สุขภาพ",
    "ความเป็นอยู่",
    "การศึกษา",
    "รายได้",
    "การเข้าถึงบริการภาครัฐ",
)
"""The five TPMAP (MPI) dimensions, in TPMAP's own order."""

POVERTY_CLASSES: tuple[str, ...] = ("อยู่ลำบาก", "อยู่ยาก", "อยู่พอได้", "อยู่ดี")
"""Livelihood classes 1–4, worst first."""

PhotoSource: TypeAlias = str | Path | bytes
"""A photo as a file path or the image file's bytes (JPEG or PNG)."""


@dataclass
class ReportMeta:
    """What every report prints around its content."""

    agency: str = "ระบบข้อมูลภาคสนามเพื่อการแก้ไขปัญหาความยากจนแบบเบ็ดเสร็จและแม่นยำ"
    """The agency line in the page header when no office is given."""
    office: str = ""
    """The issuing office (from the settings), printed in the page header and as the PDF author."""
    province: str = ""
    """The office's province (from the settings), added to the office name when it lacks it."""
    printed_on: date | None = None
    """The print date in the footer; today when not given."""
    printed_by: str = ""
    credits: list[str] = field(default_factory=list)
    """Attribution lines printed at the end, e.g. the geography data credit."""


@dataclass
class Address:
    """A place, as names rather than codes (codes are kept for reference)."""

    house_no: str = ""
    village_no: int | None = None
    village_name: str = ""
    village_code: str = ""
    soi_road: str = ""
    subdistrict_code: str = ""
    subdistrict: str = ""
    district: str = ""
    province: str = ""
    postal_code: str = ""
    municipal_area: str = ""
    latitude: float | None = None
    longitude: float | None = None


# --------------------------------------------------------------------------- household


@dataclass
class Member:
    """A household member (DOMAIN §8 b). Choice fields hold Thai labels."""

    first_name: str
    last_name: str = ""
    prefix: str = ""
    middle_name: str = ""
    national_id: str = ""
    id_type: str = ""
    sex: str = ""
    birth_date: date | None = None
    age: int | None = None
    """Age in years when only that is known; otherwise taken from ``birth_date``."""
    relation_to_head: str = ""
    resident: bool = True
    marital_status: str = ""
    education: str = ""
    studying: bool | None = None
    literate: bool | None = None
    occupation: str = ""
    income_year: float | None = None
    health_status: str = ""
    """Sensitive: printed only when the household gave explicit consent."""
    disability_type: str = ""
    """Sensitive: printed only when the household gave explicit consent."""
    disability_card: bool | None = None
    welfare: list[str] = field(default_factory=list)
    health_scheme: str = ""
    phone: str = ""
    skills: str = ""
    training_need: str = ""

    @property
    def full_name(self) -> str:
        given = " ".join(p for p in (self.first_name, self.middle_name) if p)
        name = f"{self.prefix}{given}"
        return f"{name} {self.last_name}".strip()


@dataclass
class Housing:
    """Housing, utilities and land (DOMAIN §8 a)."""

    tenure: str = ""
    house_condition: str = ""
    drinking_water_ok: bool | None = None
    domestic_water_ok: bool | None = None
    electricity: str = ""
    farmland_owned_rai: float | None = None
    farmland_rented_rai: float | None = None


@dataclass
class Finances:
    """Yearly income by source, expenses and debt, in baht (DOMAIN §8 a)."""

    income_wage: float = 0.0
    income_farm: float = 0.0
    income_business: float = 0.0
    income_transfer: float = 0.0
    income_other: float = 0.0
    expense_total: float | None = None
    debt_total: float | None = None
    debt_sources: list[str] = field(default_factory=list)
    has_savings: bool | None = None
    income_threshold: float | None = 38_000.0
    """Income per person per year below which the report flags the household."""

    @property
    def income_total(self) -> float:
        return (
            self.income_wage
            + self.income_farm
            + self.income_business
            + self.income_transfer
            + self.income_other
        )


@dataclass
class CapitalScores:
    """The five capital scores (1.00–4.00) and the class they give."""

    cap_human: float | None = None
    cap_physical: float | None = None
    cap_financial: float | None = None
    cap_natural: float | None = None
    cap_social: float | None = None
    cap_mean: float | None = None
    """Mean of the five; worked out from them when not given."""
    poverty_class: str = ""
    """Livelihood class label, e.g. ``"อยู่ยาก"``."""
    class_band: str = ""
    """The score range of that class as text, e.g. ``"1.75–2.49"``."""
    coverage: float | None = None
    """Share of the indicators that apply to the household which were answered (0–1)."""
    unassessable: bool = False
    """Too few answers to give a class (ยังประเมินไม่ได้): then there is no mean either."""
    missing: list[str] = field(default_factory=list)
    """The questions still to ask before the household can be assessed."""

    def value(self, key: str) -> float | None:
        """The score of one capital by its key (``"human"`` … ``"social"``)."""
        if key not in CAPITAL_KEYS:
            raise KeyError(key)
        result: float | None = getattr(self, f"cap_{key}")
        return result

    def values(self) -> list[float | None]:
        return [self.value(k) for k in CAPITAL_KEYS]

    def mean(self) -> float | None:
        """The mean as recorded; worked out only when all five are given and the household is
        not unassessable (an unassessed household has no mean, on screen or on paper)."""
        if self.cap_mean is not None:
            return self.cap_mean
        if self.unassessable:
            return None
        present = [v for v in self.values() if v is not None]
        return sum(present) / len(present) if present and len(present) == len(CAPITAL_KEYS) else None

    def is_empty(self) -> bool:
        return all(v is None for v in self.values())


@dataclass
class CapitalDriver:
    """One answer that fed a capital score: what was asked, answered and scored."""

    capital: str
    """Capital key (``"human"`` …) or its Thai label."""
    question: str
    answer: str
    score: float | None = None


@dataclass
class Need:
    """A need of the household or of one member."""

    need: str
    capital: str = ""
    tpmap_dimension: str = ""
    member_name: str = ""
    priority: str = ""


@dataclass
class Assistance:
    """One assistance or referral and how it went (DOMAIN §8 d)."""

    need: str = ""
    assistance_type: str = ""
    capital: str = ""
    tpmap_dimension: str = ""
    stage: str = ""
    referred_to: str = ""
    business_name: str = ""
    member_name: str = ""
    referred_by: str = ""
    referred_on: date | None = None
    status: str = ""
    value_baht: float | None = None
    in_kind: str = ""
    completed_on: date | None = None
    outcome: str = ""
    follow_up_on: date | None = None
    notes: str = ""


@dataclass
class Employment:
    """A member working for (or selling to) a local business."""

    business_name: str
    member_name: str = ""
    business_type: str = ""
    role: str = ""
    income_month: float | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class RoundMember:
    """One person in one survey round, for following members across rounds."""

    name: str
    age: int | None = None
    occupation: str = ""
    income_year: float | None = None


@dataclass
class SurveyRound:
    """One survey of the household, for the before/after comparison."""

    survey_round: str
    surveyed_on: date | None = None
    scores: CapitalScores = field(default_factory=CapitalScores)
    income_total: float | None = None
    income_per_capita: float | None = None
    debt_total: float | None = None
    tpmap_dimensions: list[str] = field(default_factory=list)
    members: dict[str, RoundMember] = field(default_factory=dict)
    """person (the member's row id in the first round recorded) -> the member in this round;
    empty for rounds linked only by a typed household code (their members cannot be matched)"""


@dataclass
class HouseholdReport:
    """Everything the household case report prints."""

    household_code: str
    address: Address = field(default_factory=Address)
    house_registry_code: str = ""
    phone: str = ""
    head_name: str = ""
    """Head of household; taken from the members when empty."""
    informant_name: str = ""
    members: list[Member] = field(default_factory=list)
    housing: Housing = field(default_factory=Housing)
    finances: Finances = field(default_factory=Finances)
    scores: CapitalScores = field(default_factory=CapitalScores)
    drivers: list[CapitalDriver] = field(default_factory=list)
    tpmap_target: bool | None = None
    tpmap_dimensions: list[str] = field(default_factory=list)
    """The TPMAP dimensions the household fails."""
    needs: list[Need] = field(default_factory=list)
    assistance: list[Assistance] = field(default_factory=list)
    employment: list[Employment] = field(default_factory=list)
    rounds: list[SurveyRound] = field(default_factory=list)
    """Earlier and current surveys, oldest first; compared when there are two or more."""
    survey_round: str = ""
    surveyed_on: date | None = None
    surveyor_name: str = ""
    area_manager_name: str = ""
    university: str = ""
    consent_given: bool | None = None
    consent_sensitive: bool = False
    """Health and disability details are printed only with explicit consent."""
    consent_date: date | None = None
    photo: PhotoSource | None = None
    photo_caption: str = ""
    notes: str = ""
    meta: ReportMeta = field(default_factory=ReportMeta)

    @property
    def resident_members(self) -> list[Member]:
        return [m for m in self.members if m.resident]

    @property
    def income_per_capita(self) -> float | None:
        residents = len(self.resident_members)
        if not residents:
            return None
        return self.finances.income_total / residents


# --------------------------------------------------------------------------- business


@dataclass
class Product:
    name: str
    otop_type: str = ""
    unit: str = ""
    price: float | None = None
    standards: list[str] = field(default_factory=list)


@dataclass
class LinkedHousehold:
    """A member of a target household who works for or sells to the business."""

    household_code: str
    member_name: str = ""
    national_id: str = ""
    village: str = ""
    role: str = ""
    """สมาชิก / ลูกจ้างประจำ / ลูกจ้างรายวัน / ผู้ส่งวัตถุดิบ / ผู้รับงานไปทำที่บ้าน."""
    poverty_class: str = ""
    income_month: float | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class BusinessReport:
    """Everything the local-business report prints (DOMAIN §8 c)."""

    name: str
    business_type: str = ""
    juristic: bool | None = None
    ce_reg_code: str = ""
    ce_reg_date: date | None = None
    juristic_id: str = ""
    sector: str = ""
    sme_size: str = ""
    activity: str = ""
    description: str = ""
    address: Address = field(default_factory=Address)
    contact_name: str = ""
    contact_phone: str = ""
    members_count: int | None = None
    employees_total: int | None = None
    employees_local: int | None = None
    revenue_year: float | None = None
    profit_year: float | None = None
    local_material_pct: float | None = None
    otop_type: str = ""
    otop_stars: int = 0
    """0 = not rated, 1–5 = OTOP Product Champion stars."""
    otop_year: int | None = None
    """Selection year in the Buddhist era, e.g. 2566."""
    standards: list[str] = field(default_factory=list)
    cbt_certified: bool | None = None
    cbt_year: int | None = None
    """Certification year in the Buddhist era."""
    products: list[Product] = field(default_factory=list)
    linked_households: list[LinkedHousehold] = field(default_factory=list)
    income_distribution: list[str] = field(default_factory=list)
    income_distribution_note: str = ""
    """How income reaches the community, in the business's own words."""
    value_chain_stage: list[str] = field(default_factory=list)
    markets: list[str] = field(default_factory=list)
    supporters: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    """Support needs, one per line."""
    surveyed_on: date | None = None
    surveyor_name: str = ""
    area_manager_name: str = ""
    university: str = ""
    photo: PhotoSource | None = None
    photo_caption: str = ""
    meta: ReportMeta = field(default_factory=ReportMeta)

    @property
    def poor_hh_linked(self) -> int:
        """Distinct target households linked to the business."""
        return len({h.household_code for h in self.linked_households})


# --------------------------------------------------------------------------- area


AREA_LEVELS: dict[str, str] = {
    "village": "หมู่บ้าน",
    "subdistrict": "ตำบล",
    "district": "อำเภอ",
    "province": "จังหวัด",
    "set": "พื้นที่ที่เลือก",
}


@dataclass
class AreaScope:
    """What the area case study covers."""

    level: str
    """One of :data:`AREA_LEVELS`: village, subdistrict, district, province or set."""
    title: str
    """The area as people say it, e.g. ``"ตำบลโนนสูง อำเภอเมืองยโสธร จังหวัดยโสธร"``."""
    codes: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    """For a chosen set: the names of the subdistricts in it."""


def wilson_lower_bound(successes: int, n: int, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval for a share ``successes / n`` (0 when n is 0)."""
    if n <= 0:
        return 0.0
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * ((p * (1 - p) + z2 / (4 * n)) / n) ** 0.5
    return max(0.0, (centre - spread) / (1 + z2 / n))


@dataclass
class VillageStat:
    """One village's counts, for the two village rankings."""

    village_name: str
    village_no: int | None = None
    village_code: str = ""
    subdistrict: str = ""
    households_total: int = 0
    poor_households: int = 0
    """Households in the two lowest classes (อยู่ลำบาก, อยู่ยาก)."""
    households_complete: int = 0
    """Households whose record has every required field filled in."""
    cap_mean: float | None = None
    households_unassessable: int = 0
    """Households with too few answers for a class (not counted as poor or as not poor)."""
    households_not_interviewed: int = 0
    """Households visited without an interview (refused, not at home …): no class, counted apart."""

    @property
    def households_assessed(self) -> int:
        return max(0, self.households_total - self.households_unassessable - self.households_not_interviewed)

    @property
    def poor_share(self) -> float:
        n = self.households_assessed
        return self.poor_households / n if n else 0.0

    @property
    def poor_lower_bound(self) -> float:
        """The Wilson 95 % lower bound of the poor share among assessed households: ranks a
        village with 90 poor of 100 above one with 6 of 6 (few households prove little)."""
        return wilson_lower_bound(self.poor_households, self.households_assessed)

    @property
    def completeness(self) -> float:
        if not self.households_total:
            return 0.0
        return self.households_complete / self.households_total


@dataclass
class AreaBusiness:
    """A local business in the area and how many poor households it employs."""

    name: str
    business_type: str = ""
    village: str = ""
    employees_total: int | None = None
    employees_local: int | None = None
    poor_households_employed: int = 0
    otop_stars: int = 0


@dataclass
class AreaBusinessTotals:
    """Every business of the area, counted (the list shows only the first of them)."""

    businesses: int = 0
    employees_total: int = 0
    employees_local: int = 0
    poor_households_employed: int = 0


@dataclass
class NeedyHousehold:
    """A household on the "most in need" list."""

    household_code: str
    head_name: str = ""
    village: str = ""
    poverty_class: str = ""
    cap_mean: float | None = None
    income_per_capita: float | None = None
    tpmap_dimensions: list[str] = field(default_factory=list)
    main_need: str = ""
    open_referrals: int = 0


@dataclass
class VillageCoverage:
    """The target list's coverage in one village (``fieldapp.coverage``): how many households
    listed were visited and interviewed, and what came of the other visits."""

    village: str
    subdistrict: str = ""
    listed: int = 0
    visited: int = 0
    interviewed: int = 0
    refused: int = 0
    not_at_home: int = 0
    gone: int = 0
    """Moved away, not found or deceased."""


@dataclass
class AreaReport:
    """Everything the area case study prints."""

    scope: AreaScope
    households_total: int = 0
    members_total: int | None = None
    households_surveyed: int | None = None
    tpmap_target_households: int | None = None
    class_counts: dict[str, int] = field(default_factory=dict)
    """Households by livelihood class label, worst first (see :data:`POVERTY_CLASSES`)."""
    households_unassessable: int = 0
    """Households with too few answers for a class (ยังประเมินไม่ได้), counted apart."""
    households_not_interviewed: int = 0
    """Households visited without an interview (ไม่ได้สัมภาษณ์), counted apart from every class."""
    coverage: list[VillageCoverage] = field(default_factory=list)
    """The target list's coverage per village; empty when the form records no visit outcome."""
    coverage_total: VillageCoverage | None = None
    mean_coverage: float | None = None
    """Mean share of applicable indicators answered, over the households."""
    capital_averages: CapitalScores = field(default_factory=CapitalScores)
    capital_averages_before: CapitalScores | None = None
    """Averages of an earlier round, drawn as a second series when given."""
    before_label: str = "รอบก่อน"
    after_label: str = "รอบล่าสุด"
    tpmap_counts: dict[str, int] = field(default_factory=dict)
    """Households failing each TPMAP dimension."""
    villages: list[VillageStat] = field(default_factory=list)
    businesses: list[AreaBusiness] = field(default_factory=list)
    """The businesses listed: those employing the most poor households, at most a page or two."""
    business_totals: AreaBusinessTotals | None = None
    """Counts over every business of the area; None when :attr:`businesses` lists them all."""
    referral_counts: dict[str, int] = field(default_factory=dict)
    """Referrals by status label."""
    households_in_need: list[NeedyHousehold] = field(default_factory=list)
    summary: str = ""
    """A short narrative written by the Area Manager."""
    area_manager_name: str = ""
    university: str = ""
    ranking_limit: int = 30
    """How many villages each ranking lists; the rest are counted in a note."""
    meta: ReportMeta = field(default_factory=ReportMeta)

    @property
    def businesses_count(self) -> int:
        """Every business of the area, listed or not."""
        return self.business_totals.businesses if self.business_totals else len(self.businesses)

    @property
    def poor_households(self) -> int:
        return sum(self.class_counts.get(c, 0) for c in POVERTY_CLASSES[:2])
