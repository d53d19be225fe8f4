"""Read helpers for list views and summaries that the store's ``list`` does not cover.

* ``rows(store, form_id, ids)``: the list columns of exactly these records, in this order (views
  keep the ids of a query and fetch the rows of the visible page only);
* ``area_counts``: records per subdistrict and village, for an area navigator built from the data;
* ``businesses_employing``: the businesses whose employment links point at a household;
* ``household_classes``: the livelihood class of some households (to show which are poor).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fieldapp import aggregates, drafts, scoring
from fieldapp.forms import Field, Form
from fieldapp.store import Store

POOR_CLASSES = ("1", "2")  # อยู่ลำบาก, อยู่ยาก


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _value(f: Field, values: dict[str, Any]) -> Any:
    return f.from_columns(values)


def rows(
    store: Store, form_id: str, ids: list[str], columns: list[str] | None = None
) -> list[dict[str, Any]]:
    """Rows shaped like ``Store.list`` (plus ``_missing``: required answers still missing)."""
    form = store.form(form_id)
    fields = [form.field_at(n) for n in (columns or form.shown_columns())]
    cols = [c for f in fields if f.parent is None for c, _ in f.columns()]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        sql = (
            f"SELECT id, {', '.join(f'[{c}]' for c in [*cols, 'dirty', 'deleted', 'updated_at'])}, "
            f"conflict IS NOT NULL FROM [{form.table}] WHERE id IN ({','.join('?' * len(chunk))})"
        )
        for r in store.conn.execute(sql, chunk):
            values = dict(
                zip(["id", *cols, "dirty", "deleted", "updated_at", "has_conflict"], r, strict=True)
            )
            item = {"id": values["id"], **{f.id: _value(f, values) for f in fields if f.parent is None}}
            item["_dirty"] = bool(values["dirty"])
            item["_deleted"] = bool(values["deleted"])
            item["_conflict"] = bool(values["has_conflict"])
            item["_updated_at"] = values["updated_at"]
            found[values["id"]] = item
    missing = drafts.missing_counts(store, list(found))
    out = []
    for rid in ids:
        if rid in found:
            found[rid]["_missing"] = missing.get(rid, 0)
            out.append(found[rid])
    return out


@dataclass(frozen=True)
class AreaCount:
    subdistrict: str
    village_no: int | None
    village_name: str
    count: int


def area_counts(store: Store, form_id: str) -> list[AreaCount]:
    """Live records per subdistrict and village (``village_no`` / ``village_name`` if the form has
    them), from the kept counts: no scan of the records, whatever their number."""
    form = store.form(form_id)
    if not form.area_field:
        return []
    return [AreaCount(a, vno, vname, n) for a, vno, vname, n in aggregates.villages(store.conn, form.id)]


def businesses_employing(store: Store, household_id: str) -> list[dict[str, Any]]:
    """Businesses linked to members of a household: id, name, and the links (member, role)."""
    form = store.form("business")
    rep = form.fields["employment"]
    sql = (
        f"SELECT p.id, p.[{form.title_field}], c.member_id, c.role, c.income_month "
        f"FROM [{form.child_table(rep)}] c JOIN [{form.table}] p ON p.id = c.parent_id "
        "WHERE c.household_id = ? AND p.deleted = 0 ORDER BY p.title_sort, c.position"
    )
    out: dict[str, dict[str, Any]] = {}
    for bid, name, member_id, role, income in store.conn.execute(sql, [household_id]):
        entry = out.setdefault(bid, {"id": bid, "name": name or "", "links": []})
        entry["links"].append({"member_id": member_id, "role": role, "income_month": income})
    return list(out.values())


def household_classes(store: Store, ids: list[str]) -> dict[str, str | None]:
    """The livelihood class of each household id given (the field the scoring rubric declares)."""
    form = store.form("household")
    klass = scoring.class_field(form)
    out: dict[str, str | None] = {}
    if klass not in form.fields:
        return out
    for chunk in _chunks(list(dict.fromkeys(ids))):
        marks = ",".join("?" * len(chunk))
        q = f"SELECT id, [{klass}] FROM [{form.table}] WHERE id IN ({marks}) AND deleted = 0"
        out.update({r[0]: r[1] for r in store.conn.execute(q, chunk)})
    return out


def class_of(form: Form, data: Mapping[str, Any]) -> str | None:
    """A household's livelihood class code, read from the field the scoring rubric declares."""
    value = data.get(scoring.class_field(form))
    return str(value) if value else None


def is_poor(poverty_class: str | None) -> bool:
    return poverty_class in POOR_CLASSES
