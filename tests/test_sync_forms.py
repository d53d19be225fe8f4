"""Forms installed on the server reach the laptops at sync, and the server checks their records.

An Area Manager's office installs a form on the server (``fieldapp-server forms add``); every laptop
gets it at its next sync before the pull, so records of the form travel like any other; a laptop that
holds a different definition under the same version keeps its own, says so, and sets the records aside.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from live_server import fast_settings, shared_app, shared_server

from fieldapp import installed
from fieldapp.forms import default_forms
from fieldapp.store import Store, open_store
from fieldapp.sync import protocol as P
from fieldapp.sync.client import sync
from server import auth
from server import cli as server_cli
from server import forms as server_forms

PASSWORD = "correct horse"
AREA = "3201"

WATER: dict[str, Any] = {
    "id": "water_point",
    "version": "1",
    "title": {"th": "แหล่งน้ำชุมชน", "en": "Community water point"},
    "title_field": "name",
    "area_field": "subdistrict_code",
    "sections": [
        {
            "id": "main",
            "label": {"th": "แหล่งน้ำ", "en": "Water point"},
            "fields": [
                {"id": "name", "type": "text", "required": True, "label": {"th": "ชื่อแหล่งน้ำ", "en": "Name"}},
                {
                    "id": "subdistrict_code",
                    "type": "subdistrict",
                    "required": True,
                    "label": {"th": "ตำบล", "en": "Subdistrict"},
                },
                {
                    "id": "families",
                    "type": "integer",
                    "label": {"th": "จำนวนครอบครัวที่ใช้", "en": "Families using it"},
                    "constraint": ". >= 0 and . <= 500",
                    "constraint_message": {"th": "ต้องอยู่ระหว่าง 0 ถึง 500", "en": "0 to 500"},
                },
            ],
        }
    ],
}


class Env:
    def __init__(self, db_url: str, tmp_path: Path) -> None:
        self.settings = fast_settings(db_url)
        self.app = shared_app(self.settings)
        self.engine = self.app.state.engine
        self.url = shared_server(self.app).url
        self.tmp = tmp_path
        self.stores: list[Store] = []
        with self.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", [AREA], PASSWORD)

    def laptop(self, name: str) -> Store:
        s = open_store(self.tmp / f"{name}.db", user=name)
        self.stores.append(s)
        return s

    def sync(self, store: Store) -> Any:
        return sync(store, self.url, "am", PASSWORD, retries=0)

    def install(self, raw: dict[str, Any]) -> None:
        server_forms.install(self.engine, default_forms(), raw, "water.yaml", "admin")
        self.app.state.service.registry.invalidate()


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Any:
    e = Env(db_url, tmp_path)
    yield e
    for s in e.stores:
        s.close()
    e.engine.dispose()


def test_a_form_installed_on_the_server_reaches_every_laptop_with_its_records(env: Env) -> None:
    env.install(WATER)
    a, b = env.laptop("a"), env.laptop("b")
    report = env.sync(a)
    assert report.forms_installed == ["water_point 1"]
    assert "ติดตั้งแบบฟอร์มจากเซิร์ฟเวอร์: water_point 1" in report.summary_th()
    assert "water_point" in a.forms.forms
    rec = a.save("water_point", {"name": "บ่อบาดาลหมู่ 3", "subdistrict_code": "320101", "families": 42})
    report = env.sync(a)
    assert report.forms_installed == [] and report.applied == 1  # installed once; the record went up
    report = env.sync(b)
    assert report.forms_installed == ["water_point 1"] and not report.set_aside
    assert b.get("water_point", rec.record.id).data["families"] == 42
    with open_store(env.tmp / "b.db", user="b") as again:  # kept in the laptop's database
        assert "water_point" in again.forms.forms


def test_the_server_checks_records_of_an_installed_form_against_its_definition(env: Env) -> None:
    env.install(WATER)
    service = env.app.state.service
    assert "water_point" in service.forms.forms
    s = requests.Session()
    token = s.post(
        env.url + P.Paths.LOGIN,
        json={"user": "am", "password": PASSWORD},
        headers={P.PROTOCOL_HEADER: str(P.PROTOCOL_VERSION)},
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}", P.PROTOCOL_HEADER: str(P.PROTOCOL_VERSION)}
    hs = s.get(env.url + P.Paths.HANDSHAKE, headers=headers).json()
    assert hs["installed_forms"] == {"water_point": "1"} and hs["forms"]["water_point"] == "1"
    got = s.get(env.url + P.Paths.form("water_point"), headers=headers)
    assert got.status_code == 200 and got.json()["definition"] == WATER
    missing = s.get(env.url + P.Paths.form("household"), headers=headers)  # bundled: not served
    assert missing.status_code == 404 and "household" in str(missing.json())
    bad = {"name": "บ่อ", "subdistrict_code": "320101", "families": 9000}  # over the constraint
    change = P.Change(str(uuid.uuid4()), "water_point", str(uuid.uuid4()), None, bad)
    answer = s.post(
        env.url + P.Paths.PUSH,
        json={"device_id": "dev-1", "changes": [change.to_json()]},
        headers=headers,
    )
    results = answer.json()["results"]
    assert results[0]["status"] == "rejected" and "families" in str(results[0])


def test_a_laptop_with_another_definition_under_the_same_version_keeps_its_own_and_says_so(env: Env) -> None:
    env.install(WATER)
    a = env.laptop("a")
    mine = copy.deepcopy(WATER)
    mine["sections"][0]["fields"][0]["label"]["th"] = "ชื่อ"
    installed.add(a, mine, "mine.yaml")
    other = env.laptop("other")
    env.sync(other)
    other.save("water_point", {"name": "สระน้ำ", "subdistrict_code": "320101"})
    env.sync(other)
    report = env.sync(a)
    assert [x["form"] for x in report.forms_refused] == ["water_point"]
    assert "รุ่น" in report.forms_refused[0]["reason"]  # Thai reason: same version, other content
    assert a.forms["water_point"].fields["name"].label["th"] == "ชื่อ"  # its own definition kept
    assert a.count("water_point") == 1 and not report.set_aside  # the record still fits its fields


def test_a_new_version_on_the_server_replaces_the_laptops_and_a_second_worker_sees_it(env: Env) -> None:
    env.install(WATER)
    a = env.laptop("a")
    env.sync(a)
    second = server_forms.ServerForms(env.engine, default_forms())  # another server process
    assert second.installed_versions() == {"water_point": "1"}
    v2 = copy.deepcopy(WATER)
    v2["version"] = "2"
    v2["sections"][0]["fields"].append(
        {"id": "dry_months", "type": "integer", "label": {"th": "เดือนที่น้ำแห้ง", "en": "Dry months"}}
    )
    env.install(v2)
    second.invalidate()
    assert second.installed_versions() == {"water_point": "2"}
    report = env.sync(a)
    assert report.forms_installed == ["water_point 2"]
    assert "dry_months" in a.forms["water_point"].fields
    assert set(installed.versions(a.conn)["water_point"]) == {"1", "2"}


def test_server_cli_installs_and_lists_forms_and_refuses_what_cannot_be(tmp_path: Path, capsys: Any) -> None:
    import yaml

    db = str(tmp_path / "server.db")
    path = tmp_path / "water.yaml"
    path.write_text(yaml.safe_dump(WATER, allow_unicode=True), encoding="utf-8")
    assert server_cli.main(["forms", "add", str(path), "--db", db, "--by", "somchai"]) == 0
    assert "installed water_point version 1" in capsys.readouterr().out
    assert server_cli.main(["forms", "add", str(path), "--db", db]) == 0
    assert "already installed" in capsys.readouterr().out
    changed = copy.deepcopy(WATER)
    changed["title"]["en"] = "Water"
    path.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    assert server_cli.main(["forms", "add", str(path), "--db", db]) == 1
    assert "new version" in capsys.readouterr().err
    bundled = copy.deepcopy(WATER)
    bundled["id"] = "household"
    path.write_text(yaml.safe_dump(bundled, allow_unicode=True), encoding="utf-8")
    assert server_cli.main(["forms", "add", str(path), "--db", db]) == 1
    assert "bundled form" in capsys.readouterr().err
    broken = copy.deepcopy(WATER)
    broken["sections"][0]["fields"][2]["constraint"] = ". >= "
    broken["version"] = "3"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    assert server_cli.main(["forms", "add", str(path), "--db", db]) == 1
    assert capsys.readouterr().err.startswith("fieldapp-server: error:")
    assert server_cli.main(["forms", "list", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("water_point\t1\tin use") and "somchai" in lines[0]
