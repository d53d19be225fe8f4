"""XLSForm expressions, evaluated as ODK Collect (JavaRosa) evaluates them.

Expressions are tokenised and parsed into a tree by a Pratt parser, then written out as one
Python function (``generate``; see ``fieldapp.expr.compiler``). The expression's text never reaches
Python's parser: the only operations an expression can perform are the operators and functions
listed in ``FUNCTIONS`` and the grammar below.

    ${field}  ${repeat.field}  .  ..  12  2.5  .5  'text'  "text"
    or  and  = !=  < <= > >=  + -  * div mod  unary -  ( )  name(args)
    ${field}[predicate]   instance('list')/root/item[predicate]/column

Values are those of XPath 1.0 as JavaRosa has them: texts, numbers (``int`` or ``float``,
with ``nan`` and ``±inf``), booleans, dates (``datetime.date``; a number of days since
1970-01-01 in arithmetic and comparisons), date-times, and node-sets (a ``list``: a repeat's
column). An empty answer is the empty text; a select_multiple answer is its codes separated by
spaces. Conversions follow ``number()``, ``string()`` and ``boolean()`` of XPath: ``'false'`` is a
true text, ``'10' < '9'`` compares numbers, ``1 div 0`` is ``Infinity``. Where ODK Collect and
Enketo disagree this module follows Collect; ``docs/forms.md`` lists every difference.

Variable names are resolved when the expression is compiled (by a ``resolve`` callback that
knows the form), so an unknown field is reported when the form loads, not when a person types.
A compiled expression is a function ``fn(data, row) -> value`` where ``data`` is the record's
form-level values and ``row`` the current repeat row (or ``None``).

The parts, in the order an expression goes through them:

* ``lexer`` — the text to tokens;
* ``parser`` — tokens to a tree (``Node``);
* ``values`` — XPath values and their conversions (``number``, ``to_text``, ``truthy`` …);
* ``dates`` — dates and times as ODK has them;
* ``functions`` — the ODK function library, as the table ``FUNCTIONS``;
* ``compiler`` — a tree to one Python function, and ``compile_expression`` / ``evaluate``.

Callers use ``from fieldapp import expr`` and the names below.
"""

from __future__ import annotations

from fieldapp.expr.compiler import (
    CALCULATION_ERRORS,
    Expression,
    Generator,
    compile_expression,
    evaluate,
    generate,
    generate_row_block,
    simple_resolver,
)
from fieldapp.expr.dates import to_date
from fieldapp.expr.functions import FUNCTIONS, SPECIAL_FUNCTIONS, gives_bool
from fieldapp.expr.lexer import Token, tokenize
from fieldapp.expr.parser import Node, calls, parse, variables
from fieldapp.expr.values import (
    EPOCH,
    NAN,
    Compiled,
    Data,
    Resolver,
    Value,
    days,
    is_empty,
    number,
    to_number,
    to_text,
    truthy,
    unpack,
)

__all__ = [
    "CALCULATION_ERRORS",
    "EPOCH",
    "FUNCTIONS",
    "NAN",
    "SPECIAL_FUNCTIONS",
    "Compiled",
    "Data",
    "Expression",
    "Generator",
    "Node",
    "Resolver",
    "Token",
    "Value",
    "calls",
    "compile_expression",
    "days",
    "evaluate",
    "generate",
    "generate_row_block",
    "gives_bool",
    "is_empty",
    "number",
    "parse",
    "simple_resolver",
    "to_date",
    "to_number",
    "to_text",
    "tokenize",
    "truthy",
    "unpack",
    "variables",
]
