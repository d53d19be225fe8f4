"""What the store hands out and the row helpers its parts share: records, save results, the
column values of a document and back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from fieldapp import (
    codegen,
    softwarn,
    thai,
)
from fieldapp.errors import Problem
from fieldapp.forms import Field, Form


@dataclass
class Record:
    id: str
    form_id: str
    form_version: str
    data: dict[str, Any]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    device_id: str
    server_rev: int | None = None
    base: dict[str, Any] | None = None
    dirty: bool = True
    deleted: bool = False
    conflict: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "form": self.form_id,
            "version": self.form_version,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "device_id": self.device_id,
            "server_rev": self.server_rev,
            "dirty": self.dirty,
            "deleted": self.deleted,
            "data": self.data,
        }


@dataclass
class Duplicate:
    """A national ID that also appears on another record (flagged, never merged)."""

    path: str
    national_id: str
    other_form: str
    other_record: str
    other_title: str

    def message(self) -> str:
        return (
            f"เลขประจำตัวประชาชน {thai.mask_national_id(self.national_id)} ซ้ำกับ "
            f"{self.other_title or self.other_record} (รหัส {self.other_record})"
        )


@dataclass
class SaveResult:
    record: Record
    created: bool
    warnings: list[Duplicate] = field(default_factory=list)
    soft_warnings: list[softwarn.SoftWarning] = field(default_factory=list)
    """Answers that may be right but need a reason (shown beside the field; never refused)."""


@dataclass
class Batch:
    """Result of ``save_many``: what was written and, per input index, what was wrong."""

    saved: list[SaveResult] = field(default_factory=list)
    errors: dict[int, list[Problem]] = field(default_factory=dict)



def record_from_row(form: Form, values: dict[str, Any], data: dict[str, Any]) -> Record:
    """A Record from a row of a form table (its columns in ``values``) and its document."""
    return Record(
        id=values["id"],
        form_id=form.id,
        form_version=values["form_version"],
        data=data,
        created_at=values["created_at"],
        created_by=values["created_by"],
        updated_at=values["updated_at"],
        updated_by=values["updated_by"],
        device_id=values["device_id"],
        server_rev=values["server_rev"],
        base=json.loads(values["base"]) if values["base"] else None,
        dirty=bool(values["dirty"]),
        deleted=bool(values["deleted"]),
        conflict=json.loads(values["conflict"]) if values["conflict"] else None,
    )


def person_column(form: Form, rep: Field) -> str:
    """SQL for the person a row of ``rep`` stands for across survey rounds ('' when not followed)."""
    rep_id, _, name = ((form.rounds or {}).get("person") or "").partition(".")
    return f"coalesce(c.[{name}], c.id)" if rep_id == rep.id and name else ""


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def child_columns(rep: Field) -> list[tuple[str, str]]:
    return [c for f in rep.fields for c in f.columns()]


def expr_text(value: Any) -> str | None:
    return None if value is None else str(value)


def sql_value(v: Any) -> Any:
    if isinstance(v, bool):
        return 1 if v else 0
    return v


# keyed by what the generated code depends on (field ids and stored types), never by object
# identity: form objects are replaced when forms are reloaded, and an address is reused
_PLANS: dict[tuple[tuple[str, str], ...], Callable[[dict[str, Any]], list[Any]]] = {}


def base_text(base: dict[str, Any] | None) -> str | None:
    """The synced content of a record as stored in ``base`` (JSON, keys sorted).

    orjson: a first sync writes the base of every pulled record, and encoding them was a
    tenth of the pull (json.dumps 140 µs against 27 µs for a household)."""
    return None if base is None else orjson.dumps(base, option=orjson.OPT_SORT_KEYS).decode()


def value_plan(fields: tuple[Field, ...]) -> Callable[[dict[str, Any]], list[Any]]:
    """A function giving a document's column values in column order (as ``Field.columns``),
    generated once per field set: geopoints in two columns, multiple choices as JSON text,
    yes/no as 1/0."""
    key = tuple((f.id, f.value_type) for f in fields if f.stores_value)
    fn = _PLANS.get(key)
    if fn is None:
        names: dict[str, Any] = {}
        items: list[str] = []
        for f in fields:
            if not f.stores_value:
                continue
            k = f"_k{len(names)}"
            names[k] = f.id
            encode = f.kind.to_columns  # the type's column values (registry), or the value itself
            if encode is None:
                items.append(f"get({k})")
            else:
                e = f"_e{len(names)}"
                names[e] = encode
                items.append(f"*{e}(get({k}))")
        source = "def _values(doc):\n    get = doc.get\n    return [" + ", ".join(items) + "]"
        fn = _PLANS[key] = codegen.build(source, names, "_values")
    return fn


def doc_from_columns(fields: Iterable[Field], values: dict[str, Any]) -> dict[str, Any]:
    return {f.id: f.from_columns(values) for f in fields if f.stores_value}


