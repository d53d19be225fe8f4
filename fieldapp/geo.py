"""Thai administrative geography: province → district → subdistrict, with postal codes.

Data: GeoThai (CC BY 4.0), through the ``geothai`` package. Villages are not in the data:
a village is ``หมู่ที่`` (number) plus a name entered with each record.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import geothai

from fieldapp.errors import NotFoundError, ValidationError

CREDIT = "ข้อมูลเขตการปกครอง: GeoThai (CC BY 4.0)"
CREDIT_EN = "Administrative areas: GeoThai (CC BY 4.0)"
DATA_VERSION = geothai.DATA_VERSION


@dataclass(frozen=True)
class Area:
    """A province (2-digit code), district (4) or subdistrict (6)."""

    code: str
    level: str  # province | district | subdistrict
    name_th: str
    name_en: str
    parent_code: str | None
    postal_codes: tuple[str, ...] = ()

    def label(self, lang: str = "th") -> str:
        return self.name_th if lang == "th" else self.name_en


LEVELS = {2: "province", 4: "district", 6: "subdistrict"}
_PREFIX_TH = {"province": "จ.", "district": "อ.", "subdistrict": "ต."}


def normalize_code(code: str) -> str:
    return "".join(ch for ch in str(code).strip() if not ch.isspace())


@lru_cache(maxsize=20000)
def area(code: str) -> Area:
    """The area with this code, or NotFoundError with a Thai message."""
    c = normalize_code(code)
    level = LEVELS.get(len(c)) if c.isdigit() else None
    found: Area | None = None
    if level == "province":
        p = geothai.province(c)
        if p:
            found = Area(p.code, level, p.name_th, p.name_en, None)
    elif level == "district":
        d = geothai.district(c)
        if d:
            found = Area(d.code, level, d.name_th, d.name_en, d.province_code)
    elif level == "subdistrict":
        s = geothai.subdistrict(c)
        if s:
            found = Area(s.code, level, s.name_th, s.name_en, s.district_code, tuple(s.postal_codes))
    if found is None:
        raise NotFoundError(
            f"ไม่พบรหัสพื้นที่ {code!r} (จังหวัด 2 หลัก อำเภอ 4 หลัก ตำบล 6 หลัก)",
            f"unknown area code {code!r} (province 2 digits, district 4, subdistrict 6)",
        )
    return found


def check_area_code(code: str) -> str:
    """Normalised code of an existing area, or ValidationError."""
    try:
        return area(code).code
    except NotFoundError as exc:
        raise ValidationError(exc.message, exc.message_en, code="area.unknown") from exc


def check_subdistrict(code: str) -> str:
    c = normalize_code(code)
    if len(c) != 6 or not c.isdigit():
        raise ValidationError(
            "รหัสตำบลต้องเป็นตัวเลข 6 หลัก",
            "subdistrict code must be 6 digits",
            code="subdistrict.format",
        )
    return check_area_code(c)


def parents(code: str) -> list[Area]:
    """The area and the areas above it, from the province down."""
    chain: list[Area] = []
    a: Area | None = area(code)
    while a is not None:
        chain.append(a)
        a = area(a.parent_code) if a.parent_code else None
    return list(reversed(chain))


def full_name(code: str, lang: str = "th") -> str:
    """``ต.ในเมือง อ.เมืองสุรินทร์ จ.สุรินทร์`` (or the English equivalent)."""
    chain = list(reversed(parents(code)))
    if lang == "th":
        return " ".join(f"{_PREFIX_TH[a.level]}{a.name_th}" for a in chain)
    return ", ".join(a.name_en for a in chain)


def provinces() -> list[Area]:
    return [Area(p.code, "province", p.name_th, p.name_en, None) for p in geothai.provinces()]


def districts(province_code: str) -> list[Area]:
    return [
        Area(d.code, "district", d.name_th, d.name_en, d.province_code)
        for d in geothai.districts(province_code)
    ]


def subdistricts(district_code: str) -> list[Area]:
    return [
        Area(s.code, "subdistrict", s.name_th, s.name_en, s.district_code, tuple(s.postal_codes))
        for s in geothai.subdistricts(district_code)
    ]


def subdistricts_within(code: str) -> list[Area]:
    """Every subdistrict inside a province, district or subdistrict."""
    a = area(code)
    if a.level == "subdistrict":
        return [a]
    if a.level == "district":
        return subdistricts(a.code)
    return [s for d in districts(a.code) for s in subdistricts(d.code)]


def contains(area_code: str, subdistrict_code: str | None) -> bool:
    """True when the subdistrict lies inside the area (codes nest by prefix)."""
    return bool(subdistrict_code) and str(subdistrict_code).startswith(normalize_code(area_code))
