"""The laptop side of sync: the order of a sync and its resumption (no Qt).

Order of a sync: log in and handshake (protocol version, server time, the user's areas) → send the
attachments of changed records → push changed records in batches (each batch commits on the server
on its own; results are stored locally per batch) → pull by the server's cursor in pages (each page
applied in one local transaction together with the new cursor) → fetch missing attachments → compare
counts and checksums of the user's areas with the server.

This module only orders the steps. The HTTP calls are in ``transport``, the rules for storing the
server's answers in ``apply``, the report in ``report``; what waits to go up and the resolution of
conflicts in ``outbox``.

Every failure leaves the laptop consistent and becomes a ``SyncError`` with a kind (AUTH, NETWORK,
SERVER, CONFLICT, PROTOCOL) and a Thai message; ``requests`` exceptions never escape this package.
Running sync again resumes where it stopped: change ids make retried pushes replays, and the pull
cursor only moves after a page is stored.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import io
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import requests

from fieldapp import attachments as local_files
from fieldapp import audit as audit_trail
from fieldapp import history, installed, rights
from fieldapp.clock import now_iso
from fieldapp.errors import FieldAppError, StoreError, SyncError, SyncErrorKind, is_disk_full
from fieldapp.store import Record, Store
from fieldapp.sync import protocol as P
from fieldapp.sync.apply import apply_pull_page, apply_pulled, apply_push_results
from fieldapp.sync.failures import bad_answer, local_failure, sync_error
from fieldapp.sync.outbox import PEOPLE_KEY, PULL_STATE_KEY, people_names
from fieldapp.sync.report import SyncReport
from fieldapp.sync.transport import TransferCancelled, Transport, check_plain_http

SERVER_HISTORY = history.SERVER_HISTORY_KEY.removeprefix("sync.")

__all__ = ["Cancel", "Progress", "StageHook", "SyncReport", "sync"]

# (stage, done, total); stage: upload push pull download verify, and receive: (bytes arrived, bytes
# expected or 0) of the answer under way, called from the thread that reads it
Progress = Callable[[str, int, int], None]
Cancel = Callable[[], bool]
StageHook = Callable[[str], None]


class _Cancelled(Exception):
    pass


PULL_GROUP = 2000  # pulled records stored per transaction
CANCEL_POLL_S = 0.2  # how often cancel() is asked while waiting for the server


class _Run:
    def __init__(
        self,
        store: Store,
        http: Transport,
        report: SyncReport,
        progress: Progress | None,
        cancel: Cancel | None,
        batch_size: int,
        page_size: int,
        clock: Callable[[], _dt.datetime],
        stage_hook: StageHook | None,
    ) -> None:
        self.store = store
        self.http = http
        self.report = report
        self.progress = progress
        self.cancel = cancel
        self.batch_size = batch_size
        self.page_size = page_size
        self.clock = clock
        self.hook = stage_hook
        self.areas: list[str] = []
        self.everything = False
        self.server_scoring: dict[str, str] = {}  # form id -> the server's rubric fingerprint
        self.next_page: Future[P.PullPage] | None = None  # the next pull page being fetched
        self.server_history = False  # the server keeps edit history (its handshake says so)
        self.device_reused = False  # the server saw another database push with this device id

    def tick(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)
        self.check_cancel()

    def check_cancel(self) -> None:
        if self.cancel and self.cancel():
            raise _Cancelled

    def result_of(self, future: Future[Any]) -> Any:
        """The answer of a request running in the worker; cancel is checked while waiting, so a
        large page on a slow link never holds a cancelled sync (the worker stops at its next piece)."""
        while not wait([future], timeout=CANCEL_POLL_S).done:
            self.check_cancel()
        try:
            return future.result()
        except TransferCancelled:
            raise _Cancelled from None

    def stage(self, name: str) -> None:
        if self.hook:
            self.hook(name)

    # ------------------------------------------------------------------ handshake

    def handshake(self) -> None:
        try:
            self.http.login()
        except SyncError as exc:
            if exc.details.get("code") != "device_forbidden":
                raise
            # the server knows this device id from another database: this one takes its own
            self.report.new_device = self.store.renew_device(
                "the server knows this device id from another database"
            )
            self.http.device_id, self.http.device_key = self.store.device_id, self.store.device_key
            self.http.login()
        raw = self.http.call("GET", P.Paths.HANDSHAKE)
        try:
            hs = P.Handshake.from_json(raw)
        except P.ProtocolViolation as exc:
            raise bad_answer(str(exc)) from None
        if hs.protocol != P.PROTOCOL_VERSION:
            raise sync_error(
                SyncErrorKind.PROTOCOL,
                "โปรแกรมรุ่นนี้ใช้กับเซิร์ฟเวอร์ไม่ได้ กรุณาปรับปรุงโปรแกรม",
                f"server speaks protocol {hs.protocol}, this client {P.PROTOCOL_VERSION}",
            )
        self.areas, self.everything = hs.areas, hs.everything
        self.server_history = hs.history
        if (self.store.sync_meta(SERVER_HISTORY) == "1") != hs.history:
            with self.store.transaction():
                self.store.set_sync_meta(SERVER_HISTORY, "1" if hs.history else None)
        self.server_scoring = hs.scoring
        self.install_forms(hs.installed_forms, hs.installed_fingerprints)
        if hs.people:  # names of the people whose edits this laptop receives
            known = people_names(self.store)
            if any(known.get(k) != v for k, v in hs.people.items()):
                with self.store.transaction():
                    self.store.set_sync_meta(
                        PEOPLE_KEY, json.dumps({**known, **hs.people}, ensure_ascii=False)
                    )
        try:
            skew = (P.parse_iso(hs.server_time) - self.clock()).total_seconds()
        except ValueError:
            raise bad_answer("server_time is not a date") from None
        self.report.clock_skew_seconds = skew
        if abs(skew) > P.CLOCK_SKEW_WARN_SECONDS:
            minutes = round(abs(skew) / 60)
            side = "ช้ากว่า" if skew > 0 else "เร็วกว่า"
            self.report.clock_warning = (
                f"นาฬิกาของเครื่องนี้{side}เซิร์ฟเวอร์ประมาณ {minutes} นาที กรุณาตั้งวันและเวลาของเครื่องให้ถูกต้อง"
            )

    def install_forms(self, wanted: dict[str, str], fingerprints: dict[str, str]) -> None:
        """Install the server's forms this laptop lacks (before the pull, so their records can be
        stored). A form that cannot be installed here — its id is bundled with this program, or
        this laptop holds a different definition under the same version — is reported, and its
        records are set aside as records of an unknown form until it can."""
        have = installed.versions(self.store.conn)
        for form_id, version in sorted(wanted.items()):
            mine = have.get(form_id, {}).get(version)
            if mine is not None and mine == fingerprints.get(form_id, mine):
                continue
            self.check_cancel()
            raw = self.http.call("GET", P.Paths.form(form_id))
            definition = raw.get("definition") if isinstance(raw, dict) else None
            if not isinstance(definition, dict) or definition.get("id") != form_id:
                raise bad_answer(f"form {form_id}: not a form definition")
            try:
                form, new = installed.add(self.store, definition, f"{self.http.base} (sync)")
            except FieldAppError as exc:
                self.report.forms_refused.append({"form": form_id, "reason": exc.message})
                continue
            if new:
                self.report.forms_installed.append(f"{form.id} {form.version}")

    def cursor_key(self) -> str:
        scope = "*" if self.everything else ",".join(sorted(self.areas))
        return f"cursor:{self.http.base}|{self.http.user}|{scope}"

    # ------------------------------------------------------------------ push

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        for form in self.store.forms:
            rows = self.store.dirty_rows(form.id)
            if form.rounds:  # a survey round goes up before its next round (the server checks the link)
                depth = _round_depths(self.store.dirty_round_links(form.id))
                rows.sort(key=lambda r: depth.get(str(r["id"]), 0))
            sent = self.store.sent_changes(r["id"] for r in rows if r["deleted"] and r["server_rev"] is None)
            for row in rows:
                if row["has_conflict"]:
                    continue
                if row["deleted"] and row["server_rev"] is None and row["id"] not in sent:
                    # made and deleted here, never sent: nothing to send
                    with self.store.transaction():
                        self.store.mark_synced(
                            form.id, row["id"], server_rev=None, base=None, if_updated_at=row["updated_at"]
                        )
                    continue
                out.append((form.id, row))
        return out

    def changes_for(self, chunk: list[tuple[str, dict[str, Any]]]) -> list[P.Change]:
        """The changes of a batch, with the records read in a few queries."""
        wanted: dict[str, list[str]] = {}
        for form_id, row in chunk:
            wanted.setdefault(form_id, []).append(row["id"])
        recs = {f: self.store.records_for_sync(f, ids) for f, ids in wanted.items()}
        sent = self.store.sent_changes(row["id"] for _, row in chunk)
        entries = (
            history.unsent(self.store, (row["id"] for _, row in chunk), P.MAX_HISTORY)
            if self.server_history
            else {}
        )
        out: list[P.Change] = []
        for form_id, row in chunk:
            rec = recs[form_id].get(row["id"])
            if rec is None:  # not found: the same error as reading it alone
                rec = self.store.get(form_id, row["id"], include_deleted=True)
            change = self.change_for(form_id, row, rec, sent.get(row["id"], []))
            if not change.erased:  # an erasure deletes the history everywhere
                change.history = entries.get(rec.id, [])
            out.append(change)
        return out

    def change_for(
        self, form_id: str, row: dict[str, Any], rec: Record | None = None, sent: list[str] | None = None
    ) -> P.Change:
        if rec is None:
            rec = self.store.get(form_id, row["id"], include_deleted=True)
        if sent is None:
            sent = self.store.sent_changes([rec.id]).get(rec.id, [])
        deleted = rec.deleted
        doc = None if deleted else rec.data
        erased = rights.erasure(self.store, rec.id) is not None
        device = self.store.device_id + ("|erased" if erased else "")
        cid = P.change_id_for(device, form_id, rec.id, rec.server_rev, doc, deleted)
        return P.Change(
            sent=[c for c in sent if c != cid][-P.MAX_SENT :],
            change_id=cid,
            form=form_id,
            record_id=rec.id,
            base_rev=rec.server_rev,
            doc=doc,
            deleted=deleted,
            updated_at=rec.updated_at,
            updated_by=rec.updated_by,
            resolves=self.store.sync_meta(f"resolves:{rec.id}") is not None,
            erased=erased,
        )

    def push(self) -> None:
        todo = self.pending()
        total = len(todo)
        if not total:  # nothing to send: no "sending changes" stage is shown
            self.check_cancel()
            return
        self.tick("push", 0, total)
        done = 0
        size = self.batch_size
        # while the server works on one batch, the next one is read here (the database is only
        # used from this thread; the request runs in the worker, one request at a time)
        ahead: tuple[int, int, list[P.Change]] | None = None  # (start, size, changes)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldapp-sync") as pool:
            while done < total:
                if ahead is not None and ahead[:2] == (done, size):
                    changes = ahead[2]
                else:
                    changes = self.changes_for(todo[done : done + size])
                ahead = None
                self.upload_for(changes)
                with self.store.transaction():  # named by the record's next push if no answer comes
                    self.store.note_sent((c.record_id, c.change_id) for c in changes)
                body = P.PushRequest(self.store.device_id, changes).to_json()
                answer = pool.submit(self.http.call, "POST", P.Paths.PUSH, json=body)
                after = done + len(changes)
                if after < total:
                    ahead = (after, size, self.changes_for(todo[after : after + size]))
                try:
                    raw = self.result_of(answer)
                except SyncError as exc:
                    if exc.details.get("code") == "too_large" and size > 1:
                        size = max(1, size // 2)  # the server's size limit: send smaller batches
                        continue
                    raise
                self.stage("push-answered")
                try:
                    results = [P.ChangeResult.from_json(r) for r in _get_list(raw, "results")]
                except P.ProtocolViolation as exc:
                    raise bad_answer(str(exc)) from None
                if isinstance(raw, dict) and raw.get("device_reused") is True:
                    self.device_reused = True
                erased = self.report.erased
                apply_push_results(self.store, changes, results, self.report)
                if self.report.erased != erased:
                    ahead = None  # an erasure can reach linked records: read the next batch again
                self.stage("push-stored")
                done = after
                self.report.pushed += len(changes)
                self.tick("push", done, total)

    # ------------------------------------------------------------------ attachments

    def upload_for(self, changes: list[P.Change]) -> None:
        shas: list[str] = []
        for ch in changes:
            shas += P.photo_refs(self.store.form(ch.form), ch.doc)
        for sha in sorted(set(shas)):
            if self.store.attachment_uploaded(sha):
                continue
            path = local_files.path_for(self.store, sha)
            if not path.exists():
                if sha not in self.report.attachments_missing:
                    self.report.attachments_missing.append(sha)
                continue
            self.upload(sha, path)

    def upload(self, sha: str, path: Path) -> None:
        content = local_files.read_bytes(self.store, sha)  # the clear content (files may be encrypted)
        size = len(content)
        mime = self.store.attachment_mime(sha) or "application/octet-stream"
        status = self.http.call("GET", P.Paths.attachment_status(sha))
        offset = int(status.get("received") or 0) if isinstance(status, dict) else 0
        if isinstance(status, dict) and status.get("complete"):
            offset = size
        if isinstance(status, dict) and status.get("size") not in (None, size):
            offset = 0
        with io.BytesIO(content) as fh:
            while offset < size:
                fh.seek(offset)
                chunk = fh.read(P.ATTACHMENT_CHUNK)
                try:
                    ans = self.http.call(
                        "PUT",
                        P.Paths.attachment(sha),
                        params={"offset": offset, "size": size},
                        data=chunk,
                        headers={"Content-Type": mime},
                    )
                except SyncError as exc:
                    if exc.details.get("code") == "offset_mismatch":  # resume where the server is
                        offset = int(str(exc.details.get("received", 0)))
                        continue
                    raise
                offset = int(ans.get("received", offset + len(chunk))) if isinstance(ans, dict) else size
                if isinstance(ans, dict) and ans.get("complete"):
                    break
                self.tick("upload", offset, size)
        with self.store.transaction():
            self.store.set_attachment(sha, size=size, mime=mime, uploaded=True)
        self.report.attachments_up += 1

    def download_missing(self) -> None:
        wanted = sorted(
            s
            for s in self.store.attachment_refs()
            if P.SHA256_RE.match(s) and not local_files.path_for(self.store, s).exists()
        )
        for i, sha in enumerate(wanted):
            try:
                resp = self.http.call("GET", P.Paths.attachment(sha), raw=True)
            except SyncError as exc:
                if exc.details.get("code") == "not_found":  # not (yet) on the server
                    if sha not in self.report.attachments_missing:
                        self.report.attachments_missing.append(sha)
                    continue
                raise
            data = resp.content
            if hashlib.sha256(data).hexdigest() != sha:
                raise sync_error(
                    SyncErrorKind.NETWORK,
                    "ไฟล์แนบที่ได้รับไม่สมบูรณ์ กรุณาซิงค์ใหม่",
                    f"attachment {sha}: content does not match its SHA-256",
                )
            local_files.write_bytes(self.store, sha, data)  # encrypted when the database is
            with self.store.transaction():
                self.store.set_attachment(
                    sha, size=len(data), mime=resp.headers.get("content-type"), uploaded=True
                )
            self.report.attachments_down += 1
            self.tick("download", i + 1, len(wanted))

    # ------------------------------------------------------------------ pull

    def retry_set_aside(self) -> None:
        """Try again to store the pulled records set aside before (the program or the server may
        have changed since); those stored now leave the list."""
        held = self.store.set_aside_records(with_items=True)
        if not held:
            return
        items: list[P.PullItem] = []
        for row in held:
            try:
                items.append(P.PullItem.from_json(row["item"]))
            except P.ProtocolViolation:
                continue
        with self.store.transaction():
            apply_pulled(self.store, items, self.report, self.server_scoring)

    def pull(self) -> None:
        self.retry_set_aside()
        key = self.cursor_key()
        cursor = int(self.store.sync_meta(key) or 0)
        # the next page is fetched (and parsed) in the worker while this thread stores the current
        # one; the cursor is still only saved together with the page it belongs to
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldapp-sync")
        stopped = True
        try:
            with self.store.bulk():
                self.report.cursor = cursor
                self.tick("pull", 0, 0)
                # the only reference to the next page's request, so a stored page is freed at once
                self.next_page = pool.submit(self.fetch_page, cursor, True)
                while self.next_page is not None:
                    self.result_of_page()  # waiting for the network outside any transaction
                    with self.store.transaction(keep_on_error=True):
                        self.store_pages(pool, key)
                    self.tick("pull", *self.pull_progress())
            stopped = False
        finally:
            # a cancelled or failed pull does not wait for a page still arriving: the worker
            # stops at its next piece (or its timeout) and its answer is dropped
            pool.shutdown(wait=not stopped, cancel_futures=True)
            self.save_pull_state(finished=not stopped)

    def result_of_page(self) -> None:
        assert self.next_page is not None
        self.result_of(self.next_page)

    def save_pull_state(self, *, finished: bool) -> None:
        """Keep what this pull brought and what was due, for the status shown until the next sync
        ("1,674 of 5,299 received; the next sync continues")."""
        if self.report.pull_due is None and not finished and not self.report.pulled:
            return  # stopped before the server said anything: the last state still holds
        state = {
            "received": self.report.pulled,
            "due": self.report.pull_due,
            "finished": finished,
            "at": now_iso(),
            "server": self.http.base,
        }
        with self.store.transaction():
            self.store.set_sync_meta(PULL_STATE_KEY, json.dumps(state))

    def store_pages(self, pool: ThreadPoolExecutor, key: str) -> None:
        """Store the page ``self.next_page`` brought and those after it that have already arrived,
        up to about ``PULL_GROUP`` records, in the caller's transaction: each page with its cursor
        in a savepoint (applied whole or not at all). A first sync of 100,000 households commits
        about 60 times instead of 125, and index pages are written back once per group; when a
        page fails (a dropped connection, a bad answer) the pages before it are kept. Leaves the
        request for the next page in ``self.next_page`` (None after the last)."""
        held = 0
        while True:
            assert self.next_page is not None
            page = self.result_of(self.next_page)
            if page.remaining is not None and self.report.pull_due is None:
                self.report.pull_due = page.remaining
            if page.next_cursor < self.report.cursor:
                raise bad_answer(f"the pull cursor went back from {self.report.cursor} to {page.next_cursor}")
            self.stage("pull-answered")
            self.next_page = pool.submit(self.fetch_page, page.next_cursor) if page.has_more else None
            self.apply_page(page, key)
            self.report.cursor = page.next_cursor
            held += max(1, len(page.items))
            if self.next_page is None or held >= PULL_GROUP or not self.next_page.done():
                return
            if self.cancel and self.cancel():  # stop after this stored page, not after the group
                return
            if self.progress:
                self.progress("pull", *self.pull_progress())

    def pull_progress(self) -> tuple[int, int]:
        """(records received, records due) for the progress callback: the server says how many are
        due on the first page; records changed during the pull can add a few. An older server
        does not say: then (received, 0), an unknown total."""
        due = self.report.pull_due
        if due is None:
            return self.report.pulled, 0
        return self.report.pulled, max(due, self.report.pulled)

    def fetch_page(self, cursor: int, count: bool = False) -> P.PullPage:
        params: dict[str, Any] = {"cursor": cursor, "limit": self.page_size}
        if count:
            params["count"] = "true"
        raw = self.http.call("GET", P.Paths.PULL, params=params)
        try:
            return P.PullPage.from_json(raw)
        except P.ProtocolViolation as exc:
            raise bad_answer(str(exc)) from None

    def apply_page(self, page: P.PullPage, key: str) -> None:
        counts = ("pulled", "erased", "kept_local", "pulled_deleted")
        before = {name: getattr(self.report, name) for name in counts}
        by_form = {f: dict(c) for f, c in self.report.by_form.items()}
        erased_edits = len(self.report.erased_edits)
        try:
            apply_pull_page(self.store, page, key, self.report, self.server_scoring)
        except BaseException:
            for name, value in before.items():  # the page was rolled back: so are its counts
                setattr(self.report, name, value)
            self.report.by_form = by_form
            del self.report.erased_edits[erased_edits:]
            raise

    # ------------------------------------------------------------------ verify

    def _verify_snapshot(self) -> tuple[list[str], dict[str, list[str]]]:
        """What to leave out on the server's side and this laptop's ids to compare, read in one
        read transaction: an edit made meanwhile (the app stays usable during a sync) falls on
        both sides of the comparison or on neither, never on one only."""
        conn = self.store.conn
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN")
        try:
            # set-aside records are left out on both sides: the report lists them on their own
            aside = {r["record_id"] for r in self.store.set_aside_records()}
            exclude: list[str] = sorted(aside)
            local: dict[str, list[str]] = {}
            for form in self.store.forms:
                exclude += [r["id"] for r in self.store.dirty_rows(form.id)]
                if not self.everything and not self.areas:
                    local[form.id] = []
                else:
                    ids = self.store.synced_live_ids(form.id, None if self.everything else self.areas)
                    local[form.id] = [i for i in ids if i not in aside]
        finally:
            if own:
                conn.execute("COMMIT")
        return exclude, local

    def verify(self) -> None:
        exclude, local_ids = self._verify_snapshot()
        raw = self.http.call("POST", P.Paths.VERIFY, json={"exclude": exclude})
        try:
            server = P.parse_verify(raw)
        except P.ProtocolViolation as exc:
            raise bad_answer(str(exc)) from None
        mismatches: dict[str, dict[str, Any]] = {}
        for form in self.store.forms:
            ids = local_ids[form.id]
            local = P.FormCount(len(ids), P.ids_checksum(ids))
            theirs = server.get(form.id, P.FormCount(0, P.ids_checksum([])))
            if local != theirs:
                mismatches[form.id] = {
                    "local": local.count,
                    "server": theirs.count,
                    "checksum_match": local.checksum == theirs.checksum,
                }
        self.report.mismatches = mismatches
        self.report.verified = not mismatches

    # ------------------------------------------------------------------ audit trail

    def push_audit(self) -> None:
        """Send the laptop's audit rows the server does not have yet (a server without the
        endpoint is skipped: the rows stay and go up with a later sync)."""
        top = audit_trail.last_id(self.store)
        while True:
            rows = audit_trail.unsent(self.store, limit=P.MAX_AUDIT_BATCH)
            if not rows:
                # every row up to ``top`` is sent or not to be sent: start after them next time
                if top > audit_trail.sent_up_to(self.store):
                    audit_trail.mark_sent(self.store, top)
                return
            try:
                self.http.call(
                    "POST", P.Paths.AUDIT, json={"device_id": self.store.device_id, "entries": rows}
                )
            except SyncError as exc:
                if exc.details.get("status") in (404, 405):
                    return
                raise
            audit_trail.mark_sent(self.store, rows[-1]["id"])
            self.report.audit_sent += len(rows)


def _get_list(raw: Any, key: str) -> list[Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
        raise P.ProtocolViolation(f"answer has no {key!r} list")
    return list(raw[key])


def sync(
    store: Store,
    server_url: str,
    user: str,
    password: str,
    *,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    batch_size: int = P.DEFAULT_PUSH_BATCH,
    page_size: int = P.DEFAULT_PULL_PAGE,
    timeout: float = 30.0,
    retries: int = 2,
    session: requests.Session | None = None,
    clock: Callable[[], _dt.datetime] | None = None,
    stage_hook: StageHook | None = None,
    allow_plain_http: bool = False,
) -> SyncReport:
    """Push local changes, pull the server's, exchange attachments and verify; see the module doc.

    ``progress(stage, done, total)`` is called as work proceeds; ``cancel()`` is checked between
    batches, pages and files and stops the sync cleanly (the report says ``cancelled``).
    ``clock`` is only used for the clock-skew warning. ``stage_hook(name)`` is for diagnostics and
    tests. Raises SyncError. A plain ``http://`` server is refused unless it is on the local network
    or ``allow_plain_http`` is given; when used, the report carries ``http_warning``.
    """
    http_warning = _check_request(server_url, user, password, allow_plain_http)
    _backup_first(store)
    report = SyncReport(
        server=server_url.rstrip("/"), user=user, started_at=now_iso(), http_warning=http_warning
    )

    def receiving(arrived: int, expected: int) -> None:
        if progress is not None:
            progress("receive", arrived, expected)

    http = Transport(
        server_url,
        user,
        password,
        store.device_id,
        session=session,
        timeout=timeout,
        retries=retries,
        device_key=store.device_key,
        cancel=cancel,
        receiving=receiving,
    )
    run = _Run(
        store,
        http,
        report,
        progress,
        cancel,
        max(1, min(batch_size, P.MAX_PUSH_BATCH)),
        max(1, min(page_size, P.MAX_PULL_PAGE)),
        clock or P.utc_now,
        stage_hook,
    )
    ok = False
    try:
        _steps(run)
        ok = True
    except (_Cancelled, TransferCancelled):
        report.cancelled = True
    except (sqlite3.Error, FieldAppError) as exc:  # only SyncError leaves the sync
        if isinstance(exc, SyncError):
            raise
        raise local_failure(exc) from exc
    except OSError as exc:  # a full disk while storing photos
        if not is_disk_full(exc):
            raise
        raise local_failure(exc) from exc
    finally:
        _finish(store, report, user, ok=ok)
        if session is None:
            http.session.close()
    return report


def _check_request(server_url: str, user: str, password: str, allow_plain_http: bool) -> str | None:
    """Refuse what cannot work before anything is done: an address that is not http(s), plain
    http away from the local network (unless allowed), no user or password. Returns the warning
    for plain http, when used."""
    if not server_url.lower().startswith(("http://", "https://")):
        raise sync_error(
            SyncErrorKind.NETWORK,
            "ที่อยู่เซิร์ฟเวอร์ต้องขึ้นต้นด้วย http:// หรือ https://",
            f"server address must start with http:// or https:// (got {server_url!r})",
        )
    http_warning = check_plain_http(server_url, allow_plain_http)
    if not user or not password:
        raise sync_error(SyncErrorKind.AUTH, "กรุณาใส่ชื่อผู้ใช้และรหัสผ่าน", "user name and password are required")
    return http_warning


def _backup_first(store: Store) -> None:
    """A checked backup of the database before every sync; without it, nothing is sent or changed."""
    from fieldapp.backup import before_sync

    try:
        before_sync(store)
    except StoreError as exc:  # e.g. no room on the disk for the backup: nothing was sent or changed
        raise sync_error(
            SyncErrorKind.LOCAL,
            f"สำรองข้อมูลก่อนซิงค์ไม่ได้ จึงยังไม่ได้ซิงค์: {exc.message}",
            f"the backup before the sync failed, so nothing was synced: {exc.message_en}",
            final=True,
        ) from exc


def _steps(run: _Run) -> None:
    """The steps of a sync, in order (the module doc tells each)."""
    store, http = run.store, run.http
    run.handshake()
    run.push()
    if run.device_reused:  # a copy of this database syncs too: from now on this one is new
        run.report.new_device = store.renew_device("the server saw another database with this device id")
        http.device_id, http.device_key = store.device_id, store.device_key
        http.login()  # the rest of the sync (the audit trail) goes under the new id
    run.pull()
    run.download_missing()
    run.verify()
    rights.finish_remote_erasures(store)
    run.push_audit()


def _finish(store: Store, report: SyncReport, user: str, *, ok: bool) -> None:
    """Whatever happened: the report's end time and the records set aside, and the sync log."""
    report.finished_at = now_iso()
    if store.conn.in_transaction:  # an exception inside a page already rolled back; be sure
        store.conn.execute("ROLLBACK")
    with contextlib.suppress(sqlite3.Error):  # every record set aside, new or from before
        report.set_aside = [
            {k: r[k] for k in ("form", "record_id", "rev", "reason")} for r in store.set_aside_records()
        ]
    try:
        with store.transaction():
            store.log_sync(report.started_at, report.server, user, ok, report.as_dict())
    except sqlite3.Error as exc:  # a full disk: the failure already raised is the one to tell
        if not is_disk_full(exc):
            raise
        if ok:
            raise local_failure(exc) from exc


def _round_depths(links: dict[str, str]) -> dict[str, int]:
    """How many unsynced rounds come before each record (record -> previous round, both unsynced)."""
    out: dict[str, int] = {}
    for rid in links:
        n, cur = 0, rid
        while cur in links and n <= len(links):  # a loop of links cannot hold it up
            cur, n = links[cur], n + 1
        out[rid] = n
    return out
