"""Three-way merge of record documents and the resolution of conflicts (no I/O).

Used by the server when a pushed edit was made against an older version, and by the laptop when a
person resolves a conflict. Calculated fields (``derived_paths``) are never merged: they are taken
from the server's side and recomputed by validation afterwards.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldapp.sync.protocol import Conflict, FieldConflict, ProtocolViolation

if TYPE_CHECKING:
    from fieldapp.forms import Form


def derived_paths(form: Form) -> frozenset[str]:
    """Calculated fields (``field`` or ``repeat.field``): never merged, always recomputed."""
    out: set[str] = set()
    for f in form.fields.values():
        if f.type == "calculated":
            out.add(f.id)
        for c in f.fields:
            if c.type == "calculated":
                out.add(f"{f.id}.{c.id}")
    return frozenset(out)


# ---------------------------------------------------------------------- three-way merge


@dataclass
class MergeResult:
    doc: dict[str, Any]
    conflicts: list[FieldConflict]

    @property
    def clean(self) -> bool:
        return not self.conflicts


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, dict) and "id" in r for r in value)


def _merge_value(path: str, b: Any, m: Any, t: Any, conflicts: list[FieldConflict]) -> Any:
    if m == t:
        return copy.deepcopy(m)
    if m == b:
        return copy.deepcopy(t)
    if t == b:
        return copy.deepcopy(m)
    conflicts.append(FieldConflict(path, copy.deepcopy(b), copy.deepcopy(m), copy.deepcopy(t)))
    return copy.deepcopy(t)


def _merge_fields(
    prefix: str,
    keys: list[str],
    base: Mapping[str, Any],
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    skip: Collection[str],
    skip_prefix: str,
    conflicts: list[FieldConflict],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in keys:
        if f"{skip_prefix}{k}" in skip:
            out[k] = copy.deepcopy(theirs.get(k, mine.get(k)))
            continue
        b, m, t = base.get(k), mine.get(k), theirs.get(k)
        if not skip_prefix and (_is_rows(m) or _is_rows(t)) and (b is None or _is_rows(b)):
            out[k] = _merge_rows(k, b or [], m or [], t or [], skip, conflicts)
        else:
            out[k] = _merge_value(f"{prefix}{k}", b, m, t, conflicts)
    return out


def _ordered_keys(*docs: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for d in docs:
        for k in d:
            seen.setdefault(k, None)
    return list(seen)


def _merge_rows(
    name: str,
    base: list[dict[str, Any]],
    mine: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    skip: Collection[str],
    conflicts: list[FieldConflict],
) -> list[dict[str, Any]]:
    """Repeat rows merge per row id: added/removed/changed on one side merges."""
    b = {r["id"]: r for r in base}
    m = {r["id"]: r for r in mine}
    t = {r["id"]: r for r in theirs}
    order = [r["id"] for r in theirs] + [r["id"] for r in mine if r["id"] not in t]
    out: list[dict[str, Any]] = []
    for rid in order:
        path = f"{name}[{rid}]"
        br, mr, tr = b.get(rid), m.get(rid), t.get(rid)
        if mr is not None and tr is not None:
            keys = _ordered_keys(tr, mr, br or {})
            row = _merge_fields(
                f"{path}.", [k for k in keys if k != "id"], br or {}, mr, tr, skip, f"{name}.", conflicts
            )
            out.append({"id": rid, **row})
        elif tr is not None:  # missing in mine: added on the server, or removed here
            if br is None:
                out.append(copy.deepcopy(tr))
            elif tr != br:  # removed here, changed on the server
                conflicts.append(FieldConflict(path, copy.deepcopy(br), None, copy.deepcopy(tr)))
                out.append(copy.deepcopy(tr))
        elif mr is not None:  # missing on the server: added here, or removed there
            if br is None:
                out.append(copy.deepcopy(mr))
            elif mr != br:  # removed on the server, changed here
                conflicts.append(FieldConflict(path, copy.deepcopy(br), copy.deepcopy(mr), None))
    return out


def three_way_merge(
    base: Mapping[str, Any] | None,
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    *,
    skip: Collection[str] = (),
) -> MergeResult:
    """Merge two edits of one document against their common base, field by field.

    A field changed on one side only takes that side's value; the same field changed to
    different values on both sides is a conflict (the result holds the server's value until a
    person chooses). Repeat rows are matched by id. Paths in ``skip`` (calculated fields) are
    taken from ``theirs`` and are expected to be recomputed.
    """
    conflicts: list[FieldConflict] = []
    base = base or {}
    keys = _ordered_keys(theirs, mine, base)
    doc = _merge_fields("", keys, base, mine, theirs, skip, "", conflicts)
    return MergeResult(doc, conflicts)


# ---------------------------------------------------------------------- resolving

_PATH_RE = re.compile(
    r"^(?P<field>[A-Za-z_][\w]*)(?:\[(?P<row>[0-9a-fA-F-]{36})\](?:\.(?P<sub>[A-Za-z_]\w*))?)?$"
)
Choice = Any  # "mine" | "theirs" | a value


def set_path(
    doc: dict[str, Any], path: str, value: Any, *, order_from: list[dict[str, Any]] | None = None
) -> None:
    """Set ``field``, ``repeat[row-id].field`` or a whole row ``repeat[row-id]`` (None removes it)."""
    m = _PATH_RE.match(path)
    if not m:
        raise ProtocolViolation(f"bad field path {path!r}")
    name, row, sub = m.group("field"), m.group("row"), m.group("sub")
    if row is None:
        doc[name] = copy.deepcopy(value)
        return
    rows: list[dict[str, Any]] = doc.setdefault(name, []) or []
    doc[name] = rows
    idx = next((i for i, r in enumerate(rows) if r.get("id") == row), None)
    if sub is not None:
        if idx is None:
            raise ProtocolViolation(f"{path}: the row is not in the document")
        rows[idx][sub] = copy.deepcopy(value)
        return
    if value is None:
        if idx is not None:
            rows.pop(idx)
        return
    new = {**copy.deepcopy(value), "id": row}
    if idx is not None:
        rows[idx] = new
    else:
        rows.append(new)


def resolve(conflict: Conflict, choices: Mapping[str, Choice]) -> tuple[dict[str, Any] | None, bool]:
    """Apply a person's choices to a conflict: (document, deleted).

    ``choices`` maps each conflicting path to ``"mine"``, ``"theirs"`` or a typed value. For an
    edit/delete conflict the path is ``""`` (the whole record): ``"mine"`` or ``"theirs"``.
    Raises ProtocolViolation naming any path left unresolved or unknown.
    """
    if conflict.kind in ("edit_delete", "delete_edit"):
        choice = choices.get("")
        if choice not in ("mine", "theirs"):
            raise ProtocolViolation("choose 'mine' or 'theirs' for the whole record (path '')")
        side_deleted = (conflict.kind == "edit_delete") == (choice == "theirs")
        doc = conflict.mine if choice == "mine" else conflict.theirs
        return (None, True) if side_deleted else (copy.deepcopy(doc), False)
    known = {f.path for f in conflict.fields}
    missing = sorted(known - set(choices))
    unknown = sorted(set(choices) - known)
    if missing or unknown:
        parts = []
        if missing:
            parts.append("unresolved: " + ", ".join(missing))
        if unknown:
            parts.append("not in conflict: " + ", ".join(unknown))
        raise ProtocolViolation("; ".join(parts))
    doc = copy.deepcopy(conflict.merged or conflict.theirs or {})
    for fc in conflict.fields:
        choice = choices[fc.path]
        value = fc.mine if choice == "mine" else fc.theirs if choice == "theirs" else choice
        set_path(doc, fc.path, value)
    return doc, False
