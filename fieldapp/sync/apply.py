"""The rules for applying the server's answers to the laptop's database (no network).

Two kinds of answer: the results of a pushed batch (``apply_push_results``) and a pulled page
(``apply_pull_page``). What happens to one pulled record is decided by ``pull_action`` from the
record and the laptop's copy alone; the rest of this module writes that decision. Each function
runs in one transaction (a savepoint inside the caller's), so an answer is stored whole or not at
all.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from fieldapp import history, rights
from fieldapp.errors import FieldAppError, SyncError
from fieldapp.store import Store
from fieldapp.sync import protocol as P
from fieldapp.sync.failures import bad_answer
from fieldapp.sync.report import SyncReport

# ---------------------------------------------------------------------- push results


def apply_push_results(
    store: Store, changes: list[P.Change], results: list[P.ChangeResult], report: SyncReport
) -> None:
    """Store what the server did with each change of a batch: synced, merged, in conflict,
    rejected, or erased elsewhere (an erasure wins over this laptop's copy)."""
    by_id = {c.change_id: c for c in changes}
    if len(results) != len(changes) or set(by_id) != {r.change_id for r in results}:
        raise bad_answer("push results do not match the changes sent")
    synced: dict[str, list[tuple[str, int | None, dict[str, Any] | None, str | None]]] = {}
    cleared: list[str] = []
    answered: list[str] = []  # records whose base is now the server's: earlier pushes are settled
    with store.transaction():
        for res in results:
            ch = by_id[res.change_id]
            if res.status == "rejected" and res.reason == "erased":
                _erased_elsewhere(store, ch, res, report)
                answered.append(ch.record_id)
                continue
            if res.status in ("applied", "merged"):
                cleared.append(ch.record_id)
                if res.missing_attachments:
                    report.incomplete_on_server += 1
            if res.status in ("applied", "merged"):
                report.count(ch.form, "sent")
            if res.status == "applied":
                report.applied += 1
                # marked synced (and its conflict cleared) together with the others, below
                synced.setdefault(ch.form, []).append((ch.record_id, res.rev, ch.doc, ch.updated_at))
                _resolved(store, ch)
                answered.append(ch.record_id)
            elif res.status == "merged":
                if _merged(store, ch, res, report):
                    answered.append(ch.record_id)
            elif res.status == "conflict":
                _in_conflict(store, ch, res, report)
                answered.append(ch.record_id)
            else:
                _rejected(store, ch, res, report)
        # the edit history a change carried is on the server unless the change was refused
        # (stored there even in conflict: history entries are facts); refused, it goes again
        history.mark_sent(
            store,
            [e["id"] for r in results if r.status != "rejected" for e in by_id[r.change_id].history],
        )
        # each record is in a batch once, so doing these last changes nothing in the order
        store.clear_rejections(cleared)
        for form_id, items in synced.items():
            store.mark_synced_many(form_id, items)
        store.forget_sent(answered)


def _erased_elsewhere(store: Store, ch: P.Change, res: P.ChangeResult, report: SyncReport) -> None:
    rights.apply_remote_erasure(
        store, ch.form, ch.record_id, doc=res.doc, deleted=res.doc is None, server_rev=res.rev, user="server"
    )
    report.erased += 1
    report.erased_edits.append({"form": ch.form, "record_id": ch.record_id})


def _merged(store: Store, ch: P.Change, res: P.ChangeResult, report: SyncReport) -> bool:
    """Store a merge; True when the laptop took it (False: edited again meanwhile)."""
    report.merged += 1
    store.set_conflict(ch.form, ch.record_id, None)
    state = store.sync_state(ch.form, ch.record_id)
    taken = state is not None and state["updated_at"] == ch.updated_at and res.doc is not None
    if taken:
        assert res.doc is not None
        # the merged document (our edit + the server's) becomes the local one; its history entry,
        # if any, is a "merge" (the others' edits, received), never one of this laptop's own
        store.rewrite(ch.form, res.doc, record_id=ch.record_id, user=ch.updated_by, action="sync_merge")
        store.mark_synced(ch.form, ch.record_id, server_rev=res.rev, base=res.doc)
    # edited again meanwhile: leave it dirty on its old base; the server merges again, against
    # what was sent this time (the change stays in sync_sent)
    _resolved(store, ch)
    return taken


def _in_conflict(store: Store, ch: P.Change, res: P.ChangeResult, report: SyncReport) -> None:
    assert res.conflict is not None
    store.set_conflict(ch.form, ch.record_id, res.conflict.to_json())
    store.audit("sync_conflict", ch.form, ch.record_id, {"server_rev": res.conflict.server_rev})
    report.conflicts.append({"form": ch.form, "record_id": ch.record_id, "kind": res.conflict.kind})


def _rejected(store: Store, ch: P.Change, res: P.ChangeResult, report: SyncReport) -> None:
    store.set_rejection(ch.form, ch.record_id, res.reason or "rejected", res.message, res.problems)
    report.rejected.append(
        {
            "form": ch.form,
            "record_id": ch.record_id,
            "reason": res.reason,
            "message": res.message or "",
            "message_en": res.message_en or "",
        }
    )


def _resolved(store: Store, ch: P.Change) -> None:
    if ch.resolves:
        store.set_sync_meta(f"resolves:{ch.record_id}", None)


# ---------------------------------------------------------------------- pulled records


class PullAction(enum.Enum):
    """What one pulled record does to the laptop's copy."""

    ERASE = "erase"  # an erasure newer than the laptop's copy: wins even over unsynced edits
    COUNT = "count"  # nothing to write (an erasure already here, a delete of a record never seen)
    KEEP_LOCAL = "keep_local"  # the laptop has unsynced edits: never overwritten
    KEEP_CONFLICT = "keep_conflict"  # waiting for a person's choice: not overwritten, not "kept to send"
    SKIP = "skip"  # the laptop already has this version or a newer one
    DELETE = "delete"  # deleted on the server
    MARK_DELETED = "mark_deleted"  # deleted on both: only the server's revision is taken
    SAVE = "save"  # a new or changed record


def pull_action(item: P.PullItem, state: Mapping[str, Any] | None) -> PullAction:
    """The rule for one pulled record, given the laptop's sync state of it (None: not here)."""
    if item.erased:
        newer = state is None or state["server_rev"] is None or state["server_rev"] < item.rev
        return PullAction.ERASE if newer else PullAction.COUNT
    if state is not None and state["dirty"]:
        return PullAction.KEEP_CONFLICT if state.get("conflict") else PullAction.KEEP_LOCAL
    if state is not None and state["server_rev"] is not None and state["server_rev"] >= item.rev:
        return PullAction.SKIP
    if item.deleted:
        if state is None:
            return PullAction.COUNT
        return PullAction.MARK_DELETED if state["deleted"] else PullAction.DELETE
    return PullAction.SAVE


def apply_pull_page(
    store: Store, page: P.PullPage, cursor_key: str, report: SyncReport, server_scoring: Mapping[str, str]
) -> None:
    """Store a pulled page and its cursor in one transaction. ``server_scoring`` maps form id →
    the fingerprint of the server's rubric: the server's scores are kept when it is this laptop's."""
    with store.transaction():
        apply_pulled(store, page.items, report, server_scoring)
        store.set_sync_meta(cursor_key, str(page.next_cursor))


def apply_pulled(
    store: Store, items: list[P.PullItem], report: SyncReport, server_scoring: Mapping[str, str]
) -> None:
    """Store pulled records (caller's transaction). A record this laptop cannot store — a form it
    does not know, a row id another record holds here, a document its form refuses — is set aside
    with the reason (``Store.set_aside``) and the others are stored: one record never stops a sync."""
    aside: set[str] = set()

    def set_aside(item: P.PullItem, reason: str) -> None:
        store.set_aside(item.form, item.record_id, item.rev, reason, item.to_json())
        aside.add(item.record_id)
        report.set_aside = [x for x in report.set_aside if x["record_id"] != item.record_id]
        report.set_aside.append(
            {"form": item.form, "record_id": item.record_id, "rev": item.rev, "reason": reason}
        )

    for item in items:
        if item.form not in store.forms.forms:
            set_aside(item, f"a form this laptop does not know ({item.form}); update the program")
    known = [i for i in items if i.form in store.forms.forms]
    states = _states(store, known)
    versions = {f.id: f.version for f in store.forms}
    saves: dict[tuple[str, str, bool], list[P.PullItem]] = {}
    for item in known:
        state = states[item.form].get(item.record_id)
        action = pull_action(item, state)
        if action is not PullAction.SAVE:
            if action is PullAction.ERASE and state is not None and state["dirty"]:
                report.erased_edits.append({"form": item.form, "record_id": item.record_id})
            try:
                with store.transaction():
                    _apply_one(store, item, action, report)
            except (sqlite3.IntegrityError, FieldAppError) as exc:
                if isinstance(exc, SyncError):
                    raise
                set_aside(item, _why(exc))
            continue
        # calculations made by the server with this same form version are kept
        computed = item.form_version is not None and item.form_version == versions[item.form]
        saves.setdefault((item.form, item.updated_by or "server", computed), []).append(item)
    for (form_id, who, computed), group in saves.items():
        _save_pulled(store, form_id, who, computed, group, report, server_scoring, set_aside)
    # the edit history of every record stored here (or kept with local edits): facts, by their id
    erased = {i.record_id for i in known if i.erased or i.deleted}
    for item in known:
        if item.history and item.record_id not in aside and item.record_id not in erased:
            history.store_received(store.conn, item.form, item.record_id, item.history)
    # stored now (or superseded by what is stored): an older set-aside copy is no longer needed
    store.drop_set_aside(sorted({i.record_id for i in items} - aside))


def _why(exc: BaseException) -> str:
    """Why a pulled record could not be stored, in words (English: it goes to the sync log)."""
    text = str(exc)
    if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in text and "__" in text:
        return f"a row id is already used by another record on this laptop ({text.split(':')[-1].strip()})"
    if isinstance(exc, FieldAppError):
        return f"the record does not pass this laptop's form: {exc.message_en}"
    return f"this laptop's database refused the record: {text}"


def _states(store: Store, items: list[P.PullItem]) -> dict[str, dict[str, Any]]:
    """The laptop's sync state of every pulled record, read in one query per form (a record is at
    most once in a page, so a state read up front stays right)."""
    wanted: dict[str, list[str]] = {}
    for item in items:
        wanted.setdefault(item.form, []).append(item.record_id)
    return {f: store.sync_states(f, ids) for f, ids in wanted.items()}


def _apply_one(store: Store, item: P.PullItem, action: PullAction, report: SyncReport) -> None:
    who = item.updated_by or "server"
    if action is PullAction.ERASE:
        rights.apply_remote_erasure(
            store,
            item.form,
            item.record_id,
            doc=item.doc,
            deleted=item.deleted,
            server_rev=item.rev,
            user=who,
        )
        report.erased += 1
    elif action is PullAction.KEEP_LOCAL:
        report.kept_local += 1
        return
    elif action is PullAction.KEEP_CONFLICT:
        return
    elif action is PullAction.SKIP:
        return
    elif action is PullAction.DELETE:
        store.apply_remote_delete(
            item.form, item.record_id, server_rev=item.rev, user=who, at=item.updated_at
        )
        report.pulled_deleted += 1
        report.count(item.form, "deleted")
    elif action is PullAction.MARK_DELETED:
        store.mark_synced(item.form, item.record_id, server_rev=item.rev, base=None)
    report.pulled += 1
    report.count(item.form, "received")


def _save_pulled(
    store: Store,
    form_id: str,
    who: str,
    computed: bool,
    items: list[P.PullItem],
    report: SyncReport,
    server_scoring: Mapping[str, str],
    set_aside: Callable[[P.PullItem, str], None],
) -> None:
    """Save new and changed records of one form and author. With ``computed`` the server's
    calculations are kept, and its scores when its rubric is this laptop's (same fingerprint)."""
    form = store.form(form_id)
    same_rubric = form.rubric is None or server_scoring.get(form_id) == form.rubric.fingerprint

    def save(group: list[P.PullItem]) -> dict[int, Any]:
        batch = store.apply_pulled(
            form_id,
            [(i.record_id, i.doc, i.rev) for i in group],
            user=who,
            computed=computed,
            scored=computed and same_rubric,
        )
        return batch.errors

    try:
        with store.transaction():  # all at once, the usual case
            if save(items):
                raise _OneByOne
        report.pulled += len(items)
        report.count(form_id, "received", len(items))
        return
    except (_OneByOne, sqlite3.IntegrityError):
        pass
    for item in items:  # one record at a time: those that cannot be stored are set aside
        try:
            with store.transaction():
                errors = save([item])
                if errors:
                    first = next(iter(errors.values()))[0]
                    raise _Refused(
                        f"the record does not pass this laptop's form: {first.path}: {first.message_en}"
                    )
            report.pulled += 1
            report.count(form_id, "received")
        except _Refused as exc:
            set_aside(item, str(exc))
        except sqlite3.IntegrityError as exc:
            set_aside(item, _why(exc))


class _OneByOne(Exception):
    """A group of pulled records did not store as a whole: store them one at a time."""


class _Refused(Exception):
    """One pulled record this laptop cannot store (the message says why)."""
