"""Worker processes of large imports and demos start in the bundle as they do from source.

In a PyInstaller bundle, ``sys.frozen`` is set and multiprocessing (spawn) starts a worker by
running the bundle's own executable with ``--multiprocessing-fork tracker_fd=… pipe_handle=…``; the
entry point must call ``multiprocessing.freeze_support()`` or the worker reads those words as a
command line, dies, and the parent waits forever. This test runs the real entry point the same way:
a stand-in "executable" sets ``sys.frozen``, runs PyInstaller's multiprocessing runtime hook (as the
bundle does before the entry point) and then the entry point; workers are started through it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp.exchange import export
from fieldapp.store import open_store

ROOT = Path(__file__).resolve().parent.parent

STAND_IN = """
import multiprocessing, multiprocessing.spawn, runpy, sys
sys.frozen = True
hook = {hook!r}
exec(compile(open(hook, encoding="utf-8").read(), hook, "exec"), {{"__name__": "pyi_rth"}})
multiprocessing.set_executable({launcher!r})
if not multiprocessing.spawn.is_forking(sys.argv) and "-c" not in sys.argv:
    # the parent: a small import takes the parallel path (two chunks, two workers)
    from fieldapp.exchange import importer
    importer.PARALLEL_THRESHOLD = 1
    importer.CHUNK = 3
runpy.run_path({entry!r}, run_name="__main__")
"""


def _runtime_hook() -> str:
    pyinstaller = pytest.importorskip("PyInstaller")
    hook = Path(pyinstaller.__file__).parent / "hooks" / "rthooks" / "pyi_rth_multiprocessing.py"
    if not hook.exists():
        pytest.skip("PyInstaller's multiprocessing runtime hook not found")
    return str(hook)


def test_a_parallel_import_finishes_when_workers_start_as_in_the_bundle(demo_db: str, tmp_path: Path) -> None:
    listing = tmp_path / "households.csv"
    with open_store(demo_db) as source:
        export(source, "household", "csv", listing, unmask=True, codes=True)
    listing_rows = tmp_path / "six.csv"
    lines = listing.read_text("utf-8-sig").splitlines(keepends=True)
    listing_rows.write_text("".join(lines[:7]), "utf-8-sig")  # the header and six households
    stand_in = tmp_path / "stand_in.py"
    launcher = tmp_path / "fieldapp-cli"
    stand_in.write_text(
        STAND_IN.format(
            hook=_runtime_hook(), launcher=str(launcher), entry=str(ROOT / "fieldapp" / "__main__.py")
        ),
        "utf-8",
    )
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{stand_in}" "$@"\n', "utf-8")
    launcher.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db = tmp_path / "bundle.db"
    proc = subprocess.Popen(
        [str(launcher), "--db", str(db), "import", str(listing_rows), "--form", "household"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # so a hanging parent and its workers can be stopped together
    )
    try:
        _out, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the import never finished: its worker processes did not start")
    assert proc.returncode == 0, err[-2000:]
    assert "invalid choice" not in err
    with open_store(db) as store:
        assert store.count("household") == 6
