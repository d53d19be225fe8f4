"""Reading an XLSForm through pyxform into fieldapp's form format, with a report of what did not
come whole (``ImportReport``)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldapp.errors import FieldAppError, FormDefinitionError
from fieldapp.xlsform.kinds import convert_meta, from_file, place_hidden, question_type
from fieldapp.xlsform.vocabulary import (
    CODE_OK,
    FORM_OWN_KEYS,
    LANG_CODE,
    LANG_NAMES,
    META_CARRIED,
    METADATA,
    OWN_KEYS,
    RESERVED,
    VAR,
)


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


def _language(key: str) -> str:
    """A language column's code: ``English (en)`` → en, ``ไทย`` → th, ``default`` → ''."""
    m = LANG_CODE.search(key)
    if m:
        return m.group(1).lower()
    k = key.strip().lower()
    if k in ("default", ""):
        return ""
    return LANG_NAMES.get(k, re.sub(r"[^a-z]", "", k)[:8] or "xx")


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
        self.used_lower: dict[str, str] = {}  # lower-cased id → the id
        self.report_partial: list[Note] = []
        self.report_dropped: list[Note] = []
        self.rows_of: dict[int, int | None] = {}  # id(field dict) → row
        self.partial_rows: set[int | None] = set()
        self.lists_used: set[str] = set()
        self.list_names: dict[str, str] = {}
        self.current_repeat: str | None = None  # the repeat whose questions are being read
        self.inner_repeats: set[str] = set()  # repeats inside a repeat
        self.owner: dict[str, str] = {}  # XLSForm name → its repeat, for names fieldapp shares
        self.media: list[Path] = []  # where the files that come with the form are looked for
        self.file_choices: dict[str, list[dict[str, Any]]] = {}  # select_one_from_file: file → rows
        self.section_names: set[str] = set()  # the ids of the sections (the groups at the top)
        self.group_names: dict[str, str] = {}  # a group's id → its XLSForm name

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
        """The fieldapp id of an XLSForm name: kept as written (``HH_size`` too) when it is
        letters, digits and _; any other character becomes _."""
        if name in self.names:
            return self.names[name]
        fid = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not fid or not fid[0].isalpha():
            fid = f"q_{fid}"
        if fid.lower() in RESERVED:
            fid = f"{fid}_q"
        clash = self.used_lower.get(fid.lower())
        if clash is not None and clash != fid:
            rows = (self.row(clash), self.row(name))
            raise XLSFormError(
                f"ชื่อคำถาม {clash} (แถว {rows[0]}) กับ {name} (แถว {rows[1]}) ต่างกันแค่ตัวพิมพ์เล็กพิมพ์ใหญ่ "
                "ซึ่งฐานข้อมูลแยกไม่ได้ กรุณาเปลี่ยนชื่อหนึ่งในสองคำถามนี้ แล้วนำเข้าใหม่",
                f"rows {rows[0]} and {rows[1]}: the names {clash!r} and {name!r} differ only by letter "
                "case; database columns do not tell them apart, so the form is refused: rename one",
            )
        base, n = fid, 2
        while fid in self.used:
            fid = f"{base}_{n}"
            n += 1
        self.used.add(fid)
        self.used_lower[fid.lower()] = fid
        self.names[name] = fid
        if fid != name:
            self.partial(name, f"the name is stored as {fid!r} (letters, digits and _)")
        return fid

    def group_id(self, name: str) -> str:
        """A group's id: unique across the questions, the other groups and the sections."""
        fid = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not fid or not fid[0].isalpha():
            fid = f"g_{fid}"
        base, n = fid, 2
        while fid in self.used or fid in self.section_names:
            fid = f"{base}_{n}"
            n += 1
        self.used.add(fid)
        self.group_names[fid] = name
        if fid != name:
            self.partial(name, f"the group's name is stored as {fid!r} (letters, digits and _)")
        return fid

    def list_id(self, name: str) -> str:
        if name not in self.list_names:
            lid = re.sub(r"[^a-z0-9_]", "_", name.lower())
            if not lid or not lid[0].isalpha():
                lid = f"l_{lid}"
            base, n = lid, 2
            while lid in self.list_names.values():  # Yes_No and yes_no: two lists, kept apart
                lid = f"{base}_{n}"
                n += 1
            self.list_names[name] = lid
        return self.list_names[name]


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) and ({b})"
    return a or b


def _pre_name(
    children: Iterable[dict[str, Any]], reader: _Reader, repeat: str | None = None, top: bool = False
) -> None:
    """Give every question its fieldapp id first, so expressions can be rewritten (and keep the
    sections' ids from the groups inside them)."""
    for c in children:
        if c.get("type") in ("group", "repeat"):
            if c.get("name") == "meta" and c.get("control", {}).get("bodyless"):
                continue
            if top and c.get("type") == "group" and c.get("name"):
                reader.section_names.add(str(c.get("fieldapp_section") or "") or reader.list_id(str(c["name"])))
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

    return VAR.sub(sub, text)


