"""A full disk ends demo, export, a household's data export and a pull with a clear message (in
English and Thai), no traceback, and no half-written file. Runs on a small tmpfs (needs root)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from live_server import fast_settings, shared_app, shared_server
from small_disk import fill, small_disk

from fieldapp import cli, demo
from fieldapp.errors import SyncError, SyncErrorKind
from fieldapp.store import open_store
from fieldapp.sync.client import sync
from server import auth

PASSWORD = "correct horse"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def said_full(code: int, err: str) -> bool:
    return code == 1 and "the disk is full" in err and "ดิสก์เต็ม" in err


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "filler")


def test_demo_on_a_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with small_disk(tmp_path / "disk", 2048) as disk:
        code, err = run(capsys, "--db", str(disk / "field.db"), "demo", "--households", "2000")
        assert said_full(code, err), err


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_an_export_to_a_full_disk_leaves_nothing_half_written(
    demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    with small_disk(tmp_path / "disk", 64) as disk:
        code, err = run(capsys, "--db", demo_db, "export", "household", "-o", str(disk / f"out.{fmt}"))
        assert said_full(code, err), err
        assert files_in(disk) == []


def test_an_export_that_fits_is_complete(
    demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with small_disk(tmp_path / "disk", 4096) as disk:
        code, _err = run(capsys, "--db", demo_db, "export", "household", "-o", str(disk / "out.csv"))
        assert code == 0 and files_in(disk) == ["out.csv", "out_members.csv"]


def test_a_households_data_export_to_a_full_disk(
    demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "field.db"
    shutil.copyfile(demo_db, db)
    with open_store(db) as store:
        rid = store.ids("household")[0]
    with small_disk(tmp_path / "disk", 64) as disk:
        fill(disk)
        code, err = run(
            capsys,
            "--db",
            str(db),
            "household",
            "export-data",
            rid,
            "-o",
            str(disk / "data.json"),
            "--pdf",
            str(disk / "data.pdf"),
        )
        assert said_full(code, err), err
        assert files_in(disk) == []


def test_a_pull_onto_a_full_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldapp import backup

    # the backup before a sync wants far more room than this small disk has: leave it out here
    monkeypatch.setattr(backup, "before_sync", lambda store: None)
    settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
    app = shared_app(settings)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, settings, "admin", "admin", [], PASSWORD)
    url = shared_server(app).url
    with open_store(tmp_path / "first.db", user="a") as first:
        demo.generate(first, households=400, seed=9, businesses=0, referrals=0, workers=1)
        assert sync(first, url, "admin", PASSWORD).verified is True
    with small_disk(tmp_path / "disk", 1536) as disk:
        laptop = disk / "field.db"
        open_store(laptop, user="b").close()
        with open_store(laptop, user="b") as store, pytest.raises(SyncError) as failed:
            sync(store, url, "admin", PASSWORD)
        assert failed.value.kind is SyncErrorKind.LOCAL and failed.value.details.get("disk_full")
        assert "ดิสก์เต็ม" in failed.value.message
        monkeypatch.setenv("FIELDAPP_PASSWORD", PASSWORD)
        code, err = run(capsys, "--db", str(laptop), "sync", "--server", url, "--user", "admin")
        assert code == 1 and ("disk is full" in err), err
    app.state.engine.dispose()
