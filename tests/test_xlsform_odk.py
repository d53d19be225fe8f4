"""ODK and Kobo questionnaires as they are written: names in mixed case, the time, date-time,
line, area, barcode, ranking and hidden types, and the metadata rows (start, end, today,
deviceid, username), each through import, the form engine, the Store, export and import again."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from fieldapp import installed, xlsform
from fieldapp.errors import FormDefinitionError
from fieldapp.exchange.exporter import export
from fieldapp.forms.loading import Builder
from fieldapp.forms.odk_types import DATETIME_STORED
from fieldapp.store import Store
from fieldapp.xlsform.reading import XLSFormError

COLS = ["type", "name", "label::ไทย (th)", "label::English (en)", "required", "relevant", "calculation"]


def survey(path: Path, rows: list[list[Any]], choices: list[list[Any]] = (), form_id: str = "odk") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(COLS)
    for r in rows:
        ws.append(list(r) + [None] * (len(COLS) - len(r)))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::ไทย (th)", "label::English (en)"])
    for c in choices:
        ch.append(list(c))
    st = wb.create_sheet("settings")
    st.append(["form_id", "version", "form_title"])
    st.append([form_id, "1", "แบบสอบถาม"])
    wb.save(path)
    return path


def _form(fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "t",
        "version": "1",
        "title": {"th": "t", "en": "t"},
        "sections": [{"id": "s", "label": {"th": "s", "en": "s"}, "fields": fields}],
    }


def _q(fid: str, ftype: str = "integer", **more: Any) -> dict[str, Any]:
    return {"id": fid, "type": ftype, "label": {"th": fid, "en": fid}, **more}


# ---------------------------------------------------------------------- names as written


def test_mixed_case_names_are_kept_and_work_in_expressions_the_store_and_exports(tmp_path):
    path = survey(
        tmp_path / "hh.xlsx",
        [
            ["integer", "HH_size", "จำนวนสมาชิก", "Household size", "yes"],
            ["text", "memberName", "ชื่อสมาชิก", "Member name", None, "${HH_size} > 0"],
            ["calculate", "bigHH", None, None, None, None, "if(${HH_size} >= 5, 'yes', 'no')"],
        ],
    )
    report = xlsform.read_xlsform(path)
    assert report.complete, report.as_dict()
    ids = [f["id"] for f in report.form["sections"][0]["fields"]]
    assert ids == ["HH_size", "memberName", "bigHH"]
    form = Builder(report.form, "hh.xlsx", {}).build()
    data, problems = form.validate({"HH_size": 6, "memberName": "สมใจ"})
    assert problems == [] and data["bigHH"] == "yes"
    data, _ = form.validate({"HH_size": 0, "memberName": "สมใจ"})
    assert data["memberName"] is None  # not relevant: ${HH_size} is read by its own name
    again = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, again)
    assert xlsform.read_xlsform(again).form == report.form
    with Store(tmp_path / "f.db") as store:
        installed.add(store, report.form, "hh.xlsx")
        saved = store.save("odk", {"HH_size": 3, "memberName": "ดวงใจ"})
        assert store.get("odk", saved.record.id).data["HH_size"] == 3
        cols = [r[1] for r in store.conn.execute("PRAGMA table_info([odk])")]
        assert "HH_size" in cols and "memberName" in cols
        out = export(store, "odk", "csv", tmp_path / "out.csv", codes=True)
        with open(out.files[0], encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert rows[0]["HH_size"] == "3" and rows[0]["memberName"] == "ดวงใจ"


def test_two_names_differing_only_by_case_are_refused_with_a_clear_message(tmp_path):
    with pytest.raises(FormDefinitionError, match="only by letter case"):
        Builder(_form([_q("HH_size"), _q("hh_size")]), "t", {}).build()
    with pytest.raises(FormDefinitionError, match="only by letter case"):
        Builder(_form([_q("home", "geopoint"), _q("HOME_lat", "decimal")]), "t", {}).build()
    with pytest.raises(FormDefinitionError, match="reserved"):
        Builder(_form([_q("ID")]), "t", {}).build()
    path = survey(
        tmp_path / "clash.xlsx", [["integer", "HH_size", "a", "a"], ["integer", "hh_size", "b", "b"]]
    )
    with pytest.raises(XLSFormError) as caught:
        xlsform.read_xlsform(path)
    assert "rows 2 and 3" in caught.value.message_en and "differ only by letter" in caught.value.message_en
    assert "ตัวพิมพ์เล็กพิมพ์ใหญ่" in str(caught.value)


def test_a_name_with_characters_fieldapp_cannot_keep_is_renamed_and_reported(tmp_path):
    path = survey(tmp_path / "n.xlsx", [["integer", "hh-size", "a", "a"], ["integer", "ID", "b", "b"]])
    report = xlsform.read_xlsform(path)
    assert [f["id"] for f in report.form["sections"][0]["fields"]] == ["hh_size", "ID_q"]
    assert {(n.row, n.name) for n in report.partial} == {(2, "hh-size"), (3, "ID")}


# ---------------------------------------------------------------------- the types ODK brings


def _typed_form(tmp_path: Path) -> dict[str, Any]:
    path = survey(
        tmp_path / "types.xlsx",
        [
            ["start", "start"],
            ["end", "end"],
            ["today", "today"],
            ["deviceid", "deviceid"],
            ["username", "username"],
            ["phonenumber", "phonenumber"],
            ["time", "wakeUp", "ตื่นนอน", "Wake up"],
            ["time", "sleep", "เข้านอน", "Sleep", None, None],
            ["dateTime", "visitAt", "เวลาเยี่ยม", "Visit at"],
            ["geotrace", "road", "ถนนเข้าบ้าน", "Road"],
            ["geoshape", "plot", "แปลงนา", "Rice field"],
            ["barcode", "tag", "รหัสบาร์โค้ด", "Tag"],
            ["rank fruit", "fruits", "เรียงผลไม้ที่ชอบ", "Rank the fruits"],
            ["hidden", "batch", "ชุด", "Batch"],
            ["calculate", "awake", None, None, None, None, "${sleep} > ${wakeUp}"],
            [
                "calculate",
                "visitDay",
                None,
                None,
                None,
                None,
                "format-date-time(${visitAt}, '%Y-%m-%d %H:%M')",
            ],
            ["calculate", "wakeText", None, None, None, None, "format-date-time(${wakeUp}, '%H.%M')"],
            ["calculate", "first", None, None, None, None, "selected-at(${fruits}, 0)"],
        ],
        [
            ["fruit", "mango", "มะม่วง", "Mango"],
            ["fruit", "durian", "ทุเรียน", "Durian"],
            ["fruit", "lychee", "ลิ้นจี่", "Lychee"],
        ],
    )
    report = xlsform.read_xlsform(path)
    assert [(n.row, n.name) for n in report.dropped] == [(7, "phonenumber")]
    assert report.partial == []
    return report.form


def test_each_odk_type_is_checked_and_stored_in_its_own_form(tmp_path):
    form = Builder(_typed_form(tmp_path), "types.xlsx", {}).build()
    types = {f.id: f.type for f in form.fields.values()}
    assert types["wakeUp"] == "time" and types["visitAt"] == "datetime" and types["fruits"] == "rank"
    assert [types[k] for k in ("road", "plot", "tag", "batch")] == [
        "geotrace",
        "geoshape",
        "barcode",
        "hidden",
    ]
    raw = {
        "wakeUp": "5.30 น.",
        "sleep": "21:45:00",
        "visitAt": "2024-05-01T09:30:00.000+07:00",
        "road": "14.10 100.20 0 5; 14.20 100.30 0 5",
        "plot": "14.1 100.2\n14.2 100.3\n14.3 100.1".replace("\n", ";"),
        "tag": " 8850999220017 ",
        "fruits": "durian mango lychee",
        "batch": "B-7",
    }
    data, problems = form.validate(raw)
    assert problems == []
    assert data["wakeUp"] == "05:30" and data["sleep"] == "21:45"
    assert data["visitAt"] == "2024-05-01T09:30:00+07:00"
    assert data["road"] == "14.1 100.2 0 5;14.2 100.3 0 5"
    assert data["plot"] == "14.1 100.2;14.2 100.3;14.3 100.1;14.1 100.2"  # an area is closed
    assert data["tag"] == "8850999220017" and data["fruits"] == ["durian", "mango", "lychee"]
    assert data["awake"] == "true"  # times compare as times of day
    assert data["visitDay"] == "2024-05-01 09:30" and data["wakeText"] == "05.30"
    assert data["first"] == "durian"  # a ranking reads as its codes in order, as in ODK
    bad = {
        "wakeUp": "25:10",
        "visitAt": "2024-02-30 10:00",
        "road": "14.1 100.2",
        "plot": "14.1 100.2;14.2 100.3",
        "fruits": "mango mango",
    }
    _, problems = form.validate(bad)
    assert {p.path: p.code for p in problems} == {
        "wakeUp": "time",
        "visitAt": "datetime",
        "road": "geo",
        "plot": "geo",
        "fruits": "choice",
    }
    _, problems = form.validate({"fruits": ["mango", "banana"]})
    assert [p.code for p in problems] == ["choice"]
    _, problems = form.validate({"road": "14.1 100.2;91 100.3"})
    assert [p.message_en[:13] for p in problems] == ["Road: point 2"]


def test_points_typed_with_decimal_commas_are_told_the_format_not_outside_thailand():
    from fieldapp.errors import ValidationError
    from fieldapp.forms.types import coerce_geopoint, coerce_points

    for closed, text in ((False, "14,89 103,50;14,90 103,51"), (True, "14,89 103,50;14,90 103,51;14,91 103,49")):
        with pytest.raises(ValidationError) as exc:
            coerce_points(text, closed=closed)
        assert exc.value.message == "จุดที่ 1: ใช้จุดทศนิยม (.) ไม่ใช่จุลภาค (,) เช่น 14.89 103.50"
        assert exc.value.message_en == "point 1: use a decimal point (.), not a comma (,), e.g. 14.89 103.50"
    with pytest.raises(ValidationError) as exc:  # the second point only
        coerce_points("14.89 103.50;14,90 103,51", closed=False)
    assert exc.value.message.startswith("จุดที่ 2: ใช้จุดทศนิยม")
    with pytest.raises(ValidationError) as exc:
        coerce_geopoint("14,89 103,50")
    assert "จุลภาค" in exc.value.message and "outside" not in exc.value.message_en
    # a comma between latitude and longitude is still read as ever, and so are points far away
    assert coerce_points("14.89,103.50;14.90,103.51", closed=False) == "14.89 103.5;14.9 103.51"
    assert coerce_geopoint("14.89,103.50") == {"lat": 14.89, "lon": 103.5}
    with pytest.raises(ValidationError) as exc:
        coerce_points("51,5 0,12;51,6 0,13", closed=False)  # London with commas: not Thailand anyway
    assert "นอกประเทศไทย" in exc.value.message


def test_a_record_of_the_odk_types_goes_through_the_store_export_and_a_second_import(tmp_path):
    raw_form = _typed_form(tmp_path)
    again = tmp_path / "again.xlsx"
    xlsform.write_xlsform(raw_form, {}, again)
    assert xlsform.read_xlsform(again).form == raw_form
    from openpyxl import load_workbook

    types = [r[0] for r in load_workbook(again)["survey"].iter_rows(values_only=True)]
    assert {"start", "end", "today", "deviceid", "username", "dateTime", "rank fruit", "hidden"} <= set(types)
    with Store(tmp_path / "f.db", user="somchai") as store:
        installed.add(store, raw_form, "types.xlsx")
        saved = store.save(
            "odk",
            {
                "wakeUp": "06:00",
                "visitAt": "2024-05-01 09:30+07:00",
                "fruits": ["lychee", "mango"],
                "batch": "B",
            },
        )
        got = store.get("odk", saved.record.id).data
        assert got["fruits"] == ["lychee", "mango"] and got["visitAt"] == "2024-05-01T09:30:00+07:00"
        # the metadata is filled by the app: the device, the user, when
        assert got["deviceid"] == store.device_id and got["username"] == "somchai"
        assert got["start"] == got["end"] and got["today"] == got["start"][:10]
        out = export(store, "odk", "csv", tmp_path / "out.csv", codes=True)
        with open(out.files[0], encoding="utf-8-sig") as fh:
            row = next(csv.DictReader(fh))
        assert (
            row["fruits"] == "lychee; mango"
            and row["wakeUp"] == "06:00"
            and row["deviceid"] == store.device_id
        )


def test_metadata_start_is_kept_and_end_moves_on_each_save(tmp_path):
    import datetime as dt

    from fieldapp.forms import metadata

    form = Builder(_typed_form(tmp_path), "types.xlsx", {}).build()
    opened = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    data = metadata.on_open(form, {}, now=opened)
    assert data == {"start": "2024-05-01T09:00:00+07:00", "today": "2024-05-01"}
    saved = metadata.on_save(
        form, data, device_id="laptop-1", user="ann", now=opened + dt.timedelta(minutes=25)
    )
    assert saved["start"] == "2024-05-01T09:00:00+07:00" and saved["end"] == "2024-05-01T09:25:00+07:00"
    assert saved["deviceid"] == "laptop-1" and saved["username"] == "ann"
    later = metadata.on_save(form, saved, device_id="laptop-2", user="bee", now=opened + dt.timedelta(days=1))
    assert (
        later["end"].startswith("2024-05-02")
        and later["deviceid"] == "laptop-1"
        and later["username"] == "ann"
    )
    with pytest.raises(FormDefinitionError, match="meta is for hidden"):
        Builder(_form([_q("when", "text", meta="start")]), "t", {}).build()


def test_the_editor_has_a_widget_for_each_odk_type_and_never_shows_a_hidden_one(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets import odk
    from ui.widgets.registry import EditorContext

    raw_form = _typed_form(tmp_path)
    form = installed.build(raw_form, "types.xlsx")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    editor = FormEditor(EditorContext(db=db, form=form))
    qtbot.addWidget(editor)
    panel = editor.panel(0)
    editor.recheck()
    assert editor._values.get("start") and editor._values.get("today")  # filled on opening
    widgets = {fid: row.widget for fid, row in panel.rows.items()}
    assert isinstance(widgets["wakeUp"], odk.TimeWidget) and isinstance(
        widgets["visitAt"], odk.DateTimeWidget
    )
    assert isinstance(widgets["road"], odk.PointsWidget) and isinstance(widgets["tag"], odk.BarcodeWidget)
    assert isinstance(widgets["fruits"], odk.RankWidget) and isinstance(widgets["batch"], odk.HiddenWidget)
    for hidden in ("start", "end", "today", "deviceid", "username", "batch"):
        assert hidden not in panel.visible_ids()
    assert "wakeUp" in panel.visible_ids()
    editor.review.show_record(editor.doc, [], {}, str)
    shown = []
    root = editor.review.tree.invisibleRootItem()
    stack = [root.child(i) for i in range(root.childCount())]
    while stack:
        item = stack.pop()
        shown.append(item.text(0))
        stack += [item.child(i) for i in range(item.childCount())]
    assert "ตื่นนอน" in shown and not {"เวลาเริ่มสัมภาษณ์", "รหัสเครื่อง", "ชุด"} & set(shown)
    time_w = widgets["wakeUp"]
    time_w.edit.setText("7:61")
    assert time_w.local_problem() is not None
    time_w.edit.setText("07:15")
    assert (
        time_w.local_problem() is None and form.validate({"wakeUp": time_w.value()})[0]["wakeUp"] == "07:15"
    )
    when = widgets["visitAt"]
    when.set_value("2024-05-01T09:30:00+07:00")
    assert when.value() == "2024-05-01T09:30+07:00"
    assert form.validate({"visitAt": when.value()})[0]["visitAt"] == "2024-05-01T09:30:00+07:00"
    road = widgets["road"]
    road.edit.setPlainText("14.1 100.2")
    assert road.local_problem() is not None
    road.edit.setPlainText("14.1 100.2\n14.2 100.3")
    assert road.local_problem() is None and road.value() == "14.1 100.2;14.2 100.3"
    rank = widgets["fruits"]
    assert rank.value() is None  # not ranked yet
    rank.list.setCurrentRow(2)
    rank.move_item(-1)
    rank.move_item(-1)
    assert rank.value() == ["lychee", "mango", "durian"]
    rank.set_value(["durian"])
    assert rank.codes() == ["durian", "mango", "lychee"]
    editor.close()
    db.close()


# ---------------------------------------------------------------------- public questionnaires

DATA = Path(__file__).parent / "data" / "xlsform"


def test_the_xlsform_specification_form_in_two_languages_with_every_type_and_metadata(tmp_path):
    report = xlsform.read_xlsform(DATA / "xlsform_spec_test.xlsx")
    dropped = {n.name: n.reason for n in report.dropped}
    assert set(dropped) == {"phonenumber", "reserved_name_for_field_list_labels_25"}
    assert "no phone number" in dropped["phonenumber"]
    assert all(n.row is not None for n in report.partial)  # each said by its sheet row
    form = Builder(report.form, "xlsform_spec_test.xlsx", {}).build()
    kinds = {f.id: (f.type, f.meta) for f in form.fields.values()}
    assert kinds["time_test"] == ("time", None) and kinds["datetime_test"] == ("datetime", None)
    assert kinds["barcode_test"] == ("barcode", None) and kinds["FALSE"] == (
        "text",
        None,
    )  # a name as written
    assert {fid: meta for fid, (t, meta) in kinds.items() if meta} == {
        "start": "start",
        "end": "end",
        "today": "today",
        "deviceid": "deviceid",
        "uri_deviceid": "deviceid",
    }
    assert form.fields["address"].label["zh"] == "您好"  # label::chinese
    assert form.fields["repeat_test"].type == "repeat"
    record = {
        "skip_to_end": "no",
        "my_name": "Somchai",
        "a_integer": 5,
        "a_decimal": 4.5,
        "repeat_test": [{"required_text": "x", "select_multiple_test": ["yes"], "list_nolabel_test": "no"}]
        * 2,
        "time_test": "07:05",
        "datetime_test": "2024-05-01 07:05",
        "barcode_test": "ABC-123",
        "FALSE": "f",
    }
    data, problems = form.validate(record)
    assert problems == []
    assert data["calculate_test"] == "4" and data["time_test"] == "07:05"
    _, problems = form.validate({**record, "a_decimal": 6.5})  # constraint . <= ${a_integer}
    assert [p.path for p in problems] == ["a_decimal"]
    rows = [{"required_text": "x", "select_multiple_test": ["yes", "no"], "list_nolabel_test": "no"}] * 2
    _, problems = form.validate({**record, "repeat_test": rows})  # its message shows ${my_name}
    assert [p.message_en for p in problems] == [
        "select multiple test: Sorry Somchai, you can't select yes and no."
    ] * 2
    with Store(tmp_path / "f.db", user="ann") as store:
        installed.add(store, report.form, "xlsform_spec_test.xlsx")
        saved = store.save(form.id, record)
        got = store.get(form.id, saved.record.id).data
        assert got["deviceid"] == got["uri_deviceid"] == store.device_id and got["start"]
    again = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, again)
    assert xlsform.read_xlsform(again).form == report.form


def test_the_widgets_form_carries_its_time_barcode_and_date_time_questions():
    report = xlsform.read_xlsform(DATA / "widgets.xls")
    assert [n.row for n in report.dropped] == [None, None]  # the table-lists' header rows only
    form = Builder(report.form, "widgets.xls", {}).build()
    assert [form.fields[k].type for k in ("my_time", "my_barcode", "dateTime", "my_string")] == [
        "time",
        "barcode",
        "datetime",
        "text",
    ]
    data, problems = form.validate({"my_time": "23:59:59", "dateTime": "2024-12-31T23:59:59Z"})
    assert (
        problems == [] and data["my_time"] == "23:59:59" and data["dateTime"] == "2024-12-31T23:59:59+00:00"
    )


def test_metadata_reads_as_dates_and_times_in_expressions_as_in_odk():
    form = Builder(
        _form(
            [
                _q("start", "hidden", meta="start"),
                _q("end", "hidden", meta="end"),
                _q("today", "hidden", meta="today"),
                _q("plot", "geoshape"),
                _q(
                    "minutes",
                    "calculated",
                    result="decimal",
                    calculation="round((${end} - ${start}) * 1440, 1)",
                ),
                _q("m2", "calculated", result="decimal", calculation="round(area(${plot}), 0)"),
                _q("day", "calculated", result="text", calculation="format-date(${today}, '%d/%m/%Y')"),
            ]
        ),
        "t",
        {},
    ).build()
    data, problems = form.validate(
        {
            "start": "2024-05-01T09:00:00+07:00",
            "end": "2024-05-01T09:25:30+07:00",
            "today": "2024-05-01",
            "plot": "14.0 100.0;14.0 100.001;14.001 100.001",
        }
    )
    assert problems == []
    assert data["minutes"] == 25.5 and data["day"] == "01/05/2024"
    assert 5900 < data["m2"] < 6100  # half of a square of about 110 m by 108 m


@pytest.mark.parametrize("codes", [True, False], ids=["codes", "words"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_records_of_the_odk_types_export_and_import_again_unchanged(tmp_path, fmt, codes):
    from fieldapp.exchange.importer import run_import

    raw_form = _typed_form(tmp_path)
    with Store(tmp_path / "a.db", user="ann") as store:
        installed.add(store, raw_form, "types.xlsx")
        saved = store.save(
            "odk",
            {
                "wakeUp": "06:00",
                "sleep": "22:15:30",
                "visitAt": "2024-05-01 09:30+07:00",  # in words: 1 พ.ค. 2567 09:30 น., with its zone
                "road": "14.1 100.2;14.2 100.3",
                "plot": "14.1 100.2;14.2 100.3;14.3 100.1",
                "tag": "885",
                "fruits": ["lychee", "mango"],
                "batch": "B",
            },
        )
        original = store.get("odk", saved.record.id).data
        out = export(store, "odk", fmt, tmp_path / f"out.{fmt}", codes=codes)
    with Store(tmp_path / "b.db", user="bee") as other:
        installed.add(other, raw_form, "types.xlsx")
        report = run_import(other, out.files[0], form_id="odk")
        assert report.created == 1 and report.problems == []
        # the metadata comes as it was (made by ann on her laptop), not filled again
        assert other.get("odk", saved.record.id).data == original


def test_the_editors_save_fills_the_metadata_and_keeps_start(tmp_path):
    raw_form = _typed_form(tmp_path)
    with Store(tmp_path / "a.db", user="ann") as store:
        installed.add(store, raw_form, "types.xlsx")
        opened = {"start": "2024-05-01T09:00:00+07:00", "today": "2024-05-01", "tag": "1"}
        first = store.save_from_editor(store.check_record("odk", opened))
        got = store.get("odk", first.record.id).data
        assert got["start"] == opened["start"] and got["today"] == "2024-05-01"
        assert DATETIME_STORED.fullmatch(got["end"]) and got["deviceid"] == store.device_id
        assert got["username"] == "ann"
        again = store.save_from_editor(
            store.check_record("odk", {**got, "tag": "2"}), record_id=first.record.id, user="bee"
        )
        later = store.get("odk", again.record.id).data
        assert later["username"] == "ann" and later["start"] == opened["start"] and later["end"] >= got["end"]


def test_a_questionnaire_of_odk_types_and_mixed_case_names_syncs_between_laptops(db_url, tmp_path):
    from test_sync_forms import Env

    from fieldapp.forms import default_forms
    from server import forms as server_forms

    path = survey(
        tmp_path / "visit.xlsx",
        [
            ["start", "start"],
            ["deviceid", "deviceid"],
            ["username", "username"],
            ["text", "HH_head", "หัวหน้า", "Head", "yes"],
            ["integer", "HH_size", "สมาชิก", "Size"],
            ["time", "arrivedAt", "เวลามาถึง", "Arrived at"],
            ["dateTime", "visitAt", "วันเวลาเยี่ยม", "Visit at"],
            ["geoshape", "homePlot", "ที่ดิน", "Plot"],
            ["rank need", "needs", "ความต้องการ", "Needs"],
            ["calculate", "big", None, None, None, None, "if(${HH_size} >= 5, 'yes', 'no')"],
        ],
        [["need", "water", "น้ำ", "Water"], ["need", "road", "ถนน", "Road"], ["need", "job", "งาน", "Jobs"]],
        form_id="odk_visit",
    )
    raw_form = xlsform.read_xlsform(path).form
    raw_form["sections"][0]["fields"].append(
        {"id": "subdistrict_code", "type": "subdistrict", "label": {"th": "ตำบล", "en": "Subdistrict"}}
    )
    raw_form["area_field"] = "subdistrict_code"
    env = Env(db_url, tmp_path)
    try:
        server_forms.install(env.engine, default_forms(), raw_form, "visit.xlsx", "admin")
        env.app.state.service.registry.invalidate()
        a, b = env.laptop("a"), env.laptop("b")
        env.sync(a)
        saved = a.save(
            "odk_visit",
            {
                "HH_head": "สมศรี",
                "HH_size": 6,
                "arrivedAt": "9.15 น.",
                "visitAt": "2024-05-01T09:15:00+07:00",
                "homePlot": "14.1 100.2;14.2 100.3;14.3 100.1",
                "needs": "water job road",
                "subdistrict_code": "320101",
            },
        )
        report = env.sync(a)
        assert report.applied == 1 and not report.set_aside
        env.sync(b)
        got = b.get("odk_visit", saved.record.id).data
        assert got == a.get("odk_visit", saved.record.id).data
        assert (
            got["needs"] == ["water", "job", "road"] and got["big"] == "yes" and got["arrivedAt"] == "09:15"
        )
        assert got["deviceid"] == a.device_id and got["username"] == "a"  # made on a, kept on b
    finally:
        for s in env.stores:
            s.close()
        env.engine.dispose()


def test_a_field_survey_with_nested_repeats_files_of_choices_and_swahili(tmp_path):
    """UCL's biomass plot form, used in the field in Tanzania (pyxform's examples): plots, trees
    with their stems counted by the tree's stem count, stumps, regeneration subplots; English and
    Swahili; cascades from CSV files; mixed-case names; start, end and deviceid."""
    report = xlsform.read_xlsform(DATA / "UCL_Biomass_Plot_Form.xlsx")
    partial = {n.name: n.reason for n in report.partial}
    assert partial["region_id"].startswith("the choices come from the file UCL_regions.csv")
    assert partial["center_image"] == "parameters are not carried: max-pixels=3840"
    assert [n.name for n in report.dropped] == ["tree_photo"]  # a photo in a repeat inside a repeat
    assert all(n.row for n in [*report.partial, *report.dropped])  # each by its sheet row
    form = Builder(report.form, "UCL_Biomass_Plot_Form.xlsx", {}).build()
    assert form.fields["start"].meta == "start" and form.fields["deviceid"].meta == "deviceid"
    assert form.fields["leader_name"].label["sw"] and form.choice_lists["yes_no"][0].extra == {"sw": "Ndiyo"}
    stems = form.field_at("trees.stems")
    assert stems.type == "repeat" and stems.repeat_count is not None
    assert form.field_at("subplot1.Seedling_1").type == "integer"  # a name as written
    stem = {"cbh": 40, "health_id": "alive", "stem_height": 6.5}
    tree = {
        "tag": 17,
        "latin_name_id": "Brachystegia",
        "tree_bearing": 90,
        "tree_distance": 3.2,
        "stem_count": 2,
    }
    record = {
        "leader_name": "other",
        "leader_name_other": "Neema",
        "leader_number": "075 412 3456",
        "region_id": "Morogoro",
        "district_id": "Kilosa",
        "village": "Ulaya",
        "plant_phase": "2023",
        "plot_id": "P-12",
        "canopy_cover": 40,
        "center_point": "7.0 100.5",  # inside Thailand, as every geopoint here
        "monumented": "yes",
        "slope": 10,
        "any_trees": "yes",
        "trees": [{**tree, "stems": [stem, {**stem, "health_id": "dead", "decay_class": "2"}]}],
        "stumps_in_plot": "no",
        "regen_in_subplot1": "yes",
        "subplot1": [{"latin_name_id_sp1": "Julbernardia", "Seedling_1": 3, "Coppice_1": 0, "Sucker_1": 1}],
        "regen_in_subplot2": "no",
        "disturbance": ["burning", "grazing"],
    }
    data, problems = form.validate(record)
    assert problems == []
    assert data["slope_radius"] == "15.04" and data["trees"][0]["plot_id1"] == "P-12"
    assert data["trees"][0]["size_constraint"] == "6"  # a row's calculation reads the plot's radius
    far = {**tree, "tree_distance": 8.0, "stems": [{**stem, "cbh": 10}, stem]}  # past the inner circle
    _, problems = form.validate({**record, "trees": [far]})
    assert [p.message_en for p in problems] == [
        "Circumference at 1.3 m (cm): Minimum circumference for this part of the plot is 15 cm."
    ]
    _, problems = form.validate({**record, "trees": [{**tree, "stems": [stem]}]})  # 2 stems counted
    assert [p.code for p in problems] == ["repeat.count"]
    _, problems = form.validate({**record, "leader_number": "12"})
    assert [p.path for p in problems] == ["leader_number"]
    with Store(tmp_path / "f.db", user="neema") as store:
        installed.add(store, report.form, "UCL_Biomass_Plot_Form.xlsx")
        saved = store.save(form.id, record)
        got = store.get(form.id, saved.record.id).data
        assert got["trees"][0]["stems"][1]["decay_class"] == "2" and got["deviceid"] == store.device_id


def test_choices_from_a_csv_file_that_comes_with_the_form_are_carried_with_their_cascade(tmp_path):
    rows = [
        ["select_one_from_file regions.csv", "region", "ภาค", "Region"],
        ["select_one_from_file provinces.csv", "province", "จังหวัด", "Province"],
        ["select_one_from_file crops.csv", "crop", "พืช", "Crop"],  # not beside the form
    ]
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append([*COLS, "choice_filter"])
    for r in rows:
        ws.append(r + [None] * (len(COLS) - len(r)) + (["region=${region}"] if r[1] == "province" else []))
    st = wb.create_sheet("settings")
    st.append(["form_id", "version"])
    st.append(["from_files", "1"])
    wb.save(tmp_path / "f.xlsx")
    (tmp_path / "regions.csv").write_text(
        "name,label::ไทย (th),label::English (en)\nne,อีสาน,Northeast\nn,เหนือ,North\n", encoding="utf-8"
    )
    media = tmp_path / "f-media"  # ODK's place for the files of a form
    media.mkdir()
    (media / "provinces.csv").write_text(
        "name,label,region\nkk,ขอนแก่น,ne\nud,อุดรธานี,ne\ncm,เชียงใหม่,n\n", encoding="utf-8"
    )
    report = xlsform.read_xlsform(tmp_path / "f.xlsx")
    assert [(n.row, n.name) for n in report.partial] == [(4, "crop")]
    assert "not found beside the form" in report.partial[0].reason
    form = Builder(report.form, "f.xlsx", {}).build()
    assert form.fields["region"].choice_label("ne", "en") == "Northeast"
    assert form.allowed_codes(form.fields["province"], {"region": "ne"}) == {"kk", "ud"}
    _, problems = form.validate({"region": "n", "province": "kk"})
    assert [(p.path, p.code) for p in problems] == [("province", "choice")]
    data, problems = form.validate({"region": "n", "province": "cm", "crop": "rice"})
    assert problems == [] and data["crop"] == "rice"
    again = tmp_path / "again" / "f.xlsx"  # the lists now travel in the choices sheet
    again.parent.mkdir()
    xlsform.write_xlsform(report.form, {}, again)
    assert xlsform.read_xlsform(again).form == report.form


def test_a_rows_calculation_reads_a_form_calculation_unless_that_one_reads_the_rows():
    rows = _q(
        "trees",
        "repeat",
        fields=[
            _q("d", "decimal"),
            _q("far", "calculated", result="boolean", calculation="${d} > ${radius}"),
        ],
    )
    form = Builder(
        _form(
            [
                _q("slope", "integer"),
                _q(
                    "radius", "calculated", result="decimal", calculation="15 div cos(atan(${slope} div 100))"
                ),
                rows,
                _q("n_far", "calculated", result="integer", calculation="count(${far}[. = true()])"),
            ]
        ),
        "t",
        {},
    ).build()
    data, problems = form.validate({"slope": 0, "trees": [{"d": 20.0}, {"d": 3.0}]})
    assert problems == [] and [r["far"] for r in data["trees"]] == [True, False] and data["n_far"] == 1
    circular = _q(
        "trees",
        "repeat",
        fields=[_q("d", "decimal"), _q("big", "calculated", result="boolean", calculation="${d} > ${mean}")],
    )
    with pytest.raises(FormDefinitionError, match="reads the repeats' rows"):
        Builder(
            _form(
                [
                    circular,
                    _q("mean", "calculated", result="decimal", calculation="sum(${d}) div count(${d})"),
                ]
            ),
            "t",
            {},
        ).build()


def test_two_choice_lists_differing_only_by_case_stay_two_lists(tmp_path):
    path = survey(
        tmp_path / "l.xlsx",
        [["select_one Answer", "a", "ก", "A"], ["select_one answer", "b", "ข", "B"]],
        [["Answer", "y", "ใช่", "Yes"], ["answer", "n", "ไม่", "No"]],
    )
    report = xlsform.read_xlsform(path)
    form = Builder(report.form, "l.xlsx", {}).build()
    assert form.fields["a"].codes == {"y"} and form.fields["b"].codes == {"n"}
    again = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, again)
    assert xlsform.read_xlsform(again).form == report.form
