"""Create ``.venv`` with pip, even where the system Python lacks ``ensurepip``.

Debian's ``python3`` has the ``venv`` module but, without the ``python3-venv`` package, no
``ensurepip``: ``python3 -m venv`` then fails. In that case this script creates the environment
without pip and installs pip from its wheel on PyPI (a wheel can run its own installer).
Standard library only; run as ``python3 tools/make_venv.py .venv``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv
from pathlib import Path


def _python(target: Path) -> Path:
    return target / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _has_pip(target: Path) -> bool:
    py = _python(target)
    return (
        py.exists()
        and subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True).returncode == 0
    )


def _bootstrap_pip(target: Path) -> None:
    index = "https://pypi.org/pypi/pip/json"
    with urllib.request.urlopen(index, timeout=60) as resp:
        info = json.load(resp)
    wheel = next(u for u in info["urls"] if u["packagetype"] == "bdist_wheel")
    url = urllib.parse.urljoin(index, wheel["url"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / wheel["filename"]
        with urllib.request.urlopen(url, timeout=120) as resp:
            path.write_bytes(resp.read())
        subprocess.run([str(_python(target)), f"{path}/pip", "install", "--quiet", str(path)], check=True)


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".venv")
    if _has_pip(target):
        return 0
    try:
        venv.create(target, with_pip=True, clear=target.exists())
    except (subprocess.CalledProcessError, OSError):
        venv.create(target, with_pip=False, clear=True)
    if not _has_pip(target):
        print("ensurepip is not available: installing pip from PyPI", file=sys.stderr)
        _bootstrap_pip(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
