"""Build report data from the local store.

The renderers take plain dataclasses (:mod:`fieldapp.reports.data`); the functions here read
the store and fill them in:

* :func:`household_report` — one household record, its referrals, the businesses that employ its
  members, and its earlier survey rounds;
* :func:`business_report` — one business record and the target households linked to it;
* :func:`area_report` — a village, subdistrict, district, province or a chosen set of
  subdistricts, aggregated with read-only SQL over the typed form tables;
* :func:`record_report_of` — any other form's record;
* :func:`visits_report` — the visits due in an area this coming week.

The parts: this module (household, business, any record); ``build_area`` (the area report);
``build_drivers`` (the answers that pulled a capital down); ``build_common`` (answers turned into
report text: labels, places, dates, numbers, names, scores; the shared limits and labels).

Codes become the Thai labels people read (``Field.choice_label``), stored ISO dates become
:class:`datetime.date`, area codes become names (:mod:`fieldapp.geo`). Nothing is invented: a
value the record does not hold stays empty and the report prints a dash or "ไม่มีข้อมูล".
No Qt here.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any

from fieldapp import attachments, ids, rounds, scoring, thai, thaidate, visits
from fieldapp.errors import FieldAppError, NotFoundError
from fieldapp.forms import Field
from fieldapp.reports.build_area import area_report
from fieldapp.reports.build_common import (
    DRIVERS_PER_CAPITAL,
    MAX_ROUNDS,
    NEEDY_LIMIT,
    POOR_CLASSES,
    TPMAP_LABELS,
    UNASSESSABLE,
    Labels,
    address_of,
    as_date,
    as_int,
    as_number,
    as_text,
    capital_scores,
    class_band_of,
    code_of_household,
    default_meta,
    json_list,
    lines_of,
    person_name,
    phone_text,
    short_label,
    short_record_id,
    tpmap_labels,
    village_label,
)
from fieldapp.reports.build_drivers import capital_drivers
from fieldapp.reports.data import (
    Assistance,
    BusinessReport,
    Employment,
    Finances,
    HouseholdReport,
    Housing,
    LinkedHousehold,
    Member,
    Need,
    Product,
    ReportMeta,
    RoundMember,
    SurveyRound,
)
from fieldapp.reports.record import RecordReport
from fieldapp.reports.visits import VisitsReport, area_name
from fieldapp.store import Record, Store

__all__ = [  # the builders, and the limits and labels callers read
    "DRIVERS_PER_CAPITAL",
    "NEEDY_LIMIT",
    "POOR_CLASSES",
    "TPMAP_LABELS",
    "UNASSESSABLE",
    "area_report",
    "business_report",
    "default_meta",
    "find_household",
    "household_report",
    "record_report_of",
    "visits_report",
]

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
    labels = Labels(form)
    doc = rec.data
    members_by_id: dict[str, str] = {}
    members: list[Member] = []
    for row in doc.get("members") or []:
        m = _member(row, labels)
        members.append(m)
        if row.get("id"):
            members_by_id[str(row["id"])] = m.full_name
    rubric = form.rubric
    scores = capital_scores(doc, labels)
    if rubric is not None:
        scores.class_band = class_band_of(rubric.class_bands, doc.get(scoring.class_field(form)))
    official = tpmap_labels(json_list(doc.get("tpmap_dimensions")))
    notes = [as_text(doc.get("notes"))]
    if official:
        notes.append("มิติที่ตกเกณฑ์ตามข้อมูลจากระบบ TPMAP: " + " ".join(official))
    photo = _photo(store, doc.get("photo"))
    return HouseholdReport(
        household_code=code_of_household(doc, rec.id),
        address=address_of(doc, labels),
        house_registry_code=thai.format_house_code(as_text(doc.get("house_registry_code"))),
        phone=phone_text(doc.get("phone")),
        informant_name=as_text(doc.get("informant")),
        members=members,
        housing=Housing(
            tenure=labels.one("tenure", doc.get("tenure"), doc),
            house_condition=labels.one("house_condition", doc.get("house_condition"), doc),
            drinking_water_ok=doc.get("drinking_water_ok"),
            domestic_water_ok=doc.get("domestic_water_ok"),
            electricity=labels.one("electricity", doc.get("electricity"), doc),
            farmland_owned_rai=as_number(doc.get("farmland_owned_rai")),
            farmland_rented_rai=as_number(doc.get("farmland_rented_rai")),
        ),
        finances=Finances(
            income_wage=as_number(doc.get("income_wage")) or 0.0,
            income_farm=as_number(doc.get("income_farm")) or 0.0,
            income_business=as_number(doc.get("income_business")) or 0.0,
            income_transfer=as_number(doc.get("income_transfer")) or 0.0,
            income_other=as_number(doc.get("income_other")) or 0.0,
            expense_total=as_number(doc.get("expense_total")),
            debt_total=as_number(doc.get("debt_total")),
            debt_sources=labels.many("debt_sources", doc.get("debt_sources"), doc),
            has_savings=doc.get("has_savings"),
            income_threshold=rubric.income_line if rubric is not None else 38_000.0,
        ),
        scores=scores,
        drivers=capital_drivers(form, doc),
        tpmap_target=doc.get("tpmap_target"),
        tpmap_dimensions=tpmap_labels(json_list(doc.get("tpmap_flags"))),
        needs=[Need(line) for line in lines_of(doc.get("needs"))],
        assistance=_assistance(store, rec.id, members_by_id),
        employment=_employment(store, rec.id, members_by_id),
        rounds=_rounds(store, rec, labels),
        survey_round=as_text(doc.get("survey_round")),
        surveyed_on=as_date(doc.get("surveyed_on")),
        surveyor_name=as_text(doc.get("surveyor")),
        area_manager_name=as_text(doc.get("area_manager")),
        university=as_text(doc.get("university")),
        consent_given=doc.get("consent_given"),
        consent_sensitive=bool(doc.get("consent_sensitive")),
        consent_date=as_date(doc.get("consent_date")),
        photo=photo,
        photo_caption="ภาพถ่ายบ้าน" if photo else "",
        notes="\n".join(n for n in notes if n),
        meta=meta or default_meta(),
    )


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


def _member(row: dict[str, Any], labels: Labels) -> Member:
    birth = as_date(row.get("birth_date"))
    return Member(
        first_name=as_text(row.get("first_name")),
        last_name=as_text(row.get("last_name")),
        prefix=labels.one("members.prefix", row.get("prefix"), row),
        middle_name=as_text(row.get("middle_name")),
        national_id=as_text(row.get("national_id")),
        id_type=labels.one("members.id_type", row.get("id_type"), row),
        sex=labels.one("members.sex", row.get("sex"), row),
        birth_date=birth,
        age=None if birth else as_int(row.get("age")),
        relation_to_head=labels.one("members.relation", row.get("relation"), row),
        resident=row.get("resident") is not False,
        marital_status=labels.one("members.marital", row.get("marital"), row),
        education=labels.one("members.education", row.get("education"), row),
        studying=row.get("studying"),
        literate=row.get("literate"),
        occupation=labels.one("members.occupation", row.get("occupation"), row)
        if row.get("occupation") == "other"  # typed in: kept as it is
        else short_label(labels.one("members.occupation", row.get("occupation"))),
        income_year=as_number(row.get("income_year")),
        health_status=labels.one("members.health_status", row.get("health_status"), row),
        disability_type=labels.one("members.disability_type", row.get("disability_type"), row),
        disability_card=row.get("disability_card"),
        welfare=labels.many("members.welfare", row.get("welfare"), row),
        health_scheme=short_label(labels.one("members.health_scheme", row.get("health_scheme"), row)),
        phone=phone_text(row.get("phone")),
        skills=as_text(row.get("skills")),
        training_need=as_text(row.get("training_need")),
    )


def _assistance(store: Store, household_id: str, members: dict[str, str]) -> list[Assistance]:
    """The household's referrals, oldest first."""
    labels = Labels(store.form("referral"))
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
        value = as_number(d.get("value_baht"))
        out.append(
            Assistance(
                need=as_text(d.get("need")),
                assistance_type=labels.one("assistance_type", d.get("assistance_type"), d),
                capital=as_text(d.get("capital")),
                tpmap_dimension=TPMAP_LABELS.get(as_text(d.get("tpmap_dimension")), ""),
                stage=labels.one("stage", d.get("stage"), d),
                referred_to=labels.one("referred_to", d.get("referred_to"), d),
                business_name=businesses(d.get("business_id")),
                member_name=members.get(as_text(d.get("member_id")), ""),
                referred_by=as_text(d.get("referred_by")),
                referred_on=as_date(d.get("referred_on")),
                status=labels.one("status", d.get("status"), d),
                value_baht=value or None,  # 0 baht: nothing of money value was given
                in_kind=as_text(d.get("in_kind")),
                completed_on=as_date(d.get("completed_on")),
                outcome=labels.one("outcome", d.get("outcome"), d),
                follow_up_on=as_date(d.get("follow_up_on")),
                notes=as_text(d.get("notes")),
            )
        )
    return out


