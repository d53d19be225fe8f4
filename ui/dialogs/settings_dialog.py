"""The settings dialog, generated from the declared settings."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ..i18n import tr, tr_declared
from ..settings import REPORT_STYLE_TITLES, SETTINGS, Settings


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, settings: Settings) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(tr("Settings"))
        form = QFormLayout(self)
        self.editors: dict[str, QWidget] = {}
        for s in SETTINGS:
            if not s.shown:
                continue
            value = settings.get(s.key)
            w: QWidget
            if s.key == "language":
                combo = QComboBox()
                combo.addItem("ไทย", "th")
                combo.addItem("English", "en")
                combo.setCurrentIndex(max(combo.findData(value), 0))
                w = combo
            elif s.key == "report_style":
                combo = QComboBox()
                for style, title in REPORT_STYLE_TITLES.items():
                    combo.addItem(tr_declared(title), style)
                combo.setCurrentIndex(max(combo.findData(value), 0))
                w = combo
            elif s.type is str:
                edit = QLineEdit(str(value))
                edit.setMaxLength(200)
                w = edit
            elif s.type is bool:
                box = QCheckBox()
                box.setChecked(bool(value))
                w = box
            else:
                spin = QSpinBox()
                spin.setRange(s.minimum or 0, s.maximum or 1000)
                spin.setValue(int(value))
                w = spin
            self.editors[s.key] = w
            form.addRow(s.label(), w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, w in self.editors.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentData()
            elif isinstance(w, QCheckBox):
                out[key] = w.isChecked()
            elif isinstance(w, QSpinBox):
                out[key] = w.value()
            elif isinstance(w, QLineEdit):
                out[key] = " ".join(w.text().split())
        return out


def show_settings(parent: QWidget | None, settings: Settings) -> dict[str, Any] | None:
    """Show the dialog; store and return what changed (None when cancelled)."""
    dlg = SettingsDialog(parent, settings)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    changed = {k: v for k, v in dlg.values().items() if settings.get(k) != v}
    for k, v in changed.items():
        settings.set(k, v)
    return changed
