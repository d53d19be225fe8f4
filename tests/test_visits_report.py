"""The printable visits-due sheet: a page per village, overdue first and marked, Buddhist-era dates,
a blank column for the outcome and the visitor's signature; the Thai text extracts as written;
``fieldapp visits --pdf``."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from visits_data import TODAY, make_visits

from fieldapp import cli
from fieldapp.reports import ReportDataError, render_visits
from fieldapp.reports.build import visits_report
from fieldapp.reports.visits import village_name
from fieldapp.store import Store, open_store


def pdf_text(path: Path) -> list[str]:
    """The text of each page, as pdftotext gives it (NFC, no-break spaces as spaces)."""
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    text = unicodedata.normalize("NFC", out.decode("utf-8")).replace("\xa0", " ")
    return text.split("\f")[:-1]  # the text ends with a form feed


def appears(text: str, flat: str) -> bool:
    """``text`` is in ``flat`` whole, or in two pieces (a table cell wrapped onto a second line,
    which the extractor may give after the next cell's first line)."""
    return text in flat or any(text[:k] in flat and text[k:] in flat for k in range(2, len(text) - 1))


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")


@needs_poppler
def test_the_sheet_has_a_page_per_village_overdue_first_with_thai_text_that_extracts(
    store: Store, tmp_path: Path
) -> None:
    make_visits(store)
    data = visits_report(store, area="3201", today=TODAY)
    assert data.count == 10 and data.overdue == 4  # the closed and the far one are not due
    out = tmp_path / "visits.pdf"
    pages = render_visits(data, out)
    assert pages == len(data.villages) > 1  # each village on its own sheet
    texts = pdf_text(out)
    for group, text in zip(data.villages, texts, strict=True):
        flat = "".join(text.split())  # table cells wrap: compare without the line breaks
        assert "".join(village_name(group).split()) in flat
        assert "รายการเยี่ยมบ้านที่ถึงกำหนด" in flat
        assert "ณวันที่7ธันวาคม2569" in flat and "ถึงกำหนดภายใน14ธันวาคม2569" in flat
        assert "ผลการเยี่ยม/ลงชื่อผู้เยี่ยม" in flat and "ผู้เยี่ยมบ้าน" in flat and "ลงชื่อ" in flat
        for v in group.visits:
            assert v.house_no in flat and all(part in flat for part in v.head_name.split())
            assert appears(v.need, flat)
            if v.overdue:  # marked, with how late it is
                assert f"เกินกำหนด{(TODAY - v.due).days}วัน" in flat
        # overdue first, then by date: the rows in the order of the list
        at = [flat.index(v.head_name.split()[0]) for v in group.visits]
        assert at == sorted(at)
        assert [v.overdue for v in group.visits] == sorted((v.overdue for v in group.visits), reverse=True)
    everything = "\n".join(texts)
    assert "ไม่ควรอยู่ในรายการ" not in everything
    assert "2026" not in everything  # Buddhist-era dates only


def test_nothing_due_is_said_and_nothing_is_written(store: Store, tmp_path: Path) -> None:
    make_visits(store)
    data = visits_report(store, area="33", today=TODAY)  # another province
    out = tmp_path / "none.pdf"
    with pytest.raises(ReportDataError) as exc:
        render_visits(data, out)
    assert "ไม่มีการเยี่ยมที่ถึงกำหนด" in exc.value.message
    assert not out.exists()


def test_one_village_of_a_subdistrict(store: Store) -> None:
    make_visits(store)
    every = visits_report(store, area="3201", today=TODAY)
    g = every.villages[0]
    one = visits_report(store, area=g.subdistrict_code, village=g.village_no, today=TODAY)
    assert [x.village_no for x in one.villages] == [g.village_no]
    assert one.area_name.startswith(f"หมู่ {g.village_no} ต.")
    assert visits_report(store, area=g.subdistrict_code, village=99, today=TODAY).count == 0


@needs_poppler
def test_fieldapp_visits_pdf(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_visits(store)
    path = store.path
    store.close()
    out = tmp_path / "sheet.pdf"
    args = ["--db", str(path), "visits", "--on", TODAY.isoformat(), "--area", "3201"]
    assert cli.main([*args, "--pdf", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}" in said and "10 visits" in said
    assert "ฝึกอาชีพเย็บผ้า" in "".join("".join(pdf_text(out)).split())
    again = open_store(path)
    try:
        row = again.conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'print' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert '"report": "visits"' in row[0] or '"report":"visits"' in row[0]
    finally:
        again.close()
    # nothing due: a clear message, a failing exit, no file
    empty = tmp_path / "empty.pdf"
    later = (TODAY + dt.timedelta(days=400)).isoformat()
    code = cli.main(["--db", str(path), "visits", "--on", later, "--area", "33", "--pdf", str(empty)])
    assert code != 0 and not empty.exists()
    assert "no visits are due" in capsys.readouterr().err  # the command line speaks English
    # a folder that does not exist
    assert cli.main([*args, "--pdf", str(tmp_path / "no" / "x.pdf")]) != 0
    assert "no such folder" in capsys.readouterr().err
