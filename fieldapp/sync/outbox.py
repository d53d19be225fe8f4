"""What waits to go up, and a person's choice for a conflicting record (no network).

``pending_summary`` says what the next sync will send and ``sync_status`` what the status line says
(never synced, a pull that stopped early with what is missing, or synced); ``resolve_conflict`` writes a person's
choice as a new unsynced edit whose base is the server's version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fieldapp.errors import ValidationError
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
            store.rewrite(form_id, doc, record_id=record_id, user=conflict.theirs_by or who)
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
            store.rewrite(form_id, doc, record_id=record_id, user=who)
            store.rebase(form_id, record_id, server_rev=conflict.server_rev, base=conflict.theirs)
            store.set_sync_meta(f"resolves:{record_id}", "1")
        store.audit(
            "resolve_conflict",
            form_id,
            record_id,
            {"kind": conflict.kind, "server_rev": conflict.server_rev, "choices": dict(choices)},
            user=who,
        )


PULL_STATE_KEY = "pull_state"  # the last pull: what was due, what arrived, whether it finished
PEOPLE_KEY = "people"  # login -> name of the server's accounts, from the last handshake


def people_names(store: Store) -> dict[str, str]:
    """Login → name of the people the server told this laptop about (empty before a sync)."""
    raw = store.sync_meta(PEOPLE_KEY)
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def pull_state(store: Store) -> dict[str, Any] | None:
    """The last pull as the client kept it: ``received``, ``due`` (None from an older server),
    ``finished``, ``at``, ``server``; None before the first pull."""
    raw = store.sync_meta(PULL_STATE_KEY)
    if not raw:
        return None
    try:
        state = json.loads(raw)
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def sync_status(store: Store) -> dict[str, Any]:
    """The laptop's sync state for the status line, read cheaply (no documents).

    ``waiting``: records per form that go up at the next sync; ``conflicts``: records per form that
    wait for a person's choice (they are not sent until then); ``last_sync``: the last sync that
    finished (None: never); ``pull``: the last pull (``pull_state``), which may have stopped early;
    ``missing``: records the server said were due and did not arrive (0 when the last pull
    finished or nobody knows); ``state``: ``never`` (no sync has brought or sent anything yet),
    ``partial`` (the last pull stopped before everything arrived) or ``synced``.
    """
    waiting: dict[str, int] = {}
    conflicts: dict[str, int] = {}
    for form in store.forms:
        dirty, conflicted = store.dirty_counts(form.id)
        conflicts[form.id] = conflicted
        waiting[form.id] = dirty - conflicted
    last = store.last_sync()
    pull = pull_state(store)
    missing = 0
    if pull is not None and not pull.get("finished") and isinstance(pull.get("due"), int):
        missing = max(0, int(pull["due"]) - int(pull.get("received") or 0))
    if pull is not None and not pull.get("finished"):
        state = "partial"
    elif last is None and pull is None:
        state = "never"
    else:
        state = "synced"
    return {
        "waiting": waiting,
        "conflicts": conflicts,
        "last_sync": last,
        "pull": pull,
        "missing": missing,
        "state": state,
    }


def pending_summary(store: Store) -> dict[str, Any]:
    """What waits to go up: records per form (conflicts included; ``waiting`` leaves them out),
    attachments, conflicts (``conflicts_by_form`` per form), rejections, last good sync, and the
    last pull with what it left missing (see ``sync_status``)."""
    status = sync_status(store)
    forms: dict[str, int] = {}
    conflicts = 0
    refs: set[str] = set()
    for form in store.forms:
        forms[form.id] = status["waiting"][form.id] + status["conflicts"][form.id]
        conflicts += status["conflicts"][form.id]
        refs |= store.dirty_photo_refs(form.id)
    waiting = sorted(s for s in refs if not store.attachment_uploaded(s))
    return {
        "records": forms,
        "attachments": len(waiting),
        "conflicts": conflicts,
        "rejected": store.rejections(),
        "last_sync": status["last_sync"],
        "waiting": status["waiting"],
        "conflicts_by_form": status["conflicts"],
        "pull": status["pull"],
        "missing": status["missing"],
        "state": status["state"],
        "set_aside": store.set_aside_records(),
    }
