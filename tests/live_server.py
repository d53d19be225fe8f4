"""Helpers to run the real server on loopback for tests and benchmarks, and to inject faults.

``LiveServer`` runs uvicorn in a thread on 127.0.0.1 with a free port. ``FaultProxy`` sits
between a client and the server on its own port and, on request, breaks the connection in the
ways village mobile data does: dropped after the server answered, a cut-off answer, or a
captive-portal web page instead of the server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from server.settings import Settings


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fieldapp-test-server", daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Fault:
    """Break the ``nth`` request (1-based) whose request line contains ``path``.

    ``mode``: ``drop`` (forward the request, wait for the server's answer, then close without
    passing it on), ``truncate`` (pass on half of the answer, then close) or ``portal`` (never
    reach the server; answer a 200 HTML login page).
    """

    path: str
    nth: int = 1
    mode: str = "drop"
    seen: int = 0
    fired: bool = False


PORTAL_PAGE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 83\r\n"
    b"Connection: close\r\n\r\n"
    b"<html><body><h1>Welcome to Village WiFi</h1><p>Please log in.</p></body></html>\n\n\n\n\n"
)


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``target_port`` that can break chosen requests."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        self.running = True
        self.thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self.thread.start()

    def add(self, path: str, nth: int = 1, mode: str = "drop") -> Fault:
        fault = Fault(path, nth, mode)
        with self.lock:
            self.faults.append(fault)
        return fault

    def close(self) -> None:
        self.running = False
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _match(self, head: bytes) -> Fault | None:
        line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        with self.lock:
            for f in self.faults:
                if not f.fired and f.path in line:
                    f.seen += 1
                    if f.seen == f.nth:
                        f.fired = True
                        return f
        return None

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
            client.settimeout(30)
            while True:
                request = _read_request(client)
                if request is None:
                    return
                fault = self._match(request)
                if fault is not None and fault.mode == "portal":
                    client.sendall(PORTAL_PAGE)
                    return
                upstream.sendall(request)
                response = _read_response(upstream)
                if response is None:
                    return
                if fault is not None and fault.mode == "drop":
                    return
                if fault is not None and fault.mode == "truncate":
                    client.sendall(
                        response[
                            : max(1, len(response) - max(10, (len(response) - _head_len(response)) // 2))
                        ]
                    )
                    return
                client.sendall(response)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                client.close()
            if upstream is not None:
                with contextlib.suppress(OSError):
                    upstream.close()


def _head_len(data: bytes) -> int:
    i = data.find(b"\r\n\r\n")
    return len(data) if i < 0 else i + 4


def _read_until_head(sock: socket.socket) -> bytes | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return buf


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _read_body(sock: socket.socket, buf: bytes) -> bytes | None:
    head_len = _head_len(buf)
    need = head_len + _content_length(buf[:head_len])
    while len(buf) < need:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return buf


def _read_request(sock: socket.socket) -> bytes | None:
    buf = _read_until_head(sock)
    return None if buf is None else _read_body(sock, buf)


def _read_response(sock: socket.socket) -> bytes | None:
    buf = _read_until_head(sock)
    if buf is None:
        return None
    head = buf[: _head_len(buf)].lower()
    if b"transfer-encoding: chunked" in head:
        while not buf.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
        return buf
    return _read_body(sock, buf)


@contextlib.contextmanager
def live(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


# ---------------------------------------------------------------------- databases for tests

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_pg_probe: dict[str, str | None] = {}


def postgres_url() -> tuple[str | None, str]:
    """(URL, "") of a PostgreSQL server for tests, or (None, why not)."""
    import os

    from server.settings import normalise_url

    url = normalise_url(os.environ.get("FIELDAPP_TEST_DATABASE_URL") or PG_DEFAULT)
    if url not in _pg_probe:
        try:
            import psycopg
            from sqlalchemy.engine import make_url

            u = make_url(url)
            psycopg.connect(
                host=u.host or "127.0.0.1",
                port=u.port or 5432,
                dbname=u.database,
                user=u.username,
                password=u.password,
                connect_timeout=2,
            ).close()
            _pg_probe[url] = None
        except Exception as exc:  # any failure means: no PostgreSQL for this run
            _pg_probe[url] = f"PostgreSQL not reachable at {url}: {exc.__class__.__name__}"
    why = _pg_probe[url]
    return (None, why) if why else (url, "")


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema for one test (tests may run in parallel); yields a URL that uses it."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def fast_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: cheap Argon2 parameters (the algorithm stays Argon2id)."""
    s = Settings(database_url=database_url, argon2_time_cost=1, argon2_memory_cost=1024, argon2_parallelism=1)
    for k, v in overrides.items():
        setattr(s, k, v)
    return s


_shared: dict[str, object] = {}


def shared_app(settings: Settings) -> FastAPI:
    """One app per test process, bound to a fresh database for each test (building routes is slow)."""
    from server.app import bind, create_app

    app = _shared.get("app")
    if not isinstance(app, FastAPI):
        app = create_app(settings)
        _shared["app"] = app
    else:
        bind(app, settings)
    return app


def shared_server(app: FastAPI) -> LiveServer:
    """One loopback server per test process for the shared app (stopped when the process ends)."""
    server = _shared.get("server")
    if not isinstance(server, LiveServer) or server.app is not app:
        server = LiveServer(app).start()
        _shared["server"] = server
    return server
