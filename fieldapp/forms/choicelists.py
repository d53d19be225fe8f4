"""Choice lists: a form's own (``choices:``) and the shared ones of a ``choices.yaml``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fieldapp.errors import FormDefinitionError
from fieldapp.forms.model import Choice
from fieldapp.forms.yamlfile import read_yaml

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")


def parse_choices(raw: Any, source: str) -> dict[str, list[Choice]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise FormDefinitionError(source, "choices", "must be a mapping of list name to choices")
    out: dict[str, list[Choice]] = {}
    for name, items in raw.items():
        where = f"choices.{name}"
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise FormDefinitionError(source, where, "list names are lower-case letters, digits, _")
        if not isinstance(items, list) or not items:
            raise FormDefinitionError(source, where, "must be a non-empty list")
        seen: set[str] = set()
        lst: list[Choice] = []
        for i, item in enumerate(items):
            w = f"{where}[{i + 1}]"
            if not isinstance(item, dict) or "code" not in item:
                raise FormDefinitionError(source, w, "each choice needs code, th and en")
            code = str(item["code"])
            if not CODE_RE.match(code):
                raise FormDefinitionError(source, w, f"bad code {code!r}")
            if code in seen:
                raise FormDefinitionError(source, w, f"duplicate code {code!r}")
            seen.add(code)
            th, en = item.get("th"), item.get("en")
            if not isinstance(th, str) or not th.strip() or not isinstance(en, str):
                raise FormDefinitionError(source, w, "each choice needs Thai 'th' and English 'en' labels")
            extra = {
                str(k): "" if v is None else str(v)
                for k, v in item.items()
                if k not in ("code", "th", "en") and (v is None or isinstance(v, (str, int, float)))
            }
            lst.append(Choice(code, th, en, extra))
        out[name] = lst
    return out


def read_shared_choices(path: Path) -> dict[str, list[Choice]]:
    """The shared choice lists of a ``choices.yaml`` (empty when there is none)."""
    if not path.exists():
        return {}
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict) or set(raw) - {"choices"}:
        raise FormDefinitionError(path.name, "", "expected a single top-level 'choices:'")
    return parse_choices(raw.get("choices"), path.name)
