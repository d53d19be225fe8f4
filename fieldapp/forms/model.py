"""The form model: a ``Form`` of ``Section``s of ``Field``s (repeats hold fields of their own),
each field's ``Choice``s, and a ``FormSet`` of the forms one installation knows.

A ``Group`` (``type: group`` in a definition) is a titled part of a section or of a repeat's row,
possibly inside another group. It stores nothing: its questions are the fields of the level it
sits in (``Section.fields``, ``Form.fields``, a repeat's ``fields``), so every walker of fields
sees through groups; only the layout (``Section.layout``, a repeat's ``layout``) keeps them, for
the editor, the printed record and the XLSForm writer. A group's relevance is joined to the
relevance of each question inside it when the form is built.

A ``Form`` is built by ``fieldapp.forms.loading`` from its definition and is read-only after
that; ``Form.validate`` runs coercion, calculations, relevance and the checks of the other parts.
"""

from __future__ import annotations

import functools
from collections import ChainMap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp import expr, formcode, ids, thaidate
from fieldapp.errors import ExpressionError, Problem, ValidationError
from fieldapp.forms import piping
from fieldapp.forms.coercion import coerce_level
from fieldapp.forms.rules import allowed_codes, apply_relevance, calc_value, row_count
from fieldapp.forms.types import NESTED_ROWS, TYPES, FieldType
from fieldapp.forms.validation import check_level, checked_fields

if TYPE_CHECKING:
    from fieldapp.scoring import Rubric


@dataclass(frozen=True)
class Choice:
    code: str
    th: str
    en: str
    # further columns of the choice list (used by choice filters and instance('list'))
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def label(self, lang: str = "th") -> str:
        return self.th if lang == "th" else self.en

    def item(self) -> dict[str, Any]:
        """The choice as an item of ODK's secondary instance (name, label, further columns)."""
        return {"name": self.code, "label": self.th, "label::th": self.th, "label::en": self.en, **self.extra}


@dataclass
class Field:
    id: str
    type: str
    label: dict[str, str]
    path: str  # "members.first_name" inside a repeat
    section: str = ""
    hint: dict[str, str] = field(default_factory=dict)
    required: bool | expr.Expression = False
    relevant: expr.Expression | None = None
    constraint: expr.Expression | None = None
    constraint_message: dict[str, str] = field(default_factory=dict)
    calculation: expr.Expression | None = None
    choice_filter: expr.Expression | None = None  # which choices are offered (gives their codes)
    required_message: dict[str, str] = field(default_factory=dict)  # said when a required answer is missing
    read_only: bool = False  # shown, not typed: its value comes from its default
    result: str | None = None
    choices_name: str | None = None
    choices: list[Choice] = field(default_factory=list)
    other: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    multiline: bool = False
    signed: bool = False
    """money only: the amount may be negative (a loss, e.g. net farm income or business profit)"""
    digits: bool = False
    """text only: a code typed as printed — Thai digits become ASCII, spaces, dashes and dots go"""
    year_be: bool = False
    """integer only: a year in the Buddhist era (พ.ศ.); imports turn a Christian-era year into it"""
    ask_again: bool = False
    """asked again in every survey round: cleared when the next round is started (fieldapp.rounds)"""
    sensitive: bool = False
    ref: str | None = None
    default: Any = None
    appearance: str | None = None
    scored: bool = False
    meta: str | None = None  # a hidden question the app fills: start, end, today, deviceid, username
    keeps_value: bool = False  # a calculation with once(): its first value is kept
    pipes: dict[str, expr.Expression] = field(default_factory=dict)  # ${name} in label and hint
    repeat_count: expr.Expression | None = None  # a repeat whose number of rows follows an answer
    trigger: tuple[str, ...] = ()  # a calculation made only when one of these answers changes
    fields: list[Field] = field(default_factory=list)  # repeat children
    parent: Field | None = None  # the repeat this field lives in
    group: Group | None = None  # the innermost group this question is shown in (None: none)
    layout: list[Field | Group] = field(default_factory=list)  # a repeat's row: fields and groups
    codes: frozenset[str] = frozenset()

    @functools.cached_property
    def value_type(self) -> str:
        """The type of the stored value (``result`` for calculated fields)."""
        return (self.result or "text") if self.type == "calculated" else self.type

    @property
    def stores_value(self) -> bool:
        return TYPES[self.type].stores_value or self.nested

    @property
    def nested(self) -> bool:
        """A repeat inside a repeat (its rows are stored with the outer row: ``NESTED_ROWS``)."""
        return self.type == "repeat" and self.parent is not None

    @property
    def kind(self) -> FieldType:
        """The registry entry of the stored value's type (``result`` for calculated fields)."""
        return NESTED_ROWS if self.nested else TYPES[self.value_type]

    @property
    def widget_key(self) -> str:
        """The key the desktop editor finds this question's widget by."""
        return TYPES[self.type].widget_key

    def columns(self) -> list[tuple[str, str]]:
        """(column name, SQL type) pairs this field occupies in its table."""
        if not self.stores_value:
            return []
        return self.kind.columns(self.id)

    def to_columns(self, value: Any) -> list[Any]:
        """A stored value as the values of ``columns()``, in order."""
        enc = self.kind.to_columns
        return [value] if enc is None else enc(value)

    def from_columns(self, values: Any) -> Any:
        """The stored value back from a table row (a mapping of column names)."""
        return self.kind.from_columns(values, self.id)

    def label_for(self, lang: str = "th") -> str:
        return self.label.get(lang) or self.label.get("th", self.id)

    def choice_label(self, code: Any, lang: str = "th") -> str:
        found = self._choice_index.get(code)
        if found is not None:
            return found.label(lang)
        return "" if code is None else str(code)

    @functools.cached_property
    def _choice_index(self) -> dict[Any, Choice]:
        return {c.code: c for c in self.choices}

    @functools.cached_property
    def level(self) -> tuple[list[Field], frozenset[str]]:
        """A repeat's fields and the keys one of its rows may hold (with the row ``id``)."""
        return list(self.fields), frozenset([*(f.id for f in self.fields), "id"])

    @functools.cached_property
    def checked(self) -> list[Field]:
        return checked_fields(self.fields)

    def child(self, name: str) -> Field | None:
        found = self.__dict__.get("_children")
        if found is None or len(found) != len(self.fields):
            found = self.__dict__["_children"] = {f.id: f for f in self.fields}
        return found.get(name)


