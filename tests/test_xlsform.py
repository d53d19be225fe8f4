"""XLSForms in and out: public example forms and a Thai household survey in three languages.

Each form is imported, its records validated, exported and imported again (the same form).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from fieldapp import cli, forms, xlsform
from fieldapp.forms.loading import Builder

DATA = Path(__file__).parent / "data" / "xlsform"
PUBLIC = sorted(p for p in DATA.iterdir() if p.suffix in (".xls", ".xlsx"))


def build(form: dict) -> forms.Form:
    return Builder(form, "test", {}, DATA).build()


@pytest.mark.parametrize("path", PUBLIC, ids=lambda p: p.name)
def test_public_xlsforms_import_export_and_import_again(path, tmp_path):
    first = xlsform.read_xlsform(path)
    build(first.form)
    assert first.rows >= first.carried >= 0
    out = tmp_path / f"again{path.suffix if path.suffix == '.xlsx' else '.xlsx'}"
    xlsform.write_xlsform(first.form, {}, out)
    shutil.copy(DATA / "fruits.csv", tmp_path / "fruits.csv")
    second = xlsform.read_xlsform(out)
    assert second.form == first.form
    assert second.dropped == []


def test_tutorial_household_with_members_validates_records():
    report = xlsform.read_xlsform(DATA / "tutorial.xls")
    assert report.complete and report.carried == report.rows
    form = build(report.form)
    assert form.fields["member"].type == "repeat"
    member = {
        "name": "Ann",
        "relationship_to_household_head": "head",
        "sex": "female",
        "older_than_five": "yes",
    }
    member["resident"] = member["stayed_last_night"] = "yes"
    _, problems = form.validate({"member": [member]})
    assert problems == []
    _, problems = form.validate({"member": [{**member, "sex": "unknown"}]})
    assert [p.code for p in problems] == ["choice"]


def test_a_cascade_offers_and_accepts_only_the_choices_of_the_answer_above():
    report = xlsform.read_xlsform(DATA / "choice_filter_test.xlsx")
    assert report.complete
    form = build(report.form)
    county = form.fields["county"]
    assert form.allowed_codes(county, {"state": "washington"}) == {"king", "pierce"}
    assert form.allowed_codes(county, {"state": "texas"}) == {"cameron"}
    _, problems = form.validate({"state": "texas", "county": "king"})
    assert [p.code for p in problems] == ["choice"]
    _, problems = form.validate({"state": "washington", "county": "king"})
    assert problems == []


def test_what_does_not_come_is_reported_row_by_row():
    report = xlsform.read_xlsform(DATA / "or_other.xlsx")
    assert report.form["sections"][0]["fields"][0]["other"] == "other"  # or_other
    assert report.complete
    assert report.form["sections"][0]["fields"][1]["choice_filter"] == "pastel=yes"
    loop = xlsform.read_xlsform(DATA / "loop.xlsx")
    assert [(n.row, n.name) for n in loop.dropped] == [(3, "loop_toilet_types")]


def test_pulldata_reads_the_csv_that_comes_with_the_form():
    report = xlsform.read_xlsform(DATA / "pull_data.xlsx")
    form = build(report.form)
    data, problems = form.validate({})
    # the form looks 'mango' up in the column 'name', which holds 'Mango': nothing, as in Collect
    assert problems == [] and data["fruit"] is None
    from fieldapp import expr

    look = expr.compile_expression(
        "pulldata('fruits', 'name', 'name_key', 'papaya')", forms.make_resolver(form, None)
    )
    assert look({}, None) == "Papaya"


def _thai_household(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    cols = [
        "type",
        "name",
        "label::ไทย (th)",
        "label::English (en)",
        "label::ລາວ (lo)",
        "hint::ไทย (th)",
        "required",
        "relevant",
        "constraint",
        "constraint_message::ไทย (th)",
        "constraint_message::English (en)",
        "calculation",
        "choice_filter",
        "default",
    ]
    rows = [
        ["start", "start"],
        ["begin group", "Household", "ครัวเรือน", "Household", "ຄົວເຮືອນ"],
        ["text", "HH_Head", "ชื่อหัวหน้าครัวเรือน", "Head of household", "ຫົວໜ້າຄົວເຮືອນ", "ชื่อ-สกุล", "yes"],
        ["select_one province", "province", "จังหวัด", "Province", "ແຂວງ"],
        [
            "select_one district",
            "district",
            "อำเภอ",
            "District",
            "ເມືອງ",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "province=${province}",
        ],
        ["date", "visit_date", "วันที่สำรวจ", "Visit date", "ວັນທີ"],
        ["end group"],
        ["begin repeat", "members", "สมาชิก", "Members", "ສະມາຊິກ"],
        ["text", "m_name", "ชื่อ", "Name", "ຊື່", None, "yes"],
        [
            "date",
            "m_dob",
            "วันเกิด",
            "Born",
            "ວັນເກີດ",
            None,
            None,
            None,
            ". <= today()",
            "ต้องไม่เกินวันนี้",
            "not after today",
        ],
        [
            "calculate",
            "m_age",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "int((${visit_date} - ${m_dob}) div 365.25)",
        ],
        [
            "integer",
            "m_income",
            "รายได้ต่อเดือน",
            "Monthly income",
            "ລາຍໄດ້",
            None,
            None,
            "${m_age} >= 15",
            ". >= 0",
            "ต้องไม่ติดลบ",
            "not negative",
        ],
        ["end repeat"],
        [
            "calculate",
            "elderly",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "count(${m_age}[. >= 60])",
        ],
        ["note", "summary", "ผู้สูงอายุ ${elderly} คน", "${elderly} elderly", "${elderly}"],
    ]
    ws.append(cols)
    for r in rows:
        ws.append(r + [None] * (len(cols) - len(r)))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label::ไทย (th)", "label::English (en)", "label::ລາວ (lo)", "province"])
    ch.append(["province", "cm", "เชียงใหม่", "Chiang Mai", "ຊຽງໃໝ່"])
    ch.append(["province", "kk", "ขอนแก่น", "Khon Kaen", "ຂອນແກ່ນ"])
    ch.append(["district", "mueang_cm", "เมืองเชียงใหม่", "Mueang Chiang Mai", "ເມືອງຊຽງໃໝ່", "cm"])
    ch.append(["district", "mueang_kk", "เมืองขอนแก่น", "Mueang Khon Kaen", "ເມືອງຂອນແກ່ນ", "kk"])
    st = wb.create_sheet("settings")
    st.append(["form_id", "version", "form_title", "default_language"])
    st.append(["thai_household", "2024050101", "แบบสำรวจครัวเรือน", "ไทย (th)"])
    wb.save(path)


def test_a_thai_household_survey_in_three_languages(tmp_path):
    path = tmp_path / "household.xlsx"
    _thai_household(path)
    report = xlsform.read_xlsform(path)
    form = build(report.form)
    notes = {(n.name, n.reason.split(" ")[0]) for n in report.partial}
    assert not any(name == "HH_Head" for name, _ in notes)  # kept as written, letter case too
    assert form.fields["district"].choice_filter is not None  # the cascade is carried
    assert report.dropped == []  # start is carried: a hidden question the app fills
    assert form.fields["start"].type == "hidden" and form.fields["start"].meta == "start"
    head = form.fields["HH_Head"]
    assert head.label == {"th": "ชื่อหัวหน้าครัวเรือน", "en": "Head of household", "lo": "ຫົວໜ້າຄົວເຮືອນ"}
    assert head.label_for("lo") == "ຫົວໜ້າຄົວເຮືອນ" and head.label_for("km") == "ชื่อหัวหน้าครัวเรือน"
    assert form.sections[0].id == "household"
    raw = {
        "HH_Head": "สมชาย ใจดี",
        "province": "cm",
        "district": "mueang_cm",
        "visit_date": "2024-05-01",
        "members": [
            {"m_name": "สมชาย", "m_dob": "1950-03-02", "m_income": 3000},
            {"m_name": "ด.ช. ดี", "m_dob": "2015-01-10", "m_income": 500},
        ],
    }
    data, problems = form.validate(raw)
    assert problems == []
    assert [r["m_age"] for r in data["members"]] == ["74", "9"]
    assert data["members"][1]["m_income"] is None  # not relevant under 15: cleared
    assert data["elderly"] == "1"
    _, problems = form.validate({**raw, "district": "mueang_kk"})  # not a district of Chiang Mai
    assert [(p.path, p.code) for p in problems] == [("district", "choice")]
    assert form.allowed_codes(form.fields["district"], {"province": "kk"}) == {"mueang_kk"}
    _, problems = form.validate({**raw, "members": [{"m_name": "x", "m_dob": "2099-01-01"}]})
    assert [p.message_en for p in problems] == ["Born: not after today"]
    out = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, out)
    assert xlsform.read_xlsform(out).form == report.form


def test_the_shipped_forms_export_and_import_as_themselves(tmp_path):
    shared = forms.read_yaml(forms.default_forms().directory / "choices.yaml")["choices"]
    for form_id in ("household", "business", "referral"):
        raw = forms.read_yaml(forms.default_forms().directory / f"{form_id}.yaml")
        out = tmp_path / f"{form_id}.xlsx"
        xlsform.write_xlsform(raw, shared, out)
        first = xlsform.read_xlsform(out)
        assert first.complete, first.as_dict()
        imported = Builder(first.form, "x", {}).build()
        original = forms.default_forms()[form_id]
        assert [f.path for f in forms.iter_fields(imported)] == [f.path for f in forms.iter_fields(original)]
        assert [f.signed for f in forms.iter_fields(imported)] == [f.signed for f in forms.iter_fields(original)]
        assert len(imported.soft_rules) == len(original.soft_rules)
        again = tmp_path / f"{form_id}-again.xlsx"
        xlsform.write_xlsform(first.form, {}, again)
        assert xlsform.read_xlsform(again).form == first.form


def test_cli_import_json_strict_and_export(tmp_path, capsys):
    code = cli.main(["forms", "import", str(DATA / "loop.xlsx"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out) == {"form", "rows", "carried", "partial", "dropped"}
    assert out["form"] == "loop" and out["dropped"][0] == {
        "row": 3,
        "name": "loop_toilet_types",
        "reason": "the question type 'loop' is not supported",
    }
    assert cli.main(["forms", "import", str(DATA / "loop.xlsx"), "--strict", "--json"]) == 1
    capsys.readouterr()
    yaml_out = tmp_path / "tutorial.yaml"
    assert cli.main(["forms", "import", str(DATA / "tutorial.xls"), "-o", str(yaml_out), "--strict"]) == 0
    assert forms.load_form(yaml_out, {}).id == "tutorial"
    capsys.readouterr()
    pulled = tmp_path / "pull.yaml"
    assert cli.main(["forms", "import", str(DATA / "pull_data.xlsx"), "-o", str(pulled)]) == 0
    assert (tmp_path / "pull-media" / "fruits.csv").exists()
    assert cli.main(["forms", "export", str(yaml_out), "-o", str(tmp_path / "t.xlsx")]) == 0
    assert cli.main(["forms", "export", "household", "-o", str(tmp_path / "h.xlsx")]) == 0
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    assert cli.main(["forms", "import", str(bad)]) == 1
    assert cli.main(["forms", "export", "nosuchform", "-o", str(tmp_path / "x.xlsx")]) == 1


def test_required_message_per_language_and_read_only(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(
        [
            "type",
            "name",
            "label::ไทย (th)",
            "label::English (en)",
            "required",
            "required_message::ไทย (th)",
            "required_message::English (en)",
            "read_only",
            "default",
        ]
    )
    ws.append(["text", "village", "หมู่บ้าน", "Village", "yes", "ต้องระบุหมู่บ้าน", "Say the village", None, None])
    ws.append(["integer", "round_no", "รอบ", "Round", None, None, None, "yes", "2"])
    wb.create_sheet("settings").append(["form_id"])
    wb["settings"].append(["messages"])
    path = tmp_path / "messages.xlsx"
    wb.save(path)
    report = xlsform.read_xlsform(path)
    assert report.complete, report.as_dict()
    form = build(report.form)
    assert form.fields["round_no"].read_only and form.blank()["round_no"] == 2
    _, problems = form.validate({})
    assert [(p.message, p.message_en) for p in problems] == [("ต้องระบุหมู่บ้าน", "Say the village")]
    again = tmp_path / "again.xlsx"
    xlsform.write_xlsform(report.form, {}, again)
    assert xlsform.read_xlsform(again).form == report.form


def test_every_key_of_the_format_travels_in_an_xlsform():
    """A key added to the form format without a way into XLSForm would be lost on export."""
    from fieldapp.forms.loading import FIELD_KEYS, FORM_KEYS

    assert set(FIELD_KEYS) <= {*xlsform.NATIVE_FIELD_KEYS, *xlsform.OWN_KEYS}
    assert set(FORM_KEYS) <= {*xlsform.NATIVE_FORM_KEYS, *xlsform.FORM_OWN_KEYS}
