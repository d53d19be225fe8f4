"""Sync with the central server: address and user remembered, password asked each time, progress
with Cancel, and a plain summary of what went up and down (with rejections and conflicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
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
from fieldapp.sync.transport import is_plain_http

from ..db import Database
from ..errors import message_for
from ..i18n import label_of, tr
from ..settings import Settings
from ..tasks import Task, TaskState
from . import geometry

SERVER_KEY = "sync_server"
USER_KEY = "sync_user"
MAX_LISTED = 12
STALL_SECONDS = 4  # the server silent this long is said on screen


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
        "duplicate_row_id": tr("a row of the record has an id another record on the server already uses"),
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

    records: dict[str, int]  # waiting to be sent, per form (conflicts not included)
    attachments: int
    conflicts: int
    rejected: list[dict[str, Any]]
    last_sync: dict[str, Any] | None
    names: dict[str, str]
    titles: dict[str, str]
    conflicts_by_form: dict[str, int] = field(default_factory=dict)
    pull: dict[str, Any] | None = None  # the last pull (it may have stopped early)
    missing: int = 0  # records the server said were due and did not arrive
    state: str = "synced"  # never, partial or synced
    conflicted: set[str] = field(default_factory=set)  # records still waiting for a choice


def load_outbox(store: Store) -> Outbox:
    p = pending_summary(store)
    titles = {r["record_id"]: record_title(store, r["form"], r["record_id"]) for r in p["rejected"][:MAX_LISTED]}
    names = {f.id: form_name(store, f.id) for f in store.forms}
    conflicted = {rid for f in store.forms for rid in store.conflicted_ids(f.id)}
    return Outbox(p["waiting"], p["attachments"], p["conflicts"], p["rejected"], p["last_sync"], names, titles,
                  p["conflicts_by_form"], p["pull"], p["missing"], p["state"], conflicted)


def per_form(counts: dict[str, int], names: dict[str, str]) -> str:
    """"1,674 household surveys, 12 local businesses" (forms with none are left out)."""
    return ", ".join(tr("{n} {form}", n=f"{n:,}", form=names.get(f, f)) for f, n in counts.items() if n)


def pull_state_text(pull: dict[str, Any] | None, missing: int) -> str:
    """What the last pull brought when it stopped early (empty when it finished)."""
    if not pull or pull.get("finished"):
        return ""
    received = int(pull.get("received") or 0)
    due = pull.get("due")
    if isinstance(due, int) and due:
        return tr("The last sync stopped before everything arrived: {received} of {due} records received, {missing} "
                  "still missing. Sync again to continue where it stopped.", received=f"{received:,}", due=f"{due:,}",
                  missing=f"{missing:,}")
    return tr("The last sync stopped before everything arrived ({received} records received). Sync again to "
              "continue where it stopped.", received=f"{received:,}")


def status_line(status: dict[str, Any]) -> tuple[str, str]:
    """(text, kind) for the main window's status bar from ``sync_status``: kind "", "warn" or "bad".
    A laptop that never synced, a pull that stopped early and a complete sync never read the same."""
    waiting = sum(status["waiting"].values())
    conflicts = sum(status["conflicts"].values())
    parts: list[str] = []
    kind = ""
    if status["state"] == "partial":
        missing = int(status.get("missing") or 0)
        parts.append(tr("Sync not finished: {n} records still to receive", n=f"{missing:,}") if missing
                     else tr("Sync not finished"))
        kind = "warn"
    elif status["state"] == "never":
        parts.append(tr("Never synced: {n} records wait to be sent", n=f"{waiting:,}") if waiting
                     else tr("Never synced"))
        waiting = 0
    if waiting:
        parts.append(tr("Not synced: {n}", n=f"{waiting:,}"))
    if conflicts:
        parts.append("⚠ " + tr("Conflicts: {n}", n=conflicts))
        kind = "bad"
    if not parts:
        parts.append(tr("Everything is synced"))
    return "  ".join(parts), kind


def when_text(iso: str | None) -> str:
    """A stored timestamp as a Buddhist-era date and time in Thailand time."""
    if not iso:
        return ""
    from fieldapp import thaidate

    from ..i18n import language

    try:
        return thaidate.format_datetime(iso, lang=language())
    except (FieldAppError, ValueError):
        return iso


def outbox_text(o: Outbox) -> str:
    parts = per_form(o.records, o.names)
    lines = [tr("Waiting to be sent: {what}", what=parts) if parts else tr("Nothing waits to be sent.")]
    if o.attachments:
        lines.append(tr("Photos waiting: {n}", n=o.attachments))
    if o.conflicts:
        lines.append(tr("Conflicts waiting for a decision (not sent until someone chooses): {what}",
                        what=per_form(o.conflicts_by_form, o.names) or f"{o.conflicts:,}"))
    partial = pull_state_text(o.pull, o.missing)
    if partial:
        lines.append(partial)
    if o.last_sync:
        lines.append(tr("Last successful sync: {when}", when=when_text(o.last_sync.get("finished_at"))))
    elif o.state == "never":
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
    conflicted: set[str] | None = None  # records still in conflict now (None: as the sync left them)


def _record_line(out: SyncOutcome, item: dict[str, Any]) -> str:
    return (f"   • {out.names.get(item['form'], item['form'])} "
            f"{out.titles.get(item['record_id'], ids.short_id(item['record_id']))}")


def summary_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """(text, kind) lines of the end-of-sync summary; kind is "", "warn" or "bad".

    Every record counts once: what the server took is "sent", a conflict is not "kept to send" (it
    waits for a choice), an edit lost to an erasure on another laptop is said, and counts are split
    by form."""
    return [
        *_sent_lines(out),
        *_received_lines(out),
        *_erased_lines(out),
        *_conflict_lines(out),
        *_refused_lines(out),
        *_setup_lines(out),
        *_check_lines(out),
    ]


def _sent_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """A cancelled sync, what went up and how the server answered, what was merged."""
    r = out.report
    lines: list[tuple[str, str]] = []
    sent = {f: c.get("sent", 0) for f, c in r.by_form.items()}
    if r.cancelled:
        lines.append((tr("The sync was cancelled. What was already sent or received is kept; sync again "
                         "to finish."), "warn"))
    if r.pushed:
        answered = [tr("taken {n}", n=f"{r.applied + r.merged:,}")]
        if r.conflicts:
            answered.append(tr("in conflict {n}", n=f"{len(r.conflicts):,}"))
        if r.rejected:
            answered.append(tr("not accepted {n}", n=f"{len(r.rejected):,}"))
        if r.erased_edits:
            answered.append(tr("erased elsewhere {n}", n=f"{len(r.erased_edits):,}"))
        lines.append((tr("Sent to the server: {n} records ({answers})", n=f"{r.pushed:,}",
                         answers=", ".join(answered)), ""))
        if per_form(sent, out.names):
            lines.append(("   " + tr("Taken by the server: {what}", what=per_form(sent, out.names)), ""))
    else:
        lines.append((tr("Nothing was waiting to be sent."), ""))
    if r.merged:
        lines.append((tr("Merged with changes made by others: {n}", n=f"{r.merged:,}"), ""))
    return lines


def _received_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """What came down (or how much is still missing), deletions, photos, newer versions kept here."""
    r = out.report
    lines: list[tuple[str, str]] = []
    received = {f: c.get("received", 0) for f, c in r.by_form.items()}
    if r.pull_due is not None and r.pulled < r.pull_due and r.cancelled:
        lines.append((tr("Received from the server: {n} of {due} records; {missing} still missing. Sync again to "
                         "continue where it stopped.", n=f"{r.pulled:,}", due=f"{r.pull_due:,}",
                         missing=f"{r.pull_due - r.pulled:,}"), "warn"))
    else:
        lines.append((tr("Received from the server: {n} records", n=f"{r.pulled:,}"), ""))
    if per_form(received, out.names):
        lines.append(("   " + per_form(received, out.names), ""))
    if r.pulled_deleted:
        lines.append((tr("Deleted on the server and here: {n}", n=f"{r.pulled_deleted:,}"), ""))
    if r.attachments_up or r.attachments_down:
        lines.append((tr("Photos sent: {up}, received: {down}", up=r.attachments_up, down=r.attachments_down), ""))
    if r.kept_local:
        lines.append((tr("Kept this laptop's newer version of {n} records; they go up at the next sync.",
                         n=r.kept_local), ""))
    return lines


def _erased_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """Edits made here to records erased at the household's request on another laptop."""
    r = out.report
    if not r.erased_edits:
        return []
    lines = [(tr("{n} records were erased at the household's request on another laptop; the changes made "
                 "to them here were dropped:", n=len(r.erased_edits)), "warn")]
    for e in r.erased_edits[:MAX_LISTED]:
        lines.append((_record_line(out, e), "warn"))
    return lines