def _business_names(store: Store) -> Callable[[Any], str]:
    cache: dict[str, str] = {}

    def name(business_id: Any) -> str:
        key = as_text(business_id)
        if not key:
            return ""
        if key not in cache:
            row = store.conn.execute(
                "SELECT name FROM business WHERE id = ? AND deleted = 0", [key]
            ).fetchone()
            cache[key] = as_text(row[0]) if row else ""
        return cache[key]

    return name


def _employment(store: Store, household_id: str, members: dict[str, str]) -> list[Employment]:
    """Members of the household working for (or selling to) a local business."""
    labels = Labels(store.form("business"))
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
                business_name=as_text(name),
                member_name=members.get(as_text(member_id), ""),
                business_type=labels.one("business_type", btype, {"business_type_other": btype_other}),
                role=labels.one("employment.role", role),
                income_month=as_number(income),
                start_date=as_date(start),
                end_date=as_date(end),
            )
        )
    return out


def _round(doc: dict[str, Any], labels: Labels, members: bool = False) -> SurveyRound:
    surveyed = as_date(doc.get("surveyed_on"))
    name = as_text(doc.get("survey_round")) or (thaidate.format_date(surveyed, "medium") if surveyed else "-")
    people: dict[str, RoundMember] = {}
    if members:
        for row in doc.get("members") or []:
            name_of = " ".join(as_text(row.get(k)) for k in ("first_name", "last_name")).strip()
            people[rounds.person_key(labels.form, row)] = RoundMember(
                name=name_of,
                age=as_int(row.get("age")),
                occupation=labels.one("members.occupation", row.get("occupation"), row),
                income_year=as_number(row.get("income_year")),
            )
    return SurveyRound(
        survey_round=name,
        surveyed_on=surveyed,
        scores=capital_scores(doc, labels),
        income_total=as_number(doc.get("income_total")),
        income_per_capita=as_number(doc.get("income_per_capita")),
        debt_total=as_number(doc.get("debt_total")),
        tpmap_dimensions=tpmap_labels(json_list(doc.get("tpmap_flags"))),
        members=people,
    )


