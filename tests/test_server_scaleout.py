"""Several server processes over one database: the server keeps no state between requests but the
database, so laptops may reach any of them. Two servers run as real processes on two ports (one
of them with ``--workers 2``); laptops alternate between them, edit the same records, lose an
answer after the server committed, and one server is killed and started again. Nothing is lost,
nothing is doubled, every laptop ends with the same data and verifies. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from live_server import FaultProxy, fast_settings, free_port
from sqlalchemy import func, select

from fieldapp import demo
from fieldapp.errors import SyncError
from fieldapp.store import Store, open_store
from fieldapp.sync import protocol as P
from fieldapp.sync.client import sync
from server import auth, db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse"
AREA = "3201"


class ServerProcess:
    """``fieldapp-server run`` in a process of its own, on a port of its own."""

    def __init__(self, url: str, workers: int = 1) -> None:
        self.db_url = url
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = {**os.environ, "DATABASE_URL": self.db_url, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "server", "run", "--port", str(self.port), "--log-level", "warning"]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        # a session of its own, so that a kill reaches the worker processes too
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server ended: {self.proc.stderr.read().decode()[-2000:] if self.proc.stderr else ''}"
                )
            try:
                if requests.get(f"{self.url}{P.Paths.HANDSHAKE}", timeout=2).status_code < 500:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _edit(store: Store, form: str, rid: str, **changes: Any) -> None:
    doc = copy.deepcopy(store.get(form, rid).data)
    doc.update(changes)
    store.rewrite(form, doc, record_id=rid)


def _docs(store: Store) -> dict[str, str]:
    return {
        rid: P.canonical_json(store.get(form.id, rid).data)
        for form in store.forms
        for rid in store.ids(form.id)
    }


def _sync(store: Store, url: str) -> Any:
    return sync(store, url, "am", PASSWORD, retries=0)


def test_laptops_alternating_between_two_servers_lose_and_double_nothing(db_url: str, tmp_path: Path) -> None:
    settings = fast_settings(db_url)
    engine = db.make_engine(db_url)
    db.migrate(engine)
    with engine.begin() as conn:
        auth.add_user(conn, settings, "am", "area_manager", [AREA], PASSWORD)
    a = ServerProcess(db_url, workers=2).start()
    b = ServerProcess(db_url).start()
    proxy = FaultProxy(a.port)  # answers from server A can be lost on the way back
    laptops = [open_store(tmp_path / f"laptop{i}.db", user=f"l{i}") for i in range(3)]
    try:
        for i, s in enumerate(laptops):
            demo.generate(s, households=4, seed=10 + i, areas=[AREA], businesses=1, referrals=1)
        servers = [proxy.url, b.url]
        for i, s in enumerate(laptops):
            _sync(s, servers[i % 2])
        for s in laptops:  # everyone has everything
            _sync(s, b.url)
        shared = laptops[0].ids("household")[0]
        # three laptops edit three different answers of the same household, through different servers
        _edit(laptops[0], "household", shared, house_no="77/1")
        _edit(laptops[1], "household", shared, debt_total=12345)
        _edit(laptops[2], "household", shared, village_name="บ้านหนองแวง")
        proxy.add(P.Paths.PUSH, mode="drop")  # laptop 0's push is committed, its answer lost
        with pytest.raises(SyncError):
            _sync(laptops[0], proxy.url)
        _sync(laptops[0], b.url)  # the retry goes to the other server: a no-op, not a duplicate
        _sync(laptops[1], proxy.url)
        b.kill()  # server B dies; laptop 2 turns to A
        _sync(laptops[2], a.url)
        b.start()  # and comes back on the same database
        for _ in range(2):
            for i, s in enumerate(laptops):
                report = _sync(s, [a.url, b.url][i % 2])
        assert report.verified is True
        docs = [_docs(s) for s in laptops]
        assert docs[0] == docs[1] == docs[2]
        final = laptops[2].get("household", shared).data
        assert (final["house_no"], final["debt_total"], final["village_name"]) == (
            "77/1",
            12345,
            "บ้านหนองแวง",
        )
        made = {rid for s in laptops for rid in _docs(s)}
        with engine.connect() as conn:
            on_server = conn.execute(select(func.count()).select_from(db.records)).scalar()
            revs = conn.execute(
                select(db.revisions.c.record_id, func.count()).group_by(db.revisions.c.record_id)
            ).all()
        assert on_server == len(made) == 3 * (4 + 1 + 1)
        # the shared household: its creation and three edits, each stored once (the lost answer's
        # retry was recognised), whichever server took them
        assert dict(revs)[shared] == 4
        assert all(s.count("household", filters={"dirty": True}) == 0 for s in laptops)
    finally:
        for s in laptops:
            s.close()
        proxy.close()
        a.stop()
        b.stop()
        engine.dispose()
