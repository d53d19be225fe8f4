"""``fieldapp --self-test`` of the desktop executable: the core self-test (``fieldapp.selftest``)
plus the Qt steps: the platform plugin starts, Sarabun is loaded, Qt's own strings are in Thai,
the main window opens on the temporary database and lists its households, and the report preview
draws the household PDF.

Works headless (``QT_QPA_PLATFORM=offscreen``). In a windowed executable without a console
(Windows) the result is also shown in a message box.
"""

from __future__ import annotations

import io
import os
import sys
import time

from PySide6.QtCore import QCoreApplication, qVersion
from PySide6.QtGui import QFontDatabase, QFontInfo, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from fieldapp.selftest import Context, SelfTestError, Step
from fieldapp.selftest import run as run_core

from . import tasks
from .settings import Settings


def _settings() -> Settings:
    return Settings({})  # never the user's own settings


def check_qt(ctx: Context) -> str:
    from .startup import setup_application

    app = setup_application([sys.argv[0] if sys.argv else "fieldapp"], "th", _settings())
    ctx.notes["app"] = app
    return f"Qt {qVersion()}, platform plugin {QGuiApplication.platformName()}"


def _need_app(ctx: Context) -> QApplication:
    app = ctx.notes.get("app")
    if not isinstance(app, QApplication):
        raise SelfTestError("skipped: Qt did not start")
    return app


def check_font(ctx: Context) -> str:
    from .theme import FONT_FAMILY

    app = _need_app(ctx)
    families = QFontDatabase.families()
    if FONT_FAMILY not in families:
        raise SelfTestError(f"{FONT_FAMILY} not loaded from the bundled fonts")
    used = QFontInfo(app.font()).family()
    if used != FONT_FAMILY:
        raise SelfTestError(f"the window font is {used!r}, not {FONT_FAMILY}")
    return f"{used}, {app.font().pointSize()} pt"


def check_translations(ctx: Context) -> str:
    from .i18n import tr

    _need_app(ctx)
    cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")
    if cancel != "ยกเลิก":
        raise SelfTestError(f"Qt's Cancel is {cancel!r} (translations/qt_th.qm not loaded)")
    title = tr("Households")
    if title == "Households":
        raise SelfTestError("the Thai catalogue (translations/th.json) is not in use")
    return f"Cancel = {cancel}, Households = {title}"


def check_window(ctx: Context) -> str:
    from .mainwindow import MainWindow
    from .startup import open_window, settle

    _need_app(ctx)
    store = ctx.need_store()
    expected = store.count("household")
    t0 = time.perf_counter()
    window, db = open_window(ctx.db_path, _settings())
    assert isinstance(window, MainWindow)
    try:
        window.resize(1200, 800)
        window.show()
        window.start()
        settle()
        shown = time.perf_counter() - t0
        rows = window.pages["household"].model.rowCount()
        if rows != expected:
            raise SelfTestError(f"the household list shows {rows} rows, the database has {expected}")
        image = window.grab().toImage()
        if image.isNull():
            raise SelfTestError("the window could not be drawn")
    finally:
        window.close()
        tasks.wait_all(10)
        db.close()
    return f"{rows} households listed, shown in {shown:.2f} s"


def check_preview(ctx: Context) -> str:
    from .dialogs.report_preview import rasterise

    _need_app(ctx)
    pdf = ctx.folder / "household.pdf"
    if not pdf.is_file():
        raise SelfTestError("skipped: no household PDF")
    pages = rasterise(pdf.read_bytes(), 40, 0, 1)
    if not pages or pages[0].isNull():
        raise SelfTestError("the first page of the household PDF could not be drawn")
    return f"page 1 drawn at {pages[0].width()}×{pages[0].height()} px (pdfium)"


QT_STEPS: tuple[Step, ...] = (
    Step("Qt start", check_qt),
    Step("Sarabun font in Qt", check_font),
    Step("Thai translations", check_translations),
    Step("main window", check_window),
    Step("report preview", check_preview),
)


def run_self_test(verbose: bool = False) -> int:
    """The core and Qt steps; prints to standard output, or shows a message box without a console."""
    console = sys.stdout is not None
    out = sys.stdout if console else io.StringIO()
    code = run_core(out, extra=QT_STEPS, verbose=verbose)
    if not console and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        assert isinstance(out, io.StringIO)
        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "fieldapp"])
        box = QMessageBox.information if code == 0 else QMessageBox.critical
        box(None, "fieldapp self-test", out.getvalue())
        del app
    return code
