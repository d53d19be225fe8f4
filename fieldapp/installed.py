"""Forms installed into a database (``fieldapp forms add``), besides the bundled ones.

An installed form is kept in the database itself (table ``installed_forms``, every version with
who installed it and when), so it travels with the database's backups. When a store opens, the
newest version of each installed form joins the bundled forms: its tables are made and extended
like theirs, and lists, search, import, export and the editor work with it as with any form.
An installed form is self-contained: it carries its own choice lists.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.errors import FormDefinitionError, ValidationError
from fieldapp.forms import Form, FormSet
from fieldapp.forms.loading import Builder, check_references

if TYPE_CHECKING:
    from fieldapp.store import Store


@dataclass(frozen=True)
class Installed:
    form_id: str
    version: str
    installed_at: str
    installed_by: str
    source: str | None
    in_use: bool  # the newest version, the one records are made with


def _rows(conn: sqlite3.Connection) -> list[tuple[str, str, str, str | None, str, str]]:
    try:
        return conn.execute(
            "SELECT form_id, version, definition, source, installed_at, installed_by FROM installed_forms "
            "ORDER BY form_id, installed_at, rowid"
        ).fetchall()
    except sqlite3.OperationalError:  # a database from before installed forms
        return []


def build(raw: dict[str, Any], source: str) -> Form:
    return Builder(raw, source, {}).build()


def definition_text(raw: dict[str, Any]) -> str:
    """The stored text of a definition: one spelling for one definition, so versions compare."""
    return json.dumps(raw, ensure_ascii=False, sort_keys=True)


def combine(base: FormSet, newest: dict[str, str]) -> FormSet:
    """``base`` and the given installed definitions (form id -> stored text, the newest of each).

    Used by the laptop (definitions from its database) and the server (from its own)."""
    if not newest:
        return base
    found = dict(base.forms)
    for form_id, definition in newest.items():
        if form_id in base.forms:
            continue  # a bundled form of the same id comes first (add refuses this)
        found[form_id] = build(json.loads(definition), f"{form_id} (installed)")
    check_references(found)
    return FormSet(found, base.choices, base.rubrics, base.directory)


def with_installed(conn: sqlite3.Connection, base: FormSet) -> FormSet:
    """``base`` and the newest version of each form installed in the database."""
    newest: dict[str, str] = {}
    for form_id, _version, definition, _source, _at, _by in _rows(conn):
        newest[form_id] = definition
    return combine(base, newest)


def fingerprint(text: str) -> str:
    """A short digest of a stored definition, to tell two definitions under one version apart."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def versions(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """The versions of each installed form this database holds, with their fingerprints."""
    out: dict[str, dict[str, str]] = {}
    for form_id, version, definition, *_ in _rows(conn):
        out.setdefault(form_id, {})[version] = fingerprint(definition)
    return out


def listing(conn: sqlite3.Connection) -> list[Installed]:
    rows = _rows(conn)
    newest = {r[0]: r[1] for r in rows}
    return [Installed(r[0], r[1], r[4], r[5], r[3], newest[r[0]] == r[1]) for r in rows]


def read_definition(path: Path) -> tuple[dict[str, Any], list[str]]:
    """A form definition from an XLSForm or a ``.yaml`` file, and what an XLSForm could not carry."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        from fieldapp import xlsform

        report = xlsform.read_xlsform(path)
        notes = [
            f"row {n.row} {n.name}: {kind}: {n.reason}"
            for kind, items in (("partly", report.partial), ("not carried", report.dropped))
            for n in items
        ]
        return report.form, notes
    from fieldapp.forms import read_yaml

    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise FormDefinitionError(path.name, "", "a form definition must be a mapping")
    return raw, []


def add(store: Store, raw: dict[str, Any], source: str) -> tuple[Form, bool]:
    """Install a form definition into the store's database; (the form, whether it was new).

    A form of a bundled id is refused; so is a different definition under a version already
    installed (a changed form needs a new version)."""
    from fieldapp.forms import default_forms

    form_id = raw.get("id")
    if form_id in default_forms().forms:
        raise ValidationError(
            f"แบบฟอร์ม {form_id} มีอยู่ในโปรแกรมแล้ว", f"{form_id!r} is a bundled form: choose another form id"
        )
    form = build(raw, source)
    text = definition_text(raw)
    found = store.conn.execute(
        "SELECT definition FROM installed_forms WHERE form_id = ? AND version = ?", (form.id, form.version)
    ).fetchone()
    if found is not None:
        if found[0] == text:
            return form, False
        raise ValidationError(
            f"แบบฟอร์ม {form.id} รุ่น {form.version} ติดตั้งไว้แล้วแต่เนื้อหาต่างกัน ต้องเปลี่ยนรุ่น (version)",
            f"{form.id} version {form.version} is installed with a different definition: give the form a new version",
        )
    at = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    with store.transaction():
        store.conn.execute(
            "INSERT INTO installed_forms (form_id, version, definition, source, installed_at, installed_by) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (form.id, form.version, text, source, at, store.user),
        )
    store.reload_forms()
    return store.forms[form.id], True


def remove(store: Store, form_id: str) -> int:
    """Remove an installed form (every version); refused while it has records. Returns the
    number of versions removed."""
    versions = store.conn.execute(
        "SELECT COUNT(*) FROM installed_forms WHERE form_id = ?", (form_id,)
    ).fetchone()[0]
    if not versions:
        raise ValidationError(f"ไม่มีแบบฟอร์ม {form_id} ที่ติดตั้งไว้", f"no installed form {form_id!r}")
    form = store.forms.forms.get(form_id)
    if form is not None:
        n = store.conn.execute(f"SELECT COUNT(*) FROM [{form.table}]").fetchone()[0]
        if n:
            raise ValidationError(
                f"ลบแบบฟอร์ม {form_id} ไม่ได้: ยังมีข้อมูล {n} รายการ",
                f"{form_id} still has {n} record(s): it cannot be removed",
            )
    with store.transaction():
        store.conn.execute("DELETE FROM installed_forms WHERE form_id = ?", (form_id,))
        if form is not None:
            for rep in form.repeats():
                store.conn.execute(f"DROP TABLE IF EXISTS [{form.child_table(rep)}]")
            store.conn.execute(f"DROP TABLE IF EXISTS [{form.table}]")
    store.reload_forms()
    return int(versions)
