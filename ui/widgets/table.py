"""The widget table: ``(widget key, appearance) → how to make the widget`` for each question.

The one place that knows every question widget (as ODK Collect's ``WidgetFactory``): a plain
table, not decorators run as a side effect of importing the widgets. A new question type is one
widget class (keeping the contract of ``ui.widgets.registry.FieldWidget``), one line here and one
test. The widget key is the question type's (``fieldapp.forms.types``); an entry with an
appearance wins over the type's plain entry.

A repeat's rows are a panel of questions, and a panel holds widgets, repeats among them: so the
panel (``ui.panel``) and the repeat widget are handed the function that makes widgets
(``widget_for``) and panels (``panel_for``) rather than importing this table.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from fieldapp.forms import Field

from ..editor.panel import FieldsPanel
from . import fields, links, odk
from .registry import EditorContext, FieldWidget
from .repeat import RepeatWidget

WidgetMaker = Callable[[Field, EditorContext, "QWidget | None"], FieldWidget]


def _repeat(f: Field, ctx: EditorContext, parent: QWidget | None = None) -> FieldWidget:
    return RepeatWidget(f, ctx, parent, make_panel=row_panel_for)


WIDGETS: dict[tuple[str, str | None], WidgetMaker] = {
    ("text", None): fields.TextWidget,
    ("integer", None): fields.IntegerWidget,
    ("decimal", None): fields.DecimalWidget,
    ("money", None): fields.MoneyWidget,
    ("date", None): fields.DateWidget,
    ("boolean", None): fields.BooleanWidget,
    ("select_one", None): fields.SelectOneWidget,
    ("select_multiple", None): fields.SelectMultipleWidget,
    ("national_id", None): fields.NationalIdWidget,
    ("phone", None): fields.PhoneWidget,
    ("geopoint", None): fields.GeopointWidget,
    ("subdistrict", None): fields.SubdistrictWidget,
    ("note", None): fields.NoteWidget,
    ("calculated", None): fields.CalculatedWidget,
    ("reference", None): links.ReferenceWidget,
    ("photo", None): links.PhotoWidget,
    ("audio", None): links.AttachmentWidget,
    ("video", None): links.AttachmentWidget,
    ("file", None): links.AttachmentWidget,
    ("acknowledge", None): fields.AcknowledgeWidget,
    ("repeat", None): _repeat,
    ("time", None): odk.TimeWidget,
    ("datetime", None): odk.DateTimeWidget,
    ("geotrace", None): odk.PointsWidget,
    ("geoshape", None): odk.PointsWidget,
    ("barcode", None): odk.BarcodeWidget,
    ("rank", None): odk.RankWidget,
    ("hidden", None): odk.HiddenWidget,
}


def widget_for(f: Field, ctx: EditorContext, parent: QWidget | None = None) -> FieldWidget:
    """The widget of one question."""
    key = f.widget_key  # the question type's widget key (fieldapp.forms.types)
    make = WIDGETS.get((key, f.appearance)) or WIDGETS[(key, None)]
    return make(f, ctx, parent)


def panel_for(questions: list[Field], ctx: EditorContext) -> FieldsPanel:
    """A column of questions (a section of the editor)."""
    return FieldsPanel(questions, ctx, widget_for)


def row_panel_for(questions: list[Field], ctx: EditorContext) -> FieldsPanel:
    """The questions of one row of a repeat (a household member), short ones side by side."""
    return FieldsPanel(questions, ctx, widget_for, columns=True)


def registered_types() -> set[str]:
    """The widget keys that have a widget."""
    return {key for key, _ in WIDGETS}
