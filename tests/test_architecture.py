"""The layout of the source tree: how the parts may import each other (see docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path, *, typing_only: bool = True) -> list[tuple[int, str]]:
    """(level, module) of every import in a file; level > 0 for relative imports. ``from a import
    b`` counts as ``a.b`` when that is a module. ``typing_only=False`` leaves out the imports under
    ``if TYPE_CHECKING:`` (annotations only: nothing is loaded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if not typing_only:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.If)
                and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"
            ):
                skip |= {id(n) for child in node.body for n in ast.walk(child)}
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}" if base else alias.name
                out.append((node.level, full if node.level == 0 and _is_module(full) else base))
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


# helpers every part may use; each imports only the standard library (and other leaves)
LEAVES = {
    "fieldapp.clock",
    "fieldapp.files",
    "fieldapp.paths",
    "fieldapp.schema",
    "fieldapp.config",
    "fieldapp.errors",
    "fieldapp.sync.protocol",
}


def test_the_leaf_helpers_import_nothing_of_the_application_but_other_leaves() -> None:
    found = {}
    for name in sorted(LEAVES):
        path = ROOT.joinpath(*name.split(".")).with_suffix(".py")
        loaded = _imports(path, typing_only=False)
        ours = {m for level, m in loaded if level or m.split(".")[0] in ("fieldapp", "ui", "server")}
        if ours - LEAVES - {"fieldapp"}:
            found[name] = sorted(ours - LEAVES)
    assert found == {}


# the only modules that touch the environment: the declarations, the data folder of the platform,
# a passphrase from a variable named on the command line, Qt's platform for the self-test, and the
# server's command line handing its database to worker processes
READS_ENVIRONMENT = {
    "fieldapp/config.py",
    "fieldapp/paths.py",
    "fieldapp/cli_privacy.py",
    "ui/selftest.py",
    "server/cli.py",
}


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ("environ", "getenv") for a in node.names):
                return True
    return False


def test_only_the_entry_points_and_the_declarations_read_the_environment() -> None:
    readers = {
        str(path.relative_to(ROOT))
        for folder in ("fieldapp", "ui", "server")
        for path in (ROOT / folder).rglob("*.py")
        if _reads_environment(path)
    }
    assert readers <= READS_ENVIRONMENT, sorted(readers - READS_ENVIRONMENT)


def test_every_environment_variable_is_declared_once_and_documented() -> None:
    from fieldapp import config

    declared = [v.name for v in config.VARIABLES]
    assert len(declared) == len(set(declared))
    mentioned: set[str] = set()
    for folder in ("fieldapp", "ui", "server"):
        for path in (ROOT / folder).rglob("*.py"):
            mentioned |= set(re.findall(r"\bFIELDAPP_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert mentioned <= set(declared), sorted(mentioned - set(declared))
    doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert [name for name in declared if f"| `{name}` |" not in doc] == []
