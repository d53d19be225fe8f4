"""The laptop side of sync, over HTTP with ``requests`` (no Qt).

Order of a sync: log in and handshake (protocol version, server time, the user's areas) → send the
attachments of changed records → push changed records in batches (each batch commits on the server
on its own; results are stored locally per batch) → pull by the server's cursor in pages (each page
applied in one local transaction together with the new cursor) → fetch missing attachments → compare
counts and checksums of the user's areas with the server.

Every failure leaves the laptop consistent and becomes a ``SyncError`` with a kind (AUTH, NETWORK,
SERVER, CONFLICT, PROTOCOL) and a Thai message; ``requests`` exceptions never escape this package.
Running sync again resumes where it stopped: change ids make retried pushes replays, and the pull
cursor only moves after a page is stored.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests

from fieldapp import __version__, rights
from fieldapp import attachments as local_files
from fieldapp import audit as audit_trail
from fieldapp.errors import FieldAppError, SyncError, SyncErrorKind, ValidationError
from fieldapp.store import Record, Store, now_iso
from fieldapp.sync import protocol as P

Progress = Callable[[str, int, int], None]  # (stage, done, total); stage: upload push pull download verify
Cancel = Callable[[], bool]
StageHook = Callable[[str], None]


@dataclass
class SyncReport:
    """What a sync did, for the summary shown to the person and the sync log."""

    server: str
    user: str
    started_at: str = ""
    finished_at: str = ""
    pushed: int = 0
    applied: int = 0
    merged: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    pulled: int = 0
    pulled_deleted: int = 0
    kept_local: int = 0  # pulled changes not applied because the laptop has unsynced edits
    attachments_up: int = 0
    attachments_down: int = 0
    attachments_missing: list[str] = field(default_factory=list)
    incomplete_on_server: int = 0
    clock_skew_seconds: float = 0.0
    clock_warning: str | None = None
    verified: bool | None = None
    mismatches: dict[str, dict[str, Any]] = field(default_factory=dict)
    erased: int = 0  # erasures (a household's right) applied on this laptop
    audit_sent: int = 0  # audit-log rows sent to the server
    cursor: int = 0
    cancelled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary_th(self) -> str:
        """A plain-Thai summary of what went up and down."""
        lines: list[str] = []
        if self.cancelled:
            lines.append("ยกเลิกการซิงค์แล้ว ข้อมูลที่ส่งหรือรับไปแล้วยังอยู่ครบ ซิงค์ต่อได้ภายหลัง")
        lines.append(f"ส่งขึ้น {self.applied + self.merged} รายการ (รวมข้อมูลกับของผู้อื่น {self.merged} รายการ)")
        if self.attachments_up:
            lines.append(f"ส่งรูปภาพ/ไฟล์แนบ {self.attachments_up} ไฟล์")
        lines.append(f"รับลง {self.pulled} รายการ (ลบ {self.pulled_deleted} รายการ)")
        if self.attachments_down:
            lines.append(f"รับรูปภาพ/ไฟล์แนบ {self.attachments_down} ไฟล์")
        if self.conflicts:
            lines.append(f"ข้อมูลขัดแย้ง {len(self.conflicts)} รายการ รอผู้จัดการพื้นที่เลือกค่าที่ถูกต้อง")
        if self.rejected:
            lines.append(f"เซิร์ฟเวอร์ไม่รับ {len(self.rejected)} รายการ ดูเหตุผลได้ในกล่องรอส่ง")
        if self.kept_local:
            lines.append(f"เก็บฉบับที่แก้ไขในเครื่องไว้ {self.kept_local} รายการ จะส่งในการซิงค์ครั้งต่อไป")
        if self.attachments_missing:
            lines.append(f"ยังไม่ได้รับไฟล์แนบ {len(self.attachments_missing)} ไฟล์")
        if self.clock_warning:
            lines.append(self.clock_warning)
        if self.verified is True:
            lines.append("ตรวจสอบแล้ว: จำนวนข้อมูลในเครื่องตรงกับเซิร์ฟเวอร์")
        elif self.verified is False:
            forms = ", ".join(
                f"{k} (เครื่อง {v['local']} / เซิร์ฟเวอร์ {v['server']})" for k, v in self.mismatches.items()
            )
            lines.append(f"คำเตือน: จำนวนข้อมูลไม่ตรงกับเซิร์ฟเวอร์: {forms} กรุณาซิงค์อีกครั้ง")
        return "\n".join(lines)


# ---------------------------------------------------------------------- HTTP


def _err(kind: SyncErrorKind, th: str, en: str, **details: object) -> SyncError:
    return SyncError(kind, th, en, dict(details))


class _Http:
    """requests → SyncError, the protocol header, bearer token, re-login on expiry, retries."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        device_id: str,
        *,
        session: requests.Session | None,
        timeout: float,
        retries: int,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.user = user
        self.password = password
        self.device_id = device_id
        self.session = session or requests.Session()
        self.session.headers[P.PROTOCOL_HEADER] = str(P.PROTOCOL_VERSION)
        self.session.headers["User-Agent"] = f"fieldapp/{__version__}"
        self.timeout = timeout
        self.retries = retries
        self.token: str | None = None

    def login(self) -> None:
        body = self.call(
            "POST",
            P.Paths.LOGIN,
            json={"user": self.user, "password": self.password, "device_id": self.device_id},
            auth=False,
        )
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise _err(SyncErrorKind.PROTOCOL, "เซิร์ฟเวอร์ตอบกลับไม่ถูกรูปแบบ", "login answer has no token")
        self.token = token

    def call(self, method: str, path: str, *, auth: bool = True, raw: bool = False, **kwargs: Any) -> Any:
        attempt = 0
        relogged = False
        while True:
            try:
                return self._once(method, path, auth=auth, raw=raw, **kwargs)
            except SyncError as exc:
                code = exc.details.get("code")
                if auth and not relogged and code in ("token_expired", "unauthenticated"):
                    relogged = True
                    self.login()
                    continue
                retriable = exc.kind in (SyncErrorKind.NETWORK, SyncErrorKind.SERVER) and not exc.details.get(
                    "final"
                )
                if not retriable or attempt >= self.retries:
                    raise
                time.sleep(min(8.0, 0.5 * 2**attempt))
                attempt += 1

    def _once(self, method: str, path: str, *, auth: bool, raw: bool, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.base + path
        try:
            resp = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.exceptions.InvalidURL as exc:
            raise _err(
                SyncErrorKind.NETWORK, "ที่อยู่เซิร์ฟเวอร์ไม่ถูกต้อง", f"invalid server address: {exc}", final=True
            ) from None
        except requests.exceptions.Timeout:
            raise _err(
                SyncErrorKind.NETWORK,
                "เซิร์ฟเวอร์ไม่ตอบสนอง (หมดเวลา) กรุณาลองใหม่เมื่อสัญญาณดีขึ้น",
                f"{method} {path}: timed out",
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise _err(
                SyncErrorKind.NETWORK,
                "ข้อมูลจากเซิร์ฟเวอร์ขาดหายระหว่างทาง กรุณาซิงค์ใหม่",
                f"{method} {path}: the answer was cut off",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise _err(
                SyncErrorKind.NETWORK,
                "ติดต่อเซิร์ฟเวอร์ไม่ได้ กรุณาตรวจสอบอินเทอร์เน็ตแล้วลองใหม่",
                f"{method} {path}: {exc.__class__.__name__}: {exc}",
            ) from None
        ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
        if resp.status_code >= 400:
            raise self._error(resp, ctype, method, path)
        if raw:
            return resp
        if ctype != "application/json":
            raise _err(
                SyncErrorKind.NETWORK,
                "ได้รับหน้าเว็บแทนข้อมูล เครือข่ายนี้อาจต้องเข้าสู่ระบบ (เช่น Wi-Fi สาธารณะ) ก่อนใช้งาน",
                f"{method} {path}: expected JSON, got {ctype or 'no content type'} (captive portal?)",
            )
        try:
            return orjson.loads(resp.content)  # a pull page is megabytes: parsed ~2x faster
        except ValueError:
            raise _err(
                SyncErrorKind.NETWORK,
                "ข้อมูลจากเซิร์ฟเวอร์ขาดหายระหว่างทาง กรุณาซิงค์ใหม่",
                f"{method} {path}: the answer is not complete JSON",
            ) from None

    def _error(self, resp: requests.Response, ctype: str, method: str, path: str) -> SyncError:
        info = None
        if ctype == "application/json":
            try:
                info = P.parse_error(json.loads(resp.content))
            except ValueError:
                info = None
        status = resp.status_code
        where = f"{method} {path}: HTTP {status}"
        if info is None:
            if status in (502, 503, 504):
                return _err(
                    SyncErrorKind.NETWORK, "ติดต่อเซิร์ฟเวอร์ไม่ได้ชั่วคราว กรุณาลองใหม่ภายหลัง", where, status=status
                )
            if status >= 500:
                return _err(SyncErrorKind.SERVER, "เซิร์ฟเวอร์ขัดข้อง กรุณาลองใหม่ภายหลัง", where, status=status)
            return _err(
                SyncErrorKind.PROTOCOL,
                "เซิร์ฟเวอร์ตอบกลับไม่ถูกรูปแบบ (ที่อยู่เซิร์ฟเวอร์ถูกต้องหรือไม่)",
                where,
                status=status,
                final=True,
            )
        details = {"status": status, "code": info.code, **info.details}
        text = f"{where}: {info.code}: {info.message}"
        if status in (401, 403, 429):
            return SyncError(SyncErrorKind.AUTH, info.message_th, text, {**details, "final": True})
        if status >= 500:
            return SyncError(SyncErrorKind.SERVER, info.message_th, text, details)
        if status == 409:
            return SyncError(SyncErrorKind.CONFLICT, info.message_th, text, {**details, "final": True})
        return SyncError(SyncErrorKind.PROTOCOL, info.message_th, text, {**details, "final": True})


# ---------------------------------------------------------------------- sync


class _Cancelled(Exception):
    pass


PULL_GROUP = 2000  # pulled records stored per transaction


class _Run:
    def __init__(
        self,
        store: Store,
        http: _Http,
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

    def tick(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(stage, done, total)
        if self.cancel and self.cancel():
            raise _Cancelled

    def stage(self, name: str) -> None:
        if self.hook:
            self.hook(name)

    # ------------------------------------------------------------------ handshake

    def handshake(self) -> None:
        self.http.login()
        raw = self.http.call("GET", P.Paths.HANDSHAKE)
        try:
            hs = P.Handshake.from_json(raw)
        except P.ProtocolViolation as exc:
            raise _bad_answer(str(exc)) from None
        if hs.protocol != P.PROTOCOL_VERSION:
            raise _err(
                SyncErrorKind.PROTOCOL,
                "โปรแกรมรุ่นนี้ใช้กับเซิร์ฟเวอร์ไม่ได้ กรุณาปรับปรุงโปรแกรม",
                f"server speaks protocol {hs.protocol}, this client {P.PROTOCOL_VERSION}",
            )
        self.areas, self.everything = hs.areas, hs.everything
        self.server_scoring = hs.scoring
        try:
            skew = (P.parse_iso(hs.server_time) - self.clock()).total_seconds()
        except ValueError:
            raise _bad_answer("server_time is not a date") from None
        self.report.clock_skew_seconds = skew
        if abs(skew) > P.CLOCK_SKEW_WARN_SECONDS:
            minutes = round(abs(skew) / 60)
            side = "ช้ากว่า" if skew > 0 else "เร็วกว่า"
            self.report.clock_warning = (
                f"นาฬิกาของเครื่องนี้{side}เซิร์ฟเวอร์ประมาณ {minutes} นาที กรุณาตั้งวันและเวลาของเครื่องให้ถูกต้อง"
            )

    def cursor_key(self) -> str:
        scope = "*" if self.everything else ",".join(sorted(self.areas))
        return f"cursor:{self.http.base}|{self.http.user}|{scope}"

    # ------------------------------------------------------------------ push

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        for form in self.store.forms:
            for row in self.store.dirty_rows(form.id):
                if row["has_conflict"]:
                    continue
                if row["deleted"] and row["server_rev"] is None:  # made and deleted here: nothing to send
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
        out: list[P.Change] = []
        for form_id, row in chunk:
            rec = recs[form_id].get(row["id"])
            if rec is None:  # not found: the same error as reading it alone
                rec = self.store.get(form_id, row["id"], include_deleted=True)
            out.append(self.change_for(form_id, row, rec))
        return out

    def change_for(self, form_id: str, row: dict[str, Any], rec: Record | None = None) -> P.Change:
        if rec is None:
            rec = self.store.get(form_id, row["id"], include_deleted=True)
        deleted = rec.deleted
        doc = None if deleted else rec.data
        erased = rights.erasure(self.store, rec.id) is not None
        device = self.store.device_id + ("|erased" if erased else "")
        cid = P.change_id_for(device, form_id, rec.id, rec.server_rev, doc, deleted)
        return P.Change(
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
                body = P.PushRequest(self.store.device_id, changes).to_json()
                answer = pool.submit(self.http.call, "POST", P.Paths.PUSH, json=body)
                after = done + len(changes)
                if after < total:
                    ahead = (after, size, self.changes_for(todo[after : after + size]))
                try:
                    raw = answer.result()
                except SyncError as exc:
                    if exc.details.get("code") == "too_large" and size > 1:
                        size = max(1, size // 2)  # the server's size limit: send smaller batches
                        continue
                    raise
                self.stage("push-answered")
                try:
                    results = [P.ChangeResult.from_json(r) for r in _get_list(raw, "results")]
                except P.ProtocolViolation as exc:
                    raise _bad_answer(str(exc)) from None
                erased = self.report.erased
                self.apply_results(changes, results)
                if self.report.erased != erased:
                    ahead = None  # an erasure can reach linked records: read the next batch again
                self.stage("push-stored")
                done = after
                self.report.pushed += len(changes)
                self.tick("push", done, total)

    def apply_results(self, changes: list[P.Change], results: list[P.ChangeResult]) -> None:
        by_id = {c.change_id: c for c in changes}
        if len(results) != len(changes) or set(by_id) != {r.change_id for r in results}:
            raise _bad_answer("push results do not match the changes sent")
        store = self.store
        synced: dict[str, list[tuple[str, int | None, dict[str, Any] | None, str | None]]] = {}
        cleared: list[str] = []
        with store.transaction():
            for res in results:
                ch = by_id[res.change_id]
                if res.status == "rejected" and res.reason == "erased":
                    # the household was erased elsewhere: that wins over this laptop's copy
                    rights.apply_remote_erasure(
                        store,
                        ch.form,
                        ch.record_id,
                        doc=res.doc,
                        deleted=res.doc is None,
                        server_rev=res.rev,
                        user="server",
                    )
                    self.report.erased += 1
                    continue
                if res.status in ("applied", "merged"):
                    cleared.append(ch.record_id)
                    if res.missing_attachments:
                        self.report.incomplete_on_server += 1
                if res.status == "applied":
                    self.report.applied += 1
                    # marked synced (and its conflict cleared) together with the others, below
                    synced.setdefault(ch.form, []).append((ch.record_id, res.rev, ch.doc, ch.updated_at))
                    self._resolved(ch)
                elif res.status == "merged":
                    self.report.merged += 1
                    store.set_conflict(ch.form, ch.record_id, None)
                    state = store.sync_state(ch.form, ch.record_id)
                    if state is not None and state["updated_at"] == ch.updated_at and res.doc is not None:
                        # the merged document (our edit + the server's) becomes the local one
                        store.save(
                            ch.form,
                            res.doc,
                            record_id=ch.record_id,
                            user=ch.updated_by,
                            partial_ok=True,
                            check_refs=False,
                        )
                        store.mark_synced(ch.form, ch.record_id, server_rev=res.rev, base=res.doc)
                    # edited again meanwhile: leave it dirty on its old base; the server merges again
                    self._resolved(ch)
                elif res.status == "conflict":
                    assert res.conflict is not None
                    store.set_conflict(ch.form, ch.record_id, res.conflict.to_json())
                    store.audit(
                        "sync_conflict", ch.form, ch.record_id, {"server_rev": res.conflict.server_rev}
                    )
                    self.report.conflicts.append(
                        {"form": ch.form, "record_id": ch.record_id, "kind": res.conflict.kind}
                    )
                else:
                    store.set_rejection(
                        ch.form, ch.record_id, res.reason or "rejected", res.message, res.problems
                    )
                    self.report.rejected.append(
                        {
                            "form": ch.form,
                            "record_id": ch.record_id,
                            "reason": res.reason,
                            "message": res.message,
                        }
                    )
            # each record is in a batch once, so doing these last changes nothing in the order
            store.clear_rejections(cleared)
            for form_id, items in synced.items():
                store.mark_synced_many(form_id, items)

    def _resolved(self, ch: P.Change) -> None:
        if ch.resolves:
            self.store.set_sync_meta(f"resolves:{ch.record_id}", None)

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
                raise _err(
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

    def pull(self) -> None:
        key = self.cursor_key()
        cursor = int(self.store.sync_meta(key) or 0)
        # the next page is fetched (and parsed) in the worker while this thread stores the current
        # one; the cursor is still only saved together with the page it belongs to
        with self.store.bulk(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldapp-sync") as pool:
            self.report.cursor = cursor
            # the only reference to the next page's request, so a stored page is freed at once
            self.next_page = pool.submit(self.fetch_page, cursor)
            while self.next_page is not None:
                wait([self.next_page])  # waiting for the network outside any transaction
                with self.store.transaction(keep_on_error=True):
                    self.store_pages(pool, key)
                self.tick("pull", *self.pull_progress())

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
            page = self.next_page.result()
            if page.next_cursor < self.report.cursor:
                raise _bad_answer(
                    f"the pull cursor went back from {self.report.cursor} to {page.next_cursor}"
                )
            self.stage("pull-answered")
            self.next_page = pool.submit(self.fetch_page, page.next_cursor) if page.has_more else None
            self.apply_page(page, key)
            self.report.cursor = page.next_cursor
            held += max(1, len(page.items))
            if self.next_page is None or held >= PULL_GROUP or not self.next_page.done():
                return
            if self.progress:
                self.progress("pull", *self.pull_progress())

    def pull_progress(self) -> tuple[int, int]:
        """(records pulled, records expected so far) for the progress callback."""
        return self.report.pulled, self.report.pulled + (self.page_size if self.next_page is not None else 0)

    def fetch_page(self, cursor: int) -> P.PullPage:
        raw = self.http.call("GET", P.Paths.PULL, params={"cursor": cursor, "limit": self.page_size})
        try:
            return P.PullPage.from_json(raw)
        except P.ProtocolViolation as exc:
            raise _bad_answer(str(exc)) from None

    def apply_page(self, page: P.PullPage, key: str) -> None:
        counts = ("pulled", "erased", "kept_local", "pulled_deleted")
        before = {name: getattr(self.report, name) for name in counts}
        try:
            self._apply_page(page, key)
        except BaseException:
            for name, value in before.items():  # the page was rolled back: so are its counts
                setattr(self.report, name, value)
            raise

    def _apply_page(self, page: P.PullPage, key: str) -> None:
        store = self.store
        with store.transaction():
            saves: dict[tuple[str, str, bool], list[P.PullItem]] = {}
            versions = {f.id: f.version for f in store.forms}
            # scores made by the server are kept when its rubric is this laptop's (same fingerprint)
            scored = {
                f.id: f.rubric is None or self.server_scoring.get(f.id) == f.rubric.fingerprint
                for f in store.forms
            }
            wanted: dict[str, list[str]] = {}
            for item in page.items:
                if item.form not in store.forms.forms:
                    raise _bad_answer(f"unknown form {item.form!r} in a pulled record")
                wanted.setdefault(item.form, []).append(item.record_id)
            # a record is at most once in a page: its state read up front stays right
            states = {f: store.sync_states(f, ids) for f, ids in wanted.items()}
            for item in page.items:
                state = states[item.form].get(item.record_id)
                if item.erased:  # an erasure wins, even over unsynced local edits
                    if state is None or state["server_rev"] is None or state["server_rev"] < item.rev:
                        rights.apply_remote_erasure(
                            store,
                            item.form,
                            item.record_id,
                            doc=item.doc,
                            deleted=item.deleted,
                            server_rev=item.rev,
                            user=item.updated_by or "server",
                        )
                        self.report.erased += 1
                    self.report.pulled += 1
                    continue
                if state is not None and state["dirty"]:
                    self.report.kept_local += 1  # never overwrite unsynced local work
                    continue
                if state is not None and state["server_rev"] is not None and state["server_rev"] >= item.rev:
                    continue
                if item.deleted:
                    if state is not None and not state["deleted"]:
                        store.apply_remote_delete(
                            item.form,
                            item.record_id,
                            server_rev=item.rev,
                            user=item.updated_by or "server",
                            at=item.updated_at,
                        )
                        self.report.pulled_deleted += 1
                    elif state is not None:
                        store.mark_synced(item.form, item.record_id, server_rev=item.rev, base=None)
                    self.report.pulled += 1
                    continue
                # calculations made by the server with this same form version are kept
                computed = item.form_version is not None and item.form_version == versions[item.form]
                saves.setdefault((item.form, item.updated_by or "server", computed), []).append(item)
            for (form_id, who, computed), items in saves.items():
                batch = store.save_many(
                    form_id,
                    [(i.record_id, i.doc or {}) for i in items],
                    user=who,
                    partial_ok=True,
                    check_refs=False,
                    audit_action="sync_pull",
                    synced={i.record_id: (i.rev, i.doc) for i in items},
                    computed=computed,
                    scored=computed and scored[form_id],
                    warn=False,
                )
                if batch.errors:
                    idx, problems = next(iter(batch.errors.items()))
                    first = problems[0]
                    raise _err(
                        SyncErrorKind.PROTOCOL,
                        "ข้อมูลจากเซิร์ฟเวอร์ไม่ตรงกับแบบฟอร์มในเครื่อง กรุณาปรับปรุงโปรแกรม",
                        f"pulled {form_id} {items[idx].record_id} does not pass the local form: "
                        f"{first.path}: {first.message_en}",
                    )
                self.report.pulled += len(items)
            store.set_sync_meta(key, str(page.next_cursor))

    # ------------------------------------------------------------------ verify

    def verify(self) -> None:
        exclude: list[str] = []
        for form in self.store.forms:
            exclude += [r["id"] for r in self.store.dirty_rows(form.id)]
        raw = self.http.call("POST", P.Paths.VERIFY, json={"exclude": exclude})
        try:
            server = P.parse_verify(raw)
        except P.ProtocolViolation as exc:
            raise _bad_answer(str(exc)) from None
        mismatches: dict[str, dict[str, Any]] = {}
        for form in self.store.forms:
            if not self.everything and not self.areas:
                ids: list[str] = []
            else:
                ids = self.store.synced_live_ids(form.id, None if self.everything else self.areas)
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


def _bad_answer(what: str) -> SyncError:
    return _err(
        SyncErrorKind.PROTOCOL,
        "เซิร์ฟเวอร์ตอบกลับไม่ถูกรูปแบบ กรุณาปรับปรุงโปรแกรมหรือติดต่อผู้ดูแลระบบ",
        f"unexpected answer from the server: {what}",
    )


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
    timeout: float = 60.0,
    retries: int = 2,
    session: requests.Session | None = None,
    clock: Callable[[], _dt.datetime] | None = None,
    stage_hook: StageHook | None = None,
) -> SyncReport:
    """Push local changes, pull the server's, exchange attachments and verify; see the module doc.

    ``progress(stage, done, total)`` is called as work proceeds; ``cancel()`` is checked between
    batches, pages and files and stops the sync cleanly (the report says ``cancelled``).
    ``clock`` is only used for the clock-skew warning. ``stage_hook(name)`` is for diagnostics and
    tests. Raises SyncError.
    """
    if not server_url.lower().startswith(("http://", "https://")):
        raise _err(
            SyncErrorKind.NETWORK,
            "ที่อยู่เซิร์ฟเวอร์ต้องขึ้นต้นด้วย http:// หรือ https://",
            f"server address must start with http:// or https:// (got {server_url!r})",
        )
    if not user or not password:
        raise _err(SyncErrorKind.AUTH, "กรุณาใส่ชื่อผู้ใช้และรหัสผ่าน", "user name and password are required")
    from fieldapp.backup import before_sync  # a checked backup of the database before every sync

    before_sync(store)
    report = SyncReport(server=server_url.rstrip("/"), user=user, started_at=now_iso())
    http = _Http(
        server_url, user, password, store.device_id, session=session, timeout=timeout, retries=retries
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
        run.handshake()
        run.push()
        run.pull()
        run.download_missing()
        run.verify()
        rights.finish_remote_erasures(store)
        run.push_audit()
        ok = True
    except _Cancelled:
        report.cancelled = True
    finally:
        report.finished_at = now_iso()
        if store.conn.in_transaction:  # an exception inside a page already rolled back; be sure
            store.conn.execute("ROLLBACK")
        with store.transaction():
            store.log_sync(report.started_at, report.server, user, ok, report.as_dict())
        if session is None:
            http.session.close()
    return report


# ---------------------------------------------------------------------- conflicts and the outbox


def resolve_conflict(
    store: Store, form_id: str, record_id: str, choices: Mapping[str, Any], *, user: str | None = None
) -> None:
    """Record a person's choice for a conflicting record; it goes up at the next sync.

    ``choices`` maps each conflicting path (``field``, ``repeat[row-id].field`` or ``repeat[row-id]``;
    ``""`` for an edit/delete conflict) to ``"mine"``, ``"theirs"`` or a typed value. The result is
    written through the store's write path as a new unsynced edit whose base is the server's version.
    """
    rec = store.get(form_id, record_id, include_deleted=True)
    if not rec.conflict:
        raise ValidationError("ระเบียนนี้ไม่มีข้อมูลขัดแย้ง", f"{form_id} {record_id} has no conflict")
    try:
        conflict = P.Conflict.from_json(rec.conflict)
        doc, deleted = P.resolve(conflict, choices)
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
                doc = P.three_way_merge(conflict.mine, rec.data, doc).doc
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
