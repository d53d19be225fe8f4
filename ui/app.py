"""The desktop app's entry point: read the command line, then start (``ui.startup``), take a
screenshot (``ui.screenshots``) or run the self-test (``ui.selftest``). The look is ``ui.theme``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from fieldapp import config
from fieldapp.errors import FieldAppError

from . import i18n, tasks
from .db import InstanceLock
from .errors import message_for
from .i18n import tr
from .screenshots import VIEWS, take_screenshot
from .settings import QSettingsStorage, Settings
from .startup import install_session, open_window, settle, setup_application, sign_in_if_encrypted


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="fieldapp", description="fieldapp desktop")
    p.add_argument("--db", type=Path, default=None, help="database file (default: the user's data folder)")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help="language: th (default) or en")
    p.add_argument("--screenshot", type=Path, default=None, help="render a view to this PNG and exit")
    p.add_argument("--view", choices=VIEWS, default="households", help="the view for --screenshot")
    p.add_argument("--size", default="1366x768", help="window size for --screenshot (WxH)")
    p.add_argument(
        "--quit-after-show",
        action="store_true",
        help="open the main window, print the start-up time and quit (for benchmarks)",
    )
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation on a temporary database (works headless) and exit",
    )
    return p.parse_args(list(argv))


def run(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from .selftest import run_self_test

        return run_self_test()
    screenshot = args.screenshot is not None
    settings = Settings({} if screenshot or args.quit_after_show else QSettingsStorage())
    app = setup_application([sys.argv[0]], args.lang, settings)
    db_path = config.database_path(args.db)
    lock = InstanceLock(db_path)
    if not lock.acquire():
        QMessageBox.critical(None, tr("fieldapp is already open"), InstanceLock.refusal_message(db_path))
        return 3
    try:
        go_on, user = (True, None) if screenshot else sign_in_if_encrypted(db_path, settings)
        if not go_on:
            return 0
        try:
            window, _db = open_window(db_path, settings, user)
        except FieldAppError as exc:
            from .dialogs.backups_dialog import offer_restore_at_start

            window = None
            if not screenshot and offer_restore_at_start(None, db_path, exc):
                try:
                    window, _db = open_window(db_path, settings, user)
                except FieldAppError as exc2:
                    exc = exc2
            if window is None:
                QMessageBox.critical(None, tr("Database problem"), message_for(exc))
                return 2
        from .mainwindow import MainWindow

        assert isinstance(window, MainWindow)
        if screenshot:
            return take_screenshot(window, args.view, args.screenshot, args.size)
        window.show()
        window.start()
        install_session(app, window, _db, db_path, settings, user)
        if args.quit_after_show:
            settle()
            if sys.stdout is not None:
                print(f"main window shown in {time.perf_counter() - started:.2f} s", flush=True)
            window.close()
            tasks.wait_all(10)
            return 0
        window.statusBar().showMessage(
            tr(
                "Ready in {seconds} s - database: {path}",
                seconds=f"{time.perf_counter() - started:.2f}",
                path=str(db_path),
            ),
            15000,
        )
        if window.offer_welcome_at_start() is None:  # a new leader's first start: the welcome
            window.offer_drafts_at_start()
        code = app.exec()
        tasks.wait_all(10)
        return int(code)
    finally:
        lock.release()
