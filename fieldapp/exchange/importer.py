"""Import households (or any form) from an XLSX or CSV file through the store's write path.

Steps: read the file (:mod:`fieldapp.exchange.readers`), map columns to fields
(:mod:`fieldapp.exchange.mapping`), turn each line into field values, group lines into records
(one record per line, or several lines with the same ``group_by`` key; rows of a repeat sheet join
their record by id), match records already in the database (by record id, national ID or a
configurable key) and finally validate and write through ``Store.save_many``. Every problem is
reported per file row and column, in Thai and English.

Rules that protect the data:

* a record with any problem is not written at all; valid records are written one transaction per
  batch;
* a record found in the database is updated, never duplicated; a record whose values are all the
  same as stored is skipped (re-importing a file changes nothing);
* empty cells never erase stored values; masked national IDs (``1-1037-xxxxx-xx-2``) are ignored;
* a national ID that appears twice in the file, or that belongs to another record than the one
  the line matches, is a problem of that line.
"""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import os
import re
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geothai

from fieldapp import rounds, thai, thaidate
from fieldapp.errors import Problem, ValidationError
from fieldapp.exchange.mapping import LINK_HEADER, Mapping, auto_mapping, match_key
from fieldapp.exchange.readers import Table, Workbook, read
from fieldapp.forms import Field, Form
from fieldapp.store import Store

ImportProgress = Callable[[int, int], None]
Cancel = Callable[[], bool]
PARALLEL_THRESHOLD = 5000  # records; larger imports validate in one worker process per core
CHUNK = 1000
_MASKED = re.compile(r"[xX*×]")


@dataclass
class RowProblem:
    """One problem of one row of the file (``row`` as a spreadsheet shows it; 0 = whole file)."""

    row: int
    column: str
    message: str
    message_en: str
    sheet: str = ""
    code: str = "invalid"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "message_en": self.message_en,
            "code": self.code,
        }


@dataclass
class ImportReport:
    file: str
    form: str
    encoding: str | None = None
    rows: int = 0
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    masked_ids: int = 0
    dry_run: bool = False
    cancelled: bool = False
    unmapped: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    created_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "form": self.form,
            "encoding": self.encoding,
            "rows": self.rows,
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "masked_ids": self.masked_ids,
            "dry_run": self.dry_run,
            "cancelled": self.cancelled,
            "unmapped": self.unmapped,
            "problems": [p.as_dict() for p in self.problems],
        }

    def summary_th(self) -> str:
        head = "ตรวจสอบ (ยังไม่บันทึก)" if self.dry_run else "นำเข้า"
        text = (
            f"{head} {self.file}: {self.rows:,} แถว {self.records:,} ระเบียน — เพิ่มใหม่ {self.created:,} "
            f"ปรับปรุง {self.updated:,} ไม่เปลี่ยนแปลง {self.unchanged:,} มีปัญหา {self.invalid:,}"
        )
        return text + (" (ยกเลิกกลางคัน)" if self.cancelled else "")

    def summary_en(self) -> str:
        head = "checked (nothing written)" if self.dry_run else "imported"
        text = (
            f"{head} {self.file}: {self.rows:,} rows, {self.records:,} records: {self.created:,} new, "
            f"{self.updated:,} updated, {self.unchanged:,} unchanged, {self.invalid:,} with problems"
        )
        return text + (" (cancelled)" if self.cancelled else "")

    def save(self, path: str | Path) -> Path:
        """The per-row report as a spreadsheet (XLSX, or CSV in UTF-8 with BOM), Thai headers."""
        from fieldapp.exchange.exporter import write_table

        headers = ["แผ่นงาน", "แถวที่", "คอลัมน์", "ปัญหา", "problem"]
        rows = [[p.sheet, p.row or None, p.column, p.message, p.message_en] for p in self.problems]
        return write_table(Path(path), "ปัญหาการนำเข้า", headers, rows)


# ---------------------------------------------------------------------- lines and groups


