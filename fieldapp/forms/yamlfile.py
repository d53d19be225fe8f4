"""Reading a definition file: YAML (the fast C loader when there is one) and translated texts.

Shared by the form loader (``fieldapp.forms.loading``) and the rubric loader
(``fieldapp.scoring``); it knows nothing of forms.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from fieldapp.errors import FormDefinitionError

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")

YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise FormDefinitionError(path.name, "", f"YAML error: {exc}") from exc
    except OSError as exc:
        raise FormDefinitionError(str(path), "", f"cannot read: {exc}") from exc


def labels(value: Any, source: str, where: str, what: str = "label", required: bool = True) -> dict[str, str]:
    if value is None and not required:
        return {}
    if isinstance(value, str):
        raise FormDefinitionError(source, where, f"{what} must have 'th' and 'en' texts")
    if not isinstance(value, dict) or not isinstance(value.get("th"), str) or not value["th"].strip():
        raise FormDefinitionError(source, where, f"{what} needs a Thai text under 'th'")
    if required and not isinstance(value.get("en"), str):
        raise FormDefinitionError(source, where, f"{what} needs an English text under 'en'")
    # Thai and English, and any other language by its code (lo, km, my …)
    return {
        k: str(v) for k, v in value.items() if isinstance(k, str) and LANGUAGE_RE.match(k) and v is not None
    }
