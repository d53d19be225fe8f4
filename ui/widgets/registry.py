"""The one contract of every question widget, and what a widget may know (``EditorContext``).

Every question widget has ``value()`` (raw input for ``Form.validate``), ``set_value(stored)``,
``clear()``, ``set_read_only(flag)``, a ``value_changed`` signal, ``local_problem()`` (what is
wrong while typing, before the form checks it) and ``update_context(data, row)`` for widgets that
depend on other answers. Which class shows which question type is the table in
``ui.widgets.table``: a new question type is one class, one line there and one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from fieldapp.forms import Field, Form

from ..db import Database


@dataclass
class EditorContext:
    """What a widget may need besides its field: the database, the form, display choices."""

    db: Database
    form: Form
    record_id: str | None = None
    unmask: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FieldWidget(QWidget):
    value_changed = Signal()

    def __init__(self, f: Field, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = f
        self.ctx = ctx
        self._loading = False

    # -- the contract
    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value(None)

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)

    def local_problem(self) -> str | None:
        return None

    def update_context(self, data: dict[str, Any], row: dict[str, Any] | None) -> None:
        return None

    def focus_target(self) -> QWidget:
        return self

    # -- helpers
    @contextmanager
    def loading(self) -> Iterator[None]:
        """Show a stored value without announcing it as the person's edit (``value_changed`` stays
        quiet inside the block), and speak again afterwards even when setting the value failed."""
        was = self._loading
        self._loading = True
        try:
            yield
        finally:
            self._loading = was

    def _emit(self) -> None:
        if not self._loading:
            self.value_changed.emit()
