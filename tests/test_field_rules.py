"""Rules on single answers and across records that the laptop and the server both apply: signed
money, codes typed as printed, impossible dates, referrals that do not fit their household."""

from __future__ import annotations

import copy
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app

from fieldapp.errors import ValidationError
from fieldapp.sync import protocol as P
from server import auth

PASSWORD = "correct horse"


class Server:
    def __init__(self, tmp_path: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        self.settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
        self.app = shared_app(self.settings)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", ["3201"], PASSWORD)
        r = self.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}

    def push(self, form: str, doc: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
        rid = rid or str(uuid.uuid4())
        cid = P.change_id_for("dev", form, rid, None, doc, False)
        change = P.Change(cid, form, rid, None, doc, False).to_json()
        r = self.client.post(
            P.Paths.PUSH, json={"device_id": "dev", "changes": [change]}, headers=self.headers
        )
        assert r.status_code == 200, r.text
        return dict(r.json()["results"][0])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.client.close()
    s.app.state.engine.dispose()


def _problems(exc: ValidationError) -> dict[str, str]:
    return {p.path: p.message_en for p in exc.problems}


# ---------------------------------------------------------------------- money that can be a loss


def test_net_farm_income_and_business_profit_may_be_losses_but_wages_may_not(store, household, server):
    household["income_farm"] = -12000
    household["income_business"] = -3000
    rec = store.save("household", household).record
    assert rec.data["income_farm"] == -12000 and rec.data["income_total"] == 36000 - 15000
    assert (
        server.push("household", {**copy.deepcopy(household), "subdistrict_code": "320101"})["status"]
        == "applied"
    )
    household["income_wage"] = -1
    with pytest.raises(ValidationError) as err:
        store.save("household", household)
    assert "income_wage" in _problems(err.value)
    assert server.push("household", household)["status"] == "rejected"


def test_a_loss_prints_as_khat_thun(store, household):
    from fieldapp.reports import build
    from fieldapp.reports.household import HouseholdReportRenderer

    household["income_farm"] = -12000
    rec = store.save("household", household).record
    report = build.household_report(store, rec.id)
    assert report.finances.income_farm == -12000
    pdf = HouseholdReportRenderer(report)
    assert pdf.money(-12000) == "ขาดทุน 12,000"
    assert pdf.money(0) == "0" and pdf.money(5000.5) == "5,000.50"


def test_only_money_fields_may_be_signed(tmp_path):
    from fieldapp import forms, resources

    for f in resources.forms_dir().glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "household.yaml":
            text = text.replace(
                "        max_length: 40\n", "        max_length: 40\n        signed: true\n", 1
            )
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    problems = forms.check_files([tmp_path / "household.yaml"])
    assert problems and "signed" in " ".join(problems)


# ---------------------------------------------------------------------- across records


def _referral(hid: str, mid: str | None, **extra: Any) -> dict[str, Any]:
    doc = {
        "household_id": hid,
        "member_id": mid,
        "subdistrict_code": "320101",
        "need": "ซ่อมบ้าน",
        "assistance_type": "housing",
        "referred_on": "2025-06-02",
        "status": "referred",
    }
    doc.update(extra)
    return doc


def _child_member(age: int) -> dict[str, Any]:
    return {
        "id_type": "none",
        "prefix": "boy",
        "first_name": "ต้น",
        "last_name": "ใจดี",
        "sex": "1",
        "birth_date": f"{2025 - age}-01-01",
        "relation": "child",
        "resident": True,
    }


def _two_households(store, server, household):
    """Two households saved on the laptop and pushed to the server with the same ids."""
    a = store.save("household", household).record
    other = copy.deepcopy(household)
    other["house_no"] = "77"
    other["members"][0]["national_id"] = None
    other["members"][0]["id_type"] = "none"
    other["members"][1]["national_id"] = None
    other["members"][1]["id_type"] = "none"
    b = store.save("household", other).record
    for rec in (a, b):
        doc = {k: v for k, v in rec.data.items() if k not in ("id",)}
        assert server.push("household", doc, rid=rec.id)["status"] == "applied"
    return a, b


def test_a_referral_for_a_member_of_another_household_is_refused(store, household, server):
    a, b = _two_households(store, server, household)
    wrong = _referral(a.id, b.data["members"][0]["id"])
    with pytest.raises(ValidationError) as err:
        store.save("referral", wrong)
    assert _problems(err.value).keys() == {"member_id"}
    assert {p.code for p in err.value.problems} == {"cross_record.member"}
    res = server.push("referral", wrong)
    assert res["status"] == "rejected" and res["problems"][0]["path"] == "member_id"
    right = _referral(a.id, a.data["members"][0]["id"])
    store.save("referral", right)
    assert server.push("referral", right)["status"] == "applied"


def test_a_referral_in_another_subdistrict_than_its_household_is_refused(store, household, server):
    a, _ = _two_households(store, server, household)
    wrong = _referral(a.id, None, subdistrict_code="320102")
    with pytest.raises(ValidationError) as err:
        store.save("referral", wrong)
    assert "subdistrict_code" in _problems(err.value)
    res = server.push("referral", wrong)
    assert res["status"] == "rejected" and res["problems"][0]["path"] == "subdistrict_code"


def test_helped_needs_an_outcome(store, household, server):
    a, _ = _two_households(store, server, household)
    helped = _referral(a.id, None, status="helped", completed_on="2025-06-10")
    with pytest.raises(ValidationError) as err:
        store.save("referral", helped)
    assert "outcome" in _problems(err.value)
    assert server.push("referral", helped)["status"] == "rejected"
    helped["outcome"] = "better"
    store.save("referral", helped)
    assert server.push("referral", helped)["status"] == "applied"


def test_employing_a_child_is_a_soft_warning_and_another_households_member_an_error(store, household):
    household["members"].append({**_child_member(9), "studying": False})
    hh = store.save("household", household).record
    child = hh.data["members"][-1]["id"]
    doc = {
        "name": "กลุ่มทอผ้า",
        "business_type": "community_enterprise",
        "subdistrict_code": "320101",
        "members_count": 12,
        "employment": [{"household_id": hh.id, "member_id": child, "role": "daily"}],
    }
    res = store.save("business", doc)
    assert [w.id for w in res.soft_warnings] == ["child_employment"]
    assert res.soft_warnings[0].path == "employment[1].member_id"
    assert "9" in res.soft_warnings[0].message
    # an adult: no warning
    doc["employment"][0]["member_id"] = hh.data["members"][0]["id"]
    assert store.save("business", doc, record_id=res.record.id).soft_warnings == []


# ---------------------------------------------------------------------- soft warnings


def test_plausible_ranges_are_soft_warnings_kept_with_their_reason_and_synced(store, household, server):
    from sqlalchemy import select

    from fieldapp import softwarn
    from server import db

    household["farmland_owned_rai"] = 650
    res = store.save("household", household)  # never refused
    [w] = res.soft_warnings
    assert (w.id, w.path, w.reason) == ("farmland_over_500_rai", "farmland_owned_rai", None)
    assert "500" in w.message
    raw = softwarn.with_reason(household, res.soft_warnings, "ที่ดินมรดกร่วมของเครือญาติ")
    rec = store.save("household", raw, record_id=res.record.id).record
    [w] = store.soft_warnings("household", rec.data)
    assert w.reason == "ที่ดินมรดกร่วมของเครือญาติ"
    # the reason travels with the record: the server keeps it as part of the document
    doc = {k: v for k, v in rec.data.items() if k != "id"}
    assert server.push("household", doc, rid=rec.id)["status"] == "applied"
    with server.app.state.engine.connect() as conn:
        stored = conn.execute(select(db.records.c.doc).where(db.records.c.id == rec.id)).scalar_one()
    assert "ที่ดินมรดกร่วมของเครือญาติ" in stored
    # the answer corrected: the warning and its reason go
    household["farmland_owned_rai"] = 6.5
    again = softwarn.keep_reasons(household, store.soft_warnings("household", household))
    assert again["warning_reasons"] is None


def test_a_member_row_warning_follows_the_row_not_its_position(store, household):
    household["members"][1]["birth_date"] = "1910-01-01"
    res = store.save("household", household)
    [w] = res.soft_warnings
    assert w.id == "age_over_110" and w.path == "members[2].birth_date"
    doc = softwarn_reason(res.record.data, res.soft_warnings)
    doc["members"].reverse()
    rec = store.save("household", doc, record_id=res.record.id).record
    [w2] = store.soft_warnings("household", rec.data)
    assert w2.path == "members[1].birth_date" and w2.reason == "ตรวจบัตรประชาชนแล้ว"


def softwarn_reason(doc: dict[str, Any], warnings: list[Any]) -> dict[str, Any]:
    from fieldapp import softwarn

    return softwarn.with_reason(copy.deepcopy(doc), warnings, "ตรวจบัตรประชาชนแล้ว")


def test_a_form_warning_needs_id_field_when_and_message(tmp_path):
    from fieldapp import forms, resources

    for f in resources.forms_dir().glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "household.yaml":
            text = text.replace("    field: farmland_owned_rai\n", "    field: no_such_field\n", 1)
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    problems = forms.check_files([tmp_path / "household.yaml"])
    assert problems and "no_such_field" in " ".join(problems)


# ---------------------------------------------------------------------- age and impossible dates


def test_age_in_years_or_birth_year_in_be_stands_in_for_a_missing_birth_date(store, household, server):
    household["members"][0]["birth_date"] = None
    household["members"][0]["age_years"] = 55
    household["members"][1]["birth_date"] = None
    household["members"][1]["birth_year_be"] = 2515
    rec = store.save("household", household).record
    assert [m["age"] for m in rec.data["members"]] == [55, 53]
    # age-based indicators work again: both are of working age, the labour indicator is scored
    assert rec.data["score_status"] == "assessed"
    assert (
        server.push("household", {**copy.deepcopy(household), "subdistrict_code": "320101"})["status"]
        == "applied"
    )


def test_questions_are_asked_by_age(store, household):
    form = store.form("household")
    baby = {**_child_member(1), "studying": True, "occupation": "student", "income_year": 0}
    teen = _child_member(12)
    household["members"] += [baby, teen]
    doc, problems = form.validate(copy.deepcopy(household))
    b = doc["members"][2]
    assert (
        b["studying"] is None and b["occupation"] is None and b["income_year"] is None
    )  # not asked of infants
    # a 12-year-old must say whether he is in school (the schooling indicator needs it)
    assert "members[4].studying" in {p.path for p in problems}
    household["members"][3]["studying"] = True
    household["members"][0]["occupation"] = None  # 15+: the occupation is needed (จปฐ. 20–21)
    _, problems = form.validate(copy.deepcopy(household))
    assert {p.path for p in problems} == {"members[1].occupation"}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["members"][0].update(birth_date="1900-01-01"), "members[1].birth_date"),
        (lambda d: d["members"][0].update(birth_date=None, birth_year_be=2400), "members[1].birth_year_be"),
        (lambda d: d["members"][0].update(birth_date=None, age_years=130), "members[1].age_years"),
        (lambda d: d.update(consent_date="2025-06-20"), "consent_date"),  # after the survey (1 June)
    ],
    ids=["born 1900", "born 2400 BE", "age 130", "consent after survey"],
)
def test_impossible_dates_are_refused_here_and_on_the_server(store, household, server, change, path):
    change(household)
    with pytest.raises(ValidationError) as err:
        store.save("household", household)
    assert path in _problems(err.value)
    res = server.push("household", {**household, "subdistrict_code": "320101"})
    assert res["status"] == "rejected" and path in {p["path"] for p in res["problems"]}


