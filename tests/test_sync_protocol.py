"""The shared protocol module: three-way merge, conflicts, resolving, payload checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldapp.sync import merge
from fieldapp.sync import protocol as P

ROOT = Path(__file__).resolve().parent.parent
R1, R2, R3 = (
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
    "33333333-3333-4333-8333-333333333333",
)


def rows(*items: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"id": rid, "name": name} for rid, name in items]


def test_a_field_changed_on_one_side_takes_that_sides_value() -> None:
    base = {"a": 1, "b": 1, "c": 1}
    res = merge.three_way_merge(base, {"a": 2, "b": 1, "c": 1}, {"a": 1, "b": 3, "c": 1})
    assert res.clean and res.doc == {"a": 2, "b": 3, "c": 1}


def test_the_same_change_on_both_sides_is_not_a_conflict() -> None:
    res = merge.three_way_merge({"a": 1}, {"a": 2}, {"a": 2})
    assert res.clean and res.doc == {"a": 2}


def test_the_same_field_changed_differently_is_a_conflict_keeping_both_values() -> None:
    res = merge.three_way_merge({"a": 1, "b": 1}, {"a": 2, "b": 5}, {"a": 3, "b": 1})
    assert [(c.path, c.base, c.mine, c.theirs) for c in res.conflicts] == [("a", 1, 2, 3)]
    assert res.doc == {"a": 3, "b": 5}  # the server's value until a person chooses; b merged


def test_repeat_rows_added_removed_and_changed_on_either_side_merge_by_row_id() -> None:
    base = {"m": rows((R1, "a"), (R2, "b"))}
    mine = {"m": rows((R1, "a2"), (R2, "b"), (R3, "new"))}
    theirs = {"m": rows((R1, "a"))}  # R2 removed on the server
    res = merge.three_way_merge(base, mine, theirs)
    assert res.clean and res.doc == {"m": rows((R1, "a2"), (R3, "new"))}


def test_the_same_field_of_the_same_row_changed_on_both_sides_conflicts() -> None:
    base = {"m": rows((R1, "a"))}
    res = merge.three_way_merge(base, {"m": rows((R1, "x"))}, {"m": rows((R1, "y"))})
    assert [(c.path, c.mine, c.theirs) for c in res.conflicts] == [(f"m[{R1}].name", "x", "y")]


def test_a_row_removed_on_one_side_and_changed_on_the_other_conflicts() -> None:
    base = {"m": rows((R1, "a"))}
    res = merge.three_way_merge(base, {"m": []}, {"m": rows((R1, "changed"))})
    assert [(c.path, c.mine) for c in res.conflicts] == [(f"m[{R1}]", None)]


def test_calculated_fields_are_never_merged() -> None:
    res = merge.three_way_merge(
        {"x": 1, "total": 1}, {"x": 2, "total": 2}, {"x": 1, "total": 9}, skip={"total"}
    )
    assert res.clean and res.doc == {"x": 2, "total": 9}


def test_resolving_applies_mine_theirs_or_a_typed_value_per_path() -> None:
    base = {"a": 1, "b": 1, "m": rows((R1, "a"))}
    res = merge.three_way_merge(
        base, {"a": 2, "b": 2, "m": rows((R1, "x"))}, {"a": 3, "b": 3, "m": rows((R1, "y"))}
    )
    conflict = P.Conflict("fields", "f", R1, 7, None, None, res.doc, res.conflicts)
    doc, deleted = merge.resolve(conflict, {"a": "mine", "b": 42, f"m[{R1}].name": "theirs"})
    assert not deleted and doc == {"a": 2, "b": 42, "m": rows((R1, "y"))}
    with pytest.raises(P.ProtocolViolation, match="unresolved: b"):
        merge.resolve(conflict, {"a": "mine", f"m[{R1}].name": "theirs"})


def test_resolving_an_edit_against_a_delete_chooses_the_whole_record() -> None:
    c = P.Conflict("edit_delete", "f", R1, 3, {"a": 1}, None, None, [])
    assert merge.resolve(c, {"": "mine"}) == ({"a": 1}, False)
    assert merge.resolve(c, {"": "theirs"}) == (None, True)
    with pytest.raises(P.ProtocolViolation):
        merge.resolve(c, {})


def test_change_ids_are_stable_for_the_same_edit_and_differ_for_another() -> None:
    one = P.change_id_for("dev", "household", R1, 4, {"a": 1}, False)
    assert one == P.change_id_for("dev", "household", R1, 4, {"a": 1}, False)
    assert one != P.change_id_for("dev", "household", R1, 4, {"a": 2}, False)
    assert one != P.change_id_for("dev", "household", R1, 5, {"a": 1}, False)


def test_payloads_are_checked_with_clear_messages() -> None:
    ok = P.Change(R1, "household", R2, None, {"a": 1}).to_json()
    assert P.PushRequest.from_json({"device_id": "d", "changes": [ok]}).changes[0].record_id == R2
    with pytest.raises(P.ProtocolViolation, match="appears twice"):
        P.PushRequest.from_json({"device_id": "d", "changes": [ok, ok]})
    with pytest.raises(P.ProtocolViolation, match="tombstone"):
        P.Change.from_json({**ok, "deleted": True})
    with pytest.raises(P.ProtocolViolation, match="base_rev"):
        P.Change.from_json({**ok, "base_rev": "7"})
    with pytest.raises(P.ProtocolViolation, match="status"):
        P.ChangeResult.from_json({"change_id": R1, "record_id": R2, "form": "f", "status": "maybe"})


def test_area_scope_nests_by_code_prefix() -> None:
    assert P.in_scope("320101", ["32"]) and P.in_scope("320101", ["3201"])
    assert not P.in_scope("330101", ["32"]) and not P.in_scope(None, ["32"])
    assert P.in_scope("330101", [], everything=True)


def test_the_protocol_module_imports_neither_qt_nor_fastapi() -> None:
    code = (
        "import sys, fieldapp.sync.protocol, fieldapp.sync.client\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'fastapi', 'starlette', 'sqlalchemy'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def _modules_loaded_by(statement: str) -> list[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))\n"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout.split()


def test_the_protocol_is_a_leaf_that_loads_no_client_store_crypto_or_rights() -> None:
    loaded = _modules_loaded_by("import fieldapp.sync.protocol")
    heavy = ("requests", "fieldapp.store", "fieldapp.crypto", "fieldapp.rights", "fieldapp.sync.client")
    assert [m for m in loaded if m.startswith(heavy)] == []
    ours = [m for m in loaded if m.startswith("fieldapp.") and m != "fieldapp.sync"]
    assert sorted(ours) == ["fieldapp.clock", "fieldapp.sync.protocol"]  # the clock is a leaf too


def test_the_server_reads_the_protocol_and_merge_without_the_sync_client() -> None:
    loaded = _modules_loaded_by("import server.app")
    heavy = ("requests", "fieldapp.store", "fieldapp.crypto", "fieldapp.rights", "fieldapp.sync.client")
    assert [m for m in loaded if m.startswith(heavy)] == []


def test_a_refused_change_says_why_in_thai_and_in_english_and_the_earlier_shape_still_reads() -> None:
    now = P.ChangeResult(R1, R2, "f", "rejected", reason="no_area", message="ไทย", message_en="English")
    assert P.ChangeResult.from_json(now.to_json()) == now
    earlier = {"change_id": R1, "record_id": R2, "form": "f", "status": "rejected", "message": "English"}
    res = P.ChangeResult.from_json(earlier)
    assert (res.message, res.message_en) == (None, "English")
    assert set(P.REJECTION_MESSAGES) >= {"invalid", "area_forbidden", "erased", "role_forbidden"}
