"""Importing target lists: encodings, column matching, per-row problems, matching and idempotence."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from fieldapp import cli, thai
from fieldapp.exchange import ImportFileError, Mapping, auto_mapping, preview, read, run_import
from fieldapp.store import Store


def nid(first12: str) -> str:
    return first12 + str(thai.national_id_check_digit(first12))


A, B, C, D = nid("110370248899"), nid("310050123456"), nid("120010012345"), nid("510130001234")
HEADERS = [
    "ลำดับ",
    "คำนำหน้า",
    "ชื่อ",
    "นามสกุล",
    "เลขบัตรประชาชน",
    "บ้านเลขที่",
    "หมู่",
    "ตำบล",
    "อำเภอ",
    "จังหวัด",
    "หมายเหตุอื่น",
]
ROWS: list[list[Any]] = [
    [1, "นาย", "สมชาย", "ใจดี", A, "12", 4, "ในเมือง", "เมืองสุรินทร์", "สุรินทร์", "ไม่ใช้"],
    [2, "นาง", "สมหญิง", "ดีใจ", B, "13/1", 4, "ในเมือง", "เมืองสุรินทร์", "สุรินทร์", ""],
    [3, "นางสาว", "มาลี", "ศรีสุข", C, "7", 2, "320101", "", "", ""],
]


def write_csv(path: Path, headers: list[str], rows: list[list[Any]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, headers: list[str], rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "รายชื่อเป้าหมาย"
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def heads(store: Store) -> dict[str, dict[str, Any]]:
    out = {}
    for rid in store.ids("household"):
        rec = store.get("household", rid)
        for m in rec.data["members"]:
            out[m["national_id"]] = {"record": rid, "house_no": rec.data["house_no"], **m}
    return out


@pytest.mark.parametrize("kind", ["utf-8", "utf-8-sig", "cp874", "tis-620", "xlsx"])
def test_target_list_imports_the_same_households_in_every_encoding(
    store: Store, tmp_path: Path, kind: str
) -> None:
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "list.xlsx", HEADERS, ROWS)
    else:
        path = write_csv(tmp_path / "list.csv", HEADERS, ROWS, kind)
    report = run_import(store, path, form_id="household")
    assert report.problems == []
    assert (report.created, report.rows) == (3, 3)
    found = heads(store)
    assert found[A]["first_name"] == "สมชาย" and found[A]["prefix"] == "mr" and found[A]["relation"] == "head"
    assert found[B]["house_no"] == "13/1"
    rec = store.get("household", found[C]["record"])
    assert rec.data["subdistrict_code"] == "320101" and rec.data["village_no"] == 2
    if kind in ("cp874", "tis-620"):
        assert read(path).encoding == "cp874"


def test_chosen_encoding_that_does_not_fit_is_one_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", HEADERS, ROWS, "cp874")
    with pytest.raises(ImportFileError) as err:
        read(path, encoding="utf-8")
    assert "encoding" in err.value.message_en
    with pytest.raises(ImportFileError):
        read(path, encoding="latin-9")


def test_headers_in_english_and_field_ids_are_matched(formset: Any, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "en.csv",
        [
            "First name",
            "Surname",
            "Citizen ID",
            "House number",
            "Moo",
            "subdistrict_code",
            "Latitude",
            "Longitude",
        ],
        [["Somchai", "Jaidee", A, "1", 3, "320101", 14.88, 103.49]],
    )
    m = auto_mapping(formset["household"], read(path))
    assert m.columns == {
        "First name": "members.first_name",
        "Surname": "members.last_name",
        "Citizen ID": "members.national_id",
        "House number": "house_no",
        "Moo": "village_no",
        "subdistrict_code": "subdistrict_code",
        "Latitude": "location.lat",
        "Longitude": "location.lon",
    }


def test_missing_and_extra_columns(store: Store, tmp_path: Path) -> None:
    # no house number column, an extra column nobody knows: partial lists import, extras are listed
    headers = ["ชื่อ", "นามสกุล", "เลขบัตรประชาชน", "รหัสตำบล", "สีบ้าน"]
    path = write_csv(tmp_path / "l.csv", headers, [["สมชาย", "ใจดี", A, "320101", "ฟ้า"]])
    report = run_import(store, path, form_id="household")
    assert report.created == 1 and report.unmapped == ["สีบ้าน"]
    # with --complete every required answer is needed: each missing one is a problem of that row
    path2 = write_csv(tmp_path / "l2.csv", headers, [["มาลี", "ศรีสุข", C, "320101", ""]])
    report2 = run_import(store, path2, form_id="household", partial_ok=False)
    assert report2.created == 0 and report2.invalid == 1
    assert {p.row for p in report2.problems} == {2}
    assert any("บ้านเลขที่" in p.message for p in report2.problems)


def test_wrong_type_in_a_cell_is_reported_with_row_and_column_and_nothing_of_that_row_written(
    store: Store, tmp_path: Path
) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][6] = "หมู่สี่"
    path = write_csv(tmp_path / "l.csv", HEADERS, rows)
    report = run_import(store, path, form_id="household")
    assert report.created == 2 and report.invalid == 1
    (p,) = report.problems
    assert (p.row, p.column) == (3, "หมู่") and "จำนวนเต็ม" in p.message
    assert B not in heads(store)


def test_invalid_member_line_keeps_its_whole_household_out(store: Store, tmp_path: Path) -> None:
    headers = ["รหัสครัวเรือน", "ชื่อ", "นามสกุล", "เลขบัตรประชาชน", "ความสัมพันธ์", "บ้านเลขที่", "รหัสตำบล"]
    rows = [
        ["H1", "สมชาย", "ใจดี", A, "หัวหน้าครัวเรือน", "1", "320101"],
        ["H1", "สมหญิง", "ใจดี", "1234567890123", "คู่สมรส", "1", "320101"],
        ["H2", "มาลี", "ศรีสุข", C, "หัวหน้าครัวเรือน", "2", "320101"],
        ["H2", "ทองดี", "ศรีสุข", D, "บุตร", "2", "320101"],
    ]
    report = run_import(store, write_csv(tmp_path / "g.csv", headers, rows), form_id="household")
    assert (report.records, report.created, report.invalid) == (2, 1, 1)
    assert [(p.row, p.column) for p in report.problems] == [(3, "เลขบัตรประชาชน")]
    found = heads(store)
    assert A not in found and found[C]["record"] == found[D]["record"]
    assert store.count("household") == 1


def test_duplicate_national_id_within_one_file_is_a_problem_of_the_later_row(
    store: Store, tmp_path: Path
) -> None:
    rows = [list(r) for r in ROWS] + [[4, "นาย", "สมชาย", "ซ้ำ", A, "99", 1, "320101", "", "", ""]]
    report = run_import(store, write_csv(tmp_path / "l.csv", HEADERS, rows), form_id="household")
    assert report.created == 3
    (p,) = report.problems
    assert p.row == 5 and p.column == "เลขบัตรประชาชน" and "แถวที่ 2" in p.message and p.code == "duplicate"
    assert store.count("household") == 3


def test_national_id_already_in_the_database_updates_that_household(
    store: Store, tmp_path: Path, household: dict[str, Any]
) -> None:
    saved = store.save("household", household).record
    head_id = household["members"][0]["national_id"]
    path = write_csv(
        tmp_path / "l.csv",
        ["เลขบัตรประชาชน", "ชื่อ", "นามสกุล", "บ้านเลขที่", "โทรศัพท์"],
        [[thai.format_national_id(head_id), "สมชาย", "ใจดี", "99/9", "081-234-5678"]],
    )
    report = run_import(store, path, form_id="household")
    assert (report.created, report.updated) == (0, 1)
    rec = store.get("household", saved.id)
    assert rec.data["house_no"] == "99/9" and rec.data["members"][0]["phone"] == "0812345678"
    assert len(rec.data["members"]) == 2 and rec.data["income_wage"] == 36000  # nothing else lost
    assert store.count("household") == 1


def test_reimporting_the_same_file_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "l.xlsx", HEADERS, ROWS)
    run_import(store, path, form_id="household")
    before = {rid: store.get("household", rid).updated_at for rid in store.ids("household")}
    audit = store.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'import'").fetchone()[0]
    report = run_import(store, path, form_id="household")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert {rid: store.get("household", rid).updated_at for rid in store.ids("household")} == before
    # only the summary line of the second import is new in the audit log, no record versions
    assert (
        store.conn.execute("SELECT count(*) FROM audit_log WHERE action = 'import'").fetchone()[0]
        == audit + 1
    )


def test_masked_national_id_never_overwrites_a_stored_one(store: Store, tmp_path: Path) -> None:
    run_import(store, write_csv(tmp_path / "l.csv", HEADERS, ROWS), form_id="household")
    rid = heads(store)[A]["record"]
    rows = [
        ["", "นาย", "สมชาย", "ใจดี", thai.mask_national_id(A), "12", 5, "ในเมือง", "เมืองสุรินทร์", "สุรินทร์", ""]
    ]
    headers = ["id", *HEADERS[1:]]
    rows[0][0] = rid
    report = run_import(store, write_csv(tmp_path / "m.csv", headers, rows), form_id="household")
    assert report.updated == 1 and report.masked_ids == 1
    rec = store.get("household", rid)
    assert rec.data["members"][0]["national_id"] == A and rec.data["village_no"] == 5
    assert len(rec.data["members"]) == 1


def test_one_megabyte_cell_is_a_row_problem_not_a_crash(store: Store, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][10] = "ก" * 1_000_000
    m = Mapping.from_dict(
        {
            "form": "household",
            "columns": {
                h: t
                for h, t in zip(
                    HEADERS,
                    [
                        None,
                        "members.prefix",
                        "members.first_name",
                        "members.last_name",
                        "members.national_id",
                        "house_no",
                        "village_no",
                        "subdistrict_name",
                        "district_name",
                        "province_name",
                        "notes",
                    ],
                    strict=True,
                )
            },
        }
    )
    for path in (
        write_csv(tmp_path / "big.csv", HEADERS, rows),
        write_xlsx(tmp_path / "big.xlsx", HEADERS, rows),
    ):
        report = run_import(store, path, form_id="household", mapping=m, dry_run=True)
        assert report.invalid == 1 and report.created == 2
        (p,) = report.problems
        assert p.row == 2 and p.column == "หมายเหตุอื่น" and p.code == "text.too_long"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("data.csv", bytes(range(256)) * 10),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
        ("fake.xlsx", b"PK\x03\x04not really a zip"),
        ("empty.csv", b""),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_one_clear_error(
    tmp_path: Path, name: str, content: bytes, capsys: Any
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError):
        read(path)
    rc = cli.main(["--db", str(tmp_path / "f.db"), "import", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and err[0].startswith("fieldapp: error:")


def test_subdistrict_names_resolve_and_ambiguous_names_are_reported(store: Store, tmp_path: Path) -> None:
    headers = ["ชื่อ", "นามสกุล", "บ้านเลขที่", "ตำบล", "จังหวัด"]
    rows = [["ก", "ข", "1", "ในเมือง", "สุรินทร์"], ["ค", "ง", "2", "ในเมือง", ""], ["จ", "ฉ", "3", "ไม่มีที่นี่", ""]]
    report = run_import(store, write_csv(tmp_path / "s.csv", headers, rows), form_id="household")
    assert report.created == 1
    assert [(p.row, p.column) for p in report.problems] == [(3, "ตำบล"), (4, "ตำบล")]
    assert "หลายแห่ง" in report.problems[0].message and "ไม่พบตำบล" in report.problems[1].message


def test_report_is_saved_as_a_thai_spreadsheet(store: Store, tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][6] = "x"
    report = run_import(store, write_csv(tmp_path / "l.csv", HEADERS, rows), form_id="household")
    out = report.save(tmp_path / "report.xlsx")
    ws = openpyxl.load_workbook(out).active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == ("แผ่นงาน", "แถวที่", "คอลัมน์", "ปัญหา", "problem")
    assert values[1][1:3] == (4, "หมู่")
    assert report.save(tmp_path / "report.csv").read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_mapping_is_editable_saved_and_reused(store: Store, tmp_path: Path, suffix: str) -> None:
    headers = ["col1", "col2", "col3", "col4"]
    path = write_csv(tmp_path / "l.csv", headers, [["สมชาย", "ใจดี", "5", "320101"]])
    m = auto_mapping(store.form("household"), read(path))
    assert not any(m.columns.values())
    m.columns = {
        "col1": "members.first_name",
        "col2": "members.last_name",
        "col3": "house_no",
        "col4": "subdistrict_code",
    }
    m.defaults = {"tpmap_target": True}
    saved = m.save(tmp_path / f"map{suffix}")
    again = Mapping.load(saved)
    assert again == m
    rc = cli.main(["--db", str(store.path), "import", str(path), "--mapping", str(saved)])
    assert rc == 0
    rec = store.get("household", store.ids("household")[0])
    assert rec.data["house_no"] == "5" and rec.data["tpmap_target"] is True


def test_mapping_naming_an_unknown_field_is_refused(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", ["a"], [["1"]])
    m = Mapping.from_dict({"form": "household", "columns": {"a": "no_such_field"}})
    with pytest.raises(Exception, match="no_such_field"):
        run_import(store, path, form_id="household", mapping=m)


def test_dry_run_and_preview_write_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "l.csv", HEADERS, ROWS)
    docs = preview(store, path, form_id="household", rows=2)
    assert [d["head_name"] for d in docs] == ["สมชาย ใจดี", "สมหญิง ดีใจ"]
    report = run_import(store, path, form_id="household", dry_run=True)
    assert report.created == 3 and store.count("household") == 0
    assert store.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 0


def test_large_imports_use_worker_processes_with_the_same_result(store: Store, tmp_path: Path) -> None:
    rows = [
        [i, "นาย", f"ชื่อ{i}", "สกุล", nid(f"1{i:011d}"), str(i), 1, "320101", "", "", ""] for i in range(1, 41)
    ]
    path = write_csv(tmp_path / "l.csv", HEADERS, rows)
    report = run_import(store, path, form_id="household", workers=2)
    assert report.created == 40 and report.problems == []
    assert run_import(store, path, form_id="household", workers=2).unchanged == 40


def test_cli_import_json_report(store: Store, tmp_path: Path, capsys: Any) -> None:
    path = write_csv(tmp_path / "l.csv", HEADERS, ROWS)
    store.close()
    rc = cli.main(
        ["--db", str(store.path), "import", str(path), "--json", "--report", str(tmp_path / "r.xlsx")]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["created"] == 3 and (tmp_path / "r.xlsx").exists()
    store.__init__(store.path, user="tester")  # reopen for the fixture's close
