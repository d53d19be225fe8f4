"""The practice database: a separate file next to the real one, filled with demo households, where a
new leader tries the program without recording anything real.

``fieldapp.db`` has its practice database ``fieldapp-practice.db`` in the same folder; the name is
what marks a database as practice (the desktop app says so in its title and status bar and never
syncs it). Nothing here touches the real database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fieldapp import demo
from fieldapp.errors import FieldAppError
from fieldapp.store import open_store

SUFFIX = "-practice"
HOUSEHOLDS = 150
SEED = 2569
PARTS = 6


class PracticeCancelled(FieldAppError):
    """Creating the practice database was stopped; nothing is left behind."""

    def __init__(self) -> None:
        super().__init__("หยุดสร้างฐานข้อมูลฝึกหัดแล้ว", "making the practice database was stopped")


def practice_path(real: str | Path) -> Path:
    """The practice database that belongs to the database ``real`` (same folder)."""
    p = Path(real)
    return p if is_practice(p) else p.with_name(f"{p.stem}{SUFFIX}{p.suffix or '.db'}")


def is_practice(path: str | Path) -> bool:
    return Path(path).stem.endswith(SUFFIX)


def real_path(practice: str | Path) -> Path:
    """The real database a practice database belongs to."""
    p = Path(practice)
    return p.with_name(p.stem[: -len(SUFFIX)] + p.suffix) if is_practice(p) else p


def _remove(path: Path) -> None:
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + extra).unlink(missing_ok=True)


def create(
    real: str | Path,
    *,
    area: str | None = None,
    user: str = "practice",
    households: int = HOUSEHOLDS,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Make the practice database of ``real`` with demo households (in the subdistrict ``area`` when
    given, else in the demo provinces) and return its path. An existing practice database is
    replaced. Stopped (``cancelled``) or failed, the half-made file is removed."""
    path = practice_path(real)
    if path == Path(real):
        raise ValueError("the practice database needs a real database beside it")
    _remove(path)

    # in parts, so that progress moves and Cancel is heard between them (each part's own seed)
    parts = [households // PARTS + (1 if i < households % PARTS else 0) for i in range(PARTS)]
    try:
        with open_store(path, user=user) as store:
            for i, n in enumerate(p for p in parts if p):
                if cancelled is not None and cancelled():
                    raise PracticeCancelled()
                demo.generate(store, households=n, seed=SEED + i, areas=[area] if area else None, workers=1)
                if progress is not None:
                    progress(sum(parts[: i + 1]), households)
    except BaseException:
        _remove(path)
        raise
    return path
