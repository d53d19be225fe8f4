"""The ``fieldapp`` command line (documented in docs/cli.md).

Every command takes ``--db PATH`` (default: ``FIELDAPP_DB``, else the user's data folder). Bad
input prints one clear line and exits non-zero; nothing is written.

Each group of commands declares its arguments beside its handlers: ``records`` (the database and
its records), ``data`` (sync, import, export, backups), ``formdefs`` (``forms …``), ``reports``
(``report …``); ``fieldapp.cli_privacy`` adds the privacy commands. ``common`` holds what they
share. ``main`` parses, unlocks an encrypted database and turns errors into one line.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from fieldapp import __version__, config
from fieldapp.cli import data, formdefs, records, reports
from fieldapp.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, Handler, Parser
from fieldapp.errors import (
    AccessError,
    DiskFullError,
    FieldAppError,
    StoreError,
    ValidationError,
    disk_full,
    is_disk_full,
)

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "main", "subcommands"]


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="fieldapp",
        description="Offline field data for ending poverty in Thai villages.",
    )
    p.add_argument("--version", action="version", version=f"fieldapp {__version__}")
    p.add_argument("--db", type=Path, help="database file (default: $FIELDAPP_DB or the user data folder)")
    p.add_argument("--user", help="name recorded as the author of changes (default: $FIELDAPP_USER or login)")
    p.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation on a temporary database (no screen needed) and exit",
    )
    from fieldapp import cli_privacy

    cli_privacy.add_global(p)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    records.add_parsers(sub)  # init, demo, list, show, stats, rounds, visits, check
    data.add_parsers(sub)  # sync, import, export, backup, restore
    formdefs.add_parsers(sub)  # forms …
    reports.add_parsers(sub)  # report …
    cli_privacy.add_parsers(sub)  # encryption, users, audit, a household's rights
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from fieldapp import selftest

        return selftest.run()
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        from fieldapp import cli_privacy

        cli_privacy.unlock_for(args)  # an encrypted database: sign in first
        return handler(args)
    except FieldAppError as exc:
        detail = ""
        if isinstance(exc, ValidationError) and len(exc.problems) > 1:
            detail = f" [{'; '.join(p.path + ': ' + (p.message_en or p.message) for p in exc.problems[:5])}]"
        print(f"fieldapp: error: {exc.message_en}{detail}", file=sys.stderr)
        if isinstance(exc, (AccessError, DiskFullError)):  # the Thai message too
            print(f"fieldapp: {exc.message}", file=sys.stderr)
            return EXIT_ERROR
        if isinstance(exc, StoreError) and exc.reason != "damaged":  # a folder, read-only, disk full
            print(f"fieldapp: {exc.message}", file=sys.stderr)
            return EXIT_ERROR
        if isinstance(exc, StoreError):  # a damaged database: point at the latest good backup
            from fieldapp.backup import restore_hint

            hint = restore_hint(config.database_path(getattr(args, "db", None)))
            if hint:
                print(hint, file=sys.stderr)
        return EXIT_ERROR
    except (OSError, sqlite3.Error) as exc:
        if not is_disk_full(exc):
            raise
        full = disk_full()
        print(f"fieldapp: error: {full.message_en}", file=sys.stderr)
        print(f"fieldapp: {full.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("fieldapp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return EXIT_OK


def subcommands() -> list[str]:
    """Every command path (``forms check`` included), for the docs test."""
    parser = build_parser()
    out: list[str] = []

    def walk(p: argparse.ArgumentParser, prefix: str) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    path = f"{prefix}{name}"
                    nested = any(isinstance(a, argparse._SubParsersAction) for a in child._actions)
                    if nested:
                        walk(child, path + " ")
                    else:
                        out.append(path)

    walk(parser, "")
    return out