@dataclass
class _Line:
    row: int
    sheet: str
    values: dict[str, Any]  # top-level field id -> value
    rows: dict[str, list[dict[str, Any]]]  # repeat id -> row values (with "id" when given)
    record_id: str | None = None
    link: str | None = None  # repeat sheet: the record this row belongs to
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class Job:
    """One record to create or update (picklable: it may go to a worker process)."""

    index: int
    record_id: str | None  # existing record to update (or the id a new record gets)
    exists: bool
    values: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    # where each value came from, for the report: path -> (row, column, sheet)
    origin: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    row_origin: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # repeat -> (row, sheet)
    first_row: int = 0
    sheet: str = ""


@dataclass
class Outcome:
    index: int
    status: str  # created | updated | unchanged | invalid
    record_id: str | None = None
    problems: list[Problem] = field(default_factory=list)


class _Converter:
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
            return _year_be(value)
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


def _round_waves(form: Form, jobs: list[Job]) -> list[list[Job]]:
    """The jobs in waves: first those whose previous survey round is not in this import, then
    those that follow a round of the first wave, and so on (one wave when there are no rounds)."""
    if not form.rounds:
        return [jobs]
    prev = form.rounds["previous"]
    mine = {j.record_id: j for j in jobs if j.record_id}
    depth: dict[int, int] = {}
    for j in jobs:
        n, cur = 0, j
        while (p := cur.values.get(prev)) and p in mine and n <= len(jobs):
            cur, n = mine[p], n + 1
        depth[j.index] = n
    return [[j for j in jobs if depth[j.index] == d] for d in range(max(depth.values(), default=0) + 1)]


def _first_rounds(store: Store, form: Form) -> dict[str, str]:
    """Each later survey round of the form's records -> the household's first round."""
    if not form.rounds:
        return {}
    prev = form.rounds["previous"]
    links = dict(
        store.conn.execute(
            f"SELECT id, [{prev}] FROM [{form.table}] WHERE deleted = 0 AND [{prev}] IS NOT NULL"
        )
    )
    out: dict[str, str] = {}
    for rid in links:
        cur, steps = rid, 0
        while cur in links and steps <= len(links):
            cur, steps = links[cur], steps + 1
        out[rid] = cur
    return out


def _year_be(value: Any) -> Any:
    """A year for a Buddhist-era field: a Christian-era year (as older exports and many lists give
    it, 1900–2399) becomes B.E.; anything else goes to the form's checks as it is."""
    text = thai.normalize_digits(str(value)).strip() if isinstance(value, (str, int, float)) else ""
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}(\.0+)?", text):
        return value
    year = int(float(text))
    return year + thaidate.BE_OFFSET if 1900 <= year < 2400 else year


def _is_masked(value: Any) -> bool:
    return isinstance(value, str) and bool(_MASKED.search(value))


def _split_full_name(text: str) -> dict[str, str]:
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


