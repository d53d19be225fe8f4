"""Visit outcomes of households: a household visited without an interview is saved complete with
its identity and address, has no class (counted apart, never as "not poor"), shows in the target
list's coverage per village, and a household not at home comes back as a revisit due."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest

from fieldapp import cli, coverage, scoring, visits
from fieldapp.errors import ValidationError

HEAD = {"id_type": "thai_id", "first_name": "สมหญิง", "last_name": "ดีใจ", "relation": "head"}


def _visited(outcome: str, **extra: Any) -> dict[str, Any]:
    """A listed household visited without an interview: identity and address only."""
    return {
        "visit_outcome": outcome,
        "visit_date": "2025-06-01",
        "visited_by": "อสม. สมศรี",
        "house_no": "5",
        "village_no": 4,
        "village_name": "บ้านหนองบัว",
        "subdistrict_code": "320101",
        "surveyed_on": "2025-06-01",
        "members": [dict(HEAD)],
        **extra,
    }


def _problems(exc: ValidationError) -> dict[str, str]:
    return {p.path: p.code for p in exc.problems}


def test_refused_household_is_saved_complete_without_answers_and_has_no_class(store):
    rec = store.save("household", _visited("refused", visit_note="ไม่สะดวกให้ข้อมูล")).record
    assert rec.data["visit_outcome"] == "refused"
    assert rec.data["head_name"] == "สมหญิง ดีใจ"
    assert rec.data["score_status"] == scoring.NOT_INTERVIEWED
    for name in ("poverty_class", "cap_mean", "score_coverage", "score_missing", "tpmap_flags"):
        assert rec.data[name] is None
    assert store.form("household").rubric.explain(rec.data)["status"] == scoring.NOT_INTERVIEWED


def test_interview_answers_of_a_household_not_interviewed_are_cleared(store, household):
    doc = copy.deepcopy(household)
    doc.update(visit_outcome="moved", visit_date="2025-06-01")
    rec = store.save("household", doc).record
    # identity and address stay; the interview's answers and the consent are not kept
    assert rec.data["house_no"] == "12/3" and rec.data["members"][0]["first_name"] == "สมชาย"
    assert rec.data["members"][0]["national_id"] == household["members"][0]["national_id"]
    for name in ("tenure", "income_wage", "consent_given", "debt_sources"):
        assert rec.data[name] is None, name
    assert rec.data["members"][0]["occupation"] is None
    assert rec.data["members"][0]["health_status"] is None


def test_an_interview_without_answers_is_still_refused(store):
    with pytest.raises(ValidationError) as err:
        store.save("household", _visited("interviewed"))
    problems = _problems(err.value)
    assert problems["tenure"] == "required" and problems["consent_given"] == "required"
    assert problems["members[1].sex"] == "required"
    # an empty outcome (records from before the outcome was asked) is an interview too
    with pytest.raises(ValidationError):
        store.save("household", _visited("", visit_date=None))


def test_not_at_home_needs_a_revisit_date_not_before_the_visit(store):
    with pytest.raises(ValidationError) as err:
        store.save("household", _visited("not_at_home"))
    assert _problems(err.value) == {"revisit_on": "required"}
    with pytest.raises(ValidationError) as err:
        store.save("household", _visited("not_at_home", revisit_on="2025-05-31"))
    assert _problems(err.value) == {"revisit_on": "constraint"}
    rec = store.save("household", _visited("not_at_home", revisit_on="2025-06-01")).record
    assert rec.data["revisit_on"] == "2025-06-01"
    # a revisit date only means something for a household not at home
    rec = store.save("household", _visited("refused", revisit_on="2025-06-09")).record
    assert rec.data["revisit_on"] is None


def test_visit_date_is_needed_and_not_in_the_future(store):
    with pytest.raises(ValidationError) as err:
        store.save("household", _visited("refused", visit_date=None))
    assert _problems(err.value) == {"visit_date": "required"}
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as err:
        store.save("household", _visited("refused", visit_date=tomorrow))
    assert _problems(err.value) == {"visit_date": "constraint"}


def test_a_new_record_starts_as_an_interview_today():
    from fieldapp.forms import default_forms

    form = default_forms().forms["household"]
    doc = form.blank()
    assert doc["visit_outcome"] == "interviewed"
    assert doc["visit_date"] == dt.date.today().isoformat()
    labels = {c.code: (c.th, c.en) for c in form.fields["visit_outcome"].choices}
    assert set(labels) == {"interviewed", "refused", "not_at_home", "moved", "not_found", "deceased"}
    assert all(th and en for th, en in labels.values())


def _listed(store, household, outcomes: dict[str, int], village_no: int = 4) -> None:
    n = 0
    for outcome, count in outcomes.items():
        for _ in range(count):
            n += 1
            if outcome == "interviewed":
                doc = copy.deepcopy(household)
                doc["members"] = [{**m, "national_id": None, "id_type": "none"} for m in doc["members"]]
                doc.update(visit_outcome="interviewed", visit_date="2025-06-01", village_no=village_no)
                store.save("household", doc)
                continue
            extra = {"revisit_on": "2025-06-05"} if outcome == "not_at_home" else {}
            if outcome == "listed":  # imported from a target list: the defaults, no answers yet
                store.save(
                    "household",
                    {**_visited("interviewed", village_no=village_no), "house_no": str(100 + n)},
                    partial_ok=True,
                )
                continue
            store.save("household", _visited(outcome, village_no=village_no, house_no=str(n), **extra))


def test_coverage_counts_each_village_with_sql(store, household):
    _listed(
        store,
        household,
        {"interviewed": 3, "refused": 2, "not_at_home": 1, "moved": 1, "not_found": 1, "listed": 2},
    )
    _listed(store, household, {"interviewed": 1, "deceased": 1}, village_no=5)
    result = coverage.area_coverage(store, area="32", today=dt.date(2025, 6, 10))
    v4, v5 = result.villages
    assert (v4.village_no, v4.village_name, v4.subdistrict_code) == (4, "บ้านหนองบัว", "320101")
    assert (v4.listed, v4.interviewed, v4.refused, v4.not_at_home, v4.moved, v4.not_found) == (10, 3, 2, 1, 1, 1)
    assert (v4.visited, v4.not_visited, v4.revisits_due) == (8, 2, 1)
    assert v4.interviewed_share == pytest.approx(3 / 10)
    assert (v5.listed, v5.interviewed, v5.deceased, v5.visited) == (2, 1, 1, 2)
    assert result.total.listed == 12 and result.total.interviewed == 4
    assert coverage.area_coverage(store, area="33").villages == []
    # the revisit is not yet due the day before its date
    assert coverage.area_coverage(store, today=dt.date(2025, 6, 4)).total.revisits_due == 0


def test_a_household_counts_once_at_its_latest_round(store, household):
    first = store.save("household", _visited("not_at_home", revisit_on="2025-06-05")).record
    assert coverage.area_coverage(store).total.not_at_home == 1
    # the revisit interviews the household: the same record, its outcome changed
    doc = copy.deepcopy(household)
    doc.update(visit_outcome="interviewed", visit_date="2025-06-05")
    store.save("household", doc, record_id=first.id)
    total = coverage.area_coverage(store).total
    assert (total.listed, total.interviewed, total.not_at_home) == (1, 1, 0)


def test_the_total_line_counts_what_the_villages_add_up_to(tmp_path):
    """The line above the list counts in one pass what the per-village table adds up to, for a
    large area (a pass over the table) and a small one (through the area index) alike."""
    from fieldapp import demo
    from fieldapp.store import open_store

    with open_store(tmp_path / "d.db") as s:
        demo.generate(s, households=160, seed=4)
        subs = sorted({r[0] for r in s.conn.execute("SELECT subdistrict_code FROM household")})
        day = dt.date.today() + dt.timedelta(days=30)
        tried = [None, subs[0][:2], subs[0][:4], subs[-1], [subs[0], subs[-1][:4]], "10"]
        for area in tried:
            for village in (None, 1):
                whole = coverage.area_coverage(s, area=area, village_no=village, today=day).total
                line = coverage.total_coverage(s, area=area, village_no=village, today=day)
                assert line == whole, (area, village)
        assert s.conn.execute("SELECT count(*) FROM household WHERE previous_round_id IS NOT NULL").fetchone()[0]
        assert coverage.total_coverage(s).listed == 160  # each household once, at its latest round
        assert coverage.total_coverage(s, today=day).revisits_due > 0


def test_revisits_due_are_visits_of_their_own_kind(store, household):
    hh = store.save("household", household).record
    store.save(
        "referral",
        {
            "household_id": hh.id,
            "subdistrict_code": "320101",
            "need": "ซ่อมบ้าน",
            "assistance_type": "housing",
            "referred_on": "2025-06-02",
            "status": "referred",
            "follow_up_on": "2025-07-03",
        },
    )
    away = store.save(
        "household", _visited("not_at_home", revisit_on="2025-06-20", visit_note="ไปทำนา ให้มาช่วงเย็น")
    ).record
    store.save("household", _visited("not_at_home", house_no="6", revisit_on="2025-08-01"))  # not due
    store.save("household", _visited("refused", house_no="7"))
    [village] = visits.visits_due(store, today=dt.date(2025, 7, 1))
    assert [(v.kind, v.due.isoformat(), v.overdue) for v in village.visits] == [
        ("revisit", "2025-06-20", True),
        ("referral", "2025-07-03", False),
    ]
    revisit = village.visits[0]
    assert (revisit.household_id, revisit.referral_id, revisit.head_name) == (away.id, "", "สมหญิง ดีใจ")
    assert "ไปทำนา" in revisit.need
    # interviewed at the revisit: no longer due
    doc = copy.deepcopy(household)
    doc.update(visit_outcome="interviewed", visit_date="2025-06-21", house_no="5")
    doc["members"] = [{**m, "national_id": None, "id_type": "none"} for m in doc["members"]]
    store.save("household", doc, record_id=away.id)
    [village] = visits.visits_due(store, today=dt.date(2025, 7, 1))
    assert [v.kind for v in village.visits] == ["referral"]


def test_cli_coverage_prints_each_village_and_json(store, household, capsys):
    _listed(store, household, {"interviewed": 1, "refused": 1, "listed": 1})
    path = store.path
    store.close()
    assert cli.main(["--db", str(path), "coverage", "--area", "3201"]) == 0
    out = capsys.readouterr().out
    assert "ปฏิเสธ" in out and "หมู่ 4 บ้านหนองบัว" in out and "33.3%" in out
    assert cli.main(["--db", str(path), "coverage", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["listed"] == 3 and data["total"]["refused"] == 1
    assert data["villages"][0]["interviewed_share"] == pytest.approx(0.3333)
    assert cli.main(["--db", str(path), "visits", "--json", "--on", "2025-06-01"]) == 0
    assert json.loads(capsys.readouterr().out) == []


# ---------------------------------------------------------------------- the server applies the same rules


@pytest.fixture
def server(tmp_path):
    from test_field_rules import Server

    s = Server(tmp_path)
    yield s
    s.client.close()
    s.app.state.engine.dispose()


def test_server_accepts_a_refused_household_without_answers_and_keeps_no_interview_answers(server, household):
    from sqlalchemy import select

    from server import db

    assert server.push("household", _visited("refused"))["status"] == "applied"
    with_answers = {**copy.deepcopy(household), **_visited("deceased", house_no="9")}
    rid = "0190f000-0000-7000-8000-00000000d1ed"
    assert server.push("household", with_answers, rid=rid)["status"] == "applied"
    with server.app.state.engine.connect() as conn:
        doc = json.loads(conn.execute(select(db.records.c.doc).where(db.records.c.id == rid)).scalar_one())
    assert doc["visit_outcome"] == "deceased" and doc["score_status"] == "not_interviewed"
    assert doc["tenure"] is None and doc["income_wage"] is None and doc["poverty_class"] is None
    # the server's form engine: complete without answers only when not interviewed (the server
    # accepts unfinished records, as the laptop saves them, so completeness is the engine's answer)
    form = server.app.state.forms.forms["household"]
    assert form.validate(_visited("refused"), partial_ok=False)[1] == []
    problems = {p.path for p in form.validate(_visited("interviewed"), partial_ok=False)[1]}
    assert {"tenure", "consent_given", "income_wage"} <= problems


def test_server_checks_the_revisit_date(server):
    # a revisit date before the visit is wrong, finished or not
    res = server.push("household", _visited("not_at_home", revisit_on="2025-05-01"))
    assert res["status"] == "rejected" and "revisit_on" in json.dumps(res)
    assert server.push("household", _visited("not_at_home", revisit_on="2025-06-08"))["status"] == "applied"
    # without a date it is unfinished (the server keeps unfinished records, as the laptop does)
    form = server.app.state.forms.forms["household"]
    problems = form.validate(_visited("not_at_home"), partial_ok=False)[1]
    assert [(p.path, p.code) for p in problems] == [("revisit_on", "required")]


# ---------------------------------------------------------------------- the area report


def test_area_report_counts_households_not_interviewed_apart_and_tables_the_coverage(store, household, tmp_path):
    import subprocess

    from fieldapp.reports import render_area
    from fieldapp.reports.build import area_report

    _listed(store, household, {"interviewed": 2, "refused": 1, "not_at_home": 1, "moved": 1, "listed": 1})
    data = area_report(store, subdistricts=["320101"])
    assert data.households_not_interviewed == 3
    assert data.class_counts["ไม่ได้สัมภาษณ์"] == 3
    [village] = data.villages
    # the poor share is taken among assessed households only: not among those never interviewed
    assert village.households_assessed == village.households_total - 3 - village.households_unassessable
    [cov] = data.coverage
    assert (cov.listed, cov.visited, cov.interviewed, cov.refused, cov.not_at_home, cov.gone) == (6, 5, 2, 1, 1, 1)
    assert cov.village == "หมู่ที่ 4 บ้านหนองบัว"
    assert data.coverage_total is not None and data.coverage_total.interviewed == 2
    pdf = tmp_path / "area.pdf"
    render_area(data, pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "ความครอบคลุมของรายชื่อครัวเรือนเป้าหมาย" in text
    assert "ครัวเรือนในรายชื่อ 6 ครัวเรือน เยี่ยมแล้ว 5 สัมภาษณ์ได้ 2 ครัวเรือน (ร้อยละ 33.3)" in " ".join(text.split())
    assert "ไม่ได้สัมภาษณ์" in text


# ---------------------------------------------------------------------- exports, imports and sync carry them


@pytest.mark.parametrize("fmt,codes", [("xlsx", False), ("csv", True)])
def test_export_then_import_keeps_the_visit_outcomes(store, household, tmp_path, fmt, codes):
    from fieldapp.exchange import export, run_import
    from fieldapp.store import open_store

    _listed(store, household, {"interviewed": 1, "refused": 1, "not_at_home": 1, "moved": 1})
    out = tmp_path / f"hh.{fmt}"
    export(store, "household", fmt, out, codes=codes, unmask=True)
    with open_store(tmp_path / "fresh.db", user="tester") as fresh:
        report = run_import(fresh, out, form_id="household")
        assert report.problems == [] and report.created == 4
        for rid in store.ids("household"):
            assert fresh.get("household", rid).data == store.get("household", rid).data
        outcomes = sorted(fresh.get("household", r).data["visit_outcome"] for r in fresh.ids("household"))
        assert outcomes == ["interviewed", "moved", "not_at_home", "refused"]
        # and into the database it came from: nothing changes
    report = run_import(store, out, form_id="household")
    assert report.problems == [] and report.created == 0 and report.updated == 0


def test_an_imported_target_list_is_listed_not_interviewed(store, tmp_path):
    from fieldapp.exchange import run_import

    src = tmp_path / "tpmap.csv"
    src.write_text(
        "ชื่อ-สกุล,บ้านเลขที่,หมู่,ตำบล,อำเภอ,จังหวัด\n"
        "สมปอง ดีงาม,5,4,ในเมือง,เมืองสุรินทร์,สุรินทร์\n"
        "สมใจ ใจงาม,6,4,ในเมือง,เมืองสุรินทร์,สุรินทร์\n",
        encoding="utf-8",
    )
    report = run_import(store, src, form_id="household")
    assert report.problems == [] and report.created == 2
    rec = store.get("household", report.created_ids[0])
    assert rec.data["visit_outcome"] is None and rec.data["visit_date"] is None
    total = coverage.area_coverage(store).total
    assert (total.listed, total.visited, total.interviewed, total.not_visited) == (2, 0, 0, 2)


def test_sync_carries_the_visit_to_another_laptop(tmp_path):
    from live_server import fast_settings, shared_app, shared_server

    from fieldapp.store import open_store
    from fieldapp.sync.client import sync
    from server import auth

    settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
    app = shared_app(settings)
    server = shared_server(app)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, settings, "am", "area_manager", ["3201"], "correct horse")
    with open_store(tmp_path / "a.db", user="a") as a, open_store(tmp_path / "b.db", user="b") as b:
        rid = a.save(
            "household", _visited("not_at_home", revisit_on="2025-06-09", visit_note="ไปทำนา")
        ).record.id
        assert not sync(a, server.url, "am", "correct horse", retries=0).rejected
        sync(b, server.url, "am", "correct horse", retries=0)
        got = b.get("household", rid).data
        assert {k: got[k] for k in ("visit_outcome", "visit_date", "visited_by", "revisit_on", "visit_note")} == {
            "visit_outcome": "not_at_home",
            "visit_date": "2025-06-01",
            "visited_by": "อสม. สมศรี",
            "revisit_on": "2025-06-09",
            "visit_note": "ไปทำนา",
        }
        assert got["score_status"] == "not_interviewed"
        [village] = visits.visits_due(b, today=dt.date(2025, 6, 8))
        assert [v.kind for v in village.visits] == ["revisit"]
    app.state.engine.dispose()
