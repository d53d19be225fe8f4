"""Build report data from the local store.

The renderers take plain dataclasses (:mod:`fieldapp.reports.data`); the functions here read
the store and fill them in:

* :func:`household_report` — one household record, its referrals, the businesses that employ its
  members, and its earlier survey rounds;
* :func:`business_report` — one business record and the target households linked to it;
* :func:`area_report` — a village, subdistrict, district, province or a chosen set of
  subdistricts, aggregated with read-only SQL over the typed form tables.

Codes become the Thai labels people read (``Field.choice_label``), stored ISO dates become
:class:`datetime.date`, area codes become names (:mod:`fieldapp.geo`). Nothing is invented: a
value the record does not hold stays empty and the report prints a dash or "ไม่มีข้อมูล".
No Qt here.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldapp import attachments, coverage, geo, ids, rounds, scoring, thai, thaidate
from fieldapp.errors import FieldAppError, NotFoundError, ValidationError
from fieldapp.expr import Expression
from fieldapp.forms import Field, Form
from fieldapp.reports.base import ReportDataError
from fieldapp.reports.data import (
    CAPITAL_KEYS,
    TPMAP_DIMENSIONS,
    Address,
    AreaBusiness,
    AreaBusinessTotals,
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
    RoundMember,
    SurveyRound,
    VillageCoverage,
    VillageStat,
)
from fieldapp.reports.record import RecordReport
from fieldapp.store import Record, Store

__all__ = [
    "DRIVERS_PER_CAPITAL",
    "NEEDY_LIMIT",
    "POOR_CLASSES",
    "TPMAP_LABELS",
    "area_report",
    "business_report",
    "default_meta",
    "find_household",
    "household_report",
]

TPMAP_LABELS: dict[str, str] = {
    "health": TPMAP_DIMENSIONS[0],
    "living": TPMAP_DIMENSIONS[1],
    "education": TPMAP_DIMENSIONS[2],
    "income": TPMAP_DIMENSIONS[3],
    "access": TPMAP_DIMENSIONS[4],
}
"""TPMAP dimension codes (choice list ``tpmap_dimensions``) to the names the reports print."""

POOR_CLASSES = ("1", "2")
"""Livelihood class codes counted as poor: อยู่ลำบาก and อยู่ยาก."""

OPEN_REFERRAL = ("referred", "in_progress")
"""Referral statuses that are still open."""

DRIVERS_PER_CAPITAL = 3
"""At most this many answers are listed as pulling one capital down."""

DRIVER_MAX_POINTS = 2
"""An answer pulls a capital down when it scored this many points (of 4) or fewer."""

NEEDY_LIMIT = 20
BUSINESS_LIMIT = 60  # businesses listed in an area report (the rest counted): a province has thousands
"""How many households the area report lists as most in need."""

MAX_ROUNDS = 12
"""At most this many survey rounds of one household are read."""

UNSCORED = "ยังไม่ประเมิน"
"""Class label for households never scored (records from before the rubric)."""

UNASSESSABLE = "ยังประเมินไม่ได้"
NOT_INTERVIEWED = "ไม่ได้สัมภาษณ์"
"""The class row of households visited without an interview (refused, not at home …)."""
"""Class label for households with too few answers for a class (see forms/scoring.yaml)."""

_PROMPT_RE = re.compile(r"\s*\(ระบุ[^)]*\)\s*$")
_NOTE_RE = re.compile(r"\s*\([^)]*\)\s*$")


def _short(label: str) -> str:
    """A label without its explanation in brackets, for narrow table columns:
    ``เกษตรกรรม (ทำนา ทำไร่ …)`` → ``เกษตรกรรม``, ``บัตรทอง (หลักประกัน…)`` → ``บัตรทอง``."""
    return _NOTE_RE.sub("", label) or label


# ---------------------------------------------------------------------------- small helpers


def default_meta(printed_by: str = "", *, printed_on: _dt.date | None = None) -> ReportMeta:
    """The meta every built report carries: print date (today), author and the GeoThai credit."""
    return ReportMeta(printed_on=printed_on or thaidate.today(), printed_by=printed_by, credits=[geo.CREDIT])


def _date(value: Any) -> _dt.date | None:
    if not value:
        return None
    if isinstance(value, _dt.date):
        return value
    try:
        return thaidate.from_iso(str(value)[:10])
    except ValidationError:
        return None


def _num(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    n = _num(value)
    return None if n is None else int(n)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _fmt(n: float | None, decimals: int = 0) -> str:
    """A number for a sentence: thousands separators, decimals only when there are any."""
    if n is None:
        return "-"
    if decimals == 0 or float(n).is_integer():
        return f"{n:,.0f}"
    return f"{n:,.{decimals}f}"


def _json_list(raw: Any) -> list[str]:
    if not raw:
        return []
    if isinstance(raw, list):
        return [str(v) for v in raw]
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _tpmap(codes: Iterable[str]) -> list[str]:
    """TPMAP dimension codes as report names, in TPMAP's order."""
    names = {TPMAP_LABELS.get(c, c) for c in codes if c}
    return [d for d in TPMAP_DIMENSIONS if d in names] + sorted(n for n in names if n not in TPMAP_DIMENSIONS)