def _convert_children(
    children: list[dict[str, Any]],
    reader: _Reader,
    relevant: str | None,
    in_repeat: bool,
    sections: list[dict[str, Any]] | None,
    out: list[dict[str, Any]],
) -> None:
    """pyxform's children (groups, repeats, questions) as fieldapp's fields, appended to ``out``;
    a group at the top becomes a section of its own when ``sections`` is given."""
    i = 0
    while i < len(children):
        c = children[i]
        i += 1
        t = str(c.get("type") or "")
        if t == "group" and c.get("name") == "meta" and c.get("control", {}).get("bodyless"):
            for m in c.get("children") or []:  # pyxform's own instanceID; an audit row lands here
                if m.get("name") not in ("instanceID", "instanceName") and m.get("name"):
                    kind = str(m.get("type") or "")
                    reader.drop(str(m["name"]), METADATA.get(kind, f"the metadata {kind!r} is not collected"))
            continue
        if t == "group":
            _convert_group(c, reader, relevant, in_repeat, sections, out)
        elif t == "repeat":
            _convert_repeat(c, reader, relevant, out)
        elif str(c.get("name") or "").startswith("reserved_name_for_field_list_labels_"):
            reader.drop(
                str(c["name"]),
                "a table-list's header row (its choices shown once above the questions) is not "
                "carried: each question shows its own choices",
            )
        elif t in META_CARRIED:
            convert_meta(c, reader, t, in_repeat, out)
        elif t in METADATA:
            reader.drop(str(c.get("name") or ""), METADATA[t])
        else:
            nxt = children[i] if i < len(children) else None
            if _convert_question(c, nxt, reader, relevant, out):
                i += 1  # the "NAME_other" question went into the choice's "other"


def _convert_group(
    c: dict[str, Any],
    reader: _Reader,
    relevant: str | None,
    in_repeat: bool,
    sections: list[dict[str, Any]] | None,
    out: list[dict[str, Any]],
) -> None:
    """A group at the top: a section of its own (its relevance the section's); inside a group or
    a repeat: a ``type: group`` field around its questions, with its relevance, to any depth."""
    name = str(c.get("name") or "")
    bind = c.get("bind") or {}
    rel = _rewrite(bind["relevant"], reader, reader.current_repeat) if bind.get("relevant") else None
    labels = {k: _rewrite(v, reader, reader.current_repeat) for k, v in _labels(c.get("label"), name).items()}
    fields: list[dict[str, Any]] = []
    _convert_children(c.get("children") or [], reader, relevant, in_repeat, None, fields)
    if not fields:
        reader.drop(name, "the group has no question fieldapp can carry")
        return
    if sections is None or in_repeat:
        group: dict[str, Any] = {"id": reader.group_id(name), "type": "group", "label": labels}
        if c.get("hint"):
            group["hint"] = {
                k: _rewrite(v, reader, reader.current_repeat) for k, v in _labels(c.get("hint"), "").items()
            }
        if rel:
            group["relevant"] = rel
        appearance = (c.get("control") or {}).get("appearance")
        if appearance:
            group["appearance"] = str(appearance)
        group["fields"] = fields
        out.append(group)
        return
    section: dict[str, Any] = {
        "id": str(c.get("fieldapp_section") or "")
        or (reader.list_id(name) if name else f"section_{len(sections) + 1}"),
        "label": labels,
    }
    if rel:
        section["relevant"] = rel
    if c.get("hint"):
        reader.partial(name, "a section (a group at the top) shows no hint: the group's hint is not carried")
    section["fields"] = fields
    sections.append(section)


