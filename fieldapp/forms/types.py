"""The question types: one entry per type says everything the engine needs to know about it.

``TYPES[name]`` is a ``FieldType``: how a raw answer becomes its stored form (``coerce``), the
quick test for a value already in stored form (``stored``, and the same test as code for the
generated validator), the database columns it occupies and how a value goes into them and back,
whether its ``min``/``max`` bound the value or the number of answers, whether it takes a choice
list or may be a calculation's result, and the key the desktop editor looks its widget up by.
Adding a question type is one ``FieldType`` here (plus its widget in ``ui/widgets``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fieldapp import expr, geo, thai, thaidate
from fieldapp.errors import ValidationError
from fieldapp.forms.odk_types import (
    datetime,
    datetime_shown,
    datetime_value,
    hidden_value,
    stored_datetime,
    stored_time,
    time,
    time_shown,
)

if TYPE_CHECKING:
    from fieldapp.forms.model import Field

LARGEST_INT = 2**63 - 1
LARGEST_NUMBER = 1e15
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
TRUE_WORDS = {"true", "1", "yes", "y", "ใช่", "มี", "จริง", "x", "✓"}
FALSE_WORDS = {"false", "0", "no", "n", "ไม่ใช่", "ไม่มี", "ไม่", "เท็จ"}


CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid_or_none(value: Any) -> str | None:
    """A record or row id in its canonical form, or None when ``value`` is not a UUID."""
    if not isinstance(value, str):
        return None
    if len(value) == 36 and CANONICAL_UUID.fullmatch(value):
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


def coerce_int(value: Any) -> int:
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


def coerce_float(value: Any) -> float:
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


def coerce_bool(value: Any) -> bool:
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


def coerce_code(f: Field, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _err("ตัวเลือกไม่ถูกต้อง", "invalid choice", "choice")
    code = str(value).strip()
    if code not in f.codes:
        raise _err(
            f"ไม่มีตัวเลือกรหัส {code[:40]!r}",
            f"unknown choice code {code[:40]!r}",
            "choice",
        )
    return code


def _choice_list(value: Any, th: str, en: str) -> list[Any] | tuple[Any, ...]:
    """Several answers as a list: given as one, as JSON text (``["a", "b"]``) or as codes apart
    by spaces, commas or semicolons (``a b``, as ODK stores them); anything else is ``th``/``en``."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise _err(th, en, "choice") from exc
        else:
            value = [v for v in re.split(r"[\s,;]+", text) if v]
    if not isinstance(value, (list, tuple)):
        raise _err(th, en, "choice")
    return value


def coerce_multi(f: Field, value: Any) -> list[str]:
    value = _choice_list(value, "รายการตัวเลือกไม่ถูกต้อง", "invalid list of choices")
    out: list[str] = []
    for v in value:
        code = coerce_code(f, v)
        if code not in out:
            out.append(code)
    return out


DECIMAL_COMMA_TH = "ใช้จุดทศนิยม (.) ไม่ใช่จุลภาค (,) เช่น 14.89 103.50"
DECIMAL_COMMA_EN = "use a decimal point (.), not a comma (,), e.g. 14.89 103.50"
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def decimal_commas(point: str) -> bool:
    """Whether a point is written with decimal commas (``14,89 103,50``): numbers apart by spaces,
    one of them with a comma inside, that read as a place in Thailand with the commas as points.
    (``14.89,103.50`` is a comma between latitude and longitude, as ever.)"""
    words = point.split()
    if len(words) < 2 or not any(_DECIMAL_COMMA.match(w) for w in words):
        return False
    try:
        lat, lon = (float(w.replace(",", ".")) for w in words[:2])
    except ValueError:
        return False
    return 5.0 <= lat <= 21.0 and 97.0 <= lon <= 106.0


