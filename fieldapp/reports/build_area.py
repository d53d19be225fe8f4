"""The area report's data (``area_report``): a village, subdistrict, district, province or a
chosen set of subdistricts, aggregated with read-only SQL over the typed form tables."""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fieldapp import coverage, geo, scoring
from fieldapp.errors import ValidationError
from fieldapp.expr import Expression
from fieldapp.forms import Field, Form
from fieldapp.reports.base import ReportDataError
from fieldapp.reports.build_common import (
    BUSINESS_LIMIT,
    NEEDY_LIMIT,
    NOT_INTERVIEWED,
    OPEN_REFERRAL,
    POOR_CLASSES,
    TPMAP_LABELS,
    UNASSESSABLE,
    UNSCORED,
    Labels,
    Place,
    as_int,
    as_number,
    as_text,
    code_of_household,
    default_meta,
    json_list,
    lines_of,
    person_name,
    place_of,
    placeholders,
    tpmap_labels,
    village_label,
)
from fieldapp.reports.data import (
    CAPITAL_KEYS,
    AreaBusiness,
    AreaBusinessTotals,
    AreaReport,
    AreaScope,
    CapitalScores,
    NeedyHousehold,
    ReportMeta,
    VillageCoverage,
    VillageStat,
)
from fieldapp.store import Store

# ---------------------------------------------------------------------------- area


@dataclass
class _VillageAcc:
    subdistrict_code: str
    village_no: int | None
    names: dict[str, int] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    total: int = 0
    poor: int = 0
    complete: int = 0
    cap_sum: float = 0.0
    cap_n: int = 0
    unassessable: int = 0
    not_interviewed: int = 0


@dataclass(order=True)
class _Needy:
    key: tuple[int, float, float, str]
    household_id: str = field(compare=False)
    row: dict[str, Any] = field(compare=False)


@dataclass
class _Area:
    """Where an area report looks: area codes, and a village number for a village report."""

    scope: AreaScope
    codes: list[str]
    village_no: int | None = None

    @property
    def codes_wide(self) -> bool:
        """More than one subdistrict: a village needs its subdistrict to be found."""
        return len(self.codes) > 1 or len(self.codes[0]) < 6

    def where(self, alias: str = "", *, column: str = "subdistrict_code") -> tuple[str, list[Any]]:
        """SQL condition (live records inside the area) on a form table, optionally aliased."""
        p = f"{alias}." if alias else ""
        parts = [f"({p}[{column}] >= ? AND {p}[{column}] < ?)" for _ in self.codes]
        params: list[Any] = []
        for c in self.codes:
            params += [c, c + ":"]
        sql = f"{p}deleted = 0 AND (" + " OR ".join(parts) + ")"
        if self.village_no is not None:
            sql += f" AND {p}village_no = ?"
            params.append(self.village_no)
        return sql, params


def _province_title(p: Place) -> str:
    return p.province if p.bangkok else f"จังหวัด{p.province}"


def _district_title(p: Place) -> str:
    return f"{'เขต' if p.bangkok else 'อำเภอ'}{p.district} {_province_title(p)}"


def _sub_title(p: Place) -> str:
    return f"{'แขวง' if p.bangkok else 'ตำบล'}{p.subdistrict} {_district_title(p)}"


def _level_code(code: Any, level: str, what_th: str, digits: int) -> str:
    text = geo.normalize_code(str(code))
    if len(text) != digits or not text.isdigit():
        raise ValidationError(
            f"รหัส{what_th}ต้องเป็นตัวเลข {digits} หลัก: {code}",
            f"a {level} code has {digits} digits: {code!r}",
            code="area.unknown",
        )
    return geo.check_area_code(text)


