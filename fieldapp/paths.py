"""Where a laptop's files are: the default database, and the files that live beside a database.

For a database ``D`` (any folder):

* ``D.keys`` — the key file of an encrypted database (``.keys.pending`` while it is being made,
  ``.keys.attempts`` counts failed sign-ins);
* ``D.attachments/`` — photos and other attachments, by SHA-256;
* ``backups/`` beside ``D`` — the checked backups of ``D``.

A leaf: imports only the standard library; nothing here reads or writes a file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP_FOLDER = "fieldapp"
DATABASE_NAME = "fieldapp.db"
BACKUPS_FOLDER = "backups"
ATTACHMENTS_SUFFIX = ".attachments"
KEYS_SUFFIX = ".keys"
PENDING_SUFFIX = ".keys.pending"
ATTEMPTS_SUFFIX = ".keys.attempts"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's data folder for the app: ``%LOCALAPPDATA%\\fieldapp`` on Windows, else
    ``$XDG_DATA_HOME/fieldapp`` (``~/.local/share/fieldapp``)."""
    env = os.environ if environ is None else environ
    if os.name == "nt":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(env.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / APP_FOLDER


def default_database(environ: Mapping[str, str] | None = None) -> Path:
    """``fieldapp.db`` in the user's data folder (``FIELDAPP_DB`` is applied by ``fieldapp.config``)."""
    return data_dir(environ) / DATABASE_NAME


def _beside(db_path: str | Path, suffix: str) -> Path:
    p = Path(db_path)
    return p.with_name(p.name + suffix)


def keys_file(db_path: str | Path) -> Path:
    return _beside(db_path, KEYS_SUFFIX)


def pending_keys_file(db_path: str | Path) -> Path:
    return _beside(db_path, PENDING_SUFFIX)


def attempts_file(db_path: str | Path) -> Path:
    return _beside(db_path, ATTEMPTS_SUFFIX)


def attachments_dir(db_path: str | Path) -> Path:
    return _beside(db_path, ATTACHMENTS_SUFFIX)


def backups_dir(db_path: str | Path) -> Path:
    return Path(db_path).resolve().parent / BACKUPS_FOLDER
