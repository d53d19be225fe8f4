"""Which fieldapp type an XLSForm row becomes (``question_type``), the metadata rows carried as
hidden questions (``convert_meta``) and where they go (``place_hidden``): the part of reading
that knows the two sides' type vocabularies."""

from __future__ import annotations

from typing import Any, Protocol

from fieldapp.xlsform.vocabulary import AS_TEXT, META_CARRIED, META_LABELS, XLS_TO_FIELDAPP_TYPE


class Reader(Protocol):
    """What of the survey's reader (``reading``) these steps use: its report and its names."""

    current_repeat: str | None
    rows_of: dict[int, int | None]

    def partial(self, name: str, reason: str) -> None: ...

    def drop(self, name: str, reason: str) -> None: ...

    def field_id(self, name: str) -> str: ...

    def row(self, name: str) -> int | None: ...


def from_file(c: dict[str, Any]) -> bool:
    """A select whose choices are a file's rows (``select_one_from_file regions.csv``)."""
    return str(c.get("itemset") or "").lower().endswith((".csv", ".xml", ".geojson"))


def question_type(c: dict[str, Any], reader: Reader) -> str | None:
    """fieldapp's type for a question of pyxform's type; None (reported) when none fits."""
    t = str(c.get("type") or "")
    name = str(c.get("name") or "")
    own = c.get("fieldapp_type")
    if own:
        return str(own)
    if from_file(c):  # select_one_from_file: the choices are rows of a file that comes with the form
        reader.partial(
            name,
            f"the choices come from the file {c['itemset']}, which is not read: the answer is kept as "
            "text (the code)" + (" and its choice_filter is not carried" if c.get("choice_filter") else ""),
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