def _area(
    subdistricts: Sequence[str] | None,
    district: str | None,
    province: str | None,
    village: tuple[str, int] | None,
) -> _Area:
    given = [x for x in (subdistricts, district, province, village) if x]
    if len(given) != 1:
        raise ValidationError(
            "เลือกพื้นที่อย่างใดอย่างหนึ่ง: ตำบล อำเภอ จังหวัด หรือหมู่บ้าน",
            "give exactly one of subdistricts, district, province or village",
            code="report.bad_scope",
        )
    if village:
        sub, no = village
        code = _level_code(sub, "subdistrict", "ตำบล", 6)
        if not 1 <= int(no) <= 99:
            raise ValidationError(
                "หมู่ที่ต้องเป็น 1–99", "the village number must be 1–99", code="report.bad_scope"
            )
        title = f"หมู่ที่ {int(no)} {_sub_title(place_of(code))}"
        return _Area(AreaScope("village", title, [code]), [code], int(no))
    if subdistricts:
        codes = list(dict.fromkeys(_level_code(c, "subdistrict", "ตำบล", 6) for c in subdistricts))
        if len(codes) == 1:
            return _Area(AreaScope("subdistrict", _sub_title(place_of(codes[0])), codes), codes)
        places = [place_of(c) for c in codes]
        districts = {(p.province, p.district) for p in places}
        provinces = {p.province for p in places}
        parts: list[str] = []
        for p in places:
            name = f"แขวง{p.subdistrict}" if p.bangkok else f"ตำบล{p.subdistrict}"
            if len(provinces) > 1:
                name += f" ({_district_title(p)})"
            elif len(districts) > 1:
                name += f" ({'เขต' if p.bangkok else 'อำเภอ'}{p.district})"
            # no-break spaces: one subdistrict's name and where it is stay on one line
            parts.append(name.replace(" ", "\u00a0"))
        first = places[0]
        where = ""
        if len(districts) == 1:
            where = _district_title(first)
        elif len(provinces) == 1:
            where = _province_title(first)
        unit = "แขวง" if all(p.bangkok for p in places) else "ตำบล"
        title = f"{len(codes)} {unit}ที่เลือก {where}".strip()
        return _Area(AreaScope("set", title, codes, parts), codes)
    if district:
        code = _level_code(district, "district", "อำเภอ", 4)
        return _Area(AreaScope("district", _district_title(place_of(code)), [code]), [code])
    code = _level_code(province, "province", "จังหวัด", 2)
    return _Area(AreaScope("province", _province_title(place_of(code)), [code]), [code])


class _Completeness:
    """Whether a household's required answers are all there, read from its stored columns.

    Validating every record with ``form.validate`` means loading each document, which a district
    of 100,000 households cannot afford. This proxy gives the same answer for what is missing,
    from the rows the report reads anyway plus two small queries. A household is complete when

    * every required top-level question is answered whenever it applies (its ``required`` and
      ``relevant`` rules are evaluated on the stored answers),
    * it has members, and no member lacks an always-required answer (ID type, prefix, name, sex,
      relation, whether they live there) or, with a Thai ID card, the ID number,
    * and, when it was saved on purpose as a draft, no missing answers are recorded for it
      (``record_status``).

    Constraints (formats, ranges) are not checked: stored records passed them when saved.
    """

    def __init__(self, store: Store, form: Form) -> None:
        self.form = form
        self.checked = [
            f
            for f in form.fields.values()
            if f.stores_value and f.type != "calculated" and f.required is not False
        ]
        context: dict[str, Field] = {f.id: f for f in self.checked}
        for f in self.checked:
            for e in (f.relevant, f.required):
                if isinstance(e, Expression):
                    for name in e.variables:
                        ref = form.fields.get(name.split(".")[0])
                        if ref is not None and ref.stores_value and ref.type != "repeat":
                            context.setdefault(ref.id, ref)
        self.context = list(context.values())
        self.columns = [c for f in self.context for c, _ in f.columns()]
        self.has_status = bool(
            store.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'record_status'"
            ).fetchone()
        )
        rep = form.fields.get("members")
        self.member_required = [
            c.id
            for c in (rep.fields if rep is not None else [])
            if c.required is True and c.relevant is None and c.stores_value and c.type != "calculated"
        ]

    def incomplete_ids(self, store: Store, area: _Area) -> set[str]:
        """Households in the area with a member missing a required answer, or a draft status."""
        where, params = area.where("h")
        checks = [f"m.[{c}] IS NULL" for c in self.member_required]
        checks.append("(m.id_type = 'thai_id' AND m.national_id IS NULL)")
        out = {
            r[0]
            for r in store.conn.execute(
                "SELECT DISTINCT m.parent_id FROM household__members m JOIN household h ON h.id = m.parent_id "
                f"WHERE {where} AND ({' OR '.join(checks)})",
                params,
            )
        }
        if self.has_status:
            out |= {
                r[0]
                for r in store.conn.execute(
                    "SELECT s.record_id FROM record_status s JOIN household h ON h.id = s.record_id "
                    f"WHERE s.form_id = 'household' AND s.missing > 0 AND {where}",
                    params,
                )
            }
        return out

    def complete(self, row: dict[str, Any]) -> bool:
        """The top-level required answers of one household row (:attr:`columns`) are all there."""
        data: dict[str, Any] = {}
        for f in self.context:
            if f.value_type == "geopoint":
                lat = row.get(f"{f.id}_lat")
                data[f.id] = {"lat": lat, "lon": row.get(f"{f.id}_lon")} if lat is not None else None
            elif f.kind.multiple:
                data[f.id] = json_list(row.get(f.id)) or None
            elif f.value_type == "boolean":
                raw = row.get(f.id)
                data[f.id] = None if raw is None else bool(raw)
            else:
                data[f.id] = row.get(f.id)
        return not any(
            data[f.id] is None and self.form.is_relevant(f, data) and self.form.is_required(f, data)
            for f in self.checked
        )


