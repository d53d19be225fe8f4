"""Groups (``type: group``) in a definition: reading one, checking the ids of all, compiling their
relevance and titles, and walking a layout of fields and groups.

A group stores nothing: its questions are fields of the level it sits in (the form's, or a
repeat's), so the flat walkers of fields see through it; only a layout (``Section.layout``, a
repeat's ``layout``) keeps it. ``fieldapp.forms.loading.Builder`` calls these while it builds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fieldapp import expr
from fieldapp.errors import ExpressionError, FormDefinitionError
from fieldapp.forms import piping
from fieldapp.forms.expressions import make_resolver
from fieldapp.forms.model import Field, Form, Group, layout_of
from fieldapp.forms.yamlfile import labels

GROUP_KEYS = {"id", "type", "label", "hint", "relevant", "appearance", "fields"}
"""What a ``type: group`` may carry: it stores nothing, so no rule of an answer applies to it."""

Fail = Callable[[str, str], FormDefinitionError]
"""``Builder.fail``: the error naming the file, the place and the problem."""


def new_group(
    fr: dict[str, Any],
    parent: Field | None,
    outer: Group | None,
    source: str,
    fail: Fail,
    id_ok: Callable[[str], bool],
) -> tuple[Group, list[Any]]:
    """A group of the definition, checked, without its items yet; and the raw items it holds."""
    gid = fr.get("id")
    prefix = f"{parent.path}." if parent else ""
    if not isinstance(gid, str) or not id_ok(gid):
        raise fail(f"{prefix}{gid}", "a group id is letters, digits and _ (starting with a letter)")
    path = f"{prefix}{gid}"
    unknown = set(fr) - GROUP_KEYS
    if unknown:
        allowed = ", ".join(sorted(GROUP_KEYS - {"type"}))
        raise fail(path, f"a group has no {', '.join(sorted(unknown))} (only {allowed})")
    children = fr.get("fields")
    if not isinstance(children, list) or not children:
        raise fail(path, "an empty group: a group needs a non-empty list of fields")
    rel = fr.get("relevant")
    if rel is not None and (not isinstance(rel, str) or not rel.strip()):
        raise fail(path, "a group's relevant must be an expression")
    g = Group(
        id=gid,
        label=labels(fr.get("label"), source, path),
        path=path,
        hint=labels(fr.get("hint"), source, path, "hint", required=False),
        appearance=str(fr["appearance"]) if fr.get("appearance") else None,
        parent=parent,
        group=outer,
    )
    g._relevant_raw = rel  # type: ignore[attr-defined]
    return g, children


def check_group_ids(form: Form, section_ids: set[str], fail: Fail) -> None:
    """Group ids are unique across the form: not another group's, a field's or a section's."""
    field_ids = {f.id for f in all_levels(form)}
    for s in form.sections:
        for g in groups_in(layout_of(s)):
            if g.id in form.groups:
                raise fail(g.path, f"duplicate group id {g.id!r}")
            if g.id in field_ids:
                raise fail(g.path, f"the group id {g.id!r} is also the id of a field")
            if g.id in section_ids:
                raise fail(g.path, f"the group id {g.id!r} is also the id of a section")
            form.groups[g.id] = g


def compile_groups(form: Form, fail: Fail) -> None:
    """Each group's own relevance and the ``${name}`` in its title and hint, in its level's scope."""
    for g in form.groups.values():
        src = getattr(g, "_relevant_raw", None)
        if src is not None:
            try:
                g.relevant = expr.compile_expression(src, make_resolver(form, g.parent))
            except ExpressionError as exc:
                raise fail(g.path, f"relevant: {exc.message_en}") from exc
        for name in piping.references(g.label, g.hint):
            try:
                g.pipes[name] = expr.compile_expression("${" + name + "}", make_resolver(form, g.parent))
            except ExpressionError as exc:
                raise fail(g.path, f"label: {exc.message_en}") from exc


def group_gates(f: Field) -> list[str]:
    """The relevance of every group around ``f``, outermost first (joined to its own)."""
    if f.group is None:
        return []
    return [g.relevant.source for g in f.group.chain() if g.relevant is not None]


def questions(layout: Iterable[Field | Group]) -> list[Field]:
    """The fields of a layout in order, groups seen through."""
    out: list[Field] = []
    for item in layout:
        out.extend(item.questions() if isinstance(item, Group) else [item])
    return out


def groups_in(layout: Iterable[Field | Group]) -> list[Group]:
    """Every group of a section's layout, outer groups first, those inside repeats too."""
    out: list[Group] = []
    for item in layout:
        if isinstance(item, Group):
            out.append(item)
            out.extend(groups_in(item.items))
        else:  # a repeat's row may hold groups (a repeat inside it too)
            out.extend(groups_in(layout_of(item)))
    return out


def all_levels(form: Form) -> list[Field]:
    """Every field of the form, those of repeats and of repeats inside repeats too."""
    out: list[Field] = []

    def walk(fields: Iterable[Field]) -> None:
        for f in fields:
            out.append(f)
            walk(f.fields)

    walk(form.fields.values())
    return out
