"""Failed logins are throttled atomically, per account and per source, against the real server.

The attempts run in parallel threads over loopback HTTP, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from live_server import LiveServer, fast_settings, shared_app
from sqlalchemy import func, select

from fieldapp.sync import protocol as P
from server import auth, db

PASSWORD = "correct horse"


class Clock:
    def __init__(self) -> None:
        self.now = _dt.datetime(2026, 3, 1, 9, 0, tzinfo=_dt.UTC)

    def __call__(self) -> _dt.datetime:
        return self.now


class Live:
    def __init__(self, db_url: str) -> None:
        self.clock = Clock()
        self.settings = fast_settings(db_url, clock=self.clock, login_source_free_failures=1000)
        self.app = shared_app(self.settings)
        with self.app.state.engine.begin() as conn:
            auth.add_user(conn, self.settings, "am", "area_manager", ["3201"], PASSWORD)
        self.server = LiveServer(self.app).start()

    def login(self, user: str, password: str) -> int:
        r = requests.post(
            self.server.url + P.Paths.LOGIN, json={"user": user, "password": password}, timeout=30
        )
        assert r.headers["content-type"].startswith("application/json")
        return r.status_code

    def parallel(self, attempts: list[tuple[str, str]]) -> Counter[int]:
        start = threading.Barrier(len(attempts))
        out: list[int] = []

        def one(user: str, password: str) -> None:
            start.wait()
            out.append(self.login(user, password))

        threads = [threading.Thread(target=one, args=a) for a in attempts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return Counter(out)

    def failure_rows(self) -> int:
        with self.app.state.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(db.login_failures)).scalar_one())


@pytest.fixture
def live(db_url: str) -> Iterator[Live]:
    a = Live(db_url)
    yield a
    a.server.stop()
    a.app.state.engine.dispose()


@pytest.fixture
def slow_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A password check that takes as long as a real Argon2id one, so parallel attempts overlap."""
    verify = PasswordHasher.verify

    def slow_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        time.sleep(0.2)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow_verify)


def test_parallel_logins_after_the_delay_are_not_all_checked(live: Live, slow_hash: None) -> None:
    for _ in range(live.settings.login_free_failures):
        assert live.login("am", "bad password") == 401
    assert live.login("am", "bad password") == 429
    live.clock.now += _dt.timedelta(seconds=live.settings.login_max_delay_seconds)
    answers = live.parallel([("am", f"guess {i}") for i in range(12)])
    assert answers == Counter({401: 1, 429: 11}), answers


def test_concurrent_first_failures_never_fail_on_the_server(live: Live, slow_hash: None) -> None:
    answers = live.parallel([("am", f"guess {i}") for i in range(16)])
    assert set(answers) <= {401, 429}, answers
    assert answers[401] == live.settings.login_free_failures  # the free attempts, no more


def test_concurrent_first_failures_of_a_made_up_name_never_fail_on_the_server(
    live: Live, slow_hash: None
) -> None:
    answers = live.parallel([("nobody", f"guess {i}") for i in range(16)])
    assert set(answers) <= {401, 429}, answers


def test_the_right_password_gets_in_after_the_wait_and_clears_the_count(live: Live) -> None:
    for _ in range(live.settings.login_free_failures):
        assert live.login("am", "bad password") == 401
    assert live.login("am", PASSWORD) == 429
    live.clock.now += _dt.timedelta(seconds=2)
    assert live.login("am", PASSWORD) == 200
    assert [live.login("am", PASSWORD) for _ in range(3)] == [200, 200, 200]


def test_made_up_names_do_not_grow_the_failure_table(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "UNKNOWN_BUCKETS", 8)
    for i in range(60):
        live.login(f"made-up-{i}", "guess")
    assert live.failure_rows() <= 8 + 1  # the buckets and the one source address