def _lines(
    form: Form,
    table: Table,
    columns: dict[str, str | None],
    conv: _Converter,
    report: ImportReport,
    *,
    repeat: Field | None = None,
) -> list[_Line]:
    """Rows of a table as field values (empty cells left out)."""
    plan: list[tuple[int, str, str]] = []  # (cell index, header, target)
    for i, header in enumerate(table.headers):
        target = columns.get(header)
        if target:
            if repeat is not None and target != LINK_HEADER.format(form=form.id) and "." not in target:
                target = f"{repeat.id}.{target}"
            plan.append((i, header, target))
    link_target = LINK_HEADER.format(form=form.id)
    out: list[_Line] = []
    for rowno, cells in table.rows:
        line = _Line(rowno, table.name, {}, {})
        area: dict[str, tuple[str, str]] = {}
        geo_parts: dict[str, dict[str, Any]] = {}
        rep_values: dict[str, dict[str, Any]] = {}
        for i, header, target in plan:
            value = cells[i] if i < len(cells) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if target == "id" or target == link_target:
                rid = _uuid(value)
                if rid is None:
                    line.problems.append(_rp(line, header, "รหัสระเบียนไม่ถูกต้อง", "record id must be a UUID"))
                elif target == "id":
                    line.record_id = rid
                else:
                    line.link = rid
                continue
            if target in ("subdistrict_name", "district_name", "province_name"):
                area[target] = (str(value).strip(), header)
                continue
            head, _, tail = target.partition(".")
            f = form.fields.get(head)
            if f is None:
                continue
            if f.type == "geopoint" and tail in ("lat", "lon"):
                geo_parts.setdefault(head, {})[tail] = value
                geo_parts[head]["_header"] = header
                continue
            if f.type == "repeat":
                vals = rep_values.setdefault(head, {})
                if tail == "id":
                    rid = _uuid(value)
                    if rid is None:
                        line.problems.append(_rp(line, header, "รหัสแถวไม่ถูกต้อง", "row id must be a UUID"))
                    else:
                        vals["id"] = rid
                    continue
                if tail == "full_name":
                    for k, v in _split_full_name(str(value)).items():
                        c = f.child(k)
                        if c is not None:
                            vals.setdefault(k, conv.value(c, v))
                            vals.setdefault(f"_col_{k}", header)
                    continue
                c = f.child(tail)
                if c is None:
                    continue
                if c.type == "national_id" and _is_masked(value):
                    report.masked_ids += 1
                    continue
                vals[tail] = conv.value(c, value)
                vals[f"_col_{tail}"] = header
                continue
            if f.type == "national_id" and _is_masked(value):
                report.masked_ids += 1
                continue
            line.values[head] = conv.value(f, value)
            line.values[f"_col_{head}"] = header
        for head, parts in geo_parts.items():
            if "lat" in parts and "lon" in parts:
                line.values[head] = [parts["lat"], parts["lon"]]
                line.values[f"_col_{head}"] = parts["_header"]
            else:
                line.problems.append(
                    _rp(
                        line,
                        parts["_header"],
                        "ต้องมีทั้งละติจูดและลองจิจูด",
                        "both latitude and longitude are needed",
                    )
                )
        if "subdistrict_name" in area and "subdistrict_code" not in line.values and form.area_field:
            name, header = area["subdistrict_name"]
            digits = thai.normalize_digits(name)
            codes = (
                [digits]
                if re.fullmatch(r"\d{6}", digits)
                else conv.subdistrict(
                    name, area.get("district_name", ("", ""))[0], area.get("province_name", ("", ""))[0]
                )
            )
            if len(codes) == 1:
                line.values[form.area_field] = codes[0]
                line.values[f"_col_{form.area_field}"] = header
            elif not codes:
                line.problems.append(
                    _rp(
                        line,
                        header,
                        f"ไม่พบตำบล {name!r} (ตรวจชื่อตำบล อำเภอ และจังหวัด)",
                        f"no subdistrict named {name!r} (check the subdistrict, district and province names)",
                    )
                )
            else:
                line.problems.append(
                    _rp(
                        line,
                        header,
                        f"มีตำบลชื่อ {name!r} หลายแห่ง ({len(codes)} แห่ง) กรุณาระบุอำเภอและจังหวัด",
                        f"{len(codes)} subdistricts are named {name!r}: give the district and province",
                    )
                )
        for head, vals in rep_values.items():
            if any(not k.startswith("_col_") and k != "id" for k in vals) or "id" in vals:
                line.rows.setdefault(head, []).append(vals)
        out.append(line)
    return out


def _rp(line: _Line, column: str, th: str, en: str, code: str = "invalid") -> RowProblem:
    return RowProblem(line.row, column, th, en, line.sheet, code)


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        return None


def _nid(value: Any) -> str | None:
    try:
        return thai.parse_national_id(str(value))
    except ValidationError:
        return None


# ---------------------------------------------------------------------- the import


