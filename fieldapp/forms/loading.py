"""Loading form definitions (``forms/*.yaml``, ``choices.yaml``, ``scoring.yaml``).

``load_all()`` reads every definition, checks it (names, types, choices, expressions) and links
the scoring rubric; a malformed definition raises ``FormDefinitionError`` naming the file, the
field and the problem. ``Builder`` builds one ``Form``; ``check_files`` reports problems as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fieldapp import expr, resources, scoring
from fieldapp.errors import ExpressionError, FormDefinitionError, ValidationError
from fieldapp.forms import piping
from fieldapp.forms.choicelists import NAME_RE, parse_choices, read_shared_choices
from fieldapp.forms.coercion import coerce
from fieldapp.forms.expressions import calculation_inputs, make_resolver
from fieldapp.forms.groups import check_group_ids, compile_groups, group_gates, new_group, questions
from fieldapp.forms.metadata import METADATA
from fieldapp.forms.model import Choice, Field, Form, FormSet, Group, Section, SoftRule
from fieldapp.forms.rules import normaliser
from fieldapp.forms.types import FIELD_TYPES, RESULT_TYPES, TYPES
from fieldapp.forms.yamlfile import labels, read_yaml
from fieldapp.schema import RESERVED_NAMES

FIELD_KEYS = {
    "id",
    "meta",
    "choice_filter",
    "required_message",
    "read_only",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "result",
    "choices",
    "other",
    "min",
    "max",
    "max_length",
    "multiline",
    "signed",
    "digits",
    "year_be",
    "ask_again",
    "sensitive",
    "ref",
    "default",
    "appearance",
    "scored",
    "fields",
    "repeat_count",
    "trigger",
}
FORM_KEYS = {
    "id",
    "version",
    "title",
    "title_field",
    "area_field",
    "rounds",
    "search",
    "list_columns",
    "warnings",
    "scoring",
    "choices",
    "sections",
    "consent_field",
    "description",
    "default_language",
}
FIELD_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
"""A field id: letters (either case, kept as written, as XLSForm allows ``HH_size``), digits, _.
Database columns do not tell case apart, so two ids of one table may not differ only by case."""

TODAY = "today"  # a date field's default: the day the record is started


def number_or_none(value: Any, source: str, where: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormDefinitionError(source, where, f"{key} must be a number")
    return value


class Builder:
    """Builds one Form from its YAML, checking everything it can on the way."""

    def __init__(
        self, raw: dict[str, Any], source: str, choices: dict[str, list[Choice]], media: Path | None = None
    ) -> None:
        self.raw = raw
        self.source = source
        self.choices = choices
        self.media = media  # the folder of files that come with the form (pulldata CSVs)

    def fail(self, where: str, problem: str, problem_th: str | None = None) -> FormDefinitionError:
        return FormDefinitionError(self.source, where, problem, problem_th)

    def build(self) -> Form:
        raw = self.raw
        if not isinstance(raw, dict):
            raise self.fail("", "a form definition must be a mapping")
        unknown = set(raw) - FORM_KEYS
        if unknown:
            raise self.fail("", f"unknown keys: {', '.join(sorted(unknown))}")
        fid = raw.get("id")
        if not isinstance(fid, str) or not NAME_RE.match(fid) or "__" in fid:
            raise self.fail("id", "a form needs an id of lower-case letters, digits and _")
        version = raw.get("version")
        if not isinstance(version, (str, int, float)) or str(version).strip() == "":
            raise self.fail("version", "a form needs a version")
        own = parse_choices(raw.get("choices"), self.source)
        clash = set(own) & set(self.choices)
        if clash:
            raise self.fail("choices", f"redefines shared lists: {', '.join(sorted(clash))}")
        self.choices = {**self.choices, **own}
        sections_raw = raw.get("sections")
        if not isinstance(sections_raw, list) or not sections_raw:
            raise self.fail("sections", "a form needs a non-empty list of sections")
        form = Form(
            id=fid,
            version=str(version),
            title=labels(raw.get("title"), self.source, "title", "title"),
            source=self.source,
            sections=[],
            title_field=raw.get("title_field"),
            area_field=raw.get("area_field"),
            search=list(raw.get("search") or []),
            list_columns=list(raw.get("list_columns") or []),
            scoring=raw.get("scoring"),
            consent_field=raw.get("consent_field"),
            rounds=dict(raw["rounds"]) if isinstance(raw.get("rounds"), dict) else None,
            default_language=str(raw.get("default_language") or "th"),
            choice_lists=self.choices,
            media=self.media,
        )
        form._warnings_raw = raw.get("warnings") or []  # type: ignore[attr-defined]
        section_ids: set[str] = set()
        for i, s in enumerate(sections_raw):
            if not isinstance(s, dict) or not isinstance(s.get("id"), str):
                raise self.fail(f"sections[{i + 1}]", "a section needs an id, a label and fields")
            sid = s["id"]
            if sid in section_ids:
                raise self.fail(f"sections.{sid}", "duplicate section id")
            section_ids.add(sid)
            fields_raw = s.get("fields")
            if not isinstance(fields_raw, list) or not fields_raw:
                raise self.fail(f"sections.{sid}", "a section needs a non-empty list of fields")
            layout = self.entries(fields_raw, None, sid, None)
            fields = questions(layout)
            for f in fields:
                if f.id in form.fields:
                    raise self.fail(f.path, "duplicate field id")
                form.fields[f.id] = f
            section = Section(sid, labels(s.get("label"), self.source, f"sections.{sid}"), fields)
            if any(isinstance(item, Group) for item in layout):
                section.layout = layout
            if s.get("relevant") is not None:
                if not isinstance(s["relevant"], str) or not s["relevant"].strip():
                    raise self.fail(f"sections.{sid}", "a section's relevant must be an expression")
                section._relevant_raw = s["relevant"]  # type: ignore[attr-defined]
            form.sections.append(section)
        check_group_ids(form, section_ids, self.fail)
        self.check_columns(form)
        self.link(form)
        self.soft_rules(form)
        return form

    def entries(
        self, raws: list[Any], parent: Field | None, section: str, group: Group | None
    ) -> list[Field | Group]:
        """The fields and groups of a section, a repeat or a group, in order."""
        out: list[Field | Group] = []
        for fr in raws:
            if isinstance(fr, dict) and fr.get("type") == "group":
                out.append(self.group(fr, parent, section, group))
            else:
                out.extend(self.field(fr, parent, section, group))
        return out

    def group(self, fr: dict[str, Any], parent: Field | None, section: str, outer: Group | None) -> Group:
        """A ``type: group``: a title (and relevance) around questions stored at its parent's level."""
        g, children = new_group(fr, parent, outer, self.source, self.fail, lambda i: bool(FIELD_NAME_RE.match(i)))
        g.items = self.entries(children, parent, section, g)
        return g

    def check_columns(self, form: Form) -> None:
        """Every column of a table named once, case aside: SQLite (and exports' headers) do not
        tell ``HH_size`` from ``hh_size``, nor a field ``home_lat`` from a geopoint's own."""
        tables: list[tuple[list[Field], str]] = [(list(form.fields.values()), "")]
        tables += [(rep.fields, f"{rep.path}.") for rep in form.fields.values() if rep.type == "repeat"]
        for fields, prefix in tables:
            seen: dict[str, str] = {}
            for f in fields:
                names = [n for n, _ in f.columns()] or [f.id]
                for n in names:
                    other = seen.get(n.lower())
                    if other is not None and other != f.id:
                        raise self.fail(
                            f"{prefix}{f.id}",
                            f"the name {n!r} differs from {other!r} only by letter case (or is one of its "
                            "columns); a database column does not tell them apart: rename one",
                        )
                    seen[n.lower()] = f.id

    def field(self, fr: Any, parent: Field | None, section: str, group: Group | None = None) -> list[Field]:
        """A field of the definition, checked, and its "specify" text when it has an 'other' code."""
        f = self.new_field(fr, parent, section)
        f.group = group
        f._raw = fr  # type: ignore[attr-defined]
        self.check_options(f)
        self.link_choices(f)
        self.check_kind(f, fr)
        if f.type == "repeat":
            self.repeat_fields(f, fr, section)
        elif fr.get("fields"):
            raise self.fail(f.path, "only repeats have 'fields'")
        self.check_default(f)
        if f.other is None:
            return [f]
        other = self.other_field(f, parent, section)
        other.group = group
        return [f, other]

    def new_field(self, fr: Any, parent: Field | None, section: str) -> Field:
        if not isinstance(fr, dict):
            raise self.fail(f"section {section}", "each field must be a mapping")
        fid = fr.get("id")
        prefix = f"{parent.path}." if parent else ""
        if not isinstance(fid, str) or not FIELD_NAME_RE.match(fid):
            raise self.fail(f"{prefix}{fid}", "a field id is letters, digits and _ (starting with a letter)")
        path = f"{prefix}{fid}"
        unknown = set(fr) - FIELD_KEYS
        if unknown:
            raise self.fail(path, f"unknown keys: {', '.join(sorted(unknown))}")
        ftype = fr.get("type")
        if ftype not in FIELD_TYPES:
            known = ", ".join(sorted({*FIELD_TYPES, "group"}))
            raise self.fail(path, f"unknown type {ftype!r} (one of: {known})")
        if fid.lower() in RESERVED_NAMES:
            raise self.fail(path, f"{fid!r} is reserved for the store")
        return Field(
            id=fid,
            type=ftype,
            label=labels(fr.get("label"), self.source, path),
            path=path,
            section=section,
            hint=labels(fr.get("hint"), self.source, path, "hint", required=False),
            result=fr.get("result"),
            choices_name=fr.get("choices"),
            other=str(fr["other"]) if fr.get("other") is not None else None,
            min=number_or_none(fr.get("min"), self.source, path, "min"),
            max=number_or_none(fr.get("max"), self.source, path, "max"),
            max_length=fr.get("max_length"),
            multiline=bool(fr.get("multiline", False)),
            signed=bool(fr.get("signed", False)),
            digits=bool(fr.get("digits", False)),
            year_be=bool(fr.get("year_be", False)),
            ask_again=bool(fr.get("ask_again", False)),
            sensitive=bool(fr.get("sensitive", False)),
            ref=fr.get("ref"),
            default=fr.get("default"),
            appearance=fr.get("appearance"),
            scored=bool(fr.get("scored", False)),
            meta=fr.get("meta"),
            parent=parent,
        )

    def check_options(self, f: Field) -> None:
        """Options that go with one type only."""
        path, ftype = f.path, f.type
        if f.digits and ftype != "text":
            raise self.fail(path, "digits is for text fields (codes typed as printed)")
        if f.signed and ftype != "money":
            raise self.fail(path, "signed is for money fields (an amount that may be a loss)")
        if f.year_be and ftype != "integer":
            raise self.fail(path, "year_be is for integer fields (a year in the Buddhist era)")
        if f.ask_again and (ftype in ("calculated", "note") or (ftype == "repeat")):
            raise self.fail(
                path, "ask_again is for questions that are typed (not calculated, notes or repeats)"
            )
        if f.max_length is not None and (not isinstance(f.max_length, int) or f.max_length < 1):
            raise self.fail(path, "max_length must be a positive whole number")
        if f.meta is not None and (ftype != "hidden" or f.meta not in METADATA or f.parent is not None):
            raise self.fail(
                path, f"meta is for hidden questions of the record (one of: {', '.join(METADATA)})"
            )

    def link_choices(self, f: Field) -> None:
        """A select field's choice list, found by name (and its 'other' code in it)."""
        path, ftype = f.path, f.type
        if TYPES[ftype].choices or (
            ftype == "calculated" and f.result in ("select_one", "select_multiple")
        ):
            if not f.choices_name:
                raise self.fail(path, "a select field needs 'choices'")
            if f.choices_name not in self.choices:
                raise self.fail(path, f"unknown choice list {f.choices_name!r}",
                                f"ไม่มีรายการตัวเลือกชื่อ {f.choices_name} ในแบบฟอร์มนี้หรือใน choices.yaml")
            f.choices = self.choices[f.choices_name]
            f.codes = frozenset(c.code for c in f.choices)
            if f.other is not None and f.other not in f.codes:
                raise self.fail(path, f"'other' code {f.other!r} is not in the list")
        elif f.choices_name:
            raise self.fail(path, "'choices' only goes with select fields")

    def check_kind(self, f: Field, fr: dict[str, Any]) -> None:
        """What a calculated or reference field needs; what a repeat inside a repeat may not hold."""
        path, ftype, parent = f.path, f.type, f.parent
        if ftype == "calculated":
            if f.result not in RESULT_TYPES:
                raise self.fail(
                    path, f"a calculated field needs 'result' (one of {', '.join(sorted(RESULT_TYPES))})"
                )
            if not f.scored and not fr.get("calculation"):
                raise self.fail(path, "a calculated field needs a 'calculation' (or scored: true)")
        elif fr.get("calculation"):
            raise self.fail(path, "only calculated fields have a 'calculation'")
        if ftype == "reference" and not isinstance(f.ref, str):
            raise self.fail(path, "a reference field needs 'ref' (a form id or form.repeat)")
        if parent is not None and parent.parent is not None:  # a question of a repeat inside a repeat
            if ftype == "repeat":
                raise self.fail(path, "a repeat inside a repeat cannot hold another repeat")
            if TYPES[ftype].attachment or fr.get("sensitive"):
                raise self.fail(
                    path, "a photo, a file or a sensitive answer cannot be in a repeat inside a repeat"
                )

    def repeat_fields(self, f: Field, fr: dict[str, Any], section: str) -> None:
        path = f.path
        children = fr.get("fields")
        if not isinstance(children, list) or not children:
            raise self.fail(path, "a repeat needs a non-empty list of fields")
        layout = self.entries(children, f, section, None)
        for c in questions(layout):
            if f.child(c.id) is not None:
                raise self.fail(c.path, "duplicate field id")
            f.fields.append(c)
        if any(isinstance(item, Group) for item in layout):
            f.layout = layout

    def check_default(self, f: Field) -> None:
        path, ftype = f.path, f.type
        if f.default == TODAY and ftype == "date":
            pass  # filled with the day a new record is started (Form.blank)
        elif f.default is not None and ftype not in ("repeat", "calculated", "note"):
            try:
                f.default = coerce(f, f.default)
            except ValidationError as exc:
                raise self.fail(path, f"bad default: {exc.message_en}") from exc

    def other_field(self, f: Field, parent: Field | None, section: str) -> Field:
        """The text that says what "other" is (``ID_other``), asked when the other code is chosen."""
        fid = f.id
        prefix = f"{parent.path}." if parent else ""
        other = Field(
            id=f"{fid}_other",
            type="text",
            label={"th": f"{f.label['th']} (ระบุ)", "en": f"{f.label.get('en', fid)} (specify)"},
            path=f"{prefix}{fid}_other",
            section=section,
            parent=parent,
        )
        other._raw = {  # type: ignore[attr-defined]
            "relevant": f"selected(${{{fid}}}, '{f.other}')",
            "required": True,
        }
        return other

    # -- second pass: expressions need every field to exist first

    def soft_rules(self, form: Form) -> None:
        """The form's ``warnings:`` (plausible ranges): id, field, when, message."""
        seen: set[str] = set()
        for i, w in enumerate(getattr(form, "_warnings_raw", [])):
            where = f"warnings[{i + 1}]"
            if not isinstance(w, dict) or not {"id", "field", "when", "message"} <= set(w):
                raise self.fail(where, "a warning needs id, field, when and message")
            if set(w) - {"id", "field", "when", "message"}:
                raise self.fail(
                    where, f"unknown keys: {', '.join(sorted(set(w) - {'id', 'field', 'when', 'message'}))}"
                )
            wid = str(w["id"])
            if wid in seen:
                raise self.fail(where, f"duplicate warning id {wid!r}")
            seen.add(wid)
            try:
                target = form.field_at(str(w["field"]))
            except KeyError:
                raise self.fail(where, f"no field {w['field']!r}") from None
            repeat = target.parent
            try:
                when = expr.compile_expression(str(w["when"]), make_resolver(form, repeat))
            except ExpressionError as exc:
                raise self.fail(f"{where}.when", exc.message_en) from exc
            form.soft_rules.append(
                SoftRule(
                    wid,
                    str(w["field"]),
                    when,
                    labels(w["message"], self.source, f"{where}.message"),
                    repeat.id if repeat is not None else None,
                )
            )

    def check_rounds(self, form: Form) -> None:
        """``rounds:`` names the fields that follow a household round after round (docs/forms.md)."""
        if "rounds" in self.raw and form.rounds is None:
            raise self.fail("rounds", "rounds is a mapping of field names")
        if form.rounds is None:
            return
        wanted = {"previous": "reference", "number": "integer", "label": "text", "date": "date", "person": "text"}
        unknown = set(form.rounds) - set(wanted)
        if unknown or not {"previous", "number"} <= set(form.rounds):
            raise self.fail("rounds", f"needs previous and number; may have {', '.join(wanted)}")
        for key, name in form.rounds.items():
            try:
                f = form.field_at(str(name))
            except KeyError:
                raise self.fail(f"rounds.{key}", f"no field {name!r}") from None
            if f.type != wanted[key]:
                raise self.fail(f"rounds.{key}", f"{name!r} must be a {wanted[key]} field")
            if (key == "person") != (f.parent is not None):
                raise self.fail(f"rounds.{key}", "only person is a field of a repeat")
        if form.field_at(str(form.rounds["previous"])).ref != form.id:
            raise self.fail("rounds.previous", f"the link must refer to {form.id!r} itself")

    def link(self, form: Form) -> None:
        """Everything that needs the whole form: the form's own references, the order of its fields,
        the sections' labels and relevance, each field's rules, and the calculations' order."""
        self.check_form_references(form)
        form.order = field_order(form)
        self.compile_section_labels(form)
        compile_groups(form, self.fail)
        gates = self.compile_section_relevance(form)
        for f in form.order:
            self.compile_rules(form, f, getattr(f, "_raw", {}))
            self.join_gates(form, f, gates)
        form.calc_order = self.calc_order(form)
        form.calc_inputs = calculation_inputs(form)
        form.row_calcs, form.nested_calcs = row_calculations(form)

    def check_form_references(self, form: Form) -> None:
        """The title, area and consent fields, the search and the list's columns name real fields."""
        for key in ("title_field", "area_field", "consent_field"):
            name = getattr(form, key)
            if name is not None and name not in form.fields:
                raise self.fail(key, f"no field {name!r}")
        if form.consent_field and form.fields[form.consent_field].type != "boolean":
            raise self.fail("consent_field", "the consent field must be a boolean")
        self.check_rounds(form)
        for key in ("search", "list_columns"):
            for name in getattr(form, key):
                try:
                    form.field_at(name)
                except KeyError:
                    raise self.fail(key, f"no field {name!r}") from None

    def compile_section_labels(self, form: Form) -> None:
        """${name} in a section's label: form-level answers."""
        for section in form.sections:
            for name in piping.references(section.label):
                try:
                    section.pipes[name] = expr.compile_expression(
                        "${" + name + "}", make_resolver(form, None)
                    )
                except ExpressionError as exc:
                    raise self.fail(f"sections.{section.id}", f"label: {exc.message_en}") from exc

    def compile_section_relevance(self, form: Form) -> dict[str, str]:
        """Each section's relevance compiled; its source by section id, to join to its questions."""
        gates: dict[str, str] = {}
        for section in form.sections:
            src = getattr(section, "_relevant_raw", None)
            if src is not None:
                try:
                    section.relevant = expr.compile_expression(src, make_resolver(form, None))
                except ExpressionError as exc:
                    raise self.fail(f"sections.{section.id}", f"relevant: {exc.message_en}") from exc
                gates[section.id] = src
        return gates

    def join_gates(self, form: Form, f: Field, gates: dict[str, str]) -> None:
        """A question's relevance with the section's and every group's around it first, and a
        sensitive question's behind the form's consent."""
        parts = [gates[f.section]] if f.parent is None and f.section in gates else []
        parts += group_gates(f)
        if parts:
            if f.relevant is not None:
                parts.append(f.relevant.source)
            src = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
            f.relevant = self.compile(form, f, src, "relevant")
        if f.sensitive:
            if not form.consent_field:
                raise self.fail(f.path, "sensitive fields need the form's 'consent_field'")
            gate = f"${{{form.consent_field}}}"
            src = f"{gate} and ({f.relevant.source})" if f.relevant else gate
            f.relevant = self.compile(form, f, src, "relevant")

    def compile_rules(self, form: Form, f: Field, raw: dict[str, Any]) -> None:
        req = raw.get("required", False)
        if isinstance(req, str):
            f.required = self.compile(form, f, req, "required")
        elif isinstance(req, bool):
            f.required = req
        else:
            raise self.fail(f.path, "required must be true, false or an expression")
        if raw.get("relevant"):
            f.relevant = self.compile(form, f, str(raw["relevant"]), "relevant")
        if raw.get("required_message") is not None:
            f.required_message = labels(
                raw.get("required_message"), self.source, f.path, "required_message", required=False
            )
        f.read_only = bool(raw.get("read_only", False))
        if raw.get("constraint"):
            f.constraint = self.compile(form, f, str(raw["constraint"]), "constraint", dot=True)
            f.constraint_message = labels(
                raw.get("constraint_message"), self.source, f.path, "constraint_message", required=False
            )
            if not f.constraint_message:
                raise self.fail(f.path, "a constraint needs a constraint_message with a Thai text")
        if raw.get("choice_filter"):
            if not TYPES[f.type].choices or not f.choices_name:
                raise self.fail(f.path, "choice_filter only goes with select fields")
            # XLSForm's filter: bare names are the choice's columns (name, label, others)
            source = f"instance('{f.choices_name}')/root/item[{raw['choice_filter']}]/name"
            f.choice_filter = self.compile(form, f, source, "choice_filter")
            f.choice_filter.source = str(raw["choice_filter"])
        if raw.get("repeat_count") not in (None, ""):
            if f.type != "repeat":
                raise self.fail(f.path, "repeat_count only goes with repeats")
            f.repeat_count = self.compile(form, f, str(raw["repeat_count"]), "repeat_count")
        if raw.get("calculation"):
            f.calculation = self.compile(form, f, str(raw["calculation"]), "calculation")
            # once(): the value made the first time is kept, so the record carries it
            f.keeps_value = "once" in expr.calls(f.calculation.tree)
        if raw.get("trigger"):
            self.trigger(form, f, raw["trigger"])
        for name in piping.references(f.label, f.hint, f.constraint_message):
            # ${name} in the label, hint or constraint message: the answer it shows, in the question's scope
            f.pipes[name] = self.compile(form, f, "${" + name + "}", "label")

    def trigger(self, form: Form, f: Field, raw: Any) -> None:
        """``trigger``: the calculation is made only when one of these answers changes, and its
        value is kept with the record in between (XLSForm's trigger column)."""
        names = [raw] if isinstance(raw, str) else raw
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self.fail(f.path, "trigger must name a question (or a list of them)")
        if f.type != "calculated" or f.parent is not None or f.calculation is None:
            raise self.fail(f.path, "trigger only goes with a calculation outside repeats")
        ids = tuple(n.strip().removeprefix("${").removesuffix("}").strip() for n in names)
        for name in ids:
            target = form.fields.get(name)
            if target is None or target.type == "repeat" or name == f.id:
                raise self.fail(f.path, f"trigger: no question {name!r} outside repeats")
        f.trigger = ids
        f.keeps_value = True  # made when triggered, then kept

    def compile(self, form: Form, f: Field, source: str, what: str, dot: bool = False) -> expr.Expression:
        try:
            return expr.compile_expression(source, make_resolver(form, f.parent, dot=dot, field=f))
        except ExpressionError as exc:
            raise self.fail(f.path, f"{what}: {exc.message_en}") from exc

    def calc_order(self, form: Form) -> list[Field]:
        """Form-level calculated fields in dependency order (cycles rejected): first those that
        read no repeat (``form.calcs_before_rows`` of them, made before the rows' calculations,
        which may read them, as ODK's ``${slope_radius}`` in a tree's row), then the others."""
        calcs = {f.id: f for f in form.fields.values() if f.calculation is not None}
        reads_rows: dict[str, bool] = {}

        def on_rows(fid: str, seen: frozenset[str] = frozenset()) -> bool:
            if fid not in reads_rows:
                calc = calcs[fid].calculation
                assert calc is not None
                found = False
                for name in calc.variables:
                    top = form.fields.get(name.split(".")[0])
                    if top is None or top.type == "repeat":
                        found = True  # a repeat, or a column of one
                    elif top.id in calcs and top.id != fid and top.id not in seen:
                        found = on_rows(top.id, seen | {fid})
                    if found:
                        break
                reads_rows[fid] = found
            return reads_rows[fid]

        for rep in form.repeats():
            for c in rep.fields:
                if c.calculation is None:
                    continue
                for name in c.calculation.variables:
                    base = name.split(".")[0]
                    if rep.child(base) is None and base in calcs and on_rows(base):
                        raise self.fail(
                            c.path,
                            f"a calculation in a repeat cannot use the form-level calculation {base!r}, "
                            "which reads the repeats' rows",
                        )
        done = self._calc_sorted(calcs)
        early = [f for f in done if not on_rows(f.id)]
        form.calcs_before_rows = len(early)
        return [*early, *(f for f in done if on_rows(f.id))]

    def _calc_sorted(self, calcs: dict[str, Field]) -> list[Field]:
        done: list[Field] = []
        state: dict[str, int] = {}

        def visit(fid: str, chain: list[str]) -> None:
            if state.get(fid) == 2:
                return
            if state.get(fid) == 1:
                raise self.fail(
                    calcs[fid].path, f"calculations depend on each other: {' → '.join([*chain, fid])}"
                )
            state[fid] = 1
            calc = calcs[fid].calculation
            assert calc is not None
            for name in calc.variables:
                base = name.split(".")[0]
                if base in calcs and base != fid:
                    visit(base, [*chain, fid])
            state[fid] = 2
            done.append(calcs[fid])

        for fid in calcs:
            visit(fid, [])
        return done


