"""Rounds of the same household: the next survey round is a new record pre-filled from the last
one, linked to it by a stored link that the laptop and the server both check."""

from __future__ import annotations

import copy
import datetime as _dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_field_rules import Server, server  # noqa: F401  (the server fixture)
from test_sync_poison import Env, env  # noqa: F401  (two laptops and a server)

from fieldapp import demo, rounds
from fieldapp.errors import FormDefinitionError, ValidationError
from fieldapp.forms.loading import load_form
from fieldapp.store import Store, open_store
from fieldapp.sync.outbox import pending_summary


def first_round(store: Store, household: dict[str, Any]) -> str:
    household["survey_round"] = "2568-1"
    return store.save("household", household).record.id


def test_the_next_round_is_pre_filled_and_clears_what_is_asked_again(
    store: Store, household: dict[str, Any]
) -> None:
    rid = first_round(store, household)
    old = store.get("household", rid).data
    nxt = store.start_next_round("household", rid)
    form = store.form("household")
    doc = nxt.doc
    # the link, the number, the name and the date of the new round
    assert (doc["previous_round_id"], doc["round_no"], doc["survey_round"]) == (rid, 2, "2568-2")
    assert doc["surveyed_on"] == _dt.date.today().isoformat()
    # what the form marks ask_again is cleared and listed; the rest is copied
    marked = [f.path for f in form.order if f.ask_again]
    assert marked and set(marked) <= set(nxt.ask_again)
    assert "income_wage" in nxt.ask_again and "members.occupation" in nxt.ask_again
    for path in marked:
        head, _, child = path.partition(".")
        if child:
            assert all(child not in row for row in doc[head]), path
        else:
            assert head not in doc, path
    assert (doc["house_no"], doc["tenure"]) == (old["house_no"], old["tenure"])
    # members: new row ids, each following the person of the first round
    assert [m["first_name"] for m in doc["members"]] == [m["first_name"] for m in old["members"]]
    assert [m["person_id"] for m in doc["members"]] == [m["id"] for m in old["members"]]
    assert not {m["id"] for m in doc["members"]} & {m["id"] for m in old["members"]}
    # nothing is written until it is saved; unfinished it saves as a draft
    assert store.count("household") == 1
    with pytest.raises(ValidationError):
        store.save("household", doc)
    second = store.save("household", doc, partial_ok=True)
    assert second.warnings == []  # the same people in another round are no duplicates
    assert store.duplicate_ids() == []
    # the third round follows the same persons by their first row id
    third = store.start_next_round("household", second.record.id).doc
    assert [m["person_id"] for m in third["members"]] == [m["id"] for m in old["members"]]
    assert (third["round_no"], third["survey_round"]) == (3, "2568-3")
    saved3 = store.save("household", third, partial_ok=True).record.id
    chain = store.round_chain("household", second.record.id)
    assert [(r.record_id, r.number) for r in chain] == [(rid, 1), (second.record.id, 2), (saved3, 3)]
    # lists may show each household once, at its latest round
    assert store.ids("household", filters={"latest_round": True}) == [saved3]
    assert set(store.ids("household", filters={"latest_round": False})) == {rid, second.record.id}


def test_one_round_has_one_next_round_in_the_same_area(store: Store, household: dict[str, Any]) -> None:
    rid = first_round(store, household)
    nxt = store.start_next_round("household", rid)
    twin = copy.deepcopy(nxt.doc)
    saved = store.save("household", nxt.doc, partial_ok=True).record.id
    with pytest.raises(ValidationError) as exc:
        store.start_next_round("household", rid)
    assert exc.value.problems[0].code == "cross_record.round_taken"
    for m in twin["members"]:
        m["id"] = str(uuid.uuid4())
    with pytest.raises(ValidationError) as exc:
        store.save("household", twin, partial_ok=True)
    assert [p.code for p in exc.value.problems] == ["cross_record.round_taken"]
    # the same record saved again keeps its own link
    store.save("household", store.get("household", saved).data, record_id=saved, partial_ok=True)
    # a link to a household of another subdistrict, to nothing, or to itself is refused
    moved = {**store.get("household", saved).data, "subdistrict_code": "320102"}
    with pytest.raises(ValidationError) as exc:
        store.save("household", moved, record_id=saved, partial_ok=True)
    assert "cross_record.round_area" in [p.code for p in exc.value.problems]
    with pytest.raises(ValidationError):
        store.save("household", {**twin, "previous_round_id": str(uuid.uuid4())}, partial_ok=True)
    with pytest.raises(ValidationError) as exc:
        store.save("household", {**twin, "previous_round_id": saved}, record_id=saved, partial_ok=True)
    assert "cross_record.round_self" in [p.code for p in exc.value.problems]
    # deleting the next round frees its place
    store.delete("household", saved)
    assert store.save("household", twin, partial_ok=True).record.data["previous_round_id"] == rid


