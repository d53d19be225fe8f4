"""Lines to records to write (``prepare``): a repeat sheet's rows joined to their record, lines
grouped by id or key, each group matched to a record already in the database (by id, national ID
or key; a household at its latest survey round), and national IDs repeated across records found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fieldapp import rounds, thai
from fieldapp.exchange.importreport import ImportReport, RowProblem
from fieldapp.exchange.lines import Converter, Line, as_national_id, read_lines, row_problem
from fieldapp.exchange.mapping import LINK_HEADER, Mapping, match_key
from fieldapp.exchange.readers import Workbook
from fieldapp.forms import Form
from fieldapp.store import Store


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


def first_rounds(store: Store, form: Form) -> dict[str, str]:
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


def prepare(store: Store, workbook: Workbook, mapping: Mapping, report: ImportReport) -> list[Job]:
    """Lines → grouped, matched records to write. Problems go into ``report``."""
    form = store.form(mapping.form)
    mapping.check(form)
    main, extra = _read_tables(form, workbook, mapping, report)
    groups = _group_lines(form, mapping, main)
    _join_repeat_rows(form, groups, extra, report)
    stored = _Stored.load(store, form, mapping, groups)
    targets: list[str | None] = []
    problems: list[list[RowProblem]] = []
    for g in groups:
        target, probs = stored.match(g)
        targets.append(target)
        problems.append(probs)
    keep = _merge_same_targets(groups, targets, problems)
    _repeated_national_ids(form, groups, keep, problems, bool(stored.match_child))
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


def _read_tables(
    form: Form, workbook: Workbook, mapping: Mapping, report: ImportReport
) -> tuple[list[Line], list[Line]]:
    """The main sheet's lines, and the lines of the repeats' sheets (found by name or label)."""
    conv = Converter(form)
    main = read_lines(form, workbook.main, mapping.columns, conv, report)
    report.rows = len(main)
    report.unmapped = [h for h in workbook.main.headers if mapping.columns.get(h) is None]
    extra: list[Line] = []
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
            rows = read_lines(form, table, cols, conv, report, repeat=form.fields[rep_id])
            report.rows += len(rows)
            extra += rows
    return main, extra


def _group_lines(form: Form, mapping: Mapping, main: list[Line]) -> list[list[Line]]:
    """Lines of one record together: the same record id, or the same ``group_by`` key."""
    groups: list[list[Line]] = []
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
    return groups


def _join_repeat_rows(form: Form, groups: list[list[Line]], extra: list[Line], report: ImportReport) -> None:
    """A repeat sheet's row joins the record it names; a row naming none, or one not in the main
    sheet, is a problem of its own."""
    id_group = {g[0].record_id: i for i, g in enumerate(groups) if g[0].record_id}
    column = LINK_HEADER.format(form=form.id)
    for line in extra:
        gi = id_group.get(line.link) if line.link else None
        if gi is not None:
            groups[gi].append(line)
        elif line.link is None:
            line.problems.append(
                row_problem(line, column, "ไม่ระบุรหัสระเบียนที่แถวนี้สังกัด", "the row does not name its record")
            )
            report.problems += line.problems
        else:
            line.problems.append(
                row_problem(
                    line,
                    column,
                    "ไม่พบระเบียนที่แถวนี้สังกัดในแผ่นงานหลัก",
                    "the record this row belongs to is not in the main sheet",
                )
            )
            report.problems += line.problems


@dataclass
class _Stored:
    """What the database holds that the file's records may be: owners of the matching values,
    their titles, each later round's first round, and the file's record ids found stored."""

    match_by: str
    by_field: bool  # match_by is a top-level field
    match_rep: str
    match_child: str
    owners: dict[str, str]
    titles: dict[str, str]
    first_round: dict[str, str]
    known: dict[str, int]  # record id -> deleted

    @classmethod
    def load(cls, store: Store, form: Form, mapping: Mapping, groups: list[list[Line]]) -> _Stored:
        match_rep, _, match_child = mapping.match_by.partition(".")
        owners: dict[str, str] = {}
        titles: dict[str, str] = {}
        # survey rounds: a household is found at its latest round, and its other rounds are no clash
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
        return cls(
            mapping.match_by,
            mapping.match_by in form.fields,
            match_rep,
            match_child,
            owners,
            titles,
            first_rounds(store, form),
            known,
        )

    def candidates(self, g: list[Line], probs: list[RowProblem]) -> dict[str, Line]:
        """The stored records the group's lines name (by id, national ID or key), each with the
        first line naming it."""
        cands: dict[str, Line] = {}
        rid = g[0].record_id
        if rid and rid in self.known:
            if self.known[rid]:
                probs.append(
                    row_problem(
                        g[0],
                        "id",
                        "ระเบียนนี้ถูกลบไปแล้วในฐานข้อมูล จึงไม่นำเข้าซ้ำ",
                        "this record was deleted in the database; it is not imported again",
                    )
                )
            else:
                cands[rid] = g[0]
        # another round of the household the line names by record id is no other household
        own = self.first_round.get(rid, rid) if rid else None

        def take(owner: str | None, line: Line) -> None:
            if owner and not (own and owner != rid and self.first_round.get(owner, owner) == own):
                cands.setdefault(owner, line)

        for line in g:
            if self.match_child:
                for r in line.rows.get(self.match_rep, []):
                    nid = as_national_id(r.get(self.match_child)) if r.get(self.match_child) else None
                    take(self.owners.get(nid) if nid else None, line)
            elif self.by_field and line.values.get(self.match_by) not in (None, ""):
                take(self.owners.get(match_key(str(line.values[self.match_by]))), line)
        return cands

    def match(self, g: list[Line]) -> tuple[str | None, list[RowProblem]]:
        """The stored record a group updates (None: a new record), and the group's problems."""
        probs = [p for line in g for p in line.problems]
        cands = self.candidates(g, probs)
        if len(cands) == 1:
            return next(iter(cands)), probs
        rid = g[0].record_id
        first = next(iter(cands), None)
        for other, line in list(cands.items())[1:]:
            column = _origin_column(line, self.match_rep, self.match_child)
            if rid and first == rid:
                where = self.titles.get(other) or other
                probs.append(
                    row_problem(
                        line,
                        column,
                        f"เลขประจำตัวประชาชนในแถวนี้เป็นของครัวเรือนอื่นในฐานข้อมูล ({where})",
                        f"a national ID on this row belongs to another record in the database ({other})",
                        "duplicate",
                    )
                )
            else:
                probs.append(
                    row_problem(
                        line,
                        column,
                        "ข้อมูลในแถวนี้ตรงกับหลายระเบียนในฐานข้อมูล ไม่ทราบว่าจะปรับปรุงระเบียนใด",
                        "the rows match several records in the database",
                        "duplicate",
                    )
                )
        return None, probs


