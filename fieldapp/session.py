"""Sign-in sessions of the desktop app, without Qt: who is signed in, and when to lock.

The app locks after ``idle_lock_minutes`` without input (a setting kept in the database, default
10; 0 = never) and when the laptop goes to sleep. Locking forgets the data key
(``fieldapp.crypto.forget``); signing in again unwraps it with the same passphrase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fieldapp import crypto
from fieldapp.store import Store, open_store

IDLE_KEY = "privacy.idle_lock_minutes"
DEFAULT_IDLE_MINUTES = 10
SLEEP_GAP_SECONDS = 120.0  # a clock jump this large between ticks means the laptop slept


def idle_minutes(store: Store) -> int:
    raw = store._meta_get(IDLE_KEY)
    try:
        return max(0, int(raw)) if raw is not None else DEFAULT_IDLE_MINUTES
    except ValueError:
        return DEFAULT_IDLE_MINUTES


def set_idle_minutes(store: Store, minutes: int) -> None:
    with store.transaction():
        store._meta_set(IDLE_KEY, str(max(0, int(minutes))))
        store.audit("setting", detail={IDLE_KEY: int(minutes)})


@dataclass
class IdleLock:
    """Decides when to lock: call ``touch()`` on user input and ``tick()`` from a timer."""

    minutes: int = DEFAULT_IDLE_MINUTES
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    last_input: float = field(default=0.0)
    last_tick_wall: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.last_input = self.clock()
        self.last_tick_wall = self.wall()

    def touch(self) -> None:
        self.last_input = self.clock()

    def tick(self) -> bool:
        """True when the app should lock now (idle too long, or the laptop just woke up)."""
        now_wall = self.wall()
        slept = now_wall - self.last_tick_wall > SLEEP_GAP_SECONDS
        self.last_tick_wall = now_wall
        idle = self.minutes > 0 and self.clock() - self.last_input >= self.minutes * 60
        return slept or idle


def users(db_path: str | Path) -> list[dict[str, str]]:
    """The local users to offer at sign-in (empty for a plain database)."""
    if not crypto.keys_path(db_path).exists():
        return []
    return crypto.KeyFile.load(db_path).users()


def sign_in(db_path: str | Path, user: str | None, passphrase: str) -> crypto.Unlocked:
    """Unwrap the data key (AccessError with a Thai message and ``wait_seconds`` when refused)."""
    found = crypto.unlock(db_path, passphrase, user)
    with open_store(db_path, user=found.user) as store:
        store.audit("sign_in", detail={"role": found.role})
    return found


def lock(db_path: str | Path) -> None:
    crypto.forget(db_path)
