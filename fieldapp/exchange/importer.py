"""Import households (or any form) from an XLSX or CSV file through the store's write path.

Steps: read the file (:mod:`fieldapp.exchange.readers`), map columns to fields
(:mod:`fieldapp.exchange.mapping`), turn each line into field values, group lines into records
(one record per line, or several lines with the same ``group_by`` key; rows of a repeat sheet join
their record by id), match records already in the database (by record id, national ID or a
configurable key) and finally validate and write through ``Store.import_rows``. Every problem is
reported per file row and column, in Thai and English.

Rules that protect the data:

* a record with any problem is not written at all; valid records are written one transaction per
  batch;
* a record found in the database is updated, never duplicated; a record whose values are all the
  same as stored is skipped (re-importing a file changes nothing);
* empty cells never erase stored values; masked national IDs (``1-1037-xxxxx-xx-2``) are ignored;
* a national ID that appears twice in the file, or that belongs to another record than the one
  the line matches, is a problem of that line.

The parts: ``lines`` (a table's rows as field values), ``matching`` (``prepare``: lines grouped
and matched into jobs), ``importreport`` (what the import found) and this module (``run_import``:
each job merged with its stored record, validated and written, in worker processes when large).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp import schema
from fieldapp.errors import Problem, ValidationError
from fieldapp.exchange.importreport import ImportReport, RowProblem
from fieldapp.exchange.lines import as_national_id
from fieldapp.exchange.mapping import Mapping, auto_mapping
from fieldapp.exchange.matching import Job, prepare
from fieldapp.exchange.readers import Table, Workbook, read
from fieldapp.forms import Form
from fieldapp.store import Store, open_store

ImportProgress = Callable[[int, int], None]
Cancel = Callable[[], bool]
PARALLEL_THRESHOLD = 5000  # records; larger imports validate in one worker process per core
CHUNK = 1000


@dataclass
class Outcome:
    index: int
    status: str  # created | updated | unchanged | invalid
    record_id: str | None = None
    problems: list[Problem] = field(default_factory=list)


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


# every look-up, because a replaced form's address can be given to a new one.
_DEFAULTS: dict[int, tuple[weakref.ref[Form], dict[str, Any]]] = {}


def _defaults(form: Form) -> dict[str, Any]:
    """The answers a new record starts with (the editor's defaults), computed once per form."""
    known = _DEFAULTS.get(id(form))
    if known is not None and known[0]() is form:
        return known[1]
    got = {
        k: v
        for k, v in form.blank().items()
        if v not in (None, []) and form.fields[k].type != "calculated" and k not in schema.VISIT_FIELDS
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
    nid = as_national_id(values[nid_field]) if nid_field and values.get(nid_field) else None
    if nid and nid_field:
        for i, r in enumerate(rows):
            if r.get(nid_field) and as_national_id(r[nid_field]) == nid:
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
    """Merge, compare and write ``jobs`` through ``Store.import_rows``; one outcome per job."""
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
        # national IDs were matched against the database, and reported, above
        batch = store.import_rows(form_id, items, partial_ok=partial_ok, batch_size=batch_size, user=user)
        saved = iter(batch.saved)
        for i, job in enumerate(pending):
            if i in batch.errors:
                outcomes.append(Outcome(job.index, "invalid", job.record_id, batch.errors[i]))
                continue
            res = next(saved)
            outcomes.append(Outcome(job.index, "created" if res.created else "updated", res.record.id))
    return outcomes, sources


_WORKER: dict[str, Any] = {}


def _worker_init(path: str, user: str, forms_dir: str | None) -> None:
    """Worker process: open the database once, on its own connection."""
    from fieldapp import forms as forms_mod

    formset = forms_mod.load_all(Path(forms_dir)) if forms_dir else None
    _WORKER["store"] = open_store(path, user=user, forms=formset)


def _apply_in_process(
    args: tuple[str, list[Job], dict[str, Any], bool],
) -> tuple[list[Outcome], dict[int, dict[str, list[int]]]]:
    form_id, jobs, defaults, partial_ok = args
    return apply_jobs(_WORKER["store"], form_id, jobs, defaults, partial_ok=partial_ok)


def _report_problem(form: Form, job: Job, src: dict[str, list[int]], p: Problem) -> RowProblem:
    m = re.match(r"^([A-Za-z0-9_]+)\[(\d+)\](?:\.([A-Za-z0-9_]+))?", p.path)
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


_Results = list[tuple[list[Outcome], dict[int, dict[str, list[int]]]]]


class _Steps:
    """Applying the chunks of jobs, here or in worker processes, reporting progress and stopping
    when cancelled (chunks already committed stay)."""

    def __init__(
        self, total: int, report: ImportReport, progress: ImportProgress | None, cancel: Cancel | None
    ) -> None:
        self.total = total
        self.report = report
        self.progress = progress
        self.cancel = cancel

    def here(
        self, store: Store, form_id: str, chunks: list[list[Job]], defaults: dict[str, Any], partial_ok: bool
    ) -> _Results:
        results: _Results = []
        done = 0
        for chunk in chunks:
            if self.cancel and self.cancel():
                self.report.cancelled = True
                break
            results.append(apply_jobs(store, form_id, chunk, defaults, partial_ok=partial_ok))
            done += len(chunk)
            if self.progress:
                self.progress(done, self.total)
        return results

    def in_workers(
        self,
        store: Store,
        form_id: str,
        chunks: list[list[Job]],
        defaults: dict[str, Any],
        partial_ok: bool,
        workers: int,
    ) -> _Results:
        results: _Results = []
        done = 0
        forms_dir = str(store.forms.directory) if store.forms.directory else None
        args = [(form_id, c, defaults, partial_ok) for c in chunks]
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(
            workers, initializer=_worker_init, initargs=(str(store.path), store.user, forms_dir)
        ) as pool:
            for res in pool.imap(_apply_in_process, args):
                results.append(res)
                done += len(res[0])
                if self.progress:
                    self.progress(done, self.total)
                if self.cancel and self.cancel():
                    self.report.cancelled = True
                    pool.terminate()  # chunks already committed stay; the rest is not started
                    break
        return results


def _count_outcomes(report: ImportReport, form: Form, by_index: dict[int, Job], results: _Results) -> None:
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
    # a survey round is written before the round that follows it (which must find it), one wave
    # after the other in this process
    waves = _round_waves(form, jobs)
    chunks = [w[i : i + CHUNK] for w in waves for i in range(0, len(w), CHUNK)]
    if len(waves) > 1:
        workers = 1
    if workers is None:
        workers = min(os.cpu_count() or 1, len(chunks)) if len(jobs) >= PARALLEL_THRESHOLD else 1
    steps = _Steps(len(jobs), report, progress, cancel)
    if dry_run:
        store.conn.execute("BEGIN IMMEDIATE")
        try:
            results = steps.here(store, form_id, chunks, mapping.defaults, partial_ok)
        finally:
            store.conn.execute("ROLLBACK")
    elif workers > 1 and str(store.path) != ":memory:" and store.data_key is None:  # no key in workers
        results = steps.in_workers(store, form_id, chunks, mapping.defaults, partial_ok, workers)
    else:
        results = steps.here(store, form_id, chunks, mapping.defaults, partial_ok)
    _count_outcomes(report, form, {j.index: j for j in jobs}, results)
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