def _rounds(store: Store, rec: Record, labels: Labels) -> list[SurveyRound]:
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
    code = as_text(rec.data.get("household_code"))
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


# ---------------------------------------------------------------------------- business


def business_report(store: Store, business_id: str, *, meta: ReportMeta | None = None) -> BusinessReport:
    """The local-business report of one business record."""
    rec = store.get("business", business_id.strip())
    form = store.form("business")
    labels = Labels(form)
    doc = rec.data
    products = [
        Product(
            name=as_text(p.get("name")),
            otop_type=labels.one("products.otop_type", p.get("otop_type"), p),
            unit=as_text(p.get("unit")),
            price=as_number(p.get("price")),
            standards=[f"OTOP {p['otop_stars']} ดาว"] if as_int(p.get("otop_stars")) else [],
        )
        for p in doc.get("products") or []
    ]
    return BusinessReport(
        name=as_text(doc.get("name")),
        business_type=labels.one("business_type", doc.get("business_type"), doc),
        juristic=doc.get("juristic"),
        ce_reg_code=as_text(doc.get("ce_reg_code")),
        ce_reg_date=as_date(doc.get("ce_reg_date")),
        juristic_id=as_text(doc.get("juristic_id")),
        sector=labels.one("sector", doc.get("sector"), doc),
        sme_size=labels.one("sme_size", doc.get("sme_size"), doc),
        activity=labels.one("activity", doc.get("activity"), doc),
        address=address_of(doc, labels),
        contact_name=as_text(doc.get("contact_name")),
        contact_phone=phone_text(doc.get("contact_phone")),
        members_count=as_int(doc.get("members_count")),
        employees_total=as_int(doc.get("employees_total")),
        employees_local=as_int(doc.get("employees_local")),
        revenue_year=as_number(doc.get("revenue_year")),
        profit_year=as_number(doc.get("profit_year")),
        local_material_pct=as_number(doc.get("local_material_pct")),
        otop_type=labels.one("otop_type", doc.get("otop_type"), doc),
        otop_stars=as_int(doc.get("otop_stars")) or 0,
        otop_year=as_int(doc.get("otop_year")),  # typed and stored in the Buddhist era
        standards=labels.many("standards", doc.get("standards"), doc),
        cbt_certified=doc.get("cbt_certified"),
        cbt_year=as_int(doc.get("cbt_year")),
        products=products,
        linked_households=_linked(store, rec.id),
        income_distribution=labels.many("income_distribution", doc.get("income_distribution"), doc),
        value_chain_stage=labels.many("value_chain_stage", doc.get("value_chain_stage"), doc),
        markets=labels.many("markets", doc.get("markets"), doc),
        supporters=labels.many("supporters", doc.get("supporters"), doc),
        needs=lines_of(doc.get("needs")),
        surveyed_on=as_date(rec.updated_at),
        meta=meta or default_meta(),
    )


