"""The desktop app with visit outcomes: a refused household is recorded with its identity and
address alone, the interview's pages greyed out; the list shows its outcome where a record would
show what is missing; the summary says it; the target list's coverage of the chosen area shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from fieldapp import coverage, drafts
from ui.db import Database
from ui.editor import window as record_editor
from ui.mainwindow import MainWindow


@pytest.fixture
def db(ui_db_path: Path) -> Database:
    return Database(ui_db_path)


def test_a_refused_household_is_saved_complete_and_shown_with_its_outcome(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_ui_editor import choose, pick, settle, type_into

    monkeypatch.setattr(record_editor, "_ask", lambda *a, **k: 0)
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.start()
    settle()
    before = coverage.area_coverage(db.main).total
    label = window.summary.coverage_label
    assert not label.isHidden()
    assert f"สัมภาษณ์ได้ {before.interviewed:,} จาก {before.listed:,} ครัวเรือน" in label.text()

    dlg = window.new_record("household")
    qtbot.addWidget(dlg)
    ed = dlg.editor
    # a new household: an interview, today, by the signed-in user
    assert ed.raw()["visit_outcome"] == "interviewed"
    assert ed.raw()["visited_by"] == db.user
    titles = [ed.sections.item(i).text() for i in range(ed.sections.count())]
    housing = next(i for i, t in enumerate(titles) if "ที่อยู่อาศัยและสาธารณูปโภค" in t)
    assert ed.sections.item(housing).flags() & Qt.ItemFlag.ItemIsEnabled
    choose(ed, "visit_outcome", "refused")
    type_into(ed, "visit_note", "ไม่สะดวกให้ข้อมูล")
    type_into(ed, "house_no", "301")
    sub = ed.widget("subdistrict_code")
    pick(sub.province, "32")
    pick(sub.district, "3201")
    pick(sub.subdistrict, "320101")
    reps = ed.widget("members")
    reps.add_row()
    type_into(ed, "first_name", "บุญมี", reps.panel)
    type_into(ed, "last_name", "เยี่ยมบ้านทดสอบ", reps.panel)
    choose(ed, "relation", "head", reps.panel)
    ed.recheck()
    # the interview's pages do not apply: greyed out, and nothing is missing
    assert not ed.sections.item(housing).flags() & Qt.ItemFlag.ItemIsEnabled
    assert ed.sections.item(housing).toolTip() == "ไม่ต้องถาม: การเยี่ยมบ้านครั้งนี้ไม่ได้สัมภาษณ์"
    assert [p.path for p in ed.problems] == []
    dlg.save()
    settle()
    rid = dlg.record_id
    assert rid and rid not in drafts.incomplete_ids(db.main, "household")
    rec = db.main.get("household", rid)
    assert (rec.data["visit_outcome"], rec.data["score_status"], rec.data["poverty_class"]) == (
        "refused",
        "not_interviewed",
        None,
    )

    # the list: the outcome where a record would say what is missing
    page = window.pages["household"]
    page.search.setText("เยี่ยมบ้านทดสอบ")
    page.apply_filters()
    settle()
    assert page.model.rowCount() == 1
    col = [c.header for c in page.model.columns].index("ความครบถ้วน")
    assert page.model.data(page.model.index(0, col)) == "ปฏิเสธการให้ข้อมูล"
    # the summary says it, and the coverage counts it
    window.summary.show_household(rid)
    settle()
    assert "ไม่ได้สัมภาษณ์" in window.summary.class_label.text()
    assert "การเยี่ยมบ้าน: ปฏิเสธการให้ข้อมูล" in window.summary.class_label.text()
    window.refresh("household", rid)
    settle()
    assert f"ปฏิเสธ {before.refused + 1:,}" in label.text()
    assert f"จาก {before.listed + 1:,} ครัวเรือน" in label.text()
