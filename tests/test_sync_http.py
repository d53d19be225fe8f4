"""Plain http:// servers: a warning always, refused outside the local network unless insisted on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from live_server import fast_settings, shared_app, shared_server

from fieldapp.errors import SyncError, SyncErrorKind
from fieldapp.store import Store
from fieldapp.sync.client import sync
from fieldapp.sync.transport import check_plain_http, on_local_network
from server import auth

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080",
        "http://localhost:8080/",
        "http://10.1.2.3",
        "http://172.20.0.5:8000",
        "http://192.168.1.20",
        "http://169.254.3.4",
        "http://[::1]:8080",
        "http://[fd12:3456::1]",
        "http://fieldapp-server.local",
    ],
)
def test_the_local_network_is_recognised(url: str) -> None:
    assert on_local_network(url)
    assert check_plain_http(url, allow=False)  # allowed, with the warning


@pytest.mark.parametrize(
    "url", ["http://fieldapp.example.org", "http://203.0.113.7", "http://8.8.8.8:80", "http://172.32.0.1"]
)
def test_plain_http_outside_the_local_network_is_refused_unless_insisted_on(url: str, store: Store) -> None:
    assert not on_local_network(url)
    with pytest.raises(SyncError) as err:
        sync(store, url, "am", PASSWORD)
    assert err.value.kind is SyncErrorKind.NETWORK and err.value.details.get("plain_http")
    assert "https://" in err.value.message and "http://" in err.value.message
    assert check_plain_http(url, allow=True)  # insisting gives the warning only
    assert check_plain_http(url.replace("http://", "https://"), allow=False) is None


def test_a_sync_over_http_says_it_is_not_encrypted(store: Store, tmp_path: Path) -> None:
    settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
    app = shared_app(settings)
    with app.state.engine.begin() as conn:
        auth.add_user(conn, settings, "am", "area_manager", ["3201"], PASSWORD)
    server = shared_server(app)
    report = sync(store, server.url, "am", PASSWORD)
    assert report.http_warning and "http://" in report.http_warning and "https://" in report.http_warning
    assert report.http_warning in report.summary_th()
    app.state.engine.dispose()


def _cli(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldapp", "--db", str(tmp_path / "field.db"), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
    )


def test_the_cli_refuses_plain_http_before_asking_the_password(tmp_path: Path) -> None:
    done = _cli("sync", "--server", "http://fieldapp.example.org", "--user", "am", tmp_path=tmp_path)
    assert done.returncode == 1
    assert "http://" in done.stderr and "--allow-http" in done.stderr and "no password" not in done.stderr
    assert "Traceback" not in done.stderr


def test_the_cli_warns_when_told_to_use_plain_http(tmp_path: Path) -> None:
    done = _cli(
        "sync", "--server", "http://fieldapp.example.org", "--user", "am", "--allow-http", tmp_path=tmp_path
    )
    assert "warning:" in done.stderr and "encrypted" in done.stderr
    assert "no password" in done.stderr  # it went on to the password (none given here)
