"""A catalogue of bad input: each case gets a clear Thai message and nothing is written."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from fieldapp.errors import ValidationError
from fieldapp.store import Store

Doc = dict[str, Any]


def member(doc: Doc, i: int = 0) -> Doc:
    return doc["members"][i]


def setter(path: str, value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        target = doc
        parts = path.split(".")
        for p in parts[:-1]:
            target = target["members"][int(p[1:])] if p.startswith("m") and p[1:].isdigit() else target[p]
        target[parts[-1]] = value

    return apply


# (case id, change, expected problem path, expected code, a distinctive part of the Thai message)
CASES: list[tuple[str, Callable[[Doc], None], str, str, str]] = [
    (
        "wrong check digit",
        setter("m0.national_id", "1103702488993"),
        "members[1].national_id",
        "national_id.checksum",
        "เลขตรวจสอบ",
    ),
    (
        "12-digit id",
        setter("m0.national_id", "110370248899"),
        "members[1].national_id",
        "national_id.length",
        "12 หลัก",
    ),
    (
        "14-digit id",
        setter("m0.national_id", "11037024889921"),
        "members[1].national_id",
        "national_id.length",
        "14 หลัก",
    ),
    (
        "letters in id",
        setter("m0.national_id", "11037O2488992"),
        "members[1].national_id",
        "national_id.chars",
        "ตัวเลข",
    ),
    ("NUL in a name", setter("m0.first_name", "สม\x00ชาย"), "members[1].first_name", "", "ควบคุม"),
    ("bidi override", setter("m0.last_name", "ใจ\u202edี"), "members[1].last_name", "", "ทิศทาง"),
    ("orphan tone mark", setter("m0.first_name", "\u0e48สมชาย"), "members[1].first_name", "", "วรรณยุกต์"),
    ("orphan vowel after space", setter("village_name", "บ้าน \u0e34หนอง"), "village_name", "", "สระ"),
    ("1 MB string", setter("village_name", "ก" * 1_000_000), "village_name", "", "ยาว"),
    ("negative income", setter("income_wage", -500), "income_wage", "range", "ติดลบ"),
    ("NaN income", setter("income_farm", float("nan")), "income_farm", "type", "ตัวเลข"),
    ("Infinity income", setter("income_farm", "Infinity"), "income_farm", "type", "ตัวเลข"),
    ("text in a number", setter("village_no", "สี่"), "village_no", "type", "จำนวนเต็ม"),
    ("fraction in an integer", setter("village_no", 4.5), "village_no", "type", "จำนวนเต็ม"),
    ("village number out of range", setter("village_no", 150), "village_no", "range", "ไม่มากกว่า 99"),
    ("future birth date", setter("m0.birth_date", "2090-01-01"), "members[1].birth_date", "constraint", ""),
    ("impossible date", setter("surveyed_on", "31/02/2566"), "surveyed_on", "date.invalid", "วันที่"),
    ("garbage date", setter("surveyed_on", "เมื่อวาน"), "surveyed_on", "date.invalid", "วันที่"),
    ("future survey date", setter("surveyed_on", "2090-01-01"), "surveyed_on", "constraint", ""),
    ("unknown choice code", setter("tenure", "castle"), "tenure", "choice", "ตัวเลือก"),
    (
        "unknown multi-choice code",
        setter("debt_sources", ["baac", "loan_shark"]),
        "debt_sources",
        "choice",
        "ตัวเลือก",
    ),
    (
        "unknown subdistrict",
        setter("subdistrict_code", "999999"),
        "subdistrict_code",
        "area.unknown",
        "ไม่พบรหัสพื้นที่",
    ),
    (
        "5-digit subdistrict",
        setter("subdistrict_code", "32010"),
        "subdistrict_code",
        "subdistrict.format",
        "6 หลัก",
    ),
    (
        "GPS outside Thailand",
        setter("location", {"lat": 51.5, "lon": -0.12}),
        "location",
        "geopoint",
        "นอกประเทศไทย",
    ),
    ("bad phone", setter("phone", "12345"), "phone", "", "โทรศัพท์"),
    (
        "postal code of another subdistrict",
        setter("postal_code", "10200"),
        "postal_code",
        "constraint",
        "ตำบลที่เลือก",
    ),
    ("missing required answer", setter("house_no", None), "house_no", "required", "กรุณากรอก"),
    ("required blank string", setter("house_no", "   "), "house_no", "required", "กรุณากรอก"),
    ("unknown field", setter("salary", 100), "salary", "unknown_field", "ไม่รู้จักข้อคำถาม"),
    ("members not a list", setter("members", "สมชาย"), "members", "type", "รายการ"),
    ("no head of household", setter("m0.relation", "child"), "members", "constraint", "หัวหน้า"),
    ("two heads", setter("m1.relation", "head"), "members", "constraint", "หัวหน้า"),
    ("boolean given a word", setter("has_savings", "บางที"), "has_savings", "type", "ใช่ หรือ ไม่ใช่"),
    ("bad row id", setter("m0.id", "not-a-uuid"), "members[1].id", "type", "รหัสแถว"),
    ("photo not a hash", setter("photo", "../../etc/passwd"), "photo", "photo", "รูปภาพ"),
    ("money as a list", setter("debt_total", [1, 2]), "debt_total", "type", "ตัวเลข"),
    ("huge number", setter("debt_total", 10**20), "debt_total", "range", "มากเกินไป"),
    ("select as a dict", setter("tenure", {"code": "own"}), "tenure", "choice", "ตัวเลือก"),
]


@pytest.mark.parametrize(("case", "change", "path", "code", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_household_input_is_refused_and_nothing_is_written(
    store, household, case, change, path, code, message
):
    doc = copy.deepcopy(household)
    change(doc)
    tables = ("household", "household__members", "search_doc", "search_fts", "audit_log")
    before = [store.conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables]
    with pytest.raises(ValidationError) as info:
        store.save("household", doc)
    problems = info.value.problems
    hit = [p for p in problems if p.path == path]
    assert hit, f"{case}: expected a problem at {path}, got {[(p.path, p.code) for p in problems]}"
    if code:
        assert hit[0].code == code, (case, hit[0])
    assert message in hit[0].message, (case, hit[0].message)
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in hit[0].message), "message must be Thai"
    after = [store.conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables]
    assert after == before


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 30


def test_sql_injection_text_is_stored_literally(store, household):
    text = "Robert'); DROP TABLE household;--"
    household["village_name"] = text
    rid = store.save("household", household).record.id
    assert store.get("household", rid).data["village_name"] == text
    assert store.db["household"].exists()
    assert [r["id"] for r in store.list("household", search="DROP TABLE")] == [rid]


def test_bad_record_id_is_refused(store, household):
    with pytest.raises(ValidationError) as info:
        store.save("household", household, record_id="1; DELETE FROM household")
    assert info.value.problems[0].path == "id"
    assert store.count("household") == 0


def test_unknown_form_is_a_clear_error(store):
    from fieldapp.errors import NotFoundError

    with pytest.raises(NotFoundError) as info:
        store.save("hospital", {})
    assert "ไม่มีแบบฟอร์ม" in info.value.message


def test_a_business_with_a_dangling_employment_link_is_refused(store: Store):
    doc = {
        "name": "วิสาหกิจชุมชนทอผ้าบ้านหนองบัว",
        "business_type": "community_enterprise",
        "subdistrict_code": "320101",
        "members_count": 12,
        "employment": [
            {
                "household_id": "00000000-0000-4000-8000-000000000001",
                "member_id": "00000000-0000-4000-8000-000000000002",
                "role": "daily",
            }
        ],
    }
    with pytest.raises(ValidationError) as info:
        store.save("business", doc)
    assert {p.code for p in info.value.problems} == {"reference"}
    assert store.count("business") == 0


def test_community_enterprise_needs_seven_members(store: Store):
    doc = {
        "name": "กลุ่มทดลอง",
        "business_type": "community_enterprise",
        "subdistrict_code": "320101",
        "members_count": 3,
    }
    with pytest.raises(ValidationError) as info:
        store.save("business", doc)
    assert info.value.problems[0].path == "members_count"
    assert "7" in info.value.problems[0].message


def test_errors_survive_pickling_across_worker_processes():
    import pickle

    from fieldapp.errors import FormDefinitionError, Problem, SyncError, SyncErrorKind

    errors = [
        ValidationError.from_problems([Problem("a", "ผิด", "wrong", "x"), Problem("b", "ผิด", "wrong")]),
        FormDefinitionError("household.yaml", "members.age", "bad"),
        SyncError(SyncErrorKind.NETWORK, "เครือข่ายขัดข้อง", "network down"),
    ]
    for err in errors:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.message == err.message and back.message_en == err.message_en
    assert pickle.loads(pickle.dumps(errors[0])).problems[1].path == "b"
