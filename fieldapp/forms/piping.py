"""Answers inside labels and hints (ODK's "label piping").

A label or hint may name other answers with ``${name}``, as in XLSForm: "How old is ${name}?".
Each reference is compiled with the form, in the scope of the question (inside a repeat, a name
of the same row is that row's answer), and an unknown name is an error of the definition. When
the question is shown (the editor, its review page, printed reports), each reference is replaced
by the current answer as text: the value as ODK Collect gives it (a choice's code, a number as
XPath writes it), except that a date is written in the Buddhist era and a yes/no answer in words.
An answer that is not there, or a reference that cannot be evaluated, shows as nothing.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from fieldapp import expr, thaidate
from fieldapp.errors import ExpressionError

REFERENCE = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}")

_YES_NO = {"th": ("ใช่", "ไม่ใช่"), "en": ("yes", "no")}


def references(*texts: dict[str, str]) -> list[str]:
    """The names ``${…}`` in these texts (every language), each once, in order."""
    out: list[str] = []
    for t in texts:
        for value in (t or {}).values():
            for name in REFERENCE.findall(value or ""):
                if name not in out:
                    out.append(name)
    return out


def shown(value: Any, lang: str = "th") -> str:
    """One value of an expression as a label shows it."""
    if isinstance(value, list):
        return " ".join(shown(v, lang) for v in value if not expr.is_empty(v))
    if value is None or expr.is_empty(value):
        return ""
    if value is True or value is False:
        yes, no = _YES_NO.get(lang, _YES_NO["en"])
        return yes if value else no
    if isinstance(value, _dt.datetime):
        return f"{thaidate.format_date(value.date(), 'medium', lang=_date_lang(lang))} {value:%H:%M}"
    if isinstance(value, _dt.date):
        return thaidate.format_date(value, "medium", lang=_date_lang(lang))
    return expr.to_text(value)


def _date_lang(lang: str) -> str:
    return "en" if lang == "en" else "th"


def fill(
    pipes: dict[str, expr.Expression], texts: dict[str, str], data: dict[str, Any], row: dict[str, Any] | None
) -> dict[str, str]:
    """``texts`` (a label or hint in every language) with each ``${name}`` replaced by its answer;
    ``pipes`` are the compiled references of the question or section the texts belong to."""
    if not pipes or not texts:
        return texts
    values: dict[str, Any] = {}
    for name, compiled in pipes.items():
        try:
            values[name] = compiled.fn(data, row)
        except (*expr.CALCULATION_ERRORS, ExpressionError):
            values[name] = None
    out: dict[str, str] = {}
    for lang, text in texts.items():

        def value_of(m: re.Match[str], lang: str = lang) -> str:
            return shown(values.get(m.group(1)), lang)

        out[lang] = REFERENCE.sub(value_of, text or "")
    return out
