"""``fieldapp forms …``: check, import and export XLSForms, install, list and remove forms."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp import forms

if TYPE_CHECKING:
    pass
from fieldapp.cli.common import EXIT_ERROR, EXIT_OK, Parser, open_store, print_json, usage


def add_parsers(sub: Any) -> None:
    """forms check, import, export, add, list, remove"""
    s = sub.add_parser("forms", help="form definitions")
    fsub = s.add_subparsers(dest="forms_command", metavar="SUBCOMMAND", parser_class=Parser)
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
    s.set_defaults(handler=lambda a: usage(s))


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
    with open_store(args) as store:
        form, new = installed.add(store, raw, args.file.name)
    for note in notes:
        print(f"  {note}", file=sys.stderr)
    state = "installed" if new else "already installed"
    print(f"{form.id} {form.version}: {state} ({sum(1 for _ in forms.iter_fields(form))} fields)")
    return EXIT_OK


def cmd_forms_list(args: argparse.Namespace) -> int:
    from fieldapp import installed

    with open_store(args) as store:
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
        print_json(items)
        return EXIT_OK
    for it in items:
        where = f"installed {it['installed_at']} by {it['installed_by']}" if it["installed"] else "bundled"
        use = "" if it["in_use"] else " (earlier version)"
        records = f", {it['records']} records" if it["records"] is not None else ""
        print(f"{it['form']} {it['version']}: {where}{use}{records}")
    return EXIT_OK


def cmd_forms_remove(args: argparse.Namespace) -> int:
    from fieldapp import installed

    with open_store(args) as store:
        n = installed.remove(store, args.form)
    print(f"{args.form}: removed ({n} version{'s' if n != 1 else ''})")
    return EXIT_OK