def _linked(store: Store, business_id: str) -> list[LinkedHousehold]:
    """Members of target households (class อยู่ลำบาก / อยู่ยาก, or on the TPMAP list) who work for
    or sell to the business; members of better-off households are counted in the employee
    figures, not listed."""
    hlabels = Labels(store.form("household"))
    blabels = Labels(store.form("business"))
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
            household_code=as_text(code) or short_record_id(hid),
            member_name=person_name(person, hlabels) if person["first_name"] else "",
            national_id=as_text(row[15]),
            village=village_label(as_int(vno), as_text(vname)),
            role=blabels.one("employment.role", role),
            poverty_class=hlabels.one(klass_field, klass),
            income_month=as_number(income),
            start_date=as_date(start),
            end_date=as_date(end),
        )
        found.append(((as_text(row[16]), as_int(vno) or 0, item.household_code), item))
    # villages in order, one household's members together
    found.sort(key=lambda pair: pair[0])
    return [item for _, item in found]


def visits_report(
    store: Store,
    *,
    area: str | None = None,
    village: int | None = None,
    today: _dt.date | None = None,
    meta: ReportMeta | None = None,
) -> VisitsReport:
    """The visits due in ``area`` (all areas when None; with ``village``, that village of the
    subdistrict ``area``) counted from ``today``."""
    day = today or thaidate.today()
    groups = visits.visits_due(store, area=area, today=day)
    if village is not None:
        groups = [g for g in groups if g.village_no == village]
    name = area_name(area)
    if village is not None:
        name = f"หมู่ {village} {name}"
    return VisitsReport(
        area_code=area or "",
        area_name=name,
        today=day,
        until=day + _dt.timedelta(days=visits.WEEK),
        villages=groups,
        meta=meta or ReportMeta(),
    )



def record_report_of(
    store: Store, form_id: str, record_id: str, *, meta: ReportMeta | None = None
) -> RecordReport:
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