# ---------------------------------------------------------------------- codes typed as printed


@pytest.mark.parametrize("typed", ["3201-012345-6", "3201 012345 6", "๓๒๐๑-๐๑๒๓๔๕-๖", "32010123456"])
def test_a_house_registration_code_is_kept_as_11_digits_however_it_is_typed(store, household, typed):
    household["house_registry_code"] = typed
    rec = store.save("household", household).record
    assert rec.data["house_registry_code"] == "32010123456"
    from fieldapp import thai
    from fieldapp.reports import build

    assert thai.format_house_code(rec.data["house_registry_code"]) == "3201-012345-6"
    assert build.household_report(store, rec.id).house_registry_code == "3201-012345-6"


def test_a_village_code_must_be_the_subdistrict_and_moo(store, household, server):
    household["village_code"] = "32010104"  # subdistrict 320101, moo 4
    store.save("household", household)
    for wrong in ("32010204", "32010105"):
        household["village_code"] = wrong
        with pytest.raises(ValidationError) as err:
            store.save("household", household)
        assert "village_code" in _problems(err.value)
        assert server.push("household", {**household})["status"] == "rejected"


def test_thai_id_card_numbers_do_not_start_with_0_6_or_7(store, household):
    from fieldapp.thai import national_id_check_digit

    for first in "067":
        body = first + "100501234" + "56"
        household["members"][1]["national_id"] = body + str(national_id_check_digit(body))
        household["members"][1]["id_type"] = "thai_id"
        with pytest.raises(ValidationError) as err:
            store.save("household", household)
        assert "members[2].national_id" in _problems(err.value)
        household["members"][1]["id_type"] = "no_status"
        store.save("household", household)