def coerce_geopoint(value: Any) -> dict[str, float]:
    lat: Any
    lon: Any
    if isinstance(value, dict):
        lat, lon = value.get("lat"), value.get("lon")
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        lat, lon = value
    elif isinstance(value, str):
        if decimal_commas(thai.normalize_digits(value.strip())):
            raise _err(DECIMAL_COMMA_TH, DECIMAL_COMMA_EN, "geopoint")
        parts = [p for p in re.split(r"[\s,]+", thai.normalize_digits(value.strip())) if p]
        if len(parts) != 2:
            raise _err("พิกัดต้องเป็น ละติจูด ลองจิจูด", "coordinates must be 'lat lon'", "geopoint")
        lat, lon = parts
    else:
        raise _err("พิกัดไม่ถูกต้อง", "invalid coordinates", "geopoint")
    la, lo = coerce_float(lat), coerce_float(lon)
    if not (5.0 <= la <= 21.0 and 97.0 <= lo <= 106.0):
        raise _err(
            "พิกัดอยู่นอกประเทศไทย (ละติจูด 5–21, ลองจิจูด 97–106)",
            "coordinates outside Thailand (lat 5–21, lon 97–106)",
            "geopoint",
        )
    return {"lat": round(la, 7), "lon": round(lo, 7)}


@functools.lru_cache(maxsize=1 << 16)
def coerce_date_text(value: str) -> str | None:
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


def _point_text_odk(lat: float, lon: float, extra: list[float]) -> str:
    return " ".join(expr.to_text(x) for x in (lat, lon, *extra))


def coerce_points(value: Any, closed: bool) -> str | None:
    """A line (geotrace) or an area (geoshape) as ODK writes it: points ``lat lon [alt [acc]]``
    separated by ``;``. A line has two points or more; an area three corners or more and ends
    where it starts (closed here when the last point is not the first)."""
    what = ("พื้นที่", "an area") if closed else ("เส้นทาง", "a line")
    if isinstance(value, (list, tuple)):
        value = ";".join(
            " ".join(str(x) for x in p) if isinstance(p, (list, tuple)) else str(p) for p in value
        )
    if not isinstance(value, str):
        raise _err(f"{what[0]}ไม่ถูกต้อง", f"invalid {what[1]}", "geo")
    text = thai.normalize_digits(thai.strip_invisible(value)).strip().rstrip(";")
    if text == "":
        return None
    points: list[str] = []
    for i, part in enumerate(p for p in text.split(";")):
        if decimal_commas(part):  # not four numbers, one of them outside Thailand
            raise _err(f"จุดที่ {i + 1}: {DECIMAL_COMMA_TH}", f"point {i + 1}: {DECIMAL_COMMA_EN}", "geo")
        nums = [x for x in re.split(r"[\s,]+", part.strip()) if x]
        if not 2 <= len(nums) <= 4:
            raise _err(
                f"จุดที่ {i + 1} ของ{what[0]}ต้องเป็น ละติจูด ลองจิจูด [ความสูง ความแม่นยำ]",
                f"point {i + 1} of {what[1]} must be 'lat lon [alt acc]'",
                "geo",
            )
        try:
            at = coerce_geopoint(f"{nums[0]} {nums[1]}")
            extra = [coerce_float(x) for x in nums[2:]]
        except ValidationError as exc:
            raise _err(f"จุดที่ {i + 1}: {exc.message}", f"point {i + 1}: {exc.message_en}", "geo") from None
        points.append(_point_text_odk(at["lat"], at["lon"], extra))
    if closed:
        if len(points) > 1 and points[0].split()[:2] != points[-1].split()[:2]:
            points.append(points[0])
        if len({" ".join(p.split()[:2]) for p in points}) < 3:
            raise _err("พื้นที่ต้องมีอย่างน้อย 3 มุม", "an area needs 3 corners or more", "geo")
    elif len(points) < 2:
        raise _err("เส้นทางต้องมีอย่างน้อย 2 จุด", "a line needs 2 points or more", "geo")
    return ";".join(points)


def _geotrace(f: Field, value: Any) -> str | None:
    return coerce_points(value, closed=False)


def _geoshape(f: Field, value: Any) -> str | None:
    return coerce_points(value, closed=True)


def _rank(f: Field, value: Any) -> list[str] | None:
    """An order of the list's choices, first to last: each a code of the list, none twice."""
    value = _choice_list(value, "ลำดับตัวเลือกไม่ถูกต้อง", "invalid ranking")
    out = [coerce_code(f, v) for v in value]
    if len(set(out)) != len(out):
        raise _err("ตัวเลือกหนึ่งอยู่ในลำดับได้ครั้งเดียว", "a choice is ranked once only", "choice")
    return out or None


