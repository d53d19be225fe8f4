"""Which database file this is: the binding of a database's device id to the file that holds it.

Every database has a device id (its edits, pushes and audit rows are made under it). A copy of the
file on another laptop, a copy under another name, or a backup put back in place must not go on
under the same id: the server could not tell the two databases apart. The id is therefore stored
with a *binding* — a digest of this machine's id, the file's full path and its file number (inode;
the NTFS file id on Windows) — that a copy does not carry: a copied or restored file is a new file.
When the binding read at open differs from the stored one, the store takes a new device id
(``Store.renew_device``). The server checks the same thing from its side (``device_reused`` in
docs/sync.md).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def machine_id() -> str:
    """A stable id of this computer ("" when the system offers none)."""
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0])
        except OSError:
            return ""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    return ""


def binding(path: str | Path) -> str:
    """The digest that ties a device id to this very file on this machine."""
    if str(path) == ":memory:":
        return "memory"
    real = os.path.realpath(path)
    try:
        number = os.stat(real).st_ino
    except OSError:
        number = 0
    text = f"{machine_id()}|{os.path.normcase(real)}|{number}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