def load_form(path: Path, choices: dict[str, list[Choice]]) -> Form:
    media = path.parent / f"{path.stem}-media"
    return Builder(read_yaml(path), path.name, choices, media if media.is_dir() else None).build()


def load_file(path: Path, shared: dict[str, list[Choice]] | None = None) -> Form:
    """One definition file on its own (a preview), built as ``load_all`` builds the forms of its
    folder: with the shared lists of the ``choices.yaml`` beside it, else ``shared`` (the bundled
    ones), and its media folder. A list the form defines itself is its own, never a clash."""
    raw = read_yaml(path)
    beside = path.parent / "choices.yaml"
    lists = read_shared_choices(beside) if beside.exists() and beside != path else dict(shared or {})
    own = raw.get("choices") if isinstance(raw, dict) else None
    if isinstance(own, dict):
        lists = {name: items for name, items in lists.items() if name not in own}
    media = path.parent / f"{path.stem}-media"
    return Builder(raw, path.name, lists, media if media.is_dir() else None).build()


def load_all(directory: Path | None = None) -> FormSet:
    """Load every form in ``directory`` (default: the bundled ``forms/``)."""
    d = directory or resources.forms_dir()
    shared = read_shared_choices(d / "choices.yaml")
    forms: dict[str, Form] = {}
    for p in sorted(d.glob("*.yaml")):
        if p.name in ("choices.yaml", "scoring.yaml"):
            continue
        form = load_form(p, shared)
        if form.id in forms:
            raise FormDefinitionError(p.name, "id", f"form id {form.id!r} is used twice")
        forms[form.id] = form
    rubrics: dict[str, scoring.Rubric] = {}
    scoring_path = d / "scoring.yaml"
    if scoring_path.exists():
        rubrics = scoring.load_rubrics(scoring_path, forms)
    for form in forms.values():
        if form.scoring:
            if form.scoring not in rubrics:
                raise FormDefinitionError(
                    form.source, "scoring", f"no rubric {form.scoring!r} in scoring.yaml"
                )
            form.rubric = rubrics[form.scoring]
    for form in forms.values():
        form.calc_inputs = calculation_inputs(form)
    check_references(forms)
    return FormSet(forms, shared, rubrics, d)


