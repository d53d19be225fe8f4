"""Functions written out as Python source for the hot paths (expressions, export rows).

Only code that fieldapp writes itself is compiled here: fixed templates and names the generator
invents (``_k0``, ``_f1`` …). Every value that comes from outside (a literal in a form, a field
name, a label) is passed in ``names`` and referred to by its invented name, never spelled in the
source, so nothing a form or a file holds can change what the code does.
"""

from __future__ import annotations

from typing import Any


def build(source: str, names: dict[str, Any], entry: str) -> Any:
    """Compile ``source`` with ``names`` as its globals and return the function ``entry``."""
    namespace = dict(names)
    exec(compile(source + "\n", f"<fieldapp {entry}>", "exec"), namespace)
    return namespace[entry]
