"""Groups (``type: group``) nested three deep, at the top of a section and inside a repeat: they
store nothing, their relevance reaches every question inside them, and a bad group is refused
with a message that names it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fieldapp import installed
from fieldapp.errors import FormDefinitionError
from fieldapp.forms import Group, check_files, read_yaml
from fieldapp.forms.loading import Builder
from fieldapp.store import Store

NESTED = Path(__file__).parent / "data" / "nested_groups.yaml"


def nested_raw() -> dict[str, Any]:
    return read_yaml(NESTED)


def build(raw: dict[str, Any]) -> Any:
    return Builder(copy.deepcopy(raw), "nested_groups.yaml", {}).build()


def flattened(raw: dict[str, Any]) -> dict[str, Any]:
    """The same questions without their groups (and without the groups' relevance)."""

    def flat(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in items:
            if item["type"] == "group":
                out.extend(flat(item["fields"]))
            else:
                if item.get("fields"):
                    item = {**item, "fields": flat(item["fields"])}
                out.append(item)
        return out

    raw = copy.deepcopy(raw)
    for s in raw["sections"]:
        s["fields"] = flat(s["fields"])
    return raw


HEAD = {"has_head": True, "head_name": "สมชาย", "works": True, "job_title": "ชาวนา"}
ADULT = {"name": "สมศรี", "age": 40, "smokes": True, "per_day": 20, "wants_quit": True}
CHILD = {"name": "ด.ช. ดี", "age": 10, "smokes": True, "per_day": 12, "wants_quit": False}


def test_a_group_stores_nothing_its_questions_live_at_its_parents_level():
    form = build(nested_raw())
    plain = build(flattened(nested_raw()))
    assert list(form.fields) == ["has_head", "head_name", "works", "job_title", "members"]
    assert [c.id for c in form.fields["members"].fields] == list(plain.fields["members"].child(c.id).id
                                                                   for c in plain.fields["members"].fields)
    assert form.columns() == plain.columns()
    assert form.level[1] == plain.level[1] and form.fields["members"].level[1] == plain.fields["members"].level[1]
    assert [f.path for f in form.order] == [f.path for f in plain.order]
    assert set(form.blank()) == set(plain.blank())
    assert list(form.groups) == ["head", "head_work", "job", "health", "smoking", "quit"]
    # the layout keeps the groups, three deep, for the editor and the printed record
    head = form.sections[0].layout[1]
    assert isinstance(head, Group) and head.id == "head"
    job = form.groups["job"]
    assert [g.id for g in job.chain()] == ["head", "head_work", "job"]
    assert [f.id for f in head.questions()] == ["head_name", "works", "job_title"]
    members = form.fields["members"]
    assert [getattr(i, "id", None) for i in members.layout] == ["name", "age", "health"]
    assert form.groups["quit"].parent is members and form.fields["job_title"].group is job
    assert members.child("wants_quit").group is form.groups["quit"]


@pytest.mark.parametrize("general", [False, True], ids=["generated", "general"])
def test_a_group_that_does_not_apply_clears_and_excuses_every_question_in_it(general):
    form = build(nested_raw())
    assert form._validator() is not None  # the generated fast path covers a form with groups

    def validate(raw: dict[str, Any], partial_ok: bool = False) -> tuple[dict[str, Any], list[Any]]:
        raw = copy.deepcopy(raw)
        return form._validate_general(raw, partial_ok) if general else form.validate(raw, partial_ok=partial_ok)

    doc, problems = validate({**HEAD, "members": [ADULT, CHILD]})
    assert problems == []
    assert doc["job_title"] == "ชาวนา" and doc["members"][0]["wants_quit"] is True
    # the child's whole health group (and the groups inside it) does not apply: cleared
    assert {k: doc["members"][1][k] for k in ("smokes", "per_day", "wants_quit")} == dict.fromkeys(
        ("smokes", "per_day", "wants_quit")
    )
    # the outermost group switched off: every question under it, three levels deep, is cleared
    doc, problems = validate({**HEAD, "has_head": False})
    assert problems == [] and [doc[k] for k in ("head_name", "works", "job_title")] == [None, None, None]
    # the middle level: the head works no longer, so the job group goes (its required question too)
    doc, problems = validate({**HEAD, "works": False})
    assert problems == [] and doc["job_title"] is None and doc["head_name"] == "สมชาย"
    # each level's required question is required only while all the groups around it apply
    _, problems = validate({**HEAD, "job_title": None})
    assert [(p.path, p.code) for p in problems] == [("job_title", "required")]
    _, problems = validate({**HEAD, "members": [{**ADULT, "wants_quit": None}, {**ADULT, "per_day": 5}]})
    assert [(p.path, p.code) for p in problems] == [("members[1].wants_quit", "required")]
    doc, problems = validate({**HEAD, "members": [{**ADULT, "per_day": None}]}, partial_ok=True)
    assert problems == [] and doc["members"][0]["wants_quit"] is None  # the innermost group waits for an answer
    _, problems = validate({**HEAD, "members": [{**ADULT, "per_day": None}]})
    assert [(p.path, p.code) for p in problems] == [("members[1].per_day", "required")]


def test_a_group_relevance_is_evaluated_in_its_row_and_its_title_names_answers():
    form = build(nested_raw())
    health = form.groups["health"]
    doc = {"members": [ADULT, CHILD]}
    assert form.group_relevant(health, doc, ADULT) and not form.group_relevant(health, doc, CHILD)
    assert not form.group_relevant(form.groups["quit"], doc, {**ADULT, "per_day": 3})
    assert not form.group_relevant(form.groups["quit"], doc, CHILD)  # an outer group does not apply
    assert form.group_texts(health, doc, ADULT)["th"] == "สุขภาพของ สมศรี"


def test_records_of_a_form_with_groups_are_stored_as_without_them(tmp_path):
    with Store(tmp_path / "g.db") as store:
        installed.add(store, nested_raw(), "nested_groups.yaml")
        rid = store.save("nested", {**HEAD, "members": [ADULT, CHILD]}).record.id
        got = store.get("nested", rid).data
        assert got["job_title"] == "ชาวนา" and got["members"][0]["wants_quit"] is True
        assert got["members"][1]["per_day"] is None
        cols = {r[1] for r in store.db.execute("PRAGMA table_info(nested)")}
        assert {"head_name", "works", "job_title"} <= cols and not {"head", "job", "head_work"} & cols
        child = {r[1] for r in store.db.execute("PRAGMA table_info(nested__members)")}
        assert {"smokes", "per_day", "wants_quit"} <= child and not {"health", "quit", "smoking"} & child


def _problem(tmp_path: Path, change: Any) -> str:
    raw = nested_raw()
    change(raw)
    path = tmp_path / "nested.yaml"
    import yaml

    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    problems = check_files([path])
    assert len(problems) == 1
    with pytest.raises(FormDefinitionError):
        build(raw)
    return problems[0]


def test_forms_check_names_a_bad_group(tmp_path):
    head = lambda raw: raw["sections"][0]["fields"][1]  # noqa: E731
    health = lambda raw: raw["sections"][0]["fields"][2]["fields"][2]  # noqa: E731
    assert _problem(tmp_path, lambda r: head(r).update(fields=[])).endswith(
        "head: an empty group: a group needs a non-empty list of fields"
    )
    assert _problem(tmp_path, lambda r: head(r).update(id="has_head")).endswith(
        "has_head: the group id 'has_head' is also the id of a field"
    )
    # a group in a repeat may not take the id of a field outside it either (ids stay unique)
    assert _problem(tmp_path, lambda r: health(r).update(id="job_title")).endswith(
        "members.job_title: the group id 'job_title' is also the id of a field"
    )
    assert _problem(tmp_path, lambda r: health(r).update(id="head")).endswith(
        "members.head: duplicate group id 'head'"
    )
    assert _problem(tmp_path, lambda r: head(r).update(id="household")).endswith(
        "household: the group id 'household' is also the id of a section"
    )
    assert "head: a group has no required" in _problem(tmp_path, lambda r: head(r).update(required=True))
    assert _problem(tmp_path, lambda r: health(r).update(relevant="${nope} > 1")).endswith(
        "members.health: relevant: unknown field ${nope}"
    )
    # a question inside a group belongs to its level: the same id twice there is refused
    again = {"id": "head_name", "type": "text", "label": {"th": "ชื่อ", "en": "Name"}}
    assert _problem(tmp_path, lambda r: head(r)["fields"].append(again)).endswith("head_name: duplicate field id")


def test_the_printed_record_puts_each_groups_title_above_its_questions(tmp_path):
    from fieldapp.reports.record import Answer, GroupTitle, RowsTable, record_report

    form = build(nested_raw())
    doc, _ = form.validate({**HEAD, "members": [ADULT, CHILD]})
    items = record_report(form, doc, record_id="r1").sections[0].items
    shown = [
        (type(i).__name__, i.label) for i in items if not isinstance(i, RowsTable) or i.header[1:2] != ["ชื่อ"]
    ]
    assert shown == [
        ("Answer", "มีหัวหน้าครัวเรือน"),
        ("GroupTitle", "หัวหน้าครัวเรือน"),
        ("Answer", "ชื่อ"),
        ("GroupTitle", "หัวหน้าครัวเรือน › งาน"),
        ("Answer", "ทำงาน"),
        ("GroupTitle", "หัวหน้าครัวเรือน › งาน › อาชีพ"),
        ("Answer", "อาชีพ"),
        ("GroupTitle", "ครัวเรือน (ต่อ)"),  # the members come after the group, at the section's level
        ("RowsTable", "สมาชิก — สุขภาพของ …"),
        ("RowsTable", "สมาชิก — สุขภาพของ … › การสูบบุหรี่"),
        ("RowsTable", "สมาชิก — สุขภาพของ … › การสูบบุหรี่ › เลิก"),
    ]
    tables = [i for i in items if isinstance(i, RowsTable)]
    assert [t.header for t in tables] == [["ที่", "ชื่อ", "อายุ"], ["ที่", "สูบบุหรี่"], ["ที่", "มวนต่อวัน"], ["ที่", "อยากเลิก"]]
    assert [r[1] for r in tables[3].rows] == ["ใช่", ""]  # the child's group does not apply: blank
    # a group that does not apply prints neither its title nor its questions
    doc, _ = form.validate({**HEAD, "has_head": False, "members": [CHILD]})
    items = record_report(form, doc, record_id="r1").sections[0].items
    assert [(type(i).__name__, i.label) for i in items] == [
        ("Answer", "มีหัวหน้าครัวเรือน"),
        ("RowsTable", "สมาชิก"),
    ]
    assert all(isinstance(i, (Answer, GroupTitle, RowsTable)) for i in items)


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="poppler-utils is not installed")
def test_the_record_report_pdf_prints_the_group_titles_in_order(tmp_path, capsys):
    import subprocess

    from fieldapp import cli

    db = tmp_path / "g.db"
    with Store(db) as store:
        installed.add(store, nested_raw(), "nested_groups.yaml")
        rid = store.save("nested", {**HEAD, "members": [ADULT, CHILD]}).record.id
    out = tmp_path / "r.pdf"
    assert cli.main(["--db", str(db), "report", "record", "nested", rid, "-o", str(out)]) == 0
    capsys.readouterr()
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    lines = [line.replace("\xa0", " ").strip() for line in text.splitlines() if line.strip()]

    def at(start: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(start))

    assert at("หัวหน้าครัวเรือน") < at("ชื่อ") < at("หัวหน้าครัวเรือน › งาน") < at("ทำงาน")
    assert at("หัวหน้าครัวเรือน › งาน › อาชีพ") < at("อาชีพ ") < at("ครัวเรือน (ต่อ)")
    assert at("ครัวเรือน (ต่อ)") < at("สมาชิก (2 รายการ)") < at("สมาชิก — สุขภาพของ … (2 รายการ)")
    assert at("สมาชิก — สุขภาพของ … (2 รายการ)") < at("สมาชิก — สุขภาพของ … › การสูบบุหรี่ (2 รายการ)")


def test_a_form_with_groups_travels_through_the_server_as_without_them(db_url, tmp_path):
    from test_sync_forms import Env

    from fieldapp.forms import default_forms
    from server import forms as server_forms

    raw = nested_raw()
    raw["area_field"] = "subdistrict_code"
    subdistrict = {"id": "subdistrict_code", "type": "subdistrict", "label": {"th": "ตำบล", "en": "Subdistrict"}}
    raw["sections"][0]["fields"].insert(0, subdistrict)
    env = Env(db_url, tmp_path)
    try:
        server_forms.install(env.engine, default_forms(), raw, "nested_groups.yaml", "admin")
        env.app.state.service.registry.invalidate()
        a, b = env.laptop("a"), env.laptop("b")
        env.sync(a)
        assert [g for g in a.form("nested").groups] == ["head", "head_work", "job", "health", "smoking", "quit"]
        rid = a.save("nested", {"subdistrict_code": "320101", **HEAD, "members": [ADULT, CHILD]}).record.id
        assert env.sync(a).applied == 1  # the server checked it with the same groups
        env.sync(b)
        got = b.get("nested", rid).data
        assert got["job_title"] == "ชาวนา" and got["members"][0]["wants_quit"] is True
        assert got["members"][1]["per_day"] is None  # the child's health group did not apply
        got["works"] = False  # the middle group's inner group no longer applies
        b.save("nested", got, record_id=rid)
        env.sync(b)
        env.sync(a)
        assert a.get("nested", rid).data["job_title"] is None
    finally:
        for store in env.stores:
            store.close()
        env.engine.dispose()


def test_fieldapp_show_indents_a_groups_answers_under_its_title(tmp_path, capsys):
    from fieldapp import cli

    db = tmp_path / "g.db"
    with Store(db) as store:
        installed.add(store, nested_raw(), "nested_groups.yaml")
        rid = store.save("nested", {**HEAD, "members": [ADULT, CHILD]}).record.id
    capsys.readouterr()
    assert cli.main(["--db", str(db), "show", "nested", rid]) == 0
    out = capsys.readouterr().out
    assert (
        "  หัวหน้าครัวเรือน\n    ชื่อ: สมชาย\n    งาน\n      ทำงาน: ใช่\n      อาชีพ\n        อาชีพ: ชาวนา\n"
        "  สมาชิก 1\n    ชื่อ: สมศรี\n    อายุ: 40\n    สุขภาพของ สมศรี\n      สูบบุหรี่: ใช่\n" in out
    )
    assert "  สมาชิก 2\n    ชื่อ: ด.ช. ดี\n    อายุ: 10\n" in out and "สุขภาพของ ด.ช. ดี" not in out