def area_report(
    store: Store,
    *,
    subdistricts: Sequence[str] | None = None,
    district: str | None = None,
    province: str | None = None,
    village: tuple[str, int] | None = None,
    meta: ReportMeta | None = None,
    needy_limit: int = NEEDY_LIMIT,
    business_limit: int = BUSINESS_LIMIT,
) -> AreaReport:
    """The area case study of one village, subdistrict, district, province or a set of subdistricts.

    Give exactly one of ``subdistricts`` (one code: a subdistrict report; several: a chosen set),
    ``district``, ``province`` or ``village=(subdistrict_code, village_no)``. Unknown codes raise
    :class:`ValidationError`; an area without households raises :class:`ReportDataError`
    (``report.empty_area``). Each household is counted once: of its survey rounds only the latest
    is counted (see ``_earlier_rounds``). Rows are aggregated as they are read, so
    memory stays bounded for a district or a province.
    """
    area = _area(subdistricts, district, province, village)
    form = store.form("household")
    labels = Labels(form)
    klass_field = scoring.class_field(form)
    wanted = _wanted(klass_field)
    tally = _Tally(klass_field, wanted, needy_limit)
    for row, members, complete in _households(store, form, area, wanted):
        tally.add(row, members, complete)
    scope = area.scope
    if tally.total == 0:
        raise ReportDataError(
            f"ไม่มีข้อมูลครัวเรือนใน{scope.title} จึงสร้างรายงานไม่ได้",
            f"no households in {scope.level} {'+'.join(area.codes)}"
            + (f" village {area.village_no}" if area.village_no is not None else "")
            + ": nothing to report",
            path="area",
            code="report.empty_area",
        )
    if area.village_no is not None:
        acc = next(iter(tally.villages.values()))
        if acc.names:
            name = max(acc.names.items(), key=lambda kv: (kv[1], kv[0]))[0]
            scope.title = f"{village_label(area.village_no, name)} {_sub_title(place_of(area.codes[0]))}"
    counts, sums = tally.cap_counts, tally.cap_sums
    avg = {k: round(sums[k] / counts[k], 2) if counts[k] else None for k in CAPITAL_KEYS}
    averages = CapitalScores(avg["human"], avg["physical"], avg["financial"], avg["natural"], avg["social"])
    by_name = {TPMAP_LABELS.get(c, c): n for c, n in tally.tpmap.items()}
    listed_businesses, business_totals = _area_businesses(store, area, business_limit)
    village_coverage, coverage_total = _area_coverage(store, form, area)
    return AreaReport(
        scope=scope,
        households_total=tally.total,
        members_total=tally.members,
        households_surveyed=tally.surveyed,
        tpmap_target_households=tally.targets,
        class_counts=_class_counts(form, labels, tally.classes),
        households_unassessable=tally.unassessable,
        households_not_interviewed=tally.not_interviewed,
        mean_coverage=round(tally.coverage_sum / tally.coverage_n, 2) if tally.coverage_n else None,
        capital_averages=averages,
        tpmap_counts={name: by_name[name] for name in tpmap_labels(tally.tpmap)},
        villages=_village_stats(tally.villages),
        coverage=village_coverage,
        coverage_total=coverage_total,
        businesses=listed_businesses,
        business_totals=business_totals,
        referral_counts=_referral_counts(store, area),
        households_in_need=_needy(store, sorted(tally.needy, reverse=True), labels, wide=area.codes_wide),
        # the households' own Area Manager and university, when the whole area has one
        area_manager_name=tally.managers.pop() if len(tally.managers) == 1 else "",
        university=tally.universities.pop() if len(tally.universities) == 1 else "",
        meta=meta or default_meta(),
    )


