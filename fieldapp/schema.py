"""The columns the store keeps beside a form's answers — and so the names a field may not take.

One list: the store builds its tables from ``META_COLUMNS`` (a record) and ``CHILD_META`` (a row
of a repeat), and the form loader refuses a field id in ``RESERVED_NAMES``. A new store column is
added here and nowhere else. A leaf: imports nothing of the application.
"""

from __future__ import annotations

META_COLUMNS: list[tuple[str, str]] = [
    ("id", "TEXT PRIMARY KEY"),
    ("form_id", "TEXT NOT NULL"),
    ("form_version", "TEXT NOT NULL"),
    ("created_at", "TEXT NOT NULL"),
    ("created_by", "TEXT NOT NULL"),
    ("updated_at", "TEXT NOT NULL"),
    ("updated_by", "TEXT NOT NULL"),
    ("device_id", "TEXT NOT NULL"),
    ("server_rev", "INTEGER"),
    ("base", "TEXT"),
    ("dirty", "INTEGER NOT NULL DEFAULT 1"),
    ("deleted", "INTEGER NOT NULL DEFAULT 0"),
    ("deleted_at", "TEXT"),
    ("deleted_by", "TEXT"),
    ("conflict", "TEXT"),
    ("title_sort", "TEXT"),
]
META_NAMES = [name for name, _ in META_COLUMNS]
CHILD_META: list[tuple[str, str]] = [
    ("id", "TEXT PRIMARY KEY"),
    ("parent_id", "TEXT NOT NULL"),
    ("position", "INTEGER NOT NULL"),
]

# a field id may be none of these, in a record or in a repeat's rows
RESERVED_NAMES = frozenset(META_NAMES) | {name for name, _ in CHILD_META}

# fields of the bundled forms that the program itself reads (the village in lists, the area tree,
# counts and reports); a form without them still works, without villages. The household class is
# not here: its name is the scoring rubric's (``fieldapp.scoring.class_field``).
VILLAGE_NO = "village_no"
VILLAGE_NAME = "village_name"
VISIT_OUTCOME = "visit_outcome"
VISIT_DATE = "visit_date"
VISIT_FIELDS = (VISIT_OUTCOME, VISIT_DATE)
"""A household's visit (forms/household.yaml, docs/forms.md "Visit outcomes"): an import of a target
list does not start these at the form's defaults (an interview today), since a listed household
has not been visited yet; the person who visits records them."""
COLLECTOR = "surveyor"  # the data collector: the desktop app fills in the leader's name