@dataclass(eq=False)
class Group:
    """A titled group of questions inside a section or a repeat's row (``type: group``).

    It stores nothing of its own: its questions live at the level of its ``parent`` (the repeat,
    or the form). Its ``relevant`` is also joined to each question inside it, so a group that
    does not apply clears its answers exactly as questions that do not apply."""

    id: str
    label: dict[str, str]
    path: str  # "members.health": where it is, for messages (not a stored path)
    items: list[Field | Group] = field(default_factory=list)
    hint: dict[str, str] = field(default_factory=dict)
    relevant: expr.Expression | None = None  # its own, compiled in its level's scope
    appearance: str | None = None
    parent: Field | None = None  # the repeat it is in
    group: Group | None = None  # the group it is in
    pipes: dict[str, expr.Expression] = field(default_factory=dict)  # ${name} in label and hint

    def questions(self) -> list[Field]:
        """Every field shown inside the group (in inner groups too), in order."""
        out: list[Field] = []
        for item in self.items:
            out.extend(item.questions() if isinstance(item, Group) else [item])
        return out

    def chain(self) -> list[Group]:
        """This group and the groups around it, outermost first."""
        out: list[Group] = []
        g: Group | None = self
        while g is not None:
            out.append(g)
            g = g.group
        return out[::-1]

    def label_for(self, lang: str = "th") -> str:
        return self.label.get(lang) or self.label.get("th", self.id)


def layout_of(owner: Section | Field) -> list[Field | Group]:
    """A section's or a repeat row's questions and groups, in order (its fields when it has no groups)."""
    return list(owner.layout) if owner.layout else list(owner.fields)


@dataclass
class Section:
    id: str
    label: dict[str, str]
    fields: list[Field]
    pipes: dict[str, expr.Expression] = field(default_factory=dict)  # ${name} in the label
    relevant: expr.Expression | None = None
    """The section's own relevance (an XLSForm group's): joined to every question of the section,
    so when it is false the whole section is skipped and its answers cleared."""
    layout: list[Field | Group] = field(default_factory=list)
    """The section's questions and groups as shown (empty: ``fields``, a section without groups)."""


