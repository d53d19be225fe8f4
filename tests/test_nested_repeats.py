"""A repeat inside a repeat (plots of a farm, the crops of each plot): imported from an XLSForm,
checked with the outer row's answers in reach, stored with the outer row, edited, printed,
exported and imported again, anonymised, and checked again by the server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from fieldapp import installed, rights, xlsform
from fieldapp.errors import FormDefinitionError, ValidationError
from fieldapp.forms.loading import Builder
from fieldapp.store import Store
from tests.test_xlsform_features import write_xlsform


def farm_survey(path: Path) -> Path:
    return write_xlsform(
        path,
        [
            ["text", "village", "หมู่บ้าน", "Village"],
            ["begin repeat", "plot", "แปลง", "Plot"],
            ["decimal", "rai", "ไร่", "Rai"],
            ["integer", "n_crops", "จำนวนพืช", "Crops"],
            [
                "begin repeat",
                "crop",
                "พืชในแปลง ${rai} ไร่",
                "Crops",
                None,
                None,
                None,
                "${rai} > 0",
                None,
                "${n_crops}",
            ],
            ["text", "crop_name", "พืช", "Crop", None, None, "yes"],
            ["integer", "share", "ร้อยละของแปลง", "Share", None, None, None, "${rai} > 1"],
            ["calculate", "crop_no", None, None, None, None, None, None, "position(..)"],
            ["image", "crop_photo", "รูปพืช", "Photo"],
            ["end repeat"],
            ["calculate", "share_total", None, None, None, None, None, None, "sum(${share})"],
            ["end repeat"],
            ["calculate", "all_crops", None, None, None, None, None, None, "count(${crop_name})"],
            [
                "calculate",
                "first_crop_of_plot_2",
                None,
                None,
                None,
                None,
                None,
                None,
                "indexed-repeat(${crop_name}, ${plot}, 2, ${crop}, 1)",
            ],
        ],
        form_id="farm",
    )


FARM = {
    "village": "บ้านดง",
    "plot": [
        {
            "rai": 2,
            "n_crops": 2,
            "crop": [{"crop_name": "ข้าว", "share": 60}, {"crop_name": "อ้อย", "share": 40}],
        },
        {"rai": 0.5, "n_crops": 1, "crop": [{"crop_name": "มันสำปะหลัง", "share": 100}]},
    ],
}


def test_an_xlsform_with_rows_within_rows_imports_checks_and_exports(tmp_path):
    report = xlsform.read_xlsform(farm_survey(tmp_path / "farm.xlsx"))
    # a photo inside the inner rows has no place to be synced from: reported, the rest comes
    assert [(n.row, n.name) for n in report.dropped] == [(10, "crop_photo")]
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
    form = Builder(report.form, "farm.xlsx", {}).build()
    doc, problems = form.validate(FARM)
    assert problems == []
    first, second = doc["plot"]
    assert [c["crop_no"] for c in first["crop"]] == ["1", "2"]  # position(..) within its plot
    assert first["share_total"] == "100" and doc["all_crops"] == "3"
    assert doc["first_crop_of_plot_2"] == "มันสำปะหลัง"  # indexed-repeat through both levels
    assert second["crop"][0]["share"] is None  # not relevant on a plot of half a rai: cleared
    assert form.label_texts(form.field_at("plot.crop"), doc, second)["th"] == "พืชในแปลง 0.5 ไร่"
    bad = {"plot": [{"rai": 3, "n_crops": 2, "crop": [{"crop_name": None, "share": 10}]}]}
    _, problems = form.validate(bad)
    assert sorted((p.path, p.code) for p in problems) == [
        ("plot[1].crop", "repeat.count"),  # the count is the plot's own answer
        ("plot[1].crop[1].crop_name", "required"),
    ]
    # no crops on a plot of no land: the inner rows are cleared with the relevance
    doc, _ = form.validate({"plot": [{"rai": 0, "crop": [{"crop_name": "ข้าว"}]}]}, partial_ok=True)
    assert doc["plot"][0]["crop"] == []


def test_rows_within_rows_are_stored_printed_exported_and_anonymised(tmp_path, capsys):
    import shutil
    import subprocess

    from fieldapp import cli

    report = xlsform.read_xlsform(farm_survey(tmp_path / "farm.xlsx"))
    db = tmp_path / "f.db"
    with Store(db) as store:
        installed.add(store, report.form, "farm.xlsx")
        rid = store.save("farm", FARM).record.id
        got = store.get("farm", rid).data
        assert [c["crop_name"] for c in got["plot"][0]["crop"]] == ["ข้าว", "อ้อย"]
        row_ids = [c["id"] for c in got["plot"][0]["crop"]]
        got["plot"][0]["crop"][0]["crop_name"] = "ข้าวเหนียว"
        store.save("farm", got, record_id=rid)
        again = store.get("farm", rid).data
        assert again["plot"][0]["crop"][0]["crop_name"] == "ข้าวเหนียว"
        assert [c["id"] for c in again["plot"][0]["crop"]] == row_ids  # inner rows keep their ids
        with pytest.raises(ValidationError):
            store.save(
                "farm", {"plot": [{"rai": 1, "n_crops": 1, "crop": [{"crop_name": "x"}, {"crop_name": "y"}]}]}
            )
        from fieldapp.forms import shown

        assert shown(store.form("farm").field_at("plot.crop"), again["plot"][0]["crop"]) == "2 รายการ"
        anon = rights.anonymise_doc(store.form("farm"), again)
        assert anon["plot"][0]["crop"][0]["crop_name"] is None and anon["plot"][0]["rai"] == 2.0
    out = tmp_path / "farm.csv"
    assert cli.main(["--db", str(db), "export", "farm", "-o", str(out)]) == 0
    capsys.readouterr()
    assert cli.main(["--db", str(db), "import", "--form", "farm", str(out)]) == 0
    assert "1 unchanged, 0 with problems" in capsys.readouterr().out
    if shutil.which("pdftotext"):
        pdf = tmp_path / "farm.pdf"
        assert cli.main(["--db", str(db), "report", "record", "farm", rid, "-o", str(pdf)]) == 0
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "พืชในแปลง 2 ไร่ (แปลง ที่ 1) (2 รายการ)" in text and "ข้าวเหนียว" in text
        assert "พืชในแปลง 0.5 ไร่ (แปลง ที่ 2) (1 รายการ)" in text


def test_a_definition_may_not_go_three_levels_deep_or_put_files_inside_inner_rows():
    def form(inner: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "t",
            "version": "1",
            "title": {"th": "t", "en": "t"},
            "sections": [
                {
                    "id": "s",
                    "label": {"th": "s", "en": "s"},
                    "fields": [
                        {
                            "id": "a",
                            "type": "repeat",
                            "label": {"th": "a", "en": "a"},
                            "fields": [
                                {
                                    "id": "b",
                                    "type": "repeat",
                                    "label": {"th": "b", "en": "b"},
                                    "fields": [inner],
                                }
                            ],
                        }
                    ],
                }
            ],
        }

    deeper = {"id": "c", "type": "repeat", "label": {"th": "c", "en": "c"}, "fields": []}
    with pytest.raises(FormDefinitionError, match="cannot hold another repeat"):
        Builder(form(deeper), "t.yaml", {}).build()
    with pytest.raises(FormDefinitionError, match="a photo, a file or a sensitive answer"):
        Builder(form({"id": "p", "type": "audio", "label": {"th": "p", "en": "p"}}), "t.yaml", {}).build()


def test_the_editor_fills_rows_within_a_row(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    form = installed.build(xlsform.read_xlsform(farm_survey(tmp_path / "farm.xlsx")).form, "farm.xlsx")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    editor = FormEditor(EditorContext(db=db, form=form), None)
    qtbot.addWidget(editor)
    plots = editor.widget("plot")
    plots.add_row()
    plot = plots.panel
    plot.widget("rai").set_value(2)
    plot.changed.emit("rai")
    plot.widget("n_crops").set_value(2)
    plot.changed.emit("n_crops")
    editor.recheck()
    crops = plot.widget("crop")
    assert len(crops.rows) == 2 and crops.add_button.isHidden()  # the plot's count made them
    crops.list.setCurrentRow(0)
    crops.panel.widget("crop_name").set_value("ข้าว")
    crops.panel.changed.emit("crop_name")
    editor.recheck()
    assert editor.doc["plot"][0]["crop"][0]["crop_name"] == "ข้าว"
    assert editor.doc["plot"][0]["crop"][1]["crop_no"] == "2"
    assert not crops.panel.rows["share"].isHidden()  # two rai: the share is asked
    assert [(p.path, p.code) for p in form.validate(editor.raw())[1]] == [
        ("plot[1].crop[2].crop_name", "required")
    ]
    editor.go_to_problem("plot[1].crop[2].crop_name")  # from the review: to the inner row's question
    assert crops.list.currentRow() == 1
    plot.widget("rai").set_value(0.5)
    plot.changed.emit("rai")
    editor.recheck()
    assert crops.panel.rows["share"].isHidden()  # the outer row's answer decides
    editor.close()
    db.close()


def test_the_server_checks_rows_within_rows(db_url, tmp_path):
    import requests
    from test_sync_forms import PASSWORD, Env

    from fieldapp.forms import default_forms
    from fieldapp.sync import protocol as P
    from server import forms as server_forms

    raw = xlsform.read_xlsform(farm_survey(tmp_path / "farm.xlsx")).form
    raw["area_field"] = "subdistrict_code"
    raw["sections"][0]["fields"].insert(
        0, {"id": "subdistrict_code", "type": "subdistrict", "label": {"th": "ตำบล", "en": "Subdistrict"}}
    )
    env = Env(db_url, tmp_path)
    try:
        server_forms.install(env.engine, default_forms(), raw, "farm.xlsx", "admin")
        env.app.state.service.registry.invalidate()
        s = requests.Session()
        head = {P.PROTOCOL_HEADER: str(P.PROTOCOL_VERSION)}
        token = s.post(env.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}, headers=head)
        headers = {"Authorization": f"Bearer {token.json()['token']}", **head}

        def push(data: dict[str, Any]) -> dict[str, Any]:
            change = P.Change(
                str(uuid.uuid4()), "farm", str(uuid.uuid4()), None, {"subdistrict_code": "320101", **data}
            )
            body = {"device_id": "dev-1", "changes": [change.to_json()]}
            return s.post(env.url + P.Paths.PUSH, json=body, headers=headers).json()["results"][0]

        assert push(FARM)["status"] == "applied"
        refused = push({"plot": [{"rai": 1, "n_crops": 1, "crop": [{"crop_name": "x"}, {"crop_name": "y"}]}]})
        assert refused["status"] == "rejected" and "plot[1].crop" in str(refused)
    finally:
        env.engine.dispose()
