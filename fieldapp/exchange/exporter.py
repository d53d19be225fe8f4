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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp import thai
from fieldapp.errors import ValidationError
from fieldapp.exchange.mapping import LINK_HEADER, geo_headers
from fieldapp.exchange.xlsxwriter import XlsxWriter
from fieldapp.forms import Field, Form
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

    def values(self, fields: list[Field], row: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for f in fields:
            t = f.value_type
            if t == "geopoint":
                out += [row.get(f"{f.id}_lat"), row.get(f"{f.id}_lon")]
                continue
            v = row.get(f.id)
            if v is None or v == "":
                out.append(None)
            elif t == "select_one":
                out.append(v if self.codes else f.choice_label(v))
            elif t == "select_multiple":
                codes = json.loads(v) if isinstance(v, str) else v
                out.append("; ".join(codes if self.codes else [f.choice_label(c) for c in codes]) or None)
            elif t == "boolean":
                out.append(int(bool(v)) if self.codes else ("ใช่" if v else "ไม่ใช่"))
            elif t == "national_id":
                out.append(
                    (v if self.codes else thai.format_national_id(v))
                    if self.unmask
                    else thai.mask_national_id(v)
                )
            elif t == "phone":
                out.append(v if self.codes else thai.format_phone(v))
            elif t == "date":
                out.append(v if self.codes else f"{v[8:10]}/{v[5:7]}/{int(v[:4]) + 543}")
            else:
                out.append(v)
        return out


def _stored(fields: Iterable[Field]) -> list[Field]:
    return [f for f in fields if f.stores_value]


def _records(store: Store, form: Form, areas: list[str] | None) -> tuple[str, list[Any], int]:
    where, params = store._where(form, search=None, area=areas or None, filters=None, include_deleted=False)
    total = int(
        store.conn.execute(f"SELECT count(*) FROM [{form.table}] WHERE {where}", params).fetchone()[0]
    )
    return where, params, total


def _main_rows(store: Store, form: Form, where: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    cur = store.conn.execute(f"SELECT * FROM [{form.table}] WHERE {where} ORDER BY title_sort, id", params)
    names = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(names, r, strict=True))


def _repeat_rows(
    store: Store, form: Form, rep: Field, where: str, params: list[Any]
) -> Iterator[dict[str, Any]]:
    pwhere = where.replace("deleted = 0", "p.deleted = 0")
    if form.area_field:
        pwhere = pwhere.replace(f"[{form.area_field}]", f"p.[{form.area_field}]")
    cur = store.conn.execute(
        f"SELECT c.* FROM [{form.child_table(rep)}] c JOIN [{form.table}] p ON p.id = c.parent_id "
        f"WHERE {pwhere} ORDER BY p.title_sort, p.id, c.position",
        params,
    )
    names = [d[0] for d in cur.description]
    for r in cur:
        yield dict(zip(names, r, strict=True))


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
    fmtr = _Formatter(unmask, codes)
    where, params, total = _records(store, form, areas)
    fields = _stored(form.fields.values())
    reps = form.repeats()
    result = ExportResult()
    tick = _Ticker(progress, total, cancel)
    main_headers = ["id", *fmtr.headers(fields)]
    link = LINK_HEADER.format(form=form.id)

    def main_values() -> Iterator[list[Any]]:
        for row in _main_rows(store, form, where, params):
            if tick.step():
                result.cancelled = True
                return
            yield [row["id"], *fmtr.values(fields, row)]

    def rep_values(rep: Field) -> Iterator[list[Any]]:
        cfields = _stored(rep.fields)
        for row in _repeat_rows(store, form, rep, where, params):
            if cancel and result.cancelled:
                return
            yield [row["id"], row["parent_id"], *fmtr.values(cfields, row)]

    def rep_headers(rep: Field) -> list[str]:
        return ["id", link, *fmtr.headers(_stored(rep.fields))]

    if fmt == "xlsx":
        with XlsxWriter(path) as x:
            result.records = x.sheet(form.id if codes else form.title_of("th"), main_headers, main_values())
            for rep in reps:
                if result.cancelled:
                    break
                result.rows[rep.id] = x.sheet(
                    rep.id if codes else rep.label_for("th"), rep_headers(rep), rep_values(rep)
                )
        result.files.append(path)
    elif fmt == "csv":
        result.records = write_csv(path, main_headers, main_values())
        result.files.append(path)
        for rep in reps:
            if result.cancelled:
                break
            rp = path.with_name(f"{path.stem}_{rep.id}{path.suffix or '.csv'}")
            result.rows[rep.id] = write_csv(rp, rep_headers(rep), rep_values(rep))
            result.files.append(rp)
    else:
        result.records = _write_geojson(path, form, fields, fmtr, store, where, params, tick, result)
        result.files.append(path)
    if result.cancelled:
        for f in result.files:
            f.unlink(missing_ok=True)
        result.files = []
    with store.transaction():
        store.audit(
            "export",
            form.id,
            None,
            {
                "format": fmt,
                "file": str(path.name),
                "records": result.records,
                "rows": result.rows,
                "areas": list(areas or []),
                "unmasked": unmask,
                "codes": codes,
                "cancelled": result.cancelled,
            },
        )
    return result


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
        for row in _main_rows(store, form, where, params):
            if tick.step():
                result.cancelled = True
                break
            lat, lon = row.get(f"{geo.id}_lat"), row.get(f"{geo.id}_lon")
            if lat is None or lon is None:
                continue
            values = fmtr.values(props, row)
            feature = {
                "type": "Feature",
                "id": row["id"],
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": row["id"],
                    **{k: v for k, v in zip(keys, values, strict=True) if v is not None},
                },
            }
            fh.write(("" if count == 0 else ",\n") + json.dumps(feature, ensure_ascii=False))
            count += 1
        fh.write("\n]}\n")
    return count


def write_csv(path: Path, headers: list[str], rows: Iterable[list[Any]]) -> int:
    """CSV in UTF-8 with BOM (Excel opens it with Thai intact); returns the number of data rows."""
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for n, row in enumerate(rows, start=1):  # noqa: B007
            w.writerow(["" if v is None else v for v in row])
    return n


def write_table(path: Path, name: str, headers: list[str], rows: Iterable[list[Any]]) -> Path:
    """One table as XLSX (by the file's suffix) or CSV."""
    if path.suffix.lower() == ".xlsx":
        with XlsxWriter(path) as x:
            x.sheet(name, headers, rows)
    else:
        write_csv(path, headers, rows)
    return path
