"""Sync with the central server: address and user remembered, password asked each time, progress
with Cancel, and a plain summary of what went up and down (with rejections and conflicts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fieldapp import ids
from fieldapp.errors import FieldAppError
from fieldapp.store import Store
from fieldapp.sync.client import sync
from fieldapp.sync.outbox import pending_summary
from fieldapp.sync.report import SyncReport
from ui.db import Database
from ui.dialogs import geometry
from ui.errors import message_for
from ui.i18n import label_of, tr
from ui.settings import Settings
from ui.tasks import Task, TaskState

SERVER_KEY = "sync_server"
USER_KEY = "sync_user"
MAX_LISTED = 12


def stage_text(stage: str) -> str:
    return {
        "login": tr("Signing in to the server..."),
        "upload": tr("Sending photos..."),
        "push": tr("Sending changes..."),
        "pull": tr("Receiving changes..."),
        "download": tr("Receiving photos..."),
        "verify": tr("Checking that both sides agree..."),
    }.get(stage, tr("Working..."))


def form_name(store: Store, form_id: str) -> str:
    try:
        return label_of(store.form(form_id).title, form_id)
    except (FieldAppError, KeyError):
        return form_id


def record_title(store: Store, form_id: str, record_id: str) -> str:
    """What people call a record: the head of household, the business name... or a short id."""
    try:
        form = store.form(form_id)
        rec = store.get(form_id, record_id, include_deleted=True)
    except (FieldAppError, KeyError):
        return ids.short_id(record_id)
    doc: dict[str, Any] = rec.data or {}
    if not doc and isinstance(rec.conflict, dict):
        doc = rec.conflict.get("mine") or rec.conflict.get("theirs") or {}
    title = str(doc.get(form.title_field) or "") if form.title_field else ""
    if not title and form.id == "household":
        heads = [m for m in doc.get("members") or [] if m.get("relation") == "head"] or doc.get("members") or []
        if heads:
            title = f"{heads[0].get('first_name') or ''} {heads[0].get('last_name') or ''}".strip()
    if doc.get("house_no") and form.id == "household":
        title = tr("{name} (house no. {no})", name=title or tr("(no name)"), no=doc["house_no"])
    return title or ids.short_id(record_id)


def reason_text(reason: str | None, message: str | None, problems: list[Any] | None = None) -> str:
    """Why the server did not take a record, in words for people."""
    text = {
        "invalid": tr("the answers do not pass the form's rules"),
        "area_forbidden": tr("the record is outside the areas of your account"),
        "no_area": tr("the record has no subdistrict"),
        "server_owned_field": tr("the record holds a value only the server may set"),
        "unknown_form": tr("the server does not know this form (update the program)"),
        "form_mismatch": tr("the record belongs to another form on the server"),
        "bad_base": tr("the record is out of step with the server; sync again"),
        "erased": tr("the household asked for its data to be erased"),
        "role_forbidden": tr(
            "only an Area Manager may erase a household or choose in a conflict; sync with an Area Manager's account"
        ),
    }.get(reason or "", tr("not accepted ({reason})", reason=reason or "?"))
    for p in problems or []:
        if isinstance(p, dict) and p.get("message"):
            return f"{text}: {p['message']}"
    return text


@dataclass
class Outbox:
    """What waits to go up, for the top of the dialog and the main window."""

    records: dict[str, int]
    attachments: int
    conflicts: int
    rejected: list[dict[str, Any]]
    last_sync: dict[str, Any] | None
    names: dict[str, str]
    titles: dict[str, str]


def load_outbox(store: Store) -> Outbox:
    p = pending_summary(store)
    titles = {r["record_id"]: record_title(store, r["form"], r["record_id"]) for r in p["rejected"][:MAX_LISTED]}
    names = {f.id: form_name(store, f.id) for f in store.forms}
    return Outbox(p["records"], p["attachments"], p["conflicts"], p["rejected"], p["last_sync"], names, titles)


def when_text(iso: str | None) -> str:
    """A stored timestamp as a Buddhist-era date and time in Thailand time."""
    if not iso:
        return ""
    from fieldapp import thaidate
    from ui.i18n import language

    try:
        return thaidate.format_datetime(iso, lang=language())
    except (FieldAppError, ValueError):
        return iso


def outbox_text(o: Outbox) -> str:
    parts = [tr("{n} {form}", n=f"{n:,}", form=o.names.get(f, f)) for f, n in o.records.items() if n]
    lines = [tr("Waiting to be sent: {what}", what=", ".join(parts)) if parts else tr("Nothing waits to be sent.")]
    if o.attachments:
        lines.append(tr("Photos waiting: {n}", n=o.attachments))
    if o.conflicts:
        lines.append(tr("Conflicts waiting for a decision: {n}", n=o.conflicts))
    if o.last_sync:
        lines.append(tr("Last successful sync: {when}", when=when_text(o.last_sync.get("finished_at"))))
    else:
        lines.append(tr("This laptop has not synced yet."))
    return "\n".join(lines)


def rejections_text(o: Outbox) -> str:
    if not o.rejected:
        return ""
    lines = [tr("Not accepted by the server (correct them, then sync again):")]
    for r in o.rejected[:MAX_LISTED]:
        lines.append(f"• {o.names.get(r['form'], r['form'])} {o.titles.get(r['record_id'], ids.short_id(r['record_id']))}: "
                     f"{reason_text(r.get('reason'), r.get('message'), r.get('problems'))}")
    if len(o.rejected) > MAX_LISTED:
        lines.append(tr("\n...and {n} more", n=len(o.rejected) - MAX_LISTED).strip())
    return "\n".join(lines)


@dataclass
class SyncOutcome:
    report: SyncReport
    titles: dict[str, str]
    names: dict[str, str]


def summary_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """(text, kind) lines of the end-of-sync summary; kind is "", "warn" or "bad"."""
    r = out.report
    lines: list[tuple[str, str]] = []
    if r.cancelled:
        lines.append((tr("The sync was cancelled. What was already sent or received is kept; sync again "
                         "to finish."), "warn"))
    lines.append((tr("Sent to the server: {n} records", n=f"{r.applied + r.merged:,}"), ""))
    if r.merged:
        lines.append((tr("Merged with changes made by others: {n}", n=f"{r.merged:,}"), ""))
    lines.append((tr("Received from the server: {n} records", n=f"{r.pulled:,}"), ""))
    if r.pulled_deleted:
        lines.append((tr("Deleted on the server and here: {n}", n=f"{r.pulled_deleted:,}"), ""))
    if r.attachments_up or r.attachments_down:
        lines.append((tr("Photos sent: {up}, received: {down}", up=r.attachments_up, down=r.attachments_down), ""))
    if r.kept_local:
        lines.append((tr("Kept this laptop's newer version of {n} records; they go up at the next sync.",
                         n=r.kept_local), ""))
    if r.conflicts:
        lines.append((tr("Conflicts: {n} records were changed here and on the server. Choose which values "
                         "to keep (Sync > Conflicts).", n=len(r.conflicts)), "warn"))
        for c in r.conflicts[:MAX_LISTED]:
            lines.append((f"   • {out.names.get(c['form'], c['form'])} "
                          f"{out.titles.get(c['record_id'], ids.short_id(c['record_id']))}", "warn"))
    if r.rejected:
        lines.append((tr("Not accepted by the server: {n}", n=len(r.rejected)), "bad"))
        for x in r.rejected[:MAX_LISTED]:
            lines.append((f"   • {out.names.get(x['form'], x['form'])} "
                          f"{out.titles.get(x['record_id'], ids.short_id(x['record_id']))}: "
                          f"{reason_text(x.get('reason'), x.get('message'))}", "bad"))
    if r.attachments_missing:
        lines.append((tr("Photos not found yet: {n}", n=len(r.attachments_missing)), "warn"))
    if r.clock_warning:
        minutes = round(abs(r.clock_skew_seconds) / 60)
        if r.clock_skew_seconds > 0:
            text = tr("This laptop's clock is about {minutes} minutes behind the server. Please set the date "
                      "and time of the laptop.", minutes=minutes)
        else:
            text = tr("This laptop's clock is about {minutes} minutes ahead of the server. Please set the date "
                      "and time of the laptop.", minutes=minutes)
        lines.append((text, "warn"))
    if r.verified is True:
        lines.append((tr("Checked: the records on this laptop match the server."), ""))
    elif r.verified is False:
        parts = [tr("{form}: laptop {local}, server {server}", form=out.names.get(f, f), local=v.get("local"),
                    server=v.get("server")) for f, v in r.mismatches.items()]
        lines.append((tr("Warning: the records here do not match the server ({parts}). Please sync again.",
                         parts="; ".join(parts)), "bad"))
    return lines


def summary_html(out: SyncOutcome) -> str:
    import html

    colours = {"": "#1d1d1b", "warn": "#9a5b00", "bad": "#b3261e"}
    return "<br>".join(f'<span style="color:{colours[k]}">{html.escape(t)}</span>' for t, k in summary_lines(out))


def run_sync(db: Database, server: str, user: str, password: str, state: TaskState) -> SyncOutcome:
    """The work of one sync (on the write thread)."""
    store = db.store()
    current = [""]

    def progress(stage: str, done: int, total: int) -> None:
        if stage != current[0]:
            current[0] = stage
            state.stage(stage_text(stage))
        state.progress(done, total)

    state.stage(stage_text("login"))
    report = sync(store, server, user, password, progress=progress, cancel=lambda: state.cancelled)
    ids = [(c["form"], c["record_id"]) for c in report.conflicts[:MAX_LISTED]]
    ids += [(x["form"], x["record_id"]) for x in report.rejected[:MAX_LISTED]]
    titles = {rid: record_title(store, f, rid) for f, rid in ids}
    return SyncOutcome(report, titles, {f.id: form_name(store, f.id) for f in store.forms})


class SyncDialog(QDialog):
    synced = Signal()  # records may have changed
    conflicts_requested = Signal()

    def __init__(self, parent: QWidget | None, db: Database, settings: Settings) -> None:
        super().__init__(parent)
        self.db = db
        self.settings = settings
        self.task: Task[SyncOutcome] | None = None
        self.outcome: SyncOutcome | None = None
        self.error: BaseException | None = None
        self.setWindowTitle(tr("Sync with the server"))
        lay = QVBoxLayout(self)
        heading = QLabel(tr("Sync with the server"))
        heading.setObjectName("heading")
        lay.addWidget(heading)
        self.outbox_label = QLabel(tr("Counting what waits to be sent..."))
        self.outbox_label.setObjectName("banner")
        self.outbox_label.setWordWrap(True)
        lay.addWidget(self.outbox_label)
        self.rejections_label = QLabel()
        self.rejections_label.setWordWrap(True)
        self.rejections_label.setObjectName("note")
        self.rejections_label.hide()
        lay.addWidget(self.rejections_label)

        form = QFormLayout()
        self.server_edit = QLineEdit(str(settings.state(SERVER_KEY) or ""))
        self.server_edit.setPlaceholderText("https://...")
        self.user_edit = QLineEdit(str(settings.state(USER_KEY) or ""))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(tr("Server address"), self.server_edit)
        form.addRow(tr("User name"), self.user_edit)
        form.addRow(tr("Password"), self.password_edit)
        lay.addLayout(form)
        hint = QLabel(tr("The password is not kept; it is asked at every sync. A backup is made before each sync."))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)

        self.stage_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.stage_label.hide()
        self.progress.hide()
        lay.addWidget(self.stage_label)
        lay.addWidget(self.progress)

        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result_label.setObjectName("note")
        self.result_scroll = QScrollArea()
        self.result_scroll.setWidgetResizable(True)
        self.result_scroll.setWidget(self.result_label)
        self.result_scroll.hide()
        lay.addWidget(self.result_scroll, 1)
        lay.addStretch(0)

        buttons = QHBoxLayout()
        self.conflicts_button = QPushButton(tr("Resolve conflicts..."))
        self.conflicts_button.clicked.connect(self._conflicts)
        self.conflicts_button.hide()
        self.cancel_button = QPushButton(tr("Cancel"))
        self.cancel_button.clicked.connect(self._cancel)
        self.cancel_button.hide()
        self.close_button = QPushButton(tr("Close"))
        self.close_button.clicked.connect(self.reject)
        self.sync_button = QPushButton(tr("Sync now"))
        self.sync_button.setObjectName("primary")
        self.sync_button.setDefault(True)
        self.sync_button.clicked.connect(self.start_sync)
        buttons.addWidget(self.conflicts_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.sync_button)
        lay.addLayout(buttons)
        if not geometry.restore(self, settings, "sync"):
            self.resize(720, 620)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "sync"))
        (self.password_edit if self.server_edit.text() and self.user_edit.text() else self.server_edit).setFocus()
        self.load_outbox()

    # ------------------------------------------------------------------ outbox
    def load_outbox(self) -> None:
        db = self.db

        def work(_s: TaskState) -> Outbox:
            return load_outbox(db.store())

        Task(work).on_success(self._show_outbox).on_failure(lambda exc: self.outbox_label.setText(
            message_for(exc))).start()

    def _show_outbox(self, o: Outbox) -> None:
        self.outbox_label.setText(outbox_text(o))
        text = rejections_text(o)
        self.rejections_label.setText(text)
        self.rejections_label.setVisible(bool(text))
        self.conflicts_button.setVisible(o.conflicts > 0)

    # ------------------------------------------------------------------ sync
    def start_sync(self) -> None:
        server, user, password = (self.server_edit.text().strip(), self.user_edit.text().strip(),
                                  self.password_edit.text())
        if not server or not user or not password:
            self._show_problem(tr("Please fill in the server address, your user name and your password."))
            return
        if "://" not in server:
            server = "https://" + server
            self.server_edit.setText(server)
        self.settings.set_state(SERVER_KEY, server)
        self.settings.set_state(USER_KEY, user)
        self.outcome, self.error = None, None
        self._running(True)
        db = self.db

        def work(state: TaskState) -> SyncOutcome:
            return run_sync(db, server, user, password, state)

        self.task = (Task(work, write=True).on_success(self._done).on_failure(self._failed)
                     .on_progress(self._progress).on_stage(self.stage_label.setText).start())

    def _running(self, on: bool) -> None:
        for w in (self.server_edit, self.user_edit, self.password_edit, self.sync_button, self.close_button):
            w.setEnabled(not on)
        self.cancel_button.setVisible(on)
        self.cancel_button.setEnabled(on)
        self.stage_label.setVisible(on)
        self.progress.setVisible(on)
        if on:
            self.progress.setRange(0, 0)
            self.stage_label.setText(stage_text("login"))
            self.result_scroll.hide()

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _cancel(self) -> None:
        if self.task is not None and not self.task.finished:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.stage_label.setText(tr("Stopping after the current step..."))

    def _done(self, out: SyncOutcome) -> None:
        self.task = None
        self.outcome = out
        self._running(False)
        self.password_edit.clear()
        self.result_label.setText(summary_html(out))
        self.result_scroll.show()
        self.sync_button.setText(tr("Sync again"))
        self.synced.emit()
        self.load_outbox()

    def _failed(self, exc: Exception) -> None:
        self.task = None
        self.error = exc
        self._running(False)
        self._show_problem(message_for(exc))
        self.synced.emit()  # batches stored before the failure count too
        self.load_outbox()

    def _show_problem(self, text: str) -> None:
        import html

        self.result_label.setText(f'<span style="color:#b3261e"><b>{html.escape(text)}</b></span>')
        self.result_scroll.show()

    def summary_text(self) -> str:
        """The summary as plain text (what the person reads)."""
        import html
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.result_label.text().replace("<br>", "\n")))

    def _conflicts(self) -> None:
        self.conflicts_requested.emit()

    # ------------------------------------------------------------------ closing
    def reject(self) -> None:
        if self.task is not None and not self.task.finished:
            self._cancel()
            return
        super().reject()


def show_sync(parent: QWidget | None, db: Database, settings: Settings) -> SyncDialog:
    """Open the sync dialog (not modal: the window stays usable while it runs)."""
    dlg = SyncDialog(parent, db, settings)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
