"""Coverage of a target list per village: how many listed households were visited, interviewed,
refused, not at home (awaiting a revisit), moved, not found or deceased.

A household is *listed* once it is recorded (imported from a target list or typed in), counted
once at its latest survey round. Its visit outcome (``visit_outcome``, forms/household.yaml) says
what came of the visit. A household counts as *interviewed* when its outcome is "interviewed" — or
empty, as in records made before the outcome was asked — **and** it has interview answers: a
household imported from a list carries the form's default outcome but has not been interviewed
until someone answers its questions. Households neither interviewed nor given another outcome are
*not yet visited*.

The counts are kept by the database itself (``coverage_counts``, like ``fieldapp.aggregates``): triggers
on the household table keep, per village, outcome and revisit date, how many households count —
live, and at their latest round — for every write whoever makes it (the editor, an import, a pull, a
new round, an erasure). The line above the list and the per-village table read those few rows, never
the households: at a million households the whole programme's line takes milliseconds instead of
the two seconds one pass over the table took. A form without a visit outcome is counted by the same
rules in one SQL pass over its table; ``drift`` compares the kept counts with that fresh count.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from fieldapp import aggregates, geo, schema
from fieldapp.forms import Form

if TYPE_CHECKING:
    from fieldapp.store import Store

OUTCOME = schema.VISIT_OUTCOME
REVISIT = "revisit_on"
INTERVIEWED = "interviewed"
NOT_AT_HOME = "not_at_home"
OTHER_OUTCOMES = ("refused", NOT_AT_HOME, "moved", "not_found", "deceased")
"""The outcomes of a visit without an interview (the codes of the ``visit_outcome`` choices)."""

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


def interview_columns(form: Form) -> list[str]:
    """The columns that hold interview answers: the required top-level questions of the sections
    asked only in an interview (a section with ``relevant``). Any of them answered means the
    household was interviewed."""
    cols: list[str] = []
    for section in form.sections:
        if section.relevant is None:
            continue
        for f in section.fields:
            if f.parent is None and f.required is True and f.type not in ("repeat", "calculated", "note"):
                cols.extend(name for name, _ in f.columns())
    return cols


def _interviewed_sql(form: Form, row: str = "") -> str:
    """Whether the household in ``row`` (NEW, OLD, a table alias, or the table itself for "") was
    interviewed: its outcome says so, or is empty, and it has interview answers."""
    at = f"{row}." if row else ""
    answered = " OR ".join(f"{at}[{c}] IS NOT NULL" for c in interview_columns(form)) or "0"
    outcome = f"COALESCE({at}[{OUTCOME}], '')" if OUTCOME in form.fields else "''"
    return f"({outcome} IN ('', '{INTERVIEWED}') AND ({answered}))"


# ---------------------------------------------------------------------------- kept counts

KEPT = "coverage_counts"
KEPT_KEY = ("form_id", "area", "village_no", "village_name", "outcome", "revisit_on")
KEPT_DDL = (
    f"CREATE TABLE IF NOT EXISTS {KEPT} (form_id TEXT NOT NULL, area TEXT NOT NULL, "
    "village_no INTEGER NOT NULL, village_name TEXT NOT NULL, outcome TEXT NOT NULL, "
    f"revisit_on TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY ({', '.join(KEPT_KEY)})) WITHOUT ROWID"
)
"""One row per form, subdistrict, village (number -1 / name '' where missing), outcome ('' for not
yet visited) and revisit date (not-at-home households only, '' otherwise): how many households."""


def kept(form: Form) -> bool:
    """Whether the form's coverage is kept by triggers (it asks the visit outcome)."""
    f = form.fields.get(OUTCOME)
    return f is not None and f.parent is None and bool(f.columns())


def _column(form: Form, name: str, row: str, missing: str) -> str:
    f = form.fields.get(name)
    if f is None or f.parent is not None or not f.columns():
        return missing
    return f"COALESCE({row}.[{name}], {missing})"


