"""A small, fast XLSX writer: one or more sheets of plain values, header row bold and frozen.

openpyxl writes about a million cells a minute; an export of 100,000 households has tens of
millions. This writer streams each sheet's XML (inline strings, no shared-string table) straight
into the zip file. Values: ``None`` (empty), ``bool``, ``int``, ``float`` and text.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
MAX_TEXT = 32767  # Excel's limit for one cell

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Tahoma"/></font>'
    '<font><b/><sz val="11"/><name val="Tahoma"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews><sheetData>"
)


def column_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub(" ", name).strip()[:31] or "Sheet"
    out, n = base, 2
    while out.lower() in taken:
        suffix = f" ({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(out.lower())
    return out


class XlsxWriter:
    """``with XlsxWriter(path) as x: x.sheet("name", headers, rows)``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []
        self._taken: set[str] = set()

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sheet(self, name: str, headers: list[str], rows: Iterable[list[Any]]) -> int:
        """Write one sheet; returns the number of data rows."""
        n = len(self._names) + 1
        self._names.append(sheet_name(name, self._taken))
        letters = [column_letter(i) for i in range(max(len(headers), 1) + 64)]
        count = 0
        with self._zip.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as fh:
            out: IO[bytes] = fh
            buf: list[str] = [_SHEET_HEAD, _row(1, headers, letters, header=True)]
            for count, values in enumerate(rows, start=1):
                if len(values) > len(letters):
                    letters = [column_letter(i) for i in range(len(values))]
                buf.append(_row(count + 1, values, letters))
                if len(buf) >= 2000:
                    out.write("".join(buf).encode("utf-8"))
                    buf = []
            buf.append("</sheetData></worksheet>")
            out.write("".join(buf).encode("utf-8"))
        return count

    def close(self) -> None:
        if not self._names:
            self.sheet("Sheet", [], [])
        z = self._zip
        z.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(len(self._names)))
            ),
        )
        z.writestr("_rels/.rels", _RELS)
        sheets = "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, name in enumerate(self._names)
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(self._names))
        )
        rels += (
            f'<Relationship Id="rId{len(self._names) + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/>'
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        z.writestr("xl/styles.xml", _STYLES)
        z.close()


def _text(value: str) -> str:
    # most cells are plain printable text: check cheaply before the regex and the escaping
    if not value.isprintable() and _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    value = value[:MAX_TEXT]
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value


def _row(n: int, values: list[Any], letters: list[str], *, header: bool = False) -> str:
    style = ' s="1"' if header else ""
    num = str(n)
    parts = [f'<row r="{num}">']
    append = parts.append
    for i, v in enumerate(values):
        tv = type(v)
        if tv is str:  # most cells: test the common case first
            if v:
                append(
                    f'<c r="{letters[i]}{num}" t="inlineStr"{style}><is><t xml:space="preserve">'
                    f"{_text(v)}</t></is></c>"
                )
        elif v is None:
            continue
        elif tv is bool:
            append(f'<c r="{letters[i]}{num}" t="b"{style}><v>{int(v)}</v></c>')
        elif tv is int or tv is float or isinstance(v, (int, float)):
            append(f'<c r="{letters[i]}{num}"{style}><v>{v!r}</v></c>')
        else:
            text = str(v)
            if text:
                append(
                    f'<c r="{letters[i]}{num}" t="inlineStr"{style}><is><t xml:space="preserve">'
                    f"{_text(text)}</t></is></c>"
                )
    append("</row>")
    return "".join(parts)
