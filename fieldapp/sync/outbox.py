"""What waits to go up, and a person's choice for a conflicting record (no network).

``pending_summary`` says what the next sync will send; ``resolve_conflict`` writes a person's
choice as a new unsynced edit whose base is the server's version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fieldapp.errors import FieldAppError, ValidationError
from fieldapp.store import Store
from fieldapp.sync import merge
from fieldapp.sync import protocol as P


def resolve_conflict(
    store: Store, form_id: str, record_id: str, choices: Mapping[str, Any], *, user: str | None = None
) -> None:
    """Record a person's choice for a conflicting record; it goes up at the next sync.

    ``choices`` maps each conflicting path (``field``, ``repeat[row-id].field`` or ``repeat[row-id]``;
    ``""`` for an edit/delete conflict) to ``"mine"``, ``"theirs"`` or a typed value. The result is
    written through the store's write path as a new unsynced edit whose base is the server's version.
    """
    from fieldapp.rights import require_role

    require_role(store, "resolve")
    rec = store.get(form_id, record_id, include_deleted=True)
    if not rec.conflict:
        raise ValidationError("ระเบียนนี้ไม่มีข้อมูลขัดแย้ง", f"{form_id} {record_id} has no conflict")
    try:
        conflict = P.Conflict.from_json(rec.conflict)
        doc, deleted = merge.resolve(conflict, choices)
    except P.ProtocolViolation as exc:
        raise ValidationError("กรุณาเลือกค่าให้ครบทุกข้อที่ขัดแย้ง", str(exc), code="conflict.choice") from None
    who = user or store.user
    with store.transaction():
        if deleted and conflict.kind == "edit_delete":  # accept the server's delete: nothing to send
            store.apply_remote_delete(form_id, record_id, server_rev=conflict.server_rev, user=who)
        elif deleted:  # keep our delete, made against the server's latest version
            store.rebase(form_id, record_id, server_rev=conflict.server_rev, base=conflict.theirs)
            store.set_sync_meta(f"resolves:{record_id}", "1")
        elif conflict.kind == "delete_edit" and doc is not None:  # take the server's version back
            store.save(
                form_id,
                doc,
                record_id=record_id,
                user=conflict.theirs_by or who,
                partial_ok=True,
                check_refs=False,
            )
            store.mark_synced(form_id, record_id, server_rev=conflict.server_rev, base=conflict.theirs)
        else:
            assert doc is not None
            if (
                not rec.deleted
                and conflict.mine is not None
                and P.canonical_json(rec.data) != P.canonical_json(conflict.mine)
            ):
                # edited again after the conflict arrived: keep those later edits too
                doc = merge.three_way_merge(conflict.mine, rec.data, doc).doc
            store.save(form_id, doc, record_id=record_id, user=who, partial_ok=True, check_refs=False)
            store.rebase(form_id, record_id, server_rev=conflict.server_rev, base=conflict.theirs)
            store.set_sync_meta(f"resolves:{record_id}", "1")
        store.audit(
            "resolve_conflict",
            form_id,
            record_id,
            {"kind": conflict.kind, "server_rev": conflict.server_rev, "choices": dict(choices)},
            user=who,
        )


def pending_summary(store: Store) -> dict[str, Any]:
    """What waits to go up: records per form, attachments, conflicts, rejections, last good sync."""
    forms: dict[str, int] = {}
    conflicts = 0
    refs: set[str] = set()
    for form in store.forms:
        rows = store.dirty_rows(form.id)
        forms[form.id] = len(rows)
        conflicts += sum(1 for r in rows if r["has_conflict"])
        for r in rows:
            if r["deleted"]:
                continue
            try:
                refs.update(P.photo_refs(form, store.get(form.id, r["id"]).data))
            except FieldAppError:
                continue
    waiting = sorted(s for s in refs if not store.attachment_uploaded(s))
    return {
        "records": forms,
        "attachments": len(waiting),
        "conflicts": conflicts,
        "rejected": store.rejections(),
        "last_sync": store.last_sync(),
    }
