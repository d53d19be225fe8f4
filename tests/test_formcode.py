"""The generated fast path of ``Form.validate`` accepts only what the general path accepts,
and gives the same document.

``Form._validate_general`` is the reference (it mends what it can and reports the rest). The
generated validator may give up on any record (``None``), but when it returns a document that
document must equal the general path's, with no problems. Demo records of every shipped form
are run through both, as they are and scrambled in many ways.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from fieldapp import demodata
from fieldapp.forms import Form, coerce_level, default_forms

FORMS = default_forms()

_ODD = [
    None,
    "",
    "  ",
    "0",
    "1",
    "-3",
    "1,250.50",
    "๑๒",
    "12.5",
    "abc",
    "no",
    "ใช่",
    True,
    False,
    0,
    1,
    3,
    -2,
    2.0,
    2.5,
    -0.01,
    1e16,
    float("nan"),
    float("inf"),
    2**70,
    [],
    ["x"],
    {"lat": 15.0, "lon": 101.0},
    "2567-02-15",
    "15 ก.พ. 66",
    "2023-02-30",
    "1850-01-01",
    "a\u0000b",
    "\u202eabc",
    "\u0e48",
    "x" * 600,
]


def _records(form: Form, n: int, seed: int = 5) -> list[dict[str, Any]]:
    """Raw demo records as the generator makes them (not yet validated)."""
    gen = demodata.RecordMaker(seed, f"formcode:{form.id}", demodata.subdistrict_pool(seed, None))
    for _ in range(10):  # businesses and referrals link to households and their members
        gen.household(FORMS["household"])
    make = {"household": gen.household, "business": gen.business, "referral": gen.referral}[form.id]
    return [make(form)[1] for _ in range(n)]


def _scramble(form: Form, doc: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], bool]:
    """A copy with one to three things changed; True when row ids were taken away or broken
    (the general path then makes new ones, so ids cannot be compared)."""
    d = copy.deepcopy(doc)
    ids_changed = False
    fields = [f for f in form.fields.values() if f.type not in ("note",)]
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        rows = [
            r
            for rep in form.repeats()
            if isinstance(d.get(rep.id), list)
            for r in d[rep.id]
            if isinstance(r, dict) and isinstance(r.get("id"), str)
        ]
        if kind < 0.45:
            f = rng.choice(fields)
            d[f.id] = rng.choice(_ODD) if f.type != "repeat" else rng.choice([None, "", [], "[]", [1], {}])
        elif kind < 0.75 and rows:
            row = rng.choice(rows)
            key = rng.choice([k for k in row if k != "id"] or ["id"])
            row[key] = rng.choice(_ODD)
        elif kind < 0.8:
            d["no_such_field"] = 1
        elif kind < 0.85 and rows:
            rng.choice(rows)["no_such_field"] = 1
        elif kind < 0.9 and rows:
            row = rng.choice(rows)
            row["id"] = rng.choice([None, "", "not-a-uuid", row["id"].upper(), rows[0]["id"]])
            ids_changed = True
        elif kind < 0.95:
            d.pop(rng.choice(fields).id, None)
        elif rows:
            rng.choice(rows).pop(rng.choice([k for k in rng.choice(rows) if k != "id"] or ["id"]), None)
    return d, ids_changed


def _without_row_ids(form: Form, doc: dict[str, Any]) -> dict[str, Any]:
    d = dict(doc)
    for rep in form.repeats():
        d[rep.id] = [{k: v for k, v in r.items() if k != "id"} for r in d.get(rep.id) or []]
    return d


@pytest.mark.parametrize("form_id", sorted(FORMS.forms))
def test_every_shipped_form_has_a_fast_path_that_takes_its_demo_records(form_id: str) -> None:
    form = FORMS[form_id]
    fast = form._validator()
    assert fast is not None
    for raw in _records(form, 30):
        expected, problems = form._validate_general(copy.deepcopy(raw), False)
        assert problems == []
        got = fast(copy.deepcopy(raw), False)
        assert got is not None, "a clean demo record takes the fast path"
        assert got == expected
        # a record read back (already in stored form) also takes it, unchanged
        assert fast(copy.deepcopy(got), False) == got


@pytest.mark.parametrize("form_id", sorted(FORMS.forms))
@pytest.mark.parametrize("partial_ok", [False, True])
def test_the_fast_path_never_accepts_more_than_the_general_path(form_id: str, partial_ok: bool) -> None:
    form = FORMS[form_id]
    fast = form._validator()
    assert fast is not None
    rng = random.Random(17 if partial_ok else 19)
    taken = left = rejected = 0
    for raw in _records(form, 40, seed=9):
        for _ in range(12):
            d, ids_changed = _scramble(form, raw, rng)
            expected, problems = form._validate_general(copy.deepcopy(d), partial_ok)
            got = fast(copy.deepcopy(d), partial_ok)
            if got is None:
                left += 1
                rejected += bool(problems)
                continue
            taken += 1
            assert problems == [], f"the fast path took a record with problems: {problems[:2]}"
            if ids_changed:
                assert _without_row_ids(form, got) == _without_row_ids(form, expected)
            else:
                assert got == expected
    # both ways are exercised: mended or valid scrambles go fast, broken ones are left
    assert taken > 20 and left > 20 and rejected > 20


def test_validate_reports_through_the_general_path() -> None:
    """Problems still come with their messages when the fast path gives a record up."""
    form = FORMS["household"]
    raw = _records(form, 1)[0]
    raw["members"][0]["national_id"] = "1234567890123"  # wrong check digit
    raw["income_wage"] = -5
    _doc, problems = form.validate(raw)
    fields = {p.path for p in problems}
    assert "members[1].national_id" in fields and "income_wage" in fields
    assert all(p.message for p in problems)


def test_an_irrelevant_answer_is_cleared_on_the_fast_path_too() -> None:
    form = FORMS["household"]
    raw = next(r for r in _records(form, 20) if not r.get("has_savings"))
    raw["savings_amount"] = 5000.0  # asked only when the household has savings
    fast = form._validator()
    assert fast is not None
    got = fast(copy.deepcopy(raw), False)
    expected, problems = form._validate_general(copy.deepcopy(raw), False)
    assert problems == [] and got == expected and got["savings_amount"] is None


def _answers(form: Form, doc: dict[str, Any]) -> dict[str, Any]:
    """A document without its calculated values (top level and rows)."""
    out = {}
    for f in form.fields.values():
        if f.type == "calculated":
            continue
        if f.type == "repeat":
            keep = {c.id for c in f.fields if c.type != "calculated"} | {"id"}
            out[f.id] = [{k: v for k, v in r.items() if k in keep} for r in doc.get(f.id) or []]
        else:
            out[f.id] = doc.get(f.id)
    return out


@pytest.mark.parametrize("form_id", sorted(FORMS.forms))
def test_the_computed_path_takes_a_record_of_this_form_version_only_in_stored_form(form_id: str) -> None:
    """For records validated and calculated by this form version (pulled from the server):
    values already in stored form are kept as they are; anything the general path would have
    to clean or mend goes to the general path."""
    form = FORMS[form_id]
    trusted = form._validator(computed=True)
    assert trusted is not None
    rng = random.Random(23)
    calculated = [f.id for f in form.fields.values() if f.type == "calculated"]
    taken = left = 0
    for raw in _records(form, 30, seed=13):
        stored, problems = form._validate_general(copy.deepcopy(raw), True)
        assert problems == []
        assert trusted(copy.deepcopy(stored), True) == stored  # as the server sends it back
        assert form.validate(copy.deepcopy(stored), partial_ok=True, computed=True) == (stored, [])
        if calculated:  # a calculation in the wrong type is not kept: the general path computes it
            odd = copy.deepcopy(stored)
            odd[rng.choice(calculated)] = {"not": "a value"}
            assert trusted(odd, True) is None
            assert form.validate(odd, partial_ok=True, computed=True) == (stored, [])
        if form.rubric is not None:  # scores come from this laptop's rubric, whatever was sent
            odd = copy.deepcopy(stored)
            for cap in form.rubric.capitals:
                odd[cap.field] = 1.0
            odd[form.rubric.outputs["class"]] = form.rubric.class_bands[-1][0]
            assert trusted(odd, True) == stored
            # unless the server's rubric is this laptop's (the same fingerprint): then they are kept
            kept = form._validator(computed=True, scored=True)
            assert kept is not None and kept(copy.deepcopy(odd), True) == odd
        for f in form.fields.values():  # nor a calculated text that fails the text safety check
            if f.type == "calculated" and f.value_type == "text":
                odd = copy.deepcopy(stored)
                odd[f.id] = "ชื่อ\u202eปลอม"
                assert trusted(odd, True) is None
                assert form.validate(odd, partial_ok=True, computed=True) == (stored, [])
        for _ in range(10):
            d, ids_changed = _scramble(form, stored, rng)
            got = trusted(copy.deepcopy(d), True)
            if got is None:
                left += 1
                continue
            taken += 1
            # taken only when every value coerces cleanly: the answers are what coercion gives
            cleaned: list[Any] = []
            coerced = coerce_level(form.level, copy.deepcopy(d), "", cleaned)
            assert cleaned == []
            expected = _answers(form, coerced)
            if ids_changed:
                assert _without_row_ids(form, _answers(form, got)) == _without_row_ids(form, expected)
            else:
                assert _answers(form, got) == expected
    assert taken > 20 and left > 20