def check_references(forms: dict[str, Form]) -> None:
    for form in forms.values():
        for f in form.order:
            if f.type != "reference":
                continue
            target, _, rep = (f.ref or "").partition(".")
            if target not in forms:
                raise FormDefinitionError(form.source, f.path, f"ref to unknown form {target!r}")
            if rep and (forms[target].fields.get(rep) is None or forms[target].fields[rep].type != "repeat"):
                raise FormDefinitionError(form.source, f.path, f"ref to unknown repeat {f.ref!r}")


_cache: dict[str, FormSet] = {}


def default_forms() -> FormSet:
    """The bundled forms, loaded once per process."""
    key = str(resources.forms_dir())
    if key not in _cache:
        _cache[key] = load_all()
    return _cache[key]


def iter_fields(form: Form) -> Iterable[Field]:
    """Every field of the form in order (a repeat's fields after it; groups seen through)."""
    return iter(form.order)


def check_files(paths: list[Path] | None = None) -> list[str]:
    """Load definitions and return human-readable problems (empty when all is well)."""
    problems: list[str] = []
    try:
        if paths:
            shared = {}
            choices_path = resources.forms_dir() / "choices.yaml"
            if choices_path.exists():
                shared = parse_choices((read_yaml(choices_path) or {}).get("choices"), choices_path.name)
            for p in paths:
                if p.name == "choices.yaml":
                    parse_choices((read_yaml(p) or {}).get("choices"), p.name)
                elif p.name == "scoring.yaml":
                    scoring.load_rubrics(p, load_all().forms)
                else:
                    load_form(p, shared)
        else:
            load_all()
    except FormDefinitionError as exc:
        problems.append(exc.message_en)
    return problems


def field_order(form: Form) -> list[Field]:
    """Every field, a repeat's fields after it and a repeat inside a repeat's after those."""
    order: list[Field] = []
    for f in form.fields.values():
        order.append(f)
        for c in f.fields:
            order.append(c)
            order.extend(c.fields)
    return order


def _calculations_block(form: Form, rep: Field) -> Any:
    return expr.generate_row_block(
        [(c.id, c.calculation.tree, normaliser(c)) for c in rep.fields if c.calculation is not None],
        make_resolver(form, rep),
    )


def row_calculations(form: Form) -> tuple[list[Any], list[Any]]:
    """The generated calculations of each repeat's rows, and of each repeat inside a repeat's."""
    rows = [
        (rep.id, _calculations_block(form, rep))
        for rep in form.repeats()
        if any(c.calculation is not None for c in rep.fields)
    ]
    nested = [
        (rep.id, inner.id, _calculations_block(form, inner))
        for rep in form.repeats()
        for inner in rep.fields
        if inner.type == "repeat" and any(c.calculation is not None for c in inner.fields)
    ]
    return rows, nested
