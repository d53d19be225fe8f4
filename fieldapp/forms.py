"""Form definitions (``forms/*.yaml``): loading, checking and validating records.

The format is documented in ``docs/forms.md``. ``load_all()`` reads every definition, checks it
(names, types, choices, expressions) and links the scoring rubric; a malformed definition raises
``FormDefinitionError`` naming the file, the field and the problem.

``Form.validate(raw)`` is the first step of the one write path: it turns raw input (from the app,
an import or a sync) into a clean record document, or returns every problem it found.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fieldapp import expr, geo, ids, resources, thai, thaidate
from fieldapp.errors import (
    ExpressionError,
    FieldAppError,
    FormDefinitionError,
    Problem,
    ValidationError,
)

if TYPE_CHECKING:
    from fieldapp.scoring import Rubric

FIELD_TYPES = {
    "text",
    "integer",
    "decimal",
    "money",
    "date",
    "boolean",
    "select_one",
    "select_multiple",
    "national_id",
    "phone",
    "geopoint",
    "subdistrict",
    "photo",
    "reference",
    "note",
    "calculated",
    "repeat",
}
RESULT_TYPES = {
    "text",
    "integer",
    "decimal",
    "money",
    "boolean",
    "date",
    "select_one",
    "select_multiple",
}
SQL_TYPES = {
    "text": "TEXT",
    "integer": "INTEGER",
    "decimal": "REAL",
    "money": "REAL",
    "date": "TEXT",
    "boolean": "INTEGER",
    "select_one": "TEXT",
    "select_multiple": "TEXT",
    "national_id": "TEXT",
    "phone": "TEXT",
    "subdistrict": "TEXT",
    "photo": "TEXT",
    "reference": "TEXT",
}
FIELD_KEYS = {
    "id",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "result",
    "choices",
    "other",
    "min",
    "max",
    "max_length",
    "multiline",
    "sensitive",
    "ref",
    "default",
    "appearance",
    "scored",
    "fields",
}
FORM_KEYS = {
    "id",
    "version",
    "title",
    "title_field",
    "area_field",
    "search",
    "list_columns",
    "scoring",
    "choices",
    "sections",
    "consent_field",
    "description",
}
RESERVED_NAMES = {
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
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_ROWS_DEFAULT = 200
LARGEST_INT = 2**63 - 1
TRUE_WORDS = {"true", "1", "yes", "y", "ใช่", "มี", "จริง", "x", "✓"}
FALSE_WORDS = {"false", "0", "no", "n", "ไม่ใช่", "ไม่มี", "ไม่", "เท็จ"}


@dataclass(frozen=True)
class Choice:
    code: str
    th: str
    en: str

    def label(self, lang: str = "th") -> str:
        return self.th if lang == "th" else self.en


@dataclass
class Field:
    id: str
    type: str
    label: dict[str, str]
    path: str  # "members.first_name" inside a repeat
    section: str = ""
    hint: dict[str, str] = field(default_factory=dict)
    required: bool | expr.Expression = False
    relevant: expr.Expression | None = None
    constraint: expr.Expression | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    calculation: expr.Expression | None = None
    result: str | None = None
    choices_name: str | None = None
    choices: list[Choice] = field(default_factory=list)
    other: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    multiline: bool = False
    sensitive: bool = False
    ref: str | None = None
    default: Any = None
    appearance: str | None = None
    scored: bool = False
    fields: list[Field] = field(default_factory=list)  # repeat children
    parent: Field | None = None  # the repeat this field lives in
    _codes: frozenset[str] = frozenset()

    @functools.cached_property
    def value_type(self) -> str:
        """The type of the stored value (``result`` for calculated fields)."""
        return (self.result or "text") if self.type == "calculated" else self.type

    @property
    def stores_value(self) -> bool:
        return self.type not in ("note", "repeat")

    def columns(self) -> list[tuple[str, str]]:
        """(column name, SQL type) pairs this field occupies in its table."""
        if not self.stores_value:
            return []
        if self.value_type == "geopoint":
            return [(f"{self.id}_lat", "REAL"), (f"{self.id}_lon", "REAL")]
        return [(self.id, SQL_TYPES[self.value_type])]

    def label_for(self, lang: str = "th") -> str:
        return self.label.get(lang) or self.label.get("th", self.id)

    def choice_label(self, code: Any, lang: str = "th") -> str:
        found = self._choice_index.get(code)
        if found is not None:
            return found.label(lang)
        return "" if code is None else str(code)

    @functools.cached_property
    def _choice_index(self) -> dict[Any, Choice]:
        return {c.code: c for c in self.choices}

    @functools.cached_property
    def _level(self) -> tuple[list[Field], frozenset[str]]:
        """A repeat's fields and the keys one of its rows may hold (with the row ``id``)."""
        return list(self.fields), frozenset([*(f.id for f in self.fields), "id"])

    @functools.cached_property
    def _checked(self) -> list[Field]:
        return _checked_fields(self.fields)

    def child(self, name: str) -> Field | None:
        found = self.__dict__.get("_children")
        if found is None or len(found) != len(self.fields):
            found = self.__dict__["_children"] = {f.id: f for f in self.fields}
        return found.get(name)


@dataclass
class Section:
    id: str
    label: dict[str, str]
    fields: list[Field]


