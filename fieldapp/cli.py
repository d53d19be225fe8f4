"""The ``fieldapp`` command line (documented in docs/cli.md).

Every command takes ``--db PATH`` (default: ``FIELDAPP_DB``, else the user's data folder). Bad
input prints one clear line and exits non-zero; nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp import __version__, config, forms, geo, scoring, thai
from fieldapp.errors import (
    AccessError,
    DiskFullError,
    FieldAppError,
    StoreError,
    ValidationError,
    disk_full,
    is_disk_full,
)
from fieldapp.store import Store

if TYPE_CHECKING:
    from fieldapp.reports.data import ReportMeta

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2
        self.exit(EXIT_USAGE, f"fieldapp: usage error: {message} (see fieldapp --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
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
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("init", help="create (or migrate) the database and print where it is")
    s.set_defaults(handler=cmd_init)

    s = sub.add_parser("demo", help="add realistic synthetic households, businesses and referrals")
    s.add_argument("--households", type=int, default=200, help="number of households (default 200)")
    s.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    s.add_argument(
        "--area", nargs="+", metavar="CODE", help="only inside these province/district/subdistrict codes"
    )
    s.add_argument("--businesses", type=int, help="number of businesses (default: households / 20)")
    s.add_argument("--referrals", type=int, help="number of referrals (default: households / 5)")
    s.set_defaults(handler=cmd_demo)

    s = sub.add_parser("list", help="list records of a form: ids and key fields")
    s.add_argument("form", help="form id: household, business, referral")
    s.add_argument("--search", help="Thai substring, national ID or house number")
    s.add_argument("--area", nargs="+", metavar="CODE", help="province, district or subdistrict code")
    s.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50, 0 = all)")
    s.add_argument("--offset", type=int, default=0)
    s.add_argument("--sort", help="field to sort by (default: the record's name)")
    s.add_argument("--json", action="store_true", help="JSON output")
    s.set_defaults(handler=cmd_list)

    s = sub.add_parser("show", help="show one record")
    s.add_argument("form")
    s.add_argument("id")
    s.add_argument("--json", action="store_true", help="JSON output (the stored document)")
    s.add_argument("--unmask", action="store_true", help="show national IDs in full")
    s.set_defaults(handler=cmd_show)

    s = sub.add_parser("stats", help="counts per form, household class and area")
    s.add_argument("--area", metavar="CODE", help="only this province/district/subdistrict")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_stats)

    s = sub.add_parser("rounds", help="a household's survey rounds; --start begins the next one")
    s.add_argument("id", help="household record id")
    s.add_argument("--start", action="store_true", help="save the next round, unfinished, and print its id")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_rounds)

    s = sub.add_parser("visits", help="visits due per village: follow-ups this week and overdue")
    s.add_argument("--area", metavar="CODE", help="only this province/district/subdistrict")
    s.add_argument("--on", metavar="YYYY-MM-DD", help="count from this day instead of today")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_visits)

    s = sub.add_parser("check", help="check the database's integrity")
    s.set_defaults(handler=cmd_check)

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

    s = sub.add_parser("forms", help="form definitions")
    fsub = s.add_subparsers(dest="forms_command", metavar="SUBCOMMAND", parser_class=_Parser)
    fc = fsub.add_parser("check", help="load and check form definitions")
    fc.add_argument("files", nargs="*", type=Path, help="definition files (default: all bundled forms)")
    fc.set_defaults(handler=cmd_forms_check)
    fi = fsub.add_parser("import", help="convert an XLSForm (ODK, Kobo) into a form definition")
    fi.add_argument("file", type=Path, help="the XLSForm (.xlsx or .xls: survey, choices, settings sheets)")
    fi.add_argument("-o", "--output", type=Path, help="write the definition here (default: print it)")
    fi.add_argument("--json", action="store_true", help="print the report as JSON")
    fi.add_argument("--strict", action="store_true", help="exit 1 if anything could not be carried")
    fi.set_defaults(handler=cmd_forms_import)
    fe = fsub.add_parser("export", help="write a form as an XLSForm")
    fe.add_argument("form", help="a bundled form's id, or a form definition file (.yaml)")
    fe.add_argument("-o", "--output", type=Path, required=True, help="the XLSForm to write (.xlsx)")
    fe.set_defaults(handler=cmd_forms_export)
    fa = fsub.add_parser("add", help="install a form (XLSForm or .yaml) into the database")
    fa.add_argument("file", type=Path, help="SURVEY.xlsx/.xls or FORM.yaml")
    fa.set_defaults(handler=cmd_forms_add)
    fl = fsub.add_parser("list", help="the forms of the database: bundled and installed, with versions")
    fl.add_argument("--json", action="store_true", help="print as JSON")
    fl.set_defaults(handler=cmd_forms_list)
    fr = fsub.add_parser("remove", help="remove an installed form (refused while it has records)")
    fr.add_argument("form", help="the installed form's id")
    fr.set_defaults(handler=cmd_forms_remove)
    s.set_defaults(handler=lambda a: _usage(s))

    rp = sub.add_parser("report", help="print a Thai PDF report (household, business, any record, area)")
    rsub = rp.add_subparsers(dest="report_command", metavar="REPORT", parser_class=_Parser)
    rh = rsub.add_parser("household", help="household case report (รายงานกรณีศึกษาครัวเรือน)")
    rh.add_argument("id", help="household record id (or its household code)")
    _report_options(rh, unmask=True)
    rh.set_defaults(handler=cmd_report_household)
    rb = rsub.add_parser("business", help="local-business report (รายงานกรณีศึกษาธุรกิจในท้องถิ่น)")
    rb.add_argument("id", help="business record id")
    _report_options(rb, unmask=True)
    rb.set_defaults(handler=cmd_report_business)
    rr = rsub.add_parser("record", help="any form's record: its answers by section, repeats as tables")
    rr.add_argument("form", help="the form id (a bundled or an installed form)")
    rr.add_argument("id", help="the record id")
    _report_options(rr, unmask=True)
    rr.set_defaults(handler=cmd_report_record)
    ra = rsub.add_parser("area", help="area case study (รายงานกรณีศึกษาพื้นที่)")
    where = ra.add_mutually_exclusive_group(required=True)
    where.add_argument("--subdistrict", nargs="+", metavar="CODE", help="one subdistrict, or a chosen set")
    where.add_argument("--district", metavar="CODE", help="a district (4 digits)")
    where.add_argument("--province", metavar="CODE", help="a province (2 digits)")
    where.add_argument(
        "--village", nargs=2, metavar=("SUBDISTRICT", "MOO"), help="one village: subdistrict and moo"
    )
    _report_options(ra, unmask=False)
    ra.set_defaults(handler=cmd_report_area)
    rp.set_defaults(handler=lambda a: _usage(rp))
    cli_privacy.add_parsers(sub)  # encryption, users, audit, a household's rights
    return p


def _report_options(p: argparse.ArgumentParser, *, unmask: bool) -> None:
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.pdf", help="the PDF to write")
    if unmask:
        p.add_argument(
            "--unmask", action="store_true", help="print national IDs in full (recorded in the audit log)"
        )
    p.add_argument(
        "--thai-digits",
        action="store_true",
        help="print quantities and dates in Thai digits (codes keep theirs)",
    )
    p.add_argument(
        "--style",
        choices=("official", "screen"),  # fieldapp.reports.REPORT_STYLES (not imported: a slow import)
        default="official",
        help="official: the layout of Thai government documents, for printing (default); screen: for reading on screen",
    )
    p.add_argument(
        "--office", metavar="NAME", help="the issuing office in the page header (default: $FIELDAPP_OFFICE)"
    )
    p.add_argument(
        "--office-province", metavar="NAME", help="the office's province (default: $FIELDAPP_PROVINCE)"
    )


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def _open(args: argparse.Namespace) -> Store:
    return Store(config.database_path(args.db), user=config.author(args.user))


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False))


# ---------------------------------------------------------------------- commands


def cmd_init(args: argparse.Namespace) -> int:
    with _open(args) as store:
        print(f"database: {store.path}")
        print(f"device: {store.device_id}")
        counts = store.counts()
        print("records: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from fieldapp import demo

    if args.households < 0:
        raise ValidationError("จำนวนครัวเรือนต้องไม่ติดลบ", "--households must not be negative")
    areas = [geo.check_area_code(c) for c in args.area or []]
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 1.0 or done == total:
            last[0] = now
            print(f"\r  {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    with _open(args) as store:
        made = demo.generate(
            store,
            households=args.households,
            seed=args.seed,
            areas=areas or None,
            businesses=args.businesses,
            referrals=args.referrals,
            progress=progress if sys.stderr.isatty() else None,
        )
    if sys.stderr.isatty():
        print(file=sys.stderr)
    took = time.perf_counter() - started
    print(
        f"added {made['household']:,} households ({made['members']:,} members) "
        f"and {made['rounds']:,} second survey rounds, "
        f"{made['business']:,} businesses, {made['referral']:,} referrals in {took:.1f} s"
    )
    return EXIT_OK


def _display(f: forms.Field, value: Any, unmask: bool) -> str:
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


def _mask_doc(form: forms.Form, doc: dict[str, Any]) -> dict[str, Any]:
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


def cmd_list(args: argparse.Namespace) -> int:
    with _open(args) as store:
        form = store.form(args.form)
        limit = None if args.limit == 0 else args.limit
        rows = store.list(
            form.id, search=args.search, area=args.area, order_by=args.sort, limit=limit, offset=args.offset
        )
        total = store.count(form.id, search=args.search, area=args.area)
        if args.json:
            _print_json({"total": total, "rows": [_mask_doc(form, r) for r in rows]})
            return EXIT_OK
        cols = [form.field_at(c) for c in form.shown_columns()]
        print("\t".join(["id", *[c.label_for("th") for c in cols]]))
        for r in rows:
            print("\t".join([r["id"], *[_display(c, r.get(c.id), False) for c in cols]]))
        print(f"({len(rows)} of {total})", file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        form = store.form(args.form)
        rec = store.get(form.id, args.id)
        store.audit("view", form.id, rec.id)
        if args.unmask:
            store.audit("view_unmasked", form.id, rec.id)
        doc = rec.data if args.unmask else _mask_doc(form, rec.data)
        warnings = store.soft_warnings(form.id, rec.data)
        if args.json:
            _print_json(
                {
                    **rec.as_dict(),
                    "data": doc,
                    "soft_warnings": [
                        {"id": w.id, "path": w.path, "message": w.message, "reason": w.reason}
                        for w in warnings
                    ],
                }
            )
            return EXIT_OK
        print(f"{form.title_of()} {rec.id}")
        print(
            f"  แบบฟอร์มฉบับ {rec.form_version} · แก้ไขล่าสุด {rec.updated_at} โดย {rec.updated_by}"
            f"{' · ยังไม่ได้ซิงค์' if rec.dirty else ''}"
        )
        for section in form.sections:
            lines: list[str] = []
            for f in section.fields:
                if f.type == "note" or f.appearance == "hidden":
                    continue
                if f.type == "repeat":
                    for i, row in enumerate(rec.data.get(f.id) or []):
                        lines.append(f"  {f.label_for()} {i + 1}")
                        for c in f.fields:
                            text = _display(c, row.get(c.id), args.unmask)
                            if text:
                                lines.append(f"    {c.label_for()}: {text}")
                    continue
                text = _display(f, rec.data.get(f.id), args.unmask)
                if text:
                    lines.append(f"  {f.label_for()}: {text}")
            if lines:
                print(f"\n[{section.label['th']}]")
                print("\n".join(lines))
        if warnings:
            print("\n[คำเตือน: คำตอบที่ผิดปกติ]")
            for w in warnings:
                print(f"  {w.path}: {w.message}")
                print(f"    เหตุผล: {w.reason or '(ยังไม่ได้ระบุเหตุผล)'}")
    return EXIT_OK


def cmd_rounds(args: argparse.Namespace) -> int:
    from fieldapp import drafts

    with _open(args) as store:
        if args.start:  # pre-filled, the questions asked again left empty: saved as unfinished
            nxt = store.start_next_round("household", args.id)
            rec = store.save("household", nxt.doc, partial_ok=True).record
            missing = drafts.missing_answers(store.form("household"), nxt.doc)
            drafts.set_status(store, "household", rec.id, len(missing))
            args.id = rec.id
        chain = store.round_chain("household", args.id)
    if args.json:
        _print_json([{"id": r.record_id, "round": r.number, "name": r.label, "surveyed_on": r.date} for r in chain])
        return EXIT_OK
    for r in chain:
        mark = " ←" if r.record_id == args.id else ""
        print(f"รอบที่ {r.number}  {r.label or '-'}  {r.date or '-'}  {r.record_id}{mark}")
    return EXIT_OK


def cmd_visits(args: argparse.Namespace) -> int:
    from fieldapp import thaidate, visits

    try:
        day = _dt.date.fromisoformat(args.on) if args.on else None
    except ValueError:
        raise ValidationError("วันที่ต้องเป็น ปปปป-ดด-วว", f"--on must be YYYY-MM-DD, not {args.on!r}") from None
    with _open(args) as store:
        groups = visits.visits_due(store, area=args.area, today=day)
    if args.json:
        _print_json(
            [
                {
                    "subdistrict_code": g.subdistrict_code,
                    "village_no": g.village_no,
                    "village_name": g.village_name,
                    "visits": [
                        {
                            "referral": v.referral_id,
                            "household": v.household_id,
                            "house_no": v.house_no,
                            "head_name": v.head_name,
                            "need": v.need,
                            "due": v.due.isoformat(),
                            "overdue": v.overdue,
                        }
                        for v in g.visits
                    ],
                }
                for g in groups
            ]
        )
        return EXIT_OK
    if not groups:
        print("ไม่มีการติดตามที่ถึงกำหนดในสัปดาห์นี้")
        return EXIT_OK
    for g in groups:
        place = " ".join(x for x in (f"หมู่ {g.village_no}" if g.village_no else "", g.village_name) if x)
        print(
            f"\n{place or g.subdistrict_code} ({g.subdistrict_code}): {len(g.visits)} ราย, เกินกำหนด {g.overdue} ราย"
        )
        for v in g.visits:
            flag = "เกินกำหนด" if v.overdue else "สัปดาห์นี้"
            print(
                f"  [{flag}] {thaidate.format_date(v.due, 'short')}  บ้านเลขที่ {v.house_no}  {v.head_name}  — {v.need}"
            )
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args) as store:
        stats = store.stats(area=args.area)
        if args.json:
            _print_json({"database": str(store.path), **stats})
            return EXIT_OK
        print(f"database: {store.path}")
        for form in store.forms:
            s = stats["forms"][form.id]
            klass = scoring.class_field(form)
            classes = {c.code: c.th for c in form.fields[klass].choices} if klass in form.fields else {}
            classes["unassessable"] = "ยังประเมินไม่ได้"
            extra = "".join(
                f", {k} {v:,}"
                for k, v in s.items()
                if isinstance(v, int) and k not in ("records", "unsynced")
            )
            print(
                f"{form.title_of()} ({form.id}): {s['records']:,} records{extra}, unsynced {s['unsynced']:,}"
            )
            if s.get("by_class"):
                print(
                    "  "
                    + " · ".join(f"{classes.get(k, 'ยังไม่ประเมิน')} {v:,}" for k, v in s["by_class"].items())
                )
            if s.get("by_province"):
                print(
                    "  "
                    + " · ".join(f"{stats['areas'].get(k, k)} {v:,}" for k, v in s["by_province"].items())
                )
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    with _open(args) as store:
        problems = store.check()
    if problems:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_ERROR
    print("ok")
    return EXIT_OK


def cmd_forms_check(args: argparse.Namespace) -> int:
    problems = forms.check_files(list(args.files) or None)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return EXIT_ERROR
    loaded = forms.load_all()
    for f in loaded:
        print(f"{f.id} {f.version}: {sum(1 for _ in forms.iter_fields(f))} fields ({f.source})")
    return EXIT_OK


def cmd_forms_import(args: argparse.Namespace) -> int:
    import json
    import shutil

    from fieldapp import xlsform

    report = xlsform.read_xlsform(args.file)
    text = xlsform.to_yaml(report.form)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        # the CSV files pulldata() reads come with the form, in FORM-media/
        tables = {str(n) for n in _pulldata_files(report.form)}
        if tables:
            media = args.output.parent / f"{args.output.stem}-media"
            media.mkdir(exist_ok=True)
            for name in sorted(tables):
                src = args.file.parent / f"{name}.csv"
                if src.exists():
                    shutil.copyfile(src, media / src.name)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        if not args.output:
            print(text, end="")
        out = sys.stderr if not args.output else sys.stdout
        print(
            f"{report.form['id']}: {report.rows} rows, {report.carried} carried, "
            f"{len(report.partial)} partly, {len(report.dropped)} not carried",
            file=out,
        )
        for kind, notes in (("partly", report.partial), ("not carried", report.dropped)):
            for n in notes:
                where = f"row {n.row}" if n.row is not None else "form"
                print(f"  {where} {n.name}: {kind}: {n.reason}", file=out)
    return EXIT_ERROR if args.strict and not report.complete else EXIT_OK


def _pulldata_files(form: dict[str, Any]) -> list[str]:
    import re

    found: list[str] = []
    text = str(form)
    for m in re.finditer(r"pulldata\(\s*['\"]([^'\"]+)['\"]", text):
        found.append(m.group(1))
    return found


def cmd_forms_export(args: argparse.Namespace) -> int:
    from fieldapp import resources, xlsform

    path = Path(args.form)
    shared: dict[str, Any] = {}
    if path.suffix not in (".yaml", ".yml"):
        path = resources.forms_dir() / f"{args.form}.yaml"
        if not path.exists():
            known = ", ".join(f.id for f in forms.default_forms())
            print(f"fieldapp: no form {args.form!r} (known: {known})", file=sys.stderr)
            return EXIT_ERROR
    choices_path = path.parent / "choices.yaml"
    if choices_path.exists():
        shared = (forms.read_yaml(choices_path) or {}).get("choices") or {}
    raw = forms.read_yaml(path)
    forms.Builder(raw, path.name, forms.parse_choices(shared, choices_path.name)).build()  # a form that loads
    xlsform.write_xlsform(raw, shared, args.output)
    print(f"{raw['id']} {raw.get('version')}: written to {args.output}")
    return EXIT_OK


def cmd_forms_add(args: argparse.Namespace) -> int:
    from fieldapp import installed

    raw, notes = installed.read_definition(args.file)
    with _open(args) as store:
        form, new = installed.add(store, raw, args.file.name)
    for note in notes:
        print(f"  {note}", file=sys.stderr)
    state = "installed" if new else "already installed"
    print(f"{form.id} {form.version}: {state} ({sum(1 for _ in forms.iter_fields(form))} fields)")
    return EXIT_OK


def cmd_forms_list(args: argparse.Namespace) -> int:
    from fieldapp import installed

    with _open(args) as store:
        found = installed.listing(store.conn)
        counts = {
            f.id: store.conn.execute(f"SELECT COUNT(*) FROM [{f.table}]").fetchone()[0] for f in store.forms
        }
        bundled = [f for f in store.forms if f.id in forms.default_forms().forms]
    items = [
        {"form": f.id, "version": f.version, "installed": False, "in_use": True, "records": counts[f.id]}
        for f in bundled
    ] + [
        {
            "form": i.form_id,
            "version": i.version,
            "installed": True,
            "in_use": i.in_use,
            "installed_at": i.installed_at,
            "installed_by": i.installed_by,
            "records": counts.get(i.form_id, 0) if i.in_use else None,
        }
        for i in found
    ]
    if args.json:
        _print_json(items)
        return EXIT_OK
    for it in items:
        where = f"installed {it['installed_at']} by {it['installed_by']}" if it["installed"] else "bundled"
        use = "" if it["in_use"] else " (earlier version)"
        records = f", {it['records']} records" if it["records"] is not None else ""
        print(f"{it['form']} {it['version']}: {where}{use}{records}")
    return EXIT_OK


def cmd_forms_remove(args: argparse.Namespace) -> int:
    from fieldapp import installed

    with _open(args) as store:
        n = installed.remove(store, args.form)
    print(f"{args.form}: removed ({n} version{'s' if n != 1 else ''})")
    return EXIT_OK


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

    store = Store(config.database_path(args.db), user=config.author(args.user or args.sync_user))
    try:
        report = sync(
            store, args.server, args.sync_user, password, progress=progress, allow_plain_http=args.allow_http
        )
    finally:
        store.close()
        if tty:
            print(file=sys.stderr)
    if args.json:
        _print_json(report.as_dict())
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


def _report_meta(args: argparse.Namespace) -> ReportMeta:
    from fieldapp.reports.build import default_meta

    meta = default_meta(args.user or config.get(config.USER) or "")
    meta.office = (getattr(args, "office", None) or config.get(config.OFFICE) or "").strip()
    meta.province = (getattr(args, "office_province", None) or config.get(config.PROVINCE) or "").strip()
    return meta


def _print_report(
    args: argparse.Namespace,
    store: Store,
    render: Callable[..., int],
    data: Any,
    form_id: str | None,
    record_id: str | None,
    detail: dict[str, Any],
) -> int:
    """Write the PDF (nothing is written on error), record the print, say where it went."""
    out: Path = args.output
    if out.exists() and out.is_dir():
        raise ValidationError(f"{out} เป็นโฟลเดอร์", f"{out} is a folder, not a file")
    if not out.parent.is_dir():
        raise ValidationError(f"ไม่พบโฟลเดอร์ {out.parent}", f"no such folder: {out.parent}")
    unmask = bool(getattr(args, "unmask", False))
    try:
        pages = render(data, out, unmask=unmask, thai_digits=args.thai_digits, style=args.style)
    except OSError as exc:
        raise FieldAppError(f"เขียนไฟล์ {out} ไม่ได้", f"cannot write {out}: {exc.strerror or exc}") from exc
    info = {**detail, "file": out.name, "pages": pages}
    store.audit("print", form_id, record_id, info)
    if unmask:
        store.audit("print_unmasked", form_id, record_id, info)
    print(f"wrote {out} ({pages} page{'s' if pages != 1 else ''})")
    return EXIT_OK


def cmd_report_household(args: argparse.Namespace) -> int:
    from fieldapp.reports import render_household
    from fieldapp.reports.build import find_household, household_report

    with _open(args) as store:
        rec = find_household(store, args.id)
        data = household_report(store, rec.id, meta=_report_meta(args))
        return _print_report(
            args, store, render_household, data, "household", rec.id, {"report": "household"}
        )


def cmd_report_business(args: argparse.Namespace) -> int:
    from fieldapp.reports import render_business
    from fieldapp.reports.build import business_report

    with _open(args) as store:
        data = business_report(store, args.id, meta=_report_meta(args))
        return _print_report(
            args, store, render_business, data, "business", args.id.strip(), {"report": "business"}
        )


def cmd_report_record(args: argparse.Namespace) -> int:
    from fieldapp.reports import render_record
    from fieldapp.reports.build import record_report_of

    with _open(args) as store:
        data = record_report_of(store, args.form, args.id, meta=_report_meta(args))
        return _print_report(args, store, render_record, data, args.form, data.record_id, {"report": "record"})


def cmd_report_area(args: argparse.Namespace) -> int:
    from fieldapp.reports import render_area
    from fieldapp.reports.build import area_report

    village: tuple[str, int] | None = None
    if args.village:
        sub, moo = args.village
        try:
            village = (sub, int(thai.normalize_digits(moo)))
        except ValueError:
            raise ValidationError(
                f"หมู่ที่ไม่ถูกต้อง: {moo}", f"the village number must be a number: {moo!r}"
            ) from None
    with _open(args) as store:
        data = area_report(
            store,
            subdistricts=args.subdistrict,
            district=args.district,
            province=args.province,
            village=village,
            meta=_report_meta(args),
        )
        detail: dict[str, Any] = {"report": "area", "level": data.scope.level, "codes": data.scope.codes}
        if village:
            detail["village_no"] = village[1]
        return _print_report(args, store, render_area, data, None, None, detail)


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
    with _open(args) as store:
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
                print("  " + json.dumps(_mask_doc(form, _nonempty(doc)), ensure_ascii=False))
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
        _print_json(report.as_dict())
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
    with _open(args) as store:
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
            _print_json(items)
        else:
            for it in items:
                print(
                    f"{it['created']}\t{it['reason']}\t{it['size']:,} bytes\t{'ok' if it['ok'] else 'DAMAGED'}\t{it['path']}"
                )
            print(f"({len(items)} backups in {backup.backup_dir(path)})", file=sys.stderr)
        return EXIT_OK
    with _open(args) as store:
        if args.keep is not None:
            backup.set_keep(store, args.keep)
        made = backup.backup(store, reason="manual")
    if args.json:
        _print_json({"path": str(made)})
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