def test_a_round_name_advances_by_its_last_number() -> None:
    assert rounds.next_label("2569-1", 2) == "2569-2"
    assert rounds.next_label("รอบ 9 (หลังโครงการ)", 10) == "รอบ 10 (หลังโครงการ)"
    assert rounds.next_label("ก่อนโครงการ", 2) == "2"
    assert rounds.next_label(None, 3) == "3"


def test_the_server_repeats_the_round_checks(
    store: Store,
    household: dict[str, Any],
    server: Server,  # noqa: F811
) -> None:
    rid = first_round(store, household)
    assert server.push("household", store.get("household", rid).data, rid)["status"] == "applied"
    doc = store.start_next_round("household", rid).doc
    assert server.push("household", doc)["status"] == "applied"
    twin = copy.deepcopy(doc)
    for m in twin["members"]:
        m["id"] = str(uuid.uuid4())
    res = server.push("household", twin)
    assert res["status"] == "rejected"
    assert [p["code"] for p in res["problems"]] == ["cross_record.round_taken"]
    res = server.push("household", {**twin, "previous_round_id": str(uuid.uuid4())})
    assert [p["code"] for p in res["problems"]] == ["cross_record.round_missing"]
    # an older round pushed again keeps the link of the round that follows it
    assert server.push("household", store.get("household", rid).data, rid)["status"] != "rejected"


def test_two_laptops_starting_the_same_next_round_the_second_is_refused_and_kept(
    env: Env,  # noqa: F811
) -> None:
    a = env.laptop("a.db")
    demo.generate(a, households=3, seed=5, areas=["3201"], businesses=0, referrals=0)
    assert env.sync(a).verified
    b = env.laptop("b.db")
    env.sync(b)
    hid = a.ids("household")[0]
    mine = a.save("household", a.start_next_round("household", hid).doc, partial_ok=True).record.id
    theirs = b.save("household", b.start_next_round("household", hid).doc, partial_ok=True).record.id
    env.sync(a)
    rep = env.sync(b)
    assert [r["record_id"] for r in rep.rejected] == [theirs], rep
    assert [p["code"] for p in b.rejections()[0]["problems"]] == ["cross_record.round_taken"]
    # b now holds both next rounds: the refused one waits in the outbox until it is deleted
    assert {r.record_id for r in b.round_chain("household", hid)} >= {hid}
    assert sorted(b.next_rounds("household", hid)) == sorted([mine, theirs])
    assert [r["record_id"] for r in pending_summary(b)["rejected"]] == [theirs]
    b.delete("household", theirs)
    assert env.sync(b).verified
    assert [r.record_id for r in b.round_chain("household", hid)] == [hid, mine]


def test_the_form_names_its_round_fields(formset: Any, tmp_path: Path) -> None:
    def load_form_text(text: str, choices: dict[str, Any]) -> Any:
        path = tmp_path / "x.yaml"
        path.write_text(text, encoding="utf-8")
        return load_form(path, choices)

    base = "id: x\nversion: '1'\ntitle: {th: x, en: x}\nsections:\n  - id: s\n    label: {th: s, en: s}\n"
    fields = (
        "    fields:\n"
        "      - {id: prev, type: reference, ref: x, label: {th: a, en: a}}\n"
        "      - {id: n, type: integer, label: {th: a, en: a}}\n"
    )
    load_form_text(base + fields + "rounds: {previous: prev, number: n}\n", choices={})
    with pytest.raises(FormDefinitionError):
        load_form_text(base + fields + "rounds: {previous: n, number: n}\n", choices={})
    with pytest.raises(FormDefinitionError):
        load_form_text(base + fields + "rounds: {previous: prev}\n", choices={})