@dataclass
class Form:
    id: str
    version: str
    title: dict[str, str]
    source: str
    sections: list[Section]
    title_field: str | None = None
    area_field: str | None = None
    search: list[str] = field(default_factory=list)
    list_columns: list[str] = field(default_factory=list)
    scoring: str | None = None
    consent_field: str | None = None
    rubric: Rubric | None = None
    fields: dict[str, Field] = field(default_factory=dict)  # top level, in order
    _order: list[Field] = field(default_factory=list)
    _calc_order: list[Field] = field(default_factory=list)
    _calc_inputs: set[str] = field(default_factory=set)  # answers read by calculations and scoring
    # per repeat: (field id, compiled calculation, result normaliser) in row order
    _row_calcs: list[tuple[str, Callable[[dict[str, Any], dict[str, Any]], None]]] = field(
        default_factory=list
    )

    # ------------------------------------------------------------------ structure

    @property
    def table(self) -> str:
        return self.id

    def repeats(self) -> list[Field]:
        """The form's repeats (computed once: the store asks for every record it writes)."""
        found: list[Field] | None = self.__dict__.get("_repeat_list")
        if found is None or len(self.fields) != self.__dict__.get("_repeat_n"):
            found = [f for f in self.fields.values() if f.type == "repeat"]
            self.__dict__["_repeat_list"], self.__dict__["_repeat_n"] = found, len(self.fields)
        return list(found)

    def child_table(self, repeat: Field | str) -> str:
        rid = repeat if isinstance(repeat, str) else repeat.id
        return f"{self.id}__{rid}"

    def field_at(self, path: str) -> Field:
        """A field by dotted path (``members.national_id``)."""
        head, _, rest = path.partition(".")
        f = self.fields.get(head)
        if f is not None and rest:
            f = f.child(rest)
        if f is None:
            raise KeyError(path)
        return f

    def title_of(self, lang: str = "th") -> str:
        return self.title.get(lang) or self.title["th"]

    def columns(self) -> list[tuple[str, str]]:
        return [c for f in self.fields.values() for c in f.columns()]

    # ------------------------------------------------------------------ validation

    @functools.cached_property
    def _level(self) -> tuple[list[Field], frozenset[str]]:
        """The form's top-level fields and the keys a record may hold."""
        return list(self.fields.values()), frozenset(self.fields)

    @functools.cached_property
    def _checked(self) -> list[Field]:
        return _checked_fields(self.fields.values())

    def _validator(
        self, computed: bool = False, scored: bool = False
    ) -> Callable[[dict[str, Any], bool], dict[str, Any] | None] | None:
        """The common case of ``validate`` as generated code (``fieldapp.formcode``), made once
        for each kind of record (typed here, or computed by the server, and scored there)."""
        key = (computed, computed and scored)
        made = self.__dict__.setdefault("_validators", {})
        if key not in made:
            from fieldapp import formcode

            made[key] = formcode.validator(self, trusted=key[0], scored=key[1])
        fn: Callable[[dict[str, Any], bool], dict[str, Any] | None] | None = made[key]
        return fn

    def validate(
        self, raw: dict[str, Any], *, partial_ok: bool = False, computed: bool = False, scored: bool = False
    ) -> tuple[dict[str, Any], list[Problem]]:
        """Clean ``raw`` into a record document; returns (document, problems).

        The document has every field of the form (``None`` when empty), repeats as lists of
        rows with their own ``id``, calculations and scores filled in, and irrelevant answers
        cleared. With ``partial_ok`` missing required answers are not problems (a draft).

        ``computed``: the record was validated and calculated with this same form version (by
        the server); when every value is already in stored form it is taken as it is, without
        calculating or checking the rules again, and scored again unless ``scored`` (its scores
        were made with a rubric of the same fingerprint; see ``fieldapp.formcode.validator``).
        """
        fast = self._validator(computed, scored)
        if fast is not None:
            done = fast(raw, partial_ok)
            if done is not None:
                return done, []
        return self._validate_general(raw, partial_ok)

    def _validate_general(self, raw: Any, partial_ok: bool) -> tuple[dict[str, Any], list[Problem]]:
        """Every record the generated fast path leaves: mends what it can, reports the rest."""
        problems: list[Problem] = []
        if not isinstance(raw, dict):
            problems.append(Problem("", "ข้อมูลต้องเป็นชุดข้อมูลของแบบฟอร์ม", "record must be an object"))
            return {}, problems
        data = _coerce_level(self._level, raw, "", problems)
        self.compute(data)
        if _apply_relevance(self, data):
            self.compute(data)  # calculations may have read an answer that was just cleared
        if not problems:
            _check_level(self._checked, data, None, "", problems, partial_ok)
        return data, problems

    def check(self, raw: dict[str, Any], *, partial_ok: bool = False) -> dict[str, Any]:
        """Validate and return the document, or raise ValidationError with every problem."""
        data, problems = self.validate(raw, partial_ok=partial_ok)
        if problems:
            raise ValidationError.from_problems(problems)
        return data

    def compute(self, data: dict[str, Any]) -> None:
        """Fill calculated fields (rows first, then the form, then the scoring rubric)."""
        for rep_id, block in self._row_calcs:
            for row in data.get(rep_id) or []:
                block(data, row)
        for f in self._calc_order:
            data[f.id] = _calc_value(f, data, None)
        if self.rubric is not None:
            data.update(self.rubric.apply(data))

    def blank(self) -> dict[str, Any]:
        """A new record with defaults, as the editor starts it."""
        data: dict[str, Any] = {}
        for f in self.fields.values():
            if f.type == "repeat":
                data[f.id] = []
            elif f.stores_value:
                data[f.id] = f.default
        self.compute(data)
        return data

    def blank_row(self, repeat: str) -> dict[str, Any]:
        rep = self.fields[repeat]
        row: dict[str, Any] = {"id": ids.new_id()}
        for f in rep.fields:
            if f.stores_value:
                row[f.id] = f.default
        return row

    def is_relevant(self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None) -> bool:
        if f.relevant is None:
            return True
        try:
            return expr.truthy(f.relevant.fn(data, row))
        except (ExpressionError, TypeError, ValueError, OverflowError):
            return False

    def is_required(self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None) -> bool:
        if isinstance(f.required, bool):
            return f.required
        try:
            return expr.truthy(f.required(data, row))
        except ExpressionError:
            return False


