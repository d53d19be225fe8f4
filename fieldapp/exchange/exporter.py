"""Export records of a form as CSV (UTF-8 with BOM, so Excel shows Thai), XLSX or GeoJSON.

* Columns: the record id, then every question of the form in form order (calculations and scores
  included). Headers are the Thai labels; with ``codes`` they are field ids and answers are codes
  and ISO dates instead of Thai labels and Buddhist-era dates.
* Repeats (household members, business products …) go to their own sheet (XLSX) or file (CSV:
  ``<stem>_<repeat>.csv``) with the row id and the id of the record they belong to.
* National IDs are masked (``1-1037-xxxxx-xx-2``) unless ``unmask`` is given.
* GeoJSON: one point per record that has coordinates; properties are the record's answers.
* Every export is recorded in the audit log (who, when, what, how many, unmasked or not).

An export read back by the importer gives the same records (masked IDs are ignored on import).
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp import codegen, files, thai
from fieldapp.errors import ValidationError, disk_full, is_disk_full
from fieldapp.exchange.mapping import LINK_HEADER, geo_headers
from fieldapp.exchange.xlsxwriter import Column, XlsxWriter
from fieldapp.forms import Field, Form, shown
from fieldapp.store import Store

FORMATS = ("csv", "xlsx", "geojson")
ExportProgress = Callable[[int, int], None]
Cancel = Callable[[], bool]


@dataclass
class ExportResult:
    files: list[Path] = field(default_factory=list)
    records: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # repeat id -> rows written
    cancelled: bool = False


class _Formatter:
    def __init__(self, unmask: bool, codes: bool) -> None:
        self.unmask = unmask
        self.codes = codes

    def headers(self, fields: list[Field]) -> list[str]:
        out: list[str] = []
        for f in fields:
            if f.value_type == "geopoint":
                out += [f"{f.id}.lat", f"{f.id}.lon"] if self.codes else list(geo_headers(f))
            else:
                out.append(f.id if self.codes else f.label_for("th"))
        return out

    def columns(self, fields: list[Field], names: list[str]) -> list[Column]:
        """For each output column: where its value is in a database row and how to show it.
        Worked out once per export, not once per cell."""
        at = {n: i for i, n in enumerate(names)}
        out: list[Column] = []
        for f in fields:
            t = f.value_type
            if t == "geopoint":
                out += [Column(at[f"{f.id}_lat"], number=True), Column(at[f"{f.id}_lon"], number=True)]
                continue
            # answers from a short list are shown as text from a short list: share them
            shared = f.kind.choices or t == "date" or (t == "boolean" and not self.codes)
            number = t in ("integer", "decimal", "money")
            # masked IDs and formatted phone numbers are digits, x and dashes
            safe = t in ("national_id", "phone") and not shared
            out.append(Column(at[f.id], self.converter(f), shared, number, safe))
        return out

    def converter(self, f: Field) -> Callable[[Any], Any] | None:
        t = f.value_type
        codes = self.codes
        if t == "select_one":
            if codes:
                return None
            labels = {c.code: c.th for c in f.choices}
            return lambda v: labels.get(v) or f.choice_label(v)
        if f.kind.multiple:
            seen: dict[str, Any] = {}  # the same few combinations come back again and again

            def multi(v: Any) -> Any:
                if isinstance(v, str) and v in seen:
                    return seen[v]
                items = json.loads(v) if isinstance(v, str) else v
                shown = "; ".join(items if codes else [f.choice_label(c) for c in items]) or None
                if isinstance(v, str) and len(seen) < 10_000:
                    seen[v] = shown
                return shown

            return multi
        if t == "boolean":
            return (lambda v: int(bool(v))) if codes else (lambda v: "ใช่" if v else "ไม่ใช่")
        if t == "national_id":
            if not self.unmask:
                return _masked_id
            return None if codes else thai.format_national_id
        if t == "phone":
            return None if codes else _phone
        if t == "date":
            return None if codes else (lambda v: f"{v[8:10]}/{v[5:7]}/{int(v[:4]) + 543}")
        words = f.kind.text is not None and not f.kind.attachment and f.type != "repeat"
        if not codes and words and len(f.columns()) == 1:
            # other types the registry writes in words (an acknowledgement: รับทราบแล้ว); files keep
            # their SHA-256, and rows within a row their JSON, so that the export imports again
            return lambda v: shown(f, f.from_columns({f.id: v}), "th") or None
        return None


def render_function(columns: list[Column]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """One generated function that turns a database row into the output values, converted as
    the columns say (an empty value stays as stored, None or "": CSV writes both the same)."""
    names: dict[str, Any] = {}
    parts = []
    for i, col in enumerate(columns):
        names[f"_s{i}"] = col.source
        if col.convert is None:
            parts.append(f"r[_s{i}]")
        else:
            names[f"_c{i}"] = col.convert
            parts.append(f'(_c{i}(_v) if (_v := r[_s{i}]) is not None and _v != "" else None)')
    body = ", ".join(parts) + ("," if len(parts) == 1 else "")
    fn: Callable[[tuple[Any, ...]], tuple[Any, ...]] = codegen.build(
        f"def _render(r):\n    return ({body})", names, "_render"
    )
    return fn


def _masked_id(v: str) -> str:
    if len(v) == 13 and v.isdigit() and v.isascii():  # stored form: no need to read it again
        return f"{v[0]}-{v[1:5]}-xxxxx-xx-{v[12]}"
    return thai.mask_national_id(v)


def _phone(v: str) -> str:
    if v.isascii() and v.isdigit() and len(v) == 10:  # a mobile number in stored form
        return f"{v[:3]}-{v[3:6]}-{v[6:]}"
    return thai.format_phone(v)


def _stored(fields: Iterable[Field]) -> list[Field]:
    return [f for f in fields if f.stores_value]


def _records(store: Store, form: Form, areas: list[str] | None) -> tuple[str, list[Any], int]:
    where, params = store._where(form, search=None, area=areas or None, filters=None, include_deleted=False)
    total = int(
        store.conn.execute(f"SELECT count(*) FROM [{form.table}] WHERE {where}", params).fetchone()[0]
    )
    return where, params, total


def _main_rows(
    store: Store, form: Form, where: str, params: list[Any]
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    cur = store.conn.execute(f"SELECT * FROM [{form.table}] WHERE {where} ORDER BY title_sort, id", params)
    return [d[0] for d in cur.description], cur


def _repeat_rows(
    store: Store, form: Form, rep: Field, where: str, params: list[Any]
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    pwhere = where.replace("deleted = 0", "p.deleted = 0")
    if form.area_field:
        pwhere = pwhere.replace(f"[{form.area_field}]", f"p.[{form.area_field}]")
    cur = store.conn.execute(
        f"SELECT c.* FROM [{form.child_table(rep)}] c JOIN [{form.table}] p ON p.id = c.parent_id "
        f"WHERE {pwhere} ORDER BY p.title_sort, p.id, c.position",
        params,
    )
    return [d[0] for d in cur.description], cur


def export(
    store: Store,
    form_id: str,
    fmt: str,
    out: str | Path,
    *,
    areas: list[str] | None = None,
    unmask: bool = False,
    codes: bool = False,
    progress: ExportProgress | None = None,
    cancel: Cancel | None = None,
) -> ExportResult:
    """Write the form's live records (inside ``areas``) to ``out``; returns the files written."""
    if fmt not in FORMATS:
        raise ValidationError(f"ไม่รองรับรูปแบบ {fmt}", f"unknown export format {fmt!r} (csv, xlsx, geojson)")
    form = store.form(form_id)
    path = Path(out)
    if path.parent and not path.parent.exists():
        raise ValidationError(f"ไม่พบโฟลเดอร์ {path.parent}", f"folder {path.parent} does not exist")
    job = _Export(store, form, areas, _Formatter(unmask, codes), progress, cancel)
    _write_files(job, fmt, path)
    with store.transaction():
        store.audit(
            "export",
            form.id,
            None,
            {
                "format": fmt,
                "file": str(path.name),
                "records": job.result.records,
                "rows": job.result.rows,
                "areas": list(areas or []),
                "unmasked": unmask,
                "codes": codes,
                "cancelled": job.result.cancelled,
            },
        )
    return job.result


