"""The one translation mechanism of the desktop app.

Source strings are English and pass through ``tr()``; the Thai catalogue is
``translations/th.json``. Thai is the default language, English the second. The same catalogue
also holds Thai for Qt's own strings (OK, Cancel, context menus), compiled to
``translations/qt_th.qm`` (``python -m ui.i18n``), because Qt ships no Thai translation of its own. Form labels and choices come from the form
definitions (``label_of``). ``tests/test_ui_i18n.py`` fails when a ``tr()`` string lacks Thai.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale, QObject, QTranslator

from fieldapp import resources

LANGUAGES = ("th", "en")
_state: dict[str, Any] = {"lang": "th", "ui": {}, "qt": {}}


def catalogue_path() -> Path:
    return resources.path("translations", "th.json")


def load_catalogue(path: Path | None = None) -> dict[str, Any]:
    with (path or catalogue_path()).open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def set_language(lang: str) -> None:
    """Choose the language of every later ``tr()`` (Thai unless ``en``)."""
    lang = lang if lang in LANGUAGES else "th"
    cat = load_catalogue()
    _state["lang"] = lang
    _state["ui"] = cat.get("ui", {})
    _state["qt"] = cat.get("qt", {})
    if lang == "th":
        QLocale.setDefault(QLocale(QLocale.Language.Thai, QLocale.Country.Thailand))
    else:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.Thailand))


def language() -> str:
    return str(_state["lang"])


def tr(text: str, /, **values: Any) -> str:
    """``text`` (English source) in the current language, with ``{name}`` values filled in."""
    out = _state["ui"].get(text, text) if _state["lang"] == "th" else text
    return out.format(**values) if values else out


def tr_declared(text: str) -> str:
    """``tr()`` for texts declared as data (setting titles); the i18n test checks them too."""
    return tr(text)


def label_of(labels: dict[str, str] | None, fallback: str = "") -> str:
    """A ``{th, en}`` label from a form definition in the current language."""
    if not labels:
        return fallback
    return labels.get(language()) or labels.get("th") or fallback


def qm_path() -> Path:
    return resources.path("translations", "qt_th.qm")


def qt_translator(parent: QObject | None = None) -> QTranslator | None:
    """Thai for Qt's own strings (standard buttons, context menus), compiled from the catalogue's
    ``qt`` part into ``translations/qt_th.qm`` by ``build_qt_translations()``."""
    if language() != "th":
        return None
    translator = QTranslator(parent)
    return translator if translator.load(str(qm_path())) else None


def qt_ts_text(catalogue: dict[str, Any] | None = None) -> str:
    """The catalogue's ``qt`` part as a Qt Linguist .ts document."""
    from xml.sax.saxutils import escape

    cat = catalogue or load_catalogue()
    out = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>", '<TS version="2.1" language="th_TH">']
    for context, entries in sorted(cat.get("qt", {}).items()):
        if not entries:
            continue
        out.append(f"<context><name>{escape(context)}</name>")
        for source, target in sorted(entries.items()):
            out.append(f"<message><source>{escape(source)}</source><translation>{escape(target)}</translation>"
                       "</message>")
        out.append("</context>")
    out.append("</TS>")
    return "\n".join(out) + "\n"


def build_qt_translations() -> Path:
    """Write ``translations/qt_th.ts`` from the catalogue and compile it with lrelease (``make i18n``)."""
    import shutil
    import subprocess
    import sys

    ts = resources.path("translations", "qt_th.ts")
    ts.write_text(qt_ts_text(), encoding="utf-8")
    tool = shutil.which("pyside6-lrelease") or str(Path(sys.executable).with_name("pyside6-lrelease"))
    subprocess.run([tool, "-silent", str(ts), "-qm", str(qm_path())], check=True)
    return qm_path()


def source_strings(root: Path | None = None) -> dict[str, list[str]]:
    """Every literal passed to ``tr()`` in ``ui/``: {string: [file:line, ...]}."""
    base = root or resources.path("ui")
    found: dict[str, list[str]] = {}
    for path in sorted(base.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "tr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, []).append(f"{path.name}:{node.lineno}")
    return found


def dynamic_tr_calls(root: Path | None = None) -> list[str]:
    """``tr()`` calls whose text is not a literal (they cannot be checked; there should be none)."""
    base = root or resources.path("ui")
    bad: list[str] = []
    for path in sorted(base.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if path.name == "i18n.py":
                continue
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr":
                if not (node.args and isinstance(node.args[0], ast.Constant)):
                    bad.append(f"{path.name}:{node.lineno}")
    return bad


if __name__ == "__main__":
    print(build_qt_translations())
