"""Why a capital scored low: the answers that pulled it down, told in words a leader reads
(``capital_drivers``, used by the household report of ``fieldapp.reports.build``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fieldapp.forms import Form
from fieldapp.reports.build_common import (
    DRIVER_MAX_POINTS,
    DRIVERS_PER_CAPITAL,
    Labels,
    as_number,
    as_text,
    fmt_number,
    json_list,
)
from fieldapp.reports.data import (
    CapitalDriver,
)

# ---------------------------------------------------------------------------- drivers


def capital_drivers(form: Form, doc: dict[str, Any]) -> list[CapitalDriver]:
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
    labels = Labels(form)
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


def _answer(ind: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
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


def _generic_answer(answers: dict[str, Any], labels: Labels) -> str:
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
            text = f"{fmt_number(as_number(value))} บาท"
        elif t in ("integer", "decimal"):
            text = fmt_number(as_number(value), 1)
        else:
            text = as_text(value)
        parts.append(text if len(answers) == 1 else f"{f.label_for()}: {text}")
    return " · ".join(parts) or "ไม่ได้ตอบ"


def _multi(path: str, unit: str = "") -> Callable[[dict[str, Any], dict[str, Any], Labels], str]:
    """The chosen items; with ``unit``, counted first (``2 กลุ่ม: …``) unless "none" was chosen."""

    def describe(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
        codes = json_list(a.get(path))
        shown = ", ".join(labels.many(path, codes, doc))
        if not unit or not codes or "none" in codes:
            return shown
        return f"{len(codes)} {unit}: {shown}"

    return describe


def _d_education(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    best = max(
        (m for m in doc.get("members") or [] if m.get("edu_rank") is not None),
        key=lambda m: m["edu_rank"],
        default=None,
    )
    if best is None:
        return ""
    return "สูงสุดในครัวเรือน: " + labels.one("members.education", best.get("education"))


def _d_schooling(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    n = sum(
        _count(a.get(k))
        for k in ("members.out_of_school", "members.preschool_not_enrolled", "members.not_continuing")
    )
    return f"เด็กและเยาวชนที่ไม่ได้เรียนตามวัย {n} คน" if n else "เด็กทุกคนได้เรียนตามวัย"


def _d_literacy(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    return f"อ่าน เขียน หรือคิดเลขอย่างง่ายไม่ได้ {_count(a.get('members.illiterate_adult'))} คน"


def _d_health(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    n = _count(a.get("members.health_limited"))
    return f"ป่วยเรื้อรัง พิการ หรือติดเตียง {n} จาก {a.get('resident_count')} คน"


def _d_dependency(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    children = _count(a.get("members.child"))
    elderly = _count(a.get("members.elderly"))
    working = _count(a.get("members.working_age"))
    parts = [f"{what} {n} คน" for what, n in (("เด็ก", children), ("ผู้สูงอายุ", elderly)) if n]
    if not working:
        return "ไม่มีสมาชิกวัยแรงงาน" + (f" ({' '.join(parts)})" if parts else "")
    return f"{' และ'.join(parts) or 'ไม่มีเด็กหรือผู้สูงอายุ'} ต่อวัยแรงงาน {working} คน"


def _d_labour(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    n = _count(a.get("members.no_job"))
    return f"ไม่มีงานทำ {n} จากวัยแรงงาน {_count(a.get('members.working_age'))} คน"


def _d_km(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    return f"{fmt_number(as_number(a.get('health_service_km')), 1)} กิโลเมตร"


def _d_income_pc(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    return f"{fmt_number(as_number(a.get('income_per_capita')))} บาท/คน/ปี"


def _d_sources(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    keys = ("income_wage", "income_farm", "income_business", "income_transfer", "income_other")
    n = sum(1 for k in keys if (as_number(a.get(k)) or 0) > 0)
    return f"{n} แหล่ง" if n else "ไม่มีรายได้"


def _d_income_expense(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    return f"รายได้ {fmt_number(as_number(a.get('income_total')))} บาท รายจ่าย {fmt_number(as_number(a.get('expense_total')))} บาท ต่อปี"


def _d_savings(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    if not a.get("has_savings"):
        return "ไม่มีการเก็บออม"
    amount = as_number(a.get("savings_amount"))
    return f"มีเงินออม {fmt_number(amount)} บาท" if amount else "มีการเก็บออม"


def _d_debt(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    return f"หนี้สิน {fmt_number(as_number(a.get('debt_total')))} บาท รายได้ทั้งปี {fmt_number(as_number(a.get('income_total')))} บาท"


def _d_informal(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    return "มีหนี้นอกระบบ" if "informal" in json_list(a.get("debt_sources")) else "ไม่มีหนี้นอกระบบ"


def _d_farmland(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    total = (as_number(a.get("farmland_owned_rai")) or 0) + (as_number(a.get("farmland_rented_rai")) or 0)
    return f"{fmt_number(round(total, 2), 1)} ไร่" if total else "ไม่มีที่ดินทำกิน"


def _d_land_security(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
    owned = as_number(a.get("farmland_owned_rai")) or 0
    rented = as_number(a.get("farmland_rented_rai")) or 0
    if owned:
        return f"มีที่ดินของตนเอง {fmt_number(owned, 1)} ไร่"
    if rented:
        return f"ไม่มีที่ดินของตนเอง เช่าหรือขอใช้ {fmt_number(rented, 1)} ไร่"
    return "ไม่มีที่ดินทำกิน"


def _d_care(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
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


def _yes_no(ind_id: str) -> Callable[[dict[str, Any], dict[str, Any], Labels], str]:
    yes, no = _YES_NO[ind_id]

    def describe(a: dict[str, Any], doc: dict[str, Any], labels: Labels) -> str:
        values = [v for v in a.values() if isinstance(v, bool)]
        if len(values) != 1:
            return ""
        return yes if values[0] else no

    return describe


_DESCRIBE: dict[str, Callable[[dict[str, Any], dict[str, Any], Labels], str]] = {
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
