"""Coverage of a target list per village: how many listed households were visited, interviewed,
refused, not at home (awaiting a revisit), moved, not found or deceased.

A household is *listed* once it is recorded (imported from a target list or typed in), counted
once at its latest survey round. Its visit outcome (``visit_outcome``, forms/household.yaml) says
what came of the visit. A household counts as *interviewed* when its outcome is "interviewed" — or
empty, as in records made before the outcome was asked — **and** it has interview answers: a
household imported from a list carries the form's default outcome but has not been interviewed
until someone answers its questions. Households neither interviewed nor given another outcome are
*not yet visited*.

The counts are kept by the database itself (``fieldapp.coveragecounts``): triggers on the household
table keep, per village, outcome and revisit date, how many households count. The line above the
list and the per-village table read those few rows, never the households: at a million households
the whole programme's line takes milliseconds instead of the two seconds one pass over the table
took. A form without a visit outcome is counted by the same rules in one SQL pass over its table.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from fieldapp import aggregates, geo
from fieldapp.coveragecounts import (
    INTERVIEWED,
    KEPT,
    NOT_AT_HOME,
    OTHER_OUTCOMES,
    OUTCOME,
    REVISIT,
    interviewed_sql,
    kept,
)
from fieldapp.forms import Form

if TYPE_CHECKING:
    from fieldapp.store import Store

LABELS_TH = {
    "listed": "ครัวเรือนในรายชื่อ",
    "visited": "เยี่ยมแล้ว",
    "interviewed": "สัมภาษณ์ได้",
    "refused": "ปฏิเสธ",
    "not_at_home": "ไม่อยู่บ้าน (รอเยี่ยมใหม่)",
    "moved": "ย้ายออก",
    "not_found": "ไม่พบ",
    "deceased": "เสียชีวิต",
    "not_visited": "ยังไม่ได้เยี่ยม",
    "interviewed_pct": "ร้อยละที่สัมภาษณ์ได้",
}
"""Thai names of the counts, for the command line and the reports."""


@dataclass
class Coverage:
    """The counts of one village (or of a whole area: ``Coverage.total``)."""

    subdistrict_code: str = ""
    village_no: int | None = None
    village_name: str = ""
    listed: int = 0
    interviewed: int = 0
    refused: int = 0
    not_at_home: int = 0
    moved: int = 0
    not_found: int = 0
    deceased: int = 0
    revisits_due: int = 0
    """Not-at-home households whose revisit date is today or earlier."""

    @property
    def visited(self) -> int:
        return (
            self.interviewed + self.refused + self.not_at_home + self.moved + self.not_found + self.deceased
        )

    @property
    def not_visited(self) -> int:
        return self.listed - self.visited

    @property
    def interviewed_share(self) -> float | None:
        """Interviewed ÷ listed (None for an empty village)."""
        return self.interviewed / self.listed if self.listed else None

    def add(self, other: Coverage) -> None:
        for name in ("listed", "interviewed", *OTHER_OUTCOMES, "revisits_due"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            visited=self.visited,
            not_visited=self.not_visited,
            interviewed_share=None if self.interviewed_share is None else round(self.interviewed_share, 4),
        )
        return out


@dataclass
class AreaCoverage:
    villages: list[Coverage] = field(default_factory=list)
    total: Coverage = field(default_factory=Coverage)

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total.as_dict(), "villages": [v.as_dict() for v in self.villages]}


def _kept_query(
    form: Form, area: str | Sequence[str] | None, village_no: int | None, today: _dt.date | None
) -> tuple[str, str, list[Any]]:
    """(the counted columns, the WHERE clause, its parameters) over the kept counts."""
    today = today or _dt.date.today()
    counts = ["SUM(CASE WHEN outcome = ? THEN n ELSE 0 END)" for _ in OTHER_OUTCOMES]
    sums = (
        f"SUM(n), SUM(CASE WHEN outcome = '{INTERVIEWED}' THEN n ELSE 0 END), {', '.join(counts)}, "
        f"SUM(CASE WHEN outcome = '{NOT_AT_HOME}' AND revisit_on != '' AND revisit_on <= ? THEN n ELSE 0 END)"
    )
    codes = [geo.check_area_code(c) for c in ([area] if isinstance(area, str) else list(area or []))]
    inside, inside_params = aggregates.area_clause(codes)
    where = f"form_id = ? AND n != 0{inside}"
    params: list[Any] = [*OTHER_OUTCOMES, today.isoformat(), form.id, *inside_params]
    if village_no is not None:
        where += " AND village_no = ?"
        params.append(village_no)
    return sums, where, params


def area_coverage(
    store: Store,
    *,
    area: str | Sequence[str] | None = None,
    village_no: int | None = None,
    today: _dt.date | None = None,
    form_id: str = "household",
) -> AreaCoverage:
    """The coverage of every village of ``area`` (a province, district or subdistrict code, or
    several; all households without one), and the total. Villages are keyed as the area report keys them:
    subdistrict and village number, or the village name where there is no number."""
    form = store.form(form_id)
    if kept(form):
        sums, where, params = _kept_query(form, area, village_no, today)
        sql = (
            "SELECT area, NULLIF(village_no, -1), CASE WHEN village_no = -1 THEN village_name ELSE '' END, "
            f"MAX(village_name), {sums} FROM {KEPT} WHERE {where} GROUP BY 1, 2, 3 ORDER BY 1, 2 IS NULL, 2, 3"
        )
    else:
        sums, where, params = _coverage_query(store, form, area, village_no, today, scan=False)
        sql = (
            f"SELECT [{form.area_field}], [village_no], CASE WHEN [village_no] IS NULL "
            f"THEN COALESCE([village_name], '') ELSE '' END AS vkey, MAX(COALESCE([village_name], '')), "
            f"{sums} FROM [{form.table}] WHERE {where} GROUP BY 1, 2, 3 ORDER BY 1, 2 IS NULL, 2, 3"
        )
    result = AreaCoverage()
    for row in store.conn.execute(sql, params):
        sub, vno, vkey, vname, *counts = row
        c = _counted(Coverage(sub or "", vno, vname or vkey or ""), counts)
        result.villages.append(c)
        result.total.add(c)
    return result


def total_coverage(
    store: Store,
    *,
    area: str | Sequence[str] | None = None,
    village_no: int | None = None,
    today: _dt.date | None = None,
    form_id: str = "household",
) -> Coverage:
    """The coverage of ``area`` as one total (the line above the list), without grouping by
    village: from the kept counts; for a form without them, one pass over the households, through
    the area index only for a small area (reading a large share of the table in index order costs
    several times a plain pass: 5.0 s against 0.4 s at a million households)."""
    form = store.form(form_id)
    if kept(form):
        sums, where, params = _kept_query(form, area, village_no, today)
        row = store.conn.execute(f"SELECT {sums} FROM {KEPT} WHERE {where}", params).fetchone()
        return _counted(Coverage(), list(row))
    codes = [area] if isinstance(area, str) else list(area or [])
    records = aggregates.total(store.conn, form.id)
    scan = not codes or aggregates.total(store.conn, form.id, area=codes) * 20 > records
    sums, where, params = _coverage_query(store, form, area, village_no, today, scan=scan)
    row = store.conn.execute(f"SELECT {sums} FROM [{form.table}] WHERE {where}", params).fetchone()
    return _counted(Coverage(), list(row))


def _coverage_query(
    store: Store,
    form: Form,
    area: str | Sequence[str] | None,
    village_no: int | None,
    today: _dt.date | None,
    *,
    scan: bool,
) -> tuple[str, str, list[Any]]:
    """(the counted columns, the WHERE clause, its parameters) of a coverage query. ``scan``:
    the area is a test of each row (unary plus: SQLite then reads the table in its own order)."""
    today = today or _dt.date.today()
    t = form.table
    outcome = f"[{OUTCOME}]" if OUTCOME in form.fields else "NULL"
    where = ["deleted = 0"]
    params: list[Any] = []
    if form.rounds:  # each household once, at its latest round
        prev = form.rounds["previous"]
        where.append(f"id NOT IN (SELECT [{prev}] FROM [{t}] WHERE deleted = 0 AND [{prev}] IS NOT NULL)")
    codes = [area] if isinstance(area, str) else list(area or [])
    if codes:
        col = f"+[{form.area_field}]" if scan else f"[{form.area_field}]"
        where.append("(" + " OR ".join(f"({col} >= ? AND {col} < ?)" for _ in codes) + ")")
        for code in codes:
            code = geo.check_area_code(code)
            params += [code, code + ":"]  # a prefix as a range: the area index serves it
    if village_no is not None:
        where.append("[village_no] = ?")
        params.append(village_no)
    counts = [f"SUM(CASE WHEN {outcome} = ? THEN 1 ELSE 0 END)" for _ in OTHER_OUTCOMES]
    due = (
        f"SUM(CASE WHEN {outcome} = ? AND [{REVISIT}] <= ? THEN 1 ELSE 0 END)"
        if REVISIT in form.fields
        else "0"
    )
    head: list[Any] = list(OTHER_OUTCOMES)
    if REVISIT in form.fields:
        head += [NOT_AT_HOME, today.isoformat()]
    sums = f"COUNT(*), SUM(CASE WHEN {interviewed_sql(form)} THEN 1 ELSE 0 END), {', '.join(counts)}, {due}"
    return sums, " AND ".join(where), head + params


def _counted(c: Coverage, row: list[Any]) -> Coverage:
    """``c`` with the counts of one coverage row (listed, interviewed, each other outcome, due)."""
    listed, interviewed, *rest = row
    c.listed, c.interviewed = int(listed or 0), int(interviewed or 0)
    for name, n in zip(OTHER_OUTCOMES, rest[: len(OTHER_OUTCOMES)], strict=True):
        setattr(c, name, int(n or 0))
    c.revisits_due = int(rest[-1] or 0)
    return c


def village_label(c: Coverage) -> str:
    """``หมู่ 4 บ้านหนองบัว`` (or the name, or the subdistrict code where neither is known)."""
    parts = [f"หมู่ {c.village_no}" if c.village_no is not None else "", c.village_name]
    return " ".join(p for p in parts if p) or c.subdistrict_code


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"
