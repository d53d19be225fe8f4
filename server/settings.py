"""Server settings, declared once with their defaults (environment variables override)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

from fieldapp import config
from fieldapp.clock import utc_now

DEFAULT_DB = "fieldapp-server.db"


def default_database_url(db_path: str | None = None) -> str:
    """``DATABASE_URL`` when set (and no path given), else a SQLite file."""
    url = config.get(config.DATABASE_URL)
    if db_path is None and url:
        return normalise_url(url)
    return f"sqlite:///{db_path or DEFAULT_DB}"


def normalise_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` forms and use the psycopg driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass
class Settings:
    database_url: str = field(default_factory=default_database_url)
    token_ttl_seconds: int = 15 * 60
    max_request_bytes: int = 8 * 1024 * 1024
    # failed logins: after `login_free_failures`, each further attempt waits 2^(n - free) s (capped)
    login_free_failures: int = 3
    # the same per source address (one office behind one address may share it, so it is higher)
    login_source_free_failures: int = 20
    # attempts from one source whose passwords are being checked at once (while it has free failures)
    login_source_parallel: int = 64
    login_max_delay_seconds: int = 300
    # Argon2id cost (argon2-cffi defaults are the RFC 9106 low-memory profile)
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 64 * 1024
    argon2_parallelism: int = 4
    # hooks for tests and operations
    clock: Callable[[], _dt.datetime] = utc_now
    fault_hook: Callable[[str, int], None] | None = None  # called as (stage, index) inside a push

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        s = cls(database_url=database_url or default_database_url())
        ttl = config.get(config.TOKEN_TTL)
        if ttl:
            s.token_ttl_seconds = int(ttl)
        largest = config.get(config.MAX_REQUEST_BYTES)
        if largest:
            s.max_request_bytes = int(largest)
        return s