def prepare(store: Store, workbook: Workbook, mapping: Mapping, report: ImportReport) -> list[Job]:
    """Lines → grouped, matched records to write. Problems go into ``report``."""
    form = store.form(mapping.form)
    mapping.check(form)
    conv = _Converter(form)
    main = _lines(form, workbook.main, mapping.columns, conv, report)
    report.rows = len(main)
    report.unmapped = [h for h in workbook.main.headers if mapping.columns.get(h) is None]
    extra: list[_Line] = []
    for rep_id, cols in mapping.repeats.items():
        table = workbook.table(rep_id) or next(
            (
                t
                for t in workbook.tables[1:]
                if match_key(t.name)
                in (match_key(rep_id), match_key(form.fields[rep_id].label.get("th", "")))
            ),
            None,
        )
        if table is not None:
            rows = _lines(form, table, cols, conv, report, repeat=form.fields[rep_id])
            report.rows += len(rows)
            extra += rows
    # ---- group lines
    groups: list[list[_Line]] = []
    by_key: dict[tuple[Any, ...], int] = {}
    group_by = list(mapping.group_by)
    if not group_by and mapping.match_by in form.fields:
        group_by = [mapping.match_by]
    for line in main:
        key: tuple[Any, ...] | None = None
        if line.record_id:
            key = ("id", line.record_id)
        elif group_by:
            parts = [line.values.get(g) for g in group_by]
            if all(p not in (None, "") for p in parts):
                key = ("key", *[match_key(str(p)) for p in parts])
        if key is not None and key in by_key:
            groups[by_key[key]].append(line)
            continue
        if key is not None:
            by_key[key] = len(groups)
        groups.append([line])
    id_group = {g[0].record_id: i for i, g in enumerate(groups) if g[0].record_id}
    orphans: list[_Line] = []
    for line in extra:
        gi = id_group.get(line.link) if line.link else None
        if gi is None:
            if line.link is None:
                line.problems.append(
                    _rp(
                        line,
                        LINK_HEADER.format(form=form.id),
                        "ไม่ระบุรหัสระเบียนที่แถวนี้สังกัด",
                        "the row does not name its record",
                    )
                )
            else:
                line.problems.append(
                    _rp(
                        line,
                        LINK_HEADER.format(form=form.id),
                        "ไม่พบระเบียนที่แถวนี้สังกัดในแผ่นงานหลัก",
                        "the record this row belongs to is not in the main sheet",
                    )
                )
            orphans.append(line)
            continue
        groups[gi].append(line)
    for line in orphans:
        report.problems += line.problems
    # ---- match records in the database
    match_rep, _, match_child = mapping.match_by.partition(".")
    owners: dict[str, str] = {}
    titles: dict[str, str] = {}
    # survey rounds: a household is found at its latest round, and its other rounds are no clash
    first_round = _first_rounds(store, form)
    latest = (
        f" AND p.id NOT IN (SELECT [{form.rounds['previous']}] FROM [{form.table}] "
        f"WHERE deleted = 0 AND [{form.rounds['previous']}] IS NOT NULL)"
        if form.rounds
        else ""
    )
    if match_child:
        rep = form.fields[match_rep]
        ct = form.child_table(rep)
        title = f", p.[{form.title_field}]" if form.title_field else ", NULL"
        for nid, pid, t in store.conn.execute(
            f"SELECT c.[{match_child}], c.parent_id{title} FROM [{ct}] c JOIN [{form.table}] p ON p.id = c.parent_id "
            f"WHERE p.deleted = 0 AND c.[{match_child}] IS NOT NULL" + latest
        ):
            owners[str(nid)] = pid
            titles[pid] = t or ""
    elif mapping.match_by in form.fields:
        for value, rid in store.conn.execute(
            f"SELECT [{mapping.match_by}], id FROM [{form.table}] p WHERE deleted = 0 AND [{mapping.match_by}] IS NOT NULL"
            + latest
        ):
            owners[match_key(str(value))] = rid
    file_ids = [g[0].record_id for g in groups if g[0].record_id]
    known: dict[str, int] = {}
    for i in range(0, len(file_ids), 500):
        chunk = file_ids[i : i + 500]
        q = f"SELECT id, deleted FROM [{form.table}] WHERE id IN ({','.join('?' * len(chunk))})"
        known.update({r[0]: r[1] for r in store.conn.execute(q, chunk)})
    targets: list[str | None] = []
    problems: list[list[RowProblem]] = []
    for g in groups:
        probs = [p for line in g for p in line.problems]
        cands: dict[str, _Line] = {}
        rid = g[0].record_id
        if rid and rid in known:
            if known[rid]:
                probs.append(
                    _rp(
                        g[0],
                        "id",
                        "ระเบียนนี้ถูกลบไปแล้วในฐานข้อมูล จึงไม่นำเข้าซ้ำ",
                        "this record was deleted in the database; it is not imported again",
                    )
                )
            else:
                cands[rid] = g[0]
        # another round of the household the line names by record id is no other household
        own = first_round.get(rid, rid) if rid else None
        for line in g:
            if match_child:
                for r in line.rows.get(match_rep, []):
                    nid = _nid(r.get(match_child)) if r.get(match_child) else None
                    owner = owners.get(nid) if nid else None
                    if owner and not (own and owner != rid and first_round.get(owner, owner) == own):
                        cands.setdefault(owner, line)
            elif mapping.match_by in form.fields and line.values.get(mapping.match_by) not in (None, ""):
                owner = owners.get(match_key(str(line.values[mapping.match_by])))
                if owner and not (own and owner != rid and first_round.get(owner, owner) == own):
                    cands.setdefault(owner, line)
        target = None
        if len(cands) > 1:
            first = next(iter(cands))
            for other, line in list(cands.items())[1:]:
                if rid and first == rid:
                    where = titles.get(other) or other
                    probs.append(
                        _rp(
                            line,
                            _origin_column(line, match_rep, match_child),
                            f"เลขประจำตัวประชาชนในแถวนี้เป็นของครัวเรือนอื่นในฐานข้อมูล ({where})",
                            f"a national ID on this row belongs to another record in the database ({other})",
                            "duplicate",
                        )
                    )
                else:
                    probs.append(
                        _rp(
                            line,
                            _origin_column(line, match_rep, match_child),
                            "ข้อมูลในแถวนี้ตรงกับหลายระเบียนในฐานข้อมูล ไม่ทราบว่าจะปรับปรุงระเบียนใด",
                            "the rows match several records in the database",
                            "duplicate",
                        )
                    )
        elif cands:
            target = next(iter(cands))
        targets.append(target)
        problems.append(probs)
    # groups that match the same stored record become one
    merged: dict[str, int] = {}
    keep: list[int] = []
    for i, target in enumerate(targets):
        if target is not None and target in merged:
            j = merged[target]
            groups[j].extend(groups[i])
            problems[j].extend(problems[i])
            continue
        if target is not None:
            merged[target] = i
        keep.append(i)
    # national IDs repeated across records of the file
    # (one person in two survey rounds of a household is no repeat: the rows name the same person)
    seen: dict[str, tuple[int, int, str]] = {}
    if match_child or any(c.type == "national_id" for rep in form.repeats() for c in rep.fields):
        for gi in keep:
            for line in groups[gi]:
                for rep in form.repeats():
                    for c in rep.fields:
                        if c.type != "national_id":
                            continue
                        for r in line.rows.get(rep.id, []):
                            nid = _nid(r.get(c.id)) if r.get(c.id) else None
                            if not nid:
                                continue
                            person = rounds.person_key(form, r) if form.rounds else ""
                            if nid in seen and seen[nid][0] != gi and not (person and seen[nid][2] == person):
                                problems[gi].append(
                                    _rp(
                                        line,
                                        str(r.get(f"_col_{c.id}", c.id)),
                                        f"เลขประจำตัวประชาชน {thai.mask_national_id(nid)} ซ้ำกับแถวที่ {seen[nid][1]} ในไฟล์",
                                        f"national ID repeated: also on row {seen[nid][1]} of the file",
                                        "duplicate",
                                    )
                                )
                            else:
                                seen.setdefault(nid, (gi, line.row, person))
    jobs: list[Job] = []
    for gi in keep:
        g = groups[gi]
        report.records += 1
        if problems[gi]:
            report.invalid += 1
            report.problems += problems[gi]
            continue
        jobs.append(_job(form, gi, g, targets[gi] or g[0].record_id, targets[gi] is not None, mapping))
    return jobs


