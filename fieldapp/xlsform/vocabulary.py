"""What XLSForm says and what fieldapp says: question types, metadata rows, language columns,
reserved names, and the settings of fieldapp's own that travel in ``fieldapp_*`` columns."""

from __future__ import annotations

import re

# XLSForm type (as pyxform names it) → fieldapp type
XLS_TO_FIELDAPP_TYPE = {
    "text": "text",
    "string": "text",  # the older name of text
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
    "gps": "geopoint",  # the older name of geopoint
    "image": "photo",
    "photo": "photo",
    "audio": "audio",
    "video": "video",
    "file": "file",
    "phone number": "phone",
    "time": "time",
    "datetime": "datetime",
    "dateTime": "datetime",  # the name XLSForm's documentation writes (and fieldapp writes back)
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "barcode": "barcode",
    "rank": "rank",
    "hidden": "hidden",
}
# carried as another type, with what is lost
AS_TEXT = {
    "select one from file": "a choice list from a file is kept as text",
    "select all that apply from file": "a choice list from a file is kept as text",
    "osm": "an OpenStreetMap answer is kept as text",
}
# metadata rows: carried as hidden questions the app fills (fieldapp.forms.metadata) ...
META_CARRIED = {
    "start": "start",
    "end": "end",
    "today": "today",
    "deviceid": "deviceid",
    "uri:deviceid": "deviceid",  # the older name of deviceid
    "username": "username",
    "uri:username": "username",
}
META_LABELS = {
    "start": ("เวลาเริ่มสัมภาษณ์", "Started"),
    "end": ("เวลาบันทึกล่าสุด", "Last saved"),
    "today": ("วันที่สัมภาษณ์", "Day of the interview"),
    "deviceid": ("รหัสเครื่อง", "Device"),
    "username": ("ผู้บันทึก", "Recorded by"),
}
# ... and these are left out, each for its reason
METADATA = {
    "email": "not collected: a user of fieldapp has a name, not an e-mail address (username is carried)",
    "uri:email": "not collected: a user of fieldapp has a name, not an e-mail address (username is carried)",
    "phonenumber": "not collected: a laptop has no phone number to read",
    "uri:phonenumber": "not collected: a laptop has no phone number to read",
    "simserial": "not collected: a laptop has no SIM card to read",
    "uri:simserial": "not collected: a laptop has no SIM card to read",
    "subscriberid": "not collected: a laptop has no SIM card to read",
    "uri:subscriberid": "not collected: a laptop has no SIM card to read",
    "audit": "not collected: no log of the form's screens (every record's edits are in its history)",
    "start-geopoint": "not collected: no location is taken on starting",
    "background-audio": "not collected: no background recording",
    "background-geopoint": "not collected: no location is taken in the background",
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
    "meta",
)
NATIVE_FORM_KEYS = ("id", "version", "title", "choices", "sections", "default_language")
