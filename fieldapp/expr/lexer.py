"""Expression text to tokens: a ``${field}``, a number, a text, an operator, a function's or
a path step's name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fieldapp.errors import ExpressionError

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<var>\$\{\s*(?P<varname>[A-Za-z_][A-Za-z0-9_.\-]*)\s*\})
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<op><=|>=|!=|==|\.\.|[=<>+\-*/(),.\[\]|@])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:[:\-.][A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # var, num, str, op, name, func, end
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if not m:
            raise ExpressionError(
                f"นิพจน์ผิดรูปแบบที่ตำแหน่ง {pos + 1}: {source[pos : pos + 10]!r}",
                f"unexpected character at position {pos + 1}: {source[pos : pos + 10]!r}",
            )
        kind = m.lastgroup or ""
        if kind == "ws":
            pos = m.end()
            continue
        if kind == "var":
            tokens.append(Token("var", m.group("varname"), pos))
        elif kind == "name":
            text = m.group("name")
            # a name directly followed by "(" is a function call; and/or/div/mod between
            # operands are operators; any other word is a step of a path (instance(…)/root/item)
            rest = source[m.end() :].lstrip()
            prev = tokens[-1] if tokens else None
            after_operand = prev is not None and (
                prev.kind in ("var", "num", "str", "name") or prev.text in (")", "]", ".", "..")
            )
            if text in ("and", "or", "div", "mod") and after_operand:
                tokens.append(Token("op", text, pos))
            elif rest.startswith("("):
                tokens.append(Token("func", text, pos))
            else:
                tokens.append(Token("name", text, pos))
        else:
            tokens.append(Token(kind, m.group(kind), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens
