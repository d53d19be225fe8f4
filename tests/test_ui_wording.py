"""Wording: one word for the server everywhere, English names with a proper title and a space, and one
message (one wording) for a national ID whose check digit is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldapp import resources, thai
from fieldapp.errors import ValidationError
from ui import i18n
from ui.db import Database
from ui.widgets.fields import NationalIdWidget
from ui.widgets.registry import EditorContext
from ui.widgets.repeat import RepeatWidget
from ui.widgets.table import panel_for

ROOT = resources.path(".")


def test_the_server_is_called_by_one_thai_word_everywhere() -> None:
    places = [ROOT / "translations" / "th.json", ROOT / "README.md"]
    for folder in ("docs", "ui", "fieldapp", "server", "forms"):
        places += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".py", ".yaml", ".json")]
    found = [str(p.relative_to(ROOT)) for p in places if "เครื่องแม่ข่าย" in p.read_text(encoding="utf-8")]
    assert found == []
    assert "เซิร์ฟเวอร์" in (ROOT / "translations" / "th.json").read_text(encoding="utf-8")


def test_names_in_english_have_the_english_title_and_a_space() -> None:
    assert thai.person_name("mrs", "กัญญารัตน์", "ผิวผ่อง", lang="en") == "Mrs. กัญญารัตน์ ผิวผ่อง"
    assert thai.person_name("boy", "เฉลิม", "", lang="en") == "Master เฉลิม"
    assert thai.person_name("girl", "น้ำฝน", "ใจดี", lang="en") == "Miss น้ำฝน ใจดี"
    assert thai.person_name("mrs", "กัญญารัตน์", "ผิวผ่อง") == "นางกัญญารัตน์ ผิวผ่อง"
    assert thai.person_name("boy", "เฉลิม") == "เด็กชายเฉลิม"
    assert thai.person_name("other", "สมศักดิ์", "", other="ผู้ใหญ่", lang="en") == "ผู้ใหญ่ สมศักดิ์"
    assert thai.person_name(None, "สมศักดิ์", "ดี", lang="en") == "สมศักดิ์ ดี"


@pytest.fixture
def english() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("th")


def test_the_member_list_in_english_shows_mrs_and_master_with_a_space(
    qtbot: Any, ui_app: Any, ui_db_path: Path, english: None
) -> None:
    db = Database(ui_db_path)
    form = db.main.form("household")
    w = RepeatWidget(form.fields["members"], EditorContext(db=db, form=form), make_panel=panel_for)
    qtbot.addWidget(w)
    w.set_value(
        [
            {"id": "a", "prefix": "mrs", "first_name": "กัญญารัตน์", "last_name": "ผิวผ่อง", "relation": "head"},
            {"id": "b", "prefix": "boy", "first_name": "เฉลิม", "last_name": "ผิวผ่อง", "relation": "child"},
        ]
    )
    texts = [w.list.item(i).text() for i in range(w.list.count())]
    assert any("Mrs. กัญญารัตน์ ผิวผ่อง" in t for t in texts), texts
    assert any("Master เฉลิม ผิวผ่อง" in t for t in texts), texts
    assert not any("Mrs.ก" in t or "(boy under 15)" in t for t in texts)


def test_a_wrong_check_digit_gives_one_message_in_the_words_of_the_form_check(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    db = Database(ui_db_path)
    form = db.main.form("household")
    w = NationalIdWidget(form.field_at("members.national_id"), EditorContext(db=db, form=form))
    qtbot.addWidget(w)
    first12 = "310140012345"
    wrong = first12 + str((thai.national_id_check_digit(first12) + 1) % 10)
    w.set_value(wrong)
    with pytest.raises(ValidationError) as caught:
        thai.parse_national_id(wrong)
    assert w.local_problem() == caught.value.message  # the problem line under the question
    assert w.feedback.text() == ""  # nothing else beside the field says it again
    good = first12 + str(thai.national_id_check_digit(first12))
    w.set_value(good)
    assert w.local_problem() is None and "ถูกต้อง" in w.feedback.text()
