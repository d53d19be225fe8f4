"""A small, fast XLSX writer: one or more sheets of plain values, header row bold and frozen.

openpyxl writes about a million cells a minute; an export of 100,000 households has tens of
millions. This writer streams each sheet's XML (inline strings, no shared-string table) straight
into the zip file. Values: ``None`` (empty), ``bool``, ``int``, ``float`` and text.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from fieldapp import codegen

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
_SST_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
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


@dataclass(frozen=True)
class Column:
    """One output column of a sheet written from raw rows (``XlsxWriter.sheet(columns=…)``)."""

    source: int  # index of the value in the raw row
    convert: Callable[[Any], Any] | None = None  # how to show a value that is not empty
    shared: bool = False  # text from a short list: one entry in the shared-string table
    number: bool = False  # stored values are numbers
    safe: bool = False  # shown values are plain text that needs no checks (ids, masked IDs)


def _row_function(columns: list[Column], strings: dict[str, int]) -> Callable[[tuple[Any, ...], str], str]:
    """One function that writes a row's XML, with each column's handling written out.

    Exporting 100,000 households is about 20 million cells; a loop that looks at each column's
    settings for every cell spends more time deciding than writing.
    """
    names: dict[str, Any] = {"_cell": _cell, "_share": _share, "_strings": strings}
    lines = ["def _row(r, n):", "    p = ['<row r=\"', n, '\">']", "    a = p.append"]
    for i, col in enumerate(columns):
        letter, conv, src = f"_L{i}", f"_c{i}", f"_s{i}"
        names[letter], names[conv], names[src] = column_letter(i), col.convert, col.source
        lines.append(f"    v = r[{src}]")
        if col.shared:
            cache = f"_m{i}"
            names[cache] = {}
            lines += [
                '    if v is not None and v != "":',
                f"        k = {cache}.get(v)",
                "        if k is None:",
                f"            k = _share({cache}, {conv}, v, _strings)",
                "        if k:",
                f'            a(f\'<c r="{{{letter}}}{{n}}" t="s"><v>{{k}}</v></c>\')',
            ]
        elif col.safe:
            shown = f"{conv}(v)" if col.convert is not None else "v"
            lines += [
                '    if v is not None and v != "":',
                f'        a(f\'<c r="{{{letter}}}{{n}}" t="inlineStr"><is><t>{{{shown}}}</t></is></c>\')',
            ]
        elif col.convert is not None:
            lines += ['    if v is not None and v != "":', f"        a(_cell({letter}, n, {conv}(v)))"]
        elif col.number:
            lines += [
                "    if v is not None:",
                "        if type(v) is int or type(v) is float:",
                f"            a(f'<c r=\"{{{letter}}}{{n}}\"><v>{{v!r}}</v></c>')",
                "        else:",
                f"            a(_cell({letter}, n, v))",
            ]
        else:
            lines += [
                '    if v is not None and v != "":',
                "        if (type(v) is str and v.isprintable() and len(v) <= 32767 and '&' not in v",
                "                and '<' not in v and '>' not in v and not v[0].isspace() and not v[-1].isspace()):",
                f'            a(f\'<c r="{{{letter}}}{{n}}" t="inlineStr"><is><t>{{v}}</t></is></c>\')',
                "        else:",
                f"            a(_cell({letter}, n, v))",
            ]
    lines += ["    a('</row>')", "    return ''.join(p)"]
    fn: Callable[[tuple[Any, ...], str], str] = codegen.build("\n".join(lines), names, "_row")
    return fn


def _share(
    cache: dict[Any, str], convert: Callable[[Any], Any] | None, value: Any, strings: dict[str, int]
) -> str:
    """The shared-string number, as text, of a value as shown ("" when there is nothing to
    show); remembered per column."""
    shown = convert(value) if convert is not None else value
    if shown is None or shown == "":
        k = ""
    else:
        text = shown if type(shown) is str else str(shown)
        found = strings.get(text)
        k = str(found if found is not None else strings.setdefault(text, len(strings)))
    cache[value] = k
    return k


def _cell(letter: str, num: str, v: Any) -> str:
    """Any value as one cell (the general case of ``_row``)."""
    tv = type(v)
    if v is None or v == "":
        return ""
    if tv is bool:
        return f'<c r="{letter}{num}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{letter}{num}"><v>{v!r}</v></c>'
    return _string_cell(letter + num, v if tv is str else str(v), "")


class _Background:
    """Compress and write in a second thread.

    zlib lets go of the interpreter while it compresses, so on a machine with two cores the
    next rows are built while the last ones are compressed (a sixth of an export's time).
    """

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="xlsx-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            data = self.queue.get()
            if data is None:
                return
            if self.error is None:
                try:
                    self.fh.write(data)
                except BaseException as exc:  # handed to the caller on its next write or close
                    self.error = exc

    def write(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


class XlsxWriter:
    """``with XlsxWriter(path) as x: x.sheet("name", headers, rows)``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []
        self._taken: set[str] = set()
        self._strings: dict[str, int] = {}  # the shared-string table, in order of first use

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()

    def abandon(self) -> None:
        """Stop without finishing the file (after an error, e.g. a full disk; the caller removes it)."""
        with contextlib.suppress(OSError, ValueError):
            self._zip.close()  # marks the zip closed even when this last write fails too

    def sheet(
        self,
        name: str,
        headers: list[str],
        rows: Iterable[Any],
        *,
        columns: list[Column] | None = None,
    ) -> int:
        """Write one sheet; returns the number of data rows.

        ``rows`` are lists of values, or with ``columns`` raw rows (database tuples) where each
        ``Column`` says where its value is and how to show it: those rows are written by one
        generated function, and answers from a short list (choice labels, yes/no, dates) go to the
        workbook's shared-string table, as Excel itself writes them.
        """
        letters = [column_letter(i) for i in range(max(len(headers), 1))]
        header = _row(1, headers, letters, header=True)
        if columns is not None:
            return self._write_sheet(name, header, _row_function(columns, self._strings), rows)

        def write_values(values: list[Any], num: str) -> str:
            if len(values) > len(letters):
                letters.extend(column_letter(i) for i in range(len(letters), len(values)))
            return _row(int(num), values, letters)

        return self._write_sheet(name, header, write_values, rows)

    def _write_sheet(
        self, name: str, header: str, write_row: Callable[[Any, str], str], rows: Iterable[Any]
    ) -> int:
        n = len(self._names) + 1
        self._names.append(sheet_name(name, self._taken))
        count = 0
        with self._zip.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as fh:
            out = _Background(fh)
            try:
                buf: list[str] = [_SHEET_HEAD, header]
                for count, raw in enumerate(rows, start=1):
                    buf.append(write_row(raw, str(count + 1)))
                    if len(buf) >= 2000:
                        out.write("".join(buf).encode("utf-8"))
                        buf = []
                buf.append("</sheetData></worksheet>")
                out.write("".join(buf).encode("utf-8"))
            finally:
                out.close()
        return count

    def close(self) -> None:
        try:
            self._finish()
        except BaseException:
            self.abandon()
            raise

    def _finish(self) -> None:
        if not self._names:
            self.sheet("Sheet", [], [])
        z = self._zip
        z.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(len(self._names)))
                + (_SST_TYPE if self._strings else "")
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
        if self._strings:
            rels += (
                f'<Relationship Id="rId{len(self._names) + 2}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                'Target="sharedStrings.xml"/>'
            )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        z.writestr("xl/styles.xml", _STYLES)
        if self._strings:
            z.writestr("xl/sharedStrings.xml", _shared_strings_xml(self._strings))
        z.close()


