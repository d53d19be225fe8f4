"""Rows of a repeat inside a repeat (the crops of each plot) merge by their own row ids: two laptops
that change different crops of the same plot both keep their change; the same crop's answer changed
to two values is a conflict a person resolves, never a silent overwrite."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_sync_forms import Env

from fieldapp import installed, xlsform
from fieldapp.forms import default_forms
from fieldapp.store import Store
from fieldapp.sync import merge
from fieldapp.sync import protocol as P
from fieldapp.sync.outbox import resolve_conflict
from server import forms as server_forms
from tests.test_nested_repeats import FARM, farm_survey

R1, R2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
C1, C2, C3 = (f"{n}{n}{n}{n}{n}{n}{n}{n}-0000-4000-8000-00000000000{n}" for n in "abc")


def doc(*, crops: list[dict[str, Any]], rai: float = 2) -> dict[str, Any]:
    return {"village": "บ้านดง", "plot": [{"id": R1, "rai": rai, "n_crops": len(crops), "crop": crops}]}


BASE = doc(crops=[{"id": C1, "crop_name": "ข้าว", "share": 60}, {"id": C2, "crop_name": "อ้อย", "share": 40}])


def test_different_rows_inside_one_outer_row_merge_and_the_same_answer_conflicts() -> None:
    mine, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    mine["plot"][0]["crop"][0]["crop_name"] = "ข้าวเหนียว"
    theirs["plot"][0]["crop"][1]["share"] = 45
    theirs["plot"][0]["rai"] = 3  # the outer row's own answer, changed on the other side
    got = merge.three_way_merge(BASE, mine, theirs)
    assert got.clean
    assert got.doc["plot"][0]["rai"] == 3
    assert [(c["id"], c["crop_name"], c["share"]) for c in got.doc["plot"][0]["crop"]] == [
        (C1, "ข้าวเหนียว", 60),
        (C2, "อ้อย", 45),
    ]

    theirs = copy.deepcopy(BASE)
    theirs["plot"][0]["crop"][0]["crop_name"] = "ข้าวเจ้า"
    got = merge.three_way_merge(BASE, mine, theirs)
    path = f"plot[{R1}].crop[{C1}].crop_name"
    assert [(c.path, c.base, c.mine, c.theirs) for c in got.conflicts] == [
        (path, "ข้าว", "ข้าวเหนียว", "ข้าวเจ้า")
    ]
    conflict = P.Conflict("fields", "farm", "rec", 1, mine, theirs, got.doc, got.conflicts)
    resolved, deleted = merge.resolve(conflict, {path: "mine"})
    assert not deleted and resolved is not None
    assert resolved["plot"][0]["crop"][0]["crop_name"] == "ข้าวเหนียว"
    resolved, _ = merge.resolve(conflict, {path: "ข้าวหอมมะลิ"})  # a value typed by a person
    assert resolved is not None and resolved["plot"][0]["crop"][0]["crop_name"] == "ข้าวหอมมะลิ"


def test_inner_rows_added_and_removed_on_different_sides_merge_and_a_changed_removed_row_conflicts() -> None:
    mine, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    mine["plot"][0]["crop"].append({"id": C3, "crop_name": "ถั่ว", "share": 0})
    theirs["plot"][0]["crop"].pop(0)
    got = merge.three_way_merge(BASE, mine, theirs)
    assert got.clean and [c["id"] for c in got.doc["plot"][0]["crop"]] == [C2, C3]

    mine, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    mine["plot"][0]["crop"][0]["share"] = 70  # changed here
    theirs["plot"][0]["crop"].pop(0)  # removed on the server
    got = merge.three_way_merge(BASE, mine, theirs)
    path = f"plot[{R1}].crop[{C1}]"
    assert [(c.path, c.theirs) for c in got.conflicts] == [(path, None)]
    conflict = P.Conflict("fields", "farm", "rec", 1, mine, theirs, got.doc, got.conflicts)
    kept, _ = merge.resolve(conflict, {path: "mine"})  # the row comes back with its answers
    assert kept is not None and [(c["id"], c["share"]) for c in kept["plot"][0]["crop"]] == [
        (C2, 40),
        (C1, 70),
    ]
    gone, _ = merge.resolve(conflict, {path: "theirs"})
    assert gone is not None and [c["id"] for c in gone["plot"][0]["crop"]] == [C2]


def test_paths_reach_two_levels_and_calculations_inside_inner_rows_are_never_merged(tmp_path: Path) -> None:
    form = installed.build(xlsform.read_xlsform(farm_survey(tmp_path / "farm.xlsx")).form, "farm.xlsx")
    skip = merge.derived_paths(form)
    assert {"plot.crop.crop_no", "plot.share_total", "all_crops"} <= skip
    mine, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    mine["plot"][0]["crop"][0]["crop_no"] = "1"
    theirs["plot"][0]["crop"][0]["crop_no"] = "9"
    assert merge.three_way_merge(BASE, mine, theirs, skip=skip).clean
    assert merge.parse_path(f"plot[{R1}].crop[{C1}].crop_name") == [
        ("plot", R1),
        ("crop", C1),
        ("crop_name", None),
    ]
    for bad in (f"plot.crop[{C1}]", f"a[{R1}].b[{R2}].c[{C1}].d", "plot[x]", ""):
        with pytest.raises(P.ProtocolViolation):
            merge.parse_path(bad)
    with pytest.raises(P.ProtocolViolation, match="not in the document"):
        merge.set_path(copy.deepcopy(BASE), f"plot[{R1}].crop[{C3}].crop_name", "x")
    # a select_multiple answer inside a row is a list of codes, not rows: merged as one answer
    b = {"plot": [{"id": R1, "tags": []}]}
    m = {"plot": [{"id": R1, "tags": ["a"]}]}
    t = {"plot": [{"id": R1, "tags": ["b"]}]}
    assert [c.path for c in merge.three_way_merge(b, m, t).conflicts] == [f"plot[{R1}].tags"]


# ---------------------------------------------------------------------- two laptops through the server


def farm_form(tmp_path: Path) -> dict[str, Any]:
    raw = xlsform.read_xlsform(farm_survey(tmp_path / "farm.xlsx")).form
    raw["area_field"] = "subdistrict_code"
    raw["sections"][0]["fields"].insert(
        0, {"id": "subdistrict_code", "type": "subdistrict", "label": {"th": "ตำบล", "en": "Subdistrict"}}
    )
    return raw


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> Any:
    e = Env(db_url, tmp_path)
    server_forms.install(e.engine, default_forms(), farm_form(tmp_path), "farm.xlsx", "admin")
    e.app.state.service.registry.invalidate()
    yield e
    for s in e.stores:
        s.close()
    e.engine.dispose()


def edit(store: Store, rid: str, change: Any) -> None:
    data = store.get("farm", rid).data
    change(data)
    store.save("farm", data, record_id=rid)


def test_two_laptops_change_different_crops_of_one_plot_then_the_same_crop(env: Env) -> None:
    a, b = env.laptop("a"), env.laptop("b")
    env.sync(a)
    rid = a.save("farm", {"subdistrict_code": "320101", **FARM}).record.id
    env.sync(a)
    env.sync(b)
    first = b.get("farm", rid).data["plot"][0]
    assert [c["crop_name"] for c in first["crop"]] == ["ข้าว", "อ้อย"]

    edit(a, rid, lambda d: d["plot"][0]["crop"][0].update(crop_name="ข้าวเหนียว"))
    edit(b, rid, lambda d: d["plot"][0]["crop"][1].update(share=45))
    env.sync(a)
    rb = env.sync(b)
    assert rb.merged == 1 and not rb.conflicts
    env.sync(a)
    for s in (a, b):
        crops = s.get("farm", rid).data["plot"][0]["crop"]
        assert [(c["crop_name"], c["share"]) for c in crops] == [("ข้าวเหนียว", 60), ("อ้อย", 45)]
    assert a.get("farm", rid).data == b.get("farm", rid).data

    crop = a.get("farm", rid).data["plot"][0]["crop"][1]
    edit(a, rid, lambda d: d["plot"][0]["crop"][1].update(crop_name="อ้อยคั้นน้ำ"))
    edit(b, rid, lambda d: d["plot"][0]["crop"][1].update(crop_name="อ้อยโรงงาน"))
    env.sync(a)
    rb = env.sync(b)
    assert rb.conflicts == [{"form": "farm", "record_id": rid, "kind": "fields"}]
    conflict = b.get("farm", rid).conflict
    plot_id = b.get("farm", rid).data["plot"][0]["id"]
    path = f"plot[{plot_id}].crop[{crop['id']}].crop_name"
    assert [(f["path"], f["mine"], f["theirs"]) for f in conflict["fields"]] == [
        (path, "อ้อยโรงงาน", "อ้อยคั้นน้ำ")
    ]
    assert env.sync(b).pushed == 0  # kept until a person chooses
    resolve_conflict(b, "farm", rid, {path: "อ้อยโรงงาน 2"})
    env.sync(b)
    env.sync(a)
    for s in (a, b):
        got = s.get("farm", rid)
        assert got.conflict is None and got.data["plot"][0]["id"] == plot_id
        assert [c["crop_name"] for c in got.data["plot"][0]["crop"]] == ["ข้าวเหนียว", "อ้อยโรงงาน 2"]
    assert a.get("farm", rid).data == b.get("farm", rid).data
