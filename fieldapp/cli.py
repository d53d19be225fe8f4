"""The ``fieldapp`` command line (documented in docs/cli.md).

Every command takes ``--db PATH`` (default: ``FIELDAPP_DB``, else the user's data folder). Bad
input prints one clear line and exits non-zero; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fieldapp import __version__, forms, geo, thai
from fieldapp.errors import FieldAppError, ValidationError
from fieldapp.store import Store, default_db_path

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

    s = sub.add_parser("check", help="check the database's integrity")
    s.set_defaults(handler=cmd_check)

    s = sub.add_parser("forms", help="form definitions")
    fsub = s.add_subparsers(dest="forms_command", metavar="SUBCOMMAND", parser_class=_Parser)
    fc = fsub.add_parser("check", help="load and check form definitions")
    fc.add_argument("files", nargs="*", type=Path, help="definition files (default: all bundled forms)")
    fc.set_defaults(handler=cmd_forms_check)
    s.set_defaults(handler=lambda a: _usage(s))
    return p


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return EXIT_USAGE


def _open(args: argparse.Namespace) -> Store:
    return Store(args.db or default_db_path(), user=args.user)


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
        f"added {made['household']:,} households ({made['members']:,} members), "
        f"{made['business']:,} businesses, {made['referral']:,} referrals in {took:.1f} s"
    )
    return EXIT_OK


def _display(f: forms.Field, value: Any, unmask: bool) -> str:
    if value is None or value == [] or value == "":
        return ""
    t = f.value_type
    if t in ("select_one",):
        return f.choice_label(value)
    if t == "select_multiple":
        return ", ".join(f.choice_label(v) for v in value)
    if t == "boolean":
        return "ใช่" if value else "ไม่ใช่"
    if t == "national_id":
        return thai.format_national_id(value) if unmask else thai.mask_national_id(value)
    if t == "phone":
        return thai.format_phone(value)
    if t == "date":
        from fieldapp import thaidate

        return thaidate.format_date(value, "medium")
    if t == "geopoint":
        return f"{value['lat']}, {value['lon']}"
    if t == "subdistrict":
        try:
            return f"{value} {geo.full_name(value)}"
        except FieldAppError:
            return str(value)
    if t == "money":
        return f"{value:,.2f}"
    return str(value)


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
        cols = [form.field_at(c) for c in form.list_columns]
        print("\t".join(["id", *[c.label_for("th") for c in cols]]))
        for r in rows:
            print("\t".join([r["id"], *[_display(c, r.get(c.id), False) for c in cols]]))
        print(f"({len(rows)} of {total})", file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with _open(args) as store:
        form = store.form(args.form)
        rec = store.get(form.id, args.id)
        if args.unmask:
            store.audit("view_unmasked", form.id, rec.id)
        doc = rec.data if args.unmask else _mask_doc(form, rec.data)
        if args.json:
            _print_json({**rec.as_dict(), "data": doc})
            return EXIT_OK
        print(f"{form.title_of()} {rec.id}")
        print(
            f"  แบบฟอร์มฉบับ {rec.form_version} · แก้ไขล่าสุด {rec.updated_at} โดย {rec.updated_by}"
            f"{' · ยังไม่ได้ซิงค์' if rec.dirty else ''}"
        )
        for section in form.sections:
            lines: list[str] = []
            for f in section.fields:
                if f.type == "note":
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
    return EXIT_OK


def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args) as store:
        stats = store.stats(area=args.area)
        if args.json:
            _print_json({"database": str(store.path), **stats})
            return EXIT_OK
        print(f"database: {store.path}")
        classes = {c.code: c.th for c in store.forms.choices.get("poverty_class", [])}
        for form in store.forms:
            s = stats["forms"][form.id]
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


# ---------------------------------------------------------------------- entry


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return handler(args)
    except FieldAppError as exc:
        detail = ""
        if isinstance(exc, ValidationError) and len(exc.problems) > 1:
            detail = f" [{'; '.join(p.path + ': ' + (p.message_en or p.message) for p in exc.problems[:5])}]"
        print(f"fieldapp: error: {exc.message_en}{detail}", file=sys.stderr)
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
