"""Which fieldapp type an XLSForm row becomes (``question_type``; a select's choices read from the
CSV file that comes with the form, ``read_file_choices``), the metadata rows carried as hidden
questions (``convert_meta``) and where they go (``place_hidden``): the part of reading that knows
the two sides' type vocabularies."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Protocol

from fieldapp.xlsform.vocabulary import AS_TEXT, META_CARRIED, META_LABELS, XLS_TO_FIELDAPP_TYPE


class Reader(Protocol):
    """What of the survey's reader (``reading``) these steps use: its report and its names."""

    current_repeat: str | None
    rows_of: dict[int, int | None]
    media: list[Path]
    file_choices: dict[str, list[dict[str, Any]]]

    def partial(self, name: str, reason: str) -> None: ...

    def drop(self, name: str, reason: str) -> None: ...

    def field_id(self, name: str) -> str: ...

    def row(self, name: str) -> int | None: ...


def from_file(c: dict[str, Any]) -> bool:
    """A select whose choices are a file's rows (``select_one_from_file regions.csv``)."""
    return str(c.get("itemset") or "").lower().endswith((".csv", ".xml", ".geojson"))


def read_file_choices(file: str, reader: Reader) -> bool:
    """The rows of a CSV file of choices (``select_one_from_file villages.csv``: columns ``name``,
    ``label`` or ``label::LANGUAGE``, and any others a choice filter reads), found beside the form
    or in its ``FORM-media`` folder, as the choices sheet's rows; True when it was read. The
    choices then travel in the form like any list (an export writes them in its choices sheet)."""
    if file in reader.file_choices:
        return True
    found = next((d / file for d in reader.media if (d / file).is_file()), None)
    if found is None or found.suffix.lower() != ".csv":
        return False
    rows: list[dict[str, Any]] = []
    with open(found, encoding="utf-8-sig", newline="") as fh:
        for line in csv.DictReader(fh):
            item: dict[str, Any] = {}
            labels = {k.split("::", 1)[1]: v for k, v in line.items() if k and k.startswith("label::") and v}
            for k, v in line.items():
                if k and not k.startswith("label") and v not in (None, ""):
                    item[k.strip()] = v
            item["label"] = labels or line.get("label") or line.get("name")
            rows.append(item)
    if not rows or any("name" not in r for r in rows):
        return False
    reader.file_choices[file] = rows
    return True


def question_type(c: dict[str, Any], reader: Reader) -> str | None:
    """fieldapp's type for a question of pyxform's type; None (reported) when none fits."""
    t = str(c.get("type") or "")
    name = str(c.get("name") or "")
    own = c.get("fieldapp_type")
    if own:
        return str(own)
    if from_file(c) and not read_file_choices(str(c["itemset"]), reader):
        # select_one_from_file whose file did not come with the form (or is not a CSV)
        reader.partial(
            name,
            f"the choices come from the file {c['itemset']}, which was not found beside the form (or is "
            "not a CSV): the answer is kept as text (the code)"
            + (" and its choice_filter is not carried" if c.get("choice_filter") else ""),
        )
        return "text"
    ftype = XLS_TO_FIELDAPP_TYPE.get(t)
    if ftype is not None:
        return ftype
    if t in AS_TEXT:
        reader.partial(name, AS_TEXT[t])
        return "text"
    if t == "range":
        params = c.get("parameters") or {}
        step = str(params.get("step", "1"))
        reader.partial(name, "a range is typed as a number between its start and end (no slider)")
        whole = "." not in step and all("." not in str(params.get(k, "")) for k in ("start", "end"))
        return "integer" if whole else "decimal"
    reader.drop(name, f"the question type {t!r} is not supported")
    return None


def convert_meta(c: dict[str, Any], reader: Reader, t: str, in_repeat: bool, out: list[dict[str, Any]]) -> None:
    """A metadata row (start, end, today, deviceid, username): a hidden question the app fills."""
    name = str(c.get("name") or "")
    if in_repeat or reader.current_repeat is not None:
        reader.drop(name, "metadata belongs to the record, not to a row of a repeat")
        return
    meta = META_CARRIED[t]
    th, en = META_LABELS[meta]
    q = {"id": reader.field_id(name), "type": "hidden", "label": {"th": th, "en": en}, "meta": meta}
    reader.rows_of[id(q)] = reader.row(name)
    out.append(q)


def place_hidden(sections: list[dict[str, Any]]) -> None:
    """A section of hidden questions only (metadata rows above the first group) would be an empty
    page: its questions go to the next section (the one before, at the end)."""
    i = 0
    while i < len(sections) and len(sections) > 1:
        fields = sections[i]["fields"]
        if all(f.get("type") == "hidden" for f in fields):
            if i + 1 < len(sections):
                sections[i + 1]["fields"] = [*fields, *sections[i + 1]["fields"]]
            else:
                sections[i - 1]["fields"] = [*sections[i - 1]["fields"], *fields]
            del sections[i]
            continue
        i += 1
