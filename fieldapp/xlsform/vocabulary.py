"""What XLSForm says and what fieldapp says: question types, metadata rows, language columns,
reserved names, and the settings of fieldapp's own that travel in ``fieldapp_*`` columns."""

from __future__ import annotations

import re

# XLSForm type (as pyxform names it) → fieldapp type
XLS_TO_FIELDAPP_TYPE = {
    "text": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "calculate": "calculated",
    "acknowledge": "acknowledge",
    "trigger": "acknowledge",  # XLSForm's older name of acknowledge
    "geopoint": "geopoint",
    "image": "photo",
    "photo": "photo",
    "audio": "audio",
    "video": "video",
    "file": "file",
    "phone number": "phone",
}
# carried as another type, with what is lost
AS_TEXT = {
    "barcode": "a barcode is typed as text (no scanner)",
    "time": "a time is kept as text (HH:MM)",
    "dateTime": "a date and time is kept as text",
    "datetime": "a date and time is kept as text",
    "geotrace": "a line of points is kept as text",
    "geoshape": "an area of points is kept as text",
    "rank": "a ranking is kept as text (the codes in order)",
    "hidden": "a hidden value is kept as text",
    "select one from file": "a choice list from a file is kept as text",
    "select all that apply from file": "a choice list from a file is kept as text",
    "osm": "an OpenStreetMap answer is kept as text",
}
# the record itself carries these (created_at, updated_at, device_id, created_by)
METADATA = {
    "start": "the record keeps when it was made (created_at)",
    "end": "the record keeps when it was last changed (updated_at)",
    "today": "the record keeps the day it was made (created_at)",
    "deviceid": "the record keeps the device it was made on (device_id)",
    "username": "the record keeps who made it (created_by)",
    "email": "the record keeps who made it (created_by)",
    "phonenumber": "not collected: a phone number is not read from the device",
    "simserial": "not collected: the SIM serial is not read from the device",
    "subscriberid": "not collected: the subscriber id is not read from the device",
    "audit": "not collected: no audit log of the form's screens",
    "start-geopoint": "not collected: no location is taken on starting",
    "background-audio": "not collected: no background recording",
}
NAME_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
CODE_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
VAR = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*\}")
LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)?)\)\s*$")
LANG_NAMES = {
    "english": "en",
    "thai": "th",
    "ไทย": "th",
    "lao": "lo",
    "ລາວ": "lo",
    "khmer": "km",
    "ខ្មែរ": "km",
    "burmese": "my",
    "myanmar": "my",
    "မြန်မာ": "my",
    "chinese": "zh",
    "french": "fr",
    "spanish": "es",
    "vietnamese": "vi",
}
LANG_LABEL = {
    "th": "ไทย (th)",
    "en": "English (en)",
    "lo": "ລາວ (lo)",
    "km": "ខ្មែរ (km)",
    "my": "မြန်မာ (my)",
}
RESERVED = {
    "id",
    "parent_id",
    "position",
    "form_id",
    "form_version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "device_id",
    "server_rev",
    "base",
    "dirty",
    "deleted",
    "deleted_at",
    "deleted_by",
    "conflict",
}
# fieldapp field keys written in fieldapp_* columns (XLSForm has no column of its own for them)
OWN_KEYS = (
    "min",
    "max",
    "max_length",
    "multiline",
    "digits",
    "signed",
    "year_be",
    "ask_again",
    "sensitive",
    "ref",
    "scored",
    "result",
    "other",
)
FORM_OWN_KEYS = (
    "title_field",
    "area_field",
    "search",
    "list_columns",
    "scoring",
    "consent_field",
    "rounds",
    "description",
    "warnings",
)
# the keys of a field and of a form that XLSForm's own columns carry
NATIVE_FIELD_KEYS = (
    "id",
    "type",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "choices",
    "default",
    "appearance",
    "fields",
    "choice_filter",
    "required_message",
    "read_only",
    "repeat_count",
    "trigger",
)
NATIVE_FORM_KEYS = ("id", "version", "title", "choices", "sections", "default_language")
