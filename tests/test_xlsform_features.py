"""XLSForm features beyond flat questions: answers in labels and hints (``${name}``),
``repeat_count``, acknowledgements and media questions, each through import, the form engine,
the Store and the editor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from fieldapp import installed, xlsform
from fieldapp.forms.loading import Builder
from fieldapp.store import Store

SURVEY_COLS = [
    "type",
    "name",
    "label::ไทย (th)",
    "label::English (en)",
    "hint::ไทย (th)",
    "hint::English (en)",
    "required",
    "relevant",
    "calculation",
    "repeat_count",
]


def write_xlsform(
    path: Path, rows: list[list[Any]], choices: list[list[Any]] = (), form_id: str = "roster"
) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(SURVEY_COLS)
    for r in rows:
        ws.append(list(r) + [None] * (len(SURVEY_COLS) - len(r)))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::ไทย (th)", "label::English (en)"])
    for c in choices:
        ch.append(list(c))
    st = wb.create_sheet("settings")
    st.append(["form_id", "version", "form_title"])
    st.append([form_id, "1", "ทะเบียนสมาชิก"])
    wb.save(path)
    return path


def piped_survey(path: Path) -> Path:
    """A household roster whose questions name earlier answers, as real surveys write them."""
    return write_xlsform(
        path,
        [
            ["text", "head", "ชื่อหัวหน้าครัวเรือน", "Head of household", None, None, "yes"],
            ["date", "visit", "วันที่เยี่ยม", "Visit date"],
            ["select_one tenure", "tenure", "การถือครองบ้าน", "Tenure"],
            [
                "note",
                "welcome",
                "บ้านของ ${head} เยี่ยมเมื่อ ${visit}",
                "The home of ${head}, visited ${visit}",
                "ถือครองแบบ ${tenure}",
                "tenure: ${tenure}",
            ],
            ["begin repeat", "member", "สมาชิก", "Member"],
            ["text", "name", "ชื่อ", "Name", None, None, "yes"],
            ["integer", "age", "${name} อายุเท่าไร", "How old is ${name}?", "หัวหน้าคือ ${head}", "head: ${head}"],
            ["calculate", "older", None, None, None, None, None, None, "${age} + 1"],
            ["note", "next_year", "ปีหน้า ${name} อายุ ${older} ปี", "Next year ${name} is ${older}"],
            ["end repeat"],
        ],
        [["tenure", "own", "เป็นเจ้าของ", "Owner"], ["tenure", "rent", "เช่า", "Renting"]],
    )


def test_labels_and_hints_show_the_answers_they_name(tmp_path):
    report = xlsform.read_xlsform(piped_survey(tmp_path / "roster.xlsx"))
    assert report.complete, report.as_dict()  # ${} in texts is carried, not reported
    form = Builder(report.form, "roster.xlsx", {}).build()
    raw = {
        "head": "สมชาย",
        "visit": "2024-05-01",
        "tenure": "own",
        "member": [{"name": "สมหญิง", "age": 41}, {"name": "ดวงใจ"}],
    }
    doc, problems = form.validate(raw)
    assert problems == []
    welcome, age, nxt = form.fields["welcome"], form.field_at("member.age"), form.field_at("member.next_year")
    # a date in the Buddhist era, a choice by its code (as ODK Collect shows it)
    assert form.label_texts(welcome, doc) == {
        "th": "บ้านของ สมชาย เยี่ยมเมื่อ 1 พ.ค. 2567",
        "en": "The home of สมชาย, visited 1 May 2567 BE",
    }
    assert form.hint_texts(welcome, doc)["en"] == "tenure: own"
    first, second = doc["member"]
    assert form.label_texts(age, doc, first)["en"] == "How old is สมหญิง?"  # the same row's answer
    assert form.label_texts(age, doc, second)["th"] == "ดวงใจ อายุเท่าไร"
    assert form.hint_texts(age, doc, second)["th"] == "หัวหน้าคือ สมชาย"  # an answer outside the row
    assert form.label_texts(nxt, doc, first)["en"] == "Next year สมหญิง is 42"
    assert form.label_texts(nxt, doc, second)["en"] == "Next year ดวงใจ is "  # not answered: nothing
    # export writes the XLSForm names back; import gives the same form
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
    # the record goes through the Store like any other, and the label follows the stored answers
    with Store(tmp_path / "f.db") as store:
        installed.add(store, report.form, "roster.xlsx")
        saved = store.save("roster", raw)
        stored = store.get("roster", saved.record.id).data
        assert store.forms["roster"].label_texts(age, stored, stored["member"][0])["th"] == "สมหญิง อายุเท่าไร"


def test_a_label_naming_a_question_that_does_not_exist_is_refused_or_reported(tmp_path):
    import pytest

    from fieldapp.errors import FormDefinitionError

    raw = {
        "id": "t",
        "version": "1",
        "title": {"th": "t", "en": "t"},
        "sections": [
            {
                "id": "s",
                "label": {"th": "s", "en": "s"},
                "fields": [{"id": "a", "type": "text", "label": {"th": "ชื่อ ${nobody}", "en": "x"}}],
            }
        ],
    }
    with pytest.raises(FormDefinitionError, match=r"label: unknown field \$\{nobody\}"):
        Builder(raw, "t.yaml", {}).build()
    # an XLSForm whose label names a question that is not carried (a metadata row) keeps its
    # text, with the name in brackets, and says so
    path = write_xlsform(
        tmp_path / "m.xlsx",
        [["simserial", "device"], ["text", "q", "เครื่อง ${device}", "device ${device}"]],
        form_id="m",
    )
    report = xlsform.read_xlsform(path)
    assert report.form["sections"][0]["fields"][0]["label"]["en"] == "device [device]"
    Builder(report.form, "m.xlsx", {}).build()


def test_the_editor_and_its_review_show_labels_with_the_answers(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    report = xlsform.read_xlsform(piped_survey(tmp_path / "roster.xlsx"))
    form = installed.build(report.form, "roster.xlsx")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    editor = FormEditor(
        EditorContext(db=db, form=form),
        {"head": "สมชาย", "visit": "2024-05-01", "member": [{"id": None, "name": "สมหญิง", "age": 41}]},
    )
    qtbot.addWidget(editor)
    editor.recheck()
    note = editor.row("welcome")
    assert note.widget.text.text() == "บ้านของ สมชาย เยี่ยมเมื่อ 1 พ.ค. 2567"
    editor.widget("head").set_value("สมศักดิ์")
    editor.recheck()
    assert note.widget.text.text().startswith("บ้านของ สมศักดิ์")
    age_row = editor.widget("member").panel.rows["age"]  # the first member is shown
    assert "สมหญิง อายุเท่าไร" in age_row.label.fragment() and age_row.hint.text() == "หัวหน้าคือ สมศักดิ์"
    editor.show_review()
    texts = []
    root = editor.review.tree.invisibleRootItem()
    stack = [root.child(i) for i in range(root.childCount())]
    while stack:
        item = stack.pop()
        texts.append(item.text(0))
        stack.extend(item.child(i) for i in range(item.childCount()))
    assert "สมหญิง อายุเท่าไร" in texts
    assert "1. สมหญิง" in texts  # a row is named by its first text answer
    editor.close()
    db.close()


def counted_survey(path: Path) -> Path:
    """A roster whose number of rows is the number of members given first (ODK's repeat_count)."""
    return write_xlsform(
        path,
        [
            ["integer", "n_members", "จำนวนสมาชิก", "Number of members", None, None, "yes"],
            ["begin repeat", "member", "สมาชิก", "Member", None, None, None, None, None, "${n_members}"],
            ["text", "name", "ชื่อ", "Name", None, None, "yes"],
            ["integer", "age", "อายุ", "Age"],
            ["integer", "school_years", "เรียนกี่ปี", "Years at school", None, None, None, "${age} >= 6"],
            ["calculate", "pos", None, None, None, None, None, None, "position(..)"],
            ["end repeat"],
            ["calculate", "adults", None, None, None, None, None, None, "count(${age}[. >= 18])"],
        ],
    )


def test_a_repeat_count_sets_the_number_of_rows(tmp_path):
    import pytest

    from fieldapp.errors import ValidationError

    report = xlsform.read_xlsform(counted_survey(tmp_path / "roster.xlsx"))
    assert report.complete, report.as_dict()
    assert report.form["sections"][0]["fields"][1]["repeat_count"] == "${n_members}"
    form = Builder(report.form, "roster.xlsx", {}).build()
    member = form.fields["member"]
    rows = [{"name": "ก", "age": 40, "school_years": 6}, {"name": "ข", "age": 4, "school_years": 1}]
    assert form.row_count(member, {"n_members": 2}) == 2
    assert form.row_count(member, {"n_members": None}) is None  # no number yet: no rule
    doc, problems = form.validate({"n_members": 2, "member": rows})
    assert problems == []
    assert [r["pos"] for r in doc["member"]] == ["1", "2"] and doc["adults"] == "1"
    assert doc["member"][1]["school_years"] is None  # relevance inside the rows
    for validate in (form.validate, form._validate_general):  # the generated path and the general one
        _, problems = validate({"n_members": 3, "member": rows}, partial_ok=False)
        assert [(p.path, p.code) for p in problems] == [("member", "repeat.count")]
        assert "3 row(s) needed" in problems[0].message_en and "ต้องมี 3 รายการ" in problems[0].message
        _, problems = validate({"n_members": 3, "member": rows}, partial_ok=True)  # unfinished: may be short
        assert problems == []
        _, problems = validate({"n_members": 1, "member": rows}, partial_ok=True)  # never more rows
        assert [(p.path, p.code) for p in problems] == [("member", "repeat.count")]
    # export and import again: the same form
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
    # through the Store: refused while the rows do not follow the count, kept once they do
    with Store(tmp_path / "f.db") as store:
        installed.add(store, report.form, "roster.xlsx")
        with pytest.raises(ValidationError) as err:
            store.save("roster", {"n_members": 1, "member": rows})
        assert [p.code for p in err.value.problems] == ["repeat.count"]
        saved = store.save("roster", {"n_members": 2, "member": rows})
        again = store.get("roster", saved.record.id).data
        assert [r["name"] for r in again["member"]] == ["ก", "ข"]
        assert store.forms["roster"].validate(again)[1] == []


def test_a_third_level_of_repeats_is_refused_not_flattened(tmp_path, capsys):
    import pytest

    from fieldapp import cli

    path = write_xlsform(
        tmp_path / "deep.xlsx",
        [
            ["begin repeat", "plot", "แปลง", "Plot"],
            ["decimal", "rai", "ไร่", "Rai"],
            ["begin repeat", "crop", "พืช", "Crop"],
            ["text", "crop_name", "พืช", "Crop"],
            ["begin repeat", "harvest", "การเก็บเกี่ยว", "Harvest"],
            ["date", "harvested_on", "วันที่", "Date"],
            ["end repeat"],
            ["end repeat"],
            ["end repeat"],
        ],
        form_id="deep",
    )
    with pytest.raises(xlsform.XLSFormError) as err:
        xlsform.read_xlsform(path)
    assert "row 6: the repeat 'harvest' is inside a repeat inside a repeat" in err.value.message_en
    assert "สามชั้น" in err.value.message  # the app says it in Thai
    assert cli.main(["forms", "import", str(path)]) == 1
    assert "inside a repeat inside a repeat" in capsys.readouterr().err


def test_the_editor_keeps_as_many_rows_as_the_count_asks(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    form = installed.build(xlsform.read_xlsform(counted_survey(tmp_path / "r.xlsx")).form, "r.xlsx")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    editor = FormEditor(EditorContext(db=db, form=form), None)
    qtbot.addWidget(editor)
    members = editor.widget("member")
    assert members.rows == [] and members.add_button.isHidden()
    editor.widget("n_members").set_value(3)
    editor.recheck()
    assert len(members.rows) == 3
    members.list.setCurrentRow(0)
    members.panel.widget("name").set_value("สมศรี")
    members.panel.changed.emit("name")
    editor.widget("n_members").set_value(0)
    editor.recheck()
    assert [r.get("name") for r in members.rows] == ["สมศรี"]  # the answered row stays
    assert [p.code for p in editor.form.validate(editor.raw())[1]] == ["repeat.count"]
    editor.close()
    db.close()


def test_the_server_checks_the_row_count_of_an_installed_xlsform(db_url, tmp_path):
    import uuid

    import requests
    from test_sync_forms import PASSWORD, Env

    from fieldapp.forms import default_forms
    from fieldapp.sync import protocol as P
    from server import forms as server_forms

    raw = xlsform.read_xlsform(counted_survey(tmp_path / "roster.xlsx")).form
    raw["area_field"] = "subdistrict_code"  # records of an area, as the server keeps them
    raw["sections"][0]["fields"].insert(
        0, {"id": "subdistrict_code", "type": "subdistrict", "label": {"th": "ตำบล", "en": "Subdistrict"}}
    )
    env = Env(db_url, tmp_path)
    try:
        server_forms.install(env.engine, default_forms(), raw, "roster.xlsx", "admin")
        env.app.state.service.registry.invalidate()
        s = requests.Session()
        head = {P.PROTOCOL_HEADER: str(P.PROTOCOL_VERSION)}
        token = s.post(env.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}, headers=head)
        headers = {"Authorization": f"Bearer {token.json()['token']}", **head}
        rows = [{"name": "ก", "age": 40}, {"name": "ข", "age": 30}]

        def push(n: int) -> dict[str, Any]:
            data = {"subdistrict_code": "320101", "n_members": n, "member": rows}
            change = P.Change(str(uuid.uuid4()), "roster", str(uuid.uuid4()), None, data)
            body = {"device_id": "dev-1", "changes": [change.to_json()]}
            return s.post(env.url + P.Paths.PUSH, json=body, headers=headers).json()["results"][0]

        refused = push(1)  # more rows than the count
        assert refused["status"] == "rejected" and "repeat.count" in str(refused)
        assert push(2)["status"] == "applied"
        assert push(3)["status"] == "applied"  # fewer: an unfinished record, as the laptop keeps it
    finally:
        env.engine.dispose()


def media_survey(path: Path) -> Path:
    """Consent acknowledged first (written both ways XLSForm allows), then recordings and files."""
    return write_xlsform(
        path,
        [
            ["acknowledge", "consent", "ยินยอมให้สัมภาษณ์", "Consent to the interview", None, None, "yes"],
            ["trigger", "read_out", "อ่านข้อความให้ฟังแล้ว", "Statement read out"],
            ["audio", "interview", "บันทึกเสียง", "Recording", None, None, None, "${consent} = 'OK'"],
            ["video", "walk", "วิดีโอรอบบ้าน", "Video of the house", None, None, None, "${consent} != ''"],
            ["file", "evidence", "เอกสาร", "Document"],
            ["begin repeat", "visit", "การเยี่ยม", "Visit"],
            ["audio", "note_audio", "เสียงบันทึก", "Voice note"],
            ["end repeat"],
        ],
        form_id="media",
    )


def test_acknowledgements_and_media_questions(tmp_path):
    import pytest

    from fieldapp import attachments, forms
    from fieldapp.errors import ValidationError
    from fieldapp.sync import protocol as P

    report = xlsform.read_xlsform(media_survey(tmp_path / "media.xlsx"))
    assert report.complete, report.as_dict()
    form = Builder(report.form, "media.xlsx", {}).build()
    assert [form.fields[n].type for n in ("consent", "read_out", "interview", "walk", "evidence")] == [
        "acknowledge",
        "acknowledge",
        "audio",
        "video",
        "file",
    ]
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
    _, problems = form.validate({})
    assert [(p.path, p.code) for p in problems] == [("consent", "required")]  # not ticked: not given
    _, problems = form.validate({"consent": False})
    assert [p.code for p in problems] == ["required"]  # "no" is no acknowledgement
    sound = tmp_path / "interview.m4a"
    sound.write_bytes(b"\x00\x00\x00\x1cftypM4A " + bytes(range(256)) * 40)
    with Store(tmp_path / "f.db") as store:
        installed.add(store, report.form, "media.xlsx")
        sha = attachments.add(store, sound)
        assert attachments.describe(store, sha) == ("interview.m4a", sound.stat().st_size)
        saved = store.save(
            "media",
            {"consent": "OK", "interview": sha, "walk": None, "visit": [{"note_audio": sha.upper()}]},
        )
        doc = store.get("media", saved.record.id).data
        assert doc["consent"] is True and doc["interview"] == sha and doc["visit"][0]["note_audio"] == sha
        assert sha in store.attachment_refs()  # sync uploads it like a photo
        assert P.photo_refs(store.forms["media"], doc) == [sha]
        assert forms.shown(form.fields["interview"], sha, "en") == f"sound recording {sha[:8]}"
        assert forms.shown(form.fields["consent"], True) == "รับทราบแล้ว"
        # without consent the recording is not relevant: cleared before saving
        saved = store.save("media", {"consent": None, "interview": sha}, partial_ok=True)
        assert store.get("media", saved.record.id).data["interview"] is None
        with pytest.raises(ValidationError) as err:
            store.save("media", {"consent": True, "evidence": "not-a-file"})
        assert [p.code for p in err.value.problems] == ["attachment"]
        # the same size limit as photos (the server's MAX_ATTACHMENT_BYTES)
        big = tmp_path / "long.mp4"
        with big.open("wb") as fh:
            fh.truncate(P.MAX_ATTACHMENT_BYTES + 1)
        with pytest.raises(ValidationError) as err:
            attachments.add(store, big)
        assert err.value.code == "attachment.size"


def test_the_editor_has_a_box_to_acknowledge_and_a_file_picker(tmp_path, qtbot, ui_app):
    from fieldapp import attachments
    from ui.db import Database
    from ui.widgets.fields import AcknowledgeWidget
    from ui.widgets.links import AttachmentWidget
    from ui.widgets.registry import EditorContext
    from ui.widgets.table import widget_for

    form = installed.build(xlsform.read_xlsform(media_survey(tmp_path / "m.xlsx")).form, "m.xlsx")
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    ctx = EditorContext(db=db, form=form)
    ack = widget_for(form.fields["consent"], ctx)
    qtbot.addWidget(ack)
    assert isinstance(ack, AcknowledgeWidget) and ack.value() is None
    ack.box.setChecked(True)
    assert ack.value() is True
    audio = widget_for(form.fields["interview"], ctx)
    qtbot.addWidget(audio)
    assert isinstance(audio, AttachmentWidget)
    sound = tmp_path / "voice.ogg"
    sound.write_bytes(b"OggS" + b"\x01" * 2000)
    sha = attachments.add(db.main, sound)
    audio.set_value(sha)
    assert audio.value() == sha and audio.name.text().startswith("voice.ogg")
    audio.set_value(None)
    assert audio.value() is None and not audio.remove.isEnabled()
    db.close()


def test_acknowledgements_and_files_export_and_import_again(tmp_path, capsys):
    from fieldapp import attachments, cli

    report = xlsform.read_xlsform(media_survey(tmp_path / "media.xlsx"))
    sound = tmp_path / "a.m4a"
    sound.write_bytes(b"m4a" * 300)
    db = tmp_path / "f.db"
    with Store(db) as store:
        installed.add(store, report.form, "media.xlsx")
        sha = attachments.add(store, sound)
        store.save("media", {"consent": "OK", "interview": sha})
    out = tmp_path / "media.csv"
    assert cli.main(["--db", str(db), "export", "media", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "รับทราบแล้ว" in text and sha in text  # in words; the file by its SHA-256, to come back
    capsys.readouterr()
    assert cli.main(["--db", str(db), "import", "--form", "media", str(out)]) == 0
    assert "1 unchanged, 0 with problems" in capsys.readouterr().out


def test_a_group_label_shows_the_answer_it_names(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    path = write_xlsform(
        tmp_path / "g.xlsx",
        [
            ["text", "HH_Head", "ชื่อหัวหน้า", "Head"],
            ["begin group", "house", "บ้านของ ${HH_Head}", "The home of ${HH_Head}"],
            ["integer", "rooms", "จำนวนห้อง", "Rooms"],
            ["end group"],
        ],
        form_id="grouped",
    )
    report = xlsform.read_xlsform(path)
    assert report.form["sections"][1]["label"]["en"] == "The home of ${HH_Head}"  # the name as written
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
    form = installed.build(report.form, "g.xlsx")
    assert form.section_texts(form.sections[1], {"HH_Head": "สมชาย"})["th"] == "บ้านของ สมชาย"
    Store(tmp_path / "f.db").close()
    db = Database(tmp_path / "f.db")
    editor = FormEditor(EditorContext(db=db, form=form), {"HH_Head": "สมชาย"})
    qtbot.addWidget(editor)
    editor.recheck()
    assert editor.sections.item(1).text() == "2. บ้านของ สมชาย"
    editor.close()
    db.close()


def test_a_recording_travels_with_its_record_to_another_laptop(db_url, tmp_path):
    from test_sync_forms import Env

    from fieldapp import attachments
    from fieldapp.forms import default_forms
    from server import forms as server_forms

    raw = xlsform.read_xlsform(media_survey(tmp_path / "media.xlsx")).form
    raw["area_field"] = "subdistrict_code"
    raw["sections"][0]["fields"].insert(
        0, {"id": "subdistrict_code", "type": "subdistrict", "label": {"th": "ตำบล", "en": "Subdistrict"}}
    )
    env = Env(db_url, tmp_path)
    try:
        server_forms.install(env.engine, default_forms(), raw, "media.xlsx", "admin")
        env.app.state.service.registry.invalidate()
        a, b = env.laptop("a"), env.laptop("b")
        env.sync(a)
        sound = tmp_path / "interview.m4a"
        sound.write_bytes(b"\x00\x00\x00\x1cftypM4A " + bytes(range(256)) * 64)
        sha = attachments.add(a, sound)
        rid = a.save("media", {"subdistrict_code": "320101", "consent": True, "interview": sha}).record.id
        report = env.sync(a)
        assert report.applied == 1 and report.attachments_up == 1
        report = env.sync(b)
        assert report.attachments_down == 1
        assert b.get("media", rid).data["interview"] == sha
        assert attachments.read_bytes(b, sha) == sound.read_bytes()
    finally:
        for store in env.stores:
            store.close()
        env.engine.dispose()


def triggered_survey(path: Path) -> Path:
    """The age at consent and the moment of consent, made when consent is given (XLSForm's trigger)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "calculation", "trigger"])
    ws.append(["integer", "age", "Age"])
    ws.append(["acknowledge", "consent", "Consent"])
    ws.append(["calculate", "age_at_consent", None, "${age}", "${consent}"])
    ws.append(["calculate", "consented_at", None, "now()", "${consent}"])
    ws.append(["calculate", "age_now", None, "${age}"])
    st = wb.create_sheet("settings")
    st.append(["form_id", "version"])
    st.append(["consent_form", "1"])
    wb.save(path)
    return path


def test_a_triggered_calculation_is_made_when_its_trigger_changes_and_kept(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.editor.form import FormEditor
    from ui.widgets.registry import EditorContext

    report = xlsform.read_xlsform(triggered_survey(tmp_path / "c.xlsx"))
    assert report.complete, report.as_dict()
    assert report.form["sections"][0]["fields"][2]["trigger"] == ["consent"]
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
    form = installed.build(report.form, "c.xlsx")
    assert [f.id for f in form.triggered_by("consent")] == ["age_at_consent", "consented_at"]
    # the value kept with the record is not made again when the answers it read change
    doc, problems = form.validate({"age": 41, "consent": True, "age_at_consent": "40"})
    assert problems == [] and doc["age_at_consent"] == "40" and doc["age_now"] == "41"
    assert form.fire(form.fields["age_at_consent"], doc) == "41"
    with Store(tmp_path / "f.db") as store:  # kept by the Store as it was made
        installed.add(store, report.form, "c.xlsx")
        rid = store.save("consent_form", {"age": 41, "consent": True, "age_at_consent": "40"}).record.id
        assert store.get("consent_form", rid).data["age_at_consent"] == "40"
    # in the editor: made when consent is ticked, not when the age changes afterwards
    db = Database(tmp_path / "f.db")
    editor = FormEditor(EditorContext(db=db, form=form), None)
    qtbot.addWidget(editor)
    editor.widget("age").set_value(30)
    editor.recheck()
    assert editor.doc["age_at_consent"] is None
    editor.widget("consent").box.setChecked(True)  # ticked: the trigger fires
    editor.recheck()
    assert editor.doc["age_at_consent"] == "30" and editor.doc["consented_at"]
    editor.widget("age").set_value(31)
    editor.widget("age").value_changed.emit()
    editor.recheck()
    assert editor.doc["age_at_consent"] == "30" and editor.doc["age_now"] == "31"
    editor.close()
    db.close()
