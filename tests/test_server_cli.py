"""``fieldapp-server`` account commands: clear messages for bad input, nothing half-done."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from server import cli, db


@pytest.fixture
def dbfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FIELDAPP_PASSWORD", "a long password")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return str(tmp_path / "server.db")


def test_adduser_passwd_areas_and_users(dbfile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["adduser", "somchai", "--role", "area_manager", "--area", "3201", "3202", "--db", dbfile])
        == 0
    )
    assert "added somchai (area_manager) areas: 3201 3202" in capsys.readouterr().out
    assert cli.main(["areas", "somchai", "--db", dbfile]) == 0
    assert capsys.readouterr().out.strip() == "somchai: 3201 3202"
    assert cli.main(["areas", "somchai", "32", "--db", dbfile]) == 0
    assert cli.main(["passwd", "somchai", "--db", dbfile]) == 0
    assert cli.main(["users", "--db", dbfile]) == 0
    assert "somchai\tarea_manager\t32" in capsys.readouterr().out
    engine = db.make_engine(f"sqlite:///{dbfile}")
    with engine.connect() as conn:
        actions = [r[0] for r in conn.execute(select(db.audit_log.c.action))]
    assert actions == ["adduser", "areas", "passwd"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["adduser", "x", "--role", "area_manager", "--area", "99"], "unknown area code"),
        (["adduser", "x", "--role", "area_manager"], "at least one --area"),
        (["adduser", "two words", "--role", "admin"], "without spaces"),
        (["passwd", "nobody"], "no user 'nobody'"),
        (["name", "nobody", "สมชาย"], "no user 'nobody'"),
        (["areas", "nobody"], "no user 'nobody'"),
    ],
)
def test_bad_input_is_one_clear_line(
    dbfile: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli.main([*argv, "--db", dbfile]) == 1
    err = capsys.readouterr().err
    assert err.startswith("fieldapp-server: error:") and message in err and err.count("\n") == 1


def test_short_passwords_and_duplicate_users_are_refused(
    dbfile: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["adduser", "a", "--role", "admin", "--db", dbfile]) == 0
    assert cli.main(["adduser", "a", "--role", "admin", "--db", dbfile]) == 1
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv("FIELDAPP_PASSWORD", "short")
    assert cli.main(["adduser", "b", "--role", "admin", "--db", dbfile]) == 1
    assert "at least 8 characters" in capsys.readouterr().err


def test_an_unknown_role_is_a_usage_error(dbfile: str) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["adduser", "x", "--role", "king", "--area", "32", "--db", dbfile])
    assert exc.value.code == 2


def test_a_display_name_is_set_changed_and_removed(dbfile: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(
            [
                "adduser",
                "lead32",
                "--role",
                "community_leader",
                "--area",
                "3201",
                "--display-name",
                "สมศรี  ใจงาม",
                "--db",
                dbfile,
            ]
        )
        == 0
    )
    engine = db.make_engine(f"sqlite:///{dbfile}")

    def shown() -> str | None:
        with engine.connect() as conn:
            return conn.execute(select(db.users.c.display_name).where(db.users.c.name == "lead32")).scalar()

    assert shown() == "สมศรี ใจงาม"
    assert cli.main(["name", "lead32", "สมศรี ใจดี", "--db", dbfile]) == 0
    assert shown() == "สมศรี ใจดี"
    assert cli.main(["name", "lead32", "", "--db", dbfile]) == 0
    assert shown() is None
    assert cli.main(["name", "lead32", "a\nb", "--db", dbfile]) == 0
    assert shown() == "a b"  # one line
    assert cli.main(["name", "lead32", "x" * 101, "--db", dbfile]) == 1
    assert "at most 100" in capsys.readouterr().err
