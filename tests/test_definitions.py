"""The questionnaire's definitions against TPMAP and จปฐ.: which indicators feed which TPMAP
dimension, the welfare flags kept apart, self-care in ข้อ 20–21, own-use food in ข้อ 22."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fieldapp import forms


@pytest.fixture(scope="module")
def hform() -> forms.Form:
    return forms.default_forms()["household"]


def _scored(form: forms.Form, doc: dict[str, Any]) -> dict[str, Any]:
    data, _ = form.validate(copy.deepcopy(doc), partial_ok=True)
    return data


def _rules(form: forms.Form) -> dict[str, list[str]]:
    assert form.rubric is not None
    return {d.code: [r.label["th"] for r in d.rules] for d in form.rubric.tpmap}


def test_tpmap_dimensions_cite_the_bmn_indicators_tpmap_uses(hform):
    cited = {dim: " ".join(labels) for dim, labels in _rules(hform).items()}
    for no in ("ข้อ 1)", "ข้อ 4)", "ข้อ 5)", "ข้อ 7)"):
        assert no in cited["health"]
    assert "ข้อ 28" not in cited["health"] and "ข้อ 29" not in cited["health"]
    assert "ข้อ 27" in cited["access"] and "ข้อ 28" in cited["access"]
    assert "เบี้ย" not in cited["access"] and "บัตรสวัสดิการ" not in cited["access"]
    assert "ข้อ 11.7" in cited["living"]
    assert hform.rubric.period == "จปฐ. 2560–2564"


def test_welfare_card_and_health_scheme_are_welfare_flags_not_tpmap(hform, household):
    household["income_wage"] = 20000
    household["members"][0]["welfare"] = ["none"]
    household["members"][1]["welfare"] = ["none"]
    household["members"][1]["health_scheme"] = "none"
    doc = _scored(hform, household)
    assert set(doc["welfare_flags"]) >= {"no_welfare_card", "no_health_scheme"}
    assert "access" not in (doc["tpmap_flags"] or [])


def test_access_is_care_of_the_elderly_and_disabled(hform, household):
    household["members"][0]["birth_date"] = "1950-01-01"  # 75
    household["members"][0]["has_caregiver"] = False
    doc = _scored(hform, household)
    assert "access" in doc["tpmap_flags"]


def test_health_follows_food_medicine_exercise_and_birth_weight(hform, household):
    assert "health" not in (_scored(hform, household)["tpmap_flags"] or [])
    household["exercise_ok"] = False
    assert "health" in _scored(hform, household)["tpmap_flags"]


def test_bmn_20_leaves_out_students_and_people_who_cannot_look_after_themselves(hform, household):
    household["members"][1].update(occupation="unemployed", income_year=0, self_care=False)
    doc = _scored(hform, household)
    assert "income" not in (doc["tpmap_flags"] or []) or doc["below_income_line"]
    assert not doc["members"][1]["no_job"]
    household["members"][1]["self_care"] = True
    assert _scored(hform, household)["members"][1]["no_job"]
    # no occupation but an income passes
    household["members"][1]["income_year"] = 24000
    assert not _scored(hform, household)["members"][1]["no_job"]


def test_bmn_21_counts_the_old_age_allowance_as_income(hform, household):
    household["members"][0].update(
        birth_date="1950-01-01", income_year=0, occupation="unemployed", self_care=True
    )
    household["members"][0]["welfare"] = ["elderly_allowance"]
    assert not _scored(hform, household)["members"][0]["elderly_no_income"]
    household["members"][0]["welfare"] = ["none"]
    assert _scored(hform, household)["members"][0]["elderly_no_income"]


def test_bmn_22_income_includes_food_produced_for_own_use(hform, household):
    before = _scored(hform, household)["income_total"]
    household["income_own_produce"] = 6000
    household["production_costs"] = 15000  # recorded apart, never subtracted again
    assert _scored(hform, household)["income_total"] == before + 6000


def test_names_and_lists_follow_the_sources(formset):
    choices = formset.choices if hasattr(formset, "choices") else formset.shared
    codes = {name: {c.code: c.th for c in items} for name, items in choices.items()}
    assert codes["capitals"]["financial"] == "ทุนเศรษฐกิจ"
    assert "homestay" in codes["standards"] and codes["standards"]["homestay"] == "มาตรฐานโฮมสเตย์ไทย"
    assert codes["welfare"]["subsistence_allowance"] == "เงินสงเคราะห์เพื่อการยังชีพ"
    assert "ตามหลักปรัชญาของเศรษฐกิจพอเพียง" in codes["referred_to"]["sjp"]
