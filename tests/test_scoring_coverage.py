"""Missing is never "not poor": unknown indicators, coverage, and a class only when the answers
are enough to give it — through the rubric, the store and the reports."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp import forms, scoring
from fieldapp.store import open_store


@pytest.fixture(scope="module")
def hform() -> forms.Form:
    return forms.default_forms()["household"]


def _scored(form: forms.Form, doc: dict[str, Any]) -> dict[str, Any]:
    """The record as the engine keeps it: irrelevant answers cleared, calculations and scores made."""
    data, _problems = form.validate(copy.deepcopy(doc), partial_ok=True)
    return data


def _child(age: int, **answers: Any) -> dict[str, Any]:
    born = dt.date(2025 - age, 1, 1).isoformat()
    row = {
        "id_type": "none",
        "prefix": "boy" if age < 15 else "mr",
        "first_name": "เด็ก",
        "last_name": "ใจดี",
        "sex": "1",
        "birth_date": born,
        "relation": "child",
        "resident": True,
    }
    row.update(answers)
    return row


def test_a_school_age_child_with_schooling_blank_is_unknown_not_in_school(hform, household):
    household["members"].append(_child(10, education="primary", health_status="normal"))
    blank = _scored(hform, household)
    why = hform.rubric.explain(blank)
    human = next(c for c in why["capitals"] if c["id"] == "human")
    schooling = next(i for i in human["indicators"] if i["id"] == "schooling")
    assert schooling["state"] == scoring.UNKNOWN and schooling["points"] is None
    assert human["applicable"] == human["answered"] + 1
    assert "ปัจจุบันกำลังศึกษาอยู่" in why["missing"]
    household["members"][-1]["studying"] = True
    in_school = _scored(hform, household)
    household["members"][-1]["studying"] = False
    out_of_school = _scored(hform, household)
    # blank never scores like "in school": it is unknown, and the known answers give points
    assert in_school["cap_human"] > out_of_school["cap_human"]
    assert (
        blank["cap_human"] != in_school["cap_human"] or blank["score_coverage"] < in_school["score_coverage"]
    )
    assert out_of_school["poverty_class"] is not None and in_school["poverty_class"] is not None
    assert int(out_of_school["poverty_class"]) <= int(in_school["poverty_class"])


def test_too_few_answers_give_no_class_and_no_mean_and_list_the_questions(hform, household):
    for name in ("drinking_water_ok", "domestic_water_ok", "electricity", "has_toilet", "assets"):
        household.pop(name)
    doc = _scored(hform, household)
    assert doc["poverty_class"] is None and doc["cap_mean"] is None
    assert doc["score_status"] == scoring.UNASSESSABLE
    assert doc["cap_physical"] is not None  # each capital still has its score, with its coverage
    assert "ไฟฟ้า" in doc["score_missing"]
    why = hform.rubric.explain(doc)
    physical = next(c for c in why["capitals"] if c["id"] == "physical")
    assert physical["coverage"] < hform.rubric.min_coverage
    assert why["status"] == scoring.UNASSESSABLE


def test_a_complete_household_is_assessed_with_full_coverage(hform, household):
    doc = _scored(hform, household)
    assert doc["score_status"] == scoring.ASSESSED
    assert doc["score_coverage"] == 1.0
    assert doc["score_missing"] is None
    assert doc["poverty_class"] == hform.rubric.household_class(doc["cap_mean"])


def test_min_coverage_is_declared_in_scoring_yaml(hform):
    from fieldapp import resources

    text = (resources.forms_dir() / "scoring.yaml").read_text(encoding="utf-8")
    assert "min_coverage:" in text
    assert hform.rubric.min_coverage == 0.8


def test_a_missing_answer_that_could_change_the_class_leaves_it_unknown(hform, household):
    """Coverage above the threshold is not enough when the unknown answer would decide the band."""
    rubric = hform.rubric
    doc = _scored(hform, household)
    _out, stats, unknown = rubric._capital_scores(doc)
    assert not unknown
    # one unknown indicator among many: the class stands only if 1 or 4 points give the same band
    stats2 = [(t - 4, n - 1, a) if i == 0 else (t, n, a) for i, (t, n, a) in enumerate(stats)]
    scores = [round(t / n, 2) for t, n, _ in stats2]
    klass, _mean = rubric._class_of(stats2, scores)
    lows = [round((t + (a - n)) / a, 2) for t, n, a in stats2]
    highs = [round((t + 4 * (a - n)) / a, 2) for t, n, a in stats2]
    lo = rubric.household_class(round(sum(lows) / 5, 2))
    hi = rubric.household_class(round(sum(highs) / 5, 2))
    assert (klass is None) == (lo != hi)


# ------------------------------------------------------------------ property: removing never helps

BOOLS = st.sampled_from([True, False])


def _choice(form: forms.Form, name: str) -> st.SearchStrategy[Any]:
    codes = [c.code for c in form.field_at(name).choices if c.code != "other"]
    return st.sampled_from(codes)


@st.composite
def households(draw: st.DrawFn, form: forms.Form) -> dict[str, Any]:
    n = draw(st.integers(1, 4))
    members = []
    for i in range(n):
        age = draw(st.integers(0, 90))
        members.append(
            {
                "relation": "head" if i == 0 else "child",
                "resident": True,
                "birth_date": None if age is None else dt.date(2025 - age, 1, 1).isoformat(),
                "education": draw(_choice(form, "members.education")),
                "studying": draw(BOOLS),
                "literate": draw(BOOLS),
                "occupation": draw(_choice(form, "members.occupation")),
                "income_year": draw(st.sampled_from([0, 12000, 60000])),
                "self_care": draw(BOOLS),
                "health_status": draw(_choice(form, "members.health_status")),
                "has_caregiver": draw(BOOLS),
                "disability_card": draw(BOOLS),
                "welfare": draw(st.sampled_from([["none"], ["state_card"], ["elderly_allowance"]])),
            }
        )
    money = st.sampled_from([0, 10000, 50000, 200000])
    doc: dict[str, Any] = {
        "consent_sensitive": True,
        "surveyed_on": "2025-06-01",
        "members": members,
        "tenure": draw(_choice(form, "tenure")),
        "house_condition": draw(_choice(form, "house_condition")),
        "drinking_water_ok": draw(BOOLS),
        "domestic_water_ok": draw(BOOLS),
        "electricity": draw(_choice(form, "electricity")),
        "has_toilet": draw(BOOLS),
        "assets": draw(st.sampled_from([["none"], ["motorcycle"], ["motorcycle", "car", "water_pump"]])),
        "health_service_km": draw(st.sampled_from([1, 5, 15, 30])),
        "farmland_owned_rai": draw(st.sampled_from([0, 3, 20])),
        "farmland_rented_rai": draw(st.sampled_from([0, 3])),
        "water_for_farming": draw(BOOLS),
        "uses_natural_resources": draw(BOOLS),
        "disaster_exposure": draw(st.sampled_from([["none"], ["flood"], ["flood", "drought"]])),
        "affected_by_pollution": draw(BOOLS),
        "expense_total": draw(money),
        "debt_total": draw(money),
        "debt_sources": draw(st.sampled_from([["baac"], ["informal"]])),
        "has_savings": draw(BOOLS),
        "savings_amount": draw(money),
        "group_membership": draw(st.sampled_from([["none"], ["village_fund"]])),
        "joins_community_activities": draw(BOOLS),
        "joins_village_meetings": draw(BOOLS),
        "community_role": draw(BOOLS),
        "has_support_network": draw(BOOLS),
        "receives_news": draw(BOOLS),
    }
    for name in ("income_wage", "income_farm", "income_business", "income_transfer", "income_other"):
        doc[name] = draw(money)
    # most households are complete; some have a few answers missing already
    for row, name in draw(st.lists(st.sampled_from(_answers(doc)), max_size=3)):
        if row is None:
            doc[name] = None
        else:
            doc["members"][row][name] = None
    return doc


def _answers(doc: dict[str, Any]) -> list[tuple[int | None, str]]:
    """Every answer that can be removed: (member index or None, field)."""
    fixed = {"consent_sensitive", "surveyed_on", "members"}
    out: list[tuple[int | None, str]] = [
        (None, k) for k, v in doc.items() if k not in fixed and v is not None
    ]
    for i, row in enumerate(doc["members"]):
        out += [(i, k) for k, v in row.items() if k not in ("relation", "resident") and v is not None]
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_removing_an_answer_never_makes_the_class_better(hform, data):
    doc = data.draw(households(hform))
    answers = _answers(doc)
    if not answers:
        return
    row, name = data.draw(st.sampled_from(answers))
    before = _scored(hform, doc)
    less = copy.deepcopy(doc)
    if row is None:
        less[name] = None
    else:
        less["members"][row][name] = None
    after = _scored(hform, less)
    if after["poverty_class"] is not None:
        assert before["poverty_class"] is None or int(after["poverty_class"]) <= int(
            before["poverty_class"]
        ), (
            row,
            name,
            before["poverty_class"],
            after["poverty_class"],
        )
    # the reason it holds: no capital's lowest possible score (unknowns at 1 point) ever rises
    lows = []
    for d in (before, after):
        _, stats, _ = hform.rubric._capital_scores(d)
        lows.append([(t + (a - n)) / a if a else 1.0 for t, n, a in stats])
    for cap, lo_before, lo_after in zip(scoring.CAPITALS, *lows, strict=True):
        assert lo_after <= lo_before + 1e-9, (cap, row, name)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_class_is_given_only_with_enough_coverage(hform, data):
    doc = _scored(hform, data.draw(households(hform)))
    why = hform.rubric.explain(doc)
    if doc["poverty_class"] is not None:
        assert all(
            c["coverage"] is not None and c["coverage"] >= hform.rubric.min_coverage for c in why["capitals"]
        )
        assert doc["cap_mean"] is not None
    else:
        assert doc["cap_mean"] is None and doc["score_status"] == scoring.UNASSESSABLE


# ------------------------------------------------------------------ through the store and the reports


def test_the_store_keeps_coverage_and_status_and_lists_count_unassessable_apart(tmp_path, household):
    with open_store(tmp_path / "f.db", user="tester") as store:
        store.save("household", household)
        partial = copy.deepcopy(household)
        partial["house_no"] = "99"
        for name in ("drinking_water_ok", "domestic_water_ok", "electricity", "has_toilet", "assets"):
            partial.pop(name)
        rec = store.save("household", partial).record
        assert rec.data["score_status"] == scoring.UNASSESSABLE
        assert rec.data["poverty_class"] is None and rec.data["cap_mean"] is None
        row = store.conn.execute(
            "SELECT score_status, score_coverage, cap_mean FROM household WHERE id = ?", [rec.id]
        ).fetchone()
        assert row[0] == scoring.UNASSESSABLE and 0 < row[1] < 1 and row[2] is None


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"debt_sources": ["informal"], "has_savings": True, "savings_amount": 20000},
        {"farmland_owned_rai": 0, "farmland_rented_rai": 3, "water_for_farming": False},
    ],
)
def test_removing_each_answer_of_a_full_household_never_raises_a_capital_floor(hform, household, variant):
    household.update(variant)
    household["members"].append(
        _child(
            16,
            education="lower_secondary",
            studying=False,
            health_status="disabled",
            has_caregiver=False,
            literate=False,
            occupation="unemployed",
        )
    )
    before = _scored(hform, household)
    _, stats, _ = hform.rubric._capital_scores(before)
    floor = [(t + (a - n)) / a for t, n, a in stats]
    for row, name in _answers(household):
        less = copy.deepcopy(household)
        if row is None:
            less[name] = None
        else:
            less["members"][row][name] = None
        after = _scored(hform, less)
        _, stats2, _ = hform.rubric._capital_scores(after)
        for cap, lo, (t, n, a) in zip(scoring.CAPITALS, floor, stats2, strict=True):
            assert (t + (a - n)) / a <= lo + 1e-9, (cap, row, name)
        if after["poverty_class"] is not None and before["poverty_class"] is not None:
            assert int(after["poverty_class"]) <= int(before["poverty_class"]), (row, name)


def _unassessable(household: dict[str, Any]) -> dict[str, Any]:
    partial = copy.deepcopy(household)
    partial["house_no"] = "99"
    for name in ("drinking_water_ok", "domestic_water_ok", "electricity", "has_toilet", "assets"):
        partial.pop(name)
    return partial


def test_the_case_report_of_an_unassessable_household_has_no_mean_and_lists_the_questions(
    tmp_path, household
):
    from fieldapp.reports import build

    with open_store(tmp_path / "f.db", user="tester") as store:
        rec = store.save("household", _unassessable(household)).record
        # all five capitals have a score, yet the print must agree with the app: no mean, no class
        assert all(rec.data[f"cap_{c}"] is not None for c in scoring.CAPITALS)
        report = build.household_report(store, rec.id)
        assert report.scores.unassessable
        assert report.scores.mean() is None
        assert report.scores.poverty_class == ""
        assert "ไฟฟ้า" in report.scores.missing
        assert 0 < (report.scores.coverage or 0) < 1


def test_area_report_and_stats_count_unassessable_households_apart(tmp_path, household):
    from fieldapp.reports import build

    with open_store(tmp_path / "f.db", user="tester") as store:
        store.save("household", household)
        store.save("household", _unassessable(household))
        area = build.area_report(store, subdistricts=["320101"])
        assert area.households_unassessable == 1
        assert area.class_counts.get(build.UNASSESSABLE) == 1
        assert sum(area.class_counts.values()) == 2
        assert area.villages[0].households_unassessable == 1
        assert area.villages[0].households_assessed == 1
        assert area.mean_coverage is not None and area.mean_coverage < 1
        stats = store.stats()["forms"]["household"]
        assert stats["by_class"].get("unassessable") == 1
        assert "none" not in stats["by_class"]


def test_village_ranking_accounts_for_how_many_households_were_surveyed():
    from fieldapp.reports.data import VillageStat, wilson_lower_bound

    small = VillageStat("เล็ก", households_total=6, poor_households=6)
    large = VillageStat("ใหญ่", households_total=100, poor_households=90)
    assert small.poor_share > large.poor_share
    assert large.poor_lower_bound > small.poor_lower_bound
    ranked = sorted([small, large], key=lambda v: -v.poor_lower_bound)
    assert ranked[0] is large
    assert wilson_lower_bound(0, 0) == 0.0
    assert 0.6 < wilson_lower_bound(6, 6) < 0.62
    # unassessable households are neither poor nor not poor: they leave the denominator
    v = VillageStat("ก", households_total=10, poor_households=4, households_unassessable=2)
    assert v.households_assessed == 8 and v.poor_share == 0.5
