"""XLSForm groups inside groups and inside repeats: read as nested ``type: group`` fields with
their relevance (not flattened, not reported), written back as nested begin/end group rows, and
read again as the same form."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from fieldapp import forms, xlsform
from fieldapp.forms.loading import Builder
from tests.test_xlsform_features import write_xlsform


def nested_survey(path: Path) -> Path:
    """Household > Head of household > Work > Job (three groups deep, each with relevance), and
    members > Health > Smoking > Quitting inside a repeat."""
    return write_xlsform(
        path,
        [
            ["begin group", "household", "ครัวเรือน", "Household", None, None, None, "${visited} = 'yes'"],
            ["text", "village", "หมู่บ้าน", "Village", None, None, "yes"],
            ["begin group", "Head", "หัวหน้าครัวเรือน", "Head of household", "ผู้ตอบ", "Respondent",
             None, "${has_head} = 'yes'"],
            ["text", "head_name", "ชื่อ", "Name", None, None, "yes"],
            ["integer", "head_age", "อายุ", "Age"],
            ["begin group", "head_work", "งานของ ${head_name}", "Work of ${head_name}", None, None, None,
             "${head_age} >= 15"],
            ["select_one yn", "works", "ทำงาน", "Works"],
            ["begin group", "job", "อาชีพ", "Job", None, None, None, "${works} = 'yes'"],
            ["text", "job_title", "อาชีพ", "Job title", None, None, "yes"],
            ["end group"],
            ["end group"],
            ["end group"],
            ["begin repeat", "member", "สมาชิก", "Members"],
            ["text", "m_name", "ชื่อ", "Name"],
            ["integer", "m_age", "อายุ", "Age"],
            ["begin group", "health", "สุขภาพของ ${m_name}", "Health of ${m_name}", None, None, None,
             "${m_age} >= 15"],
            ["select_one yn", "smokes", "สูบบุหรี่", "Smokes"],
            ["begin group", "smoking", "การสูบ", "Smoking", None, None, None, "${smokes} = 'yes'"],
            ["integer", "per_day", "มวนต่อวัน", "Per day", None, None, "yes"],
            ["begin group", "quit", "การเลิก", "Quitting", None, None, None, "${per_day} > 10"],
            ["select_one yn", "wants_quit", "อยากเลิก", "Wants to quit", None, None, "yes"],
            ["end group"],
            ["end group"],
            ["end group"],
            ["end repeat"],
            ["end group"],
            ["select_one yn", "visited", "เยี่ยมแล้ว", "Visited"],
            ["select_one yn", "has_head", "มีหัวหน้า", "Has a head"],
        ],
        [["yn", "yes", "ใช่", "Yes"], ["yn", "no", "ไม่ใช่", "No"]],
        form_id="nested",
    )


def test_nested_groups_come_whole_with_their_relevance_and_go_back_as_nested_groups(tmp_path):
    report = xlsform.read_xlsform(nested_survey(tmp_path / "nested.xlsx"))
    # no group is flattened or reported any more (a group's name keeps its letter case)
    assert report.complete and report.carried == report.rows
    household = report.form["sections"][0]
    assert household["relevant"] == "${visited} = 'yes'"  # a top group: the section's relevance
    head = household["fields"][1]
    assert (head["id"], head["type"], head["relevant"]) == ("Head", "group", "${has_head} = 'yes'")
    assert head["hint"]["en"] == "Respondent" and "relevant" not in head["fields"][0]
    work = head["fields"][2]
    assert work["label"]["th"] == "งานของ ${head_name}" and work["relevant"] == "${head_age} >= 15"
    job = work["fields"][1]
    assert (job["id"], job["relevant"], [f["id"] for f in job["fields"]]) == ("job", "${works} = 'yes'", ["job_title"])
    member = household["fields"][2]
    health = member["fields"][2]
    assert (health["id"], health["type"], health["relevant"]) == ("health", "group", "${m_age} >= 15")
    quit_ = health["fields"][1]["fields"][1]
    assert (quit_["id"], quit_["relevant"]) == ("quit", "${per_day} > 10")

    form = Builder(report.form, "nested.xlsx", {}).build()
    assert [f.id for f in form.fields["member"].fields] == ["m_name", "m_age", "smokes", "per_day", "wants_quit"]
    assert form.fields["job_title"].relevant.source == (
        "(${visited} = 'yes') and (${has_head} = 'yes') and (${head_age} >= 15) and (${works} = 'yes')"
    )
    raw = {
        "visited": "yes",
        "has_head": "yes",
        "village": "บ้านดง",
        "head_name": "สมชาย",
        "head_age": 50,
        "works": "yes",
        "job_title": "ชาวนา",
        "member": [
            {"m_name": "สมศรี", "m_age": 40, "smokes": "yes", "per_day": 20, "wants_quit": "yes"},
            {"m_name": "ดี", "m_age": 12, "smokes": "yes", "per_day": 20, "wants_quit": "no"},
        ],
    }
    doc, problems = form.validate(raw)
    assert problems == [] and doc["member"][0]["wants_quit"] == "yes"
    assert doc["member"][1]["smokes"] is None and doc["member"][1]["wants_quit"] is None
    doc, problems = form.validate({**raw, "head_age": 12})
    assert problems == [] and doc["works"] is None and doc["job_title"] is None and doc["head_name"] == "สมชาย"
    _, problems = form.validate({**raw, "job_title": None})
    assert [(p.path, p.code) for p in problems] == [("job_title", "required")]

    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    rows = [r[:2] for r in load_workbook(out)["survey"].iter_rows(values_only=True)][1:]
    kinds = [t for t, _ in rows if t in ("begin group", "end group", "begin repeat", "end repeat")]
    assert kinds == [
        "begin group", "begin group", "begin group", "begin group", "end group", "end group", "end group",
        "begin repeat", "begin group", "begin group", "begin group", "end group", "end group", "end group",
        "end repeat", "end group",
        "begin group", "end group",  # the questions after the group: a section of their own
    ]
    again = xlsform.read_xlsform(out)
    assert again.form == report.form
    assert again.complete


def test_the_shipped_household_keeps_its_section_relevance_through_an_xlsform(tmp_path):
    shared = forms.read_yaml(forms.default_forms().directory / "choices.yaml")["choices"]
    raw = forms.read_yaml(forms.default_forms().directory / "household.yaml")
    out = tmp_path / "household.xlsx"
    xlsform.write_xlsform(raw, shared, out)
    back = xlsform.read_xlsform(out).form
    gated = {s["id"]: s.get("relevant") for s in raw["sections"] if s.get("relevant")}
    assert gated and {s["id"]: s.get("relevant") for s in back["sections"] if s["id"] in gated} == gated


def test_a_group_relevance_that_cannot_be_evaluated_is_reported_on_its_row(tmp_path):
    path = write_xlsform(
        tmp_path / "bad.xlsx",
        [
            ["begin group", "top", "บน", "Top", "คำอธิบาย", "Hint", None, "othfn(1) = 1"],
            ["integer", "age", "อายุ", "Age"],
            ["begin group", "inner", "ใน", "Inner", None, None, None, "nosuchfn(${age}) = 1"],
            ["text", "q", "คำถาม", "Q"],
            ["end group"],
            ["end group"],
        ],
        form_id="bad",
    )
    report = xlsform.read_xlsform(path)
    assert [(n.row, n.name, n.reason) for n in report.partial] == [
        (2, "top", "a section (a group at the top) shows no hint: the group's hint is not carried"),
        (4, "inner", "relevant is not carried: unknown function nosuchfn()"),
        (2, "top", "relevant is not carried: unknown function othfn()"),
    ]
    section = report.form["sections"][0]
    assert "relevant" not in section and "relevant" not in section["fields"][1]
    assert section["fields"][1]["fields"][0]["id"] == "q"  # the group and its question stay
    Builder(report.form, "bad.xlsx", {}).build()


def test_records_of_a_form_with_groups_export_and_import_unchanged(tmp_path, capsys):
    from fieldapp import cli, installed
    from fieldapp.store import Store

    report = xlsform.read_xlsform(nested_survey(tmp_path / "nested.xlsx"))
    db = tmp_path / "f.db"
    with Store(db) as store:
        installed.add(store, report.form, "nested.xlsx")
        store.save(
            "nested",
            {
                "visited": "yes",
                "has_head": "yes",
                "village": "บ้านดง",
                "head_name": "สมชาย",
                "head_age": 50,
                "works": "yes",
                "job_title": "ชาวนา",
                "member": [{"m_name": "สมศรี", "m_age": 40, "smokes": "yes", "per_day": 20, "wants_quit": "yes"}],
            },
        )
    out = tmp_path / "nested.csv"
    assert cli.main(["--db", str(db), "export", "nested", "-o", str(out)]) == 0
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    # the questions' columns, as without the groups (a group is no column)
    assert header.split(",") == ["id", "หมู่บ้าน", "ชื่อ", "อายุ", "ทำงาน", "อาชีพ", "เยี่ยมแล้ว", "มีหัวหน้า"]
    capsys.readouterr()
    assert cli.main(["--db", str(db), "import", "--form", "nested", str(out)]) == 0
    assert "1 unchanged, 0 with problems" in capsys.readouterr().out


def test_a_group_inside_a_repeat_inside_a_repeat_reads_the_outer_rows_answers(tmp_path):
    path = write_xlsform(
        tmp_path / "farm.xlsx",
        [
            ["begin repeat", "plot", "แปลง", "Plot"],
            ["decimal", "rai", "ไร่", "Rai"],
            ["begin repeat", "crop", "พืช", "Crop"],
            ["text", "crop_name", "พืช", "Crop"],
            ["begin group", "yield_g", "ผลผลิต", "Yield", None, None, None, "${rai} > 1"],
            ["integer", "kg", "กิโลกรัม", "Kg"],
            ["end group"],
            ["end repeat"],
            ["end repeat"],
        ],
        form_id="farm",
    )
    report = xlsform.read_xlsform(path)
    assert report.complete
    form = Builder(report.form, "farm.xlsx", {}).build()
    assert form.groups["yield_g"].parent is form.field_at("plot.crop")
    doc, problems = form.validate(
        {
            "plot": [
                {"rai": 2, "crop": [{"crop_name": "ข้าว", "kg": 500}]},
                {"rai": 0.5, "crop": [{"crop_name": "ถั่ว", "kg": 20}]},  # the group does not apply
            ]
        }
    )
    assert problems == [] and [c["kg"] for p in doc["plot"] for c in p["crop"]] == [500, None]
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form
