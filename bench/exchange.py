"""Benchmarks of import and export (``make bench``). Prints figures; never fails on time.

* import 100,000 household rows (a flat target list: one person per row, Thai names, valid national
  IDs, house number, moo, subdistrict) from XLSX and from CSV into an empty database — target < 60 s
  each;
* export 100,000 demo households with their members as CSV and as XLSX — target < 30 s.

    python bench/exchange.py [--households 100000] [--export-db PATH]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine  # noqa: E402

from fieldapp import geo  # noqa: E402
from fieldapp.exchange import export, run_import  # noqa: E402
from fieldapp.exchange.exporter import write_csv  # noqa: E402
from fieldapp.exchange.xlsxwriter import XlsxWriter  # noqa: E402
from fieldapp.store import open_store  # noqa: E402
from fieldapp.thai import national_id_check_digit  # noqa: E402

FIRST = ["สมชาย", "สมหญิง", "บุญมี", "ประยูร", "มาลี", "สุดา", "ทองดี", "คำปุ่น", "บัวผัน", "จันทร์เพ็ญ"]
LAST = ["ใจดี", "ศรีสุข", "บุญมา", "ทองคำ", "แก้วมณี", "สายทอง", "พรมมา", "ภูมิใจ", "วงศ์ไทย", "คำแก้ว"]
PREFIX = ["นาย", "นาง", "นางสาว"]
HEADERS = ["ลำดับ", "คำนำหน้า", "ชื่อ", "นามสกุล", "เลขบัตรประชาชน", "บ้านเลขที่", "หมู่", "รหัสตำบล", "โทรศัพท์"]


def target_rows(n: int) -> list[list[object]]:
    rng = random.Random(5)
    subs = [a.code for d in geo.districts("32") for a in geo.subdistricts(d.code)]
    seen: set[str] = set()
    rows: list[list[object]] = []
    for i in range(n):
        while True:
            first12 = str(rng.choice([1, 3, 5])) + "".join(str(rng.randint(0, 9)) for _ in range(11))
            nid = first12 + str(national_id_check_digit(first12))
            if nid not in seen:
                seen.add(nid)
                break
        phone = "08" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        rows.append(
            [
                i + 1,
                rng.choice(PREFIX),
                rng.choice(FIRST),
                rng.choice(LAST),
                nid,
                f"{rng.randint(1, 300)}/{rng.randint(1, 9)}",
                rng.randint(1, 20),
                rng.choice(subs),
                phone,
            ]
        )
    return rows


def bench_import(tmp: Path, n: int) -> None:
    rows = target_rows(n)
    xlsx = tmp / "targets.xlsx"
    with XlsxWriter(xlsx) as x:
        x.sheet("รายชื่อ", HEADERS, iter(rows))
    csv_path = tmp / "targets.csv"
    write_csv(csv_path, HEADERS, iter(rows))
    for path in (xlsx, csv_path):
        db = tmp / f"import-{path.suffix[1:]}.db"
        with open_store(db, user="bench") as store:
            t = time.perf_counter()
            report = run_import(store, path, form_id="household")
            took = time.perf_counter() - t
            again = time.perf_counter()
            report2 = run_import(store, path, form_id="household")
            took2 = time.perf_counter() - again
        size = path.stat().st_size / 1e6
        print(
            f"import {n:,} rows from {path.suffix[1:].upper()} ({size:.1f} MB): {took:.1f} s "
            f"({report.created:,} created, {len(report.problems)} problems) — target < 60 s"
        )
        print(
            f"  re-import of the same file: {took2:.1f} s ({report2.unchanged:,} unchanged, {report2.created} created)"
        )


def bench_export(db: Path) -> None:
    with open_store(db, user="bench") as store:
        n = store.count("household")
        for fmt in ("csv", "xlsx"):
            out = db.with_name(f"export.{fmt}")
            t = time.perf_counter()
            result = export(store, "household", fmt, out, unmask=False)
            took = time.perf_counter() - t
            size = sum(f.stat().st_size for f in result.files) / 1e6
            print(
                f"export {n:,} households with {result.rows.get('members', 0):,} members as {fmt.upper()} "
                f"({size:.0f} MB): {took:.1f} s — target < 30 s"
            )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--households", type=int, default=100_000)
    p.add_argument("--export-db", type=Path, help="export from this database instead of making demo data")
    args = p.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bench_import(tmp, args.households)
        db = args.export_db
        if db is None:
            db = tmp / "demo.db"
            t = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "fieldapp",
                    "--db",
                    str(db),
                    "demo",
                    "--households",
                    str(args.households),
                    "--seed",
                    "1",
                ],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            print(f"(demo data for the export: {time.perf_counter() - t:.0f} s)")
        bench_export(db)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
