"""Widgets for the plain question types (one class per type, registered by type)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import expr, geo, thai
from fieldapp.errors import FieldAppError, NotFoundError, ValidationError
from fieldapp.forms import Field

from .. import fmt
from ..errors import message_for
from ..i18n import label_of, language, tr
from .registry import EditorContext, FieldWidget
from .thaidate_edit import BuddhistDateEdit

RADIO_LIMIT = 4


def _row(parent: QWidget) -> QHBoxLayout:
    lay = QHBoxLayout(parent)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(8)
    return lay


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class TextWidget(FieldWidget):
    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        limit = f.max_length or (5000 if f.multiline else 500)
        if f.multiline:
            self.edit: QLineEdit | QPlainTextEdit = QPlainTextEdit()
            self.edit.setTabChangesFocus(True)
            self.edit.setFixedHeight(96)
            self.edit.textChanged.connect(self._emit)
        else:
            line = QLineEdit()
            line.setMaxLength(limit)
            line.textEdited.connect(self._emit)
            self.edit = line
        lay.addWidget(self.edit)

    def value(self) -> Any:
        text = self.edit.toPlainText() if isinstance(self.edit, QPlainTextEdit) else self.edit.text()
        return text if text.strip() else None

    def set_value(self, value: Any) -> None:
        with self.loading():
            if isinstance(self.edit, QPlainTextEdit):
                self.edit.setPlainText(_text(value))
            else:
                self.edit.setText(_text(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class _NumberWidget(FieldWidget):
    suffix = ""
    decimals = 2

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.edit = QLineEdit()
        self.edit.setMaximumWidth(220)
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.edit.textEdited.connect(self._emit)
        lay.addWidget(self.edit)
        if self.suffix:
            lay.addWidget(QLabel(self.suffix))
        lay.addStretch(1)

    def value(self) -> Any:
        text = self.edit.text().strip()
        return text or None

    def set_value(self, value: Any) -> None:
        with self.loading():
            if value is None or value == "":
                self.edit.setText("")
            elif isinstance(value, float) and not value.is_integer():
                self.edit.setText(f"{value:.{self.decimals}f}")
            elif isinstance(value, (int, float)):
                self.edit.setText(str(int(value)))
            else:
                self.edit.setText(str(value))

    def local_problem(self) -> str | None:
        text = thai.normalize_digits(self.edit.text()).replace(",", "").strip()
        if not text:
            return None
        try:
            float(text)
        except ValueError:
            return tr("Please type a number")
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class IntegerWidget(_NumberWidget):
    decimals = 0


class DecimalWidget(_NumberWidget):
    pass


class MoneyWidget(_NumberWidget):
    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        self.suffix = tr("baht")
        super().__init__(f, ctx, parent)


class DateWidget(FieldWidget):
    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.edit = BuddhistDateEdit()
        self.edit.setMinimumWidth(170)
        self.edit.dateChanged.connect(self._date_changed)
        self.shown = QLabel()
        self.shown.setObjectName("hint")
        lay.addWidget(self.edit)
        lay.addWidget(self.shown)
        lay.addStretch(1)

    def _date_changed(self) -> None:
        self.shown.setText(fmt.date(self.edit.iso(), "long"))
        self._emit()

    def value(self) -> Any:
        return self.edit.iso()

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.edit.set_iso(value)
            self.shown.setText(fmt.date(self.edit.iso(), "long"))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class BooleanWidget(FieldWidget):
    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.yes = QRadioButton(tr("Yes"))
        self.no = QRadioButton(tr("No"))
        self.group = QButtonGroup(self)
        self.group.addButton(self.yes)
        self.group.addButton(self.no)
        self.group.buttonClicked.connect(lambda _b: self._emit())
        lay.addWidget(self.yes)
        lay.addWidget(self.no)
        lay.addStretch(1)

    def value(self) -> Any:
        if self.yes.isChecked():
            return True
        if self.no.isChecked():
            return False
        return None

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.group.setExclusive(False)
            self.yes.setChecked(value is True or value == 1)
            self.no.setChecked(
                value is False or (value == 0 and value is not None and not isinstance(value, str))
            )
            self.group.setExclusive(True)

    def set_read_only(self, read_only: bool) -> None:
        self.yes.setEnabled(not read_only)
        self.no.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.yes


class AcknowledgeWidget(FieldWidget):
    """One box to tick ("OK"): an acknowledgement is given or not there, never "no"."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.box = QCheckBox(tr("OK, acknowledged"))
        self.box.toggled.connect(lambda _on: self._emit())
        lay.addWidget(self.box)
        lay.addStretch(1)

    def value(self) -> Any:
        return True if self.box.isChecked() else None

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.box.setChecked(value is True)

    def set_read_only(self, read_only: bool) -> None:
        self.box.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.box


