"""Commands that move data in and out: ``sync``, ``import``, ``export``, ``backup``, ``restore``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp import config, geo
from fieldapp import store as stores
from fieldapp.errors import (
    ValidationError,
)

if TYPE_CHECKING:
    pass
from fieldapp.cli.common import EXIT_ERROR, EXIT_OK, mask_doc, open_store, print_json


def add_parsers(sub: Any) -> None:
    """sync, import, export, backup, restore"""
    s = sub.add_parser("sync", help="two-way sync with the central server")
    s.add_argument(
        "--server", required=True, metavar="URL", help="server address, e.g. https://fieldapp.example.org"
    )
    s.add_argument("--user", dest="sync_user", required=True, metavar="NAME", help="account on the server")
    s.add_argument("--json", action="store_true", help="print the sync report as JSON")
    s.add_argument(
        "--allow-http",
        action="store_true",
        help="use a plain http:// server outside the local network (password and data travel unencrypted)",
    )
    s.set_defaults(handler=cmd_sync)

    s = sub.add_parser("import", help="import records from an XLSX or CSV file (e.g. a TPMAP target list)")
    s.add_argument("file", type=Path, help="the .xlsx or .csv file")
    s.add_argument("--form", default="household", help="form to import into (default household)")
    s.add_argument("--mapping", type=Path, metavar="FILE", help="column mapping (JSON or YAML) to use")
    s.add_argument(
        "--save-mapping", type=Path, metavar="FILE", help="write the mapping used (to edit and reuse)"
    )
    s.add_argument("--dry-run", action="store_true", help="check every row and show a preview; write nothing")
    s.add_argument(
        "--encoding", default="auto", help="CSV encoding: auto (default), utf-8, utf-8-sig, tis-620, cp874"
    )
    s.add_argument("--report", type=Path, metavar="FILE", help="save the per-row report (.xlsx or .csv)")
    s.add_argument(
        "--complete",
        action="store_true",
        help="require every required answer (default: lists may be partial)",
    )
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.set_defaults(handler=cmd_import)

    s = sub.add_parser("export", help="export records as CSV, XLSX or GeoJSON")
    s.add_argument("form", help="form id: household, business, referral")
    s.add_argument("--format", choices=["csv", "xlsx", "geojson"], help="default: from the file name")
    s.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="file to write")
    s.add_argument("--area", nargs="+", metavar="CODE", help="only records inside these areas")
    s.add_argument("--unmask", action="store_true", help="national IDs in full (recorded in the audit log)")
    s.add_argument("--codes", action="store_true", help="field ids as headers, choice codes and ISO dates")
    s.set_defaults(handler=cmd_export)

    s = sub.add_parser("backup", help="make a checked backup of the database (or list backups)")
    s.add_argument("--keep", type=int, metavar="N", help="keep the newest N backups from now on (default 10)")
    s.add_argument("--list", action="store_true", help="list backups, newest first, with their check result")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_backup)

    s = sub.add_parser("restore", help="replace the database with a backup (the current file is kept aside)")
    s.add_argument("file", nargs="?", type=Path, help="backup file (see fieldapp backup --list)")
    s.add_argument("--latest", action="store_true", help="the newest backup that passes the integrity check")
    s.set_defaults(handler=cmd_restore)


def cmd_sync(args: argparse.Namespace) -> int:
    import getpass

    from fieldapp.sync.client import sync
    from fieldapp.sync.transport import PLAIN_HTTP_WARNING_EN, check_plain_http

    if check_plain_http(args.server, args.allow_http):  # refused before the password is asked
        print(f"warning: {PLAIN_HTTP_WARNING_EN}", file=sys.stderr)
    password = config.get(config.PASSWORD)
    if not password:
        if not sys.stdin.isatty():
            raise ValidationError("ไม่มีรหัสผ่าน", "no password: set FIELDAPP_PASSWORD or run in a terminal")
        password = getpass.getpass(f"password for {args.sync_user}: ")
    tty = sys.stderr.isatty()
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if tty and (now - last[0] > 0.5 or done == total):
            last[0] = now
            print(f"\r  {stage} {done:,}/{total:,}   ", end="", file=sys.stderr, flush=True)

    store = stores.open_store(config.database_path(args.db), user=config.author(args.user or args.sync_user))
    try:
        report = sync(
            store, args.server, args.sync_user, password, progress=progress, allow_plain_http=args.allow_http
        )
    finally:
        store.close()
        if tty:
            print(file=sys.stderr)
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary_th())
        for r in report.rejected:
            print(f"rejected {r['form']} {r['record_id']}: {r['reason']}: {r['message_en']}", file=sys.stderr)
        for c in report.conflicts:
            print(f"conflict {c['form']} {c['record_id']} ({c['kind']})", file=sys.stderr)
        for x in report.set_aside:
            print(f"set aside {x['form']} {x['record_id']} (rev {x['rev']}): {x['reason']}", file=sys.stderr)
    if report.clock_warning:
        print(
            f"warning: the laptop clock is {report.clock_skew_seconds:+.0f} s off the server's",
            file=sys.stderr,
        )
    if report.verified is False:
        print(
            f"fieldapp: error: counts differ from the server: {json.dumps(report.mismatches)}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def _progress_line(label: str) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 0.5 or done == total:
            last[0] = now
            print(f"\r  {label} {done:,}/{total:,}   ", end="", file=sys.stderr, flush=True)

    return progress


def cmd_import(args: argparse.Namespace) -> int:
    from fieldapp import exchange

    workbook = exchange.read(args.file, encoding=args.encoding)
    with open_store(args) as store:
        form = store.form(args.form)
        mapping = (
            exchange.Mapping.load(args.mapping) if args.mapping else exchange.auto_mapping(form, workbook)
        )
        if args.save_mapping:
            mapping.save(args.save_mapping)
        if args.dry_run and not args.json:
            print("columns:")
            for header, target in mapping.columns.items():
                print(f"  {header} -> {target or '(ignored)'}")
            for i, doc in enumerate(
                exchange.preview(store, workbook, form_id=form.id, mapping=mapping), start=1
            ):
                print(f"preview {i}:")
                print("  " + json.dumps(mask_doc(form, _nonempty(doc)), ensure_ascii=False))
        report = exchange.run_import(
            store,
            workbook,
            form_id=form.id,
            mapping=mapping,
            dry_run=args.dry_run,
            partial_ok=not args.complete,
            progress=_progress_line("import"),
        )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.report:
        report.save(args.report)
    if args.json:
        print_json(report.as_dict())
    else:
        print(report.summary_en())
        for p in report.problems[:20]:
            where = f"{p.sheet} " if p.sheet and p.sheet != workbook.main.name else ""
            print(f"  {where}row {p.row} [{p.column}]: {p.message}", file=sys.stderr)
        if len(report.problems) > 20:
            print(
                f"  … {len(report.problems) - 20} more (save them with --report FILE.xlsx)", file=sys.stderr
            )
    return EXIT_OK if report.ok else EXIT_ERROR


def _nonempty(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v not in (None, [], "")}


def cmd_export(args: argparse.Namespace) -> int:
    from fieldapp import exchange

    fmt = args.format or args.output.suffix.lower().lstrip(".")
    if fmt == "json":
        fmt = "geojson"
    if fmt not in exchange.FORMATS:
        raise ValidationError(
            "ไม่ทราบรูปแบบไฟล์", "give --format csv, xlsx or geojson (or a file name ending so)"
        )
    areas = [geo.check_area_code(c) for c in args.area or []]
    with open_store(args) as store:
        result = exchange.export(
            store,
            args.form,
            fmt,
            args.output,
            areas=areas or None,
            unmask=args.unmask,
            codes=args.codes,
            progress=_progress_line("export"),
        )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    rows = "".join(f", {n:,} {rep} rows" for rep, n in result.rows.items())
    print(f"exported {result.records:,} records{rows} to {', '.join(str(f) for f in result.files)}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from fieldapp import backup

    path = config.database_path(args.db)
    if args.list:
        infos = backup.list_backups(path)
        items = [{**b.as_dict(), "ok": not backup.integrity_problems(b.path)} for b in infos]
        if args.json:
            print_json(items)
        else:
            for it in items:
                print(
                    f"{it['created']}\t{it['reason']}\t{it['size']:,} bytes\t{'ok' if it['ok'] else 'DAMAGED'}\t{it['path']}"
                )
            print(f"({len(items)} backups in {backup.backup_dir(path)})", file=sys.stderr)
        return EXIT_OK
    with open_store(args) as store:
        if args.keep is not None:
            backup.set_keep(store, args.keep)
        made = backup.backup(store, reason="manual")
    if args.json:
        print_json({"path": str(made)})
    else:
        print(f"backup: {made}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from fieldapp import backup

    path = config.database_path(args.db)
    chosen = args.file
    if args.latest:
        chosen = backup.latest_good(path)
        if chosen is None:
            raise ValidationError("ไม่พบสำเนาสำรองที่ใช้ได้", f"no good backup in {backup.backup_dir(path)}")
    if chosen is None:
        raise ValidationError(
            "กรุณาระบุไฟล์สำรอง", "give a backup FILE or --latest (see fieldapp backup --list)"
        )
    aside = backup.restore(chosen, path)
    print(f"restored {chosen} to {path}")
    if aside is not None:
        print(f"the previous database was kept as {aside}")
    return EXIT_OK


# ---------------------------------------------------------------------- entry
