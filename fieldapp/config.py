"""The environment variables, declared once: name, what it sets, and who reads it.

Only the entry points read the environment — the command line (``fieldapp.cli``,
``fieldapp.cli_privacy``), the desktop app (``ui``) and the server's command line and settings —
through ``get``; the rest of the program receives the values as arguments (a test checks that
nothing else reads a ``FIELDAPP_`` variable). docs/cli.md lists them.
A leaf: imports only the standard library.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fieldapp import paths


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    read_by: str  # "laptop", "server", "laptop and server", "tests"
    secret: bool = False


DB = Variable(
    "FIELDAPP_DB", "the laptop's database file (default: fieldapp.db in the user's data folder)", "laptop"
)
USER = Variable(
    "FIELDAPP_USER", "the name recorded as the author of changes (default: the login name)", "laptop"
)
OFFICE = Variable(
    "FIELDAPP_OFFICE",
    "the issuing office printed in report headers (default for `report --office`)",
    "laptop",
)
PROVINCE = Variable(
    "FIELDAPP_PROVINCE", "the issuing office's province (default for `report --office-province`)", "laptop"
)
PASSWORD = Variable(
    "FIELDAPP_PASSWORD",
    "the password for `fieldapp sync`, or a new account's password for `fieldapp-server adduser`",
    "laptop and server",
    secret=True,
)
PASSPHRASE = Variable("FIELDAPP_PASSPHRASE", "the passphrase of an encrypted database", "laptop", secret=True)
NEW_PASSPHRASE = Variable(
    "FIELDAPP_NEW_PASSPHRASE",
    "a new passphrase (new user, changed passphrase, recovery)",
    "laptop",
    secret=True,
)
RECOVERY_KEY = Variable(
    "FIELDAPP_RECOVERY_KEY", "the recovery key of an encrypted database", "laptop", secret=True
)
DATABASE_URL = Variable(
    "DATABASE_URL", "the server's database (default: SQLite fieldapp-server.db)", "server"
)
TOKEN_TTL = Variable("FIELDAPP_TOKEN_TTL", "seconds a sign-in token of the server lasts", "server")
MAX_REQUEST_BYTES = Variable(
    "FIELDAPP_MAX_REQUEST_BYTES", "the largest request body the server takes", "server"
)
TEST_KILL_AT = Variable(
    "FIELDAPP_TEST_KILL_AT",
    "tests only: the step of an encryption at which the process kills itself",
    "tests",
)

VARIABLES: tuple[Variable, ...] = (
    DB,
    USER,
    OFFICE,
    PROVINCE,
    PASSWORD,
    PASSPHRASE,
    NEW_PASSPHRASE,
    RECOVERY_KEY,
    DATABASE_URL,
    TOKEN_TTL,
    MAX_REQUEST_BYTES,
    TEST_KILL_AT,
)


def get(var: Variable, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value; None when it is not set or empty."""
    return (os.environ if environ is None else environ).get(var.name) or None


def login_name() -> str:
    """The operating system's name of the person logged in ("user" when it cannot tell)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "user"


def author(
    explicit: str | None = None, environ: Mapping[str, str] | None = None, default: str | None = None
) -> str:
    """The name recorded as the author of changes: ``--user`` (or the signed-in user), else
    ``FIELDAPP_USER``, else ``default`` (the desktop app's leader's name), else the login name."""
    return explicit or get(USER, environ) or (default or "").strip() or login_name()


def database_path(explicit: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The laptop's database: ``--db``, else ``FIELDAPP_DB``, else the user's data folder."""
    if explicit:
        return Path(explicit)
    return Path(get(DB, environ) or paths.default_database(environ))
