"""Functions written out as Python source for the hot paths (expressions, export rows).

Only code that fieldapp writes itself is compiled here: fixed templates and names the generator
invents (``_k0``, ``_f1`` …). Every value that comes from outside (a literal in a form, a field
name, a label) is passed in ``names`` and referred to by its invented name, never spelled in the
source, so nothing a form or a file holds can change what the code does.

Each source is registered with ``linecache`` under a name of its own, so a traceback through
generated code shows the generated line (and, for an expression, the expression as a comment).
"""

from __future__ import annotations

import itertools
import linecache
from typing import Any

_SERIAL = itertools.count(1)


def build(source: str, names: dict[str, Any], entry: str) -> Any:
    """Compile ``source`` with ``names`` as its globals and return the function ``entry``."""
    text = source + "\n"
    filename = f"<fieldapp {entry} #{next(_SERIAL)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    namespace = dict(names)
    exec(compile(text, filename, "exec"), namespace)
    return namespace[entry]