def _origin_column(line: _Line, rep: str, child: str) -> str:
    for r in line.rows.get(rep, []):
        if f"_col_{child}" in r:
            return str(r[f"_col_{child}"])
    return child


def _job(
    form: Form, index: int, lines: list[_Line], record_id: str | None, exists: bool, mapping: Mapping
) -> Job:
    job = Job(index, record_id, exists, {}, {}, first_row=lines[0].row, sheet=lines[0].sheet)
    for line in lines:
        for k, v in line.values.items():
            if k.startswith("_col_"):
                continue
            job.values[k] = v
            job.origin[k] = (line.row, str(line.values.get(f"_col_{k}", k)), line.sheet)
        for rep, rows in line.rows.items():
            for r in rows:
                job.rows.setdefault(rep, []).append(r)
                job.row_origin.setdefault(rep, []).append((line.row, line.sheet))
    job.values.update({k: v for k, v in mapping.defaults.items() if "." not in k and k not in job.values})
    return job


# per form object: (a weak reference to the form, its defaults). The reference is checked on
# every look-up, because a replaced form's address can be given to a new one.
_DEFAULTS: dict[int, tuple[weakref.ref[Form], dict[str, Any]]] = {}


def _defaults(form: Form) -> dict[str, Any]:
    """The answers a new record starts with (the editor's defaults), computed once per form."""
    known = _DEFAULTS.get(id(form))
    if known is not None and known[0]() is form:
        return known[1]
    got = {
        k: v for k, v in form.blank().items() if v not in (None, []) and form.fields[k].type != "calculated"
    }
    key = id(form)

    def forget(_ref: weakref.ref[Form]) -> None:  # the form is gone: so is its entry
        _DEFAULTS.pop(key, None)

    _DEFAULTS[key] = (weakref.ref(form, forget), got)
    return got


