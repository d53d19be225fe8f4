"""Writing a fieldapp form as an XLSForm that pyxform reads back into the same form.

``write_xlsform`` composes three sheets: ``survey`` (a ``_Survey`` walks the sections, repeats
and questions into rows), ``choices`` (the lists the questions use) and ``settings`` (the form's
id, version, title and fieldapp's own settings as JSON).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fieldapp.xlsform.reading import all_fields, level
from fieldapp.xlsform.vocabulary import (
    FORM_OWN_KEYS,
    LANG_LABEL,
    OWN_KEYS,
    VAR,
    XLS_TO_FIELDAPP_TYPE,
)

_XLS_TYPE = {
    v: k
    for k, v in XLS_TO_FIELDAPP_TYPE.items()
    if k not in ("int", "select one", "select all that apply", "trigger", "datetime", "gps", "string")
}


def _column(key: str, lang: str) -> str:
    """A language column: ``label::English (en)``."""
    return f"{key}::{LANG_LABEL.get(lang, f'{lang} ({lang})')}"


def _languages(form: dict[str, Any]) -> list[str]:
    """Thai, English, then every other language a text of the form has."""
    langs = ["th", "en"]
    for f in all_fields(form):
        for key in ("label", "hint", "constraint_message"):
            for k in f.get(key) or {}:
                if k not in langs:
                    langs.append(k)
    return langs


class _Survey:
    """The survey sheet's rows of one form, in order."""

    def __init__(self, form: dict[str, Any], langs: list[str]) -> None:
        self.form = form
        self.langs = langs
        self.rows: list[dict[str, Any]] = []
        fields = level(f for s in form.get("sections") or [] for f in s.get("fields") or [])
        self.repeats = {f["id"] for f in fields if f.get("type") == "repeat"}
        top_ids = {str(f["id"]) for f in fields}
        # a repeat's field may share its name with one outside in fieldapp, not in XLSForm
        self.shared = {
            (str(f["id"]), str(c["id"]))
            for f in fields
            for c in level(f.get("fields") or [])
            if str(c["id"]) in top_ids
        }

    def columns(self) -> list[str]:
        def lang_cols(key: str) -> list[str]:
            return [_column(key, lg) for lg in self.langs]

        return [
            "type",
            "name",
            *lang_cols("label"),
            *lang_cols("hint"),
            "required",
            "relevant",
            "constraint",
            *lang_cols("constraint_message"),
            *lang_cols("required_message"),
            "read_only",
            "calculation",
            "repeat_count",
            "trigger",
            "choice_filter",
            "default",
            "appearance",
            "fieldapp_type",
            *[f"fieldapp_{k}" for k in OWN_KEYS],
            "fieldapp_section",
            "fieldapp_choices",
            "fieldapp_name",
        ]

    def xls_name(self, rep: str | None, fid: str) -> str:
        return f"{rep}_{fid}" if (rep, fid) in self.shared else fid

    def odk(self, expression: Any, rep: str | None = None) -> str:
        """fieldapp's ${repeat.field} is ${field} in XLSForm (a repeat's column named from outside)."""

        def sub(m: re.Match[str]) -> str:
            head, _, tail = m.group(1).partition(".")
            if tail and head in self.repeats:
                return "${" + self.xls_name(head, tail) + "}"
            if not tail and rep is not None:
                return "${" + self.xls_name(rep, head) + "}"
            return m.group(0)

        return VAR.sub(sub, str(expression))

    def texts(self, row: dict[str, Any], key: str, value: Any, rep: str | None = None) -> None:
        for lg in self.langs:
            if isinstance(value, dict) and value.get(lg):
                row[_column(key, lg)] = self.odk(value[lg], rep) if key in ("label", "hint") else value[lg]

    def walk(self) -> list[dict[str, Any]]:
        """Every section as a group (with its relevance) of its questions, groups and repeats."""
        field_ids = {str(f["id"]) for f in all_fields(self.form)}
        for s in self.form.get("sections") or []:
            group: dict[str, Any] = {"type": "begin group", "name": s["id"]}
            if s["id"] in field_ids:  # XLSForm names are unique across groups and questions
                group["name"] = f"{s['id']}_section"
                group["fieldapp_section"] = s["id"]
            self.texts(group, "label", s.get("label"))
            if s.get("relevant"):
                group["relevant"] = self.odk(s["relevant"])
            self.rows.append(group)
            for f in s.get("fields") or []:
                self.item(f, None)
            self.rows.append({"type": "end group"})
        return self.rows

    def item(self, f: dict[str, Any], rep: str | None) -> None:
        """A question, a group or a repeat of a section or of a repeat's row (``rep``)."""
        if f["type"] == "group":
            self.group(f, rep)
        elif f["type"] == "repeat":
            self.repeat(f, rep)
        else:
            self.question(f, rep)

    def group(self, f: dict[str, Any], rep: str | None) -> None:
        """A group inside a section, a group or a repeat: begin group, its items, end group."""
        row: dict[str, Any] = {"type": "begin group", "name": f["id"]}
        self.texts(row, "label", f.get("label"), rep)
        self.texts(row, "hint", f.get("hint"), rep)
        if f.get("relevant"):
            row["relevant"] = self.odk(f["relevant"], rep)
        if f.get("appearance"):
            row["appearance"] = str(f["appearance"])
        self.rows.append(row)
        for c in f.get("fields") or []:
            self.item(c, rep)
        self.rows.append({"type": "end group"})

    def repeat(self, f: dict[str, Any], outer: str | None) -> None:
        """A repeat's rows: begin repeat, its questions (a repeat inside it too), end repeat."""
        rep: dict[str, Any] = {"type": "begin repeat", "name": f["id"]}
        self.texts(rep, "label", f.get("label"), outer)
        self.texts(rep, "hint", f.get("hint"), outer)
        if f.get("relevant"):
            rep["relevant"] = self.odk(f["relevant"], outer)
        if f.get("repeat_count") not in (None, ""):
            rep["repeat_count"] = self.odk(f["repeat_count"], outer)
        _own_settings(rep, f)
        self.rows.append(rep)
        for c in f.get("fields") or []:
            self.item(c, str(f["id"]))
        self.rows.append({"type": "end repeat"})

    def question(self, f: dict[str, Any], rep: str | None = None) -> None:
        row: dict[str, Any] = {"name": self.xls_name(rep, str(f["id"]))}
        if row["name"] != f["id"]:
            row["fieldapp_name"] = f["id"]
        _question_type(row, f)
        if f.get("meta"):  # a metadata row has no text: the app fills it
            self.rows.append(row)
            return
        self.texts(row, "label", f.get("label"), rep)
        self.texts(row, "hint", f.get("hint"), rep)
        self.rules(row, f, rep)
        self.texts(row, "constraint_message", f.get("constraint_message"))
        self.texts(row, "required_message", f.get("required_message"))
        if f.get("appearance"):
            row["appearance"] = str(f["appearance"])
        if f.get("read_only"):
            row["read_only"] = "yes"
        if f.get("default") is not None:
            row["default"] = (
                f["default"] if not isinstance(f["default"], bool) else ("true" if f["default"] else "false")
            )
        _own_settings(row, f)
        self.rows.append(row)

    def rules(self, row: dict[str, Any], f: dict[str, Any], rep: str | None) -> None:
        """``required``, relevance, constraint, calculation, choice filter and trigger in ODK's names."""
        req = f.get("required")
        if req is True:
            row["required"] = "yes"
        elif isinstance(req, str):
            row["required"] = self.odk(req, rep)
        for key in ("relevant", "constraint", "calculation", "choice_filter"):
            if f.get(key) not in (None, ""):
                row[key] = self.odk(f[key], rep)
        if f.get("trigger"):
            names = [f["trigger"]] if isinstance(f["trigger"], str) else f["trigger"]
            row["trigger"] = " ".join(self.odk("${" + str(n) + "}", rep) for n in names)