def _calc_value(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> Any:
    assert f.calculation is not None
    try:
        value = f.calculation.fn(data, row)
    except (ExpressionError, TypeError, ValueError, OverflowError):
        return None
    return _normalise_result(f, value)


def _normaliser(f: Field) -> Any:
    """A fast function that turns a calculation's value into the field's stored form
    (None when the calculation always gives that form already)."""
    t = f.value_type
    if t == "boolean" and f.calculation is not None and expr._gives_bool(f.calculation.tree):
        return None
    if t == "boolean":

        def as_bool(v: Any) -> Any:
            if v is True or v is False:
                return v
            return None if expr.is_empty(v) else expr.truthy(v)

        return as_bool
    if t == "integer":

        def as_int(v: Any) -> Any:
            if type(v) is int:
                return v
            return _normalise_result(f, v)

        return as_int
    return lambda v: _normalise_result(f, v)


def _normalise_result(f: Field, value: Any) -> Any:
    if expr.is_empty(value):
        return None
    t = f.value_type
    if t == "integer":
        n = expr.to_number(value)
        return None if n is None else int(n)
    if t in ("decimal", "money"):
        n = expr.to_number(value)
        if n is None or not math.isfinite(n):
            return None
        return round(float(n), 2)
    if t == "boolean":
        return expr.truthy(value)
    if t == "select_multiple":
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return expr._text(value)


def _apply_relevance(form: Form, data: dict[str, Any]) -> bool:
    """Clear answers to questions that are not relevant (in form order).

    Returns True when a cleared answer is read by a calculation or the scoring rubric, so the
    caller knows the calculations must run again.
    """
    stale = False
    inputs = form._calc_inputs
    for f in form._order:
        if f.relevant is None or f.type == "calculated":
            continue
        if f.parent is None:
            if data.get(f.id) in (None, []):
                continue
            if not form.is_relevant(f, data):
                data[f.id] = [] if f.type == "repeat" else None
                stale = stale or f.id in inputs or f.type == "repeat"
        else:
            key = f"{f.parent.id}.{f.id}"
            for row in data.get(f.parent.id) or []:
                if row.get(f.id) is not None and not form.is_relevant(f, data, row):
                    row[f.id] = None
                    stale = stale or key in inputs
    return stale


# ---------------------------------------------------------------------- coercion


def _problem(problems: list[Problem], path: str, err: FieldAppError, code: str = "invalid") -> None:
    problems.append(Problem(path, err.message, err.message_en, getattr(err, "code", code) or code))


def _coerce_level(
    level: tuple[list[Field], frozenset[str]], raw: dict[str, Any], prefix: str, problems: list[Problem]
) -> dict[str, Any]:
    fields, known = level
    out: dict[str, Any] = {}
    if not known.issuperset(raw):
        for key in raw:
            if key not in known:
                p = f"{prefix}{key}"
                problems.append(
                    Problem(p, f"ไม่รู้จักข้อคำถาม {key!r} ในแบบฟอร์มนี้", f"unknown field {key!r}", "unknown_field")
                )
    get = raw.get
    for f in fields:
        ftype = f.type
        fid = f.id
        if ftype == "calculated":
            out[fid] = None
            continue
        if ftype == "note":
            continue
        value = get(fid)
        if value is None:
            out[fid] = [] if ftype == "repeat" else None
            continue
        # the commonest stored-form values, without a call (same tests as _already_stored)
        tv = type(value)
        if ftype == "select_one":
            if tv is str and value in f._codes:
                out[fid] = value
                continue
        elif ftype == "boolean":
            if tv is bool:
                out[fid] = value
                continue
        elif ftype == "integer":
            if tv is int and -LARGEST_INT <= value <= LARGEST_INT:
                out[fid] = value
                continue
        elif ftype == "repeat":
            out[fid] = _coerce_rows(f, value, f"{prefix}{fid}", problems)
            continue
        try:
            out[fid] = coerce(f, value)
        except ValidationError as exc:
            label = f.label_for("th")
            problems.append(
                Problem(
                    f"{prefix}{f.id}",
                    f"{label}: {exc.message}",
                    f"{f.label_for('en')}: {exc.message_en}",
                    exc.code,
                )
            )
            out[f.id] = None
    return out


def _coerce_rows(rep: Field, value: Any, path: str, problems: list[Problem]) -> list[dict[str, Any]]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, list):
        problems.append(
            Problem(path, f"{rep.label_for('th')}: ต้องเป็นรายการ", f"{rep.id} must be a list", "type")
        )
        return []
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        rpath = f"{path}[{i + 1}]"
        if not isinstance(item, dict):
            problems.append(Problem(rpath, "แถวข้อมูลไม่ถูกต้อง", "row must be an object", "type"))
            continue
        row = _coerce_level(rep._level, item, f"{rpath}.", problems)
        rid = item.get("id")
        row_id = _uuid_or_none(rid)
        if rid not in (None, "") and row_id is None:
            problems.append(Problem(f"{rpath}.id", "รหัสแถวไม่ถูกต้อง", "row id must be a UUID", "type"))
        if row_id is None or row_id in seen:
            if row_id in seen:
                problems.append(Problem(f"{rpath}.id", "รหัสแถวซ้ำกัน", "duplicate row id", "duplicate"))
            row_id = ids.new_id()
        seen.add(row_id)
        rows.append({"id": row_id, **row})
    return rows


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if len(value) == 36 and _CANONICAL_UUID.fullmatch(value):
        return value  # already written the way str(uuid.UUID(...)) writes it
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _err(th: str, en: str, code: str = "type") -> ValidationError:
    return ValidationError(th, en, code=code)


def _number_text(value: str) -> str:
    text = thai.normalize_digits(thai.strip_invisible(value)).strip()
    return text.replace(",", "").replace(" ", "").replace("\u00a0", "")


def _coerce_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _err("ต้องเป็นจำนวนเต็ม", "must be a whole number")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _err("ต้องเป็นจำนวนเต็ม", "must be a whole number")
        n = int(value)
    elif isinstance(value, str):
        text = _number_text(value)
        if not re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            raise _err("ต้องเป็นจำนวนเต็ม", "must be a whole number")
        n = int(text.split(".")[0])
    else:
        raise _err("ต้องเป็นจำนวนเต็ม", "must be a whole number")
    if abs(n) > LARGEST_INT:
        raise _err("ตัวเลขมากเกินไป", "number too large", "range")
    return n


def _coerce_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _err("ต้องเป็นตัวเลข", "must be a number")
    if isinstance(value, (int, float)):
        f = float(value)
    elif isinstance(value, str):
        text = _number_text(value)
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
            raise _err("ต้องเป็นตัวเลข", "must be a number")
        f = float(text)
    else:
        raise _err("ต้องเป็นตัวเลข", "must be a number")
    if not math.isfinite(f):
        raise _err("ต้องเป็นตัวเลขที่มีค่าจริง", "must be a finite number")
    if abs(f) > 1e15:
        raise _err("ตัวเลขมากเกินไป", "number too large", "range")
    return f


def _coerce_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, float) and value in (0.0, 1.0):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    raise _err("ต้องเป็น ใช่ หรือ ไม่ใช่", "must be yes or no")