def _conflict_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """Conflicts still waiting for a choice and those resolved since, each record listed."""
    r = out.report
    lines: list[tuple[str, str]] = []
    if not r.conflicts:
        return lines
    still = [c for c in r.conflicts if out.conflicted is None or c["record_id"] in out.conflicted]
    done = len(r.conflicts) - len(still)
    if still:
        lines.append((tr("Conflicts: {n} records were changed here and on the server. They are not sent until "
                         "someone chooses which values to keep (Resolve conflicts...).", n=len(still)), "warn"))
    if done:
        lines.append((tr("Conflicts resolved since: {n}; the choices go up at the next sync.", n=done), ""))
    for c in r.conflicts[:MAX_LISTED]:
        mark = "" if out.conflicted is None or c["record_id"] in out.conflicted else "  ✓ " + tr("resolved")
        lines.append((_record_line(out, c) + mark, "warn" if not mark else ""))
    return lines


def _refused_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """Records the server did not accept, and records from the server set aside here."""
    r = out.report
    lines: list[tuple[str, str]] = []
    if r.rejected:
        lines.append((tr("Not accepted by the server: {n}", n=len(r.rejected)), "bad"))
        for x in r.rejected[:MAX_LISTED]:
            lines.append((f"{_record_line(out, x)}: {reason_text(x.get('reason'), x.get('message'))}", "bad"))
    if r.set_aside:
        lines.append((tr("Set aside: {n} records from the server could not be stored on this laptop; they are "
                         "kept with the reason and tried again at every sync:", n=len(r.set_aside)), "warn"))
        for x in r.set_aside[:MAX_LISTED]:
            lines.append((f"   • {out.names.get(x['form'], x['form'])} {ids.short_id(x['record_id'])}: "
                          f"{set_aside_text(str(x.get('reason') or ''))}", "warn"))
    return lines


