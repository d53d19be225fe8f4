"""The core and the server are whole programs without a screen: they never import Qt."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT = re.compile(r"^\s*(from|import)\s+(PySide6|PyQt5|PyQt6|shiboken6)\b", re.M)


def test_core_and_server_sources_never_import_qt():
    offenders = []
    for folder in ("fieldapp", "server"):
        for path in (ROOT / folder).rglob("*.py"):
            if QT.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_importing_the_core_loads_no_qt_module():
    code = (
        "import sys, fieldapp.cli, fieldapp.store, fieldapp.forms, fieldapp.demo, fieldapp.scoring\n"
        "import pkgutil, importlib, fieldapp\n"
        "for m in pkgutil.walk_packages(fieldapp.__path__, 'fieldapp.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'PyQt'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def _private_uses(path: Path) -> list[str]:
    """Private names (``_x``) of other fieldapp modules this file imports or reads."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()  # local names bound to fieldapp modules
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fieldapp"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{node.module}.{alias.name}")
                elif node.module == "fieldapp" or node.module.startswith("fieldapp."):
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("fieldapp") and alias.asname:
                    modules.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_no_module_uses_private_names_of_another():
    """Each module's underscored names are its own: other modules use the public API."""
    offenders = {}
    for folder in ("fieldapp", "server", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            found = _private_uses(path)
            if found:
                offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}
