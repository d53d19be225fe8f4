"""Record counts kept up to date by the database itself, so that the area tree, ``stats`` and the
list's totals never scan a province's worth of rows.

One table, ``record_counts``, holds the number of live records (``kind = ''``) and of their
repeat rows (``kind = <repeat id>``) per form and per group: subdistrict, village number and name,
livelihood class and TPMAP target — whichever of these the form has. Triggers on each form table
and on each repeat table keep it right for every write, whoever makes it (the editor, an import, a
pull, an erasure): a record counts while ``deleted = 0``; a repeat row counts while its record does.

Records with changes not yet sent to the server are counted too (``kind = '#unsynced'``, live
records with ``dirty = 1``, by the same groups), so ``stats`` says what waits to sync without
counting a million unsynced rows after a demo or a first import.

Rows whose count fell to zero stay (they are cheap) and are left out by the readers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from fieldapp import schema, scoring
from fieldapp.forms import Form

TABLE = "record_counts"
UNASSESSABLE = "unassessable"
"""The class key of households with too few answers for a class (see forms/scoring.yaml)."""
NOT_INTERVIEWED = scoring.NOT_INTERVIEWED
"""The class key of households visited without an interview (no class; see docs/forms.md)."""

# the columns a form may group by, in key order, with the stored value used when a form lacks one
GROUPS: tuple[tuple[str, str], ...] = (
    ("village_no", "-1"),
    ("village_name", "''"),
    ("poverty_class", "''"),
    ("tpmap_target", "0"),
)
CLASS = "poverty_class"  # the column of the household class (whatever the rubric names its field)
UNSYNCED = "#unsynced"
"""The kind of the counts of live records with unsynced changes (no repeat id starts with #)."""


def _field_of(form: Form, column: str) -> str:
    """The form's field counted in a group column: the village fields are ``fieldapp.schema``'s,
    the class is the one the scoring rubric declares."""
    if column == CLASS:
        return scoring.class_field(form)
    return {"village_no": schema.VILLAGE_NO, "village_name": schema.VILLAGE_NAME}.get(column, column)


KEY = ("form_id", "kind", "area", "village_no", "village_name", "poverty_class", "tpmap_target")

DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (form_id TEXT NOT NULL, kind TEXT NOT NULL, "
    "area TEXT NOT NULL, village_no INTEGER NOT NULL, village_name TEXT NOT NULL, "
    "poverty_class TEXT NOT NULL, tpmap_target INTEGER NOT NULL, n INTEGER NOT NULL, "
    f"PRIMARY KEY ({', '.join(KEY)})) WITHOUT ROWID"
)


def _key_exprs(form: Form, row: str) -> list[str]:
    """SQL expressions of a record's group key, read from ``row`` (NEW, OLD or a table alias)."""
    area = f"COALESCE({row}.[{form.area_field}], '')" if form.area_field else "''"
    out = [area]
    status = scoring.output_field(form, "status")
    for column, missing in GROUPS:
        name = _field_of(form, column)
        if column == CLASS and _has(form, name) and _has(form, status):
            # households with too few answers for a class, and those not interviewed, are counted
            # apart, never as a class
            out.append(
                f"COALESCE({row}.[{name}], CASE WHEN {row}.[{status}] = 'unassessable' "
                f"THEN '{UNASSESSABLE}' WHEN {row}.[{status}] = '{NOT_INTERVIEWED}' "
                f"THEN '{NOT_INTERVIEWED}' END, {missing})"
            )
        elif _has(form, name):
            out.append(f"COALESCE({row}.[{name}], {missing})")
        else:
            out.append(missing)
    return out


def _has(form: Form, name: str) -> bool:
    f = form.fields.get(name)
    return f is not None and f.parent is None and bool(f.columns())


def _group_columns(form: Form) -> list[str]:
    cols = [form.area_field] if form.area_field else []
    cols += [_field_of(form, c) for c, _ in GROUPS if _has(form, _field_of(form, c))]
    klass, status = scoring.class_field(form), scoring.output_field(form, "status")
    if klass in cols and _has(form, status):
        cols.append(status)
    return cols


def _upsert(select: str) -> str:
    return (
        f"INSERT INTO {TABLE} ({', '.join(KEY)}, n) {select} "
        f"ON CONFLICT({', '.join(KEY)}) DO UPDATE SET n = n + excluded.n"
    )


def _subtract(form: Form, kind: str, row: str, amount: str) -> str:
    keys = _key_exprs(form, row)
    match = " AND ".join(f"{k} = {v}" for k, v in zip(KEY[2:], keys, strict=True))
    return (
        f"UPDATE {TABLE} SET n = n - ({amount}) WHERE form_id = '{form.id}' AND kind = '{kind}' AND {match}"
    )


def _children(form: Form, rep_id: str, parent: str) -> str:
    rep = form.fields[rep_id]
    return f"(SELECT count(*) FROM [{form.child_table(rep)}] WHERE parent_id = {parent}.id)"


def triggers(form: Form) -> list[str]:
    """The statements that (re)create this form's counting triggers."""
    t = form.table
    new_key = _key_exprs(form, "NEW")
    ins_record = _upsert(f"SELECT '{form.id}', '', {', '.join(new_key)}, 1 WHERE NEW.deleted = 0")
    watched = ["deleted", *_group_columns(form)]
    body = [f"{_subtract(form, '', 'OLD', '1')} AND OLD.deleted = 0"]
    body.append(ins_record)
    for rep in form.repeats():
        body.append(f"{_subtract(form, rep.id, 'OLD', _children(form, rep.id, 'OLD'))} AND OLD.deleted = 0")
        body.append(
            _upsert(
                f"SELECT '{form.id}', '{rep.id}', {', '.join(new_key)}, {_children(form, rep.id, 'NEW')} "
                "WHERE NEW.deleted = 0",
            )
        )
    del_body = [f"{_subtract(form, '', 'OLD', '1')} AND OLD.deleted = 0"]
    for rep in form.repeats():
        del_body.append(
            f"{_subtract(form, rep.id, 'OLD', _children(form, rep.id, 'OLD'))} AND OLD.deleted = 0"
        )
    stmts = trigger_set(t, "count", [ins_record], body, del_body, watched)
    stmts += _unsynced_triggers(form, new_key, watched)
    for rep in form.repeats():
        ct = form.child_table(rep)
        stmts += [f"DROP TRIGGER IF EXISTS [{ct}__count_{op}]" for op in ("ins", "del")]
        p_key = _key_exprs(form, "p")
        add = _upsert(
            f"SELECT '{form.id}', '{rep.id}', {', '.join(p_key)}, 1 FROM [{t}] p "
            "WHERE p.id = NEW.parent_id AND p.deleted = 0",
        )
        stmts.append(f"CREATE TRIGGER [{ct}__count_ins] AFTER INSERT ON [{ct}] BEGIN {add}; END")
        sub = (
            f"UPDATE {TABLE} SET n = n - 1 WHERE form_id = '{form.id}' AND kind = '{rep.id}' AND "
            f"({', '.join(KEY[2:])}) = (SELECT {', '.join(p_key)} FROM [{t}] p "
            "WHERE p.id = OLD.parent_id AND p.deleted = 0)"
        )
        stmts.append(f"CREATE TRIGGER [{ct}__count_del] AFTER DELETE ON [{ct}] BEGIN {sub}; END")
    return stmts


def trigger_set(
    table: str, name: str, ins: list[str], upd: list[str], dele: list[str], watched: list[str]
) -> list[str]:
    """The statements that (re)create one set of counting triggers on ``table``: ``ins`` after an
    insert, ``upd`` after an update that changes one of ``watched``, ``dele`` before a delete."""
    changed = " OR ".join(f"OLD.[{c}] IS NOT NEW.[{c}]" for c in watched)
    return [
        *(f"DROP TRIGGER IF EXISTS [{table}__{name}_{op}]" for op in ("ins", "upd", "del")),
        f"CREATE TRIGGER [{table}__{name}_ins] AFTER INSERT ON [{table}] BEGIN {'; '.join(ins)}; END",
        f"CREATE TRIGGER [{table}__{name}_upd] AFTER UPDATE OF {', '.join(f'[{c}]' for c in watched)} "
        f"ON [{table}] WHEN {changed} BEGIN {'; '.join(upd)}; END",
        f"CREATE TRIGGER [{table}__{name}_del] BEFORE DELETE ON [{table}] BEGIN {'; '.join(dele)}; END",
    ]


def _unsynced_triggers(form: Form, new_key: list[str], watched: list[str]) -> list[str]:
    """The triggers of the unsynced counts: a live record counts while ``dirty = 1``."""
    add = _upsert(
        f"SELECT '{form.id}', '{UNSYNCED}', {', '.join(new_key)}, 1 WHERE NEW.deleted = 0 AND NEW.dirty = 1"
    )
    sub = f"{_subtract(form, UNSYNCED, 'OLD', '1')} AND OLD.deleted = 0 AND OLD.dirty = 1"
    return trigger_set(form.table, "unsynced", [add], [sub, add], [sub], ["dirty", *watched])


def recount_sql(form: Form) -> list[str]:
    """Statements that compute this form's counts from the rows themselves (after a schema change)."""
    t = form.table
    key = _key_exprs(form, "p")
    group = ", ".join(str(i) for i in range(3, 3 + len(key)))
    out = [
        f"DELETE FROM {TABLE} WHERE form_id = '{form.id}'",
        f"INSERT INTO {TABLE} ({', '.join(KEY)}, n) SELECT '{form.id}', '', {', '.join(key)}, count(*) "
        f"FROM [{t}] p WHERE p.deleted = 0 GROUP BY {group}",
    ]
    out.append(
        f"INSERT INTO {TABLE} ({', '.join(KEY)}, n) SELECT '{form.id}', '{UNSYNCED}', {', '.join(key)}, "
        f"count(*) FROM [{t}] p WHERE p.deleted = 0 AND p.dirty = 1 GROUP BY {group}"
    )
    for rep in form.repeats():
        out.append(
            f"INSERT INTO {TABLE} ({', '.join(KEY)}, n) SELECT '{form.id}', '{rep.id}', {', '.join(key)}, "
            f"count(*) FROM [{form.child_table(rep)}] c JOIN [{t}] p ON p.id = c.parent_id "
            f"WHERE p.deleted = 0 GROUP BY {group}"
        )
    return out


def install(conn: sqlite3.Connection, forms: Iterable[Form], *, recount: bool) -> None:
    """Create the table and the triggers (the caller holds a transaction)."""
    conn.execute(DDL)
    for form in forms:
        for stmt in triggers(form):
            conn.execute(stmt)
        if recount:
            for stmt in recount_sql(form):
                conn.execute(stmt)


@dataclass(frozen=True)
class Group:
    area: str
    village_no: int | None
    village_name: str
    poverty_class: str | None
    tpmap_target: bool
    records: int


def area_clause(area: str | Iterable[str] | None) -> tuple[str, list[str]]:
    """`` AND (…)`` keeping the kept rows inside ``area`` (codes as prefixes), and its parameters;
    empty without an area."""
    if not area:
        return "", []
    codes = [area] if isinstance(area, str) else list(area)
    parts = " OR ".join("(area >= ? AND area < ?)" for _ in codes)
    params: list[str] = []
    for c in codes:
        params += [c, c + ":"]
    return f" AND ({parts})", params


def total(
    conn: sqlite3.Connection, form_id: str, kind: str = "", area: str | Iterable[str] | None = None
) -> int:
    """Live records (or repeat rows, ``kind`` = repeat id) of a form, within ``area`` if given."""
    clause, params = area_clause(area)
    row = conn.execute(
        f"SELECT COALESCE(sum(n), 0) FROM {TABLE} WHERE form_id = ? AND kind = ?{clause}",
        [form_id, kind, *params],
    ).fetchone()
    return int(row[0])


def by(
    conn: sqlite3.Connection, form_id: str, column: str, area: str | Iterable[str] | None = None
) -> dict[object, int]:
    """Live records per value of one group column (``area``, ``poverty_class``, …)."""
    if column not in KEY[2:] and column != "province":
        raise ValueError(f"not a counted column: {column}")
    expr = "substr(area, 1, 2)" if column == "province" else column
    clause, params = area_clause(area)
    rows = conn.execute(
        f"SELECT {expr}, sum(n) FROM {TABLE} WHERE form_id = ? AND kind = ''{clause} "
        "GROUP BY 1 HAVING sum(n) > 0 ORDER BY 1",
        [form_id, *params],
    )
    return {r[0]: int(r[1]) for r in rows}


def villages(conn: sqlite3.Connection, form_id: str) -> list[tuple[str, int | None, str, int]]:
    """Live records per subdistrict, village number and village name (for the area tree)."""
    rows = conn.execute(
        f"SELECT area, village_no, village_name, sum(n) FROM {TABLE} WHERE form_id = ? AND kind = '' "
        "AND area != '' GROUP BY 1, 2, 3 HAVING sum(n) > 0 ORDER BY 1, 2, 3",
        [form_id],
    )
    return [(r[0], None if r[1] == -1 else r[1], r[2], int(r[3])) for r in rows]


def drift(conn: sqlite3.Connection, form: Form) -> list[str]:
    """Differences between the kept counts and a fresh count (empty when they agree)."""
    kept = {
        tuple(r[:-1]): r[-1]
        for r in conn.execute(
            f"SELECT {', '.join(KEY[1:])}, n FROM {TABLE} WHERE form_id = ? AND n != 0", [form.id]
        )
    }
    fresh: dict[tuple[object, ...], int] = {}
    stmts = recount_sql(form)[1:]
    for stmt in stmts:
        select = stmt.split(") ", 1)[1]
        for r in conn.execute(select):
            fresh[tuple(r[1:-1])] = r[-1]
    return differences(f"{form.id} counts", kept, fresh)


def differences(
    label: str, kept: dict[tuple[object, ...], int], fresh: dict[tuple[object, ...], int]
) -> list[str]:
    """One line for each key whose kept count is not its fresh count."""
    return [
        f"{label} {key}: kept {kept.get(key, 0)}, actual {fresh.get(key, 0)}"
        for key in sorted(set(kept) | set(fresh), key=repr)
        if kept.get(key, 0) != fresh.get(key, 0)
    ]
