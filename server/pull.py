"""Pull, verify and open conflicts on the server: what a laptop reads, always within the user's
areas."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from fieldapp.sync import protocol as P

from . import db
from . import history as server_history
from .auth import User, audit
from .servicebase import CHUNK, ServiceBase, dumps, scope


class PullService(ServiceBase):
    """Pages of records by cursor, the counts and checksums to verify, open conflicts."""

    def pull(self, user: User, cursor: int, limit: int, *, count: bool = False) -> dict[str, Any]:
        """One page of records changed after ``cursor`` (see ``pull_body``), as a dict."""
        return json.loads(self.pull_body(user, cursor, limit, count=count))

    def pull_body(self, user: User, cursor: int, limit: int, *, count: bool = False) -> str:
        """One page of records changed after ``cursor``, as the JSON text of the answer.

        Stored documents are JSON text already: they go into the answer as they are, without
        being decoded and encoded again. With ``count`` the answer also says how many records of
        the user's areas are due after ``cursor`` in all (``remaining``, this page included), so
        the laptop can show "1,674 of 5,299" from the first page on.
        """
        rows, top, remaining = self._page(user, cursor, limit, count=count)
        has_more = len(rows) == limit
        erased = self._erased_among([r.id for r in rows])
        histories: dict[str, list[dict[str, Any]]] = {}
        live = [r.id for r in rows if not r.deleted and r.doc is not None]
        if live:
            with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
                histories = server_history.for_records(conn, live)
        items = [_item(r, r.id in erased, histories.get(r.id, [])) for r in rows]
        next_cursor = rows[-1].rev if has_more else max(top, cursor)
        if items:
            with self.engine.begin() as conn:
                audit(
                    conn,
                    self.settings,
                    user.name,
                    "pull",
                    None,
                    None,
                    dumps({"cursor": cursor, "count": len(items), "records": [r.id for r in rows]}),
                )
        end: dict[str, Any] = {"next_cursor": next_cursor, "has_more": has_more}
        if remaining is not None:
            end["remaining"] = remaining
        tail = dumps(end)
        return '{"items":[' + ",".join(items) + "]," + tail[1:]

    def _page(
        self, user: User, cursor: int, limit: int, *, count: bool
    ) -> tuple[Sequence[Any], int, int | None]:
        """The records of the user's areas changed after ``cursor``, oldest first, at most
        ``limit``; the server's last revision (read in the same transaction); with ``count``, how
        many are due in all."""
        rc = db.records.c
        remaining: int | None = None
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            top = db.current_rev(conn)
            if count:
                remaining = int(
                    conn.execute(
                        select(func.count()).where(rc.rev > cursor, rc.rev <= top, scope(rc.area, user))
                    ).scalar_one()
                )
            rows = conn.execute(
                select(
                    rc.id,
                    rc.form_id,
                    rc.form_version,
                    rc.rev,
                    rc.deleted,
                    rc.doc,
                    rc.updated_at,
                    rc.updated_by,
                    rc.complete,
                )
                .where(rc.rev > cursor, rc.rev <= top, scope(rc.area, user))
                .order_by(rc.rev)
                .limit(limit)
            ).all()
        return rows, top, remaining

    def _erased_among(self, ids: list[str]) -> set[str]:
        """Which of these records were erased or anonymised at a data subject's request."""
        erased: set[str] = set()
        if not ids:
            return erased
        e = db.erasures.c
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            for chunk in range(0, len(ids), CHUNK):
                erased.update(
                    r[0]
                    for r in conn.execute(
                        select(e.record_id).where(e.record_id.in_(ids[chunk : chunk + CHUNK]))
                    )
                )
        return erased

    def verify(self, user: User, exclude: set[str]) -> dict[str, Any]:
        rc = db.records.c
        out: dict[str, Any] = {}
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            for form in self.forms:
                ids = [
                    r[0]
                    for r in conn.execute(
                        select(rc.id).where(
                            rc.form_id == form.id, rc.deleted.is_(False), scope(rc.area, user)
                        )
                    )
                    if r[0] not in exclude
                ]
                out[form.id] = {"count": len(ids), "checksum": P.ids_checksum(ids)}
        return {"forms": out}

    def open_conflicts(self, user: User) -> list[dict[str, Any]]:
        c = db.conflicts.c
        with self.engine.connect().execution_options(readonly=True) as conn, conn.begin():
            rows = conn.execute(
                select(c.id, c.body, c.created_at, c.user_name)
                .where(c.resolved_at.is_(None), scope(c.area, user))
                .order_by(c.id)
            ).all()
        return [
            {**json.loads(r.body), "conflict_id": r.id, "created_at": r.created_at, "pushed_by": r.user_name}
            for r in rows
        ]


def _item(r: Any, erased: bool, history: list[dict[str, Any]]) -> str:
    """One record of a pull page as JSON text; its stored document goes in as it is."""
    head = dumps(
        {
            "form": r.form_id,
            "form_version": r.form_version,
            "record_id": r.id,
            "rev": r.rev,
            "deleted": bool(r.deleted),
            "updated_at": r.updated_at,
            "updated_by": r.updated_by,
            "complete": bool(r.complete),
            "erased": erased,
            "history": history,
        }
    )
    doc = "null" if r.deleted or r.doc is None else r.doc
    return f'{head[:-1]},"doc":{doc}}}'
