"""The command line: every command works, bad input is one line and a non-zero exit, docs cover all."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp import cli
from fieldapp.store import open_store

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_command_is_documented():
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^## fieldapp (.+)$", doc, flags=re.M))
    missing = [c for c in cli.subcommands() if c not in headings]
    assert not missing, f"undocumented commands: {missing}"
    assert {"init", "demo", "list", "show", "stats", "check", "forms check"} <= set(cli.subcommands())


def test_init_creates_the_database(tmp_path, capsys):
    db = tmp_path / "new" / "f.db"
    code, out, _ = run(capsys, "--db", str(db), "init")
    assert code == 0 and db.exists()
    assert "records: business 0, household 0, referral 0" in out


def test_demo_list_show_stats_check(tmp_path, capsys):
    db = str(tmp_path / "f.db")
    code, out, _ = run(capsys, "--db", db, "demo", "--households", "40", "--seed", "5", "--area", "3201")
    assert code == 0 and "added 40 households" in out
    code, out, _ = run(capsys, "--db", db, "list", "household", "--json", "--limit", "0")
    data = json.loads(out)
    assert code == 0 and data["total"] == 40 and len(data["rows"]) == 40
    assert all(r["id"] for r in data["rows"])
    hid = data["rows"][0]["id"]
    code, out, _ = run(capsys, "--db", db, "show", "household", hid)
    assert code == 0 and "หัวหน้าครัวเรือน" in out and "xxxxx" in out
    assert re.search(r"\d{1,2} \S+ 25\d\d", out), "dates are shown in the Buddhist era"
    code, out, _ = run(capsys, "--db", db, "show", "household", hid, "--json", "--unmask")
    full = json.loads(out)
    assert re.fullmatch(r"\d{13}", full["data"]["members"][0]["national_id"])
    code, out, _ = run(capsys, "--db", db, "show", "household", hid, "--json")
    assert "xxxxx" in json.loads(out)["data"]["members"][0]["national_id"]
    code, out, _ = run(capsys, "--db", db, "stats", "--json")
    stats = json.loads(out)
    assert stats["forms"]["household"]["records"] == 40
    assert set(stats["forms"]["household"]["by_province"]) == {"32"}
    code, out, _ = run(capsys, "--db", db, "check")
    assert code == 0 and out.strip() == "ok"
    with open_store(db) as s:
        actions = [
            r[0] for r in s.conn.execute("SELECT action FROM audit_log WHERE action = 'view_unmasked'")
        ]
    assert actions == ["view_unmasked"]


def test_same_seed_gives_the_same_data(tmp_path, capsys):
    outs = []
    for name in ("a.db", "b.db"):
        db = str(tmp_path / name)
        run(capsys, "--db", db, "demo", "--households", "15", "--seed", "9")
        outs.append(run(capsys, "--db", db, "list", "household", "--json", "--limit", "0")[1])
    rows = [[{k: v for k, v in r.items() if k != "_updated_at"} for r in json.loads(o)["rows"]] for o in outs]
    assert rows[0] == rows[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["list", "hospital"], "no form 'hospital'"),
        (["show", "household", "00000000-0000-4000-8000-000000000000"], "no household record"),
        (["list", "household", "--area", "99"], "unknown area code"),
        (["demo", "--households", "-3"], "must not be negative"),
        (["demo", "--households", "3", "--area", "1234567"], "unknown area code"),
        (["list", "household", "--sort", "nonsense"], "cannot sort by"),
    ],
)
def test_bad_input_is_one_line_and_a_nonzero_exit(tmp_path, capsys, args, expected):
    db = tmp_path / "f.db"
    code, _out, err = run(capsys, "--db", str(db), *args)
    assert code == 1
    assert err.count("\n") == 1 and expected in err
    with open_store(db) as s:
        assert s.counts() == {"household": 0, "business": 0, "referral": 0}


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["list"])
    assert info.value.code == 2
    assert "usage error" in capsys.readouterr().err


def test_forms_check_passes_on_the_bundled_forms(capsys):
    code, out, _ = run(capsys, "forms", "check")
    assert code == 0 and "household" in out and "business" in out and "referral" in out


def test_python_dash_m_and_console_script_entry(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "fieldapp", "--db", str(tmp_path / "x.db"), "init"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert res.returncode == 0 and "database:" in res.stdout