def _phone(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    try:
        return thai.format_phone(text)
    except ValidationError:
        return text


def _village(no: int | None, name: str) -> str:
    """``หมู่ที่ 3 บ้านโนนสูง`` (a name that says neither บ้าน nor ชุมชน gets บ้าน)."""
    if name and not name.startswith(("บ้าน", "ชุมชน")):
        name = f"บ้าน{name}"
    return f"หมู่ที่ {no} {name}".strip() if no else name


def _short_id(record_id: str) -> str:
    """How a record without a code is named on paper (``fieldapp.ids.short_id``)."""
    return ids.short_id(record_id)


class _Labels:
    """Thai labels for the choice codes of one form."""

    def __init__(self, form: Form) -> None:
        self.form = form

    def field(self, path: str) -> Field | None:
        try:
            return self.form.field_at(path)
        except KeyError:
            return None

    def one(self, path: str, code: Any, row: dict[str, Any] | None = None) -> str:
        """The label of ``code``; "other" gives the text typed beside it."""
        if code is None or code == "":
            return ""
        f = self.field(path)
        if f is None:
            return str(code)
        if f.other and code == f.other and row is not None:
            typed = _text(row.get(f"{f.id}_other"))
            if typed:
                return typed
        return _PROMPT_RE.sub("", f.choice_label(code))

    def many(self, path: str, codes: Any, row: dict[str, Any] | None = None) -> list[str]:
        """Labels of the chosen codes, in the order of the choice list."""
        chosen = _json_list(codes)
        f = self.field(path)
        if f is not None:
            order = {c.code: i for i, c in enumerate(f.choices)}
            chosen.sort(key=lambda c: order.get(c, len(order)))
        return [self.one(path, c, row) for c in chosen]


@dataclass
class _Place:
    subdistrict: str = ""
    district: str = ""
    province: str = ""
    bangkok: bool = False


def _place(code: Any) -> _Place:
    """Names of a subdistrict, district or province code and the areas above it."""
    text = _text(code)
    if not text:
        return _Place()
    try:
        chain = geo.parents(text)
    except FieldAppError:
        return _Place()
    names = {a.level: a.name_th for a in chain}
    bangkok = text.startswith("10")
    district = names.get("district", "")
    if bangkok and district.startswith("เขต"):
        district = district[len("เขต") :]  # the reports write เขต themselves
    return _Place(names.get("subdistrict", ""), district, names.get("province", ""), bangkok)


def _address(doc: dict[str, Any], labels: _Labels) -> Address:
    place = _place(doc.get("subdistrict_code"))
    loc = doc.get("location") or {}
    return Address(
        house_no=_text(doc.get("house_no")),
        village_no=_int(doc.get("village_no")),
        village_name=_text(doc.get("village_name")),
        village_code=_text(doc.get("village_code")),
        soi_road=_text(doc.get("soi_road")),
        subdistrict_code=_text(doc.get("subdistrict_code")),
        subdistrict=place.subdistrict,
        district=place.district,
        province=place.province,
        postal_code=_text(doc.get("postal_code")),
        municipal_area=labels.one("municipal_area", doc.get("municipal_area"), doc),
        latitude=_num(loc.get("lat")) if isinstance(loc, dict) else None,
        longitude=_num(loc.get("lon")) if isinstance(loc, dict) else None,
    )


def _person(row: dict[str, Any], labels: _Labels, repeat: str = "members") -> str:
    """``นางสมศรี ใจดี``: prefix label, first, middle and last name."""
    prefix = labels.one(f"{repeat}.prefix", row.get("prefix"), row) if row.get("prefix") else ""
    given = " ".join(p for p in (_text(row.get("first_name")), _text(row.get("middle_name"))) if p)
    return f"{prefix}{given} {_text(row.get('last_name'))}".strip()


def _household_code(doc: dict[str, Any], record_id: str) -> str:
    return _text(doc.get("household_code")) or _short_id(record_id)


def _class_band(bands: Sequence[tuple[str, float]], code: str | None) -> str:
    for i, (c, lower) in enumerate(bands):
        if c == code:
            upper = bands[i + 1][1] - 0.01 if i + 1 < len(bands) else 4.0
            return f"{lower:.2f}–{upper:.2f}"
    return ""


def _scores(doc: dict[str, Any], labels: _Labels) -> CapitalScores:
    klass = scoring.class_field(labels.form)
    return CapitalScores(
        cap_human=_num(doc.get("cap_human")),
        cap_physical=_num(doc.get("cap_physical")),
        cap_financial=_num(doc.get("cap_financial")),
        cap_natural=_num(doc.get("cap_natural")),
        cap_social=_num(doc.get("cap_social")),
        cap_mean=_num(doc.get("cap_mean")),
        poverty_class=labels.one(klass, doc.get(klass)),
        coverage=_num(doc.get("score_coverage")),
        unassessable=doc.get("score_status") == "unassessable",
        missing=[q for q in str(doc.get("score_missing") or "").split(" / ") if q],
    )


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


# ---------------------------------------------------------------------------- household


def find_household(store: Store, key: str) -> Record:
    """A household by record id, or else by household code (its latest survey round).

    Raises :class:`NotFoundError` (one clear message) when neither matches.
    """
    key = key.strip()
    try:
        return store.get("household", key)
    except NotFoundError:
        pass
    if key:
        row = store.conn.execute(
            "SELECT id FROM household WHERE deleted = 0 AND household_code = ? "
            "ORDER BY surveyed_on DESC, updated_at DESC LIMIT 1",
            [key],
        ).fetchone()
        if row:
            return store.get("household", row[0])
    raise NotFoundError(f"ไม่พบครัวเรือน {key}", f"no household with id or code {key!r}")


def household_report(store: Store, household_id: str, *, meta: ReportMeta | None = None) -> HouseholdReport:
    """The household case report of one household record (by id or household code)."""
    rec = find_household(store, household_id)
    form = store.form("household")
    labels = _Labels(form)
    doc = rec.data
    members_by_id: dict[str, str] = {}
    members: list[Member] = []
    for row in doc.get("members") or []:
        m = _member(row, labels)
        members.append(m)
        if row.get("id"):
            members_by_id[str(row["id"])] = m.full_name
    rubric = form.rubric
    scores = _scores(doc, labels)
    if rubric is not None:
        scores.class_band = _class_band(rubric.class_bands, doc.get(scoring.class_field(form)))
    official = _tpmap(_json_list(doc.get("tpmap_dimensions")))
    notes = [_text(doc.get("notes"))]
    if official:
        notes.append("มิติที่ตกเกณฑ์ตามข้อมูลจากระบบ TPMAP: " + " ".join(official))
    photo = _photo(store, doc.get("photo"))
    return HouseholdReport(
        household_code=_household_code(doc, rec.id),
        address=_address(doc, labels),
        house_registry_code=thai.format_house_code(_text(doc.get("house_registry_code"))),
        phone=_phone(doc.get("phone")),
        informant_name=_text(doc.get("informant")),
        members=members,
        housing=Housing(
            tenure=labels.one("tenure", doc.get("tenure"), doc),
            house_condition=labels.one("house_condition", doc.get("house_condition"), doc),
            drinking_water_ok=doc.get("drinking_water_ok"),
            domestic_water_ok=doc.get("domestic_water_ok"),
            electricity=labels.one("electricity", doc.get("electricity"), doc),
            farmland_owned_rai=_num(doc.get("farmland_owned_rai")),
            farmland_rented_rai=_num(doc.get("farmland_rented_rai")),
        ),
        finances=Finances(
            income_wage=_num(doc.get("income_wage")) or 0.0,
            income_farm=_num(doc.get("income_farm")) or 0.0,
            income_business=_num(doc.get("income_business")) or 0.0,
            income_transfer=_num(doc.get("income_transfer")) or 0.0,
            income_other=_num(doc.get("income_other")) or 0.0,
            expense_total=_num(doc.get("expense_total")),
            debt_total=_num(doc.get("debt_total")),
            debt_sources=labels.many("debt_sources", doc.get("debt_sources"), doc),
            has_savings=doc.get("has_savings"),
            income_threshold=rubric.income_line if rubric is not None else 38_000.0,
        ),
        scores=scores,
        drivers=_drivers(form, doc),
        tpmap_target=doc.get("tpmap_target"),
        tpmap_dimensions=_tpmap(_json_list(doc.get("tpmap_flags"))),
        needs=[Need(line) for line in _lines(doc.get("needs"))],
        assistance=_assistance(store, rec.id, members_by_id),
        employment=_employment(store, rec.id, members_by_id),
        rounds=_rounds(store, rec, labels),
        survey_round=_text(doc.get("survey_round")),
        surveyed_on=_date(doc.get("surveyed_on")),
        surveyor_name=_text(doc.get("surveyor")),
        area_manager_name=_text(doc.get("area_manager")),
        university=_text(doc.get("university")),
        consent_given=doc.get("consent_given"),
        consent_sensitive=bool(doc.get("consent_sensitive")),
        consent_date=_date(doc.get("consent_date")),
        photo=photo,
        photo_caption="ภาพถ่ายบ้าน" if photo else "",
        notes="\n".join(n for n in notes if n),
        meta=meta or default_meta(),
    )


def _lines(value: Any) -> list[str]:
    return [line.strip() for line in _text(value).splitlines() if line.strip()]


def _photo(store: Store, sha256: Any) -> bytes | None:
    """The photo's bytes when the attachment file is on this laptop (JPEG or PNG only)."""
    if not sha256:
        return None
    try:
        data = attachments.read_bytes(store, str(sha256))  # decrypted in memory when stored encrypted
    except (OSError, FieldAppError):
        return None
    if data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG"):
        return data
    return None


def _member(row: dict[str, Any], labels: _Labels) -> Member:
    birth = _date(row.get("birth_date"))
    return Member(
        first_name=_text(row.get("first_name")),
        last_name=_text(row.get("last_name")),
        prefix=labels.one("members.prefix", row.get("prefix"), row),
        middle_name=_text(row.get("middle_name")),
        national_id=_text(row.get("national_id")),
        id_type=labels.one("members.id_type", row.get("id_type"), row),
        sex=labels.one("members.sex", row.get("sex"), row),
        birth_date=birth,
        age=None if birth else _int(row.get("age")),
        relation_to_head=labels.one("members.relation", row.get("relation"), row),
        resident=row.get("resident") is not False,
        marital_status=labels.one("members.marital", row.get("marital"), row),
        education=labels.one("members.education", row.get("education"), row),
        studying=row.get("studying"),
        literate=row.get("literate"),
        occupation=labels.one("members.occupation", row.get("occupation"), row)
        if row.get("occupation") == "other"  # typed in: kept as it is
        else _short(labels.one("members.occupation", row.get("occupation"))),
        income_year=_num(row.get("income_year")),
        health_status=labels.one("members.health_status", row.get("health_status"), row),
        disability_type=labels.one("members.disability_type", row.get("disability_type"), row),
        disability_card=row.get("disability_card"),
        welfare=labels.many("members.welfare", row.get("welfare"), row),
        health_scheme=_short(labels.one("members.health_scheme", row.get("health_scheme"), row)),
        phone=_phone(row.get("phone")),
        skills=_text(row.get("skills")),
        training_need=_text(row.get("training_need")),
    )


def _assistance(store: Store, household_id: str, members: dict[str, str]) -> list[Assistance]:
    """The household's referrals, oldest first."""
    labels = _Labels(store.form("referral"))
    ids = [
        r[0]
        for r in store.conn.execute(
            "SELECT id FROM referral WHERE deleted = 0 AND household_id = ? ORDER BY referred_on, created_at",
            [household_id],
        )
    ]
    businesses = _business_names(store)
    out: list[Assistance] = []
    for rid in ids:
        d = store.get("referral", rid).data
        value = _num(d.get("value_baht"))
        out.append(
            Assistance(
                need=_text(d.get("need")),
                assistance_type=labels.one("assistance_type", d.get("assistance_type"), d),
                capital=_text(d.get("capital")),
                tpmap_dimension=TPMAP_LABELS.get(_text(d.get("tpmap_dimension")), ""),
                stage=labels.one("stage", d.get("stage"), d),
                referred_to=labels.one("referred_to", d.get("referred_to"), d),
                business_name=businesses(d.get("business_id")),
                member_name=members.get(_text(d.get("member_id")), ""),
                referred_by=_text(d.get("referred_by")),
                referred_on=_date(d.get("referred_on")),
                status=labels.one("status", d.get("status"), d),
                value_baht=value or None,  # 0 baht: nothing of money value was given
                in_kind=_text(d.get("in_kind")),
                completed_on=_date(d.get("completed_on")),
                outcome=labels.one("outcome", d.get("outcome"), d),
                follow_up_on=_date(d.get("follow_up_on")),
                notes=_text(d.get("notes")),
            )
        )
    return out


def _business_names(store: Store) -> Callable[[Any], str]:
    cache: dict[str, str] = {}

    def name(business_id: Any) -> str:
        key = _text(business_id)
        if not key:
            return ""
        if key not in cache:
            row = store.conn.execute(
                "SELECT name FROM business WHERE id = ? AND deleted = 0", [key]
            ).fetchone()
            cache[key] = _text(row[0]) if row else ""
        return cache[key]

    return name


def _employment(store: Store, household_id: str, members: dict[str, str]) -> list[Employment]:
    """Members of the household working for (or selling to) a local business."""
    labels = _Labels(store.form("business"))
    cur = store.conn.execute(
        "SELECT e.member_id, e.role, e.start_date, e.end_date, e.income_month, b.name, b.business_type, "
        "b.business_type_other FROM business__employment e JOIN business b ON b.id = e.parent_id "
        "WHERE b.deleted = 0 AND e.household_id = ? ORDER BY b.title_sort, e.position",
        [household_id],
    )
    out: list[Employment] = []
    for member_id, role, start, end, income, name, btype, btype_other in cur:
        out.append(
            Employment(
                business_name=_text(name),
                member_name=members.get(_text(member_id), ""),
                business_type=labels.one("business_type", btype, {"business_type_other": btype_other}),
                role=labels.one("employment.role", role),
                income_month=_num(income),
                start_date=_date(start),
                end_date=_date(end),
            )
        )
    return out


def _round(doc: dict[str, Any], labels: _Labels, members: bool = False) -> SurveyRound:
    surveyed = _date(doc.get("surveyed_on"))
    name = _text(doc.get("survey_round")) or (thaidate.format_date(surveyed, "medium") if surveyed else "-")
    people: dict[str, RoundMember] = {}
    if members:
        for row in doc.get("members") or []:
            name_of = " ".join(_text(row.get(k)) for k in ("first_name", "last_name")).strip()
            people[rounds.person_key(labels.form, row)] = RoundMember(
                name=name_of,
                age=_int(row.get("age")),
                occupation=labels.one("members.occupation", row.get("occupation"), row),
                income_year=_num(row.get("income_year")),
            )
    return SurveyRound(
        survey_round=name,
        surveyed_on=surveyed,
        scores=_scores(doc, labels),
        income_total=_num(doc.get("income_total")),
        income_per_capita=_num(doc.get("income_per_capita")),
        debt_total=_num(doc.get("debt_total")),
        tpmap_dimensions=_tpmap(_json_list(doc.get("tpmap_flags"))),
        members=people,
    )


def _rounds(store: Store, rec: Record, labels: _Labels) -> list[SurveyRound]:
    """The household's survey rounds up to this record, oldest first (this record is the last).

    Rounds are linked by the link each next round stores to the round before
    (``Store.round_chain``), and their members matched by person (a member's row id in the first
    round). Records from before rounds were linked fall back on what the data held then: other
    records with the same household code (the form asked surveyors to reuse the code of an
    earlier survey), and the last synced version of this record when it was a different survey.
    """
    chain = [r.record_id for r in store.round_chain("household", rec.id)]
    if rec.id in chain and chain.index(rec.id) >= 1:  # linked rounds: this one and those before it
        linked = chain[: chain.index(rec.id) + 1][-MAX_ROUNDS:]
        return [
            _round(store.get("household", i).data if i != rec.id else rec.data, labels, True) for i in linked
        ]
    docs: list[dict[str, Any]] = [rec.data]
    code = _text(rec.data.get("household_code"))
    if code:
        others = [
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM household WHERE deleted = 0 AND household_code = ? AND id != ? "
                "ORDER BY surveyed_on DESC LIMIT ?",
                [code, rec.id, MAX_ROUNDS - 1],
            )
        ]
        docs += [store.get("household", i).data for i in others]
    base = rec.base
    if isinstance(base, dict) and base.get("cap_mean") is not None:
        key = (base.get("survey_round"), base.get("surveyed_on"))
        if all(key != (d.get("survey_round"), d.get("surveyed_on")) for d in docs):
            docs.append(base)
    found = [_round(d, labels) for d in docs]
    found.sort(key=lambda r: (r.surveyed_on or _dt.date.min, r.survey_round))
    return found


