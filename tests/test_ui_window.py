"""The main window on a demo database: lists, paging, search, filters, navigator, summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from ui import tasks
from ui.db import Database
from ui.mainwindow import MainWindow
from ui.models import ListQuery, RecordListModel


def type_thai(widget: QWidget, text: str) -> None:
    """Type text one character at a time (qtbot.keyClicks aborts on Thai; DESIGN.md §5)."""
    for ch in text:
        QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier)


def settle() -> None:
    tasks.wait_all(20)


def open_window(qtbot: Any, path: Path, settings: Any) -> MainWindow:
    db = Database(path)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    window.show()
    window.start()
    settle()
    return window


def test_window_opens_on_a_demo_database_and_lists_every_household(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    page = window.pages["household"]
    total = window.db.main.count("household")  # 120 households and any second survey rounds
    assert page.model.rowCount() == total >= 120
    assert page.model.data(page.model.index(0, 1))  # head of household shown
    assert window.pages["business"].model.rowCount() == window.db.main.count("business")
    assert window.pages["referral"].model.rowCount() == window.db.main.count("referral")
    assert f"{total:,}" in page.count_label.text()


def test_paged_model_fetches_only_the_pages_it_shows(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    db = Database(ui_db_path)
    model = RecordListModel(db, "household", page_size=20)
    model.set_query(ListQuery())
    settle()
    assert model.rowCount() == db.main.count("household") >= 120  # and any second survey rounds
    assert model.rows_fetched == 0
    model.data(model.index(0, 1))
    model.data(model.index(5, 2))
    assert model.pages_fetched == 1 and model.rows_fetched == 20
    model.data(model.index(119, 0))
    assert model.pages_fetched == 2 and model.rows_fetched == 40 < 120


def test_search_finds_a_household_by_a_thai_name_fragment(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    page = window.pages["household"]
    first = page.model.record(0)
    fragment = str(first["head_name"]).split()[0][1:4]  # a piece from inside the first name
    page.search.setFocus()
    type_thai(page.search, fragment)
    assert page.search.text() == fragment
    qtbot.waitUntil(lambda: page.model.query.search == fragment, timeout=3000)
    settle()
    assert 0 < page.model.rowCount() < 120
    ids = [page.model.id_at(r) for r in range(page.model.rowCount())]
    assert first["id"] in ids
    assert page.model.rowCount() == window.db.main.count("household", search=fragment)


def test_search_by_house_number_and_national_id(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    page = window.pages["household"]
    rec = window.db.main.get("household", page.model.id_at(3) or "")
    nid = rec.data["members"][0]["national_id"]
    page.search.setText(nid)
    page.apply_filters()
    settle()
    assert rec.id in [page.model.id_at(r) for r in range(page.model.rowCount())]


def test_filters_by_class_tpmap_and_unsynced(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    page = window.pages["household"]
    store = window.db.main
    assert page.class_combo is not None and page.tpmap_box is not None
    page.class_combo.setCurrentIndex(page.class_combo.findData("2"))
    settle()
    assert page.model.rowCount() == store.count("household", filters={"poverty_class": "2"})
    page.class_combo.setCurrentIndex(0)
    page.tpmap_box.setChecked(True)
    settle()
    assert page.model.rowCount() == store.count("household", filters={"tpmap_target": True})
    page.tpmap_box.setChecked(False)
    page.incomplete_box.setChecked(True)
    settle()
    assert page.model.rowCount() == 0  # demo data is complete
    refs = window.pages["referral"]
    assert refs.status_combo is not None
    refs.status_combo.setCurrentIndex(refs.status_combo.findData("helped"))
    settle()
    assert refs.model.rowCount() == store.count("referral", filters={"status": "helped"})


def test_sorting_by_a_column_reorders_the_list(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    page = window.pages["household"]
    page.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # members
    settle()
    counts = [page.model.record(r).get("member_count") for r in range(page.model.rowCount())]
    assert counts == sorted(counts, reverse=True)


def test_area_navigator_counts_and_filters(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    model = window.navigator.model
    root = model.item(0)
    assert f"({window.db.main.count('household'):,})" in root.text()
    province = root.child(0)
    code = province.data(Qt.ItemDataRole.UserRole + 1)
    window.navigator.tree.setCurrentIndex(province.index())
    settle()
    assert window.pages["household"].model.rowCount() == window.db.main.count("household", area=code)
    assert f"({window.pages['household'].model.rowCount():,})" in province.text()


def test_summary_panel_shows_members_capitals_and_class(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    window = open_window(qtbot, ui_db_path, ui_app)
    page = window.pages["household"]
    page.table.selectRow(0)
    settle()
    summary = window.summary
    rec = window.db.main.get("household", page.model.id_at(0) or "")
    assert summary.household_id == rec.id
    assert len(summary.radar.values) == 5
    assert "ทุนมนุษย์" in summary.radar.labels
    first = rec.data["members"][0]["first_name"]
    assert first in summary.sections["members"].text()
    assert "ระดับการดำรงชีพ" in summary.class_label.text()
    assert "TPMAP" in summary.sections["tpmap"].text()
