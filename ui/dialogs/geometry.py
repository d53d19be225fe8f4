"""Dialogs remember where they were and how big."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QWidget

from ui.settings import Settings


def restore(widget: QWidget, settings: Settings, name: str) -> bool:
    state = settings.state(f"geometry/{name}")
    if isinstance(state, (QByteArray, bytes)) and state:
        return bool(widget.restoreGeometry(QByteArray(state)))
    return False


def remember(widget: QWidget, settings: Settings, name: str) -> None:
    settings.set_state(f"geometry/{name}", widget.saveGeometry())