def _question_type(row: dict[str, Any], f: dict[str, Any]) -> None:
    t = f["type"]
    if t in ("select_one", "select_multiple", "rank"):
        row["type"] = f"{t} {f['choices']}"
    elif f.get("meta"):
        row["type"] = f["meta"]  # a metadata row (start, end, today, deviceid, username)
    elif t == "calculated":
        row["type"] = "calculate"
        row["fieldapp_type"] = "calculated"
        if not f.get("calculation"):
            row["calculation"] = "''"  # XLSForm needs one; the scoring rubric fills the value
        if f.get("choices"):
            row["fieldapp_choices"] = f["choices"]
    elif t in _XLS_TYPE and t != "boolean":
        row["type"] = _XLS_TYPE[t]
    else:  # fieldapp's own types travel as text with their type alongside
        row["type"] = "text"
        row["fieldapp_type"] = t


def _own_settings(row: dict[str, Any], f: dict[str, Any]) -> None:
    """fieldapp's settings XLSForm has no column for, as JSON in ``fieldapp_*`` columns."""
    for key in OWN_KEYS:
        if f.get(key) is not None:
            row[f"fieldapp_{key}"] = json.dumps(f[key], ensure_ascii=False)


def _choices_sheet(form: dict[str, Any], shared_choices: dict[str, Any], langs: list[str]) -> list[list[Any]]:
    """The choices sheet: every list a question uses, in the order first used."""
    lists_used: list[str] = []
    for f in all_fields(form):
        if f.get("choices") and f["choices"] not in lists_used:
            lists_used.append(f["choices"])
    all_lists = {**(shared_choices or {}), **(form.get("choices") or {})}
    extra_keys: list[str] = []
    for name in lists_used:
        for item in all_lists.get(name) or []:
            for k in item:
                if k not in ("code", *langs) and k not in extra_keys:
                    extra_keys.append(k)
    cols = ["list_name", "name", *[_column("label", lg) for lg in langs], *extra_keys]
    out: list[list[Any]] = [cols]
    for name in lists_used:
        for item in all_lists.get(name) or []:
            line: dict[str, Any] = {"list_name": name, "name": str(item["code"])}
            for lg in langs:
                if item.get(lg):
                    line[_column("label", lg)] = item[lg]
            for k in extra_keys:
                if k in item:
                    line[k] = item[k]
            out.append([line.get(c) for c in cols])
    return out