@dataclass
class SoftRule:
    """A plausible range (``warnings:`` in a form): when ``when`` is true the answer may still be
    right, so it is a soft warning shown beside ``field`` that needs a reason, never refused."""

    id: str
    field: str  # ``name`` or ``repeat.name``
    when: expr.Expression
    message: dict[str, str]
    repeat: str | None = None  # evaluated once per row of this repeat


@dataclass
class Form:
    id: str
    version: str
    title: dict[str, str]
    source: str
    sections: list[Section]
    title_field: str | None = None
    area_field: str | None = None
    search: list[str] = field(default_factory=list)
    list_columns: list[str] = field(default_factory=list)
    scoring: str | None = None
    consent_field: str | None = None
    rounds: dict[str, str] | None = None
    """survey rounds (fieldapp.rounds): previous, number, label, date and person field names"""
    rubric: Rubric | None = None
    soft_rules: list[SoftRule] = field(default_factory=list)
    choice_lists: dict[str, list[Choice]] = field(default_factory=dict)  # every list it can use
    media: Path | None = None  # the folder of files that come with the form (pulldata CSVs)
    default_language: str = "th"
    fields: dict[str, Field] = field(default_factory=dict)  # top level, in order
    groups: dict[str, Group] = field(default_factory=dict)  # every group, by id (ids are unique)
    order: list[Field] = field(default_factory=list)
    calc_order: list[Field] = field(default_factory=list)
    calcs_before_rows: int = 0  # the first of calc_order read no repeat: made before the rows'
    calc_inputs: set[str] = field(default_factory=set)  # answers read by calculations and scoring
    # per repeat: (field id, compiled calculation, result normaliser) in row order
    row_calcs: list[tuple[str, Callable[[dict[str, Any], dict[str, Any]], None]]] = field(
        default_factory=list
    )
    # per repeat inside a repeat: (outer id, inner id, its row block), made before the outer rows'
    nested_calcs: list[tuple[str, str, Callable[[dict[str, Any], Any], None]]] = field(default_factory=list)

    # ------------------------------------------------------------------ structure

    @property
    def table(self) -> str:
        return self.id

    def repeats(self) -> list[Field]:
        """The form's repeats (computed once: the store asks for every record it writes)."""
        found: list[Field] | None = self.__dict__.get("_repeat_list")
        if found is None or len(self.fields) != self.__dict__.get("_repeat_n"):
            found = [f for f in self.fields.values() if f.type == "repeat"]
            self.__dict__["_repeat_list"], self.__dict__["_repeat_n"] = found, len(self.fields)
        return list(found)

    def child_table(self, repeat: Field | str) -> str:
        rid = repeat if isinstance(repeat, str) else repeat.id
        return f"{self.id}__{rid}"

    def field_at(self, path: str) -> Field:
        """A field by dotted path (``members.national_id``, ``plots.crops.crop_name``)."""
        head, _, rest = path.partition(".")
        f = self.fields.get(head)
        while f is not None and rest:
            head, _, rest = rest.partition(".")
            f = f.child(head)
        if f is None:
            raise KeyError(path)
        return f

    def title_of(self, lang: str = "th") -> str:
        return self.title.get(lang) or self.title["th"]

    def columns(self) -> list[tuple[str, str]]:
        return [c for f in self.fields.values() for c in f.columns()]

    def shown_columns(self) -> list[str]:
        """The answers a list of records shows: ``list_columns``, else the form's first five
        one-column answers (a form installed from an XLSForm names none), leaving out the hidden
        ones (the metadata: never shown)."""
        if self.list_columns:
            return list(self.list_columns)
        return [
            f.id
            for f in self.fields.values()
            if f.stores_value
            and len(f.columns()) == 1
            and not f.kind.attachment
            and f.type != "hidden"
            and f.appearance != "hidden"
        ][:5]

    def media_tables(self) -> dict[str, list[dict[str, str]]]:
        """The CSV files that come with the form (``media/NAME.csv``), by name, read once."""
        found: dict[str, list[dict[str, str]]] | None = self.__dict__.get("_media_tables")
        if found is None:
            found = {}
            if self.media is not None and self.media.is_dir():
                import csv

                for p in sorted(self.media.glob("*.csv")):
                    with p.open(encoding="utf-8-sig", newline="") as fh:
                        found[p.stem] = [dict(r) for r in csv.DictReader(fh)]
            self.__dict__["_media_tables"] = found
        return found

    # ------------------------------------------------------------------ validation

    @functools.cached_property
    def level(self) -> tuple[list[Field], frozenset[str]]:
        """The form's top-level fields and the keys a record may hold."""
        return list(self.fields.values()), frozenset(self.fields)

    @functools.cached_property
    def checked(self) -> list[Field]:
        return checked_fields(self.fields.values())

    def _validator(
        self, computed: bool = False, scored: bool = False
    ) -> Callable[[dict[str, Any], bool], dict[str, Any] | None] | None:
        """The common case of ``validate`` as generated code (``fieldapp.formcode``), made once
        for each kind of record (typed here, or computed by the server, and scored there)."""
        key = (computed, computed and scored)
        made = self.__dict__.setdefault("_validators", {})
        if key not in made:
            made[key] = formcode.validator(self, trusted=key[0], scored=key[1])
        fn: Callable[[dict[str, Any], bool], dict[str, Any] | None] | None = made[key]
        return fn

    def validate(
        self, raw: dict[str, Any], *, partial_ok: bool = False, computed: bool = False, scored: bool = False
    ) -> tuple[dict[str, Any], list[Problem]]:
        """Clean ``raw`` into a record document; returns (document, problems).

        The document has every field of the form (``None`` when empty), repeats as lists of
        rows with their own ``id``, calculations and scores filled in, and irrelevant answers
        cleared. With ``partial_ok`` missing required answers are not problems (a draft).

        ``computed``: the record was validated and calculated with this same form version (by
        the server); when every value is already in stored form it is taken as it is, without
        calculating or checking the rules again, and scored again unless ``scored`` (its scores
        were made with a rubric of the same fingerprint; see ``fieldapp.formcode.validator``).
        """
        fast = self._validator(computed, scored)
        if fast is not None:
            done = fast(raw, partial_ok)
            if done is not None:
                return done, []
        return self._validate_general(raw, partial_ok)

    def _validate_general(self, raw: Any, partial_ok: bool) -> tuple[dict[str, Any], list[Problem]]:
        """Every record the generated fast path leaves: mends what it can, reports the rest."""
        problems: list[Problem] = []
        if not isinstance(raw, dict):
            problems.append(Problem("", "ข้อมูลต้องเป็นชุดข้อมูลของแบบฟอร์ม", "record must be an object"))
            return {}, problems
        data = coerce_level(self.level, raw, "", problems)
        self.compute(data)
        if apply_relevance(self, data):
            self.compute(data)  # calculations may have read an answer that was just cleared
        if not problems:
            check_level(self.checked, data, None, "", problems, partial_ok)
        return data, problems

    def check(self, raw: dict[str, Any], *, partial_ok: bool = False) -> dict[str, Any]:
        """Validate and return the document, or raise ValidationError with every problem."""
        data, problems = self.validate(raw, partial_ok=partial_ok)
        if problems:
            raise ValidationError.from_problems(problems)
        return data

    def compute(self, data: dict[str, Any]) -> None:
        """Fill calculated fields: the form's that read no repeat, the rows', the form's others,
        then the scoring rubric."""
        early = self.calcs_before_rows
        for f in self.calc_order[:early]:  # read no repeat: the rows' calculations may read them
            if not f.trigger:  # a triggered value is made when its trigger changes (Form.fire)
                data[f.id] = calc_value(f, data, None)
        for rep_id, inner_id, inner in self.nested_calcs:
            for row in data.get(rep_id) or []:
                for sub in row.get(inner_id) or []:
                    inner(data, ChainMap(sub, row))
        for rep_id, block in self.row_calcs:
            for row in data.get(rep_id) or []:
                block(data, row)
        for f in self.calc_order[early:]:
            if not f.trigger:
                data[f.id] = calc_value(f, data, None)
        if self.rubric is not None:
            data.update(self.rubric.apply(data))

    def blank(self) -> dict[str, Any]:
        """A new record with defaults, as the editor starts it."""
        data: dict[str, Any] = {}
        for f in self.fields.values():
            if f.type == "repeat":
                data[f.id] = []
            elif f.type == "date" and f.default == "today":
                data[f.id] = thaidate.today().isoformat()
            elif f.stores_value:
                data[f.id] = f.default
        self.compute(data)
        return data

    def blank_row(self, repeat: str) -> dict[str, Any]:
        """A new row of the repeat at this path (``members``, or ``plots.crops`` inside a row)."""
        rep = self.field_at(repeat)
        row: dict[str, Any] = {"id": ids.new_id()}
        for f in rep.fields:
            if f.type == "repeat":
                row[f.id] = []
            elif f.stores_value:
                row[f.id] = f.default
        return row

    def is_relevant(self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None) -> bool:
        if f.relevant is None:
            return True
        try:
            return expr.truthy(f.relevant.fn(data, row))
        except (ExpressionError, TypeError, ValueError, OverflowError):
            return False

    def group_relevant(self, g: Group, data: dict[str, Any], row: Any = None) -> bool:
        """Whether the group ``g`` and every group around it apply with these answers (``row``:
        the repeat's row it is shown in)."""
        for outer in g.chain():
            if outer.relevant is None:
                continue
            try:
                if not expr.truthy(outer.relevant.fn(data, row)):
                    return False
            except (ExpressionError, TypeError, ValueError, OverflowError):
                return False
        return True

    def group_texts(self, g: Group, data: dict[str, Any], row: Any = None) -> dict[str, str]:
        """A group's title in every language, with the answers it names (``${name}``)."""
        return piping.fill(g.pipes, g.label, data, row)

    def group_hint_texts(self, g: Group, data: dict[str, Any], row: Any = None) -> dict[str, str]:
        """A group's hint in every language, with the answers it names."""
        return piping.fill(g.pipes, g.hint, data, row)

    def allowed_codes(
        self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None
    ) -> set[str] | None:
        """The codes ``f``'s choice_filter offers for these answers (None: no filter, or it failed)."""
        return allowed_codes(f, data, row)

    def is_required(self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None) -> bool:
        if isinstance(f.required, bool):
            return f.required
        try:
            return expr.truthy(f.required(data, row))
        except ExpressionError:
            return False

    def row_count(self, rep: Field, data: dict[str, Any], row: Any = None) -> int | None:
        """How many rows ``rep``'s ``repeat_count`` asks for with these answers (None: the repeat
        has none, or it gives no number yet)."""
        return row_count(rep, data, row)

    def triggered_by(self, field_id: str) -> list[Field]:
        """The calculations that are made when the answer ``field_id`` changes (XLSForm's trigger)."""
        return [f for f in self.calc_order if field_id in f.trigger]

    def fire(self, f: Field, data: dict[str, Any]) -> Any:
        """A triggered calculation's value now (``data``: the record as it is); the editor keeps it."""
        return calc_value(f, data, None)

    def label_texts(
        self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None
    ) -> dict[str, str]:
        """``f``'s label in every language, with each ``${name}`` showing its current answer."""
        return piping.fill(f.pipes, f.label, data, row)

    def section_texts(self, section: Section, data: dict[str, Any]) -> dict[str, str]:
        """A section's label in every language, with the answers it names (a group's ``${name}``)."""
        return piping.fill(section.pipes, section.label, data, None)

    def hint_texts(self, f: Field, data: dict[str, Any], row: dict[str, Any] | None = None) -> dict[str, str]:
        """``f``'s hint in every language, with each ``${name}`` showing its current answer."""
        return piping.fill(f.pipes, f.hint, data, row)


@dataclass
class FormSet:
    forms: dict[str, Form]
    choices: dict[str, list[Choice]]
    rubrics: dict[str, Rubric]
    directory: Path | None = None  # where the definitions were loaded from

    def __getitem__(self, form_id: str) -> Form:
        try:
            return self.forms[form_id]
        except KeyError:
            from fieldapp.errors import NotFoundError

            raise NotFoundError(
                f"ไม่มีแบบฟอร์ม {form_id!r} (มี: {', '.join(sorted(self.forms))})",
                f"no form {form_id!r} (known: {', '.join(sorted(self.forms))})",
            ) from None

    def __iter__(self) -> Any:
        return iter(self.forms.values())
