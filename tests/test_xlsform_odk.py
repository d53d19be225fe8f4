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
