"""The real questionnaires: they load, a full household validates, scores explain themselves."""

from __future__ import annotations

import pytest

from fieldapp import forms, scoring


def test_every_bundled_form_loads(formset):
    assert set(formset.forms) == {"household", "business", "referral"}
    for form in formset:
        assert form.version
        assert form.title["th"] and form.title["en"]
        for f in forms.iter_fields(form):
            assert f.label["th"].strip(), f.path
            assert f.label.get("en", "").strip(), f.path
            for c in f.choices:
                assert c.th.strip() and c.en.strip(), (f.path, c.code)


def test_household_form_covers_the_required_topics(formset):
    h = formset["household"]
    for name in (
        "subdistrict_code",
        "village_no",
        "village_name",
        "location",
        "tenure",
        "house_condition",
        "electricity",
        "income_wage",
        "income_farm",
        "expense_total",
        "debt_total",
        "debt_sources",
        "has_savings",
        "tpmap_dimensions",
        "survey_round",
        "surveyed_on",
        "consent_given",
        "consent_sensitive",
        "cap_human",
        "cap_social",
        "poverty_class",
        "income_per_capita",
    ):
        assert name in h.fields, name
    m = h.fields["members"]
    for name in (
        "national_id",
        "prefix",
        "first_name",
        "last_name",
        "sex",
        "birth_date",
        "relation",
        "resident",
        "education",
        "literate",
        "occupation",
        "income_year",
        "health_status",
        "disability_type",
        "welfare",
        "health_scheme",
        "skills",
    ):
        assert m.child(name) is not None, name
    assert m.child("health_status").sensitive and m.child("disability_type").sensitive


def test_business_and_referral_forms_cover_the_required_topics(formset):
    b = formset["business"]
    for name in (
        "business_type",
        "ce_reg_code",
        "otop_type",
        "otop_stars",
        "standards",
        "cbt_certified",
        "employees_total",
        "employees_local",
        "revenue_year",
        "local_material_pct",
        "income_distribution",
        "value_chain_stage",
        "markets",
        "supporters",
        "needs",
        "products",
        "employment",
    ):
        assert name in b.fields, name
    emp = b.fields["employment"]
    assert emp.child("member_id").ref == "household.members"
    r = formset["referral"]
    for name in (
        "household_id",
        "member_id",
        "capital",
        "need",
        "assistance_type",
        "referred_to",
        "status",
        "value_baht",
        "referred_on",
        "completed_on",
        "outcome",
        "follow_up_on",
    ):
        assert name in r.fields, name


def test_a_full_household_validates_with_scores_class_and_flags(formset, household):
    h = formset["household"]
    doc = h.check(household)
    assert doc["head_name"] == "สมชาย ใจดี"
    assert doc["member_count"] == 2
    assert doc["income_total"] == 56000
    assert doc["income_per_capita"] == 28000
    assert doc["below_income_line"] is True
    assert "income" in doc["tpmap_flags"]
    for cap in scoring.CAPITALS:
        assert 1.0 <= doc[f"cap_{cap}"] <= 4.0, cap
    mean = round(sum(doc[f"cap_{c}"] for c in scoring.CAPITALS) / 5, 2)
    assert doc["cap_mean"] == mean
    assert doc["poverty_class"] == h.rubric.household_class(mean)
    assert doc["district_code"] == "3201" and doc["province_code"] == "32"


def test_every_score_says_which_answers_produced_it(formset, household):
    h = formset["household"]
    doc = h.check(household)
    why = h.rubric.explain(doc)
    assert [c["id"] for c in why["capitals"]] == list(scoring.CAPITALS)
    fin = next(c for c in why["capitals"] if c["id"] == "financial")
    assert fin["score"] == doc["cap_financial"]
    income = [i for i in fin["indicators"] if "income_per_capita" in i["answers"]]
    assert income and income[0]["answers"]["income_per_capita"] == 28000
    assert income[0]["points"] == 1
    dim = next(d for d in why["tpmap"] if d["dimension"] == "income")
    assert dim["deprived"] and any(r["hit"] for r in dim["rules"])
    assert why["class"] == doc["poverty_class"]