def _wanted(klass_field: str) -> list[str]:
    """The household columns the area report reads (and a household in need keeps)."""
    return [
        "id",
        "household_code",
        "head_name",
        "subdistrict_code",
        "village_no",
        "village_name",
        "village_code",
        klass_field,
        "tpmap_target",
        "tpmap_flags",
        "income_per_capita",
        "needs",
        "surveyed_on",
        "area_manager",
        "university",
        *[f"cap_{k}" for k in CAPITAL_KEYS],
        "cap_mean",
    ]


def _households(
    store: Store, form: Form, area: _Area, wanted: list[str]
) -> Iterator[tuple[dict[str, Any], int, bool]]:
    """The area's households at their latest survey round, one row at a time: the row (the
    ``wanted`` columns and those completeness needs), its member count, and whether it is
    complete."""
    where, params = area.where()
    superseded = _earlier_rounds(store, where, params)
    completeness = _Completeness(store, form)
    incomplete = completeness.incomplete_ids(store, area)
    hwhere, hparams = area.where("h")
    members_per: dict[str, int] = dict(
        store.conn.execute(
            "SELECT m.parent_id, count(*) FROM household__members m JOIN household h ON h.id = m.parent_id "
            f"WHERE {hwhere} GROUP BY m.parent_id",
            hparams,
        ).fetchall()
    )
    scored_extra = [c for c in ("score_status", "score_coverage") if c in form.fields]
    columns = list(dict.fromkeys([*wanted, *scored_extra, *completeness.columns]))
    cur = store.conn.execute(
        f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM household WHERE {where}", params
    )
    for values in cur:
        row = dict(zip(columns, values, strict=True))
        hid = row["id"]
        if hid in superseded:
            continue
        members = members_per.get(hid, 0)
        yield row, members, hid not in incomplete and members > 0 and completeness.complete(row)


