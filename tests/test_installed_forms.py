"""Forms installed into a database: added from an XLSForm or a definition, versioned, used like
the bundled forms, removed only while they have no records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp import cli, installed, xlsform
from fieldapp.errors import ValidationError
from fieldapp.store import open_store

DATA = Path(__file__).parent / "data" / "xlsform"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_use_and_remove_an_xlsform(tmp_path, capsys):
    db = str(tmp_path / "f.db")
    code, out, _ = run(capsys, "--db", db, "forms", "add", str(DATA / "group.xlsx"))
    assert code == 0 and out.startswith("group 1: installed")
    code, out, _ = run(capsys, "--db", db, "forms", "add", str(DATA / "group.xlsx"))
    assert code == 0 and "already installed" in out
    (tmp_path / "people.csv").write_text("family_name,age\nSmith,30\nJones,41\n", encoding="utf-8")
    code, out, _ = run(capsys, "--db", db, "import", "--form", "group", str(tmp_path / "people.csv"))
    assert code == 0 and "2 new" in out
    code, out, _ = run(capsys, "--db", db, "list", "group")
    assert "Smith" in out and "Jones" in out  # its first answers, as it names no list_columns
    code, out, _ = run(capsys, "--db", db, "list", "group", "--json")
    assert json.loads(out)["total"] == 2
    code, out, _ = run(capsys, "--db", db, "export", "group", "-o", str(tmp_path / "g.csv"))
    assert code == 0 and "Smith" in (tmp_path / "g.csv").read_text(encoding="utf-8-sig")
    code, out, _ = run(capsys, "--db", db, "forms", "list", "--json")
    listed = {(i["form"], i["installed"]): i for i in json.loads(out)}
    assert listed[("group", True)]["records"] == 2 and listed[("household", False)]["in_use"]
    code, _, err = run(capsys, "--db", db, "forms", "remove", "group")
    assert code == 1 and "2 record" in err
    with open_store(db) as store:  # the form is kept in the database: a new store opens with it
        assert "group" in store.forms.forms and store.count("group") == 2


def test_versions_are_kept_and_a_changed_definition_needs_a_new_version(tmp_path):
    report = xlsform.read_xlsform(DATA / "tutorial.xls")
    raw = report.form
    with open_store(tmp_path / "f.db") as store:
        form, new = installed.add(store, raw, "tutorial.xls")
        assert new and form.version == "1"
        changed = json.loads(json.dumps(raw))
        changed["sections"][0]["fields"][0]["label"]["en"] = "Member"
        with pytest.raises(ValidationError):
            installed.add(store, changed, "tutorial.xls")
        changed["version"] = "2"
        form, new = installed.add(store, changed, "tutorial.xls")
        assert new and store.forms["tutorial"].version == "2"
        listed = installed.listing(store.conn)
        assert [(i.version, i.in_use) for i in listed] == [("1", False), ("2", True)]
        saved = store.save("tutorial", {"member": [{"name": "Ann", "sex": "female"}]}, partial_ok=True)
        assert store.get("tutorial", saved.record.id).data["member"][0]["name"] == "Ann"
        with pytest.raises(ValidationError):
            installed.remove(store, "tutorial")


def test_an_empty_installed_form_is_removed_with_its_tables(tmp_path):
    with open_store(tmp_path / "f.db") as store:
        installed.add(store, xlsform.read_xlsform(DATA / "or_other.xlsx").form, "or_other.xlsx")
        assert store.conn.execute("SELECT COUNT(*) FROM [or_other]").fetchone()[0] == 0
        assert installed.remove(store, "or_other") == 1
        assert "or_other" not in store.forms.forms
        assert store.conn.execute("SELECT name FROM sqlite_master WHERE name = 'or_other'").fetchone() is None
    with open_store(tmp_path / "f.db") as store:
        assert "or_other" not in store.forms.forms


def test_a_bundled_form_id_cannot_be_installed(tmp_path):
    from fieldapp import forms

    raw = forms.read_yaml(forms.default_forms().directory / "referral.yaml")
    with open_store(tmp_path / "f.db") as store, pytest.raises(ValidationError):
        installed.add(store, raw, "referral.yaml")


def test_the_desktop_app_lists_an_installed_form_and_makes_its_records(tmp_path, qtbot, ui_app):
    from ui import tasks
    from ui.db import Database
    from ui.mainwindow import MainWindow

    path = tmp_path / "f.db"
    with open_store(path) as store:
        installed.add(store, xlsform.read_xlsform(DATA / "group.xlsx").form, "group.xlsx")
        store.save("group", {"family_name": "Smith", "age": 30}, partial_ok=True)
    db = Database(path)
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    tasks.wait_all(20)
    page = window.pages["group"]
    assert window.tabs.tabText(window.tabs.indexOf(page)) == "group"
    assert page.model.rowCount() == 1
    window.tabs.setCurrentWidget(page)
    editor = window.new_record_of_current_form()
    assert editor is not None and editor.form.id == "group"
    editor.close()
    window.close()
    db.close()


def test_a_form_preview_fills_and_checks_without_saving(tmp_path, qtbot, ui_app):
    from ui import tasks
    from ui.db import Database
    from ui.mainwindow import MainWindow

    path = tmp_path / "f.db"
    open_store(path).close()
    db = Database(path)
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    from tests.test_xlsform import _thai_household

    _thai_household(tmp_path / "survey.xlsx")
    dlg = window.preview_form(tmp_path / "survey.xlsx")
    assert dlg is not None and dlg.form.id == "thai_household"
    assert "ชื่อหัวหน้าครัวเรือน" in " ".join(dlg.check())  # required and not answered yet
    dlg.close()
    tasks.wait_all(20)
    with open_store(path) as store:  # nothing was written: no form, no record, no draft, no audit entry
        assert "thai_household" not in store.forms.forms
        assert (
            store.conn.execute("SELECT COUNT(*) FROM audit_log WHERE form_id = 'thai_household'").fetchone()[
                0
            ]
            == 0
        )
    window.close()
    db.close()


def _preview_window(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.mainwindow import MainWindow

    path = tmp_path / "f.db"
    open_store(path).close()
    window = MainWindow(Database(path), ui_app)
    qtbot.addWidget(window)
    return window


def test_a_preview_of_a_bundled_definition_file_finds_its_shared_choice_lists(tmp_path, qtbot, ui_app):
    from fieldapp import resources

    window = _preview_window(tmp_path, qtbot, ui_app)
    dlg = window.preview_form(resources.forms_dir() / "household.yaml")  # lists from forms/choices.yaml
    assert dlg is not None and dlg.form.id == "household"
    assert "refused" in dlg.form.fields["visit_outcome"].codes
    assert dlg.check()  # the form's own checks run (required answers are missing)
    dlg.close()
    window.close()
    window.db.close()


def test_a_definition_file_keeps_its_own_list_of_a_shared_lists_name(tmp_path):
    from fieldapp.forms import default_forms, load_file

    shared = default_forms().choices
    assert "prefixes" in shared
    raw = {
        "id": "own_lists", "version": "1", "title": {"th": "รายการของตัวเอง", "en": "Own lists"},
        "choices": {"prefixes": [{"code": "y", "th": "ใช่", "en": "Yes"}, {"code": "n", "th": "ไม่", "en": "No"}]},
        "sections": [{"id": "s", "label": {"th": "ส่วน", "en": "Part"}, "fields": [
            {"id": "ok", "type": "select_one", "choices": "prefixes", "label": {"th": "ตกลง", "en": "OK"}},
            {"id": "out", "type": "select_one", "choices": "visit_outcome", "label": {"th": "ผล", "en": "Outcome"}},
        ]}],
    }
    path = tmp_path / "own.yaml"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    form = load_file(path, shared)
    assert form.fields["ok"].codes == {"y", "n"}  # its own list, not a clash with the shared one
    assert form.fields["out"].codes == {c.code for c in shared["visit_outcome"]}


@pytest.mark.parametrize(
    "field, expect",
    [
        ({"id": "q", "type": "select_one", "choices": "no_such_list", "label": {"th": "ถาม", "en": "Q"}},
         "อ่านแบบฟอร์มในไฟล์ broken.yaml ไม่ได้ (q): ไม่มีรายการตัวเลือกชื่อ no_such_list"),
        ({"id": "q", "type": "no_such_type", "label": {"th": "ถาม", "en": "Q"}},
         "อ่านแบบฟอร์มในไฟล์ broken.yaml ไม่ได้ (q) กรุณาให้ผู้ทำแบบฟอร์มแก้ไข"),
    ],
)
def test_a_definition_that_cannot_be_previewed_is_told_in_thai(tmp_path, qtbot, ui_app, monkeypatch, field, expect):
    import re

    from PySide6.QtWidgets import QMessageBox

    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)
    raw = {"id": "broken", "version": "1", "title": {"th": "เสีย", "en": "Broken"},
           "sections": [{"id": "s", "label": {"th": "ส่วน", "en": "Part"}, "fields": [field]}]}
    (tmp_path / "broken.yaml").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    window = _preview_window(tmp_path, qtbot, ui_app)
    assert window.preview_form(tmp_path / "broken.yaml") is None
    assert len(shown) == 1
    text = shown[0].text()
    assert text.startswith(expect)
    assert not re.search(r"\b(unknown|invalid|type)\b", text)  # no English sentence in the message
    assert "invalid form definition" in shown[0].detailedText()  # for whoever wrote the file
    window.close()
    window.db.close()


def test_a_cascading_question_offers_the_choices_of_the_answer_above(tmp_path, qtbot, ui_app):
    from tests.test_xlsform import _thai_household
    from ui.db import Database
    from ui.widgets.registry import EditorContext
    from ui.widgets.table import widget_for

    _thai_household(tmp_path / "survey.xlsx")
    form = installed.build(xlsform.read_xlsform(tmp_path / "survey.xlsx").form, "survey.xlsx")
    path = tmp_path / "f.db"
    open_store(path).close()
    db = Database(path)
    widget = widget_for(form.fields["district"], EditorContext(db=db, form=form))
    qtbot.addWidget(widget)
    widget.update_context({"province": "kk"}, None)
    if widget.combo is not None:
        shown = [widget.combo.itemData(i) for i in range(widget.combo.count())]
        assert shown == [None, "mueang_kk"]
    else:
        assert [c for c, rb in widget.radios.items() if not rb.isHidden()] == ["mueang_kk"]
    widget.update_context({"province": "cm"}, None)
    if widget.combo is None:
        assert [c for c, rb in widget.radios.items() if not rb.isHidden()] == ["mueang_cm"]
    db.close()


def test_a_form_installed_while_the_window_is_open_gets_its_tab(tmp_path, qtbot, ui_app):
    """A sync installs the server's forms on a worker thread's store; the window then shows them."""
    from ui import tasks
    from ui.db import Database
    from ui.mainwindow import MainWindow

    path = tmp_path / "f.db"
    open_store(path).close()
    db = Database(path)
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    window.show()
    window.start()
    tasks.wait_all(20)
    assert "group" not in window.pages and not window.new_installed_action.isVisible()

    def install(_state: object) -> None:  # as the sync does, on a worker's own connection
        store = db.store()
        installed.add(store, xlsform.read_xlsform(DATA / "group.xlsx").form, "server (sync)")
        store.save("group", {"family_name": "Smith", "age": 30}, partial_ok=True)

    failures: list[Exception] = []
    tasks.Task(install, write=True).on_failure(failures.append).start()
    tasks.wait_all(20)
    assert not failures
    assert window.take_new_forms() == ["group"]
    window.refresh()  # what the end of a sync does next
    page = window.pages["group"]
    tasks.wait_all(20)
    assert window.tabs.indexOf(page) >= 0 and page.model.rowCount() == 1
    assert window.new_installed_action.isVisible()
    assert window.take_new_forms() == []  # nothing new the second time
    window.close()
    db.close()