def _hidden(f: Field, value: Any) -> str | None:
    """A value kept with the record and never shown for editing (ODK's hidden; the metadata)."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, (int, float)):
        value = expr.to_text(value)
    if not isinstance(value, str):
        raise _err("ต้องเป็นข้อความ", "must be text")
    return thai.check_text_cached(value, True, 5000) or None


# ---------------------------------------------------------------------- each type's coercion


_CODE_SEPARATORS = re.compile(r"[\s\-.\u200b]+")
"""What people type between the digits of a code (spaces, dashes, dots, zero-width spaces)."""


def _text(f: Field, value: Any) -> str | None:
    if isinstance(value, bool):
        raise _err("ต้องเป็นข้อความ", "must be text")
    if isinstance(value, (int, float)):
        value = expr.to_text(value)
    if not isinstance(value, str):
        raise _err("ต้องเป็นข้อความ", "must be text")
    if f.digits:  # a code typed as printed: 1234-567890-1, ๑๒๓๔ ๕๖๗๘๙๐ ๑
        value = _CODE_SEPARATORS.sub("", thai.normalize_digits(value))
    limit = f.max_length or (5000 if f.multiline else 500)
    text = thai.check_text_cached(value, f.multiline, limit)
    return text or None


def _money(f: Field, value: Any) -> float:
    m = coerce_float(value)
    if m < 0 and not f.signed:
        raise _err("จำนวนเงินต้องไม่ติดลบ", "amount must not be negative", "range")
    if abs(m) > 1e15:
        raise _err("จำนวนเงินมากเกินไป", "amount out of range", "range")
    return round(m, 2)


def _date(f: Field, value: Any) -> str | None:
    if hasattr(value, "isoformat") and not isinstance(value, str):
        d = value.date() if hasattr(value, "date") and callable(value.date) else value
        return thaidate.to_iso(d)
    if not isinstance(value, str):
        raise _err("วันที่ไม่ถูกต้อง", "invalid date", "date.invalid")
    return coerce_date_text(value)


def _national_id(f: Field, value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise _err("เลขประจำตัวประชาชนไม่ถูกต้อง", "invalid national ID", "national_id.chars")
    return thai.parse_national_id(str(value))


def _phone(f: Field, value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise _err("หมายเลขโทรศัพท์ไม่ถูกต้อง", "invalid phone number", "phone")
    return thai.parse_phone(str(value))


def _subdistrict(f: Field, value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise _err("รหัสตำบลไม่ถูกต้อง", "invalid subdistrict code", "subdistrict.format")
    return geo.check_subdistrict(thai.normalize_digits(str(value)))


def _photo(f: Field, value: Any) -> str:
    text = str(value).strip().lower()
    if not SHA256_RE.fullmatch(text):
        raise _err("รูปภาพไม่ถูกต้อง", "photo must be a SHA-256 reference", "photo")
    return text


def _attachment(f: Field, value: Any) -> str:
    """A sound, a video or any file: the SHA-256 of the file in the attachment store."""
    text = str(value).strip().lower()
    if not SHA256_RE.fullmatch(text):
        raise _err("ไฟล์แนบไม่ถูกต้อง", "an attachment must be a SHA-256 reference", "attachment")
    return text


ACKNOWLEDGED = "OK"
"""An acknowledged question's value in expressions, as ODK Collect gives it."""


def _acknowledge(f: Field, value: Any) -> bool | None:
    """An acknowledgement is given (True) or not there (None): there is no "no"."""
    if isinstance(value, str) and value.strip().lower() in ("ok", "acknowledged", "รับทราบ", "รับทราบแล้ว"):
        return True
    if isinstance(value, str) and value.strip() == "":
        return None
    return True if coerce_bool(value) else None


def _reference(f: Field, value: Any) -> str:
    ref = uuid_or_none(value.strip() if isinstance(value, str) else value)
    if ref is None:
        raise _err("การอ้างอิงไม่ถูกต้อง", "reference must be a record id (UUID)", "reference")
    return ref


def _multi(f: Field, value: Any) -> list[str] | None:
    return coerce_multi(f, value) or None


# ---------------------------------------------------------------------- stored-form tests


