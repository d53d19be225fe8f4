"""Reading spreadsheets: XLSX (openpyxl) and CSV in UTF-8 (with or without BOM), UTF-16 or TIS-620.

A file is read whole into :class:`Table` objects: the header row and the data rows with their row
numbers as a spreadsheet program shows them (the header is row 1). A file that is not a spreadsheet
raises :class:`ImportFileError` with one clear message.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp.errors import FieldAppError
from fieldapp.exchange import xlsxreader

#: Encodings a user may choose; "auto" detects UTF-8 (BOM or not), UTF-16 (BOM) and TIS-620.
ENCODINGS: dict[str, str] = {
    "auto": "auto",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "tis-620": "cp874",  # Windows-874 is a superset of TIS-620 (adds a few punctuation marks)
    "tis620": "cp874",
    "cp874": "cp874",
    "windows-874": "cp874",
}
# limits checked while reading (see xlsxreader): a file over them is refused with one message
MAX_CELL = xlsxreader.MAX_CELL_CHARS  # characters in one cell (Excel's own limit); longer is cut
MAX_CSV_FIELD = 4 * 1024 * 1024  # characters of one CSV field: more is not a list of households
MAX_ROWS = xlsxreader.MAX_ROWS  # rows in one sheet or CSV file
MAX_CSV_BYTES = 512 * 1024 * 1024
_SNIFF_BYTES = 64 * 1024


class ImportFileError(FieldAppError):
    """The file cannot be read as a spreadsheet (wrong type, encoding, damaged)."""


@dataclass
class Table:
    """One sheet: headers (as written, trimmed) and rows of cells with their row numbers."""

    name: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    def column(self, index: int, limit: int | None = None) -> list[Any]:
        rows = self.rows if limit is None else self.rows[:limit]
        return [cells[index] if index < len(cells) else None for _, cells in rows]


@dataclass
class Workbook:
    path: Path
    kind: str  # "xlsx" or "csv"
    encoding: str | None
    tables: list[Table]

    @property
    def main(self) -> Table:
        return self.tables[0]

    def table(self, name: str) -> Table | None:
        for t in self.tables[1:]:
            if t.name == name:
                return t
        return None


def read(path: str | Path, *, encoding: str | None = None, companions: bool = True) -> Workbook:
    """Read an XLSX or CSV file (detected from its content, not its name).

    For CSV, ``FILE_<repeat>.csv`` files next to ``FILE.csv`` (as written by the exporter) are read
    as extra tables named after the repeat (``members``).
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise ImportFileError(f"ไม่พบไฟล์ {p.name}", f"file not found: {p}") from None
    except OSError as exc:
        raise ImportFileError(f"เปิดไฟล์ {p.name} ไม่ได้", f"cannot open {p}: {exc.strerror}") from exc
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(p)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            f"ไฟล์ {p.name} เป็นไฟล์ Excel รุ่นเก่า (.xls) กรุณาเปิดใน Excel แล้วบันทึกเป็น .xlsx หรือ .csv",
            f"{p.name} is an old Excel .xls file: save it as .xlsx or .csv first",
        )
    tables = [_read_csv(p, encoding, p.stem)]
    enc = tables[0].name
    tables[0].name = p.stem
    if companions:
        for other in sorted(p.parent.glob(f"{p.stem}_*{p.suffix}")):
            repeat = other.stem[len(p.stem) + 1 :]
            if repeat:
                t = _read_csv(other, encoding, repeat)
                t.name = repeat
                tables.append(t)
    return Workbook(p, "csv", enc, tables)


# ---------------------------------------------------------------------- CSV


def _not_a_spreadsheet(p: Path) -> ImportFileError:
    return ImportFileError(
        f"ไฟล์ {p.name} ไม่ใช่ตารางข้อมูล (รองรับ .xlsx และ .csv)",
        f"{p.name} is not a spreadsheet (XLSX or CSV expected)",
    )


def decode(data: bytes, encoding: str | None, name: str = "") -> tuple[str, str]:
    """Text and the encoding used. ``encoding`` None or "auto" detects it."""
    key = (encoding or "auto").strip().lower()
    if key not in ENCODINGS:
        raise ImportFileError(
            f"ไม่รู้จักการเข้ารหัส {encoding!r} (ใช้ได้: utf-8, utf-8-sig, tis-620, cp874)",
            f"unknown encoding {encoding!r} (use utf-8, utf-8-sig, utf-16, tis-620 or cp874)",
        )
    codec = ENCODINGS[key]
    if codec == "auto":
        if data.startswith(b"\xef\xbb\xbf"):
            codec = "utf-8-sig"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            codec = "utf-16"
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                codec = "cp874"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"อ่านไฟล์ {name} ด้วยการเข้ารหัส {codec} ไม่ได้ กรุณาเลือกการเข้ารหัสอื่น หรือบันทึกไฟล์เป็น UTF-8",
            f"{name} cannot be decoded as {codec} (byte {exc.start}): choose another --encoding",
        ) from exc
    if codec == "utf-8" and text.startswith("\ufeff"):
        text = text[1:]
    return text, codec


