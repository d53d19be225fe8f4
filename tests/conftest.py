"""Shared fixtures: fresh databases, the bundled forms, a valid household; the desktop-app tests
run offscreen with a small demo database."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldapp import demo, forms
from fieldapp.store import Store, open_store

VALID_IDS = ["1103702488992", "3100501234561", "1200100123450", "5101300012347"]


def _fix_check_digit(first12: str) -> str:
    from fieldapp.thai import national_id_check_digit

    return first12 + str(national_id_check_digit(first12))


HOUSEHOLD: dict[str, Any] = {
    "consent_given": True,
    "consent_sensitive": True,
    "consent_by": "สมชาย ใจดี",
    "consent_date": "2025-06-01",
    "house_no": "12/3",
    "village_no": 4,
    "village_name": "บ้านหนองบัว",
    "subdistrict_code": "320101",
    "location": {"lat": 14.88, "lon": 103.49},
    "surveyed_on": "2025-06-01",
    "tenure": "own",
    "house_condition": "partly_damaged",
    "income_wage": 36000,
    "income_farm": 20000,
    "income_business": 0,
    "income_transfer": 0,
    "income_other": 0,
    "farmland_owned_rai": 5,
    "water_for_farming": True,
    "group_membership": ["village_fund"],
    "joins_community_activities": True,
    "debt_total": 50000,
    "debt_sources": ["baac"],
    "has_savings": False,
    "drinking_water_ok": True,
    "domestic_water_ok": True,
    "electricity": "own_meter",
    "has_toilet": True,
    "assets": ["motorcycle", "water_pump"],
    "health_service_km": 5,
    "expense_total": 50000,
    "uses_natural_resources": True,
    "disaster_exposure": ["drought"],
    "affected_by_pollution": False,
    "joins_village_meetings": True,
    "community_role": False,
    "has_support_network": True,
    "receives_news": True,
    "members": [
        {
            "national_id": _fix_check_digit("110370248899"),
            "id_type": "thai_id",
            "prefix": "mr",
            "first_name": "สมชาย",
            "last_name": "ใจดี",
            "sex": "1",
            "birth_date": "1970-03-15",
            "relation": "head",
            "resident": True,
            "education": "primary",
            "occupation": "agriculture",
            "income_year": 36000,
            "health_status": "chronic",
            "has_caregiver": True,
            "literate": True,
        },
        {
            "national_id": _fix_check_digit("310050123456"),
            "id_type": "thai_id",
            "prefix": "mrs",
            "first_name": "สมหญิง",
            "last_name": "ใจดี",
            "sex": "2",
            "birth_date": "1972-08-01",
            "relation": "spouse",
            "resident": True,
            "education": "lower_secondary",
            "occupation": "general_labour",
            "income_year": 20000,
            "health_status": "normal",
            "literate": True,
        },
    ],
}


@pytest.fixture(scope="session")
def formset() -> forms.FormSet:
    return forms.default_forms()


@pytest.fixture
def household() -> dict[str, Any]:
    return copy.deepcopy(HOUSEHOLD)


@pytest.fixture
def store(tmp_path) -> Store:
    s = open_store(tmp_path / "field.db", user="tester")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> str:
    """A database with 120 demo households (shared, read-only by convention)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with open_store(path, user="demo") as s:
        demo.generate(s, households=120, seed=7)
    return str(path)


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # the desktop-app tests run on the screen of a typical village laptop: 1366×768
    os.environ["QT_QPA_PLATFORM"] = "offscreen:configfile=" + str(
        Path(__file__).with_name("screen-1366x768.json")
    )


@pytest.fixture(scope="session")
def ui_demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database made once per test session (copied for each test that changes it)."""
    path = tmp_path_factory.mktemp("ui_template") / "demo.db"
    with open_store(path, user="tester") as store:
        demo.generate(store, households=120, seed=11)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def ui_db_path(ui_demo_template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "fieldapp.db"
    shutil.copyfile(ui_demo_template, dest)
    return dest


@pytest.fixture
def ui_app(qapp: Any) -> Iterator[Any]:
    """The QApplication set up as the app does it (Sarabun, Thai, translations), settings in a dict."""
    from ui.settings import Settings
    from ui.startup import setup_application

    settings = Settings({})
    setup_application([], "th", settings)
    yield settings
    from ui import tasks

    tasks.wait_all(10)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh server database for one test: a SQLite file, and again a PostgreSQL schema when one
    answers (FIELDAPP_TEST_DATABASE_URL or 127.0.0.1:5432/test); test files may define their own."""
    from live_server import postgres_schema, postgres_url

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    url, why = postgres_url()
    if url is None:
        pytest.skip(why)
    with postgres_schema(url) as scoped:
        yield scoped
