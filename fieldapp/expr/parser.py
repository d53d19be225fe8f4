"""Tokens to a tree (``Node``): a Pratt parser with XPath 1.0's precedence, and the names a
tree reads (``variables``) and calls (``calls``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fieldapp.errors import ExpressionError
from fieldapp.expr.lexer import Token, tokenize


@dataclass
class Node:
    # num, str, var, dot, parent, name (a path step or an item's column), op, neg, call,
    # filter (args: base, predicate), path (args: base; value: the steps' names)
    kind: str
    value: Any = None
    args: list[Node] = field(default_factory=list)


# XPath 1.0: or < and < = != < relational < additive < multiplicative < unary
_BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "==": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "div": 6,
    "mod": 6,
}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.predicate_depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def at(self, text: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "op" and tok.text == text

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            shown = tok.text or "จบนิพจน์"
            raise ExpressionError(
                f"นิพจน์ผิดรูปแบบ: ต้องการ {text!r} แต่พบ {shown!r} ที่ตำแหน่ง {tok.pos + 1}",
                f"expected {text!r} but found {tok.text or 'end'!r} at position {tok.pos + 1}",
            )

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("นิพจน์ว่างเปล่า", "empty expression")
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(
                f"นิพจน์ผิดรูปแบบ: มีส่วนเกิน {tok.text!r} ที่ตำแหน่ง {tok.pos + 1}",
                f"unexpected {tok.text!r} at position {tok.pos + 1}",
            )
        return node

    def expression(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            prec = _BINARY_PRECEDENCE.get(tok.text) if tok.kind == "op" else None
            if prec is None or prec <= min_prec:
                return left
            self.take()
            right = self.expression(prec)
            left = Node("op", "/" if tok.text == "/" else tok.text, [left, right])

    def unary(self) -> Node:
        if self.at("-"):
            self.take()
            return Node("neg", None, [self.unary()])
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        """Predicates (``[. > 3]``) and path steps (``/root/item``) after a primary."""
        while True:
            if self.at("["):
                self.take()
                self.predicate_depth += 1
                pred = self.expression(0)
                self.predicate_depth -= 1
                self.expect("]")
                node = Node("filter", None, [node, pred])
            elif (
                self.at("/")
                and self.tokens[self.i + 1].kind == "name"
                and node.kind in ("call", "path", "filter")
            ):
                self.take()
                step = self.take()
                if node.kind == "path":
                    node.value = [*node.value, step.text]
                else:
                    node = Node("path", [step.text], [node])
            else:
                return node

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            text = tok.text
            return Node("num", float(text) if "." in text else int(text))
        if tok.kind == "str":
            return Node("str", tok.text[1:-1])
        if tok.kind == "var":
            return Node("var", tok.text)
        if tok.kind == "op" and tok.text == ".":
            return Node("dot")
        if tok.kind == "op" and tok.text == "..":
            return Node("parent")
        if tok.kind == "name":
            if self.predicate_depth == 0:
                raise ExpressionError(
                    f"ไม่รู้จักคำว่า {tok.text!r} ในนิพจน์ (ชื่อข้อคำถามต้องเขียนเป็น ${{{tok.text}}})",
                    f"unknown word {tok.text!r} (write a field as ${{{tok.text}}})",
                )
            return Node("name", tok.text)
        if tok.kind == "op" and tok.text == "(":
            node = self.expression(0)
            self.expect(")")
            return node
        if tok.kind == "func":
            self.expect("(")
            args: list[Node] = []
            if not self.at(")"):
                args.append(self.expression(0))
                while self.at(","):
                    self.take()
                    args.append(self.expression(0))
            self.expect(")")
            return Node("call", tok.text, args)
        shown = tok.text or "จบนิพจน์"
        raise ExpressionError(
            f"นิพจน์ผิดรูปแบบ: ไม่คาดว่าจะพบ {shown!r} ที่ตำแหน่ง {tok.pos + 1}",
            f"unexpected {tok.text or 'end'!r} at position {tok.pos + 1}",
        )


def parse(source: str) -> Node:
    """Parse an expression into a tree (raises ExpressionError with the position)."""
    return _Parser(source).parse()


def variables(node: Node) -> list[str]:
    """Every ``${name}`` an expression reads, in order of first appearance."""
    seen: list[str] = []

    def walk(n: Node) -> None:
        if n.kind == "var" and n.value not in seen:
            seen.append(n.value)
        for a in n.args:
            walk(a)

    walk(node)
    return seen


def calls(node: Node) -> set[str]:
    """The names of every function an expression calls."""
    found: set[str] = set()

    def walk(n: Node) -> None:
        if n.kind == "call":
            found.add(n.value)
        for a in n.args:
            walk(a)

    walk(node)
    return found
