"""Pull and verify read the records table through its indexes on PostgreSQL, never by a sequential
scan: at programme scale (millions of records, 20 provinces) a scan per request would stop the
server. The statements are the ones the service really sends (captured as it runs), explained by
PostgreSQL's planner over a table of 60,000 records in 20 provinces with fresh statistics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from live_server import fast_settings, postgres_schema, postgres_url
from sqlalchemy import event, text

from server import db
from server.auth import User
from server.service import SyncService

PROVINCES = [f"{p:02d}" for p in range(30, 50)]


@pytest.fixture
def pg_url() -> Iterator[str]:
    url, why = postgres_url()
    if url is None:
        pytest.skip(why)
    with postgres_schema(url) as scoped:
        yield scoped


def _fill(engine: Any, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO records (id, form_id, form_version, area, rev, deleted, doc, created_at, "
                "created_by, updated_at, updated_by, device_id, complete) "
                "SELECT md5(g::text), CASE WHEN g % 10 = 0 THEN 'referral' ELSE 'household' END, '1', "
                "(30 + g % 20)::text || lpad(((g / 20) % 15 + 1)::text, 2, '0') || '01', g, g % 97 = 0, "
                "'{}', '2026-01-01', 'u', '2026-01-01', 'u', 'd', true FROM generate_series(1, :n) g"
            ),
            {"n": n},
        )
        conn.execute(text("UPDATE counters SET value = :n WHERE name = 'rev'"), {"n": n})
        conn.execute(text("ANALYZE records"))


def _captured(engine: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM records" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    return seen


def _plan(engine: Any, statement: str, parameters: Any) -> str:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("EXPLAIN " + statement, parameters)
        return "\n".join(r[0] for r in cur.fetchall())
    finally:
        raw.close()


@pytest.mark.parametrize("areas", [("32",), ("3203",), ("32", "45"), ("320501",)])
def test_pull_and_verify_use_indexes_on_postgresql(pg_url: str, areas: tuple[str, ...]) -> None:
    settings = fast_settings(pg_url)
    engine = db.make_engine(pg_url)
    db.migrate(engine)
    _fill(engine, 60_000)
    from fieldapp.forms import default_forms

    service = SyncService(engine, settings, default_forms())
    user = User(1, "am", "area_manager", areas)
    statements = _captured(engine)
    first = service.pull(user, 0, 1000)
    assert first["items"], "the scope holds records"
    service.pull(user, first["next_cursor"], 1000)
    service.verify(user, set())
    assert statements
    for statement, parameters in statements:
        plan = _plan(engine, statement, parameters)
        assert "Seq Scan on records" not in plan, f"{statement}\n{plan}"
    engine.dispose()
