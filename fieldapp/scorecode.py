"""A rubric's five capital scores written out as one generated function (built once per rubric,
run on every save): each indicator's state and points as ``fieldapp.scoring.Indicator.assess``
gives them, with the form's expressions inline and each repeat column read once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldapp import codegen, expr

if TYPE_CHECKING:  # scoring imports this module: types only
    from fieldapp.scoring import Indicator, Rubric


def clamp(p: float) -> int:
    """Points as a whole number from 1 to 4."""
    return int(max(1, min(4, round(p))))


def capital_scores_function(
    rubric: Rubric,
) -> Callable[[dict[str, Any]], tuple[dict[str, Any], list[tuple[float, int, int]], list[str]]]:
    """The five capital scores as one generated function (``Rubric.apply`` runs it for
    every save): each indicator's state and points as ``Indicator.assess`` gives them, written
    out. Returns (scores by field, (points total, answered, applicable) per capital, the ids
    ``capital.indicator`` of the unknown indicators)."""
    # with the form's resolver the expressions are written inline, and each repeat column
    # they read (members' ages, education ranks …) is read once for all the indicators
    gen = expr.Generator(rubric.resolve) if rubric.resolve is not None else None
    names: dict[str, Any] = gen.names if gen is not None else {}
    names.update(
        {
            "_ERRORS": expr.CALCULATION_ERRORS,
            "_to_number": expr.to_number,
            "_text": expr.to_text,
            "_truthy": expr.truthy,
            "_clamp": clamp,
        }
    )
    if gen is not None:
        gen.columns = {}

    def bind(value: Any) -> str:
        name = f"_k{len(names)}"
        names[name] = value
        return name

    def call(e: expr.Expression) -> str:
        return f"({gen.emit(e.tree)})" if gen is not None else f"{bind(e.fn)}(data, None)"

    lines = [
        "def _capitals(data):",
        "    row = None",
        "    out = {}",
        "    stats = []",
        "    unknown = []",
    ]
    for cap in rubric.capitals:
        lines += ["    total = 0", "    n = 0", "    app = 0"]
        for ind in cap.indicators:
            pad = "    "
            if ind.applies is not None:
                lines += [
                    "    try:",
                    f"        a = {call(ind.applies)}",
                    "    except _ERRORS:",
                    "        a = True",
                    "    if a is True or (a is not False and _truthy(a)):",
                ]
                pad = "        "
            body = indicator_code(ind, f"{cap.id}.{ind.id}", call, bind)
            lines += [pad + line for line in body]
        lines += [
            "    s = round(total / n, 2) if n else None",
            f"    out[{bind(cap.field)}] = s",
            "    stats.append((total, n, app))",
        ]
    lines.append("    return out, stats, unknown")
    if gen is not None and gen.columns:
        lines[1:1] = gen.column_locals("    ")
    fn: Callable[[dict[str, Any]], tuple[dict[str, Any], list[tuple[float, int, int]], list[str]]]
    fn = codegen.build("\n".join(lines), names, "_capitals")
    return fn


def indicator_code(
    ind: Indicator, label: str, call: Callable[[expr.Expression], str], bind: Callable[[Any], str]
) -> list[str]:
    """The lines of generated code that score one indicator (as ``Indicator.assess`` does):
    count it as applicable, read its points (given, by a map of codes, or by bands of a value),
    add them to the capital's total, or note it as unknown under ``label``. ``call`` writes an
    expression's code; ``bind`` names a constant the code uses."""
    body: list[str] = ["app += 1"]
    value = call(ind.value) if ind.value is not None else None
    if ind.points is not None:
        body += ["try:"]
        if value is not None:  # a value that cannot be read voids the points
            body += [f"    {value}"]
        body += [
            f"    p = _to_number({call(ind.points)})",
            "except _ERRORS:",
            "    p = None",
            "else:",
            "    if p is not None:",
            "        p = _clamp(p)",
        ]
    else:
        assert value is not None
        body += [
            "try:",
            f"    v = {value}",
            "except _ERRORS:",
            "    v = None",
            "p = None",
            "if not (v is None or v == '' or v == []):",
        ]
        if ind.mapping:
            body += [f"    p = {bind(ind.mapping)}.get(v if type(v) is str else _text(v))"]
        else:
            body += ["    x = _to_number(v)", "    if x is not None:"]
            if ind.bands:  # below the first bound (a net loss) is the first band
                body += [f"        p = {bind(ind.bands[0][1])}"]
            for lower, points in ind.bands:
                body += [
                    f"        if x >= {bind(lower)}:",
                    f"            p = {bind(points)}",
                ]
            if not ind.bands:
                body += ["        pass"]
    body += [
        "if p is not None:",
        "    total += p",
        "    n += 1",
        "else:",
        f"    unknown.append({bind(label)})",
    ]
    return body