def _write_files(job: _Export, fmt: str, path: Path) -> None:
    """Every file is written under a temporary name beside it and renamed into place only when all
    are complete: a full disk, an error or a cancel leaves no half-written export behind."""
    outputs = _Outputs()
    result = job.result
    try:
        if fmt == "xlsx":
            job.write_xlsx(outputs, path)
        elif fmt == "csv":
            job.write_csv(outputs, path)
        else:
            job.write_geojson(outputs, path)
        if result.cancelled:
            outputs.discard()
            result.files = []
        else:
            outputs.commit()
    except BaseException as exc:
        outputs.discard()
        if is_disk_full(exc):
            raise disk_full("บันทึกไฟล์ส่งออก", f"the export {path.name}") from exc
        raise


Rows = tuple[list[Column], Iterator[tuple[Any, ...]]]  # how to show each column, and the rows


class _Export:
    """One export under way: the records chosen, how answers are shown, progress and cancel,
    and the result so far; one ``write_…`` per format."""

    def __init__(
        self,
        store: Store,
        form: Form,
        areas: list[str] | None,
        fmtr: _Formatter,
        progress: ExportProgress | None,
        cancel: Cancel | None,
    ) -> None:
        self.store = store
        self.form = form
        self.fmtr = fmtr
        self.cancel = cancel
        self.where, self.params, total = _records(store, form, areas)
        self.fields = _stored(form.fields.values())
        self.result = ExportResult()
        self.tick = _Ticker(progress, total, cancel)
        self.main_headers = ["id", *fmtr.headers(self.fields)]
        self.link = LINK_HEADER.format(form=form.id)

    def main_rows(self) -> Rows:
        """The records' rows (each one a step of the progress; a cancel ends them)."""
        names, rows = _main_rows(self.store, self.form, self.where, self.params)

        def ticked() -> Iterator[tuple[Any, ...]]:
            for row in rows:
                if self.tick.step():
                    self.result.cancelled = True
                    return
                yield row

        return [Column(names.index("id"), safe=True), *self.fmtr.columns(self.fields, names)], ticked()

    def rep_rows(self, rep: Field) -> Rows:
        """One repeat's rows, each with the id of its record."""
        names, rows = _repeat_rows(self.store, self.form, rep, self.where, self.params)
        columns = [Column(names.index("id"), safe=True), Column(names.index("parent_id"), safe=True)]
        columns += self.fmtr.columns(_stored(rep.fields), names)

        def until_cancelled() -> Iterator[tuple[Any, ...]]:
            for row in rows:
                if self.cancel and self.result.cancelled:
                    return
                yield row

        return columns, until_cancelled()

    @staticmethod
    def rendered(source: Rows) -> Iterator[tuple[Any, ...]]:
        columns, rows = source
        return map(render_function(columns), rows)

    def rep_headers(self, rep: Field) -> list[str]:
        return ["id", self.link, *self.fmtr.headers(_stored(rep.fields))]

    def write_xlsx(self, outputs: _Outputs, path: Path) -> None:
        """One workbook: a sheet of records, then one sheet per repeat."""
        form, codes, result = self.form, self.fmtr.codes, self.result
        with XlsxWriter(outputs.temp(path)) as x:
            columns, rows = self.main_rows()
            title = form.id if codes else form.title_of("th")
            result.records = x.sheet(title, self.main_headers, rows, columns=columns)
            for rep in form.repeats():
                if result.cancelled:
                    break
                columns, rows = self.rep_rows(rep)
                title = rep.id if codes else rep.label_for("th")
                result.rows[rep.id] = x.sheet(title, self.rep_headers(rep), rows, columns=columns)
        result.files.append(path)

    def write_csv(self, outputs: _Outputs, path: Path) -> None:
        """A file of records, and one beside it per repeat (``<name>_<repeat>.csv``)."""
        result = self.result
        result.records = write_csv(outputs.temp(path), self.main_headers, self.rendered(self.main_rows()))
        result.files.append(path)
        for rep in self.form.repeats():
            if result.cancelled:
                break
            rp = path.with_name(f"{path.stem}_{rep.id}{path.suffix or '.csv'}")
            rows = self.rendered(self.rep_rows(rep))
            result.rows[rep.id] = write_csv(outputs.temp(rp), self.rep_headers(rep), rows)
            result.files.append(rp)

    def write_geojson(self, outputs: _Outputs, path: Path) -> None:
        """One feature per record with a location."""
        self.result.records = _write_geojson(
            outputs.temp(path),
            self.form,
            self.fields,
            self.fmtr,
            self.store,
            self.where,
            self.params,
            self.tick,
            self.result,
        )
        self.result.files.append(path)