def _business(**extra: Any) -> dict[str, Any]:
    doc = {"name": "บริษัท ผ้าไหมสุรินทร์ จำกัด", "business_type": "sme_juristic", "subdistrict_code": "320101"}
    doc.update(extra)
    return doc


def test_a_juristic_person_number_starts_with_0_and_has_a_check_digit(store, server):
    from fieldapp.thai import national_id_check_digit

    body = "010555601234"
    good = body + str(national_id_check_digit(body))
    rec = store.save(
        "business",
        _business(juristic=True, juristic_id=f"{good[0]}-{good[1:5]}-{good[5:10]}-{good[10:12]}-{good[12]}"),
    ).record
    assert rec.data["juristic_id"] == good
    bad_digit = body + str((national_id_check_digit(body) + 1) % 10)
    not_zero = "1" + good[1:]
    for wrong in (bad_digit, not_zero):
        with pytest.raises(ValidationError) as err:
            store.save("business", _business(juristic=True, juristic_id=wrong))
        assert "juristic_id" in _problems(err.value)
        assert server.push("business", _business(juristic=True, juristic_id=wrong))["status"] == "rejected"


# ---------------------------------------------------------------------- visits due


def test_visits_due_lists_open_follow_ups_per_village_overdue_first(store, household, capsys, tmp_path):
    import datetime as dt
    import json

    from fieldapp import cli, visits

    hh = store.save("household", household).record
    base = {
        "household_id": hh.id,
        "subdistrict_code": "320101",
        "need": "ซ่อมบ้าน",
        "assistance_type": "housing",
        "referred_on": "2025-06-02",
    }
    store.save("referral", {**base, "status": "in_progress", "follow_up_on": "2025-06-20"})  # overdue
    store.save("referral", {**base, "need": "ฝึกอาชีพ", "status": "referred", "follow_up_on": "2025-07-03"})
    store.save("referral", {**base, "status": "referred", "follow_up_on": "2025-08-01"})  # later
    store.save(
        "referral",
        {
            **base,
            "status": "helped",
            "outcome": "better",
            "completed_on": "2025-06-25",
            "follow_up_on": "2025-06-28",
        },
    )  # closed
    [village] = visits.visits_due(store, today=dt.date(2025, 7, 1))
    assert (village.village_no, village.village_name) == (4, "บ้านหนองบัว")
    assert [(v.due.isoformat(), v.overdue) for v in village.visits] == [
        ("2025-06-20", True),
        ("2025-07-03", False),
    ]
    assert village.overdue == 1
    assert visits.visits_due(store, area="33", today=dt.date(2025, 7, 1)) == []
    path = store.path
    store.close()
    assert cli.main(["--db", str(path), "visits", "--on", "2025-07-01"]) == 0
    out = capsys.readouterr().out
    assert "เกินกำหนด" in out and "ฝึกอาชีพ" in out and "หมู่ 4 บ้านหนองบัว" in out
    assert cli.main(["--db", str(path), "visits", "--on", "2025-07-01", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [v["overdue"] for v in data[0]["visits"]] == [True, False]
