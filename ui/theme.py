"""The look of the app: the bundled Sarabun font, its size, and the style sheet."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from fieldapp import resources

from .settings import Settings

FONT_FAMILY = "Sarabun"

STYLE = """
QWidget { color: #1d1d1b; }
QMainWindow, QDialog { background: #f7f5f0; }
QLabel#heading { font-size: %(big)dpt; font-weight: bold; color: #1f4e45; padding: 4px 0; }
QLabel#question { font-weight: bold; }
QLabel#hint { color: #5d5a55; }
QFrame#group { border: none; border-left: 3px solid #7fae9f; background: rgba(31, 111, 92, 10); margin: 4px 0; }
QFrame#group[depth="2"] { border-left-color: #a9c9bd; }
QFrame#group[depth="3"] { border-left-color: #cfe1da; }
QLabel#groupTitle { font-size: %(big)dpt; font-weight: bold; color: #1f4e45; padding: 2px 0; background: transparent; }
QLabel#note { background: #fffbe8; border: 1px solid #e5d9a8; padding: 10px; }
QLabel#banner { background: #eef4ff; border: 1px solid #a9c2ee; padding: 8px; }
QLabel#calculated { color: #1f4e45; font-weight: bold; padding: 4px 0; }
QLabel#problem[state="bad"], QLabel#feedback[state="bad"], QLabel#classline[state="bad"] { color: #b3261e; }
QLabel#problem[state="warn"] { color: #9a5b00; }
QLabel#feedback[state="ok"] { color: #1e7b3a; }
QLabel#classline { font-size: %(big)dpt; font-weight: bold; }
QFrame#practice { background: #ffe6bf; border: 2px solid #d9822b; border-radius: 4px; }
QLabel#practice_mark { background: #b85c00; color: white; font-weight: bold; padding: 2px 10px; border-radius: 3px; }
QLabel#thumb { border: 1px dashed #a8a49c; color: #77736c; }
QLineEdit, QPlainTextEdit, QComboBox, QDateEdit, QSpinBox {
    background: white; border: 1px solid #a8a49c; border-radius: 4px; padding: 4px 6px; min-height: 1.6em; }
QLineEdit:focus, QPlainTextEdit:focus, QComboBox:focus, QDateEdit:focus { border: 2px solid #1f6f5c; }
QDateEdit::up-button, QSpinBox::up-button { subcontrol-origin: padding; subcontrol-position: top right;
    width: 1.1em; border-left: 1px solid #d6d1c6; background: #f4f2ec; border-top-right-radius: 3px; }
QDateEdit::down-button, QSpinBox::down-button { subcontrol-origin: padding; subcontrol-position: bottom right;
    width: 1.1em; border-left: 1px solid #d6d1c6; background: #f4f2ec; border-bottom-right-radius: 3px; }
QDateEdit::up-button:hover, QSpinBox::up-button:hover, QDateEdit::down-button:hover, QSpinBox::down-button:hover {
    background: #dcd6c9; }
QDateEdit::up-arrow, QSpinBox::up-arrow { width: 0.55em; height: 0.55em;
    image: url(:/qt-project.org/styles/commonstyle/images/arrow-up-16.png); }
QDateEdit::down-arrow, QSpinBox::down-arrow { width: 0.55em; height: 0.55em;
    image: url(:/qt-project.org/styles/commonstyle/images/arrow-down-16.png); }
QDateEdit::up-arrow:disabled, QSpinBox::up-arrow:disabled, QDateEdit::down-arrow:disabled,
    QSpinBox::down-arrow:disabled { image: none; }
QLineEdit[problem="true"], QDateEdit[problem="true"], QComboBox[problem="true"] { border: 2px solid #b3261e; }
QPushButton { padding: 6px 14px; border: 1px solid #8f8a80; border-radius: 5px; background: #ffffff; }
QPushButton:hover { background: #eef3f1; }
QPushButton#choice { text-align: left; padding: 4px; background: white; border: 1px solid #a8a49c; }
QPushButton#choice:hover { background: #eef3f1; }
QPushButton#choice:focus { border: 2px solid #1f6f5c; background: #eef3f1; }
QPushButton#primary { background: #1f6f5c; color: white; border-color: #1f6f5c; font-weight: bold; }
QPushButton:disabled { color: #a09c94; background: #ebe8e1; border: 1px dashed #c4bfb5; }
QPushButton#primary:disabled { background: #d5d1c8; color: #f4f2ee; border: 1px dashed #b9b4aa; font-weight: normal; }
QToolButton:disabled { color: #a09c94; }
QRadioButton:disabled, QCheckBox:disabled, QLabel:disabled { color: #a09c94; }
QLineEdit:disabled, QComboBox:disabled, QDateEdit:disabled, QSpinBox:disabled { background: #ebe8e1; color: #8c887f; }
QToolBar { spacing: 6px; padding: 4px; background: #ece8df; border: none; }
QToolButton { padding: 6px 12px; border-radius: 5px; }
QToolButton:hover { background: #dcd6c9; }
QListWidget#sections::item { padding: 8px 6px; }
QListWidget#rank::item { padding: 5px 4px; }
QListWidget#sections::item:selected { background: #1f6f5c; color: white; }
QTableView { background: white; alternate-background-color: #f4f2ec; gridline-color: #e2ded5;
    selection-background-color: #1f6f5c; selection-color: white; }
QHeaderView::section { background: #ece8df; padding: 6px; border: none; border-right: 1px solid #d6d1c6;
    font-weight: bold; }
QTabBar::tab { padding: 8px 18px; }
QTabBar::tab:selected { font-weight: bold; }
"""


def load_fonts() -> list[str]:
    families: list[str] = []
    for path in sorted(resources.fonts_dir().glob("*.ttf")):
        fid = QFontDatabase.addApplicationFont(str(path))
        if fid >= 0:
            families += QFontDatabase.applicationFontFamilies(fid)
    return sorted(set(families))


MIN_POINTS, MAX_POINTS = 10, 28


def system_point_size() -> int:
    """The desktop's text size (read once, before the app sets its own font), never below 10 pt."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return 12
    found = getattr(app, "_fieldapp_system_points", None)
    if found is None:
        found = app.font().pointSize()
        app._fieldapp_system_points = found  # type: ignore[attr-defined]
    return max(MIN_POINTS, int(found) if int(found) > 0 else 12)


def effective_font_size(setting: int) -> int:
    """The size used for a ``font_size`` setting: 0 follows the desktop's setting."""
    return system_point_size() if setting <= 0 else max(MIN_POINTS, min(MAX_POINTS, setting))


def zoom(settings: Settings, step: int) -> int:
    """Ctrl+= / Ctrl+- (step +1 / -1) change the text size, Ctrl+0 (step 0) follows the desktop again;
    the choice is kept. Returns the size now used."""
    current = effective_font_size(int(settings.get("font_size")))
    chosen = 0 if step == 0 else max(MIN_POINTS, min(MAX_POINTS, current + step))
    settings.set("font_size", chosen)
    apply_font(chosen)
    return effective_font_size(chosen)


def apply_font(size: int) -> None:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    size = effective_font_size(size)
    font = QFont(FONT_FAMILY)
    font.setPointSize(size)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyleSheet(STYLE % {"big": size + 3})
