"""The list model at province scale: it counts, then reads the ids and rows of the pages shown —
never every id of the query — and still finds a record's row after a save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ui import tasks
from ui.db import Database
from ui.models import ListQuery, RecordListModel


def settle() -> None:
    tasks.wait_all()


def test_the_model_reads_ids_a_page_at_a_time(qtbot: Any, ui_app: Any, ui_db_path: Path) -> None:
    db = Database(ui_db_path)
    model = RecordListModel(db, "household", page_size=20)
    calls: list[dict[str, Any]] = []
    real_ids = db.main.ids

    def spy(form_id: str, **kwargs: Any) -> list[str]:
        calls.append(kwargs)
        return real_ids(form_id, **kwargs)

    db.main.ids = spy  # type: ignore[method-assign]
    model.set_query(ListQuery())
    settle()
    assert model.rowCount() == db.main.count("household") >= 120  # and any second survey rounds
    whole = real_ids("household")
    assert [model.id_at(r) for r in (0, 19, 20, 119)] == [whole[0], whole[19], whole[20], whole[119]]
    assert calls and all(c.get("limit") == 20 for c in calls)  # never the whole list
    # a record on a page never shown is still found (through its sort position)
    assert model.row_of(whole[87]) == 87
    # the incomplete and conflict filters run in the query, not over a list of every id
    db.main.set_conflict("household", whole[50], {"fields": {}})
    model.update_query(conflicts=True)
    settle()
    assert model.rowCount() == 1 and model.id_at(0) == whole[50]
    model.update_query(conflicts=False, search="zzzz-nothing")
    settle()
    assert model.rowCount() == 0 and model.id_at(0) is None