def _settings_sheet(form: dict[str, Any]) -> list[list[Any]]:
    own = {k: form[k] for k in (*FORM_OWN_KEYS, "title") if form.get(k) is not None}
    title = form.get("title") or {}
    lang = form.get("default_language")
    return [
        ["form_id", "version", "form_title", "fieldapp_form", *(["default_language"] if lang else [])],
        [
            form["id"],
            str(form.get("version", "1")),
            title.get("th") if isinstance(title, dict) else str(title),
            # ${…} written \u007b: pyxform checks every ${} in the workbook names a question
            json.dumps(own, ensure_ascii=False).replace("${", "$\\u007b"),
            *([LANG_LABEL.get(lang, f"{lang} ({lang})")] if lang else []),
        ],
    ]


def write_xlsform(form: dict[str, Any], shared_choices: dict[str, Any], out: Path) -> None:
    """Write a fieldapp form definition (as its YAML holds it) as an XLSForm."""
    from openpyxl import Workbook

    langs = _languages(form)
    survey = _Survey(form, langs)
    rows = survey.walk()
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    used_cols = [c for c in survey.columns() if any(c in r for r in rows)]
    ws.append(used_cols)
    for r in rows:
        ws.append([r.get(c) for c in used_cols])
    ch = wb.create_sheet("choices")
    for line in _choices_sheet(form, shared_choices, langs):
        ch.append(line)
    st = wb.create_sheet("settings")
    for line in _settings_sheet(form):
        st.append(line)
    wb.save(out)
