"""The record report: any form's record (an installed XLSForm's too) as a Thai PDF, from the
command line and the app; the text comes back out of the PDF as it was printed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fieldapp import cli, installed, xlsform
from fieldapp.reports import render_record
from fieldapp.reports.build import record_report_of
from fieldapp.store import open_store
from tests.test_xlsform_features import write_xlsform

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True)
    return out.stdout


def survey(path: Path) -> Path:
    """A village survey: sections, a question naming an earlier answer, a repeat with seven
    questions (two tables), a calculation with a label and one without, and a relevance."""
    return write_xlsform(
        path,
        [
            ["begin group", "home", "ครัวเรือน", "Household"],
            ["text", "head", "ชื่อหัวหน้าครัวเรือน", "Head of household", None, None, "yes"],
            ["date", "visit", "วันที่เยี่ยม", "Visit date"],
            ["integer", "rooms", "บ้านของ ${head} มีกี่ห้อง", "Rooms in the home of ${head}"],
            ["select_one yn", "well", "มีบ่อน้ำหรือไม่", "Has a well"],
            ["decimal", "well_depth", "บ่อลึกกี่เมตร", "Well depth", None, None, None, "${well} = 'yes'"],
            ["end group"],
            ["begin group", "people", "สมาชิก", "Members"],
            ["integer", "n", "จำนวนสมาชิก", "Members", None, None, "yes"],
            ["begin repeat", "member", "สมาชิก", "Member", None, None, None, None, None, "${n}"],
            ["text", "name", "ชื่อ", "Name"],
            ["integer", "age", "อายุ", "Age"],
            ["select_one yn", "studying", "กำลังเรียน", "Studying"],
            ["text", "job", "อาชีพ", "Occupation"],
            ["decimal", "income", "รายได้ต่อเดือน", "Monthly income"],
            ["date", "dob", "วันเกิด", "Born"],
            ["text", "phone_no", "โทรศัพท์", "Phone"],
            ["calculate", "plain", None, None, None, None, None, None, "${age} * 12"],
            ["end repeat"],
            ["end group"],
        ],
        [["yn", "yes", "ใช่", "Yes"], ["yn", "no", "ไม่ใช่", "No"]],
        form_id="village",
    )


RECORD = {
    "head": "สมชาย ใจดี",
    "visit": "2024-05-01",
    "rooms": 3,
    "well": "no",
    "n": 2,
    "member": [
        {
            "name": "สมชาย ใจดี",
            "age": 52,
            "studying": "no",
            "job": "ทำนา",
            "income": 6500.5,
            "dob": "1972-01-15",
        },
        {"name": "เด็กหญิง ดวงใจ ใจดี", "age": 9, "studying": "yes", "dob": "2015-03-02"},
    ],
}


@needs_poppler
def test_the_command_line_prints_any_records_answers_by_section(tmp_path, capsys):
    report = xlsform.read_xlsform(survey(tmp_path / "village.xlsx"))
    db = tmp_path / "f.db"
    with open_store(db) as store:
        installed.add(store, report.form, "village.xlsx")
        rid = store.save("village", RECORD).record.id
    out = tmp_path / "village.pdf"
    assert cli.main(["--db", str(db), "report", "record", "village", rid, "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    text = pdf_text(out)
    assert "1. ครัวเรือน" in text and "2. สมาชิก" in text  # the form's groups, in order
    assert "บ้านของ สมชาย ใจดี มีกี่ห้อง" in text  # the label with the answer it names
    assert "1 พ.ค. 2567" in text and "15 ม.ค. 2515" in text  # Buddhist-era dates
    assert "มีบ่อน้ำหรือไม่" in text and "ไม่ใช่" in text  # a choice by its label
    assert "บ่อลึกกี่เมตร" not in text  # not relevant: left out
    assert (
        "สมาชิก (2 รายการ)" not in text and "สมาชิก (ส่วนที่ 1) (2 รายการ)" in text
    )  # seven questions: two tables
    assert "เด็กหญิง ดวงใจ" in text and "6,500.5" in text
    title_line = next(line for line in text.splitlines()[3:8] if line.strip())
    assert title_line.strip() == "รายงานทะเบียนสมาชิก"
    assert "สมชาย ใจดี" in text.splitlines()[4] + text.splitlines()[5]  # named by its first text answer
    assert "plain" not in text  # an unlabelled calculation is the form's own arithmetic
    assert "วันเกิด" in text and "โทรศัพท์" in text
    with open_store(db) as store:  # the print is in the audit log, as the other reports'
        rows = store.conn.execute(
            "SELECT form_id, record_id FROM audit_log WHERE action = 'print' AND form_id = 'village'"
        ).fetchall()
        assert [tuple(r) for r in rows] == [("village", rid)]
    if shutil.which("pdftoppm"):  # rendered at 300 dpi: one A4 page
        subprocess.run(["pdftoppm", "-r", "300", "-png", str(out), str(tmp_path / "page")], check=True)
        from PySide6.QtGui import QImage

        image = QImage(str(next(tmp_path.glob("page*.png"))))
        assert (image.width(), image.height()) == (2481, 3508)  # A4 at 300 dpi


@needs_poppler
def test_a_bundled_form_names_the_records_it_refers_to_and_masks_national_ids(tmp_path):
    with open_store(tmp_path / "f.db") as store:
        hh = store.save(
            "household",
            {
                "subdistrict_code": "320101",
                "members": [
                    {
                        "first_name": "สมหญิง",
                        "last_name": "ใจดี",
                        "relation": "head",
                        "id_type": "thai_id",
                        "national_id": "1101700203450",
                    }
                ],
            },
            partial_ok=True,
        ).record
        ref = store.save(
            "referral",
            {
                "household_id": hh.id,
                "subdistrict_code": "320101",
                "need": "ซ่อมหลังคา",
                "assistance_type": next(iter(store.form("referral").fields["assistance_type"].codes)),
                "referred_on": "2024-06-01",
                "status": "pending" if "pending" in store.form("referral").fields["status"].codes else None,
            },
            partial_ok=True,
        ).record
        data = record_report_of(store, "referral", ref.id)
        shown = {a.label: a.value for s in data.sections for a in s.items if hasattr(a, "value")}
        household_label = store.form("referral").fields["household_id"].label["th"]
        assert shown[household_label] != hh.id  # named, not a bare id
        out = tmp_path / "r.pdf"
        assert render_record(data, out) >= 1
        assert "ซ่อมหลังคา" in pdf_text(out) and "1 มิ.ย. 2567" in pdf_text(out)
        members = record_report_of(store, "household", hh.id)
        masked, unmasked = tmp_path / "m.pdf", tmp_path / "u.pdf"
        render_record(members, masked)
        render_record(members, unmasked, unmask=True)
        assert "1101700203450" not in pdf_text(masked).replace("-", "")
        assert "1101700203450" in pdf_text(unmasked).replace("-", "").replace(" ", "")


def test_the_app_renders_the_record_report_of_an_installed_form(tmp_path, qtbot, ui_app):
    from ui.db import Database
    from ui.dialogs.report_preview import ReportRequest, render_pdf

    report = xlsform.read_xlsform(survey(tmp_path / "village.xlsx"))
    with open_store(tmp_path / "f.db") as store:
        installed.add(store, report.form, "village.xlsx")
        rid = store.save("village", RECORD).record.id
    db = Database(tmp_path / "f.db")
    req = ReportRequest("record", rid, title="สมชาย", form="village")
    assert req.form_id == "village" and req.file_name().startswith("village-report-")
    pdf, pages = render_pdf(db, req, unmask=False, thai_digits=True)
    assert pdf.startswith(b"%PDF") and pages == 1
    db.close()


def test_report_in_the_app_opens_the_record_report_of_an_installed_forms_record(tmp_path, qtbot, ui_app):
    from ui import tasks
    from ui.db import Database
    from ui.mainwindow import MainWindow

    report = xlsform.read_xlsform(survey(tmp_path / "village.xlsx"))
    with open_store(tmp_path / "f.db") as store:
        installed.add(store, report.form, "village.xlsx")
        rid = store.save("village", RECORD).record.id
    db = Database(tmp_path / "f.db")
    window = MainWindow(db, ui_app)
    qtbot.addWidget(window)
    dlg = window.open_report("village", rid)
    assert dlg.request.kind == "record" and dlg.request.form == "village"
    assert dlg.windowTitle().startswith("รายงานทะเบียนสมาชิก")  # named by its form
    tasks.wait_all(30)
    qtbot.waitUntil(lambda: dlg.rendered is not None or dlg.error is not None, timeout=30_000)
    assert dlg.error is None and dlg.rendered is not None and dlg.rendered.pages == 1
    dlg.close()
    window.close()
    db.close()