@dataclass
class _Tally:
    """The area's households counted as they are read, so memory stays bounded for a district or a
    province: totals, classes, capital scores, TPMAP flags, villages, the households most in need."""

    klass_field: str
    wanted: list[str]
    needy_limit: int
    total: int = 0
    members: int = 0
    surveyed: int = 0
    targets: int = 0
    unassessable: int = 0
    not_interviewed: int = 0
    coverage_sum: float = 0.0
    coverage_n: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    cap_sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CAPITAL_KEYS, 0.0))
    cap_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CAPITAL_KEYS, 0))
    tpmap: dict[str, int] = field(default_factory=dict)
    villages: dict[tuple[str, int | None, str], _VillageAcc] = field(default_factory=dict)
    needy: list[_Needy] = field(default_factory=list)
    managers: set[str] = field(default_factory=set)
    universities: set[str] = field(default_factory=set)

    def add(self, row: dict[str, Any], members: int, complete: bool) -> None:
        """Count one household."""
        klass = row[self.klass_field] or ""
        cannot = row.get("score_status") == "unassessable"
        absent = row.get("score_status") == scoring.NOT_INTERVIEWED
        self.total += 1
        self.members += members
        self.surveyed += 1 if row["surveyed_on"] else 0
        self.targets += 1 if row["tpmap_target"] else 0
        self.unassessable += 1 if cannot else 0
        self.not_interviewed += 1 if absent else 0
        cov = as_number(row.get("score_coverage"))
        if cov is not None:
            self.coverage_sum += cov
            self.coverage_n += 1
        key = "unassessable" if cannot and not klass else scoring.NOT_INTERVIEWED if absent else klass
        self.classes[key] = self.classes.get(key, 0) + 1
        if row["area_manager"] and len(self.managers) < 2:
            self.managers.add(as_text(row["area_manager"]))
        if row["university"] and len(self.universities) < 2:
            self.universities.add(as_text(row["university"]))
        for k in CAPITAL_KEYS:
            v = as_number(row[f"cap_{k}"])
            if v is not None:
                self.cap_sums[k] += v
                self.cap_counts[k] += 1
        for code in json_list(row["tpmap_flags"]):
            self.tpmap[code] = self.tpmap.get(code, 0) + 1
        mean = as_number(row["cap_mean"])
        acc = self.add_to_village(row, cannot=cannot, absent=absent, mean=mean, complete=complete)
        if klass in POOR_CLASSES:
            acc.poor += 1
            self.keep_if_in_need(row, klass, mean)

    def add_to_village(
        self, row: dict[str, Any], *, cannot: bool, absent: bool, mean: float | None, complete: bool
    ) -> _VillageAcc:
        """Count the household in its village (by number, or by name when it has none)."""
        vno = as_int(row["village_no"])
        vname = as_text(row["village_name"])
        vkey = (row["subdistrict_code"], vno, "" if vno else vname)
        acc = self.villages.get(vkey)
        if acc is None:
            acc = self.villages[vkey] = _VillageAcc(row["subdistrict_code"], vno)
        acc.total += 1
        acc.unassessable += 1 if cannot else 0
        acc.not_interviewed += 1 if absent else 0
        if vname:
            acc.names[vname] = acc.names.get(vname, 0) + 1
        if row["village_code"]:
            acc.codes[row["village_code"]] = acc.codes.get(row["village_code"], 0) + 1
        if mean is not None:
            acc.cap_sum += mean
            acc.cap_n += 1
        if complete:
            acc.complete += 1
        return acc

    def keep_if_in_need(self, row: dict[str, Any], klass: str, mean: float | None) -> None:
        """A poor household kept while it is among the ``needy_limit`` most in need."""
        if self.needy_limit <= 0:
            return
        ipc = as_number(row["income_per_capita"])
        # worst first (class, mean score, income per person, all ascending); the heap keeps the
        # largest keys, so they are negated
        key = (-int(klass), -(mean or 0.0), -(ipc or 0.0), row["id"])
        item = _Needy(key, row["id"], {k: row[k] for k in self.wanted})
        if len(self.needy) < self.needy_limit:
            heapq.heappush(self.needy, item)
        elif item > self.needy[0]:
            heapq.heapreplace(self.needy, item)


def _area_coverage(
    store: Store, form: Form, area: _Area
) -> tuple[list[VillageCoverage], VillageCoverage | None]:
    """The target list's coverage per village (one SQL aggregate, ``fieldapp.coverage``); none
    when the form records no visit outcome."""
    if coverage.OUTCOME not in form.fields:
        return [], None
    found = coverage.area_coverage(store, area=area.codes, village_no=area.village_no, form_id=form.id)
    names: dict[str, str] = {}

    def one(c: coverage.Coverage, label: str) -> VillageCoverage:
        if c.subdistrict_code and c.subdistrict_code not in names:
            names[c.subdistrict_code] = place_of(c.subdistrict_code).subdistrict
        return VillageCoverage(
            village=label,
            subdistrict=names.get(c.subdistrict_code, ""),
            listed=c.listed,
            visited=c.visited,
            interviewed=c.interviewed,
            refused=c.refused,
            not_at_home=c.not_at_home,
            gone=c.moved + c.not_found + c.deceased,
        )

    villages = [
        one(c, village_label(c.village_no, c.village_name) if c.village_no is not None else c.village_name)
        for c in found.villages
    ]
    return villages, one(found.total, "รวม")


def _earlier_rounds(store: Store, where: str, params: list[Any]) -> set[str]:
    """Ids of households superseded by a later survey round: one that links to them (a round
    and its next round are in the same subdistrict), or, for records from before rounds were
    linked, a later survey with the same household code."""
    superseded: set[str] = {
        str(r[0])
        for r in store.conn.execute(
            f"SELECT previous_round_id FROM household WHERE {where} AND previous_round_id IS NOT NULL", params
        )
    }
    latest: dict[str, tuple[str, str, str]] = {}
    for rid, code, surveyed, updated in store.conn.execute(
        "SELECT id, household_code, surveyed_on, updated_at FROM household "
        f"WHERE {where} AND household_code IS NOT NULL AND household_code != ''",
        params,
    ):
        key = (surveyed or "", updated or "", rid)
        prev = latest.get(code)
        if prev is None:
            latest[code] = key
        elif key > prev:
            superseded.add(prev[2])
            latest[code] = key
        else:
            superseded.add(rid)
    return superseded