class SelectOneWidget(FieldWidget):
    """Radio buttons for a few choices, otherwise a drop-down list that finds as you type."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        self.radios: dict[str, QRadioButton] = {}
        self.combo: QComboBox | None = None
        use_radios = len(f.choices) <= RADIO_LIMIT and f.appearance != "minimal"
        if use_radios:
            long_labels = sum(len(c.label(language())) for c in f.choices) > 48
            lay = QVBoxLayout(self) if long_labels else _row(self)
            lay.setContentsMargins(0, 0, 0, 0)
            self.group = QButtonGroup(self)
            for c in f.choices:
                rb = QRadioButton(c.label(language()))
                self.group.addButton(rb)
                self.radios[c.code] = rb
                lay.addWidget(rb)
            self.group.buttonClicked.connect(lambda _b: self._emit())
            lay.addStretch(1)
        else:
            lay = _row(self)
            combo = QComboBox()
            combo.addItem("", None)
            for c in f.choices:
                combo.addItem(c.label(language()), c.code)
            combo.setMinimumWidth(320)
            combo.setMaxVisibleItems(15)
            combo.currentIndexChanged.connect(lambda _i: self._emit())
            lay.addWidget(combo)
            lay.addStretch(1)
            self.combo = combo

    def value(self) -> Any:
        if self.combo is not None:
            return self.combo.currentData()
        for code, rb in self.radios.items():
            if rb.isChecked():
                return code
        return None

    def set_value(self, value: Any) -> None:
        with self.loading():
            if self.combo is not None:
                i = self.combo.findData(value) if value is not None else 0
                self.combo.setCurrentIndex(max(i, 0))
            else:
                self.group.setExclusive(False)
                for code, rb in self.radios.items():
                    rb.setChecked(code == value)
                self.group.setExclusive(True)

    def set_read_only(self, read_only: bool) -> None:
        if self.combo is not None:
            self.combo.setEnabled(not read_only)
        for rb in self.radios.values():
            rb.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        if self.combo is not None:
            return self.combo
        return next(iter(self.radios.values()), self)

    def update_context(self, data: dict[str, Any], row: dict[str, Any] | None) -> None:
        """Offer only the choices the question's choice_filter allows for the answers so far."""
        if self.field.choice_filter is None:
            return
        allowed = self.ctx.form.allowed_codes(self.field, data, row)
        for code, rb in self.radios.items():
            rb.setVisible(allowed is None or code in allowed)
        if self.combo is not None:
            current = self.combo.currentData()
            shown = [c for c in self.field.choices if allowed is None or c.code in allowed]
            if [self.combo.itemData(i) for i in range(1, self.combo.count())] == [c.code for c in shown]:
                return
            with self.loading():
                self.combo.clear()
                self.combo.addItem("", None)
                for c in shown:
                    self.combo.addItem(c.label(language()), c.code)
                i = self.combo.findData(current) if current is not None else 0
                self.combo.setCurrentIndex(max(i, 0))