# ---------------------------------------------------------------------------- drivers


def _drivers(form: Form, doc: dict[str, Any]) -> list[CapitalDriver]:
    """The answers that pulled each capital down: indicators that scored 1 or 2 points of 4.

    Lowest points first, at most :data:`DRIVERS_PER_CAPITAL` per capital. Indicators that read
    health or disability answers are left out unless the household gave explicit consent.
    """
    rubric = form.rubric
    if rubric is None:
        return []
    explained = rubric.explain(doc)
    sensitive = _sensitive_names(form)
    consent = bool(doc.get(form.consent_field or "consent_sensitive"))
    labels = _Labels(form)
    out: list[CapitalDriver] = []
    for cap in explained["capitals"]:
        low = []
        for ind in cap["indicators"]:
            points = ind["points"]
            if points is None or points > DRIVER_MAX_POINTS:
                continue
            if not consent and any(v in sensitive for v in ind["answers"]):
                continue
            low.append(ind)
        low.sort(key=lambda i: i["points"])
        for ind in low[:DRIVERS_PER_CAPITAL]:
            out.append(
                CapitalDriver(
                    capital=cap["id"],
                    question=ind["label"].get("th") or ind["id"],
                    answer=_answer(ind, doc, labels),
                    score=float(ind["points"]),
                )
            )
    return out


def _sensitive_names(form: Form) -> set[str]:
    names = {f.id for f in form.fields.values() if f.sensitive}
    for rep in form.repeats():
        names |= {f"{rep.id}.{c.id}" for c in rep.fields if c.sensitive}
    return names


def _count(values: Any) -> int:
    return sum(1 for v in values or [] if v is True)


