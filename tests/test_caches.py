"""Generated code and derived values cached per form must never be served for another form.

Form objects are replaced when forms are reloaded; a cache keyed by ``id()`` can hand a new
object the entry of a dead one that lived at the same address.
"""

from __future__ import annotations

import copy

from fieldapp.exchange import importer
from fieldapp.forms import Field, default_forms
from fieldapp.store.rows import value_plan


def test_a_value_plan_is_never_served_for_other_fields_at_a_reused_address() -> None:
    wrong = 0
    for i in range(200):
        fields = (Field(id=f"q{i}", type="text", label={}, path=f"q{i}"),)
        if value_plan(fields)({f"q{i}": "answer"}) != ["answer"]:
            wrong += 1
        del fields

    assert wrong == 0


def test_value_plans_follow_the_field_types() -> None:
    as_text = (Field(id="q", type="text", label={}, path="q"),)
    as_yes_no = (Field(id="q", type="boolean", label={}, path="q"),)
    assert value_plan(as_text)({"q": True}) == [True]
    assert value_plan(as_yes_no)({"q": True}) == [1]


def test_import_defaults_are_never_those_of_a_replaced_form() -> None:
    base = default_forms().forms["referral"]
    field_id = next(f.id for f in base.fields.values() if f.default == "referred")
    wrong = 0
    for i in range(100):
        form = copy.deepcopy(base)
        form.fields[field_id].default = f"value-{i}"
        job = importer.Job(index=0, record_id=None, exists=False, values={}, rows={})
        doc, _ = importer.merge(form, None, job, {})
        if doc.get(field_id) != f"value-{i}":
            wrong += 1
        del form

    assert wrong == 0