def stored_multi(value: Any, codes: frozenset[str]) -> bool:
    """A select_multiple value in stored form: a non-empty list of distinct known codes."""
    return (
        type(value) is list
        and bool(value)
        and all(type(c) is str and c in codes for c in value)
        and len(set(value)) == len(value)
    )


# ---------------------------------------------------------------------- database columns


@functools.lru_cache(maxsize=4096)
def _codes_json(codes: tuple[str, ...]) -> str:
    return json.dumps(list(codes), ensure_ascii=False)


def _multi_to_columns(value: Any) -> list[Any]:
    """A select_multiple answer as its column text (a JSON list); the same few lists recur."""
    if not value:
        return [None]
    try:
        return [_codes_json(tuple(value))]
    except TypeError:  # something unhashable: encode it as it is
        return [json.dumps(value, ensure_ascii=False)]


def _multi_from_columns(values: Mapping[str, Any], fid: str) -> Any:
    raw = values.get(fid)
    return json.loads(raw) if raw else None


def _bool_to_columns(value: Any) -> list[Any]:
    return [None if value is None else (1 if value else 0)]


def _bool_from_columns(values: Mapping[str, Any], fid: str) -> Any:
    raw = values.get(fid)
    return None if raw is None else bool(raw)


def _point_to_columns(value: Any) -> list[Any]:
    return [value["lat"], value["lon"]] if value else [None, None]


def _point_from_columns(values: Mapping[str, Any], fid: str) -> Any:
    lat, lon = values.get(f"{fid}_lat"), values.get(f"{fid}_lon")
    return {"lat": lat, "lon": lon} if lat is not None and lon is not None else None


def _ack_from_columns(values: Mapping[str, Any], fid: str) -> Any:
    return True if values.get(fid) else None


def _plain_from_columns(values: Mapping[str, Any], fid: str) -> Any:
    return values.get(fid)


# ---------------------------------------------------------------------- values in expressions


@functools.lru_cache(maxsize=1 << 14)
def _iso_date(value: str) -> Any:
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return value


def date_value(value: Any) -> Any:
    """A stored date (ISO text) as expressions see it: a date (a number of days in arithmetic)."""
    return _iso_date(value) if type(value) is str and len(value) == 10 else value


def multi_value(value: Any) -> Any:
    """A stored select_multiple answer as expressions see it: the codes separated by spaces."""
    if type(value) is list:
        return " ".join(str(v) for v in value)
    return value


def ack_value(value: Any) -> Any:
    """An acknowledgement as expressions see it: 'OK' when given, else empty (as in ODK)."""
    return ACKNOWLEDGED if value is True else ""


def point_value(value: Any) -> Any:
    """A stored geopoint as expressions see it: "lat lon" (as ODK writes a geopoint)."""
    if isinstance(value, dict) and "lat" in value:
        return f"{expr.to_text(value['lat'])} {expr.to_text(value['lon'])}"
    return value


# ---------------------------------------------------------------------- values as text for people


def _choice_text(f: Field, value: Any, lang: str) -> str:
    return f.choice_label(value, lang)


def _multi_text(f: Field, value: Any, lang: str) -> str:
    return ", ".join(f.choice_label(v, lang) for v in value or [])


def _bool_text(f: Field, value: Any, lang: str) -> str:
    if lang == "en":
        return "Yes" if value else "No"
    return "ใช่" if value else "ไม่ใช่"


def _ack_text(f: Field, value: Any, lang: str) -> str:
    return ("Acknowledged" if lang == "en" else "รับทราบแล้ว") if value else ""


def _date_text(f: Field, value: Any, lang: str) -> str:
    return thaidate.format_date(value, "medium", lang="en" if lang == "en" else "th")


def _rank_text(f: Field, value: Any, lang: str) -> str:
    return ", ".join(f"{i}. {f.choice_label(v, lang)}" for i, v in enumerate(value or [], 1))


def _money_text(f: Field, value: Any, lang: str) -> str:
    return f"{value:,.2f}"


def _point_text(f: Field, value: Any, lang: str) -> str:
    return f"{value['lat']}, {value['lon']}" if isinstance(value, dict) else str(value)


