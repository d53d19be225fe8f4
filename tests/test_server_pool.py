"""A write holds the records' lock in one transaction; it must never ask for a second connection
meanwhile. On PostgreSQL with many laptops at once every pooled connection can be held by a write
waiting for that lock, so a holder that needs another connection waits for the pool to give up —
and every write behind it too (seen at 2,000,000 households and 32 laptops at a time)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from live_server import fast_settings, postgres_schema, postgres_url

from fieldapp.forms import default_forms
from fieldapp.sync import protocol as P
from server import db
from server import forms as server_forms
from server.auth import User
from server.service import SyncService


@pytest.fixture
def pg_url() -> Iterator[str]:
    url, why = postgres_url()
    if url is None:
        pytest.skip(why)
    with postgres_schema(url) as scoped:
        yield scoped


def test_a_push_takes_no_second_connection_while_it_holds_the_write_lock(
    pg_url: str, household: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.make_engine(pg_url, pool_size=1, max_overflow=0, pool_timeout=2)
    db.migrate(engine)
    service = SyncService(engine, fast_settings(pg_url), default_forms())
    monkeypatch.setattr(server_forms, "RECHECK_S", -1.0)  # the installed forms are read at every look
    user = User(1, "am", "area_manager", ("32",))
    doc = copy.deepcopy(household)
    doc["subdistrict_code"] = "320101"
    changes = [P.Change(str(uuid.uuid4()), "household", str(uuid.uuid4()), None, doc, False) for _ in range(3)]
    results = service.push(user, P.PushRequest("laptop-1", changes))
    assert [r.status for r in results] == ["applied"] * 3, [(r.status, r.reason) for r in results]
    # a photo's upload takes the same lock
    data = b"\xff\xd8photo"
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    done = service.put_attachment(user, sha, 0, len(data), data, "image/jpeg")
    assert done["complete"] is True
    engine.dispose()
