"""Build the desktop bundle with pyinstaller.spec into a temporary folder and run its self-test.

About 30-60 s on 2 cores (the build is most of it; PyInstaller caches analysed binaries in
~/.cache/pyinstaller between runs). Slow, but CI runs it: a bundle that does not start is the
failure the laptops would see first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fieldapp

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 250 * 1024 * 1024
EXE = ".exe" if sys.platform == "win32" else ""


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def unwanted_files(folder: Path) -> list[str]:
    """Files that must not be in the bundle: WebEngine, QML, tests, tkinter, other babel locales."""
    bad = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).as_posix()
        name = p.name.lower()
        if re.search(r"webengine|qtquick|qt6qml|qtqml|tkinter|tcl8|tk8", rel, flags=re.I):
            bad.append(rel)
        elif re.search(r"(^|/)(tests?|testing)(/|$)", rel) or re.match(r"(test_.*|.*_test)\.py$", name):
            bad.append(rel)
        elif "/babel/locale-data/" in f"/{rel}" and not re.match(
            r"(root|th|th_TH|en|en_001|en_US)\.dat$", p.name
        ):
            bad.append(rel)
    return bad


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    work = tmp_path_factory.mktemp("bundle")
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(ROOT / "pyinstaller.spec"),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    return work / "dist" / "fieldapp", took


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp), XDG_DATA_HOME=str(tmp / "data"))
    env.pop("FIELDAPP_DB", None)
    return env


@pytest.mark.slow
def test_bundle_builds_small_and_passes_its_self_test(bundle: tuple[Path, float], tmp_path: Path) -> None:
    folder, build_s = bundle
    gui, cli = folder / f"fieldapp{EXE}", folder / f"fieldapp-cli{EXE}"
    assert gui.is_file() and cli.is_file()

    size = folder_size(folder)
    assert size < MAX_BYTES, f"bundle is {size / 2**20:.0f} MB"
    assert not unwanted_files(folder), unwanted_files(folder)[:20]
    internal = folder / "_internal"
    for needed in ("NOTICE", "resources/fonts/OFL.txt", "resources/fonts/Sarabun-Regular.ttf",
                   "forms/household.yaml", "translations/th.json", "translations/qt_th.qm",
                   "geothai/_data/subdistricts.json", "pythainlp/corpus/words_th.txt"):  # fmt: skip
        assert (internal / needed).is_file(), needed
    corpus = sorted(p.name for p in (internal / "pythainlp" / "corpus").iterdir())
    assert corpus == ["corpus_license.md", "default_db.json", "stopwords_th.txt", "words_th.txt"]

    env = _env(tmp_path)
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.stdout.strip() == f"fieldapp {fieldapp.__version__}"

    outputs = {}
    for exe in (gui, cli):
        run = subprocess.run([exe, "--self-test"], capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "self-test passed" in run.stdout and "FAILED" not in run.stdout
        assert f"bundle {internal}" in run.stdout  # files came from the bundle, not from the source tree
        outputs[exe] = run.stdout
    assert "  ok      main window: " in outputs[gui]  # the desktop executable adds the Qt steps
    assert "  ok      household PDF report: " in outputs[cli]

    # the desktop app starts to its main window and quits (the start-up benchmark's measure)
    t0 = time.perf_counter()
    shown = subprocess.run(
        [gui, "--db", str(tmp_path / "field.db"), "--quit-after-show"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    start_s = time.perf_counter() - t0
    assert shown.returncode == 0, shown.stderr
    assert "main window shown in" in shown.stdout
    assert (tmp_path / "field.db").is_file()
    print(f"bundle: {size / 2**20:.0f} MB, build {build_s:.0f} s, start to main window {start_s:.2f} s")