class SelectMultipleWidget(FieldWidget):
    COLUMNS = 2

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(24)
        self.boxes: dict[str, QCheckBox] = {}
        for i, c in enumerate(f.choices):
            cb = QCheckBox(c.label(language()))
            cb.toggled.connect(lambda _on: self._emit())
            self.boxes[c.code] = cb
            grid.addWidget(cb, i // self.COLUMNS, i % self.COLUMNS)
        grid.setColumnStretch(self.COLUMNS, 1)

    def value(self) -> Any:
        codes = [code for code, cb in self.boxes.items() if cb.isChecked()]
        return codes or None

    def set_value(self, value: Any) -> None:
        with self.loading():
            chosen = set(value or [])
            for code, cb in self.boxes.items():
                cb.setChecked(code in chosen)

    def set_read_only(self, read_only: bool) -> None:
        for cb in self.boxes.values():
            cb.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return next(iter(self.boxes.values()), self)

    def update_context(self, data: dict[str, Any], row: dict[str, Any] | None) -> None:
        """Offer only the choices the question's choice_filter allows for the answers so far."""
        if self.field.choice_filter is None:
            return
        allowed = self.ctx.form.allowed_codes(self.field, data, row)
        for code, cb in self.boxes.items():
            cb.setVisible(allowed is None or code in allowed)


class _FocusWatcher(QObject):
    def __init__(self, owner: NationalIdWidget) -> None:
        super().__init__(owner)
        self.owner = owner

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn:
            self.owner.show_full()
        elif event.type() == QEvent.Type.FocusOut:
            self.owner.show_masked()
        return False


def national_id_feedback(text: str) -> tuple[str, bool | None]:
    """(message, ok) for a national ID being typed: None while incomplete, True/False when 13 digits."""
    digits = "".join(ch for ch in thai.normalize_digits(text) if ch.isdigit())
    others = [ch for ch in thai.normalize_digits(text) if not (ch.isdigit() or ch in " -.")]
    if others:
        return tr("Digits only, please"), False
    if not digits:
        return "", None
    if len(digits) < 13:
        return tr("{n} of 13 digits", n=len(digits)), None
    if len(digits) > 13:
        return tr("Too many digits: {n} (13 needed)", n=len(digits)), False
    if thai.national_id_check_digit(digits[:12]) != int(digits[12]):
        try:  # the same words as the form's check, so one wrong ID gives one message
            thai.parse_national_id(digits)
        except ValidationError as exc:
            return message_for(exc), False
    return tr("Check digit correct"), True


class NationalIdWidget(FieldWidget):
    """13 digits, shown as 1-2345-67890-12-3 while editing and masked otherwise."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.edit = QLineEdit()
        self.edit.setMaxLength(20)
        self.edit.setMinimumWidth(230)
        self.edit.setMaximumWidth(260)
        self.edit.setPlaceholderText("x-xxxx-xxxxx-xx-x")
        self.edit.textEdited.connect(self._typed)
        self.edit.installEventFilter(_FocusWatcher(self))
        self.feedback = QLabel()
        self.feedback.setObjectName("feedback")
        lay.addWidget(self.edit)
        lay.addWidget(self.feedback)
        lay.addStretch(1)
        self._digits = ""
        self._typed_text = ""

    def _typed(self, text: str) -> None:
        self._typed_text = text
        self._digits = "".join(ch for ch in thai.normalize_digits(text) if ch.isdigit())
        self._show_feedback()
        self._emit()

    def _show_feedback(self) -> None:
        msg, ok = national_id_feedback(self._typed_text)
        # a problem is told once, in the problem line under the question (local_problem); beside the
        # field only the count of digits and "check digit correct"
        self.feedback.setText("" if ok is False else ("✓ " if ok else "") + msg)
        self.feedback.setProperty("state", "ok" if ok else "bad" if ok is False else "")
        self.feedback.style().unpolish(self.feedback)
        self.feedback.style().polish(self.feedback)

    def show_full(self) -> None:
        if len(self._digits) == 13 and self.edit.text() != self._typed_text:
            self.edit.setText(thai.format_national_id(self._digits))
            self._typed_text = self.edit.text()

    def show_masked(self) -> None:
        if self.ctx.unmask or len(self._digits) != 13 or not thai.is_valid_national_id(self._digits):
            return
        self.edit.setText(thai.mask_national_id(self._digits))

    def value(self) -> Any:
        if not self._typed_text.strip():
            return None
        return self._digits if len(self._digits) == 13 else self._typed_text

    def set_value(self, value: Any) -> None:
        with self.loading():
            self._digits = "".join(ch for ch in str(value or "") if ch.isdigit())
            self._typed_text = (
                thai.format_national_id(self._digits) if len(self._digits) == 13 else str(value or "")
            )
            self.edit.setText(self._typed_text)
            self._show_feedback()
            if not self.edit.hasFocus():
                self.show_masked()

    def local_problem(self) -> str | None:
        msg, ok = national_id_feedback(self._typed_text)
        return msg if ok is False else None

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class PhoneWidget(FieldWidget):
    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.edit = QLineEdit()
        self.edit.setMaximumWidth(220)
        self.edit.setPlaceholderText("08x-xxx-xxxx")
        self.edit.textEdited.connect(self._emit)
        self.edit.editingFinished.connect(self._tidy)
        lay.addWidget(self.edit)
        lay.addStretch(1)

    def _tidy(self) -> None:
        try:
            self.edit.setText(thai.format_phone(thai.parse_phone(self.edit.text())))
        except FieldAppError:
            pass

    def value(self) -> Any:
        return self.edit.text().strip() or None

    def set_value(self, value: Any) -> None:
        with self.loading():
            self.edit.setText(fmt.phone(value))

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class GeopointWidget(FieldWidget):
    """Latitude and longitude typed in; Thailand's range is checked while typing."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.lat = QLineEdit()
        self.lon = QLineEdit()
        # the placeholders say what to type; numbers there looked like coordinates already recorded
        for label, edit, hint in (
            (tr("Latitude"), self.lat, tr("e.g. 14.88 (5 to 21)")),
            (tr("Longitude"), self.lon, tr("e.g. 103.49 (97 to 106)")),
        ):
            edit.setMaximumWidth(230)
            edit.setPlaceholderText(hint)
            edit.textEdited.connect(self._emit)
            lay.addWidget(QLabel(label))
            lay.addWidget(edit)
        lay.addStretch(1)

    def _numbers(self) -> tuple[float | None, float | None]:
        def num(text: str) -> float | None:
            t = thai.normalize_digits(text).strip()
            try:
                return float(t) if t else None
            except ValueError:
                return float("nan")

        return num(self.lat.text()), num(self.lon.text())

    def value(self) -> Any:
        la, lo = self.lat.text().strip(), self.lon.text().strip()
        if not la and not lo:
            return None
        return f"{la} {lo}".strip() if not (la and lo) else {"lat": la, "lon": lo}

    def set_value(self, value: Any) -> None:
        with self.loading():
            if isinstance(value, dict):
                self.lat.setText(_text(value.get("lat")))
                self.lon.setText(_text(value.get("lon")))
            else:
                self.lat.setText("")
                self.lon.setText("")

    def local_problem(self) -> str | None:
        la, lo = self._numbers()
        if la is None and lo is None:
            return None
        if la is None or lo is None:
            return tr("Please type both latitude and longitude")
        if la != la or lo != lo:
            return tr("Please type a number")
        if not (5.0 <= la <= 21.0):
            return tr("Latitude in Thailand is between 5 and 21")
        if not (97.0 <= lo <= 106.0):
            return tr("Longitude in Thailand is between 97 and 106")
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.lat.setReadOnly(read_only)
        self.lon.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.lat


_ALL_SUBDISTRICTS: dict[str, list[tuple[str, str]]] = {}


def all_subdistricts(lang: str) -> list[tuple[str, str]]:
    """(``subdistrict · district · province``, code) for every subdistrict, sorted by name."""
    found = _ALL_SUBDISTRICTS.get(lang)
    if found is None:
        found = []
        for p in geo.provinces():
            for d in geo.districts(p.code):
                for sd in geo.subdistricts(d.code):
                    found.append((f"{sd.label(lang)} · {d.label(lang)} · {p.label(lang)}", sd.code))
        found.sort()
        _ALL_SUBDISTRICTS[lang] = found
    return found


def _searchable(combo: QComboBox) -> None:
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = combo.completer()
    if completer is not None:
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)


