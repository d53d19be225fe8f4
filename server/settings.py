"""Server settings, declared once with their defaults (environment variables override)."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_DB = "fieldapp-server.db"


def default_database_url(db_path: str | None = None) -> str:
    """``DATABASE_URL`` when set (and no path given), else a SQLite file."""
    if db_path is None and os.environ.get("DATABASE_URL"):
        return normalise_url(os.environ["DATABASE_URL"])
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
    login_max_delay_seconds: int = 300
    # Argon2id cost (argon2-cffi defaults are the RFC 9106 low-memory profile)
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 64 * 1024
    argon2_parallelism: int = 4
    # hooks for tests and operations
    clock: Callable[[], _dt.datetime] = field(default=lambda: _dt.datetime.now(_dt.UTC))
    fault_hook: Callable[[str, int], None] | None = None  # called as (stage, index) inside a push

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        s = cls(database_url=database_url or default_database_url())
        if os.environ.get("FIELDAPP_TOKEN_TTL"):
            s.token_ttl_seconds = int(os.environ["FIELDAPP_TOKEN_TTL"])
        if os.environ.get("FIELDAPP_MAX_REQUEST_BYTES"):
            s.max_request_bytes = int(os.environ["FIELDAPP_MAX_REQUEST_BYTES"])
        return s
