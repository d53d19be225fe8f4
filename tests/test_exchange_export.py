"""Exporting: CSV with BOM, XLSX with Thai headers, GeoJSON, masking, audit, and the round trip."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from fieldapp import cli, thai
from fieldapp.exchange import export, read, run_import
from fieldapp.store import Store, open_store


@pytest.fixture
def demo_copy(demo_db: str, tmp_path: Path) -> Store:
    path = tmp_path / "demo.db"
    src = open_store(demo_db)
    src.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    src.close()
    shutil.copyfile(demo_db, path)
    s = open_store(path, user="tester")
    yield s
    s.close()


def all_docs(store: Store) -> dict[str, dict[str, Any]]:
    return {rid: store.get("household", rid).data for rid in store.ids("household")}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("codes", [False, True])
def test_export_then_import_gives_the_same_records(
    demo_copy: Store, tmp_path: Path, fmt: str, codes: bool
) -> None:
    # two survey rounds of a household: the same people in both, the later linked to the earlier
    first = demo_copy.ids("household")[0]
    nxt = demo_copy.start_next_round("household", first).doc
    for m in nxt["members"]:  # answered (an import gives a new record's empty answers their defaults)
        m["resident"] = True
    demo_copy.save("household", nxt, partial_ok=True)
    out = tmp_path / f"out.{fmt}"
    result = export(demo_copy, "household", fmt, out, unmask=True, codes=codes)
    total = demo_copy.count("household")
    assert result.records == total > 120
    fresh = open_store(tmp_path / "fresh.db", user="tester")
    report = run_import(fresh, out, form_id="household")
    assert report.problems == [] and report.created == total
    assert all_docs(fresh) == all_docs(demo_copy)
    # and back into the database it came from: nothing changes
    again = run_import(demo_copy, out, form_id="household")
    assert (again.created, again.updated, again.unchanged) == (0, 0, total)
    fresh.close()


def test_masked_export_reimported_keeps_every_stored_id(demo_copy: Store, tmp_path: Path) -> None:
    before = all_docs(demo_copy)
    out = tmp_path / "masked.xlsx"
    export(demo_copy, "household", "xlsx", out)
    report = run_import(demo_copy, out, form_id="household")
    assert report.unchanged == demo_copy.count("household") and report.masked_ids > 0
    assert all_docs(demo_copy) == before


def test_csv_is_utf8_with_bom_and_members_in_their_own_linked_file(demo_copy: Store, tmp_path: Path) -> None:
    out = tmp_path / "hh.csv"
    result = export(demo_copy, "household", "csv", out)
    assert result.files == [out, tmp_path / "hh_members.csv"]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig") as fh:
        main = list(csv.reader(fh))
    with (tmp_path / "hh_members.csv").open(encoding="utf-8-sig") as fh:
        members = list(csv.reader(fh))
    assert main[0][0] == "id" and "บ้านเลขที่" in main[0] and members[0][:2] == ["id", "household_id"]
    ids = {r[0] for r in main[1:]}
    assert {r[1] for r in members[1:]} <= ids and len(members) - 1 == result.rows["members"]
    nid_col = members[0].index("เลขประจำตัวประชาชน 13 หลัก")
    assert all("xxxxx" in r[nid_col] for r in members[1:] if r[nid_col])


def test_xlsx_has_thai_headers_or_codes_and_a_members_sheet(demo_copy: Store, tmp_path: Path) -> None:
    export(demo_copy, "household", "xlsx", tmp_path / "th.xlsx", unmask=True)
    wb = openpyxl.load_workbook(tmp_path / "th.xlsx", read_only=True)
    assert wb.sheetnames == ["แบบสำรวจข้อมูลครัวเรือน", "สมาชิกในครัวเรือน"]
    head = next(wb["แบบสำรวจข้อมูลครัวเรือน"].iter_rows(values_only=True))
    assert "ระดับการดำรงชีพของครัวเรือน" in head and "พิกัดบ้าน (GPS) (ละติจูด)" in head
    mrows = list(wb["สมาชิกในครัวเรือน"].iter_rows(values_only=True))
    col = mrows[0].index("เลขประจำตัวประชาชน 13 หลัก")
    assert all(thai.is_valid_national_id(r[col]) for r in mrows[1:] if r[col])
    wb.close()
    export(demo_copy, "household", "xlsx", tmp_path / "codes.xlsx", codes=True)
    book = read(tmp_path / "codes.xlsx")
    assert [t.name for t in book.tables] == ["household", "members"]
    assert "poverty_class" in book.main.headers and "location.lat" in book.main.headers


@pytest.mark.parametrize("codes", [False, True])
def test_xlsx_cells_read_by_openpyxl_equal_the_csv_export(
    demo_copy: Store, tmp_path: Path, codes: bool
) -> None:
    """The XLSX writer (shared strings, generated row writers) and the CSV writer agree cell by cell."""
    export(demo_copy, "household", "xlsx", tmp_path / "x.xlsx", codes=codes)
    export(demo_copy, "household", "csv", tmp_path / "x.csv", codes=codes)
    wb = openpyxl.load_workbook(tmp_path / "x.xlsx", read_only=True)
    shared_cells = 0
    for sheet, csv_name in zip(wb.sheetnames, ["x.csv", "x_members.csv"], strict=True):
        xrows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
        with (tmp_path / csv_name).open(encoding="utf-8-sig", newline="") as fh:
            crows = list(csv.reader(fh))
        assert len(xrows) == len(crows) > 1
        for xr, cr in zip(xrows, crows, strict=True):
            xr += [None] * (len(cr) - len(xr))
            for x, c in zip(xr, cr, strict=True):
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    assert float(c) == x
                else:
                    assert ("" if x is None else str(x)) == c
                shared_cells += x in ("ใช่", "ไม่ใช่")
    wb.close()
    assert codes or shared_cells > 100  # the yes/no labels came through the shared-string table


def test_geojson_has_only_records_with_coordinates(demo_copy: Store, tmp_path: Path) -> None:
    out = tmp_path / "hh.geojson"
    result = export(demo_copy, "household", "geojson", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    with_coords = demo_copy.conn.execute(
        "SELECT count(*) FROM household WHERE deleted = 0 AND location_lat IS NOT NULL"
    ).fetchone()[0]
    assert data["type"] == "FeatureCollection" and len(data["features"]) == with_coords == result.records
    f = data["features"][0]
    lon, lat = f["geometry"]["coordinates"]
    assert 97 <= lon <= 106 and 5 <= lat <= 21 and "members" not in f["properties"]


def test_area_filter_and_the_audit_log(demo_copy: Store, tmp_path: Path) -> None:
    code = demo_copy.list("household", limit=1, columns=["subdistrict_code"])[0]["subdistrict_code"]
    result = export(demo_copy, "household", "csv", tmp_path / "a.csv", areas=[code[:4]], unmask=True)
    assert result.records == demo_copy.count("household", area=code[:4]) < 120
    row = demo_copy.conn.execute(
        "SELECT user, form_id, detail FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    detail = json.loads(row[2])
    assert row[:2] == ("tester", "household") and detail["unmasked"] is True and detail["areas"] == [code[:4]]
    assert detail["records"] == result.records and detail["format"] == "csv"


def test_cli_export_and_bad_format(demo_copy: Store, tmp_path: Path, capsys: Any) -> None:
    db = str(demo_copy.path)
    assert cli.main(["--db", db, "export", "household", "-o", str(tmp_path / "x.xlsx")]) == 0
    assert f"exported {demo_copy.count('household')} records" in capsys.readouterr().out
    assert cli.main(["--db", db, "export", "household", "-o", str(tmp_path / "x.txt")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fieldapp: error:")
    assert cli.main(["--db", db, "export", "household", "-o", str(tmp_path / "nodir" / "x.csv")]) == 1


FORMULAS = {
    "village_name": '=HYPERLINK("http://example.com","คลิก")',
    "house_no": "+1-2",
    "consent_by": "@SUM(A1:A9)",
}


def test_csv_export_neutralises_formulas_but_not_numbers_and_reads_back_the_same(
    store: Store, household: dict[str, Any], tmp_path: Path
) -> None:
    doc = {**household, **FORMULAS}
    doc["members"][0]["first_name"] = "-2+3"
    doc["members"][0]["last_name"] = "'=already quoted"
    rid = store.save("household", doc).record.id
    out = tmp_path / "hh.csv"
    export(store, "household", "csv", out, codes=True, unmask=True)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        head, row = list(csv.reader(fh))
    cell = dict(zip(head, row, strict=True))
    assert cell["village_name"] == "'" + FORMULAS["village_name"]
    assert cell["house_no"] == "'+1-2" and cell["consent_by"] == "'@SUM(A1:A9)"
    assert float(cell["income_wage"]) == 36000 and cell["location.lat"] == "14.88"  # numbers as they are
    assert not [v for v in row if v and v[0] in "=+-@\t\r"]
    with (tmp_path / "hh_members.csv").open(encoding="utf-8-sig", newline="") as fh:
        mhead, mrow = list(csv.reader(fh))[:2]
    member = dict(zip(mhead, mrow, strict=True))
    assert member["first_name"] == "'-2+3" and member["last_name"] == "''=already quoted"
    # the importer takes the apostrophe off again: the round trip is exact
    fresh = open_store(tmp_path / "fresh.db", user="tester")
    report = run_import(fresh, out, form_id="household")
    assert report.problems == [] and report.created == 1
    assert fresh.get("household", rid).data == store.get("household", rid).data
    fresh.close()


def test_plain_numbers_in_text_are_not_changed_in_csv() -> None:
    from fieldapp.exchange.exporter import csv_cell

    for number in ("-5", "+66812345678", "-0.5", "1e3", "-.5"):
        assert csv_cell(number) == number
    for formula in ("-5+1", "=1", "+A1", "@x", "\t=1", "\r=1", "-", "'+x"):
        assert csv_cell(formula) == "'" + formula
    assert csv_cell(-5) == -5 and csv_cell("'quoted") == "'quoted" and csv_cell(None) is None


def test_xlsx_export_keeps_formula_like_text_as_text(
    store: Store, household: dict[str, Any], tmp_path: Path
) -> None:
    store.save("household", {**household, **FORMULAS})
    export(store, "household", "xlsx", tmp_path / "hh.xlsx", codes=True)
    wb = openpyxl.load_workbook(tmp_path / "hh.xlsx")
    ws = wb.worksheets[0]
    head = [c.value for c in ws[1]]
    cells = {h: c for h, c in zip(head, ws[2], strict=False)}
    assert cells["village_name"].value == FORMULAS["village_name"] and cells["village_name"].data_type == "s"
    wb.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_a_cancelled_export_leaves_no_file_and_says_so_in_the_audit_log(
    demo_copy: Store, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    seen: list[tuple[int, int]] = []
    total = demo_copy.count("household")
    result = export(
        demo_copy,
        "household",
        fmt,
        out / f"hh.{fmt}",
        progress=lambda d, t: seen.append((d, t)),
        cancel=lambda: True,
    )
    assert result.cancelled and result.files == [] and list(out.iterdir()) == []
    assert seen and seen[0][1] == total and seen[-1][0] <= total
    detail = json.loads(
        demo_copy.conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    )
    assert detail["cancelled"] is True and detail["format"] == fmt
    done = export(demo_copy, "household", fmt, out / f"hh.{fmt}", progress=lambda d, t: seen.append((d, t)))
    assert not done.cancelled and done.records == total and (out / f"hh.{fmt}").exists()