def _answer(ind: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    """What the household answered, in words, for one scoring indicator."""
    a: dict[str, Any] = ind["answers"]
    describe = _DESCRIBE.get(ind["id"])
    if describe is not None:
        try:
            text = describe(a, doc, labels)
        except (TypeError, ValueError, KeyError, ZeroDivisionError):
            text = ""
        if text:
            return text
    return _generic_answer(a, labels)


def _generic_answer(answers: dict[str, Any], labels: _Labels) -> str:
    parts: list[str] = []
    for name, value in answers.items():
        f = labels.field(name)
        if f is None:
            continue
        if f.parent is not None:
            if f.value_type == "boolean" and _count(value):
                parts.append(f"{f.label_for()} {_count(value)} คน")
            continue
        if value is None or value == []:
            continue
        t = f.value_type
        if t == "boolean":
            # the question itself, so that the answer cannot be read the wrong way round
            parts.append(f"{f.label_for()}: {'ใช่' if value else 'ไม่ใช่'}")
            continue
        elif t == "select_one":
            text = labels.one(name, value)
        elif f.kind.multiple:
            text = ", ".join(labels.many(name, value))
        elif t == "money":
            text = f"{_fmt(_num(value))} บาท"
        elif t in ("integer", "decimal"):
            text = _fmt(_num(value), 1)
        else:
            text = _text(value)
        parts.append(text if len(answers) == 1 else f"{f.label_for()}: {text}")
    return " · ".join(parts) or "ไม่ได้ตอบ"


def _multi(path: str, unit: str = "") -> Callable[[dict[str, Any], dict[str, Any], _Labels], str]:
    """The chosen items; with ``unit``, counted first (``2 กลุ่ม: …``) unless "none" was chosen."""

    def describe(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
        codes = _json_list(a.get(path))
        shown = ", ".join(labels.many(path, codes, doc))
        if not unit or not codes or "none" in codes:
            return shown
        return f"{len(codes)} {unit}: {shown}"

    return describe


def _d_education(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    best = max(
        (m for m in doc.get("members") or [] if m.get("edu_rank") is not None),
        key=lambda m: m["edu_rank"],
        default=None,
    )
    if best is None:
        return ""
    return "สูงสุดในครัวเรือน: " + labels.one("members.education", best.get("education"))


def _d_schooling(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    n = sum(
        _count(a.get(k))
        for k in ("members.out_of_school", "members.preschool_not_enrolled", "members.not_continuing")
    )
    return f"เด็กและเยาวชนที่ไม่ได้เรียนตามวัย {n} คน" if n else "เด็กทุกคนได้เรียนตามวัย"


def _d_literacy(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    return f"อ่าน เขียน หรือคิดเลขอย่างง่ายไม่ได้ {_count(a.get('members.illiterate_adult'))} คน"


def _d_health(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    n = _count(a.get("members.health_limited"))
    return f"ป่วยเรื้อรัง พิการ หรือติดเตียง {n} จาก {a.get('resident_count')} คน"


def _d_dependency(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    children = _count(a.get("members.child"))
    elderly = _count(a.get("members.elderly"))
    working = _count(a.get("members.working_age"))
    parts = [f"{what} {n} คน" for what, n in (("เด็ก", children), ("ผู้สูงอายุ", elderly)) if n]
    if not working:
        return "ไม่มีสมาชิกวัยแรงงาน" + (f" ({' '.join(parts)})" if parts else "")
    return f"{' และ'.join(parts) or 'ไม่มีเด็กหรือผู้สูงอายุ'} ต่อวัยแรงงาน {working} คน"


def _d_labour(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    n = _count(a.get("members.no_job"))
    return f"ไม่มีงานทำ {n} จากวัยแรงงาน {_count(a.get('members.working_age'))} คน"


def _d_km(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    return f"{_fmt(_num(a.get('health_service_km')), 1)} กิโลเมตร"


def _d_income_pc(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    return f"{_fmt(_num(a.get('income_per_capita')))} บาท/คน/ปี"


def _d_sources(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    keys = ("income_wage", "income_farm", "income_business", "income_transfer", "income_other")
    n = sum(1 for k in keys if (_num(a.get(k)) or 0) > 0)
    return f"{n} แหล่ง" if n else "ไม่มีรายได้"


def _d_income_expense(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    return (
        f"รายได้ {_fmt(_num(a.get('income_total')))} บาท รายจ่าย {_fmt(_num(a.get('expense_total')))} บาท ต่อปี"
    )


def _d_savings(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    if not a.get("has_savings"):
        return "ไม่มีการเก็บออม"
    amount = _num(a.get("savings_amount"))
    return f"มีเงินออม {_fmt(amount)} บาท" if amount else "มีการเก็บออม"


def _d_debt(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    return f"หนี้สิน {_fmt(_num(a.get('debt_total')))} บาท รายได้ทั้งปี {_fmt(_num(a.get('income_total')))} บาท"


def _d_informal(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    return "มีหนี้นอกระบบ" if "informal" in _json_list(a.get("debt_sources")) else "ไม่มีหนี้นอกระบบ"


def _d_farmland(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    total = (_num(a.get("farmland_owned_rai")) or 0) + (_num(a.get("farmland_rented_rai")) or 0)
    return f"{_fmt(round(total, 2), 1)} ไร่" if total else "ไม่มีที่ดินทำกิน"


def _d_land_security(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    owned = _num(a.get("farmland_owned_rai")) or 0
    rented = _num(a.get("farmland_rented_rai")) or 0
    if owned:
        return f"มีที่ดินของตนเอง {_fmt(owned, 1)} ไร่"
    if rented:
        return f"ไม่มีที่ดินของตนเอง เช่าหรือขอใช้ {_fmt(rented, 1)} ไร่"
    return "ไม่มีที่ดินทำกิน"


def _d_care(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
    n = _count(a.get("members.without_care"))
    return f"ผู้ป่วยหรือคนพิการที่ไม่มีผู้ดูแล {n} คน" if n else "ได้รับการดูแลทุกคน"


_YES_NO: dict[str, tuple[str, str]] = {
    "drinking_water": ("เพียงพอ", "ไม่เพียงพอ"),
    "domestic_water": ("เพียงพอ", "ไม่เพียงพอ"),
    "toilet": ("มีส้วมที่ถูกสุขลักษณะ", "ไม่มีส้วมที่ถูกสุขลักษณะ"),
    "farm_water": ("เพียงพอ", "ไม่เพียงพอ"),
    "natural_resources": ("ได้ใช้ประโยชน์", "ไม่ได้ใช้ประโยชน์"),
    "pollution": ("ได้รับผลกระทบจากมลพิษ", "ไม่ได้รับผลกระทบ"),
    "community_activities": ("เข้าร่วม", "ไม่ได้เข้าร่วม"),
    "village_meetings": ("เข้าร่วม", "ไม่ได้เข้าร่วม"),
    "community_role": ("มี", "ไม่มี"),
    "support_network": ("มี", "ไม่มี"),
    "news": ("ได้รับ", "ไม่ได้รับ"),
}
"""Yes/no answers in words, for indicators whose label and question differ in polarity
(the pollution indicator asks "not affected", the form asks "affected")."""


def _yes_no(ind_id: str) -> Callable[[dict[str, Any], dict[str, Any], _Labels], str]:
    yes, no = _YES_NO[ind_id]

    def describe(a: dict[str, Any], doc: dict[str, Any], labels: _Labels) -> str:
        values = [v for v in a.values() if isinstance(v, bool)]
        if len(values) != 1:
            return ""
        return yes if values[0] else no

    return describe


_DESCRIBE: dict[str, Callable[[dict[str, Any], dict[str, Any], _Labels], str]] = {
    **{ind_id: _yes_no(ind_id) for ind_id in _YES_NO},
    "education": _d_education,
    "schooling": _d_schooling,
    "literacy": _d_literacy,
    "health": _d_health,
    "dependency": _d_dependency,
    "labour": _d_labour,
    "assets": _multi("assets", "รายการ"),
    "health_service": _d_km,
    "income_per_capita": _d_income_pc,
    "income_sources": _d_sources,
    "income_vs_expense": _d_income_expense,
    "savings": _d_savings,
    "debt_burden": _d_debt,
    "informal_debt": _d_informal,
    "farmland": _d_farmland,
    "land_security": _d_land_security,
    "disasters": _multi("disaster_exposure"),
    "groups": _multi("group_membership", "กลุ่ม"),
    "care": _d_care,
}
"""Answer wording for the indicators of ``forms/scoring.yaml``; any other indicator is described
from the answers it read (:func:`_generic_answer`)."""


# ---------------------------------------------------------------------------- business


def business_report(store: Store, business_id: str, *, meta: ReportMeta | None = None) -> BusinessReport:
    """The local-business report of one business record."""
    rec = store.get("business", business_id.strip())
    form = store.form("business")
    labels = _Labels(form)
    doc = rec.data
    products = [
        Product(
            name=_text(p.get("name")),
            otop_type=labels.one("products.otop_type", p.get("otop_type"), p),
            unit=_text(p.get("unit")),
            price=_num(p.get("price")),
            standards=[f"OTOP {p['otop_stars']} ดาว"] if _int(p.get("otop_stars")) else [],
        )
        for p in doc.get("products") or []
    ]
    return BusinessReport(
        name=_text(doc.get("name")),
        business_type=labels.one("business_type", doc.get("business_type"), doc),
        juristic=doc.get("juristic"),
        ce_reg_code=_text(doc.get("ce_reg_code")),
        ce_reg_date=_date(doc.get("ce_reg_date")),
        juristic_id=_text(doc.get("juristic_id")),
        sector=labels.one("sector", doc.get("sector"), doc),
        sme_size=labels.one("sme_size", doc.get("sme_size"), doc),
        activity=labels.one("activity", doc.get("activity"), doc),
        address=_address(doc, labels),
        contact_name=_text(doc.get("contact_name")),
        contact_phone=_phone(doc.get("contact_phone")),
        members_count=_int(doc.get("members_count")),
        employees_total=_int(doc.get("employees_total")),
        employees_local=_int(doc.get("employees_local")),
        revenue_year=_num(doc.get("revenue_year")),
        profit_year=_num(doc.get("profit_year")),
        local_material_pct=_num(doc.get("local_material_pct")),
        otop_type=labels.one("otop_type", doc.get("otop_type"), doc),
        otop_stars=_int(doc.get("otop_stars")) or 0,
        otop_year=_int(doc.get("otop_year")),  # typed and stored in the Buddhist era
        standards=labels.many("standards", doc.get("standards"), doc),
        cbt_certified=doc.get("cbt_certified"),
        cbt_year=_int(doc.get("cbt_year")),
        products=products,
        linked_households=_linked(store, rec.id),
        income_distribution=labels.many("income_distribution", doc.get("income_distribution"), doc),
        value_chain_stage=labels.many("value_chain_stage", doc.get("value_chain_stage"), doc),
        markets=labels.many("markets", doc.get("markets"), doc),
        supporters=labels.many("supporters", doc.get("supporters"), doc),
        needs=_lines(doc.get("needs")),
        surveyed_on=_date(rec.updated_at),
        meta=meta or default_meta(),
    )


def _linked(store: Store, business_id: str) -> list[LinkedHousehold]:
    """Members of target households (class อยู่ลำบาก / อยู่ยาก, or on the TPMAP list) who work for
    or sell to the business; members of better-off households are counted in the employee
    figures, not listed."""
    hlabels = _Labels(store.form("household"))
    blabels = _Labels(store.form("business"))
    klass_field = scoring.class_field(hlabels.form)
    cur = store.conn.execute(
        "SELECT e.household_id, e.role, e.start_date, e.end_date, e.income_month, h.household_code, "
        f"h.[{klass_field}], h.tpmap_target, h.village_no, h.village_name, m.prefix, m.prefix_other, "
        "m.first_name, m.middle_name, m.last_name, m.national_id, h.subdistrict_code "
        "FROM business__employment e "
        "JOIN household h ON h.id = e.household_id AND h.deleted = 0 "
        "LEFT JOIN household__members m ON m.id = e.member_id AND m.parent_id = e.household_id "
        "WHERE e.parent_id = ? ORDER BY e.position",
        [business_id],
    )
    found: list[tuple[tuple[str, int, str], LinkedHousehold]] = []
    for row in cur:
        (hid, role, start, end, income, code, klass, target, vno, vname) = row[:10]
        person = dict(
            zip(("prefix", "prefix_other", "first_name", "middle_name", "last_name"), row[10:15], strict=True)
        )
        if klass not in POOR_CLASSES and not target:
            continue
        item = LinkedHousehold(
            household_code=_text(code) or _short_id(hid),
            member_name=_person(person, hlabels) if person["first_name"] else "",
            national_id=_text(row[15]),
            village=_village(_int(vno), _text(vname)),
            role=blabels.one("employment.role", role),
            poverty_class=hlabels.one(klass_field, klass),
            income_month=_num(income),
            start_date=_date(start),
            end_date=_date(end),
        )
        found.append(((_text(row[16]), _int(vno) or 0, item.household_code), item))
    # villages in order, one household's members together
    found.sort(key=lambda pair: pair[0])
    return [item for _, item in found]


# ---------------------------------------------------------------------------- area


@dataclass
class _VillageAcc:
    subdistrict_code: str
    village_no: int | None
    names: dict[str, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    total: int = 0
    poor: int = 0
    complete: int = 0
    cap_sum: float = 0.0
    cap_n: int = 0
    unassessable: int = 0
    not_interviewed: int = 0


@dataclass(order=True)
class _Needy:
    key: tuple[int, float, float, str]
    household_id: str = field(compare=False)
    row: dict[str, Any] = field(compare=False)


@dataclass
class _Area:
    """Where an area report looks: area codes, and a village number for a village report."""

    scope: AreaScope
    codes: list[str]
    village_no: int | None = None

    @property
    def codes_wide(self) -> bool:
        """More than one subdistrict: a village needs its subdistrict to be found."""
        return len(self.codes) > 1 or len(self.codes[0]) < 6

    def where(self, alias: str = "", *, column: str = "subdistrict_code") -> tuple[str, list[Any]]:
        """SQL condition (live records inside the area) on a form table, optionally aliased."""
        p = f"{alias}." if alias else ""
        parts = [f"({p}[{column}] >= ? AND {p}[{column}] < ?)" for _ in self.codes]
        params: list[Any] = []
        for c in self.codes:
            params += [c, c + ":"]
        sql = f"{p}deleted = 0 AND (" + " OR ".join(parts) + ")"
        if self.village_no is not None:
            sql += f" AND {p}village_no = ?"
            params.append(self.village_no)
        return sql, params


def _province_title(p: _Place) -> str:
    return p.province if p.bangkok else f"จังหวัด{p.province}"


def _district_title(p: _Place) -> str:
    return f"{'เขต' if p.bangkok else 'อำเภอ'}{p.district} {_province_title(p)}"


def _sub_title(p: _Place) -> str:
    return f"{'แขวง' if p.bangkok else 'ตำบล'}{p.subdistrict} {_district_title(p)}"


def _level_code(code: Any, level: str, what_th: str, digits: int) -> str:
    text = geo.normalize_code(str(code))
    if len(text) != digits or not text.isdigit():
        raise ValidationError(
            f"รหัส{what_th}ต้องเป็นตัวเลข {digits} หลัก: {code}",
            f"a {level} code has {digits} digits: {code!r}",
            code="area.unknown",
        )
    return geo.check_area_code(text)


def _area(
    subdistricts: Sequence[str] | None,
    district: str | None,
    province: str | None,
    village: tuple[str, int] | None,
) -> _Area:
    given = [x for x in (subdistricts, district, province, village) if x]
    if len(given) != 1:
        raise ValidationError(
            "เลือกพื้นที่อย่างใดอย่างหนึ่ง: ตำบล อำเภอ จังหวัด หรือหมู่บ้าน",
            "give exactly one of subdistricts, district, province or village",
            code="report.bad_scope",
        )
    if village:
        sub, no = village
        code = _level_code(sub, "subdistrict", "ตำบล", 6)
        if not 1 <= int(no) <= 99:
            raise ValidationError(
                "หมู่ที่ต้องเป็น 1–99", "the village number must be 1–99", code="report.bad_scope"
            )
        title = f"หมู่ที่ {int(no)} {_sub_title(_place(code))}"
        return _Area(AreaScope("village", title, [code]), [code], int(no))
    if subdistricts:
        codes = list(dict.fromkeys(_level_code(c, "subdistrict", "ตำบล", 6) for c in subdistricts))
        if len(codes) == 1:
            return _Area(AreaScope("subdistrict", _sub_title(_place(codes[0])), codes), codes)
        places = [_place(c) for c in codes]
        districts = {(p.province, p.district) for p in places}
        provinces = {p.province for p in places}
        parts: list[str] = []
        for p in places:
            name = f"แขวง{p.subdistrict}" if p.bangkok else f"ตำบล{p.subdistrict}"
            if len(provinces) > 1:
                name += f" ({_district_title(p)})"
            elif len(districts) > 1:
                name += f" ({'เขต' if p.bangkok else 'อำเภอ'}{p.district})"
            # no-break spaces: one subdistrict's name and where it is stay on one line
            parts.append(name.replace(" ", "\u00a0"))
        first = places[0]
        where = ""
        if len(districts) == 1:
            where = _district_title(first)
        elif len(provinces) == 1:
            where = _province_title(first)
        unit = "แขวง" if all(p.bangkok for p in places) else "ตำบล"
        title = f"{len(codes)} {unit}ที่เลือก {where}".strip()
        return _Area(AreaScope("set", title, codes, parts), codes)
    if district:
        code = _level_code(district, "district", "อำเภอ", 4)
        return _Area(AreaScope("district", _district_title(_place(code)), [code]), [code])
    code = _level_code(province, "province", "จังหวัด", 2)
    return _Area(AreaScope("province", _province_title(_place(code)), [code]), [code])


class _Completeness:
    """Whether a household's required answers are all there, read from its stored columns.

    Validating every record with ``form.validate`` means loading each document, which a district
    of 100,000 households cannot afford. This proxy gives the same answer for what is missing,
    from the rows the report reads anyway plus two small queries. A household is complete when

    * every required top-level question is answered whenever it applies (its ``required`` and
      ``relevant`` rules are evaluated on the stored answers),
    * it has members, and no member lacks an always-required answer (ID type, prefix, name, sex,
      relation, whether they live there) or, with a Thai ID card, the ID number,
    * and, when it was saved on purpose as a draft, no missing answers are recorded for it
      (``record_status``).

    Constraints (formats, ranges) are not checked: stored records passed them when saved.
    """

    def __init__(self, store: Store, form: Form) -> None:
        self.form = form
        self.checked = [
            f
            for f in form.fields.values()
            if f.stores_value and f.type != "calculated" and f.required is not False
        ]
        context: dict[str, Field] = {f.id: f for f in self.checked}
        for f in self.checked:
            for e in (f.relevant, f.required):
                if isinstance(e, Expression):
                    for name in e.variables:
                        ref = form.fields.get(name.split(".")[0])
                        if ref is not None and ref.stores_value and ref.type != "repeat":
                            context.setdefault(ref.id, ref)
        self.context = list(context.values())
        self.columns = [c for f in self.context for c, _ in f.columns()]
        self.has_status = bool(
            store.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'record_status'"
            ).fetchone()
        )
        rep = form.fields.get("members")
        self.member_required = [
            c.id
            for c in (rep.fields if rep is not None else [])
            if c.required is True and c.relevant is None and c.stores_value and c.type != "calculated"
        ]

    def incomplete_ids(self, store: Store, area: _Area) -> set[str]:
        """Households in the area with a member missing a required answer, or a draft status."""
        where, params = area.where("h")
        checks = [f"m.[{c}] IS NULL" for c in self.member_required]
        checks.append("(m.id_type = 'thai_id' AND m.national_id IS NULL)")
        out = {
            r[0]
            for r in store.conn.execute(
                "SELECT DISTINCT m.parent_id FROM household__members m JOIN household h ON h.id = m.parent_id "
                f"WHERE {where} AND ({' OR '.join(checks)})",
                params,
            )
        }
        if self.has_status:
            out |= {
                r[0]
                for r in store.conn.execute(
                    "SELECT s.record_id FROM record_status s JOIN household h ON h.id = s.record_id "
                    f"WHERE s.form_id = 'household' AND s.missing > 0 AND {where}",
                    params,
                )
            }
        return out

    def complete(self, row: dict[str, Any]) -> bool:
        """The top-level required answers of one household row (:attr:`columns`) are all there."""
        data: dict[str, Any] = {}
        for f in self.context:
            if f.value_type == "geopoint":
                lat = row.get(f"{f.id}_lat")
                data[f.id] = {"lat": lat, "lon": row.get(f"{f.id}_lon")} if lat is not None else None
            elif f.kind.multiple:
                data[f.id] = _json_list(row.get(f.id)) or None
            elif f.value_type == "boolean":
                raw = row.get(f.id)
                data[f.id] = None if raw is None else bool(raw)
            else:
                data[f.id] = row.get(f.id)
        return not any(
            data[f.id] is None and self.form.is_relevant(f, data) and self.form.is_required(f, data)
            for f in self.checked
        )


def area_report(
    store: Store,
    *,
    subdistricts: Sequence[str] | None = None,
    district: str | None = None,
    province: str | None = None,
    village: tuple[str, int] | None = None,
    meta: ReportMeta | None = None,
    needy_limit: int = NEEDY_LIMIT,
    business_limit: int = BUSINESS_LIMIT,
) -> AreaReport:
    """The area case study of one village, subdistrict, district, province or a set of subdistricts.

    Give exactly one of ``subdistricts`` (one code: a subdistrict report; several: a chosen set),
    ``district``, ``province`` or ``village=(subdistrict_code, village_no)``. Unknown codes raise
    :class:`ValidationError`; an area without households raises :class:`ReportDataError`
    (``report.empty_area``). Each household is counted once: of its survey rounds only the latest
    is counted (see ``_earlier_rounds``). Rows are aggregated as they are read, so
    memory stays bounded for a district or a province.
    """
    area = _area(subdistricts, district, province, village)
    form = store.form("household")
    labels = _Labels(form)
    klass_field = scoring.class_field(form)
    where, params = area.where()
    superseded = _earlier_rounds(store, where, params)
    completeness = _Completeness(store, form)
    incomplete = completeness.incomplete_ids(store, area)
    hwhere, hparams = area.where("h")
    members_per: dict[str, int] = dict(
        store.conn.execute(
            "SELECT m.parent_id, count(*) FROM household__members m JOIN household h ON h.id = m.parent_id "
            f"WHERE {hwhere} GROUP BY m.parent_id",
            hparams,
        ).fetchall()
    )
    wanted = [
        "id",
        "household_code",
        "head_name",
        "subdistrict_code",
        "village_no",
        "village_name",
        "village_code",
        klass_field,
        "tpmap_target",
        "tpmap_flags",
        "income_per_capita",
        "needs",
        "surveyed_on",
        "area_manager",
        "university",
        *[f"cap_{k}" for k in CAPITAL_KEYS],
        "cap_mean",
    ]
    scored_extra = [c for c in ("score_status", "score_coverage") if c in form.fields]
    columns = list(dict.fromkeys([*wanted, *scored_extra, *completeness.columns]))
    cur = store.conn.execute(
        f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM household WHERE {where}", params
    )
    total = members_total = surveyed = targets = unassessable = not_interviewed = 0
    coverage_sum, coverage_n = 0.0, 0
    classes: dict[str, int] = {}
    cap_sums = dict.fromkeys(CAPITAL_KEYS, 0.0)
    cap_counts = dict.fromkeys(CAPITAL_KEYS, 0)
    tpmap_counts: dict[str, int] = {}
    villages: dict[tuple[str, int | None, str], _VillageAcc] = {}
    needy: list[_Needy] = []
    managers: set[str] = set()
    universities: set[str] = set()
    for values in cur:
        row = dict(zip(columns, values, strict=True))
        hid = row["id"]
        if hid in superseded:
            continue
        total += 1
        members_total += members_per.get(hid, 0)
        surveyed += 1 if row["surveyed_on"] else 0
        targets += 1 if row["tpmap_target"] else 0
        klass = row[klass_field] or ""
        cannot = row.get("score_status") == "unassessable"
        unassessable += 1 if cannot else 0
        absent = row.get("score_status") == scoring.NOT_INTERVIEWED
        not_interviewed += 1 if absent else 0
        cov = _num(row.get("score_coverage"))
        if cov is not None:
            coverage_sum += cov
            coverage_n += 1
        key = "unassessable" if cannot and not klass else scoring.NOT_INTERVIEWED if absent else klass
        classes[key] = classes.get(key, 0) + 1
        if row["area_manager"] and len(managers) < 2:
            managers.add(_text(row["area_manager"]))
        if row["university"] and len(universities) < 2:
            universities.add(_text(row["university"]))
        for k in CAPITAL_KEYS:
            v = _num(row[f"cap_{k}"])
            if v is not None:
                cap_sums[k] += v
                cap_counts[k] += 1
        for code in _json_list(row["tpmap_flags"]):
            tpmap_counts[code] = tpmap_counts.get(code, 0) + 1
        vno = _int(row["village_no"])
        vname = _text(row["village_name"])
        vkey = (row["subdistrict_code"], vno, "" if vno else vname)
        acc = villages.get(vkey)
        if acc is None:
            acc = villages[vkey] = _VillageAcc(row["subdistrict_code"], vno)
        acc.total += 1
        acc.unassessable += 1 if cannot else 0
        acc.not_interviewed += 1 if absent else 0
        if vname:
            acc.names[vname] = acc.names.get(vname, 0) + 1
        if row["village_code"]:
            acc.codes[row["village_code"]] = acc.codes.get(row["village_code"], 0) + 1
        mean = _num(row["cap_mean"])
        if mean is not None:
            acc.cap_sum += mean
            acc.cap_n += 1
        if hid not in incomplete and members_per.get(hid) and completeness.complete(row):
            acc.complete += 1
        if klass in POOR_CLASSES:
            acc.poor += 1
            if needy_limit > 0:
                ipc = _num(row["income_per_capita"])
                # worst first (class, mean score, income per person, all ascending); the heap keeps
                # the largest keys, so they are negated
                key = (-int(klass), -(mean or 0.0), -(ipc or 0.0), hid)
                item = _Needy(key, hid, {k: row[k] for k in wanted})
                if len(needy) < needy_limit:
                    heapq.heappush(needy, item)
                elif item > needy[0]:
                    heapq.heapreplace(needy, item)

    scope = area.scope
    if total == 0:
        raise ReportDataError(
            f"ไม่มีข้อมูลครัวเรือนใน{scope.title} จึงสร้างรายงานไม่ได้",
            f"no households in {scope.level} {'+'.join(area.codes)}"
            + (f" village {area.village_no}" if area.village_no is not None else "")
            + ": nothing to report",
            path="area",
            code="report.empty_area",
        )
    if area.village_no is not None:
        acc = next(iter(villages.values()))
        if acc.names:
            name = max(acc.names.items(), key=lambda kv: (kv[1], kv[0]))[0]
            scope.title = f"{_village(area.village_no, name)} {_sub_title(_place(area.codes[0]))}"
    avg = {k: round(cap_sums[k] / cap_counts[k], 2) if cap_counts[k] else None for k in CAPITAL_KEYS}
    averages = CapitalScores(avg["human"], avg["physical"], avg["financial"], avg["natural"], avg["social"])
    by_name = {TPMAP_LABELS.get(c, c): n for c, n in tpmap_counts.items()}
    listed_businesses, business_totals = _area_businesses(store, area, business_limit)
    village_coverage, coverage_total = _area_coverage(store, form, area)
    return AreaReport(
        scope=scope,
        households_total=total,
        members_total=members_total,
        households_surveyed=surveyed,
        tpmap_target_households=targets,
        class_counts=_class_counts(form, labels, classes),
        households_unassessable=unassessable,
        households_not_interviewed=not_interviewed,
        mean_coverage=round(coverage_sum / coverage_n, 2) if coverage_n else None,
        capital_averages=averages,
        tpmap_counts={name: by_name[name] for name in _tpmap(tpmap_counts)},
        villages=_village_stats(villages),
        coverage=village_coverage,
        coverage_total=coverage_total,
        businesses=listed_businesses,
        business_totals=business_totals,
        referral_counts=_referral_counts(store, area),
        households_in_need=_needy(store, sorted(needy, reverse=True), labels, wide=area.codes_wide),
        # the households' own Area Manager and university, when the whole area has one
        area_manager_name=managers.pop() if len(managers) == 1 else "",
        university=universities.pop() if len(universities) == 1 else "",
        meta=meta or default_meta(),
    )


def _area_coverage(
    store: Store, form: Form, area: _Area
) -> tuple[list[VillageCoverage], VillageCoverage | None]:
    """The target list's coverage per village (one SQL aggregate, ``fieldapp.coverage``); none
    when the form records no visit outcome."""
    if coverage.OUTCOME not in form.fields:
        return [], None
    found = coverage.area_coverage(store, area=area.codes, village_no=area.village_no, form_id=form.id)
    names: dict[str, str] = {}

    def one(c: coverage.Coverage, label: str) -> VillageCoverage:
        if c.subdistrict_code and c.subdistrict_code not in names:
            names[c.subdistrict_code] = _place(c.subdistrict_code).subdistrict
        return VillageCoverage(
            village=label,
            subdistrict=names.get(c.subdistrict_code, ""),
            listed=c.listed,
            visited=c.visited,
            interviewed=c.interviewed,
            refused=c.refused,
            not_at_home=c.not_at_home,
            gone=c.moved + c.not_found + c.deceased,
        )

    villages = [
        one(c, _village(c.village_no, c.village_name) if c.village_no is not None else c.village_name)
        for c in found.villages
    ]
    return villages, one(found.total, "รวม")


def _earlier_rounds(store: Store, where: str, params: list[Any]) -> set[str]:
    """Ids of households superseded by a later survey round: one that links to them (a round
    and its next round are in the same subdistrict), or, for records from before rounds were
    linked, a later survey with the same household code."""
    superseded: set[str] = {
        str(r[0])
        for r in store.conn.execute(
            f"SELECT previous_round_id FROM household WHERE {where} AND previous_round_id IS NOT NULL", params
        )
    }
    latest: dict[str, tuple[str, str, str]] = {}
    for rid, code, surveyed, updated in store.conn.execute(
        "SELECT id, household_code, surveyed_on, updated_at FROM household "
        f"WHERE {where} AND household_code IS NOT NULL AND household_code != ''",
        params,
    ):
        key = (surveyed or "", updated or "", rid)
        prev = latest.get(code)
        if prev is None:
            latest[code] = key
        elif key > prev:
            superseded.add(prev[2])
            latest[code] = key
        else:
            superseded.add(rid)
    return superseded


def _class_counts(form: Form, labels: _Labels, classes: dict[str, int]) -> dict[str, int]:
    """Households by class label, worst first, every class listed (a class with no household
    shows 0); households not yet scored come last."""
    out: dict[str, int] = {}
    klass_field = scoring.class_field(form)
    known = [c.code for c in form.field_at(klass_field).choices]
    for code in known:
        out[labels.one(klass_field, code)] = classes.get(code, 0)
    for code, n in classes.items():
        if code not in known and n:
            if code == "unassessable":
                label = UNASSESSABLE
            elif code == scoring.NOT_INTERVIEWED:
                label = NOT_INTERVIEWED
            else:
                label = labels.one(klass_field, code) if code else UNSCORED
            out[label] = out.get(label, 0) + n
    return out


def _village_stats(villages: dict[tuple[str, int | None, str], _VillageAcc]) -> list[VillageStat]:
    out: list[VillageStat] = []
    sub_names: dict[str, str] = {}
    for acc in villages.values():
        name = max(acc.names.items(), key=lambda kv: (kv[1], kv[0]))[0] if acc.names else ""
        if acc.codes:
            code = max(acc.codes.items(), key=lambda kv: kv[1])[0]
        elif acc.village_no:
            code = f"{acc.subdistrict_code}{acc.village_no:02d}"  # DOPA: subdistrict code + moo
        else:
            code = ""
        if acc.subdistrict_code not in sub_names:
            sub_names[acc.subdistrict_code] = _place(acc.subdistrict_code).subdistrict
        out.append(
            VillageStat(
                village_name=name,
                village_no=acc.village_no,
                village_code=code,
                subdistrict=sub_names[acc.subdistrict_code],
                households_total=acc.total,
                poor_households=acc.poor,
                households_complete=acc.complete,
                households_unassessable=acc.unassessable,
                households_not_interviewed=acc.not_interviewed,
                cap_mean=round(acc.cap_sum / acc.cap_n, 2) if acc.cap_n else None,
            )
        )
    out.sort(key=lambda v: (v.village_code, v.subdistrict, v.village_no or 0, v.village_name))
    return out


def _area_businesses(
    store: Store, area: _Area, limit: int = BUSINESS_LIMIT
) -> tuple[list[AreaBusiness], AreaBusinessTotals | None]:
    """The businesses located in the area that employ the most poor households (distinct), at most
    ``limit`` of them, and — when there are more — counts over all of them. Rows are read one at a
    time and only the first ``limit`` are kept, so a province's thousands never sit in memory."""
    labels = _Labels(store.form("business"))
    klass_field = scoring.class_field(store.form("household"))
    where, params = area.where("b")
    poor = _placeholders(len(POOR_CLASSES))
    cur = store.conn.execute(
        "SELECT b.title_sort, b.name, b.business_type, b.business_type_other, b.village_no, b.village_name, "
        "b.employees_total, b.employees_local, b.otop_stars, "
        "(SELECT count(DISTINCT e.household_id) FROM business__employment e "
        " JOIN household h ON h.id = e.household_id AND h.deleted = 0 "
        f" WHERE e.parent_id = b.id AND h.[{klass_field}] IN ({poor})) "
        f"FROM business b WHERE {where}",
        [*POOR_CLASSES, *params],
    )
    totals = AreaBusinessTotals()
    kept: list[tuple[tuple[int, tuple[int, ...]], int, tuple[Any, ...]]] = []  # the best, worst on top
    for seq, row in enumerate(cur):
        n = int(row[-1] or 0)
        totals.businesses += 1
        totals.employees_total += _int(row[6]) or 0
        totals.employees_local += _int(row[7]) or 0
        totals.poor_households_employed += n
        # most poor households employed first, then by name; the heap's top is the one to drop
        key = (n, _neg_text(_text(row[0])))
        if len(kept) < limit:
            heapq.heappush(kept, (key, -seq, row))
        elif key > kept[0][0]:
            heapq.heapreplace(kept, (key, -seq, row))
    kept.sort(reverse=True)
    listed = [
        AreaBusiness(
            name=_text(name),
            business_type=labels.one("business_type", btype, {"business_type_other": other}),
            village=_village(_int(vno), _text(vname)),
            employees_total=_int(total),
            employees_local=_int(local),
            poor_households_employed=int(n or 0),
            otop_stars=_int(stars) or 0,
        )
        for _key, _seq, (_sort, name, btype, other, vno, vname, total, local, stars, n) in kept
    ]
    return listed, (totals if totals.businesses > len(listed) else None)


def _neg_text(text: str) -> tuple[int, ...]:
    """A key that orders texts backwards (so a max-heap on it keeps the alphabetically first)."""
    return (*(-ord(c) for c in text), 0)


def _referral_counts(store: Store, area: _Area) -> dict[str, int]:
    """Referrals in the area by status label, in the order of the status list."""
    labels = _Labels(store.form("referral"))
    if area.village_no is None:
        where, params = area.where()
        sql = f"SELECT status, count(*) FROM referral WHERE {where} GROUP BY status"
    else:
        # a referral knows its subdistrict only; its village is its household's
        where, params = area.where("h")
        sql = (
            "SELECT r.status, count(*) FROM referral r JOIN household h ON h.id = r.household_id "
            f"WHERE r.deleted = 0 AND {where} GROUP BY r.status"
        )
    counts = {status: n for status, n in store.conn.execute(sql, params)}
    f = labels.field("status")
    order = [c.code for c in f.choices] if f is not None else []
    out: dict[str, int] = {}
    for code in [*order, *[c for c in counts if c not in order]]:
        if counts.get(code):
            label = labels.one("status", code) or "ไม่ระบุสถานะ"
            out[label] = out.get(label, 0) + counts[code]
    return out


def _needy(store: Store, items: list[_Needy], labels: _Labels, *, wide: bool) -> list[NeedyHousehold]:
    """The households most in need, worst first, with their open referrals."""
    klass_field = scoring.class_field(labels.form)
    if not items:
        return []
    ids = [i.household_id for i in items]
    open_counts: dict[str, int] = {}
    latest_need: dict[str, str] = {}
    for hid, status, need in store.conn.execute(
        "SELECT household_id, status, need FROM referral WHERE deleted = 0 "
        f"AND household_id IN ({_placeholders(len(ids))}) ORDER BY referred_on",
        ids,
    ):
        if status in OPEN_REFERRAL:
            open_counts[hid] = open_counts.get(hid, 0) + 1
            latest_need[hid] = _text(need)
    heads: dict[str, str] = {}
    for hid, *person in store.conn.execute(
        "SELECT parent_id, prefix, prefix_other, first_name, middle_name, last_name FROM household__members "
        f"WHERE relation = 'head' AND parent_id IN ({_placeholders(len(ids))})",
        ids,
    ):
        keys = ("prefix", "prefix_other", "first_name", "middle_name", "last_name")
        heads[hid] = _person(dict(zip(keys, person, strict=True)), labels)
    out: list[NeedyHousehold] = []
    for item in items:
        row = item.row
        needs = _lines(row["needs"])
        village = _village(_int(row["village_no"]), _text(row["village_name"]))
        if wide:
            place = _place(row["subdistrict_code"])
            village += f" {'แขวง' if place.bangkok else 'ต.'}{place.subdistrict}" if place.subdistrict else ""
        ipc = _num(row["income_per_capita"])
        out.append(
            NeedyHousehold(
                household_code=_household_code(row, item.household_id),
                head_name=heads.get(item.household_id) or _text(row["head_name"]),
                village=village.strip(),
                poverty_class=labels.one(klass_field, row[klass_field]),
                cap_mean=_num(row["cap_mean"]),
                income_per_capita=None if ipc is None else float(round(ipc)),
                tpmap_dimensions=_tpmap(_json_list(row["tpmap_flags"])),
                main_need=needs[0] if needs else latest_need.get(item.household_id, ""),
                open_referrals=open_counts.get(item.household_id, 0),
            )
        )
    return out


def record_report_of(store: Store, form_id: str, record_id: str, *, meta: ReportMeta | None = None) -> RecordReport:
    """The record report of any form's record (``fieldapp.reports.record``), references named."""
    from fieldapp.reports.record import record_report

    rec = store.get(form_id, record_id.strip())

    def refer(f: Field, value: str) -> str:
        target, _, rep = (f.ref or "").partition(".")
        try:
            other = store.get(target, value) if not rep else None
        except (FieldAppError, KeyError):
            other = None
        form = store.form(target) if other is not None else None
        if form is not None and other is not None and form.title_field:
            return str(other.data.get(form.title_field) or ids.short_id(value))
        return ids.short_id(value)

    return record_report(
        store.form(form_id),
        rec.data,
        record_id=rec.id,
        updated_at=rec.updated_at,
        surveyor=rec.created_by,
        meta=meta,
        refer=refer,
    )
