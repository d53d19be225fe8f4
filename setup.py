"""How the source tree installs (the metadata is in pyproject.toml).

In the source tree and in the PyInstaller bundle the server is the folder ``server/`` and the
desktop app ``ui/``, and ``forms/``, ``resources/`` and ``translations/`` sit beside the packages.
Installed, nothing gets a generic top-level name: the server becomes the package
``fieldapp_server`` and the desktop app ``fieldapp_ui`` (the modules of each import each other
relatively, so both names work), and the three data folders are copied into the package as
``fieldapp/_bundle/``, where ``fieldapp.resources`` finds them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_FOLDERS = ("forms", "resources", "translations")


class BuildWithData(build_py):
    """The usual build, plus the data folders inside the ``fieldapp`` package."""

    def run(self) -> None:
        super().run()
        for name in DATA_FOLDERS:
            target = Path(self.build_lib, "fieldapp", "_bundle", name)
            shutil.copytree(HERE / name, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.ts"))


setup(
    packages=[
        *find_packages(include=["fieldapp", "fieldapp.*"]),
        "fieldapp_server",
        *("fieldapp_ui" + name[2:] for name in find_packages(include=["ui", "ui.*"])),
    ],
    package_dir={"fieldapp_server": "server", "fieldapp_ui": "ui"},
    cmdclass={"build_py": BuildWithData},
)
