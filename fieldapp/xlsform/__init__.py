"""XLSForms in and out: an ODK/Kobo survey (``.xlsx``/``.xls``) as a fieldapp form, and back.

Reading goes through pyxform, the XLSForm project's own reader: it knows the sheets (survey,
choices, settings), the many spellings of types and columns, languages and bindings. Its result is
turned into fieldapp's form format (``docs/forms.md``); whatever cannot be carried is reported row
by row, never dropped silently: ``ImportReport.partial`` (the question came, something of it did
not) and ``ImportReport.dropped`` (the row did not come). Every rule that comes is compiled with the
form, so an expression fieldapp cannot evaluate is reported too.

Writing gives an XLSForm pyxform reads back into the same form: fieldapp's own settings that
XLSForm has no column for travel in ``fieldapp_*`` columns, which pyxform passes through.

The parts: ``vocabulary`` (the two sides' names for things), ``reading`` (``read_xlsform``,
``ImportReport``), ``kinds`` (which fieldapp type a row becomes; the metadata rows) and
``writing`` (``write_xlsform``).
"""

from __future__ import annotations

from fieldapp.xlsform.reading import ImportReport, Note, XLSFormError, read_xlsform, to_yaml
from fieldapp.xlsform.vocabulary import FORM_OWN_KEYS, NATIVE_FIELD_KEYS, NATIVE_FORM_KEYS, OWN_KEYS
from fieldapp.xlsform.writing import write_xlsform

__all__ = [
    "FORM_OWN_KEYS",
    "NATIVE_FIELD_KEYS",
    "NATIVE_FORM_KEYS",
    "OWN_KEYS",
    "ImportReport",
    "Note",
    "XLSFormError",
    "read_xlsform",
    "to_yaml",
    "write_xlsform",
]
