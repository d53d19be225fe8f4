"""Find the project's bundled files from source and from a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def root() -> Path:
    """The folder holding ``forms/``, ``resources/`` and ``translations/``: the bundle's folder
    when frozen, ``fieldapp/_bundle`` when installed (see setup.py), else the source tree."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    installed = Path(__file__).resolve().parent / "_bundle"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent


def path(*parts: str) -> Path:
    return root().joinpath(*parts)


def forms_dir() -> Path:
    return path("forms")


def fonts_dir() -> Path:
    return path("resources", "fonts")
