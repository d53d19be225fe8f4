"""Progress with position, a prompt cancel and compressed pages: the server says how many records a
pull brings, the client shows received of due, never a "sending" stage with nothing to send, stops
between pieces of a large page on a slow link, notices a silent server, and keeps what a stopped
pull brought for the status line."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from live_server import fast_settings, shared_app, shared_server

from fieldapp import demo
from fieldapp.errors import SyncError, SyncErrorKind
from fieldapp.store import open_store
from fieldapp.sync import protocol as P
from fieldapp.sync.client import sync
from fieldapp.sync.outbox import PULL_STATE_KEY
from server import auth

PASSWORD = "correct horse"
AREA = "3201"


class Server:
    def __init__(self, tmp_path: Path) -> None:
        self.settings = fast_settings(f"sqlite:///{tmp_path / 'server.db'}")
        self.app = shared_app(self.settings)
        self.url = shared_server(self.app).url
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", [AREA], PASSWORD)

    def token(self) -> str:
        r = requests.post(self.url + P.Paths.LOGIN, json={"user": "am", "password": PASSWORD}, timeout=10)
        return str(r.json()["token"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    yield s
    s.app.state.engine.dispose()


def _filled(server: Server, tmp_path: Path, households: int = 12) -> int:
    """Records of ``households`` demo households on the server (sent by another laptop)."""
    other = open_store(tmp_path / "other.db", user="other")
    demo.generate(other, households=households, seed=5, areas=[AREA], businesses=2, referrals=2)
    sync(other, server.url, "am", PASSWORD, retries=0)
    n = sum(other.count(f.id) for f in other.forms)
    other.close()
    return n


def test_the_first_pull_page_says_how_many_records_are_due(server: Server, tmp_path: Path) -> None:
    total = _filled(server, tmp_path)
    headers = {"Authorization": f"Bearer {server.token()}"}
    first = requests.get(
        server.url + P.Paths.PULL,
        headers=headers,
        params={"cursor": 0, "limit": 5, "count": "true"},
        timeout=10,
    ).json()
    assert first["remaining"] == total and len(first["items"]) == 5
    later = requests.get(
        server.url + P.Paths.PULL,
        headers=headers,
        params={"cursor": first["next_cursor"], "limit": 5, "count": "true"},
        timeout=10,
    ).json()
    assert later["remaining"] == total - 5
    plain = requests.get(server.url + P.Paths.PULL, headers=headers, params={"cursor": 0}, timeout=10).json()
    assert "remaining" not in plain  # only when asked


def test_pull_pages_are_gzip_compressed_when_the_client_accepts_it(server: Server, tmp_path: Path) -> None:
    _filled(server, tmp_path)
    headers = {"Authorization": f"Bearer {server.token()}"}
    url = server.url + P.Paths.PULL
    zipped = requests.get(url, headers={**headers, "Accept-Encoding": "gzip"}, stream=True, timeout=10)
    wire = zipped.raw.read(decode_content=False)
    assert zipped.headers["content-encoding"] == "gzip"
    body = gzip.decompress(wire)
    plain = requests.get(url, headers={**headers, "Accept-Encoding": "identity"}, timeout=10)
    assert "content-encoding" not in plain.headers
    assert json.loads(body)["items"] == plain.json()["items"]
    assert len(wire) * 3 < len(body)  # JSON of households compresses several times


def test_a_fresh_pull_shows_received_of_due_and_never_a_sending_stage(server: Server, tmp_path: Path) -> None:
    total = _filled(server, tmp_path)
    fresh = open_store(tmp_path / "fresh.db", user="fresh")
    seen: list[tuple[str, int, int]] = []
    report = sync(
        fresh,
        server.url,
        "am",
        PASSWORD,
        retries=0,
        page_size=7,
        progress=lambda s, d, t: seen.append((s, d, t)),
    )
    assert report.pulled == total and report.pull_due == total and report.verified
    stages = {s for s, _d, _t in seen}
    assert "push" not in stages  # nothing waited to be sent
    pulls = [(d, t) for s, d, t in seen if s == "pull" and t]
    assert pulls and all(t == total for _d, t in pulls)
    assert [d for d, _t in pulls] == sorted(d for d, _t in pulls) and pulls[-1][0] == total
    state = json.loads(fresh.sync_meta(PULL_STATE_KEY) or "{}")
    assert state["finished"] is True and state["received"] == total and state["due"] == total
    fresh.close()


def test_a_cancelled_pull_keeps_what_arrived_and_what_is_missing(server: Server, tmp_path: Path) -> None:
    total = _filled(server, tmp_path)
    fresh = open_store(tmp_path / "fresh.db", user="fresh")
    pages: list[int] = []

    def progress(stage: str, done: int, _total: int) -> None:
        if stage == "pull" and done:
            pages.append(done)

    report = sync(
        fresh,
        server.url,
        "am",
        PASSWORD,
        retries=0,
        page_size=5,
        progress=progress,
        cancel=lambda: len(pages) >= 1,
    )
    assert report.cancelled and 0 < report.pulled < total
    state = json.loads(fresh.sync_meta(PULL_STATE_KEY) or "{}")
    assert state == {**state, "finished": False, "received": report.pulled, "due": total}
    # the next sync continues from there and finishes
    again = sync(fresh, server.url, "am", PASSWORD, retries=0)
    assert again.pulled == total - report.pulled and again.verified
    assert json.loads(fresh.sync_meta(PULL_STATE_KEY) or "{}")["finished"] is True
    fresh.close()


class _SlowPull(http.server.BaseHTTPRequestHandler):
    """A server whose pull page arrives slowly (a 500 KB/s village link), piece by piece."""

    pieces_sent = 0
    pieces = 400
    piece = b" " * 16384
    stall_after: int | None = None  # stop sending (but keep the connection) after this many pieces

    def log_message(self, *_a: Any) -> None:
        pass

    def _json(self, obj: Any) -> None:
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # login
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._json({"token": "t"})

    def do_GET(self) -> None:
        import time

        if self.path.startswith(P.Paths.HANDSHAKE):
            self._json(
                {
                    "protocol": P.PROTOCOL_VERSION,
                    "server_time": P.iso(P.utc_now()),
                    "user": "am",
                    "role": "area_manager",
                    "areas": [AREA],
                }
            )
            return
        tail = b'{"items":[],"next_cursor":1,"has_more":false}'
        cls = type(self)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(cls.pieces * len(cls.piece) + len(tail)))
        self.end_headers()
        try:
            for i in range(cls.pieces):
                if cls.stall_after is not None and i >= cls.stall_after:
                    time.sleep(3)
                    return
                self.wfile.write(cls.piece)
                self.wfile.flush()
                cls.pieces_sent += 1
                time.sleep(0.03)
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            return


@pytest.fixture
def slow_server() -> Iterator[str]:
    _SlowPull.pieces_sent = 0
    _SlowPull.stall_after = None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowPull)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_cancel_stops_a_large_page_between_pieces(slow_server: str, tmp_path: Path) -> None:
    store = open_store(tmp_path / "laptop.db", user="am")
    arrived: list[int] = []

    def progress(stage: str, done: int, _total: int) -> None:
        if stage == "receive":
            arrived.append(done)

    report = sync(
        store, slow_server, "am", PASSWORD, retries=0, progress=progress, cancel=lambda: len(arrived) >= 3
    )
    assert report.cancelled
    assert _SlowPull.pieces_sent < _SlowPull.pieces // 2  # the rest of the page was never waited for
    assert store.sync_meta(PULL_STATE_KEY) is None  # nothing arrived: no pull state claimed
    store.close()


def test_a_server_that_goes_silent_mid_page_is_a_network_error(slow_server: str, tmp_path: Path) -> None:
    _SlowPull.stall_after = 5
    store = open_store(tmp_path / "laptop.db", user="am")
    with pytest.raises(SyncError) as caught:
        sync(store, slow_server, "am", PASSWORD, retries=0, timeout=0.5)
    assert caught.value.kind is SyncErrorKind.NETWORK
    store.close()


def test_laptops_learn_the_names_of_the_people_behind_logins(server: Server, tmp_path: Path) -> None:
    from fieldapp.sync.outbox import people_names
    from ui.dialogs.conflict_dialog import person

    with server.app.state.engine.begin() as conn:
        auth.add_user(conn, server.settings, "lead32", "community_leader", ["320101"], PASSWORD, "สมศรี ใจงาม")
        auth.add_user(conn, server.settings, "far", "community_leader", ["3301"], PASSWORD, "คนไกล")
    laptop = open_store(tmp_path / "laptop.db", user="am")
    sync(laptop, server.url, "am", PASSWORD, retries=0)
    names = people_names(laptop)
    assert names == {"lead32": "สมศรี ใจงาม"}  # an account of another province is not told
    assert person("lead32", names) == "สมศรี ใจงาม (lead32)"
    laptop.close()
