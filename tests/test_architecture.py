"""The layout of the source tree: how the parts may import each other (see docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("package", ["server", "ui"])
def test_server_and_ui_import_their_own_modules_relatively_so_they_install_under_fieldapp_names(
    package: str,
) -> None:
    absolute = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / package).rglob("*.py")
        for level, module in _imports(path)
        if level == 0 and (module == package or module.startswith(package + "."))
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


# ---------------------------------------------------------------------- modules of the program

PACKAGES = ("fieldapp", "ui", "server")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for folder in PACKAGES for p in (ROOT / folder).rglob("*.py")}


def _absolute(module: str, path: Path, level: int, target: str) -> str:
    """The absolute name of ``target`` imported with ``level`` dots from ``module``."""
    if not level:
        return target
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_imports_or_reads_a_private_name_of_another() -> None:
    """A ``_name`` is its module's own: the others use public names (fieldapp, ui and server)."""
    mods = _modules()
    found: dict[str, list[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound: set[str] = set()  # local names of our modules
        bad: list[str] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(name, path, node.level, node.module or "")
                if source.split(".")[0] not in PACKAGES or source == name:
                    continue
                for alias in node.names:
                    if f"{source}.{alias.name}" in mods:
                        bound.add(alias.asname or alias.name)
                    elif _is_private(alias.name):
                        bad.append(f"{source}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in mods and alias.asname:
                        bound.add(alias.asname)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in bound
                and _is_private(node.attr)
            ):
                bad.append(f"{node.value.id}.{node.attr}")
        if bad:
            found[name] = sorted(set(bad))
    assert found == {}


def _import_graph() -> dict[str, set[str]]:
    """Module → the modules of the program it imports when it runs (at the top or inside a
    function; not the imports under ``if TYPE_CHECKING:``, which load nothing)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        for level, target in _imports(path, typing_only=False):
            full = _absolute(name, path, level, target)
            while full and full not in mods:
                full = full.rpartition(".")[0]
            if full and full != name:
                graph[name].add(full)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a circle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: list[str] = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_no_modules_import_each_other_round_a_circle() -> None:
    """Also through imports inside functions: a late import hides a circle, it does not remove it."""
    assert _cycles(_import_graph()) == []


def test_the_circle_finder_finds_a_circle_and_only_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# ---------------------------------------------------------------------- layers of the core

# bottom up, as docs/architecture.md draws them: a module of the core imports its own layer and
# those below it, never one above (a name stands for a module and, unless a longer name says
# otherwise, the modules inside it)
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("leaves", tuple(sorted(LEAVES | {"fieldapp.sync.merge"}))),
    (
        "text and places",
        (
            "fieldapp.thai",
            "fieldapp.thaidate",
            "fieldapp.geo",
            "fieldapp.expr",
            "fieldapp.collate",
            "fieldapp.ids",
            "fieldapp.codegen",
            "fieldapp.resources",
            "fieldapp.filenames",
        ),
    ),
    (
        "form engine",
        (
            "fieldapp.forms",
            "fieldapp.formcode",
            "fieldapp.scoring",
            "fieldapp.scorecode",
            "fieldapp.softwarn",
            "fieldapp.crossrecord",
            "fieldapp.rounds",
            "fieldapp.fieldchanges",
            "fieldapp.xlsform",
            "fieldapp.installed",
        ),
    ),
    ("report renderers", ("fieldapp.reports",)),
    (
        "storage",
        (
            "fieldapp.store",
            "fieldapp.migrations",
            "fieldapp.aggregates",
            "fieldapp.coveragecounts",
            "fieldapp.crypto",
            "fieldapp.encryption",
            "fieldapp.backup",
            "fieldapp.attachments",
            "fieldapp.audit",
            "fieldapp.history",
            "fieldapp.drafts",
            "fieldapp.device",
            "fieldapp.session",
            "fieldapp.browse",
        ),
    ),
    (
        "operations",
        (
            "fieldapp.sync",
            "fieldapp.exchange",
            "fieldapp.reports.build",
            "fieldapp.reports.build_area",
            "fieldapp.reports.build_common",
            "fieldapp.reports.build_drivers",
            "fieldapp.rights",
            "fieldapp.coverage",
            "fieldapp.visits",
            "fieldapp.staleness",
        ),
    ),
    (
        "entry points",
        (
            "fieldapp.cli",
            "fieldapp.cli_privacy",
            "fieldapp.selftest",
            "fieldapp.demo",
            "fieldapp.demodata",
            "fieldapp.practice",
            "fieldapp.__main__",
        ),
    ),
)


def _layer(module: str) -> int | None:
    """The index in LAYERS of the layer ``module`` belongs to (the longest name that covers it)."""
    found: tuple[int, int] | None = None
    for level, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and (found is None or len(name) > found[1]):
                found = (level, len(name))
    return None if found is None else found[0]


def test_every_module_of_the_core_has_a_layer() -> None:
    core = [m for m in _modules() if m.startswith("fieldapp.")]
    assert [m for m in core if _layer(m) is None] == []


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """The imports of ``graph`` that go from a layer to one above it."""
    found = []
    for module, targets in sorted(graph.items()):
        level = _layer(module)
        if level is None:
            continue
        for target in sorted(targets):
            above = _layer(target)
            if above is not None and above > level:
                found.append(f"{module} ({LAYERS[level][0]}) imports {target} ({LAYERS[above][0]})")
    return found


def test_the_core_imports_only_its_own_layer_and_those_below() -> None:
    """Also through imports inside functions (not those under ``if TYPE_CHECKING:``)."""
    assert _upward(_import_graph()) == []


def test_the_layer_check_finds_an_import_from_above_and_only_that() -> None:
    assert _layer("fieldapp.reports.base") == 3 and _layer("fieldapp.reports.build") == 5
    assert _layer("fieldapp.sync.merge") == 0 and _layer("fieldapp.sync.client") == 5
    assert _layer("ui.app") is None
    graph = {
        "fieldapp.reports.base": {"fieldapp.store", "fieldapp.thai"},
        "fieldapp.reports.build": {"fieldapp.store", "fieldapp.reports.base"},
        "ui.app": {"fieldapp.cli"},
    }
    assert _upward(graph) == ["fieldapp.reports.base (report renderers) imports fieldapp.store (storage)"]


# ---------------------------------------------------------------------- sizes

MAX_LINES = 800  # a module a newcomer can read through; larger ones are split into named parts

# modules still longer, each to be split; this list only shrinks (a module that is split leaves it)
LONG_MODULES: set[str] = set()


def _long_modules() -> dict[str, int]:
    found = {}
    for folder in PACKAGES:
        for path in (ROOT / folder).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found[path.relative_to(ROOT).as_posix()] = lines
    return found


def test_no_module_is_longer_than_a_reader_can_follow_but_the_listed_ones() -> None:
    long = _long_modules()
    assert sorted(set(long) - LONG_MODULES) == [], f"over {MAX_LINES} lines: split it ({long})"
    assert sorted(LONG_MODULES - set(long)) == [], "no longer too long: take it off LONG_MODULES"


MAX_FUNCTION_LINES = 80  # a function a reader can hold in mind; longer ones are split into named steps

# functions of the core, the desktop app and the server still longer (``path:Class.function``);
# this list only shrinks (docs/architecture.md, "Known debts")
LONG_FUNCTIONS: set[str] = set()


def _long_functions(folders: tuple[str, ...] = PACKAGES) -> dict[str, int]:
    found: dict[str, int] = {}

    def visit(node: ast.AST, path: str, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, path, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found[f"{path}:{prefix}{child.name}"] = lines
                visit(child, path, f"{prefix}{child.name}.")

    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            visit(ast.parse(path.read_text(encoding="utf-8")), path.relative_to(ROOT).as_posix(), "")
    return found


def test_no_function_of_the_program_is_longer_than_a_reader_can_follow_but_the_listed_ones() -> None:
    long = _long_functions()
    assert sorted(set(long) - LONG_FUNCTIONS) == [], f"over {MAX_FUNCTION_LINES} lines: split it ({long})"
    assert sorted(LONG_FUNCTIONS - set(long)) == [], "no longer too long: take it off LONG_FUNCTIONS"

