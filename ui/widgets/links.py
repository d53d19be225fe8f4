"""Widgets that point elsewhere: references to other records, and photo attachments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import attachments, browse, schema, scoring
from fieldapp.errors import FieldAppError, NotFoundError
from fieldapp.forms import Field

from ..i18n import language, tr
from ..tasks import Task, TaskState
from .registry import EditorContext, FieldWidget

SEARCH_LIMIT = 40


def household_text(row: dict[str, Any], class_label: str) -> str:
    parts = [tr("House {no}", no=row.get("house_no") or "-"), str(row.get("head_name") or "")]
    if row.get(schema.VILLAGE_NO):
        parts.append(tr("Moo {no}", no=row[schema.VILLAGE_NO]))
    if row.get(schema.VILLAGE_NAME):
        parts.append(str(row[schema.VILLAGE_NAME]))
    text = " ".join(p for p in parts if p)
    return f"{text} · {class_label}" if class_label else text


WORKING_AGE = 15  # the youngest age a member can be linked as a worker without a warning


def member_text(m: dict[str, Any], relation_label: str) -> str:
    name = " ".join(str(m.get(k) or "") for k in ("first_name", "last_name")).strip() or tr("(no name)")
    bits = [b for b in (relation_label, tr("{age} yrs", age=m["age"]) if m.get("age") is not None else "") if b]
    return f"{name} ({', '.join(bits)})" if bits else name


def age_warning(m: dict[str, Any] | None) -> str:
    """A warning for a member under working age (a 9-year-old offered as a worker)."""
    age = (m or {}).get("age")
    if isinstance(age, (int, float)) and age < WORKING_AGE:
        return tr("This member is {age} years old: under working age ({limit}). Please check.",
                  age=int(age), limit=WORKING_AGE)
    return ""


class ReferenceWidget(FieldWidget):
    """A household, business or household member, picked by searching."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        self.target, _, self.repeat = (f.ref or "").partition(".")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("Type a name or house number to search"))
        self.search.setClearButtonEnabled(True)
        self.combo = QComboBox()
        self.combo.setMinimumWidth(360)
        self.combo.setMaxVisibleItems(15)
        self.status = QLabel()
        self.status.setObjectName("feedback")
        if self.repeat:
            self.search.hide()
        else:
            lay.addWidget(self.search)
        lay.addWidget(self.combo)
        lay.addWidget(self.status)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._run_search)
        self.search.textEdited.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._search_now)
        self.combo.currentIndexChanged.connect(self._picked)
        self._parent_id: str | None = None
        self._members: dict[str, dict[str, Any]] = {}
        self.combo.addItem(tr("(none)"), None)

    # ------------------------------------------------------------ search
    def _search_now(self) -> None:
        """Enter in the search box: search at once and take the first household found."""
        self._timer.stop()
        self._run_search()
        if self.combo.currentIndex() == 0 and self.combo.count() > 1:
            self.combo.setCurrentIndex(1)

    def _run_search(self) -> None:
        text = self.search.text().strip()
        store = self.ctx.db.main
        if self.target == "household":
            cols = self._household_columns()
        else:
            cols = None
        rows = store.list(self.target, search=text or None, limit=SEARCH_LIMIT, columns=cols)
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(tr("(none)") if not rows else tr("Choose from {n} found", n=len(rows)), None)
        for r in rows:
            self.combo.addItem(self._text(r), r["id"])
        i = self.combo.findData(current)
        self.combo.setCurrentIndex(i if i > 0 else 0)
        self.combo.blockSignals(False)
        if len(rows) == 1 and self.combo.currentIndex() != 1:
            self.combo.setCurrentIndex(1)  # one household found: chosen at once

    def _household_columns(self) -> list[str]:
        klass = scoring.class_field(self.ctx.db.main.form("household"))
        return ["house_no", "head_name", schema.VILLAGE_NO, schema.VILLAGE_NAME, klass]

    def _text(self, r: dict[str, Any]) -> str:
        form = self.ctx.db.main.form(self.target)
        if self.target == "household":
            code = browse.class_of(form, r)
            cls = form.fields[scoring.class_field(form)].choice_label(code, language()) if code else ""
            return household_text(r, cls)
        title = r.get(form.title_field) if form.title_field else None
        return str(title or r["id"])

    def _picked(self) -> None:
        self._show_status()
        self._emit()

    def _show_status(self) -> None:
        rid = self.combo.currentData()
        self.status.setText("")
        self.status.setProperty("state", "")
        if self.repeat and rid:
            warning = age_warning(self._members.get(rid))
            if warning:
                self.status.setText("⚠ " + warning)
                self.status.setProperty("state", "bad")
        if self.target == "household" and not self.repeat and rid:
            found = browse.household_classes(self.ctx.db.main, [rid]).get(rid)
            if browse.is_poor(found):
                hform = self.ctx.db.main.form("household")
                label = hform.fields[scoring.class_field(hform)].choice_label(found, language())
                self.status.setText(tr("Poor household: {cls}", cls=label))
                self.status.setProperty("state", "bad")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    # ------------------------------------------------------------ members of a household
    def update_context(self, data: dict[str, Any], row: dict[str, Any] | None) -> None:
        if not self.repeat:
            return
        source = row if row is not None and "household_id" in row else data
        hid = source.get("household_id") if source else None
        if hid == self._parent_id:
            return
        self._parent_id = hid
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(tr("(none)"), None)
        if hid:
            try:
                rec = self.ctx.db.main.get(self.target, hid)
            except (NotFoundError, FieldAppError):
                rec = None
            if rec is not None:
                rel = self.ctx.db.main.form(self.target).field_at(f"{self.repeat}.relation")
                self._members = {m["id"]: m for m in rec.data.get(self.repeat) or []}
                for m in rec.data.get(self.repeat) or []:
                    self.combo.addItem(
                        member_text(
                            m, rel.choice_label(m.get("relation"), language()) if m.get("relation") else ""
                        ),
                        m["id"],
                    )
        i = self.combo.findData(current)
        self.combo.setCurrentIndex(max(i, 0))
        self.combo.blockSignals(False)
        self._show_status()

    # ------------------------------------------------------------ contract
    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        with self.loading():
            if value and self.combo.findData(value) < 0 and not self.repeat:
                rows = browse.rows(
                    self.ctx.db.main,
                    self.target,
                    [str(value)],
                    self._household_columns() if self.target == "household" else None,
                )
                if rows:
                    self.combo.addItem(self._text(rows[0]), rows[0]["id"])
            if value and self.combo.findData(value) < 0 and self.repeat:
                self.combo.addItem(str(value), value)
            self.combo.setCurrentIndex(max(self.combo.findData(value), 0) if value else 0)
            self._show_status()

    def set_read_only(self, read_only: bool) -> None:
        self.search.setEnabled(not read_only)
        self.combo.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.combo if self.repeat else self.search


