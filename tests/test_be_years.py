"""OTOP and CBT years are typed in พ.ศ. like every other year: the form's check, the laptop's and
the server's migrations of stored Christian-era years, imports and the business report."""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from test_field_rules import Server, server  # noqa: F401  (the server fixture)

from fieldapp.errors import ValidationError
from fieldapp.exchange.lines import Converter
from fieldapp.reports.build import business_report
from fieldapp.store import Store, open_store
from server import db

THIS_YEAR_BE = _dt.date.today().year + 543


def _business(**extra: Any) -> dict[str, Any]:
    doc = {
        "name": "กลุ่มทอผ้าบ้านหนองบัว",
        "business_type": "community_enterprise",
        "subdistrict_code": "320101",
        "otop_stars": 4,
        "members_count": 12,
        "cbt_certified": True,
    }
    doc.update(extra)
    return doc


def test_years_are_typed_in_the_buddhist_era_on_the_laptop_and_the_server(
    store: Store,
    server: Server,  # noqa: F811
) -> None:
    rec = store.save("business", _business(otop_year=2565, cbt_year=2566)).record
    assert (rec.data["otop_year"], rec.data["cbt_year"]) == (2565, 2566)
    with pytest.raises(ValidationError) as exc:
        store.save("business", _business(otop_year=2022, cbt_year=2023))
    assert {p.path for p in exc.value.problems} == {"otop_year", "cbt_year"}
    assert "พ.ศ." in exc.value.problems[0].message
    with pytest.raises(ValidationError):  # not after this year
        store.save("business", _business(otop_year=THIS_YEAR_BE + 1))
    assert server.push("business", _business(otop_year=2565, cbt_year=2566))["status"] == "applied"
    res = server.push("business", _business(otop_year=2022))
    assert res["status"] == "rejected" and res["problems"][0]["path"] == "otop_year"
    # the report prints the year as stored
    data = business_report(store, rec.id)
    assert (data.otop_year, data.cbt_year) == (2565, 2566)


def test_the_laptops_migration_moves_stored_years_bases_and_drafts_to_the_buddhist_era(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with open_store(path, user="tester") as s:
        rid = s.save("business", _business(otop_year=2565, cbt_year=2566)).record.id
        other = s.save("business", _business(otop_year=2560, cbt_certified=False)).record.id
        # as an older version stored them: Christian-era years, in the record and its synced base
        s.conn.execute("UPDATE business SET otop_year = 2022, cbt_year = 2023 WHERE id = ?", [rid])
        s.conn.execute(
            "UPDATE business SET base = ?, dirty = 0 WHERE id = ?",
            [json.dumps({"otop_year": 2022, "cbt_year": 2023, "name": "x"}), rid],
        )
        s.conn.execute(
            "CREATE TABLE IF NOT EXISTS draft (key TEXT PRIMARY KEY, form_id TEXT NOT NULL, record_id TEXT, "
            "title TEXT, data TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        s.conn.execute(
            "INSERT INTO draft VALUES ('k', 'business', NULL, 't', ?, '2026-01-01')",
            [json.dumps({"otop_year": 2021, "name": "y"})],
        )
        s.conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0008_be_years'")
    with open_store(path, user="tester") as s:
        row = s.conn.execute(
            "SELECT otop_year, cbt_year, base, dirty FROM business WHERE id = ?", [rid]
        ).fetchone()
        assert row[:2] == (2565, 2566)
        assert json.loads(row[2]) == {"otop_year": 2565, "cbt_year": 2566, "name": "x"}
        assert row[3] == 0  # the server converts its own copy: nothing to send
        assert s.get("business", other).data["otop_year"] == 2560  # already B.E.: untouched
        draft = s.conn.execute("SELECT data FROM draft WHERE key = 'k'").fetchone()[0]
        assert json.loads(draft)["otop_year"] == 2564


def test_the_servers_migration_moves_stored_documents_and_revisions(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    db.migrate(engine)
    rid = str(uuid.uuid4())
    old = {"name": "x", "otop_year": 2022, "cbt_year": 2023, "cbt_certified": True}
    with engine.begin() as conn:
        common = {"created_at": "t", "created_by": "am", "updated_at": "t", "updated_by": "am"}
        conn.execute(
            insert(db.records).values(id=rid, form_id="business", rev=1, doc=json.dumps(old), **common)
        )
        conn.execute(
            insert(db.revisions).values(
                rev=1,
                record_id=rid,
                form_id="business",
                deleted=False,
                doc=json.dumps(old),
                pushed_doc=json.dumps({**old, "otop_year": 2565}),
                user_name="am",
                at="t",
            )
        )
        conn.execute(delete(db.schema_version).where(db.schema_version.c.version == 8))
    assert db.migrate(engine) == [8]
    with engine.connect() as conn:
        doc = json.loads(conn.execute(select(db.records.c.doc)).scalar_one())
        rev = conn.execute(select(db.revisions.c.doc, db.revisions.c.pushed_doc)).one()
    assert (doc["otop_year"], doc["cbt_year"]) == (2565, 2566)
    assert json.loads(rev[0])["otop_year"] == 2565 and json.loads(rev[1])["otop_year"] == 2565
    engine.dispose()


def test_an_import_turns_a_christian_era_year_into_the_buddhist_era(store: Store) -> None:
    form = store.form("business")
    conv = Converter(form)
    otop = form.fields["otop_year"]
    assert [conv.value(otop, v) for v in (2022, "2022", "๒๕๖๕", 2565, "2565.0", "สองพัน")] == [
        2565,
        2565,
        2565,
        2565,
        2565,
        "สองพัน",
    ]
    assert conv.value(form.fields["employees_total"], 2022) == 2022  # not a year: left alone
