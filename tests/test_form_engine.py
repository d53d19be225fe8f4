"""The form engine on small definitions: loading, relevance, constraints, calculations, repeats."""

import textwrap

import pytest

from fieldapp import forms
from fieldapp.errors import FormDefinitionError

CHOICES = """
choices:
  relation:
    - {code: head, th: หัวหน้าครัวเรือน, en: Head}
    - {code: child, th: บุตร, en: Child}
  welfare:
    - {code: state_card, th: บัตรสวัสดิการแห่งรัฐ, en: State welfare card}
    - {code: elderly, th: เบี้ยยังชีพผู้สูงอายุ, en: Old-age allowance}
    - {code: other, th: อื่นๆ, en: Other}
"""

FORM = """
id: mini
version: "1"
title: {th: แบบทดสอบ, en: Test form}
title_field: head_name
consent_field: consent_sensitive
sections:
  - id: main
    label: {th: หลัก, en: Main}
    fields:
      - {id: consent_sensitive, type: boolean, label: {th: ยินยอม, en: Consent}}
      - {id: surveyed_on, type: date, label: {th: วันที่สำรวจ, en: Survey date}, required: true}
      - id: income
        type: money
        label: {th: รายได้, en: Income}
      - id: has_debt
        type: boolean
        label: {th: มีหนี้, en: Has debt}
      - id: debt
        type: money
        label: {th: หนี้, en: Debt}
        relevant: "${has_debt}"
        required: true
      - id: welfare
        type: select_multiple
        choices: welfare
        other: other
        label: {th: สวัสดิการ, en: Welfare}
      - id: members
        type: repeat
        label: {th: สมาชิก, en: Members}
        min: 1
        max: 5
        constraint: "count-if(${members.relation}, 'head') = 1"
        constraint_message: {th: ต้องมีหัวหน้าครัวเรือนหนึ่งคน, en: Exactly one head}
        fields:
          - {id: name, type: text, label: {th: ชื่อ, en: Name}, required: true}
          - {id: relation, type: select_one, choices: relation, label: {th: ความสัมพันธ์, en: Relation}, required: true}
          - id: birth_date
            type: date
            label: {th: วันเกิด, en: Birth date}
            constraint: ". <= ${surveyed_on}"
            constraint_message: {th: วันเกิดต้องไม่หลังวันที่สำรวจ, en: Birth after survey}
          - {id: age, type: calculated, result: integer, calculation: "age(${birth_date}, ${surveyed_on})", label: {th: อายุ, en: Age}}
          - {id: disability, type: text, sensitive: true, label: {th: ความพิการ, en: Disability}}
          - {id: is_old, type: calculated, result: boolean, calculation: "${age} >= 60", label: {th: สูงอายุ, en: Old}}
          - {id: national_id, type: national_id, label: {th: เลขประจำตัวประชาชน, en: National ID}}
      - id: head_name
        type: calculated
        result: text
        calculation: "lookup(${members.name}, ${members.relation}, 'head')"
        label: {th: หัวหน้า, en: Head}
      - id: per_person
        type: calculated
        result: money
        calculation: "round(${income} div count(${members}), 2)"
        label: {th: ต่อคน, en: Per person}
      - id: elderly_count
        type: calculated
        result: integer
        calculation: "count-if(${members.is_old}, true())"
        label: {th: ผู้สูงอายุ, en: Elderly}
"""


