"""Survey rounds: the same household surveyed again, its records linked round after round.

A form with ``rounds:`` (docs/forms.md) names the fields that make a chain of rounds: the link
to the record of the round before (``previous``), the round's number (``number``), its name as
typed (``label``), its date (``date``) and, in a repeat, the person a row stands for (``person``).

The next round is a new record pre-filled from the last one (``next_round``): everything is
copied except the questions marked ``ask_again: true`` in the form, which are cleared and
listed so that the editor marks them; the date becomes today, the number and the name advance,
and each repeat row gets a new row id (a row id belongs to one record: the laptop's tables and
the server key rows by it) while its ``person`` keeps the row id the person had in the first
round recorded, so a person is followed across rounds by that id (``person_key``).

Pure: a form and documents in, a document out. The store finds the chain and checks the links
(``Store.start_next_round``, ``Store.round_chain``; ``fieldapp.crossrecord.check_round``).
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fieldapp.forms import Field, Form
from fieldapp.ids import new_id


@dataclass
class NextRound:
    """A next round ready for the editor: its answers and what must be asked again."""

    previous_id: str
    doc: dict[str, Any]
    ask_again: list[str] = field(default_factory=list)
    """field paths cleared (``income_wage``, ``members.occupation``)"""

    def asks(self, f: Field) -> bool:
        return f.path in self.ask_again


@dataclass
class Round:
    """One round of a chain, oldest first in ``Store.round_chain``."""

    record_id: str
    number: int
    label: str
    date: str
    title: str


def ask_again_fields(form: Form) -> list[Field]:
    """The questions cleared in a new round, in form order (with their ``_other`` texts)."""
    out: list[Field] = []
    for f in form.order:
        if f.ask_again:
            out.append(f)
            if f.other:
                parent = form.fields if f.parent is None else {c.id: c for c in f.parent.fields}
                other = parent.get(f"{f.id}_other")
                if other is not None:
                    out.append(other)
    return out


def next_label(label: Any, number: int) -> str:
    """The next round's name: the last number of the old name goes up by one
    (``2569-1`` → ``2569-2``, ``รอบ 3`` → ``รอบ 4``); without one, the round's number."""
    text = str(label or "").strip()
    m = re.search(r"(\d+)(\D*)$", text)
    if not m:
        return str(number)
    return f"{text[: m.start(1)]}{int(m.group(1)) + 1}{m.group(2)}"


def person_key(form: Form, row: dict[str, Any]) -> str:
    """The person a repeat row stands for: its ``person`` id, else (a first round) its own row id."""
    person = (form.rounds or {}).get("person", "")
    name = person.partition(".")[2]
    return str(row.get(name) or row.get("id") or "")


def number_of(form: Form, doc: dict[str, Any]) -> int:
    """The round number of a record (1 when it has none)."""
    value = doc.get((form.rounds or {}).get("number", ""))
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def next_round(
    form: Form,
    previous_id: str,
    previous: dict[str, Any],
    today: _dt.date,
    make_id: Callable[[], str] = new_id,
) -> NextRound:
    """The next round of ``previous`` (the stored answers of record ``previous_id``); its repeat
    rows get ids from ``make_id`` (the demo's come from its seed)."""
    rounds = form.rounds
    if not rounds:
        raise ValueError(f"form {form.id!r} has no rounds")
    doc = copy.deepcopy(previous)
    cleared = ask_again_fields(form)
    top = [f.id for f in cleared if f.parent is None]
    for name in top:
        doc.pop(name, None)
    person = rounds.get("person", "")
    rep_id, _, person_field = person.partition(".")
    for rep in form.repeats():
        names = [f.id for f in cleared if f.parent is rep]
        rows = []
        for row in doc.get(rep.id) or []:
            new = {k: v for k, v in row.items() if k not in names}
            if rep.id == rep_id:
                new[person_field] = person_key(form, row)
            new["id"] = make_id()
            rows.append(new)
        if rep.id in doc:
            doc[rep.id] = rows
    number = number_of(form, previous) + 1
    doc[rounds["previous"]] = previous_id
    doc[rounds["number"]] = number
    if rounds.get("label"):
        doc[rounds["label"]] = next_label(previous.get(rounds["label"]), number)
    if rounds.get("date"):
        doc[rounds["date"]] = today.isoformat()
    for f in form.order:  # calculations and scores are made again from the new answers
        if f.type == "calculated":
            if f.parent is None:
                doc.pop(f.id, None)
            else:
                for row in doc.get(f.parent.id) or []:
                    row.pop(f.id, None)
    return NextRound(previous_id, doc, [f.path for f in cleared])
