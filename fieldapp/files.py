"""Writing files so that a crash leaves the old content or the new, never half of one.

``write_atomic`` writes bytes through a temporary name, fsyncs and renames; ``atomic_file`` does
the same for a file written piece by piece; ``fsync_dir`` makes a rename in a folder durable.
A leaf: imports only the standard library.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def fsync_dir(folder: Path) -> None:
    """Make the names in ``folder`` durable (a no-op on Windows, where folders cannot be opened)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Make the content of a file already written durable."""
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


@contextmanager
def atomic_file(path: Path, *, suffix: str = ".tmp", sync_dir: bool = True) -> Iterator[BinaryIO]:
    """Write ``path`` through a temporary name beside it: fsync and rename when the block ends,
    nothing left behind when it raises."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        if sync_dir:
            fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves either the old or the new content."""
    with atomic_file(path) as fh:
        fh.write(data)