def load(tmp_path, form_text=FORM, choices_text=CHOICES):
    (tmp_path / "choices.yaml").write_text(textwrap.dedent(choices_text), encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(textwrap.dedent(form_text), encoding="utf-8")
    return forms.load_all(tmp_path)


@pytest.fixture
def mini(tmp_path):
    return load(tmp_path)["mini"]


def good():
    return {
        "surveyed_on": "2023-02-15",
        "income": "48,000",
        "has_debt": False,
        "members": [
            {"name": "สมชาย", "relation": "head", "birth_date": "1950-01-01"},
            {"name": "สมหญิง", "relation": "child", "birth_date": "15/2/2530"},
        ],
    }


def test_a_good_record_validates_and_calculations_fill_in(mini):
    doc, problems = mini.validate(good())
    assert problems == []
    assert doc["income"] == 48000.0
    assert doc["head_name"] == "สมชาย"
    assert doc["per_person"] == 24000.0
    assert [m["age"] for m in doc["members"]] == [73, 36]
    assert doc["members"][1]["birth_date"] == "1987-02-15"  # typed in the Buddhist era
    assert doc["elderly_count"] == 1
    assert all(len(m["id"]) == 36 for m in doc["members"])


def test_row_ids_are_kept_across_edits(mini):
    doc = mini.check(good())
    again = mini.check({**good(), "members": doc["members"]})
    assert [m["id"] for m in again["members"]] == [m["id"] for m in doc["members"]]


def test_relevance_clears_irrelevant_answers_and_requires_relevant_ones(mini):
    raw = {**good(), "has_debt": False, "debt": 5000}
    doc = mini.check(raw)
    assert doc["debt"] is None
    _, problems = mini.validate({**good(), "has_debt": True})
    assert [p.path for p in problems] == ["debt"]
    assert problems[0].message == "กรุณากรอก หนี้"


def test_sensitive_questions_are_hidden_without_explicit_consent(mini):
    raw = good()
    raw["members"][0]["disability"] = "ทางการเคลื่อนไหว"
    assert mini.check(raw)["members"][0]["disability"] is None
    raw["consent_sensitive"] = True
    assert mini.check(raw)["members"][0]["disability"] == "ทางการเคลื่อนไหว"


def test_other_choice_asks_for_free_text(mini):
    _, problems = mini.validate({**good(), "welfare": ["other"]})
    assert [p.path for p in problems] == ["welfare_other"]
    doc = mini.check({**good(), "welfare": ["other"], "welfare_other": "ทุนการศึกษา"})
    assert doc["welfare_other"] == "ทุนการศึกษา"
    assert mini.check({**good(), "welfare": "state_card elderly"})["welfare"] == ["state_card", "elderly"]


def test_repeat_constraint_and_bounds(mini):
    raw = good()
    raw["members"][1]["relation"] = "head"
    _, problems = mini.validate(raw)
    assert [(p.path, p.code) for p in problems] == [("members", "constraint")]
    assert "ต้องมีหัวหน้าครัวเรือนหนึ่งคน" in problems[0].message
    _, problems = mini.validate({**good(), "members": []})
    assert {p.code for p in problems} >= {"repeat.min"}
    many = [{"name": f"คน{i}", "relation": "child"} for i in range(6)]
    many[0]["relation"] = "head"
    _, problems = mini.validate({**good(), "members": many})
    assert [p.code for p in problems] == ["repeat.max"]


def test_row_constraint_sees_the_form_level_values(mini):
    raw = good()
    raw["members"][1]["birth_date"] = "2024-01-01"
    _, problems = mini.validate(raw)
    assert [p.path for p in problems] == ["members[2].birth_date"]
    assert "วันเกิดต้องไม่หลังวันที่สำรวจ" in problems[0].message


def test_drafts_may_leave_required_answers_empty(mini):
    _, problems = mini.validate({"income": 10}, partial_ok=True)
    assert problems == []
    _, problems = mini.validate({"income": 10})
    assert {p.code for p in problems} == {"required", "repeat.min"}


def test_every_problem_is_reported_with_its_path(mini):
    raw = good()
    raw["income"] = "abc"
    raw["members"][0]["national_id"] = "1103702488993"
    raw["members"][1]["relation"] = "cousin"
    _, problems = mini.validate(raw)
    assert sorted(p.path for p in problems) == [
        "income",
        "members[1].national_id",
        "members[2].relation",
    ]


@pytest.mark.parametrize(
    ("patch", "problem"),
    [
        ('version: "1"', "version"),
        ("type: money", "unknown type"),
        ('calculation: "age(${birth_date}, ${surveyed_on})"', "unknown field"),
        ("choices: relation", "unknown choice list"),
        ("constraint_message: {th: ต้องมีหัวหน้าครัวเรือนหนึ่งคน, en: Exactly one head}", "constraint_message"),
        ('relevant: "${has_debt}"', "relevant"),
    ],
)
def test_malformed_definitions_name_the_file_field_and_problem(tmp_path, patch, problem):
    broken = {
        'version: "1"': "",
        "type: money": "type: moneyy",
        'calculation: "age(${birth_date}, ${surveyed_on})"': 'calculation: "age(${birthdate}, ${surveyed_on})"',
        "choices: relation": "choices: relations",
        "constraint_message: {th: ต้องมีหัวหน้าครัวเรือนหนึ่งคน, en: Exactly one head}": "",
        'relevant: "${has_debt}"': 'relevant: "${has_debt} and"',
    }[patch]
    with pytest.raises(FormDefinitionError) as info:
        load(tmp_path, FORM.replace(patch, broken, 1))
    msg = info.value.message_en
    assert "mini.yaml" in msg
    assert problem in msg


def test_calculation_cycles_are_rejected(tmp_path):
    text = FORM.replace(
        'calculation: "round(${income} div count(${members}), 2)"',
        'calculation: "${elderly_count} + ${head_name}"',
    ).replace(
        "calculation: \"lookup(${members.name}, ${members.relation}, 'head')\"",
        'calculation: "${per_person}"',
    )
    with pytest.raises(FormDefinitionError) as info:
        load(tmp_path, text)
    assert "depend on each other" in info.value.message_en


def test_unknown_fields_in_input_are_rejected(mini):
    _, problems = mini.validate({**good(), "salary": 1})
    assert [(p.path, p.code) for p in problems] == [("salary", "unknown_field")]
