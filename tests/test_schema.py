"""The store's own columns are the names a form field may not take (one list, in fieldapp.schema)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fieldapp import forms
from fieldapp.errors import FormDefinitionError
from fieldapp.store import open_store

FORM = """
id: mini
version: "1"
title: {th: แบบทดสอบ, en: Test form}
sections:
  - id: main
    label: {th: หลัก, en: Main}
    fields:
      - {id: FIELD, type: text, label: {th: ข้อ, en: Question}}
      - id: members
        type: repeat
        label: {th: สมาชิก, en: Members}
        fields:
          - {id: CHILD, type: text, label: {th: ชื่อ, en: Name}}
"""


def _own_columns(tmp_path: Path) -> set[str]:
    """The columns the store adds beside the answers, read from the tables it makes."""
    with open_store(tmp_path / "columns.db") as store:
        out: set[str] = set()
        for form in store.forms:
            answers = {name for f in form.fields.values() for name, _ in f.columns()}
            out |= {r[1] for r in store.conn.execute(f"PRAGMA table_info([{form.table}])")} - answers
            for rep in form.repeats():
                answers = {name for c in rep.fields for name, _ in c.columns()}
                table = form.child_table(rep)
                out |= {r[1] for r in store.conn.execute(f"PRAGMA table_info([{table}])")} - answers
        return out


def _load(tmp_path: Path, field: str = "answer", child: str = "name") -> None:
    folder = tmp_path / "forms"
    folder.mkdir(exist_ok=True)
    (folder / "choices.yaml").write_text("choices: {}\n", encoding="utf-8")
    text = textwrap.dedent(FORM).replace("FIELD", field).replace("CHILD", child)
    (folder / "mini.yaml").write_text(text, encoding="utf-8")
    forms.load_all(folder)


def test_a_form_using_none_of_the_store_columns_loads(tmp_path: Path) -> None:
    _load(tmp_path)


def test_every_column_the_store_keeps_is_refused_as_a_field_id(tmp_path: Path) -> None:
    own = _own_columns(tmp_path)
    assert "title_sort" in own and "dirty" in own
    accepted = []
    for name in sorted(own):
        try:
            _load(tmp_path, field=name)
        except FormDefinitionError as exc:
            assert "reserved" in exc.message_en
        else:
            accepted.append(name)
    assert accepted == []


@pytest.mark.parametrize("name", ["id", "parent_id", "position"])
def test_the_columns_of_repeat_rows_are_refused_inside_a_repeat(tmp_path: Path, name: str) -> None:
    with pytest.raises(FormDefinitionError, match="reserved"):
        _load(tmp_path, child=name)