def _kept_key(form: Form, row: str) -> list[str]:
    """SQL expressions of a household's key in the kept counts, read from ``row``."""
    area = f"COALESCE({row}.[{form.area_field}], '')" if form.area_field else "''"
    others = ", ".join(f"'{o}'" for o in OTHER_OUTCOMES)
    outcome = (
        f"CASE WHEN {_interviewed_sql(form, row)} THEN '{INTERVIEWED}' "
        f"WHEN {row}.[{OUTCOME}] IN ({others}) THEN {row}.[{OUTCOME}] ELSE '' END"
    )
    revisit = (
        f"CASE WHEN {row}.[{OUTCOME}] = '{NOT_AT_HOME}' THEN COALESCE({row}.[{REVISIT}], '') ELSE '' END"
        if REVISIT in form.fields
        else "''"
    )
    return [
        area,
        _column(form, schema.VILLAGE_NO, row, "-1"),
        _column(form, schema.VILLAGE_NAME, row, "''"),
        outcome,
        revisit,
    ]


def _latest(form: Form, row: str, besides: str | None = None) -> str:
    """SQL: no live later round follows the household in ``row`` (``besides``: leaving out the
    record with that id, which is being deleted or has just been written)."""
    if not form.rounds:
        return "1"
    prev = form.rounds["previous"]
    other = f" AND s.id != {besides}" if besides else ""
    return f"NOT EXISTS (SELECT 1 FROM [{form.table}] s WHERE s.[{prev}] = {row}.id AND s.deleted = 0{other})"


def _add(form: Form, row: str, amount: str, where: str, source: str = "") -> str:
    key = ", ".join(_kept_key(form, row))
    return (
        f"INSERT INTO {KEPT} ({', '.join(KEPT_KEY)}, n) SELECT '{form.id}', {key}, {amount}{source} "
        f"WHERE {where} ON CONFLICT({', '.join(KEPT_KEY)}) DO UPDATE SET n = n + excluded.n"
    )


def _previous_round(form: Form, old: str | None, new: str | None, me: str) -> str:
    """The change to the previous round(s) of the record ``me`` being written: a round counts
    again when its last live successor goes (deleted, or pointed elsewhere), and stops counting
    when one comes. ``old``/``new``: the record before and after (None where there is none)."""
    assert form.rounds is not None
    prev = form.rounds["previous"]

    def refers(side: str | None) -> str:  # 1 when that side is a live successor of p
        return (
            f"(CASE WHEN {side}.deleted = 0 AND {side}.[{prev}] IS p.id THEN 1 ELSE 0 END)" if side else "0"
        )

    before, after = refers(old), refers(new)
    ids = ", ".join(f"{side}.[{prev}]" for side in (old, new) if side)
    others = f"NOT EXISTS (SELECT 1 FROM [{form.table}] s WHERE s.[{prev}] = p.id AND s.deleted = 0 AND s.id != {me})"
    return _add(
        form,
        "p",
        f"{before} - {after}",
        f"p.id IN ({ids}) AND p.deleted = 0 AND p.id != {me} AND {before} != {after} AND {others}",
        f" FROM [{form.table}] p",
    )