@pytest.mark.parametrize(
    ("mean", "expected"),
    [(1.0, "1"), (1.74, "1"), (1.75, "2"), (2.49, "2"), (2.5, "3"), (3.24, "3"), (3.25, "4"), (4.0, "4")],
)
def test_class_bands_default_to_175_250_325(formset, mean, expected):
    assert formset["household"].rubric.household_class(mean) == expected


def test_class_bands_and_income_line_are_configurable_as_data(tmp_path, household):
    from fieldapp import resources

    for f in resources.forms_dir().glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "scoring.yaml":
            text = text.replace("income_line: 38000", "income_line: 20000", 1)
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    h = forms.load_all(tmp_path)["household"]
    doc = h.check(household)
    assert doc["below_income_line"] is False
    assert "income" not in (doc["tpmap_flags"] or [])


def test_sensitive_answers_are_dropped_without_explicit_consent(formset, household):
    household["consent_sensitive"] = False
    doc = formset["household"].check(household)
    assert doc["members"][0]["health_status"] is None


def test_each_record_keeps_its_form_version(store, household, formset):
    rec = store.save("household", household).record
    assert rec.form_version == formset["household"].version


def test_forms_check_reports_a_broken_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: broken\nversion: '1'\ntitle: {th: ทดสอบ, en: Test}\nsections:\n"
        "  - id: s\n    label: {th: ส่วน, en: Section}\n    fields:\n"
        "      - {id: a, type: integer, label: {th: ก, en: A}, relevant: '${nope} > 1'}\n",
        encoding="utf-8",
    )
    problems = forms.check_files([broken])
    assert len(problems) == 1
    assert "broken.yaml" in problems[0] and "a" in problems[0] and "unknown field" in problems[0]


def _first_indicator(body):
    return body["capitals"][0]["indicators"][0]


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda b: b.update(income_line=-1), "household.income_line", "must be a positive number"),
        (lambda b: b["class_bands"].reverse(), "household.class_bands", "bands must rise"),
        (lambda b: b["class_bands"].append({"code": "5"}), "household.class_bands[5]", "needs code and min"),
        (lambda b: b["capitals"].pop(), "household.capitals", "needs each of"),
        (lambda b: b["capitals"][0].update(indicators=[]), "household.capitals[1]", "needs indicators"),
        (
            lambda b: _first_indicator(b).update(points="1", map={"a": 1}),
            "household.human.",
            "exactly one of points, bands, map",
        ),
        (
            lambda b: _first_indicator(b).update(asks=["no_such_question"]),
            "household.human.",
            "asks names no question 'no_such_question'",
        ),
        (lambda b: b["tpmap"][0]["rules"][0].pop("when"), "household.tpmap[1].rules[1]", "needs id, label"),
        (lambda b: b.update(welfare=[{"label": "x", "when": "1"}]), "household.welfare[1]", "needs id, label"),
        (lambda b: b.update(min_coverage=0), "household.min_coverage", "must be a share"),
    ],
)
def test_a_mistake_in_a_rubric_is_named_with_its_place(tmp_path, change, where, problem):
    import yaml

    from fieldapp import resources
    from fieldapp.errors import FormDefinitionError

    raw = yaml.safe_load((resources.forms_dir() / "scoring.yaml").read_text(encoding="utf-8"))
    change(raw["household"])
    path = tmp_path / "scoring.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    loaded = forms.default_forms()
    with pytest.raises(FormDefinitionError) as exc:
        scoring.load_rubrics(path, dict(loaded.forms))
    assert exc.value.source == "scoring.yaml"
    assert exc.value.field_path.startswith(where) and problem in exc.value.problem