def merge(
    form: Form, base: dict[str, Any] | None, job: Job, defaults: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The record to write: the stored document (or a new one) with the file's values on top.

    Returns the document and, per repeat, for each of its rows the index of the file row it came
    from (-1 for rows only in the database).
    """
    if base is None:
        doc = dict(_defaults(form))
    else:
        doc = {k: v for k, v in base.items() if k in form.fields and form.fields[k].type != "calculated"}
    doc.update(job.values)
    sources: dict[str, list[int]] = {}
    for rep in form.repeats():
        calc = {c.id for c in rep.fields if c.type == "calculated"}
        rows = [{k: v for k, v in r.items() if k not in calc} for r in (doc.get(rep.id) or [])]
        src = [-1] * len(rows)
        stored = len(rows)
        incoming = job.rows.get(rep.id, [])
        nid_field = next((c.id for c in rep.fields if c.type == "national_id"), None)
        for n, new in enumerate(incoming):
            values = {k: v for k, v in new.items() if not k.startswith("_col_")}
            pos = _find_row(rows, stored, values, nid_field)
            if pos is None:
                row = {
                    c.id: c.default
                    for c in rep.fields
                    if c.stores_value and c.default is not None and c.type != "calculated"
                }
                row.update(
                    {k[len(rep.id) + 1 :]: v for k, v in defaults.items() if k.startswith(f"{rep.id}.")}
                )
                row.update(values)
                rows.append(row)
                src.append(n)
            else:
                rows[pos].update(values)
                src[pos] = n
        rel = rep.child("relation")
        if (
            base is None
            and rows
            and rel is not None
            and "head" in rel.codes
            and not any(r.get("relation") for r in rows)
        ):
            rows[0]["relation"] = "head"  # a target list names one person per household: its head
        if rows or rep.id in doc:
            doc[rep.id] = rows
        sources[rep.id] = src
    return doc, sources


def _find_row(
    rows: list[dict[str, Any]], stored: int, values: dict[str, Any], nid_field: str | None
) -> int | None:
    """The row ``values`` updates: same row id, else same national ID, else (only for a line with
    neither) the stored row with the same first and last name. ``stored`` rows come from the database."""
    if values.get("id"):
        for i, r in enumerate(rows):
            if r.get("id") == values["id"]:
                return i
    nid = _nid(values[nid_field]) if nid_field and values.get(nid_field) else None
    if nid and nid_field:
        for i, r in enumerate(rows):
            if r.get(nid_field) and _nid(r[nid_field]) == nid:
                return i
        return None
    if values.get("id"):
        return None
    first, last = values.get("first_name"), values.get("last_name")
    if first and last:
        for i, r in enumerate(rows[:stored]):
            if r.get("first_name") == str(first).strip() and r.get("last_name") == str(last).strip():
                return i
    return None


def apply_jobs(
    store: Store,
    form_id: str,
    jobs: list[Job],
    defaults: dict[str, Any],
    *,
    partial_ok: bool = True,
    batch_size: int = CHUNK,  # a chunk in one transaction: index pages are written once
    user: str | None = None,
) -> tuple[list[Outcome], dict[int, dict[str, list[int]]]]:
    """Merge, compare and write ``jobs`` through ``Store.save_many``; one outcome per job."""
    form = store.form(form_id)
    outcomes: list[Outcome] = []
    items: list[tuple[str | None, dict[str, Any]]] = []
    pending: list[Job] = []
    sources: dict[int, dict[str, list[int]]] = {}
    for job in jobs:
        base = None
        if job.exists and job.record_id:
            base = store.get(form_id, job.record_id).data
        doc, src = merge(form, base, job, defaults)
        sources[job.index] = src
        if base is not None:
            clean, problems = form.validate(doc, partial_ok=partial_ok)
            if not problems and clean == base:
                outcomes.append(Outcome(job.index, "unchanged", job.record_id))
                continue
        items.append((job.record_id, doc))
        pending.append(job)
    if items:
        with store.bulk():
            batch = store.save_many(
                form_id,
                items,
                partial_ok=partial_ok,
                all_or_nothing=False,
                batch_size=batch_size,
                audit_action="import",
                user=user,
                warn=False,  # national IDs were matched against the database, and reported, above
            )
        saved = iter(batch.saved)
        for i, job in enumerate(pending):
            if i in batch.errors:
                outcomes.append(Outcome(job.index, "invalid", job.record_id, batch.errors[i]))
                continue
            res = next(saved, None)
            if res is None:
                break  # cancelled
            outcomes.append(Outcome(job.index, "created" if res.created else "updated", res.record.id))
    return outcomes, sources


_WORKER: dict[str, Any] = {}


def _worker_init(path: str, user: str, forms_dir: str | None) -> None:
    """Worker process: open the database once, on its own connection."""
    from fieldapp import forms as forms_mod

    formset = forms_mod.load_all(Path(forms_dir)) if forms_dir else None
    _WORKER["store"] = Store(path, user=user, forms=formset)


def _apply_in_process(
    args: tuple[str, list[Job], dict[str, Any], bool],
) -> tuple[list[Outcome], dict[int, dict[str, list[int]]]]:
    form_id, jobs, defaults, partial_ok = args
    return apply_jobs(_WORKER["store"], form_id, jobs, defaults, partial_ok=partial_ok)


def _report_problem(form: Form, job: Job, src: dict[str, list[int]], p: Problem) -> RowProblem:
    m = re.match(r"^([a-z0-9_]+)\[(\d+)\](?:\.([a-z0-9_]+))?", p.path)
    row, column, sheet = job.first_row, "", job.sheet
    if m:
        rep, pos, child = m.group(1), int(m.group(2)) - 1, m.group(3)
        origin = src.get(rep, [])
        n = origin[pos] if 0 <= pos < len(origin) else -1
        if n >= 0:
            row, sheet = job.row_origin[rep][n]
            if child:
                column = str(job.rows[rep][n].get(f"_col_{child}", ""))
    else:
        head = p.path.split(".")[0]
        if head in job.origin:
            row, column, sheet = job.origin[head]
    return RowProblem(row, column, p.message, p.message_en or p.message, sheet, p.code)


def run_import(
    store: Store,
    source: str | Path | Workbook,
    *,
    form_id: str = "household",
    mapping: Mapping | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    partial_ok: bool = True,
    progress: ImportProgress | None = None,
    cancel: Cancel | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import a file; returns the report (problems per row). Nothing invalid is written.

    ``dry_run`` validates everything through the write path inside a transaction that is rolled
    back. Large imports (over ``PARALLEL_THRESHOLD`` records) validate and write in one worker
    process per core, each on its own connection; ``workers=1`` keeps everything in this process.
    """
    workbook = source if isinstance(source, Workbook) else read(source, encoding=encoding)
    mapping = mapping or auto_mapping(store.form(form_id), workbook)
    if mapping.form != form_id:
        raise ValidationError(
            f"การจับคู่คอลัมน์นี้เป็นของแบบฟอร์ม {mapping.form}",
            f"the mapping is for form {mapping.form}, not {form_id}",
        )
    form = store.form(form_id)
    report = ImportReport(workbook.path.name, form_id, workbook.encoding, dry_run=dry_run)
    if not any(mapping.columns.values()):
        raise ValidationError(
            "ไม่พบคอลัมน์ที่ตรงกับข้อคำถามในแบบฟอร์ม กรุณากำหนดการจับคู่คอลัมน์",
            "no column matches a field of the form: give a --mapping file",
        )
    jobs = prepare(store, workbook, mapping, report)
    by_index = {j.index: j for j in jobs}
    total = len(jobs)
    done = 0
    results: list[tuple[list[Outcome], dict[int, dict[str, list[int]]]]] = []
    # a survey round is written before the round that follows it (which must find it), one wave
    # after the other in this process
    waves = _round_waves(store.form(form_id), jobs)
    chunks = [w[i : i + CHUNK] for w in waves for i in range(0, len(w), CHUNK)]
    if len(waves) > 1:
        workers = 1
    if workers is None:
        workers = min(os.cpu_count() or 1, len(chunks)) if total >= PARALLEL_THRESHOLD else 1
    if dry_run:
        store.conn.execute("BEGIN IMMEDIATE")
        try:
            for chunk in chunks:
                if cancel and cancel():
                    report.cancelled = True
                    break
                results.append(apply_jobs(store, form_id, chunk, mapping.defaults, partial_ok=partial_ok))
                done += len(chunk)
                if progress:
                    progress(done, total)
        finally:
            store.conn.execute("ROLLBACK")
    elif workers > 1 and str(store.path) != ":memory:" and store.data_key is None:  # no key in workers
        forms_dir = str(store.forms.directory) if store.forms.directory else None
        args = [(form_id, c, mapping.defaults, partial_ok) for c in chunks]
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(
            workers, initializer=_worker_init, initargs=(str(store.path), store.user, forms_dir)
        ) as pool:
            for res in pool.imap(_apply_in_process, args):
                results.append(res)
                done += len(res[0])
                if progress:
                    progress(done, total)
                if cancel and cancel():
                    report.cancelled = True
                    pool.terminate()  # chunks already committed stay; the rest is not started
                    break
    else:
        for chunk in chunks:
            if cancel and cancel():
                report.cancelled = True
                break
            results.append(apply_jobs(store, form_id, chunk, mapping.defaults, partial_ok=partial_ok))
            done += len(chunk)
            if progress:
                progress(done, total)
    for outcomes, sources in results:
        for o in outcomes:
            if o.status == "created":
                report.created += 1
                report.created_ids.append(o.record_id or "")
            elif o.status == "updated":
                report.updated += 1
                report.updated_ids.append(o.record_id or "")
            elif o.status == "unchanged":
                report.unchanged += 1
            else:
                report.invalid += 1
                job = by_index[o.index]
                report.problems += [
                    _report_problem(form, job, sources.get(o.index, {}), p) for p in o.problems
                ]
    report.problems.sort(key=lambda p: (p.sheet != workbook.main.name, p.sheet, p.row))
    if not dry_run:
        with store.transaction():
            store.audit(
                "import", form_id, None, {k: v for k, v in report.as_dict().items() if k != "problems"}
            )
    return report


def preview(
    store: Store,
    source: str | Path | Workbook,
    *,
    form_id: str = "household",
    mapping: Mapping | None = None,
    encoding: str | None = None,
    rows: int = 5,
) -> list[dict[str, Any]]:
    """The first ``rows`` records as they will be stored (validated, calculations filled in)."""
    workbook = source if isinstance(source, Workbook) else read(source, encoding=encoding)
    mapping = mapping or auto_mapping(store.form(form_id), workbook)
    form = store.form(form_id)
    head = Workbook(
        workbook.path,
        workbook.kind,
        workbook.encoding,
        [
            Table(workbook.main.name, workbook.main.headers, workbook.main.rows[: rows * 10]),
            *workbook.tables[1:],
        ],
    )
    report = ImportReport(workbook.path.name, form_id)
    out: list[dict[str, Any]] = []
    for job in prepare(store, head, mapping, report)[:rows]:
        base = store.get(form_id, job.record_id).data if job.exists and job.record_id else None
        doc, _src = merge(form, base, job, mapping.defaults)
        clean, _problems = form.validate(doc, partial_ok=True)
        out.append(clean)
    return out