def triggers(form: Form) -> list[str]:
    """The statements that (re)create the triggers keeping this form's coverage counts."""
    t = form.table
    stmts = [f"DROP TRIGGER IF EXISTS [{t}__cover_{op}]" for op in ("ins", "upd", "del")]
    if not kept(form):
        return stmts
    ins = [_add(form, "NEW", "1", f"NEW.deleted = 0 AND {_latest(form, 'NEW')}")]
    upd = [
        _add(form, "OLD", "-1", f"OLD.deleted = 0 AND {_latest(form, 'OLD')}"),
        _add(form, "NEW", "1", f"NEW.deleted = 0 AND {_latest(form, 'NEW')}"),
    ]
    dele = [_add(form, "OLD", "-1", f"OLD.deleted = 0 AND {_latest(form, 'OLD', 'OLD.id')}")]
    watched = ["deleted", *(c for c, _ in form.fields[OUTCOME].columns()), *interview_columns(form)]
    for name in (form.area_field, schema.VILLAGE_NO, schema.VILLAGE_NAME, REVISIT):
        f = form.fields.get(name or "")
        if f is not None and f.parent is None:
            watched += [c for c, _ in f.columns()]
    if form.rounds:
        watched.append(form.rounds["previous"])
        ins.append(_previous_round(form, None, "NEW", "NEW.id"))
        upd.append(_previous_round(form, "OLD", "NEW", "NEW.id"))
        dele.append(_previous_round(form, "OLD", None, "OLD.id"))
    watched = list(dict.fromkeys(watched))
    changed = " OR ".join(f"OLD.[{c}] IS NOT NEW.[{c}]" for c in watched)
    stmts += [
        f"CREATE TRIGGER [{t}__cover_ins] AFTER INSERT ON [{t}] BEGIN {'; '.join(ins)}; END",
        f"CREATE TRIGGER [{t}__cover_upd] AFTER UPDATE OF {', '.join(f'[{c}]' for c in watched)} ON [{t}] "
        f"WHEN {changed} BEGIN {'; '.join(upd)}; END",
        f"CREATE TRIGGER [{t}__cover_del] BEFORE DELETE ON [{t}] BEGIN {'; '.join(dele)}; END",
    ]
    return stmts


def _fresh_select(form: Form) -> str:
    """SELECT of the kept rows counted afresh from the households (form_id, key…, n)."""
    key = _kept_key(form, "p")
    group = ", ".join(str(i) for i in range(2, 2 + len(key)))
    return (
        f"SELECT '{form.id}', {', '.join(key)}, count(*) FROM [{form.table}] p "
        f"WHERE p.deleted = 0 AND {_latest(form, 'p')} GROUP BY {group}"
    )


def install(conn: sqlite3.Connection, forms: Iterable[Form], *, recount: bool) -> None:
    """Create the table and each form's triggers, counting afresh when ``recount`` (the caller
    holds a transaction)."""
    conn.execute(KEPT_DDL)
    for form in forms:
        for stmt in triggers(form):
            conn.execute(stmt)
        if recount:
            conn.execute(f"DELETE FROM {KEPT} WHERE form_id = ?", [form.id])
            if kept(form):
                conn.execute(f"INSERT INTO {KEPT} ({', '.join(KEPT_KEY)}, n) {_fresh_select(form)}")


def drift(conn: sqlite3.Connection, form: Form) -> list[str]:
    """Differences between the kept coverage counts and a fresh count (empty when they agree)."""
    if not kept(form):
        return []
    have = {
        tuple(r[:-1]): r[-1]
        for r in conn.execute(
            f"SELECT {', '.join(KEPT_KEY)}, n FROM {KEPT} WHERE form_id = ? AND n != 0", [form.id]
        )
    }
    fresh = {tuple(r[:-1]): r[-1] for r in conn.execute(_fresh_select(form))}
    return [
        f"{form.id} coverage {key[1:]}: kept {have.get(key, 0)}, actual {fresh.get(key, 0)}"
        for key in sorted(set(have) | set(fresh), key=repr)
        if have.get(key, 0) != fresh.get(key, 0)
    ]


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
    params: list[Any] = [*OTHER_OUTCOMES, today.isoformat(), form.id]
    where = ["form_id = ?", "n != 0"]
    codes = [area] if isinstance(area, str) else list(area or [])
    if codes:
        where.append("(" + " OR ".join("(area >= ? AND area < ?)" for _ in codes) + ")")
        for code in codes:
            code = geo.check_area_code(code)
            params += [code, code + ":"]
    if village_no is not None:
        where.append("village_no = ?")
        params.append(village_no)
    return sums, " AND ".join(where), params


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
    village: from the kept counts, or for a form without them one pass over the households, through the area index only for a small area (reading
    a large share of the table in index order costs several times a plain pass: 5.0 s against
    0.4 s at a million households)."""
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
    sums = f"COUNT(*), SUM(CASE WHEN {_interviewed_sql(form)} THEN 1 ELSE 0 END), {', '.join(counts)}, {due}"
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
