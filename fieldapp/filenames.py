"""File names made from people's words (a report title, a house number such as "99/1").

A title may hold characters that a file name cannot (``/`` on every system; ``\\ : * ? " < > |`` on
Windows). ``safe_file_name`` replaces each with ``-`` so the name is one file in the chosen folder,
keeps Thai as it is and stays under the 255-byte limit of common file systems.
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_BYTES = 200  # room for an extension and a ".part" prefix under the usual 255-byte limit


def safe_file_name(text: str, default: str = "report") -> str:
    """``text`` as a file name without a folder part: unsafe characters become ``-``."""
    name = unicodedata.normalize("NFC", text)
    name = _UNSAFE.sub("-", name)
    name = _SPACES.sub(" ", name).strip(" .")
    while len(name.encode("utf-8")) > MAX_BYTES:
        name = name[:-1].rstrip(" .")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = f"{default}-{name}" if name else default
    return name
