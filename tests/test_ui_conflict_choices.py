"""The conflict dialog: a delete/edit conflict shows what the other side changed; every answer can be
taken from one side at once; the typed value has room; a switched-off save button says why; disabled
buttons look disabled."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QPushButton

from fieldapp.store import Store
from fieldapp.sync import protocol as P
from ui import tasks
from ui.db import Database
from ui.dialogs.conflict_dialog import ConflictDialog


def _synced_household(store: Store) -> tuple[str, dict[str, Any]]:
    hid = store.ids("household")[0]
    doc = copy.deepcopy(store.get("household", hid).data)
    store.mark_synced("household", hid, server_rev=7, base=doc)
    return hid, doc


def _delete_edit(store: Store) -> tuple[str, dict[str, Any]]:
    hid, doc = _synced_household(store)
    store.delete("household", hid)
    theirs = copy.deepcopy(doc)
    theirs["house_no"] = "99/1"
    theirs["members"][0]["first_name"] = "สมศรีใหม่"
    conflict = P.Conflict(
        "delete_edit",
        "household",
        hid,
        8,
        None,
        theirs,
        None,
        [],
        "am",
        "2026-12-06T03:00:00Z",
        "lead32",
        "2026-12-06T03:05:00Z",
    )
    store.set_conflict("household", hid, conflict.to_json())
    return hid, theirs


def _fields_conflict(store: Store) -> str:
    hid, doc = _synced_household(store)
    mine = copy.deepcopy(doc)
    mine.update(house_no="65/9", income_wage=35000)
    store.rewrite("household", mine, record_id=hid)
    theirs = copy.deepcopy(doc)
    theirs.update(house_no="65/1", income_wage=40000)
    fields = [
        P.FieldConflict("house_no", doc.get("house_no"), "65/9", "65/1"),
        P.FieldConflict("income_wage", doc.get("income_wage"), 35000, 40000),
    ]
    conflict = P.Conflict(
        "fields", "household", hid, 8, mine, theirs, theirs, fields, "am", None, "lead32", None
    )
    store.set_conflict("household", hid, conflict.to_json())
    return hid


def test_a_delete_edit_conflict_shows_what_the_server_changed(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    db = Database(ui_db_path)
    hid, _theirs = _delete_edit(db.main)
    dlg = ConflictDialog(None, db, ui_app, "household", hid)
    qtbot.addWidget(dlg)
    shown = [lbl.text() for lbl in dlg.change_labels]
    assert any(t.endswith("→ 99/1") for t in shown)
    assert any("สมศรีใหม่" in t for t in shown)
    assert len(shown) == 2  # only what changed


def test_keep_all_mine_or_all_theirs_chooses_every_answer(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    db = Database(ui_db_path)
    hid = _fields_conflict(db.main)
    dlg = ConflictDialog(None, db, ui_app, "household", hid)
    qtbot.addWidget(dlg)
    assert dlg.choices() is None and not dlg.save_button.isEnabled()
    dlg.all_theirs_button.click()
    assert dlg.choices() == {"house_no": "theirs", "income_wage": "theirs"}
    dlg.all_mine_button.click()
    assert dlg.choices() == {"house_no": "mine", "income_wage": "mine"}
    assert dlg.save_button.isEnabled() and dlg.why_label.text() == ""
    dlg.save_button.click()
    tasks.wait_all(30)
    rec = db.main.get("household", hid)
    assert rec.conflict is None and rec.data["house_no"] == "65/9" and rec.data["income_wage"] == 35000


def test_the_save_button_says_why_it_is_off_and_the_typed_box_has_room(
    qtbot: Any, ui_app: Any, ui_db_path: Path
) -> None:
    db = Database(ui_db_path)
    hid = _fields_conflict(db.main)
    dlg = ConflictDialog(None, db, ui_app, "household", hid)
    qtbot.addWidget(dlg)
    dlg.resize(1300, 700)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert not dlg.save_button.isEnabled()
    assert "2" in dlg.why_label.text() and dlg.why_label.isVisible()
    dlg.choose("house_no", "theirs")
    assert "1" in dlg.why_label.text()
    dlg.choose("income_wage", "typed", "สามหมื่น")
    assert not dlg.save_button.isEnabled() and "ตัวเลข" in dlg.why_label.text()
    edit = dlg.edits["income_wage"]
    assert edit.width() >= edit.fontMetrics().horizontalAdvance("0" * 16)
    dlg.choose("income_wage", "typed", "38000")
    assert dlg.save_button.isEnabled() and dlg.why_label.text() == ""


def _background(button: QPushButton) -> tuple[int, int, int]:
    img = button.grab().toImage()
    c = img.pixelColor(6, img.height() // 2)
    return c.red(), c.green(), c.blue()


def test_disabled_buttons_look_disabled(qtbot: Any, ui_app: Any) -> None:
    for name in ("primary", ""):
        on, off = QPushButton("ซิงค์เดี๋ยวนี้"), QPushButton("ซิงค์เดี๋ยวนี้")
        for b in (on, off):
            b.setObjectName(name)
            qtbot.addWidget(b)
            b.resize(160, 40)
            b.ensurePolished()
        off.setEnabled(False)
        a, b = _background(on), _background(off)
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) > 40, (name, a, b)


def test_people_are_shown_by_name_when_this_laptop_knows_them(tmp_path: Path) -> None:
    from fieldapp import crypto, encryption
    from ui.dialogs.conflict_dialog import people_names, person

    db = tmp_path / "enc.db"
    encryption.create_encrypted(
        db,
        "somchai",
        "area_manager",
        "pass phrase 2569",
        display_name="สมชาย ใจดี",
        params=crypto.KdfParams(time_cost=1, memory_cost=8 * 1024, parallelism=1),
    )
    crypto.forget()
    names = people_names(db)
    assert person("somchai", names) == "สมชาย ใจดี (somchai)"
    assert person("lead32", names) == "lead32"  # a server user this laptop has no name for
    assert person(None, names) == "-"
