"""Rules across records, applied by ``Store.save`` and by the server to the same effect.

A referral names a household and, optionally, one of its members; a business's employment rows
name a household and a member. The rules:

- the member must belong to the household named beside it (a hard error);
- a referral's subdistrict must be its household's (a hard error: the area decides who may see it);
- a referral marked "helped" must say how the household fared (its outcome), even when saved
  unfinished;
- a member employed by a business who is under 15 on the day the work started (or today) is a
  soft warning (``child_employment``): it may be right (family help, a supplier's child), so it
  is shown and needs a reason, never refused.
- a household's next survey round (``fieldapp.rounds``) links to the record of the round before:
  that record must be a household of the same subdistrict (once it is deleted or erased the link
  stays, with nothing left to compare), not the record itself, and no other live household may
  already be its next round (``check_round``).

The household is read through a ``lookup`` the caller supplies (the laptop reads its tables, the
server its stored documents), so neither side depends on the other's storage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldapp.errors import Problem

CHILD_WORK_AGE = 15
"""Under this age, employment is a soft warning (the Labour Protection Act's minimum age)."""


@dataclass
class HouseholdFacts:
    """What the rules need of a household."""

    subdistrict_code: str | None
    members: dict[str, int | None] = field(default_factory=dict)
    """member row id -> age in completed years on the survey date (None when unknown)."""
    names: dict[str, str] = field(default_factory=dict)


Lookup = Callable[[str], HouseholdFacts | None]
Successors = Callable[[str, str], list[str]]
"""(previous round's id, this record's id) -> the other live records that follow that round"""


def facts_from_doc(doc: dict[str, Any] | None) -> HouseholdFacts | None:
    """The facts of a stored household document (the server's copy)."""
    if not doc:
        return None
    members: dict[str, int | None] = {}
    names: dict[str, str] = {}
    for row in doc.get("members") or []:
        rid = row.get("id")
        if not rid:
            continue
        age = row.get("age")
        members[str(rid)] = age if isinstance(age, int) and not isinstance(age, bool) else None
        names[str(rid)] = " ".join(str(row.get(k) or "") for k in ("first_name", "last_name")).strip()
    return HouseholdFacts(doc.get("subdistrict_code"), members, names)


def check(form_id: str, doc: dict[str, Any], lookup: Lookup) -> tuple[list[Problem], list[Problem]]:
    """(errors, soft warnings) for one record. A household the lookup cannot find is not checked
    here (the reference check reports a missing record)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    if form_id == "referral":
        if doc.get("status") == "helped" and not doc.get("outcome"):
            # kept even for records saved unfinished: "helped" must say how the household fared
            errors.append(
                Problem(
                    "outcome",
                    "สถานะ “ช่วยเหลือแล้ว” ต้องระบุผลลัพธ์ต่อครัวเรือน",
                    "status 'helped' needs an outcome",
                    "cross_record.outcome",
                )
            )
        hid = doc.get("household_id")
        facts = lookup(str(hid)) if hid else None
        if facts is not None:
            mid = doc.get("member_id")
            if mid and str(mid) not in facts.members:
                errors.append(_not_member("member_id"))
            sub = doc.get("subdistrict_code")
            if sub and facts.subdistrict_code and sub != facts.subdistrict_code:
                errors.append(
                    Problem(
                        "subdistrict_code",
                        "ตำบลของรายการส่งต่อต้องตรงกับตำบลของครัวเรือน"
                        f" (ครัวเรือนอยู่ในตำบลรหัส {facts.subdistrict_code})",
                        f"the referral's subdistrict {sub} is not its household's ({facts.subdistrict_code})",
                        "cross_record.subdistrict",
                    )
                )
    elif form_id == "business":
        for i, row in enumerate(doc.get("employment") or []):
            hid, mid = row.get("household_id"), row.get("member_id")
            facts = lookup(str(hid)) if hid else None
            if facts is None or not mid:
                continue
            path = f"employment[{i + 1}].member_id"
            if str(mid) not in facts.members:
                errors.append(_not_member(path))
                continue
            age = facts.members[str(mid)]
            if age is not None and age < CHILD_WORK_AGE and row.get("role") != "supplier":
                name = facts.names.get(str(mid)) or "สมาชิก"
                warnings.append(
                    Problem(
                        path,
                        f"{name} อายุ {age} ปี ต่ำกว่า {CHILD_WORK_AGE} ปี: การจ้างงานเด็กต้องมีเหตุผล",
                        f"the member is {age}, under {CHILD_WORK_AGE}: employing a child needs a reason",
                        "child_employment",
                    )
                )
    return errors, warnings


def _not_member(path: str) -> Problem:
    return Problem(
        path,
        "สมาชิกที่เลือกไม่ได้อยู่ในครัวเรือนที่ระบุ",
        "the member does not belong to the household named beside it",
        "cross_record.member",
    )


def check_round(
    record_id: str | None, doc: dict[str, Any], previous_field: str, lookup: Lookup, successors: Successors
) -> list[Problem]:
    """Errors of a household's link to its previous round (none when it has no link)."""
    pid = doc.get(previous_field)
    if not pid:
        return []
    pid = str(pid)
    if record_id is not None and pid == str(record_id):
        return [
            _round_problem(
                previous_field,
                "รอบก่อนหน้าต้องเป็นระเบียนอื่น ไม่ใช่ระเบียนนี้เอง",
                "a record cannot be its own previous round",
                "cross_record.round_self",
            )
        ]
    facts = lookup(pid)
    if facts is None:
        return [
            _round_problem(
                previous_field,
                "ไม่พบการสำรวจรอบก่อนหน้าของครัวเรือนนี้ (อาจยังไม่ได้ซิงก์ขึ้นเซิร์ฟเวอร์)",
                "the previous round is not a household here (not synced yet?)",
                "cross_record.round_missing",
            )
        ]
    sub = doc.get("subdistrict_code")
    if sub and facts.subdistrict_code and sub != facts.subdistrict_code:
        return [
            _round_problem(
                "subdistrict_code",
                f"รอบถัดไปต้องอยู่ในตำบลเดียวกับรอบก่อนหน้า (รอบก่อนหน้าอยู่ในตำบลรหัส {facts.subdistrict_code})"
                " ถ้าครัวเรือนย้ายไปตำบลอื่น ให้บันทึกเป็นครัวเรือนใหม่",
                f"the next round's subdistrict {sub} is not its previous round's ({facts.subdistrict_code})",
                "cross_record.round_area",
            )
        ]
    others = [o for o in successors(pid, str(record_id or "")) if o != record_id]
    if others:
        return [
            _round_problem(
                previous_field,
                "การสำรวจรอบก่อนหน้านี้มีรอบถัดไปแล้ว (อาจเริ่มจากเครื่องอื่น) กรุณาเปิดรอบที่มีอยู่แล้วแทน หรือลบรอบที่ซ้ำ",
                f"the previous round already has a next round ({others[0]})",
                "cross_record.round_taken",
            )
        ]
    return []


def _round_problem(path: str, th: str, en: str, code: str) -> Problem:
    return Problem(path, th, en, code)
