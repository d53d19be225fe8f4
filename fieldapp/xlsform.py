"""XLSForms in and out: an ODK/Kobo survey (``.xlsx``/``.xls``) as a fieldapp form, and back.

Reading goes through pyxform, the XLSForm project's own reader: it knows the sheets (survey,
choices, settings), the many spellings of types and columns, languages and bindings. Its result is
turned into fieldapp's form format (``docs/forms.md``); whatever cannot be carried is reported row
by row, never dropped silently: ``ImportReport.partial`` (the question came, something of it did
not) and ``ImportReport.dropped`` (the row did not come). Every rule that comes is compiled with the
form, so an expression fieldapp cannot evaluate is reported too.

Writing gives an XLSForm pyxform reads back into the same form: fieldapp's own settings that
XLSForm has no column for travel in ``fieldapp_*`` columns, which pyxform passes through.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp.errors import FieldAppError, FormDefinitionError

# XLSForm type (as pyxform names it) → fieldapp type
_TYPES = {
    "text": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "calculate": "calculated",
    "acknowledge": "acknowledge",
    "trigger": "acknowledge",  # XLSForm's older name of acknowledge
    "geopoint": "geopoint",
    "image": "photo",
    "photo": "photo",
    "audio": "audio",
    "video": "video",
    "file": "file",
    "phone number": "phone",
}
# carried as another type, with what is lost
_AS_TEXT = {
    "barcode": "a barcode is typed as text (no scanner)",
    "time": "a time is kept as text (HH:MM)",
    "dateTime": "a date and time is kept as text",
    "datetime": "a date and time is kept as text",
    "geotrace": "a line of points is kept as text",
    "geoshape": "an area of points is kept as text",
    "rank": "a ranking is kept as text (the codes in order)",
    "hidden": "a hidden value is kept as text",
    "select one from file": "a choice list from a file is kept as text",
    "select all that apply from file": "a choice list from a file is kept as text",
    "osm": "an OpenStreetMap answer is kept as text",
}
# the record itself carries these (created_at, updated_at, device_id, created_by)
_METADATA = {
    "start": "the record keeps when it was made (created_at)",
    "end": "the record keeps when it was last changed (updated_at)",
    "today": "the record keeps the day it was made (created_at)",
    "deviceid": "the record keeps the device it was made on (device_id)",
    "username": "the record keeps who made it (created_by)",
    "email": "the record keeps who made it (created_by)",
    "phonenumber": "not collected: a phone number is not read from the device",
    "simserial": "not collected: the SIM serial is not read from the device",
    "subscriberid": "not collected: the subscriber id is not read from the device",
    "audit": "not collected: no audit log of the form's screens",
    "start-geopoint": "not collected: no location is taken on starting",
    "background-audio": "not collected: no background recording",
}
_NAME_OK = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
_VAR = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}")
_LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")
_LANG_NAMES = {
    "english": "en",
    "thai": "th",
    "ไทย": "th",
    "lao": "lo",
    "ລາວ": "lo",
    "khmer": "km",
    "ខ្មែរ": "km",
    "burmese": "my",
    "myanmar": "my",
    "မြန်မာ": "my",
    "chinese": "zh",
    "french": "fr",
    "spanish": "es",
    "vietnamese": "vi",
}
_LANG_LABEL = {
    "th": "ไทย (th)",
    "en": "English (en)",
    "lo": "ລາວ (lo)",
    "km": "ខ្មែរ (km)",
    "my": "မြန်မာ (my)",
}
_RESERVED = {
    "id",
    "parent_id",
    "position",
    "form_id",
    "form_version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "device_id",
    "server_rev",
    "base",
    "dirty",
    "deleted",
    "deleted_at",
    "deleted_by",
    "conflict",
}
# fieldapp field keys written in fieldapp_* columns (XLSForm has no column of its own for them)
_OWN_KEYS = (
    "min",
    "max",
    "max_length",
    "multiline",
    "digits",
    "signed",
    "year_be",
    "ask_again",
    "sensitive",
    "ref",
    "scored",
    "result",
    "other",
)
_FORM_OWN_KEYS = (
    "title_field",
    "area_field",
    "search",
    "list_columns",
    "scoring",
    "consent_field",
    "rounds",
    "description",
    "warnings",
)
# the keys of a field and of a form that XLSForm's own columns carry
NATIVE_FIELD_KEYS = (
    "id",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choices",
    "default",
    "appearance",
    "fields",
    "choice_filter",
    "required_message",
    "read_only",
    "repeat_count",
    "trigger",
)
NATIVE_FORM_KEYS = ("id", "version", "title", "choices", "sections", "default_language")


@dataclass
class Note:
    row: int | None  # the survey sheet's row (1 is the header), None for the form as a whole
    name: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "name": self.name, "reason": self.reason}


@dataclass
class ImportReport:
    form: dict[str, Any]  # the form definition, as a forms/*.yaml holds it
    rows: int = 0  # survey rows read (questions, groups and repeats)
    carried: int = 0  # rows that came whole
    partial: list[Note] = field(default_factory=list)
    dropped: list[Note] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.partial and not self.dropped

    def as_dict(self) -> dict[str, Any]:
        return {
            "form": self.form.get("id"),
            "rows": self.rows,
            "carried": self.carried,
            "partial": [n.as_dict() for n in self.partial],
            "dropped": [n.as_dict() for n in self.dropped],
        }


class XLSFormError(FieldAppError):
    """The file is not an XLSForm fieldapp can read."""


# ---------------------------------------------------------------------- reading


def _language(key: str) -> str:
    """A language column's code: ``English (en)`` → en, ``ไทย`` → th, ``default`` → ''."""
    m = _LANG_CODE.search(key)
    if m:
        return m.group(1).lower()
    k = key.strip().lower()
    if k in ("default", ""):
        return ""
    return _LANG_NAMES.get(k, re.sub(r"[^a-z]", "", k)[:8] or "xx")