def _merge_same_targets(
    groups: list[list[Line]], targets: list[str | None], problems: list[list[RowProblem]]
) -> list[int]:
    """Groups that match the same stored record become one; the indexes of the groups kept."""
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
    return keep


def _repeated_national_ids(
    form: Form, groups: list[list[Line]], keep: list[int], problems: list[list[RowProblem]], by_child: bool
) -> None:
    """National IDs repeated across records of the file are problems of the later record (one
    person in two survey rounds of a household is no repeat: the rows name the same person)."""
    if not (by_child or any(c.type == "national_id" for rep in form.repeats() for c in rep.fields)):
        return
    seen: dict[str, tuple[int, int, str]] = {}
    for gi in keep:
        for line in groups[gi]:
            for rep in form.repeats():
                for c in rep.fields:
                    if c.type != "national_id":
                        continue
                    for r in line.rows.get(rep.id, []):
                        nid = as_national_id(r.get(c.id)) if r.get(c.id) else None
                        if not nid:
                            continue
                        person = rounds.person_key(form, r) if form.rounds else ""
                        if nid in seen and seen[nid][0] != gi and not (person and seen[nid][2] == person):
                            problems[gi].append(
                                row_problem(
                                    line,
                                    str(r.get(f"_col_{c.id}", c.id)),
                                    f"เลขประจำตัวประชาชน {thai.mask_national_id(nid)} ซ้ำกับแถวที่ {seen[nid][1]} ในไฟล์",
                                    f"national ID repeated: also on row {seen[nid][1]} of the file",
                                    "duplicate",
                                )
                            )
                        else:
                            seen.setdefault(nid, (gi, line.row, person))


def _origin_column(line: Line, rep: str, child: str) -> str:
    for r in line.rows.get(rep, []):
        if f"_col_{child}" in r:
            return str(r[f"_col_{child}"])
    return child


def _job(
    form: Form, index: int, lines: list[Line], record_id: str | None, exists: bool, mapping: Mapping
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
