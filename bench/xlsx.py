"""Our XLSX reader and writer against the libraries that could replace them. Prints figures.

* write 100,000 rows × 12 columns (Thai names, national IDs, numbers, dates as text) with our
  ``fieldapp.exchange.xlsxwriter``, XlsxWriter (``constant_memory``) and rustpy-xlsxwriter;
* read the same file back with our ``fieldapp.exchange.xlsxreader``, python-calamine and
  openpyxl (read-only).

The libraries are not dependencies of fieldapp: install them into a throwaway environment to
compare (``pip install python-calamine xlsxwriter rustpy-xlsxwriter``); a missing one is skipped.

    python bench/xlsx.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine  # noqa: E402

from fieldapp import thai  # noqa: E402
from fieldapp.exchange import xlsxreader  # noqa: E402
from fieldapp.exchange.xlsxwriter import XlsxWriter  # noqa: E402

HEADERS = [
    "household_code",
    "house_no",
    "village_no",
    "village_name",
    "subdistrict_code",
    "prefix",
    "first_name",
    "last_name",
    "national_id",
    "birth_date",
    "income_wage",
    "members",
]
FIRST = ["สมชาย", "สมหญิง", "บุญมี", "ประเสริฐ", "มาลี", "สุดารัตน์", "ทองดี", "วันเพ็ญ"]
LAST = ["ใจดี", "ศรีสุข", "บุญมา", "แก้วมณี", "สายทอง", "พรหมมา", "ทองคำ"]
VILLAGES = ["บ้านหนองบัว", "บ้านโนนสูง", "บ้านดงยาง", "บ้านสร้างแก้ว"]


def rows(n: int) -> list[list[Any]]:
    rnd = random.Random(7)
    out: list[list[Any]] = []
    for i in range(n):
        first12 = f"{rnd.randint(1, 8)}{rnd.randint(10**10, 10**11 - 1)}"
        out.append(
            [
                f"HH{i:07d}",
                f"{rnd.randint(1, 300)}/{rnd.randint(1, 9)}",
                rnd.randint(1, 20),
                rnd.choice(VILLAGES),
                f"32{rnd.randint(1, 17):02d}{rnd.randint(1, 12):02d}",
                rnd.choice(["นาย", "นาง", "นางสาว"]),
                rnd.choice(FIRST),
                rnd.choice(LAST),
                first12 + str(thai.national_id_check_digit(first12)),
                f"{rnd.randint(1940, 2020)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                rnd.randint(0, 20) * 12_000,
                rnd.randint(1, 9),
            ]
        )
    return out


def timed(label: str, fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<38} {seconds:6.2f} s", flush=True)
    return seconds


def write_ours(path: Path, data: list[list[Any]]) -> None:
    with XlsxWriter(path) as x:
        x.sheet("households", HEADERS, data)


def write_xlsxwriter(path: Path, data: list[list[Any]]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("households")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, HEADERS, bold)
    for i, row in enumerate(data, start=1):
        sheet.write_row(i, 0, row)
    book.close()


def write_rustpy(path: Path, data: list[list[Any]]) -> None:
    from rustpy_xlsxwriter import FastExcel

    records = (dict(zip(HEADERS, row, strict=True)) for row in data)
    FastExcel(str(path)).sheet("households", records).save()


def read_ours(path: Path) -> int:
    n = 0
    for _name, sheet in xlsxreader.sheets(path):
        for _ in sheet:
            n += 1
    return n


def read_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    n = 0
    for name in book.sheet_names:
        for _ in book.get_sheet_by_name(name).iter_rows():
            n += 1
    return n


def read_openpyxl(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for sheet in book.worksheets for _ in sheet.iter_rows(values_only=True))
    book.close()
    return n


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    args = p.parse_args()
    print(machine())
    data = rows(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours = folder / "ours.xlsx"
        print(f"write {args.rows:,} rows x {len(HEADERS)} columns:")
        timed("fieldapp.exchange.xlsxwriter", lambda: write_ours(ours, data))
        print(f"    {ours.stat().st_size / 1e6:.1f} MB")
        for label, module, fn in (
            ("XlsxWriter (constant_memory)", "xlsxwriter", write_xlsxwriter),
            ("rustpy-xlsxwriter", "rustpy_xlsxwriter", write_rustpy),
        ):
            if not have(module):
                print(f"  {label:<38} not installed")
                continue
            out = folder / f"{module}.xlsx"
            timed(label, lambda fn=fn, out=out: fn(out, data))
            print(f"    {out.stat().st_size / 1e6:.1f} MB")
        print(f"read it back ({args.rows + 1:,} rows with the header):")
        for label, module, reader in (
            ("fieldapp.exchange.xlsxreader", "fieldapp", read_ours),
            ("python-calamine", "python_calamine", read_calamine),
            ("openpyxl (read-only)", "openpyxl", read_openpyxl),
        ):
            if not have(module):
                print(f"  {label:<38} not installed")
                continue
            counted: list[int] = []
            timed(label, lambda reader=reader, counted=counted: counted.append(reader(ours)))
            assert counted == [args.rows + 1], counted
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