class _Outputs:
    """Files being written under temporary names, renamed into place together."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def temp(self, final: Path) -> Path:
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
        self.pending.append((tmp, final))
        return tmp

    def commit(self) -> None:
        for tmp, _final in self.pending:
            files.fsync_file(tmp)
        for tmp, final in self.pending:
            os.replace(tmp, final)
        for folder in {final.parent for _tmp, final in self.pending}:
            files.fsync_dir(folder)
        self.pending = []

    def discard(self) -> None:
        for tmp, _final in self.pending:
            tmp.unlink(missing_ok=True)
        self.pending = []


class _Ticker:
    def __init__(self, progress: ExportProgress | None, total: int, cancel: Cancel | None) -> None:
        self.progress, self.total, self.cancel, self.done = progress, total, cancel, 0

    def step(self) -> bool:
        """Count one record; True when the user cancelled (checked every 500 records)."""
        self.done += 1
        if self.done % 500 == 0 or self.done == self.total:
            if self.progress:
                self.progress(self.done, self.total)
            if self.cancel and self.cancel():
                return True
        return False


def _write_geojson(
    path: Path,
    form: Form,
    fields: list[Field],
    fmtr: _Formatter,
    store: Store,
    where: str,
    params: list[Any],
    tick: _Ticker,
    result: ExportResult,
) -> int:
    geo = next((f for f in fields if f.value_type == "geopoint"), None)
    if geo is None:
        raise ValidationError(f"แบบฟอร์ม {form.id} ไม่มีพิกัด", f"form {form.id} has no coordinates to export")
    props = [f for f in fields if f is not geo]
    keys = [f.id for f in props]
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        names, rows = _main_rows(store, form, where, params)
        render = render_function(fmtr.columns(props, names))
        at_id, at_lat, at_lon = names.index("id"), names.index(f"{geo.id}_lat"), names.index(f"{geo.id}_lon")
        for row in rows:
            if tick.step():
                result.cancelled = True
                break
            lat, lon = row[at_lat], row[at_lon]
            if lat is None or lon is None:
                continue
            values = render(row)
            feature = {
                "type": "Feature",
                "id": row[at_id],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": row[at_id],
                    **{k: v for k, v in zip(keys, values, strict=True) if v is not None and v != ""},
                },
            }
            fh.write(("" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
            count += 1
        fh.write("\n]}\n")
    return count


# A text cell that a spreadsheet program would run as a formula (=, +, -, @, or a tab or carriage
# return before one) is written with a leading apostrophe, as OWASP recommends against CSV injection;
# numbers (stored as numbers, or text that is a plain number such as "-5" or "+66812345678") stay
# as they are. A text that already starts with apostrophes before such a character gets one more,
# so the importer, which takes one apostrophe off, reads back exactly what was exported.
FORMULA_START = frozenset("=+-@\t\r'")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """A cell value made safe to open in a spreadsheet program (see ``FORMULA_START``)."""
    if (
        isinstance(value, str)
        and value[:1] in FORMULA_START
        and _NEEDS_QUOTE.match(value)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def write_csv(path: Path, headers: list[str], rows: Iterable[Sequence[Any]]) -> int:
    """CSV in UTF-8 with BOM (Excel opens it with Thai intact); returns the number of data rows.
    Text that a spreadsheet would run as a formula is neutralised (``csv_cell``)."""
    n = 0
    start = FORMULA_START

    def counted() -> Iterator[Sequence[Any]]:
        nonlocal n
        for row in rows:
            n += 1
            if any(v.__class__ is str and v[:1] in start for v in row):
                row = [csv_cell(v) for v in row]
            yield row

    # the BOM by hand: Python's "utf-8-sig" encoder is written in Python, "utf-8" is not
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\ufeff")
        w = csv.writer(fh)
        w.writerow([csv_cell(h) for h in headers])
        w.writerows(counted())  # the csv module writes None as an empty field
    return n


def write_table(path: Path, name: str, headers: list[str], rows: Iterable[list[Any]]) -> Path:
    """One table as XLSX (by the file's suffix) or CSV."""
    outputs = _Outputs()
    try:
        if path.suffix.lower() == ".xlsx":
            with XlsxWriter(outputs.temp(path)) as x:
                x.sheet(name, headers, rows)
        else:
            write_csv(outputs.temp(path), headers, rows)
        outputs.commit()
    except BaseException as exc:
        outputs.discard()
        if is_disk_full(exc):
            raise disk_full("บันทึกไฟล์", f"{path.name}") from exc
        raise
    return path
