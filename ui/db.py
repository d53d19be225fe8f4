"""The database of this window: one ``Store`` per thread, and the single-instance lock."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QLockFile

from fieldapp import config, drafts
from fieldapp.store import Store, open_store

from .i18n import tr


class Database:
    """Hands out a ``Store`` for the calling thread (SQLite connections never cross threads)."""

    def __init__(self, path: str | Path, user: str | None = None, default_user: str | None = None) -> None:
        self.path = Path(path)
        self.signed_in = user
        # the signed-in user, else FIELDAPP_USER, else the leader's name (settings), else the login name
        self.user = config.author(user, default=default_user)
        self._local = threading.local()
        self._main_thread = threading.get_ident()
        self.main = open_store(self.path, user=self.user)
        drafts.ensure(self.main)
        self._local.store = self.main
        self._lock = threading.Lock()
        self._workers: dict[int, Store] = {}
        self.closed = False

    def store(self) -> Store:
        found: Store | None = getattr(self._local, "store", None)
        if found is None:
            if self.closed:
                raise RuntimeError("the database was closed")
            found = open_store(self.path, user=self.user, forms=self.main.forms)
            self._local.store = found
            with self._lock:
                self._workers[threading.get_ident()] = found
        return found

    def set_default_user(self, name: str | None) -> str:
        """The leader's name changed (first-start welcome, settings): it becomes the author of later
        changes unless someone signed in or FIELDAPP_USER names another. Returns the author now."""
        self.user = config.author(self.signed_in, default=name)
        self.main.user = self.user
        with self._lock:
            for w in self._workers.values():
                w.user = self.user
        return self.user

    def reload_forms(self) -> None:
        """Take forms installed since opening (by a sync on a worker thread, say): the main store
        reads them again, and worker stores share its forms (an attribute, not a connection)."""
        self.main.reload_forms()
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:
            w.forms = self.main.forms

    def close(self) -> None:
        self.main.close()

    def _close_own(self) -> None:
        found: Store | None = getattr(self._local, "store", None)
        if found is not None and found is not self.main:
            found.close()
            self._local.store = None
            with self._lock:
                self._workers.pop(threading.get_ident(), None)

    def close_all(self) -> bool:
        """Close every connection of this window, the worker threads' too (before a restore).
        True when none is left open."""
        from . import tasks

        self.closed = True
        with self._lock:
            busy = bool(self._workers)
        if busy:
            tasks.on_each_worker(self._close_own)
        self.main.close()
        with self._lock:
            left = list(self._workers.values())
            self._workers.clear()
        if left:  # threads that ended: dropping the last reference closes their connections
            import gc

            del left
            gc.collect()
        return True


class InstanceLock:
    """Only one window may open a database; a second gets a clear message."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(str(db_path) + ".lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(self.path))
        self._lock.setStaleLockTime(0)

    def acquire(self) -> bool:
        return bool(self._lock.tryLock(200))

    def release(self) -> None:
        self._lock.unlock()

    @staticmethod
    def refusal_message(db_path: str | Path) -> str:
        return tr(
            "This database is already open in another fieldapp window.\n"
            "Please switch to that window, or close it first.\n\nDatabase: {path}",
            path=str(db_path),
        )
