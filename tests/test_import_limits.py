"""Zip bombs and oversized files: the importer refuses them while reading, with one clear message.

The bomb files are built here, small and fast: a sheet of many tiny rows (the real one was a
12.6 MB XLSX with 10 million rows), and a shared string of many megabytes (the real one was 1 GiB
in a 1 MB XLSX) that would otherwise be built in memory and printed by ``--dry-run``.
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from fieldapp import cli
from fieldapp.exchange import read, readers, xlsxreader
from fieldapp.exchange.readers import ImportFileError

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _workbook(z: zipfile.ZipFile, shared: bool) -> None:
    z.writestr(
        "xl/workbook.xml",
        f'<workbook xmlns="{NS}" xmlns:r="{RNS}"><sheets>'
        '<sheet name="list" sheetId="1" r:id="rId1"/></sheets></workbook>',
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>'
    )
    if shared:
        rels += '<Relationship Id="rId2" Type="x/sharedStrings" Target="sharedStrings.xml"/>'
    z.writestr("xl/_rels/workbook.xml.rels", rels + "</Relationships>")


def rows_bomb(path: Path, rows: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        _workbook(z, shared=False)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
            fh.write(b'<row><c t="inlineStr"><is><t>name</t></is></c></row>')
            block = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
            for _ in range(rows // 1000):
                fh.write(block)
            fh.write(b"</sheetData></worksheet>")
    return path


def string_bomb(path: Path, megabytes: int) -> Path:
    """The header cell is one shared string of ``megabytes`` MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        _workbook(z, shared=True)
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{NS}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>',
        )
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<sst xmlns="{NS}"><si><t>'.encode())
            block = b"A" * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
            fh.write(b"</t></si></sst>")
    return path


def test_a_sheet_with_too_many_rows_is_refused_while_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsxreader, "MAX_ROWS", 2_000)
    bomb = rows_bomb(tmp_path / "rows.xlsx", 200_000)
    read_bytes: list[int] = []
    metered = xlsxreader._Metered.read

    def counting(self: xlsxreader._Metered, size: int = -1) -> bytes:
        data = metered(self, size)
        read_bytes.append(len(data))
        return data

    monkeypatch.setattr(xlsxreader._Metered, "read", counting)
    with pytest.raises(ImportFileError) as err:
        read(bomb)
    assert "2,000 rows" in err.value.message_en and "2,000 แถว" in err.value.message
    assert sum(read_bytes) < 2_000_000  # stopped near the limit, not after the 10 MB sheet


def test_a_huge_shared_string_is_refused_before_it_is_built(tmp_path: Path) -> None:
    bomb = string_bomb(tmp_path / "string.xlsx", 128)
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError) as err:
            read(bomb)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "32,767 characters" in err.value.message_en and "32,767 ตัวอักษร" in err.value.message
    assert peak < 48 * 1024 * 1024  # the 128 MB cell was never held in memory


def test_dry_run_of_a_bomb_prints_the_message_not_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = string_bomb(tmp_path / "string.xlsx", 8)
    code = cli.main(["--db", str(tmp_path / "f.db"), "import", str(bomb), "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 1 and "32,767 characters" in err and "Traceback" not in err
    assert "AAAA" not in out + err and len(out) < 10_000


def test_a_cell_beyond_the_last_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        _workbook(z, shared=False)
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{NS}"><sheetData><row r="1">'
            '<c r="ZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>',
        )
    with pytest.raises(ImportFileError) as err:
        read(path)
    assert "columns" in err.value.message_en


def test_a_cell_longer_than_excel_allows_is_cut_and_left_to_its_row(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        _workbook(z, shared=False)
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>notes</t></is></c>'
            f'</row><row r="2"><c r="A2" t="inlineStr"><is><t>{"ก" * 40_000}</t></is></c></row>'
            "</sheetData></worksheet>",
        )
    ((_row, cells),) = read(path).main.rows
    assert len(cells[0]) == xlsxreader.MAX_CELL_CHARS + 1  # too long for any field: a row problem


def test_csv_limits_rows_and_cell_length(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long = tmp_path / "long.csv"
    long.write_text("name,house_no\n" + "x" * 40_000 + ",1\n", "utf-8")
    assert len(read(long).main.rows[0][1][0]) == readers.MAX_CELL + 1
    huge = tmp_path / "huge.csv"
    huge.write_text("name,house_no\n" + "x" * (readers.MAX_CSV_FIELD + 1) + ",1\n", "utf-8")
    with pytest.raises(ImportFileError) as err:
        read(huge)
    assert "32,767 characters" in err.value.message_en and "(row 2)" in err.value.message_en
    heading = tmp_path / "heading.csv"
    heading.write_text("x" * 40_000 + ",house_no\nn,1\n", "utf-8")
    with pytest.raises(ImportFileError):
        read(heading)
    monkeypatch.setattr(readers, "MAX_ROWS", 50)
    many = tmp_path / "many.csv"
    many.write_text("name,house_no\n" + "".join(f"n{i},{i}\n" for i in range(60)), "utf-8")
    with pytest.raises(ImportFileError) as err:
        read(many)
    assert "50 rows" in err.value.message_en


def test_a_normal_file_still_reads(tmp_path: Path) -> None:
    book = read(rows_bomb(tmp_path / "small.xlsx", 3_000))
    assert book.main.headers == ["name"] and len(book.main.rows) == 3_000
