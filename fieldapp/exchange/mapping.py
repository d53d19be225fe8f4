"""Column mapping: which column of a file goes to which field of a form.

A mapping is made automatically from the headers (Thai and English labels, field ids and common
synonyms), shown to the user, edited if needed and saved as JSON or YAML for the next file of the
same kind (format in docs/exchange.md). Targets are field paths (``house_no``,
``members.first_name``) or one of the special targets in :data:`SPECIAL_TARGETS`.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fieldapp.errors import ValidationError
from fieldapp.exchange.readers import Table, Workbook
from fieldapp.forms import Field, Form

#: Targets that are not fields: record and row ids, area names resolved to a subdistrict code,
#: coordinates in two columns and a full name split into prefix, first and last name.
SPECIAL_TARGETS = {
    "id": "record id (UUID) of an exported record",
    "subdistrict_name": "subdistrict name, resolved with district and province names to a code",
    "district_name": "district name (helps resolve the subdistrict name)",
    "province_name": "province name (helps resolve the subdistrict name)",
}
REPEAT_SPECIAL = {
    "id": "row id (UUID) of an exported repeat row",
    "full_name": "prefix, first and last name in one cell, e.g. นายสมชาย ใจดี",
}
LINK_HEADER = "{form}_id"  # column of a repeat sheet naming the record it belongs to

# Headers people use in Thai target lists (TPMAP, PPPCONNEXT, local lists), normalised by match_key.
# ``@subdistrict`` becomes subdistrict_code or subdistrict_name depending on the column's content.
SYNONYMS: dict[str, str] = {
    # names
    "ชื่อ": "members.first_name",
    "ชื่อตัว": "members.first_name",
    "firstname": "members.first_name",
    "first": "members.first_name",
    "fname": "members.first_name",
    "name": "members.first_name",
    "นามสกุล": "members.last_name",
    "สกุล": "members.last_name",
    "lastname": "members.last_name",
    "surname": "members.last_name",
    "lname": "members.last_name",
    "ชื่อสกุล": "members.full_name",
    "ชื่อนามสกุล": "members.full_name",
    "ชื่อและนามสกุล": "members.full_name",
    "ชื่อหัวหน้าครัวเรือน": "members.full_name",
    "หัวหน้าครัวเรือน": "members.full_name",
    "fullname": "members.full_name",
    "คำนำหน้า": "members.prefix",
    "คำนำหน้าชื่อ": "members.prefix",
    "prefix": "members.prefix",
    "title": "members.prefix",
    # identity
    "เลขบัตรประชาชน": "members.national_id",
    "เลขบัตรประจำตัวประชาชน": "members.national_id",
    "เลขประจำตัวประชาชน": "members.national_id",
    "บัตรประชาชน": "members.national_id",
    "เลขบัตร": "members.national_id",
    "เลขประชาชน": "members.national_id",
    "nationalid": "members.national_id",
    "citizenid": "members.national_id",
    "idcard": "members.national_id",
    "idno": "members.national_id",
    "pid": "members.national_id",
    "cid": "members.national_id",
    "เพศ": "members.sex",
    "sex": "members.sex",
    "gender": "members.sex",
    "วันเกิด": "members.birth_date",
    "วันเดือนปีเกิด": "members.birth_date",
    "birthdate": "members.birth_date",
    "dateofbirth": "members.birth_date",
    "dob": "members.birth_date",
    "ความสัมพันธ์": "members.relation",
    "relation": "members.relation",
    "relationship": "members.relation",
    # address
    "บ้านเลขที่": "house_no",
    "เลขที่": "house_no",
    "เลขที่บ้าน": "house_no",
    "houseno": "house_no",
    "housenumber": "house_no",
    "หมู่": "village_no",
    "หมู่ที่": "village_no",
    "ม": "village_no",
    "moo": "village_no",
    "villageno": "village_no",
    "หมู่บ้าน": "village_name",
    "ชื่อหมู่บ้าน": "village_name",
    "ชุมชน": "village_name",
    "village": "village_name",
    "villagename": "village_name",
    "ตำบล": "@subdistrict",
    "แขวง": "@subdistrict",
    "ต": "@subdistrict",
    "ตำบลแขวง": "@subdistrict",
    "subdistrict": "@subdistrict",
    "tambon": "@subdistrict",
    "รหัสตำบล": "subdistrict_code",
    "subdistrictcode": "subdistrict_code",
    "tamboncode": "subdistrict_code",
    "อำเภอ": "district_name",
    "เขต": "district_name",
    "อ": "district_name",
    "อำเภอเขต": "district_name",
    "district": "district_name",
    "amphoe": "district_name",
    "จังหวัด": "province_name",
    "จ": "province_name",
    "province": "province_name",
    "changwat": "province_name",
    "รหัสไปรษณีย์": "postal_code",
    "postcode": "postal_code",
    "postalcode": "postal_code",
    "zip": "postal_code",
    "รหัสบ้าน": "house_registry_code",
    "รหัสประจำบ้าน": "house_registry_code",
    "houseid": "house_registry_code",
    "รหัสครัวเรือน": "household_code",
    "householdcode": "household_code",
    "householdid": "household_code",
    "hhid": "household_code",
    "โทรศัพท์": "phone",
    "เบอร์โทร": "phone",
    "เบอร์โทรศัพท์": "phone",
    "phone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "ละติจูด": "location.lat",
    "latitude": "location.lat",
    "lat": "location.lat",
    "ลองจิจูด": "location.lon",
    "longitude": "location.lon",
    "lon": "location.lon",
    "lng": "location.lon",
    "long": "location.lon",
    "รหัสระเบียน": "id",
}

_DROP = re.compile(r"[\s._\-/\\():;,'\"\[\]{}#*]+")


def match_key(text: str) -> str:
    return _cached_key(text) if type(text) is str else _cached_key(str(text))


@functools.lru_cache(maxsize=4096)  # headers, prefixes and choice labels repeat on every row
def _cached_key(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFC", text).lower())


def geo_headers(f: Field, lang: str = "th") -> tuple[str, str]:
    """The two column headers of a geopoint (latitude, longitude)."""
    label = f.label_for(lang)
    return (f"{label} (ละติจูด)", f"{label} (ลองจิจูด)") if lang == "th" else (f"{label} (lat)", f"{label} (lon)")


@dataclass
class Mapping:
    """How the columns of a file map to a form; saved as JSON or YAML."""

    form: str
    columns: dict[str, str | None] = field(default_factory=dict)  # header -> target (None = ignore)
    repeats: dict[str, dict[str, str | None]] = field(default_factory=dict)  # repeat sheet -> columns
    match_by: str = "members.national_id"
    group_by: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"form": self.form, "match_by": self.match_by, "group_by": list(self.group_by)}
        out["columns"] = dict(self.columns)
        if self.repeats:
            out["repeats"] = {k: dict(v) for k, v in self.repeats.items()}
        if self.defaults:
            out["defaults"] = dict(self.defaults)
        return out

    @classmethod
    def from_dict(cls, raw: Any, source: str = "mapping") -> Mapping:
        if not isinstance(raw, dict) or not isinstance(raw.get("form"), str):
            raise ValidationError(
                f"ไฟล์การจับคู่คอลัมน์ {source} ไม่ถูกต้อง", f"{source}: a mapping needs 'form' and 'columns'"
            )
        cols = raw.get("columns") or {}
        reps = raw.get("repeats") or {}
        group = raw.get("group_by") or []
        if isinstance(group, str):
            group = [group]
        if (
            not isinstance(cols, dict)
            or not isinstance(reps, dict)
            or not all(isinstance(v, dict) for v in reps.values())
            or not isinstance(group, list)
            or not isinstance(raw.get("defaults") or {}, dict)
        ):
            raise ValidationError(
                f"ไฟล์การจับคู่คอลัมน์ {source} ไม่ถูกต้อง",
                f"{source}: columns/repeats/defaults must be objects, group_by a list",
            )
        return cls(
            form=raw["form"],
            columns={str(k): (None if v in (None, "") else str(v)) for k, v in cols.items()},
            repeats={
                str(r): {str(k): (None if v in (None, "") else str(v)) for k, v in c.items()}
                for r, c in reps.items()
            },
            match_by=str(raw.get("match_by") or "members.national_id"),
            group_by=[str(g) for g in group],
            defaults=dict(raw.get("defaults") or {}),
        )

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        if p.suffix.lower() in (".yaml", ".yml"):
            text = yaml.safe_dump(self.as_dict(), allow_unicode=True, sort_keys=False)
        else:
            text = json.dumps(self.as_dict(), ensure_ascii=False, indent=2) + "\n"
        p.write_text(text, encoding="utf-8")
        return p

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8-sig")
            raw = yaml.safe_load(text)  # JSON is YAML
        except FileNotFoundError:
            raise ValidationError(f"ไม่พบไฟล์ {p.name}", f"mapping file not found: {p}") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ValidationError(
                f"อ่านไฟล์การจับคู่คอลัมน์ {p.name} ไม่ได้", f"cannot read mapping {p}: {exc}"
            ) from exc
        return cls.from_dict(raw, p.name)

    def check(self, form: Form) -> None:
        """Raise ValidationError when a target is not a field of ``form`` (or a special target)."""
        bad: list[str] = []
        valid = valid_targets(form)
        for target in self.columns.values():
            if target is not None and target not in valid:
                bad.append(target)
        for rep, cols in self.repeats.items():
            f = form.fields.get(rep)
            if f is None or f.type != "repeat":
                bad.append(rep)
                continue
            for target in cols.values():
                if target is None or target == LINK_HEADER.format(form=form.id):
                    continue
                if f"{rep}.{target}" not in valid and target not in valid:
                    bad.append(f"{rep}.{target}")
        if self.match_by != "id" and (self.match_by not in valid or self.match_by in SPECIAL_TARGETS):
            bad.append(self.match_by)
        for path in self.group_by:
            if path not in valid or path in SPECIAL_TARGETS:
                bad.append(path)
        for path in self.defaults:
            if path not in valid:
                bad.append(path)
        if bad:
            raise ValidationError(
                f"การจับคู่คอลัมน์อ้างถึงข้อคำถามที่ไม่มีในแบบฟอร์ม {form.id}: {', '.join(bad[:5])}",
                f"mapping names fields that form {form.id} does not have: {', '.join(bad[:5])}",
            )


def valid_targets(form: Form) -> set[str]:
    out = set(SPECIAL_TARGETS)
    for f in form.fields.values():
        if f.type == "repeat":
            out.update(f"{f.id}.{c.id}" for c in f.fields if c.stores_value and c.type != "calculated")
            out.update(f"{f.id}.{s}" for s in REPEAT_SPECIAL)
        elif f.stores_value and f.type != "calculated":
            out.add(f.id)
            if f.type == "geopoint":
                out.update({f"{f.id}.lat", f"{f.id}.lon"})
    return out


def _index(form: Form) -> dict[str, str | None]:
    """Normalised header -> target. Calculated fields map to None (exported, never imported)."""
    idx: dict[str, str | None] = {}

    for k, v in SYNONYMS.items():
        idx[k] = v
    top = [f for f in form.fields.values() if f.stores_value]
    reps = form.repeats()
    # repeat fields first, so a top-level field with the same label or id wins
    for rep in reps:
        for c in rep.fields:
            if not c.stores_value:
                continue
            target = None if c.type == "calculated" else f"{rep.id}.{c.id}"
            for name in (f"{rep.id}.{c.id}", c.label.get("th", ""), c.label.get("en", ""), c.id):
                idx[match_key(name)] = target
    for f in top:
        target = None if f.type == "calculated" else f.id
        if f.type == "geopoint":
            for lang in ("th", "en"):
                lat, lon = geo_headers(f, lang)
                idx[match_key(lat)], idx[match_key(lon)] = f"{f.id}.lat", f"{f.id}.lon"
            idx[match_key(f"{f.id}.lat")], idx[match_key(f"{f.id}.lon")] = f"{f.id}.lat", f"{f.id}.lon"
        for name in (f.label.get("th", ""), f.label.get("en", ""), f.id):
            idx[match_key(name)] = target
    idx["id"] = "id"
    return idx


def _looks_like_codes(values: list[Any]) -> bool:
    seen = [str(v).strip() for v in values if v not in (None, "")]
    return bool(seen) and all(re.fullmatch(r"\d{6}", s) for s in seen[:50])


def auto_columns(form: Form, table: Table, *, repeat: Field | None = None) -> dict[str, str | None]:
    """Guess the target of every column of ``table`` (None where nothing fits)."""
    idx = _index(form)
    out: dict[str, str | None] = {}
    used: set[str] = set()
    link = match_key(LINK_HEADER.format(form=form.id))
    for i, header in enumerate(table.headers):
        k = match_key(header)
        target = idx.get(k)
        if repeat is not None:
            if k == link:
                out[header] = LINK_HEADER.format(form=form.id)
                continue
            if k == "id":
                target = f"{repeat.id}.id"
        if target == "@subdistrict":
            target = "subdistrict_code" if _looks_like_codes(table.column(i, 200)) else "subdistrict_name"
        if repeat is not None and target is not None and not target.startswith(f"{repeat.id}."):
            # a repeat sheet holds the repeat's own fields; same-named top-level fields mean the row's
            rc = repeat.child(target.split(".")[-1])
            target = f"{repeat.id}.{rc.id}" if rc is not None and rc.type != "calculated" else None
        if target is not None and target in used:
            target = None  # a second column for the same field is ignored unless mapped by hand
        if target is not None:
            used.add(target)
        out[header] = target
    return out


def auto_mapping(form: Form, workbook: Workbook) -> Mapping:
    """A mapping guessed from the headers of the file's tables."""
    m = Mapping(form=form.id, columns=auto_columns(form, workbook.main))
    for t in workbook.tables[1:]:
        rep = _repeat_for_table(form, t.name)
        if rep is not None:
            m.repeats[rep.id] = {
                h: (v[len(rep.id) + 1 :] if v and v.startswith(f"{rep.id}.") else v)
                for h, v in auto_columns(form, t, repeat=rep).items()
            }
    targets = {t for t in m.columns.values() if t}
    for key in ("household_code", "house_registry_code"):
        if key in targets and key in form.fields:
            m.group_by = [key]
            break
    if "members" in form.fields and "members.national_id" not in targets and not m.repeats:
        for key in ("household_code", "house_registry_code"):
            if key in targets:
                m.match_by = key
                break
    if "members" not in form.fields:
        m.match_by = "id"
    return m


def _repeat_for_table(form: Form, name: str) -> Field | None:
    k = match_key(name)
    for rep in form.repeats():
        if k in (match_key(rep.id), match_key(rep.label.get("th", "")), match_key(rep.label.get("en", ""))):
            return rep
    return None