def _setup_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """Forms installed or refused, a new device id, photos not found yet."""
    r = out.report
    lines: list[tuple[str, str]] = []
    if r.forms_installed:
        lines.append((tr("Forms installed from the server: {forms}", forms=", ".join(r.forms_installed)), ""))
    for x in r.forms_refused:
        lines.append((tr("The form {form} from the server could not be installed: {reason}",
                         form=x["form"], reason=x["reason"]), "warn"))
    if r.new_device:
        lines.append((tr("Another copy of this database syncs too: this laptop now has a device id of its own. "
                         "Clashing edits are kept as conflicts."), "warn"))
    if r.attachments_missing:
        lines.append((tr("Photos not found yet: {n}", n=len(r.attachments_missing)), "warn"))
    return lines


def _check_lines(out: SyncOutcome) -> list[tuple[str, str]]:
    """The laptop's clock, a plain-http address, and whether the records here match the server."""
    r = out.report
    lines: list[tuple[str, str]] = []
    if r.clock_warning:
        minutes = round(abs(r.clock_skew_seconds) / 60)
        if r.clock_skew_seconds > 0:
            text = tr("This laptop's clock is about {minutes} minutes behind the server. Please set the date "
                      "and time of the laptop.", minutes=minutes)
        else:
            text = tr("This laptop's clock is about {minutes} minutes ahead of the server. Please set the date "
                      "and time of the laptop.", minutes=minutes)
        lines.append((text, "warn"))
    if r.http_warning:
        lines.append((http_warning_text(), "warn"))
    if r.verified is True:
        lines.append((tr("Checked: the records on this laptop match the server."), ""))
    elif r.verified is False:
        parts = [tr("{form}: laptop {local}, server {server}", form=out.names.get(f, f), local=v.get("local"),
                    server=v.get("server")) for f, v in r.mismatches.items()]
        lines.append((tr("Warning: the records here do not match the server ({parts}). Please sync again.",
                         parts="; ".join(parts)), "bad"))
    return lines


def set_aside_text(reason: str) -> str:
    """Why a pulled record was set aside, in words for people (the sync log keeps the detail)."""
    if reason.startswith("a form this laptop does not know"):
        return tr("a form this laptop does not know; update the program")
    if reason.startswith("a row id"):
        return tr("a row id is already used by another record on this laptop")
    if reason.startswith("the record does not pass"):
        return tr("the record does not pass this laptop's form")
    return tr("this laptop's database refused the record")


def http_warning_text() -> str:
    return tr("http:// is not encrypted: others on the network can read the password and the households' data. "
              "Use https://.")


def summary_html(out: SyncOutcome) -> str:
    import html

    colours = {"": "#1d1d1b", "warn": "#9a5b00", "bad": "#b3261e"}
    return "<br>".join(f'<span style="color:{colours[k]}">{html.escape(t)}</span>' for t, k in summary_lines(out))