class SubdistrictWidget(FieldWidget):
    """Province → district → subdistrict, each list searchable by typing part of a name."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.province = QComboBox()
        self.district = QComboBox()
        self.subdistrict = QComboBox()
        for label, combo in (
            (tr("Province"), self.province),
            (tr("District"), self.district),
            (tr("Subdistrict"), self.subdistrict),
        ):
            _searchable(combo)
            combo.setMinimumWidth(180)
            lay.addWidget(QLabel(label))
            lay.addWidget(combo, 1)
        self.province.addItem("", None)
        for p in sorted(geo.provinces(), key=lambda a: a.label(language())):
            self.province.addItem(p.label(language()), p.code)
        self.province.currentIndexChanged.connect(self._province_changed)
        self.district.currentIndexChanged.connect(self._district_changed)
        self.subdistrict.currentIndexChanged.connect(self._subdistrict_changed)
        self.subdistrict.setToolTip(
            tr("Type part of the subdistrict's name: district and province are filled in")
        )
        self._fill_subdistricts(None, None)

    def _fill(self, combo: QComboBox, areas: list[geo.Area]) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("", None)
        for a in sorted(areas, key=lambda a: a.label(language())):
            combo.addItem(a.label(language()), a.code)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)

    def _fill_subdistricts(self, province: str | None, district: str | None) -> None:
        """The district's subdistricts; before a district is chosen, every subdistrict (of the chosen
        province, or of the country) with its district and province, so that one can start there."""
        if district:
            self._fill(self.subdistrict, geo.subdistricts(district))
            return
        combo = self.subdistrict
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("", None)
        for text, code in all_subdistricts(language()):
            if province is None or code.startswith(province):
                combo.addItem(text, code)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)

    def _province_changed(self) -> None:
        code = self.province.currentData()
        self._fill(self.district, geo.districts(code) if code else [])
        self._fill_subdistricts(code, None)
        self._emit()

    def _district_changed(self) -> None:
        code = self.district.currentData()
        self._fill_subdistricts(self.province.currentData(), code)
        self._emit()

    def _subdistrict_changed(self) -> None:
        code = self.subdistrict.currentData()
        if code and self.district.currentData() != code[:4]:
            # chosen from the whole list: fill in the district and the province
            self.set_value(code)
            self.subdistrict.setFocus()
            # the completer writes its long line ("name · district · province") after this: the
            # box shows the subdistrict's own name once it is done
            QTimer.singleShot(0, self.subdistrict, lambda: self.subdistrict.setEditText(self.subdistrict.currentText()))
        self._emit()

    def value(self) -> Any:
        return self.subdistrict.currentData()

    def set_value(self, value: Any) -> None:
        with self.loading():
            for combo in (self.province, self.district, self.subdistrict):
                combo.blockSignals(True)
            try:
                chain = geo.parents(str(value)) if value else []
            except NotFoundError:
                chain = []
            if len(chain) == 3:
                p, d, s = chain
                self.province.setCurrentIndex(max(self.province.findData(p.code), 0))
                self._fill(self.district, geo.districts(p.code))
                self.district.setCurrentIndex(max(self.district.findData(d.code), 0))
                self._fill(self.subdistrict, geo.subdistricts(d.code))
                self.subdistrict.setCurrentIndex(max(self.subdistrict.findData(s.code), 0))
            else:
                self.province.setCurrentIndex(0)
                self._fill(self.district, [])
                self._fill_subdistricts(None, None)
            for combo in (self.province, self.district, self.subdistrict):
                combo.blockSignals(False)

    def set_read_only(self, read_only: bool) -> None:
        for combo in (self.province, self.district, self.subdistrict):
            combo.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.province


class NoteWidget(FieldWidget):
    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.text = QLabel(label_of(f.label, f.id))
        self.text.setWordWrap(True)
        self.text.setObjectName("note")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.text)

    def set_text(self, text: str) -> None:
        """The note's text with the answers it names filled in."""
        self.text.setText(text)

    def value(self) -> Any:
        return None

    def set_value(self, value: Any) -> None:
        return None


class CalculatedWidget(FieldWidget):
    """Read-only; the editor puts the live result in with ``set_value``."""

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(f, ctx, parent)
        lay = _row(self)
        self.label = QLabel("—")
        self.label.setObjectName("calculated")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.label)
        lay.addStretch(1)
        self._value: Any = None

    def value(self) -> Any:
        return None  # never typed: the form engine computes it

    def set_value(self, value: Any) -> None:
        self._value = value
        shown = fmt.field_value(self.field, value, self.ctx.unmask) if not expr.is_empty(value) else ""
        self.label.setText(shown or "—")

    def current(self) -> Any:
        return self._value