def _attachment_text(f: Field, value: Any, lang: str) -> str:
    kind = {
        "photo": ("รูปภาพ", "photo"),
        "audio": ("ไฟล์เสียง", "sound recording"),
        "video": ("วิดีโอ", "video"),
    }.get(f.type, ("ไฟล์แนบ", "file"))
    return f"{kind[1] if lang == 'en' else kind[0]} {str(value)[:8]}"


def shown(f: Field, value: Any, lang: str = "th") -> str:
    """A stored value of ``f`` as text for people (printed reports, the command line, the app):
    choices by their labels, dates in the Buddhist era, yes/no in words. Empty: ''."""
    if value is None or value == "" or value == []:
        return ""
    text = f.kind.text
    if text is not None:
        return text(f, value, lang)
    return expr.to_text(value) if isinstance(value, (int, float)) else str(value)


# ---------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class FieldType:
    """Everything the engine knows about one question type (see the module's note)."""

    name: str
    # raw answer → stored form (None when empty), or ValidationError; None: holds no answer
    coerce: Callable[[Field, Any], Any] | None
    # True when a value is already in stored form (f, value); None: always coerce
    stored: Callable[[Field, Any], bool] | None = None
    # the same test and the value to keep, as code over ``v`` for the generated validator
    # ({codes} is the field's choice codes, {limit}/{multiline} a text's rules); None: no fast path
    stored_code: tuple[str, str] | None = None
    # database columns: (suffix, SQL type); "" is the field's own name
    sql: tuple[tuple[str, str], ...] = (("", "TEXT"),)
    # stored value → column values (None: the value itself) and back
    to_columns: Callable[[Any], list[Any]] | None = None
    from_columns: Callable[[Mapping[str, Any], str], Any] = _plain_from_columns
    choices: bool = False  # answers come from a choice list
    result: bool = False  # may be the result of a calculated field
    numeric: bool = False  # min/max bound the value
    counted: bool = False  # min/max bound the number of answers
    widget: str = ""  # the desktop editor's widget key (the type's name when empty)
    # stored value → the value expressions see (None: the value itself)
    in_expressions: Callable[[Any], Any] | None = None
    attachment: bool = False  # the value names a file in the attachment store (its SHA-256)
    # stored value → text for people in a language ("th", "en"); None: see ``shown``
    text: Callable[[Field, Any, str], str] | None = None
    # answers are a list of choice codes (select_multiple): tables, exports and imports join them
    multiple: bool = False

    @property
    def stores_value(self) -> bool:
        return self.coerce is not None or self.name == "calculated"

    def columns(self, fid: str) -> list[tuple[str, str]]:
        return [(f"{fid}_{suffix}" if suffix else fid, sql) for suffix, sql in self.sql]

    @property
    def widget_key(self) -> str:
        return self.widget or self.name


def _stored_select_one(f: Field, v: Any) -> bool:
    return type(v) is str and v in f.codes


def _stored_int(f: Field, v: Any) -> bool:
    return type(v) is int and -LARGEST_INT <= v <= LARGEST_INT


def _stored_bool(f: Field, v: Any) -> bool:
    return type(v) is bool


def _stored_float(f: Field, v: Any) -> bool:
    return type(v) is float and -LARGEST_NUMBER <= v <= LARGEST_NUMBER


def _stored_multi(f: Field, v: Any) -> bool:
    return stored_multi(v, f.codes)


TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        FieldType(
            "text",
            _text,
            stored_code=("type(v) is str", "_text(v, {multiline}, {limit}) or None"),
            result=True,
        ),
        FieldType(
            "integer",
            lambda f, v: coerce_int(v),
            _stored_int,
            ("type(v) is int and -_LARGEST <= v <= _LARGEST", "v"),
            sql=(("", "INTEGER"),),
            result=True,
            numeric=True,
        ),
        FieldType(
            "decimal",
            lambda f, v: coerce_float(v),
            _stored_float,
            ("type(v) is float and -1e15 <= v <= 1e15", "v"),
            sql=(("", "REAL"),),
            result=True,
            numeric=True,
        ),
        FieldType(
            "money",
            _money,
            stored_code=("(type(v) is float or type(v) is int) and 0 <= v <= 1e15", "round(float(v), 2)"),
            sql=(("", "REAL"),),
            result=True,
            numeric=True,
            text=_money_text,
        ),
        FieldType(
            "date",
            _date,
            stored_code=("type(v) is str", "_date(v)"),
            result=True,
            in_expressions=date_value,
            text=_date_text,
        ),
        FieldType(
            "boolean",
            lambda f, v: coerce_bool(v),
            _stored_bool,
            ("type(v) is bool", "v"),
            sql=(("", "INTEGER"),),
            to_columns=_bool_to_columns,
            from_columns=_bool_from_columns,
            result=True,
            text=_bool_text,
        ),
        FieldType(
            "select_one",
            coerce_code,
            _stored_select_one,
            ("type(v) is str and v in {codes}", "v"),
            choices=True,
            result=True,
            text=_choice_text,
        ),
        FieldType(
            "select_multiple",
            _multi,
            _stored_multi,
            ("type(v) is list and _multi(v, {codes})", "list(v)"),
            to_columns=_multi_to_columns,
            from_columns=_multi_from_columns,
            choices=True,
            result=True,
            counted=True,
            in_expressions=multi_value,
            multiple=True,
            text=_multi_text,
        ),
        FieldType("national_id", _national_id, stored_code=("type(v) is str and _stored_nid(v)", "v")),
        FieldType("phone", _phone),
        FieldType(
            "geopoint",
            lambda f, v: coerce_geopoint(v),
            sql=(("lat", "REAL"), ("lon", "REAL")),
            to_columns=_point_to_columns,
            from_columns=_point_from_columns,
            in_expressions=point_value,
            text=_point_text,
        ),
        FieldType("subdistrict", _subdistrict),
        FieldType("photo", _photo, attachment=True, text=_attachment_text),
        FieldType("audio", _attachment, attachment=True, text=_attachment_text),
        FieldType("video", _attachment, attachment=True, text=_attachment_text),
        FieldType("file", _attachment, attachment=True, text=_attachment_text),
        FieldType(
            "acknowledge",
            _acknowledge,
            stored_code=("v is True", "v"),
            sql=(("", "INTEGER"),),
            to_columns=_bool_to_columns,
            from_columns=_ack_from_columns,
            in_expressions=ack_value,
            text=_ack_text,
        ),
        FieldType("reference", _reference),
        FieldType("time", time, stored_time, text=time_shown),
        FieldType(
            "datetime",
            datetime,
            stored_datetime,
            in_expressions=datetime_value,
            text=datetime_shown,
        ),
        FieldType("geotrace", _geotrace),
        FieldType("geoshape", _geoshape),
        FieldType("barcode", _text),
        FieldType(
            "rank",
            _rank,
            to_columns=_multi_to_columns,
            from_columns=_multi_from_columns,
            choices=True,
            counted=True,
            in_expressions=multi_value,
            multiple=True,
            text=_rank_text,
        ),
        FieldType("hidden", _hidden, in_expressions=hidden_value),
        FieldType("note", None, sql=()),
        FieldType("calculated", None),
        FieldType("repeat", None, sql=()),
    )
}

FIELD_TYPES = frozenset(TYPES)
RESULT_TYPES = frozenset(t.name for t in TYPES.values() if t.result)
SQL_TYPES = {t.name: t.sql[0][1] for t in TYPES.values() if len(t.sql) == 1 and t.coerce is not None}

ATTACHMENT_TYPES = frozenset(t.name for t in TYPES.values() if t.attachment)


def _rows_to_columns(value: Any) -> list[Any]:
    return [json.dumps(value, ensure_ascii=False) if value else None]


def _rows_from_columns(values: Mapping[str, Any], fid: str) -> Any:
    raw = values.get(fid)
    return json.loads(raw) if raw else []


def _rows_text(f: Field, value: Any, lang: str) -> str:
    return f"{len(value)} rows" if lang == "en" else f"{len(value)} รายการ"


NESTED_ROWS = FieldType(
    "repeat",
    None,
    sql=(("", "TEXT"),),
    to_columns=_rows_to_columns,
    from_columns=_rows_from_columns,
    text=_rows_text,
)
"""A repeat inside a repeat: its rows are kept as JSON text in a column of the outer repeat's
table (one child table per top-level repeat, as before). Not a type a form declares."""
