"""A laptop's device on the server: the device id a login may push with, and the audit rows
that laptop sends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from . import db
from .auth import User, device_forbidden
from .servicebase import ServiceBase, dumps


class DeviceService(ServiceBase):
    """Device ids and the laptops' audit rows."""

    def check_device(self, conn: Connection, user: User, device: str) -> None:
        """Refuse a device id that is not the login's own (see ``server.auth.claim_device``)."""
        if user.device is not None:
            if device != user.device:
                raise device_forbidden()
            return
        d = db.devices.c
        owner = conn.execute(select(d.user_name).where(d.device_id == device)).scalar()
        if owner is None:
            conn.execute(
                insert(db.devices).values(
                    device_id=device, key_hash=None, user_name=user.name, created_at=self.now()
                )
            )
        elif owner != user.name:
            raise device_forbidden()

    def store_device_audit(self, user: User, device: str, entries: list[dict[str, Any]]) -> int:
        """Keep a laptop's audit rows (a replayed batch stores nothing twice); returns rows added.

        Only the database that owns ``device`` may send them: another user's rows can never take
        the place of that laptop's real ones. ``received_by`` is the login that sent them."""
        a = db.device_audit.c
        with self.engine.begin() as conn:
            self.check_device(conn, user, device)
            if not entries:
                return 0
            have = {
                r[0]
                for r in conn.execute(
                    select(a.local_id).where(
                        a.device_id == device, a.local_id.in_([e["id"] for e in entries])
                    )
                )
            }
            rows = [
                {
                    "device_id": device,
                    "local_id": e["id"],
                    "at": e["at"],
                    "user_name": e["user"],
                    "action": e["action"],
                    "form_id": e["form_id"],
                    "record_id": e["record_id"],
                    "detail": None if e["detail"] is None else dumps(e["detail"]),
                    "received_at": self.now(),
                    "received_by": user.name,
                }
                for e in entries
                if e["id"] not in have
            ]
            if rows:
                conn.execute(insert(db.device_audit), rows)
        return len(rows)
