"""What every report's data is made of: stored answers turned into the text a report prints —
labels, places and addresses, dates, numbers, names, the household code, the class and the
capital scores — and the limits and labels the builders share (``fieldapp.reports.build``)."""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fieldapp import geo, ids, scoring, thai, thaidate
from fieldapp.errors import FieldAppError, ValidationError
from fieldapp.forms import Field, Form
from fieldapp.reports.data import (
    TPMAP_DIMENSIONS,
    Address,
    CapitalScores,
    ReportMeta,
)

TPMAP_LABELS: dict[str, str] = {
    "health": TPMAP_DIMENSIONS[0],
    "living": TPMAP_DIMENSIONS[1],
    "education": TPMAP_DIMENSIONS[2],
    "income": TPMAP_DIMENSIONS[3],
    "access": TPMAP_DIMENSIONS[4],
}
"""TPMAP dimension codes (choice list ``tpmap_dimensions``) to the names the reports print."""


POOR_CLASSES = ("1", "2")
"""Livelihood class codes counted as poor: อยู่ลำบาก and อยู่ยาก."""

OPEN_REFERRAL = ("referred", "in_progress")
"""Referral statuses that are still open."""

DRIVERS_PER_CAPITAL = 3
"""At most this many answers are listed as pulling one capital down."""

DRIVER_MAX_POINTS = 2
"""An answer pulls a capital down when it scored this many points (of 4) or fewer."""

NEEDY_LIMIT = 20
BUSINESS_LIMIT = 60  # businesses listed in an area report (the rest counted): a province has thousands
"""How many households the area report lists as most in need."""

MAX_ROUNDS = 12
"""At most this many survey rounds of one household are read."""

UNSCORED = "ยังไม่ประเมิน"
"""Class label for households never scored (records from before the rubric)."""

UNASSESSABLE = "ยังประเมินไม่ได้"
NOT_INTERVIEWED = "ไม่ได้สัมภาษณ์"
"""The class row of households visited without an interview (refused, not at home …)."""
"""Class label for households with too few answers for a class (see forms/scoring.yaml)."""

_PROMPT_RE = re.compile(r"\s*\(ระบุ[^)]*\)\s*$")
_NOTE_RE = re.compile(r"\s*\([^)]*\)\s*$")


def short_label(label: str) -> str:
    """A label without its explanation in brackets, for narrow table columns:
    ``เกษตรกรรม (ทำนา ทำไร่ …)`` → ``เกษตรกรรม``, ``บัตรทอง (หลักประกัน…)`` → ``บัตรทอง``."""
    return _NOTE_RE.sub("", label) or label


# ---------------------------------------------------------------------------- small helpers


def default_meta(printed_by: str = "", *, printed_on: _dt.date | None = None) -> ReportMeta:
    """The meta every built report carries: print date (today), author and the GeoThai credit."""
    return ReportMeta(printed_on=printed_on or thaidate.today(), printed_by=printed_by, credits=[geo.CREDIT])


def as_date(value: Any) -> _dt.date | None:
    if not value:
        return None
    if isinstance(value, _dt.date):
        return value
    try:
        return thaidate.from_iso(str(value)[:10])
    except ValidationError:
        return None


def as_number(value: Any) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_int(value: Any) -> int | None:
    n = as_number(value)
    return None if n is None else int(n)


def as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def fmt_number(n: float | None, decimals: int = 0) -> str:
    """A number for a sentence: thousands separators, decimals only when there are any."""
    if n is None:
        return "-"
    if decimals == 0 or float(n).is_integer():
        return f"{n:,.0f}"
    return f"{n:,.{decimals}f}"


def json_list(raw: Any) -> list[str]:
    if not raw:
        return []
    if isinstance(raw, list):
        return [str(v) for v in raw]
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def tpmap_labels(codes: Iterable[str]) -> list[str]:
    """TPMAP dimension codes as report names, in TPMAP's order."""
    names = {TPMAP_LABELS.get(c, c) for c in codes if c}
    return [d for d in TPMAP_DIMENSIONS if d in names] + sorted(n for n in names if n not in TPMAP_DIMENSIONS)


def phone_text(value: Any) -> str:
    text = as_text(value)
    if not text:
        return ""
    try:
        return thai.format_phone(text)
    except ValidationError:
        return text


def village_label(no: int | None, name: str) -> str:
    """``หมู่ที่ 3 บ้านโนนสูง`` (a name that says neither บ้าน nor ชุมชน gets บ้าน)."""
    if name and not name.startswith(("บ้าน", "ชุมชน")):
        name = f"บ้าน{name}"
    return f"หมู่ที่ {no} {name}".strip() if no else name