def test_one_source_is_slowed_down_whatever_names_it_tries(live: Live) -> None:
    live.settings.login_source_free_failures = 10
    answers = [live.login(f"made-up-{i}", "guess") for i in range(11)]
    assert answers[:10] == [401] * 10 and answers[10] == 429
    # another account is blocked from that source too, until its wait has passed
    assert live.login("am", PASSWORD) == 429
    live.clock.now += _dt.timedelta(seconds=2)
    assert live.login("am", PASSWORD) == 200


def test_many_people_signing_in_at_once_behind_one_address_all_get_in(live: Live, slow_hash: None) -> None:
    """An office (or a benchmark) behind one address: right passwords checked at the same time
    are no failures, however many more there are than the source's free failures."""
    live.settings.login_source_free_failures = 3
    with live.app.state.engine.begin() as conn:
        for i in range(16):
            auth.add_user(conn, live.settings, f"lead{i}", "community_leader", ["3201"], PASSWORD)
    answers = live.parallel([(f"lead{i}", PASSWORD) for i in range(16)])
    assert answers == Counter({200: 16}), answers
    assert live.failure_rows() == 1  # the source's row, at no failures; no place left taken
    with live.app.state.engine.connect() as conn:
        assert conn.execute(select(db.login_failures.c.failures)).scalar_one() == 0


def test_a_burst_of_guesses_from_one_address_is_bounded(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    live.settings.login_source_parallel = 4
    # every check is held until the other attempts have been refused, so all twelve overlap
    # however slowly the machine starts their threads
    verify, checking, go = PasswordHasher.verify, [0], threading.Event()

    def held_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        checking[0] += 1
        go.wait(20)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", held_verify)
    refused: list[int] = []
    original = live.login

    def login(user: str, password: str) -> int:
        status = original(user, password)
        if status == 429:
            refused.append(status)
        return status

    live.login = login  # type: ignore[method-assign]

    def release() -> None:
        end = time.monotonic() + 20
        while checking[0] + len(refused) < 12 and time.monotonic() < end:
            time.sleep(0.01)
        go.set()

    threading.Thread(target=release).start()
    answers = live.parallel([(f"made-up-{i}", "guess") for i in range(12)])
    assert answers == Counter({401: 4, 429: 8}), answers
    # the four failures are counted for the source once their checks end
    with live.app.state.engine.connect() as conn:
        failures = conn.execute(
            select(db.login_failures.c.failures).where(
                db.login_failures.c.name == auth.source_key("127.0.0.1")
            )
        ).scalar_one()
    assert failures == 4


def test_places_left_by_a_stopped_server_are_not_held_for_ever(live: Live) -> None:
    live.settings.login_source_parallel = 2
    stamp = live.clock.now.isoformat()
    with live.app.state.engine.begin() as conn:
        conn.execute(
            db.login_failures.insert().values(
                name=auth.pending_key(auth.source_key("127.0.0.1")), failures=2, last_at=stamp
            )
        )
    assert live.login("am", PASSWORD) == 429  # both places taken by checks still running
    live.clock.now += auth.PENDING_STALE + _dt.timedelta(seconds=1)
    assert live.login("am", PASSWORD) == 200


def test_failure_rows_are_forgotten_after_a_day(live: Live) -> None:
    live.login("am", "bad password")
    assert live.failure_rows() == 2
    live.clock.now += auth.FAILURE_RETENTION + _dt.timedelta(seconds=1)
    live.login("am", PASSWORD)
    assert live.failure_rows() == 1  # only this attempt's source row (its advance count taken back)


def test_no_password_is_hashed_while_the_sqlite_write_lock_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "server.db"
    a = Live(f"sqlite:///{path}")
    locked: list[bool] = []
    verify = PasswordHasher.verify

    def probing_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            locked.append(False)
        except sqlite3.OperationalError:
            locked.append(True)
        finally:
            probe.close()
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", probing_verify)
    try:
        assert a.login("am", PASSWORD) == 200
        assert a.login("am", "bad password") == 401
        assert a.login("nobody", "bad password") == 401
    finally:
        a.server.stop()
        a.app.state.engine.dispose()
    assert locked == [False, False, False]