def _class_counts(form: Form, labels: Labels, classes: dict[str, int]) -> dict[str, int]:
    """Households by class label, worst first, every class listed (a class with no household
    shows 0); households not yet scored come last."""
    out: dict[str, int] = {}
    klass_field = scoring.class_field(form)
    known = [c.code for c in form.field_at(klass_field).choices]
    for code in known:
        out[labels.one(klass_field, code)] = classes.get(code, 0)
    for code, n in classes.items():
        if code not in known and n:
            if code == "unassessable":
                label = UNASSESSABLE
            elif code == scoring.NOT_INTERVIEWED:
                label = NOT_INTERVIEWED
            else:
                label = labels.one(klass_field, code) if code else UNSCORED
            out[label] = out.get(label, 0) + n
    return out


def _village_stats(villages: dict[tuple[str, int | None, str], _VillageAcc]) -> list[VillageStat]:
    out: list[VillageStat] = []
    sub_names: dict[str, str] = {}
    for acc in villages.values():
        name = max(acc.names.items(), key=lambda kv: (kv[1], kv[0]))[0] if acc.names else ""
        if acc.codes:
            code = max(acc.codes.items(), key=lambda kv: kv[1])[0]
        elif acc.village_no:
            code = f"{acc.subdistrict_code}{acc.village_no:02d}"  # DOPA: subdistrict code + moo
        else:
            code = ""
        if acc.subdistrict_code not in sub_names:
            sub_names[acc.subdistrict_code] = place_of(acc.subdistrict_code).subdistrict
        out.append(
            VillageStat(
                village_name=name,
                village_no=acc.village_no,
                village_code=code,
                subdistrict=sub_names[acc.subdistrict_code],
                households_total=acc.total,
                poor_households=acc.poor,
                households_complete=acc.complete,
                households_unassessable=acc.unassessable,
                households_not_interviewed=acc.not_interviewed,
                cap_mean=round(acc.cap_sum / acc.cap_n, 2) if acc.cap_n else None,
            )
        )
    out.sort(key=lambda v: (v.village_code, v.subdistrict, v.village_no or 0, v.village_name))
    return out


def _area_businesses(
    store: Store, area: _Area, limit: int = BUSINESS_LIMIT
) -> tuple[list[AreaBusiness], AreaBusinessTotals | None]:
    """The businesses located in the area that employ the most poor households (distinct), at most
    ``limit`` of them, and — when there are more — counts over all of them. Rows are read one at a
    time and only the first ``limit`` are kept, so a province's thousands never sit in memory."""
    labels = Labels(store.form("business"))
    klass_field = scoring.class_field(store.form("household"))
    where, params = area.where("b")
    poor = placeholders(len(POOR_CLASSES))
    cur = store.conn.execute(
        "SELECT b.title_sort, b.name, b.business_type, b.business_type_other, b.village_no, b.village_name, "
        "b.employees_total, b.employees_local, b.otop_stars, "
        "(SELECT count(DISTINCT e.household_id) FROM business__employment e "
        " JOIN household h ON h.id = e.household_id AND h.deleted = 0 "
        f" WHERE e.parent_id = b.id AND h.[{klass_field}] IN ({poor})) "
        f"FROM business b WHERE {where}",
        [*POOR_CLASSES, *params],
    )
    totals = AreaBusinessTotals()
    kept: list[tuple[tuple[int, tuple[int, ...]], int, tuple[Any, ...]]] = []  # the best, worst on top
    for seq, row in enumerate(cur):
        n = int(row[-1] or 0)
        totals.businesses += 1
        totals.employees_total += as_int(row[6]) or 0
        totals.employees_local += as_int(row[7]) or 0
        totals.poor_households_employed += n
        # most poor households employed first, then by name; the heap's top is the one to drop
        key = (n, _neg_text(as_text(row[0])))
        if len(kept) < limit:
            heapq.heappush(kept, (key, -seq, row))
        elif key > kept[0][0]:
            heapq.heapreplace(kept, (key, -seq, row))
    kept.sort(reverse=True)
    listed = [
        AreaBusiness(
            name=as_text(name),
            business_type=labels.one("business_type", btype, {"business_type_other": other}),
            village=village_label(as_int(vno), as_text(vname)),
            employees_total=as_int(total),
            employees_local=as_int(local),
            poor_households_employed=int(n or 0),
            otop_stars=as_int(stars) or 0,
        )
        for _key, _seq, (_sort, name, btype, other, vno, vname, total, local, stars, n) in kept
    ]
    return listed, (totals if totals.businesses > len(listed) else None)