def test_the_case_report_follows_linked_rounds_and_their_members(
    store: Store, household: dict[str, Any], tmp_path: Path
) -> None:
    import subprocess

    from fieldapp.reports import render_household
    from fieldapp.reports.build import area_report, household_report

    household["household_code"] = "HH-1"
    rid = first_round(store, household)
    nxt = store.start_next_round("household", rid)
    old = store.get("household", rid).data
    doc = nxt.doc
    for path in nxt.ask_again:  # answered again: the same, with more wages
        head, _, child = path.partition(".")
        if child:
            for row, before in zip(doc[head], old[head], strict=True):
                if child in before:
                    row[child] = before[child]
        elif head in old:
            doc[head] = old[head]
    doc["income_wage"] = old["income_wage"] + 60000
    doc["household_code"] = "typed differently"  # the stored link decides, not the typed code
    doc["members"].append(
        {
            **doc["members"][-1],
            "id": str(uuid.uuid4()),
            "person_id": None,
            "first_name": "น้องใหม่",
            "national_id": None,
            "id_type": "none",
        }
    )
    second = store.save("household", doc).record.id
    data = household_report(store, second)
    assert [r.survey_round for r in data.rounds] == ["2568-1", "2568-2"]
    first, last = data.rounds
    assert list(first.members) == [m["id"] for m in old["members"]]
    assert set(first.members) < set(last.members)  # the same people, followed, and one more
    assert last.income_per_capita and first.income_per_capita
    assert last.income_per_capita > first.income_per_capita
    # the first round's report stops at the first round
    assert [r.survey_round for r in household_report(store, rid).rounds] == ["2568-1"]
    # the area counts the household once, at its latest round
    assert area_report(store, subdistricts=["320101"]).households_total == 1
    pdf = tmp_path / "r.pdf"
    render_household(data, str(pdf))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "สมาชิกในแต่ละรอบ" in text and "น้องใหม่" in text and "สมาชิกใหม่" in text


def test_the_rounds_command_lists_and_starts_rounds(
    tmp_path: Path, household: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from fieldapp import cli, drafts

    db = tmp_path / "c.db"
    with open_store(db, user="tester") as s:
        rid = first_round(s, household)
    assert cli.main(["--db", str(db), "rounds", rid, "--start", "--json"]) == 0
    chain = json.loads(capsys.readouterr().out)
    assert [(c["round"], c["name"]) for c in chain] == [(1, "2568-1"), (2, "2568-2")]
    assert chain[0]["id"] == rid
    with open_store(db, user="tester") as s:
        assert s.next_rounds("household", rid) == [chain[1]["id"]]
        assert chain[1]["id"] in drafts.incomplete_ids(s, "household")  # to be completed in the editor
    assert cli.main(["--db", str(db), "rounds", rid, "--start"]) == 1  # one next round per round
    assert cli.main(["--db", str(db), "rounds", rid]) == 0
    assert "รอบที่ 2  2568-2" in capsys.readouterr().out


def test_a_deleted_previous_round_leaves_the_next_round_editable(
    store: Store,
    household: dict[str, Any],
    server: Server,  # noqa: F811
) -> None:
    import uuid as _uuid

    from fieldapp.sync import protocol as P

    rid = first_round(store, household)
    assert server.push("household", store.get("household", rid).data, rid)["status"] == "applied"
    doc = store.start_next_round("household", rid).doc
    second = store.save("household", doc, partial_ok=True).record.id
    assert server.push("household", doc, second)["status"] == "applied"
    store.delete("household", rid)
    again = store.save("household", {**doc, "notes": "ย้ายรอบแรกออก"}, record_id=second, partial_ok=True)
    assert again.record.data["previous_round_id"] == rid  # the link stays; the chain ends here
    assert [r.record_id for r in store.round_chain("household", second)] == [second]
    # the server: the first round deleted, the second still takes edits
    deleted = P.Change(str(_uuid.uuid4()), "household", rid, 1, None, True).to_json()
    r = server.client.post(
        P.Paths.PUSH, json={"device_id": "dev", "changes": [deleted]}, headers=server.headers
    )
    assert r.json()["results"][0]["status"] == "applied"
    edit = P.Change(str(_uuid.uuid4()), "household", second, 2, {**doc, "notes": "x"}, False).to_json()
    r = server.client.post(P.Paths.PUSH, json={"device_id": "dev", "changes": [edit]}, headers=server.headers)
    assert r.json()["results"][0]["status"] == "applied", r.json()


def test_erasing_a_household_erases_every_round_and_the_access_report_has_them(
    store: Store, household: dict[str, Any]
) -> None:
    from fieldapp import rights

    rid = first_round(store, household)
    second = store.save("household", store.start_next_round("household", rid).doc, partial_ok=True).record.id
    third = store.save(
        "household", store.start_next_round("household", second).doc, partial_ok=True
    ).record.id
    assert {r for _, r in rights.linked_ids(store, "household", second)} == {rid, third}
    assert {x["id"] for x in rights.export_data(store, third)["linked"]} >= {rid, second}
    out = rights.erase(store, second, mode="erase", reason="ขอให้ลบ")
    assert out["records"] == 3
    assert all(rights.erasure(store, r) for r in (rid, second, third))
    assert store.count("household") == 0