def _coerce_code(f: Field, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _err("ตัวเลือกไม่ถูกต้อง", "invalid choice", "choice")
    code = str(value).strip()
    if code not in f._codes:
        raise _err(
            f"ไม่มีตัวเลือกรหัส {code[:40]!r}",
            f"unknown choice code {code[:40]!r}",
            "choice",
        )
    return code


def _coerce_multi(f: Field, value: Any) -> list[str]:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise _err("รายการตัวเลือกไม่ถูกต้อง", "invalid list of choices", "choice") from exc
        else:
            value = [v for v in re.split(r"[\s,;]+", text) if v]
    if not isinstance(value, (list, tuple)):
        raise _err("รายการตัวเลือกไม่ถูกต้อง", "invalid list of choices", "choice")
    out: list[str] = []
    for v in value:
        code = _coerce_code(f, v)
        if code not in out:
            out.append(code)
    return out


def _coerce_geopoint(value: Any) -> dict[str, float]:
    lat: Any
    lon: Any
    if isinstance(value, dict):
        lat, lon = value.get("lat"), value.get("lon")
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        lat, lon = value
    elif isinstance(value, str):
        parts = [p for p in re.split(r"[\s,]+", thai.normalize_digits(value.strip())) if p]
        if len(parts) != 2:
            raise _err("พิกัดต้องเป็น ละติจูด ลองจิจูด", "coordinates must be 'lat lon'", "geopoint")
        lat, lon = parts
    else:
        raise _err("พิกัดไม่ถูกต้อง", "invalid coordinates", "geopoint")
    la, lo = _coerce_float(lat), _coerce_float(lon)
    if not (5.0 <= la <= 21.0 and 97.0 <= lo <= 106.0):
        raise _err(
            "พิกัดอยู่นอกประเทศไทย (ละติจูด 5–21, ลองจิจูด 97–106)",
            "coordinates outside Thailand (lat 5–21, lon 97–106)",
            "geopoint",
        )
    return {"lat": round(la, 7), "lon": round(lo, 7)}


@functools.lru_cache(maxsize=1 << 16)
def _coerce_date_text(value: str) -> str | None:
    """A date written as text in its stored form (ISO); cached, as a survey repeats its dates."""
    if value.strip() == "":
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit():
        try:  # the stored form (ISO) needs no parsing of Thai spellings
            d = _dt.date.fromisoformat(value)
        except ValueError:
            d = thaidate.parse_date(value)
    else:
        d = thaidate.parse_date(value)
    if not 1900 <= d.year <= 2200:
        raise _err("ปีของวันที่ไม่สมเหตุสมผล", "date year out of range", "date.range")
    return thaidate.to_iso(d)


def _already_stored(f: Field, value: Any) -> bool:
    """True when ``value`` is already in the stored form of ``f`` and needs no cleaning.

    Records read back from the database, pulled from the server or made by the editor mostly
    hold values of this kind; checking them costs a type test and a set lookup.
    """
    t = f.type
    tv = type(value)
    if t == "select_one":
        return tv is str and value in f._codes
    if t == "integer":
        return tv is int and -LARGEST_INT <= value <= LARGEST_INT
    if t == "boolean":
        return tv is bool
    if t == "decimal":
        return tv is float and -1e15 <= value <= 1e15
    if t == "select_multiple":
        return (
            tv is list
            and bool(value)
            and all(type(c) is str and c in f._codes for c in value)
            and len(set(value)) == len(value)
        )
    return False


def coerce(f: Field, value: Any) -> Any:
    """One value of field ``f`` in its stored form (``None`` when empty), or ValidationError."""
    if value is None:
        return None
    if _already_stored(f, value):
        return list(value) if type(value) is list else value
    if isinstance(value, str) and f.type not in ("text",) and value.strip() == "":
        return None
    t = f.type
    if t == "text":
        if isinstance(value, bool):
            raise _err("ต้องเป็นข้อความ", "must be text")
        if isinstance(value, (int, float)):
            value = expr._text(value)
        if not isinstance(value, str):
            raise _err("ต้องเป็นข้อความ", "must be text")
        limit = f.max_length or (5000 if f.multiline else 500)
        text = thai.check_text_cached(value, f.multiline, limit)
        return text or None
    if t == "integer":
        return _coerce_int(value)
    if t == "decimal":
        return _coerce_float(value)
    if t == "money":
        m = _coerce_float(value)
        if m < 0:
            raise _err("จำนวนเงินต้องไม่ติดลบ", "amount must not be negative", "range")
        return round(m, 2)
    if t == "date":
        if hasattr(value, "isoformat") and not isinstance(value, str):
            d = value.date() if hasattr(value, "date") and callable(value.date) else value
            return thaidate.to_iso(d)
        if not isinstance(value, str):
            raise _err("วันที่ไม่ถูกต้อง", "invalid date", "date.invalid")
        return _coerce_date_text(value)
    if t == "boolean":
        return _coerce_bool(value)
    if t == "select_one":
        return _coerce_code(f, value)
    if t == "select_multiple":
        return _coerce_multi(f, value) or None
    if t == "national_id":
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _err("เลขประจำตัวประชาชนไม่ถูกต้อง", "invalid national ID", "national_id.chars")
        return thai.parse_national_id(str(value))
    if t == "phone":
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _err("หมายเลขโทรศัพท์ไม่ถูกต้อง", "invalid phone number", "phone")
        return thai.parse_phone(str(value))
    if t == "geopoint":
        return _coerce_geopoint(value)
    if t == "subdistrict":
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _err("รหัสตำบลไม่ถูกต้อง", "invalid subdistrict code", "subdistrict.format")
        return geo.check_subdistrict(thai.normalize_digits(str(value)))
    if t == "photo":
        text = str(value).strip().lower()
        if not SHA256_RE.fullmatch(text):
            raise _err("รูปภาพไม่ถูกต้อง", "photo must be a SHA-256 reference", "photo")
        return text
    if t == "reference":
        ref = _uuid_or_none(value.strip() if isinstance(value, str) else value)
        if ref is None:
            raise _err("การอ้างอิงไม่ถูกต้อง", "reference must be a record id (UUID)", "reference")
        return ref
    raise _err("ชนิดข้อมูลไม่รองรับ", f"unsupported type {t}")


# ---------------------------------------------------------------------- checks


def _fmt_num(n: float | None) -> str:
    if n is None:
        return ""
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"


def _checked_fields(fields: Iterable[Field]) -> list[Field]:
    """The fields of a level that have anything to check (answers that can be required,
    relevance, a constraint, bounds, or rows)."""
    return [
        f
        for f in fields
        if f.type not in ("note", "calculated")
        and (
            f.type == "repeat"
            or f.required is not False
            or f.relevant is not None
            or f.constraint is not None
            or f.min is not None
            or f.max is not None
        )
    ]


def _check_level(
    fields: list[Field],
    data: dict[str, Any],
    row: dict[str, Any] | None,
    prefix: str,
    problems: list[Problem],
    partial_ok: bool,
) -> None:
    target = row if row is not None else data
    form_data = data
    for f in fields:
        if f.relevant is not None and not _relevant(f, form_data, row):
            continue
        value: Any = target.get(f.id)
        if f.type != "repeat":
            if value is None or value == "" or value == []:
                if not partial_ok and f.required is not False and _required(f, form_data, row):
                    problems.append(
                        Problem(
                            f"{prefix}{f.id}",
                            f"กรุณากรอก {f.label_for('th')}",
                            f"{f.label_for('en')} is required",
                            "required",
                        )
                    )
                continue
            if f.min is None and f.max is None and f.constraint is None:
                continue
        path = f"{prefix}{f.id}"
        if f.type == "repeat":
            rows = value or []
            if f.min is not None and len(rows) < f.min and not partial_ok:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: ต้องมีอย่างน้อย {_fmt_num(f.min)} รายการ",
                        f"{f.label_for('en')}: at least {_fmt_num(f.min)} row(s) needed",
                        "repeat.min",
                    )
                )
            limit = f.max if f.max is not None else MAX_ROWS_DEFAULT
            if len(rows) > limit:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: มีได้ไม่เกิน {_fmt_num(limit)} รายการ",
                        f"{f.label_for('en')}: at most {_fmt_num(limit)} rows",
                        "repeat.max",
                    )
                )
            checked = f._checked
            for i, r in enumerate(rows):
                _check_level(checked, data, r, f"{path}[{i + 1}].", problems, partial_ok)
            if rows:
                _check_constraint(f, rows, data, None, path, problems)
            continue
        t = f.value_type
        if t in ("integer", "decimal", "money"):
            if f.min is not None and value < f.min:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: ต้องไม่น้อยกว่า {_fmt_num(f.min)}",
                        f"{f.label_for('en')}: must be at least {_fmt_num(f.min)}",
                        "range",
                    )
                )
            if f.max is not None and value > f.max:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: ต้องไม่มากกว่า {_fmt_num(f.max)}",
                        f"{f.label_for('en')}: must be at most {_fmt_num(f.max)}",
                        "range",
                    )
                )
        elif t == "select_multiple":
            if f.min is not None and len(value) < f.min:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: เลือกอย่างน้อย {_fmt_num(f.min)} ข้อ",
                        f"{f.label_for('en')}: choose at least {_fmt_num(f.min)}",
                        "range",
                    )
                )
            if f.max is not None and len(value) > f.max:
                problems.append(
                    Problem(
                        path,
                        f"{f.label_for('th')}: เลือกได้ไม่เกิน {_fmt_num(f.max)} ข้อ",
                        f"{f.label_for('en')}: choose at most {_fmt_num(f.max)}",
                        "range",
                    )
                )
        _check_constraint(f, value, data, row, path, problems)