def _neg_text(text: str) -> tuple[int, ...]:
    """A key that orders texts backwards (so a max-heap on it keeps the alphabetically first)."""
    return (*(-ord(c) for c in text), 0)


def _referral_counts(store: Store, area: _Area) -> dict[str, int]:
    """Referrals in the area by status label, in the order of the status list."""
    labels = Labels(store.form("referral"))
    if area.village_no is None:
        where, params = area.where()
        sql = f"SELECT status, count(*) FROM referral WHERE {where} GROUP BY status"
    else:
        # a referral knows its subdistrict only; its village is its household's
        where, params = area.where("h")
        sql = (
            "SELECT r.status, count(*) FROM referral r JOIN household h ON h.id = r.household_id "
            f"WHERE r.deleted = 0 AND {where} GROUP BY r.status"
        )
    counts = {status: n for status, n in store.conn.execute(sql, params)}
    f = labels.field("status")
    order = [c.code for c in f.choices] if f is not None else []
    out: dict[str, int] = {}
    for code in [*order, *[c for c in counts if c not in order]]:
        if counts.get(code):
            label = labels.one("status", code) or "ไม่ระบุสถานะ"
            out[label] = out.get(label, 0) + counts[code]
    return out


def _needy(store: Store, items: list[_Needy], labels: Labels, *, wide: bool) -> list[NeedyHousehold]:
    """The households most in need, worst first, with their open referrals."""
    klass_field = scoring.class_field(labels.form)
    if not items:
        return []
    ids = [i.household_id for i in items]
    open_counts: dict[str, int] = {}
    latest_need: dict[str, str] = {}
    for hid, status, need in store.conn.execute(
        "SELECT household_id, status, need FROM referral WHERE deleted = 0 "
        f"AND household_id IN ({placeholders(len(ids))}) ORDER BY referred_on",
        ids,
    ):
        if status in OPEN_REFERRAL:
            open_counts[hid] = open_counts.get(hid, 0) + 1
            latest_need[hid] = as_text(need)
    heads: dict[str, str] = {}
    for hid, *person in store.conn.execute(
        "SELECT parent_id, prefix, prefix_other, first_name, middle_name, last_name FROM household__members "
        f"WHERE relation = 'head' AND parent_id IN ({placeholders(len(ids))})",
        ids,
    ):
        keys = ("prefix", "prefix_other", "first_name", "middle_name", "last_name")
        heads[hid] = person_name(dict(zip(keys, person, strict=True)), labels)
    out: list[NeedyHousehold] = []
    for item in items:
        row = item.row
        needs = lines_of(row["needs"])
        village = village_label(as_int(row["village_no"]), as_text(row["village_name"]))
        if wide:
            place = place_of(row["subdistrict_code"])
            village += f" {'แขวง' if place.bangkok else 'ต.'}{place.subdistrict}" if place.subdistrict else ""
        ipc = as_number(row["income_per_capita"])
        out.append(
            NeedyHousehold(
                household_code=code_of_household(row, item.household_id),
                head_name=heads.get(item.household_id) or as_text(row["head_name"]),
                village=village.strip(),
                poverty_class=labels.one(klass_field, row[klass_field]),
                cap_mean=as_number(row["cap_mean"]),
                income_per_capita=None if ipc is None else float(round(ipc)),
                tpmap_dimensions=tpmap_labels(json_list(row["tpmap_flags"])),
                main_need=needs[0] if needs else latest_need.get(item.household_id, ""),
                open_referrals=open_counts.get(item.household_id, 0),
            )
        )
    return out
