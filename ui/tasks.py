"""The one background-task helper: nobody else creates threads.

``Task(fn).on_success(cb).on_failure(cb).with_progress(label, parent).start()`` runs ``fn(state)``
on a ``QThreadPool`` and calls the callbacks on the GUI thread. Reads run on a small pool; database
writes (``Task(fn, write=True)``) run on a single-thread pool, one at a time, in order. A progress
dialog appears only when the work takes longer than ``PROGRESS_DELAY_MS``; ``state.cancelled`` is
set by its Cancel button and checked by ``fn`` between chunks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from .i18n import tr

T = TypeVar("T")
PROGRESS_DELAY_MS = 600
_THROTTLE_S = 0.1


class TaskState:
    """Given to the task function: report progress, look at ``cancelled``."""

    def __init__(self, signals: _Signals) -> None:
        self._signals = signals
        self.cancelled = False
        self._last = 0.0

    def progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= _THROTTLE_S or done >= total:
            self._last = now
            self._signals.progress.emit(done, total)

    def stage(self, text: str) -> None:
        """Say what the task is doing now (shown by ``on_stage`` callbacks on the GUI thread)."""
        self._signals.stage.emit(text)


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)
    stage = Signal(str)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskState], Any], signals: _Signals, state: TaskState) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals
        self.state = state
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(self.state)
        except Exception as exc:  # delivered to on_failure on the GUI thread
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_pools: dict[str, QThreadPool] = {}
_running: set[Task[Any]] = set()


def _pool(write: bool) -> QThreadPool:
    name = "write" if write else "read"
    if name not in _pools:
        pool = QThreadPool()
        pool.setMaxThreadCount(1 if write else 2)
        _pools[name] = pool
    return _pools[name]


class Task(Generic[T]):
    def __init__(self, fn: Callable[[TaskState], T], *, write: bool = False) -> None:
        self.fn = fn
        self.write = write
        self._success: Callable[[T], None] | None = None
        self._failure: Callable[[Exception], None] | None = None
        self._on_progress: Callable[[int, int], None] | None = None
        self._on_stage: Callable[[str], None] | None = None
        self._label: str | None = None
        self._parent: QWidget | None = None
        self._signals = _Signals()
        self.state = TaskState(self._signals)
        self._dialog: QProgressDialog | None = None
        self._timer: QTimer | None = None
        self.finished = False

    def on_success(self, cb: Callable[[T], None]) -> Task[T]:
        self._success = cb
        return self

    def on_failure(self, cb: Callable[[Exception], None]) -> Task[T]:
        self._failure = cb
        return self

    def on_progress(self, cb: Callable[[int, int], None]) -> Task[T]:
        """``cb(done, total)`` on the GUI thread (for a dialog that shows its own progress)."""
        self._on_progress = cb
        return self

    def on_stage(self, cb: Callable[[str], None]) -> Task[T]:
        """``cb(text)`` on the GUI thread whenever the task calls ``state.stage(text)``."""
        self._on_stage = cb
        return self

    def with_progress(self, label: str, parent: QWidget | None = None) -> Task[T]:
        self._label = label
        self._parent = parent
        return self

    def cancel(self) -> None:
        self.state.cancelled = True

    def start(self) -> Task[T]:
        self._signals.done.connect(self._done)
        self._signals.failed.connect(self._failed)
        self._signals.progress.connect(self._progress)
        self._signals.stage.connect(self._stage)
        if self._label is not None:
            self._timer = QTimer()
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._show_progress)
            self._timer.start(PROGRESS_DELAY_MS)
        _running.add(self)
        _pool(self.write).start(_Runnable(self.fn, self._signals, self.state))
        return self

    # ----------------------------------------------------------- GUI thread

    def _show_progress(self) -> None:
        if self.finished:
            return
        dlg = QProgressDialog(self._label or "", tr("Cancel"), 0, 0, self._parent)
        dlg.setWindowTitle(tr("Please wait"))
        dlg.setMinimumDuration(0)
        dlg.canceled.connect(self.cancel)
        dlg.show()
        self._dialog = dlg

    def _stage(self, text: str) -> None:
        if self._on_stage is not None and not self.finished:
            self._on_stage(text)
        if self._dialog is not None:
            self._dialog.setLabelText(text)

    def _progress(self, done: int, total: int) -> None:
        if self._on_progress is not None and not self.finished:
            self._on_progress(done, total)
        if self._dialog is not None and total > 0:
            self._dialog.setMaximum(total)
            self._dialog.setValue(done)

    def _finish(self) -> None:
        self.finished = True
        if self._timer is not None:
            self._timer.stop()
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.deleteLater()
            self._dialog = None
        _running.discard(self)

    def _done(self, result: T) -> None:
        self._finish()
        if self._success is not None:
            self._success(result)

    def _failed(self, exc: Exception) -> None:
        self._finish()
        if self._failure is not None:
            self._failure(exc)
        else:
            from .errors import show_error

            show_error(self._parent, exc)


def wait_all(timeout_s: float = 30.0) -> None:
    """Block until every task has finished and its callbacks ran (screenshots, tests, shutdown)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        for pool in _pools.values():
            pool.waitForDone(50)
        QCoreApplication.processEvents()
        if not _running:
            QCoreApplication.processEvents()
            if not _running:
                return


class _Each(QRunnable):
    """Holds its thread until every runnable of the round has one, so each runs on its own thread."""

    def __init__(self, fn: Callable[[], None], barrier: Any, ran: list[bool]) -> None:
        super().__init__()
        self.fn, self.barrier, self.ran = fn, barrier, ran

    def run(self) -> None:
        import threading

        try:
            self.barrier.wait()
            self.fn()
            self.ran.append(True)
        except threading.BrokenBarrierError:
            pass


def on_each_worker(fn: Callable[[], None], timeout_s: float = 10.0) -> bool:
    """Run ``fn`` once on every thread of every pool (e.g. to close per-thread database
    connections before a restore). Waits for running tasks first; True when every thread ran it."""
    import threading

    wait_all(timeout_s)
    ok = True
    for pool in list(_pools.values()):
        n = pool.maxThreadCount()
        barrier = threading.Barrier(n, timeout=timeout_s)
        ran: list[bool] = []
        for _ in range(n):
            pool.start(_Each(fn, barrier, ran))
        pool.waitForDone(int(timeout_s * 1000))
        ok = ok and len(ran) == n
    return ok