class PhotoWidget(FieldWidget):
    """A photo copied into the attachment store by content hash, with a thumbnail."""

    THUMB = 160

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.thumb = QLabel(tr("No photo"))
        self.thumb.setObjectName("thumb")
        self.thumb.setFixedSize(self.THUMB, int(self.THUMB * 0.75))
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pick = QPushButton(tr("Choose photo..."))
        self.pick.clicked.connect(self._choose)
        self.remove = QPushButton(tr("Remove photo"))
        self.remove.clicked.connect(self._remove_photo)
        lay.addWidget(self.thumb)
        lay.addWidget(self.pick)
        lay.addWidget(self.remove)
        lay.addStretch(1)
        self._sha: str | None = None
        self.remove.setEnabled(False)

    def _remove_photo(self) -> None:
        self.set_value(None)
        self._emit()

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Choose photo..."), str(Path.home()), tr("Images (*.jpg *.jpeg *.png *.heic *.webp)")
        )
        if path:
            self.attach(path)

    def attach(self, path: str | Path, wait: bool = False) -> None:
        """Copy the file into the attachment store (off the GUI thread) and show it."""
        db = self.ctx.db

        def work(_s: TaskState) -> str:
            return attachments.add(db.store(), path)

        def done(sha: str) -> None:
            self.set_value(sha)
            self._emit()

        Task(work, write=True).on_success(done).with_progress(tr("Copying photo..."), self).start()

    def value(self) -> Any:
        return self._sha

    def set_value(self, value: Any) -> None:
        self._sha = str(value) if value else None
        self.remove.setEnabled(self._sha is not None)
        if not self._sha:
            self.thumb.setPixmap(QPixmap())
            self.thumb.setText(tr("No photo"))
            return
        pix = QPixmap()
        try:  # read through the attachment store: photos are encrypted on an encrypted database
            pix.loadFromData(attachments.read_bytes(self.ctx.db.main, self._sha))
        except (OSError, FieldAppError):
            pass
        if pix.isNull():
            self.thumb.setText(tr("Photo not on this laptop"))
        else:
            self.thumb.setPixmap(
                pix.scaled(
                    self.thumb.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def set_read_only(self, read_only: bool) -> None:
        self.pick.setEnabled(not read_only)
        self.remove.setEnabled(not read_only and self._sha is not None)

    def focus_target(self) -> QWidget:
        return self.pick


class AttachmentWidget(FieldWidget):
    """A sound recording, a video or any file, copied into the attachment store by content hash
    (the same store and size limit as photos); shows the file's name and size."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name = QLabel(tr("No file"))
        self.name.setObjectName("hint")
        self.pick = QPushButton(tr("Choose file..."))
        self.pick.clicked.connect(self._choose)
        self.remove = QPushButton(tr("Remove file"))
        self.remove.clicked.connect(self._remove_file)
        lay.addWidget(self.name, 1)
        lay.addWidget(self.pick)
        lay.addWidget(self.remove)
        self._sha: str | None = None
        self.remove.setEnabled(False)

    def _remove_file(self) -> None:
        self.set_value(None)
        self._emit()

    def _choose(self) -> None:
        kinds = {
            "audio": tr("Sound recordings (*.mp3 *.m4a *.wav *.ogg *.aac *.amr *.3gp *.opus)"),
            "video": tr("Videos (*.mp4 *.mov *.3gp *.mkv *.webm *.avi)"),
        }.get(self.field.type)
        filters = f"{kinds};;{tr('All files (*)')}" if kinds else tr("All files (*)")
        path, _ = QFileDialog.getOpenFileName(self, tr("Choose file..."), str(Path.home()), filters)
        if path:
            self.attach(path)

    def attach(self, path: str | Path) -> None:
        """Copy the file into the attachment store (off the GUI thread) and show its name."""
        db = self.ctx.db

        def work(_s: TaskState) -> str:
            return attachments.add(db.store(), path)

        def done(sha: str) -> None:
            self.set_value(sha)
            self._emit()

        Task(work, write=True).on_success(done).with_progress(tr("Copying file..."), self).start()

    def value(self) -> Any:
        return self._sha

    def set_value(self, value: Any) -> None:
        self._sha = str(value) if value else None
        self.remove.setEnabled(self._sha is not None)
        if not self._sha:
            self.name.setText(tr("No file"))
            return
        name, size = attachments.describe(self.ctx.db.main, self._sha)
        if not attachments.exists(self.ctx.db.main, self._sha):
            self.name.setText(tr("File not on this laptop"))
        elif size is None:
            self.name.setText(name or self._sha[:12])
        else:
            self.name.setText(f"{name or self._sha[:12]} ({size / 1_000_000:.1f} MB)")

    def set_read_only(self, read_only: bool) -> None:
        self.pick.setEnabled(not read_only)
        self.remove.setEnabled(not read_only and self._sha is not None)

    def focus_target(self) -> QWidget:
        return self.pick