def _convert_repeat(
    c: dict[str, Any], reader: _Reader, relevant: str | None, out: list[dict[str, Any]]
) -> None:
    name = str(c.get("name") or "")
    outer = reader.current_repeat
    if outer is not None and outer in reader.inner_repeats:
        # a third level of rows has nowhere to live: refused, never flattened
        row = reader.row(name)
        raise XLSFormError(
            f"แบบฟอร์มนี้มีกลุ่มคำถามซ้ำซ้อนกันสามชั้น ({name} แถว {row}) ซึ่งโปรแกรมยังเก็บไม่ได้ จึงไม่นำเข้าแบบฟอร์มนี้",
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
        return
    rep["fields"] = kids
    out.append(rep)




def _convert_question(
    c: dict[str, Any],
    nxt: dict[str, Any] | None,
    reader: _Reader,
    relevant: str | None,
    out: list[dict[str, Any]],
) -> bool:
    """Append the question ``c``; True when it took the next one (``nxt``) as its "other" text."""
    ftype = question_type(c, reader)
    if ftype is None:
        return False
    name = str(c.get("name") or "")
    q = _question(c, reader, ftype, relevant)
    took_next = False
    if c.get("type") == "range":
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
    list_name = c.get("list_name") or c.get("itemset")
    if ftype in ("select_one", "select_multiple", "rank") and list_name:
        q["choices"] = reader.list_id(str(list_name))
        reader.lists_used.add(str(list_name))
        # or_other: pyxform adds an "other" choice and a "NAME_other" text question after it
        if (
            nxt is not None
            and nxt.get("name") == f"{name}_other"
            and "'other'" in str((nxt.get("bind") or {}).get("relevant", ""))
        ):
            q["other"] = "other"
            took_next = True
    out.append(q)
    return took_next


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
    if c.get("choice_filter") and (not from_file(c) or str(c["itemset"]) in reader.file_choices):
        q["choice_filter"] = _rewrite(c["choice_filter"], reader, reader.current_repeat)
    if c.get("trigger"):
        raw_trigger = c["trigger"]
        names = list(raw_trigger) if isinstance(raw_trigger, (list, tuple)) else VAR.findall(str(raw_trigger))
        if ftype == "calculated" and reader.current_repeat is None:
            q["trigger"] = [reader.names.get(str(n), str(n)) for n in names]
        else:
            reader.partial(name, "trigger is carried only by a calculation outside repeats")
    media = [k for k in c if k in ("media", "image", "audio", "video")]
    if media:
        reader.partial(name, "pictures and sounds of the question are not carried")
    params = c.get("parameters") or {}
    if params and c.get("type") != "range":
        listed = params if isinstance(params, str) else " ".join(f"{k}={v}" for k, v in sorted(params.items()))
        reader.partial(name, f"parameters are not carried: {listed}")
    for key in OWN_KEYS:
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
            if not CODE_OK.match(code):
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
    reader.media = [path.parent, path.parent / f"{path.stem}-media"]
    children = list(data.get("children") or [])
    _pre_name(children, reader, top=True)
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
    place_hidden(sections)
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
            form.update({k: v for k, v in extra.items() if k in (*FORM_OWN_KEYS, "title")})
        except ValueError:
            pass
    choices = _choices({**(data.get("choices") or {}), **reader.file_choices}, reader)
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


def _walk(items: Iterable[dict[str, Any]], prefix: str = "") -> Iterator[tuple[dict[str, Any], str]]:
    """Every field and group under ``items`` with its path (a group adds nothing to the paths of
    its questions, a repeat adds its id), in order."""
    for f in items:
        path = f"{prefix}{f.get('id')}"
        yield f, path
        if f.get("type") == "group":
            yield from _walk(f.get("fields") or [], prefix)
        elif f.get("fields"):
            yield from _walk(f["fields"], f"{path}.")


def all_fields(form: dict[str, Any]) -> list[dict[str, Any]]:
    """Every field of a definition (in repeats too) and every group, in order."""
    return [f for s in form.get("sections") or [] for f, _ in _walk(s.get("fields") or [])]


def level(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The fields of one level (a section's, a repeat's row), groups seen through."""
    out: list[dict[str, Any]] = []
    for f in items:
        out.extend(level(f.get("fields") or []) if f.get("type") == "group" else [f])
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
        key = problem.split(":", 1)[0].strip()
        section = next((s for s in form.get("sections") or [] if f"sections.{s.get('id')}" == where), None)
        if section is not None and key == "relevant" and "relevant" in section:
            del section["relevant"]  # a top group's relevance that does not compile
            name = next((n for n, sid in reader.list_names.items() if sid == section["id"]), section["id"])
            reader.partial(name, f"relevant is not carried: {problem.split(':', 1)[1].strip()}")
            continue
        target = next((f for f in all_fields(form) if _path(form, f) == where), None)
        if target is None:
            raise XLSFormError("แปลงแบบฟอร์มไม่ได้", f"the form cannot be built: {where}: {problem}")
        if target.get("type") == "group":
            original = reader.group_names.get(str(target["id"]), str(target["id"]))
        else:
            original = next((n for n, fid in reader.names.items() if fid == target["id"]), target["id"])
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
    ids = {str(f["id"]) for f in all_fields(form) if f.get("type") != "group"}
    changed = False

    def fix(texts: Any) -> Any:
        nonlocal changed
        if not isinstance(texts, dict):
            return texts
        out = {
            k: VAR.sub(lambda m: m.group(0) if m.group(1) in ids else f"[{m.group(1)}]", v)
            for k, v in texts.items()
        }
        changed = changed or out != texts
        return out

    for f in all_fields(form):
        for key in ("label", "hint", "constraint_message"):
            if key in f:
                f[key] = fix(f[key])
    for s in form.get("sections") or []:
        if "label" in s:
            s["label"] = fix(s["label"])
    return changed


def _path(form: dict[str, Any], f: dict[str, Any]) -> str:
    for s in form.get("sections") or []:
        for found, path in _walk(s.get("fields") or []):
            if found is f:
                return path
    return str(f.get("id"))


def _remove(form: dict[str, Any], target: dict[str, Any]) -> None:
    """Take ``target`` out of the definition, and the repeats and groups left empty."""

    def prune(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for f in items:
            if f is target:
                continue
            if f.get("type") in ("group", "repeat"):
                f["fields"] = prune(f.get("fields") or [])
                if not f["fields"]:
                    continue
            out.append(f)
        return out

    for s in form.get("sections") or []:
        s["fields"] = prune(s.get("fields") or [])
    form["sections"] = [s for s in form.get("sections") or [] if s.get("fields")]


def to_yaml(form: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(form, allow_unicode=True, sort_keys=False, width=120)


# ---------------------------------------------------------------------- writing
