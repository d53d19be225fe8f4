"""The target list's coverage kept by the database itself (``coverage_counts``), like the record
counts of ``fieldapp.aggregates``: triggers on a form's table keep, per village, visit outcome and
not-at-home revisit date, how many households count — live, and at their latest survey round — for
every write, whoever makes it (the editor, an import, a pull, a new round, an erasure, raw SQL).
``fieldapp.coverage`` reads them; ``drift`` compares them with a fresh count.

A household counts as *interviewed* when its outcome is "interviewed" — or empty, as in records
made before the outcome was asked — **and** it has interview answers (see ``fieldapp.coverage``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from fieldapp import aggregates, schema
from fieldapp.forms import Form

OUTCOME = schema.VISIT_OUTCOME
REVISIT = "revisit_on"
INTERVIEWED = "interviewed"
NOT_AT_HOME = "not_at_home"
OTHER_OUTCOMES = ("refused", NOT_AT_HOME, "moved", "not_found", "deceased")
"""The outcomes of a visit without an interview (the codes of the ``visit_outcome`` choices)."""


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


def interviewed_sql(form: Form, row: str = "") -> str:
    """Whether the household in ``row`` (NEW, OLD, a table alias, or the table itself for "") was
    interviewed: its outcome says so, or is empty, and it has interview answers."""
    at = f"{row}." if row else ""
    answered = " OR ".join(f"{at}[{c}] IS NOT NULL" for c in interview_columns(form)) or "0"
    outcome = f"COALESCE({at}[{OUTCOME}], '')" if OUTCOME in form.fields else "''"
    return f"({outcome} IN ('', '{INTERVIEWED}') AND ({answered}))"


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
        f"CASE WHEN {interviewed_sql(form, row)} THEN '{INTERVIEWED}' "
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
    return aggregates.trigger_set(t, "cover", ins, upd, dele, list(dict.fromkeys(watched)))


def fresh_select(form: Form) -> str:
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
                conn.execute(f"INSERT INTO {KEPT} ({', '.join(KEPT_KEY)}, n) {fresh_select(form)}")


def drift(conn: sqlite3.Connection, form: Form) -> list[str]:
    """Differences between the kept coverage counts and a fresh count (empty when they agree)."""
    if not kept(form):
        return []
    have = {
        tuple(r[1:-1]): r[-1]
        for r in conn.execute(
            f"SELECT {', '.join(KEPT_KEY)}, n FROM {KEPT} WHERE form_id = ? AND n != 0", [form.id]
        )
    }
    fresh = {tuple(r[1:-1]): r[-1] for r in conn.execute(fresh_select(form))}
    return aggregates.differences(f"{form.id} coverage", have, fresh)
