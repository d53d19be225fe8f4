"""The widget registry: ``(question type, appearance) → widget class``, and the one contract.

Every question widget has ``value()`` (raw input for ``Form.validate``), ``set_value(stored)``,
``clear()``, ``set_read_only(flag)``, a ``value_changed`` signal, ``local_problem()`` (what is
wrong while typing, before the form checks it) and ``update_context(data, row)`` for widgets that
depend on other answers. A new question type is one class, one ``@register`` and one test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from fieldapp.forms import Field, Form
from ui.db import Database


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


W = TypeVar("W", bound=type[FieldWidget])
_REGISTRY: dict[tuple[str, str | None], type[FieldWidget]] = {}


def register(type_name: str, appearance: str | None = None) -> Callable[[W], W]:
    def deco(cls: W) -> W:
        _REGISTRY[(type_name, appearance)] = cls
        return cls

    return deco


def _load() -> None:
    from ui.widgets import fields, links, repeat  # noqa: F401  (each module registers its classes)


def widget_for(f: Field, ctx: EditorContext, parent: QWidget | None = None) -> FieldWidget:
    _load()
    key = f.widget_key  # the question type's widget key (fieldapp.forms.types)
    cls = _REGISTRY.get((key, f.appearance)) or _REGISTRY[(key, None)]
    return cls(f, ctx, parent)


def registered_types() -> set[str]:
    _load()
    return {t for t, _ in _REGISTRY}