def short_record_id(record_id: str) -> str:
    """How a record without a code is named on paper (``fieldapp.ids.short_id``)."""
    return ids.short_id(record_id)


class Labels:
    """Thai labels for the choice codes of one form."""

    def __init__(self, form: Form) -> None:
        self.form = form

    def field(self, path: str) -> Field | None:
        try:
            return self.form.field_at(path)
        except KeyError:
            return None

    def one(self, path: str, code: Any, row: dict[str, Any] | None = None) -> str:
        """The label of ``code``; "other" gives the text typed beside it."""
        if code is None or code == "":
            return ""
        f = self.field(path)
        if f is None:
            return str(code)
        if f.other and code == f.other and row is not None:
            typed = as_text(row.get(f"{f.id}_other"))
            if typed:
                return typed
        return _PROMPT_RE.sub("", f.choice_label(code))

    def many(self, path: str, codes: Any, row: dict[str, Any] | None = None) -> list[str]:
        """Labels of the chosen codes, in the order of the choice list."""
        chosen = json_list(codes)
        f = self.field(path)
        if f is not None:
            order = {c.code: i for i, c in enumerate(f.choices)}
            chosen.sort(key=lambda c: order.get(c, len(order)))
        return [self.one(path, c, row) for c in chosen]


@dataclass
class Place:
    subdistrict: str = ""
    district: str = ""
    province: str = ""
    bangkok: bool = False


def place_of(code: Any) -> Place:
    """Names of a subdistrict, district or province code and the areas above it."""
    text = as_text(code)
    if not text:
        return Place()
    try:
        chain = geo.parents(text)
    except FieldAppError:
        return Place()
    names = {a.level: a.name_th for a in chain}
    bangkok = text.startswith("10")
    district = names.get("district", "")
    if bangkok and district.startswith("เขต"):
        district = district[len("เขต") :]  # the reports write เขต themselves
    return Place(names.get("subdistrict", ""), district, names.get("province", ""), bangkok)


def address_of(doc: dict[str, Any], labels: Labels) -> Address:
    place = place_of(doc.get("subdistrict_code"))
    loc = doc.get("location") or {}
    return Address(
        house_no=as_text(doc.get("house_no")),
        village_no=as_int(doc.get("village_no")),
        village_name=as_text(doc.get("village_name")),
        village_code=as_text(doc.get("village_code")),
        soi_road=as_text(doc.get("soi_road")),
        subdistrict_code=as_text(doc.get("subdistrict_code")),
        subdistrict=place.subdistrict,
        district=place.district,
        province=place.province,
        postal_code=as_text(doc.get("postal_code")),
        municipal_area=labels.one("municipal_area", doc.get("municipal_area"), doc),
        latitude=as_number(loc.get("lat")) if isinstance(loc, dict) else None,
        longitude=as_number(loc.get("lon")) if isinstance(loc, dict) else None,
    )


def person_name(row: dict[str, Any], labels: Labels, repeat: str = "members") -> str:
    """``นางสมศรี ใจดี``: prefix label, first, middle and last name."""
    prefix = labels.one(f"{repeat}.prefix", row.get("prefix"), row) if row.get("prefix") else ""
    given = " ".join(p for p in (as_text(row.get("first_name")), as_text(row.get("middle_name"))) if p)
    return f"{prefix}{given} {as_text(row.get('last_name'))}".strip()


def code_of_household(doc: dict[str, Any], record_id: str) -> str:
    return as_text(doc.get("household_code")) or short_record_id(record_id)


def class_band_of(bands: Sequence[tuple[str, float]], code: str | None) -> str:
    for i, (c, lower) in enumerate(bands):
        if c == code:
            upper = bands[i + 1][1] - 0.01 if i + 1 < len(bands) else 4.0
            return f"{lower:.2f}–{upper:.2f}"
    return ""


def capital_scores(doc: dict[str, Any], labels: Labels) -> CapitalScores:
    klass = scoring.class_field(labels.form)
    return CapitalScores(
        cap_human=as_number(doc.get("cap_human")),
        cap_physical=as_number(doc.get("cap_physical")),
        cap_financial=as_number(doc.get("cap_financial")),
        cap_natural=as_number(doc.get("cap_natural")),
        cap_social=as_number(doc.get("cap_social")),
        cap_mean=as_number(doc.get("cap_mean")),
        poverty_class=labels.one(klass, doc.get(klass)),
        coverage=as_number(doc.get("score_coverage")),
        unassessable=doc.get("score_status") == "unassessable",
        missing=[q for q in str(doc.get("score_missing") or "").split(" / ") if q],
    )


def placeholders(n: int) -> str:
    return ",".join("?" * n)


def lines_of(value: Any) -> list[str]:
    return [line.strip() for line in as_text(value).splitlines() if line.strip()]