def too_large(name: str, exc: xlsxreader.TooLarge) -> ImportFileError:
    """The one message for a file over a limit (see ``xlsxreader.TooLarge``)."""
    where_th = f" (แถวที่ {exc.row:,})" if exc.row else ""
    where_en = f" (row {exc.row:,})" if exc.row else ""
    if exc.kind == "rows":
        return ImportFileError(
            f"ไฟล์ {name} มีข้อมูลเกิน {exc.limit:,} แถว กรุณาแบ่งเป็นหลายไฟล์แล้วนำเข้าทีละไฟล์",
            f"{name} has more than {exc.limit:,} rows: split it into several files",
        )
    if exc.kind == "columns":
        return ImportFileError(
            f"ไฟล์ {name} มีคอลัมน์เกิน {exc.limit:,} คอลัมน์{where_th}",
            f"{name} has more than {exc.limit:,} columns{where_en}",
        )
    if exc.kind == "cell":
        return ImportFileError(
            f"ไฟล์ {name} มีช่องข้อมูลที่ยาวเกิน {exc.limit:,} ตัวอักษร{where_th} ไม่ใช่รายชื่อครัวเรือน",
            f"{name} has a cell longer than {exc.limit:,} characters{where_en}: not a list of households",
        )
    return ImportFileError(
        f"ไฟล์ {name} เมื่อแตกออกมีขนาดเกิน {exc.limit // (1024 * 1024):,} MB ไม่ใช่รายชื่อครัวเรือน",
        f"{name} unpacks to more than {exc.limit // (1024 * 1024):,} MB: not a list of households",
    )


def _read_csv(p: Path, encoding: str | None, name: str) -> Table:
    if p.stat().st_size > MAX_CSV_BYTES:
        raise too_large(p.name, xlsxreader.TooLarge("size", MAX_CSV_BYTES))
    data = p.read_bytes()
    sample = data[:_SNIFF_BYTES]
    if not (sample.startswith((b"\xff\xfe", b"\xfe\xff"))) and b"\x00" in sample:
        raise _not_a_spreadsheet(p)
    text, codec = decode(data, encoding, p.name)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\x0c" for ch in text[:4096]):
        raise _not_a_spreadsheet(p)
    head = text[:_SNIFF_BYTES]
    try:
        delimiter = (
            csv.Sniffer().sniff(head.split("\n", 20)[0] if head else ",", delimiters=",;\t|").delimiter
        )
    except csv.Error:
        delimiter = ","
    csv.field_size_limit(MAX_CSV_FIELD)
    # only the delimiter is guessed from the header line: quoting is the usual one (a quote inside a
    # quoted cell is doubled), which a header without quotes cannot show
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    headers: list[str] | None = None
    rows: list[tuple[int, list[Any]]] = []
    try:
        for n, raw in enumerate(reader, start=1):
            cells = [_csv_cell(xlsxreader.cut(c)) for c in raw]
            if not any(c is not None for c in cells):
                continue
            if headers is None:
                headers = [c or "" for c in cells]
                continue
            if len(rows) >= MAX_ROWS:
                raise too_large(p.name, xlsxreader.TooLarge("rows", MAX_ROWS))
            rows.append((n, cells))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise too_large(p.name, xlsxreader.TooLarge("cell", MAX_CELL, reader.line_num)) from None
        raise ImportFileError(
            f"ไฟล์ {p.name} มีรูปแบบ CSV ไม่ถูกต้อง (แถวที่ {reader.line_num})",
            f"{p.name}: malformed CSV at line {reader.line_num}: {exc}",
        ) from exc
    if headers is None:
        raise ImportFileError(f"ไฟล์ {p.name} ไม่มีข้อมูล", f"{p.name} is empty")
    table = Table(codec, _clean_headers(headers, p.name), rows)
    return table


_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def _csv_cell(raw: str) -> str | None:
    """A CSV cell as the user meant it: trimmed, and without the apostrophe that the exporter (and
    other careful programs) put before text a spreadsheet would otherwise run as a formula."""
    if raw[:1] == "'" and _QUOTED_FORMULA.match(raw):
        raw = raw[1:]
    c = raw.strip()
    return c or None


# ---------------------------------------------------------------------- XLSX


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip()
        return v or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, _dt.datetime):
        return value.date() if value.time() == _dt.time() else value
    return value


def _read_xlsx(p: Path) -> Workbook:
    import zipfile
    from xml.etree.ElementTree import ParseError

    tables: list[Table] = []
    try:
        for name, rows_iter in xlsxreader.sheets(p):
            headers: list[str] | None = None
            rows: list[tuple[int, list[Any]]] = []
            for n, raw in rows_iter:
                cells = [_cell(v) for v in raw]
                if not any(c is not None for c in cells):
                    continue
                if headers is None:
                    headers = ["" if c is None else str(c) for c in cells]
                    continue
                rows.append((n, cells))
            if headers is not None:
                tables.append(Table(name, _clean_headers(headers, p.name), rows))
    except xlsxreader.TooLarge as exc:
        raise too_large(p.name, exc) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, ParseError, EOFError) as exc:
        raise _not_a_spreadsheet(p) from exc
    if not tables:
        raise ImportFileError(f"ไฟล์ {p.name} ไม่มีข้อมูล", f"{p.name} has no data")
    return Workbook(p, "xlsx", None, tables)


def _clean_headers(headers: list[str], name: str = "") -> list[str]:
    if any(len(str(h)) > MAX_CELL for h in headers):  # a heading, not a cell of data: refuse the file
        raise too_large(name, xlsxreader.TooLarge("cell", MAX_CELL, 1))
    out: list[str] = []
    for i, h in enumerate(headers):
        h = " ".join(str(h).replace("\ufeff", "").split())
        out.append(h or f"({i + 1})")
    while out and out[-1].startswith("(") and out[-1].endswith(")") and out[-1][1:-1].isdigit():
        out.pop()  # trailing unnamed columns
    return out