def _texts(value: Any) -> dict[str, str]:
    """A label/hint/message of pyxform (text or {language: text}) as {code: text}."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"": value}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            if isinstance(v, str) and v.strip():
                out.setdefault(_language(str(k)), v)
        return out
    return {"": str(value)}


def _labels(value: Any, fallback: str) -> dict[str, str]:
    """fieldapp's labels: every language, with Thai and English always there (the default
    text, or the other one, or ``fallback``, stands in for a missing one)."""
    texts = _texts(value)
    default = texts.pop("", None)
    first = default or texts.get("th") or texts.get("en") or next(iter(texts.values()), None) or fallback
    out = {"th": texts.get("th") or default or first, "en": texts.get("en") or default or first}
    for k, v in texts.items():
        if k not in out:
            out[k] = v
    return out


def _truth(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "true()", "1"):
        return True
    if text in ("no", "false", "false()", "0", ""):
        return False
    return None


class _Reader:
    def __init__(self, survey_rows: list[dict[str, Any]]) -> None:
        # row numbers: pyxform keeps empty rows, so the n-th row read is sheet row n + 2
        self.rows_by_name: dict[str, list[int]] = {}
        for i, r in enumerate(survey_rows):
            name = r.get("name")
            if name:
                self.rows_by_name.setdefault(str(name), []).append(i + 2)
        self.row_count = sum(1 for r in survey_rows if r.get("type") and not str(r["type"]).startswith("end"))
        self.names: dict[str, str] = {}  # XLSForm name → fieldapp id
        self.used: set[str] = set()
        self.report_partial: list[Note] = []
        self.report_dropped: list[Note] = []
        self.rows_of: dict[int, int | None] = {}  # id(field dict) → row
        self.partial_rows: set[int | None] = set()
        self.lists_used: set[str] = set()
        self.list_names: dict[str, str] = {}
        self.current_repeat: str | None = None  # the repeat whose questions are being read
        self.inner_repeats: set[str] = set()  # repeats inside a repeat
        self.owner: dict[str, str] = {}  # XLSForm name → its repeat, for names fieldapp shares

    def row(self, name: str) -> int | None:
        found = self.rows_by_name.get(name)
        return found[0] if found else None

    def partial(self, name: str, reason: str) -> None:
        row = self.row(name)
        self.report_partial.append(Note(row, name, reason))
        self.partial_rows.add(row)

    def drop(self, name: str, reason: str) -> None:
        self.report_dropped.append(Note(self.row(name), name, reason))

    def field_id(self, name: str) -> str:
        if name in self.names:
            return self.names[name]
        fid = re.sub(r"[^a-z0-9_]", "_", name.lower())
        if not fid or not fid[0].isalpha():
            fid = f"q_{fid}"
        if fid in _RESERVED:
            fid = f"{fid}_q"
        base, n = fid, 2
        while fid in self.used:
            fid = f"{base}_{n}"
            n += 1
        self.used.add(fid)
        self.names[name] = fid
        if fid != name:
            self.partial(name, f"the name is stored as {fid!r} (lower-case letters, digits and _)")
        return fid

    def list_id(self, name: str) -> str:
        if name not in self.list_names:
            lid = re.sub(r"[^a-z0-9_]", "_", name.lower())
            if not lid or not lid[0].isalpha():
                lid = f"l_{lid}"
            self.list_names[name] = lid
        return self.list_names[name]


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b


def _pre_name(children: Iterable[dict[str, Any]], reader: _Reader, repeat: str | None = None) -> None:
    """Give every question its fieldapp id first, so expressions can be rewritten."""
    for c in children:
        if c.get("type") in ("group", "repeat"):
            if c.get("name") == "meta" and c.get("control", {}).get("bodyless"):
                continue
            inner = repeat
            if c.get("type") == "repeat":
                inner = reader.field_id(str(c["name"]))
            _pre_name(c.get("children") or [], reader, inner)
        elif c.get("name"):
            name = str(c["name"])
            own = c.get("fieldapp_name")
            if own and repeat is not None:  # a repeat's field that shares a name with one outside
                reader.names[name] = str(own)
                reader.owner[name] = repeat
            else:
                reader.field_id(name)


def _rewrite(expression: Any, reader: _Reader, repeat: str | None = None) -> str:
    text = str(expression)

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        owner = reader.owner.get(name)
        fid = reader.names.get(name, name)
        if owner is not None and owner != repeat:
            return "${" + f"{owner}.{fid}" + "}"
        return "${" + fid + "}"

    return _VAR.sub(sub, text)


def _convert_children(
    children: list[dict[str, Any]],
    reader: _Reader,
    relevant: str | None,
    in_repeat: bool,
    sections: list[dict[str, Any]] | None,
    out: list[dict[str, Any]],
) -> None:
    i = 0
    while i < len(children):
        c = children[i]
        i += 1
        t = str(c.get("type") or "")
        name = str(c.get("name") or "")
        if t == "group" and name == "meta" and c.get("control", {}).get("bodyless"):
            continue  # pyxform's own instanceID
        bind = c.get("bind") or {}
        if t == "group":
            rel = _and(
                relevant,
                _rewrite(bind["relevant"], reader, reader.current_repeat) if bind.get("relevant") else None,
            )
            if bind.get("relevant"):
                reader.partial(name, "the group's relevance is carried by each question in it")
            if sections is not None and not in_repeat:
                # a group at the top: a section of its own
                fields: list[dict[str, Any]] = []
                _convert_children(c.get("children") or [], reader, rel, False, None, fields)
                if fields:
                    sections.append(
                        {
                            "id": str(c.get("fieldapp_section") or "")
                            or (reader.list_id(name) if name else f"section_{len(sections) + 1}"),
                            "label": {
                                k: _rewrite(v, reader, None) for k, v in _labels(c.get("label"), name).items()
                            },
                            "fields": fields,
                        }
                    )
                else:
                    reader.drop(name, "the group has no question fieldapp can carry")
                continue
            reader.partial(name, "a group inside a group or a repeat: its questions are shown without it")
            _convert_children(c.get("children") or [], reader, rel, in_repeat, None, out)
            continue
        if t == "repeat":
            outer = reader.current_repeat
            if outer is not None and outer in reader.inner_repeats:
                # a third level of rows has nowhere to live: refused, never flattened
                row = reader.row(name)
                raise XLSFormError(
                    f"แบบฟอร์มนี้มีกลุ่มคำถามซ้ำซ้อนกันสามชั้น ({name} แถว {row}) ซึ่งโปรแกรมยังเก็บไม่ได้ "
                    "จึงไม่นำเข้าแบบฟอร์มนี้",
                    f"row {row}: the repeat {name!r} is inside a repeat inside a repeat; fieldapp keeps "
                    "two levels of repeats, so the form is refused (not flattened)",
                )
            rep = _question(c, reader, "repeat", relevant)
            count = (c.get("control") or {}).get("jr:count")
            if count not in (None, ""):
                rep["repeat_count"] = _rewrite(count, reader, outer)
            kids: list[dict[str, Any]] = []
            reader.current_repeat = rep["id"]
            if outer is not None:
                reader.inner_repeats.add(rep["id"])
            _convert_children(c.get("children") or [], reader, None, True, None, kids)
            reader.current_repeat = outer
            if not kids:
                reader.drop(name, "the repeat has no question fieldapp can carry")
                continue
            rep["fields"] = kids
            out.append(rep)
            continue
        if t in _METADATA:
            reader.drop(name, _METADATA[t])
            continue
        ftype = _TYPES.get(t)
        own = c.get("fieldapp_type")
        if own:
            ftype = str(own)
        elif ftype is None and t in _AS_TEXT:
            ftype = "text"
            reader.partial(name, _AS_TEXT[t])
        elif ftype is None and t == "range":
            params = c.get("parameters") or {}
            step = str(params.get("step", "1"))
            ftype = (
                "integer"
                if "." not in step and all("." not in str(params.get(k, "")) for k in ("start", "end"))
                else "decimal"
            )
            reader.partial(name, "a range is typed as a number between its start and end (no slider)")
        elif ftype is None:
            reader.drop(name, f"the question type {t!r} is not supported")
            continue
        q = _question(c, reader, ftype, relevant)
        if t == "range":
            params = c.get("parameters") or {}
            for key, attr in (("start", "min"), ("end", "max")):
                if params.get(key) not in (None, ""):
                    try:
                        q[attr] = float(params[key]) if ftype == "decimal" else int(float(params[key]))
                    except ValueError:
                        pass
        if ftype == "calculated" and c.get("fieldapp_choices"):
            q["choices"] = reader.list_id(str(c["fieldapp_choices"]))
            reader.lists_used.add(str(c["fieldapp_choices"]))
        if ftype in ("select_one", "select_multiple") and c.get("list_name"):
            q["choices"] = reader.list_id(str(c["list_name"]))
            reader.lists_used.add(str(c["list_name"]))
            # or_other: pyxform adds an "other" choice and a "NAME_other" text question after it
            nxt = children[i] if i < len(children) else None
            if (
                nxt is not None
                and nxt.get("name") == f"{name}_other"
                and "'other'" in str((nxt.get("bind") or {}).get("relevant", ""))
            ):
                q["other"] = "other"
                i += 1
        out.append(q)


def _question(c: dict[str, Any], reader: _Reader, ftype: str, relevant: str | None) -> dict[str, Any]:
    name = str(c.get("name") or "")
    bind = c.get("bind") or {}
    control = c.get("control") or {}
    q: dict[str, Any] = {"id": reader.field_id(name), "type": ftype, "label": _labels(c.get("label"), name)}
    reader.rows_of[id(q)] = reader.row(name)
    if c.get("hint"):
        q["hint"] = _labels(c.get("hint"), "")
    for key in ("label", "hint"):  # ${name} in a text shows that answer: the names fieldapp stores
        if key in q:
            q[key] = {k: _rewrite(v, reader, reader.current_repeat) for k, v in q[key].items()}
    req = bind.get("required")
    if req not in (None, ""):
        truth = _truth(req)
        if truth is not False:
            q["required"] = truth if truth is not None else _rewrite(req, reader, reader.current_repeat)
    if bind.get("jr:requiredMsg"):
        q["required_message"] = _labels(bind.get("jr:requiredMsg"), "")
    rel = _and(
        relevant, _rewrite(bind["relevant"], reader, reader.current_repeat) if bind.get("relevant") else None
    )
    if rel:
        q["relevant"] = rel
    if bind.get("constraint"):
        q["constraint"] = _rewrite(bind["constraint"], reader, reader.current_repeat).replace("${.}", ".")
        msg = _texts(bind.get("jr:constraintMsg"))
        q["constraint_message"] = (
            _labels(bind.get("jr:constraintMsg"), "คำตอบไม่ผ่านเงื่อนไข")
            if msg
            else {
                "th": "คำตอบไม่ผ่านเงื่อนไข",
                "en": "the answer fails its constraint",
            }
        )
    if bind.get("calculate"):
        q["calculation"] = _rewrite(bind["calculate"], reader, reader.current_repeat)
    if ftype == "calculated":
        q.setdefault("result", "text")
    if c.get("default") not in (None, ""):
        if ftype == "calculated":
            reader.partial(name, "a calculation's default is not carried")
        else:
            q["default"] = c["default"]
    appearance = control.get("appearance")
    if appearance:
        q["appearance"] = str(appearance)
    if _truth(bind.get("readonly")) and ftype not in ("calculated", "note"):
        q["read_only"] = True
    if c.get("choice_filter"):
        q["choice_filter"] = _rewrite(c["choice_filter"], reader, reader.current_repeat)
    if c.get("trigger"):
        raw_trigger = c["trigger"]
        names = (
            list(raw_trigger) if isinstance(raw_trigger, (list, tuple)) else _VAR.findall(str(raw_trigger))
        )
        if ftype == "calculated" and reader.current_repeat is None:
            q["trigger"] = [reader.names.get(str(n), str(n)) for n in names]
        else:
            reader.partial(name, "trigger is carried only by a calculation outside repeats")
    media = [k for k in c if k in ("media", "image", "audio", "video")]
    if media:
        reader.partial(name, "pictures and sounds of the question are not carried")
    params = c.get("parameters") or {}
    if params and c.get("type") != "range":
        reader.partial(name, f"parameters are not carried: {', '.join(sorted(params))}")
    for key in _OWN_KEYS:
        raw = c.get(f"fieldapp_{key}")
        if raw not in (None, ""):
            try:
                q[key] = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                q[key] = raw
    if ftype == "calculated":
        if q.get("scored") and q.get("calculation") == "''":
            del q["calculation"]  # filled by the scoring rubric (written "''" for XLSForm)
        elif "calculation" not in q:
            q["calculation"] = "''"
    return q


def _choices(raw: dict[str, Any], reader: _Reader) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for list_name, items in (raw or {}).items():
        if list_name not in reader.lists_used:
            continue
        lst: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in items:
            code = str(item.get("name", "")).strip()
            if code.endswith(".0") and code[:-2].isdigit():
                code = code[:-2]
            if not _CODE_OK.match(code):
                reader.report_partial.append(
                    Note(
                        None,
                        f"{list_name}/{code}",
                        "a choice whose name is not letters, digits, _ or - is left out",
                    )
                )
                continue
            if code in seen:
                continue
            seen.add(code)
            labels = _labels(item.get("label"), code)
            entry: dict[str, Any] = {"code": code, **labels}
            for k, v in item.items():
                if k not in ("name", "label", "media", "image", "audio", "video") and isinstance(
                    v, (str, int, float)
                ):
                    entry[str(k)] = str(v)
            lst.append(entry)
        if lst:
            out[reader.list_id(list_name)] = lst
    return out


def _form_id(value: Any) -> str:
    fid = re.sub(r"[^a-z0-9_]", "_", str(value or "form").lower()).strip("_")
    fid = re.sub(r"_+", "_", fid)
    if not fid or not fid[0].isalpha():
        fid = f"f_{fid}"
    return fid


def read_xlsform(path: Path) -> ImportReport:
    """Read an XLSForm into a fieldapp form definition and a report of what did not come."""
    try:
        from pyxform import xls2json_backends
        from pyxform.errors import PyXFormError
        from pyxform.xls2json import parse_file_to_json
    except ImportError as exc:  # pragma: no cover - pyxform is a dependency
        raise XLSFormError("ต้องติดตั้ง pyxform", f"pyxform is needed to read XLSForms: {exc}") from exc
    if not path.exists():
        raise XLSFormError(f"ไม่พบไฟล์ {path}", f"no such file: {path}")
    try:
        sheets = xls2json_backends.get_xlsform(str(path))
        data = parse_file_to_json(str(path), warnings=[])
    except PyXFormError as exc:
        raise XLSFormError("ไฟล์นี้ไม่ใช่ XLSForm ที่อ่านได้", f"not a readable XLSForm: {exc}") from exc
    except Exception as exc:
        raise XLSFormError("อ่านไฟล์ไม่ได้", f"cannot read {path.name}: {type(exc).__name__}: {exc}") from exc
    reader = _Reader(list(sheets.survey or []))
    children = list(data.get("children") or [])
    _pre_name(children, reader)
    sections: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            sections.append(
                {
                    "id": f"section_{len(sections) + 1}",
                    "label": {"th": "คำถาม", "en": "Questions"},
                    "fields": list(pending),
                }
            )
            pending.clear()

    run: list[dict[str, Any]] = []  # questions between top-level groups, converted together
    for c in children:
        if c.get("type") == "group" and not (
            c.get("name") == "meta" and (c.get("control") or {}).get("bodyless")
        ):
            _convert_children(run, reader, None, False, None, pending)
            run = []
            flush()
            _convert_children([c], reader, None, False, sections, loose)
        else:
            run.append(c)
    _convert_children(run, reader, None, False, None, pending)
    flush()
    settings = (sheets.settings or [{}])[0] if sheets.settings else {}
    form: dict[str, Any] = {
        "id": _form_id(settings.get("form_id") or data.get("id_string") or path.stem),
        "version": str(settings.get("version") or data.get("version") or "1"),
        "title": _labels(settings.get("form_title") or data.get("title"), path.stem),
    }
    if data.get("default_language") not in (None, "", "default"):
        form["default_language"] = _language(str(data["default_language"]))
    own = settings.get("fieldapp_form")
    if own:
        try:
            extra = json.loads(own)
            form.update({k: v for k, v in extra.items() if k in (*_FORM_OWN_KEYS, "title")})
        except ValueError:
            pass
    choices = _choices(data.get("choices") or {}, reader)
    if choices:
        form["choices"] = choices
    form["sections"] = sections
    report = ImportReport(form)
    report.partial, report.dropped = reader.report_partial, reader.report_dropped
    _unlink_texts(report.form)
    _check(report, reader, path.name, path.parent)
    report.rows = reader.row_count
    noted = {n.row for n in report.partial} | {n.row for n in report.dropped}
    report.carried = sum(1 for rows in reader.rows_by_name.values() for r in rows if r not in noted)
    report.carried = min(report.carried, report.rows)
    return report


def _all_fields(form: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for s in form.get("sections") or []:
        for f in s.get("fields") or []:
            out.append(f)
            for c in f.get("fields") or []:
                out.append(c)
                out.extend(c.get("fields") or [])  # a repeat inside a repeat
    return out


def _check(report: ImportReport, reader: _Reader, source: str, media: Path | None) -> None:
    """Build the form; a rule fieldapp cannot compile is taken out and reported (repeatedly)."""
    from fieldapp.forms.loading import Builder

    form = report.form
    for _ in range(500):
        try:
            Builder(copy.deepcopy(form), source, {}, media).build()
            return
        except FormDefinitionError as exc:
            where, problem = exc.field_path, exc.problem
        target = next((f for f in _all_fields(form) if _path(form, f) == where), None)
        if target is None:
            raise XLSFormError("แปลงแบบฟอร์มไม่ได้", f"the form cannot be built: {where}: {problem}")
        original = next((n for n, fid in reader.names.items() if fid == target["id"]), target["id"])
        key = problem.split(":", 1)[0].strip()
        if key in ("relevant", "constraint", "required", "choice_filter", "trigger") and key in target:
            del target[key]
            if key == "constraint":
                target.pop("constraint_message", None)
            reader.partial(original, f"{key} is not carried: {problem.split(':', 1)[1].strip()}")
        elif key == "calculation" and "calculation" in target:
            _remove(form, target)
            reader.drop(original, f"the calculation cannot be evaluated: {problem.split(':', 1)[1].strip()}")
        elif key == "label" and _unlink_texts(form):
            reader.partial(original, f"a label or hint names a question that did not come: {problem}")
        elif problem.startswith("bad default") and "default" in target:
            del target["default"]
            reader.partial(original, f"the default is not carried ({problem})")
        else:
            _remove(form, target)
            reader.drop(original, problem)
    raise XLSFormError("แปลงแบบฟอร์มไม่ได้", "the form cannot be built")


def _unlink_texts(form: dict[str, Any]) -> bool:
    """``${name}`` in a label or hint that names no question of the form (one not carried) is
    written ``[name]``: an XLSForm may not name a missing one. True when a text changed."""
    ids = {str(f["id"]) for f in _all_fields(form)}
    changed = False

    def fix(texts: Any) -> Any:
        nonlocal changed
        if not isinstance(texts, dict):
            return texts
        out = {
            k: _VAR.sub(lambda m: m.group(0) if m.group(1) in ids else f"[{m.group(1)}]", v)
            for k, v in texts.items()
        }
        changed = changed or out != texts
        return out

    for f in _all_fields(form):
        for key in ("label", "hint", "constraint_message"):
            if key in f:
                f[key] = fix(f[key])
    for s in form.get("sections") or []:
        if "label" in s:
            s["label"] = fix(s["label"])
    return changed


def _path(form: dict[str, Any], f: dict[str, Any]) -> str:
    for s in form.get("sections") or []:
        for top in s.get("fields") or []:
            if top is f:
                return str(f["id"])
            for c in top.get("fields") or []:
                if c is f:
                    return f"{top['id']}.{c['id']}"
                for g in c.get("fields") or []:
                    if g is f:
                        return f"{top['id']}.{c['id']}.{g['id']}"
    return str(f.get("id"))


def _remove(form: dict[str, Any], target: dict[str, Any]) -> None:
    for s in form.get("sections") or []:
        s["fields"] = [f for f in s.get("fields") or [] if f is not target]
        for f in s["fields"]:
            if f.get("fields"):
                f["fields"] = [c for c in f["fields"] if c is not target]
                for c in f["fields"]:
                    if c.get("fields"):
                        c["fields"] = [g for g in c["fields"] if g is not target]
                f["fields"] = [c for c in f["fields"] if c.get("type") != "repeat" or c.get("fields")]
        s["fields"] = [f for f in s["fields"] if f.get("type") != "repeat" or f.get("fields")]
    form["sections"] = [s for s in form.get("sections") or [] if s.get("fields")]


def to_yaml(form: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(form, allow_unicode=True, sort_keys=False, width=120)


# ---------------------------------------------------------------------- writing

_XLS_TYPE = {
    v: k for k, v in _TYPES.items() if k not in ("int", "select one", "select all that apply", "trigger")
}


def write_xlsform(form: dict[str, Any], shared_choices: dict[str, Any], out: Path) -> None:
    """Write a fieldapp form definition (as its YAML holds it) as an XLSForm."""
    from openpyxl import Workbook

    langs = ["th", "en"]
    for f in _all_fields(form):
        for key in ("label", "hint", "constraint_message"):
            for k in f.get(key) or {}:
                if k not in langs:
                    langs.append(k)
    lists_used: list[str] = []
    for f in _all_fields(form):
        if f.get("choices") and f["choices"] not in lists_used:
            lists_used.append(f["choices"])
    all_lists = {**(shared_choices or {}), **(form.get("choices") or {})}

    def lang_cols(key: str) -> list[str]:
        return [f"{key}::{_LANG_LABEL.get(lg, f'{lg} ({lg})')}" for lg in langs]

    cols = [
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
        *[f"fieldapp_{k}" for k in _OWN_KEYS],
        "fieldapp_section",
        "fieldapp_choices",
        "fieldapp_name",
    ]
    rows: list[dict[str, Any]] = []
    repeats = {
        f["id"]
        for s in form.get("sections") or []
        for f in s.get("fields") or []
        if f.get("type") == "repeat"
    }

    top_ids = {str(f["id"]) for s in form.get("sections") or [] for f in s.get("fields") or []}
    # a repeat's field may share its name with one outside in fieldapp, not in XLSForm
    shared = {
        (str(f["id"]), str(c["id"]))
        for s in form.get("sections") or []
        for f in s.get("fields") or []
        for c in f.get("fields") or []
        if str(c["id"]) in top_ids
    }

    def xls_name(rep: str | None, fid: str) -> str:
        return f"{rep}_{fid}" if (rep, fid) in shared else fid

    def odk(expression: Any, rep: str | None = None) -> str:
        """fieldapp's ${repeat.field} is ${field} in XLSForm (a repeat's column named from outside)."""

        def sub(m: re.Match[str]) -> str:
            head, _, tail = m.group(1).partition(".")
            if tail and head in repeats:
                return "${" + xls_name(head, tail) + "}"
            if not tail and rep is not None:
                return "${" + xls_name(rep, head) + "}"
            return m.group(0)

        return _VAR.sub(sub, str(expression))

    def texts(row: dict[str, Any], key: str, value: Any, rep: str | None = None) -> None:
        for lg in langs:
            if isinstance(value, dict) and value.get(lg):
                text = odk(value[lg], rep) if key in ("label", "hint") else value[lg]
                row[f"{key}::{_LANG_LABEL.get(lg, f'{lg} ({lg})')}"] = text

    def question(f: dict[str, Any], rep: str | None = None) -> None:
        t = f["type"]
        row: dict[str, Any] = {"name": xls_name(rep, str(f["id"]))}
        if row["name"] != f["id"]:
            row["fieldapp_name"] = f["id"]
        if t in ("select_one", "select_multiple"):
            row["type"] = f"{t} {f['choices']}"
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
        texts(row, "label", f.get("label"), rep)
        texts(row, "hint", f.get("hint"), rep)
        req = f.get("required")
        if req is True:
            row["required"] = "yes"
        elif isinstance(req, str):
            row["required"] = odk(req, rep)
        for key in ("relevant", "constraint", "calculation", "choice_filter"):
            if f.get(key) not in (None, ""):
                row[key] = odk(f[key], rep)
        if f.get("appearance"):
            row["appearance"] = str(f["appearance"])
        texts(row, "constraint_message", f.get("constraint_message"))
        texts(row, "required_message", f.get("required_message"))
        if f.get("trigger"):
            names = [f["trigger"]] if isinstance(f["trigger"], str) else f["trigger"]
            row["trigger"] = " ".join(odk("${" + str(n) + "}", rep) for n in names)
        if f.get("read_only"):
            row["read_only"] = "yes"
        if f.get("default") is not None:
            row["default"] = (
                f["default"] if not isinstance(f["default"], bool) else ("true" if f["default"] else "false")
            )
        for key in _OWN_KEYS:
            if f.get(key) is not None:
                row[f"fieldapp_{key}"] = json.dumps(f[key], ensure_ascii=False)
        rows.append(row)

    def repeat(f: dict[str, Any], outer: str | None) -> None:
        """A repeat's rows: begin repeat, its questions (a repeat inside it too), end repeat."""
        rep: dict[str, Any] = {"type": "begin repeat", "name": f["id"]}
        texts(rep, "label", f.get("label"), outer)
        texts(rep, "hint", f.get("hint"), outer)
        if f.get("relevant"):
            rep["relevant"] = odk(f["relevant"], outer)
        if f.get("repeat_count") not in (None, ""):
            rep["repeat_count"] = odk(f["repeat_count"], outer)
        for key in _OWN_KEYS:
            if f.get(key) is not None:
                rep[f"fieldapp_{key}"] = json.dumps(f[key], ensure_ascii=False)
        rows.append(rep)
        for c in f.get("fields") or []:
            if c["type"] == "repeat":
                repeat(c, str(f["id"]))
            else:
                question(c, str(f["id"]))
        rows.append({"type": "end repeat"})

    field_ids = {str(f["id"]) for f in _all_fields(form)}
    for s in form.get("sections") or []:
        group: dict[str, Any] = {"type": "begin group", "name": s["id"]}
        if s["id"] in field_ids:  # XLSForm names are unique across groups and questions
            group["name"] = f"{s['id']}_section"
            group["fieldapp_section"] = s["id"]
        texts(group, "label", s.get("label"))
        rows.append(group)
        for f in s.get("fields") or []:
            if f["type"] == "repeat":
                repeat(f, None)
            else:
                question(f)
        rows.append({"type": "end group"})

    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    used_cols = [c for c in cols if any(c in r for r in rows)]
    ws.append(used_cols)
    for r in rows:
        ws.append([r.get(c) for c in used_cols])
    ch = wb.create_sheet("choices")
    extra_keys: list[str] = []
    for name in lists_used:
        for item in all_lists.get(name) or []:
            for k in item:
                if k not in ("code", *langs) and k not in extra_keys:
                    extra_keys.append(k)
    ch_cols = ["list_name", "name", *lang_cols("label"), *extra_keys]
    ch.append(ch_cols)
    for name in lists_used:
        for item in all_lists.get(name) or []:
            line: dict[str, Any] = {"list_name": name, "name": str(item["code"])}
            for lg in langs:
                if item.get(lg):
                    line[f"label::{_LANG_LABEL.get(lg, f'{lg} ({lg})')}"] = item[lg]
            for k in extra_keys:
                if k in item:
                    line[k] = item[k]
            ch.append([line.get(c) for c in ch_cols])
    st = wb.create_sheet("settings")
    own = {k: form[k] for k in (*_FORM_OWN_KEYS, "title") if form.get(k) is not None}
    title = form.get("title") or {}
    lang = form.get("default_language")
    st.append(["form_id", "version", "form_title", "fieldapp_form", *(["default_language"] if lang else [])])
    st.append(
        [
            form["id"],
            str(form.get("version", "1")),
            title.get("th") if isinstance(title, dict) else str(title),
            # ${…} written \u007b: pyxform checks every ${} in the workbook names a question
            json.dumps(own, ensure_ascii=False).replace("${", "$\\u007b"),
            *([_LANG_LABEL.get(lang, f"{lang} ({lang})")] if lang else []),
        ]
    )
    wb.save(out)
