"""What every command shares: exit codes, the parser that reports a usage error in one line,
opening the database, JSON output, and showing an answer (national IDs masked unless asked)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldapp import config, forms, geo, thai
from fieldapp import store as stores
from fieldapp.errors import (
    FieldAppError,
)
from fieldapp.store import Store

if TYPE_CHECKING:
    pass


EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2
        self.exit(EXIT_USAGE, f"fieldapp: usage error: {message} (see fieldapp --help)\n")


def usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def open_store(args: argparse.Namespace) -> Store:
    """The database the command names (--db, FIELDAPP_DB), opened as the user it names."""
    return stores.open_store(config.database_path(args.db), user=config.author(args.user))


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False))


# ---------------------------------------------------------------------- commands


def display(f: forms.Field, value: Any, unmask: bool) -> str:
    if value is None or value == [] or value == "":
        return ""
    t = f.value_type
    if t == "national_id":
        return thai.format_national_id(value) if unmask else thai.mask_national_id(value)
    if t == "phone":
        return thai.format_phone(value)
    if t == "subdistrict":
        try:
            return f"{value} {geo.full_name(value)}"
        except FieldAppError:
            return str(value)
    # choices by their labels, dates in the Buddhist era, yes/no, money, files: the type registry
    return forms.shown(f, value, "th")


def mask_doc(form: forms.Form, doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for f in form.fields.values():
        if f.type == "national_id" and out.get(f.id):
            out[f.id] = thai.mask_national_id(out[f.id])
        if f.type == "repeat":
            rows = []
            for r in out.get(f.id) or []:
                r = dict(r)
                for c in f.fields:
                    if c.type == "national_id" and r.get(c.id):
                        r[c.id] = thai.mask_national_id(r[c.id])
                rows.append(r)
            out[f.id] = rows
    return out