def _text(value: str) -> str:
    """Cell text as XML: illegal characters dropped, cut to Excel's limit, escaped."""
    if not value.isprintable() and _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    value = value[:MAX_TEXT]
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value


def _string_cell(ref: str, value: str, style: str) -> str:
    text = _text(value)
    if text[:1].isspace() or text[-1:].isspace() or "\n" in text or "\t" in text:
        return f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"{style}><is><t>{text}</t></is></c>'


def _shared_strings_xml(strings: dict[str, int]) -> str:
    items = []
    for text in strings:  # dicts keep the order the numbers were given in
        t = _text(text)
        if t[:1].isspace() or t[-1:].isspace() or "\n" in t or "\t" in t:
            items.append(f'<si><t xml:space="preserve">{t}</t></si>')
        else:
            items.append(f"<si><t>{t}</t></si>")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{"".join(items)}</sst>'
    )


def _row(n: int, values: list[Any], letters: list[str], *, header: bool = False) -> str:
    style = ' s="1"' if header else ""
    num = str(n)
    parts = [f'<row r="{num}">']
    append = parts.append
    for letter, v in zip(letters, values, strict=False):
        tv = type(v)
        if tv is str:  # most cells: plain printable text that needs no escaping
            if not v:
                continue
            if (
                v.isprintable()
                and len(v) <= MAX_TEXT
                and "&" not in v
                and "<" not in v
                and ">" not in v
                and not v[0].isspace()
                and not v[-1].isspace()
            ):
                append(f'<c r="{letter}{num}" t="inlineStr"{style}><is><t>{v}</t></is></c>')
            else:
                append(_string_cell(letter + num, v, style))
        elif v is None:
            continue
        elif tv is int or tv is float:
            append(f'<c r="{letter}{num}"{style}><v>{v!r}</v></c>')
        elif tv is bool:
            append(f'<c r="{letter}{num}" t="b"{style}><v>{int(v)}</v></c>')
        elif isinstance(v, (int, float)):
            append(f'<c r="{letter}{num}"{style}><v>{v!r}</v></c>')
        else:
            text = str(v)
            if text:
                append(_string_cell(letter + num, text, style))
    append("</row>")
    return "".join(parts)
