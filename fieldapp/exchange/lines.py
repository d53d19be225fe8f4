"""A table's rows as lines of field values: cells converted for the form (choice labels to codes,
Excel numbers to text, Christian-era years to B.E., area names to codes), empty cells left out,
masked national IDs counted and ignored, and each problem kept with its row and column."""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import geothai

from fieldapp import thai, thaidate
from fieldapp.errors import ValidationError
from fieldapp.exchange.importreport import ImportReport, RowProblem
from fieldapp.exchange.mapping import LINK_HEADER, match_key
from fieldapp.exchange.readers import Table
from fieldapp.forms import Field, Form

MASKED = re.compile(r"[xX*×]")


# ---------------------------------------------------------------------- lines and groups


@dataclass
class Line:
    row: int
    sheet: str
    values: dict[str, Any]  # top-level field id -> value
    rows: dict[str, list[dict[str, Any]]]  # repeat id -> row values (with "id" when given)
    record_id: str | None = None
    link: str | None = None  # repeat sheet: the record this row belongs to
    problems: list[RowProblem] = field(default_factory=list)


class Converter:
    """Cell values to field values: choice labels to codes, Excel numbers to text, area names."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self._choices: dict[str, dict[str, str]] = {}
        self._areas: dict[tuple[str, str, str], list[str]] = {}

    def choice_code(self, f: Field, value: Any) -> Any:
        table = self._choices.get(f.path)
        if table is None:
            table = {}
            for c in f.choices:
                for name in (c.en, c.th, c.code):
                    table[match_key(name)] = c.code
            self._choices[f.path] = table
        text = str(value).strip()
        code = table.get(match_key(text))
        if code is None and f.choices_name == "prefixes":
            known = thai.find_prefix(text)
            code = known.code if known is not None and known.code in f.codes else None
        return text if code is None else code

    def value(self, f: Field, value: Any) -> Any:
        """The cell as the form engine should see it (it still validates it)."""
        t = f.type
        if isinstance(value, str) and t != "text":
            value = value.strip()
        if t == "select_one":
            return self.choice_code(f, value) if isinstance(value, (str, int)) else value
        if f.kind.multiple:
            if isinstance(value, str) and not value.startswith("["):
                parts = [p for p in re.split(r"\s*[;\n]\s*", value) if p]
                if len(parts) == 1 and match_key(value) not in {match_key(c.th) for c in f.choices}:
                    parts = [p for p in re.split(r"[\s,]+", value) if p]
                return [self.choice_code(f, p) for p in parts]
            return value
        if t == "national_id" and isinstance(value, int):
            return str(value).zfill(13)
        if t == "phone" and isinstance(value, int):
            text = str(value)
            return "0" + text if len(text) in (8, 9) else text
        if t in ("subdistrict", "text", "reference") and isinstance(value, int):
            return str(value)
        if t == "date" and isinstance(value, _dt.datetime):
            return value.date()
        if f.year_be:
            return year_be(value)
        return value

    def subdistrict(self, sub: str, district: str, province: str) -> list[str]:
        key = (sub, district, province)
        found = self._areas.get(key)
        if found is None:
            found = [
                a.subdistrict.code
                for a in geothai.match(sub, district=district or None, province=province or None)
            ]
            self._areas[key] = found
        return found


def year_be(value: Any) -> Any:
    """A year for a Buddhist-era field: a Christian-era year (as older exports and many lists give
    it, 1900–2399) becomes B.E.; anything else goes to the form's checks as it is."""
    text = thai.normalize_digits(str(value)).strip() if isinstance(value, (str, int, float)) else ""
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}(\.0+)?", text):
        return value
    year = int(float(text))
    return year + thaidate.BE_OFFSET if 1900 <= year < 2400 else year


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and bool(MASKED.search(value))


def split_full_name(text: str) -> dict[str, str]:
    text = " ".join(str(text).split())
    out: dict[str, str] = {}
    forms = sorted(
        {p.thai for p in thai.NAME_PREFIXES} | {p.thai_abbrev for p in thai.NAME_PREFIXES if p.thai_abbrev},
        key=len,
        reverse=True,
    )
    for pf in forms:
        if text.startswith(pf) and len(text) > len(pf):
            out["prefix"] = pf
            text = text[len(pf) :].strip()
            break
    first, _, last = text.partition(" ")
    if first:
        out["first_name"] = first
    if last:
        out["last_name"] = last
    return out


def read_lines(
    form: Form,
    table: Table,
    columns: dict[str, str | None],
    conv: Converter,
    report: ImportReport,
    *,
    repeat: Field | None = None,
) -> list[Line]:
    """Rows of a table as field values (empty cells left out)."""
    link_target = LINK_HEADER.format(form=form.id)
    plan: list[tuple[int, str, str]] = []  # (cell index, header, target)
    for i, header in enumerate(table.headers):
        target = columns.get(header)
        if target:
            if repeat is not None and target != link_target and "." not in target:
                target = f"{repeat.id}.{target}"
            plan.append((i, header, target))
    out: list[Line] = []
    for rowno, cells in table.rows:
        reader = _LineReader(form, Line(rowno, table.name, {}, {}), conv, report, link_target)
        for i, header, target in plan:
            value = cells[i] if i < len(cells) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            reader.cell(header, target, value)
        out.append(reader.finish())
    return out


