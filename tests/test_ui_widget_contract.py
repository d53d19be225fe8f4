"""The contract every question widget keeps (ui/widgets/registry.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from ui.db import Database
from ui.widgets.fields import TextWidget
from ui.widgets.registry import EditorContext


@pytest.fixture
def db(ui_db_path: Path) -> Iterator[Database]:
    database = Database(ui_db_path)
    yield database
    database.close_all()


def test_a_widget_whose_value_failed_to_show_still_reports_the_persons_edits(
    qtbot: Any, ui_app: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = db.main.form("household")
    w = TextWidget(form.field_at("house_no"), EditorContext(db=db, form=form))
    qtbot.addWidget(w)
    assert isinstance(w.edit, QLineEdit)

    def broken(_text: str) -> None:
        raise RuntimeError("the stored value could not be shown")

    monkeypatch.setattr(w.edit, "setText", broken)
    with pytest.raises(RuntimeError):
        w.set_value("12/3")
    monkeypatch.undo()
    with qtbot.waitSignal(w.value_changed, timeout=1000):
        w.edit.textEdited.emit("12/4")  # what typing does


def test_showing_a_stored_value_is_not_reported_as_an_edit(qtbot: Any, ui_app: Any, db: Database) -> None:
    form = db.main.form("household")
    w = TextWidget(form.field_at("house_no"), EditorContext(db=db, form=form))
    qtbot.addWidget(w)
    seen: list[bool] = []
    w.value_changed.connect(lambda: seen.append(True))
    w.set_value("12/3")
    with w.loading():
        w.edit.textEdited.emit("5")
    assert seen == []
    assert w.value() == "12/3"
