"""The layout of the source tree: how the parts may import each other (see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in a file; level > 0 for relative imports."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
        elif isinstance(node, ast.Import):
            out += [(0, alias.name) for alias in node.names]
    return out


def test_the_server_imports_its_own_modules_relatively_so_it_installs_as_fieldapp_server() -> None:
    absolute = {
        f"{path.name}: {module}"
        for path in (ROOT / "server").glob("*.py")
        for level, module in _imports(path)
        if level == 0 and (module == "server" or module.startswith("server."))
    }
    assert absolute == set()