def progress_text(stage: str, done: int, total: int) -> str:
    """The stage with its position: "Receiving changes... 1,674 of 5,299 records"."""
    base = stage_text(stage)
    if stage == "pull":
        if total:
            return base + " " + tr("{done} of {total} records", done=f"{done:,}", total=f"{total:,}")
        return base + " " + tr("{done} records so far", done=f"{done:,}") if done else base
    if stage == "push" and total:
        return base + " " + tr("{done} of {total} records", done=f"{done:,}", total=f"{total:,}")
    if stage in ("upload", "download") and total:
        return base + f" {done:,}/{total:,}"
    return base


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f}"


def run_sync(db: Database, server: str, user: str, password: str, state: TaskState, *,
             allow_plain_http: bool = False) -> SyncOutcome:
    """The work of one sync (on the write thread)."""
    store = db.store()
    current = {"stage": "login", "done": 0, "total": 0, "shown": 0.0}

    def show(extra: str = "") -> None:
        text = progress_text(current["stage"], current["done"], current["total"])  # type: ignore[arg-type]
        state.stage(f"{text}  {extra}".rstrip())

    def progress(stage: str, done: int, total: int) -> None:
        import time

        if stage == "receive":  # bytes of the answer under way: shown beside the stage, throttled
            now = time.monotonic()
            if now - float(str(current["shown"])) >= 0.25:
                current["shown"] = now
                show(tr("(receiving {got} of {size} MB)", got=megabytes(done), size=megabytes(total)) if total
                     else tr("(receiving {got} MB)", got=megabytes(done)))
            return
        changed = stage != current["stage"] or done != current["done"] or total != current["total"]
        current.update(stage=stage, done=done, total=total)
        if changed:
            show()
        state.progress(done, total)

    state.stage(stage_text("login"))
    report = sync(store, server, user, password, progress=progress, cancel=lambda: state.cancelled,
                  allow_plain_http=allow_plain_http)
    ids = [(c["form"], c["record_id"]) for c in report.conflicts[:MAX_LISTED]]
    ids += [(x["form"], x["record_id"]) for x in report.rejected[:MAX_LISTED]]
    ids += [(x["form"], x["record_id"]) for x in report.erased_edits[:MAX_LISTED]]
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
        self._build_header(lay)
        self._build_login(lay)
        self._build_progress(lay)
        self._build_result(lay)
        self._build_buttons(lay)
        geometry.open_sized(self, settings, "sync", 780, 720)
        self.finished.connect(lambda _r: geometry.remember(self, settings, "sync"))
        (self.password_edit if self.server_edit.text() and self.user_edit.text() else self.server_edit).setFocus()
        self.load_outbox()

    def _build_header(self, lay: QVBoxLayout) -> None:
        """The heading, what waits to be sent and what the server refused before."""
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

    def _build_login(self, lay: QVBoxLayout) -> None:
        """Address on one row, user and password side by side: the summary keeps the room at 18 pt."""
        form = QGridLayout()
        self.server_edit = QLineEdit(str(self.settings.state(SERVER_KEY) or ""))
        self.server_edit.setPlaceholderText("https://...")
        self.user_edit = QLineEdit(str(self.settings.state(USER_KEY) or ""))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        for row, col, text, edit in ((0, 0, tr("Server address"), self.server_edit),
                                     (1, 0, tr("User name"), self.user_edit),
                                     (1, 2, tr("Password"), self.password_edit)):
            label = QLabel(text)
            label.setBuddy(edit)
            form.addWidget(label, row, col)
            form.addWidget(edit, row, col + 1, 1, 3 if row == 0 else 1)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        lay.addLayout(form)
        self.hint = QLabel(tr("The password is not kept; it is asked at every sync. A backup is made before each "
                              "sync."))
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.http_label = QLabel(http_warning_text())
        self.http_label.setObjectName("note")
        self.http_label.setWordWrap(True)
        lay.addWidget(self.http_label)
        self.server_edit.textChanged.connect(self._show_http_warning)
        self._show_http_warning(self.server_edit.text())

    def _build_progress(self, lay: QVBoxLayout) -> None:
        """The stage of a running sync, its progress and a warning when the server falls silent."""
        self.stage_label = QLabel()
        self.stage_label.setWordWrap(True)
        self.stall_label = QLabel()  # the server has been silent for a while
        self.stall_label.setObjectName("problem")
        self.stall_label.setProperty("state", "warn")
        self.stall_label.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self._last_activity = 0.0
        self._close_when_stopped = False
        self.stall_timer = QTimer(self)
        self.stall_timer.setInterval(1000)
        self.stall_timer.timeout.connect(self._check_stall)
        self.stage_label.hide()
        self.progress.hide()
        lay.addWidget(self.stage_label)
        lay.addWidget(self.progress)
        lay.addWidget(self.stall_label)

    def _build_result(self, lay: QVBoxLayout) -> None:
        """The summary of the last sync, scrolled when long."""
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

    def _build_buttons(self, lay: QVBoxLayout) -> None:
        """Resolve conflicts on the left; cancel, close and sync on the right."""
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

    # ------------------------------------------------------------------ outbox
    def load_outbox(self) -> None:
        db = self.db

        def work(_s: TaskState) -> Outbox:
            return load_outbox(db.store())

        Task(work).on_success(self._show_outbox).on_failure(lambda exc: self.outbox_label.setText(
            message_for(exc))).start()

    def _show_outbox(self, o: Outbox) -> None:
        self.outbox_label.setText(outbox_text(o))
        if self.outcome is not None and self.task is None:  # conflicts resolved since the sync
            self.outcome.conflicted = o.conflicted
            self.result_label.setText(summary_html(self.outcome))
        text = rejections_text(o)
        self.rejections_label.setText(text)
        self.rejections_label.setVisible(bool(text))
        self.conflicts_button.setVisible(o.conflicts > 0)

    def _show_http_warning(self, text: str) -> None:
        self.http_label.setVisible(is_plain_http(text))

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

        allow_http = bool(self.settings.get("allow_plain_http"))

        def work(state: TaskState) -> SyncOutcome:
            return run_sync(db, server, user, password, state, allow_plain_http=allow_http)

        self.task = (Task(work, write=True).on_success(self._done).on_failure(self._failed)
                     .on_progress(self._progress).on_stage(self._stage).start())

    def _running(self, on: bool) -> None:
        for w in (self.server_edit, self.user_edit, self.password_edit, self.sync_button):
            w.setEnabled(not on)
        self.close_button.setEnabled(True)  # during a sync: stops it, then closes
        self.cancel_button.setVisible(on)
        self.cancel_button.setEnabled(on)
        self.stage_label.setVisible(on)
        self.progress.setVisible(on)
        self.stall_label.hide()
        if on:
            import time

            self._last_activity = time.monotonic()
            self.stall_timer.start()
            self.progress.setRange(0, 0)
            self.stage_label.setText(stage_text("login"))
            self.result_scroll.hide()
        else:
            self.stall_timer.stop()

    def _touch(self) -> None:
        import time

        self._last_activity = time.monotonic()
        if self.stall_label.isVisible():
            self.stall_label.hide()

    def _stage(self, text: str) -> None:
        self._touch()
        if self.task is not None and self.task.state.cancelled:
            return  # "Stopping..." stays until the sync has stopped
        self.stage_label.setText(text)

    def _check_stall(self) -> None:
        """Say so when nothing has come from the server for a few seconds (a stalled server or link)."""
        import time

        silent = int(time.monotonic() - self._last_activity)
        if self.task is not None and not self.task.finished and silent >= STALL_SECONDS:
            self.stall_label.setText(tr("Nothing has come from the server for {n} seconds. Waiting; you can "
                                        "cancel and sync again later.", n=silent))
            self.stall_label.show()

    def _progress(self, done: int, total: int) -> None:
        self._touch()
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:  # how much is due is not known (an older server): a moving bar, the count in words
            self.progress.setRange(0, 0)

    def _cancel(self) -> None:
        if self.task is not None and not self.task.finished:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.stage_label.setText(tr("Stopping... what has arrived is kept."))

    def _done(self, out: SyncOutcome) -> None:
        self.task = None
        self.outcome = out
        self._running(False)
        if self._close_when_stopped:
            self.synced.emit()
            super().reject()
            return
        self.password_edit.clear()
        self.result_label.setText(summary_html(out))
        self.result_scroll.show()
        self.hint.hide()  # said once; the summary needs the room
        self.sync_button.setText(tr("Sync again"))
        self.synced.emit()
        self.load_outbox()

    def _failed(self, exc: Exception) -> None:
        self.task = None
        self.error = exc
        self._running(False)
        if self._close_when_stopped:
            self.synced.emit()
            super().reject()
            return
        # a password typed again never lands after the one that failed (each wrong try makes the
        # server wait longer before the next): the field is empty and ready for it
        self.password_edit.clear()
        self.password_edit.setFocus()
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
        """Close (or Esc): during a sync, stop it first and close as soon as it has stopped."""
        if self.task is not None and not self.task.finished:
            self._close_when_stopped = True
            self._cancel()
            return
        super().reject()


def show_sync(parent: QWidget | None, db: Database, settings: Settings) -> SyncDialog:
    """Open the sync dialog (not modal: the window stays usable while it runs)."""
    dlg = SyncDialog(parent, db, settings)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    dlg.show()
    return dlg
