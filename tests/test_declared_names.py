"""Names the program relies on are declared once: the household class is the field the scoring
rubric names (``outputs.class`` in scoring.yaml), villages are ``fieldapp.schema`` names."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from fieldapp import browse, forms, resources
from fieldapp.reports.build import area_report, household_report
from fieldapp.store import open_store

RENAMED = "livelihood_class"


@pytest.fixture
def renamed_forms(tmp_path: Path) -> forms.FormSet:
    """The bundled forms, with the household class field called ``livelihood_class``."""
    folder = tmp_path / "forms"
    shutil.copytree(resources.forms_dir(), folder)
    form = folder / "household.yaml"
    text = form.read_text(encoding="utf-8")
    text = text.replace("- id: poverty_class", f"- id: {RENAMED}")
    head, sep, rest = text.partition("list_columns:")  # the list line, whatever columns follow
    line, nl, tail = rest.partition("\n")
    text = head + sep + line.replace("poverty_class", RENAMED) + nl + tail
    form.write_text(text, encoding="utf-8")
    rubric = folder / "scoring.yaml"
    text = rubric.read_text(encoding="utf-8")
    text = text.replace(
        "household:\n  form: household\n",
        f"household:\n  form: household\n  outputs: {{class: {RENAMED}}}\n",
        1,
    )
    rubric.write_text(text, encoding="utf-8")
    return forms.load_all(folder)


def test_the_class_field_is_the_one_the_rubric_declares(
    tmp_path: Path, renamed_forms: forms.FormSet, household: dict[str, Any]
) -> None:
    with open_store(tmp_path / "a.db", forms=renamed_forms) as store:
        hid = store.save("household", household).record.id
        klass = store.get("household", hid).data[RENAMED]
        assert klass  # scored into the renamed field
        assert browse.household_classes(store, [hid]) == {hid: klass}
        assert store.stats()["forms"]["household"]["by_class"] == {klass: 1}
        label = next(c.th for c in renamed_forms["household"].fields[RENAMED].choices if c.code == klass)
        assert household_report(store, hid).scores.poverty_class == label
        area = area_report(store, subdistricts=[household["subdistrict_code"]])
        assert area.class_counts[label] == 1