class _LineReader:
    """One row's cells into a ``Line``: a geopoint's two columns, the area's names and a
    repeat's columns are gathered first and joined by ``finish``."""

    def __init__(
        self, form: Form, line: Line, conv: Converter, report: ImportReport, link_target: str
    ) -> None:
        self.form = form
        self.line = line
        self.conv = conv
        self.report = report
        self.link_target = link_target
        self.area: dict[str, tuple[str, str]] = {}
        self.geo_parts: dict[str, dict[str, Any]] = {}
        self.rep_values: dict[str, dict[str, Any]] = {}

    def problem(self, column: str, th: str, en: str) -> None:
        self.line.problems.append(row_problem(self.line, column, th, en))

    def cell(self, header: str, target: str, value: Any) -> None:
        line = self.line
        if target == "id" or target == self.link_target:
            rid = as_uuid(value)
            if rid is None:
                self.problem(header, "รหัสระเบียนไม่ถูกต้อง", "record id must be a UUID")
            elif target == "id":
                line.record_id = rid
            else:
                line.link = rid
            return
        if target in ("subdistrict_name", "district_name", "province_name"):
            self.area[target] = (str(value).strip(), header)
            return
        head, _, tail = target.partition(".")
        f = self.form.fields.get(head)
        if f is None:
            return
        if f.type == "geopoint" and tail in ("lat", "lon"):
            self.geo_parts.setdefault(head, {})[tail] = value
            self.geo_parts[head]["_header"] = header
        elif f.type == "repeat":
            self.repeat_cell(f, tail, header, value)
        elif f.type == "national_id" and is_masked(value):
            self.report.masked_ids += 1
        else:
            line.values[head] = self.conv.value(f, value)
            line.values[f"_col_{head}"] = header

    def repeat_cell(self, f: Field, tail: str, header: str, value: Any) -> None:
        vals = self.rep_values.setdefault(f.id, {})
        if tail == "id":
            rid = as_uuid(value)
            if rid is None:
                self.problem(header, "รหัสแถวไม่ถูกต้อง", "row id must be a UUID")
            else:
                vals["id"] = rid
            return
        if tail == "full_name":
            for k, v in split_full_name(str(value)).items():
                c = f.child(k)
                if c is not None:
                    vals.setdefault(k, self.conv.value(c, v))
                    vals.setdefault(f"_col_{k}", header)
            return
        c = f.child(tail)
        if c is None:
            return
        if c.type == "national_id" and is_masked(value):
            self.report.masked_ids += 1
            return
        vals[tail] = self.conv.value(c, value)
        vals[f"_col_{tail}"] = header

    def finish(self) -> Line:
        line = self.line
        for head, parts in self.geo_parts.items():
            if "lat" in parts and "lon" in parts:
                line.values[head] = [parts["lat"], parts["lon"]]
                line.values[f"_col_{head}"] = parts["_header"]
            else:
                self.problem(
                    parts["_header"], "ต้องมีทั้งละติจูดและลองจิจูด", "both latitude and longitude are needed"
                )
        if "subdistrict_name" in self.area and "subdistrict_code" not in line.values and self.form.area_field:
            self.subdistrict(self.form.area_field)
        for head, vals in self.rep_values.items():
            if any(not k.startswith("_col_") and k != "id" for k in vals) or "id" in vals:
                line.rows.setdefault(head, []).append(vals)
        return line

    def subdistrict(self, area_field: str) -> None:
        """The subdistrict's code from its name (with the district's and province's, when given)."""
        name, header = self.area["subdistrict_name"]
        digits = thai.normalize_digits(name)
        codes = (
            [digits]
            if re.fullmatch(r"\d{6}", digits)
            else self.conv.subdistrict(
                name, self.area.get("district_name", ("", ""))[0], self.area.get("province_name", ("", ""))[0]
            )
        )
        if len(codes) == 1:
            self.line.values[area_field] = codes[0]
            self.line.values[f"_col_{area_field}"] = header
        elif not codes:
            self.problem(
                header,
                f"ไม่พบตำบล {name!r} (ตรวจชื่อตำบล อำเภอ และจังหวัด)",
                f"no subdistrict named {name!r} (check the subdistrict, district and province names)",
            )
        else:
            self.problem(
                header,
                f"มีตำบลชื่อ {name!r} หลายแห่ง ({len(codes)} แห่ง) กรุณาระบุอำเภอและจังหวัด",
                f"{len(codes)} subdistricts are named {name!r}: give the district and province",
            )


def row_problem(line: Line, column: str, th: str, en: str, code: str = "invalid") -> RowProblem:
    return RowProblem(line.row, column, th, en, line.sheet, code)


def as_uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return None


def as_national_id(value: Any) -> str | None:
    try:
        return thai.parse_national_id(str(value))
    except ValidationError:
        return None


# ---------------------------------------------------------------------- the import
