"""``fieldapp-server``: run the server and manage accounts (documented in docs/api.md).

    fieldapp-server run [--db PATH] [--host 127.0.0.1] [--port 8080]
    fieldapp-server adduser NAME --role ROLE --area CODE... [--display-name NAME] [--db PATH]
    fieldapp-server name NAME DISPLAY_NAME [--db PATH]
    fieldapp-server passwd NAME [--db PATH]
    fieldapp-server areas NAME [CODE...] [--db PATH]
    fieldapp-server users [--db PATH]
    fieldapp-server forms add FILE [--by NAME] [--db PATH]
    fieldapp-server forms list [--db PATH]

The database is a SQLite file (``--db``, default ``fieldapp-server.db``) or, when ``--db`` is not
given and ``DATABASE_URL`` is set, that database (PostgreSQL). Passwords come from a prompt or
from ``FIELDAPP_PASSWORD``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from fieldapp import config, installed
from fieldapp.errors import FieldAppError
from fieldapp.forms import default_forms
from fieldapp.sync.protocol import ROLES

from . import __version__, auth, db
from . import forms as server_forms
from .settings import Settings, default_database_url


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        self.exit(2, f"fieldapp-server: usage error: {message} (see fieldapp-server --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="fieldapp-server", description="Central server of fieldapp.")
    p.add_argument("--version", action="version", version=f"fieldapp-server {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def with_db(s: argparse.ArgumentParser) -> argparse.ArgumentParser:
        s.add_argument(
            "--db", metavar="PATH", help="SQLite file (default: $DATABASE_URL, else fieldapp-server.db)"
        )
        return s

    s = with_db(sub.add_parser("run", help="run the server"))
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    s.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port (default 1); each is stateless, all share the database",
    )
    s.set_defaults(handler=cmd_run)

    s = with_db(sub.add_parser("adduser", help="create an account"))
    s.add_argument("name")
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument(
        "--area",
        nargs="+",
        default=[],
        metavar="CODE",
        help="province (2 digits), district (4) or subdistrict (6) codes",
    )
    s.add_argument("--display-name", default="", metavar="NAME", help="the person's name, shown on laptops")
    s.set_defaults(handler=cmd_adduser)

    s = with_db(sub.add_parser("name", help="set the person's name shown on laptops ('' removes it)"))
    s.add_argument("name")
    s.add_argument("display_name", metavar="DISPLAY_NAME")
    s.set_defaults(handler=cmd_name)

    s = with_db(sub.add_parser("passwd", help="set a user's password (logs out their devices)"))
    s.add_argument("name")
    s.set_defaults(handler=cmd_passwd)

    s = with_db(sub.add_parser("areas", help="show a user's areas, or replace them with CODE..."))
    s.add_argument("name")
    s.add_argument("codes", nargs="*", metavar="CODE")
    s.set_defaults(handler=cmd_areas)

    s = with_db(sub.add_parser("users", help="list accounts with their roles and areas"))
    s.set_defaults(handler=cmd_users)

    forms = sub.add_parser("forms", help="forms installed on the server, sent to laptops at sync")
    fsub = forms.add_subparsers(dest="forms_command", metavar="ACTION", parser_class=_Parser, required=True)
    s = with_db(fsub.add_parser("add", help="install a form (XLSForm .xlsx or .yaml) or a new version of it"))
    s.add_argument("file", metavar="FILE")
    s.add_argument("--by", default="admin", metavar="NAME", help="who installs it (kept with the version)")
    s.set_defaults(handler=cmd_forms_add)
    s = with_db(fsub.add_parser("list", help="installed forms, every version"))
    s.set_defaults(handler=cmd_forms_list)
    return p


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(default_database_url(args.db))


def _engine(args: argparse.Namespace) -> tuple[Settings, Any]:
    settings = _settings(args)
    engine = db.make_engine(settings.database_url)
    db.migrate(engine)
    return settings, engine


def _password(confirm: bool = True) -> str:
    env = config.get(config.PASSWORD)
    if env:
        return env
    if not sys.stdin.isatty():
        raise auth.AdminError("no terminal for the password prompt: set FIELDAPP_PASSWORD")
    first = getpass.getpass("password: ")
    if confirm and getpass.getpass("again: ") != first:
        raise auth.AdminError("the two passwords differ")
    return first


def cmd_run(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    settings = _settings(args)
    if args.workers < 1:
        print("fieldapp-server: --workers must be 1 or more", file=sys.stderr)
        return 2
    workers = f", {args.workers} worker processes" if args.workers > 1 else ""
    print(
        f"fieldapp-server {__version__}: {_safe_url(settings.database_url)} on http://{args.host}:{args.port}"
        f"{workers}",
        file=sys.stderr,
    )
    if args.workers == 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level)
        return 0
    if settings.database_url.startswith("sqlite"):
        print(
            "fieldapp-server: several workers on SQLite take turns to write; use PostgreSQL for a large "
            "deployment (docs/sync.md, Deployment)",
            file=sys.stderr,
        )
    # the schema is brought up to date once, here, before the workers start; each worker process
    # then builds its app from the environment (no state is kept between requests but the database)
    db.migrate(db.make_engine(settings.database_url))
    os.environ[config.DATABASE_URL.name] = settings.database_url
    uvicorn.run(
        f"{__package__}.app:app_from_env",  # server.app, or fieldapp_server.app when installed
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
    )
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_adduser(args: argparse.Namespace) -> int:
    settings, engine = _engine(args)
    password = _password()
    with engine.begin() as conn:
        user = auth.add_user(conn, settings, args.name, args.role, args.area, password, args.display_name)
    print(f"added {user.name} ({user.role}) areas: {' '.join(user.areas) or 'all'}")
    return 0


def cmd_name(args: argparse.Namespace) -> int:
    settings, engine = _engine(args)
    with engine.begin() as conn:
        shown = auth.set_display_name(conn, settings, args.name, args.display_name)
    print(f"{args.name} is shown as {shown!r}" if shown else f"{args.name} is shown by login")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    settings, engine = _engine(args)
    password = _password()
    with engine.begin() as conn:
        auth.set_password(conn, settings, args.name, password)
    print(f"password of {args.name} changed")
    return 0


def cmd_areas(args: argparse.Namespace) -> int:
    settings, engine = _engine(args)
    with engine.begin() as conn:
        if args.codes:
            codes = auth.set_areas(conn, settings, args.name, args.codes)
        else:
            found = [u for u in auth.list_users(conn) if u.name == args.name]
            if not found:
                raise auth.AdminError(f"no user {args.name!r}")
            codes = list(found[0].areas)
    print(f"{args.name}: {' '.join(codes) or '(none)'}")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    _, engine = _engine(args)
    with engine.begin() as conn:
        for u in auth.list_users(conn):
            print(f"{u.name}\t{u.role}\t{' '.join(u.areas) or ('all' if u.everything else '(none)')}")
    return 0


def cmd_forms_add(args: argparse.Namespace) -> int:
    _, engine = _engine(args)
    path = Path(args.file)
    if not path.is_file():
        raise auth.AdminError(f"no file {args.file!r}")
    raw, notes = installed.read_definition(path)
    form, new = server_forms.install(engine, default_forms(), raw, path.name, args.by)
    for note in notes:
        print(f"note: {note}")
    if new:
        print(f"installed {form.id} version {form.version}: laptops receive it at their next sync")
    else:
        print(f"{form.id} version {form.version} is already installed (same definition)")
    return 0


def cmd_forms_list(args: argparse.Namespace) -> int:
    _, engine = _engine(args)
    for f in server_forms.listing(engine):
        mark = "in use" if f.in_use else "older"
        print(f"{f.form_id}\t{f.version}\t{mark}\t{f.installed_at}\t{f.installed_by}\t{f.source or ''}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args))
    except auth.AdminError as exc:
        print(f"fieldapp-server: error: {exc}", file=sys.stderr)
        return 1
    except FieldAppError as exc:  # a form definition that cannot be installed
        print(f"fieldapp-server: error: {exc.message_en}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"fieldapp-server: database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
