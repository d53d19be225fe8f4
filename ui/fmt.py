"""Values shown on screen: Buddhist-era dates, money, masked national IDs, choice labels."""

from __future__ import annotations

from typing import Any

from fieldapp import thai, thaidate
from fieldapp.errors import FieldAppError
from fieldapp.forms import Field, shown

from .i18n import label_of, language, tr


def money(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.2f}" if value % 1 else f"{value:,.0f}"


def number(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def date(value: Any, style: str = "medium") -> str:
    if not value:
        return ""
    try:
        return thaidate.format_date(value, style, lang=language())
    except (FieldAppError, ValueError):
        return str(value)


def national_id(value: str | None, unmask: bool = False) -> str:
    if not value:
        return ""
    try:
        return thai.format_national_id(value) if unmask else thai.mask_national_id(value)
    except FieldAppError:
        return str(value)


def phone(value: str | None) -> str:
    if not value:
        return ""
    try:
        return thai.format_phone(value)
    except FieldAppError:
        return str(value)


def yes_no(value: Any) -> str:
    if value is None:
        return ""
    return tr("Yes") if value else tr("No")


def field_value(f: Field, value: Any, unmask: bool = False) -> str:
    """One stored value of field ``f`` as text for people."""
    if value is None or value == "" or value == []:
        return ""
    t = f.value_type
    if f.kind.choices:  # a choice, or several: their labels (the type registry says how)
        return shown(f, value, language())
    if t == "boolean":
        return yes_no(value)
    if t == "date":
        return date(value)
    if t == "money":
        return money(value)
    if t in ("integer", "decimal"):
        return number(value)
    if t == "national_id":
        return national_id(value, unmask)
    if t == "phone":
        return phone(value)
    if t == "geopoint" and isinstance(value, dict):
        return f"{value.get('lat')}, {value.get('lon')}"
    if t == "subdistrict":
        from fieldapp import geo

        try:
            return geo.full_name(str(value), language())
        except FieldAppError:
            return str(value)
    return shown(f, value, language())  # acknowledgements, files …: as the type registry says


def field_label(f: Field) -> str:
    return label_of(f.label, f.id)
