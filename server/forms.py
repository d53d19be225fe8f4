"""The forms the server checks records against: the bundled ones and those installed on the server.

``fieldapp-server forms add FILE`` stores a form definition (an XLSForm or a ``.yaml`` file, the
same as ``fieldapp forms add`` on a laptop) in ``installed_forms``, every version kept. Each server
process reads them from the database — several workers over one database all see a new form within
:data:`RECHECK_S` seconds, without a restart. The handshake names the installed forms and their
versions; a laptop fetches a definition it lacks (``GET /api/v1/forms/{form_id}``) and installs it
before it pulls, so records of the form arrive on laptops that can show them, and a record pushed
for it is checked here against the same definition.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select

from fieldapp import installed
from fieldapp.clock import now_iso
from fieldapp.errors import ValidationError
from fieldapp.forms import Form, FormSet

from . import db

RECHECK_S = 0.5  # how stale a process's view of the installed forms may be


@dataclass(frozen=True)
class ServerForm:
    form_id: str
    version: str
    installed_at: str
    installed_by: str
    source: str | None
    in_use: bool


class ServerForms:
    """The current :class:`FormSet` of one server process (bundled + installed)."""

    def __init__(self, engine: Engine, base: FormSet) -> None:
        self.engine = engine
        self.base = base
        self._forms = base
        self._key: tuple[int, int] | None = None
        self._fingerprints: dict[str, str] = {}
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> FormSet:
        """The forms as the database has them now (re-read when a form was added or removed)."""
        if time.monotonic() - self._checked < RECHECK_S:
            return self._forms
        with self._lock:
            t = db.installed_forms.c
            # read-only: on SQLite it may run while this process holds the write lock (a push)
            with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
                count, top = conn.execute(select(func.count(), func.max(t.id))).one()
                key = (int(count), int(top or 0))
                if key != self._key:
                    newest: dict[str, str] = {}
                    for form_id, definition in conn.execute(select(t.form_id, t.definition).order_by(t.id)):
                        newest[form_id] = definition
                    self._forms = installed.combine(self.base, newest)
                    self._fingerprints = {k: installed.fingerprint(v) for k, v in newest.items()}
                    self._key = key
            self._checked = time.monotonic()
            return self._forms

    def invalidate(self) -> None:
        self._checked = float("-inf")

    def installed_versions(self) -> dict[str, str]:
        """Form id -> version of the forms installed on the server (not the bundled ones)."""
        forms = self.current()
        return {f.id: f.version for f in forms if f.id not in self.base.forms}

    def installed_fingerprints(self) -> dict[str, str]:
        """Form id -> fingerprint of the definition in use (:func:`fieldapp.installed.fingerprint`)."""
        self.current()
        return {k: v for k, v in self._fingerprints.items() if k not in self.base.forms}


def install(engine: Engine, base: FormSet, raw: dict[str, Any], source: str, by: str) -> tuple[Form, bool]:
    """Store a definition; (the form, whether it was new). The same rules as on a laptop: a bundled
    form id is refused, and so is a changed definition under a version already installed."""
    form_id = raw.get("id")
    if form_id in base.forms:
        raise ValidationError(
            f"แบบฟอร์ม {form_id} มีอยู่ในโปรแกรมแล้ว", f"{form_id!r} is a bundled form: choose another form id"
        )
    form = installed.build(raw, source)
    text = installed.definition_text(raw)
    t = db.installed_forms.c
    with engine.begin() as conn:
        found = conn.execute(
            select(t.definition).where(t.form_id == form.id, t.version == form.version)
        ).scalar_one_or_none()
        if found is not None:
            if found == text:
                return form, False
            raise ValidationError(
                f"แบบฟอร์ม {form.id} รุ่น {form.version} ติดตั้งไว้แล้วแต่เนื้อหาต่างกัน ต้องเปลี่ยนรุ่น (version)",
                f"{form.id} version {form.version} is installed with a different definition: "
                "give the form a new version",
            )
        # every form must still build together with the others (choice lists, references)
        newest = {r[0]: r[1] for r in conn.execute(select(t.form_id, t.definition).order_by(t.id))}
        newest[form.id] = text
        installed.combine(base, newest)
        conn.execute(
            insert(db.installed_forms).values(
                form_id=form.id,
                version=form.version,
                definition=text,
                source=source[:255],
                installed_at=now_iso(),
                installed_by=by,
            )
        )
    return form, True


def listing(engine: Engine) -> list[ServerForm]:
    t = db.installed_forms.c
    with engine.connect().execution_options(readonly=True) as conn, conn.begin():
        rows = conn.execute(
            select(t.form_id, t.version, t.installed_at, t.installed_by, t.source).order_by(t.form_id, t.id)
        ).all()
    newest = {r[0]: r[1] for r in rows}
    return [ServerForm(r[0], r[1], r[2], r[3], r[4], newest[r[0]] == r[1]) for r in rows]


def definition(engine: Engine, form_id: str) -> dict[str, Any] | None:
    """The newest installed definition of a form: ``{"id", "version", "definition"}``, or None."""
    t = db.installed_forms.c
    with engine.connect().execution_options(readonly=True) as conn, conn.begin():
        row = conn.execute(
            select(t.version, t.definition).where(t.form_id == form_id).order_by(t.id.desc()).limit(1)
        ).first()
    if row is None:
        return None
    return {"id": form_id, "version": row[0], "definition": json.loads(row[1])}
