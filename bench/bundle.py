"""Benchmark of the desktop bundle (``make bench``). Prints figures; never fails on time.

* build time of ``pyinstaller.spec`` into a temporary folder (first with ``--clean``, which empties
  PyInstaller's cache, then again with the cache);
* size of the one-folder bundle (target < 250 MB) and its largest parts;
* start of the bundled desktop app to its main window (offscreen, a new empty database and a demo
  database of 1,000 households): the wall time from starting ``fieldapp --quit-after-show`` until
  it exits after showing the main window with the first page of households (target < 2 s);
* the bundled self-test.

    python bench/bundle.py [--runs 5] [--keep DIR] [--no-clean]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = ".exe" if sys.platform == "win32" else ""


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path, clean: bool) -> float:
    args = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    if clean:
        args.append("--clean")
    args += ["--distpath", str(dist), "--workpath", str(work), str(ROOT / "pyinstaller.spec")]
    t0 = time.perf_counter()
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t0


def start_times(gui: Path, db: Path, env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(gui), "--db", str(db), "--quit-after-show"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"start failed: {done.stderr[-2000:]}")
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="starts to time per database (default 5)")
    ap.add_argument("--keep", type=Path, help="build into this folder and keep it")
    ap.add_argument("--no-clean", action="store_true", help="skip the cold (--clean) build")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="fieldapp-bench-bundle-"))
    dist, build_dir = work / "dist", work / "build"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    cold = None if args.no_clean else build(dist, build_dir, clean=True)
    warm = build(dist, build_dir, clean=False)
    folder = dist / "fieldapp"
    gui, cli = folder / f"fieldapp{EXE}", folder / f"fieldapp-cli{EXE}"
    total = size_of(folder)
    if cold is not None:
        print(f"build with --clean:          {cold:6.1f} s")
    print(f"build again (cached):       {warm:6.1f} s")
    print(f"bundle size:                {total / 2**20:6.1f} MB  (target < 250 MB)")
    parts: dict[str, int] = {}
    for p in (folder / "_internal").iterdir():
        if not p.is_symlink():  # links to Qt and Pillow libraries counted where they are
            parts[p.name] = size_of(p)
    parts["fieldapp + fieldapp-cli"] = size_of(gui) + size_of(cli)
    for name, n in sorted(parts.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {name:<28} {n / 2**20:6.1f} MB")

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("FIELDAPP_DB", None)
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.db"
        demo = Path(tmp) / "demo.db"
        subprocess.run([str(cli), "--db", str(demo), "demo", "--households", "1000", "--seed", "3"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        for label, db in (("new database", empty), ("1,000 households", demo)):
            times = start_times(gui, db, env, args.runs)
            print(
                f"start to main window, {label:<16} median {statistics.median(times):.2f} s, "
                f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} (target < 2 s)"
            )
        t0 = time.perf_counter()
        done = subprocess.run([str(gui), "--self-test"], env=env, capture_output=True, text=True)
        print(f"bundled self-test:          {time.perf_counter() - t0:6.1f} s, exit {done.returncode}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
