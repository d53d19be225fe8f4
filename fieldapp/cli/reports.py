"""``fieldapp report …``: a Thai PDF of a household, a business, any record, or an area."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp import config, thai
from fieldapp.errors import (
    FieldAppError,
    ValidationError,
)
from fieldapp.store import Store

if TYPE_CHECKING:
    from fieldapp.reports.data import ReportMeta
from fieldapp.cli.common import EXIT_OK, Parser, open_store, usage


def add_parsers(sub: Any) -> None:
    """report household, business, record, area"""
    rp = sub.add_parser("report", help="print a Thai PDF report (household, business, any record, area)")
    rsub = rp.add_subparsers(dest="report_command", metavar="REPORT", parser_class=Parser)
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
    rp.set_defaults(handler=lambda a: usage(rp))


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

    with open_store(args) as store:
        rec = find_household(store, args.id)
        data = household_report(store, rec.id, meta=_report_meta(args))
        return _print_report(
            args, store, render_household, data, "household", rec.id, {"report": "household"}
        )


def cmd_report_business(args: argparse.Namespace) -> int:
    from fieldapp.reports import render_business
    from fieldapp.reports.build import business_report

    with open_store(args) as store:
        data = business_report(store, args.id, meta=_report_meta(args))
        return _print_report(
            args, store, render_business, data, "business", args.id.strip(), {"report": "business"}
        )


def cmd_report_record(args: argparse.Namespace) -> int:
    from fieldapp.reports import render_record
    from fieldapp.reports.build import record_report_of

    with open_store(args) as store:
        data = record_report_of(store, args.form, args.id, meta=_report_meta(args))
        return _print_report(
            args, store, render_record, data, args.form, data.record_id, {"report": "record"}
        )


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
    with open_store(args) as store:
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
