"""Rules on single answers and across records that the laptop and the server both apply: signed
money, codes typed as printed, impossible dates, referrals that do not fit their household."""

from __future__ import annotations

import copy
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_server import fast_settings, shared_app

from fieldapp.errors import ValidationError
from fieldapp.sync import protocol as P
from server import auth

PASSWORD = "correct horse"


class Server:
    def __init__(self, tmp_path: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from fastapi.testclient import TestClient

        self.settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
        self.app = shared_app(self.settings)
        self.client = TestClient(self.app, raise_server_exceptions=False)
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", ["3201"], PASSWORD)
        r = self.client.post(P.Paths.LOGIN, json={"user": "am", "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.headers = {"Authorization": f"Bearer {r.json()['token']}"}

    def push(self, form: str, doc: dict[str, Any], rid: str | None = None) -> dict[str, Any]:
        rid = rid or str(uuid.uuid4())
        cid = P.change_id_for("dev", form, rid, None, doc, False)
        change = P.Change(cid, form, rid, None, doc, False).to_json()
        r = self.client.post(
            P.Paths.PUSH, json={"device_id": "dev", "changes": [change]}, headers=self.headers
        )
        assert r.status_code == 200, r.text
        return dict(r.json()["results"][0])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.client.close()
    s.app.state.engine.dispose()


def _problems(exc: ValidationError) -> dict[str, str]:
    return {p.path: p.message_en for p in exc.problems}


# ---------------------------------------------------------------------- money that can be a loss


def test_net_farm_income_and_business_profit_may_be_losses_but_wages_may_not(store, household, server):
    household["income_farm"] = -12000
    household["income_business"] = -3000
    rec = store.save("household", household).record
    assert rec.data["income_farm"] == -12000 and rec.data["income_total"] == 36000 - 15000
    assert (
        server.push("household", {**copy.deepcopy(household), "subdistrict_code": "320101"})["status"]
        == "applied"
    )
    household["income_wage"] = -1
    with pytest.raises(ValidationError) as err:
        store.save("household", household)
    assert "income_wage" in _problems(err.value)
    assert server.push("household", household)["status"] == "rejected"


def test_a_loss_prints_as_khat_thun(store, household):
    from fieldapp.reports import build
    from fieldapp.reports.household import HouseholdReportRenderer

    household["income_farm"] = -12000
    rec = store.save("household", household).record
    report = build.household_report(store, rec.id)
    assert report.finances.income_farm == -12000
    pdf = HouseholdReportRenderer(report)
    assert pdf.money(-12000) == "ขาดทุน 12,000"
    assert pdf.money(0) == "0" and pdf.money(5000.5) == "5,000.50"


def test_only_money_fields_may_be_signed(tmp_path):
    from fieldapp import forms, resources

    for f in resources.forms_dir().glob("*.yaml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "household.yaml":
            text = text.replace("        max_length: 8\n", "        max_length: 8\n        signed: true\n", 1)
        (tmp_path / f.name).write_text(text, encoding="utf-8")
    problems = forms.check_files([tmp_path / "household.yaml"])
    assert problems and "signed" in " ".join(problems)