def _relevant(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> bool:
    if f.relevant is None:
        return True
    try:
        return expr.truthy(f.relevant(data, row))
    except ExpressionError:
        return False


def _required(f: Field, data: dict[str, Any], row: dict[str, Any] | None) -> bool:
    if isinstance(f.required, bool):
        return f.required
    try:
        return expr.truthy(f.required(data, row))
    except ExpressionError:
        return False


def _check_constraint(
    f: Field,
    value: Any,
    data: dict[str, Any],
    row: dict[str, Any] | None,
    path: str,
    problems: list[Problem],
) -> None:
    if f.constraint is None:
        return
    if not _constraint_ok(f, value, data, row):
        msg = f.constraint_message
        label = f.label_for("th")
        problems.append(
            Problem(
                path,
                f"{label}: {msg.get('th') or 'คำตอบไม่ผ่านเงื่อนไข'}",
                f"{f.label_for('en')}: {msg.get('en') or 'answer fails its constraint'}",
                "constraint",
            )
        )


def _constraint_ok(f: Field, value: Any, data: dict[str, Any], row: dict[str, Any] | None) -> bool:
    assert f.constraint is not None
    # "." is passed in the row slot: set it on the row for the call, or use a one-key dict
    scope = {".": value} if row is None else row
    if row is not None:
        row["."] = value
    try:
        return expr.truthy(f.constraint.fn(data, scope))
    except (ExpressionError, TypeError, ValueError, OverflowError):
        return False
    finally:
        if row is not None:
            del row["."]


# ---------------------------------------------------------------------- loading


@dataclass
class FormSet:
    forms: dict[str, Form]
    choices: dict[str, list[Choice]]
    rubrics: dict[str, Rubric]
    directory: Path | None = None  # where the definitions were loaded from

    def __getitem__(self, form_id: str) -> Form:
        try:
            return self.forms[form_id]
        except KeyError:
            from fieldapp.errors import NotFoundError

            raise NotFoundError(
                f"ไม่มีแบบฟอร์ม {form_id!r} (มี: {', '.join(sorted(self.forms))})",
                f"no form {form_id!r} (known: {', '.join(sorted(self.forms))})",
            ) from None

    def __iter__(self) -> Any:
        return iter(self.forms.values())


# libyaml's loader when PyYAML was built with it (several times faster at start-up)
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise FormDefinitionError(path.name, "", f"YAML error: {exc}") from exc
    except OSError as exc:
        raise FormDefinitionError(str(path), "", f"cannot read: {exc}") from exc


def _labels(
    value: Any, source: str, where: str, what: str = "label", required: bool = True
) -> dict[str, str]:
    if value is None and not required:
        return {}
    if isinstance(value, str):
        raise FormDefinitionError(source, where, f"{what} must have 'th' and 'en' texts")
    if not isinstance(value, dict) or not isinstance(value.get("th"), str) or not value["th"].strip():
        raise FormDefinitionError(source, where, f"{what} needs a Thai text under 'th'")
    if required and not isinstance(value.get("en"), str):
        raise FormDefinitionError(source, where, f"{what} needs an English text under 'en'")
    return {k: str(v) for k, v in value.items() if k in ("th", "en")}


def parse_choices(raw: Any, source: str) -> dict[str, list[Choice]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FormDefinitionError(source, "choices", "must be a mapping of list name to choices")
    out: dict[str, list[Choice]] = {}
    for name, items in raw.items():
        where = f"choices.{name}"
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise FormDefinitionError(source, where, "list names are lower-case letters, digits, _")
        if not isinstance(items, list) or not items:
            raise FormDefinitionError(source, where, "must be a non-empty list")
        seen: set[str] = set()
        lst: list[Choice] = []
        for i, item in enumerate(items):
            w = f"{where}[{i + 1}]"
            if not isinstance(item, dict) or "code" not in item:
                raise FormDefinitionError(source, w, "each choice needs code, th and en")
            code = str(item["code"])
            if not CODE_RE.match(code):
                raise FormDefinitionError(source, w, f"bad code {code!r}")
            if code in seen:
                raise FormDefinitionError(source, w, f"duplicate code {code!r}")
            seen.add(code)
            th, en = item.get("th"), item.get("en")
            if not isinstance(th, str) or not th.strip() or not isinstance(en, str):
                raise FormDefinitionError(source, w, "each choice needs Thai 'th' and English 'en' labels")
            lst.append(Choice(code, th, en))
        out[name] = lst
    return out


def _number_or_none(value: Any, source: str, where: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormDefinitionError(source, where, f"{key} must be a number")
    return value


class _Builder:
    """Builds one Form from its YAML, checking everything it can on the way."""

    def __init__(self, raw: dict[str, Any], source: str, choices: dict[str, list[Choice]]) -> None:
        self.raw = raw
        self.source = source
        self.choices = choices

    def fail(self, where: str, problem: str) -> FormDefinitionError:
        return FormDefinitionError(self.source, where, problem)

    def build(self) -> Form:
        raw = self.raw
        if not isinstance(raw, dict):
            raise self.fail("", "a form definition must be a mapping")
        unknown = set(raw) - FORM_KEYS
        if unknown:
            raise self.fail("", f"unknown keys: {', '.join(sorted(unknown))}")
        fid = raw.get("id")
        if not isinstance(fid, str) or not NAME_RE.match(fid) or "__" in fid:
            raise self.fail("id", "a form needs an id of lower-case letters, digits and _")
        version = raw.get("version")
        if not isinstance(version, (str, int, float)) or str(version).strip() == "":
            raise self.fail("version", "a form needs a version")
        own = parse_choices(raw.get("choices"), self.source)
        clash = set(own) & set(self.choices)
        if clash:
            raise self.fail("choices", f"redefines shared lists: {', '.join(sorted(clash))}")
        self.choices = {**self.choices, **own}
        sections_raw = raw.get("sections")
        if not isinstance(sections_raw, list) or not sections_raw:
            raise self.fail("sections", "a form needs a non-empty list of sections")
        form = Form(
            id=fid,
            version=str(version),
            title=_labels(raw.get("title"), self.source, "title", "title"),
            source=self.source,
            sections=[],
            title_field=raw.get("title_field"),
            area_field=raw.get("area_field"),
            search=list(raw.get("search") or []),
            list_columns=list(raw.get("list_columns") or []),
            scoring=raw.get("scoring"),
            consent_field=raw.get("consent_field"),
        )
        section_ids: set[str] = set()
        for i, s in enumerate(sections_raw):
            if not isinstance(s, dict) or not isinstance(s.get("id"), str):
                raise self.fail(f"sections[{i + 1}]", "a section needs an id, a label and fields")
            sid = s["id"]
            if sid in section_ids:
                raise self.fail(f"sections.{sid}", "duplicate section id")
            section_ids.add(sid)
            fields_raw = s.get("fields")
            if not isinstance(fields_raw, list) or not fields_raw:
                raise self.fail(f"sections.{sid}", "a section needs a non-empty list of fields")
            fields: list[Field] = []
            for fr in fields_raw:
                for f in self.field(fr, None, sid):
                    if f.id in form.fields:
                        raise self.fail(f.path, "duplicate field id")
                    form.fields[f.id] = f
                    fields.append(f)
            form.sections.append(
                Section(sid, _labels(s.get("label"), self.source, f"sections.{sid}"), fields)
            )
        self.link(form)
        return form

    def field(self, fr: Any, parent: Field | None, section: str) -> list[Field]:
        if not isinstance(fr, dict):
            raise self.fail(f"section {section}", "each field must be a mapping")
        fid = fr.get("id")
        prefix = f"{parent.id}." if parent else ""
        if not isinstance(fid, str) or not NAME_RE.match(fid):
            raise self.fail(f"{prefix}{fid}", "a field id is lower-case letters, digits and _")
        path = f"{prefix}{fid}"
        unknown = set(fr) - FIELD_KEYS
        if unknown:
            raise self.fail(path, f"unknown keys: {', '.join(sorted(unknown))}")
        ftype = fr.get("type")
        if ftype not in FIELD_TYPES:
            raise self.fail(path, f"unknown type {ftype!r} (one of: {', '.join(sorted(FIELD_TYPES))})")
        if fid in RESERVED_NAMES:
            raise self.fail(path, f"{fid!r} is reserved for the store")
        f = Field(
            id=fid,
            type=ftype,
            label=_labels(fr.get("label"), self.source, path),
            path=path,
            section=section,
            hint=_labels(fr.get("hint"), self.source, path, "hint", required=False),
            result=fr.get("result"),
            choices_name=fr.get("choices"),
            other=str(fr["other"]) if fr.get("other") is not None else None,
            min=_number_or_none(fr.get("min"), self.source, path, "min"),
            max=_number_or_none(fr.get("max"), self.source, path, "max"),
            max_length=fr.get("max_length"),
            multiline=bool(fr.get("multiline", False)),
            sensitive=bool(fr.get("sensitive", False)),
            ref=fr.get("ref"),
            default=fr.get("default"),
            appearance=fr.get("appearance"),
            scored=bool(fr.get("scored", False)),
            parent=parent,
        )
        f._raw = fr  # type: ignore[attr-defined]
        if f.max_length is not None and (not isinstance(f.max_length, int) or f.max_length < 1):
            raise self.fail(path, "max_length must be a positive whole number")
        if ftype in ("select_one", "select_multiple") or (
            ftype == "calculated" and f.result in ("select_one", "select_multiple")
        ):
            if not f.choices_name:
                raise self.fail(path, "a select field needs 'choices'")
            if f.choices_name not in self.choices:
                raise self.fail(path, f"unknown choice list {f.choices_name!r}")
            f.choices = self.choices[f.choices_name]
            f._codes = frozenset(c.code for c in f.choices)
            if f.other is not None and f.other not in f._codes:
                raise self.fail(path, f"'other' code {f.other!r} is not in the list")
        elif f.choices_name:
            raise self.fail(path, "'choices' only goes with select fields")
        if ftype == "calculated":
            if f.result not in RESULT_TYPES:
                raise self.fail(
                    path, f"a calculated field needs 'result' (one of {', '.join(sorted(RESULT_TYPES))})"
                )
            if not f.scored and not fr.get("calculation"):
                raise self.fail(path, "a calculated field needs a 'calculation' (or scored: true)")
        elif fr.get("calculation"):
            raise self.fail(path, "only calculated fields have a 'calculation'")
        if ftype == "reference" and not isinstance(f.ref, str):
            raise self.fail(path, "a reference field needs 'ref' (a form id or form.repeat)")
        if ftype == "repeat":
            if parent is not None:
                raise self.fail(path, "repeats cannot be nested")
            children = fr.get("fields")
            if not isinstance(children, list) or not children:
                raise self.fail(path, "a repeat needs a non-empty list of fields")
            for cr in children:
                for c in self.field(cr, f, section):
                    if f.child(c.id) is not None:
                        raise self.fail(c.path, "duplicate field id")
                    f.fields.append(c)
        elif fr.get("fields"):
            raise self.fail(path, "only repeats have 'fields'")
        if f.default is not None and ftype not in ("repeat", "calculated", "note"):
            try:
                f.default = coerce(f, f.default)
            except ValidationError as exc:
                raise self.fail(path, f"bad default: {exc.message_en}") from exc
        out = [f]
        if f.other is not None:
            other = Field(
                id=f"{fid}_other",
                type="text",
                label={"th": f"{f.label['th']} (ระบุ)", "en": f"{f.label.get('en', fid)} (specify)"},
                path=f"{prefix}{fid}_other",
                section=section,
                parent=parent,
            )
            other._raw = {  # type: ignore[attr-defined]
                "relevant": f"selected(${{{fid}}}, '{f.other}')",
                "required": True,
            }
            out.append(other)
        return out

    # -- second pass: expressions need every field to exist first

    def link(self, form: Form) -> None:
        for key in ("title_field", "area_field", "consent_field"):
            name = getattr(form, key)
            if name is not None and name not in form.fields:
                raise self.fail(key, f"no field {name!r}")
        if form.consent_field and form.fields[form.consent_field].type != "boolean":
            raise self.fail("consent_field", "the consent field must be a boolean")
        for key in ("search", "list_columns"):
            for name in getattr(form, key):
                try:
                    form.field_at(name)
                except KeyError:
                    raise self.fail(key, f"no field {name!r}") from None
        order: list[Field] = []
        for f in form.fields.values():
            order.append(f)
            order.extend(f.fields)
        form._order = order
        for f in order:
            raw = getattr(f, "_raw", {})
            self.compile_rules(form, f, raw)
            if f.sensitive:
                if not form.consent_field:
                    raise self.fail(f.path, "sensitive fields need the form's 'consent_field'")
                gate = f"${{{form.consent_field}}}"
                src = f"{gate} and ({f.relevant.source})" if f.relevant else gate
                f.relevant = self.compile(form, f, src, "relevant")
        form._calc_order = self.calc_order(form)
        form._calc_inputs = _calculation_inputs(form)
        form._row_calcs = [
            (
                rep.id,
                expr.generate_row_block(
                    [
                        (c.id, c.calculation.tree, _normaliser(c))
                        for c in rep.fields
                        if c.calculation is not None
                    ],
                    make_resolver(form, rep),
                ),
            )
            for rep in form.repeats()
            if any(c.calculation is not None for c in rep.fields)
        ]

    def compile_rules(self, form: Form, f: Field, raw: dict[str, Any]) -> None:
        req = raw.get("required", False)
        if isinstance(req, str):
            f.required = self.compile(form, f, req, "required")
        elif isinstance(req, bool):
            f.required = req
        else:
            raise self.fail(f.path, "required must be true, false or an expression")
        if raw.get("relevant"):
            f.relevant = self.compile(form, f, str(raw["relevant"]), "relevant")
        if raw.get("constraint"):
            f.constraint = self.compile(form, f, str(raw["constraint"]), "constraint", dot=True)
            f.constraint_message = _labels(
                raw.get("constraint_message"), self.source, f.path, "constraint_message", required=False
            )
            if not f.constraint_message:
                raise self.fail(f.path, "a constraint needs a constraint_message with a Thai text")
        if raw.get("calculation"):
            f.calculation = self.compile(form, f, str(raw["calculation"]), "calculation")

    def compile(self, form: Form, f: Field, source: str, what: str, dot: bool = False) -> expr.Expression:
        try:
            return expr.compile_expression(source, make_resolver(form, f.parent, dot=dot))
        except ExpressionError as exc:
            raise self.fail(f.path, f"{what}: {exc.message_en}") from exc

    def calc_order(self, form: Form) -> list[Field]:
        """Form-level calculated fields in dependency order (cycles rejected)."""
        calcs = {f.id: f for f in form.fields.values() if f.calculation is not None}
        for rep in form.repeats():
            for c in rep.fields:
                if c.calculation is None:
                    continue
                for name in c.calculation.variables:
                    base = name.split(".")[0]
                    if rep.child(base) is None and base in calcs:
                        raise self.fail(
                            c.path,
                            f"a calculation in a repeat cannot use the form-level calculation {base!r}",
                        )
        done: list[Field] = []
        state: dict[str, int] = {}

        def visit(fid: str, chain: list[str]) -> None:
            if state.get(fid) == 2:
                return
            if state.get(fid) == 1:
                raise self.fail(
                    calcs[fid].path, f"calculations depend on each other: {' → '.join([*chain, fid])}"
                )
            state[fid] = 1
            calc = calcs[fid].calculation
            assert calc is not None
            for name in calc.variables:
                base = name.split(".")[0]
                if base in calcs and base != fid:
                    visit(base, [*chain, fid])
            state[fid] = 2
            done.append(calcs[fid])

        for fid in calcs:
            visit(fid, [])
        return done


def make_resolver(form: Form, repeat: Field | None, *, dot: bool = False) -> expr.Resolver:
    """Resolve ``${name}`` for an expression of ``form`` living in ``repeat`` (or at form level)."""

    def resolve(name: str) -> expr.Compiled:
        if name == ".":
            if not dot:
                raise ExpressionError(
                    "ใช้ . ได้เฉพาะในเงื่อนไข (constraint)", "'.' is only allowed in a constraint"
                )
            return _dot_getter
        head, _, tail = name.partition(".")
        if repeat is not None and not tail and repeat.child(head) is not None:
            return _row_getter(head)
        f = form.fields.get(head)
        if f is None:
            raise ExpressionError(f"ไม่มีข้อคำถาม ${{{name}}}", f"unknown field ${{{name}}}")
        if tail:
            if f.type != "repeat" or f.child(tail) is None:
                raise ExpressionError(f"ไม่มีข้อคำถาม ${{{name}}}", f"unknown field ${{{name}}}")
            return _column_getter(head, tail)
        return _form_getter(head)

    return resolve


def _dot_getter(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
    return row.get(".") if row is not None else None


_dot_getter.inline = ("row", ".")  # type: ignore[attr-defined]  # read inline by expr.generate


def _row_getter(name: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        return row.get(name) if row is not None else None

    get.inline = ("row", name)  # type: ignore[attr-defined]  # read inline by expr.generate
    return get


def _form_getter(name: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        return data.get(name)

    get.inline = ("form", name)  # type: ignore[attr-defined]
    return get


def _column_getter(repeat: str, name: str) -> expr.Compiled:
    def get(data: dict[str, Any], row: dict[str, Any] | None) -> Any:
        return [r.get(name) for r in data.get(repeat) or []]

    get.inline = ("column", (repeat, name))  # type: ignore[attr-defined]
    return get


def load_form(path: Path, choices: dict[str, list[Choice]]) -> Form:
    return _Builder(_read_yaml(path), path.name, choices).build()


def load_all(directory: Path | None = None) -> FormSet:
    """Load every form in ``directory`` (default: the bundled ``forms/``)."""
    from fieldapp import scoring

    d = directory or resources.forms_dir()
    choices_path = d / "choices.yaml"
    shared: dict[str, list[Choice]] = {}
    if choices_path.exists():
        raw = _read_yaml(choices_path) or {}
        if not isinstance(raw, dict) or set(raw) - {"choices"}:
            raise FormDefinitionError(choices_path.name, "", "expected a single top-level 'choices:'")
        shared = parse_choices(raw.get("choices"), choices_path.name)
    forms: dict[str, Form] = {}
    for p in sorted(d.glob("*.yaml")):
        if p.name in ("choices.yaml", "scoring.yaml"):
            continue
        form = load_form(p, shared)
        if form.id in forms:
            raise FormDefinitionError(p.name, "id", f"form id {form.id!r} is used twice")
        forms[form.id] = form
    rubrics: dict[str, scoring.Rubric] = {}
    scoring_path = d / "scoring.yaml"
    if scoring_path.exists():
        rubrics = scoring.load_rubrics(scoring_path, forms)
    for form in forms.values():
        if form.scoring:
            if form.scoring not in rubrics:
                raise FormDefinitionError(
                    form.source, "scoring", f"no rubric {form.scoring!r} in scoring.yaml"
                )
            form.rubric = rubrics[form.scoring]
    for form in forms.values():
        form._calc_inputs = _calculation_inputs(form)
    _check_references(forms)
    return FormSet(forms, shared, rubrics, d)


def _calculation_inputs(form: Form) -> set[str]:
    """Every answer a calculation or the rubric reads, as ``field`` or ``repeat.field``."""
    names: set[str] = set()
    for f in form._order:
        if f.calculation is None:
            continue
        for v in f.calculation.variables:
            if f.parent is not None and "." not in v and f.parent.child(v) is not None:
                names.add(f"{f.parent.id}.{v}")
            else:
                names.add(v)
    if form.rubric is not None:
        for cap in form.rubric.capitals:
            for ind in cap.indicators:
                names.update(ind.variables)
        for dim in form.rubric.tpmap:
            for rule in dim.rules:
                names.update(rule.when.variables)
    # a repeat read as a whole (count(${members})) depends on every row
    for name in list(names):
        head = name.split(".")[0]
        rep = form.fields.get(head)
        if rep is not None and rep.type == "repeat" and "." not in name:
            names.update(f"{head}.{c.id}" for c in rep.fields)
    return names


def _check_references(forms: dict[str, Form]) -> None:
    for form in forms.values():
        for f in form._order:
            if f.type != "reference":
                continue
            target, _, rep = (f.ref or "").partition(".")
            if target not in forms:
                raise FormDefinitionError(form.source, f.path, f"ref to unknown form {target!r}")
            if rep and (forms[target].fields.get(rep) is None or forms[target].fields[rep].type != "repeat"):
                raise FormDefinitionError(form.source, f.path, f"ref to unknown repeat {f.ref!r}")


_cache: dict[str, FormSet] = {}


def default_forms() -> FormSet:
    """The bundled forms, loaded once per process."""
    key = str(resources.forms_dir())
    if key not in _cache:
        _cache[key] = load_all()
    return _cache[key]


def iter_fields(form: Form) -> Iterable[Field]:
    return iter(form._order)


def check_files(paths: list[Path] | None = None) -> list[str]:
    """Load definitions and return human-readable problems (empty when all is well)."""
    problems: list[str] = []
    try:
        if paths:
            shared = {}
            choices_path = resources.forms_dir() / "choices.yaml"
            if choices_path.exists():
                shared = parse_choices((_read_yaml(choices_path) or {}).get("choices"), choices_path.name)
            for p in paths:
                if p.name == "choices.yaml":
                    parse_choices((_read_yaml(p) or {}).get("choices"), p.name)
                elif p.name == "scoring.yaml":
                    from fieldapp import scoring

                    scoring.load_rubrics(p, load_all().forms)
                else:
                    load_form(p, shared)
        else:
            load_all()
    except FormDefinitionError as exc:
        problems.append(exc.message_en)
    return problems
