"""Form definitions (``forms/*.yaml``): loading, checking and validating records.

The format is documented in ``docs/forms.md``. The parts, each a module of this package:

- ``model``: ``Form``, ``Section``, ``Field``, ``Group``, ``Choice``, ``FormSet`` — what a loaded
  form is (a group stores nothing: its questions are fields of its level; ``layout_of`` gives a
  section's or a repeat row's questions with their groups, as shown);
- ``types``: the question-type registry (``TYPES``): coercion, stored form, columns, widget key;
- ``loading``: reading and checking definitions (``load_all``, ``load_file``, ``default_forms``,
  ``check_files``);
- ``choicelists``: choice lists, a form's own and the shared ones of ``choices.yaml``;
- ``groups``: ``type: group`` in a definition (reading, checking, compiling, walking a layout);
- ``coercion``: raw answers into their stored form (``coerce``, ``coerce_level``);
- ``rules``: relevance, ``required``, constraints and calculations at work;
- ``validation``: the checks of a cleaned record (``check_level``);
- ``expressions``: how a form's expressions find their values (``make_resolver``);
- ``piping``: answers shown inside labels and hints (``${name}``);
- ``metadata``: the hidden questions the app fills (start, end, today, deviceid, username).

``Form.validate(raw)`` is the first step of the one write path: it turns raw input (from the app,
an import or a sync) into a clean record document, or returns every problem it found. Callers
use ``from fieldapp import forms`` and the names below.
"""

from __future__ import annotations

from fieldapp.errors import FormDefinitionError, ValidationError
from fieldapp.forms import metadata
from fieldapp.forms.choicelists import CODE_RE, NAME_RE, parse_choices, read_shared_choices
from fieldapp.forms.coercion import already_stored, coerce, coerce_level, coerce_rows
from fieldapp.forms.expressions import calculation_inputs, make_resolver
from fieldapp.forms.groups import GROUP_KEYS, groups_in, questions
from fieldapp.forms.loading import (
    FIELD_KEYS,
    FORM_KEYS,
    Builder,
    check_files,
    default_forms,
    iter_fields,
    load_all,
    load_file,
    load_form,
)
from fieldapp.forms.model import Choice, Field, Form, FormSet, Group, Section, layout_of
from fieldapp.forms.rules import (
    apply_relevance,
    calc_value,
    constraint_ok,
    normalise_result,
    normaliser,
    relevant,
    required,
    row_count,
)
from fieldapp.forms.types import (
    ATTACHMENT_TYPES,
    CANONICAL_UUID,
    FIELD_TYPES,
    LARGEST_INT,
    RESULT_TYPES,
    SQL_TYPES,
    TYPES,
    FieldType,
    coerce_date_text,
    shown,
    uuid_or_none,
)
from fieldapp.forms.validation import MAX_ROWS_DEFAULT, check_level, checked_fields
from fieldapp.forms.yamlfile import YAML_LOADER, labels, read_yaml
from fieldapp.schema import RESERVED_NAMES

__all__ = [
    "ATTACHMENT_TYPES",
    "CANONICAL_UUID",
    "CODE_RE",
    "FIELD_KEYS",
    "FIELD_TYPES",
    "FORM_KEYS",
    "GROUP_KEYS",
    "LARGEST_INT",
    "MAX_ROWS_DEFAULT",
    "NAME_RE",
    "RESERVED_NAMES",
    "RESULT_TYPES",
    "SQL_TYPES",
    "TYPES",
    "YAML_LOADER",
    "Builder",
    "Choice",
    "Field",
    "FieldType",
    "Form",
    "FormDefinitionError",
    "FormSet",
    "Group",
    "Section",
    "ValidationError",
    "already_stored",
    "apply_relevance",
    "calc_value",
    "calculation_inputs",
    "check_files",
    "check_level",
    "checked_fields",
    "coerce",
    "coerce_date_text",
    "coerce_level",
    "coerce_rows",
    "constraint_ok",
    "default_forms",
    "groups_in",
    "iter_fields",
    "labels",
    "layout_of",
    "load_all",
    "load_file",
    "load_form",
    "make_resolver",
    "metadata",
    "normalise_result",
    "normaliser",
    "parse_choices",
    "questions",
    "read_shared_choices",
    "read_yaml",
    "relevant",
    "required",
    "row_count",
    "shown",
    "uuid_or_none",
]
